package io.archipelago.cli;

import io.archipelago.control.proto.Counter;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.coordinator.Coordinator;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.control.auth.ControlAuthentication;
import io.archipelago.task.proto.KillRequest;
import io.archipelago.task.proto.ListTasksRequest;
import io.archipelago.task.proto.MigrateReply;
import io.archipelago.task.proto.MigrateRequest;
import io.archipelago.task.proto.MigrationMode;
import io.archipelago.task.proto.RaiseIrqRequest;
import io.archipelago.task.proto.RunRequest;
import io.archipelago.task.proto.SpawnReply;
import io.archipelago.task.proto.TaskDirectoryGrpc;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.task.proto.TaskList;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Demo scene: a process with a normal thread on the strong kernel and NightWatch threads on the
 * weak one (K2), interrupts waking the normal thread and preempting the NightWatch threads over
 * the mailbox; then a counter thread migrating between the x86_64 and armv7 kernels by shared
 * memory and by messages, its count exact.
 */
final class TasksAct implements TwoKernelAct {

    @Override
    public String title() {
        return "tasks: NightWatch threads (K2) and thread migration between ABIs (archipelago run / ps / migrate)";
    }

    @Override
    public void run(Coordinator cluster, KernelStatus strong, KernelStatus weak, PrintWriter out) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", cluster.controlPort()).usePlaintext()
            .intercept(ControlAuthentication.client(cluster.secret(), "demo")).build();
        try (KernelChannels channels = new KernelChannels(cluster.secret(), "demo")) {
            TaskDirectoryGrpc.TaskDirectoryBlockingStub tasks = TaskDirectoryGrpc.newBlockingStub(channel);
            SpawnReply mail = tasks.withDeadlineAfter(60, TimeUnit.SECONDS).run(RunRequest.newBuilder().setProgram("mail-sync").setThreads(1)
                .setNightwatch(2).putArgs("irq", "5").putArgs("period-ms", "50").putArgs("sleep-ms", "20").build());
            out.printf("$ archipelago run mail-sync --threads 1 --nightwatch 2 --arg irq=5 --arg period-ms=50 --arg sleep-ms=20%n");
            TaskView.printSpawn(mail, "mail-sync", out);
            out.println("The NightWatch threads run on " + weak.getName() + " only while the normal thread sleeps; an interrupt on line 5 "
                + "wakes the normal thread, and " + strong.getName() + " sends SUSPEND_NW to " + weak.getName()
                + " and waits for NW_ACK before it runs.");
            for (int i = 0; i < 40; i++) {
                channels.tasks(strong.getControl()).withDeadlineAfter(10, TimeUnit.SECONDS).raiseIrq(RaiseIrqRequest.newBuilder().setIrq(5)
                    .build());
                TimeUnit.MILLISECONDS.sleep(25);
            }
            out.printf("%n$ archipelago ps%n");
            TaskView.printTasks(list(tasks), out);
            for (KernelStatus kernel : cluster.status().getKernelsList()) {
                StringBuilder line = new StringBuilder(kernel.getName()).append(":");
                for (Counter counter : kernel.getCountersList()) {
                    if (counter.getLabel().startsWith("nightwatch.") || counter.getLabel().startsWith("irq.")) {
                        line.append(' ').append(counter.getLabel()).append('=').append(counter.getValue());
                    }
                }
                out.println(line);
            }

            SpawnReply counter = tasks.withDeadlineAfter(60, TimeUnit.SECONDS).run(RunRequest.newBuilder().setProgram("counter").setThreads(1)
                .setOn(strong.getName()).putArgs("limit", "20000").build());
            int tid = counter.getTids(0);
            out.printf("%n$ archipelago run counter --on %s --arg limit=20000%n", strong.getName());
            TaskView.printSpawn(counter, "counter", out);
            String[] route = {weak.getName(), strong.getName(), weak.getName(), strong.getName()};
            MigrationMode[] modes = {MigrationMode.SHARED_MEMORY, MigrationMode.MESSAGES, MigrationMode.MESSAGES, MigrationMode.SHARED_MEMORY};
            for (int i = 0; i < route.length; i++) {
                TimeUnit.MILLISECONDS.sleep(150);
                MigrateReply reply = tasks.withDeadlineAfter(60, TimeUnit.SECONDS).migrate(MigrateRequest.newBuilder().setTid(tid).setTo(route[i])
                    .setMode(modes[i]).build());
                // stop -> first step at the destination, as `bench migration` measures it; and what the reply says: stop -> ACK at
                // the source (shared memory), stop -> adopted at the destination (messages)
                KernelStatus destination = route[i].equals(strong.getName()) ? strong : weak;
                var firstStep = BenchMigrationCommand.awaitFirstStep(channels, destination, tid, reply.getStoppedNs());
                out.printf(Locale.ROOT, "$ archipelago migrate %d --to %s --by %s%n  %s -> %s: %d bytes of state %s; first step there %.0f us "
                        + "after it stopped (%s %.0f us after)%n", tid, route[i], TaskView.mode(modes[i]), reply.getFrom(), reply.getTo(),
                    reply.getStateBytes(),
                    modes[i] == MigrationMode.MESSAGES ? "serialized and rebuilt in the destination's layout" : "left in place (morphed accessor)",
                    (firstStep.getFirstStepNs() - firstStep.getStoppedNs()) / 1e3,
                    modes[i] == MigrationMode.MESSAGES ? "adopted by the destination" : "the destination's ACK back at the source",
                    (reply.getAdoptedNs() - reply.getStoppedNs()) / 1e3);
            }
            TaskInfo done = awaitExit(tasks, tid);
            out.printf(Locale.ROOT, "counter %d exited after %d steps and %d migrations: its own count %d, the shared counter %d (exact: %s)%n",
                tid, done.getSteps(), done.getMigrations(), done.getRegs(1), done.getRegs(2),
                done.getRegs(1) == 20_000 && done.getRegs(2) == 20_000 ? "yes" : "NO");
            for (int mailTid : mail.getTidsList()) {
                tasks.withDeadlineAfter(60, TimeUnit.SECONDS).kill(KillRequest.newBuilder().setTid(mailTid).build());
            }
            out.println("(`archipelago bench migration` measures both ways for states of 1 KiB to 256 KiB)");
        } catch (StatusRuntimeException e) {
            throw new CliException("the tasks scene failed: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        } finally {
            channel.shutdownNow();
        }
    }

    private static TaskList list(TaskDirectoryGrpc.TaskDirectoryBlockingStub tasks) {
        return tasks.withDeadlineAfter(10, TimeUnit.SECONDS).listTasks(ListTasksRequest.getDefaultInstance());
    }

    private static TaskInfo awaitExit(TaskDirectoryGrpc.TaskDirectoryBlockingStub tasks, int tid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            TaskList all = tasks.withDeadlineAfter(10, TimeUnit.SECONDS).listTasks(ListTasksRequest.newBuilder().setAll(true).build());
            for (TaskInfo task : all.getTasksList()) {
                if (task.getTid() == tid && task.getState().equals("EXITED")) {
                    return task;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new CliException("counter " + tid + " did not finish within 120 s");
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

}
