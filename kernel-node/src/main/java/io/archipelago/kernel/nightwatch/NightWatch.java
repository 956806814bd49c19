package io.archipelago.kernel.nightwatch;

import io.archipelago.interconnect.mailbox.Interrupt;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.ReplyCheck;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.sched.Admission;
import io.archipelago.kernel.sched.SchedThread;
import io.archipelago.kernel.sched.Scheduler;
import io.archipelago.kernel.task.model.TaskTable;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * K2's NightWatch threads on one kernel: "a NightWatch thread is scheduled if and only if every
 * normal thread of its process is suspended". The rule itself is the {@link NightWatchGate} in
 * shared memory; this class applies it to this kernel's scheduler and speaks K2's protocol over
 * the mailbox:
 * <ul>
 *   <li>When a normal thread of a process becomes runnable and it is the first one awake, its
 *   kernel sends {@code SUSPEND_NW(pid)} to every kernel holding a NightWatch thread of the
 *   process, and the normal thread does not run until each has answered {@code NW_ACK(pid)}
 *   (and the gate shows no NightWatch thread running).</li>
 *   <li>A kernel receiving {@code SUSPEND_NW(pid)} answers {@code NW_ACK(pid)} once none of its
 *   NightWatch threads of the process is on a core: those running stop at their next step
 *   boundary; none starts again while a normal thread is awake.</li>
 *   <li>When the last awake normal thread blocks or exits, its kernel sends
 *   {@code RESUME_NW(pid)}, and the NightWatch threads are scheduled again.</li>
 * </ul>
 */
public final class NightWatch implements Admission {

    private static final Logger LOG = LoggerFactory.getLogger(NightWatch.class);
    public static final Duration SUSPEND_TIMEOUT = Duration.ofSeconds(2);
    private static final long REPAIR_INTERVAL_NS = 1_000_000_000L;

    private final int self;
    private final String selfName;
    private final TaskTable table;
    private final NightWatchGate gate;
    private final Mailbox mailbox;
    private final ExecutorService worker;
    private final ExecutorService sender;
    private final java.util.function.Supplier<Set<Integer>> weakPeers;
    private final java.util.function.IntPredicate gone;
    private final Map<Integer, Process> processes = new ConcurrentHashMap<>();
    private final KernelCountersArea.Counter suspendSent;
    private final KernelCountersArea.Counter acksReceived;
    private final KernelCountersArea.Counter acksSent;
    private final KernelCountersArea.Counter resumeSent;
    private final KernelCountersArea.Counter resumeReceived;
    private final KernelCountersArea.Counter preemptions;
    private final KernelCountersArea.Counter ackTimeouts;
    private final KernelCountersArea.Counter gateReleases;
    private volatile Scheduler scheduler;
    /** Where the ResumeNW protocol's rounds go on the cluster's timeline: nowhere until {@link #timeline} is called. */
    private volatile TraceRing trace;

    /**
     * @param worker    runs what touches the scheduler (reconsidering held threads)
     * @param sender    sends words that may wait (RESUME_NW)
     * @param weakPeers the other running kernels of weak islands: where a process's NightWatch threads may be
     * @param gone      whether a kernel is gone for good (DEAD in membership, or no member): it runs nothing any more
     */
    public NightWatch(int self, String selfName, TaskTable table, Mailbox mailbox, ExecutorService worker, ExecutorService sender,
                      java.util.function.Supplier<Set<Integer>> weakPeers, java.util.function.IntPredicate gone,
                      KernelCountersArea counters) {
        this.self = self;
        this.selfName = selfName;
        this.table = table;
        this.gate = new NightWatchGate(table.gateWord());
        this.mailbox = mailbox;
        this.worker = worker;
        this.sender = sender;
        this.weakPeers = weakPeers;
        this.gone = gone;
        this.suspendSent = counters.counter(KernelCounter.NIGHTWATCH_SUSPEND_SENT);
        this.acksReceived = counters.counter(KernelCounter.NIGHTWATCH_ACKS_RECEIVED);
        this.acksSent = counters.counter(KernelCounter.NIGHTWATCH_ACKS_SENT);
        this.resumeSent = counters.counter(KernelCounter.NIGHTWATCH_RESUME_SENT);
        this.resumeReceived = counters.counter(KernelCounter.NIGHTWATCH_RESUME_RECEIVED);
        this.preemptions = counters.counter(KernelCounter.NIGHTWATCH_PREEMPTIONS);
        this.ackTimeouts = counters.counter(KernelCounter.NIGHTWATCH_ACK_FAILURES);
        this.gateReleases = counters.counter(KernelCounter.NIGHTWATCH_GATE_RELEASES);
    }

    /** Puts this kernel's suspensions (SUSPEND_NW to NW_ACK) and resumes on the cluster's timeline. */
    public void timeline(TraceRing ring) {
        this.trace = ring;
    }

    /** Connects the scheduler this rule admits threads to, and registers the mailbox handlers. */
    public void bind(Scheduler scheduler) {
        this.scheduler = scheduler;
        mailbox.onInterrupt(MailboxType.SUSPEND_NW, this::onSuspend);
        mailbox.onInterrupt(MailboxType.RESUME_NW, this::onResume);
    }

    public NightWatchGate gate() {
        return gate;
    }

    /** What this kernel knows of one process. */
    private static final class Process {
        /** This kernel's NightWatch threads of the process on a core (or entering one). */
        int running;
        /** SUSPEND_NW words waiting for those to stop before NW_ACK answers them. */
        final List<Interrupt> unanswered = new ArrayList<>();
        /** This kernel's SUSPEND_NW requests still waiting for NW_ACK. */
        int awaitingAcks;
        long lastRepairNs;
        /** This kernel's normal threads of the process that are awake (counted in the gate's awake too). */
        int localAwake;
        /** Which weak kernels answered this kernel's last SUSPEND_NW: how a dead kernel's share of the gate is found. */
        final SuspensionRound round = new SuspensionRound();
    }

    private Process process(int pid) {
        return processes.computeIfAbsent(pid, p -> new Process());
    }

    private static long leader(SchedThread thread) {
        return ((GroupMember) thread).leaderSlot();
    }

    // ------------------------------------------------------------------ Admission (under the scheduler's lock)

    @Override
    public boolean admit(SchedThread thread) {
        Process process = process(thread.pid());
        long leader = leader(thread);
        if (thread.nightWatch()) {
            synchronized (process) {
                process.running++; // before the CAS: a SUSPEND_NW arriving meanwhile waits for us
            }
            if (gate.tryEnter(leader)) {
                return true;
            }
            stopped(thread.pid(), process);
            return false;
        }
        synchronized (process) {
            if (process.awaitingAcks > 0) {
                return false;
            }
        }
        if (NightWatchGate.running(gate.read(leader)) == 0) {
            return true;
        }
        repairIfOrphaned(thread.pid(), leader, process);
        return false;
    }

    @Override
    public boolean mustYield(SchedThread thread) {
        if (thread.nightWatch() && NightWatchGate.awake(gate.read(leader(thread))) > 0) {
            preemptions.increment();
            return true;
        }
        return false;
    }

    @Override
    public void left(SchedThread thread) {
        if (thread.nightWatch()) {
            gate.leave(leader(thread));
            stopped(thread.pid(), process(thread.pid()));
        }
    }

    private void stopped(int pid, Process process) {
        List<Interrupt> answer = List.of();
        synchronized (process) {
            process.running--;
            if (process.running == 0 && !process.unanswered.isEmpty()) {
                answer = new ArrayList<>(process.unanswered);
                process.unanswered.clear();
            }
        }
        for (Interrupt request : answer) {
            ack(request, pid);
        }
    }

    @Override
    public void runnable(SchedThread thread) {
        if (thread.nightWatch()) {
            return;
        }
        long leader = leader(thread);
        Process process = process(thread.pid());
        int awake = gate.wake(leader);
        synchronized (process) {
            process.localAwake++;
        }
        if (awake == 1 && NightWatchGate.hasNightWatch(gate.read(leader))) {
            preempt(thread.pid());
        }
    }

    @Override
    public void notRunnable(SchedThread thread) {
        if (thread.nightWatch()) {
            return;
        }
        long leader = leader(thread);
        Process process = process(thread.pid());
        synchronized (process) {
            if (--process.localAwake == 0) {
                process.round.invalidate(); // the gate may let NightWatch threads in now: the round's answers say nothing any more
            }
        }
        int awake = gate.sleep(leader);
        if (awake == 0 && NightWatchGate.hasNightWatch(gate.read(leader))) {
            resume(thread.pid());
        }
    }

    /**
     * The first normal thread of {@code pid} woke: stop its NightWatch threads on the weak kernels
     * (all of them: which ones hold the process's NightWatch threads is not looked up, since on a
     * software-coherent table that would take their descriptors' pages; a kernel without any
     * answers at once). Ours see the gate at their next step boundary. Starts a suspension round
     * ({@link SuspensionRound}).
     */
    private void preempt(int pid) {
        Set<Integer> kernels = weakPeers.get();
        Process process = process(pid);
        long round;
        synchronized (process) {
            round = process.round.start(kernels, process.localAwake > 0);
        }
        for (int kernel : kernels) {
            synchronized (process) {
                process.awaitingAcks++;
            }
            suspendSent.increment();
            long sentNs = System.nanoTime();
            try {
                mailbox.requestAsync(kernel, MailboxType.SUSPEND_NW, pid, SUSPEND_TIMEOUT, ReplyCheck.echoes(pid), MailboxType.NW_ACK)
                    .whenComplete((reply, failure) -> {
                        TraceRing ring = trace;
                        if (ring != null && failure == null) {
                            ring.slice(TraceEvent.NIGHTWATCH_SUSPEND, TraceRing.KERNEL_TRACK, pid, sentNs, System.nanoTime() - sentNs);
                        }
                        if (failure != null) {
                            ackTimeouts.increment();
                            LOG.warn("kernel {}: SUSPEND_NW({}) to {} got no NW_ACK ({}); the gate alone keeps its NightWatch threads off",
                                selfName, pid, mailbox.describePeer(kernel), failure.getMessage());
                        } else {
                            acksReceived.increment();
                        }
                        synchronized (process) {
                            process.awaitingAcks--;
                            if (failure == null) {
                                process.round.acknowledged(round, kernel);
                            }
                        }
                        reconsiderLater();
                    });
            } catch (RuntimeException e) {
                synchronized (process) {
                    process.awaitingAcks--;
                }
                ackTimeouts.increment();
                LOG.warn("kernel {}: cannot send SUSPEND_NW({}) to kernel {}: {}", selfName, pid, kernel, e.getMessage());
            }
        }
    }

    /** The last normal thread of {@code pid} sleeps: let its NightWatch threads run again, here and on the weak kernels. */
    private void resume(int pid) {
        reconsiderLater();
        Set<Integer> kernels = weakPeers.get();
        for (int kernel : kernels) {
            resumeSent.increment();
            TraceRing ring = trace;
            if (ring != null) {
                ring.instant(TraceEvent.NIGHTWATCH_RESUME, TraceRing.KERNEL_TRACK, pid, kernel);
            }
            sender.execute(() -> {
                try {
                    mailbox.send(kernel, MailboxType.RESUME_NW, pid);
                } catch (RuntimeException e) {
                    LOG.warn("kernel {}: cannot send RESUME_NW({}) to kernel {}: {}", selfName, pid, kernel, e.getMessage());
                }
            });
        }
    }

    /**
     * NightWatch threads that died with their kernel in the middle of a step leave the gate's
     * running count up for good. Once every weak kernel of this kernel's current suspension round
     * has either answered NW_ACK or is gone (DEAD: the coordinator fenced it), and this kernel kept
     * a normal thread of the process awake throughout, no live kernel has a NightWatch thread of
     * the process on a core, nor can one enter: what the gate counts as running is the dead
     * kernels', and it is cleared so that the normal threads run again. Without a round (our
     * normal thread woke while another was awake), or with a weak kernel that joined since, a
     * new round is started.
     */
    private void repairIfOrphaned(int pid, long leader, Process process) {
        long now = System.nanoTime();
        Set<Integer> live = weakPeers.get();
        SuspensionRound.Verdict verdict;
        synchronized (process) {
            if (now - process.lastRepairNs < REPAIR_INTERVAL_NS || process.awaitingAcks > 0 || process.running > 0) {
                return; // answers are on their way, or a NightWatch thread of ours is on a core
            }
            process.lastRepairNs = now;
            verdict = process.round.judge(live, gone);
        }
        if (verdict == SuspensionRound.Verdict.ASK_AGAIN) {
            preempt(pid);
            return;
        }
        if (verdict == SuspensionRound.Verdict.WAIT) {
            return;
        }
        long current = gate.read(leader);
        if (NightWatchGate.awake(current) > 0 && NightWatchGate.running(current) > 0
            && table.gateWord().compareAndSet(leader, current, current & ~(0x7FFFL << 16))) {
            gateReleases.increment();
            LOG.warn("kernel {}: process {}: {} NightWatch thread(s) counted as running belonged to dead kernels (every live weak "
                + "kernel answered SUSPEND_NW); cleared them from the gate", selfName, pid, NightWatchGate.running(current));
        }
    }

    private void reconsiderLater() {
        Scheduler bound = scheduler;
        if (bound != null) {
            worker.execute(bound::reconsider);
        }
    }

    // ------------------------------------------------------------------ mailbox (interrupt context: never blocks)

    private void onSuspend(Interrupt interrupt) {
        int pid = interrupt.payload();
        Process process = process(pid);
        boolean now;
        synchronized (process) {
            now = process.running == 0;
            if (!now) {
                process.unanswered.add(interrupt);
            }
        }
        if (now) {
            ack(interrupt, pid);
        }
    }

    private void ack(Interrupt request, int pid) {
        try {
            request.reply(MailboxType.NW_ACK, pid);
            acksSent.increment();
        } catch (RuntimeException e) {
            LOG.warn("kernel {}: cannot answer SUSPEND_NW({}) of {}: {}", selfName, pid, request.senderName(), e.getMessage());
        }
    }

    private void onResume(Interrupt interrupt) {
        resumeReceived.increment();
        reconsiderLater();
    }

    /** Forgets a process that has no thread left on this kernel. */
    public void forget(int pid) {
        processes.computeIfPresent(pid, (p, process) -> {
            synchronized (process) {
                return process.running == 0 && process.unanswered.isEmpty() && process.awaitingAcks == 0 ? null : process;
            }
        });
    }
}
