package io.archipelago.kernel;

import io.archipelago.typed.DataModel;
import java.time.Duration;

/**
 * Every kernel setting's system property, default and valid range, defined here once (after
 * Aeron's {@code Configuration}). {@link KernelContext} starts from these defaults, read through
 * the properties, and checks its values against these ranges in {@link KernelContext#conclude()};
 * the kernel's command line ({@code KernelMain}) and the coordinator's launcher go through that
 * context. The mailbox's settings are {@link io.archipelago.interconnect.mailbox.MailboxConfiguration}'s;
 * only the kernel's own default transport is defined here.
 */
public final class KernelConfiguration {

    public static final String CLUSTER_PROP = "archipelago.cluster";
    public static final String CLUSTER_DEFAULT = "k2";

    /** The cluster directory (default: the cluster's directory under {@code ClusterDirectory.defaultRoot()}). */
    public static final String DIRECTORY_PROP = "archipelago.dir";

    public static final String KERNEL_ID_PROP = "archipelago.kernel.id";
    /** A kernel id of -1 asks the kernel to claim the lowest free id (containers scaled by docker-compose). */
    public static final int CLAIM_KERNEL_ID = -1;

    /** Unique in the cluster (default: {@code <island>-<id>}). */
    public static final String KERNEL_NAME_PROP = "archipelago.kernel.name";
    public static final String KERNEL_NAME_PATTERN = "[a-z0-9][a-z0-9_.-]{0,47}";

    public static final String ISLAND_PROP = "archipelago.island";
    public static final String ISLAND_DEFAULT = "strong";
    public static final String ISLAND_PATTERN = "[a-z0-9][a-z0-9_-]{0,31}";

    public static final String DATA_MODEL_PROP = "archipelago.island.data-model";
    public static final String DATA_MODEL_DEFAULT = DataModel.X86_64.id();

    public static final String CORES_PROP = "archipelago.island.cores";
    public static final int CORES_DEFAULT = 1;
    public static final int CORES_MIN = 1;
    public static final int CORES_MAX = 256;

    /** Relative to the base frequency (1.0); the weak island of K2 runs at 0.25. */
    public static final String SPEED_PROP = "archipelago.island.speed";
    public static final double SPEED_DEFAULT = 1.0;
    public static final double SPEED_MAX = 64;

    public static final String DOMAIN_PROP = "archipelago.island.domain";
    public static final String DOMAIN_DEFAULT = "a";
    /** The modelled platform: a preset's name or its flag text (io.archipelago.interconnect.platform.Platform); default host. */
    public static final String PLATFORM_PROP = "archipelago.platform";
    public static final String DOMAIN_PATTERN = "[A-Za-z0-9_-]{1,32}";

    /** A power model's name (none: no energy accounting). */
    public static final String POWER_MODEL_PROP = "archipelago.island.power-model";
    public static final String POWER_MODEL_DEFAULT = "";

    /** The cluster secret's file (default: {@code <directory>/secret}). */
    public static final String SECRET_FILE_PROP = "archipelago.secret-file";

    public static final String BIND_HOST_PROP = "archipelago.bind-host";
    public static final String BIND_HOST_DEFAULT = "127.0.0.1";

    /** The host peers use to reach this kernel (default: the bind host, or the host name when binding 0.0.0.0). */
    public static final String ADVERTISED_HOST_PROP = "archipelago.advertised-host";

    /**
     * A kernel maps global memory, so its default transport carries words in the rings there; the
     * property is the mailbox's ({@code MailboxConfiguration.TRANSPORT_PROP}), the default is the kernel's.
     */
    public static final String TRANSPORT_DEFAULT = "shm";

    public static final String MAILBOX_PORT_PROP = "archipelago.mailbox.port";
    public static final String CONTROL_PORT_PROP = "archipelago.control.port";
    /** 0: any free port. */
    public static final int PORT_DEFAULT = 0;
    public static final int PORT_MAX = 65535;

    public static final String HEARTBEAT_PROP = "archipelago.heartbeat-interval-ms";
    public static final Duration HEARTBEAT_INTERVAL_DEFAULT = Duration.ofMillis(200);
    public static final Duration HEARTBEAT_INTERVAL_MAX = Duration.ofSeconds(10);

    /** How long a kernel waits for the cluster's files to appear. */
    public static final String ATTACH_TIMEOUT_PROP = "archipelago.attach-timeout-ms";
    public static final Duration ATTACH_TIMEOUT_DEFAULT = Duration.ofSeconds(30);

    /** The process whose exit stops the kernel (its launcher). */
    public static final String WATCH_PID_PROP = "archipelago.watch-pid";
    public static final long WATCH_PID_NONE = -1;

    public static final String BASE_HZ_PROP = "archipelago.sched.base-hz";
    /** The frequency of a core of speed 1.0: a step of N cycles keeps such a core busy N ns. */
    public static final long BASE_HZ_DEFAULT = 1_000_000_000L;
    public static final long BASE_HZ_MIN = 1_000;
    public static final long BASE_HZ_MAX = 100_000_000_000L;

    public static final String TIME_SLICE_PROP = "archipelago.sched.slice-us";
    /** Virtual time a thread runs before a waiting thread gets the core (about Linux CFS's latency target / 2). */
    public static final Duration TIME_SLICE_DEFAULT = Duration.ofMillis(4);
    public static final Duration TIME_SLICE_MIN = Duration.ofNanos(1_000);
    public static final Duration TIME_SLICE_MAX = Duration.ofSeconds(10);

    public static final String MAX_LEAD_PROP = "archipelago.sched.max-lead-us";
    /** How far a core's virtual clock may run ahead of the host's before the core waits (pacing). */
    public static final Duration MAX_LEAD_DEFAULT = Duration.ofMillis(1);
    public static final Duration MAX_LEAD_MAX = Duration.ofSeconds(1);

    public static final String TASK_SLOTS_PROP = "archipelago.tasks.slots";
    public static final int TASK_SLOTS_DEFAULT = 512;
    public static final int TASK_SLOTS_MIN = 16;
    public static final int TASK_SLOTS_MAX = 4096;

    /** software (the DSM: kernels of every coherence domain share tasks) or hardware (one coherence domain). */
    public static final String TASK_COHERENCE_PROP = "archipelago.tasks.coherence";
    public static final String TASK_COHERENCE_DEFAULT = "software";

    public static final String INITIAL_BLOCKS_PROP = "archipelago.memory.initial-blocks";
    /** Initial blocks of -1: the even share of the data blocks among the configured kernels. */
    public static final int EVEN_SHARE = -1;

    public static final String MIGRATE_MAX_PAGES_PROP = "archipelago.balloon.migrate-max-pages";
    /** A nearly free block is emptied by moving at most this many movable pages (a quarter of a 1 MiB block of 4 KiB pages). */
    public static final int MIGRATE_MAX_PAGES_DEFAULT = 64;

    public static final String BALLOON_TIMEOUT_PROP = "archipelago.balloon.request-timeout-ms";
    /** Generous: the manager may have to ask another kernel to inflate (and move pages) first. */
    public static final Duration BALLOON_TIMEOUT_DEFAULT = Duration.ofSeconds(15);

    /** How long an access to a software-coherent page may wait for the page before it fails. */
    public static final String DSM_TIMEOUT_PROP = "archipelago.dsm.timeout-ms";
    public static final Duration DSM_TIMEOUT_DEFAULT = Duration.ofSeconds(10);
    public static final Duration DSM_TIMEOUT_MIN = Duration.ofMillis(1);
    public static final Duration DSM_TIMEOUT_MAX = Duration.ofMinutes(10);

    private KernelConfiguration() {
    }
}
