package io.archipelago.typed;

/**
 * What every accessor of a {@link Typed} interface also is: a view of one element of a region
 * of typed shared memory. A {@link Typed} interface may extend it to reach these methods
 * directly; otherwise cast.
 */
public interface TypedObject {

    /** The global-memory address of the element (what a pointer to it holds). */
    long globalAddress();

    /** The index of the element in its region. */
    long index();

    /** The name of the region the element lives in. */
    String regionName();
}
