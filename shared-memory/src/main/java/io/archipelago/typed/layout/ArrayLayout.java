package io.archipelago.typed.layout;

import java.util.Objects;

/**
 * A fixed-size array of {@code length} elements, each {@code element.size()} bytes apart.
 * Length -1 is a flexible array member: it takes no room.
 */
public record ArrayLayout(String cName, Layout element, long length, int align) implements Layout {

    public ArrayLayout {
        Objects.requireNonNull(element, "element");
        Objects.requireNonNull(cName, "cName");
    }

    @Override
    public long size() {
        return length < 0 ? 0 : element.size() * length;
    }

    public boolean flexible() {
        return length < 0;
    }

    public long stride() {
        return element.size();
    }
}
