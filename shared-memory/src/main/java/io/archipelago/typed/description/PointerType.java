package io.archipelago.typed.description;

import java.util.Objects;
import java.util.Optional;

/**
 * A pointer. In a shared region a pointer holds a global-memory address (an offset into the
 * global memory file, 0 for NULL) with the pointer width of the region's data model.
 */
public record PointerType(TypeDescription target) implements TypeDescription {

    public PointerType {
        Objects.requireNonNull(target, "target");
    }

    @Override
    public String cName() {
        return switch (target) {
            case FunctionType function -> function.cName().replaceFirst("\\(", "(*)(");
            case ArrayType array -> array.element().cName() + " (*)" + array.dimensionsSuffix();
            default -> target.cName() + " *";
        };
    }

    /** The record this pointer points to, if it points to a struct or union. */
    public Optional<RecordRef> targetRecord() {
        TypeDescription resolved = target.resolved();
        return switch (resolved) {
            case RecordRef ref -> Optional.of(ref);
            case RecordType record -> Optional.of(record.ref());
            default -> Optional.empty();
        };
    }
}
