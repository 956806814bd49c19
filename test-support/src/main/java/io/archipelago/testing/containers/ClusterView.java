package io.archipelago.testing.containers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What {@code archipelago status --json} run inside the coordinator's container says about the cluster. */
public record ClusterView(String cluster, int dataBlocks, int freeBlocks, List<Kernel> kernels, String json) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public record Kernel(int id, String name, String island, String dataModel, String domain, long pid, String host, String state,
                  long heartbeatAgeMs, int blocks, String reason, Map<String, Long> counters) {
        public boolean running() {
            return "RUNNING".equals(state);
        }

        @Override
        public String toString() {
            return name + " (id " + id + ", " + island + "/" + dataModel + "/" + domain + ", host " + host + ", " + state
                + (reason.isEmpty() ? "" : ": " + reason) + ", heartbeat " + heartbeatAgeMs + " ms ago, " + blocks + " blocks)";
        }
    }

    public static ClusterView parse(String json) {
        try {
            JsonNode root = JSON.readTree(json);
            List<Kernel> kernels = new ArrayList<>();
            for (JsonNode k : root.path("kernels")) {
                Map<String, Long> counters = new LinkedHashMap<>();
                k.path("counters").properties().forEach(c -> counters.put(c.getKey(), c.getValue().asLong()));
                kernels.add(new Kernel(k.path("id").asInt(), k.path("name").asText(), k.path("island").asText(),
                    k.path("data_model").asText(), k.path("domain").asText(), k.path("pid").asLong(), k.path("host").asText(),
                    k.path("state").asText(), k.path("heartbeat_age_ms").asLong(-1), k.path("blocks").asInt(), k.path("reason").asText(),
                    Collections.unmodifiableMap(counters)));
            }
            return new ClusterView(root.path("cluster").asText(), root.path("memory").path("data_blocks").asInt(),
                root.path("memory").path("free_blocks").asInt(), List.copyOf(kernels), json);
        } catch (IOException e) {
            throw new AssertionError("`archipelago status --json` printed something that is not its JSON: " + e.getMessage() + "\n" + json, e);
        }
    }

    public Optional<Kernel> kernel(String name) {
        return kernels.stream().filter(k -> k.name().equals(name)).findFirst();
    }

    public List<Kernel> island(String island) {
        return kernels.stream().filter(k -> k.island().equals(island)).toList();
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("cluster " + cluster + ": " + freeBlocks + " of " + dataBlocks + " data blocks free");
        kernels.forEach(k -> text.append("\n  ").append(k));
        return text.toString();
    }
}
