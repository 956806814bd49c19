package org.example.linkedlist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.archipelago.task.proto.MigrationMode;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.testing.MiniCluster;
import io.archipelago.testing.junit.ClusterExtension;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The linked list on K2's platform (a strong x86_64 kernel and a weak armv7 one, each its own process over one mmap'd
 * global memory): started on x86_64, migrated to armv7 by shared memory (its data stays laid out for x86_64 and
 * armv7 reads and extends it in place), and back by messages; the list must come out whole, extended by both ABIs.
 * The kernels find the program on this test's class path (src/main/resources/META-INF/services).
 */
@ExtendWith(ClusterExtension.class)
class LinkedListTest {

    private static final Duration AWAIT = Duration.ofSeconds(60);
    private static final int NODES = 2000;

    @Test
    @Timeout(300)
    void theListIsExtendedByBothAbisAndSurvivesBothMigrations(MiniCluster cluster) {
        int tid = cluster.run("strong-0", "linked-list", Map.of("nodes", Integer.toString(NODES)));
        TaskInfo started = cluster.awaitTask(tid, t -> t.getSteps() >= 100, "100 nodes into its list", AWAIT);
        assertEquals("x86_64", started.getDataModel(), "the list is laid out for the kernel that created it");

        cluster.migrate(tid, "weak-0");
        TaskInfo onArm = cluster.awaitTask(tid, t -> t.getKernel().equals("weak-0") && t.getRegs(LinkedList.REG_APPENDED) >= 300,
            "extending its list on weak-0", AWAIT);
        assertEquals("x86_64", onArm.getDataModel(), "by shared memory the data stays where it is, in x86_64's layout");

        cluster.migrate(tid, "strong-0", MigrationMode.MESSAGES);
        TaskInfo done = cluster.awaitExit(tid, AWAIT);

        assertEquals("", done.getFailure(), "the program threw");
        assertEquals(0, done.getExitCode(), "the walk found the list broken: " + done.getRegsList());
        assertEquals(NODES, done.getRegs(LinkedList.REG_WALKED));
        assertEquals((long) NODES * (NODES + 1) / 2, done.getRegs(LinkedList.REG_SUM));
        assertEquals(2, done.getMigrations());
        long by64 = done.getRegs(LinkedList.REG_BY_64_BIT);
        long by32 = done.getRegs(LinkedList.REG_BY_32_BIT);
        assertTrue(by64 > 0 && by32 > 0, "both ABIs appended nodes: x86_64 " + by64 + ", armv7 " + by32);
        assertEquals(NODES, by64 + by32);
    }
}
