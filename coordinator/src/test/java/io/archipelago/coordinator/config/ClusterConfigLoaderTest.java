package io.archipelago.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ClusterConfigLoaderTest {

    @Test
    void anEmptyFileIsK2sPlatform() {
        ClusterConfig config = ClusterConfigLoader.parse("", "empty.yaml");
        assertThat(config).isEqualTo(ClusterConfig.k2Default());
        assertThat(config.kernels()).extracting(ClusterConfig.KernelSpec::name).containsExactly("strong-0", "weak-0");
        assertThat(config.islands().get(1)).isEqualTo(new IslandConfig("weak", "armv7", 1, 0.25, "b", "cortex-m3", 1));
    }

    @Test
    void readsEveryKey() {
        ClusterConfig config = ClusterConfigLoader.parse("""
            cluster: lab
            launch: external
            memory: {size: 64MiB, page-size: 4KiB, block-size: 2MiB, max-kernels: 16}
            control: {host: 0.0.0.0, port: 7000}
            mailbox: {transport: unix, fifo-depth: 8}
            heartbeat: {interval-ms: 100, dead-after-ms: 500}
            kernel-jvm-options: [-Xmx128m]
            islands:
              - {name: big, data-model: aarch64, cores: 4, speed: 2.0, domain: x, power-model: 'cortex-a9;active-mw=900', kernels: 2}
              - {name: tiny, data-model: ppc32, kernels: 3}
            """, "lab.yaml");
        assertThat(config.cluster()).isEqualTo("lab");
        assertThat(config.launchesLocally()).isFalse();
        assertThat(config.memory().memoryBytes()).isEqualTo(64L << 20);
        assertThat(config.memory().blockSize()).isEqualTo(2 << 20);
        assertThat(config.memory().maxKernels()).isEqualTo(16);
        assertThat(config.controlHost()).isEqualTo("0.0.0.0");
        assertThat(config.controlPort()).isEqualTo(7000);
        assertThat(config.mailboxTransport()).isEqualTo("unix");
        assertThat(config.fifoDepth()).isEqualTo(8);
        assertThat(config.deadAfter().toMillis()).isEqualTo(500);
        assertThat(config.kernelJvmOptions()).containsExactly("-Xmx128m");
        assertThat(config.totalKernels()).isEqualTo(5);
        assertThat(config.kernels()).extracting(ClusterConfig.KernelSpec::name)
            .containsExactly("big-0", "big-1", "tiny-0", "tiny-1", "tiny-2");
        assertThat(config.kernels().get(4).id()).isEqualTo(4);
        assertThat(config.islands().get(1)).isEqualTo(new IslandConfig("tiny", "ppc32", 1, 1.0, "a", "", 3));
    }

    @Test
    void theMailboxPollIsPartOfTheClusterConfigurationNotOfTheJvmOptions() {
        ClusterConfig config = ClusterConfigLoader.parse("""
            mailbox: {loop-spin-us: 0, loop-poll: always}
            kernel-jvm-options: [-Xmx128m]
            """, "poll.yaml");
        assertThat(config.loopSpinUs()).isZero();
        assertThat(config.loopPoll()).isEqualTo("always");
        assertThat(config.kernelJvmOptions()).containsExactly("-Xmx128m");
        ClusterConfig plain = ClusterConfigLoader.parse("mailbox: {fifo-depth: 8}", "plain.yaml");
        assertThat(plain.kernelJvmOptions()).as("the JVM options stay the defaults").isEqualTo(ClusterConfig.k2Default().kernelJvmOptions());
        assertThat(plain.loopSpinUs()).as("without the keys, the mailbox's defaults apply")
            .isEqualTo(io.archipelago.interconnect.mailbox.MailboxConfiguration.LOOP_SPIN_US_DEFAULT).isEqualTo(50);
        assertThat(plain.loopPoll()).isEqualTo("idle-core");
        assertError("mailbox: {loop-spin-us: 5000}\n", 1, "mailbox.loop-spin-us", "5000");
        assertError("mailbox: {loop-poll: sometimes}\n", 1, "mailbox.loop-poll", "expected one of idle-core, always, found 'sometimes'");
    }

    @Test
    void readsTheDevicesTheClusterBootsWith() {
        assertThat(ClusterConfigLoader.parse("cluster: k2", "k2.yaml").devices()).isEqualTo(DevicesConfig.defaults());
        ClusterConfig config = ClusterConfigLoader.parse("""
            devices: {nic-rate-per-s: 250.5, timer-period-us: 10000, routing: alternate, driver: private}
            """, "devices.yaml");
        assertThat(config.devices()).isEqualTo(new DevicesConfig(250.5, 10_000, "alternate", "private"));
        assertThat(ClusterConfigLoader.parse("devices: {routing: strong}", "d.yaml").devices())
            .isEqualTo(new DevicesConfig(0, 0, "strong", "shared"));
        assertError("devices: {nic-rate-per-s: 50000}\n", 1, "devices.nic-rate-per-s", "expected 0 to 20000 packets per second, found 50000.0");
        assertError("devices: {nic-rate-per-s: fast}\n", 1, "devices.nic-rate-per-s", "found 'fast'");
        assertError("devices: {timer-period-us: 10}\n", 1, "devices.timer-period-us", "at least 1000 us, found 10");
        assertError("devices: {routing: random}\n", 1, "devices.routing", "expected one of k2, strong, alternate, found 'random'");
        assertError("devices: {driver: both}\n", 1, "devices.driver", "expected one of shared, private, found 'both'");
        assertError("devices: {nic: 1}\n", 1, "devices.nic", "unknown key");
    }

    @Test
    void anUnknownKeyIsNamedWithItsLine() {
        assertThatThrownBy(() -> ClusterConfigLoader.parse("""
            cluster: k2
            islands:
              - name: strong
                data-model: x86_64
                corez: 2
            """, "bad.yaml")).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.line()).isEqualTo(5);
            assertThat(e.key()).isEqualTo("islands[0].corez");
            assertThat(e.getMessage()).contains("bad.yaml, line 5").contains("unknown key").contains("cores");
        });
    }

    @Test
    void invalidValuesSayWhatWasExpectedAndFound() {
        assertError("islands: [{name: s, cores: two}]", 1, "islands[0].cores", "expected an integer from 1 to 256, found 'two'");
        assertError("islands: [{name: s, data-model: sparc64}]", 1, "islands[0].data-model", "unknown data model 'sparc64'");
        assertError("islands: [{name: s, speed: -1}]", 1, "islands[0].speed", "above 0");
        assertError("memory:\n  size: lots\n", 2, "memory.size", "expected a size in bytes");
        assertError("memory: {size: 1MiB}\n", 1, "memory", "leaves no data block");
        assertError("mailbox: {transport: carrier-pigeon}", 1, "mailbox.transport", "expected one of shm, tcp, unix");
        assertError("cluster: Not_Valid!", 1, "cluster", "a cluster name is");
        assertError("islands: [{cores: 2}]", 1, "islands[0].name", "every island needs a name");
        assertError("islands: [{name: a}, {name: a}]", 1, "islands[1].name", "defined twice");
        assertError("islands: {name: a}", 1, "islands", "expected a list");
        assertError("heartbeat: {interval-ms: 500, dead-after-ms: 600}", 1, "heartbeat.dead-after-ms", "at least twice");
        assertError("cluster: a\ncluster: b\n", 2, "cluster", "defined twice (first on line 1)");
        assertError("cluster: [unclosed\n", 2, "", "not valid YAML");
        assertError("islands: [{name: a, kernels: 2000}]", 1, "islands[0].kernels", "from 0 to 1024");
        assertError("islands: [{name: a, kernels: 70}]", 1, "islands", "70 kernels, more than memory.max-kernels (64)");
        assertError("memory: {max-kernels: 2}\nislands: [{name: a, kernels: 3}]", 2, "islands", "more than memory.max-kernels");
    }

    @Test
    void aMissingFileIsNamed(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> ClusterConfigLoader.load(missing)).hasMessageContaining(missing.toString()).hasMessageContaining("no such file");
        Path file = dir.resolve("ok.yaml");
        Files.writeString(file, "cluster: from-file\n");
        assertThat(ClusterConfigLoader.load(file).cluster()).isEqualTo("from-file");
    }

    @Test
    void programsAreJarsOrDirectoriesOfJarsRelativeToTheFile(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("conf/lib"));
        Files.write(dir.resolve("conf/my-programs.jar"), new byte[] {1});
        Files.write(dir.resolve("conf/lib/more.jar"), new byte[] {1});
        Path file = dir.resolve("conf/cluster.yaml");
        Files.writeString(file, "cluster: mine\nprograms: [my-programs.jar, lib/]\n");
        assertThat(ClusterConfigLoader.load(file).programs()).containsExactly(dir.resolve("conf/my-programs.jar"), dir.resolve("conf/lib"));
        assertThat(ClusterConfigLoader.parse("", "t.yaml").programs()).isEmpty();

        Files.writeString(file, "cluster: mine\n\nprograms:\n  - my-programs.jar\n  - missing.jar\n");
        assertThatThrownBy(() -> ClusterConfigLoader.load(file)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.line()).isEqualTo(5);
            assertThat(e.key()).isEqualTo("programs[1]");
            assertThat(e.getMessage()).contains("expected a jar or a directory of jars").contains(dir.resolve("conf/missing.jar").toString());
        });
        Files.createDirectories(dir.resolve("conf/empty"));
        Files.writeString(file, "programs: [empty]\n");
        assertThatThrownBy(() -> ClusterConfigLoader.load(file)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.line()).isEqualTo(1);
            assertThat(e.getMessage()).contains("expected jars in the directory").contains("found none");
        });
        Files.writeString(file, "programs: [cluster.yaml]\n");
        assertThatThrownBy(() -> ClusterConfigLoader.load(file)).hasMessageContaining("expected a jar (a file named *.jar)");
        assertError("programs: lib.jar", 1, "programs", "expected a list");
    }

    private static void assertError(String yaml, int line, String key, String problem) {
        assertThatThrownBy(() -> ClusterConfigLoader.parse(yaml, "t.yaml")).as(yaml).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.getMessage()).contains(problem);
            assertThat(e.key()).isEqualTo(key);
            assertThat(e.line()).isEqualTo(line);
        });
    }

    @Test
    void readsTheMemoryPolicy() {
        ClusterConfig config = ClusterConfigLoader.parse("""
            memory: {size: 64MiB}
            balloon:
              initial-blocks: 8
              interval-ms: 50
              pressure-free-pages: 32
              batch-blocks: 6
              keep-free-blocks: 1
              pool-low-blocks: 3
              idle-after-ms: 700
              request-timeout-ms: 2500
              migrate-max-pages: 128
            """, "policy.yaml");
        BalloonPolicy policy = config.balloon();
        assertThat(policy).isEqualTo(new BalloonPolicy(8, java.time.Duration.ofMillis(50), 32, 6, 1, 3, java.time.Duration.ofMillis(700),
            java.time.Duration.ofMillis(2500), 128));
        assertThat(ClusterConfigLoader.parse("balloon: {initial-blocks: even}", "even.yaml").balloon().initialBlocks())
            .isEqualTo(BalloonPolicy.EVEN_SHARE);
        assertThat(ClusterConfig.k2Default().balloon()).isEqualTo(BalloonPolicy.defaults());
    }

    @Test
    void aBadPolicyNamesItsKeyAndLine() {
        assertThatThrownBy(() -> ClusterConfigLoader.parse("""
            cluster: lab
            balloon:
              batch-blocks: 0
            """, "bad.yaml")).isInstanceOf(ConfigException.class)
            .hasMessageContaining("bad.yaml").hasMessageContaining("line 3").hasMessageContaining("balloon.batch-blocks")
            .hasMessageContaining("expected an integer from 1 to 65535, found 0");
        assertThatThrownBy(() -> ClusterConfigLoader.parse("""
            balloon:
              initial-blocks: lots
            """, "bad.yaml")).isInstanceOf(ConfigException.class).hasMessageContaining("line 2")
            .hasMessageContaining("balloon.initial-blocks").hasMessageContaining("expected 'even' or a number of blocks");
        assertThatThrownBy(() -> ClusterConfigLoader.parse("""
            memory: {size: 32MiB}
            balloon:
              initial-blocks: 20
            """, "bad.yaml")).isInstanceOf(ConfigException.class).hasMessageContaining("line 3")
            .hasMessageContaining("2 kernel(s) x 20 block(s) is more than the");
        assertThatThrownBy(() -> ClusterConfigLoader.parse("""
            balloon:
              ballon-size: 3
            """, "bad.yaml")).isInstanceOf(ConfigException.class).hasMessageContaining("line 2")
            .hasMessageContaining("balloon.ballon-size").hasMessageContaining("unknown key");
    }

    /**
     * clusters/sixteen.yaml, the README's scale cluster, loads with the kernel JVM options that trade speed for memory
     * there (C1 only, a small young generation), which stay out of the defaults every other cluster and the benches use.
     */
    @Test
    void sixteenClusterLoadsWithItsOwnMemorySavingJvmOptions() {
        ClusterConfig config = ClusterConfigLoader.load(Path.of("..", "clusters", "sixteen.yaml"));
        assertThat(config.kernels()).hasSize(16);
        assertThat(config.islands()).extracting(IslandConfig::dataModel).containsExactly("x86_64", "armv7", "ppc32", "aarch64");
        assertThat(config.kernelJvmOptions()).contains("-XX:TieredStopAtLevel=1", "-Xmn2m", "-XX:+UseSerialGC");
        assertThat(ClusterConfig.DEFAULT_KERNEL_JVM_OPTIONS).doesNotContain("-XX:TieredStopAtLevel=1", "-Xmn2m");
    }
}
