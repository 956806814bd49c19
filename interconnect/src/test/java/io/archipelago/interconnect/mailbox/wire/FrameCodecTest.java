package io.archipelago.interconnect.mailbox.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The frame decoder and word decoder of the mailbox pipeline, on an embedded channel. */
class FrameCodecTest {

    private final EmbeddedChannel channel = new EmbeddedChannel(FrameCodec.frameDecoder(), new FrameCodec());

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private Frame roundTrip(Frame frame) {
        assertThat(channel.writeOutbound(frame)).isTrue();
        ByteBuf bytes = channel.readOutbound();
        assertThat(channel.writeInbound(bytes)).isTrue();
        return channel.readInbound();
    }

    @Test
    void wordFrameIsNineBytesBigEndian() {
        channel.writeOutbound(new Frame.Word(3, 0x1A00_0042));
        ByteBuf bytes = channel.readOutbound();
        byte[] raw = new byte[bytes.readableBytes()];
        bytes.readBytes(raw);
        bytes.release();
        assertThat(raw).containsExactly(0, 7, Frame.WORD, 0, 3, 0x1A, 0, 0, 0x42);
    }

    @Test
    void aTimedWordFrameCarriesTheSendTimeInSeventeenBytesAndAnUnstampedOneStaysAPlainWord() {
        channel.writeOutbound(new Frame.Word(3, 0x1A00_0042, 0x0102_0304_0506_0708L));
        ByteBuf bytes = channel.readOutbound();
        byte[] raw = new byte[bytes.readableBytes()];
        bytes.readBytes(raw);
        bytes.release();
        assertThat(raw).containsExactly(0, 15, Frame.TIMED_WORD, 0, 3, 0x1A, 0, 0, 0x42, 1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(roundTrip(new Frame.Word(3, 7, 0))).isEqualTo(new Frame.Word(3, 7));
    }

    @Test
    void everyFrameRoundTrips() {
        byte[] challenge = new byte[Frame.CHALLENGE_BYTES];
        challenge[0] = 9;
        byte[] proof = new byte[Frame.PROOF_BYTES];
        proof[31] = 7;
        List<Frame> frames = List.of(
            new Frame.Word(0, 0xDFFF_FFFF),
            new Frame.Word(Frame.MAX_CREDITS, 0),
            new Frame.Word(2, 0x1000_0001, 123_456_789_012L),
            new Frame.Credit(4),
            Frame.FifoFull.INSTANCE,
            new Frame.Hello(Frame.VERSION, 65_535, Long.MIN_VALUE, 3, 4, 0L, challenge, "coordinator"),
            new Frame.Hello(Frame.VERSION, 2, 7L, 3, 4, 0x1234_5678_9ABC_DEF0L, challenge, "k2-2"),
            new Frame.Challenge(3, 42L, 1024, -5L, challenge, "weak-0 ünïcode"),
            Frame.Doorbell.INSTANCE,
            new Frame.Proof(proof),
            new Frame.Welcome(proof),
            new Frame.Refuse(Frame.RefuseReason.DUPLICATE, "a link exists"));
        for (Frame frame : frames) {
            assertThat(roundTrip(frame)).as(frame.toString()).isEqualTo(frame);
        }
    }

    @Test
    void framesSplitAcrossReadsAndGluedTogetherAreReassembled() {
        ByteBuf stream = Unpooled.buffer();
        for (int i = 0; i < 10; i++) {
            stream.writeShort(7).writeByte(Frame.WORD).writeShort(i).writeInt(0x1000_0000 | i);
        }
        // deliver in awkward pieces: 1 byte, 5 bytes, 13 bytes, the rest
        int[] pieces = {1, 5, 13};
        for (int piece : pieces) {
            channel.writeInbound(stream.readRetainedSlice(piece));
        }
        channel.writeInbound(stream.readRetainedSlice(stream.readableBytes()));
        stream.release();
        List<Frame> frames = new ArrayList<>();
        Frame frame;
        while ((frame = channel.readInbound()) != null) {
            frames.add(frame);
        }
        assertThat(frames).hasSize(10);
        for (int i = 0; i < 10; i++) {
            assertThat(frames.get(i)).isEqualTo(new Frame.Word(i, 0x1000_0000 | i));
        }
    }

    @Test
    void wrongBodyLengthBecomesMalformedNamingTheKindAndTheLengths() {
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 4, Frame.WORD, 1, 2, 3}));
        Frame frame = channel.readInbound();
        assertThat(frame).isInstanceOf(Frame.Malformed.class);
        assertThat(((Frame.Malformed) frame).problem()).contains("WORD").contains("3 body bytes").contains("expected 6");
    }

    @Test
    void unknownKindBecomesMalformed() {
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 2, 0x7F, 0}));
        Frame.Malformed frame = channel.readInbound();
        assertThat(frame.problem()).contains("unknown frame kind 0x7f");
    }

    @Test
    void emptyFrameBecomesMalformed() {
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0}));
        Frame.Malformed frame = channel.readInbound();
        assertThat(frame.problem()).contains("empty frame");
    }

    @Test
    void badHelloMagicAndBadNameLengthBecomeMalformed() {
        ByteBuf hello = Unpooled.buffer();
        hello.writeShort(0).writeByte(Frame.HELLO).writeInt(0x47455420).writeByte(1).writeInt(1).writeLong(1).writeInt(0).writeShort(4)
            .writeLong(0).writeBytes(new byte[16]).writeByte(0);
        hello.setShort(0, hello.readableBytes() - 2);
        channel.writeInbound(hello);
        Frame.Malformed badMagic = channel.readInbound();
        assertThat(badMagic.problem()).contains("magic 0x47455420").contains("ARMB");

        ByteBuf challenge = Unpooled.buffer();
        challenge.writeShort(0).writeByte(Frame.CHALLENGE).writeInt(1).writeLong(1).writeShort(4).writeLong(0).writeBytes(new byte[16]).writeByte(9)
            .writeBytes("ab".getBytes(StandardCharsets.UTF_8));
        challenge.setShort(0, challenge.readableBytes() - 2);
        channel.writeInbound(challenge);
        Frame.Malformed badName = channel.readInbound();
        assertThat(badName.problem()).contains("name length");
    }

    @Test
    void garbageWithAHugeLengthFailsTheChannel() {
        // an HTTP request read as a mailbox frame: length 0x4745 = 18245 bytes
        ByteBuf garbage = Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: x\r\n\r\n", StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> channel.writeInbound(garbage)).isInstanceOf(TooLongFrameException.class);
    }

    @Test
    void malformedFramesAreNeverWritten() {
        assertThatThrownBy(() -> channel.writeOutbound(new Frame.Malformed("x"))).hasRootCauseMessage("a malformed frame is never written: x");
    }
}
