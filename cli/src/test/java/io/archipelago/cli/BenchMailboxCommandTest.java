package io.archipelago.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code bench mailbox}'s settings are checked before any cluster boots, each refusal naming the option and what it found. */
@Timeout(60)
class BenchMailboxCommandTest {

    private static String refused(String... args) {
        CommandLine cli = Archipelago.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        int exit = cli.execute(args);
        assertThat(exit).as(err.toString()).isNotZero();
        return err.toString();
    }

    @Test
    void badLoopSettingsAreRefusedBeforeAnyClusterBoots() {
        assertThat(refused("bench", "mailbox", "--loop-spin-us", "5000")).contains("--loop-spin-us: expected 0 to 1000 microseconds, found 5000")
            .doesNotContain("booting");
        assertThat(refused("bench", "mailbox", "--loop-spin-us", "-1")).contains("found -1");
        assertThat(refused("bench", "mailbox", "--loop-poll", "sometimes")).contains("--loop-poll: expected idle-core or always, found 'sometimes'");
        assertThat(refused("bench", "mailbox", "--spin-us", "20000")).contains("--spin-us: expected 0 to 10000 microseconds, found 20000");
        assertThat(refused("bench", "mailbox", "--io", "dpdk")).contains("--io: expected auto, epoll or nio, found 'dpdk'");
    }
}
