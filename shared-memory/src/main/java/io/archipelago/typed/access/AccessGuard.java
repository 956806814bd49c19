package io.archipelago.typed.access;

/**
 * A check run before every access of a <em>software-coherent</em> region: the hook the DSM
 * (K2's two-state protocol) plugs into. {@code offset} is the byte offset of the access in the
 * region, {@code width} its size in bytes; the guard faults the page in (a
 * {@code GetExclusive} exchange over the mailbox) before the access proceeds, or throws.
 * <p>
 * Hardware-coherent regions have no guard, and their accessors are generated without the call
 * at all (a different class per coherence, see {@link AccessorFactory}): the DSM costs
 * hardware-coherent regions nothing.
 */
public interface AccessGuard {

    void beforeRead(long offset, int width);

    void beforeWrite(long offset, int width);
}
