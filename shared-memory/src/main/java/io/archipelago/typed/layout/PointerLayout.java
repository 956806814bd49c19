package io.archipelago.typed.layout;

import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A pointer: a global-memory address (byte offset in the global memory file, 0 is NULL) in
 * the pointer width and byte order of the data model.
 *
 * @param targetRecord the struct or union it points to ({@code struct mm_struct}), or
 *                     {@code null} when it points to anything else
 */
public record PointerLayout(String cName, String targetRecord, int width, int align, ByteOrder order) implements Layout {

    public PointerLayout {
        Objects.requireNonNull(cName, "cName");
        Objects.requireNonNull(order, "order");
        if (width != 4 && width != 8) {
            throw new IllegalArgumentException("a pointer is 4 or 8 bytes, found " + width);
        }
    }

    @Override
    public long size() {
        return width;
    }
}
