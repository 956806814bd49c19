package io.archipelago.interconnect.mailbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MailboxWordTest {

    @Test
    void fieldsSitWhereTheBitDiagramSays() {
        // type GET_EXCLUSIVE (0x3) in bits 31-28, sequence 0xA in 27-24, payload 0x012345 in 23-0
        int word = MailboxWord.encode(MailboxType.GET_EXCLUSIVE, 0xA, 0x012345);
        assertThat(word).isEqualTo(0x3A012345);
        assertThat(MailboxWord.typeCode(word)).isEqualTo(0x3);
        assertThat(MailboxWord.sequence(word)).isEqualTo(0xA);
        assertThat(MailboxWord.payload(word)).isEqualTo(0x012345);
    }

    @Test
    void typeCodesAboveSevenDoNotSignExtend() {
        int word = MailboxWord.encode(MailboxType.NACK, 15, MailboxWord.MAX_PAYLOAD);
        assertThat(word).isEqualTo(0xDFFFFFFF);
        assertThat(MailboxWord.decode(word)).isEqualTo(new MailboxWord(MailboxType.NACK, 15, MailboxWord.MAX_PAYLOAD));
    }

    @Test
    void everyTypeSequenceAndEdgePayloadRoundTrips() {
        int[] payloads = {0, 1, 0x7FFFFF, 0x800000, MailboxWord.MAX_PAYLOAD};
        for (MailboxType type : MailboxType.values()) {
            for (int sequence = 0; sequence <= MailboxWord.MAX_SEQUENCE; sequence++) {
                for (int payload : payloads) {
                    MailboxWord word = new MailboxWord(type, sequence, payload);
                    assertThat(MailboxWord.decode(word.encode())).isEqualTo(word);
                }
            }
        }
    }

    @Test
    void randomWordsWithAssignedTypesRoundTrip() {
        Random random = new Random(42);
        for (int i = 0; i < 100_000; i++) {
            int raw = random.nextInt();
            MailboxType type = MailboxType.ofCodeOrNull(MailboxWord.typeCode(raw));
            if (type != null) {
                assertThat(MailboxWord.decode(raw).encode()).isEqualTo(raw);
            }
        }
    }

    @Test
    void typeCodesAreUniqueAndFitFourBits() {
        assertThat(MailboxType.values()).hasSizeLessThanOrEqualTo(MailboxType.CODES);
        for (MailboxType type : MailboxType.values()) {
            assertThat(type.code()).isBetween(0, 15);
            assertThat(MailboxType.ofCodeOrNull(type.code())).isSameAs(type);
        }
        assertThat(MailboxType.ofCode(0xE)).contains(MailboxType.URPC);
        assertThat(MailboxType.ofCode(0xF)).isEmpty();
        assertThat(MailboxType.ofCode(16)).isEmpty();
    }

    @Test
    void unassignedTypeCodesAreRefusedWithTheWordAndTheCode() {
        assertThatThrownBy(() -> MailboxWord.decode(0xF1000007))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("0xf1000007")
            .hasMessageContaining("type code 0xf");
    }

    @Test
    void outOfRangeFieldsAreRefusedSayingTheRange() {
        assertThatThrownBy(() -> new MailboxWord(MailboxType.IRQ, 16, 0)).hasMessageContaining("0 to 15").hasMessageContaining("16");
        assertThatThrownBy(() -> new MailboxWord(MailboxType.IRQ, -1, 0)).hasMessageContaining("0 to 15");
        assertThatThrownBy(() -> new MailboxWord(MailboxType.IRQ, 0, 1 << 24)).hasMessageContaining("24 bits").hasMessageContaining("16777216");
        assertThatThrownBy(() -> new MailboxWord(MailboxType.IRQ, 0, -5)).hasMessageContaining("-5");
        assertThatThrownBy(() -> new MailboxWord(null, 0, 0)).hasMessageContaining("type");
    }

    @Test
    void readableForm() {
        assertThat(new MailboxWord(MailboxType.PING, 3, 7)).hasToString("PING#3(7)");
        assertThat(MailboxWord.hex(0x1300_0005)).isEqualTo("0x13000005");
    }
}
