package io.archipelago.kernel.task;

import io.archipelago.kernel.nightwatch.GroupMember;
import io.archipelago.kernel.sched.SchedThread;
import io.archipelago.kernel.task.model.TaskDescriptor;
import io.archipelago.kernel.task.model.TaskFlags;
import io.archipelago.program.Program;
import io.archipelago.program.SharedWord;
import io.archipelago.program.ThreadContext;
import io.archipelago.program.WakeReason;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.region.TypedRegion;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A thread this kernel owns: its slot in the shared task table and the view of it this kernel
 * reads it through, its program, its typed data and its process's, as attached here. Everything
 * that must outlive this object (registers, counts, state) is written to the descriptor; a
 * kernel that takes the thread over builds its own {@code KernelThread} from there.
 */
public final class KernelThread extends SchedThread implements ThreadContext, GroupMember {

    private static final long NO_IRQ_WORD = 0xFFFF_FFFFL;

    private final TaskService service;
    private final long slot;
    private final TaskDescriptor task;
    private final Program program;
    private final long leaderSlot;
    private final TypedRegion<?> data;
    private final TypedRegion<?> shared;
    private final Map<String, SharedWord> sharedWords = new ConcurrentHashMap<>();
    private long stepVirtualNs;
    private volatile Arrival arrival;

    /** A migration that brought the thread here, until its first step here (for the migration latency). */
    public record Arrival(int fromKernel, boolean byMessages, long stoppedNs, long adoptedNs, long stateBytes) {
    }

    KernelThread(TaskService service, long slot, TaskDescriptor task, Program program, long leaderSlot, TypedRegion<?> data,
                 TypedRegion<?> shared) {
        super(task.pid(), task.tgid(), TaskFlags.nightWatch(task.flags()));
        this.service = service;
        this.slot = slot;
        this.task = task;
        this.program = program;
        this.leaderSlot = leaderSlot;
        this.data = data;
        this.shared = shared;
    }

    public long slot() {
        return slot;
    }

    public TaskDescriptor descriptor() {
        return task;
    }

    public Program program() {
        return program;
    }

    /** The thread's data region as attached here, or null. */
    public TypedRegion<?> dataRegion() {
        return data;
    }

    public TypedRegion<?> sharedRegion() {
        return shared;
    }

    @Override
    public long leaderSlot() {
        return leaderSlot;
    }

    void arrived(Arrival arrival) {
        this.arrival = arrival;
    }

    // ------------------------------------------------------------------ SchedThread

    @Override
    protected io.archipelago.program.Step runStep(int core, long virtualNs) {
        Arrival arrived = arrival;
        if (arrived != null) {
            arrival = null;
            service.firstStepAfterMigration(this, arrived, System.nanoTime());
        }
        stepVirtualNs = virtualNs;
        task.cpu(core);
        return program.step(this);
    }

    @Override
    protected void accountStep(long cycles, long virtualNs) {
        task.steps(task.steps() + 1);
        task.cycles(task.cycles() + cycles);
        task.utime(task.utime() + virtualNs);
    }

    @Override
    protected void accountSwitch(boolean voluntary) {
        if (voluntary) {
            task.nvcsw(task.nvcsw() + 1);
        } else {
            task.nivcsw(task.nivcsw() + 1);
        }
    }

    @Override
    protected void publish() {
        task.state(state().code());
        task.wakeAt(wakeAt());
        task.waitIrq(irq() == NO_IRQ ? NO_IRQ_WORD : irq());
        task.wakeReason(wokenBy().ordinal());
    }

    @Override
    protected void exited(int code, RuntimeException failure) {
        task.exitCode(code);
        service.threadExited(this, code, failure);
    }

    // ------------------------------------------------------------------ ThreadContext

    @Override
    public long threadIndex() {
        return task.threadIndex();
    }

    @Override
    public long reg(int i) {
        return task.regs(i);
    }

    @Override
    public void reg(int i, long value) {
        task.regs(i, value);
    }

    @Override
    public long steps() {
        return task.steps();
    }

    @Override
    public WakeReason wakeReason() {
        return WakeReason.of(task.wakeReason());
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> TypedRegion<T> data(Class<T> view) {
        return (TypedRegion<T>) checked(data, view, "thread data");
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> TypedRegion<T> shared(Class<T> view) {
        return (TypedRegion<T>) checked(shared, view, "process data");
    }

    private TypedRegion<?> checked(TypedRegion<?> region, Class<?> view, String what) {
        if (region == null) {
            throw new IllegalStateException("program " + program.name() + " declared no " + what + " (thread " + tid + ")");
        }
        if (region.view() != view) {
            throw new IllegalStateException("program " + program.name() + "'s " + what + " is viewed as " + region.view().getName()
                + ", not " + view.getName());
        }
        return region;
    }

    @Override
    public SharedWord sharedWord(String member) {
        TypedRegion<?> region = checked(shared, shared == null ? Object.class : shared.view(), "process data");
        return sharedWords.computeIfAbsent(member, m -> SharedWord.of(region, m));
    }

    @Override
    public String kernelName() {
        return service.kernelName();
    }

    @Override
    public DataModel dataModel() {
        return service.dataModel();
    }

    @Override
    public long virtualNow() {
        return stepVirtualNs;
    }
}
