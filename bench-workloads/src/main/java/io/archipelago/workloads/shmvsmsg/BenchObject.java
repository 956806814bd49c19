package io.archipelago.workloads.shmvsmsg;

import io.archipelago.kernel.messages.OwnedObject;
import io.archipelago.kernel.messages.views.BenchItem;
import io.archipelago.messages.proto.BenchItemMessage;
import io.archipelago.messages.proto.ObjectReply;
import io.archipelago.typed.region.TypedRegion;
import io.archipelago.typed.layout.MemberLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One thread's handle on a kernel object made of {@code count} {@link BenchItem}s (elements
 * {@code [first, first + count)} of a typed region), with the operations of
 * {@code archipelago bench shm-vs-msg} done in place, through the region's typed accessors. The
 * same code serves the three ways, so that they differ only in how the object is shared:
 * <ul>
 *   <li>{@link Sharing#HARDWARE}: several kernels of one coherence domain share the object; a
 *       counter is incremented with an atomic instruction ({@code lock xadd}) and an update of
 *       several members takes the spinlock word in the object, as an SMP kernel does;</li>
 *   <li>{@link Sharing#SOFTWARE}: the region is software-coherent (K2's DSM); both are done in an
 *       exclusive section ({@link TypedRegion#exclusive}), which holds the pages here;</li>
 *   <li>{@link Sharing#OWNER}: only its owner touches the object (the multikernel way: the others
 *       send it messages), and its owner applies one request at a time, so plain loads and stores
 *       suffice.</li>
 * </ul>
 * Not thread-safe: one per thread.
 */
public final class BenchObject implements OwnedObject {

    /** How the object is shared, which decides how a read-modify-write is made atomic. */
    public enum Sharing { HARDWARE, SOFTWARE, OWNER }

    /** Size of a bench_item in every data model the benchmark uses (only fixed-width members). */
    public static final int ITEM_SIZE = 64;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final long LOCK_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private final TypedRegion<BenchItem> region;
    private final long first;
    private final long count;
    private final Sharing sharing;
    private final BenchItem head;
    private final BenchItem cursor;
    private final MemorySegment memory;
    private final long counterOffset;
    private final long lockOffset;
    private final int lockTag;
    private long matched;
    /** The value {@link #updateStruct} writes in its section (the section's body is made once: nothing allocated per update). */
    private long pendingValue;
    private final java.util.function.ToLongFunction<BenchItem> updateInSection = item -> update(item, pendingValue);

    /**
     * @param lockTag what this thread writes in the lock word while it holds it (non-zero)
     */
    public BenchObject(TypedRegion<BenchItem> region, long first, long count, Sharing sharing, int lockTag) {
        if (first < 0 || count < 1 || first + count > region.count()) {
            throw new IllegalArgumentException("object [" + first + ", " + (first + count) + ") is outside region '" + region.name()
                + "' of " + region.count() + " elements");
        }
        if ((sharing == Sharing.SOFTWARE) != region.softwareCoherent()) {
            throw new IllegalArgumentException("region '" + region.name() + "' is " + (region.softwareCoherent() ? "software" : "hardware")
                + "-coherent; expected a " + (sharing == Sharing.SOFTWARE ? "software" : "hardware") + "-coherent region for " + sharing);
        }
        if (region.structOfArrays()) {
            throw new IllegalArgumentException("region '" + region.name() + "' is struct of arrays; expected an array of bench_item structs");
        }
        if (lockTag == 0) {
            throw new IllegalArgumentException("a lock tag must not be 0 (0 is the free lock)");
        }
        this.region = region;
        this.first = first;
        this.count = count;
        this.sharing = sharing;
        this.head = region.at(first);
        this.cursor = region.at(first);
        this.memory = region.memory();
        this.lockTag = lockTag;
        long element = region.layout().size() * first;
        this.counterOffset = element + member(region, "counter").offset();
        this.lockOffset = element + member(region, "lock").offset();
        if (sharing == Sharing.HARDWARE && region.dataModel().byteOrder() != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException("region '" + region.name() + "' is " + region.dataModel().byteOrder()
                + ": atomic instructions of this " + ByteOrder.nativeOrder() + " host cannot update it in place");
        }
    }

    private static MemberLayout member(TypedRegion<BenchItem> region, String name) {
        return region.layout().member(name).orElseThrow(() -> new IllegalArgumentException("region '" + region.name() + "' ("
            + region.contract().getTypeName() + ") has no member '" + name + "': expected struct bench_item"));
    }

    public long first() {
        return first;
    }

    public long count() {
        return count;
    }

    /** The object's size in bytes, in its region's layout. */
    public long bytes() {
        return count * region.layout().size();
    }

    public long readField() {
        return head.value();
    }

    public long updateField(long value) {
        head.value(value);
        return value;
    }

    /** Copies every member of every element out (the caller's private copy); returns a checksum of it. */
    public long readStruct(long[] into) {
        int k = 0;
        for (long i = first; i < first + count; i++) {
            region.moveTo(cursor, i);
            into[k++] = cursor.key();
            into[k++] = cursor.value();
            into[k++] = cursor.version();
            into[k++] = cursor.stamp();
            into[k++] = cursor.vruntime();
            into[k++] = cursor.counter();
            into[k++] = cursor.flags();
            into[k++] = cursor.lock();
            into[k++] = cursor.cpu();
            into[k++] = cursor.prio();
        }
        return into[k - 9] ^ into[k - 1] ^ k;
    }

    /** Longs {@link #readStruct} needs. */
    public int structLongs() {
        return Math.toIntExact(count * 10);
    }

    /** The owner's side of READ_STRUCT: every element as a message. */
    public void readStruct(ObjectReply.Builder reply) {
        BenchItemMessage.Builder item = BenchItemMessage.newBuilder();
        for (long i = first; i < first + count; i++) {
            region.moveTo(cursor, i);
            reply.addItems(item.setKey(cursor.key()).setValue(cursor.value()).setVersion(cursor.version()).setStamp(cursor.stamp())
                .setVruntime(cursor.vruntime()).setCounter(cursor.counter()).setFlags(cursor.flags()).setLock(cursor.lock())
                .setCpu(cursor.cpu()).setPrio(cursor.prio()).build());
        }
    }

    /**
     * Sums {@code value} over the elements whose flags are even, in one pass; {@link #matched()}
     * then says how many there were.
     */
    public long scan() {
        long sum = 0;
        long found = 0;
        for (long i = first; i < first + count; i++) {
            region.moveTo(cursor, i);
            if ((cursor.flags() & 1) == 0) {
                sum += cursor.value();
                found++;
            }
        }
        matched = found;
        return sum;
    }

    /** How many elements the last {@link #scan()} added up. */
    public long matched() {
        return matched;
    }

    /** Adds one to the first element's counter; returns the new count. */
    public long increment() {
        return switch (sharing) {
            case HARDWARE -> (long) LONG.getAndAdd(memory, counterOffset, 1L) + 1;
            case SOFTWARE -> region.exclusiveAsLong(first, BenchObject::incrementCounter);
            case OWNER -> {
                long next = head.counter() + 1;
                head.counter(next);
                yield next;
            }
        };
    }

    /** Writes value, version + 1 and a time stamp of the first element as one atomic update; returns the new version. */
    public long updateStruct(long value) {
        return switch (sharing) {
            case HARDWARE -> {
                lock();
                try {
                    yield update(head, value);
                } finally {
                    INT.setRelease(memory, lockOffset, 0);
                }
            }
            case SOFTWARE -> {
                pendingValue = value;
                yield region.exclusiveAsLong(first, updateInSection);
            }
            case OWNER -> update(head, value);
        };
    }

    private static long incrementCounter(BenchItem item) {
        long next = item.counter() + 1;
        item.counter(next);
        return next;
    }

    private static long update(BenchItem item, long value) {
        long version = item.version() + 1;
        item.value(value);
        item.version(version);
        item.stamp(System.nanoTime());
        return version;
    }

    /**
     * Takes the spinlock word (test and test-and-set): a brief spin, then yield, then park, since
     * with 2 cores a spinning waiter may be keeping the holder off the core it needs. Bounded.
     */
    private void lock() {
        int spins = 0;
        long deadline = 0;
        while (true) {
            if ((int) INT.getVolatile(memory, lockOffset) == 0 && INT.compareAndSet(memory, lockOffset, 0, lockTag)) {
                return;
            }
            spins++;
            if (spins < 64) {
                Thread.onSpinWait();
            } else if (spins < 128) {
                Thread.yield();
            } else {
                if (deadline == 0) {
                    deadline = System.nanoTime() + LOCK_TIMEOUT_NS;
                } else if (System.nanoTime() - deadline > 0) {
                    int holder = (int) INT.getVolatile(memory, lockOffset);
                    throw new IllegalStateException("the lock of element " + first + " of region '" + region.name() + "' stayed held by kernel "
                        + ((holder >>> 16) - 1) + " thread " + (holder & 0xFFFF) + " for " + TimeUnit.NANOSECONDS.toSeconds(LOCK_TIMEOUT_NS)
                        + " s");
                }
                LockSupport.parkNanos(1_000);
            }
        }
    }

    /** Writes the stamp of every element (on a software-coherent region: takes every page of the object to this kernel). */
    public void touch(long stamp) {
        for (long i = first; i < first + count; i++) {
            region.moveTo(cursor, i);
            cursor.stamp(stamp);
        }
    }

    /** Initial contents of element {@code index}: plausible kernel values (large stamps and vruntimes, small flags). */
    public static void fill(BenchItem item, long index) {
        item.key(index);
        item.value(index * 7 + 3);
        item.version(1);
        item.stamp(System.nanoTime());
        item.vruntime(1_000_000_000L + index * 4_096);
        item.counter(0);
        item.flags((int) (index & 3));
        item.lock(0);
        item.cpu((int) (index % 2));
        item.prio(120);
    }
}
