package io.archipelago.typed.description;

import java.util.Objects;

/**
 * A typedef name. Kept (rather than replaced by its target) for display, and because GCC lets
 * {@code __attribute__((aligned(N)))} on a typedef both raise and lower the alignment of the
 * type it names.
 *
 * @param alignment the alignment set by an {@code aligned} attribute, 0 when none
 */
public record TypedefType(String name, TypeDescription target, int alignment) implements TypeDescription {

    public TypedefType {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(target, "target");
        Field.checkAlignment(alignment, "typedef");
    }

    @Override
    public String cName() {
        return name;
    }

    /** The target with every typedef looked through, unless this one changes the alignment. */
    @Override
    public TypeDescription resolved() {
        return alignment != 0 ? this : target.resolved();
    }
}
