package io.archipelago.coordinator;

import io.archipelago.control.proto.ClusterControlGrpc;
import io.archipelago.control.proto.ClusterStatus;
import io.archipelago.control.proto.ShutdownReply;
import io.archipelago.control.proto.ShutdownRequest;
import io.archipelago.control.proto.StatusRequest;
import io.archipelago.coordinator.balloon.MemoryManagerService;
import io.archipelago.coordinator.balloon.MetaLevelManager;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.ClusterConfig.KernelSpec;
import io.archipelago.coordinator.launch.KernelLogs;
import io.archipelago.coordinator.launch.KernelProcess;
import io.archipelago.coordinator.launch.LocalKernelLauncher;
import io.archipelago.coordinator.mailbox.CoordinatorMailbox;
import io.archipelago.directory.ClusterDirectory;
import io.archipelago.directory.Membership;
import io.archipelago.directory.OwnerOnlyFiles;
import io.archipelago.typed.registry.RegionRegistry;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.interconnect.mailbox.MemberIds;
import io.archipelago.control.auth.ControlAuthentication;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.trace.TraceRing;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boots and watches one cluster: creates its directory (secret, global memory, region registry, membership),
 * launches its kernels as child processes (or waits for external ones to join), declares a
 * kernel DEAD when it exits or stops heartbeating, and serves the control API.
 */
public final class Coordinator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Coordinator.class);
    private static final long WATCH_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final CoordinatorContext context;
    private final ClusterConfig config;
    private final ClusterDirectory directory;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ClusterSecret secret;
    private final GlobalMemory memory;
    private final Membership membership;
    private final RegionRegistry regions;
    private final CoordinatorMailbox mailbox;
    private final MetaLevelManager manager;
    private final io.archipelago.coordinator.devices.Devices devices;
    /** The coordinator's own ring on the cluster's timeline: its devices' interrupts and where it routed them. */
    private final TraceRing trace;
    private final StatusAssembler statusAssembler;
    /** Liveness from heartbeat counts on our monotonic clock, shared with status so both say the same age. */
    private final HeartbeatJudge heartbeats = new HeartbeatJudge();
    private final LocalKernelLauncher launcher;
    private final Map<Integer, KernelProcess> processes = new ConcurrentHashMap<>();
    private final List<Consumer<ClusterEvent>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong refusedControlCalls = new AtomicLong();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final long startedAtMs = System.currentTimeMillis();
    private final Thread watch;
    private final KernelChannels kernelChannels;
    private Server controlServer;

    private Coordinator(CoordinatorContext context, FileChannel lockChannel, FileLock lock) {
        this.context = context;
        this.config = context.config();
        this.directory = context.clusterDirectory();
        this.lockChannel = lockChannel;
        this.lock = lock;
        prepareDirectory();
        // the configuration's programs (the YAML's programs key) and those handed to up --programs
        List<Path> programs = new ArrayList<>(config.programs());
        programs.addAll(context.programs());
        installPrograms(programs);
        // A secret handed in (a container secret, say) is adopted; otherwise the cluster gets a fresh one.
        // Either way it is written to the cluster directory, where kernels and the CLI find it.
        this.secret = context.secretFile() != null ? ClusterSecret.readFrom(context.secretFile()) : ClusterSecret.generate();
        secret.writeTo(directory.secretFile());
        this.memory = GlobalMemory.create(directory.memoryFile(), config.cluster(), config.memory(), Math.max(1, config.totalKernels()));
        // before membership: a kernel that sees membership.cm finds the region registry too
        this.regions = RegionRegistry.create(directory.regionsFile());
        this.membership = Membership.create(directory.membershipFile());
        // a mailbox member with no endpoint: it links to every running kernel (balloon words now, IRQ words later)
        this.mailbox = CoordinatorMailbox.start(config.cluster(), secret, membership, config.fifoDepth());
        this.manager = new MetaLevelManager(config.balloon(), memory, membership, regions, mailbox.mailbox());
        // the emulated devices (timer, NIC, DMA) deliver IRQ words over the same mailbox, routed by K2's rule
        this.devices = io.archipelago.coordinator.devices.Devices.create(memory, membership, mailbox.mailbox(),
            config.islands().stream().mapToDouble(io.archipelago.coordinator.config.IslandConfig::speed).max().orElse(0));
        devices.configure(config.devices());
        this.trace = TraceRing.create(TraceRing.fileFor(directory.path(), MemberIds.COORDINATOR),
            MemberIds.COORDINATOR, "coordinator", ProcessHandle.current().pid(), TraceRing.DEFAULT_CAPACITY);
        devices.timeline(trace);
        this.statusAssembler = new StatusAssembler(directory, memory, membership, heartbeats);
        this.launcher = new LocalKernelLauncher(config, directory, context.javaExecutable(), context.classPath(), context.jvmOptions());
        this.watch = Thread.ofPlatform().daemon().name("membership-watch-" + config.cluster()).unstarted(this::watchLoop);
        this.kernelChannels = new KernelChannels(secret, "coordinator");
    }

    /**
     * Starts a coordinator and, for a local cluster, its kernels; returns once every kernel is
     * RUNNING.
     *
     * @throws ClusterAlreadyRunningException if a live coordinator holds the cluster
     * @throws IllegalStateException          if a kernel fails to boot in time (with its log)
     */
    public static Coordinator start(CoordinatorContext context) {
        context.conclude();
        ClusterDirectory directory = context.clusterDirectory();
        FileChannel channel = null;
        FileLock lock;
        // 0700, ours, not a link: refused with the path and owners otherwise (before anything is written in it)
        directory.createForOwner();
        try {
            channel = OwnerOnlyFiles.openOwned(directory.coordinatorLockFile(), "coordinator lock", StandardOpenOption.WRITE);
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot create cluster directory " + directory.path() + ": " + e.getMessage(), e);
        }
        if (lock == null) {
            closeQuietly(channel);
            String holder = CoordinatorInfo.readFrom(directory.coordinatorInfoFile())
                .map(info -> " (coordinator pid " + info.pid() + ", control API on " + info.host() + ":" + info.port() + ")").orElse("");
            throw new ClusterAlreadyRunningException("cluster '" + context.config().cluster() + "' is already running" + holder
                + "; see `archipelago status`, or stop it with `archipelago down`");
        }
        Coordinator coordinator;
        try {
            coordinator = new Coordinator(context, channel, lock);
        } catch (RuntimeException e) {
            try {
                lock.release();
            } catch (IOException ignored) {
                // closing the channel below releases it too
            }
            closeQuietly(channel);
            throw e;
        }
        try {
            coordinator.manager.start();
            coordinator.serve();
            // the watch first: it links the coordinator's mailbox to the kernels that are up while the others are launched
            coordinator.watch.start();
            if (coordinator.config.launchesLocally()) {
                // the kernels' class-data archive, when these options have none yet, is dumped before the boot timeout starts:
                // the dump (its own bound) took the whole of it on a loaded machine, and no kernel had been launched
                coordinator.launcher.prepareClassData();
            }
            long bootDeadline = System.nanoTime() + context.bootTimeout().toNanos();
            coordinator.launchAll(bootDeadline);
            if (coordinator.config.launchesLocally()) {
                // one boot timeout for the launch in waves and the wait together
                coordinator.awaitAllRunning(Duration.ofNanos(Math.max(1, bootDeadline - System.nanoTime())));
            }
            coordinator.writeInfo(true);
            return coordinator;
        } catch (RuntimeException e) {
            coordinator.shutdown(Duration.ZERO);
            throw e;
        }
    }

    /**
     * Removes what a previous incarnation of this cluster left (links included), keeping the logs and
     * the lock: its files, its kernels' trace rings, its programs and why its threads failed.
     */
    private void prepareDirectory() {
        try {
            for (Path dir : List.of(directory.path(), TraceRing.fileFor(directory.path(), 0).getParent(), directory.programsDirectory(),
                directory.taskFailuresDirectory())) {
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                    for (Path entry : entries) {
                        if (!Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS) && !entry.equals(directory.coordinatorLockFile())) {
                            Files.deleteIfExists(entry);
                            LOG.debug("removed stale {}", entry);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare cluster directory " + directory.path() + ": " + e.getMessage(), e);
        }
    }

    /** Copies users' program jars into the cluster directory, where every kernel (local or in a container) loads them from. */
    private void installPrograms(List<Path> programs) {
        if (programs.isEmpty()) {
            return;
        }
        Path target = directory.programsDirectory();
        try {
            OwnerOnlyFiles.ownDirectory(target, "programs directory");
            for (Path program : programs) {
                List<Path> jars;
                if (Files.isDirectory(program)) {
                    try (java.util.stream.Stream<Path> listing = Files.list(program)) {
                        jars = listing.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
                    }
                    if (jars.isEmpty()) {
                        throw new IllegalArgumentException("programs: expected jars in " + program + ", found none");
                    }
                } else {
                    jars = List.of(program);
                }
                for (Path jar : jars) {
                    OwnerOnlyFiles.writeAtomically(target.resolve(jar.getFileName().toString()), Files.readAllBytes(jar), true);
                    LOG.info("programs: {} installed for every kernel", jar);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install the programs " + programs + " in " + target + ": " + e.getMessage(), e);
        }
    }

    private void serve() {
        try {
            controlServer = NettyServerBuilder.forAddress(new InetSocketAddress(config.controlHost(), config.controlPort()))
                .addService(ServerInterceptors.intercept(new ControlService(), ControlAuthentication.server(secret, refusedControlCalls)))
                .addService(ServerInterceptors.intercept(new RegionDirectoryService(regions),
                    ControlAuthentication.server(secret, refusedControlCalls)))
                .addService(ServerInterceptors.intercept(new TaskDirectoryService(membership, kernelChannels),
                    ControlAuthentication.server(secret, refusedControlCalls)))
                .addService(ServerInterceptors.intercept(new MemoryManagerService(manager),
                    ControlAuthentication.server(secret, refusedControlCalls)))
                .addService(ServerInterceptors.intercept(new io.archipelago.coordinator.devices.DeviceControlService(devices),
                    ControlAuthentication.server(secret, refusedControlCalls)))
                .build()
                .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the control API on " + config.controlHost() + ":" + config.controlPort()
                + ": " + e.getMessage(), e);
        }
        writeInfo(false);
        LOG.info("cluster '{}' in {}: control API on {}:{}", config.cluster(), directory.path(), config.controlHost(),
            controlServer.getPort());
    }

    private void writeInfo(boolean ready) {
        new CoordinatorInfo(config.cluster(), ProcessHandle.current().pid(), config.controlHost(), controlServer.getPort(), startedAtMs,
            ready).writeTo(directory.coordinatorInfoFile());
    }

    /**
     * Launches the kernels, at most {@link #bootingAtOnce()} booting at a time. A booting JVM is all
     * CPU (class loading, first compilations); sixteen of them at once on two cores each take the
     * whole boot to get anywhere, starve the kernels already up of the time to answer their
     * handshakes and page requests, and ran into those timeouts. In waves, each kernel boots about
     * as fast as one alone, and the total is no longer than all at once.
     */
    private void launchAll(long deadlineNanos) {
        if (!config.launchesLocally()) {
            LOG.info("cluster '{}' launches no kernels itself: {} kernel(s) are expected to join", config.cluster(), config.totalKernels());
            return;
        }
        int atOnce = bootingAtOnce();
        for (KernelSpec spec : config.kernels()) {
            while (booting() >= atOnce && System.nanoTime() - deadlineNanos < 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            launch(spec);
        }
    }

    /** Kernels that may boot at once: one per core, at least two. */
    static int bootingAtOnce() {
        return Math.max(2, Runtime.getRuntime().availableProcessors());
    }

    /** Launched kernels still alive and not yet RUNNING (one that died counts no more: the boot wait reports it). */
    private int booting() {
        int booting = 0;
        for (KernelProcess process : processes.values()) {
            if (!process.alive()) {
                continue;
            }
            Optional<KernelRecord> record = membership.get(process.spec().id());
            if (record.isEmpty() || record.get().getPid() != process.pid() || record.get().getState() != KernelState.RUNNING) {
                booting++;
            }
        }
        return booting;
    }

    private KernelProcess launch(KernelSpec spec) {
        KernelProcess process = launcher.launch(spec);
        processes.put(spec.id(), process);
        publish(new ClusterEvent(ClusterEvent.Kind.LAUNCHED, spec.id(), spec.name(), "pid " + process.pid(), System.currentTimeMillis()));
        return process;
    }

    /** Waits until every configured kernel is RUNNING; fails naming the kernel, with its log, when one dies or the deadline passes. */
    public void awaitAllRunning(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int expected = config.totalKernels();
        while (true) {
            List<KernelRecord> records = membership.all();
            long running = records.stream().filter(r -> r.getState() == KernelState.RUNNING).count();
            if (running >= expected) {
                awaitMailboxLinks(deadline);
                return;
            }
            for (KernelProcess process : processes.values()) {
                if (!process.alive()) {
                    Optional<KernelRecord> record = membership.get(process.spec().id());
                    if (record.isEmpty() || record.get().getPid() == process.pid()) {
                        throw new IllegalStateException("kernel " + process.spec().name() + " " + process.exitDescription()
                            + " while booting; its log (" + process.log() + ") ends with:\n" + tail(process.log(), 15));
                    }
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(new TimeoutException("cluster '" + config.cluster() + "': " + running + " of " + expected
                    + " kernel(s) RUNNING after " + timeout.toMillis() + " ms; not running: " + notRunning(records)));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /**
     * Waits (bounded by the boot deadline) until the coordinator's mailbox is linked to every
     * running kernel: from then on each can send the coordinator balloon requests. Only warns when
     * a link is late: the membership watch keeps trying.
     */
    private void awaitMailboxLinks(long deadline) {
        while (true) {
            List<KernelRecord> records = membership.all();
            mailbox.keepLinked(records);
            if (mailbox.linkedToAll(records)) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                LOG.warn("cluster '{}': the coordinator's mailbox is not linked to every kernel yet; the membership watch keeps trying",
                    config.cluster());
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private String notRunning(List<KernelRecord> records) {
        List<String> missing = new ArrayList<>();
        for (KernelSpec spec : config.kernels()) {
            Optional<KernelRecord> record = records.stream().filter(r -> r.getKernelId() == spec.id()).findFirst();
            missing.add(record.map(r -> r.getState() == KernelState.RUNNING ? null : r.getName() + " (" + r.getState() + ")")
                .orElse(spec.name() + " (not registered)"));
        }
        missing.removeIf(java.util.Objects::isNull);
        return String.join(", ", missing);
    }

    private void watchLoop() {
        while (!stopping.get()) {
            try {
                checkLiveness();
                mailbox.keepLinked(membership.all());
                boundKernelLogs();
            } catch (RuntimeException e) {
                LOG.warn("membership watch: {}", e.toString());
            }
            LockSupport.parkNanos(WATCH_PERIOD_NANOS);
        }
    }

    /**
     * Rotates the logs that grew past their bound ({@link KernelLogs}): every kernel's, and this
     * coordinator's own when `up --detach` started it with its output appended to
     * {@code logs/coordinator.log}. The cluster directory is RAM.
     */
    private void boundKernelLogs() {
        List<Path> logs = new ArrayList<>();
        processes.values().forEach(process -> logs.add(process.log()));
        logs.add(directory.logsDirectory().resolve("coordinator.log"));
        for (Path log : logs) {
            try {
                if (KernelLogs.bound(log, KernelLogs.MAX_BYTES)) {
                    LOG.info("log {} passed {} MiB: its earlier part is now in {}", log, KernelLogs.MAX_BYTES >> 20,
                        KernelLogs.previous(log).getFileName());
                }
            } catch (java.io.IOException e) {
                LOG.warn("cannot bound log {}: {}", log, e.getMessage());
            }
        }
    }

    private void checkLiveness() {
        long deadAfter = config.deadAfter().toMillis();
        for (KernelRecord record : membership.all()) {
            KernelState state = record.getState();
            if (state == KernelState.DEAD || state == KernelState.KERNEL_STATE_UNSPECIFIED) {
                continue;
            }
            KernelProcess process = processes.get(record.getKernelId());
            if (process != null && process.pid() == record.getPid() && !process.alive()) {
                declareDead(record, process.exitDescription());
                continue;
            }
            KernelCountersArea area = memory.countersArea(record.getKernelId());
            // the count of this incarnation, once it has claimed its area; before that (booting) nothing moves and silence
            // runs from when we first saw the record. Judged on our monotonic clock: no wall clock, so no clock step, decides.
            long beats = area.incarnation() == record.getIncarnation() ? area.heartbeats() : -1;
            long silence = TimeUnit.NANOSECONDS.toMillis(heartbeats.silenceNanos(record.getKernelId(), record.getIncarnation(), beats));
            // A booting JVM (class loading, first compilations) can starve its heartbeat thread on a busy machine: it gets the
            // boot timeout; a RUNNING kernel gets dead-after. A launched kernel that exits is DEAD at once either way.
            long limit = state == KernelState.BOOTING ? Math.max(deadAfter, context.bootTimeout().toMillis()) : deadAfter;
            if (silence > limit) {
                if (process != null && process.pid() == record.getPid() && process.alive()) {
                    // fence it first: a kernel declared dead must not come back by itself, nor use the blocks taken back from it
                    process.process().destroyForcibly();
                    try {
                        process.process().waitFor(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                declareDead(record, "no heartbeat for " + silence + " ms (limit " + limit + " ms)");
            }
        }
    }

    /**
     * Takes the kernel's page blocks back (the meta-level manager keeps those its registered
     * regions live in), then marks it DEAD: in that order, so that a restart of the id, which
     * needs a DEAD record, never races the taking back. A kernel the coordinator could not
     * fence (one it did not launch) stops by itself when it sees its record DEAD.
     */
    private void declareDead(KernelRecord record, String reason) {
        manager.reclaimDead(record);
        Optional<KernelRecord> updated = membership.update(record.getKernelId(), current ->
            current.getIncarnation() == record.getIncarnation() && current.getState() != KernelState.DEAD
                ? current.toBuilder().setState(KernelState.DEAD).setReason(reason).build() : current);
        if (updated.isPresent() && updated.get().getState() == KernelState.DEAD && updated.get().getReason().equals(reason)) {
            publish(new ClusterEvent(ClusterEvent.Kind.DEAD, record.getKernelId(), record.getName(), reason, System.currentTimeMillis()));
        }
    }

    private void publish(ClusterEvent event) {
        if (event.kind() == ClusterEvent.Kind.DEAD) {
            LOG.warn("{}", event);
        } else {
            LOG.info("{}", event);
        }
        for (Consumer<ClusterEvent> listener : listeners) {
            listener.accept(event);
        }
    }

    public void onEvent(Consumer<ClusterEvent> listener) {
        listeners.add(listener);
    }

    public ClusterStatus status() {
        return statusAssembler.status(ProcessHandle.current().pid(), startedAtMs).toBuilder().setPlatform(config.platform().toFlag()).build();
    }

    public ClusterConfig config() {
        return config;
    }

    public ClusterDirectory directory() {
        return directory;
    }

    public GlobalMemory memory() {
        return memory;
    }

    public Membership membership() {
        return membership;
    }

    /** The coordinator's mailbox (member {@code MemberIds.COORDINATOR}): linked to every running kernel. */
    public CoordinatorMailbox mailbox() {
        return mailbox;
    }

    /** The emulated devices and K2's interrupt routing. */
    public io.archipelago.coordinator.devices.Devices devices() {
        return devices;
    }

    /** The balloon meta-level manager (K2's independent memory services). */
    public MetaLevelManager manager() {
        return manager;
    }

    /** The region registry of typed shared memory (regions.cm): global name to contract. */
    public RegionRegistry regions() {
        return regions;
    }

    public ClusterSecret secret() {
        return secret;
    }

    public int controlPort() {
        return controlServer.getPort();
    }

    public long refusedControlCalls() {
        return refusedControlCalls.get();
    }

    public Optional<KernelProcess> process(int kernelId) {
        return Optional.ofNullable(processes.get(kernelId));
    }

    /** Sends SIGKILL to a kernel this coordinator launched (tests and fault injection). */
    public void kill(int kernelId) {
        KernelProcess process = process(kernelId).orElseThrow(() ->
            new IllegalArgumentException("kernel " + kernelId + " was not launched by this coordinator"));
        process.process().destroyForcibly();
    }

    /**
     * Launches a kernel again from its configuration, after it died or was stopped; returns once
     * it is RUNNING.
     */
    public KernelProcess restart(int kernelId, Duration timeout) {
        KernelSpec spec = config.kernels().stream().filter(k -> k.id() == kernelId).findFirst().orElseThrow(() ->
            new IllegalArgumentException("no kernel " + kernelId + " in the configuration of cluster '" + config.cluster() + "'"));
        KernelProcess previous = processes.get(kernelId);
        if (previous != null && previous.alive()) {
            throw new IllegalStateException("kernel " + spec.name() + " is still running (pid " + previous.pid() + ")");
        }
        KernelProcess process = launch(spec);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<KernelRecord> record = membership.get(kernelId);
            if (record.isPresent() && record.get().getPid() == process.pid() && record.get().getState() == KernelState.RUNNING) {
                publish(new ClusterEvent(ClusterEvent.Kind.RESTARTED, kernelId, spec.name(), "pid " + process.pid(), System.currentTimeMillis()));
                return process;
            }
            if (!process.alive()) {
                throw new IllegalStateException("kernel " + spec.name() + " " + process.exitDescription() + " while restarting; its log ends with:\n"
                    + tail(process.log(), 15));
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("kernel " + spec.name() + " was not RUNNING " + timeout.toMillis() + " ms after its restart");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /** Blocks until the coordinator has stopped (by {@link #shutdown}, the control API or a signal). */
    public void awaitTermination() throws InterruptedException {
        stopped.await();
    }

    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Stops every kernel it launched (SIGTERM, then SIGKILL after {@code grace}), the control
     * API, and removes the cluster's files except its logs. Idempotent.
     *
     * @return the names of the kernels that were stopped
     */
    public List<String> shutdown(Duration grace) {
        if (!stopping.compareAndSet(false, true)) {
            try {
                stopped.await(grace.toMillis() + 10_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return List.of();
        }
        List<String> stoppedKernels = new ArrayList<>();
        try {
            watch.interrupt();
            devices.close();
            manager.close();
            List<KernelProcess> live = processes.values().stream().filter(KernelProcess::alive).toList();
            live.forEach(p -> p.process().destroy());
            long deadline = System.nanoTime() + grace.toNanos();
            for (KernelProcess process : live) {
                long left = Math.max(0, deadline - System.nanoTime());
                try {
                    if (!process.process().waitFor(left, TimeUnit.NANOSECONDS)) {
                        LOG.warn("kernel {} did not stop within {} ms of SIGTERM; killing it", process.spec().name(), grace.toMillis());
                        process.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    process.process().destroyForcibly();
                }
                stoppedKernels.add(process.spec().name());
                publish(new ClusterEvent(ClusterEvent.Kind.STOPPED, process.spec().id(), process.spec().name(),
                    process.exitDescription(), System.currentTimeMillis()));
            }
            if (controlServer != null) {
                controlServer.shutdown();
                try {
                    if (!controlServer.awaitTermination(2, TimeUnit.SECONDS)) {
                        controlServer.shutdownNow();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    controlServer.shutdownNow();
                }
            }
        } finally {
            kernelChannels.close();
            mailbox.close();
            membership.close();
            regions.close();
            memory.close();
            devices.timeline(null);
            trace.close(); // the ring's file stays: trace save reads it after the cluster stopped
            List<Path> files = new ArrayList<>(directory.runtimeFiles());
            for (KernelSpec kernel : config.kernels()) {
                files.add(directory.mailboxSocket(kernel.id())); // left behind by kernels killed with -9
            }
            for (Path file : files) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    LOG.warn("cannot remove {}: {}", file, e.getMessage());
                }
            }
            try {
                lock.release();
            } catch (IOException e) {
                LOG.warn("cannot release {}: {}", directory.coordinatorLockFile(), e.getMessage());
            }
            closeQuietly(lockChannel);
            stopped.countDown();
            LOG.info("cluster '{}' stopped", config.cluster());
        }
        return stoppedKernels;
    }

    @Override
    public void close() {
        shutdown(context.stopGrace());
    }

    static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return "  | " + String.join("\n  | ", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "  (cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing to do: the lock goes with the process anyway
            }
        }
    }

    private final class ControlService extends ClusterControlGrpc.ClusterControlImplBase {
        @Override
        public void status(StatusRequest request, StreamObserver<ClusterStatus> responseObserver) {
            responseObserver.onNext(Coordinator.this.status());
            responseObserver.onCompleted();
        }

        @Override
        public void shutdown(ShutdownRequest request, StreamObserver<ShutdownReply> responseObserver) {
            Duration grace = request.getGraceMs() > 0 ? Duration.ofMillis(request.getGraceMs()) : context.stopGrace();
            List<String> names = processes.values().stream().filter(KernelProcess::alive).map(p -> p.spec().name()).toList();
            responseObserver.onNext(ShutdownReply.newBuilder().addAllStopped(names).build());
            responseObserver.onCompleted();
            Thread.ofPlatform().name("coordinator-shutdown").start(() -> Coordinator.this.shutdown(grace));
        }
    }
}
