package io.archipelago.typed;

import io.archipelago.typed.description.ArrayType;
import io.archipelago.typed.description.EnumType;
import io.archipelago.typed.description.Field;
import io.archipelago.typed.description.PointerType;
import io.archipelago.typed.description.RecordType;
import io.archipelago.typed.description.ScalarType;
import io.archipelago.typed.description.TypeDescription;
import io.archipelago.typed.header.HeaderDeclarations;
import io.archipelago.typed.header.HeaderParser;
import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A {@link Typed} interface read as a type description: the struct it describes (members in
 * declaration order, C types from {@link CType}) and, for each member, the getter and setter
 * that access it. Type-morphable accessors are generated from this and a region's layout.
 */
public final class TypedInterface {

    /** The Java type a member is read as. */
    public enum JavaKind {
        BYTE(byte.class), SHORT(short.class), CHAR(char.class), INT(int.class), LONG(long.class), BOOLEAN(boolean.class),
        FLOAT(float.class), DOUBLE(double.class), VIEW(null);

        private final Class<?> primitive;

        JavaKind(Class<?> primitive) {
            this.primitive = primitive;
        }

        public Class<?> primitive() {
            return primitive;
        }

        public boolean isIntegral() {
            return this == BYTE || this == SHORT || this == CHAR || this == INT || this == LONG;
        }

        static JavaKind of(Class<?> type) {
            for (JavaKind kind : values()) {
                if (kind.primitive == type) {
                    return kind;
                }
            }
            return type.isInterface() && type.isAnnotationPresent(Typed.class) ? VIEW : null;
        }
    }

    /**
     * One member as the interface sees it.
     *
     * @param member     the C member name
     * @param cType      its C type (arrays included)
     * @param javaKind   what the getter returns / the setter takes
     * @param view       the {@link Typed} interface of a struct member (or of array elements), else null
     * @param dimensions how many indices the accessors take (the array dimensions of the member)
     * @param getter     the getter, or null
     * @param setter     the setter, or null
     */
    public record Property(String member, TypeDescription cType, JavaKind javaKind, Class<?> view, int dimensions, Method getter,
                           Method setter) {

        /** The type of one element: the member's type under its array dimensions. */
        public TypeDescription elementType() {
            TypeDescription type = cType.resolved();
            for (int i = 0; i < dimensions; i++) {
                type = ((ArrayType) type).element().resolved();
            }
            return type;
        }
    }

    private static final ClassValue<TypedInterface> CACHE = new ClassValue<>() {
        @Override
        protected TypedInterface computeValue(Class<?> type) {
            return describe(type, new java.util.HashSet<>());
        }
    };

    private static final Set<String> TYPED_OBJECT_METHODS = Set.of("globalAddress", "index", "regionName");

    private final Class<?> type;
    private final RecordType record;
    private final List<Property> properties;

    private TypedInterface(Class<?> type, RecordType record, List<Property> properties) {
        this.type = type;
        this.record = record;
        this.properties = List.copyOf(properties);
    }

    /**
     * The description of a {@link Typed} interface (computed once per interface).
     *
     * @throws TypedInterfaceException naming the interface, the method and what is wrong
     */
    public static TypedInterface of(Class<?> type) {
        try {
            return CACHE.get(type);
        } catch (TypedInterfaceException e) {
            throw e;
        }
    }

    public Class<?> type() {
        return type;
    }

    /** The struct the interface describes. */
    public RecordType record() {
        return record;
    }

    /** The struct's tag, e.g. {@code task_struct}. */
    public String tag() {
        return record.tag();
    }

    /** Its members in declaration order. */
    public List<Property> properties() {
        return properties;
    }

    public Property property(String member) {
        return properties.stream().filter(p -> p.member().equals(member)).findFirst().orElseThrow(() ->
            new IllegalArgumentException(type.getName() + " has no member '" + member + "'"));
    }

    @Override
    public String toString() {
        return type.getName() + " (" + record.cName() + ")";
    }

    // ------------------------------------------------------------------ reading an interface

    private static TypedInterface describe(Class<?> type, java.util.Set<Class<?>> inProgress) {
        String where = type.getName();
        if (!type.isInterface()) {
            throw new TypedInterfaceException(where + " is not an interface: a typed view is an interface annotated @Typed");
        }
        Typed typed = type.getAnnotation(Typed.class);
        if (typed == null) {
            throw new TypedInterfaceException(where + " is not annotated @Typed(\"struct_tag\")");
        }
        if (!inProgress.add(type)) {
            throw new TypedInterfaceException(where + " contains itself by value (through its nested structs): use a pointer");
        }
        for (Class<?> parent : type.getInterfaces()) {
            if (parent != TypedObject.class) {
                throw new TypedInterfaceException(where + " extends " + parent.getName() + ": a typed view may extend only "
                    + TypedObject.class.getName());
            }
        }
        Map<String, PropertyBuilder> builders = new LinkedHashMap<>();
        for (Method method : declarationOrder(type)) {
            if (Modifier.isStatic(method.getModifiers()) || method.isDefault() || method.isSynthetic()) {
                continue;
            }
            boolean setter = method.getReturnType() == void.class;
            Class<?>[] parameters = method.getParameterTypes();
            if (parameters.length == 0 && TYPED_OBJECT_METHODS.contains(method.getName())) {
                throw new TypedInterfaceException(where + "." + method.getName() + "(): the name is taken by "
                    + TypedObject.class.getSimpleName() + "; name the member with @CType(member = \"" + method.getName() + "\") on "
                    + "a method of another name");
            }
            int indices = setter ? parameters.length - 1 : parameters.length;
            String signature = where + "." + method.getName() + "(" + String.join(", ",
                java.util.Arrays.stream(parameters).map(Class::getSimpleName).toList()) + ")";
            if (setter && parameters.length == 0) {
                throw new TypedInterfaceException(signature + " returns void and takes no value: a setter takes the value to write "
                    + "(after one index per array dimension)");
            }
            for (int i = 0; i < indices; i++) {
                if (parameters[i] != int.class && parameters[i] != long.class) {
                    throw new TypedInterfaceException(signature + ": parameter " + (i + 1) + " is an array index and must be int or "
                        + "long, found " + parameters[i].getName());
                }
            }
            Class<?> javaType = setter ? parameters[parameters.length - 1] : method.getReturnType();
            JavaKind kind = JavaKind.of(javaType);
            if (kind == null) {
                throw new TypedInterfaceException(signature + ": " + javaType.getName() + " cannot hold a C member; expected a "
                    + "primitive (byte, short, char, int, long, boolean, float, double) or a @Typed interface");
            }
            if (kind == JavaKind.VIEW && setter) {
                throw new TypedInterfaceException(signature + ": a nested struct is changed through its view (the getter), "
                    + "not set as a whole");
            }
            CType ctype = method.getAnnotation(CType.class);
            // a getter and its setter share the method name; the C member name may differ (@CType(member = ...))
            PropertyBuilder builder = builders.computeIfAbsent(method.getName(), PropertyBuilder::new);
            builder.add(method, setter, kind, javaType, indices, ctype, signature);
        }
        Map<String, String> members = new LinkedHashMap<>();
        for (PropertyBuilder builder : builders.values()) {
            String other = members.putIfAbsent(builder.member, builder.firstSignature);
            if (other != null) {
                throw new TypedInterfaceException(builder.firstSignature + " and " + other + " both access member '" + builder.member
                    + "': one member, one getter/setter name");
            }
        }
        HeaderDeclarations context = HeaderParser.emptyDeclarations(where);
        List<Property> properties = new ArrayList<>();
        List<Field> fields = new ArrayList<>();
        for (PropertyBuilder builder : builders.values()) {
            if (builder.view != null) {
                HeaderParser.declare(context, describeNested(builder.view, inProgress).record());
            }
        }
        for (PropertyBuilder builder : builders.values()) {
            Property property = builder.build(type, context);
            properties.add(property);
            fields.add(new Field(property.member(), property.cType(), builder.aligned, false));
        }
        if (properties.isEmpty()) {
            throw new TypedInterfaceException(where + " declares no member: a typed view needs at least one getter or setter");
        }
        RecordType record;
        try {
            record = new RecordType(typed.union() ? RecordType.Kind.UNION : RecordType.Kind.STRUCT, typed.value(), fields, typed.packed(),
                typed.aligned());
        } catch (IllegalArgumentException e) {
            throw new TypedInterfaceException(where + ": " + e.getMessage(), e);
        }
        inProgress.remove(type);
        return new TypedInterface(type, record, properties);
    }

    private static TypedInterface describeNested(Class<?> view, java.util.Set<Class<?>> inProgress) {
        if (inProgress.contains(view)) {
            throw new TypedInterfaceException(view.getName() + " contains itself by value (through its nested structs): use a pointer");
        }
        return describe(view, inProgress);
    }

    /** The interface's methods in the order the source declares them (javac keeps it in the class file). */
    private static List<Method> declarationOrder(Class<?> type) {
        String resource = type.getName().replace('.', '/') + ".class";
        ClassLoader loader = type.getClassLoader() != null ? type.getClassLoader() : ClassLoader.getSystemClassLoader();
        byte[] bytes;
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new TypedInterfaceException("cannot read the class file of " + type.getName() + " (" + resource
                    + "): the member order of a typed view comes from it");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new TypedInterfaceException("cannot read the class file of " + type.getName() + ": " + e.getMessage(), e);
        }
        ClassModel model = ClassFile.of().parse(bytes);
        Map<String, Method> byNameAndDescriptor = new LinkedHashMap<>();
        for (Method method : type.getDeclaredMethods()) {
            byNameAndDescriptor.put(method.getName() + descriptor(method), method);
        }
        List<Method> ordered = new ArrayList<>();
        for (MethodModel m : model.methods()) {
            Method method = byNameAndDescriptor.get(m.methodName().stringValue() + m.methodType().stringValue());
            if (method != null) {
                ordered.add(method);
            }
        }
        return Collections.unmodifiableList(ordered);
    }

    private static String descriptor(Method method) {
        return java.lang.invoke.MethodType.methodType(method.getReturnType(), method.getParameterTypes()).toMethodDescriptorString();
    }

    /** Collects the getter and setter of one member, then checks them against the C type. */
    private static final class PropertyBuilder {
        private String member;
        private boolean memberNamed;
        private Method getter;
        private Method setter;
        private JavaKind kind;
        private Class<?> javaType;
        private Class<?> view;
        private int indices = -1;
        private String cTypeName = "";
        private int aligned;
        private String firstSignature;

        PropertyBuilder(String methodName) {
            this.member = methodName;
        }

        void add(Method method, boolean isSetter, JavaKind javaKind, Class<?> type, int methodIndices, CType ctype, String signature) {
            if (isSetter ? setter != null : getter != null) {
                throw new TypedInterfaceException(signature + ": member '" + member + "' already has a " + (isSetter ? "setter" : "getter")
                    + " (" + firstSignature + ")");
            }
            if (kind != null && (kind != javaKind || javaType != type)) {
                throw new TypedInterfaceException(signature + ": member '" + member + "' is " + javaType.getName() + " in "
                    + firstSignature + " but " + type.getName() + " here");
            }
            if (indices >= 0 && indices != methodIndices) {
                throw new TypedInterfaceException(signature + ": member '" + member + "' takes " + indices + " index(es) in "
                    + firstSignature + " but " + methodIndices + " here");
            }
            if (ctype != null && !ctype.value().isEmpty()) {
                if (!cTypeName.isEmpty() && !cTypeName.equals(ctype.value())) {
                    throw new TypedInterfaceException(signature + ": member '" + member + "' is @CType(\"" + cTypeName + "\") in "
                        + firstSignature + " but @CType(\"" + ctype.value() + "\") here");
                }
                cTypeName = ctype.value();
            }
            if (ctype != null && !ctype.member().isEmpty()) {
                if (memberNamed && !member.equals(ctype.member())) {
                    throw new TypedInterfaceException(signature + ": @CType(member = \"" + ctype.member() + "\") but " + firstSignature
                        + " names member '" + member + "'");
                }
                member = ctype.member();
                memberNamed = true;
            }
            if (ctype != null && ctype.aligned() != 0) {
                aligned = ctype.aligned();
            }
            if (isSetter) {
                setter = method;
            } else {
                getter = method;
            }
            if (firstSignature == null) {
                firstSignature = signature;
            }
            kind = javaKind;
            javaType = type;
            indices = methodIndices;
            if (javaKind == JavaKind.VIEW) {
                view = type;
            }
        }

        Property build(Class<?> owner, HeaderDeclarations context) {
            String where = owner.getName() + " member '" + member + "' (" + firstSignature + ")";
            TypeDescription cType;
            if (cTypeName.isEmpty()) {
                if (view == null) {
                    throw new TypedInterfaceException(where + " has no @CType: say its C type, e.g. @CType(\"unsigned long\")");
                }
                if (indices > 0) {
                    throw new TypedInterfaceException(where + " takes indices but has no @CType: say the array's C type, e.g. "
                        + "@CType(\"struct " + TypedInterface.of(view).tag() + "[4]\")");
                }
                cType = TypedInterface.of(view).record();
            } else {
                try {
                    cType = HeaderParser.parseTypeName(cTypeName, context, "@CType(\"" + cTypeName + "\") of " + owner.getSimpleName()
                        + "." + member);
                } catch (IllegalArgumentException e) {
                    throw new TypedInterfaceException(where + ": " + e.getMessage(), e);
                }
            }
            int dimensions = 0;
            TypeDescription element = cType.resolved();
            while (element instanceof ArrayType array) {
                if (array.flexible()) {
                    throw new TypedInterfaceException(where + ": a flexible array member has no fixed length to lay out a region by");
                }
                dimensions++;
                element = array.element().resolved();
            }
            if (dimensions != indices) {
                throw new TypedInterfaceException(where + " is " + cType.cName() + " (" + dimensions + " array dimension(s)) but its "
                    + "accessors take " + indices + " index(es): expected one index per dimension");
            }
            checkKind(where, element);
            if (view != null && !(element instanceof RecordType)) {
                throw new TypedInterfaceException(where + " returns the view " + view.getName() + " but its C type is " + cType.cName());
            }
            return new Property(member, cType, kind, view, dimensions, getter, setter);
        }

        private void checkKind(String where, TypeDescription element) {
            boolean ok = switch (element) {
                case ScalarType scalar when scalar.scalar().isInteger() -> kind.isIntegral();
                case ScalarType scalar when scalar.scalar().isFloatingPoint() -> kind == JavaKind.FLOAT || kind == JavaKind.DOUBLE;
                case ScalarType scalar -> kind == JavaKind.BOOLEAN;
                case EnumType e -> kind.isIntegral();
                case PointerType p -> kind == JavaKind.LONG;
                case RecordType r -> kind == JavaKind.VIEW && Objects.equals(TypedInterface.of(view).tag(), r.tag());
                default -> false;
            };
            if (!ok) {
                String expected = switch (element) {
                    case ScalarType scalar when scalar.scalar().isInteger() -> "byte, short, char, int or long";
                    case ScalarType scalar when scalar.scalar().isFloatingPoint() -> "float or double";
                    case ScalarType scalar -> "boolean";
                    case EnumType e -> "byte, short, char, int or long";
                    case PointerType p -> "long (a global-memory address)";
                    case RecordType r -> "a @Typed(\"" + r.tag() + "\") interface";
                    default -> "nothing: " + element.cName() + " cannot be a member";
                };
                throw new TypedInterfaceException(where + ": C type " + element.cName() + " is read as " + expected + ", not "
                    + (kind == JavaKind.VIEW ? view.getName() : javaType.getName()));
            }
        }
    }

}
