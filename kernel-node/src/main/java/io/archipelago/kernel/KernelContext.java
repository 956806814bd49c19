package io.archipelago.kernel;

import io.archipelago.directory.ClusterDirectory;
import io.archipelago.interconnect.mailbox.MailboxTransport;
import io.archipelago.typed.DataModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a kernel needs to boot, in one place (after Aeron's {@code MediaDriver.Context}):
 * every setting has a name, a default and a system property; fluent setters; and
 * {@link #conclude()} validates them all at once and fails with one message listing every
 * problem.
 */
public final class KernelContext {

    public static final String CLUSTER_PROP = "archipelago.cluster";
    public static final String DIRECTORY_PROP = "archipelago.dir";
    public static final String KERNEL_ID_PROP = "archipelago.kernel.id";
    public static final String KERNEL_NAME_PROP = "archipelago.kernel.name";
    public static final String ISLAND_PROP = "archipelago.island";
    public static final String DATA_MODEL_PROP = "archipelago.island.data-model";
    public static final String CORES_PROP = "archipelago.island.cores";
    public static final String SPEED_PROP = "archipelago.island.speed";
    public static final String DOMAIN_PROP = "archipelago.island.domain";
    public static final String POWER_MODEL_PROP = "archipelago.island.power-model";
    public static final String SECRET_FILE_PROP = "archipelago.secret-file";
    public static final String BIND_HOST_PROP = "archipelago.bind-host";
    public static final String ADVERTISED_HOST_PROP = "archipelago.advertised-host";
    public static final String TRANSPORT_PROP = "archipelago.mailbox.transport";
    public static final String MAILBOX_PORT_PROP = "archipelago.mailbox.port";
    public static final String FIFO_DEPTH_PROP = "archipelago.mailbox.fifo-depth";
    public static final String CONTROL_PORT_PROP = "archipelago.control.port";
    public static final String HEARTBEAT_PROP = "archipelago.heartbeat-interval-ms";
    public static final String ATTACH_TIMEOUT_PROP = "archipelago.attach-timeout-ms";
    public static final String WATCH_PID_PROP = "archipelago.watch-pid";
    public static final String BASE_HZ_PROP = "archipelago.sched.base-hz";
    public static final String TIME_SLICE_PROP = "archipelago.sched.slice-us";
    public static final String MAX_LEAD_PROP = "archipelago.sched.max-lead-us";
    public static final String TASK_SLOTS_PROP = "archipelago.tasks.slots";
    public static final String TASK_COHERENCE_PROP = "archipelago.tasks.coherence";
    public static final String INITIAL_BLOCKS_PROP = "archipelago.memory.initial-blocks";
    public static final String MIGRATE_MAX_PAGES_PROP = "archipelago.balloon.migrate-max-pages";
    public static final String BALLOON_TIMEOUT_PROP = "archipelago.balloon.request-timeout-ms";
    public static final String DSM_TIMEOUT_PROP = "archipelago.dsm.timeout-ms";

    public static final String DEFAULT_CLUSTER = "k2";
    /** A kernel id of -1 asks the kernel to claim the lowest free id (containers scaled by docker-compose). */
    public static final int CLAIM_KERNEL_ID = -1;
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofMillis(200);
    /** OMAP4's mailbox FIFO holds four 32-bit messages. */
    public static final int DEFAULT_FIFO_DEPTH = 4;
    public static final int MAX_FIFO_DEPTH = 1024;
    public static final Duration DEFAULT_ATTACH_TIMEOUT = Duration.ofSeconds(30);
    /** The frequency of a core of speed 1.0: a step of N cycles keeps such a core busy N ns. */
    public static final long DEFAULT_BASE_HZ = 1_000_000_000L;
    /** Virtual time a thread runs before a waiting thread gets the core (about Linux CFS's latency target / 2). */
    public static final Duration DEFAULT_TIME_SLICE = Duration.ofMillis(4);
    /** How far a core's virtual clock may run ahead of the host's before the core waits (pacing). */
    public static final Duration DEFAULT_MAX_LEAD = Duration.ofMillis(1);
    public static final int DEFAULT_TASK_SLOTS = 512;
    /** Initial blocks of -1: the even share of the data blocks among the configured kernels. */
    public static final int EVEN_SHARE = -1;
    /** A nearly free block is emptied by moving at most this many movable pages (a quarter of a 1 MiB block of 4 KiB pages). */
    public static final int DEFAULT_MIGRATE_MAX_PAGES = 64;
    /** Generous: the manager may have to ask another kernel to inflate (and move pages) first. */
    public static final Duration DEFAULT_BALLOON_TIMEOUT = Duration.ofSeconds(15);

    private String clusterName = System.getProperty(CLUSTER_PROP, DEFAULT_CLUSTER);
    private Path directory = propertyPath(DIRECTORY_PROP);
    private int kernelId = Integer.getInteger(KERNEL_ID_PROP, CLAIM_KERNEL_ID);
    private String kernelName = System.getProperty(KERNEL_NAME_PROP);
    private String island = System.getProperty(ISLAND_PROP, "strong");
    private String dataModel = System.getProperty(DATA_MODEL_PROP, DataModel.X86_64.id());
    private int cores = Integer.getInteger(CORES_PROP, 1);
    private double speed = Double.parseDouble(System.getProperty(SPEED_PROP, "1.0"));
    private String coherenceDomain = System.getProperty(DOMAIN_PROP, "a");
    private String powerModel = System.getProperty(POWER_MODEL_PROP, "");
    private Path secretFile = propertyPath(SECRET_FILE_PROP);
    private String bindHost = System.getProperty(BIND_HOST_PROP, "127.0.0.1");
    private String advertisedHost = System.getProperty(ADVERTISED_HOST_PROP);
    private String transport = System.getProperty(TRANSPORT_PROP, "shm");
    private int mailboxPort = Integer.getInteger(MAILBOX_PORT_PROP, 0);
    private int fifoDepth = Integer.getInteger(FIFO_DEPTH_PROP, DEFAULT_FIFO_DEPTH);
    private int controlPort = Integer.getInteger(CONTROL_PORT_PROP, 0);
    private Duration heartbeatInterval = Duration.ofMillis(Long.getLong(HEARTBEAT_PROP, DEFAULT_HEARTBEAT_INTERVAL.toMillis()));
    private Duration attachTimeout = Duration.ofMillis(Long.getLong(ATTACH_TIMEOUT_PROP, DEFAULT_ATTACH_TIMEOUT.toMillis()));
    private long watchPid = Long.getLong(WATCH_PID_PROP, -1L);
    private long baseHz = Long.getLong(BASE_HZ_PROP, DEFAULT_BASE_HZ);
    private Duration timeSlice = Duration.ofNanos(1000 * Long.getLong(TIME_SLICE_PROP, DEFAULT_TIME_SLICE.toNanos() / 1000));
    private Duration maxLead = Duration.ofNanos(1000 * Long.getLong(MAX_LEAD_PROP, DEFAULT_MAX_LEAD.toNanos() / 1000));
    private int taskSlots = Integer.getInteger(TASK_SLOTS_PROP, DEFAULT_TASK_SLOTS);
    private String taskCoherence = System.getProperty(TASK_COHERENCE_PROP, "software");
    private int initialBlocks = Integer.getInteger(INITIAL_BLOCKS_PROP, EVEN_SHARE);
    private int migrateMaxPages = Integer.getInteger(MIGRATE_MAX_PAGES_PROP, DEFAULT_MIGRATE_MAX_PAGES);
    private Duration balloonRequestTimeout = Duration.ofMillis(Long.getLong(BALLOON_TIMEOUT_PROP, DEFAULT_BALLOON_TIMEOUT.toMillis()));
    private Duration dsmTimeout = Duration.ofMillis(Long.getLong(DSM_TIMEOUT_PROP, 10_000L));

    private boolean concluded;
    private DataModel resolvedDataModel;

    private static Path propertyPath(String property) {
        String value = System.getProperty(property);
        return value == null ? null : Path.of(value);
    }

    /**
     * Checks every setting and fills in derived defaults (directory, secret file, advertised host).
     *
     * @throws IllegalArgumentException listing every invalid setting with its name, the value
     *                                  found and what was expected
     */
    public KernelContext conclude() {
        List<String> problems = new ArrayList<>();
        try {
            ClusterDirectory.checkName(clusterName);
        } catch (IllegalArgumentException e) {
            problems.add("cluster: " + e.getMessage());
        }
        if (kernelId < CLAIM_KERNEL_ID) {
            problems.add("kernel id: expected a kernel id >= 0 (or -1 to claim one), found " + kernelId);
        }
        if (island == null || !island.matches("[a-z0-9][a-z0-9_-]{0,31}")) {
            problems.add("island: expected 1-32 characters of a-z, 0-9, '_', '-', found '" + island + "'");
        }
        try {
            resolvedDataModel = DataModel.byId(dataModel);
        } catch (IllegalArgumentException e) {
            problems.add("data model: " + e.getMessage());
        }
        if (cores < 1 || cores > 256) {
            problems.add("cores: expected 1 to 256, found " + cores);
        }
        if (!(speed > 0) || speed > 64 || Double.isNaN(speed)) {
            problems.add("speed: expected a relative speed > 0 and <= 64 (1.0 = base frequency), found " + speed);
        }
        if (coherenceDomain == null || !coherenceDomain.matches("[A-Za-z0-9_-]{1,32}")) {
            problems.add("coherence domain: expected 1-32 characters of letters, digits, '_', '-', found '" + coherenceDomain + "'");
        }
        if (!MailboxTransport.IDS.contains(transport)) {
            problems.add("mailbox transport: expected 'shm', 'tcp' or 'unix', found '" + transport + "'");
        }
        if (mailboxPort < 0 || mailboxPort > 65535) {
            problems.add("mailbox port: expected 0 (any) to 65535, found " + mailboxPort);
        }
        if (fifoDepth < 1 || fifoDepth > MAX_FIFO_DEPTH) {
            problems.add("mailbox FIFO depth: expected 1 to " + MAX_FIFO_DEPTH + " words, found " + fifoDepth);
        }
        if (controlPort < 0 || controlPort > 65535) {
            problems.add("control port: expected 0 (any) to 65535, found " + controlPort);
        }
        if (heartbeatInterval.isNegative() || heartbeatInterval.isZero() || heartbeatInterval.toMillis() > 10_000) {
            problems.add("heartbeat interval: expected 1 to 10000 ms, found " + heartbeatInterval.toMillis() + " ms");
        }
        if (dsmTimeout.toMillis() < 1 || dsmTimeout.toMinutes() > 10) {
            problems.add("dsm timeout: expected 1 ms to 10 min, found " + dsmTimeout.toMillis() + " ms");
        }
        if (attachTimeout.isNegative()) {
            problems.add("attach timeout: expected >= 0 ms, found " + attachTimeout.toMillis() + " ms");
        }
        if (initialBlocks < EVEN_SHARE) {
            problems.add("initial blocks: expected a number of page blocks >= 0 (or -1 for the even share), found " + initialBlocks);
        }
        if (migrateMaxPages < 0) {
            problems.add("balloon migrate-max-pages: expected >= 0 (0: never move pages), found " + migrateMaxPages);
        }
        if (balloonRequestTimeout.isNegative() || balloonRequestTimeout.isZero()) {
            problems.add("balloon request timeout: expected > 0 ms, found " + balloonRequestTimeout.toMillis() + " ms");
        }
        if (kernelName != null && !kernelName.matches("[a-z0-9][a-z0-9_.-]{0,47}")) {
            problems.add("kernel name: expected 1-48 characters of a-z, 0-9, '_', '.', '-', found '" + kernelName + "'");
        }
        if (baseHz < 1_000 || baseHz > 100_000_000_000L) {
            problems.add("base frequency (" + BASE_HZ_PROP + "): expected 1000 Hz to 100 GHz, found " + baseHz);
        }
        if (timeSlice.toNanos() < 1_000 || timeSlice.toSeconds() > 10) {
            problems.add("time slice (" + TIME_SLICE_PROP + "): expected 1 us to 10 s, found " + timeSlice.toNanos() / 1000 + " us");
        }
        if (maxLead.isNegative() || maxLead.toSeconds() > 1) {
            problems.add("max lead (" + MAX_LEAD_PROP + "): expected 0 to 1 s, found " + maxLead.toNanos() / 1000 + " us");
        }
        if (taskSlots < 16 || taskSlots > 4096) {
            problems.add("task slots (" + TASK_SLOTS_PROP + "): expected 16 to 4096, found " + taskSlots);
        }
        if (!"software".equals(taskCoherence) && !"hardware".equals(taskCoherence)) {
            problems.add("task coherence (" + TASK_COHERENCE_PROP + "): expected software or hardware, found '" + taskCoherence + "'");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid kernel configuration:\n  - " + String.join("\n  - ", problems));
        }
        if (directory == null) {
            directory = ClusterDirectory.defaultRoot().resolve(clusterName);
        }
        if (secretFile == null) {
            secretFile = clusterDirectory().secretFile();
        }
        if (advertisedHost == null || advertisedHost.isBlank()) {
            advertisedHost = "0.0.0.0".equals(bindHost) ? hostName() : bindHost;
        }
        concluded = true;
        return this;
    }

    static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "127.0.0.1";
        }
    }

    private void checkConcluded() {
        if (!concluded) {
            throw new IllegalStateException("KernelContext.conclude() must be called before the context is used");
        }
    }

    public ClusterDirectory clusterDirectory() {
        return new ClusterDirectory(directory, clusterName);
    }

    public String clusterName() {
        return clusterName;
    }

    public KernelContext clusterName(String clusterName) {
        this.clusterName = clusterName;
        return this;
    }

    public Path directory() {
        return directory;
    }

    public KernelContext directory(Path directory) {
        this.directory = directory;
        return this;
    }

    public int kernelId() {
        return kernelId;
    }

    public KernelContext kernelId(int kernelId) {
        this.kernelId = kernelId;
        return this;
    }

    /** The configured name, or null to derive "&lt;island&gt;-&lt;id&gt;" once the id is known. */
    public String kernelName() {
        return kernelName;
    }

    public KernelContext kernelName(String kernelName) {
        this.kernelName = kernelName;
        return this;
    }

    public String island() {
        return island;
    }

    public KernelContext island(String island) {
        this.island = island;
        return this;
    }

    public DataModel dataModel() {
        checkConcluded();
        return resolvedDataModel;
    }

    public KernelContext dataModel(String dataModel) {
        this.dataModel = dataModel;
        return this;
    }

    public int cores() {
        return cores;
    }

    public KernelContext cores(int cores) {
        this.cores = cores;
        return this;
    }

    public double speed() {
        return speed;
    }

    public KernelContext speed(double speed) {
        this.speed = speed;
        return this;
    }

    public String coherenceDomain() {
        return coherenceDomain;
    }

    public KernelContext coherenceDomain(String coherenceDomain) {
        this.coherenceDomain = coherenceDomain;
        return this;
    }

    public String powerModel() {
        return powerModel;
    }

    public KernelContext powerModel(String powerModel) {
        this.powerModel = powerModel == null ? "" : powerModel;
        return this;
    }

    public Path secretFile() {
        return secretFile;
    }

    public KernelContext secretFile(Path secretFile) {
        this.secretFile = secretFile;
        return this;
    }

    public String bindHost() {
        return bindHost;
    }

    public KernelContext bindHost(String bindHost) {
        this.bindHost = bindHost;
        return this;
    }

    public String advertisedHost() {
        return advertisedHost;
    }

    public KernelContext advertisedHost(String advertisedHost) {
        this.advertisedHost = advertisedHost;
        return this;
    }

    public String transport() {
        return transport;
    }

    public KernelContext transport(String transport) {
        this.transport = transport;
        return this;
    }

    public int mailboxPort() {
        return mailboxPort;
    }

    public KernelContext mailboxPort(int mailboxPort) {
        this.mailboxPort = mailboxPort;
        return this;
    }

    /** Words each of this kernel's receive FIFOs holds, per peer (default 4, as OMAP4's mailbox). */
    public int fifoDepth() {
        return fifoDepth;
    }

    public KernelContext fifoDepth(int fifoDepth) {
        this.fifoDepth = fifoDepth;
        return this;
    }

    public int controlPort() {
        return controlPort;
    }

    public KernelContext controlPort(int controlPort) {
        this.controlPort = controlPort;
        return this;
    }

    public Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    public KernelContext heartbeatInterval(Duration heartbeatInterval) {
        this.heartbeatInterval = heartbeatInterval;
        return this;
    }

    public Duration attachTimeout() {
        return attachTimeout;
    }

    public KernelContext attachTimeout(Duration attachTimeout) {
        this.attachTimeout = attachTimeout;
        return this;
    }

    /** How long an access to a software-coherent page may wait for the page before it fails. */
    public Duration dsmTimeout() {
        return dsmTimeout;
    }

    public KernelContext dsmTimeout(Duration dsmTimeout) {
        this.dsmTimeout = dsmTimeout;
        return this;
    }

    /** The pid whose exit stops this kernel (its launcher), or -1. */
    public long watchPid() {
        return watchPid;
    }

    public KernelContext watchPid(long watchPid) {
        this.watchPid = watchPid;
        return this;
    }

    /** Frequency of a core of speed 1.0, in Hz: a core's busy time for N cycles is N / (speed x base frequency). */
    public long baseHz() {
        return baseHz;
    }

    public KernelContext baseHz(long baseHz) {
        this.baseHz = baseHz;
        return this;
    }

    /** Virtual time a thread may run while others wait for the core. */
    public Duration timeSlice() {
        return timeSlice;
    }

    public KernelContext timeSlice(Duration timeSlice) {
        this.timeSlice = timeSlice;
        return this;
    }

    /** How far a core's virtual clock may run ahead of host time before the core waits. */
    public Duration maxLead() {
        return maxLead;
    }

    public KernelContext maxLead(Duration maxLead) {
        this.maxLead = maxLead;
        return this;
    }

    /** Capacity of the cluster's task table, used by the kernel that creates it. */
    public int taskSlots() {
        return taskSlots;
    }

    public KernelContext taskSlots(int taskSlots) {
        this.taskSlots = taskSlots;
        return this;
    }

    /**
     * The coherence of the task service's regions: SOFTWARE (the DSM; the default: kernels of every
     * coherence domain share tasks) or HARDWARE (a cluster of one coherence domain).
     */
    public io.archipelago.typed.proto.Coherence taskCoherence() {
        return "hardware".equals(taskCoherence) ? io.archipelago.typed.proto.Coherence.HARDWARE
            : io.archipelago.typed.proto.Coherence.SOFTWARE;
    }

    public KernelContext taskCoherence(String coherence) {
        this.taskCoherence = coherence;
        return this;
    }

    /** Page blocks the kernel claims from the pool at boot, or {@link #EVEN_SHARE}; the balloon brings more on demand. */
    public int initialBlocks() {
        return initialBlocks;
    }

    public KernelContext initialBlocks(int initialBlocks) {
        this.initialBlocks = initialBlocks;
        return this;
    }

    /** At most this many movable pages are moved to empty a nearly free block for the balloon (0: never). */
    public int migrateMaxPages() {
        return migrateMaxPages;
    }

    public KernelContext migrateMaxPages(int migrateMaxPages) {
        this.migrateMaxPages = migrateMaxPages;
        return this;
    }

    /** How long a balloon step waits for the meta-level manager's answer. */
    public Duration balloonRequestTimeout() {
        return balloonRequestTimeout;
    }

    public KernelContext balloonRequestTimeout(Duration balloonRequestTimeout) {
        this.balloonRequestTimeout = balloonRequestTimeout;
        return this;
    }

    @Override
    public String toString() {
        return "KernelContext[cluster=" + clusterName + ", id=" + kernelId + ", island=" + island + ", dataModel=" + dataModel
            + ", cores=" + cores + ", speed=" + speed + ", domain=" + coherenceDomain + ", directory=" + directory + "]";
    }
}
