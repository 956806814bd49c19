package io.archipelago.it.containers;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class of the container suite. Where no Docker engine answers (or, for
 * {@link #compose()}, no {@code docker-compose}), its tests are skipped with the reason; where
 * the suite is mandatory ({@value DockerCondition#REQUIRED_ENV}{@code =true} or
 * {@code -D}{@value DockerCondition#REQUIRED_PROPERTY}{@code =true}, which {@code .ci/run} sets)
 * they fail instead, saying what is missing.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("containers")
@ExtendWith(DockerCondition.class)
public @interface ContainerSuite {

    /** The tests also drive the {@code docker-compose} command line (v1). */
    boolean compose() default false;
}
