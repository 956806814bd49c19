package io.archipelago.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class DeviceMemoryTest {

    @TempDir
    Path dir;

    @Test
    void theRingPublishesPacketsInOrderDropsWhenFullAndAnotherMappingReadsThem() {
        Path file = dir.resolve("memory.img");
        try (GlobalMemory memory = GlobalMemory.create(file, "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 2);
             GlobalMemory other = GlobalMemory.attach(file, "k2")) {
            DeviceMemory device = DeviceMemory.create(memory);
            long end = DeviceMemory.areaOffset(memory.geometry()) + DeviceMemory.AREA_BYTES;
            assertThat(end).as("inside the system blocks").isLessThanOrEqualTo(memory.geometry().blockOffset(memory.geometry().systemBlocks()));
            DeviceMemory driver = DeviceMemory.attach(other);
            for (int i = 0; i < DeviceMemory.RING_SLOTS; i++) {
                assertThat(device.receive(new byte[] {(byte) i, 2, 3}, 1000 + i)).isEqualTo(i);
            }
            assertThat(device.receive(new byte[] {9}, 5000)).as("ring full").isEqualTo(-1);
            assertThat(driver.dropped()).isEqualTo(1);
            assertThat(driver.produced()).isEqualTo(DeviceMemory.RING_SLOTS);
            DeviceMemory.Packet p = driver.read(7);
            assertThat(p.number()).isEqualTo(7);
            assertThat(p.arrivalNs()).isEqualTo(1007);
            assertThat(p.payload()).containsExactly(7, 2, 3);
            assertThat(p.intact()).isTrue();
            driver.consumedUpTo(10);
            driver.consumedUpTo(5); // never moves back
            assertThat(device.consumed()).isEqualTo(10);
            assertThat(device.receive(new byte[] {1}, 6000)).isEqualTo(DeviceMemory.RING_SLOTS);
            assertThat(driver.read(DeviceMemory.RING_SLOTS).payload()).containsExactly(1);
            assertThat(driver.read(0)).as("slot 0 now holds packet 256").isNull();
            driver.driverMode(DeviceMemory.DRIVER_PRIVATE);
            assertThat(device.driverMode()).isEqualTo(DeviceMemory.DRIVER_PRIVATE);
        }
    }

    @Test
    void attachingToMemoryWithoutDevicesIsRefusedWithAMessage() {
        Path file = dir.resolve("memory.img");
        try (GlobalMemory memory = GlobalMemory.create(file, "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 2)) {
            assertThatThrownBy(() -> DeviceMemory.attach(memory)).hasMessageContaining("no device area").hasMessageContaining("ARCHDEVS");
        }
    }
}
