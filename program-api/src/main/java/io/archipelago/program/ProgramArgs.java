package io.archipelago.program;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The {@code key=value} arguments of {@code archipelago run PROGRAM --arg key=value}, read by a program when a thread starts. */
public final class ProgramArgs {

    private final String program;
    private final Map<String, String> values;

    public ProgramArgs(String program, Map<String, String> values) {
        this.program = program;
        this.values = new TreeMap<>(values);
    }

    public static ProgramArgs none(String program) {
        return new ProgramArgs(program, Map.of());
    }

    public Map<String, String> asMap() {
        return Map.copyOf(values);
    }

    /**
     * A non-negative integer argument, with a default. Accepts a plain number or one with a
     * unit suffix: k, M, G (x1000) and KiB, MiB (x1024).
     *
     * @throws IllegalArgumentException naming the argument when the value is not such a number
     */
    public long number(String key, long defaultValue) {
        String value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        String v = value.trim();
        long unit = 1;
        for (var suffix : new String[][] {{"KiB", "1024"}, {"MiB", "1048576"}, {"k", "1000"}, {"M", "1000000"}, {"G", "1000000000"}}) {
            if (v.endsWith(suffix[0])) {
                unit = Long.parseLong(suffix[1]);
                v = v.substring(0, v.length() - suffix[0].length());
                break;
            }
        }
        try {
            long parsed = Math.multiplyExact(Long.parseLong(v), unit);
            if (parsed < 0) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(program + ": argument " + key + " expects a non-negative integer (units k, M, G, KiB, MiB "
                + "allowed), found '" + value + "'");
        }
    }

    /** Refuses arguments the program does not know. */
    public void allowOnly(Set<String> known) {
        for (String key : values.keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException(program + ": unknown argument '" + key + "'; it accepts "
                    + (known.isEmpty() ? "none" : String.join(", ", new java.util.TreeSet<>(known))));
            }
        }
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
