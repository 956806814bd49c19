package io.archipelago.kernel.energy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.kernel.sched.CoreInterval;
import io.archipelago.kernel.sched.CoreState;
import io.archipelago.kernel.sched.CoreTimeline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class EnergyMeterTest {

    /** 100 mW active, 10 mW idle, 1 mW asleep, 5 uJ per wake-up, asleep past 1 ms idle; a handler of 10 us. */
    private static final PowerModel MODEL = PowerModel.parse("cortex-a9;active-mw=100;idle-mw=10;sleep-mw=1;wakeup-uj=5;sleep-after-us=1000");
    private static final long MS = 1_000_000;

    @Test
    void integratesAHandComputedTimelineToThePicojoule() {
        CoreTimeline timeline = new CoreTimeline(1, 16, 0);
        EnergyMeter meter = new EnergyMeter(MODEL, 1, 0, 10_000);
        timeline.addListener(meter);

        timeline.record(0, CoreState.BUSY, 0, MS / 2);              // 0.5 ms busy: 100 mW x 500 000 ns = 50 000 000 pJ
        timeline.record(0, CoreState.IDLE, MS / 2, 8 * MS / 10);     // 0.3 ms idle, under the threshold: 10 x 300 000 = 3 000 000
        timeline.record(0, CoreState.BUSY, 8 * MS / 10, MS);         // 0.2 ms: 20 000 000, no wake-up
        timeline.record(0, CoreState.IDLE, MS, 4 * MS);              // 3 ms: 1 ms idle (10 000 000) + 2 ms asleep (2 000 000)
        timeline.record(0, CoreState.BUSY, 4 * MS, 41 * MS / 10);    // 0.1 ms: 10 000 000, plus a wake-up: 5 000 000
        timeline.flush();

        EnergyMeter.Energy e = meter.closed();
        assertThat(e.busyPj()).isEqualTo(80_000_000L);
        assertThat(e.idlePj()).isEqualTo(13_000_000L);
        assertThat(e.sleepPj()).isEqualTo(2_000_000L);
        assertThat(e.wakeupPj()).isEqualTo(5_000_000L);
        assertThat(e.wakeups()).isEqualTo(1);
        assertThat(e.totalPj()).isEqualTo(100_000_000L); // 100 uJ
    }

    @Test
    void aReadingAddsTheOpenIntervalAndTheIdleTimeSinceWithoutChangingTheAccounts() {
        CoreTimeline timeline = new CoreTimeline(1, 16, 0);
        EnergyMeter meter = new EnergyMeter(MODEL, 1, 0, 10_000);
        timeline.addListener(meter);
        timeline.record(0, CoreState.BUSY, 0, MS);          // closed when the IDLE below starts
        timeline.record(0, CoreState.IDLE, MS, 3 * MS / 2); // open: 0.5 ms idle so far

        CoreInterval open = timeline.openInterval(0);
        assertThat(open).isEqualTo(new CoreInterval(0, CoreState.IDLE, MS, 3 * MS / 2));
        // read at 4 ms: the open IDLE extends to 3 ms of idle: 1 ms at 10 mW + 2 ms at 1 mW
        EnergyMeter.Energy e = meter.read(new CoreInterval[] {open}, 4 * MS);
        assertThat(e.busyPj()).isEqualTo(100_000_000L);
        assertThat(e.idlePj()).isEqualTo(10_000_000L);
        assertThat(e.sleepPj()).isEqualTo(2_000_000L);
        assertThat(meter.closed().totalPj()).isEqualTo(100_000_000L); // the reading changed nothing
    }

    @Test
    void anInterruptThatFindsTheKernelAsleepPaysTheWakeUpOnceNotAgainForTheCoreItWakes() {
        CoreTimeline timeline = new CoreTimeline(1, 16, 0);
        EnergyMeter meter = new EnergyMeter(MODEL, 1, 0, 10_000);
        timeline.addListener(meter);
        // asleep since 1 ms; an interrupt at 5 ms (handler 10 us at 100 mW = 1 000 000 pJ, plus a wake-up of 5 000 000)
        meter.interrupt(true, 5 * MS);
        // the thread it woke runs at 5.01 ms on the core: no second wake-up
        timeline.record(0, CoreState.IDLE, 0, 5 * MS + 10_000);
        timeline.record(0, CoreState.BUSY, 5 * MS + 10_000, 5 * MS + 110_000);
        // an interrupt while awake: the handler only
        meter.interrupt(false, 5 * MS + 200_000);
        timeline.flush();

        EnergyMeter.Energy e = meter.closed();
        assertThat(e.irqs()).isEqualTo(2);
        assertThat(e.irqWakeups()).isEqualTo(1);
        assertThat(e.irqPj()).isEqualTo(2 * 1_000_000L + 5_000_000L);
        assertThat(e.wakeups()).isZero();
        assertThat(e.wakeupPj()).isZero();
        assertThat(e.busyPj()).isEqualTo(10_000_000L);
        assertThat(e.idlePj()).isEqualTo(10_000_000L);                 // 1 ms under the threshold
        assertThat(e.sleepPj()).isEqualTo(4_010_000L);                  // 4.01 ms past it at 1 mW
    }

    @Test
    void twoCoresAreAccountedSeparately() {
        CoreTimeline timeline = new CoreTimeline(2, 16, 0);
        EnergyMeter meter = new EnergyMeter(MODEL, 2, 0, 0);
        timeline.addListener(meter);
        timeline.record(0, CoreState.BUSY, 0, 2 * MS);
        timeline.record(1, CoreState.IDLE, 0, 2 * MS);
        timeline.record(1, CoreState.BUSY, 2 * MS, 3 * MS);
        timeline.flush();
        EnergyMeter.Energy e = meter.closed();
        assertThat(e.busyPj()).isEqualTo(300_000_000L);
        assertThat(e.idlePj()).isEqualTo(10_000_000L);
        assertThat(e.sleepPj()).isEqualTo(1_000_000L);
        assertThat(e.wakeups()).isEqualTo(1);
        assertThat(e.wakeupPj()).isEqualTo(5_000_000L);
    }

    @Test
    void powerModelsParseFromConfigurationWithClearErrors() {
        assertThat(PowerModel.parse("cortex-a9")).isEqualTo(PowerModel.CORTEX_A9);
        assertThat(PowerModel.parse("")).isEqualTo(PowerModel.NONE);
        assertThat(PowerModel.parse("cortex-m3; active-mw=30").activeMw()).isEqualTo(30.0);
        assertThatThrownBy(() -> PowerModel.parse("pentium")).hasMessageContaining("unknown power model 'pentium'")
            .hasMessageContaining("cortex-a9");
        assertThatThrownBy(() -> PowerModel.parse("cortex-a9;active-mw=lots")).hasMessageContaining("active-mw expects a number");
        assertThatThrownBy(() -> PowerModel.parse("cortex-a9;turbo=1")).hasMessageContaining("unknown key 'turbo'");
        assertThatThrownBy(() -> PowerModel.parse("cortex-a9;idle-mw=-1")).hasMessageContaining(">= 0");
    }
}
