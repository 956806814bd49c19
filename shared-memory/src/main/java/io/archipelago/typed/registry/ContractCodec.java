package io.archipelago.typed.registry;

import io.archipelago.typed.description.ArrayType;
import io.archipelago.typed.description.EnumType;
import io.archipelago.typed.description.Field;
import io.archipelago.typed.description.FunctionType;
import io.archipelago.typed.description.PointerType;
import io.archipelago.typed.description.RecordRef;
import io.archipelago.typed.description.RecordType;
import io.archipelago.typed.description.Scalar;
import io.archipelago.typed.description.ScalarType;
import io.archipelago.typed.description.TypeBudget;
import io.archipelago.typed.description.TypeBudgetException;
import io.archipelago.typed.description.TypeDescription;
import io.archipelago.typed.description.TypedefType;
import io.archipelago.typed.description.VoidType;
import io.archipelago.typed.layout.ArrayLayout;
import io.archipelago.typed.layout.Layout;
import io.archipelago.typed.layout.MemberLayout;
import io.archipelago.typed.layout.PointerLayout;
import io.archipelago.typed.layout.RecordLayout;
import io.archipelago.typed.layout.ScalarLayout;
import io.archipelago.typed.layout.ValueKind;
import io.archipelago.typed.proto.ArrayDesc;
import io.archipelago.typed.proto.ArrayNode;
import io.archipelago.typed.proto.EnumConstant;
import io.archipelago.typed.proto.EnumDesc;
import io.archipelago.typed.proto.FunctionDesc;
import io.archipelago.typed.proto.LayoutNode;
import io.archipelago.typed.proto.MemberDesc;
import io.archipelago.typed.proto.MemberNode;
import io.archipelago.typed.proto.PointerDesc;
import io.archipelago.typed.proto.PointerNode;
import io.archipelago.typed.proto.RecordDesc;
import io.archipelago.typed.proto.RecordNode;
import io.archipelago.typed.proto.RecordRefDesc;
import io.archipelago.typed.proto.ScalarKind;
import io.archipelago.typed.proto.ScalarNode;
import io.archipelago.typed.proto.TypeDesc;
import io.archipelago.typed.proto.TypedefDesc;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts type descriptions and concrete layouts to and from their Protocol Buffers form in a
 * {@link io.archipelago.typed.proto.Contract}. Lossless both ways (the round trip is tested).
 */
public final class ContractCodec {

    private ContractCodec() {
    }

    /** FNV-1a, 64 bits, of the UTF-8 name: the region's name hash. */
    public static long nameHash(String name) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xFF;
            hash *= 0x100000001b3L;
        }
        return hash;
    }

    // ------------------------------------------------------------------ types

    /**
     * A type's Protocol Buffers form, refused when over a {@link TypeBudget} budget: a type nested
     * deeper than {@link TypeBudget#MAX_DEPTH} would give a contract that Protocol Buffers refuses
     * to parse back (100 levels of messages), and every process reading the registry would fail.
     *
     * @throws TypeBudgetException naming the type and the budget
     */
    public static TypeDesc encode(TypeDescription type) {
        TypeBudget.checked(type, "type " + TypeBudget.shallowName(type));
        return encodeChecked(type);
    }

    private static TypeDesc encodeChecked(TypeDescription type) {
        TypeDesc.Builder b = TypeDesc.newBuilder();
        switch (type) {
            case ScalarType s -> b.setScalar(ScalarKind.valueOf(s.scalar().name()));
            case PointerType p -> b.setPointer(PointerDesc.newBuilder().setTarget(encodeChecked(p.target())));
            case ArrayType a -> b.setArray(ArrayDesc.newBuilder().setElement(encodeChecked(a.element())).setLength(a.length()));
            case RecordType r -> {
                RecordDesc.Builder rb = RecordDesc.newBuilder().setIsUnion(r.union()).setTag(r.tag() == null ? "" : r.tag())
                    .setPacked(r.packed()).setAlignment(r.alignment());
                for (Field f : r.fields()) {
                    rb.addMembers(MemberDesc.newBuilder().setName(f.name() == null ? "" : f.name()).setType(encodeChecked(f.type()))
                        .setAlignment(f.alignment()).setPacked(f.packed()));
                }
                b.setRecord(rb);
            }
            case RecordRef r -> b.setRecordRef(RecordRefDesc.newBuilder().setIsUnion(r.kind() == RecordType.Kind.UNION).setTag(r.tag()));
            case EnumType e -> {
                EnumDesc.Builder eb = EnumDesc.newBuilder().setTag(e.tag() == null ? "" : e.tag()).setPacked(e.packed());
                e.constants().forEach((name, value) -> eb.addConstants(EnumConstant.newBuilder().setName(name).setValue(value)));
                b.setEnumeration(eb);
            }
            case TypedefType t -> b.setTypedef(TypedefDesc.newBuilder().setName(t.name()).setTarget(encodeChecked(t.target()))
                .setAlignment(t.alignment()));
            case FunctionType f -> {
                FunctionDesc.Builder fb = FunctionDesc.newBuilder().setResult(encodeChecked(f.result())).setVariadic(f.variadic());
                f.parameters().forEach(p -> fb.addParameters(encodeChecked(p)));
                b.setFunction(fb);
            }
            case VoidType v -> b.setVoid(true);
        }
        return b.build();
    }

    public static TypeDescription decode(TypeDesc desc) {
        return switch (desc.getKindCase()) {
            case SCALAR -> ScalarType.of(Scalar.valueOf(desc.getScalar().name()));
            case POINTER -> new PointerType(decode(desc.getPointer().getTarget()));
            case ARRAY -> new ArrayType(decode(desc.getArray().getElement()), desc.getArray().getLength());
            case RECORD -> {
                RecordDesc r = desc.getRecord();
                List<Field> fields = new ArrayList<>();
                for (MemberDesc m : r.getMembersList()) {
                    fields.add(new Field(m.getName().isEmpty() ? null : m.getName(), decode(m.getType()), m.getAlignment(), m.getPacked()));
                }
                yield new RecordType(r.getIsUnion() ? RecordType.Kind.UNION : RecordType.Kind.STRUCT, r.getTag().isEmpty() ? null : r.getTag(),
                    fields, r.getPacked(), r.getAlignment());
            }
            case RECORD_REF -> new RecordRef(desc.getRecordRef().getIsUnion() ? RecordType.Kind.UNION : RecordType.Kind.STRUCT,
                desc.getRecordRef().getTag());
            case ENUMERATION -> {
                Map<String, Long> constants = new LinkedHashMap<>();
                desc.getEnumeration().getConstantsList().forEach(c -> constants.put(c.getName(), c.getValue()));
                yield new EnumType(desc.getEnumeration().getTag().isEmpty() ? null : desc.getEnumeration().getTag(), constants,
                    desc.getEnumeration().getPacked());
            }
            case TYPEDEF -> new TypedefType(desc.getTypedef().getName(), decode(desc.getTypedef().getTarget()),
                desc.getTypedef().getAlignment());
            case FUNCTION -> new FunctionType(decode(desc.getFunction().getResult()),
                desc.getFunction().getParametersList().stream().map(ContractCodec::decode).toList(), desc.getFunction().getVariadic());
            case VOID -> VoidType.INSTANCE;
            case KIND_NOT_SET -> throw new IllegalArgumentException("a type description without a kind");
        };
    }

    // ------------------------------------------------------------------ layouts

    public static LayoutNode encode(Layout layout) {
        LayoutNode.Builder b = LayoutNode.newBuilder();
        switch (layout) {
            case ScalarLayout s -> b.setScalar(ScalarNode.newBuilder().setCName(s.cName()).setKind(encode(s.kind())).setWidth(s.width())
                .setAlign(s.align()).setOrder(encode(s.order())));
            case PointerLayout p -> b.setPointer(PointerNode.newBuilder().setCName(p.cName())
                .setTargetRecord(p.targetRecord() == null ? "" : p.targetRecord()).setWidth(p.width()).setAlign(p.align())
                .setOrder(encode(p.order())));
            case ArrayLayout a -> b.setArray(ArrayNode.newBuilder().setCName(a.cName()).setElement(encode(a.element()))
                .setLength(a.length()).setAlign(a.align()));
            case RecordLayout r -> {
                RecordNode.Builder rb = RecordNode.newBuilder().setCName(r.cName()).setIsUnion(r.union()).setSize(r.size()).setAlign(r.align());
                for (MemberLayout m : r.members()) {
                    rb.addMembers(MemberNode.newBuilder().setName(m.name() == null ? "" : m.name()).setOffset(m.offset())
                        .setLayout(encode(m.layout())));
                }
                b.setRecord(rb);
            }
        }
        return b.build();
    }

    public static Layout decode(LayoutNode node) {
        return switch (node.getKindCase()) {
            case SCALAR -> {
                ScalarNode s = node.getScalar();
                yield new ScalarLayout(s.getCName(), decode(s.getKind()), s.getWidth(), s.getAlign(), decode(s.getOrder()));
            }
            case POINTER -> {
                PointerNode p = node.getPointer();
                yield new PointerLayout(p.getCName(), p.getTargetRecord().isEmpty() ? null : p.getTargetRecord(), p.getWidth(), p.getAlign(),
                    decode(p.getOrder()));
            }
            case ARRAY -> {
                ArrayNode a = node.getArray();
                yield new ArrayLayout(a.getCName(), decode(a.getElement()), a.getLength(), a.getAlign());
            }
            case RECORD -> {
                RecordNode r = node.getRecord();
                List<MemberLayout> members = new ArrayList<>();
                for (MemberNode m : r.getMembersList()) {
                    members.add(new MemberLayout(m.getName().isEmpty() ? null : m.getName(), m.getOffset(), decode(m.getLayout())));
                }
                yield new RecordLayout(r.getCName(), r.getIsUnion(), r.getSize(), r.getAlign(), members);
            }
            case KIND_NOT_SET -> throw new IllegalArgumentException("a layout without a kind");
        };
    }

    private static io.archipelago.typed.proto.ValueKind encode(ValueKind kind) {
        return switch (kind) {
            case SIGNED -> io.archipelago.typed.proto.ValueKind.SIGNED;
            case UNSIGNED -> io.archipelago.typed.proto.ValueKind.UNSIGNED;
            case BOOL -> io.archipelago.typed.proto.ValueKind.BOOLEAN;
            case FLOAT -> io.archipelago.typed.proto.ValueKind.IEEE754;
        };
    }

    private static ValueKind decode(io.archipelago.typed.proto.ValueKind kind) {
        return switch (kind) {
            case SIGNED -> ValueKind.SIGNED;
            case UNSIGNED -> ValueKind.UNSIGNED;
            case BOOLEAN -> ValueKind.BOOL;
            case IEEE754 -> ValueKind.FLOAT;
            default -> throw new IllegalArgumentException("a scalar layout without a value kind: " + kind);
        };
    }

    private static io.archipelago.typed.proto.ByteOrder encode(ByteOrder order) {
        return order == ByteOrder.BIG_ENDIAN ? io.archipelago.typed.proto.ByteOrder.BIG_ENDIAN
            : io.archipelago.typed.proto.ByteOrder.LITTLE_ENDIAN;
    }

    private static ByteOrder decode(io.archipelago.typed.proto.ByteOrder order) {
        return switch (order) {
            case BIG_ENDIAN -> ByteOrder.BIG_ENDIAN;
            case LITTLE_ENDIAN -> ByteOrder.LITTLE_ENDIAN;
            default -> throw new IllegalArgumentException("a layout without a byte order: " + order);
        };
    }
}
