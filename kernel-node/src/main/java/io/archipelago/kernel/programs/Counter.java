package io.archipelago.kernel.programs;

import io.archipelago.program.Program;
import io.archipelago.program.ProgramArgs;
import io.archipelago.program.ProgramData;
import io.archipelago.program.SharedWord;
import io.archipelago.program.Step;
import io.archipelago.program.ThreadContext;
import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;
import io.archipelago.typed.region.TypedRegion;
import java.util.Optional;
import java.util.Set;

/**
 * {@code counter}: every step increments the process's shared counter (atomically: the threads
 * of a process may run on several kernels) and the thread's own count. With {@code limit=N} a
 * thread exits after N increments, so that a test can check the shared count is exactly the sum
 * of the threads' counts however often they migrated. {@code cycles=C}: cycles per step
 * (default 100000: 100 us on a core of speed 1.0 at 1 GHz).
 */
public final class Counter implements Program {

    /** The process's shared counter; {@code unsigned long}: 8 bytes on LP64 kernels, 4 on ILP32 ones. */
    @Typed("counter_shared")
    public interface Shared {
        @CType("unsigned long") long count();
        void count(long count);
    }

    /** A thread's own state. */
    @Typed("counter_thread")
    public interface Local {
        @CType("unsigned long") long increments();
        void increments(long increments);
        @CType("unsigned long") long limit();
        void limit(long limit);
    }

    static final int REG_CYCLES = 0;
    /** A copy of the thread's count, and the shared count its last step left: kept in the descriptor after it exits. */
    static final int REG_INCREMENTS = 1;
    static final int REG_SHARED_SEEN = 2;

    @Override
    public String name() {
        return "counter";
    }

    @Override
    public String summary() {
        return "increments its process's shared counter once per step (args: limit=N increments then exit, cycles=C per step)";
    }

    @Override
    public Optional<ProgramData> threadData(ProgramArgs args) {
        return Optional.of(new ProgramData(Local.class, 1));
    }

    @Override
    public Optional<ProgramData> processData(ProgramArgs args) {
        return Optional.of(new ProgramData(Shared.class, 1));
    }

    @Override
    public void start(ThreadContext thread, ProgramArgs args) {
        args.allowOnly(Set.of("limit", "cycles"));
        Local local = thread.data(Local.class).at(0);
        local.increments(0);
        local.limit(args.number("limit", 0));
        thread.reg(REG_CYCLES, Math.max(1, args.number("cycles", 100_000)));
    }

    @Override
    public Step step(ThreadContext thread) {
        TypedRegion<Local> data = thread.data(Local.class);
        Local local = data.at(0);
        SharedWord count = thread.sharedWord("count");
        long shared = count.addAndGet(0, 1);
        long increments = local.increments() + 1;
        local.increments(increments);
        thread.reg(REG_INCREMENTS, increments);
        thread.reg(REG_SHARED_SEEN, shared);
        long cycles = thread.reg(REG_CYCLES);
        long limit = local.limit();
        return limit > 0 && increments >= limit ? Step.exit(cycles, 0) : Step.next(cycles);
    }
}
