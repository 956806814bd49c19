package io.archipelago.typed.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.typed.DataModel;
import io.archipelago.typed.header.HeaderDeclarations;
import io.archipelago.typed.header.HeaderParser;
import io.archipelago.typed.description.Field;
import io.archipelago.typed.description.PointerType;
import io.archipelago.typed.description.RecordType;
import io.archipelago.typed.description.Scalar;
import io.archipelago.typed.description.ScalarType;
import io.archipelago.typed.description.TypeBudget;
import io.archipelago.typed.description.TypeBudgetException;
import io.archipelago.typed.description.TypeDescription;
import io.archipelago.typed.layout.Layout;
import io.archipelago.typed.proto.Contract;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
    void aTypeAtTheDepthBudgetMakesAContractThatParsesBack() throws Exception {
        // the deepest kind of nesting: each struct level is three levels of messages (TypeDesc > RecordDesc > MemberDesc)
        TypeDescription type = ScalarType.of(Scalar.INT);
        for (int i = 1; i < TypeBudget.MAX_DEPTH; i++) {
            type = RecordType.struct("s" + i, List.of(Field.of("m", type)));
        }
        RecordType deepest = (RecordType) type;
        assertThat(TypeBudget.checked(deepest, "deepest").depth()).isEqualTo(TypeBudget.MAX_DEPTH);
        Contract contract = Contract.newBuilder().setName("deepest").setType(ContractCodec.encode(deepest))
            .setLayout(ContractCodec.encode(DataModel.X86_64.layoutEngine().layout(deepest))).build();
        Contract back = Contract.parseFrom(contract.toByteArray());
        assertThat(ContractCodec.decode(back.getType())).isEqualTo(deepest);

        RecordType tooDeep = RecordType.struct("s" + TypeBudget.MAX_DEPTH, List.of(Field.of("m", deepest)));
        assertThatThrownBy(() -> ContractCodec.encode(tooDeep))
            .isInstanceOf(TypeBudgetException.class)
            .hasMessage("type struct s32 nests 33 levels deep: over the type depth budget of 32 levels (each pointer, array "
                + "dimension, function, typedef and struct or union member counts one)");
    }

    @Test
    void aTypeThousandsOfLevelsDeepIsRefusedWithoutOverflowingTheStack() {
        TypeDescription type = ScalarType.of(Scalar.CHAR);
        for (int i = 0; i < 100_000; i++) {
            type = new PointerType(type);
        }
        TypeDescription hostile = type;
        assertThatThrownBy(() -> ContractCodec.encode(hostile))
            .isInstanceOf(TypeBudgetException.class)
            .hasMessageStartingWith("type a pointer type nests 100001 levels deep");
    }

    @Test
    void nameHashIsFnv1a64() {
        assertThat(ContractCodec.nameHash("")).isEqualTo(0xcbf29ce484222325L);
        assertThat(ContractCodec.nameHash("a")).isEqualTo(0xaf63dc4c8601ec8cL);
    }
}
