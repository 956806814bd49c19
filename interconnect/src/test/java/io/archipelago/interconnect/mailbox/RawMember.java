package io.archipelago.interconnect.mailbox;

import io.archipelago.interconnect.mailbox.wire.Frame;

import io.archipelago.interconnect.auth.ClusterSecret;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * The mailbox wire protocol written out by hand over a blocking socket, independently of the
 * Netty codec: what a stranger, a garbage source, a member with a wrong secret or an impostor
 * sends. Pins the frame layout and the proof construction documented in {@code Frame} and
 * {@code AuthenticationHandler}.
 */
final class RawMember implements AutoCloseable {

    static final byte WORD = 0x01;
    static final byte HELLO = 0x10;
    static final byte CHALLENGE = 0x11;
    static final byte PROOF = 0x12;
    static final byte WELCOME = 0x13;
    static final byte REFUSE = 0x14;

    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;

    RawMember(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(5000);
        this.in = new DataInputStream(socket.getInputStream());
        this.out = new DataOutputStream(socket.getOutputStream());
    }

    static RawMember connect(MailboxEndpoint endpoint) throws IOException {
        return new RawMember(new Socket(endpoint.host(), endpoint.port()));
    }

    static byte[] random(int bytes) {
        byte[] value = new byte[bytes];
        new SecureRandom().nextBytes(value);
        return value;
    }

    void frame(byte kind, byte[] body) throws IOException {
        out.writeShort(body.length + 1);
        out.writeByte(kind);
        out.write(body);
        out.flush();
    }

    void hello(int senderId, long incarnation, int targetId, byte[] challenge, String name) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer body = ByteBuffer.allocate(4 + 1 + 4 + 8 + 4 + 2 + 8 + 16 + 1 + nameBytes.length);
        body.putInt(0x41524D42).put((byte) Frame.VERSION).putInt(senderId).putLong(incarnation).putInt(targetId).putShort((short) 4)
            .putLong(0L).put(challenge)
            .put((byte) nameBytes.length).put(nameBytes);
        frame(HELLO, body.array());
    }

    void challenge(int id, long incarnation, byte[] challenge, String name) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer body = ByteBuffer.allocate(4 + 8 + 2 + 8 + 16 + 1 + nameBytes.length);
        body.putInt(id).putLong(incarnation).putShort((short) 4).putLong(0L).put(challenge).put((byte) nameBytes.length).put(nameBytes);
        frame(CHALLENGE, body.array());
    }

    void word(int credits, int word) throws IOException {
        frame(WORD, ByteBuffer.allocate(6).putShort((short) credits).putInt(word).array());
    }

    /** One frame: its kind byte first, then its body. */
    byte[] read() throws IOException {
        int length = in.readUnsignedShort();
        byte[] frame = new byte[length];
        in.readFully(frame);
        return frame;
    }

    /** True when the peer closed the connection (end of stream or reset) before the timeout. */
    boolean closedByPeer() {
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    static byte[] proof(ClusterSecret secret, String role, byte[] initiatorChallenge, byte[] acceptorChallenge, int initiatorId,
                        int acceptorId, long initiatorIncarnation, long acceptorIncarnation) {
        return secret.prove(("archipelago-mailbox-" + role).getBytes(StandardCharsets.US_ASCII), initiatorChallenge, acceptorChallenge,
            ByteBuffer.allocate(24).putInt(initiatorId).putInt(acceptorId).putLong(initiatorIncarnation).putLong(acceptorIncarnation).array());
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
