package io.archipelago.kernel.boot;

import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelBootException;
import io.archipelago.kernel.KernelContext;

import io.archipelago.memory.GlobalMemoryMismatchException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import net.openhft.posix.PosixAPI;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Entry point of a kernel process. The coordinator launches it with the options below; a
 * container runs it directly (through {@code archipelago kernel}). Stops cleanly on SIGTERM.
 * Exit codes: 0 stopped cleanly, 2 bad configuration, 3 could not join the cluster, 4 fenced: the coordinator
 * declared this kernel DEAD while it still ran (it halts without writing anything back; compose's
 * {@code restart: on-failure} starts a new incarnation).
 */
@Command(name = "kernel", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
    header = "Run one kernel of a cluster in this process (containers use this).",
    description = {"Runs one kernel instance bound to an emulated processor island: attaches the cluster's global memory, "
        + "registers in membership, claims its share of page blocks, heartbeats, and serves its control API until SIGTERM. "
        + "Exit codes: 0 stopped cleanly, 2 bad configuration, 3 could not join the cluster, 4 declared DEAD by the coordinator "
        + "while still running (halted at once, nothing written back)."})
public final class KernelMain implements Callable<Integer> {

    public static final int EXIT_OK = 0;
    public static final int EXIT_CONFIG = 2;
    public static final int EXIT_BOOT = 3;
    public static final int EXIT_FENCED = 4;

    static final String CLUSTER = "--cluster";
    static final String DIRECTORY = "--directory";
    static final String KERNEL_ID = "--kernel-id";
    static final String NAME = "--name";
    static final String ISLAND = "--island";
    static final String DATA_MODEL = "--data-model";
    static final String CORES = "--cores";
    static final String SPEED = "--speed";
    static final String DOMAIN = "--domain";
    static final String POWER_MODEL = "--power-model";
    static final String SECRET_FILE = "--secret-file";
    static final String BIND_HOST = "--bind-host";
    static final String ADVERTISED_HOST = "--advertised-host";
    static final String TRANSPORT = "--transport";
    static final String MAILBOX_PORT = "--mailbox-port";
    static final String FIFO_DEPTH = "--fifo-depth";
    static final String LOOP_SPIN_US = "--loop-spin-us";
    static final String LOOP_POLL = "--loop-poll";
    static final String CONTROL_PORT = "--control-port";
    static final String HEARTBEAT_MS = "--heartbeat-ms";
    static final String ATTACH_TIMEOUT_MS = "--attach-timeout-ms";
    static final String DSM_TIMEOUT_MS = "--dsm-timeout-ms";
    static final String WATCH_PID = "--watch-pid";
    static final String INITIAL_BLOCKS = "--initial-blocks";
    static final String MIGRATE_MAX_PAGES = "--migrate-max-pages";
    static final String BALLOON_TIMEOUT_MS = "--balloon-timeout-ms";
    static final String PLATFORM = "--platform";
    static final String KERNEL_DOMAINS = "--kernel-domains";

    /** Every option's default is the context's: its system property, else {@link KernelConfiguration}'s default. */
    private final KernelContext defaults = new KernelContext();

    @Option(names = CLUSTER, description = "Cluster name (default: ${DEFAULT-VALUE}).")
    String cluster = defaults.clusterName();

    @Option(names = DIRECTORY, paramLabel = "DIR", description = "Cluster directory (default: $ARCHIPELAGO_HOME or /dev/shm/archipelago, then /<cluster>).")
    Path directory = defaults.directory();

    @Option(names = KERNEL_ID, paramLabel = "ID", description = "Kernel id; -1 claims the lowest free one (default: ${DEFAULT-VALUE}).")
    int kernelId = defaults.kernelId();

    @Option(names = NAME, description = "Kernel name, unique in the cluster (default: <island>-<id>).")
    String name = defaults.kernelName();

    @Option(names = ISLAND, description = "Island name (default: ${DEFAULT-VALUE}).")
    String island = defaults.island();

    @Option(names = DATA_MODEL, paramLabel = "MODEL", description = "ABI data model: x86_64, aarch64, i386, armv7, ppc32 (default: ${DEFAULT-VALUE}).")
    String dataModel = defaults.dataModelId();

    @Option(names = CORES, description = "Emulated cores (default: ${DEFAULT-VALUE}).")
    int cores = defaults.cores();

    @Option(names = SPEED, description = "Relative core speed, 1.0 = base frequency (default: ${DEFAULT-VALUE}).")
    double speed = defaults.speed();

    @Option(names = DOMAIN, description = "Coherence domain (default: ${DEFAULT-VALUE}).")
    String domain = defaults.coherenceDomain();

    @Option(names = POWER_MODEL, paramLabel = "NAME", description = "Power model name (default: none).")
    String powerModel = defaults.powerModel();

    @Option(names = SECRET_FILE, paramLabel = "FILE", description = "Cluster secret (default: <directory>/secret).")
    Path secretFile = defaults.secretFile();

    @Option(names = BIND_HOST, paramLabel = "HOST", description = "Address to serve on (default: ${DEFAULT-VALUE}; 0.0.0.0 in containers).")
    String bindHost = defaults.bindHost();

    @Option(names = ADVERTISED_HOST, paramLabel = "HOST", description = "Host peers use to reach this kernel (default: the bind host, or the host name when binding 0.0.0.0).")
    String advertisedHost = defaults.advertisedHost();

    @Option(names = TRANSPORT, description = "Mailbox transport: shm (words in global memory, TCP links; "
        + "TCP words with peers that do not map it), tcp or unix (default: ${DEFAULT-VALUE}).")
    String transport = defaults.transport();

    @Option(names = MAILBOX_PORT, description = "Mailbox TCP port, 0 = any free port (default: ${DEFAULT-VALUE}).")
    int mailboxPort = defaults.mailboxPort();

    @Option(names = FIFO_DEPTH, paramLabel = "WORDS", description = "Mailbox FIFO depth per peer, 1 to 1024 words (default: ${DEFAULT-VALUE}).")
    int fifoDepth = defaults.fifoDepth();

    @Option(names = LOOP_SPIN_US, paramLabel = "US", description = "How long the mailbox's interrupt context polls after its last word "
        + "before it blocks, 0 to 1000 microseconds (default: ${DEFAULT-VALUE}).")
    long loopSpinUs = defaults.mailbox().loopSpin().toNanos() / 1000;

    @Option(names = LOOP_POLL, paramLabel = "RULE", description = "When that poll may run: idle-core (only while no thread waits for "
        + "a core) or always (default: ${DEFAULT-VALUE}).")
    String loopPoll = defaults.mailbox().loopPoll().id();

    @Option(names = CONTROL_PORT, description = "Control API port, 0 = any free port (default: ${DEFAULT-VALUE}).")
    int controlPort = defaults.controlPort();

    @Option(names = HEARTBEAT_MS, description = "Heartbeat interval in ms (default: ${DEFAULT-VALUE}).")
    long heartbeatMs = defaults.heartbeatInterval().toMillis();

    @Option(names = ATTACH_TIMEOUT_MS, description = "How long to wait for the cluster's files to appear (default: ${DEFAULT-VALUE}).")
    long attachTimeoutMs = defaults.attachTimeout().toMillis();

    @Option(names = DSM_TIMEOUT_MS, description = "How long an access to a software-coherent page may wait for it (default: ${DEFAULT-VALUE}).")
    long dsmTimeoutMs = defaults.dsmTimeout().toMillis();

    @Option(names = WATCH_PID, paramLabel = "PID", description = "Stop when this process (the launcher) exits; -1 = never (default: ${DEFAULT-VALUE}).")
    long watchPid = defaults.watchPid();

    @Option(names = INITIAL_BLOCKS, paramLabel = "N", description = "Page blocks to claim from the pool at boot; -1 = the even share "
        + "of the data blocks among the configured kernels (default: ${DEFAULT-VALUE}). The balloon brings more on demand.")
    int initialBlocks = defaults.initialBlocks();

    @Option(names = MIGRATE_MAX_PAGES, paramLabel = "N", description = "The balloon empties a nearly free block by moving at most "
        + "this many movable pages out of it; 0 = never move pages (default: ${DEFAULT-VALUE}).")
    int migrateMaxPages = defaults.migrateMaxPages();

    @Option(names = BALLOON_TIMEOUT_MS, paramLabel = "MS", description = "How long a balloon step waits for the meta-level "
        + "manager's answer (default: ${DEFAULT-VALUE}).")
    long balloonTimeoutMs = defaults.balloonRequestTimeout().toMillis();

    @Option(names = PLATFORM, paramLabel = "MODEL", description = "The modelled platform: a preset (host, omap4, cxl-direct, "
        + "cxl-switch) or the coordinator's text of it (default: ${DEFAULT-VALUE}: inject nothing).")
    String platform = defaults.platform().name().equals("host") && defaults.platform().injectsNothing() ? "host" : defaults.platform().toFlag();

    @Option(names = KERNEL_DOMAINS, paramLabel = "A,B,...", split = ",", description = "Every kernel's coherence domain by kernel id, "
        + "as the cluster configures them (whom the platform's costs apply to; default: none, every peer counts as another domain).")
    List<String> kernelDomains = new ArrayList<>(defaults.kernelDomains());

    /**
     * The command line that starts a kernel with this context's settings, the way the coordinator
     * hands each kernel its context: one flag per setting a cluster configuration decides, each
     * named once here (the option names above), so a launcher cannot spell one differently. The
     * settings left out (scheduler tuning, task table) keep their system properties.
     */
    public static List<String> arguments(KernelContext context) {
        List<String> arguments = new ArrayList<>(List.of(
            CLUSTER, context.clusterName(),
            KERNEL_ID, Integer.toString(context.kernelId()),
            ISLAND, context.island(),
            DATA_MODEL, context.dataModelId(),
            CORES, Integer.toString(context.cores()),
            SPEED, Double.toString(context.speed()),
            DOMAIN, context.coherenceDomain(),
            POWER_MODEL, context.powerModel(),
            TRANSPORT, context.transport(),
            FIFO_DEPTH, Integer.toString(context.fifoDepth()),
            LOOP_SPIN_US, Long.toString(context.mailbox().loopSpin().toNanos() / 1000),
            LOOP_POLL, context.mailbox().loopPoll().id(),
            HEARTBEAT_MS, Long.toString(context.heartbeatInterval().toMillis()),
            INITIAL_BLOCKS, Integer.toString(context.initialBlocks()),
            MIGRATE_MAX_PAGES, Integer.toString(context.migrateMaxPages()),
            BALLOON_TIMEOUT_MS, Long.toString(context.balloonRequestTimeout().toMillis()),
            WATCH_PID, Long.toString(context.watchPid())));
        if (context.directory() != null) {
            arguments.addAll(List.of(DIRECTORY, context.directory().toString()));
        }
        if (context.kernelName() != null) {
            arguments.addAll(List.of(NAME, context.kernelName()));
        }
        if (!context.platform().injectsNothing()) {
            arguments.addAll(List.of(PLATFORM, context.platform().toFlag()));
        }
        if (!context.platform().injectsNothing() && !context.kernelDomains().isEmpty()) {
            arguments.addAll(List.of(KERNEL_DOMAINS, String.join(",", context.kernelDomains())));
        }
        return arguments;
    }

    /** This command line's settings in a context, not yet concluded. */
    KernelContext context() {
        KernelContext context = new KernelContext()
            .clusterName(cluster)
            .directory(directory)
            .kernelId(kernelId)
            .kernelName(name)
            .island(island)
            .dataModel(dataModel)
            .cores(cores)
            .speed(speed)
            .coherenceDomain(domain)
            .powerModel(powerModel)
            .secretFile(secretFile)
            .bindHost(bindHost)
            .advertisedHost(advertisedHost)
            .transport(transport)
            .mailboxPort(mailboxPort)
            .fifoDepth(fifoDepth)
            .controlPort(controlPort)
            .heartbeatInterval(Duration.ofMillis(heartbeatMs))
            .attachTimeout(Duration.ofMillis(attachTimeoutMs))
            .dsmTimeout(Duration.ofMillis(dsmTimeoutMs))
            .watchPid(watchPid)
            .initialBlocks(initialBlocks)
            .migrateMaxPages(migrateMaxPages)
            .balloonRequestTimeout(Duration.ofMillis(balloonTimeoutMs))
            .platform(platform)
            .kernelDomains(kernelDomains);
        context.mailbox().loopSpin(Duration.ofNanos(loopSpinUs * 1000)).loopPoll(loopPoll);
        return context;
    }

    /**
     * Chronicle's {@code Jvm} binds its POSIX calls through jnr-ffi as it initialises (~350 classes of jnr-ffi,
     * jffi and JNA, ~3 MiB of class metadata in every kernel). A kernel needs none of them: it only opens the
     * cluster's maps, and of the calls Chronicle would make through the binding (msync, posix_fallocate) the
     * no-op one skips what a file in {@code /dev/shm} does not need. Set before anything touches Chronicle.
     */
    static void withoutNativePosixBinding() {
        PosixAPI.useNoOpPosixApi();
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new KernelMain()).execute(args));
    }

    @Override
    @SuppressWarnings("sunapi")
    public Integer call() {
        withoutNativePosixBinding();
        KernelContext context = context();
        try {
            context.conclude();
            io.archipelago.kernel.faults.FaultPoints.parse(System.getProperty(io.archipelago.kernel.faults.FaultPoints.PROPERTY, ""));
            // before the kernel starts a thread: each inherits it
            TimerSlack.applyConfigured();
        } catch (IllegalArgumentException e) {
            System.err.println("archipelago kernel: " + e.getMessage());
            return EXIT_CONFIG;
        }
        Kernel kernel;
        try {
            kernel = Kernel.boot(context, KernelAssembly::assemble);
        } catch (io.archipelago.kernel.KernelFencedException e) {
            System.err.println("archipelago kernel: " + e.getMessage() + "; halting (exit " + EXIT_FENCED + ")");
            Runtime.getRuntime().halt(EXIT_FENCED);
            return EXIT_FENCED;
        } catch (KernelBootException | GlobalMemoryMismatchException | UncheckedIOException | IllegalArgumentException e) {
            System.err.println("archipelago kernel: cannot join cluster '" + context.clusterName() + "': " + e.getMessage());
            return EXIT_BOOT;
        }
        // SIGTERM and SIGINT stop the kernel from the main thread, before the JVM shuts down: shutdown
        // hooks run concurrently (Chronicle Map closes its maps in one), too late to unregister.
        CountDownLatch stopRequested = new CountDownLatch(1);
        for (String signal : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), received -> stopRequested.countDown());
        }
        kernel.onFatal(stopRequested::countDown);
        // Declared DEAD while running: whatever it holds was taken back or recovered by others; a clean stop would write
        // its stale pages back over current data and hand back blocks that are no longer its own. So: no stop, a halt.
        kernel.onFenced(() -> {
            System.err.println("archipelago kernel: declared DEAD by the coordinator while still running; halting (exit "
                + EXIT_FENCED + ")");
            Runtime.getRuntime().halt(EXIT_FENCED);
        });
        if (kernel.fenced()) {
            // declared DEAD while it was booting, before the halt above was in place: its heartbeat closed it already
            System.err.println("archipelago kernel: declared DEAD by the coordinator while booting; halting (exit " + EXIT_FENCED + ")");
            Runtime.getRuntime().halt(EXIT_FENCED);
        }
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kernel.close();
        return kernel.fenced() ? EXIT_FENCED : EXIT_OK;
    }
}
