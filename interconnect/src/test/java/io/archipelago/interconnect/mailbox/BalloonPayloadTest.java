package io.archipelago.interconnect.mailbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class BalloonPayloadTest {

    @Test
    void everyOpRoundTripsThroughA24BitPayload() {
        int want = BalloonPayload.want(300, true);
        assertThat(want & ~MailboxWord.PAYLOAD_MASK).isZero();
        assertThat(BalloonPayload.op(want)).isEqualTo(BalloonPayload.Op.WANT);
        assertThat(BalloonPayload.count(want)).isEqualTo(300);
        assertThat(BalloonPayload.contiguous(want)).isTrue();
        assertThat(BalloonPayload.contiguous(BalloonPayload.want(4, false))).isFalse();

        int inflate = BalloonPayload.inflate(63, 40_000);
        assertThat(inflate & ~MailboxWord.PAYLOAD_MASK).isZero();
        assertThat(BalloonPayload.op(inflate)).isEqualTo(BalloonPayload.Op.INFLATE);
        assertThat(BalloonPayload.count(inflate)).isEqualTo(63);
        assertThat(BalloonPayload.near(inflate)).isEqualTo(40_000);
        assertThat(BalloonPayload.near(BalloonPayload.inflate(2, -1))).isEqualTo(-1);
        assertThat(BalloonPayload.near(BalloonPayload.inflate(2, 70_000))).as("beyond 16 bits: no hint").isEqualTo(-1);
        assertThat(BalloonPayload.describe(BalloonPayload.inflate(3, 17))).isEqualTo("INFLATE 3 near 17");

        int deflate = BalloonPayload.deflate(65_535);
        assertThat(BalloonPayload.op(deflate)).isEqualTo(BalloonPayload.Op.DEFLATE);
        assertThat(BalloonPayload.count(deflate)).isEqualTo(65_535);
        int inflate3 = BalloonPayload.inflate(3, 7);
        int deflate3 = BalloonPayload.deflate(3);
        assertThat(BalloonPayload.granted(BalloonPayload.grant(inflate3, 12))).isEqualTo(12);
        assertThat(BalloonPayload.answers(inflate3).answers(MailboxType.BALLOON_GRANT, BalloonPayload.grant(inflate3, 2))).isTrue();
        assertThat(BalloonPayload.answers(inflate3).answers(MailboxType.BALLOON_GRANT, BalloonPayload.grant(deflate3, 2)))
            .as("an answer to a DEFLATE is not one to an INFLATE").isFalse();
        int refused = BalloonPayload.refuse(BalloonPayload.want(2, false), BalloonPayload.Refusal.NO_MEMORY);
        assertThat(BalloonPayload.refusal(refused)).isEqualTo(BalloonPayload.Refusal.NO_MEMORY);
        assertThat(BalloonPayload.answers(BalloonPayload.want(5, true)).answers(MailboxType.NACK, refused)).isTrue();
        assertThat(BalloonPayload.answers(deflate3).answers(MailboxType.NACK, refused)).isFalse();
        // a whole word
        MailboxWord word = MailboxWord.decode(MailboxWord.encode(MailboxType.BALLOON_REQUEST, 5, want));
        assertThat(BalloonPayload.count(word.payload())).isEqualTo(300);
    }

    @Test
    void outOfRangeCountsAndUnassignedOpsAreRefused() {
        assertThatThrownBy(() -> BalloonPayload.want(65_536, false)).hasMessageContaining("0 to 65535 blocks");
        assertThatThrownBy(() -> BalloonPayload.inflate(64, 0)).hasMessageContaining("0 to 63 blocks");
        assertThatThrownBy(() -> BalloonPayload.op(0b11 << 22)).hasMessageContaining("op 11, which is unassigned");
        assertThat(BalloonPayload.Refusal.ofCode(BalloonPayload.Refusal.NO_MEMORY.code())).isEqualTo(BalloonPayload.Refusal.NO_MEMORY);
    }
}
