package io.archipelago.kernel.energy;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The power of one core of an island, in the states the scheduler's {@code CoreTimeline} records:
 * BUSY at {@code activeMw}; IDLE at {@code idleMw} (clock-gated, powered: ARM's WFI) for up to
 * {@code sleepAfterUs}, and past that at {@code sleepMw} (power domain off or in retention: the
 * cpuidle governor's deep state once its target residency has passed), plus {@code wakeupUj} when
 * the core becomes busy again (context restore, cache refill: K2's "entering and leaving power
 * states is expensive"). An interrupt handled by the kernel costs {@code irqCycles} at active
 * power on one core, plus a wake-up when the kernel was asleep.
 * <p>
 * The two presets are K2's OMAP4 (dual Cortex-A9 strong domain, Cortex-M3 weak domain). They are
 * <b>assumptions</b> of the emulator, orders of magnitude from public figures, not measurements
 * (docs/energy.md gives the reasoning and sources): ARM quotes the Cortex-A9 at roughly
 * 0.4-0.5 mW/MHz (hard macro, 40 nm), so about 500 mW per core at 1 GHz; the Cortex-M3 at
 * roughly 0.1 mW/MHz including memories, so about 20 mW at 200 MHz; OMAP4's CPU OFF state takes
 * on the order of a millisecond to leave and has a target residency of a few milliseconds; the
 * M3 wakes from sleep in tens of cycles.
 * <p>
 * Written in configuration (island {@code power-model}) as a preset name, optionally followed by
 * overrides: {@code cortex-a9;active-mw=600;sleep-after-us=5000}.
 *
 * @param wakeupLatencyUs reported, not simulated: the scheduler does not delay a waking core (the
 *                        energy of the latency is part of {@code wakeupUj})
 */
public record PowerModel(String name, double activeMw, double idleMw, double sleepMw, double wakeupUj, long wakeupLatencyUs,
                         long sleepAfterUs, long irqCycles) {

    /** K2's strong domain: a Cortex-A9 core of OMAP4 at about 1 GHz (assumed figures, see the class comment). */
    public static final PowerModel CORTEX_A9 = new PowerModel("cortex-a9", 500, 50, 1, 300, 1000, 2000, 10_000);
    /** K2's weak domain: OMAP4's Cortex-M3 at about 200 MHz (assumed figures, see the class comment). */
    public static final PowerModel CORTEX_M3 = new PowerModel("cortex-m3", 20, 3, 0.1, 1, 20, 100, 10_000);
    /** No power model configured: every figure 0 (energy counters stay 0). */
    public static final PowerModel NONE = new PowerModel("none", 0, 0, 0, 0, 0, 0, 0);

    private static final Map<String, PowerModel> PRESETS = Map.of(CORTEX_A9.name, CORTEX_A9, CORTEX_M3.name, CORTEX_M3, NONE.name,
        NONE);

    public PowerModel {
        if (activeMw < 0 || idleMw < 0 || sleepMw < 0 || wakeupUj < 0 || wakeupLatencyUs < 0 || sleepAfterUs < 0 || irqCycles < 0) {
            throw new IllegalArgumentException("power model " + name + ": every figure is >= 0, found active " + activeMw + " mW, idle "
                + idleMw + " mW, sleep " + sleepMw + " mW, wake-up " + wakeupUj + " uJ / " + wakeupLatencyUs + " us, sleep after "
                + sleepAfterUs + " us, irq " + irqCycles + " cycles");
        }
    }

    /**
     * A model from configuration: a preset ({@code cortex-a9}, {@code cortex-m3}, {@code none};
     * empty = none), then {@code ;key=value} overrides among active-mw, idle-mw, sleep-mw,
     * wakeup-uj, wakeup-latency-us, sleep-after-us, irq-cycles.
     *
     * @throws IllegalArgumentException naming what was expected and what was found
     */
    public static PowerModel parse(String spec) {
        String text = spec == null ? "" : spec.strip();
        if (text.isEmpty()) {
            return NONE;
        }
        String[] parts = text.split(";");
        String presetName = parts[0].strip().toLowerCase(Locale.ROOT);
        PowerModel preset = PRESETS.get(presetName);
        if (preset == null) {
            throw new IllegalArgumentException("unknown power model '" + parts[0].strip() + "': expected one of " + PRESETS.keySet()
                + ", optionally followed by ;key=value overrides");
        }
        Map<String, Double> values = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i].strip();
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("power model '" + text + "': expected key=value, found '" + part + "'");
            }
            String key = part.substring(0, eq).strip();
            double value;
            try {
                value = Double.parseDouble(part.substring(eq + 1).strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("power model '" + text + "': " + key + " expects a number, found '"
                    + part.substring(eq + 1).strip() + "'");
            }
            values.put(key, value);
        }
        PowerModel model = preset;
        for (Map.Entry<String, Double> entry : values.entrySet()) {
            model = model.with(entry.getKey(), entry.getValue(), text);
        }
        return model;
    }

    private PowerModel with(String key, double v, String spec) {
        return switch (key) {
            case "active-mw" -> new PowerModel(name, v, idleMw, sleepMw, wakeupUj, wakeupLatencyUs, sleepAfterUs, irqCycles);
            case "idle-mw" -> new PowerModel(name, activeMw, v, sleepMw, wakeupUj, wakeupLatencyUs, sleepAfterUs, irqCycles);
            case "sleep-mw" -> new PowerModel(name, activeMw, idleMw, v, wakeupUj, wakeupLatencyUs, sleepAfterUs, irqCycles);
            case "wakeup-uj" -> new PowerModel(name, activeMw, idleMw, sleepMw, v, wakeupLatencyUs, sleepAfterUs, irqCycles);
            case "wakeup-latency-us" -> new PowerModel(name, activeMw, idleMw, sleepMw, wakeupUj, (long) v, sleepAfterUs, irqCycles);
            case "sleep-after-us" -> new PowerModel(name, activeMw, idleMw, sleepMw, wakeupUj, wakeupLatencyUs, (long) v, irqCycles);
            case "irq-cycles" -> new PowerModel(name, activeMw, idleMw, sleepMw, wakeupUj, wakeupLatencyUs, sleepAfterUs, (long) v);
            default -> throw new IllegalArgumentException("power model '" + spec + "': unknown key '" + key + "', expected one of "
                + "active-mw, idle-mw, sleep-mw, wakeup-uj, wakeup-latency-us, sleep-after-us, irq-cycles");
        };
    }

    public long sleepAfterNs() {
        return sleepAfterUs * 1000;
    }

    /** Energy of {@code ns} at {@code mw}, in picojoules (1 mW for 1 ns is 1 pJ). */
    static long picojoules(double mw, long ns) {
        return Math.round(mw * ns);
    }

    public long wakeupPj() {
        return Math.round(wakeupUj * 1_000_000);
    }
}
