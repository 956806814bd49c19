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
 * {@code page-pingpong}: DSM stress. The threads of a process ({@code players}, default 2) take
 * turns writing each of the process's shared pages: on a page whose turn is its own, a thread
 * writes it and passes the turn on. Put the players on kernels of different coherence domains
 * (run, then migrate one) and every turn moves the page between them. {@code rounds=N}: turns
 * per player, then exit.
 */
public final class PagePingPong implements Program {

    /** One 4 KiB page: whose turn it is, how many turns were taken, and the words each turn writes. */
    @Typed("pingpong_page")
    public interface Page {
        @CType("unsigned int") long turn();
        void turn(long turn);
        @CType("unsigned int") long hits();
        void hits(long hits);
        @CType("unsigned int[1022]") long words(int i);
        void words(int i, long value);
    }

    static final int REG_PAGE = 0;
    static final int REG_TURNS = 1;
    static final int REG_PLAYERS = 2;
    static final int REG_ROUNDS = 3;
    static final int REG_WAITS = 4;
    private static final long WAIT_NS = 200_000;

    @Override
    public String name() {
        return "page-pingpong";
    }

    @Override
    public String summary() {
        return "DSM stress: the process's threads take turns writing its shared pages (args: players=2, pages=4, rounds=N turns)";
    }

    @Override
    public Optional<ProgramData> processData(ProgramArgs args) {
        long pages = args.number("pages", 4);
        if (pages < 1 || pages > 4096) {
            throw new IllegalArgumentException("page-pingpong: pages is 1 to 4096, found " + pages);
        }
        return Optional.of(new ProgramData(Page.class, pages));
    }

    @Override
    public void start(ThreadContext thread, ProgramArgs args) {
        args.allowOnly(Set.of("players", "pages", "rounds"));
        long players = args.number("players", 2);
        if (players < 1 || players > 1024) {
            throw new IllegalArgumentException("page-pingpong: players is 1 to 1024, found " + players);
        }
        thread.reg(REG_PLAYERS, players);
        thread.reg(REG_ROUNDS, args.number("rounds", 0));
    }

    @Override
    public Step step(ThreadContext thread) {
        TypedRegion<Page> pages = thread.shared(Page.class);
        long players = thread.reg(REG_PLAYERS);
        long index = thread.threadIndex() % players;
        long p = thread.reg(REG_PAGE);
        Page page = pages.at(p);
        long turn = page.turn();
        if (turn % players != index) {
            thread.reg(REG_WAITS, thread.reg(REG_WAITS) + 1);
            return Step.sleep(500, WAIT_NS);
        }
        long hits = page.hits() + 1;
        page.hits(hits);
        for (int w = 0; w < 16; w++) {
            page.words((int) ((hits * 16 + w) % 1022), hits);
        }
        page.turn((turn + 1) & 0xFFFF_FFFFL); // last: the next player may go
        thread.reg(REG_PAGE, (p + 1) % pages.count());
        long turns = thread.reg(REG_TURNS) + 1;
        thread.reg(REG_TURNS, turns);
        long rounds = thread.reg(REG_ROUNDS);
        return rounds > 0 && turns >= rounds ? Step.exit(5_000, 0) : Step.next(5_000);
    }
}
