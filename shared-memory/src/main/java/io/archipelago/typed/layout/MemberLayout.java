package io.archipelago.typed.layout;

import java.util.Objects;

/** A member of a struct or union at its byte offset; {@code name} is null for an anonymous member. */
public record MemberLayout(String name, long offset, Layout layout) {

    public MemberLayout {
        Objects.requireNonNull(layout, "layout");
        if (offset < 0) {
            throw new IllegalArgumentException("a member offset is >= 0, found " + offset);
        }
    }

    public boolean anonymous() {
        return name == null;
    }

    public long size() {
        return layout.size();
    }
}
