package io.archipelago.typed.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.typed.DataModel;
import io.archipelago.typed.layout.RecordLayout;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Accessors of a region homed in another coherence domain pay the platform's remote-line cost; all others carry no call. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteLineDelayTest {

    private static final RecordLayout LAYOUT = AccessorTest.layout(DataModel.X86_64);

    /** The invocations of RemoteLineDelay in each method of the class {@code remote} generates, by method name and descriptor. */
    private static List<String> delayCalls(RemoteLineCosts remote) {
        byte[] bytes = AccessorGenerator.classBytes(new AccessorGenerator.Spec(Probe.class, LAYOUT, null, null, false, false, remote),
            nested -> null);
        ClassModel model = ClassFile.of().parse(bytes);
        List<String> calls = new ArrayList<>();
        for (MethodModel method : model.methods()) {
            CodeModel code = method.code().orElse(null);
            if (code == null) {
                continue;
            }
            code.forEach(element -> {
                if (element instanceof InvokeInstruction invoke
                    && invoke.owner().asInternalName().equals(RemoteLineDelay.class.getName().replace('.', '/'))) {
                    calls.add(method.methodName().stringValue() + method.methodType().stringValue());
                }
            });
        }
        return calls;
    }

    @Test
    void aLocalRegionsClassHasNoDelayCall() {
        assertThat(delayCalls(RemoteLineCosts.NONE)).isEmpty();
    }

    @Test
    void aRemoteRegionsClassPaysOnceBeforeEveryLoadAndStore() {
        List<String> calls = delayCalls(new RemoteLineCosts(80, 120));
        // every scalar and pointer getter and setter of Probe (nested struct getters only hand out a view)
        assertThat(calls).contains("l()J", "l(J)V", "p()J", "p(J)V", "grid(II)I", "grid(IJI)V", "flag()Z", "d(D)V")
            .doesNotContain("pair()Lio/archipelago/typed/access/Probe$Pair;");
        assertThat(calls).doesNotHaveDuplicates();
        // only reads: a region whose stores cost nothing extra gets calls in its getters alone
        assertThat(delayCalls(new RemoteLineCosts(80, 0))).contains("l()J").doesNotContain("l(J)V");
    }

    @Test
    void aMemberStraddlingTwoLinesPaysForBoth() {
        assertThat(RemoteLineDelay.lines(0, 8)).isEqualTo(1);
        assertThat(RemoteLineDelay.lines(56, 8)).isEqualTo(1);
        assertThat(RemoteLineDelay.lines(60, 8)).isEqualTo(2);
        assertThat(RemoteLineDelay.lines(64, 1)).isEqualTo(1);
    }

    @Test
    void aRemoteLoadCostsAtLeastTheModelledTime() {
        long modelled = 2_000; // 2 us per line: well above a clock read, so a missing delay cannot pass
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(LAYOUT.size() * 4, 64);
            RegionBinding binding = RegionBinding.arrayOfStructs("remote-probes", 4096, 4, LAYOUT.size());
            Probe remote = AccessorFactory.generated(Probe.class, LAYOUT, segment, binding, null, new RemoteLineCosts(modelled, modelled))
                .view(1);
            Probe local = AccessorFactory.generated(Probe.class, LAYOUT, segment, binding, null).view(1);
            remote.l(7);
            assertThat(local.l()).as("the remote view writes the same memory").isEqualTo(7);
            long fastest = Long.MAX_VALUE;
            long sink = 0;
            for (int i = 0; i < 2_000; i++) {
                long start = System.nanoTime();
                sink += remote.l();
                fastest = Math.min(fastest, System.nanoTime() - start);
            }
            assertThat(sink).isEqualTo(14_000);
            assertThat(fastest).as("the fastest of 2000 remote loads, ns").isGreaterThanOrEqualTo(modelled);
            long fastestLocal = Long.MAX_VALUE;
            for (int i = 0; i < 2_000; i++) {
                long start = System.nanoTime();
                sink += local.l();
                fastestLocal = Math.min(fastestLocal, System.nanoTime() - start);
            }
            assertThat(fastestLocal).as("the fastest of 2000 local loads, ns").isLessThan(modelled);
            long start = System.nanoTime();
            remote.pairs(1).a(3); // one 8-byte store
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(modelled);
        }
    }
}
