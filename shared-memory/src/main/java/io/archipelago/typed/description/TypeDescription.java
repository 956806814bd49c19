package io.archipelago.typed.description;

/**
 * A C type, independent of any data model: what a region's elements are, before a data model
 * decides sizes, alignments and byte order (the layout engine does that). The paper's
 * contracts carry such a description (it used DWARF); ours come from a C header subset or
 * from annotated Java interfaces.
 * <p>
 * Records are values (a struct nested by value holds its full description); a pointer names
 * its target instead ({@link RecordRef}), which is how self-referential kernel structs such as
 * {@code struct list_head} stay finite.
 */
public sealed interface TypeDescription
    permits ScalarType, PointerType, ArrayType, RecordType, RecordRef, EnumType, TypedefType, FunctionType, VoidType {

    /** The type as C would spell it in a declaration of an abstract declarator, e.g. {@code struct task_struct *}. */
    String cName();

    /** This type with typedefs looked through (keeping the typedef when it changes the alignment). */
    default TypeDescription resolved() {
        return this;
    }
}
