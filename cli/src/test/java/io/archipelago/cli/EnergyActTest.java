package io.archipelago.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The demo's "the same work" line: it says yes only when the two cases' sync counts agree within the stated tolerance. */
class EnergyActTest {

    @Test
    void syncCountsThatAgreeWithinTheToleranceAreTheSameWork() {
        assertThat(EnergyAct.sameWork(100, 100, 100, 100)).startsWith("yes (100 and 100 syncs for 100 and 100 packets, within 10%)");
        assertThat(EnergyAct.sameWork(101, 100, 99, 91)).startsWith("yes");
    }

    @Test
    void syncCountsThatDifferByMoreThanTheToleranceAreNot() {
        assertThat(EnergyAct.sameWork(100, 100, 100, 89)).startsWith("NO (100 and 89 syncs").contains("differ by more than 10%");
        assertThat(EnergyAct.sameWork(100, 40, 100, 100)).startsWith("NO");
    }

    @Test
    void aCaseThatSyncedNothingIsNotTheSameWork() {
        assertThat(EnergyAct.sameWork(100, 0, 100, 0)).startsWith("NO").contains("synced nothing");
        assertThat(EnergyAct.sameWork(100, 100, 100, 0)).startsWith("NO");
    }
}
