package io.archipelago.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The pinger's side of the baselines' command protocol, read on stdin and answered on stdout
 * (what {@link BaselinePair} speaks to {@link SocketPingPong} and {@link CacheLinePingPong}):
 * <pre>
 *   PING n     n round trips, one after the other; answers "SAMPLES n" and n lines of nanoseconds
 *   STREAM n   n words one way; answers "STREAM &lt;elapsed ns&gt;"
 *   EXIT       (or the end of stdin)
 * </pre>
 */
final class PingerCommands {

    /** One way of carrying a word between the two processes. */
    interface Pinger {
        /** One round trip; its nanoseconds. */
        long roundTrip() throws IOException;

        /** {@code count} words one way, until the echo confirmed the last; the nanoseconds it took. */
        long stream(int count) throws IOException;

        /** Tells the echo the run is over. */
        void exit() throws IOException;
    }

    private PingerCommands() {
    }

    static void serve(Pinger pinger) throws IOException {
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        PrintStream out = new PrintStream(new java.io.BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.US_ASCII);
        String command;
        while ((command = commands.readLine()) != null) {
            String[] parts = command.trim().split(" ");
            switch (parts[0]) {
                case "PING" -> {
                    long[] samples = new long[Integer.parseInt(parts[1])];
                    for (int i = 0; i < samples.length; i++) {
                        samples[i] = pinger.roundTrip();
                    }
                    out.println("SAMPLES " + samples.length);
                    for (long sample : samples) {
                        out.println(sample);
                    }
                    out.flush();
                }
                case "STREAM" -> {
                    out.println("STREAM " + pinger.stream(Integer.parseInt(parts[1])));
                    out.flush();
                }
                case "EXIT" -> {
                    pinger.exit();
                    return;
                }
                default -> throw new IOException("unknown command '" + command + "'");
            }
        }
        pinger.exit();
    }
}
