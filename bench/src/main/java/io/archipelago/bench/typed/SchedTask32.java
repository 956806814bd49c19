package io.archipelago.bench.typed;

import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;

/**
 * {@link SchedTask} declared with the member widths it has on ppc32 ({@code unsigned long} and the
 * pointer as 4-byte {@code unsigned int}), so that an x86_64 kernel's native layout of it is the
 * ppc32 layout of {@link SchedTask} byte for byte except the byte order (48 bytes):
 *
 * <pre>
 *   0       4       8       12      16              24      28      32                      48
 *   +-------+-------+-------+-------+---------------+-------+-------+-----------------------+
 *   | pid   | prio  | nvcsw | (pad) | vruntime      |parent | flags | comm[16]              |
 *   +-------+-------+-------+-------+---------------+-------+-------+-----------------------+
 * </pre>
 *
 * A scan of it streams the same bytes as a morphed scan of the ppc32 region, so the two differ
 * only by what the morphed accessor adds (the byte swaps): the like-for-like baseline of
 * type-morphable code. (The native x86_64 layout of {@link SchedTask} is 56 bytes, and a scan of
 * it streams 17% more bytes than the morphed one.)
 */
@Typed("sched_task32")
public interface SchedTask32 {
    @CType("int") int pid();
    void pid(int pid);
    @CType("int") int prio();
    void prio(int prio);
    @CType("unsigned int") long nvcsw();
    void nvcsw(long nvcsw);
    @CType("unsigned long long") long vruntime();
    void vruntime(long vruntime);
    @CType("unsigned int") long parent();
    void parent(long parent);
    @CType("unsigned int") long flags();
    void flags(long flags);
    @CType("char[16]") byte comm(int i);
    void comm(int i, byte c);
}
