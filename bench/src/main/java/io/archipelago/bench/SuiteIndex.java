package io.archipelago.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The index page of {@code archipelago bench all}: one entry per suite (ran, failed, or does not
 * exist yet), its time, its headline figures and its files.
 */
public final class SuiteIndex {

    /** What became of one suite. */
    public enum Status { OK, FAILED, NOT_AVAILABLE }

    /**
     * One suite's outcome.
     *
     * @param json     what the suite printed with --json (null if it printed nothing parseable)
     * @param files    files it wrote, relative to the index
     * @param message  why it failed or was skipped
     */
    public record Entry(String suite, String description, Status status, double seconds, JsonNode json, List<String> files, String message) {
        public Entry {
            files = List.copyOf(files);
        }
    }

    /**
     * Top-level figures worth a line in the index when a suite names no headline: ratios, whether its targets were met,
     * losses, rates, invariant violations. A target's own value ({@code target_...}) is not a measured figure.
     */
    private static final Pattern HEADLINE = Pattern.compile("(.*_)?(ratio|over|overhead)(_.*)?|target_met|lost_updates|.*_per_s|.*_per_block"
        + "|.*success_rate|double_owned_blocks|invariant_violations");
    private static final Pattern TARGET_VALUE = Pattern.compile("target_(?!met$).*");
    /** A ratio in a per-size row ({@code "sizes": [{"bytes": 1024, "msg_over_shm": 2.6}, ...]}). */
    private static final Pattern ROW_RATIO = Pattern.compile(".*_over_[a-z]+");

    private final List<Entry> entries = new ArrayList<>();

    public void add(Entry entry) {
        entries.add(entry);
    }

    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    public boolean anyFailed() {
        return entries.stream().anyMatch(e -> e.status() == Status.FAILED);
    }

    /**
     * A suite's headline: its {@code headline} object if it has one, else its top-level scalar
     * figures whose names look like ratios, met targets, losses or rates, and the ratios of its
     * per-size rows (arrays of objects with a {@code bytes} member), named {@code ratio@<bytes>B}.
     */
    public static Map<String, JsonNode> headline(JsonNode json) {
        Map<String, JsonNode> figures = new java.util.LinkedHashMap<>();
        if (json == null || !json.isObject()) {
            return figures;
        }
        JsonNode named = json.get("headline");
        if (named != null && named.isObject()) {
            named.fields().forEachRemaining(field -> {
                if (field.getValue().isValueNode() && !field.getValue().isTextual()) {
                    figures.put(field.getKey(), field.getValue());
                }
            });
            return figures;
        }
        Iterator<Map.Entry<String, JsonNode>> fields = json.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode value = field.getValue();
            if (value.isValueNode() && !value.isTextual() && HEADLINE.matcher(field.getKey()).matches()
                && !TARGET_VALUE.matcher(field.getKey()).matches()) {
                figures.put(field.getKey(), value);
            } else if (value.isArray()) {
                for (JsonNode row : value) {
                    if (row.isObject() && row.path("bytes").isIntegralNumber()) {
                        row.fields().forEachRemaining(member -> {
                            if (member.getValue().isNumber() && ROW_RATIO.matcher(member.getKey()).matches()) {
                                figures.put(member.getKey() + "@" + row.get("bytes").asLong() + "B", member.getValue());
                            }
                        });
                    }
                }
            }
        }
        return figures;
    }

    public ObjectNode json() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("suite", "all");
        ArrayNode suites = root.putArray("suites");
        for (Entry entry : entries) {
            ObjectNode node = suites.addObject();
            node.put("suite", entry.suite());
            node.put("status", entry.status().name().toLowerCase(Locale.ROOT));
            node.put("seconds", entry.seconds());
            if (!entry.message().isEmpty()) {
                node.put("message", entry.message());
            }
            ObjectNode headline = node.putObject("headline");
            headline(entry.json()).forEach(headline::set);
            ArrayNode files = node.putArray("files");
            entry.files().forEach(files::add);
        }
        root.put("failed", anyFailed());
        return root;
    }

    /** The index as Markdown. */
    public String markdown(String command, String finishedAt) {
        StringBuilder md = new StringBuilder("# Archipelago benchmarks\n\n");
        md.append('`').append(command).append("`, finished ").append(finishedAt).append(".\n\n");
        md.append("Every suite measures against a baseline taken in the same run and reports the ratio; its JSON is beside this page.\n\n");
        md.append("| suite | what | status | time | headline |\n|---|---|---|---:|---|\n");
        for (Entry entry : entries) {
            md.append("| ").append(entry.files().isEmpty() ? entry.suite() : "[" + entry.suite() + "](" + entry.files().getFirst() + ")")
                .append(" | ").append(entry.description()).append(" | ").append(status(entry)).append(" | ")
                .append(entry.status() == Status.NOT_AVAILABLE ? "-" : String.format(Locale.ROOT, "%.0f s", entry.seconds())).append(" | ");
            List<String> figures = new ArrayList<>();
            headline(entry.json()).forEach((name, value) -> figures.add(name + " = " + value.asText()));
            md.append(figures.isEmpty() ? "-" : String.join(", ", figures)).append(" |\n");
        }
        md.append('\n');
        for (Entry entry : entries) {
            md.append("## ").append(entry.suite()).append("\n\n");
            switch (entry.status()) {
                case NOT_AVAILABLE -> md.append("Not measured: ").append(entry.message()).append("\n\n");
                case FAILED -> md.append("**Failed**: ").append(entry.message()).append("\n\n");
                case OK -> {
                    md.append("Files: ");
                    md.append(String.join(", ", entry.files().stream().map(f -> "[" + f + "](" + f + ")").toList())).append("\n\n");
                    Map<String, JsonNode> figures = headline(entry.json());
                    if (!figures.isEmpty()) {
                        md.append("| figure | value |\n|---|---:|\n");
                        figures.forEach((name, value) -> md.append("| ").append(name).append(" | ").append(value.asText()).append(" |\n"));
                        md.append('\n');
                    }
                    entry.files().stream().filter(f -> f.endsWith(".png")).forEach(f -> md.append("![").append(f).append("](").append(f)
                        .append(")\n\n"));
                }
                default -> throw new IllegalStateException("unknown status " + entry.status());
            }
        }
        return md.toString();
    }

    private static String status(Entry entry) {
        return switch (entry.status()) {
            case OK -> "ok";
            case FAILED -> "**failed**";
            case NOT_AVAILABLE -> "not available yet";
        };
    }
}
