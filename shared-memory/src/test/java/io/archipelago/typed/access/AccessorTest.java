package io.archipelago.typed.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.typed.DataModel;
import io.archipelago.typed.TypedInterface;
import io.archipelago.typed.ValueDoesNotFitException;
import io.archipelago.typed.header.HeaderParser;
import io.archipelago.typed.layout.RecordLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccessorTest {

    private static final String HEADER = """
        struct pair { long long a; char b; };
        struct probe {
            long l; int i; short s; signed char b; unsigned short c; unsigned int ui; _Bool flag; double d; float f; void *p;
            int grid[3][2]; struct pair pair; struct pair pairs[2];
        };
        """;

    /** The probe struct as {@code model} lays it out (the remote-line tests use it too). */
    static RecordLayout layout(DataModel model) {
        return model.layoutEngine().record(HeaderParser.parse("probe.h", HEADER).record("probe"));
    }

    private static <T> List<T> views(Class<T> view, RecordLayout layout, MemorySegment segment, long count) {
        RegionBinding binding = RegionBinding.arrayOfStructs("probes", 4096, count, layout.size());
        return List.of(AccessorFactory.generated(view, layout, segment, binding, null).view(1),
            AccessorFactory.interpreted(view, layout, segment, binding, null).view(1));
    }

    @Test
    void aLongStoredInFourBigEndianBytesReadsSignExtended() {
        RecordLayout ppc = layout(DataModel.PPC32);
        assertThat(ppc.member("l").orElseThrow().size()).isEqualTo(4);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(ppc.size() * 3);
            long element = ppc.size();
            segment.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), element, -5);
            for (Probe probe : views(Probe.class, ppc, segment, 3)) {
                assertThat(probe.l()).as("%s", probe).isEqualTo(-5L);
                probe.l(Integer.MIN_VALUE);
                assertThat(segment.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), element)).isEqualTo(Integer.MIN_VALUE);
                assertThatThrownBy(() -> probe.l(1L << 31)).isInstanceOf(ValueDoesNotFitException.class)
                    .hasMessage("cannot write 2147483648 to member 'l' of struct probe (long: 4 bytes, big-endian): it holds "
                        + "-2147483648..2147483647 (no silent truncation)");
                assertThat(probe.l()).as("nothing written by a refused write").isEqualTo(Integer.MIN_VALUE);
                probe.l(-5);
            }
        }
    }

    @Test
    void unsignedTypesZeroExtendAndRefuseNegativeValues() {
        RecordLayout arm = layout(DataModel.ARMV7);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(arm.size() * 3);
            long ui = arm.size() + arm.member("ui").orElseThrow().offset();
            long c = arm.size() + arm.member("c").orElseThrow().offset();
            for (Probe probe : views(Probe.class, arm, segment, 3)) {
                segment.set(ValueLayout.JAVA_INT_UNALIGNED, ui, -1);
                segment.set(ValueLayout.JAVA_SHORT_UNALIGNED, c, (short) -1);
                assertThat(probe.ui()).isEqualTo(0xFFFF_FFFFL);
                assertThat(probe.c()).isEqualTo((char) 0xFFFF);
                assertThatThrownBy(() -> probe.ui(-1)).isInstanceOf(ValueDoesNotFitException.class).hasMessageContaining("0..4294967295");
                assertThatThrownBy(() -> probe.ui(1L << 32)).isInstanceOf(ValueDoesNotFitException.class);
                probe.ui(4_000_000_000L);
                assertThat(segment.get(ValueLayout.JAVA_INT_UNALIGNED, ui)).isEqualTo((int) 4_000_000_000L);
            }
        }
    }

    @Test
    void nestedStructsArraysAndPointersInPlace() {
        for (DataModel model : DataModel.values()) {
            RecordLayout layout = layout(model);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment segment = arena.allocate(layout.size() * 3);
                List<Probe> both = views(Probe.class, layout, segment, 3);
                Probe generated = both.get(0);
                generated.grid(2, 1, 77);
                generated.pairs(1).a(-123456789012L);
                generated.pair().b((byte) 7);
                if (model.abi().charSigned()) {
                    generated.pairs(0).b((byte) -7);
                } else {
                    // plain char is unsigned on aarch64, armv7 and ppc32: -7 does not fit
                    assertThatThrownBy(() -> generated.pairs(0).b((byte) -7)).isInstanceOf(ValueDoesNotFitException.class)
                        .hasMessageContaining("(char: 1 byte): it holds 0..255");
                }
                generated.p(0xFFFF_0000L);
                generated.d(2.5);
                generated.f(1.25f);
                generated.flag(true);
                for (Probe probe : both) {
                    assertThat(probe.grid(2, 1)).as("%s on %s", probe, model).isEqualTo(77);
                    assertThat(probe.pairs(1).a()).isEqualTo(-123456789012L);
                    assertThat(probe.pair().b()).isEqualTo((byte) 7);
                    assertThat(probe.p()).isEqualTo(0xFFFF_0000L);
                    assertThat(probe.d()).isEqualTo(2.5);
                    assertThat(probe.f()).isEqualTo(1.25f);
                    assertThat(probe.flag()).isTrue();
                    assertThat(probe.index()).isEqualTo(1);
                    assertThat(probe.globalAddress()).isEqualTo(4096 + layout.size());
                    assertThat(probe.regionName()).isEqualTo("probes");
                    assertThatThrownBy(() -> probe.grid(3, 0)).isInstanceOf(IndexOutOfBoundsException.class)
                        .hasMessage("index 3 is outside dimension 1 of member 'grid' of struct probe [3] (0..2)");
                    assertThatThrownBy(() -> probe.pairs(2)).isInstanceOf(IndexOutOfBoundsException.class);
                }
                long grid = layout.size() + layout.member("grid").orElseThrow().offset() + (2 * 2 + 1) * 4;
                assertThat(segment.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(model.byteOrder()), grid)).isEqualTo(77);
                if (model.pointerBytes() == 4) {
                    assertThatThrownBy(() -> generated.p(1L << 32)).isInstanceOf(ValueDoesNotFitException.class)
                        .hasMessageContaining("4-byte pointer");
                }
            }
        }
    }

    @Test
    void oneClassPerInterfaceAndLayout() {
        RecordLayout layout = layout(DataModel.I386);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(layout.size() * 2);
            RegionBinding a = RegionBinding.arrayOfStructs("a", 0, 2, layout.size());
            RegionBinding b = RegionBinding.arrayOfStructs("b", 8192, 2, layout.size());
            Probe first = AccessorFactory.generated(Probe.class, layout, segment, a, null).view(0);
            int classes = AccessorFactory.generatedClasses();
            Probe second = AccessorFactory.generated(Probe.class, layout, segment, b, null).view(1);
            assertThat(second.getClass()).isSameAs(first.getClass());
            assertThat(AccessorFactory.generatedClasses()).isEqualTo(classes);
            assertThat(first.getClass().isHidden()).isTrue();
            Probe other = AccessorFactory.generated(Probe.class, layout(DataModel.X86_64), arena.allocate(layout(DataModel.X86_64).size()),
                RegionBinding.arrayOfStructs("c", 0, 1, layout(DataModel.X86_64).size()), null).view(0);
            assertThat(other.getClass()).isNotSameAs(first.getClass());
        }
    }

    @Test
    void softwareCoherentAccessorsEnterAndExitTheGuardAroundEveryAccessAndHardwareOnesHaveNoGuard() {
        RecordLayout layout = layout(DataModel.X86_64);
        List<String> calls = new java.util.ArrayList<>();
        AccessGuard guard = new AccessGuard() {
            @Override
            public void enter(long offset, int width, boolean write) {
                calls.add((write ? "write " : "read ") + offset + "/" + width);
            }

            @Override
            public void exit(long offset, int width) {
                calls.add("exit " + offset + "/" + width);
            }

            @Override
            public Section exclusive(long offset, long length) {
                throw new UnsupportedOperationException();
            }
        };
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(layout.size() * 2);
            RegionBinding binding = RegionBinding.arrayOfStructs("dsm", 0, 2, layout.size());
            long i = layout.size() + layout.member("i").orElseThrow().offset();
            for (ViewFactory<Probe> factory : List.of(AccessorFactory.generated(Probe.class, layout, segment, binding, guard),
                AccessorFactory.interpreted(Probe.class, layout, segment, binding, guard))) {
                calls.clear();
                Probe probe = factory.view(1);
                probe.i(5);
                probe.i();
                probe.pair().a();
                long pair = layout.size() + layout.member("pair").orElseThrow().offset();
                assertThat(calls).containsExactly("write " + i + "/4", "exit " + i + "/4", "read " + i + "/4", "exit " + i + "/4",
                    "read " + pair + "/8", "exit " + pair + "/8");
                // A value that does not fit is refused before the guard is entered: no enter without exit.
                calls.clear();
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> probe.ui(-1L)).hasMessageContaining("-1");
                assertThat(calls.stream().filter(c -> c.startsWith("write")).count())
                    .isEqualTo(calls.stream().filter(c -> c.startsWith("exit")).count());
            }
            Probe hardware = AccessorFactory.generated(Probe.class, layout, segment, binding, null).view(1);
            Probe software = AccessorFactory.generated(Probe.class, layout, segment, binding, guard).view(1);
            assertThat(hardware.getClass()).isNotSameAs(software.getClass());
            assertThat(hardware.getClass().getName()).doesNotContain("Guarded");
        }
    }

    @Test
    void structOfArraysPutsEachMemberInItsColumn() {
        RecordLayout layout = layout(DataModel.AARCH64);
        int count = 5;
        long[] offsets = new long[layout.members().size()];
        long[] strides = new long[layout.members().size()];
        long at = 0;
        for (int m = 0; m < offsets.length; m++) {
            offsets[m] = at;
            strides[m] = layout.members().get(m).size();
            at += strides[m] * count;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(at);
            RegionBinding binding = RegionBinding.structOfArrays("soa", 0, count, offsets, strides);
            ViewFactory<Probe> generated = AccessorFactory.generated(Probe.class, layout, segment, binding, null);
            ViewFactory<Probe> interpreted = AccessorFactory.interpreted(Probe.class, layout, segment, binding, null);
            Probe cursor = generated.view(0);
            for (int e = 0; e < count; e++) {
                generated.moveTo(cursor, e);
                cursor.i(100 + e);
                cursor.pairs(1).a(e * 1000L);
            }
            int iColumn = 1;
            assertThat(layout.members().get(iColumn).name()).isEqualTo("i");
            for (int e = 0; e < count; e++) {
                assertThat(segment.get(ValueLayout.JAVA_INT_UNALIGNED, offsets[iColumn] + e * 4L)).isEqualTo(100 + e);
                assertThat(interpreted.view(e).i()).isEqualTo(100 + e);
                assertThat(interpreted.view(e).pairs(1).a()).isEqualTo(e * 1000L);
            }
        }
    }

    @Test
    void theDescriptionMatchesTheHeader() {
        for (DataModel model : DataModel.values()) {
            assertThat(model.layoutEngine().record(TypedInterface.of(Probe.class).record())).isEqualTo(layout(model));
        }
    }
}
