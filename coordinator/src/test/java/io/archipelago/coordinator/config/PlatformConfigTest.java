package io.archipelago.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.interconnect.platform.Platform;
import io.archipelago.interconnect.platform.Platform.Costs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class PlatformConfigTest {

    @Test
    void theDefaultInjectsNothing() {
        ClusterConfig config = ClusterConfigLoader.parse("cluster: lab", "t.yaml");
        assertThat(config.platform()).isEqualTo(Platform.HOST);
        assertThat(config.platform().injectsNothing()).isTrue();
    }

    @Test
    void aPresetByName() {
        assertThat(ClusterConfigLoader.parse("platform: omap4", "t.yaml").platform()).isEqualTo(Platform.OMAP4);
        assertThat(ClusterConfigLoader.parse("platform: {preset: cxl-switch}", "t.yaml").platform()).isEqualTo(Platform.CXL_SWITCH);
        assertThat(Platform.OMAP4.costs("a", "b").mailboxWordNs()).isEqualTo(500);
        assertThat(Platform.OMAP4.costs("a", "a")).isEqualTo(Costs.NONE);
    }

    @Test
    void everyFigureOverridesThePreset() {
        Platform platform = ClusterConfigLoader.parse("""
            platform:
              preset: cxl-direct
              between: {mailbox-word: 1.5us, page-transfer: 1GB/s}
              within: {remote-line-read: 20ns}
              pairs:
                - {domains: [b, a], remote-line-write: 2ms}
            """, "t.yaml").platform();
        assertThat(platform.name()).isEqualTo("cxl-direct+overrides");
        assertThat(platform.between()).isEqualTo(new Costs(1500, 80, 80, 4096));
        assertThat(platform.within()).isEqualTo(new Costs(0, 20, 0, 0));
        assertThat(platform.costs("a", "b")).isEqualTo(new Costs(1500, 80, 2_000_000, 4096));
        assertThat(platform.costs("b", "a")).isEqualTo(platform.costs("a", "b"));
        assertThat(Platform.parseFlag(platform.toFlag())).isEqualTo(platform);
    }

    @Test
    void badFiguresAreRefusedWithTheirLine() {
        assertError("platform: sparc", 1, "platform", "expected a preset (host, omap4, cxl-direct, cxl-switch)");
        assertError("platform:\n  preset: omap5", 2, "platform.preset", "expected one of host, omap4");
        assertError("platform:\n  between: {mailbox-wrd: 1us}", 2, "platform.between.mailbox-wrd", "unknown key");
        assertError("platform:\n  between:\n    mailbox-word: 500", 3, "platform.between.mailbox-word", "with its unit");
        assertError("platform:\n  between:\n    mailbox-word: 5 parsecs", 3, "platform.between.mailbox-word", "found '5 parsecs'");
        assertError("platform:\n  between:\n    remote-line-read: -80ns", 3, "platform.between.remote-line-read", "never negative");
        assertError("platform:\n  between:\n    mailbox-word: 1GB/s", 3, "platform.between.mailbox-word", "found '1GB/s'");
        assertError("platform:\n  within:\n    mailbox-word: 11ms", 3, "platform.within.mailbox-word", "0 to 10 ms");
        assertError("platform:\n  pairs:\n    - {domains: [a, z], mailbox-word: 1us}", 3, "platform.pairs[0].domains",
            "expected a coherence domain of an island (a, b), found 'z'");
        assertError("platform:\n  pairs:\n    - {mailbox-word: 1us}", 3, "platform.pairs[0].domains", "names its two coherence domains");
        assertError("platform:\n  pairs:\n    - {domains: [a, b]}\n    - {domains: [b, a]}", 4, "platform.pairs[1].domains", "given twice");
    }

    @Test
    void theFlagTextRoundTripsAndIsChecked() {
        for (Platform preset : Platform.PRESETS) {
            assertThat(Platform.parseFlag(preset.toFlag())).isEqualTo(preset);
            assertThat(Platform.parseFlag(preset.name())).isEqualTo(preset);
        }
        assertThatThrownBy(() -> Platform.parseFlag("x;within=1/2/3;between=0/0/0/0")).hasMessageContaining("four figures");
        assertThatThrownBy(() -> Platform.parseFlag("x;within=0/0/0/-1;between=0/0/0/0")).hasMessageContaining("never negative");
        assertThatThrownBy(() -> Platform.parseFlag("nowhere")).hasMessageContaining("unknown platform 'nowhere'");
    }

    private static void assertError(String yaml, int line, String key, String problem) {
        assertThatThrownBy(() -> ClusterConfigLoader.parse(yaml, "t.yaml")).as(yaml).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.getMessage()).contains(problem);
            assertThat(e.key()).isEqualTo(key);
            assertThat(e.line()).isEqualTo(line);
        });
    }
}
