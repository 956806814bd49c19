package io.archipelago.typed.header;

import io.archipelago.typed.description.EnumType;
import io.archipelago.typed.description.RecordType;
import io.archipelago.typed.description.Scalar;
import io.archipelago.typed.description.ScalarType;
import io.archipelago.typed.description.TypeDescription;
import io.archipelago.typed.description.TypedefType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a header declares: structs, unions and enums by tag, typedefs, enum constants and
 * object-like macros, in declaration order.
 */
public final class HeaderDeclarations {

    /** A type the header names, with its C spelling: {@code struct task_struct}, {@code pid_t}, {@code enum state}. */
    public record NamedType(String name, TypeDescription type) {
    }

    private final String source;
    final Map<String, RecordType> structs = new LinkedHashMap<>();
    final Map<String, RecordType> unions = new LinkedHashMap<>();
    final Map<String, EnumType> enums = new LinkedHashMap<>();
    final Map<String, TypedefType> typedefs = new LinkedHashMap<>();
    final Map<String, Long> enumConstants = new LinkedHashMap<>();
    final Map<String, TypeDescription> variables = new LinkedHashMap<>();
    final List<NamedType> order = new ArrayList<>();
    final Map<String, String> macros = new LinkedHashMap<>();

    HeaderDeclarations(String source) {
        this.source = source;
    }

    /** Where the declarations came from (a file name, or a description). */
    public String source() {
        return source;
    }

    /** Every named type in declaration order: struct/union/enum tags and typedefs. */
    public List<NamedType> types() {
        return Collections.unmodifiableList(order);
    }

    /**
     * Every struct and union a layout can be printed for, in declaration order, each under its
     * C spelling: tagged records ({@code struct mm_struct}) and typedefs of records
     * ({@code pte_t} for {@code typedef struct { ... } pte_t}). A typedef of a tagged record
     * is listed under the tag only.
     */
    public List<NamedType> records() {
        List<NamedType> records = new ArrayList<>();
        for (NamedType named : order) {
            TypeDescription resolved = named.type().resolved();
            if (named.type() instanceof RecordType) {
                records.add(named);
            } else if (named.type() instanceof TypedefType typedef && resolved instanceof RecordType record && record.tag() == null) {
                records.add(new NamedType(typedef.name(), record.withTag(typedef.name())));
            }
        }
        return records;
    }

    public Map<String, Long> enumConstants() {
        return Collections.unmodifiableMap(enumConstants);
    }

    /** Variables declared at file scope ({@code extern struct foo bar;}, {@code __typed long jiffies;}). */
    public Map<String, TypeDescription> variables() {
        return Collections.unmodifiableMap(variables);
    }

    /** Object-like macros, name to replacement text. */
    public Map<String, String> macros() {
        return Collections.unmodifiableMap(macros);
    }

    /**
     * The type called {@code name}: {@code struct X}, {@code union X}, {@code enum X}, a typedef
     * name, a record tag alone, or a built-in scalar ({@code unsigned long}, {@code uint32_t}).
     */
    public Optional<TypeDescription> type(String name) {
        String trimmed = name.trim().replaceAll("\\s+", " ");
        if (trimmed.startsWith("struct ")) {
            return Optional.ofNullable(structs.get(trimmed.substring(7)));
        }
        if (trimmed.startsWith("union ")) {
            return Optional.ofNullable(unions.get(trimmed.substring(6)));
        }
        if (trimmed.startsWith("enum ")) {
            return Optional.ofNullable(enums.get(trimmed.substring(5)));
        }
        if (typedefs.containsKey(trimmed)) {
            return Optional.of(typedefs.get(trimmed));
        }
        if (structs.containsKey(trimmed)) {
            return Optional.of(structs.get(trimmed));
        }
        if (unions.containsKey(trimmed)) {
            return Optional.of(unions.get(trimmed));
        }
        return Scalar.byCName(trimmed).map(ScalarType::new);
    }

    /**
     * The struct or union called {@code name} (see {@link #type}); a typedef of an anonymous
     * record gets the typedef name as its tag, so that pointers and contracts can name it.
     *
     * @throws IllegalArgumentException naming the records the header does declare
     */
    public RecordType record(String name) {
        TypeDescription type = type(name).orElseThrow(() -> new IllegalArgumentException(source + " declares no type '" + name
            + "'; its structs and unions are: " + recordNames()));
        if (!(type.resolved() instanceof RecordType record)) {
            throw new IllegalArgumentException("'" + name + "' in " + source + " is " + type.resolved().cName()
                + ", not a struct or union; its structs and unions are: " + recordNames());
        }
        if (record.tag() == null) {
            return record.withTag(name.trim());
        }
        return record;
    }

    private String recordNames() {
        List<String> names = records().stream().map(NamedType::name).toList();
        return names.isEmpty() ? "(none)" : String.join(", ", names);
    }
}
