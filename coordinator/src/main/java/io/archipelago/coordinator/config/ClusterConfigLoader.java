package io.archipelago.coordinator.config;

import io.archipelago.directory.ClusterDirectory;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.typed.DataModel;
import io.archipelago.interconnect.mailbox.MailboxConfiguration;
import io.archipelago.interconnect.mailbox.MailboxContext;
import io.archipelago.interconnect.mailbox.MailboxTransport;
import io.archipelago.interconnect.platform.Platform;
import io.archipelago.kernel.KernelConfiguration;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a cluster configuration from YAML. Every key is optional and defaults to K2's platform;
 * an unknown key or an invalid value is an error naming the key, its line, what was expected
 * and what was found.
 *
 * <pre>
 * cluster: k2                    # name: a-z 0-9 _ . -  (default k2)
 * launch: local                  # local (child processes) | external (containers join)
 * memory:
 *   size: 128MiB                 # bytes, or with KiB/MiB/GiB
 *   page-size: 4KiB
 *   block-size: 1MiB
 *   max-kernels: 64
 * control:
 *   host: 127.0.0.1              # where the coordinator serves the control API
 *   port: 0                      # 0 = any free port
 * mailbox:
 *   transport: shm               # shm (words in global memory, TCP links) | tcp | unix
 *   fifo-depth: 4
 *   loop-spin-us: 50             # the interrupt context polls this long after its last word (0: blocks at once)
 *   loop-poll: idle-core         # idle-core (only while no thread waits for a core) | always
 * heartbeat:
 *   interval-ms: 200
 *   dead-after-ms: 1000          # a kernel silent this long is DEAD
 * kernel-jvm-options:            # every kernel's JVM (default below); see clusters/sixteen.yaml for what matters at scale
 *   [-XX:+UseSerialGC, -Xms16m, -Xmx128m, -Xss512k, -XX:MaxHeapFreeRatio=40, -XX:MinHeapFreeRatio=10,
 *    -XX:TrimNativeHeapInterval=10000]
 * programs: [my-programs.jar, lib/]  # jars of your own programs, or directories of jars (relative to this file):
 *                                     # every kernel loads them, as with up --programs
 * balloon:                       # page blocks between kernels (K2's balloon drivers, meta-level manager)
 *   initial-blocks: even         # blocks each kernel claims at boot: even (the data blocks split evenly) or a number
 *   interval-ms: 100             # how often the manager reads the kernels' pressure probes
 *   pressure-free-pages: 64      # fewer free pages than this: the manager moves blocks to the kernel
 *   batch-blocks: 4              # blocks moved per request (one request word, one grant word)
 *   keep-free-blocks: 2          # a kernel asked to give blocks back keeps this many wholly free
 *   pool-low-blocks: 0           # fewer free blocks in the pool: reclaim from idle kernels (0: never)
 *   idle-after-ms: 2000          # a kernel that made no allocation for this long is idle
 *   request-timeout-ms: 5000     # how long the manager waits for a kernel's balloon driver
 *   migrate-max-pages: 64        # a balloon moves at most this many movable pages to empty a block (0: never)
 * devices:                       # the emulated devices as the cluster boots (archipelago devices changes them)
 *   nic-rate-per-s: 0            # packets per second at the NIC (0: none), at most 20000
 *   timer-period-us: 0           # the timer's period (0: off), at least 1000
 *   routing: k2                  # k2 (K2's rule) | strong (always a strong kernel) | alternate (every kernel in turn)
 *   driver: shared               # the NIC driver's state: shared (K2's shadowed driver) | private
 * platform:                      # the modelled platform's costs (README, "A platform model"); or just a preset's name
 *   preset: host                 # host (inject nothing, the default) | omap4 | cxl-direct | cxl-switch
 *   between:                     # two kernels of different coherence domains (overrides the preset's figures)
 *     mailbox-word: 500ns        # one way, send to delivery (ns, us or ms)
 *     remote-line-read: 80ns     # extra latency of a cache line homed in the other domain
 *     remote-line-write: 80ns
 *     page-transfer: 4us         # one 4 KiB DSM page; or a bandwidth: 1GB/s, 800MB/s
 *   within: {mailbox-word: 0ns}  # two kernels of one domain (same keys)
 *   pairs:                       # a named pair of domains (same keys), over between/within
 *     - {domains: [a, b], mailbox-word: 2us}
 * islands:
 *   - name: strong
 *     data-model: x86_64         # x86_64 | aarch64 | i386 | armv7 | ppc32
 *     cores: 2
 *     speed: 1.0                 # relative to the base frequency
 *     domain: a                  # coherence domain
 *     power-model: cortex-a9
 *     kernels: 1
 * </pre>
 */
public final class ClusterConfigLoader {

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMG]i?B?|B)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern ISLAND_NAME = Pattern.compile(KernelConfiguration.ISLAND_PATTERN);
    private static final Pattern DOMAIN = Pattern.compile(KernelConfiguration.DOMAIN_PATTERN);

    private final String source;
    /** Where the relative paths of {@code programs} start: the YAML file's directory. */
    private final Path baseDirectory;

    private ClusterConfigLoader(String source, Path baseDirectory) {
        this.source = source;
        this.baseDirectory = baseDirectory;
    }

    public static ClusterConfig load(Path file) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return new ClusterConfigLoader(file.toString(), file.toAbsolutePath().getParent()).read(reader);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), 0, "", "no such file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read cluster configuration " + file + ": " + e.getMessage(), e);
        }
    }

    /** A YAML text; relative {@code programs} paths start at the working directory. */
    public static ClusterConfig parse(String yaml, String source) {
        return parse(yaml, source, Path.of(""));
    }

    /** A YAML text whose relative {@code programs} paths start at {@code baseDirectory}. */
    public static ClusterConfig parse(String yaml, String source, Path baseDirectory) {
        return new ClusterConfigLoader(source, baseDirectory.toAbsolutePath()).read(new StringReader(yaml));
    }

    private ClusterConfig read(Reader reader) {
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            root = new Yaml(options).compose(reader);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw new ConfigException(source, line, "", "not valid YAML: " + e.getProblem());
        } catch (RuntimeException e) {
            throw new ConfigException(source, 0, "", "not valid YAML: " + e.getMessage());
        }
        ClusterConfig defaults = ClusterConfig.k2Default();
        if (root == null) {
            return defaults;
        }
        Map<String, NodeTuple> top = mapping(root, "", Set.of("cluster", "launch", "memory", "control", "mailbox", "heartbeat",
            "kernel-jvm-options", "islands", "balloon", "devices", "programs", "platform"));

        String cluster = text(top, "cluster", "", defaults.cluster());
        try {
            ClusterDirectory.checkName(cluster);
        } catch (IllegalArgumentException e) {
            throw error(top.get("cluster").getValueNode(), "cluster", e.getMessage());
        }
        String launch = choice(top, "launch", "", defaults.launch(), List.of("local", "external"));

        MemoryGeometry memory = defaults.memory();
        if (top.containsKey("memory")) {
            Node memoryNode = top.get("memory").getValueNode();
            Map<String, NodeTuple> m = mapping(memoryNode, "memory", Set.of("size", "page-size", "block-size", "max-kernels"));
            long size = size(m, "size", "memory", memory.memoryBytes());
            long page = size(m, "page-size", "memory", memory.pageSize());
            long block = size(m, "block-size", "memory", memory.blockSize());
            int maxKernels = integer(m, "max-kernels", "memory", memory.maxKernels(), 1, MemoryGeometry.MAX_KERNELS_LIMIT);
            if (page > Integer.MAX_VALUE || block > Integer.MAX_VALUE) {
                throw error(memoryNode, "memory", "page and block sizes must be below 2 GiB, found page-size " + page
                    + " and block-size " + block);
            }
            try {
                memory = new MemoryGeometry(size, (int) page, (int) block, maxKernels);
            } catch (IllegalArgumentException e) {
                throw error(memoryNode, "memory", e.getMessage());
            }
        }

        String controlHost = defaults.controlHost();
        int controlPort = defaults.controlPort();
        if (top.containsKey("control")) {
            Map<String, NodeTuple> c = mapping(top.get("control").getValueNode(), "control", Set.of("host", "port"));
            controlHost = text(c, "host", "control", controlHost);
            controlPort = integer(c, "port", "control", controlPort, 0, 65535);
        }

        String transport = defaults.mailboxTransport();
        int fifoDepth = defaults.fifoDepth();
        int loopSpinUs = defaults.loopSpinUs();
        String loopPoll = defaults.loopPoll();
        if (top.containsKey("mailbox")) {
            Map<String, NodeTuple> mb = mapping(top.get("mailbox").getValueNode(), "mailbox", Set.of("transport", "fifo-depth",
                "loop-spin-us", "loop-poll"));
            transport = choice(mb, "transport", "mailbox", transport, MailboxTransport.IDS);
            fifoDepth = integer(mb, "fifo-depth", "mailbox", fifoDepth, MailboxConfiguration.FIFO_DEPTH_MIN,
                MailboxConfiguration.FIFO_DEPTH_MAX);
            loopSpinUs = integer(mb, "loop-spin-us", "mailbox", loopSpinUs, 0, MailboxConfiguration.LOOP_SPIN_US_MAX);
            loopPoll = choice(mb, "loop-poll", "mailbox", loopPoll, MailboxContext.LoopPoll.IDS);
        }

        Duration heartbeat = defaults.heartbeatInterval();
        Duration deadAfter = defaults.deadAfter();
        if (top.containsKey("heartbeat")) {
            Node node = top.get("heartbeat").getValueNode();
            Map<String, NodeTuple> hb = mapping(node, "heartbeat", Set.of("interval-ms", "dead-after-ms"));
            heartbeat = Duration.ofMillis(integer(hb, "interval-ms", "heartbeat", (int) heartbeat.toMillis(), 1,
                (int) KernelConfiguration.HEARTBEAT_INTERVAL_MAX.toMillis()));
            deadAfter = Duration.ofMillis(integer(hb, "dead-after-ms", "heartbeat", (int) deadAfter.toMillis(), 1, 600_000));
            if (deadAfter.compareTo(heartbeat.multipliedBy(2)) < 0) {
                throw error(node, "heartbeat.dead-after-ms", "expected at least twice interval-ms (" + heartbeat.multipliedBy(2).toMillis()
                    + " ms), found " + deadAfter.toMillis() + " ms");
            }
        }

        List<String> jvmOptions = defaults.kernelJvmOptions();
        if (top.containsKey("kernel-jvm-options")) {
            jvmOptions = new ArrayList<>();
            for (Node item : sequence(top.get("kernel-jvm-options").getValueNode(), "kernel-jvm-options")) {
                jvmOptions.add(scalar(item, "kernel-jvm-options"));
            }
        }

        List<IslandConfig> islands = defaults.islands();
        if (top.containsKey("islands")) {
            islands = new ArrayList<>();
            Set<String> names = new HashSet<>();
            List<Node> items = sequence(top.get("islands").getValueNode(), "islands");
            if (items.isEmpty()) {
                throw error(top.get("islands").getValueNode(), "islands", "expected at least one island, found none");
            }
            for (int i = 0; i < items.size(); i++) {
                String at = "islands[" + i + "]";
                Node node = items.get(i);
                Map<String, NodeTuple> is = mapping(node, at, Set.of("name", "data-model", "cores", "speed", "domain", "power-model",
                    "kernels"));
                if (!is.containsKey("name")) {
                    throw error(node, at + ".name", "every island needs a name");
                }
                String name = text(is, "name", at, null);
                if (!ISLAND_NAME.matcher(name).matches()) {
                    throw error(is.get("name").getValueNode(), at + ".name", "expected 1-32 characters of a-z, 0-9, '_', '-', found '"
                        + name + "'");
                }
                if (!names.add(name)) {
                    throw error(is.get("name").getValueNode(), at + ".name", "island '" + name + "' is defined twice");
                }
                String dataModel = text(is, "data-model", at, KernelConfiguration.DATA_MODEL_DEFAULT);
                try {
                    DataModel.byId(dataModel);
                } catch (IllegalArgumentException e) {
                    throw error(is.get("data-model").getValueNode(), at + ".data-model", e.getMessage());
                }
                int cores = integer(is, "cores", at, KernelConfiguration.CORES_DEFAULT, KernelConfiguration.CORES_MIN,
                    KernelConfiguration.CORES_MAX);
                double speed = decimal(is, "speed", at, KernelConfiguration.SPEED_DEFAULT, KernelConfiguration.SPEED_MAX);
                String domain = text(is, "domain", at, KernelConfiguration.DOMAIN_DEFAULT);
                if (!DOMAIN.matcher(domain).matches()) {
                    throw error(is.get("domain").getValueNode(), at + ".domain", "expected 1-32 letters, digits, '_' or '-', found '"
                        + domain + "'");
                }
                String powerModel = text(is, "power-model", at, KernelConfiguration.POWER_MODEL_DEFAULT);
                try {
                    io.archipelago.kernel.energy.PowerModel.parse(powerModel);
                } catch (IllegalArgumentException e) {
                    throw error(is.get("power-model").getValueNode(), at + ".power-model", e.getMessage());
                }
                int kernels = integer(is, "kernels", at, 1, 0, MemoryGeometry.MAX_KERNELS_LIMIT);
                islands.add(new IslandConfig(name, dataModel, cores, speed, domain, powerModel, kernels));
            }
        }
        BalloonPolicy balloon = defaults.balloon();
        if (top.containsKey("balloon")) {
            balloon = balloon(top.get("balloon").getValueNode(), balloon, memory);
        }
        DevicesConfig devices = defaults.devices();
        if (top.containsKey("devices")) {
            devices = devices(top.get("devices").getValueNode(), devices);
        }
        List<Path> programs = top.containsKey("programs") ? programs(top.get("programs").getValueNode()) : List.of();
        Platform platform = top.containsKey("platform") ? platform(top.get("platform").getValueNode(), islands) : defaults.platform();
        ClusterConfig config = defaults.toBuilder().cluster(cluster).memory(memory).islands(islands).controlHost(controlHost)
            .controlPort(controlPort).mailboxTransport(transport).fifoDepth(fifoDepth).loopSpinUs(loopSpinUs).loopPoll(loopPoll)
            .launch(launch).heartbeatInterval(heartbeat).deadAfter(deadAfter).kernelJvmOptions(jvmOptions).balloon(balloon)
            .devices(devices).programs(programs).platform(platform).build();
        if (config.totalKernels() > memory.maxKernels()) {
            throw new ConfigException(source, line(top.containsKey("islands") ? top.get("islands").getKeyNode() : root), "islands",
                "the islands have " + config.totalKernels() + " kernels, more than memory.max-kernels (" + memory.maxKernels() + ")");
        }
        if (config.launchesLocally() && config.totalKernels() == 0) {
            throw new ConfigException(source, line(root), "islands", "a local cluster needs at least one kernel, found none");
        }
        if (config.totalKernels() > memory.dataBlocks()) {
            throw new ConfigException(source, line(root), "memory.size", "memory has " + memory.dataBlocks()
                + " data blocks, fewer than the " + config.totalKernels() + " kernels that each need at least one");
        }
        if (balloon.initialBlocks() > 0 && (long) balloon.initialBlocks() * config.totalKernels() > memory.dataBlocks()) {
            NodeTuple tuple = mapping(top.get("balloon").getValueNode(), "balloon", BALLOON_KEYS).get("initial-blocks");
            throw error(tuple.getValueNode(), "balloon.initial-blocks", config.totalKernels() + " kernel(s) x " + balloon.initialBlocks()
                + " block(s) is more than the " + memory.dataBlocks() + " data blocks of memory");
        }
        return config;
    }

    private static final Set<String> BALLOON_KEYS = Set.of("initial-blocks", "interval-ms", "pressure-free-pages", "batch-blocks",
        "keep-free-blocks", "pool-low-blocks", "idle-after-ms", "request-timeout-ms", "migrate-max-pages");

    private BalloonPolicy balloon(Node node, BalloonPolicy defaults, MemoryGeometry memory) {
        Map<String, NodeTuple> b = mapping(node, "balloon", BALLOON_KEYS);
        int initial = defaults.initialBlocks();
        if (b.containsKey("initial-blocks")) {
            String value = scalar(b.get("initial-blocks").getValueNode(), "balloon.initial-blocks").strip();
            if (value.equals("even")) {
                initial = BalloonPolicy.EVEN_SHARE;
            } else if (value.matches("\\d{1,9}")) {
                initial = integer(b, "initial-blocks", "balloon", 0, 0, memory.dataBlocks());
            } else {
                throw error(b.get("initial-blocks").getValueNode(), "balloon.initial-blocks", "expected 'even' or a number of blocks from 0 to "
                    + memory.dataBlocks() + ", found '" + value + "'");
            }
        }
        int intervalMs = integer(b, "interval-ms", "balloon", (int) defaults.interval().toMillis(), 10, 60_000);
        int pressure = integer(b, "pressure-free-pages", "balloon", defaults.pressureFreePages(), 0, Integer.MAX_VALUE);
        int batch = integer(b, "batch-blocks", "balloon", defaults.batchBlocks(), 1, io.archipelago.interconnect.mailbox.BalloonPayload.MAX_COUNT);
        int keep = integer(b, "keep-free-blocks", "balloon", defaults.keepFreeBlocks(), 0, memory.dataBlocks());
        int poolLow = integer(b, "pool-low-blocks", "balloon", defaults.poolLowBlocks(), 0, memory.dataBlocks());
        int idleMs = integer(b, "idle-after-ms", "balloon", (int) defaults.idleAfter().toMillis(), 1, 3_600_000);
        int timeoutMs = integer(b, "request-timeout-ms", "balloon", (int) defaults.requestTimeout().toMillis(), 1, 600_000);
        int migrate = integer(b, "migrate-max-pages", "balloon", defaults.migrateMaxPages(), 0, memory.pagesPerBlock());
        return new BalloonPolicy(initial, Duration.ofMillis(intervalMs), pressure, batch, keep, poolLow, Duration.ofMillis(idleMs),
            Duration.ofMillis(timeoutMs), migrate);
    }

    /** Each entry a jar or a directory holding jars, relative to the YAML file; checked here, where its line is known. */
    private List<Path> programs(Node node) {
        List<Path> programs = new ArrayList<>();
        List<Node> items = sequence(node, "programs");
        for (int i = 0; i < items.size(); i++) {
            String at = "programs[" + i + "]";
            String value = scalar(items.get(i), at).strip();
            if (value.isEmpty()) {
                throw error(items.get(i), at, "expected the path of a jar or of a directory of jars, found an empty value");
            }
            Path path = baseDirectory.resolve(value).normalize();
            if (Files.isDirectory(path)) {
                try (var listing = Files.list(path)) {
                    if (listing.noneMatch(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p))) {
                        throw error(items.get(i), at, "expected jars in the directory " + path + ", found none");
                    }
                } catch (IOException e) {
                    throw error(items.get(i), at, "cannot list the directory " + path + ": " + e.getMessage());
                }
            } else if (!Files.isRegularFile(path)) {
                throw error(items.get(i), at, "expected a jar or a directory of jars (relative to " + baseDirectory + "), found nothing at "
                    + path);
            } else if (!value.endsWith(".jar")) {
                throw error(items.get(i), at, "expected a jar (a file named *.jar) or a directory of jars, found the file " + path);
            }
            programs.add(path);
        }
        return programs;
    }

    private static final Set<String> COST_KEYS = Set.of("mailbox-word", "remote-line-read", "remote-line-write", "page-transfer");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|µs|ms)");
    private static final Pattern BANDWIDTH = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMG])B/s");
    private static final long PAGE_BYTES = 4096;

    /** A preset's name, or a mapping: a preset to start from, then figures that override it (each checked with its line). */
    private Platform platform(Node node, List<IslandConfig> islands) {
        if (node instanceof ScalarNode) {
            String name = scalar(node, "platform").strip();
            try {
                return Platform.preset(name);
            } catch (IllegalArgumentException e) {
                throw error(node, "platform", "expected a preset (" + String.join(", ", Platform.PRESET_NAMES)
                    + ") or a mapping of costs, found '" + name + "'");
            }
        }
        Map<String, NodeTuple> p = mapping(node, "platform", Set.of("preset", "within", "between", "pairs"));
        Platform platform = Platform.HOST;
        if (p.containsKey("preset")) {
            String name = choice(p, "preset", "platform", "host", Platform.PRESET_NAMES);
            platform = Platform.preset(name);
        }
        boolean overridden = false;
        if (p.containsKey("within")) {
            platform = platform.withWithin(costs(p.get("within").getValueNode(), "platform.within", platform.within()));
            overridden = true;
        }
        if (p.containsKey("between")) {
            platform = platform.withBetween(costs(p.get("between").getValueNode(), "platform.between", platform.between()));
            overridden = true;
        }
        if (p.containsKey("pairs")) {
            Set<String> domains = new HashSet<>();
            islands.forEach(island -> domains.add(island.coherenceDomain()));
            List<Node> items = sequence(p.get("pairs").getValueNode(), "platform.pairs");
            for (int i = 0; i < items.size(); i++) {
                String at = "platform.pairs[" + i + "]";
                Map<String, NodeTuple> pair = mapping(items.get(i), at, union(COST_KEYS, Set.of("domains")));
                if (!pair.containsKey("domains")) {
                    throw error(items.get(i), at + ".domains", "every pair names its two coherence domains, e.g. domains: [a, b]");
                }
                Node domainsNode = pair.get("domains").getValueNode();
                List<Node> named = sequence(domainsNode, at + ".domains");
                if (named.size() != 2) {
                    throw error(domainsNode, at + ".domains", "expected two coherence domains, found " + named.size());
                }
                String a = scalar(named.get(0), at + ".domains").strip();
                String b = scalar(named.get(1), at + ".domains").strip();
                for (String domain : List.of(a, b)) {
                    if (!domains.contains(domain)) {
                        throw error(domainsNode, at + ".domains", "expected a coherence domain of an island ("
                            + String.join(", ", new java.util.TreeSet<>(domains)) + "), found '" + domain + "'");
                    }
                }
                if (platform.pairs().containsKey(Platform.pairKey(a, b))) {
                    throw error(domainsNode, at + ".domains", "the pair " + a + ", " + b + " is given twice");
                }
                Platform.Costs start = platform.costs(a, b);
                platform = platform.withPair(a, b, costs(items.get(i), at, start, pair));
                overridden = true;
            }
        }
        return overridden ? platform.withName(platform.name().equals("host") && platform.injectsNothing() ? "host"
            : p.containsKey("preset") ? platform.name() + "+overrides" : "custom") : platform;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return all;
    }

    private Platform.Costs costs(Node node, String at, Platform.Costs start) {
        return costs(node, at, start, mapping(node, at, COST_KEYS));
    }

    private Platform.Costs costs(Node node, String at, Platform.Costs start, Map<String, NodeTuple> c) {
        Platform.Costs costs = start;
        if (c.containsKey("mailbox-word")) {
            costs = costs.withMailboxWord(nanos(c, "mailbox-word", at, false));
        }
        if (c.containsKey("remote-line-read")) {
            costs = costs.withLineRead(nanos(c, "remote-line-read", at, false));
        }
        if (c.containsKey("remote-line-write")) {
            costs = costs.withLineWrite(nanos(c, "remote-line-write", at, false));
        }
        if (c.containsKey("page-transfer")) {
            costs = costs.withPageTransfer(nanos(c, "page-transfer", at, true));
        }
        return costs;
    }

    /** A duration (ns, us or ms) in nanoseconds; for a page transfer also a bandwidth (KB/s, MB/s, GB/s: decimal), turned into a 4 KiB page's time. */
    private long nanos(Map<String, NodeTuple> entries, String key, String at, boolean bandwidth) {
        Node valueNode = entries.get(key).getValueNode();
        String value = scalar(valueNode, join(at, key)).strip();
        String expected = "expected a duration of 0 to " + Platform.MAX_NS / 1_000_000 + " ms with its unit (ns, us or ms, e.g. 500ns, 1.5us)"
            + (bandwidth ? ", or a bandwidth above 0 (KB/s, MB/s or GB/s, e.g. 1GB/s)" : "");
        if (value.startsWith("-")) {
            throw error(valueNode, join(at, key), expected + "; a modelled cost is never negative, found '" + value + "'");
        }
        Matcher duration = DURATION.matcher(value);
        if (duration.matches()) {
            double number = Double.parseDouble(duration.group(1));
            double ns = switch (duration.group(2)) {
                case "ns" -> number;
                case "ms" -> number * 1_000_000;
                default -> number * 1_000;
            };
            if (ns > Platform.MAX_NS) {
                throw error(valueNode, join(at, key), expected + ", found '" + value + "'");
            }
            return Math.round(ns);
        }
        Matcher rate = BANDWIDTH.matcher(value);
        if (bandwidth && rate.matches()) {
            double bytesPerSecond = Double.parseDouble(rate.group(1)) * switch (rate.group(2)) {
                case "K" -> 1e3;
                case "M" -> 1e6;
                default -> 1e9;
            };
            double ns = PAGE_BYTES * 1e9 / bytesPerSecond;
            if (!(bytesPerSecond > 0) || ns > Platform.MAX_NS) {
                throw error(valueNode, join(at, key), expected + " (a 4 KiB page in at most " + Platform.MAX_NS / 1_000_000 + " ms), found '"
                    + value + "'");
            }
            return Math.round(ns);
        }
        throw error(valueNode, join(at, key), expected + ", found '" + value + "'");
    }

    private DevicesConfig devices(Node node, DevicesConfig defaults) {
        Map<String, NodeTuple> d = mapping(node, "devices", Set.of("nic-rate-per-s", "timer-period-us", "routing", "driver"));
        double rate = defaults.nicRatePerS();
        NodeTuple rateTuple = d.get("nic-rate-per-s");
        if (rateTuple != null) {
            String value = text(d, "nic-rate-per-s", "devices", null);
            try {
                rate = DevicesConfig.checkNicRate(Double.parseDouble(value));
            } catch (NumberFormatException e) {
                throw error(rateTuple.getValueNode(), "devices.nic-rate-per-s", "expected 0 to 20000 packets per second, found '" + value + "'");
            } catch (IllegalArgumentException e) {
                throw error(rateTuple.getValueNode(), "devices.nic-rate-per-s", e.getMessage());
            }
        }
        long timer = integer(d, "timer-period-us", "devices", (int) defaults.timerPeriodUs(), 0, Integer.MAX_VALUE);
        try {
            DevicesConfig.checkTimerPeriod(timer);
        } catch (IllegalArgumentException e) {
            throw error(d.get("timer-period-us").getValueNode(), "devices.timer-period-us", e.getMessage());
        }
        String routing = choice(d, "routing", "devices", defaults.routing(), DevicesConfig.ROUTINGS);
        String driver = choice(d, "driver", "devices", defaults.driver(), DevicesConfig.DRIVERS);
        return new DevicesConfig(rate, timer, routing, driver);
    }

    private Map<String, NodeTuple> mapping(Node node, String at, Set<String> allowed) {
        if (!(node instanceof MappingNode mappingNode)) {
            throw error(node, at, "expected a mapping of keys to values, found " + describe(node));
        }
        Map<String, NodeTuple> entries = new LinkedHashMap<>();
        for (NodeTuple tuple : mappingNode.getValue()) {
            String key = scalar(tuple.getKeyNode(), at);
            if (!allowed.contains(key)) {
                throw error(tuple.getKeyNode(), join(at, key), "unknown key; expected one of " + String.join(", ", allowed.stream().sorted().toList()));
            }
            NodeTuple first = entries.putIfAbsent(key, tuple);
            if (first != null) {
                throw error(tuple.getKeyNode(), join(at, key), "defined twice (first on line " + line(first.getKeyNode()) + ")");
            }
        }
        return entries;
    }

    private List<Node> sequence(Node node, String at) {
        if (!(node instanceof SequenceNode sequenceNode)) {
            throw error(node, at, "expected a list, found " + describe(node));
        }
        return sequenceNode.getValue();
    }

    private String scalar(Node node, String at) {
        if (!(node instanceof ScalarNode scalarNode)) {
            throw error(node, at, "expected a single value, found " + describe(node));
        }
        return scalarNode.getValue();
    }

    private String text(Map<String, NodeTuple> entries, String key, String at, String fallback) {
        NodeTuple tuple = entries.get(key);
        return tuple == null ? fallback : scalar(tuple.getValueNode(), join(at, key)).strip();
    }

    private String choice(Map<String, NodeTuple> entries, String key, String at, String fallback, List<String> choices) {
        String value = text(entries, key, at, fallback);
        if (!choices.contains(value)) {
            throw error(entries.get(key).getValueNode(), join(at, key), "expected one of " + String.join(", ", choices) + ", found '"
                + value + "'");
        }
        return value;
    }

    private int integer(Map<String, NodeTuple> entries, String key, String at, int fallback, int min, int max) {
        NodeTuple tuple = entries.get(key);
        if (tuple == null) {
            return fallback;
        }
        String value = scalar(tuple.getValueNode(), join(at, key)).strip();
        try {
            int parsed = Integer.parseInt(value);
            if (parsed < min || parsed > max) {
                throw error(tuple.getValueNode(), join(at, key), "expected an integer from " + min + " to " + max + ", found " + parsed);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw error(tuple.getValueNode(), join(at, key), "expected an integer from " + min + " to " + max + ", found '" + value + "'");
        }
    }

    private double decimal(Map<String, NodeTuple> entries, String key, String at, double fallback, double max) {
        NodeTuple tuple = entries.get(key);
        if (tuple == null) {
            return fallback;
        }
        String value = scalar(tuple.getValueNode(), join(at, key)).strip();
        try {
            double parsed = Double.parseDouble(value);
            if (!(parsed > 0) || parsed > max) {
                throw error(tuple.getValueNode(), join(at, key), "expected a number above 0 and at most " + max + ", found " + value);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw error(tuple.getValueNode(), join(at, key), "expected a number above 0 and at most " + max + ", found '" + value + "'");
        }
    }

    private long size(Map<String, NodeTuple> entries, String key, String at, long fallback) {
        NodeTuple tuple = entries.get(key);
        if (tuple == null) {
            return fallback;
        }
        String value = scalar(tuple.getValueNode(), join(at, key)).strip();
        Matcher matcher = SIZE.matcher(value);
        if (!matcher.matches()) {
            throw error(tuple.getValueNode(), join(at, key), "expected a size in bytes, optionally with KiB, MiB or GiB, found '" + value + "'");
        }
        long number = Long.parseLong(matcher.group(1));
        String unit = matcher.group(2) == null ? "" : matcher.group(2).toUpperCase(Locale.ROOT);
        long multiplier = switch (unit.isEmpty() ? ' ' : unit.charAt(0)) {
            case 'K' -> 1024L;
            case 'M' -> 1024L * 1024;
            case 'G' -> 1024L * 1024 * 1024;
            default -> 1L;
        };
        return Math.multiplyExact(number, multiplier);
    }

    private ConfigException error(Node node, String key, String problem) {
        return new ConfigException(source, line(node), key, problem);
    }

    private static int line(Node node) {
        return node == null || node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    private static String join(String at, String key) {
        return at.isEmpty() ? key : at + "." + key;
    }

    private static String describe(Node node) {
        if (node instanceof ScalarNode scalarNode) {
            return "'" + scalarNode.getValue() + "'";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        if (node instanceof MappingNode) {
            return "a mapping";
        }
        return "nothing";
    }
}
