package io.archipelago.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class SuiteIndexTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void aSuitesHeadlineIsItsHeadlineObjectElseItsRatiosTargetsAndLosses() throws Exception {
        JsonNode dsm = json.readTree("{\"suite\":\"dsm\",\"transfer_us\":{\"p50\":9},\"transfer_over_mailbox_rtt\":1.2,\"target_met\":true,"
            + "\"lost_updates\":0,\"cluster\":\"x\",\"page_size\":4096}");
        assertThat(SuiteIndex.headline(dsm)).containsOnlyKeys("transfer_over_mailbox_rtt", "target_met", "lost_updates");
        JsonNode named = json.readTree("{\"headline\":{\"a\":1,\"b\":false},\"ratio\":3}");
        assertThat(SuiteIndex.headline(named)).containsOnlyKeys("a", "b");
        assertThat(SuiteIndex.headline(null)).isEmpty();
    }

    @Test
    void aTargetsOwnValueIsNotAFigureButPerSizeRatiosAre() throws Exception {
        JsonNode migration = json.readTree("{\"suite\":\"migration\",\"sizes\":[{\"bytes\":1024,\"msg_over_shm\":2.59,"
            + "\"msg_over_shm_p90\":2.54,\"msg_image_bytes\":1332},{\"bytes\":262144,\"msg_over_shm\":9.81}],"
            + "\"target_msg_over_shm_at_256KiB\":3.0,\"target_met\":true,\"migrations_per_kind\":40}");
        assertThat(SuiteIndex.headline(migration)).containsOnlyKeys("msg_over_shm@1024B", "msg_over_shm@262144B", "target_met");
        assertThat(SuiteIndex.headline(migration).get("msg_over_shm@262144B").asDouble()).isEqualTo(9.81);
        JsonNode memory = json.readTree("{\"words_per_block\":1.07,\"reclaim_success_rate\":1.0,\"double_owned_blocks\":0,"
            + "\"invariant_violations\":0,\"violations\":[],\"blocks_moved\":14}");
        assertThat(SuiteIndex.headline(memory)).containsOnlyKeys("words_per_block", "reclaim_success_rate", "double_owned_blocks",
            "invariant_violations");
    }

    @Test
    void theIndexListsEverySuiteWithItsStatusAndFiles() throws Exception {
        SuiteIndex index = new SuiteIndex();
        index.add(new SuiteIndex.Entry("mailbox", "mailbox round trip", SuiteIndex.Status.OK, 21.4,
            json.readTree("{\"ratio_p50\":1.4}"), List.of("mailbox.json"), ""));
        index.add(new SuiteIndex.Entry("energy", "K2's energy", SuiteIndex.Status.NOT_AVAILABLE, 0, null, List.of(),
            "no `bench energy` in this build yet"));
        index.add(new SuiteIndex.Entry("shm-vs-msg", "msg vs shm", SuiteIndex.Status.FAILED, 3, null,
            List.of("shm-vs-msg.txt", "shm-vs-msg/size-sweep.png"), "exit code 1: boom"));
        assertThat(index.anyFailed()).isTrue();
        String md = index.markdown("archipelago bench all --quick", "2026-11-23T17:00:00Z");
        assertThat(md).contains("| [mailbox](mailbox.json) | mailbox round trip | ok | 21 s | ratio_p50 = 1.4 |")
            .contains("| energy | K2's energy | not available yet | - | - |")
            .contains("Not measured: no `bench energy` in this build yet")
            .contains("**Failed**: exit code 1: boom");
        JsonNode written = json.valueToTree(index.json());
        assertThat(written.get("failed").asBoolean()).isTrue();
        assertThat(written.get("suites")).hasSize(3);
        assertThat(written.get("suites").get(1).get("status").asText()).isEqualTo("not_available");
        assertThat(written.get("suites").get(0).get("headline").get("ratio_p50").asDouble()).isEqualTo(1.4);
    }
}
