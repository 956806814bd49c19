package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.coordinator.launch.OsProcess;
import io.archipelago.testing.MiniCluster;
import io.archipelago.trace.perfetto.Trace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The CLI as a user runs it, each command its own process: up --detach, status, up twice, down, bad YAML. */
@Timeout(300)
class CliLifecycleIT {

    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(120);

    private Path home;

    @BeforeEach
    void newHome() {
        home = MiniCluster.newRoot();
    }

    @AfterEach
    void cleanUp() {
        // Whatever happened, leave no process of this cluster behind.
        List<ProcessHandle> leftovers = processesUsing(home);
        leftovers.forEach(ProcessHandle::destroyForcibly);
        MiniCluster.deleteRecursively(home);
        assertThat(leftovers).as("processes left behind by the test").isEmpty();
    }

    @Test
    void upStatusDownLeavesNothingBehind() throws Exception {
        String[] where = {"--home", home.toString(), "--cluster", "cli"};

        Cli.Result status = Cli.run(CLI_TIMEOUT, concat(new String[] {"status"}, where));
        assertThat(status.exitCode()).as(status.toString()).isEqualTo(1);
        assertThat(status.err()).contains("no cluster 'cli' is running").contains("archipelago up");

        Path timeline = home.resolve("cli.perfetto-trace");
        Cli.Result up = Cli.run(CLI_TIMEOUT, concat(new String[] {"up", "--detach", "--trace", timeline.toString()}, where));
        assertThat(up.exitCode()).as(up.toString()).isZero();
        assertThat(up.out()).contains("cluster 'cli' is up").contains("strong-0").contains("weak-0");
        assertThat(timeline).as("the timeline is written when the cluster stops").doesNotExist();

        Cli.Result json = Cli.run(CLI_TIMEOUT, concat(new String[] {"status", "--json"}, where));
        assertThat(json.exitCode()).as(json.toString()).isZero();
        JsonNode root = new ObjectMapper().readTree(json.out());
        assertThat(root.get("cluster").asText()).isEqualTo("cli");
        List<Long> pids = new ArrayList<>();
        for (JsonNode kernel : root.get("kernels")) {
            assertThat(kernel.get("state").asText()).isEqualTo("RUNNING");
            assertThat(kernel.get("uptime_ms").asLong()).isPositive();
            for (String field : List.of("id", "island", "data_model", "domain", "pid")) {
                assertThat(kernel.has(field)).as(field).isTrue();
            }
            pids.add(kernel.get("pid").asLong());
        }
        assertThat(root.get("kernels")).hasSize(2);
        assertThat(root.get("kernels").get(1).get("data_model").asText()).isEqualTo("armv7");
        assertThat(pids).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).hasValue(true));

        Cli.Result table = Cli.run(CLI_TIMEOUT, concat(new String[] {"status"}, where));
        assertThat(table.out()).contains("RUNNING").contains("x86_64").contains("armv7");

        Cli.Result again = Cli.run(CLI_TIMEOUT, concat(new String[] {"up", "--detach"}, where));
        assertThat(again.exitCode()).as(again.toString()).isEqualTo(1);
        assertThat(again.err()).contains("already running");
        Cli.Result againForeground = Cli.run(CLI_TIMEOUT, concat(new String[] {"up"}, where));
        assertThat(againForeground.exitCode()).as(againForeground.toString()).isEqualTo(1);
        assertThat(againForeground.err()).contains("already running").doesNotContain("Exception");

        Cli.Result down = Cli.run(CLI_TIMEOUT, concat(new String[] {"down"}, where));
        assertThat(down.exitCode()).as(down.toString()).isZero();
        assertThat(down.out()).contains("stopped").contains("strong-0").contains("weak-0");
        assertThat(pids).allSatisfy(pid -> assertThat(OsProcess.running(pid)).as("pid %d running", pid).isFalse());
        assertThat(Files.exists(home.resolve("cli").resolve("memory.img"))).isFalse();
        // up --trace: the coordinator wrote both kernels' timeline (and its own interrupts') as it stopped (down returns once it is gone)
        Trace trace = Trace.parseFrom(Files.readAllBytes(timeline));
        assertThat(trace.getPacketList().stream().filter(p -> p.hasTrackDescriptor() && p.getTrackDescriptor().hasProcess())
            .map(p -> p.getTrackDescriptor().getProcess().getProcessName())).containsExactlyInAnyOrder("strong-0", "weak-0", "coordinator");
        assertThat(trace.getPacketList().stream().filter(p -> p.hasTrackEvent() && p.getTrackEvent().getName().equals("kernel running")))
            .hasSize(2);

        Cli.Result after = Cli.run(CLI_TIMEOUT, concat(new String[] {"status"}, where));
        assertThat(after.exitCode()).isEqualTo(1);
        assertThat(after.err()).contains("no cluster 'cli' is running");
    }

    @Test
    void theClusterBootsWithTheDevicesAndTheMailboxPollItsYamlSays() throws Exception {
        Path config = home.resolve("devices.yaml");
        Files.writeString(config, """
            cluster: yamldev
            mailbox: {loop-spin-us: 0, loop-poll: always}
            devices: {timer-period-us: 5000, routing: strong, driver: private}
            """);
        String[] where = {"--home", home.toString(), "--cluster", "yamldev"};
        Cli.Result up = Cli.run(CLI_TIMEOUT, "up", "--detach", "--home", home.toString(), "-c", config.toString());
        assertThat(up.exitCode()).as(up.toString()).isZero();
        try {
            JsonNode status = new ObjectMapper().readTree(Cli.run(CLI_TIMEOUT, concat(new String[] {"status", "--json"}, where)).out());
            for (JsonNode kernel : status.get("kernels")) {
                // the coordinator hands each kernel its context as one set of flags, after the class path: read the whole command
                // line (ProcessHandle's is cut short)
                String commandLine = new String(Files.readAllBytes(Path.of("/proc", kernel.get("pid").asText(), "cmdline")),
                    java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ');
                assertThat(commandLine).as(kernel.get("name").asText()).contains(" --loop-spin-us 0 ", " --loop-poll always ");
            }
            // the timer runs from boot, every tick routed to the strong kernel
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            JsonNode devices;
            do {
                Cli.Result shown = Cli.run(CLI_TIMEOUT, concat(new String[] {"devices", "--json"}, where));
                assertThat(shown.exitCode()).as(shown.toString()).isZero();
                devices = new ObjectMapper().readTree(shown.out());
            } while (strongTimerInterrupts(devices) == 0 && System.nanoTime() - deadline < 0);
            assertThat(devices.get("timer_period_us").asLong()).isEqualTo(5000);
            assertThat(devices.get("routing").asText()).isEqualTo("strong");
            assertThat(devices.get("driver").asText()).isEqualTo("private");
            assertThat(strongTimerInterrupts(devices)).as("timer interrupts on strong-0 within 60 s: " + devices).isPositive();
            for (JsonNode kernel : devices.get("kernels")) {
                if (!kernel.get("strong").asBoolean()) {
                    assertThat(kernel.get("timer").asLong()).as("timer interrupts on the weak kernel").isZero();
                }
            }
        } finally {
            Cli.Result down = Cli.run(CLI_TIMEOUT, concat(new String[] {"down"}, where));
            assertThat(down.exitCode()).as(down.toString()).isZero();
        }
    }

    private static long strongTimerInterrupts(JsonNode devices) {
        long total = 0;
        for (JsonNode kernel : devices.get("kernels")) {
            if (kernel.get("strong").asBoolean()) {
                total += kernel.get("timer").asLong();
            }
        }
        return total;
    }

    @Test
    void badYamlIsRefusedNamingTheKeyAndTheLine() throws Exception {
        Path config = home.resolve("bad.yaml");
        Files.writeString(config, """
            cluster: bad
            islands:
              - name: strong
                data-model: x86_64
                cores: many
            """);
        Cli.Result up = Cli.run(CLI_TIMEOUT, "up", "--home", home.toString(), "-c", config.toString());
        assertThat(up.exitCode()).as(up.toString()).isEqualTo(1);
        assertThat(up.err()).contains("line 5").contains("islands[0].cores").contains("found 'many'").doesNotContain("Exception");
        assertThat(Files.exists(home.resolve("bad"))).as("nothing was created").isFalse();
    }

    static List<ProcessHandle> processesUsing(Path home) {
        return ProcessHandle.allProcesses()
            .filter(p -> p.info().commandLine().map(line -> line.contains(home.toString())).orElse(false))
            .toList();
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
