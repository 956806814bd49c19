package io.archipelago.it.programs;

import io.archipelago.program.Program;
import io.archipelago.program.ProgramArgs;
import io.archipelago.program.Step;
import io.archipelago.program.ThreadContext;

/**
 * A program of the integration tests' own class path (not built into the kernels): adds 1..n in its registers,
 * one number per step, then runs on until it finds itself on a kernel of another data model than the one it started
 * on; there it exits {@value #EXIT_OK} if the sum is n(n+1)/2, 1 if the migration broke it. Without a migration it
 * gives up with {@value #EXIT_NEVER_MIGRATED} after {@code patience} steps, so a test never waits on it forever.
 */
public final class MigratingSum implements Program {

    public static final String NAME = "migrating-sum";
    public static final int EXIT_OK = 42;
    public static final int EXIT_NEVER_MIGRATED = 2;
    public static final int REG_N = 0;
    public static final int REG_I = 1;
    public static final int REG_SUM = 2;
    public static final int REG_START_MODEL = 3;
    public static final int REG_PATIENCE = 4;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String summary() {
        return "adds 1..n, then waits to be migrated to another data model; exits 42 there if the sum survived";
    }

    @Override
    public void start(ThreadContext thread, ProgramArgs args) {
        thread.reg(REG_N, args.number("n", 1000));
        thread.reg(REG_I, 0);
        thread.reg(REG_SUM, 0);
        thread.reg(REG_START_MODEL, thread.dataModel().ordinal());
        thread.reg(REG_PATIENCE, args.number("patience", 200_000));
    }

    @Override
    public Step step(ThreadContext thread) {
        long n = thread.reg(REG_N);
        long i = thread.reg(REG_I);
        if (i < n) {
            thread.reg(REG_I, i + 1);
            thread.reg(REG_SUM, thread.reg(REG_SUM) + i + 1);
            return Step.next(1_000_000);
        }
        if (thread.dataModel().ordinal() != thread.reg(REG_START_MODEL)) {
            return Step.exit(1_000, thread.reg(REG_SUM) == n * (n + 1) / 2 ? EXIT_OK : 1);
        }
        return thread.steps() > thread.reg(REG_PATIENCE) ? Step.exit(1_000, EXIT_NEVER_MIGRATED) : Step.next(1_000_000);
    }
}
