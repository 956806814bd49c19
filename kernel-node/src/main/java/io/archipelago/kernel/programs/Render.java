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
 * {@code render}: CPU-bound work (K2's example of a background task worth a strong core: image
 * rendering). Each step really computes one row of a 64 x 64 Mandelbrot tile into the thread's
 * framebuffer and declares about 10 cycles per iteration; it never blocks. {@code frames=N}
 * exits after N frames.
 */
public final class Render implements Program {

    static final int SIZE = 64;
    static final int MAX_ITERATIONS = 256;

    @Typed("render_row")
    public interface Row {
        @CType("unsigned short[64]") int pixel(int i);
        void pixel(int i, int value);
    }

    static final int REG_ROW = 0;
    static final int REG_FRAME = 1;
    static final int REG_LIMIT = 2;
    static final int REG_CHECKSUM = 3;

    @Override
    public String name() {
        return "render";
    }

    @Override
    public String summary() {
        return "CPU-bound: renders a 64x64 Mandelbrot tile, one row per step, never blocks (args: frames=N then exit)";
    }

    @Override
    public Optional<ProgramData> threadData(ProgramArgs args) {
        return Optional.of(new ProgramData(Row.class, SIZE));
    }

    @Override
    public void start(ThreadContext thread, ProgramArgs args) {
        args.allowOnly(Set.of("frames"));
        thread.reg(REG_LIMIT, args.number("frames", 0));
    }

    @Override
    public Step step(ThreadContext thread) {
        TypedRegion<Row> rows = thread.data(Row.class);
        int y = (int) thread.reg(REG_ROW);
        long frame = thread.reg(REG_FRAME);
        Row row = rows.at(y);
        double zoom = 1.0 + (frame % 16) * 0.25;
        long iterations = 0;
        long checksum = thread.reg(REG_CHECKSUM);
        for (int x = 0; x < SIZE; x++) {
            double cr = -0.75 + (x - SIZE / 2.0) * 3.0 / (SIZE * zoom);
            double ci = (y - SIZE / 2.0) * 3.0 / (SIZE * zoom);
            double zr = 0;
            double zi = 0;
            int n = 0;
            while (n < MAX_ITERATIONS && zr * zr + zi * zi <= 4) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                n++;
            }
            iterations += n;
            row.pixel(x, n);
            checksum = checksum * 31 + n;
        }
        thread.reg(REG_CHECKSUM, checksum);
        long cycles = 1_000 + iterations * 10;
        if (y + 1 == SIZE) {
            thread.reg(REG_ROW, 0);
            thread.reg(REG_FRAME, frame + 1);
            long limit = thread.reg(REG_LIMIT);
            if (limit > 0 && frame + 1 >= limit) {
                return Step.exit(cycles, 0);
            }
        } else {
            thread.reg(REG_ROW, y + 1);
        }
        return Step.next(cycles);
    }
}
