package io.archipelago.typed.region;

import io.archipelago.typed.access.AccessGuard;
import io.archipelago.typed.proto.Contract;
import java.lang.foreign.MemorySegment;

/**
 * What keeps software-coherent regions coherent for one kernel: the DSM (kernel-node). Typed
 * memory asks it for the kernel's view of such a region: the private copy the kernel's accessors
 * read and write (its emulated, non-coherent cache of the region's pages) and the guard every
 * access goes through (the emulated page table: a fault runs K2's GetExclusive exchange).
 */
public interface SoftwareCoherence {

    /** The kernel's coherent view of a software-coherent region, opened once per region. */
    CoherentView open(Contract contract);

    /**
     * Drops this kernel's private copy and page states of a region that was <b>destroyed</b>
     * (its pages freed, perhaps already reused by another region): nothing is written back, and
     * the directory no longer names this kernel as the holder of its pages. Never for a live
     * region: what this kernel wrote to it since it obtained its pages would be lost.
     */
    default void forget(String regionName) {
    }

    /**
     * @param cache the kernel's private copy of the region (same size and layout as the region in
     *              global memory); only pages the guard has made VALID hold current data
     * @param guard the page check around every access
     */
    record CoherentView(MemorySegment cache, AccessGuard guard) {
    }
}
