package io.archipelago.interconnect.platform;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The platform a cluster models, as opposed to the host it runs on: what crossing from one
 * coherence domain to another (or staying within one) costs on the studied hardware. Injected
 * where the host's own cost is lower (a mailbox word is held until send time + its modelled
 * latency; an accessor of a region homed in another domain pays the extra latency per cache line;
 * a DSM page transfer pays its modelled time). The {@link #HOST} platform injects nothing.
 * <p>
 * Costs are given {@link #within} one domain, {@link #between} any two domains, and per named
 * pair of domains ({@link #pairs}, unordered), the most specific applying. Every figure is in
 * nanoseconds, so the model is a plain value the coordinator hands each kernel as one flag
 * ({@link #toFlag()} / {@link #parseFlag(String)}).
 *
 * @param name    the preset it started from ({@code host}, {@code omap4}, {@code cxl-direct},
 *                {@code cxl-switch}), or {@code custom}
 * @param within  two kernels of one coherence domain
 * @param between two kernels of different domains, unless their pair is listed
 * @param pairs   costs of named pairs of domains, keyed by {@link #pairKey}
 */
public record Platform(String name, Costs within, Costs between, Map<String, Costs> pairs) {

    /**
     * What one crossing costs on the modelled platform, in nanoseconds.
     *
     * @param mailboxWordNs  one way, a mailbox word from send to delivery
     * @param lineReadNs     extra latency of reading a cache line homed in the other domain (over a local one)
     * @param lineWriteNs    extra latency of writing such a line
     * @param pageTransferNs moving one 4 KiB DSM page between the two domains
     */
    public record Costs(long mailboxWordNs, long lineReadNs, long lineWriteNs, long pageTransferNs) {

        public static final Costs NONE = new Costs(0, 0, 0, 0);

        public Costs {
            if (mailboxWordNs < 0 || lineReadNs < 0 || lineWriteNs < 0 || pageTransferNs < 0) {
                throw new IllegalArgumentException("platform costs are never negative, found " + describe(mailboxWordNs, lineReadNs,
                    lineWriteNs, pageTransferNs));
            }
            if (mailboxWordNs > MAX_NS || lineReadNs > MAX_NS || lineWriteNs > MAX_NS || pageTransferNs > MAX_NS) {
                throw new IllegalArgumentException("platform costs are at most " + MAX_NS / 1_000_000 + " ms, found "
                    + describe(mailboxWordNs, lineReadNs, lineWriteNs, pageTransferNs));
            }
        }

        private static String describe(long m, long r, long w, long p) {
            return "mailbox-word " + m + " ns, remote-line-read " + r + " ns, remote-line-write " + w + " ns, page-transfer " + p + " ns";
        }

        public boolean none() {
            return mailboxWordNs == 0 && lineReadNs == 0 && lineWriteNs == 0 && pageTransferNs == 0;
        }

        public Costs withMailboxWord(long ns) {
            return new Costs(ns, lineReadNs, lineWriteNs, pageTransferNs);
        }

        public Costs withLineRead(long ns) {
            return new Costs(mailboxWordNs, ns, lineWriteNs, pageTransferNs);
        }

        public Costs withLineWrite(long ns) {
            return new Costs(mailboxWordNs, lineReadNs, ns, pageTransferNs);
        }

        public Costs withPageTransfer(long ns) {
            return new Costs(mailboxWordNs, lineReadNs, lineWriteNs, ns);
        }

        /** The costs by their YAML keys, in nanoseconds (for status and bench JSON). */
        public Map<String, Long> toMap() {
            Map<String, Long> map = new LinkedHashMap<>();
            map.put("mailbox_word_ns", mailboxWordNs);
            map.put("remote_line_read_ns", lineReadNs);
            map.put("remote_line_write_ns", lineWriteNs);
            map.put("page_transfer_ns", pageTransferNs);
            return map;
        }

        @Override
        public String toString() {
            return describe(mailboxWordNs, lineReadNs, lineWriteNs, pageTransferNs);
        }
    }

    /** A modelled cost above this (10 ms) is a mistake in units, not a platform. */
    public static final long MAX_NS = 10_000_000;

    /** Inject nothing: the host's own costs are the platform's. The default. */
    public static final Platform HOST = new Platform("host", Costs.NONE, Costs.NONE, Map.of());

    /**
     * TI OMAP4, K2's platform: a hardware mailbox word between the Cortex-A9 and Cortex-M3
     * domains takes 0.31–0.75 µs with interrupts (TI application note SPRADG0A): 0.5 µs. The two
     * domains share no coherent memory (K2's DSM moves pages): a page copied by the A9 over the L3
     * interconnect, about 4 µs for 4 KiB (roughly 1 GB/s of uncached copy). Remote lines: none,
     * as nothing is accessed coherently across the domains.
     */
    public static final Platform OMAP4 = new Platform("omap4", Costs.NONE, new Costs(500, 0, 0, 4_000), Map.of());

    /**
     * A CXL memory device attached directly (no switch): a load from it costs 70–90 ns over local
     * DRAM (Pond, ASPLOS'23): 80 ns, writes taken alike. A mailbox word is a line written by one
     * domain and read by the other through the device: about twice a CXL access (2 x (local ~110 ns
     * + 80 ns)), 0.4 µs. A 4 KiB page over a x8 link (about 25 GB/s) plus its latency: 0.4 µs.
     */
    public static final Platform CXL_DIRECT = new Platform("cxl-direct", Costs.NONE, new Costs(400, 80, 80, 400), Map.of());

    /**
     * CXL memory behind a switch: 170–400 ns over local DRAM (measured on switched CXL memory,
     * e.g. XConn's Apollo switch: MemChannel, NSDI'26; the persistent CXL switch study reports the
     * same range): 300 ns. A mailbox word twice that plus local DRAM, 0.8 µs; a page 0.8 µs.
     */
    public static final Platform CXL_SWITCH = new Platform("cxl-switch", Costs.NONE, new Costs(800, 300, 300, 800), Map.of());

    public static final List<Platform> PRESETS = List.of(HOST, OMAP4, CXL_DIRECT, CXL_SWITCH);

    /** The preset names: host, omap4, cxl-direct, cxl-switch. */
    public static final List<String> PRESET_NAMES = PRESETS.stream().map(Platform::name).toList();

    public Platform {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(within, "within");
        Objects.requireNonNull(between, "between");
        pairs = java.util.Collections.unmodifiableMap(new TreeMap<>(pairs));
    }

    /** A preset by name. */
    public static Platform preset(String name) {
        for (Platform preset : PRESETS) {
            if (preset.name.equals(name)) {
                return preset;
            }
        }
        throw new IllegalArgumentException("unknown platform '" + name + "': expected one of " + String.join(", ", PRESET_NAMES));
    }

    /** The unordered key of a pair of domains: the two names sorted, joined by '+'. */
    public static String pairKey(String domainA, String domainB) {
        return domainA.compareTo(domainB) <= 0 ? domainA + "+" + domainB : domainB + "+" + domainA;
    }

    /** The costs between two kernels of these domains (either order). */
    public Costs costs(String domainA, String domainB) {
        Costs pair = pairs.get(pairKey(domainA, domainB));
        if (pair != null) {
            return pair;
        }
        return domainA.equals(domainB) ? within : between;
    }

    /** Whether this platform injects nothing anywhere (the host's costs are the platform's). */
    public boolean injectsNothing() {
        return within.none() && between.none() && pairs.values().stream().allMatch(Costs::none);
    }

    public Platform withName(String newName) {
        return new Platform(newName, within, between, pairs);
    }

    public Platform withWithin(Costs costs) {
        return new Platform(name, costs, between, pairs);
    }

    public Platform withBetween(Costs costs) {
        return new Platform(name, within, costs, pairs);
    }

    public Platform withPair(String domainA, String domainB, Costs costs) {
        Map<String, Costs> next = new TreeMap<>(pairs);
        next.put(pairKey(domainA, domainB), costs);
        return new Platform(name, within, between, next);
    }

    /**
     * The platform as one command-line value: {@code name;within=M/R/W/P;between=M/R/W/P[;a+b=M/R/W/P...]},
     * every figure in nanoseconds (mailbox word, remote line read, remote line write, page transfer).
     */
    public String toFlag() {
        StringBuilder text = new StringBuilder(name).append(";within=").append(flag(within)).append(";between=").append(flag(between));
        pairs.forEach((key, costs) -> text.append(';').append(key).append('=').append(flag(costs)));
        return text.toString();
    }

    private static String flag(Costs costs) {
        return costs.mailboxWordNs + "/" + costs.lineReadNs + "/" + costs.lineWriteNs + "/" + costs.pageTransferNs;
    }

    /**
     * A platform from {@link #toFlag()}'s text, or a preset's bare name.
     *
     * @throws IllegalArgumentException saying what was expected and what was found
     */
    public static Platform parseFlag(String text) {
        String trimmed = text == null ? "" : text.strip();
        if (!trimmed.contains(";")) {
            return preset(trimmed.toLowerCase(Locale.ROOT));
        }
        String[] parts = trimmed.split(";");
        String name = parts[0];
        Costs within = null;
        Costs between = null;
        Map<String, Costs> pairs = new TreeMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("platform: expected key=M/R/W/P in '" + text + "', found '" + parts[i] + "'");
            }
            String key = parts[i].substring(0, eq);
            Costs costs = parseCosts(parts[i].substring(eq + 1), text);
            switch (key) {
                case "within" -> within = costs;
                case "between" -> between = costs;
                default -> {
                    String[] domains = key.split("\\+");
                    if (domains.length != 2 || domains[0].isEmpty() || domains[1].isEmpty()) {
                        throw new IllegalArgumentException("platform: expected within, between or a pair of domains 'a+b' in '" + text
                            + "', found '" + key + "'");
                    }
                    pairs.put(pairKey(domains[0], domains[1]), costs);
                }
            }
        }
        if (within == null || between == null) {
            throw new IllegalArgumentException("platform: expected both within= and between= in '" + text + "'");
        }
        return new Platform(name, within, between, pairs);
    }

    private static Costs parseCosts(String value, String text) {
        String[] figures = value.split("/");
        if (figures.length != 4) {
            throw new IllegalArgumentException("platform: expected four figures in ns (mailbox word/line read/line write/page transfer) in '"
                + text + "', found '" + value + "'");
        }
        long[] ns = new long[4];
        for (int i = 0; i < 4; i++) {
            try {
                ns[i] = Long.parseLong(figures[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("platform: expected a whole number of ns in '" + text + "', found '" + figures[i] + "'");
            }
        }
        return new Costs(ns[0], ns[1], ns[2], ns[3]);
    }

    /** The platform as status and bench JSON show it. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", name);
        map.put("within", within.toMap());
        map.put("between", between.toMap());
        List<Map<String, Object>> listed = new ArrayList<>();
        pairs.forEach((key, costs) -> {
            Map<String, Object> pair = new LinkedHashMap<>();
            pair.put("domains", List.of(key.split("\\+")));
            pair.putAll(costs.toMap());
            listed.add(pair);
        });
        map.put("pairs", listed);
        return map;
    }

    @Override
    public String toString() {
        return toFlag();
    }
}
