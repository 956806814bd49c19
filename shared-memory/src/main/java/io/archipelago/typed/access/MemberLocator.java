package io.archipelago.typed.access;

import io.archipelago.typed.layout.Layout;
import io.archipelago.typed.layout.MemberLayout;
import io.archipelago.typed.layout.RecordLayout;
import java.util.Optional;

/**
 * Finds a member in a record layout, looking into anonymous members as C does, and says which
 * top-level member holds it (a column of a struct-of-arrays region) and where in it.
 */
final class MemberLocator {

    /**
     * @param topLevel    index of the top-level member that holds it
     * @param topOffset   offset of that top-level member in the record
     * @param innerOffset offset of the member inside the top-level member (0 unless anonymous)
     */
    record Located(int topLevel, long topOffset, long innerOffset, Layout layout) {
        long offset() {
            return topOffset + innerOffset;
        }
    }

    private MemberLocator() {
    }

    static Optional<Located> locate(RecordLayout record, String name) {
        for (int i = 0; i < record.members().size(); i++) {
            MemberLayout member = record.members().get(i);
            if (name.equals(member.name())) {
                return Optional.of(new Located(i, member.offset(), 0, member.layout()));
            }
            if (member.anonymous() && member.layout() instanceof RecordLayout inner) {
                Optional<MemberLayout> found = inner.member(name);
                if (found.isPresent()) {
                    return Optional.of(new Located(i, member.offset(), found.get().offset(), found.get().layout()));
                }
            }
        }
        return Optional.empty();
    }
}
