package io.archipelago.typed.description;

import java.util.List;
import java.util.stream.Collectors;

/** A function type: only behind a pointer (a function pointer is a pointer-sized member). */
public record FunctionType(TypeDescription result, List<TypeDescription> parameters, boolean variadic) implements TypeDescription {

    public FunctionType {
        parameters = List.copyOf(parameters);
    }

    @Override
    public String cName() {
        String params = parameters.stream().map(TypeDescription::cName).collect(Collectors.joining(", "));
        if (variadic) {
            params = params.isEmpty() ? "..." : params + ", ...";
        }
        return result.cName() + " (" + (params.isEmpty() ? "void" : params) + ")";
    }
}
