package io.archipelago.typed;

/** How a kernel accesses a region it attached. */
public enum AccessorKind {
    /** Generated, and the region is laid out as the kernel's own ABI lays out its type (same data model, array of structs). */
    NATIVE,
    /** Generated for a foreign layout: the paper's type-morphable code. */
    MORPHED,
    /** The interpreting reference accessor (walks the layout on every access). */
    INTERPRETED
}
