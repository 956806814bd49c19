package io.archipelago.interconnect.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The cluster secret: random bytes created with the cluster (file mode 0600, hex text) and handed
 * to every member at launch. Members prove they know it with an HMAC-SHA256 over a fresh
 * challenge; the secret itself never crosses a socket.
 */
public final class ClusterSecret {

    public static final int BYTES = 32;
    public static final int MIN_BYTES = 16;
    private static final String HMAC = "HmacSHA256";

    private final byte[] key;

    private ClusterSecret(byte[] key) {
        this.key = key.clone();
    }

    public static ClusterSecret generate() {
        byte[] key = new byte[BYTES];
        new SecureRandom().nextBytes(key);
        return new ClusterSecret(key);
    }

    public static ClusterSecret of(byte[] key) {
        if (key.length < MIN_BYTES) {
            throw new IllegalArgumentException("a cluster secret has at least " + MIN_BYTES + " bytes, found " + key.length);
        }
        return new ClusterSecret(key);
    }

    /**
     * Writes the secret readable by its owner only (0600, whatever the umask), atomically; never
     * overwrites one. Nothing is written through a symbolic link: the text goes into a new
     * temporary file ({@code CREATE_NEW}, {@code NOFOLLOW_LINKS}: a link planted under its name
     * makes the open fail), renamed into place.
     */
    public void writeTo(Path file) {
        Path temporary = file.resolveSibling(file.getFileName() + ".creating");
        Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
        try {
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(file.toString(), null, "a cluster secret is never overwritten");
            }
            Files.deleteIfExists(temporary);
            try (FileChannel channel = FileChannel.open(temporary, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(ownerOnly))) {
                Files.getFileAttributeView(temporary, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(ownerOnly);
                ByteBuffer text = ByteBuffer.wrap((HexFormat.of().formatHex(key) + "\n").getBytes(StandardCharsets.US_ASCII));
                while (text.hasRemaining()) {
                    channel.write(text);
                }
                channel.force(true);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the cluster secret " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a secret file: hex text of at least {@value #MIN_BYTES} bytes (e.g. {@code openssl rand -hex 32}). */
    public static ClusterSecret readFrom(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("no cluster secret at " + file
                + ": kernels and tools need the secret of the cluster they join", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the cluster secret " + file + ": " + e.getMessage(), e);
        }
        byte[] key;
        try {
            key = HexFormat.of().parseHex(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the cluster secret " + file + " must be hexadecimal text (e.g. from "
                + "`openssl rand -hex 32`), found " + text.length() + " characters that are not", e);
        }
        if (key.length < MIN_BYTES) {
            throw new IllegalArgumentException("the cluster secret " + file + " has " + key.length + " bytes, expected at least "
                + MIN_BYTES);
        }
        return new ClusterSecret(key);
    }

    /** HMAC-SHA256 of the parts, in order, each length-prefixed so that no two part lists collide. */
    public byte[] prove(byte[]... parts) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            for (byte[] part : parts) {
                mac.update(new byte[] {(byte) (part.length >>> 24), (byte) (part.length >>> 16), (byte) (part.length >>> 8),
                    (byte) part.length});
                mac.update(part);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is unavailable in this JVM", e);
        }
    }

    public boolean verify(byte[] proof, byte[]... parts) {
        return proof != null && MessageDigest.isEqual(proof, prove(parts));
    }

    @Override
    public String toString() {
        return "ClusterSecret[" + key.length + " bytes]";
    }
}
