package io.archipelago.typed.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.typed.DataModel;
import io.archipelago.typed.header.HeaderDeclarations;
import io.archipelago.typed.header.HeaderParser;
import io.archipelago.typed.layout.Layout;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ContractCodecTest {

    @Test
    void typesAndLayoutsSurviveTheRoundTrip() throws Exception {
        String text;
        try (InputStream in = getClass().getResourceAsStream("/archipelago/headers/kernel-structs.h")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        HeaderDeclarations declarations = HeaderParser.parse("kernel-structs.h", text);
        int checked = 0;
        for (HeaderDeclarations.NamedType named : declarations.types()) {
            assertThat(ContractCodec.decode(ContractCodec.encode(named.type()))).as(named.name()).isEqualTo(named.type());
            for (DataModel model : DataModel.values()) {
                try {
                    Layout layout = model.layoutEngine().layout(named.type());
                    assertThat(ContractCodec.decode(ContractCodec.encode(layout))).as("%s on %s", named.name(), model).isEqualTo(layout);
                    checked++;
                } catch (IllegalArgumentException incomplete) {
                    // forward-declared types have no layout
                }
            }
        }
        assertThat(checked).isGreaterThan(200);
        assertThat(ContractCodec.encode(declarations.record("task_struct")).getSerializedSize()).as("bytes of a contract's type")
            .isLessThan(16 * 1024);
    }

    @Test
    void nameHashIsFnv1a64() {
        assertThat(ContractCodec.nameHash("")).isEqualTo(0xcbf29ce484222325L);
        assertThat(ContractCodec.nameHash("a")).isEqualTo(0xaf63dc4c8601ec8cL);
    }
}
