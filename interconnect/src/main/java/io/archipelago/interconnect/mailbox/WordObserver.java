package io.archipelago.interconnect.mailbox;

/**
 * Watches every word a mailbox sends and every word it receives: how a kernel puts its mailbox
 * traffic on the cluster's timeline. Called on the sending thread and on the interrupt context,
 * once per word, at the points the mailbox's counters count it ({@code mailbox.sent.*},
 * {@code mailbox.received.*}): it must be cheap (a few nanoseconds: a record, no clock reading),
 * must not block and must not throw.
 * <p>
 * The mailbox stamps each word with a reading of {@link System#nanoTime()} it takes anyway where
 * it can (a send's deadline, the interrupt handler's start, its own watch for a reply), and reads
 * the clock for the observer only while {@link #recording()} says so. A send's stamp is read
 * before the word enters the peer's FIFO and a delivery's after it left it, so a word is never
 * delivered before it was sent on the timeline. A word sent while a delivered word is handled on
 * the interrupt context (by its handler, or by the completion of the request it answers) carries
 * the delivery's stamp: the time the handling began.
 */
public interface WordObserver {

    /** Records nothing: the default. */
    WordObserver NONE = new WordObserver() {
        @Override
        public boolean recording() {
            return false;
        }

        @Override
        public void sent(int peer, int word, long timeNs) {
        }

        @Override
        public void received(int peer, int word, long timeNs) {
        }
    };

    /** Whether words are recorded now: the mailbox reads the clock for a stamp it has not taken anyway only when they are. */
    boolean recording();

    /** {@code word} left for member {@code peer} (into its FIFO, or behind it when the FIFO is full), at host time {@code timeNs} or just after. */
    void sent(int peer, int word, long timeNs);

    /** {@code word} from member {@code peer} left the FIFO here (before it is dispatched), at host time {@code timeNs} or just before. */
    void received(int peer, int word, long timeNs);
}
