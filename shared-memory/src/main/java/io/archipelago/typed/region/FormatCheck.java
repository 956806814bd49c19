package io.archipelago.typed.region;

import io.archipelago.typed.FormatMismatchException;
import io.archipelago.typed.TypedInterface;
import io.archipelago.typed.TypedInterface.Property;
import io.archipelago.typed.description.ArrayType;
import io.archipelago.typed.description.EnumType;
import io.archipelago.typed.description.PointerType;
import io.archipelago.typed.description.RecordRef;
import io.archipelago.typed.description.RecordType;
import io.archipelago.typed.description.ScalarType;
import io.archipelago.typed.description.TypeDescription;
import io.archipelago.typed.layout.ArrayLayout;
import io.archipelago.typed.layout.Layout;
import io.archipelago.typed.layout.MemberLayout;
import io.archipelago.typed.layout.PointerLayout;
import io.archipelago.typed.layout.RecordLayout;
import io.archipelago.typed.layout.ScalarLayout;
import io.archipelago.typed.layout.ValueKind;
import java.util.Optional;

/**
 * The paper's attach-time format check: every member a view needs exists in the region's
 * layout with a compatible kind. Sizes may differ (that is what the generated code adapts to);
 * kinds may not: integers (and enums) match integers, {@code _Bool} matches {@code _Bool},
 * floating point matches floating point, pointers match pointers to the same struct (or
 * {@code void *}), structs match structs member by member, arrays match arrays of the same
 * dimensions.
 */
final class FormatCheck {

    private FormatCheck() {
    }

    /** @throws FormatMismatchException naming the region, the view, the member and both kinds */
    static void check(TypedInterface view, RecordLayout region, String regionDescription) {
        for (Property property : view.properties()) {
            String accessor = view.type().getSimpleName() + "." + (property.getter() != null ? property.getter() : property.setter()).getName()
                + "()";
            String where = "cannot attach " + view.type().getName() + " to " + regionDescription + ": member '" + property.member()
                + "' needed by " + accessor;
            Optional<MemberLayout> member = region.member(property.member());
            if (member.isEmpty()) {
                throw new FormatMismatchException(where + " is missing from " + region.cName() + " (it has: "
                    + String.join(", ", region.flattenedMembers().stream().map(MemberLayout::name).toList()) + ")");
            }
            check(where, property.cType(), member.get().layout(), property);
        }
    }

    private static void check(String where, TypeDescription wanted, Layout found, Property property) {
        TypeDescription type = wanted.resolved();
        if (type instanceof ArrayType array) {
            if (!(found instanceof ArrayLayout layout)) {
                throw new FormatMismatchException(where + " is " + found.cName() + " in the region, the view reads it as an array ("
                    + wanted.cName() + ")");
            }
            if (layout.length() != array.length()) {
                throw new FormatMismatchException(where + " has " + layout.length() + " elements in the region (" + found.cName()
                    + "), the view expects " + array.length() + " (" + wanted.cName() + ")");
            }
            check(where, array.element(), layout.element(), property);
            return;
        }
        if (found instanceof ArrayLayout) {
            throw new FormatMismatchException(where + " is an array in the region (" + found.cName() + "), the view reads it as "
                + wanted.cName());
        }
        boolean compatible = switch (type) {
            case ScalarType scalar when scalar.scalar().isInteger() -> found instanceof ScalarLayout s && s.kind().isInteger();
            case EnumType e -> found instanceof ScalarLayout s && s.kind().isInteger();
            case ScalarType scalar when scalar.scalar().isFloatingPoint() -> found instanceof ScalarLayout s && s.kind() == ValueKind.FLOAT;
            case ScalarType scalar -> found instanceof ScalarLayout s && s.kind() == ValueKind.BOOL;
            case PointerType pointer -> found instanceof PointerLayout p && sameTarget(pointer, p);
            case RecordType record -> found instanceof RecordLayout;
            default -> false;
        };
        if (!compatible) {
            throw new FormatMismatchException(where + " is " + found.cName() + " in the region, the view reads it as " + wanted.cName()
                + " (" + kindOf(type) + ")");
        }
        if (type instanceof RecordType && found instanceof RecordLayout nested) {
            check(TypedInterface.of(property.view()), nested, "the nested " + nested.cName() + " of " + where.substring("cannot attach ".length()));
        }
    }

    private static boolean sameTarget(PointerType pointer, PointerLayout layout) {
        Optional<RecordRef> target = pointer.targetRecord();
        return target.isEmpty() || layout.targetRecord() == null || target.get().cName().equals(layout.targetRecord());
    }

    private static String kindOf(TypeDescription type) {
        return switch (type) {
            case ScalarType s when s.scalar().isInteger() -> "an integer";
            case EnumType e -> "an integer";
            case ScalarType s when s.scalar().isFloatingPoint() -> "floating point";
            case ScalarType s -> "a boolean";
            case PointerType p -> "a pointer" + p.targetRecord().map(r -> " to " + r.cName()).orElse("");
            case RecordType r -> "a struct";
            default -> type.cName();
        };
    }
}
