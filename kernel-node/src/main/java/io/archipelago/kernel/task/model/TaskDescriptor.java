package io.archipelago.kernel.task.model;

import io.archipelago.program.SharedWord;
import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;
import io.archipelago.typed.TypedObject;
import java.nio.charset.StandardCharsets;

/**
 * The shared process descriptor (paper 1: "the process descriptor, Linux's {@code task_struct},
 * is mostly architecture independent and should be shared"): one element of the cluster's task
 * table per thread, in typed shared memory. It is the emulator's own record, {@code struct
 * task_descriptor}, holding what a thread needs to run on any kernel; Linux's {@code task_struct}
 * itself is the one in {@code kernel-structs.h} (viewed by {@code typed.views.TaskStruct}), which
 * typed shared memory shares between ABIs as paper 1 describes. Each kernel reads and writes it through the accessor
 * of its own data model, generated for the table's layout (morphed when the table's creator had
 * another ABI). Everything a thread needs to continue on another kernel is here or in its typed
 * data, so a step boundary is a migration point.
 * <p>
 * Who writes what: the thread's owner kernel writes every member except two words shared by
 * kernels, which change only by compare-and-set ({@link SharedWord}): {@code owner} (ownership
 * and a pending migration, {@link Ownership}) and {@code nw_gate} (in the thread-group leader:
 * K2's NightWatch rule, {@code NightWatchGate}).
 *
 * <pre>
 *  struct task_descriptor {                 x86_64 offset   armv7 offset
 *      unsigned int owner;                    0               0     ownership word (CAS)
 *      unsigned int __state;                  4               4     TaskState code
 *      unsigned int flags;                    8               8     TaskFlags
 *      int pid;                              12              12     thread id (cluster-unique)
 *      int tgid;                             16              16     process id (the leader's pid)
 *      unsigned int nw_gate;                 20              20     leader: NightWatch gate (CAS)
 *      unsigned int nr_threads;              24              24     leader: threads of the process not exited (CAS)
 *      unsigned int wait_irq;                28              28     irq line waited on, or ~0
 *      unsigned int wake_reason;             32              32     WakeReason of the last wake-up
 *      int exit_code;                        36              36
 *      unsigned int migrations;              40              40
 *      unsigned int data_gen;                44              44     generation of the thread data region
 *      unsigned int creator;                 48              48     kernel that created the thread
 *      unsigned int cpu;                     52              52     last core
 *      unsigned int thread_index;            56              56     index among the process's threads of its kind
 *      unsigned long nvcsw;                  64              60     voluntary switches (blocked)
 *      unsigned long nivcsw;                 72              64     involuntary switches (slice ended)
 *      unsigned long long steps;             80              72     steps run: migration points passed
 *      unsigned long long cycles;            88              80     cycles consumed
 *      unsigned long long utime;             96              88     virtual ns on a core
 *      unsigned long long wake_at;          104              96     virtual ns a timer wakes it, 0: none
 *      unsigned long long mig_stop_ns;      112             104     host ns the last migration stopped it
 *      unsigned long long start_time;       120             112     virtual ns it was created
 *      void *data;                          128             120     its typed data (global address)
 *      void *shared;                        136             124     its process's typed data
 *      unsigned long long regs[8];          144             128     the program's registers
 *      char comm[16];                       208             192     program name
 *  } __attribute__((aligned(4096)));   size 4096       size 4096    (one page each)
 * </pre>
 * (Offsets as the layout engine, checked against GCC, computes them; the table test asserts them.)
 */
@Typed(value = "task_descriptor", aligned = TaskDescriptor.ALIGNMENT)
public interface TaskDescriptor extends TypedObject {

    /**
     * Each descriptor fills a 4 KiB page of its own (the default page size): on a
     * software-coherent table the DSM moves pages, and a thread's steps, which write its
     * descriptor, must not take the page of another thread's.
     */
    int ALIGNMENT = 4096;

    int REGISTERS = 8;
    int COMM_BYTES = 16;

    @CType("unsigned int") long owner();
    void owner(long owner);
    @CType(value = "unsigned int", member = "__state") long state();
    void state(long state);
    @CType("unsigned int") long flags();
    void flags(long flags);
    @CType("int") int pid();
    void pid(int pid);
    @CType("int") int tgid();
    void tgid(int tgid);
    @CType(value = "unsigned int", member = "nw_gate") long nwGate();
    void nwGate(long gate);
    @CType(value = "unsigned int", member = "nr_threads") long nrThreads();
    void nrThreads(long threads);
    @CType(value = "unsigned int", member = "wait_irq") long waitIrq();
    void waitIrq(long irq);
    @CType(value = "unsigned int", member = "wake_reason") long wakeReason();
    void wakeReason(long reason);
    @CType(value = "int", member = "exit_code") int exitCode();
    void exitCode(int code);
    @CType("unsigned int") long migrations();
    void migrations(long migrations);
    @CType(value = "unsigned int", member = "data_gen") long dataGen();
    void dataGen(long generation);
    @CType("unsigned int") long creator();
    void creator(long kernel);
    @CType("unsigned int") long cpu();
    void cpu(long cpu);
    @CType(value = "unsigned int", member = "thread_index") long threadIndex();
    void threadIndex(long index);
    @CType("unsigned long") long nvcsw();
    void nvcsw(long nvcsw);
    @CType("unsigned long") long nivcsw();
    void nivcsw(long nivcsw);
    @CType("unsigned long long") long steps();
    void steps(long steps);
    @CType("unsigned long long") long cycles();
    void cycles(long cycles);
    @CType("unsigned long long") long utime();
    void utime(long utime);
    @CType(value = "unsigned long long", member = "wake_at") long wakeAt();
    void wakeAt(long virtualNs);
    @CType(value = "unsigned long long", member = "mig_stop_ns") long migStopNs();
    void migStopNs(long hostNs);
    @CType(value = "unsigned long long", member = "start_time") long startTime();
    void startTime(long virtualNs);
    @CType("void *") long data();
    void data(long address);
    @CType("void *") long shared();
    void shared(long address);
    @CType("unsigned long long[8]") long regs(int i);
    void regs(int i, long value);
    @CType("char[16]") byte comm(int i);
    void comm(int i, byte c);

    /** {@code comm} as text (up to the first NUL). */
    default String commString() {
        byte[] bytes = new byte[COMM_BYTES];
        int length = 0;
        while (length < COMM_BYTES && (bytes[length] = comm(length)) != 0) {
            length++;
        }
        return new String(bytes, 0, length, StandardCharsets.US_ASCII);
    }

    /** Sets {@code comm} to {@code name} (ASCII, cut at 15 bytes, NUL-terminated). */
    default void commString(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < COMM_BYTES; i++) {
            comm(i, i < Math.min(bytes.length, COMM_BYTES - 1) ? bytes[i] : 0);
        }
    }
}
