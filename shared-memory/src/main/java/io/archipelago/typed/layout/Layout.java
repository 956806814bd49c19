package io.archipelago.typed.layout;

/**
 * A type as one data model lays it out: sizes, alignments, offsets, byte order. This is the
 * <em>concrete layout</em> of the paper's contract: the type-morphable accessors are generated
 * from it, and a kernel on another data model reads and writes the data in place through it.
 */
public sealed interface Layout permits ScalarLayout, PointerLayout, ArrayLayout, RecordLayout {

    /** Bytes the type occupies, tail padding included ({@code sizeof}). */
    long size();

    /** Alignment inside a struct ({@code _Alignof}). */
    int align();

    /** The C type this is a layout of, e.g. {@code unsigned long} or {@code struct list_head}. */
    String cName();
}
