package io.archipelago.interconnect.mailbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.archipelago.interconnect.auth.ClusterSecret;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Authentication and bad input on a mailbox's TCP endpoint, spoken to by hand ({@link RawMember}):
 * strangers, garbage and wrong secrets are dropped and counted, a member that proves the secret
 * talks, malformed words from it are counted and dropped, and the members keep talking.
 */
@Timeout(30)
class MailboxHandshakeTest {

    private static final Duration SECOND = Duration.ofSeconds(1);

    private final TestMembers members = new TestMembers();
    private Mailbox a;
    private Mailbox b;
    private MailboxEndpoint endpointOfB;

    @BeforeEach
    void start() {
        a = members.start(0);
        b = members.start(members.context(1).handshakeTimeout(Duration.ofMillis(400)));
        endpointOfB = b.endpoint().orElseThrow();
        a.ping(1, SECOND);
    }

    @AfterEach
    void close() {
        members.close();
    }

    private void membersStillTalk() {
        assertThat(a.ping(1, SECOND)).isPositive();
        assertThat(b.ping(0, SECOND)).isPositive();
    }

    @Test
    void garbageIsDroppedAndCounted() throws Exception {
        try (Socket socket = new Socket(endpointOfB.host(), endpointOfB.port()); RawMember raw = new RawMember(socket)) {
            OutputStream out = socket.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: kernel\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(raw.closedByPeer()).isTrue();
        }
        assertThat(members.count(1, MailboxCounter.AUTH_FAILURES.label())).isEqualTo(1);
        membersStillTalk();
    }

    @Test
    void aWordBeforeAuthenticationIsDroppedAndCounted() throws Exception {
        try (RawMember raw = RawMember.connect(endpointOfB)) {
            raw.word(0, MailboxWord.encode(MailboxType.IRQ, 0, 1));
            assertThat(raw.closedByPeer()).isTrue();
        }
        assertThat(members.count(1, MailboxCounter.AUTH_FAILURES.label())).isEqualTo(1);
        assertThat(members.count(1, MailboxCounter.received(MailboxType.IRQ))).isZero();
        membersStillTalk();
    }

    @Test
    void aSilentStrangerIsDroppedAfterTheHandshakeTimeout() throws Exception {
        long start = System.nanoTime();
        try (RawMember raw = RawMember.connect(endpointOfB)) {
            assertThat(raw.closedByPeer()).isTrue();
        }
        assertThat((System.nanoTime() - start) / 1_000_000).isBetween(350L, 3000L);
        assertThat(members.count(1, MailboxCounter.AUTH_FAILURES.label())).isEqualTo(1);
        membersStillTalk();
    }

    @Test
    void aWrongSecretIsRefusedWithoutLearningAProof() throws Exception {
        ClusterSecret wrong = ClusterSecret.generate();
        byte[] myChallenge = RawMember.random(16);
        try (RawMember raw = RawMember.connect(endpointOfB)) {
            raw.hello(7, 77L, 1, myChallenge, "stranger");
            byte[] challenge = raw.read();
            assertThat(challenge[0]).isEqualTo(RawMember.CHALLENGE);
            ByteBuffer body = ByteBuffer.wrap(challenge, 1, challenge.length - 1);
            int id = body.getInt();
            long incarnation = body.getLong();
            body.getShort();
            body.getLong();
            byte[] theirChallenge = new byte[16];
            body.get(theirChallenge);
            assertThat(id).isEqualTo(1);
            // the challenge frame carries no proof: the acceptor proves nothing before the initiator did
            assertThat(challenge.length).isLessThan(1 + 4 + 8 + 2 + 16 + 1 + 64);
            raw.frame(RawMember.PROOF, RawMember.proof(wrong, "initiator", myChallenge, theirChallenge, 7, 1, 77L, incarnation));
            byte[] refusal = raw.read();
            assertThat(refusal[0]).isEqualTo(RawMember.REFUSE);
            assertThat(new String(refusal, 2, refusal.length - 2, StandardCharsets.UTF_8)).contains("secret");
            assertThat(raw.closedByPeer()).isTrue();
        }
        assertThat(members.count(1, MailboxCounter.AUTH_FAILURES.label())).isEqualTo(1);
        membersStillTalk();
    }

    @Test
    void aMemberProvingTheSecretTalksAndItsBadWordsAreCountedAndDropped() throws Exception {
        byte[] myChallenge = RawMember.random(16);
        try (RawMember raw = RawMember.connect(endpointOfB)) {
            raw.hello(9, 99L, 1, myChallenge, "raw-member");
            byte[] challenge = raw.read();
            ByteBuffer body = ByteBuffer.wrap(challenge, 1, challenge.length - 1);
            int id = body.getInt();
            long incarnation = body.getLong();
            assertThat(body.getShort()).as("B's FIFO depth").isEqualTo((short) 4);
            assertThat(body.getLong()).as("B's memory id: it maps no rings").isZero();
            byte[] theirChallenge = new byte[16];
            body.get(theirChallenge);
            raw.frame(RawMember.PROOF, RawMember.proof(members.secret, "initiator", myChallenge, theirChallenge, 9, id, 99L, incarnation));
            byte[] welcome = raw.read();
            assertThat(welcome[0]).isEqualTo(RawMember.WELCOME);
            byte[] expected = RawMember.proof(members.secret, "acceptor", myChallenge, theirChallenge, 9, id, 99L, incarnation);
            assertThat(Arrays.copyOfRange(welcome, 1, welcome.length)).as("the acceptor proves the secret in turn").isEqualTo(expected);

            raw.word(0, 0xF000_0001);                                 // unassigned type code 0xF
            raw.frame(RawMember.WORD, new byte[] {0, 0, 0x10});       // a WORD frame of 3 body bytes
            raw.frame((byte) 0x55, new byte[] {1, 2, 3});             // an unknown frame kind
            raw.word(0, MailboxWord.encode(MailboxType.PING, 5, 4242));
            byte[] pong = raw.read();
            assertThat(pong[0]).isEqualTo(RawMember.WORD);
            ByteBuffer reply = ByteBuffer.wrap(pong, 1, pong.length - 1);
            int credits = reply.getShort();
            int word = reply.getInt();
            assertThat(MailboxWord.decode(word)).isEqualTo(new MailboxWord(MailboxType.PONG, 5, 4242));
            assertThat(credits).as("credits returned on the PONG for the consumed words").isPositive();
        }
        assertThat(members.count(1, MailboxCounter.UNKNOWN_TYPE.label())).isEqualTo(1);
        assertThat(members.count(1, MailboxCounter.MALFORMED.label())).isEqualTo(2);
        assertThat(members.count(1, MailboxCounter.DROPS.label())).isEqualTo(3);
        assertThat(members.count(1, MailboxCounter.AUTH_FAILURES.label())).isZero();
        membersStillTalk();
    }

    @Test
    void aStaleEndpointIsToldWhoListensThere() throws Exception {
        try (RawMember raw = RawMember.connect(endpointOfB)) {
            raw.hello(0, 1L, 3, RawMember.random(16), "looking-for-3");
            byte[] refusal = raw.read();
            assertThat(refusal[0]).isEqualTo(RawMember.REFUSE);
            assertThat(new String(refusal, 2, refusal.length - 2, StandardCharsets.UTF_8)).contains("member-1").contains("not member 3");
        }
        assertThat(members.count(1, MailboxCounter.AUTH_FAILURES.label())).isZero();
    }

    @Test
    void anImpostorAtAMembersEndpointIsNotTrusted() throws Exception {
        try (ServerSocket impostor = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread server = Thread.ofPlatform().start(() -> {
                try (RawMember raw = new RawMember(impostor.accept())) {
                    raw.read(); // HELLO
                    raw.challenge(6, 66L, RawMember.random(16), "impostor");
                    raw.read(); // PROOF
                    raw.frame(RawMember.WELCOME, RawMember.random(32));
                    raw.closedByPeer();
                } catch (Exception e) {
                    failure.set(e);
                }
            });
            members.directory.put(6, PeerAddress.alive(6, "kernel-6", 66L, MailboxEndpoint.tcp("127.0.0.1", impostor.getLocalPort())));
            assertThatThrownBy(() -> a.ping(6, SECOND)).isInstanceOf(MailboxException.class)
                .hasMessageContaining("failed to prove cluster membership")
                .satisfies(e -> assertThat(((MailboxException) e).reason()).isEqualTo(MailboxException.Reason.AUTHENTICATION));
            server.join(5000);
            assertThat(failure.get()).isNull();
        }
        assertThat(members.count(0, MailboxCounter.AUTH_FAILURES.label())).isEqualTo(1);
        await().atMost(Duration.ofSeconds(1)).until(() -> !a.linked(6));
        membersStillTalk();
    }
}
