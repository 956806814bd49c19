package io.archipelago.kernel.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TimerSlackTest {

    @Test
    void aThreadStartedAfterTheSlackWasSetInheritsIt() throws Exception {
        assumeTrue(System.getProperty("os.name", "").startsWith("Linux"), "timer slack is a Linux setting");
        AtomicReference<Optional<Long>> inherited = new AtomicReference<>();
        AtomicReference<Optional<Long>> set = new AtomicReference<>();
        // on a thread of its own, so the test runner's threads keep their slack
        Thread parent = new Thread(() -> {
            set.set(TimerSlack.set(2_000));
            Thread child = new Thread(() -> inherited.set(TimerSlack.current()));
            child.start();
            try {
                child.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        parent.start();
        parent.join();
        assertEquals(Optional.of(2_000L), set.get());
        assertEquals(Optional.of(2_000L), inherited.get());
    }

    @Test
    void aNegativeSlackIsRefusedNamingTheProperty() {
        String before = System.getProperty(TimerSlack.PROPERTY);
        System.setProperty(TimerSlack.PROPERTY, "-5");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, TimerSlack::applyConfigured);
            assertEquals("timer slack: expected 0 (the host's default) or a positive number of nanoseconds, found -5 ("
                + TimerSlack.PROPERTY + ")", e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(TimerSlack.PROPERTY);
            } else {
                System.setProperty(TimerSlack.PROPERTY, before);
            }
        }
    }
}
