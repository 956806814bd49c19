package io.archipelago.interconnect.mailbox.wire;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * What travels on a mailbox link. Every frame is length-prefixed:
 *
 * <pre>
 *   0                   1                   2
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
 *  +-------------------------------+---------------+----------------
 *  |  length (16-bit, big-endian)  |     kind      |  body ...
 *  +-------------------------------+---------------+----------------
 *   length counts the kind byte and the body: 1 to MAX_FRAME_BYTES
 *
 *  after authentication:
 *   WORD      0x01  credits u16 | word u32          a mailbox word, plus FIFO credits returned
 *   CREDIT    0x02  credits u16                     FIFO credits returned (nothing to piggyback on)
 *   FIFO_FULL 0x03  (empty)                         "your FIFO is full for me: return credits as
 *                                                    soon as you consume" (OMAP4's not-full interrupt)
 *   DOORBELL  0x04  (empty)                         "a word waits in our ring in global memory"
 *                                                    (the interrupt line of a pair whose words travel
 *                                                    in memory; sent only when nobody polls)
 *   TIMED_WORD 0x05 credits u16 | word u32 | sent i64   a WORD under a modelled platform's latency:
 *                                                    sent, the sender's monotonic clock (ns) when
 *                                                    it framed the word; delivered no earlier than
 *                                                    sent + the pair's modelled latency (the ends
 *                                                    share one host's clock). Sent only by kernels
 *                                                    of a cluster configured with a platform, all
 *                                                    of one build: no version of its own
 *  handshake (see Handshake for the exchange):
 *   HELLO     0x10  magic "ARMB" | version u8 | sender id i32 | incarnation i64 | target id i32
 *                   | fifo depth u16 | memory id i64 | challenge[16] | name (u8 length, UTF-8)
 *   CHALLENGE 0x11  id i32 | incarnation i64 | fifo depth u16 | memory id i64 | challenge[16]
 *                   | name (u8 length, UTF-8)
 *                   memory id: the global memory whose mailbox rings the sender would use (the
 *                   memory's cluster id), 0 for none; equal and non-zero on both sides: the
 *                   pair's words travel in the rings, and the link carries doorbells only
 *   PROOF     0x12  proof[32]                       HMAC-SHA256 by the initiator
 *   WELCOME   0x13  proof[32]                       HMAC-SHA256 by the acceptor
 *   REFUSE    0x14  reason u8 | text (UTF-8, rest of the frame)
 * </pre>
 * <p>
 * Credits implement the hardware FIFO: a sender may have at most the receiver's FIFO depth of
 * words unconsumed; a word is consumed when the receiver's interrupt dispatch pops it, and its
 * credit travels back on the next frame going the other way. Where the words travel in rings,
 * the ring is the FIFO: a sender facing a full ring sends FIFO_FULL, and the receiver answers with
 * a CREDIT frame once it has emptied the ring.
 */
public sealed interface Frame {

    int MAX_FRAME_BYTES = 512;
    int LENGTH_BYTES = 2;

    byte WORD = 0x01;
    byte CREDIT = 0x02;
    byte FIFO_FULL = 0x03;
    byte DOORBELL = 0x04;
    byte TIMED_WORD = 0x05;
    byte HELLO = 0x10;
    byte CHALLENGE = 0x11;
    byte PROOF = 0x12;
    byte WELCOME = 0x13;
    byte REFUSE = 0x14;

    int MAGIC = 0x41524D42; // "ARMB"
    /** 2: HELLO and CHALLENGE carry the memory id, and DOORBELL exists. */
    int VERSION = 2;
    int CHALLENGE_BYTES = 16;
    int PROOF_BYTES = 32;
    int MAX_NAME_BYTES = 64;
    int MAX_CREDITS = 0xFFFF;

    /**
     * A mailbox word with the credits the sender returns for words it consumed, and its send time
     * under a modelled latency (the sender's monotonic ns; 0: none, a plain WORD frame).
     */
    record Word(int credits, int word, long sentAtNanos) implements Frame {
        public Word(int credits, int word) {
            this(credits, word, 0);
        }
    }

    /** Credits returned on their own. */
    record Credit(int credits) implements Frame {
    }

    /** The sender found our FIFO full. */
    record FifoFull() implements Frame {
        public static final FifoFull INSTANCE = new FifoFull();
    }

    /** A word waits in the sender's ring to us. */
    record Doorbell() implements Frame {
        public static final Doorbell INSTANCE = new Doorbell();
    }

    /** The initiator introduces itself and challenges the acceptor. */
    record Hello(int version, int senderId, long incarnation, int targetId, int fifoDepth, long memoryId, byte[] challenge, String name)
        implements Frame {
        @Override
        public String toString() {
            return "Hello[version=" + version + ", sender=" + name + " (" + senderId + "), incarnation=" + incarnation + ", target="
                + targetId + ", fifoDepth=" + fifoDepth + ", memory=" + Long.toHexString(memoryId) + "]";
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Hello h && version == h.version && senderId == h.senderId && incarnation == h.incarnation
                && targetId == h.targetId && fifoDepth == h.fifoDepth && memoryId == h.memoryId && Arrays.equals(challenge, h.challenge) && name.equals(h.name);
        }

        @Override
        public int hashCode() {
            return senderId * 31 + Arrays.hashCode(challenge);
        }
    }

    /** The acceptor introduces itself and challenges the initiator. */
    record Challenge(int id, long incarnation, int fifoDepth, long memoryId, byte[] challenge, String name) implements Frame {
        @Override
        public String toString() {
            return "Challenge[" + name + " (" + id + "), incarnation=" + incarnation + ", fifoDepth=" + fifoDepth + ", memory="
                + Long.toHexString(memoryId) + "]";
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Challenge c && id == c.id && incarnation == c.incarnation && fifoDepth == c.fifoDepth
                && memoryId == c.memoryId
                && Arrays.equals(challenge, c.challenge) && name.equals(c.name);
        }

        @Override
        public int hashCode() {
            return id * 31 + Arrays.hashCode(challenge);
        }
    }

    /** The initiator's proof that it knows the cluster secret. */
    record Proof(byte[] proof) implements Frame {
        @Override
        public String toString() {
            return "Proof[" + HexFormat.of().formatHex(proof, 0, Math.min(4, proof.length)) + "...]";
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Proof p && Arrays.equals(proof, p.proof);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(proof);
        }
    }

    /** The acceptor accepted the link and proves in turn that it knows the secret. */
    record Welcome(byte[] proof) implements Frame {
        @Override
        public String toString() {
            return "Welcome[" + HexFormat.of().formatHex(proof, 0, Math.min(4, proof.length)) + "...]";
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Welcome w && Arrays.equals(proof, w.proof);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(proof);
        }
    }

    /** The acceptor refuses the link, and says why; it closes the connection after this frame. */
    record Refuse(RefuseReason reason, String text) implements Frame {
    }

    /**
     * A frame that could not be decoded. Never written: the decoder passes it on so that the
     * handler in charge decides (before authentication: disconnect; after: count and drop).
     */
    record Malformed(String problem) implements Frame {
    }

    /** Why an acceptor refuses a link. */
    enum RefuseReason {
        /** The initiator's proof is wrong: it does not know this cluster's secret. */
        WRONG_PROOF,
        /** The initiator asked for another member than the one listening here (a stale endpoint). */
        NOT_ME,
        /** Both sides connected at once; the other link wins (the one initiated by the lower id). */
        DUPLICATE,
        /** The acceptor is closing. */
        CLOSING,
        /** Protocol version or magic not understood. */
        BAD_VERSION,
        /** A reason code this version does not know. */
        OTHER,
        /**
         * The initiator is an incarnation membership does not show as live (declared DEAD, or succeeded by the one linked
         * now). After OTHER so that the codes before it keep their values on the wire.
         */
        STALE_INCARNATION;

        public static RefuseReason of(int code) {
            RefuseReason[] all = values();
            return code >= 0 && code < all.length ? all[code] : OTHER;
        }
    }
}
