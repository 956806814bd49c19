package io.archipelago.directory;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.StringValue;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import net.openhft.chronicle.map.ChronicleMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class SnapshotMapTest {

    @TempDir
    Path dir;

    private final ConcurrentHashMap<String, AtomicInteger> parses = new ConcurrentHashMap<>();

    private StringValue countingParse(String key, byte[] bytes) throws com.google.protobuf.InvalidProtocolBufferException {
        parses.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        return StringValue.parseFrom(bytes);
    }

    @Test
    void aReadAfterAWriteParsesOnlyTheRecordsWhoseBytesChanged() {
        try (SnapshotMap<String, StringValue> map = SnapshotMap.create("test map", dir.resolve("test.cm"),
            ChronicleMap.of(String.class, byte[].class).name("test").entries(64).averageKey("region-00").averageValueSize(32),
            this::countingParse)) {
            map.write(m -> m.put("region-a", StringValue.of("a1").toByteArray()));
            map.write(m -> m.put("region-b", StringValue.of("b1").toByteArray()));
            assertThat(map.get("region-a")).contains(StringValue.of("a1"));
            assertThat(parses.get("region-a")).hasValue(1);

            // another record written: the generation moves, and the next read finds a's bytes unchanged
            map.write(m -> m.put("region-c", StringValue.of("c1").toByteArray()));
            assertThat(map.values()).containsExactly(StringValue.of("a1"), StringValue.of("b1"), StringValue.of("c1"));
            assertThat(parses.get("region-a")).hasValue(1);
            assertThat(parses.get("region-b")).hasValue(1);

            // a's bytes changed: parsed again, and read as written
            map.write(m -> m.put("region-a", StringValue.of("a2").toByteArray()));
            assertThat(map.get("region-a")).contains(StringValue.of("a2"));
            assertThat(parses.get("region-a")).hasValue(2);
            assertThat(parses.get("region-c")).hasValue(1);

            // a removed record is gone, not served from the previous snapshot
            map.write(m -> m.remove("region-b"));
            assertThat(map.get("region-b")).isEmpty();
        }
    }
}
