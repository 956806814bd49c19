package io.archipelago.typed.description;

/** A type over one of the {@link TypeBudget} budgets: too deep, too large once expanded, or too many bytes. */
public final class TypeBudgetException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public TypeBudgetException(String message) {
        super(message);
    }
}
