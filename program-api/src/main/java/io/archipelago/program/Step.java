package io.archipelago.program;

/**
 * What one step of a program did: the cycles it consumed (its virtual duration is cycles /
 * (island speed x base frequency)) and what the thread does next.
 *
 * @param cycles  cycles the step consumed (at least 1)
 * @param next    what comes after the step
 * @param argument the sleep in virtual nanoseconds (SLEEP), the irq line (WAIT_IRQ) or the exit code (EXIT)
 * @param timeoutNs for WAIT_IRQ: virtual nanoseconds after which a timer wakes the thread anyway (0: none)
 */
public record Step(long cycles, Next next, long argument, long timeoutNs) {

    /** What the thread does after a step. */
    public enum Next {
        /** Runs on (another step, in the same time slice while it lasts). */
        CONTINUE,
        /** Gives up the core: back to the end of the run queue. */
        YIELD,
        /** Blocks until a timer, {@code argument} virtual nanoseconds after the step ends. */
        SLEEP,
        /** Blocks until interrupt line {@code argument} is raised on its kernel (or the timeout passes). */
        WAIT_IRQ,
        /** Ends the thread with exit code {@code argument}. */
        EXIT
    }

    public Step {
        if (cycles < 1) {
            throw new IllegalArgumentException("a step consumes at least 1 cycle, found " + cycles);
        }
        if ((next == Next.SLEEP && argument < 0) || timeoutNs < 0) {
            throw new IllegalArgumentException("sleeps and timeouts are >= 0 ns, found " + argument + " / " + timeoutNs);
        }
        if (next == Next.WAIT_IRQ && (argument < 0 || argument > 0xFF_FFFF)) {
            throw new IllegalArgumentException("an irq line is 0..16777215, found " + argument);
        }
    }

    public static Step next(long cycles) {
        return new Step(cycles, Next.CONTINUE, 0, 0);
    }

    public static Step yield(long cycles) {
        return new Step(cycles, Next.YIELD, 0, 0);
    }

    public static Step sleep(long cycles, long virtualNs) {
        return new Step(cycles, Next.SLEEP, virtualNs, 0);
    }

    public static Step waitIrq(long cycles, int irq, long timeoutNs) {
        return new Step(cycles, Next.WAIT_IRQ, irq, timeoutNs);
    }

    public static Step exit(long cycles, int code) {
        return new Step(cycles, Next.EXIT, code, 0);
    }
}
