package io.archipelago.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressTest {

    @Test
    void onATerminalTheBarIsRedrawnInPlace() {
        StringWriter out = new StringWriter();
        try (Progress progress = new Progress(new PrintWriter(out), "bench x", 4, true)) {
            progress.stage("first");
            progress.advance(1);
            assertThat(progress.line()).startsWith("bench x [######..................]  25%  first");
            progress.advance(1);
            progress.stage("second");
        }
        String text = out.toString();
        assertThat(text).contains("\rbench x [############............]  50%  second").endsWith(System.lineSeparator());
        assertThat(text.chars().filter(c -> c == '\n').count()).as("one line, redrawn").isEqualTo(1);
        assertThat(text).contains("100%");
    }

    @Test
    void elsewhereEachStageIsOneLineAndMessagesArePrefixed() {
        StringWriter out = new StringWriter();
        try (Progress progress = new Progress(new PrintWriter(out), "bench x", 2, false)) {
            progress.stage("first");
            progress.advance(1);
            progress.stage("first");
            progress.say("hello");
            progress.stage("second");
        }
        assertThat(out.toString().lines().toList()).hasSize(4)
            .satisfies(lines -> {
                assertThat(lines.get(0)).contains("  0%  first");
                assertThat(lines.get(1)).isEqualTo("bench x: hello");
                assertThat(lines.get(2)).contains(" 50%  second");
                assertThat(lines.get(3)).contains("100%  done");
            });
        assertThat(out.toString()).doesNotContain("\r");
    }
}
