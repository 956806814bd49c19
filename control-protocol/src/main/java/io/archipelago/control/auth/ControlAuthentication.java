package io.archipelago.control.auth;

import io.archipelago.interconnect.auth.ClusterSecret;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proof of cluster membership on every control-API call. The caller sends its name, a timestamp,
 * a fresh nonce and HMAC-SHA256(secret, method, caller, timestamp, nonce); the server recomputes
 * it, refuses stale timestamps and replayed nonces, and answers UNAUTHENTICATED otherwise. The
 * secret never crosses the socket.
 */
public final class ControlAuthentication {

    static final Metadata.Key<String> CALLER = Metadata.Key.of("x-archipelago-caller", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> TIME = Metadata.Key.of("x-archipelago-time", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> NONCE = Metadata.Key.of("x-archipelago-nonce", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> PROOF = Metadata.Key.of("x-archipelago-proof", Metadata.ASCII_STRING_MARSHALLER);

    /** How far a caller's clock may be from ours. */
    public static final long MAX_SKEW_MS = 30_000;
    private static final int REMEMBERED_NONCES = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(ControlAuthentication.class);

    private ControlAuthentication() {
    }

    /** Signs every outgoing call as {@code caller}. */
    public static ClientInterceptor client(ClusterSecret secret, String caller) {
        SecureRandom random = new SecureRandom();
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        byte[] nonce = new byte[16];
                        random.nextBytes(nonce);
                        String time = Long.toString(System.currentTimeMillis());
                        String nonceHex = HexFormat.of().formatHex(nonce);
                        headers.put(CALLER, caller);
                        headers.put(TIME, time);
                        headers.put(NONCE, nonceHex);
                        headers.put(PROOF, HexFormat.of().formatHex(proof(secret, method.getFullMethodName(), caller, time, nonceHex)));
                        super.start(listener, headers);
                    }
                };
            }
        };
    }

    /** Refuses every call that does not prove knowledge of the secret; counts refusals. */
    public static ServerInterceptor server(ClusterSecret secret, AtomicLong refused) {
        return server(secret, refused, System::currentTimeMillis);
    }

    static ServerInterceptor server(ClusterSecret secret, AtomicLong refused, LongSupplier clock) {
        Map<String, Boolean> seen = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > REMEMBERED_NONCES;
            }
        };
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                String method = call.getMethodDescriptor().getFullMethodName();
                String problem = check(headers, method);
                if (problem != null) {
                    refused.incrementAndGet();
                    LOG.warn("refused control call {} from {}: {}", method, call.getAttributes()
                        .get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR), problem);
                    call.close(Status.UNAUTHENTICATED.withDescription(problem), new Metadata());
                    return new ServerCall.Listener<>() {
                    };
                }
                return next.startCall(call, headers);
            }

            private String check(Metadata headers, String method) {
                String caller = headers.get(CALLER);
                String time = headers.get(TIME);
                String nonce = headers.get(NONCE);
                String proof = headers.get(PROOF);
                if (caller == null || time == null || nonce == null || proof == null) {
                    return "no proof of cluster membership (expected the x-archipelago-* headers)";
                }
                long sent;
                byte[] proofBytes;
                try {
                    sent = Long.parseLong(time);
                    proofBytes = HexFormat.of().parseHex(proof);
                } catch (IllegalArgumentException e) {
                    return "malformed proof headers from '" + caller + "'";
                }
                long skew = Math.abs(clock.getAsLong() - sent);
                if (skew > MAX_SKEW_MS) {
                    return "stale proof from '" + caller + "': " + skew + " ms old, at most " + MAX_SKEW_MS + " ms allowed";
                }
                if (!java.security.MessageDigest.isEqual(proofBytes, proof(secret, method, caller, time, nonce))) {
                    return "wrong proof from '" + caller + "': it does not know this cluster's secret";
                }
                synchronized (seen) {
                    if (seen.put(nonce, Boolean.TRUE) != null) {
                        return "replayed proof from '" + caller + "'";
                    }
                }
                return null;
            }
        };
    }

    private static byte[] proof(ClusterSecret secret, String method, String caller, String time, String nonce) {
        return secret.prove("control".getBytes(StandardCharsets.US_ASCII), method.getBytes(StandardCharsets.UTF_8),
            caller.getBytes(StandardCharsets.UTF_8), time.getBytes(StandardCharsets.US_ASCII), nonce.getBytes(StandardCharsets.US_ASCII));
    }
}
