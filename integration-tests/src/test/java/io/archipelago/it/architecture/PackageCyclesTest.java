package io.archipelago.it.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The architecture's rule that no two packages import each other, directly or around a loop
 * (docs: architecture.md, "No import cycles between packages"), checked over the main classes of
 * every module this module sees (all of them), one package a slice, with no exception: an API
 * package never imports its implementation (the mailbox's API is started by
 * {@code interconnect.Mailboxes} over {@code interconnect.mailbox.internal}; typed memory's
 * declarations in {@code typed} sit below both the accessors of {@code typed.access} and the
 * regions of {@code typed.region} that hand those accessors out).
 */
@Timeout(120)
class PackageCyclesTest {

    private static final JavaClasses PROJECT = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.archipelago");

    @Test
    void everyModuleIsOnTheClassPath() {
        // a rule over a part of the tree would pass for the wrong reason
        for (String module : new String[] {"io.archipelago.typed", "io.archipelago.interconnect", "io.archipelago.kernel",
            "io.archipelago.coordinator", "io.archipelago.cli", "io.archipelago.bench", "io.archipelago.workloads",
            "io.archipelago.trace", "io.archipelago.program", "io.archipelago.control"}) {
            assertThat(PROJECT.stream().anyMatch(type -> type.getPackageName().startsWith(module))).as(module).isTrue();
        }
    }

    @Test
    void noPackageImportsAnotherThatImportsItBack() {
        slices().matching("io.archipelago.(**)").should().beFreeOfCycles().check(PROJECT);
    }

    @Test
    void noOtherModuleReachesIntoTheMailboxInternals() {
        // what another module needs of the mailbox is in its API (interconnect.mailbox) or started by interconnect.Mailboxes
        noClasses().that().resideOutsideOfPackage("io.archipelago.interconnect..")
            .should().dependOnClassesThat().resideInAPackage("io.archipelago.interconnect.mailbox.internal..")
            .check(PROJECT);
    }
}
