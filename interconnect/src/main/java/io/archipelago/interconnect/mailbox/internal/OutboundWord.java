package io.archipelago.interconnect.mailbox.internal;

/**
 * A word on its way out, written to a link's channel by any thread; the {@link LinkHandler}
 * frames it on the interrupt context, adding the credits owed to the peer at that moment.
 */
record OutboundWord(int word) {
}
