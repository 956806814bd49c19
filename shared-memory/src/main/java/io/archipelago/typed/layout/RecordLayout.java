package io.archipelago.typed.layout;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A struct or union laid out: its size (tail padding included), alignment and every member at
 * its offset.
 */
public record RecordLayout(String cName, boolean union, long size, int align, List<MemberLayout> members) implements Layout {

    public RecordLayout {
        Objects.requireNonNull(cName, "cName");
        members = List.copyOf(members);
    }

    /** The record's tag without the keyword: {@code task_struct} for {@code struct task_struct}. */
    public String tag() {
        int space = cName.indexOf(' ');
        return space < 0 ? cName : cName.substring(space + 1);
    }

    /**
     * The member called {@code name} with its offset from the start of this record, looking into
     * anonymous members as C does.
     */
    public Optional<MemberLayout> member(String name) {
        for (MemberLayout member : members) {
            if (name.equals(member.name())) {
                return Optional.of(member);
            }
            if (member.anonymous() && member.layout() instanceof RecordLayout inner) {
                Optional<MemberLayout> found = inner.member(name);
                if (found.isPresent()) {
                    MemberLayout m = found.get();
                    return Optional.of(new MemberLayout(m.name(), member.offset() + m.offset(), m.layout()));
                }
            }
        }
        return Optional.empty();
    }

    /** Every named member (anonymous members flattened) with its offset from the start of this record. */
    public List<MemberLayout> flattenedMembers() {
        List<MemberLayout> flat = new java.util.ArrayList<>();
        for (MemberLayout member : members) {
            if (member.anonymous() && member.layout() instanceof RecordLayout inner) {
                for (MemberLayout m : inner.flattenedMembers()) {
                    flat.add(new MemberLayout(m.name(), member.offset() + m.offset(), m.layout()));
                }
            } else if (!member.anonymous()) {
                flat.add(member);
            }
        }
        return flat;
    }
}
