package io.archipelago.interconnect.mailbox;

/**
 * Watches every word a mailbox sends and every word it receives: how a kernel puts its mailbox
 * traffic on the cluster's timeline. Called on the sending thread and on the interrupt context,
 * once per word, at the points the mailbox's counters count it ({@code mailbox.sent.*},
 * {@code mailbox.received.*}): it must be cheap (tens of nanoseconds), must not block and must
 * not throw.
 */
public interface WordObserver {

    /** Records nothing: the default. */
    WordObserver NONE = new WordObserver() {
        @Override
        public void sent(int peer, int word) {
        }

        @Override
        public void received(int peer, int word) {
        }
    };

    /** {@code word} left for member {@code peer} (into its FIFO, or behind it when the FIFO is full). */
    void sent(int peer, int word);

    /** {@code word} from member {@code peer} left the FIFO here (before it is dispatched). */
    void received(int peer, int word);
}
