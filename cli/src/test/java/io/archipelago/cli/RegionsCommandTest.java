package io.archipelago.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.archipelago.control.proto.RegionList;
import io.archipelago.control.proto.SetAsideRecord;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A registry record that does not parse is shown, not silently left out. */
@Timeout(10)
class RegionsCommandTest {

    private static final RegionList WITH_A_BAD_RECORD = RegionList.newBuilder()
        .addSetAside(SetAsideRecord.newBuilder().setName("poisoned").setReason("not a contract: truncated message")).build();

    @Test
    void theTableNamesASetAsideRecordAndWhy() {
        StringWriter text = new StringWriter();
        RegionsCommand.printTable(WITH_A_BAD_RECORD, new PrintWriter(text, true));
        assertThat(text.toString()).contains("set aside: registry record 'poisoned' does not parse (not a contract: truncated message)")
            .contains("no region of typed shared memory yet");
    }

    @Test
    void theJsonListsSetAsideRecords() throws Exception {
        StringWriter text = new StringWriter();
        RegionsCommand.printJson(WITH_A_BAD_RECORD, new PrintWriter(text, true));
        JsonNode json = StatusView.JSON.readTree(text.toString());
        assertThat(json.get("set_aside").get(0).get("name").asText()).isEqualTo("poisoned");
        assertThat(json.get("set_aside").get(0).get("reason").asText()).contains("truncated");
        assertThat(json.get("regions")).isEmpty();
    }
}
