package io.archipelago.kernel.programs;

import io.archipelago.program.Program;
import io.archipelago.program.ProgramArgs;
import io.archipelago.program.ProgramData;
import io.archipelago.program.Step;
import io.archipelago.program.ThreadContext;
import io.archipelago.program.WakeReason;
import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;
import io.archipelago.typed.region.TypedRegion;
import java.util.Optional;
import java.util.Set;

/**
 * {@code mail-sync}: K2's light background work (its motivating example is a mail client's
 * periodic sync): wait for a device interrupt on line {@code irq} (a timer wakes it after
 * {@code period-ms} when no interrupt comes), touch a few pages of its mailbox ({@code touch} of
 * its {@code pages} pages of 4 KiB), sleep {@code sleep-ms}, and again. Light: a sync costs
 * {@code cycles} per page touched.
 */
public final class MailSync implements Program {

    /** One 4 KiB page of the thread's mailbox. */
    @Typed("mail_page")
    public interface MailPage {
        @CType("unsigned int[1024]") long words(int i);
        void words(int i, long value);
    }

    static final int REG_PHASE = 0;
    static final int REG_SYNCS = 1;
    static final int REG_IRQ_WAKES = 2;
    static final int REG_CURSOR = 3;
    /** irq | touch << 24 */
    static final int REG_CONFIG = 4;
    /** period (virtual ns) */
    static final int REG_PERIOD = 5;
    /** sleep (virtual ns) */
    static final int REG_SLEEP = 6;
    /** cycles per page | limit << 32 */
    static final int REG_COST = 7;

    private static final int PHASE_WAIT = 0;
    private static final int PHASE_SYNC = 1;
    private static final int WORDS_TOUCHED_PER_PAGE = 16;

    @Override
    public String name() {
        return "mail-sync";
    }

    @Override
    public String summary() {
        return "K2's light background work: wait for irq (or a timer), touch a few pages, sleep (args: irq, period-ms, pages, touch, "
            + "sleep-ms, cycles per page, limit syncs)";
    }

    @Override
    public Optional<ProgramData> threadData(ProgramArgs args) {
        long pages = args.number("pages", 4);
        if (pages < 1 || pages > 4096) {
            throw new IllegalArgumentException("mail-sync: pages is 1 to 4096, found " + pages);
        }
        return Optional.of(new ProgramData(MailPage.class, pages));
    }

    @Override
    public void start(ThreadContext thread, ProgramArgs args) {
        args.allowOnly(Set.of("irq", "period-ms", "pages", "touch", "sleep-ms", "cycles", "limit"));
        long irq = args.number("irq", 1);
        long touch = args.number("touch", 2);
        long limit = args.number("limit", 0);
        long cycles = args.number("cycles", 20_000);
        if (irq > 0xFF_FFFF || touch < 1 || touch > 255 || limit > Integer.MAX_VALUE || cycles < 1 || cycles > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("mail-sync: expected irq 0..16777215, touch 1..255, limit < 2^31, cycles 1..2^31-1; found irq "
                + irq + ", touch " + touch + ", limit " + limit + ", cycles " + cycles);
        }
        thread.reg(REG_PHASE, PHASE_WAIT);
        thread.reg(REG_CONFIG, irq | touch << 24);
        thread.reg(REG_PERIOD, args.number("period-ms", 100) * 1_000_000);
        thread.reg(REG_SLEEP, args.number("sleep-ms", 10) * 1_000_000);
        thread.reg(REG_COST, cycles | limit << 32);
    }

    @Override
    public Step step(ThreadContext thread) {
        long config = thread.reg(REG_CONFIG);
        int irq = (int) (config & 0xFF_FFFF);
        if (thread.reg(REG_PHASE) == PHASE_WAIT) {
            thread.reg(REG_PHASE, PHASE_SYNC);
            return Step.waitIrq(200, irq, thread.reg(REG_PERIOD));
        }
        if (thread.wakeReason() == WakeReason.IRQ) {
            thread.reg(REG_IRQ_WAKES, thread.reg(REG_IRQ_WAKES) + 1);
        }
        TypedRegion<MailPage> pages = thread.data(MailPage.class);
        int touch = (int) ((config >>> 24) & 0xFF);
        long syncs = thread.reg(REG_SYNCS) + 1;
        long cursor = thread.reg(REG_CURSOR);
        MailPage page = pages.at(0);
        for (int p = 0; p < touch; p++) {
            pages.moveTo(page, (cursor + p) % pages.count());
            for (int w = 0; w < WORDS_TOUCHED_PER_PAGE; w++) {
                int word = (int) ((syncs * 7 + w * 64) % 1024);
                page.words(word, (page.words(word) + syncs) & 0xFFFF_FFFFL);
            }
        }
        thread.reg(REG_CURSOR, (cursor + touch) % pages.count());
        thread.reg(REG_SYNCS, syncs);
        thread.reg(REG_PHASE, PHASE_WAIT);
        long cost = thread.reg(REG_COST);
        long cycles = (cost & 0xFFFF_FFFFL) * touch;
        long limit = cost >>> 32;
        if (limit > 0 && syncs >= limit) {
            return Step.exit(cycles, 0);
        }
        long sleep = thread.reg(REG_SLEEP);
        return sleep > 0 ? Step.sleep(cycles, sleep) : Step.yield(cycles);
    }
}
