package io.archipelago.kernel.typed.views;

import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;
import io.archipelago.typed.TypedObject;
import java.nio.charset.StandardCharsets;

/**
 * A kernel's view of the process descriptor of {@code kernel-structs.h} (Linux's
 * {@code task_struct}): the members it uses, with the C types it was compiled against. It is the
 * one Java view of {@code task_struct}; the task table's own record is {@code struct
 * task_descriptor} ({@code task.model.TaskDescriptor}). Kernels
 * of every data model use this same interface; attaching it to a region laid out for another
 * data model gets a morphed accessor.
 */
@Typed("task_struct")
public interface TaskStruct extends TypedObject {
    @CType(value = "unsigned int", member = "__state") long state();
    void state(long state);
    @CType("unsigned int") long flags();
    void flags(long flags);
    @CType("int") int prio();
    void prio(int prio);
    @CType("struct sched_entity") SchedEntity se();
    @CType("struct list_head") ListHead tasks();
    @CType("struct mm_struct *") long mm();
    void mm(long mm);
    @CType("int") int pid();
    void pid(int pid);
    @CType("int") int tgid();
    void tgid(int tgid);
    @CType("struct task_struct *") long parent();
    void parent(long parent);
    @CType("unsigned long") long nvcsw();
    void nvcsw(long nvcsw);
    @CType("unsigned long") long nivcsw();
    void nivcsw(long nivcsw);
    @CType("unsigned long long") long utime();
    void utime(long utime);
    @CType("char[16]") byte comm(int i);
    void comm(int i, byte c);

    /** {@code comm} as text (up to the first NUL). */
    default String commString() {
        byte[] bytes = new byte[16];
        int length = 0;
        while (length < 16 && (bytes[length] = comm(length)) != 0) {
            length++;
        }
        return new String(bytes, 0, length, StandardCharsets.US_ASCII);
    }

    /** Sets {@code comm} to {@code name} (ASCII, cut at 15 bytes, NUL-terminated). */
    default void commString(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 16; i++) {
            comm(i, i < Math.min(bytes.length, 15) ? bytes[i] : 0);
        }
    }
}
