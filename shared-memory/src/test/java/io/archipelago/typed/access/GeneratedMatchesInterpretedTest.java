package io.archipelago.typed.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.typed.DataModel;
import io.archipelago.typed.header.HeaderParser;
import io.archipelago.typed.layout.RecordLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Property test: over hundreds of random region layouts (random member order, random
 * compatible C types of every width and signedness, padding, packing, alignment attributes,
 * anonymous unions, all five data models, array of structs and struct of arrays), the
 * generated accessor reads exactly what the interpreting reference reads (value, or the same
 * exception and message), and writes exactly the same bytes (or refuses alike).
 */
class GeneratedMatchesInterpretedTest {

    private static final String[] INTEGER_TYPES = {"char", "signed char", "unsigned char", "short", "unsigned short", "int", "unsigned int",
        "long", "unsigned long", "long long", "unsigned long long", "int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t",
        "int64_t", "uint64_t", "size_t", "ssize_t", "intptr_t", "uintptr_t", "ptrdiff_t", "enum small", "enum wide", "aint"};
    private static final String[] FLOAT_TYPES = {"float", "double"};
    private static final String[] POINTER_TYPES = {"void *", "char *", "struct pair *", "int (*)"};
    private static final long[] INTERESTING = {0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769, 65535, 65536,
        Integer.MAX_VALUE, Integer.MAX_VALUE + 1L, Integer.MIN_VALUE, Integer.MIN_VALUE - 1L, 0xFFFF_FFFFL, 1L << 32, Long.MAX_VALUE,
        Long.MIN_VALUE};
    private static final double[] DOUBLES = {0, -0.0, 1.5, -2.25, 1e10, 3.4e38, 3.5e38, -1e300, Double.NaN, Double.POSITIVE_INFINITY,
        Double.MIN_VALUE};

    @Test
    void generatedAccessorsBehaveExactlyAsTheInterpreterOnRandomLayouts() throws Exception {
        int trials = 400;
        int comparisons = 0;
        for (int trial = 0; trial < trials; trial++) {
            comparisons += trial(trial);
        }
        assertThat(comparisons).as("comparisons made").isGreaterThanOrEqualTo(trials * 90);
    }

    private int trial(long seed) throws Exception {
        Random random = new Random(seed);
        String header = randomHeader(random);
        DataModel model = DataModel.values()[random.nextInt(DataModel.values().length)];
        RecordLayout layout;
        try {
            layout = model.layoutEngine().record(HeaderParser.parse("random.h", header).record("probe"));
        } catch (RuntimeException e) {
            throw new AssertionError("seed " + seed + ": cannot lay out\n" + header, e);
        }
        int count = 3;
        boolean columns = random.nextBoolean();
        RegionBinding binding;
        long bytes;
        if (columns) {
            long[] offsets = new long[layout.members().size()];
            long[] strides = new long[layout.members().size()];
            long at = 0;
            for (int m = 0; m < offsets.length; m++) {
                offsets[m] = at;
                strides[m] = layout.members().get(m).size();
                at += strides[m] * count;
            }
            binding = RegionBinding.structOfArrays("random", 1 << 20, count, offsets, strides);
            bytes = at;
        } else {
            binding = RegionBinding.arrayOfStructs("random", 1 << 20, count, layout.size());
            bytes = layout.size() * count;
        }
        String context = "seed " + seed + " on " + model + (columns ? " (struct of arrays)" : "") + ":\n" + header;
        int comparisons = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(bytes);
            MemorySegment b = arena.allocate(bytes);
            for (long i = 0; i < bytes; i++) {
                a.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
            }
            b.copyFrom(a);
            int element = random.nextInt(count);
            Probe generatedA = AccessorFactory.generated(Probe.class, layout, a, binding, null).view(element);
            Probe interpretedA = AccessorFactory.interpreted(Probe.class, layout, a, binding, null).view(element);
            Probe interpretedB = AccessorFactory.interpreted(Probe.class, layout, b, binding, null).view(element);

            // reads of every member (and of nested members, and out-of-range indices)
            for (Function<Probe, Object> read : reads()) {
                assertThat(outcome(() -> read.apply(generatedA))).as(context).isEqualTo(outcome(() -> read.apply(interpretedA)));
                comparisons++;
            }
            assertThat(generatedA.globalAddress()).as(context).isEqualTo(interpretedA.globalAddress());

            // writes of interesting and random values: same outcome, same bytes
            for (Method setter : setters()) {
                for (int k = 0; k < 6; k++) {
                    Object[] args = arguments(setter, random);
                    Object onA = outcome(() -> invoke(setter, generatedA, args));
                    Object onB = outcome(() -> invoke(setter, interpretedB, args));
                    assertThat(onA).as(context + "\n" + setter.getName() + java.util.Arrays.toString(args)).isEqualTo(onB);
                    comparisons++;
                }
            }
            pairWrites(random, generatedA, interpretedB, context);
            assertThat(a.asByteBuffer()).as(context + "\nbytes after the writes").isEqualTo(b.asByteBuffer());
        }
        return comparisons;
    }

    private static void pairWrites(Random random, Probe generated, Probe interpreted, String context) {
        for (int k = 0; k < 8; k++) {
            long value = random.nextBoolean() ? INTERESTING[random.nextInt(INTERESTING.length)] : random.nextLong();
            int which = random.nextInt(3);
            Object x = outcome(() -> {
                pair(generated, which).a(value);
                return null;
            });
            Object y = outcome(() -> {
                pair(interpreted, which).a(value);
                return null;
            });
            assertThat(x).as(context + "\npair a " + value).isEqualTo(y);
            byte small = (byte) value;
            Object u = outcome(() -> {
                pair(generated, which).b(small);
                return null;
            });
            Object v = outcome(() -> {
                pair(interpreted, which).b(small);
                return null;
            });
            assertThat(u).as(context + "\npair b " + small).isEqualTo(v);
        }
    }

    private static Probe.Pair pair(Probe probe, int which) {
        return which == 2 ? probe.pair() : probe.pairs(which);
    }

    private static List<Function<Probe, Object>> reads() {
        List<Function<Probe, Object>> reads = new ArrayList<>(List.of(Probe::l, Probe::i, Probe::s, Probe::b, Probe::c, Probe::ui,
            Probe::flag, Probe::d, Probe::f, Probe::p, p -> p.pair().a(), p -> p.pair().b(), p -> p.pairs(0).a(), p -> p.pairs(1).b(),
            p -> p.pairs(2), p -> p.pairs(-1), p -> p.grid(3, 0), p -> p.grid(0, 2)));
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 2; j++) {
                int fi = i;
                int fj = j;
                reads.add(p -> p.grid(fi, fj));
            }
        }
        return reads;
    }

    private static List<Method> setters() {
        List<Method> setters = new ArrayList<>();
        for (Method method : Probe.class.getDeclaredMethods()) {
            if (method.getReturnType() == void.class) {
                setters.add(method);
            }
        }
        setters.sort(java.util.Comparator.comparing(Method::toString));
        return setters;
    }

    private static Object[] arguments(Method setter, Random random) {
        Class<?>[] types = setter.getParameterTypes();
        Object[] args = new Object[types.length];
        for (int p = 0; p < types.length; p++) {
            boolean index = p < types.length - 1;
            long raw = random.nextInt(4) == 0 ? random.nextLong() : INTERESTING[random.nextInt(INTERESTING.length)];
            if (index) {
                raw = random.nextInt(5) - 1;
            }
            double real = random.nextInt(3) == 0 ? random.nextGaussian() * Math.pow(10, random.nextInt(80) - 40) : DOUBLES[random.nextInt(DOUBLES.length)];
            args[p] = switch (types[p].getName()) {
                case "byte" -> (byte) raw;
                case "short" -> (short) raw;
                case "char" -> (char) raw;
                case "int" -> (int) raw;
                case "long" -> raw;
                case "boolean" -> random.nextBoolean();
                case "float" -> (float) real;
                case "double" -> real;
                default -> throw new IllegalStateException(types[p].getName());
            };
        }
        return args;
    }

    private static Object invoke(Method method, Object target, Object[] args) {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The value, or the exception's class and message: what both accessors must agree on. */
    private static Object outcome(java.util.function.Supplier<Object> action) {
        try {
            Object value = action.get();
            if (value instanceof Probe.Pair) {
                return "a view";
            }
            return value instanceof Double d && d.isNaN() ? "NaN" : value instanceof Float f && f.isNaN() ? "NaNf" : Objects.toString(value)
                + " (" + (value == null ? "void" : value.getClass().getSimpleName()) + ")";
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    // ------------------------------------------------------------------ random headers

    private static String randomHeader(Random random) {
        StringBuilder h = new StringBuilder();
        h.append("enum small { S0, S1 = 200 } __attribute__((packed));\n");
        h.append("enum wide { W0 = -5, W1 = 0x7FFFFFFF };\n");
        h.append("typedef ").append(pick(random, "int", "unsigned short", "long")).append(" aint __attribute__((aligned(")
            .append(1 << random.nextInt(4)).append(")));\n");
        h.append("struct pair { ");
        List<String> pairMembers = new ArrayList<>(List.of(integer(random) + " a;", integer(random) + " b;"));
        Collections.shuffle(pairMembers, random);
        pairMembers.forEach(m -> h.append(m).append(' '));
        h.append("}").append(random.nextInt(4) == 0 ? " __attribute__((packed))" : "").append(";\n");
        List<String> members = new ArrayList<>();
        members.add(integer(random) + " l");
        members.add(integer(random) + " i");
        members.add(integer(random) + " s");
        members.add(integer(random) + " b");
        members.add(integer(random) + " c");
        members.add(integer(random) + " ui");
        members.add("_Bool flag");
        members.add(pick(random, FLOAT_TYPES) + " d");
        members.add(pick(random, FLOAT_TYPES) + " f");
        String pointer = pick(random, POINTER_TYPES);
        members.add(pointer.equals("int (*)") ? "int (*p)(void)" : pointer + "p");
        members.add(integer(random) + " grid[3][2]");
        members.add("struct pair pair");
        members.add("struct pair pairs[2]");
        for (int pad = random.nextInt(4); pad > 0; pad--) {
            members.add(pick(random, "char", "short", "double", "long long", "void *") + " pad" + pad + "[" + (1 + random.nextInt(3)) + "]");
        }
        Collections.shuffle(members, random);
        h.append("struct probe {\n");
        for (String member : members) {
            String declaration = member;
            if (random.nextInt(6) == 0) {
                declaration = declaration + " __attribute__((aligned(" + (1 << random.nextInt(5)) + ")))";
            }
            if (random.nextInt(8) == 0 && !member.startsWith("struct pair pairs")) {
                h.append("    union { ").append(declaration).append("; char filler").append(random.nextInt(1000)).append('[')
                    .append(1 + random.nextInt(20)).append("]; };\n");
            } else {
                h.append("    ").append(declaration).append(";\n");
            }
        }
        h.append("}").append(random.nextInt(4) == 0 ? " __attribute__((packed))" : "").append(";\n");
        return h.toString();
    }

    private static String integer(Random random) {
        return pick(random, INTEGER_TYPES);
    }

    private static String pick(Random random, String... choices) {
        return choices[random.nextInt(choices.length)];
    }
}
