package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.WordObserver;

/**
 * The clock readings that stamp the mailbox's words for its {@link WordObserver} (the timeline):
 * readings the mailbox takes anyway where it has one (a send's deadline, an interrupt handler's
 * start, a requester's watch for its reply), and a reading of its own only while the observer
 * records. A send's stamp is read before the word enters the peer's FIFO, a delivery's after it
 * left it, so no word is delivered before it was sent on the timeline.
 * <p>
 * On the interrupt context, a delivered word's record waits until the handling sent its first
 * word or ended: the answer leaves before anything is recorded, and the words sent meanwhile
 * carry the delivery's stamp (the time the handling began), so a round trip between two
 * interrupt contexts reads the clock once for the timeline, on the side whose reply completes a
 * request (where no handler's start is read).
 */
final class WordStamps {

    /** No stamp: the observer did not record when the word went (it is left out). */
    static final long NONE = Long.MIN_VALUE;

    private final WordObserver observer;
    /** The stamp of the word being handled on the interrupt context, or {@link #NONE} (interrupt context only). */
    private long handlingSince = NONE;
    private boolean deliveryUnrecorded;
    private int deliveredFrom;
    private int deliveredWord;

    WordStamps(WordObserver observer) {
        this.observer = observer;
    }

    /** A stamp for a thread that read no clock for its own purposes: a reading only while the observer records. */
    long now() {
        return observer.recording() ? System.nanoTime() : NONE;
    }

    /** A stamp read for the mailbox's own purposes (a deadline, a wait), used as it is. */
    void sent(int peer, int word, long stamp) {
        if (stamp != NONE) {
            observer.sent(peer, word, stamp);
        }
    }

    /** (a kernel thread that took its reply itself) {@code stamp} was read after the take. */
    void received(int peer, int word, long stamp) {
        if (stamp != NONE) {
            observer.received(peer, word, stamp);
        }
    }

    /** (interrupt context) A word delivered and about to be handled or dropped at once: recorded now, with a reading of its own. */
    void delivered(int peer, int word) {
        received(peer, word, now());
    }

    /**
     * (interrupt context) A delivered word's handling begins: {@code stamp} was read after it left
     * the FIFO (the handler's start), or is {@link #NONE} to read one only while recording.
     */
    void handlingBegins(int peer, int word, long stamp) {
        recordDelivery();
        handlingSince = stamp != NONE || !observer.recording() ? stamp : System.nanoTime();
        deliveryUnrecorded = handlingSince != NONE;
        deliveredFrom = peer;
        deliveredWord = word;
    }

    /** (interrupt context) The stamp of a word about to be sent: the handling's, or a reading of its own. */
    long beforePost() {
        return handlingSince != NONE ? handlingSince : now();
    }

    /** (interrupt context) A word went (into the peer's FIFO or behind it) with {@code stamp}: the delivery being handled first. */
    void posted(int peer, int word, long stamp) {
        recordDelivery();
        sent(peer, word, stamp);
    }

    /** (interrupt context) The handling ended: its delivery is recorded if no word sent meanwhile did it. */
    void handlingEnds() {
        recordDelivery();
        handlingSince = NONE;
    }

    private void recordDelivery() {
        if (deliveryUnrecorded) {
            deliveryUnrecorded = false;
            observer.received(deliveredFrom, deliveredWord, handlingSince);
        }
    }
}
