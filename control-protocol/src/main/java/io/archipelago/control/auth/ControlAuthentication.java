package io.archipelago.control.auth;

import io.archipelago.interconnect.auth.ClusterSecret;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proof of cluster membership on every control-API call. The caller sends its name, a timestamp,
 * a fresh nonce and HMAC-SHA256(secret, method, caller, timestamp, nonce, request), where the
 * request is the call's first message as it goes on the wire (a unary or server-streaming call's
 * only one; empty when a stream is closed before any message). The server recomputes it over the
 * message it received, refuses stale timestamps and nonces seen within the window, and answers
 * UNAUTHENTICATED otherwise. The secret never crosses the socket.
 * <p>
 * What it protects against: a process without the secret (no valid proof); one that copies a
 * member's call off the wire and sends it again within the window (the nonce is remembered for
 * as long as the timestamp is acceptable, {@code 2 x} {@link #MAX_SKEW_MS}, however many other
 * calls arrive meanwhile) or later (stale); one that changes the request of a captured call (the
 * proof no longer matches). Not against: a stream's later messages changed in flight (they ride
 * on the stream the first message authenticated; the control API serves loopback and the
 * cluster's own network), or anyone reading calls (no encryption).
 * <p>
 * The client holds a call's headers back until its first message (or its half-close), since the
 * proof covers that message; the server starts the service's handler only once the proof checks.
 */
public final class ControlAuthentication {

    static final Metadata.Key<String> CALLER = Metadata.Key.of("x-archipelago-caller", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> TIME = Metadata.Key.of("x-archipelago-time", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> NONCE = Metadata.Key.of("x-archipelago-nonce", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> PROOF = Metadata.Key.of("x-archipelago-proof", Metadata.ASCII_STRING_MARSHALLER);

    /** How far a caller's clock may be from ours. */
    public static final long MAX_SKEW_MS = 30_000;
    /**
     * The most nonces remembered at once: at the limit, new calls are refused until old nonces
     * expire (never forgotten early, which would reopen replay). Only calls with a valid proof are
     * remembered, so only a member can fill it: about 5,500 calls a second for a whole minute.
     */
    static final int MAX_REMEMBERED_NONCES = 1 << 19;
    private static final Logger LOG = LoggerFactory.getLogger(ControlAuthentication.class);
    private static final byte[] NO_MESSAGE = new byte[0];

    private ControlAuthentication() {
    }

    /** Signs every outgoing call as {@code caller}. */
    public static ClientInterceptor client(ClusterSecret secret, String caller) {
        SecureRandom random = new SecureRandom();
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new SignedClientCall<>(next.newCall(method, options), method, headers -> {
                    byte[] nonce = new byte[16];
                    random.nextBytes(nonce);
                    return new String[] {caller, Long.toString(System.currentTimeMillis()), HexFormat.of().formatHex(nonce)};
                }, secret);
            }
        };
    }

    /** Refuses every call that does not prove knowledge of the secret; counts refusals. */
    public static ServerInterceptor server(ClusterSecret secret, AtomicLong refused) {
        return server(secret, refused, System::currentTimeMillis);
    }

    static ServerInterceptor server(ClusterSecret secret, AtomicLong refused, LongSupplier clock) {
        return new Verifier(secret, refused, clock);
    }

    /** The proof of a call: HMAC-SHA256 over the fields, each length-prefixed ({@link ClusterSecret#prove}). */
    static byte[] proof(ClusterSecret secret, String method, String caller, String time, String nonce, byte[] request) {
        return secret.prove("control".getBytes(StandardCharsets.US_ASCII), method.getBytes(StandardCharsets.UTF_8),
            caller.getBytes(StandardCharsets.UTF_8), time.getBytes(StandardCharsets.US_ASCII), nonce.getBytes(StandardCharsets.US_ASCII),
            request);
    }

    /** A message's bytes as the method's marshaller puts them on the wire. */
    static <Q> byte[] wireBytes(MethodDescriptor<Q, ?> method, Q message) {
        try (InputStream stream = method.streamRequest(message)) {
            return stream.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialize a " + method.getFullMethodName() + " request: " + e.getMessage(), e);
        }
    }

    /** The caller name, time and nonce of a new call. */
    private interface Fields {
        String[] next(Metadata headers);
    }

    /**
     * A client call that starts (sends its headers) at its first message or half-close, with the
     * proof over that message; what the caller asks before that is replayed in order then.
     */
    private static final class SignedClientCall<Q, R> extends ClientCall<Q, R> {
        private final ClientCall<Q, R> delegate;
        private final MethodDescriptor<Q, R> method;
        private final Fields fields;
        private final ClusterSecret secret;
        private Listener<R> listener;
        private Metadata headers;
        private boolean started;
        private int requested;
        private Boolean compression;

        SignedClientCall(ClientCall<Q, R> delegate, MethodDescriptor<Q, R> method, Fields fields, ClusterSecret secret) {
            this.delegate = delegate;
            this.method = method;
            this.fields = fields;
            this.secret = secret;
        }

        @Override
        public void start(Listener<R> listener, Metadata headers) {
            this.listener = listener;
            this.headers = headers;
        }

        private void startSigned(byte[] request) {
            String[] callerTimeNonce = fields.next(headers);
            headers.put(CALLER, callerTimeNonce[0]);
            headers.put(TIME, callerTimeNonce[1]);
            headers.put(NONCE, callerTimeNonce[2]);
            headers.put(PROOF, HexFormat.of().formatHex(proof(secret, method.getFullMethodName(), callerTimeNonce[0], callerTimeNonce[1],
                callerTimeNonce[2], request)));
            started = true;
            delegate.start(listener, headers);
            if (compression != null) {
                delegate.setMessageCompression(compression);
            }
            if (requested > 0) {
                delegate.request(requested);
            }
        }

        @Override
        public void request(int count) {
            if (started) {
                delegate.request(count);
            } else {
                requested += count;
            }
        }

        @Override
        public void sendMessage(Q message) {
            if (!started) {
                startSigned(wireBytes(method, message));
            }
            delegate.sendMessage(message);
        }

        @Override
        public void halfClose() {
            if (!started) {
                startSigned(NO_MESSAGE);
            }
            delegate.halfClose();
        }

        @Override
        public void cancel(String message, Throwable cause) {
            if (!started && listener != null) {
                // never started: start so that the listener hears the cancellation, as gRPC promises
                startSigned(NO_MESSAGE);
            }
            delegate.cancel(message, cause);
        }

        @Override
        public boolean isReady() {
            return !started || delegate.isReady();
        }

        @Override
        public void setMessageCompression(boolean enabled) {
            if (started) {
                delegate.setMessageCompression(enabled);
            } else {
                compression = enabled;
            }
        }

        @Override
        public Attributes getAttributes() {
            return started ? delegate.getAttributes() : Attributes.EMPTY;
        }
    }

    /**
     * The server side: checks the headers when a call arrives, the proof at its first message,
     * and only then starts the service's handler and hands it the message.
     */
    private static final class Verifier implements ServerInterceptor {
        private final ClusterSecret secret;
        private final AtomicLong refused;
        private final LongSupplier clock;
        private final RefusalLog refusals = new RefusalLog();
        /** Nonces of accepted calls, each until its timestamp is too old to be accepted anyway. */
        private final Map<String, Long> seen = new HashMap<>();
        private final PriorityQueue<Map.Entry<String, Long>> expiries = new PriorityQueue<>(Map.Entry.comparingByValue());

        Verifier(ClusterSecret secret, AtomicLong refused, LongSupplier clock) {
            this.secret = secret;
            this.refused = refused;
            this.clock = clock;
        }

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            String method = call.getMethodDescriptor().getFullMethodName();
            String problem = checkHeaders(headers);
            if (problem != null) {
                return refuse(call, method, problem);
            }
            call.request(1);
            return new ServerCall.Listener<>() {
                private ServerCall.Listener<Q> handler;
                private boolean closed;

                @Override
                public void onMessage(Q message) {
                    if (handler != null) {
                        handler.onMessage(message);
                    } else if (!closed && verified(wireBytes(call.getMethodDescriptor(), message))) {
                        handler.onMessage(message);
                    }
                }

                @Override
                public void onHalfClose() {
                    if (handler == null && !closed) {
                        verified(NO_MESSAGE);
                    }
                    if (handler != null) {
                        handler.onHalfClose();
                    }
                }

                private boolean verified(byte[] request) {
                    String problem = checkProof(headers, method, request);
                    if (problem != null) {
                        closed = true;
                        refuse(call, method, problem);
                        return false;
                    }
                    handler = next.startCall(call, headers);
                    handler.onReady();
                    return true;
                }

                @Override
                public void onCancel() {
                    if (handler != null) {
                        handler.onCancel();
                    }
                }

                @Override
                public void onComplete() {
                    if (handler != null) {
                        handler.onComplete();
                    }
                }

                @Override
                public void onReady() {
                    if (handler != null) {
                        handler.onReady();
                    }
                }
            };
        }

        private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String method, String problem) {
            refused.incrementAndGet();
            refusals.log(method, call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR), problem);
            call.close(Status.UNAUTHENTICATED.withDescription(problem), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }

        /** What can be checked before the message: the headers are there, well formed and fresh. */
        private String checkHeaders(Metadata headers) {
            String caller = headers.get(CALLER);
            String time = headers.get(TIME);
            String nonce = headers.get(NONCE);
            String proof = headers.get(PROOF);
            if (caller == null || time == null || nonce == null || proof == null) {
                return "no proof of cluster membership (expected the x-archipelago-* headers)";
            }
            long sent;
            try {
                sent = Long.parseLong(time);
                HexFormat.of().parseHex(proof);
            } catch (IllegalArgumentException e) {
                return "malformed proof headers from '" + caller + "'";
            }
            long skew = Math.abs(clock.getAsLong() - sent);
            if (skew > MAX_SKEW_MS) {
                return "stale proof from '" + caller + "': " + skew + " ms old, at most " + MAX_SKEW_MS + " ms allowed";
            }
            return null;
        }

        /** The proof over the request, then the nonce: new within the window. */
        private String checkProof(Metadata headers, String method, byte[] request) {
            String caller = headers.get(CALLER);
            String time = headers.get(TIME);
            String nonce = headers.get(NONCE);
            byte[] proof = HexFormat.of().parseHex(headers.get(PROOF));
            if (!MessageDigest.isEqual(proof, proof(secret, method, caller, time, nonce, request))) {
                return "wrong proof from '" + caller + "': it does not know this cluster's secret, or the request is not the one "
                    + "it signed";
            }
            long now = clock.getAsLong();
            long sent = Long.parseLong(time);
            // the time check refuses this timestamp from sent + MAX_SKEW_MS on: remember the nonce until then
            long expiry = sent + MAX_SKEW_MS + 1;
            synchronized (seen) {
                while (!expiries.isEmpty() && expiries.peek().getValue() < now) {
                    seen.remove(expiries.poll().getKey());
                }
                if (seen.containsKey(nonce)) {
                    return "replayed proof from '" + caller + "' (nonce " + nonce + " was used " + (now - sent) + " ms ago or less)";
                }
                if (seen.size() >= MAX_REMEMBERED_NONCES) {
                    return "too many calls: " + MAX_REMEMBERED_NONCES + " within " + 2 * MAX_SKEW_MS / 1000
                        + " s, the replay window; call '" + caller + "' refused";
                }
                seen.put(nonce, expiry);
                expiries.add(Map.entry(nonce, expiry));
            }
            return null;
        }

        int remembered() {
            synchronized (seen) {
                return seen.size();
            }
        }
    }

    /** How many nonces a server interceptor remembers now (tests). */
    static int remembered(ServerInterceptor server) {
        return ((Verifier) server).remembered();
    }

    /**
     * Refused calls logged at most once a second, with how many were not logged since: a flood of
     * bad calls does not fill the log (or the tmpfs the cluster's logs live on).
     */
    static final class RefusalLog {
        private static final long INTERVAL_NANOS = 1_000_000_000L;
        private long lastLogged = System.nanoTime() - INTERVAL_NANOS;
        private long suppressed;

        /** Logs the refusal unless one was logged less than a second ago; returns whether it did. */
        synchronized boolean log(String method, Object from, String problem) {
            long now = System.nanoTime();
            if (now - lastLogged < INTERVAL_NANOS) {
                suppressed++;
                return false;
            }
            lastLogged = now;
            if (suppressed > 0) {
                LOG.warn("refused control call {} from {}: {} ({} more refused since the last such line)", method, from, problem, suppressed);
            } else {
                LOG.warn("refused control call {} from {}: {}", method, from, problem);
            }
            suppressed = 0;
            return true;
        }
    }
}
