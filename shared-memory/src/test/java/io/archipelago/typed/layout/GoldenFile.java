package io.archipelago.typed.layout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A golden layout file written by generate-goldens.sh: what GCC says, per type and member. */
record GoldenFile(Path path, Map<String, GoldenType> types) {

    record GoldenMember(String name, long offset, long size) {
    }

    record GoldenType(String name, long size, int align, List<GoldenMember> members) {
    }

    static GoldenFile read(Path path) {
        Map<String, GoldenType> types = new LinkedHashMap<>();
        Map<String, List<GoldenMember>> members = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(path)) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t");
                switch (f[0]) {
                    case "type" -> {
                        members.put(f[1], new ArrayList<>());
                        types.put(f[1], new GoldenType(f[1], Long.parseLong(f[2]), Integer.parseInt(f[3]), members.get(f[1])));
                    }
                    case "member" -> members.get(f[1]).add(new GoldenMember(f[2], Long.parseLong(f[3]), Long.parseLong(f[4])));
                    default -> throw new IllegalStateException(path + ": unexpected line " + line);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new GoldenFile(path, types);
    }

    /** The lines that carry layouts (no comments), to compare two generations. */
    static List<String> layoutLines(Path path) throws IOException {
        return Files.readAllLines(path).stream().filter(line -> !line.startsWith("#")).toList();
    }
}
