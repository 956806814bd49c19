package io.archipelago.coordinator.launch;

import io.archipelago.coordinator.config.ClusterConfig.KernelSpec;
import java.nio.file.Path;

/** A kernel JVM the coordinator launched: its spec, its OS process and its log file. */
public record KernelProcess(KernelSpec spec, Process process, Path log) {

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** "exited with code N", with the signal spelled out for codes above 128. */
    public String exitDescription() {
        if (process.isAlive()) {
            return "running";
        }
        int code = process.exitValue();
        if (code > 128 && code < 128 + 65) {
            int signal = code - 128;
            String name = switch (signal) {
                case 9 -> "SIGKILL";
                case 15 -> "SIGTERM";
                case 6 -> "SIGABRT";
                case 11 -> "SIGSEGV";
                case 2 -> "SIGINT";
                default -> "signal " + signal;
            };
            return "exited with code " + code + " (" + name + ")";
        }
        return "exited with code " + code;
    }
}
