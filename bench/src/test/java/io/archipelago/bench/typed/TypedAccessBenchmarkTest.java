package io.archipelago.bench.typed;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.typed.AccessorKind;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every variant of the typed-access benchmark does the same work and gets the same answer. */
class TypedAccessBenchmarkTest {

    @AfterAll
    static void release() {
        TypedAccessBenchmark.release();
    }

    @Test
    void everyVariantComputesTheSameScan() {
        System.setProperty(TypedAccessBenchmark.ELEMENTS_PROPERTY, "20000");
        try {
            TypedAccessBenchmark benchmark = new TypedAccessBenchmark();
            benchmark.setUp();
            assertThat(benchmark.nativeRegion.accessor()).isEqualTo(AccessorKind.NATIVE);
            assertThat(benchmark.morphedRegion.accessor()).isEqualTo(AccessorKind.MORPHED);
            assertThat(benchmark.morphedRegion.dataModel().id()).isEqualTo("ppc32");
            assertThat(benchmark.interpretedRegion.accessor()).isEqualTo(AccessorKind.INTERPRETED);
            long expected = 0;
            for (int i = 0; i < 20000; i++) {
                expected += i * 1_000_003L + ((i * 7919L) & 0xFFFF_FFFFL) + 100 + i % 40;
            }
            assertThat(benchmark.scanHeap()).isEqualTo(expected);
            assertThat(benchmark.scanNative()).isEqualTo(expected);
            assertThat(benchmark.scanMorphed()).isEqualTo(expected);
            assertThat(benchmark.scanInterpreted()).isEqualTo(expected);
            assertThat(benchmark.scanNativeSameSize()).isEqualTo(expected);
            // the fixture fills the converted region too (so that a fork timing only its scan scans real data): wipe it, so that
            // only convert() can bring the values back
            SchedTask converted = benchmark.convertedRegion.at(0);
            for (int i = 0; i < 20000; i++) {
                benchmark.convertedRegion.moveTo(converted, i);
                converted.vruntime(0);
                converted.nvcsw(0);
                converted.prio(0);
            }
            assertThat(benchmark.scanConverted()).as("the converted region, wiped").isZero();
            assertThat(benchmark.convert()).isEqualTo(20000);
            assertThat(benchmark.scanConverted()).as("the converted region, after convert()").isEqualTo(expected);
            benchmark.writeMorphed();
            assertThat(benchmark.readMorphed()).isEqualTo(benchmark.readInterpreted()).isEqualTo(1);
            benchmark.writeNative();
            assertThat(benchmark.readNative()).isEqualTo(2);
            assertThat(benchmark.morphedRegion.layout().size()).isEqualTo(TypedAccessBenchmark.MORPHED_BYTES);
            // the like-for-like baseline: a native layout of the morphed one's size, member for member at the same offsets
            assertThat(benchmark.nativeSameSizeRegion.accessor()).isEqualTo(AccessorKind.NATIVE);
            assertThat(benchmark.nativeSameSizeRegion.layout().size()).isEqualTo(TypedAccessBenchmark.NATIVE_SAME_SIZE_BYTES);
            assertThat(benchmark.nativeSameSizeRegion.layout().members().stream().map(m -> m.name() + "@" + m.offset()).toList())
                .isEqualTo(benchmark.morphedRegion.layout().members().stream().map(m -> m.name() + "@" + m.offset()).toList());
            assertThat(benchmark.nativeRegion.layout().size()).isEqualTo(TypedAccessBenchmark.NATIVE_BYTES);
        } finally {
            System.clearProperty(TypedAccessBenchmark.ELEMENTS_PROPERTY);
        }
    }
}
