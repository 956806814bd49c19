package io.archipelago.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class WriteBackJournalTest {

    private static final MemoryGeometry SMALL = new MemoryGeometry(16L * 1024 * 1024, 4096, 1024 * 1024, 8);

    @TempDir
    Path dir;

    private static MemorySegment page(Arena arena, byte fill) {
        MemorySegment page = arena.allocate(4096);
        page.fill(fill);
        return page;
    }

    @Test
    void aRecordIsSeenInAnotherMappingOnlyOnceItsWholePageIsThere() {
        Path file = dir.resolve("memory.img");
        try (GlobalMemory writer = GlobalMemory.create(file, "k2", SMALL, 2);
             GlobalMemory reader = GlobalMemory.attach(file, "k2");
             Arena arena = Arena.ofConfined()) {
            WriteBackJournal mine = writer.writeBackJournal();
            WriteBackJournal theirs = reader.writeBackJournal();
            assertThat(theirs.recordsOf(700)).isEmpty();
            WriteBackJournal.Record record = mine.publish(3, 1, 700, 41, page(arena, (byte) 7));
            assertThat(theirs.read(3, 1)).contains(record);
            assertThat(theirs.newest(700, 41)).contains(record);
            assertThat(theirs.newest(700, 40)).as("a record newer than the version taken over is not its truth").isEmpty();
            assertThat(theirs.data(3, 1).get(ValueLayout.JAVA_BYTE, 4095)).isEqualTo((byte) 7);
            assertThat(mine.empty(3, 1)).isFalse();
            assertThat(mine.clear(record)).isTrue();
            assertThat(theirs.read(3, 1)).isEmpty();
        }
    }

    @Test
    void aRecordReversionedByARecoveringKernelCannotBeClearedByItsWriter() {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "k2", SMALL, 2);
             Arena arena = Arena.ofConfined()) {
            WriteBackJournal journal = memory.writeBackJournal();
            WriteBackJournal.Record written = journal.publish(0, 0, 12, 5, page(arena, (byte) 1));
            WriteBackJournal.Record taken = journal.reversion(written, 6).orElseThrow();
            assertThat(journal.clear(written)).as("the writer, resumed after it was recovered from").isFalse();
            assertThat(journal.reversion(written, 6)).isEmpty();
            assertThat(journal.newest(12, 6)).contains(taken);
            assertThat(journal.clear(taken)).isTrue();
            assertThat(journal.empty(0, 0)).isTrue();
        }
    }

    @Test
    void theNewestRecordOfAFrameWinsAcrossKernelsAndAcrossTheVersionWrap() {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "k2", SMALL, 2);
             Arena arena = Arena.ofConfined()) {
            WriteBackJournal journal = memory.writeBackJournal();
            journal.publish(0, 2, 9, Integer.MAX_VALUE, page(arena, (byte) 1));
            WriteBackJournal.Record later = journal.publish(5, 3, 9, Integer.MIN_VALUE, page(arena, (byte) 2));
            journal.publish(1, 0, 10, Integer.MIN_VALUE, page(arena, (byte) 3));
            assertThat(journal.newest(9, Integer.MIN_VALUE + 1)).contains(later);
            assertThat(journal.recordsOf(9)).hasSize(2);
        }
    }

    @Test
    void badSlotsAndPagesAreRefusedWithWhatWasExpected() {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "k2", SMALL, 2);
             Arena arena = Arena.ofConfined()) {
            WriteBackJournal journal = memory.writeBackJournal();
            assertThatThrownBy(() -> journal.read(8, 0)).hasMessageContaining("kernels 0..7");
            assertThatThrownBy(() -> journal.publish(0, WriteBackJournal.SLOTS_PER_KERNEL, 1, 1, page(arena, (byte) 0)))
                .hasMessageContaining("slots 0..3");
            assertThatThrownBy(() -> journal.publish(0, 0, 1, 1, arena.allocate(100))).hasMessageContaining("4096 bytes, found 100");
        }
    }
}
