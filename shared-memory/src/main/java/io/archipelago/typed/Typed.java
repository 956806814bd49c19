package io.archipelago.typed;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a Java interface as the view of a C struct in typed shared memory: the paper's
 * {@code __typed} keyword. Each abstract method is a getter or setter of one member, whose C
 * type is given by {@link CType}; the interface is the <em>type description</em> a kernel
 * compiles against. Attaching it to a region whose layout differs (another data model) gets
 * an accessor generated for that layout: type-morphable code.
 *
 * <pre>{@code
 * @Typed("task_struct")
 * public interface Task {
 *     @CType("pid_t") int pid();          // getter of member pid
 *     void pid(int pid);                  // its setter (the C type comes from the getter)
 *     @CType("unsigned long") long nvcsw();
 *     @CType("char[16]") byte comm(int i);                  // array member: one index per dimension
 *     @CType("struct list_head") ListHead tasks();          // nested struct: a view of it
 *     @CType("struct mm_struct *") long mm();               // pointer: a global-memory address
 *     @CType(value = "unsigned long", member = "vm_start") long vmStart();   // another C name
 * }
 * }</pre>
 *
 * The members are laid out in the order the methods are declared (javac keeps it in the
 * class file, which is where it is read from).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Typed {

    /** The struct (or union) tag, e.g. {@code task_struct}. */
    String value();

    /** A union rather than a struct. */
    boolean union() default false;

    /** {@code __attribute__((packed))} on the record. */
    boolean packed() default false;

    /** {@code __attribute__((aligned(N)))} on the record; 0 for none. */
    int aligned() default 0;
}
