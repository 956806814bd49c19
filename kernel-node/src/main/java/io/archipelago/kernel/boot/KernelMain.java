package io.archipelago.kernel.boot;

import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelBootException;
import io.archipelago.kernel.KernelContext;

import io.archipelago.memory.GlobalMemoryMismatchException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
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

    @Option(names = "--cluster", description = "Cluster name (default: ${DEFAULT-VALUE}).")
    String cluster = System.getProperty(KernelContext.CLUSTER_PROP, KernelContext.DEFAULT_CLUSTER);

    @Option(names = "--directory", paramLabel = "DIR", description = "Cluster directory (default: $ARCHIPELAGO_HOME or /dev/shm/archipelago, then /<cluster>).")
    Path directory;

    @Option(names = "--kernel-id", paramLabel = "ID", description = "Kernel id; -1 claims the lowest free one (default: ${DEFAULT-VALUE}).")
    int kernelId = KernelContext.CLAIM_KERNEL_ID;

    @Option(names = "--name", description = "Kernel name, unique in the cluster (default: <island>-<id>).")
    String name;

    @Option(names = "--island", description = "Island name (default: ${DEFAULT-VALUE}).")
    String island = "strong";

    @Option(names = "--data-model", paramLabel = "MODEL", description = "ABI data model: x86_64, aarch64, i386, armv7, ppc32 (default: ${DEFAULT-VALUE}).")
    String dataModel = "x86_64";

    @Option(names = "--cores", description = "Emulated cores (default: ${DEFAULT-VALUE}).")
    int cores = 1;

    @Option(names = "--speed", description = "Relative core speed, 1.0 = base frequency (default: ${DEFAULT-VALUE}).")
    double speed = 1.0;

    @Option(names = "--domain", description = "Coherence domain (default: ${DEFAULT-VALUE}).")
    String domain = "a";

    @Option(names = "--power-model", paramLabel = "NAME", description = "Power model name (default: none).")
    String powerModel = "";

    @Option(names = "--secret-file", paramLabel = "FILE", description = "Cluster secret (default: <directory>/secret).")
    Path secretFile;

    @Option(names = "--bind-host", paramLabel = "HOST", description = "Address to serve on (default: ${DEFAULT-VALUE}; 0.0.0.0 in containers).")
    String bindHost = "127.0.0.1";

    @Option(names = "--advertised-host", paramLabel = "HOST", description = "Host peers use to reach this kernel (default: the bind host, or the host name when binding 0.0.0.0).")
    String advertisedHost;

    @Option(names = "--transport", description = "Mailbox transport: shm (words in global memory, TCP links; "
        + "TCP words with peers that do not map it), tcp or unix (default: ${DEFAULT-VALUE}).")
    String transport = "shm";

    @Option(names = "--mailbox-port", description = "Mailbox TCP port, 0 = any free port (default: ${DEFAULT-VALUE}).")
    int mailboxPort;

    @Option(names = "--fifo-depth", paramLabel = "WORDS", description = "Mailbox FIFO depth per peer, 1 to 1024 words (default: ${DEFAULT-VALUE}).")
    int fifoDepth = Integer.getInteger(KernelContext.FIFO_DEPTH_PROP, KernelContext.DEFAULT_FIFO_DEPTH);

    @Option(names = "--control-port", description = "Control API port, 0 = any free port (default: ${DEFAULT-VALUE}).")
    int controlPort;

    @Option(names = "--heartbeat-ms", description = "Heartbeat interval in ms (default: ${DEFAULT-VALUE}).")
    long heartbeatMs = KernelContext.DEFAULT_HEARTBEAT_INTERVAL.toMillis();

    @Option(names = "--attach-timeout-ms", description = "How long to wait for the cluster's files to appear (default: ${DEFAULT-VALUE}).")
    long attachTimeoutMs = KernelContext.DEFAULT_ATTACH_TIMEOUT.toMillis();

    @Option(names = "--dsm-timeout-ms", description = "How long an access to a software-coherent page may wait for it (default: ${DEFAULT-VALUE}).")
    long dsmTimeoutMs = 10_000;

    @Option(names = "--watch-pid", paramLabel = "PID", description = "Stop when this process (the launcher) exits; -1 = never (default: ${DEFAULT-VALUE}).")
    long watchPid = -1;

    @Option(names = "--initial-blocks", paramLabel = "N", description = "Page blocks to claim from the pool at boot; -1 = the even share "
        + "of the data blocks among the configured kernels (default: ${DEFAULT-VALUE}). The balloon brings more on demand.")
    int initialBlocks = KernelContext.EVEN_SHARE;

    @Option(names = "--migrate-max-pages", paramLabel = "N", description = "The balloon empties a nearly free block by moving at most "
        + "this many movable pages out of it; 0 = never move pages (default: ${DEFAULT-VALUE}).")
    int migrateMaxPages = KernelContext.DEFAULT_MIGRATE_MAX_PAGES;

    @Option(names = "--balloon-timeout-ms", paramLabel = "MS", description = "How long a balloon step waits for the meta-level "
        + "manager's answer (default: ${DEFAULT-VALUE}).")
    long balloonTimeoutMs = KernelContext.DEFAULT_BALLOON_TIMEOUT.toMillis();

    public static void main(String[] args) {
        System.exit(new CommandLine(new KernelMain()).execute(args));
    }

    @Override
    @SuppressWarnings("sunapi")
    public Integer call() {
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
            .balloonRequestTimeout(Duration.ofMillis(balloonTimeoutMs));
        try {
            context.conclude();
            io.archipelago.kernel.faults.FaultPoints.parse(System.getProperty(io.archipelago.kernel.faults.FaultPoints.PROPERTY, ""));
        } catch (IllegalArgumentException e) {
            System.err.println("archipelago kernel: " + e.getMessage());
            return EXIT_CONFIG;
        }
        Kernel kernel;
        try {
            kernel = Kernel.boot(context, KernelAssembly::assemble);
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
