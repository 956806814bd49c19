package io.archipelago.kernel.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.kernel.task.model.TaskDescriptor;
import io.archipelago.typed.CType;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.Typed;
import io.archipelago.typed.TypedInterface;
import io.archipelago.typed.layout.RecordLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Marshalling typed state between layouts of different data models, as migration by messages does. */
class StateMarshallerTest {

    @Typed("state")
    public interface State {
        @CType("short") int small();
        @CType("unsigned long") long counter();
        @CType("double") double load();
        @CType("void *") long next();
        @CType("int[3]") int values(int i);
    }

    @Test
    void anX86StateIsRebuiltInAPpc32LayoutWithTheSameValues() {
        var type = TypedInterface.of(State.class).record();
        RecordLayout x86 = DataModel.X86_64.layoutEngine().record(type);
        RecordLayout ppc = DataModel.PPC32.layoutEngine().record(type);
        StateMarshaller from = StateMarshaller.of(x86, Set.of());
        StateMarshaller to = StateMarshaller.of(ppc, Set.of());
        from.checkCompatible(to, "state");
        assertThat(from.leaves()).extracting(StateMarshaller.Leaf::path)
            .containsExactly("small", "counter", "load", "next", "values[0]", "values[1]", "values[2]");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment source = arena.allocate(x86.size() * 2, 8);
            for (long e = 0; e < 2; e++) {
                long base = e * x86.size();
                source.set(ValueLayout.JAVA_SHORT, base + x86.member("small").orElseThrow().offset(), (short) -5);
                source.set(ValueLayout.JAVA_LONG, base + x86.member("counter").orElseThrow().offset(), 4_000_000_000L + e);
                source.set(ValueLayout.JAVA_DOUBLE, base + x86.member("load").orElseThrow().offset(), 0.5);
                source.set(ValueLayout.JAVA_LONG, base + x86.member("next").orElseThrow().offset(), 0x1000);
                source.set(ValueLayout.JAVA_INT, base + x86.member("values").orElseThrow().offset() + 8, -1);
            }
            long[] values = new long[from.leavesPerElement() * 2];
            from.read(source, x86.size(), 0, 2, values, 0);
            MemorySegment target = arena.allocate(ppc.size() * 2, 8);
            to.write(target, ppc.size(), 0, 2, values, 0);
            ValueLayout.OfInt bigInt = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
            long base = ppc.size();
            assertThat(target.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), base)).isEqualTo((short) -5);
            assertThat(Integer.toUnsignedLong(target.get(bigInt, base + ppc.member("counter").orElseThrow().offset())))
                .isEqualTo(4_000_000_001L);
            assertThat(target.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), base + ppc.member("load").orElseThrow()
                .offset())).isEqualTo(0.5);
            assertThat(target.get(bigInt, base + ppc.member("values").orElseThrow().offset() + 8)).isEqualTo(-1);

            values[1] = 5_000_000_000L; // does not fit a 4-byte unsigned long
            assertThatThrownBy(() -> to.write(target, ppc.size(), 0, 1, values, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("counter").hasMessageContaining("5000000000").hasMessageContaining("4-byte");
        }
    }

    @Test
    void theDescriptorMarshalsWithoutItsSharedWords() {
        RecordLayout layout = DataModel.ARMV7.layoutEngine().record(TypedInterface.of(TaskDescriptor.class).record());
        StateMarshaller marshaller = StateMarshaller.of(layout, Set.of("owner", "nw_gate"));
        assertThat(marshaller.leaves()).extracting(StateMarshaller.Leaf::path).doesNotContain("owner", "nw_gate").contains("__state", "regs[7]",
            "comm[15]");
    }
}
