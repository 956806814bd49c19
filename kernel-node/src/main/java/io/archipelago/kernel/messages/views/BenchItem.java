package io.archipelago.kernel.messages.views;

import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;

/**
 * {@code struct bench_item}: a small kernel object (a key, a value with its version and
 * time stamp, a scheduler-like vruntime, a shared counter, flags, a lock word, a cpu and a
 * priority) that {@code archipelago bench shm-vs-msg} shares in typed shared memory and sends as
 * a message ({@code BenchItemMessage}). Only fixed-width types, so it is laid out the same in
 * every little-endian data model: the benchmark measures communication, not format morphing.
 *
 * <pre>
 *   0        8        16       24       32       40       48   52   56   60   64
 *   +--------+--------+--------+--------+--------+--------+----+----+----+----+
 *   | key    | value  | version| stamp  |vruntime| counter|flag|lock|cpu |prio|
 *   +--------+--------+--------+--------+--------+--------+----+----+----+----+
 *    int64_t x 6                                            int32_t x 4
 *   counter: incremented atomically (lock xadd) by kernels sharing it in hardware-coherent memory;
 *   lock:    0 when free, else the holder (kernel id + 1) &lt;&lt; 16 | thread: a spinlock word for
 *            updates of several members at once
 * </pre>
 */
@Typed("bench_item")
public interface BenchItem {
    @CType("int64_t") long key();
    void key(long key);
    @CType("int64_t") long value();
    void value(long value);
    @CType("int64_t") long version();
    void version(long version);
    @CType("int64_t") long stamp();
    void stamp(long stamp);
    @CType("int64_t") long vruntime();
    void vruntime(long vruntime);
    @CType("int64_t") long counter();
    void counter(long counter);
    @CType("int32_t") int flags();
    void flags(int flags);
    @CType("int32_t") int lock();
    void lock(int lock);
    @CType("int32_t") int cpu();
    void cpu(int cpu);
    @CType("int32_t") int prio();
    void prio(int prio);
}
