package io.archipelago.kernel.programs;

import io.archipelago.program.Program;
import io.archipelago.program.ProgramArgs;
import io.archipelago.program.ProgramData;
import io.archipelago.program.Step;
import io.archipelago.program.ThreadContext;
import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;
import io.archipelago.typed.region.TypedRegion;
import java.util.Optional;
import java.util.Set;

/**
 * {@code memwalk}: a thread with a state of {@code bytes=N} (default 16 KiB) of 64-bit words that
 * every step walks a little of (one word updated per step, a running checksum in a register):
 * the benchmark's task state of a chosen size, migrated in place or serialized.
 */
public final class MemWalk implements Program {

    @Typed("memwalk_word")
    public interface Word {
        @CType("unsigned long long") long value();
        void value(long value);
    }

    static final int REG_CURSOR = 0;
    static final int REG_CHECKSUM = 1;
    static final int REG_CYCLES = 2;
    static final int REG_LIMIT = 3;

    @Override
    public String name() {
        return "memwalk";
    }

    @Override
    public String summary() {
        return "walks a state of bytes=N (default 16KiB) one 64-bit word per step (args: bytes, cycles=C per step, limit=steps)";
    }

    @Override
    public Optional<ProgramData> threadData(ProgramArgs args) {
        long bytes = args.number("bytes", 16 * 1024);
        if (bytes < 8 || bytes > 64L * 1024 * 1024) {
            throw new IllegalArgumentException("memwalk: bytes is 8 to 64MiB, found " + bytes);
        }
        return Optional.of(new ProgramData(Word.class, bytes / 8));
    }

    @Override
    public void start(ThreadContext thread, ProgramArgs args) {
        args.allowOnly(Set.of("bytes", "cycles", "limit"));
        TypedRegion<Word> words = thread.data(Word.class);
        Word word = words.at(0);
        for (long i = 0; i < words.count(); i++) {
            words.moveTo(word, i);
            word.value(i * 0x9E37_79B9_7F4A_7C15L);
        }
        thread.reg(REG_CYCLES, Math.max(1, args.number("cycles", 10_000)));
        thread.reg(REG_LIMIT, args.number("limit", 0));
    }

    @Override
    public Step step(ThreadContext thread) {
        TypedRegion<Word> words = thread.data(Word.class);
        long cursor = thread.reg(REG_CURSOR);
        Word word = words.at(cursor);
        long value = word.value() * 31 + thread.steps();
        word.value(value);
        thread.reg(REG_CHECKSUM, thread.reg(REG_CHECKSUM) ^ value);
        thread.reg(REG_CURSOR, (cursor + 1) % words.count());
        long limit = thread.reg(REG_LIMIT);
        long cycles = thread.reg(REG_CYCLES);
        return limit > 0 && thread.steps() + 1 >= limit ? Step.exit(cycles, 0) : Step.next(cycles);
    }
}
