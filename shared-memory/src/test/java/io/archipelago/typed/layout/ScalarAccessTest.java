package io.archipelago.typed.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ScalarAccessTest {

    @Test
    void integersKeepTheirWidthOrderAndSignAtUnalignedOffsets() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(32);
            ScalarAccess.storeInteger(memory, 3, 4, ByteOrder.BIG_ENDIAN, 0x8000_0001L);
            assertThat(memory.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 3)).as("big-endian: most significant byte first").isEqualTo((byte) 0x80);
            assertThat(ScalarAccess.loadInteger(memory, 3, 4, ByteOrder.BIG_ENDIAN, false)).isEqualTo(0x8000_0001L);
            assertThat(ScalarAccess.loadInteger(memory, 3, 4, ByteOrder.BIG_ENDIAN, true)).isEqualTo((long) (int) 0x8000_0001L);
            ScalarAccess.storeInteger(memory, 9, 2, ByteOrder.LITTLE_ENDIAN, -2);
            assertThat(ScalarAccess.loadInteger(memory, 9, 2, ByteOrder.LITTLE_ENDIAN, true)).isEqualTo(-2);
            assertThat(ScalarAccess.loadInteger(memory, 9, 2, ByteOrder.LITTLE_ENDIAN, false)).isEqualTo(0xFFFE);
            ScalarAccess.storeInteger(memory, 12, 1, ByteOrder.LITTLE_ENDIAN, 0xFF);
            assertThat(ScalarAccess.loadInteger(memory, 12, 1, ByteOrder.BIG_ENDIAN, true)).isEqualTo(-1);
            ScalarAccess.storeInteger(memory, 17, 8, ByteOrder.BIG_ENDIAN, Long.MIN_VALUE + 5);
            assertThat(ScalarAccess.loadInteger(memory, 17, 8, ByteOrder.BIG_ENDIAN, true)).isEqualTo(Long.MIN_VALUE + 5);
            assertThat(ScalarAccess.loadInteger(memory, 17, 8, ByteOrder.LITTLE_ENDIAN, true)).isEqualTo(Long.reverseBytes(Long.MIN_VALUE + 5));
        }
    }

    @Test
    void floatsInBothOrders() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(32);
            ScalarAccess.storeFloat(memory, 1, ByteOrder.BIG_ENDIAN, 1.5f);
            ScalarAccess.storeDouble(memory, 7, ByteOrder.LITTLE_ENDIAN, -2.25);
            assertThat(ScalarAccess.loadFloat(memory, 1, ByteOrder.BIG_ENDIAN)).isEqualTo(1.5f);
            assertThat(ScalarAccess.loadInteger(memory, 1, 4, ByteOrder.BIG_ENDIAN, false)).isEqualTo(Float.floatToRawIntBits(1.5f));
            assertThat(ScalarAccess.loadDouble(memory, 7, ByteOrder.LITTLE_ENDIAN)).isEqualTo(-2.25);
        }
    }

    @Test
    void aWidthThatNoScalarHasIsRefused() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(8);
            assertThatThrownBy(() -> ScalarAccess.loadInteger(memory, 0, 3, ByteOrder.BIG_ENDIAN, true)).hasMessageContaining("found 3");
            assertThatThrownBy(() -> ScalarAccess.storeInteger(memory, 0, 16, ByteOrder.BIG_ENDIAN, 1)).hasMessageContaining("found 16");
        }
    }
}
