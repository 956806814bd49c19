package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Program jars built as a user builds them: sources compiled against the program API, jarred with their ServiceLoader entry. */
public final class ProgramJars {

    private ProgramJars() {
    }

    /**
     * Compiles {@code sources} (fully qualified class name to source text; every class a {@code Program}) with this test's
     * class path and jars them as {@code dir/jarName}, every class listed in {@code META-INF/services/io.archipelago.program.Program}.
     */
    public static Path build(Path dir, String jarName, Map<String, String> sources) throws Exception {
        Path sourceDir = Files.createDirectories(dir.resolve("src"));
        Path classes = Files.createDirectories(dir.resolve("classes"));
        List<String> arguments = new ArrayList<>(List.of("-d", classes.toString(), "-cp", System.getProperty("java.class.path")));
        for (Map.Entry<String, String> source : sources.entrySet()) {
            Path file = sourceDir.resolve(source.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, source.getValue());
            arguments.add(file.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac.run(null, null, null, arguments.toArray(String[]::new))).as("javac").isZero();
        Path jar = dir.resolve(jarName);
        Files.createDirectories(jar.getParent());
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file);
             Stream<Path> files = Files.walk(classes)) {
            for (Path cls : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(cls).toString()));
                out.write(Files.readAllBytes(cls));
            }
            out.putNextEntry(new JarEntry("META-INF/services/io.archipelago.program.Program"));
            out.write((String.join("\n", sources.keySet()) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return jar;
    }
}
