package io.archipelago.kernel;

import static io.archipelago.kernel.KernelConfiguration.*;

import io.archipelago.directory.ClusterDirectory;
import io.archipelago.interconnect.mailbox.MailboxConfiguration;
import io.archipelago.interconnect.mailbox.MailboxContext;
import io.archipelago.interconnect.mailbox.MailboxTransport;
import io.archipelago.interconnect.platform.Platform;
import io.archipelago.typed.DataModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a kernel needs to boot, in one place (after Aeron's {@code MediaDriver.Context}):
 * every setting starts from its default and system property ({@link KernelConfiguration}, where
 * both are defined with the setting's range); fluent setters; and {@link #conclude()} validates
 * them all at once, the mailbox's too (this context owns the kernel's {@link MailboxContext}),
 * and fails with one message listing every problem.
 */
public final class KernelContext {

    private String clusterName = System.getProperty(CLUSTER_PROP, CLUSTER_DEFAULT);
    private Path directory = propertyPath(DIRECTORY_PROP);
    private int kernelId = Integer.getInteger(KERNEL_ID_PROP, CLAIM_KERNEL_ID);
    private String kernelName = System.getProperty(KERNEL_NAME_PROP);
    private String island = System.getProperty(ISLAND_PROP, ISLAND_DEFAULT);
    private String dataModel = System.getProperty(DATA_MODEL_PROP, DATA_MODEL_DEFAULT);
    private int cores = Integer.getInteger(CORES_PROP, CORES_DEFAULT);
    private double speed = propertyDouble(SPEED_PROP, SPEED_DEFAULT);
    private String coherenceDomain = System.getProperty(DOMAIN_PROP, DOMAIN_DEFAULT);
    private String powerModel = System.getProperty(POWER_MODEL_PROP, POWER_MODEL_DEFAULT);
    private Path secretFile = propertyPath(SECRET_FILE_PROP);
    private String bindHost = System.getProperty(BIND_HOST_PROP, BIND_HOST_DEFAULT);
    private String advertisedHost = System.getProperty(ADVERTISED_HOST_PROP);
    private String transport = System.getProperty(MailboxConfiguration.TRANSPORT_PROP, TRANSPORT_DEFAULT);
    private int mailboxPort = Integer.getInteger(MAILBOX_PORT_PROP, PORT_DEFAULT);
    private int controlPort = Integer.getInteger(CONTROL_PORT_PROP, PORT_DEFAULT);
    private Duration heartbeatInterval = propertyMillis(HEARTBEAT_PROP, HEARTBEAT_INTERVAL_DEFAULT);
    private Duration attachTimeout = propertyMillis(ATTACH_TIMEOUT_PROP, ATTACH_TIMEOUT_DEFAULT);
    private long watchPid = Long.getLong(WATCH_PID_PROP, WATCH_PID_NONE);
    private long baseHz = Long.getLong(BASE_HZ_PROP, BASE_HZ_DEFAULT);
    private Duration timeSlice = propertyMicros(TIME_SLICE_PROP, TIME_SLICE_DEFAULT);
    private Duration maxLead = propertyMicros(MAX_LEAD_PROP, MAX_LEAD_DEFAULT);
    private int taskSlots = Integer.getInteger(TASK_SLOTS_PROP, TASK_SLOTS_DEFAULT);
    private String taskCoherence = System.getProperty(TASK_COHERENCE_PROP, TASK_COHERENCE_DEFAULT);
    private int initialBlocks = Integer.getInteger(INITIAL_BLOCKS_PROP, EVEN_SHARE);
    private int migrateMaxPages = Integer.getInteger(MIGRATE_MAX_PAGES_PROP, MIGRATE_MAX_PAGES_DEFAULT);
    private Duration balloonRequestTimeout = propertyMillis(BALLOON_TIMEOUT_PROP, BALLOON_TIMEOUT_DEFAULT);
    private Duration dsmTimeout = propertyMillis(DSM_TIMEOUT_PROP, DSM_TIMEOUT_DEFAULT);
    /** The mailbox's settings (FIFO depth, loop spin and poll, timeouts...): this context owns them and checks them with its own. */
    private final MailboxContext mailbox = new MailboxContext();
    /** The modelled platform ({@link Platform#HOST}: inject nothing), given as its flag text in {@link #PLATFORM_PROP}. */
    private Platform platform = Platform.HOST;
    private String platformProblem;
    /** Every kernel's coherence domain by kernel id, as the cluster configures them: whom the platform's costs apply to. */
    private List<String> kernelDomains = List.of();

    {
        String modelled = System.getProperty(PLATFORM_PROP);
        if (modelled != null) {
            platform(modelled);
        }
    }

    private boolean concluded;
    private DataModel resolvedDataModel;

    private static Path propertyPath(String property) {
        String value = System.getProperty(property);
        return value == null ? null : Path.of(value);
    }

    private static double propertyDouble(String property, double fallback) {
        String value = System.getProperty(property);
        try {
            return value == null ? fallback : Double.parseDouble(value);
        } catch (NumberFormatException e) {
            return Double.NaN; // conclude() names the setting and what it expects
        }
    }

    private static Duration propertyMillis(String property, Duration fallback) {
        return Duration.ofMillis(Long.getLong(property, fallback.toMillis()));
    }

    private static Duration propertyMicros(String property, Duration fallback) {
        return Duration.ofNanos(1000 * Long.getLong(property, fallback.toNanos() / 1000));
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
        if (island == null || !island.matches(ISLAND_PATTERN)) {
            problems.add("island: expected 1-32 characters of a-z, 0-9, '_', '-', found '" + island + "'");
        }
        try {
            resolvedDataModel = DataModel.byId(dataModel);
        } catch (IllegalArgumentException e) {
            problems.add("data model: " + e.getMessage());
        }
        if (cores < CORES_MIN || cores > CORES_MAX) {
            problems.add("cores: expected " + CORES_MIN + " to " + CORES_MAX + ", found " + cores);
        }
        if (!(speed > 0) || speed > SPEED_MAX || Double.isNaN(speed)) {
            problems.add("speed: expected a relative speed > 0 and <= " + (int) SPEED_MAX + " (1.0 = base frequency), found " + speed);
        }
        if (coherenceDomain == null || !coherenceDomain.matches(DOMAIN_PATTERN)) {
            problems.add("coherence domain: expected 1-32 characters of letters, digits, '_', '-', found '" + coherenceDomain + "'");
        }
        if (!MailboxTransport.IDS.contains(transport)) {
            problems.add("mailbox transport: expected 'shm', 'tcp' or 'unix', found '" + transport + "'");
        }
        // the kernel's transport replaces whatever the mailbox read from the same property (reported above when wrong)
        mailbox.transport(MailboxTransport.IDS.contains(transport) ? MailboxTransport.of(transport) : MailboxTransport.of(TRANSPORT_DEFAULT));
        for (String problem : mailbox.settingProblems()) {
            problems.add("mailbox " + problem);
        }
        if (mailboxPort < 0 || mailboxPort > PORT_MAX) {
            problems.add("mailbox port: expected 0 (any) to " + PORT_MAX + ", found " + mailboxPort);
        }
        if (controlPort < 0 || controlPort > PORT_MAX) {
            problems.add("control port: expected 0 (any) to " + PORT_MAX + ", found " + controlPort);
        }
        if (heartbeatInterval.isNegative() || heartbeatInterval.isZero() || heartbeatInterval.compareTo(HEARTBEAT_INTERVAL_MAX) > 0) {
            problems.add("heartbeat interval: expected 1 to " + HEARTBEAT_INTERVAL_MAX.toMillis() + " ms, found " + heartbeatInterval.toMillis()
                + " ms");
        }
        if (dsmTimeout.compareTo(DSM_TIMEOUT_MIN) < 0 || dsmTimeout.compareTo(DSM_TIMEOUT_MAX) > 0) {
            problems.add("dsm timeout: expected " + DSM_TIMEOUT_MIN.toMillis() + " ms to " + DSM_TIMEOUT_MAX.toMinutes() + " min, found "
                + dsmTimeout.toMillis() + " ms");
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
        if (kernelName != null && !kernelName.matches(KERNEL_NAME_PATTERN)) {
            problems.add("kernel name: expected 1-48 characters of a-z, 0-9, '_', '.', '-', found '" + kernelName + "'");
        }
        if (baseHz < BASE_HZ_MIN || baseHz > BASE_HZ_MAX) {
            problems.add("base frequency (" + BASE_HZ_PROP + "): expected 1000 Hz to 100 GHz, found " + baseHz);
        }
        if (timeSlice.compareTo(TIME_SLICE_MIN) < 0 || timeSlice.compareTo(TIME_SLICE_MAX) > 0) {
            problems.add("time slice (" + TIME_SLICE_PROP + "): expected 1 us to 10 s, found " + timeSlice.toNanos() / 1000 + " us");
        }
        if (maxLead.isNegative() || maxLead.compareTo(MAX_LEAD_MAX) > 0) {
            problems.add("max lead (" + MAX_LEAD_PROP + "): expected 0 to 1 s, found " + maxLead.toNanos() / 1000 + " us");
        }
        if (taskSlots < TASK_SLOTS_MIN || taskSlots > TASK_SLOTS_MAX) {
            problems.add("task slots (" + TASK_SLOTS_PROP + "): expected " + TASK_SLOTS_MIN + " to " + TASK_SLOTS_MAX + ", found " + taskSlots);
        }
        if (!"software".equals(taskCoherence) && !"hardware".equals(taskCoherence)) {
            problems.add("task coherence (" + TASK_COHERENCE_PROP + "): expected software or hardware, found '" + taskCoherence + "'");
        }
        if (platformProblem != null) {
            problems.add(platformProblem);
        }
        for (String domain : kernelDomains) {
            if (domain == null || !domain.matches(DOMAIN_PATTERN)) {
                problems.add("kernel domains: expected a coherence domain per kernel id (1-32 characters of letters, digits, '_', '-'), found '"
                    + domain + "' in " + kernelDomains);
                break;
            }
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
        mailbox.wordLatency(this::modelledWordNanos);
        concluded = true;
        return this;
    }

    /** The modelled one-way latency of a mailbox word between this kernel and kernel {@code peer} (0: nothing injected). */
    public long modelledWordNanos(int peer) {
        return modelledCosts(peer).mailboxWordNs();
    }

    /**
     * The platform's costs between this kernel's domain and kernel {@code peer}'s; a peer whose domain
     * the cluster did not configure (a kernel that joined on its own) counts as another domain.
     */
    public Platform.Costs modelledCosts(int peer) {
        if (platform.injectsNothing()) {
            return Platform.Costs.NONE;
        }
        String peerDomain = peer >= 0 && peer < kernelDomains.size() ? kernelDomains.get(peer) : null;
        return peerDomain == null ? platform.between() : platform.costs(coherenceDomain, peerDomain);
    }

    public Platform platform() {
        return platform;
    }

    public KernelContext platform(Platform platform) {
        this.platform = java.util.Objects.requireNonNull(platform, "platform");
        this.platformProblem = null;
        return this;
    }

    /** As {@link #platform(Platform)}, by its flag text or a preset's name; a bad text is reported by {@link #conclude()}. */
    public KernelContext platform(String flag) {
        try {
            return platform(Platform.parseFlag(flag));
        } catch (IllegalArgumentException e) {
            platformProblem = e.getMessage();
            return this;
        }
    }

    public List<String> kernelDomains() {
        return kernelDomains;
    }

    public KernelContext kernelDomains(List<String> domains) {
        this.kernelDomains = List.copyOf(domains);
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

    /** The data model's id as configured (before {@link #conclude()} resolves it). */
    public String dataModelId() {
        return dataModel;
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
        return mailbox.fifoDepth();
    }

    public KernelContext fifoDepth(int fifoDepth) {
        mailbox.fifoDepth(fifoDepth);
        return this;
    }

    /**
     * The kernel's mailbox settings, owned by this context and checked by its {@link #conclude()};
     * the mailbox service adds what only the booted kernel knows (its id, secret, rings and peers).
     */
    public MailboxContext mailbox() {
        return mailbox;
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
