package io.archipelago.coordinator.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether an OS process is still running. {@link ProcessHandle#isAlive()} counts a zombie (an
 * exited process its parent has not reaped) as alive; in a container whose init does not reap
 * orphans, a detached coordinator stays a zombie forever, so zombies count as gone here.
 */
public final class OsProcess {

    private OsProcess() {
    }

    public static boolean running(long pid) {
        if (pid <= 0 || !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return false;
        }
        try {
            // /proc/<pid>/stat: "pid (comm) S ..." -- the state follows the last ')'.
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int end = stat.lastIndexOf(')');
            return end < 0 || end + 2 >= stat.length() || stat.charAt(end + 2) != 'Z';
        } catch (IOException e) {
            return !Files.exists(Path.of("/proc", Long.toString(pid))) ? false : true;
        }
    }
}
