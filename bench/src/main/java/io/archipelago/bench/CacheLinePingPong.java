package io.archipelago.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The physical floor of every cross-kernel exchange on this machine: two JVM processes
 * ping-ponging one cache line of a shared mmap'd file, both spinning, with nothing between them
 * (no framing, no doorbell, no wake-up). {@code bench mailbox} measures it in the same run as
 * the mailbox and prints the mailbox over it. The same command protocol as {@link SocketPingPong},
 * so {@link BaselinePair} drives both:
 *
 * <pre>
 *   CacheLinePingPong echo &lt;file&gt;   creates the file, prints "READY &lt;file&gt;", then answers every word
 *   CacheLinePingPong ping &lt;file&gt;   reads commands on stdin: PING n, STREAM n, EXIT (see {@link SocketPingPong})
 * </pre>
 *
 * The file, one page:
 * <pre>
 *   offset  0                      8            64               72           128              136          192
 *          +----------------------+-- pad ----+----------------+-- pad ----+----------------+-- pad ----+------------------+
 *          | ball (long)          |           | head (long)    |           | tail (long)    |           | slots[4] (int)   |
 *          +----------------------+-----------+----------------+-----------+----------------+-----------+------------------+
 *   ball: the ping-pong's cache line; the pinger writes 2k+1, the echo answers 2k+2; -1 ends the echo.
 *   head, tail, slots: a one-way FIFO of depth 4 (as the mailbox's default) for the stream: the
 *   pinger announces n words on the ball (bit 62 | n), writes them at tail, the echo consumes
 *   them at head and answers the ball with bit 61 | n.
 * </pre>
 * Both sides spin (that is the floor), but never unboundedly: a wait longer than
 * {@link #WAIT_DEADLINE_NS} ends the process with an error naming what it waited for, and after
 * the first {@link #PURE_SPIN_NS} of a wait every spin yields, so that a descheduled peer on two
 * cores gets its core back.
 */
public final class CacheLinePingPong {

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    static final long BALL = 0;
    static final long HEAD = 64;
    static final long TAIL = 128;
    static final long SLOTS = 192;
    static final int DEPTH = 4;
    static final long FILE_BYTES = 4096;
    /** The pinger announces a stream of n words by writing STREAM_FLAG | n on the ball ... */
    private static final long STREAM_FLAG = 1L << 62;
    /** ... and the echo answers STREAM_DONE_FLAG | n once it consumed them: never a value the pinger writes. */
    private static final long STREAM_DONE_FLAG = 1L << 61;
    static final long WAIT_DEADLINE_NS = TimeUnit.SECONDS.toNanos(10);
    static final long PURE_SPIN_NS = TimeUnit.MICROSECONDS.toNanos(200);
    /**
     * The echo idle between commands parks after its pure spin, first {@link #IDLE_PARK_NS} at a
     * time, twice as long each time up to {@link #IDLE_PARK_MAX_NS}: while the bench measures the
     * mailbox, a yielding echo would count among the machine's runnable threads for milliseconds,
     * and one waking every 100 µs would be a third thread beside two spinning interrupt contexts
     * thousands of times a second, each time closing their gate (only the first ball of the next
     * command waits for the echo to wake).
     */
    static final long IDLE_PARK_NS = TimeUnit.MICROSECONDS.toNanos(50);
    static final long IDLE_PARK_MAX_NS = TimeUnit.MILLISECONDS.toNanos(2);
    private static final java.util.Optional<ProcessHandle> PARENT = ProcessHandle.current().parent();

    private final MemorySegment line;

    private CacheLinePingPong(MemorySegment line) {
        this.line = line;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2 || !(args[0].equals("echo") || args[0].equals("ping"))) {
            System.err.println("usage: CacheLinePingPong echo|ping <file>");
            System.exit(2);
        }
        Path file = Path.of(args[1]);
        boolean echo = args[0].equals("echo");
        try (Arena arena = Arena.ofShared();
             FileChannel channel = echo
                 ? FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)
                 : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (echo) {
                channel.truncate(FILE_BYTES);
                channel.write(java.nio.ByteBuffer.allocate(1), FILE_BYTES - 1);
            }
            CacheLinePingPong pair = new CacheLinePingPong(channel.map(FileChannel.MapMode.READ_WRITE, 0, FILE_BYTES, arena));
            if (echo) {
                System.out.println("READY " + file);
                System.out.flush();
                pair.echo();
            } else {
                pair.ping();
            }
        } catch (IllegalStateException e) {
            System.err.println("cache-line ping-pong (" + args[0] + "): " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * Answers every ball until the pinger's EXIT (ball -1). Between the pinger's commands the echo
     * may wait for minutes (the bench measures the mailbox meanwhile): it spins, then parks ever
     * longer, so that it does not take a core from what is being measured; and it ends when the
     * process that started it is gone.
     */
    private void echo() {
        long written = 0;
        while (true) {
            long ball = awaitChange(BALL, written);
            if (ball == -1) {
                return;
            }
            if ((ball & STREAM_FLAG) != 0) {
                long count = ball & ~STREAM_FLAG;
                long head = (long) LONG.getVolatile(line, HEAD);
                for (long i = 0; i < count; i++) {
                    awaitAtLeast(TAIL, head + 1, "stream word " + i + " of " + count);
                    INT.getVolatile(line, SLOTS + (head % DEPTH) * 4);
                    head++;
                    LONG.setRelease(line, HEAD, head);
                }
                written = STREAM_DONE_FLAG | count;
            } else {
                written = ball + 1;
            }
            LONG.setRelease(line, BALL, written);
        }
    }

    private void ping() throws IOException {
        PingerCommands.serve(new PingerCommands.Pinger() {
            private long next = 1;

            @Override
            public long roundTrip() {
                long start = System.nanoTime();
                LONG.setRelease(line, BALL, next);
                await(BALL, next + 1, "the echo's answer to " + next);
                next += 2;
                return System.nanoTime() - start;
            }

            @Override
            public long stream(int count) {
                return CacheLinePingPong.this.stream(count);
            }

            @Override
            public void exit() {
                LONG.setRelease(line, BALL, -1L);
            }
        });
    }

    /** {@code count} words one way through the FIFO of depth 4; the nanoseconds until the echo confirmed the last. */
    private long stream(int count) {
        long start = System.nanoTime();
        LONG.setRelease(line, BALL, STREAM_FLAG | count);
        long tail = (long) LONG.getVolatile(line, TAIL);
        for (int i = 0; i < count; i++) {
            awaitAtLeast(HEAD, tail - DEPTH + 1, "room in the FIFO for word " + i);
            INT.setRelease(line, SLOTS + (tail % DEPTH) * 4, i);
            tail++;
            LONG.setRelease(line, TAIL, tail);
        }
        await(BALL, STREAM_DONE_FLAG | count, "the echo's count of the stream");
        return System.nanoTime() - start;
    }

    /** Spins until the long at {@code offset} equals {@code value}; bounded by {@link #WAIT_DEADLINE_NS}. */
    private void await(long offset, long value, String what) {
        long start = System.nanoTime();
        int spins = 0;
        while ((long) LONG.getVolatile(line, offset) != value) {
            spins = pause(start, spins, what);
        }
    }

    /** Waits, without a deadline, until the long at {@code offset} is no longer {@code from}: the echo between commands. */
    private long awaitChange(long offset, long from) {
        long start = System.nanoTime();
        int spins = 0;
        long park = IDLE_PARK_NS;
        long seen;
        while ((seen = (long) LONG.getVolatile(line, offset)) == from) {
            Thread.onSpinWait();
            if ((++spins & 0xFF) == 0 && System.nanoTime() - start > PURE_SPIN_NS) {
                LockSupport.parkNanos(park);
                park = Math.min(IDLE_PARK_MAX_NS, 2 * park);
                if (!PARENT.map(ProcessHandle::isAlive).orElse(true)) {
                    throw new IllegalStateException("the process that started this echo is gone");
                }
            }
        }
        return seen;
    }

    private void awaitAtLeast(long offset, long value, String what) {
        long start = System.nanoTime();
        int spins = 0;
        while ((long) LONG.getVolatile(line, offset) < value) {
            spins = pause(start, spins, what);
        }
    }

    private static int pause(long start, int spins, String what) {
        Thread.onSpinWait();
        if ((++spins & 0xFF) == 0) {
            long waited = System.nanoTime() - start;
            if (waited > WAIT_DEADLINE_NS) {
                throw new IllegalStateException("waited " + TimeUnit.NANOSECONDS.toMillis(waited) + " ms for " + what + "; is the other "
                    + "process alive?");
            }
            if (waited > PURE_SPIN_NS) {
                Thread.yield();
            }
        }
        return spins;
    }
}
