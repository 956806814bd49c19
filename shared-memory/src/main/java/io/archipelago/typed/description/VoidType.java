package io.archipelago.typed.description;

/** {@code void}: only as the target of a pointer or the result of a function. */
public record VoidType() implements TypeDescription {

    public static final VoidType INSTANCE = new VoidType();

    @Override
    public String cName() {
        return "void";
    }
}
