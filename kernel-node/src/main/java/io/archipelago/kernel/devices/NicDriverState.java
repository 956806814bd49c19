package io.archipelago.kernel.devices;

import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;

/**
 * The network driver's state (K2's shadowed driver): one element, in the region
 * {@code nic0.driver}. Shared: software-coherent, so the strong and the weak kernel run the same
 * driver on the same state and the DSM moves its page to whichever kernel handles the interrupt;
 * private: hardware-coherent, in one kernel's domain. Changed only in exclusive sections.
 * The packet number sums let a test prove each packet was taken exactly once: n packets
 * 0..n-1 taken once each give sum n(n-1)/2 and sum of squares (n-1)n(2n-1)/6.
 */
@Typed("nic_driver")
public interface NicDriverState {
    /** The next packet number to take from the receive ring (the driver's ring index). */
    @CType("unsigned long long") long next();
    void next(long value);

    @CType("unsigned long long") long packets();
    void packets(long value);

    @CType("unsigned long long") long bytes();
    void bytes(long value);

    /** Packets whose slot did not hold them or whose checksum failed. */
    @CType("unsigned long long") long errors();
    void errors(long value);

    @CType("unsigned long long") long numberSum();
    void numberSum(long value);

    @CType("unsigned long long") long numberSquares();
    void numberSquares(long value);

    /** Configuration: the interrupt line of the NIC. */
    @CType("unsigned int") long irqLine();
    void irqLine(long value);

    /** Configuration: the ring's slots, as the driver found them. */
    @CType("unsigned int") long ringSlots();
    void ringSlots(long value);
}
