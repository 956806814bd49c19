package io.archipelago.typed.layout;

import java.nio.ByteOrder;
import java.util.Objects;

/** An integer, {@code _Bool}, enum or floating-point value: how many bytes, how aligned, how read. */
public record ScalarLayout(String cName, ValueKind kind, int width, int align, ByteOrder order) implements Layout {

    public ScalarLayout {
        Objects.requireNonNull(cName, "cName");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(order, "order");
        if (width != 1 && width != 2 && width != 4 && width != 8) {
            throw new IllegalArgumentException("a scalar is 1, 2, 4 or 8 bytes, found " + width + " for " + cName);
        }
        if (kind == ValueKind.FLOAT && width != 4 && width != 8) {
            throw new IllegalArgumentException("a floating-point scalar is 4 or 8 bytes, found " + width + " for " + cName);
        }
    }

    @Override
    public long size() {
        return width;
    }
}
