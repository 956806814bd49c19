package io.archipelago.interconnect.mailbox;

import java.util.Optional;

/**
 * Finds mailbox peers by member id. A kernel implements it over membership (the interconnect
 * does not depend on the shared-memory module); tests use a map. Consulted when a link must be
 * (re-)established, never per word, so a peer that restarted with a new endpoint is found again.
 */
@FunctionalInterface
public interface PeerDirectory {

    /** The member with this id, or empty when it is unknown. */
    Optional<PeerAddress> resolve(int memberId);

    /** A directory that knows nobody: the mailbox can only answer members that connect to it. */
    static PeerDirectory none() {
        return id -> Optional.empty();
    }
}
