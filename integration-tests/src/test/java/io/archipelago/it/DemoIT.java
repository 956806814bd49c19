package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.testing.MiniCluster;
import io.archipelago.trace.perfetto.Trace;
import io.archipelago.trace.perfetto.TracePacket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code archipelago demo}, the README's first command, as a newcomer runs it: every scene plays
 * on real kernel processes, the facts each scene checks come out true, and nothing is left behind.
 */
@Timeout(600)
class DemoIT {

    private Path home;

    @BeforeEach
    void newHome() {
        home = MiniCluster.newRoot();
    }

    @AfterEach
    void cleanUp() {
        List<ProcessHandle> leftovers = CliLifecycleIT.processesUsing(home);
        leftovers.forEach(ProcessHandle::destroyForcibly);
        MiniCluster.deleteRecursively(home);
        assertThat(leftovers).as("processes left behind by the demo").isEmpty();
    }

    @Test
    void everySceneRunsAndWhatItChecksHolds() throws Exception {
        Path timeline = home.resolve("demo.perfetto-trace");
        Cli.Result demo = Cli.run(Duration.ofMinutes(9), "demo", "--home", home.toString(), "--trace", timeline.toString());
        assertThat(demo.exitCode()).as(demo.toString()).isZero();
        String out = demo.out();
        long scenes = Pattern.compile("(?m)^== \\d+\\. ").matcher(out).results().count();
        assertThat(scenes).as(demo.toString()).isGreaterThanOrEqualTo(6);
        assertThat(out).as(demo.toString())
            .doesNotContain("skipped")
            .contains("sees prio 120, nvcsw 3000000001")          // typed memory: the morphed accessor wrote in place
            .containsPattern("weak-0 DSM counters: faults=[1-9]")   // the DSM moved the page between domains
            .contains("(exact: yes)")                               // a counter migrated four times kept its count
            .contains("its pages are intact: yes")                  // the balloon moved pages without corrupting them
            .contains("invariant holds")                            // no block owned by two kernels
            .containsPattern("NightWatch: +[0-9.]+ mJ")             // the energy comparison ends the demo
            .contains("the same work: yes")
            .contains("timeline: " + timeline)
            .contains("demo done");
        // the timeline has both kernels' steps, and the demo's DSM faults and migrations
        Trace trace = Trace.parseFrom(Files.readAllBytes(timeline));
        List<String> names = trace.getPacketList().stream().filter(TracePacket::hasTrackEvent).map(p -> p.getTrackEvent().getName())
            .filter(name -> !name.isEmpty()).distinct().toList();
        assertThat(names).contains("step", "dsm fault", "migration out", "migration in", "kernel running", "dsm hand-over")
            .as("the balloon act's blocks on the timeline").containsAnyOf("balloon want", "balloon move");
        assertThat(trace.getPacketList().stream().filter(p -> p.hasTrackDescriptor() && p.getTrackDescriptor().hasProcess())
            .map(p -> p.getTrackDescriptor().getProcess().getProcessName())).containsExactlyInAnyOrder("strong-0", "weak-0", "coordinator");
    }
}
