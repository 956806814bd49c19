package io.archipelago.interconnect.mailbox.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.MessageToMessageCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The word decoder of the mailbox pipeline: turns one length-delimited frame (from
 * {@link #frameDecoder()}) into a {@link Frame}, and a {@link Frame} into bytes. A frame it cannot
 * read becomes {@link Frame.Malformed} with what was expected and what was found; it never throws
 * on bad input. Stateless, so one instance serves every channel.
 */
@ChannelHandler.Sharable
public final class FrameCodec extends MessageToMessageCodec<ByteBuf, Frame> {

    /**
     * The frame decoder: splits the byte stream on the 16-bit length prefix; a length above
     * {@link Frame#MAX_FRAME_BYTES} cannot be resynchronised and fails the channel
     * ({@link io.netty.handler.codec.TooLongFrameException}).
     */
    public static LengthFieldBasedFrameDecoder frameDecoder() {
        return new LengthFieldBasedFrameDecoder(Frame.MAX_FRAME_BYTES + Frame.LENGTH_BYTES, 0, Frame.LENGTH_BYTES, 0,
            Frame.LENGTH_BYTES, true);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
        ByteBuf buf = switch (frame) {
            case Frame.Word w when w.sentAtNanos() != 0 -> ctx.alloc().ioBuffer(17).writeShort(15).writeByte(Frame.TIMED_WORD)
                .writeShort(w.credits()).writeInt(w.word()).writeLong(w.sentAtNanos());
            case Frame.Word w -> ctx.alloc().ioBuffer(9).writeShort(7).writeByte(Frame.WORD).writeShort(w.credits()).writeInt(w.word());
            case Frame.Credit c -> ctx.alloc().ioBuffer(5).writeShort(3).writeByte(Frame.CREDIT).writeShort(c.credits());
            case Frame.FifoFull f -> ctx.alloc().ioBuffer(3).writeShort(1).writeByte(Frame.FIFO_FULL);
            case Frame.Doorbell d -> ctx.alloc().ioBuffer(3).writeShort(1).writeByte(Frame.DOORBELL);
            default -> encodeHandshake(ctx, frame);
        };
        out.add(buf);
    }

    private static ByteBuf encodeHandshake(ChannelHandlerContext ctx, Frame frame) {
        ByteBuf buf = ctx.alloc().buffer(128);
        buf.writeShort(0); // length, patched below
        switch (frame) {
            case Frame.Hello h -> {
                buf.writeByte(Frame.HELLO).writeInt(Frame.MAGIC).writeByte(h.version()).writeInt(h.senderId()).writeLong(h.incarnation())
                    .writeInt(h.targetId()).writeShort(h.fifoDepth()).writeLong(h.memoryId()).writeBytes(h.challenge());
                writeName(buf, h.name());
            }
            case Frame.Challenge c -> {
                buf.writeByte(Frame.CHALLENGE).writeInt(c.id()).writeLong(c.incarnation()).writeShort(c.fifoDepth()).writeLong(c.memoryId())
                    .writeBytes(c.challenge());
                writeName(buf, c.name());
            }
            case Frame.Proof p -> buf.writeByte(Frame.PROOF).writeBytes(p.proof());
            case Frame.Welcome w -> buf.writeByte(Frame.WELCOME).writeBytes(w.proof());
            case Frame.Refuse r -> {
                byte[] text = r.text().getBytes(StandardCharsets.UTF_8);
                buf.writeByte(Frame.REFUSE).writeByte(r.reason().ordinal()).writeBytes(text, 0, Math.min(text.length, 400));
            }
            case Frame.Malformed m -> {
                buf.release();
                throw new IllegalArgumentException("a malformed frame is never written: " + m.problem());
            }
            default -> {
                buf.release();
                throw new IllegalArgumentException("not a handshake frame: " + frame);
            }
        }
        buf.setShort(0, buf.readableBytes() - Frame.LENGTH_BYTES);
        return buf;
    }

    private static void writeName(ByteBuf buf, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(bytes.length, Frame.MAX_NAME_BYTES);
        buf.writeByte(length).writeBytes(bytes, 0, length);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
        out.add(decode(frame));
    }

    /** Decodes one frame (kind byte and body, without the length prefix). */
    public static Frame decode(ByteBuf frame) {
        int length = frame.readableBytes();
        if (length < 1) {
            return new Frame.Malformed("an empty frame (expected at least the kind byte)");
        }
        byte kind = frame.readByte();
        int body = length - 1;
        return switch (kind) {
            case Frame.WORD -> body == 6 ? new Frame.Word(frame.readUnsignedShort(), frame.readInt())
                : wrongLength("WORD", 6, body);
            case Frame.TIMED_WORD -> body == 14 ? new Frame.Word(frame.readUnsignedShort(), frame.readInt(), frame.readLong())
                : wrongLength("TIMED_WORD", 14, body);
            case Frame.CREDIT -> body == 2 ? new Frame.Credit(frame.readUnsignedShort()) : wrongLength("CREDIT", 2, body);
            case Frame.FIFO_FULL -> body == 0 ? Frame.FifoFull.INSTANCE : wrongLength("FIFO_FULL", 0, body);
            case Frame.DOORBELL -> body == 0 ? Frame.Doorbell.INSTANCE : wrongLength("DOORBELL", 0, body);
            case Frame.HELLO -> hello(frame, body);
            case Frame.CHALLENGE -> challenge(frame, body);
            case Frame.PROOF -> body == Frame.PROOF_BYTES ? new Frame.Proof(bytes(frame, Frame.PROOF_BYTES))
                : wrongLength("PROOF", Frame.PROOF_BYTES, body);
            case Frame.WELCOME -> body == Frame.PROOF_BYTES ? new Frame.Welcome(bytes(frame, Frame.PROOF_BYTES))
                : wrongLength("WELCOME", Frame.PROOF_BYTES, body);
            case Frame.REFUSE -> body >= 1 ? new Frame.Refuse(Frame.RefuseReason.of(frame.readUnsignedByte()),
                frame.readCharSequence(frame.readableBytes(), StandardCharsets.UTF_8).toString())
                : wrongLength("REFUSE", 1, body);
            default -> new Frame.Malformed("unknown frame kind 0x" + Integer.toHexString(kind & 0xFF) + " (" + length
                + " bytes; expected WORD 0x01, CREDIT 0x02, FIFO_FULL 0x03, DOORBELL 0x04, TIMED_WORD 0x05 or a handshake frame 0x10-0x14)");
        };
    }

    private static final int HELLO_FIXED = 4 + 1 + 4 + 8 + 4 + 2 + 8 + Frame.CHALLENGE_BYTES + 1;
    private static final int CHALLENGE_FIXED = 4 + 8 + 2 + 8 + Frame.CHALLENGE_BYTES + 1;

    private static Frame hello(ByteBuf frame, int body) {
        if (body < HELLO_FIXED) {
            return new Frame.Malformed("a HELLO frame of " + body + " body bytes (expected at least " + HELLO_FIXED + ")");
        }
        int magic = frame.readInt();
        if (magic != Frame.MAGIC) {
            return new Frame.Malformed("a HELLO frame with magic 0x" + Integer.toHexString(magic) + " (expected 0x"
                + Integer.toHexString(Frame.MAGIC) + ", \"ARMB\")");
        }
        int version = frame.readUnsignedByte();
        int sender = frame.readInt();
        long incarnation = frame.readLong();
        int target = frame.readInt();
        int depth = frame.readUnsignedShort();
        long memory = frame.readLong();
        byte[] challenge = bytes(frame, Frame.CHALLENGE_BYTES);
        String name = name(frame);
        return name == null ? new Frame.Malformed("a HELLO frame whose name length does not match its size")
            : new Frame.Hello(version, sender, incarnation, target, depth, memory, challenge, name);
    }

    private static Frame challenge(ByteBuf frame, int body) {
        if (body < CHALLENGE_FIXED) {
            return new Frame.Malformed("a CHALLENGE frame of " + body + " body bytes (expected at least " + CHALLENGE_FIXED + ")");
        }
        int id = frame.readInt();
        long incarnation = frame.readLong();
        int depth = frame.readUnsignedShort();
        long memory = frame.readLong();
        byte[] challenge = bytes(frame, Frame.CHALLENGE_BYTES);
        String name = name(frame);
        return name == null ? new Frame.Malformed("a CHALLENGE frame whose name length does not match its size")
            : new Frame.Challenge(id, incarnation, depth, memory, challenge, name);
    }

    private static String name(ByteBuf frame) {
        int length = frame.readUnsignedByte();
        if (length != frame.readableBytes() || length > Frame.MAX_NAME_BYTES) {
            return null;
        }
        return frame.readCharSequence(length, StandardCharsets.UTF_8).toString();
    }

    private static byte[] bytes(ByteBuf frame, int count) {
        byte[] bytes = new byte[count];
        frame.readBytes(bytes);
        return bytes;
    }

    private static Frame wrongLength(String kind, int expected, int found) {
        return new Frame.Malformed("a " + kind + " frame of " + found + " body bytes (expected " + expected + ")");
    }
}
