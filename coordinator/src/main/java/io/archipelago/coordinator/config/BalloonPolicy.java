package io.archipelago.coordinator.config;

import io.archipelago.kernel.KernelConfiguration;
import java.time.Duration;

/**
 * The memory policy of a cluster: how many page blocks each kernel claims at boot, and the
 * thresholds of the meta-level manager that moves blocks between kernels with their balloon
 * drivers (K2 §3.2). In YAML under {@code balloon:} (see {@link ClusterConfigLoader}).
 *
 * @param initialBlocks      blocks each kernel claims at boot, or -1 for the even share of the data blocks
 * @param interval           how often the manager reads every kernel's pressure probes
 * @param pressureFreePages  a kernel with fewer free pages than this is under pressure: the manager
 *                           moves {@code batchBlocks} blocks to it before it runs out
 * @param batchBlocks        blocks moved per request: one WANT/GRANT pair (two mailbox words) moves up to this many
 * @param keepFreeBlocks     a kernel asked to give blocks back keeps at least this many wholly free blocks
 * @param poolLowBlocks      when the pool has fewer free blocks than this, the manager reclaims from idle
 *                           kernels (0: never; blocks still move on demand)
 * @param idleAfter          a kernel that made no allocation for this long is idle
 * @param requestTimeout     how long the manager waits for a kernel to inflate or deflate
 * @param migrateMaxPages    a kernel's balloon empties a nearly free block by moving at most this many
 *                           movable pages out of it (0: never moves pages)
 */
public record BalloonPolicy(int initialBlocks, Duration interval, int pressureFreePages, int batchBlocks, int keepFreeBlocks,
                            int poolLowBlocks, Duration idleAfter, Duration requestTimeout, int migrateMaxPages) {

    public static final int EVEN_SHARE = KernelConfiguration.EVEN_SHARE;

    public static BalloonPolicy defaults() {
        return new BalloonPolicy(EVEN_SHARE, Duration.ofMillis(100), 64, 4, 2, 0, Duration.ofSeconds(2), Duration.ofSeconds(5),
            KernelConfiguration.MIGRATE_MAX_PAGES_DEFAULT);
    }

    public BalloonPolicy withInitialBlocks(int blocks) {
        return new BalloonPolicy(blocks, interval, pressureFreePages, batchBlocks, keepFreeBlocks, poolLowBlocks, idleAfter, requestTimeout,
            migrateMaxPages);
    }

    public BalloonPolicy withPoolLowBlocks(int blocks) {
        return new BalloonPolicy(initialBlocks, interval, pressureFreePages, batchBlocks, keepFreeBlocks, blocks, idleAfter, requestTimeout,
            migrateMaxPages);
    }

    public BalloonPolicy withPressureFreePages(int pages) {
        return new BalloonPolicy(initialBlocks, interval, pages, batchBlocks, keepFreeBlocks, poolLowBlocks, idleAfter, requestTimeout,
            migrateMaxPages);
    }

    public BalloonPolicy withBatchBlocks(int blocks) {
        return new BalloonPolicy(initialBlocks, interval, pressureFreePages, blocks, keepFreeBlocks, poolLowBlocks, idleAfter, requestTimeout,
            migrateMaxPages);
    }

    public BalloonPolicy withIdleAfter(Duration idle) {
        return new BalloonPolicy(initialBlocks, interval, pressureFreePages, batchBlocks, keepFreeBlocks, poolLowBlocks, idle, requestTimeout,
            migrateMaxPages);
    }

    public BalloonPolicy withKeepFreeBlocks(int blocks) {
        return new BalloonPolicy(initialBlocks, interval, pressureFreePages, batchBlocks, blocks, poolLowBlocks, idleAfter, requestTimeout,
            migrateMaxPages);
    }
}
