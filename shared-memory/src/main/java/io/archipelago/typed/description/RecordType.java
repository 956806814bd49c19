package io.archipelago.typed.description;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A struct or a union with its members.
 *
 * @param kind      struct or union
 * @param tag       the tag ({@code task_struct} in {@code struct task_struct}), or {@code null}
 *                  for an anonymous record (a typedef'd one is named by its typedef)
 * @param fields    the members in declaration order
 * @param packed    {@code __attribute__((packed))} on the record: every member is placed at
 *                  the next byte, unless the member itself asks for an alignment
 * @param alignment {@code __attribute__((aligned(N)))} on the record (only raises it), 0 when none
 */
public record RecordType(Kind kind, String tag, List<Field> fields, boolean packed, int alignment) implements TypeDescription {

    /** {@code struct} or {@code union}. */
    public enum Kind {
        STRUCT("struct"), UNION("union");

        private final String keyword;

        Kind(String keyword) {
            this.keyword = keyword;
        }

        public String keyword() {
            return keyword;
        }
    }

    public RecordType {
        Objects.requireNonNull(kind, "kind");
        fields = List.copyOf(fields);
        Field.checkAlignment(alignment, "record");
        Set<String> seen = new HashSet<>();
        for (String name : memberNames(fields)) {
            if (!seen.add(name)) {
                throw new IllegalArgumentException(kind.keyword() + " " + (tag == null ? "<anonymous>" : tag)
                    + " declares member '" + name + "' twice");
            }
        }
    }

    public static RecordType struct(String tag, List<Field> fields) {
        return new RecordType(Kind.STRUCT, tag, fields, false, 0);
    }

    public static RecordType union(String tag, List<Field> fields) {
        return new RecordType(Kind.UNION, tag, fields, false, 0);
    }

    @Override
    public String cName() {
        return kind.keyword() + " " + (tag == null ? "<anonymous>" : tag);
    }

    public boolean union() {
        return kind == Kind.UNION;
    }

    public RecordRef ref() {
        return new RecordRef(kind, tag == null ? "<anonymous>" : tag);
    }

    /** The same record under another tag (an anonymous record named by its typedef). */
    public RecordType withTag(String newTag) {
        return new RecordType(kind, newTag, fields, packed, alignment);
    }

    /**
     * The member called {@code name}, looking into anonymous struct and union members as C does.
     */
    public Optional<Field> field(String name) {
        for (Field field : fields) {
            if (name.equals(field.name())) {
                return Optional.of(field);
            }
            if (field.anonymous() && field.type().resolved() instanceof RecordType inner) {
                Optional<Field> found = inner.field(name);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }

    /** Every member name reachable from this record, anonymous members flattened, in order. */
    public List<String> memberNames() {
        return memberNames(fields);
    }

    private static List<String> memberNames(List<Field> fields) {
        List<String> names = new ArrayList<>();
        for (Field field : fields) {
            if (!field.anonymous()) {
                names.add(field.name());
            } else if (field.type().resolved() instanceof RecordType inner) {
                names.addAll(inner.memberNames());
            }
        }
        return names;
    }
}
