package io.archipelago.kernel.faults;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named protocol points at which a kernel can be made to fail on purpose, to test what a fault
 * there can and cannot lose: the process crashes at once (as {@code kill -9} would leave it: no
 * write-back, no hand-back, no unregistering) or stops itself (as {@code kill -STOP}: it may
 * resume later with {@code kill -CONT}, a kernel the coordinator may meanwhile have declared DEAD).
 * <p>
 * Armed from the JVM property {@value #PROPERTY} ({@code point=action[@ms][,...]}, e.g.
 * {@code -Darchipelago.faults=migration.marked=crash@2000}) when the kernel starts, or with
 * {@link #arm}; each armed point fires once. A point not armed costs one map look-up.
 */
public final class FaultPoints {

    /** The JVM property that arms points when a kernel starts. */
    public static final String PROPERTY = "archipelago.faults";
    /** The exit code of a kernel crashed at a fault point: 128 + SIGKILL, as after {@code kill -9}. */
    public static final int CRASH_EXIT_CODE = 137;

    private static final Logger LOG = LoggerFactory.getLogger(FaultPoints.class);
    private static final Map<Point, Fault> ARMED = new ConcurrentHashMap<>(parse(System.getProperty(PROPERTY, "")));

    /** Where a fault can be injected. */
    public enum Point {
        /** The DSM holder is about to write a page back (the directory still names it). */
        DSM_BEFORE_WRITE_BACK("dsm.before-write-back"),
        /** The DSM holder has copied half of a page back to global memory (its redo record is published). */
        DSM_MID_WRITE_BACK("dsm.mid-write-back"),
        /** The DSM holder wrote the page back and moved the directory to the requester, and has not answered yet. */
        DSM_AFTER_DIRECTORY_CAS("dsm.after-directory-cas"),
        /** A migration's source marked the thread "migrating" and has not sent MIGRATE yet. */
        MIGRATION_MARKED("migration.marked"),
        /** The balloon driver is giving blocks to the pool: some are released, the rest not yet. */
        BALLOON_MID_INFLATE("balloon.mid-inflate"),
        /**
         * The balloon driver is moving a movable allocation out of a block it empties: half of its pages are copied to
         * their new home, which the kernel's page table does not record yet.
         */
        BALLOON_MID_PAGE_MOVE("balloon.mid-page-move"),
        /** A kernel registered BOOTING and started its heartbeat, and has not started its services yet. */
        KERNEL_BOOTING("kernel.booting");

        private final String label;

        Point(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Point byLabel(String label) {
            return Arrays.stream(values()).filter(p -> p.label.equals(label)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "no fault point '" + label + "': expected one of " + Arrays.stream(values()).map(Point::label).toList()));
        }
    }

    /** What happens at an armed point, after {@code delayMs} (the thread that reached it sleeps that long first). */
    public record Fault(Action action, long delayMs) {
        @Override
        public String toString() {
            return action.name().toLowerCase(Locale.ROOT) + (delayMs > 0 ? "@" + delayMs : "");
        }
    }

    /** What happens at an armed point. */
    public enum Action {
        /** The process halts at once with {@link #CRASH_EXIT_CODE}. */
        CRASH,
        /** The process sends itself SIGSTOP. */
        STOP
    }

    private FaultPoints() {
    }

    /** Arms {@code point}: the next time a kernel thread reaches it, {@code action} happens. */
    public static void arm(Point point, Fault fault) {
        ARMED.put(point, fault);
    }

    /** Disarms {@code point} (a fault armed there that never fired would fire at a later, unexpected moment). */
    public static void disarm(Point point) {
        ARMED.remove(point);
    }

    /** The points armed now, by label. */
    public static Map<String, String> armed() {
        return ARMED.entrySet().stream().collect(Collectors.toMap(e -> e.getKey().label(), e -> e.getValue().toString()));
    }

    /** Called by the protocol at {@code point}: fires the fault armed there, if any (once). */
    public static void reached(Point point) {
        if (ARMED.isEmpty()) {
            return;
        }
        Fault fault = ARMED.remove(point);
        if (fault == null) {
            return;
        }
        LOG.error("fault injected at {}: {}", point.label(), fault);
        if (fault.delayMs() > 0) {
            try {
                Thread.sleep(fault.delayMs());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        switch (fault.action()) {
            case CRASH -> Runtime.getRuntime().halt(CRASH_EXIT_CODE);
            case STOP -> stopHere(point);
        }
    }

    /**
     * Stops the whole process before the calling thread takes another step. {@code raise(SIGSTOP)} directs the signal
     * at the calling thread, which enters the group stop on its way back from the system call. A {@code kill -STOP} of
     * the process, sent by a child, wakes just one thread of the group to start the stop, so the thread that reached
     * the point can run on for a while (it did: a balloon move finished and its block was released before the stop
     * took hold); it is only the fallback when {@code raise} cannot be called.
     */
    private static void stopHere(Point point) {
        try {
            int failed = (int) Raise.HANDLE.invokeExact(Raise.SIGSTOP);
            if (failed == 0) {
                return;
            }
            LOG.error("fault at {}: raise(SIGSTOP) returned {}: stopping with kill -STOP", point.label(), failed);
        } catch (Throwable e) {
            LOG.error("fault at {}: raise(SIGSTOP) failed ({}): stopping with kill -STOP", point.label(), e.toString());
        }
        try {
            new ProcessBuilder("kill", "-STOP", Long.toString(ProcessHandle.current().pid())).start().waitFor();
        } catch (IOException e) {
            LOG.error("fault at {}: could not stop this process: {}", point.label(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** C's {@code int raise(int sig)}, linked only when a stop fires (a kernel that never stops loads none of this). */
    private static final class Raise {
        /** SIGSTOP on Linux (x86-64 and aarch64). */
        static final int SIGSTOP = 19;
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("raise").orElseThrow(() -> new IllegalStateException("no raise() in the C library")),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    /**
     * Parses {@code point=action[@ms][,point=action[@ms]...]} ({@code migration.marked=crash@2000}: the thread that
     * reaches the point sleeps 2 s, then the process crashes); one clear error naming what was expected.
     */
    public static Map<Point, Fault> parse(String text) {
        Map<Point, Fault> points = new java.util.EnumMap<>(Point.class);
        for (String item : text.split(",")) {
            String trimmed = item.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            int eq = trimmed.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("fault '" + trimmed + "': expected point=action (action crash or stop)");
            }
            Point point = Point.byLabel(trimmed.substring(0, eq).strip());
            String spec = trimmed.substring(eq + 1).strip();
            int at = spec.indexOf('@');
            try {
                Action action = Action.valueOf((at < 0 ? spec : spec.substring(0, at)).toUpperCase(Locale.ROOT));
                long delay = at < 0 ? 0 : Long.parseLong(spec.substring(at + 1));
                if (delay < 0) {
                    throw new NumberFormatException("negative");
                }
                points.put(point, new Fault(action, delay));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("fault '" + trimmed + "': expected action crash or stop, optionally @<ms> "
                    + "(a delay >= 0), found '" + spec + "'");
            }
        }
        return points;
    }
}
