package io.archipelago.interconnect.urpc;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Linux's futex on a word of global memory: the URPC doorbell that wakes a kernel's dispatcher
 * directly, from any process that maps the same file (a shared, not a private, futex: the kernel
 * keys it by the file's page, so kernels in other processes or containers over one tmpfs file meet
 * on it). One system call to wake, none while nobody sleeps.
 * <p>
 * Why not the mailbox's interrupt word, which carried the doorbell before: a word to a sleeping
 * interrupt context makes the sender's own event loop write a socket frame, the receiver's event
 * loop wake to deliver it and then wake the dispatcher (three thread wake-ups in a row: a read by
 * URPC in that mode took 85 us on the quiet 2-core host), and the receiver's event loop then polls
 * its working window: with the requester and the dispatcher that is more runnable threads than
 * cores, the core gate closes, the dispatcher parks after its own working window, and the next
 * request rings again (the URPC read's slow mode, one park a round trip for a whole run). The
 * futex wakes the one thread that sleeps, and no third thread starts polling.
 * <p>
 * Available on Linux x86-64 and aarch64 where the C library's {@code syscall} links; elsewhere
 * {@link #AVAILABLE} is false and the endpoint rings the mailbox instead. The system property
 * {@value #MAILBOX_DOORBELL} set to true makes it false on purpose: a kernel started with it
 * sleeps and is rung as before the futex (to compare the two in one build).
 */
final class Futex {

    /** Set to true: no futex, the doorbell through the mailbox's interrupt word (for comparisons). */
    static final String MAILBOX_DOORBELL = "archipelago.urpc.mailbox-doorbell";
    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long SYS_FUTEX = sysFutex();
    private static final MethodHandle SYSCALL_WAIT;
    private static final MethodHandle SYSCALL_WAKE;
    /** Whether this process can wait on and wake a futex. */
    static final boolean AVAILABLE;

    static {
        MethodHandle waitHandle = null;
        MethodHandle wakeHandle = null;
        if (SYS_FUTEX >= 0 && !Boolean.getBoolean(MAILBOX_DOORBELL)) {
            try {
                Linker linker = Linker.nativeLinker();
                MemorySegment syscall = linker.defaultLookup().find("syscall").orElse(null);
                if (syscall != null) {
                    // long syscall(long number, ...): the arguments after the number are variadic
                    waitHandle = linker.downcallHandle(syscall, FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS), Linker.Option.firstVariadicArg(1));
                    wakeHandle = linker.downcallHandle(syscall, FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(1));
                }
            } catch (RuntimeException | LinkageError e) {
                // no native access here (not granted, or another platform): the mailbox doorbell stays
                waitHandle = null;
                wakeHandle = null;
            }
        }
        SYSCALL_WAIT = waitHandle;
        SYSCALL_WAKE = wakeHandle;
        AVAILABLE = waitHandle != null && wakeHandle != null;
    }

    private Futex() {
    }

    /** The futex system call's number on this machine, or -1 where we do not know it. */
    private static long sysFutex() {
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            return -1;
        }
        return switch (System.getProperty("os.arch", "")) {
            case "amd64", "x86_64" -> 202;
            case "aarch64" -> 98;
            default -> -1;
        };
    }

    /** The timeout argument of one waiting thread (reused: one per dispatcher). */
    static final class Timeout {
        private final MemorySegment timespec = Arena.ofAuto().allocate(16, 8);
    }

    /**
     * Sleeps while the word at {@code word} (4-byte aligned, in a shared mapping) holds
     * {@code expected}, at most {@code nanos}; returns at once when it holds something else. May
     * also return early (a signal, a spurious wake): the caller looks again.
     */
    static void await(MemorySegment word, int expected, long nanos, Timeout timeout) {
        timeout.timespec.set(ValueLayout.JAVA_LONG, 0, nanos / NANOS_PER_SECOND);
        timeout.timespec.set(ValueLayout.JAVA_LONG, 8, nanos % NANOS_PER_SECOND);
        try {
            long ignored = (long) SYSCALL_WAIT.invokeExact(SYS_FUTEX, word, FUTEX_WAIT, expected, timeout.timespec);
        } catch (Throwable e) {
            throw new IllegalStateException("futex wait on a URPC wake line failed: " + e, e);
        }
    }

    /** Wakes every thread sleeping on the word at {@code word}. */
    static void wakeAll(MemorySegment word) {
        try {
            long ignored = (long) SYSCALL_WAKE.invokeExact(SYS_FUTEX, word, FUTEX_WAKE, Integer.MAX_VALUE);
        } catch (Throwable e) {
            throw new IllegalStateException("futex wake on a URPC wake line failed: " + e, e);
        }
    }
}
