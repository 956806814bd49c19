package io.archipelago.typed;

import io.archipelago.typed.TypedInterface.JavaKind;
import io.archipelago.typed.TypedInterface.Property;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes a member of a view by a path such as {@code pid}, {@code comm[3]},
 * {@code se.vruntime} or {@code tasks.next}, for tools and the control API. Calls the view's
 * own getters and setters (the generated code), so every check applies.
 */
public final class ViewPath {

    private static final Pattern SEGMENT = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)((?:\\[-?[0-9]+\\])*)");
    private static final Pattern INDEX = Pattern.compile("\\[(-?[0-9]+)\\]");

    private ViewPath() {
    }

    /** The member's value: a {@code Long} for integers and pointers, a {@code Double} for floating point, a {@code Boolean}. */
    public static Object read(Object view, Class<?> type, String path) {
        Target target = resolve(view, type, path);
        Object value = invoke(target.property().getter(), target.owner(), target.indices().toArray());
        return switch (value) {
            case Character c -> (long) c.charValue();
            case Byte b -> (long) b;
            case Short s -> (long) s;
            case Integer i -> (long) i;
            case Float f -> (double) f;
            default -> value;
        };
    }

    /** Writes {@code value} (a {@code Long}, {@code Double} or {@code Boolean}) to the member. */
    public static void write(Object view, Class<?> type, String path, Object value) {
        Target target = resolve(view, type, path);
        Method setter = target.property().setter();
        if (setter == null) {
            throw new IllegalArgumentException("member '" + path + "' of " + target.ownerType().getSimpleName() + " has no setter");
        }
        List<Object> arguments = new ArrayList<>(target.indices());
        arguments.add(convert(value, target.property().javaKind(), path));
        invoke(setter, target.owner(), arguments.toArray());
    }

    private record Target(Object owner, Class<?> ownerType, Property property, List<Object> indices) {
    }

    private static Target resolve(Object view, Class<?> type, String path) {
        String[] segments = path.split("\\.", -1);
        Object owner = view;
        Class<?> ownerType = type;
        for (int s = 0; s < segments.length; s++) {
            Matcher matcher = SEGMENT.matcher(segments[s]);
            if (!matcher.matches()) {
                throw new IllegalArgumentException("bad member path '" + path + "': expected member names with optional [index] "
                    + "parts joined by '.', e.g. comm[0] or se.vruntime");
            }
            String name = matcher.group(1);
            Property property = find(ownerType, name, path);
            Method getter = property.getter();
            List<Object> indices = new ArrayList<>();
            Matcher index = INDEX.matcher(matcher.group(2));
            while (index.find()) {
                indices.add(Long.parseLong(index.group(1)));
            }
            if (indices.size() != property.dimensions()) {
                throw new IllegalArgumentException("member '" + name + "' in '" + path + "' takes " + property.dimensions() + " index(es), "
                    + "found " + indices.size());
            }
            Method any = getter != null ? getter : property.setter();
            for (int d = 0; d < indices.size(); d++) {
                if (any.getParameterTypes()[d] == int.class) {
                    long i = (Long) indices.get(d);
                    if (i != (int) i) {
                        throw new IndexOutOfBoundsException("index " + i + " of '" + path + "' is out of range");
                    }
                    indices.set(d, (int) i);
                }
            }
            if (s == segments.length - 1) {
                if (property.javaKind() == JavaKind.VIEW) {
                    throw new IllegalArgumentException("'" + path + "' is a struct (" + property.cType().cName() + "): name one of its members");
                }
                return new Target(owner, ownerType, property, indices);
            }
            if (property.javaKind() != JavaKind.VIEW) {
                throw new IllegalArgumentException("'" + name + "' in '" + path + "' is " + property.cType().cName() + ", not a struct");
            }
            owner = invoke(getter, owner, indices.toArray());
            ownerType = property.view();
        }
        throw new IllegalArgumentException("empty member path");
    }

    private static Property find(Class<?> type, String name, String path) {
        for (Property property : TypedInterface.of(type).properties()) {
            if (property.member().equals(name) || (property.getter() != null && property.getter().getName().equals(name))) {
                return property;
            }
        }
        throw new IllegalArgumentException("no member '" + name + "' (in '" + path + "') in view " + type.getSimpleName() + "; it has: "
            + String.join(", ", TypedInterface.of(type).properties().stream().map(Property::member).toList()));
    }

    private static Object convert(Object value, JavaKind kind, String path) {
        if (kind == JavaKind.BOOLEAN) {
            if (value instanceof Boolean) {
                return value;
            }
            throw new IllegalArgumentException("'" + path + "' is a boolean, found " + value);
        }
        if (kind == JavaKind.FLOAT || kind == JavaKind.DOUBLE) {
            if (!(value instanceof Number number)) {
                throw new IllegalArgumentException("'" + path + "' is a number, found " + value);
            }
            return kind == JavaKind.FLOAT ? (Object) (float) number.doubleValue() : (Object) number.doubleValue();
        }
        if (!(value instanceof Long) && !(value instanceof Integer)) {
            throw new IllegalArgumentException("'" + path + "' is an integer, found " + value);
        }
        long v = ((Number) value).longValue();
        Object converted = switch (kind) {
            case BYTE -> (long) (byte) v == v ? (Object) (byte) v : null;
            case SHORT -> (long) (short) v == v ? (Object) (short) v : null;
            case CHAR -> v >= 0 && v <= Character.MAX_VALUE ? (Object) (char) v : null;
            case INT -> (long) (int) v == v ? (Object) (int) v : null;
            default -> v;
        };
        if (converted == null) {
            throw new ValueDoesNotFitException("cannot write " + v + " to '" + path + "': the view takes a Java "
                + kind.name().toLowerCase(java.util.Locale.ROOT));
        }
        return converted;
    }

    private static Object invoke(Method method, Object target, Object[] arguments) {
        try {
            return method.invoke(target, arguments);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot call " + method + ": " + e.getMessage(), e);
        }
    }
}
