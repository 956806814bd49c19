package io.archipelago.typed.description;

import java.util.Arrays;
import java.util.Optional;

/**
 * The C scalar types a type description may use, including the {@code <stdint.h>} and
 * {@code <stddef.h>} names. Each maps to one storage class whose size and alignment the
 * data model decides ({@code long} is 8 bytes on LP64, 4 on ILP32), and to a signedness
 * (plain {@code char} is signed on x86 and unsigned on Arm and PowerPC: the data model
 * decides that too).
 */
public enum Scalar {
    BOOL("_Bool", Storage.BOOL, Signedness.NONE),
    CHAR("char", Storage.CHAR, Signedness.PLAIN_CHAR),
    SIGNED_CHAR("signed char", Storage.CHAR, Signedness.SIGNED),
    UNSIGNED_CHAR("unsigned char", Storage.CHAR, Signedness.UNSIGNED),
    SHORT("short", Storage.SHORT, Signedness.SIGNED),
    UNSIGNED_SHORT("unsigned short", Storage.SHORT, Signedness.UNSIGNED),
    INT("int", Storage.INT, Signedness.SIGNED),
    UNSIGNED_INT("unsigned int", Storage.INT, Signedness.UNSIGNED),
    LONG("long", Storage.LONG, Signedness.SIGNED),
    UNSIGNED_LONG("unsigned long", Storage.LONG, Signedness.UNSIGNED),
    LONG_LONG("long long", Storage.LONG_LONG, Signedness.SIGNED),
    UNSIGNED_LONG_LONG("unsigned long long", Storage.LONG_LONG, Signedness.UNSIGNED),
    FLOAT("float", Storage.FLOAT, Signedness.NONE),
    DOUBLE("double", Storage.DOUBLE, Signedness.NONE),
    INT8_T("int8_t", Storage.CHAR, Signedness.SIGNED),
    UINT8_T("uint8_t", Storage.CHAR, Signedness.UNSIGNED),
    INT16_T("int16_t", Storage.SHORT, Signedness.SIGNED),
    UINT16_T("uint16_t", Storage.SHORT, Signedness.UNSIGNED),
    INT32_T("int32_t", Storage.INT, Signedness.SIGNED),
    UINT32_T("uint32_t", Storage.INT, Signedness.UNSIGNED),
    // int64_t is `long` on LP64 and `long long` on ILP32: 8 bytes either way, with the alignment of long long.
    INT64_T("int64_t", Storage.LONG_LONG, Signedness.SIGNED),
    UINT64_T("uint64_t", Storage.LONG_LONG, Signedness.UNSIGNED),
    SIZE_T("size_t", Storage.LONG, Signedness.UNSIGNED),
    SSIZE_T("ssize_t", Storage.LONG, Signedness.SIGNED),
    INTPTR_T("intptr_t", Storage.LONG, Signedness.SIGNED),
    UINTPTR_T("uintptr_t", Storage.LONG, Signedness.UNSIGNED),
    PTRDIFF_T("ptrdiff_t", Storage.LONG, Signedness.SIGNED);

    /** How a scalar is stored: the data model gives each storage class a size and an alignment. */
    public enum Storage { BOOL, CHAR, SHORT, INT, LONG, LONG_LONG, FLOAT, DOUBLE }

    /** Whether the stored bits are read sign-extended; {@code PLAIN_CHAR} is decided by the data model. */
    public enum Signedness { SIGNED, UNSIGNED, PLAIN_CHAR, NONE }

    private final String cName;
    private final Storage storage;
    private final Signedness signedness;

    Scalar(String cName, Storage storage, Signedness signedness) {
        this.cName = cName;
        this.storage = storage;
        this.signedness = signedness;
    }

    /** The C spelling, e.g. {@code unsigned long} or {@code uint32_t}. */
    public String cName() {
        return cName;
    }

    public Storage storage() {
        return storage;
    }

    public Signedness signedness() {
        return signedness;
    }

    public boolean isInteger() {
        return storage != Storage.BOOL && storage != Storage.FLOAT && storage != Storage.DOUBLE;
    }

    public boolean isFloatingPoint() {
        return storage == Storage.FLOAT || storage == Storage.DOUBLE;
    }

    /** The scalar named by a {@code <stdint.h>}/{@code <stddef.h>} typedef name or a canonical C spelling. */
    public static Optional<Scalar> byCName(String name) {
        return Arrays.stream(values()).filter(s -> s.cName.equals(name)).findFirst();
    }

    @Override
    public String toString() {
        return cName;
    }
}
