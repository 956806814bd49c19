package io.archipelago.typed.access;

import static java.lang.constant.ConstantDescs.CD_String;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_byte;
import static java.lang.constant.ConstantDescs.CD_double;
import static java.lang.constant.ConstantDescs.CD_float;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_short;
import static java.lang.constant.ConstantDescs.CD_void;

import io.archipelago.typed.TypedInterface;
import io.archipelago.typed.TypedInterface.JavaKind;
import io.archipelago.typed.TypedInterface.Property;
import io.archipelago.typed.layout.ArrayLayout;
import io.archipelago.typed.layout.Layout;
import io.archipelago.typed.layout.PointerLayout;
import io.archipelago.typed.layout.RecordLayout;
import io.archipelago.typed.layout.ScalarLayout;
import io.archipelago.typed.layout.ValueKind;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.DynamicConstantDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Writes the class of a type-morphable accessor: for one {@link io.archipelago.typed.Typed}
 * interface and one concrete layout, a hidden class (class-file API) whose getters and setters
 * read and write the layout's offsets, widths and byte order as constants, so the JIT compiles
 * foreign-format access to the same code as native access (a big-endian member costs a byte
 * swap, a narrower member a sign or zero extension and, on writing, a range check).
 * <p>
 * A getter of member {@code m} with indices {@code i, j} compiles to, in effect,
 * <pre>
 *   long off = base + OFFSET(m) + checkIndex(i, LEN0) * STRIDE0 + checkIndex(j, LEN1) * STRIDE1;
 *   [if (!holds(off, WIDTH)) {                              // software-coherent variant only
 *   [    boolean pinned = acquire(off, WIDTH, false);
 *   [    v = segment.get(LAYOUT(m), off); if (pinned) release(off, WIDTH); return narrow(widen(v)); }]
 *   v = segment.get(LAYOUT(m), off);                        // LAYOUT: width and byte order
 *   return narrow(widen(v));
 * </pre>
 * A setter converts and range-checks the value first, then enters, stores, exits: nothing that
 * can throw runs between enter and exit. The software-coherence variant (for the DSM) differs
 * only by the guard: a separate class, so hardware-coherent accessors never see it.
 * {@code holds} is a range check on two fields of the view: true when the page is already held
 * (a page held for the thread's use, see {@link HeldPages}, or the element of an exclusive
 * section), and the access is a plain load or store with no call on its path; only otherwise
 * does {@code acquire}, out of line, take the page for the use or pin it for this one access
 * ({@code pinned}) through the {@link AccessGuard}.
 * <p>
 * A region homed in another coherence domain, on a platform that models remote memory, gets a
 * class of its own with one more call before each load or store ({@link RemoteLineDelay}, the
 * modelled latency of the cache lines it touches); every other class has no such call.
 */
final class AccessorGenerator {

    static final MethodType CONSTRUCTOR = MethodType.methodType(TypedAccessor.class, MemorySegment.class, long.class, long.class,
        RegionBinding.class, AccessGuard.class);

    private static final ClassDesc CD_SEGMENT = desc(MemorySegment.class);
    private static final ClassDesc CD_ACCESSOR = desc(TypedAccessor.class);
    private static final ClassDesc CD_BINDING = desc(RegionBinding.class);
    private static final ClassDesc CD_GUARD = desc(AccessGuard.class);
    private static final ClassDesc CD_CONVERSIONS = desc(Conversions.class);
    private static final ClassDesc CD_METHOD_HANDLE = desc(MethodHandle.class);
    private static final MethodTypeDesc SUPER_CONSTRUCTOR = MethodTypeDesc.of(CD_void, CD_SEGMENT, CD_long, CD_long, CD_BINDING, CD_GUARD,
        CD_boolean, CD_boolean);
    private static final MethodTypeDesc OWN_CONSTRUCTOR = MethodTypeDesc.of(CD_void, CD_SEGMENT, CD_long, CD_long, CD_BINDING, CD_GUARD);
    private static final MethodTypeDesc NESTED_INVOKE = MethodTypeDesc.of(CD_ACCESSOR, CD_SEGMENT, CD_long, CD_long, CD_BINDING, CD_GUARD);
    private static final MethodTypeDesc CHECK_RANGE = MethodTypeDesc.of(CD_long, CD_long, CD_long, CD_long, CD_String);
    private static final MethodTypeDesc CHECK_INDEX = MethodTypeDesc.of(CD_long, CD_long, CD_long, CD_String);
    private static final MethodTypeDesc ACQUIRE = MethodTypeDesc.of(CD_boolean, CD_long, CD_int, CD_boolean);
    private static final MethodTypeDesc RELEASE = MethodTypeDesc.of(CD_void, CD_long, CD_int);
    private static final MethodTypeDesc HOLDS = MethodTypeDesc.of(CD_boolean, CD_long, CD_int);
    private static final ClassDesc CD_REMOTE_LINE_DELAY = desc(RemoteLineDelay.class);
    private static final MethodTypeDesc REMOTE_LINE_PAY = MethodTypeDesc.of(CD_void, CD_long, CD_int, CD_long);

    /** One accessor class to generate. */
    record Spec(Class<?> view, RecordLayout layout, long[] columnOffsets, long[] columnStrides, boolean software, boolean nested,
                RemoteLineCosts remote) {
        boolean columns() {
            return columnOffsets != null;
        }
    }

    private final Spec spec;
    private final TypedInterface typed;
    private final Function<Spec, MethodHandle> nestedFactory;
    private final List<Object> classData = new ArrayList<>();
    private final Map<Object, Integer> classDataIndex = new HashMap<>();

    private AccessorGenerator(Spec spec, Function<Spec, MethodHandle> nestedFactory) {
        this.spec = spec;
        this.typed = TypedInterface.of(spec.view());
        this.nestedFactory = nestedFactory;
    }

    /**
     * Generates and defines the accessor class of {@code spec}; returns its constructor as a
     * {@link #CONSTRUCTOR}-typed handle. {@code nestedFactory} gives the constructors of nested
     * struct views (the factory's cache).
     */
    static MethodHandle define(Spec spec, Function<Spec, MethodHandle> nestedFactory) {
        return new AccessorGenerator(spec, nestedFactory).define();
    }

    /** The class file {@link #define} defines for {@code spec}, not defined (to inspect what is emitted). */
    static byte[] classBytes(Spec spec, Function<Spec, MethodHandle> nestedFactory) {
        return new AccessorGenerator(spec, nestedFactory).classBytes();
    }

    private byte[] classBytes() {
        Class<?> view = spec.view();
        String pkg = view.getPackageName();
        ClassDesc self = ClassDesc.of((pkg.isEmpty() ? "" : pkg + ".") + "TypedAccessor$" + view.getSimpleName()
            + (spec.nested() ? "$Nested" : spec.columns() ? "$Columns" : "") + (spec.software() ? "$Guarded" : "")
            + (spec.remote().none() ? "" : "$Remote"));
        ClassFile classFile = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
            ClassHierarchyResolver.ofClassLoading(view.getClassLoader() != null ? view.getClassLoader() : ClassLoader.getSystemClassLoader())));
        return classFile.build(self, cb -> {
            cb.withFlags(ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL | ClassFile.ACC_SUPER | ClassFile.ACC_SYNTHETIC);
            cb.withSuperclass(CD_ACCESSOR);
            cb.withInterfaceSymbols(desc(view));
            cb.withMethodBody(ConstantDescs.INIT_NAME, OWN_CONSTRUCTOR, ClassFile.ACC_PUBLIC, code -> {
                code.aload(0);
                code.aload(1);
                code.lload(2);
                code.lload(4);
                code.aload(6);
                code.aload(7);
                code.loadConstant(spec.columns() ? 1 : 0);
                code.loadConstant(spec.nested() ? 1 : 0);
                code.invokespecial(CD_ACCESSOR, ConstantDescs.INIT_NAME, SUPER_CONSTRUCTOR);
                code.return_();
            });
            for (Property property : typed.properties()) {
                MemberLocator.Located located = MemberLocator.locate(spec.layout(), property.member()).orElseThrow(() ->
                    new IllegalStateException("format check missed member '" + property.member() + "' of " + spec.layout().cName()));
                if (property.getter() != null) {
                    cb.withMethodBody(property.getter().getName(), methodDesc(property.getter()), ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL,
                        code -> getter(code, property, located));
                }
                if (property.setter() != null) {
                    cb.withMethodBody(property.setter().getName(), methodDesc(property.setter()), ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL,
                        code -> setter(code, property, located));
                }
            }
        });
    }

    private MethodHandle define() {
        byte[] bytes = classBytes();
        Class<?> view = spec.view();
        try {
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(view, MethodHandles.lookup())
                .defineHiddenClassWithClassData(bytes, List.copyOf(classData), true);
            return lookup.findConstructor(lookup.lookupClass(), CONSTRUCTOR.changeReturnType(void.class)).asType(CONSTRUCTOR);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot define the accessor of " + view.getName() + " for " + spec.layout().cName() + ": "
                + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ members

    /** Computes the member's byte offset in the segment (indices checked) into a new local; returns its slot. */
    private int offset(CodeBuilder code, Property property, MemberLocator.Located located, Method method) {
        code.aload(0);
        code.getfield(CD_ACCESSOR, "base", CD_long);
        if (spec.columns()) {
            code.loadConstant(spec.columnStrides()[located.topLevel()]);
            code.lmul();
            code.loadConstant(spec.columnOffsets()[located.topLevel()] + located.innerOffset());
        } else {
            code.loadConstant(located.offset());
        }
        code.ladd();
        Layout layout = located.layout();
        Class<?>[] parameters = method.getParameterTypes();
        for (int d = 0; d < property.dimensions(); d++) {
            ArrayLayout array = (ArrayLayout) layout;
            if (parameters[d] == int.class) {
                code.iload(code.parameterSlot(d));
                code.i2l();
            } else {
                code.lload(code.parameterSlot(d));
            }
            code.loadConstant(array.length());
            code.loadConstant(Conversions.describeDimension(spec.layout().cName(), property.member(), d, array.length()));
            code.invokestatic(CD_CONVERSIONS, "checkIndex", CHECK_INDEX);
            code.loadConstant(array.stride());
            code.lmul();
            code.ladd();
            layout = array.element();
        }
        int slot = code.allocateLocal(TypeKind.LONG);
        code.lstore(slot);
        return slot;
    }

    private static Layout elementLayout(Property property, MemberLocator.Located located) {
        Layout layout = located.layout();
        for (int d = 0; d < property.dimensions(); d++) {
            layout = ((ArrayLayout) layout).element();
        }
        return layout;
    }

    /**
     * The single load or store {@code access} emits, then {@code rest} (which returns), guarded
     * for a software-coherent region:
     * <pre>
     *   if (holds(off, WIDTH)) { access; rest }                        // a held page: plain load or store
     *   boolean pinned = acquire(off, WIDTH, write); access; if (pinned) release(off, WIDTH); rest
     * </pre>
     * The two paths do not meet again, so that the fast one has no call in it: nothing in it
     * makes the JIT reload the view's fields, and a slow path never taken compiles to a trap.
     * For hardware-coherent regions just {@code access; rest}.
     */
    private void guarded(CodeBuilder code, int offsetSlot, long width, boolean write, Runnable access, Runnable rest) {
        if (!spec.software()) {
            access.run();
            rest.run();
            return;
        }
        java.lang.classfile.Label slow = code.newLabel();
        code.aload(0);
        code.lload(offsetSlot);
        code.loadConstant((int) width);
        code.invokevirtual(CD_ACCESSOR, "holds", HOLDS);
        code.ifeq(slow);
        access.run();
        rest.run();
        code.labelBinding(slow);
        code.aload(0);
        code.lload(offsetSlot);
        code.loadConstant((int) width);
        code.loadConstant(write ? 1 : 0);
        code.invokevirtual(CD_ACCESSOR, "acquire", ACQUIRE);
        int pinned = code.allocateLocal(TypeKind.INT);
        code.istore(pinned);
        access.run();
        code.iload(pinned);
        code.ifThen(Opcode.IFNE, then -> {
            then.aload(0);
            then.lload(offsetSlot);
            then.loadConstant((int) width);
            then.invokevirtual(CD_ACCESSOR, "release", RELEASE);
        });
        rest.run();
    }

    /** Stores the converted value in local {@code valueSlot} at the member's offset. */
    private void store(CodeBuilder code, int offsetSlot, int valueSlot, ValueKind kind, int width, ByteOrder order) {
        code.aload(0);
        code.getfield(CD_ACCESSOR, "segment", CD_SEGMENT);
        code.loadConstant(constant(valueLayout(kind, width, order), layoutDesc(kind, width)));
        code.lload(offsetSlot);
        code.loadLocal(TypeKind.from(carrier(kind, width)), valueSlot);
        code.invokeinterface(CD_SEGMENT, "set", MethodTypeDesc.of(CD_void, layoutDesc(kind, width), CD_long, carrier(kind, width)));
    }

    /**
     * {@code RemoteLineDelay.pay(off, WIDTH, NS)} before the load or store of a region homed in another
     * coherence domain, NS the platform's extra latency per cache line; operands already on the stack
     * stay there. Emits nothing for a local region or a platform that models no remote cost.
     */
    private void remoteLines(CodeBuilder code, int offsetSlot, long width, boolean write) {
        long nanosPerLine = write ? spec.remote().writeNs() : spec.remote().readNs();
        if (nanosPerLine == 0) {
            return;
        }
        code.lload(offsetSlot);
        code.loadConstant((int) width);
        code.loadConstant(nanosPerLine);
        code.invokestatic(CD_REMOTE_LINE_DELAY, "pay", REMOTE_LINE_PAY);
    }

    private void getter(CodeBuilder code, Property property, MemberLocator.Located located) {
        int offset = offset(code, property, located, property.getter());
        Layout element = elementLayout(property, located);
        String what = what(property, element);
        switch (element) {
            case RecordLayout record -> {
                MethodHandle nested = nestedFactory.apply(new Spec(property.view(), record, null, null, spec.software(), true, spec.remote()));
                code.loadConstant(constant(nested, CD_METHOD_HANDLE));
                code.aload(0);
                code.getfield(CD_ACCESSOR, "segment", CD_SEGMENT);
                code.lload(offset);
                code.aload(0);
                code.getfield(CD_ACCESSOR, "index", CD_long);
                code.aload(0);
                code.getfield(CD_ACCESSOR, "region", CD_BINDING);
                code.aload(0);
                code.getfield(CD_ACCESSOR, "guard", CD_GUARD);
                code.invokevirtual(CD_METHOD_HANDLE, "invokeExact", NESTED_INVOKE);
                code.checkcast(desc(property.view()));
                code.areturn();
            }
            case ScalarLayout scalar -> guarded(code, offset, scalar.width(), false, () -> {
                remoteLines(code, offset, scalar.width(), false);
                load(code, offset, scalar.kind(), scalar.width(), scalar.order());
            }, () -> {
                readConvert(code, scalar.kind(), scalar.width(), property.javaKind(), what);
                code.return_(TypeKind.from(property.getter().getReturnType()));
            });
            case PointerLayout pointer -> guarded(code, offset, pointer.width(), false, () -> {
                remoteLines(code, offset, pointer.width(), false);
                load(code, offset, ValueKind.UNSIGNED, pointer.width(), pointer.order());
            }, () -> {
                widen(code, ValueKind.UNSIGNED, pointer.width());
                code.lreturn();
            });
            case ArrayLayout array -> throw new IllegalStateException("format check missed array dimensions of " + what);
        }
    }

    private void setter(CodeBuilder code, Property property, MemberLocator.Located located) {
        int offset = offset(code, property, located, property.setter());
        Layout element = elementLayout(property, located);
        String what = what(property, element);
        int valueSlot = code.parameterSlot(property.setter().getParameterCount() - 1);
        switch (element) {
            case ScalarLayout scalar -> {
                writeConvert(code, valueSlot, scalar.kind(), scalar.width(), property.javaKind(), what);
                // converted before the guard, which comes after everything that may throw
                int converted = code.allocateLocal(TypeKind.from(carrier(scalar.kind(), scalar.width())));
                code.storeLocal(TypeKind.from(carrier(scalar.kind(), scalar.width())), converted);
                guarded(code, offset, scalar.width(), true, () -> {
                    remoteLines(code, offset, scalar.width(), true);
                    store(code, offset, converted, scalar.kind(), scalar.width(), scalar.order());
                }, code::return_);
            }
            case PointerLayout pointer -> {
                code.lload(valueSlot);
                long[] range = Conversions.pointerRange(pointer.width());
                checkRange(code, range, what, "checkWrite");
                narrow(code, ValueKind.UNSIGNED, pointer.width());
                int converted = code.allocateLocal(TypeKind.from(carrier(ValueKind.UNSIGNED, pointer.width())));
                code.storeLocal(TypeKind.from(carrier(ValueKind.UNSIGNED, pointer.width())), converted);
                guarded(code, offset, pointer.width(), true, () -> {
                    remoteLines(code, offset, pointer.width(), true);
                    store(code, offset, converted, ValueKind.UNSIGNED, pointer.width(), pointer.order());
                }, code::return_);
            }
            default -> throw new IllegalStateException("no setter for " + what);
        }
    }

    // ------------------------------------------------------------------ loads, stores, conversions

    /** Pushes the stored value: int for 1-4 byte integers (byte and short sign-extended), long, float or double. */
    private void load(CodeBuilder code, int offsetSlot, ValueKind kind, int width, ByteOrder order) {
        code.aload(0);
        code.getfield(CD_ACCESSOR, "segment", CD_SEGMENT);
        code.loadConstant(constant(valueLayout(kind, width, order), layoutDesc(kind, width)));
        code.lload(offsetSlot);
        code.invokeinterface(CD_SEGMENT, "get", MethodTypeDesc.of(carrier(kind, width), layoutDesc(kind, width), CD_long));
    }

    /** int/long on the stack (as loaded) to a long: sign-extended for signed C types, zero-extended for unsigned. */
    private static void widen(CodeBuilder code, ValueKind kind, int width) {
        switch (width) {
            case 1, 2 -> {
                if (kind == ValueKind.UNSIGNED) {
                    code.loadConstant(width == 1 ? 0xFF : 0xFFFF);
                    code.iand();
                }
                code.i2l();
            }
            case 4 -> {
                code.i2l();
                if (kind == ValueKind.UNSIGNED) {
                    code.loadConstant(0xFFFF_FFFFL);
                    code.land();
                }
            }
            default -> {
                // 8 bytes: already a long
            }
        }
    }

    /** A long on the stack to the carrier of a {@code width}-byte store (byte, short, int or long). */
    private static void narrow(CodeBuilder code, ValueKind kind, int width) {
        switch (width) {
            case 1 -> {
                code.l2i();
                code.i2b();
            }
            case 2 -> {
                code.l2i();
                code.i2s();
            }
            case 4 -> code.l2i();
            default -> {
                // 8 bytes: stays a long
            }
        }
    }

    private void readConvert(CodeBuilder code, ValueKind kind, int width, JavaKind java, String what) {
        switch (kind) {
            case BOOL -> code.invokestatic(CD_CONVERSIONS, "isTrue", MethodTypeDesc.of(CD_boolean, CD_byte));
            case FLOAT -> {
                if (width == 4 && java == JavaKind.DOUBLE) {
                    code.f2d();
                } else if (width == 8 && java == JavaKind.FLOAT) {
                    code.loadConstant(what);
                    code.invokestatic(CD_CONVERSIONS, "readAsFloat", MethodTypeDesc.of(CD_float, CD_double, CD_String));
                }
            }
            case SIGNED, UNSIGNED -> {
                widen(code, kind, width);
                checkRange(code, Conversions.readCheck(kind, width, java), what, "checkRead");
                switch (java) {
                    case BYTE -> {
                        code.l2i();
                        code.i2b();
                    }
                    case SHORT -> {
                        code.l2i();
                        code.i2s();
                    }
                    case CHAR -> {
                        code.l2i();
                        code.i2c();
                    }
                    case INT -> code.l2i();
                    default -> {
                        // long
                    }
                }
            }
        }
    }

    private void writeConvert(CodeBuilder code, int valueSlot, ValueKind kind, int width, JavaKind java, String what) {
        switch (kind) {
            case BOOL -> {
                code.iload(valueSlot);
                code.i2b();
            }
            case FLOAT -> {
                if (java == JavaKind.FLOAT) {
                    code.fload(valueSlot);
                    if (width == 8) {
                        code.f2d();
                    }
                } else {
                    code.dload(valueSlot);
                    if (width == 4) {
                        code.loadConstant(what);
                        code.invokestatic(CD_CONVERSIONS, "toFloat", MethodTypeDesc.of(CD_float, CD_double, CD_String));
                    }
                }
            }
            case SIGNED, UNSIGNED -> {
                if (java == JavaKind.LONG) {
                    code.lload(valueSlot);
                } else {
                    code.iload(valueSlot);
                    code.i2l();
                }
                checkRange(code, Conversions.writeCheck(kind, width, java), what, "checkWrite");
                narrow(code, kind, width);
            }
        }
    }

    private static void checkRange(CodeBuilder code, long[] range, String what, String method) {
        if (range == null) {
            return;
        }
        code.loadConstant(range[0]);
        code.loadConstant(range[1]);
        code.loadConstant(what);
        code.invokestatic(CD_CONVERSIONS, method, CHECK_RANGE);
    }

    // ------------------------------------------------------------------ constants

    private DynamicConstantDesc<Object> constant(Object value, ClassDesc type) {
        int index = classDataIndex.computeIfAbsent(value, v -> {
            classData.add(v);
            return classData.size() - 1;
        });
        return DynamicConstantDesc.ofNamed(ConstantDescs.BSM_CLASS_DATA_AT, ConstantDescs.DEFAULT_NAME, type, index);
    }

    static ValueLayout valueLayout(ValueKind kind, int width, ByteOrder order) {
        return switch (kind) {
            case FLOAT -> width == 4 ? ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(order) : ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(order);
            default -> switch (width) {
                case 1 -> ValueLayout.JAVA_BYTE;
                case 2 -> ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order);
                case 4 -> ValueLayout.JAVA_INT_UNALIGNED.withOrder(order);
                default -> ValueLayout.JAVA_LONG_UNALIGNED.withOrder(order);
            };
        };
    }

    private static ClassDesc layoutDesc(ValueKind kind, int width) {
        String name = switch (kind) {
            case FLOAT -> width == 4 ? "OfFloat" : "OfDouble";
            default -> switch (width) {
                case 1 -> "OfByte";
                case 2 -> "OfShort";
                case 4 -> "OfInt";
                default -> "OfLong";
            };
        };
        return ClassDesc.of("java.lang.foreign.ValueLayout$" + name);
    }

    private static ClassDesc carrier(ValueKind kind, int width) {
        return switch (kind) {
            case FLOAT -> width == 4 ? CD_float : CD_double;
            default -> switch (width) {
                case 1 -> CD_byte;
                case 2 -> CD_short;
                case 4 -> CD_int;
                default -> CD_long;
            };
        };
    }

    private String what(Property property, Layout element) {
        return switch (element) {
            case ScalarLayout scalar -> Conversions.describe(spec.layout().cName(), property.member(), scalar);
            case PointerLayout pointer -> Conversions.describe(spec.layout().cName(), property.member(), pointer);
            default -> "member '" + property.member() + "' of " + spec.layout().cName();
        };
    }

    private static MethodTypeDesc methodDesc(Method method) {
        return MethodTypeDesc.of(desc(method.getReturnType()), java.util.Arrays.stream(method.getParameterTypes())
            .map(AccessorGenerator::desc).toArray(ClassDesc[]::new));
    }

    private static ClassDesc desc(Class<?> type) {
        return type.describeConstable().orElseThrow(() -> new IllegalArgumentException(type + " cannot be named in a class file"));
    }
}
