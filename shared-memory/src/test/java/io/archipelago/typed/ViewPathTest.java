package io.archipelago.typed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.registry.RegionRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ViewPathTest {

    @Test
    void readsAndWritesByMemberPath(@TempDir Path dir) {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "paths", new MemoryGeometry(8L << 20, 4096, 1 << 20, 4), 1);
             RegionRegistry registry = RegionRegistry.create(dir.resolve("regions.cm"))) {
            memory.ownership().claimFree(0, 4);
            TypedMemory typed = TypedMemory.forKernel(memory, registry, new TypedMemory.Identity(0, "k", 1, DataModel.ARMV7));
            TypedMemoryTest.Task task = typed.create("t", TypedMemoryTest.Task.class, 2).at(1);
            Class<?> view = TypedMemoryTest.Task.class;
            ViewPath.write(task, view, "pid", 42L);
            ViewPath.write(task, view, "comm[2]", (long) 'x');
            ViewPath.write(task, view, "tasks.next", 4096L);
            ViewPath.write(task, view, "load", 0.5);
            assertThat(task.pid()).isEqualTo(42);
            assertThat(ViewPath.read(task, view, "comm[2]")).isEqualTo((long) 'x');
            assertThat(ViewPath.read(task, view, "tasks.next")).isEqualTo(4096L);
            assertThat(ViewPath.read(task, view, "load")).isEqualTo(0.5);
            assertThatThrownBy(() -> ViewPath.write(task, view, "pid", 1L << 40)).isInstanceOf(ValueDoesNotFitException.class)
                .hasMessageContaining("the view takes a Java int");
            assertThatThrownBy(() -> ViewPath.write(task, view, "nvcsw", 1L << 40)).isInstanceOf(ValueDoesNotFitException.class)
                .hasMessageContaining("(unsigned long: 4 bytes, little-endian)");
            assertThatThrownBy(() -> ViewPath.read(task, view, "tasks")).hasMessageContaining("is a struct");
            assertThatThrownBy(() -> ViewPath.read(task, view, "nope")).hasMessageContaining("no member 'nope'");
            assertThatThrownBy(() -> ViewPath.read(task, view, "comm")).hasMessageContaining("takes 1 index(es), found 0");
            assertThatThrownBy(() -> ViewPath.read(task, view, "comm[16]")).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }
}
