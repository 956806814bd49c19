package io.archipelago.bench;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A progress bar for a benchmark on the terminal: redrawn in place with a carriage return when
 * the output is a terminal, otherwise one line per new stage (for logs and CI), on stderr so that
 * stdout keeps only the results.
 *
 * <pre>
 *   shm-vs-msg [##########..........]  50%  ops: read_struct 4 KiB msg  (0:42)
 * </pre>
 */
public final class Progress implements AutoCloseable {

    private static final int WIDTH = 24;

    private final PrintWriter out;
    private final String name;
    private final boolean terminal;
    private final long startNanos = System.nanoTime();
    private long total;
    private long done;
    private String stage = "";
    private int lastLength;
    private boolean finished;

    /**
     * @param terminal redraw in place (a terminal), or print a line per stage
     */
    public Progress(PrintWriter out, String name, long total, boolean terminal) {
        this.out = out;
        this.name = name;
        this.total = Math.max(1, total);
        this.terminal = terminal;
    }

    /** Whether the process's console is an interactive terminal. */
    public static boolean consoleIsTerminal() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** Starts a stage ({@code label}); the bar shows it until the next. */
    public synchronized void stage(String label) {
        boolean changed = !label.equals(stage);
        stage = label;
        if (terminal) {
            redraw();
        } else if (changed) {
            out.println(line());
            out.flush();
        }
    }

    /** {@code units} more of the work are done. */
    public synchronized void advance(long units) {
        done = Math.min(total, done + units);
        if (terminal) {
            redraw();
        }
    }

    /** Grows the total (work discovered on the way). */
    public synchronized void addWork(long units) {
        total += units;
    }

    /** Prints a message above the bar. */
    public synchronized void say(String message) {
        if (terminal) {
            out.print("\r" + " ".repeat(lastLength) + "\r");
            out.println(message);
            redraw();
        } else {
            out.println(name + ": " + message);
            out.flush();
        }
    }

    /** The current bar as text (no carriage return). */
    public synchronized String line() {
        int filled = (int) (WIDTH * done / total);
        long seconds = (System.nanoTime() - startNanos) / 1_000_000_000L;
        return String.format(Locale.ROOT, "%s [%s%s] %3d%%  %s  (%d:%02d)", name, "#".repeat(filled), ".".repeat(WIDTH - filled),
            100 * done / total, stage, seconds / 60, seconds % 60);
    }

    private void redraw() {
        String line = line();
        int pad = Math.max(0, lastLength - line.length());
        out.print("\r" + line + " ".repeat(pad));
        out.flush();
        lastLength = line.length();
    }

    @Override
    public synchronized void close() {
        if (finished) {
            return;
        }
        finished = true;
        done = total;
        if (terminal) {
            redraw();
            out.println();
        } else {
            stage("done");
        }
        out.flush();
    }
}
