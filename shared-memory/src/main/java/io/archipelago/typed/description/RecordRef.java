package io.archipelago.typed.description;

import java.util.Objects;

/** A struct or union named by its tag, where its members are not needed: the target of a pointer. */
public record RecordRef(RecordType.Kind kind, String tag) implements TypeDescription {

    public RecordRef {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(tag, "tag");
    }

    @Override
    public String cName() {
        return kind.keyword() + " " + tag;
    }
}
