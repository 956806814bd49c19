package io.archipelago.bench.typed;

import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;

/**
 * The struct the typed-access benchmark scans: a scheduler's per-task record (56 bytes on
 * x86_64, 48 on ppc32, where {@code unsigned long} and pointers are 4 bytes and every value is
 * big-endian).
 */
@Typed("sched_task")
public interface SchedTask {
    @CType("int") int pid();
    void pid(int pid);
    @CType("int") int prio();
    void prio(int prio);
    @CType("unsigned long") long nvcsw();
    void nvcsw(long nvcsw);
    @CType("unsigned long long") long vruntime();
    void vruntime(long vruntime);
    @CType("struct sched_task *") long parent();
    void parent(long parent);
    @CType("unsigned int") long flags();
    void flags(long flags);
    @CType("char[16]") byte comm(int i);
    void comm(int i, byte c);
}
