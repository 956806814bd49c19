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
            assertThat(benchmark.convert()).isEqualTo(20000);
            assertThat(benchmark.scanConverted()).isEqualTo(expected);
            benchmark.writeMorphed();
            assertThat(benchmark.readMorphed()).isEqualTo(benchmark.readInterpreted()).isEqualTo(1);
            benchmark.writeNative();
            assertThat(benchmark.readNative()).isEqualTo(2);
            assertThat(benchmark.nativeRegion.layout().size()).isEqualTo(56);
            assertThat(benchmark.morphedRegion.layout().size()).isEqualTo(48);
        } finally {
            System.clearProperty(TypedAccessBenchmark.ELEMENTS_PROPERTY);
        }
    }
}
