package io.archipelago.kernel.typed.views;

import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;

/** The members of {@code struct sched_entity} (CFS accounting) a scheduler needs. */
@Typed("sched_entity")
public interface SchedEntity {
    @CType("unsigned int") long on_rq();
    void on_rq(long onRq);
    @CType("unsigned long long") long exec_start();
    void exec_start(long execStart);
    @CType("unsigned long long") long sum_exec_runtime();
    void sum_exec_runtime(long sum);
    @CType("unsigned long long") long vruntime();
    void vruntime(long vruntime);
}
