package io.archipelago.typed.access;

import io.archipelago.typed.TypedInterface;
import io.archipelago.typed.TypedInterface.JavaKind;
import io.archipelago.typed.TypedInterface.Property;
import io.archipelago.typed.TypedObject;
import io.archipelago.typed.layout.ArrayLayout;
import io.archipelago.typed.layout.Layout;
import io.archipelago.typed.layout.PointerLayout;
import io.archipelago.typed.layout.RecordLayout;
import io.archipelago.typed.layout.ScalarAccess;
import io.archipelago.typed.layout.ScalarLayout;
import io.archipelago.typed.layout.ValueKind;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * The reference accessor: implements a {@link io.archipelago.typed.Typed} interface with a
 * {@link Proxy} that, on every call, finds the member the method names in the layout, walks to
 * its offset, and decodes or encodes the value by looking at its width, signedness and byte
 * order. Slow on purpose (it is the baseline the generated accessors are measured against) and
 * simple on purpose (it is the reference they are tested against). It applies the same value
 * checks ({@link Conversions}), so both accessors fail alike.
 */
final class InterpretingAccessor implements InvocationHandler {

    private final Class<?> view;
    private final RecordLayout layout;
    private final MemorySegment segment;
    private final RegionBinding region;
    private final AccessGuard guard;
    private final boolean nested;
    /** byte offset of the element in the segment (array of structs, nested); the index for a struct of arrays */
    private long base;
    private long index;

    private InterpretingAccessor(Class<?> view, RecordLayout layout, MemorySegment segment, RegionBinding region, AccessGuard guard,
                                 boolean nested, long base, long index) {
        this.view = view;
        this.layout = layout;
        this.segment = segment;
        this.region = region;
        this.guard = guard;
        this.nested = nested;
        this.base = base;
        this.index = index;
    }

    static <T> T proxy(Class<T> view, RecordLayout layout, MemorySegment segment, RegionBinding region, AccessGuard guard, long index) {
        long base = region.columns() ? index : index * region.elementSize();
        return proxy(view, new InterpretingAccessor(view, layout, segment, region, guard, false, base, index));
    }

    private static <T> T proxy(Class<T> view, InterpretingAccessor handler) {
        return view.cast(Proxy.newProxyInstance(view.getClassLoader(), new Class<?>[] {view, TypedObject.class}, handler));
    }

    void moveTo(long elementIndex) {
        if (nested) {
            throw new IllegalStateException("a view of a nested struct moves with its element: move the element's view");
        }
        region.checkElement(elementIndex);
        index = elementIndex;
        base = region.columns() ? elementIndex : elementIndex * region.elementSize();
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.isDefault()) {
            return InvocationHandler.invokeDefault(proxy, method, args);
        }
        switch (method.getName()) {
            case "globalAddress" -> {
                if (isTypedObjectMethod(method)) {
                    return nested || !region.columns() ? region.globalOffset() + base : region.addressOf(index);
                }
            }
            case "index" -> {
                if (isTypedObjectMethod(method)) {
                    return index;
                }
            }
            case "regionName" -> {
                if (isTypedObjectMethod(method)) {
                    return region.name();
                }
            }
            case "toString" -> {
                if (method.getParameterCount() == 0) {
                    return view.getSimpleName() + "[" + index + "] of " + region + " (interpreted)";
                }
            }
            case "hashCode" -> {
                if (method.getParameterCount() == 0) {
                    return System.identityHashCode(proxy);
                }
            }
            case "equals" -> {
                if (method.getParameterCount() == 1) {
                    return proxy == args[0];
                }
            }
            default -> {
            }
        }
        // walk: which member does this method access, where is it, what is it
        Property property = null;
        boolean setter = false;
        for (Property p : TypedInterface.of(view).properties()) {
            if (method.equals(p.getter())) {
                property = p;
                break;
            }
            if (method.equals(p.setter())) {
                property = p;
                setter = true;
                break;
            }
        }
        if (property == null) {
            throw new UnsupportedOperationException(method + " is not an accessor of " + view.getName());
        }
        String member = property.member();
        MemberLocator.Located located = MemberLocator.locate(layout, member).orElseThrow(() ->
            new IllegalStateException("member '" + member + "' of " + layout.cName() + " is missing"));
        long offset = nested || !region.columns()
            ? base + located.offset()
            : region.columnOffset(located.topLevel()) + base * region.columnStride(located.topLevel()) + located.innerOffset();
        Layout element = located.layout();
        for (int d = 0; d < property.dimensions(); d++) {
            ArrayLayout array = (ArrayLayout) element;
            long i = ((Number) args[d]).longValue();
            Conversions.checkIndex(i, array.length(), Conversions.describeDimension(layout.cName(), property.member(), d, array.length()));
            offset += i * array.stride();
            element = array.element();
        }
        return switch (element) {
            case RecordLayout record -> proxy(property.view(),
                new InterpretingAccessor(property.view(), record, segment, region, guard, true, offset, index));
            case ScalarLayout scalar -> {
                String what = Conversions.describe(layout.cName(), property.member(), scalar);
                if (setter) {
                    enter(offset, scalar.width(), true);
                    try {
                        write(scalar, offset, args[args.length - 1], property.javaKind(), what);
                    } finally {
                        exit(offset, scalar.width());
                    }
                    yield null;
                }
                enter(offset, scalar.width(), false);
                try {
                    yield read(scalar, offset, property.javaKind(), what);
                } finally {
                    exit(offset, scalar.width());
                }
            }
            case PointerLayout pointer -> {
                String what = Conversions.describe(layout.cName(), property.member(), pointer);
                if (setter) {
                    long[] range = Conversions.pointerRange(pointer.width());
                    long value = Conversions.checkWrite((Long) args[args.length - 1], range[0], range[1], what);
                    enter(offset, pointer.width(), true);
                    try {
                        ScalarAccess.storeInteger(segment, offset, pointer.width(), pointer.order(), value);
                    } finally {
                        exit(offset, pointer.width());
                    }
                    yield null;
                }
                enter(offset, pointer.width(), false);
                try {
                    yield ScalarAccess.loadInteger(segment, offset, pointer.width(), pointer.order(), false);
                } finally {
                    exit(offset, pointer.width());
                }
            }
            case ArrayLayout array -> throw new IllegalStateException("member '" + property.member() + "' has more dimensions than indices");
        };
    }

    private void enter(long offset, int width, boolean write) {
        if (guard != null) {
            guard.enter(offset, width, write);
        }
    }

    private void exit(long offset, int width) {
        if (guard != null) {
            guard.exit(offset, width);
        }
    }

    private static boolean isTypedObjectMethod(Method method) {
        return method.getDeclaringClass() == TypedObject.class;
    }

    private Object read(ScalarLayout scalar, long offset, JavaKind java, String what) {
        switch (scalar.kind()) {
            case BOOL -> {
                return segment.get(ValueLayout.JAVA_BYTE, offset) != 0;
            }
            case FLOAT -> {
                if (scalar.width() == 4) {
                    float f = ScalarAccess.loadFloat(segment, offset, scalar.order());
                    return java == JavaKind.DOUBLE ? (Object) (double) f : (Object) f;
                }
                double d = ScalarAccess.loadDouble(segment, offset, scalar.order());
                return java == JavaKind.FLOAT ? (Object) Conversions.readAsFloat(d, what) : (Object) d;
            }
            default -> {
                long value = ScalarAccess.loadInteger(segment, offset, scalar.width(), scalar.order(), scalar.kind() != ValueKind.UNSIGNED);
                long[] check = Conversions.readCheck(scalar.kind(), scalar.width(), java);
                if (check != null) {
                    value = Conversions.checkRead(value, check[0], check[1], what);
                }
                return switch (java) {
                    case BYTE -> (byte) value;
                    case SHORT -> (short) value;
                    case CHAR -> (char) value;
                    case INT -> (int) value;
                    default -> value;
                };
            }
        }
    }

    private void write(ScalarLayout scalar, long offset, Object argument, JavaKind java, String what) {
        switch (scalar.kind()) {
            case BOOL -> segment.set(ValueLayout.JAVA_BYTE, offset, (byte) ((Boolean) argument ? 1 : 0));
            case FLOAT -> {
                double value = ((Number) argument).doubleValue();
                if (scalar.width() == 4) {
                    float f = java == JavaKind.FLOAT ? (Float) argument : Conversions.toFloat(value, what);
                    ScalarAccess.storeFloat(segment, offset, scalar.order(), f);
                } else {
                    ScalarAccess.storeDouble(segment, offset, scalar.order(), value);
                }
            }
            default -> {
                long value = argument instanceof Character c ? c : ((Number) argument).longValue();
                long[] check = Conversions.writeCheck(scalar.kind(), scalar.width(), java);
                if (check != null) {
                    value = Conversions.checkWrite(value, check[0], check[1], what);
                }
                ScalarAccess.storeInteger(segment, offset, scalar.width(), scalar.order(), value);
            }
        }
    }
}
