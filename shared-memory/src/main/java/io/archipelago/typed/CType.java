package io.archipelago.typed;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The C type of the member a getter (or setter) of a {@link Typed} interface reads: any type
 * name of the header subset, e.g. {@code int}, {@code unsigned long}, {@code uint64_t},
 * {@code char[16]}, {@code struct list_head}, {@code struct task_struct *}. A getter whose
 * result is a {@link Typed} interface may leave it out (the member is that struct).
 * <p>
 * Java types by C type: integers and enums read as {@code byte}, {@code short}, {@code char},
 * {@code int} or {@code long}; {@code _Bool} as {@code boolean}; {@code float}/{@code double}
 * as {@code float} or {@code double}; pointers as {@code long} (a global-memory address);
 * structs as a {@link Typed} interface. A value that does not fit the Java type on reading, or
 * the stored C type on writing, is refused with {@link ValueDoesNotFitException}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface CType {

    /** The C type name. */
    String value() default "";

    /** The C member name when it differs from the method name. */
    String member() default "";

    /** {@code __attribute__((aligned(N)))} on the member; 0 for none. */
    int aligned() default 0;
}
