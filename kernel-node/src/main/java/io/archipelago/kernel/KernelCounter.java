package io.archipelago.kernel;

import io.archipelago.memory.CounterDescriptor;

/**
 * Every counter a kernel's services publish in its counters area, defined once (after Aeron's
 * {@code SystemCounterDescriptor}): the service that counts allocates it through its constant, and
 * every reader (status, the CLI, benchmarks, tests) finds it through the same constant. The memory
 * services' counters are {@link io.archipelago.memory.MemoryCounters}', the mailbox's
 * {@link io.archipelago.interconnect.mailbox.MailboxCounter}s ({@code mailbox.*}); what other processes act on is not a counter ({@link io.archipelago.memory.KernelSignals}).
 */
public enum KernelCounter implements CounterDescriptor {

    // the software DSM
    DSM_FAULTS("dsm.faults", "page faults on software-coherent pages"),
    DSM_CLAIMS("dsm.claims", "pages claimed without a transfer (no holder had them)"),
    DSM_COALESCED_FAULTS("dsm.coalesced_faults", "faults that joined another thread's fault on the same page"),
    DSM_PAGES_RECEIVED("dsm.pages_received", "pages received from their holder"),
    DSM_PAGES_SENT("dsm.pages_sent", "pages handed to a requester"),
    DSM_BYTES_WRITTEN_BACK("dsm.bytes_written_back", "bytes written back to global memory"),
    DSM_BUSY_RETRIES("dsm.busy_retries", "requests retried after a busy answer"),
    DSM_BUSY_ANSWERS("dsm.busy_answers", "busy answers given to requesters"),
    DSM_DEFERRED_REQUESTS("dsm.deferred_requests", "requests deferred until the page was free"),
    DSM_PAGES_RECOVERED("dsm.pages_recovered", "pages recovered from a dead holder"),
    DSM_TIMEOUTS("dsm.timeouts", "accesses that gave up after the DSM timeout"),
    DSM_WAIT_NS("dsm.wait_ns", "nanoseconds threads waited for pages"),
    DSM_TORN_PAGES_REPAIRED("dsm.torn_pages_repaired", "frames repaired from a dead holder's write-back journal record"),
    DSM_UNJOURNALED_WRITE_BACKS("dsm.unjournaled_write_backs", "write-backs copied without a journal record (every slot busy)"),
    DSM_HOLDING("dsm.holding", "pages this kernel holds (a gauge)"),

    // tasks, the scheduler and interrupts
    TASKS_SPAWNED("tasks.spawned", "threads spawned here"),
    TASKS_EXITED("tasks.exited", "threads that exited here"),
    TASKS_FAILED("tasks.failed", "threads whose program failed"),
    TASKS_OWNED("tasks.owned", "threads this kernel owns (a gauge)"),
    SCHED_STEPS("sched.steps", "program steps run"),
    SCHED_SWITCHES_VOLUNTARY("sched.switches.voluntary", "threads that gave up their core (sleep, wait)"),
    SCHED_SWITCHES_INVOLUNTARY("sched.switches.involuntary", "threads preempted at the end of their slice"),
    IRQ_RECEIVED("irq.received", "interrupts raised here"),
    IRQ_WOKEN("irq.woken", "threads woken by interrupts"),
    IRQ_FORWARDED("irq.forwarded", "device interrupts forwarded to kernels with waiters"),

    // migration and NightWatch threads
    MIGRATIONS_OUT("migrations.out", "threads migrated away"),
    MIGRATIONS_IN("migrations.in", "threads migrated here"),
    MIGRATIONS_IN_SHARED_MEMORY("migrations.in.shared_memory", "of those, their state read from shared memory"),
    MIGRATIONS_IN_MESSAGES("migrations.in.messages", "of those, their state sent in messages"),
    MIGRATIONS_FAILED("migrations.failed", "migrations that failed"),
    MIGRATIONS_REFUSED("migrations.refused", "migrations refused (unknown kernel, thread not here...)"),
    NIGHTWATCH_SUSPEND_SENT("nightwatch.suspend_sent", "SUSPEND_NW words sent"),
    NIGHTWATCH_ACKS_RECEIVED("nightwatch.acks_received", "NW_ACK words received"),
    NIGHTWATCH_ACKS_SENT("nightwatch.acks_sent", "NW_ACK words sent"),
    NIGHTWATCH_RESUME_SENT("nightwatch.resume_sent", "RESUME_NW words sent"),
    NIGHTWATCH_RESUME_RECEIVED("nightwatch.resume_received", "RESUME_NW words received"),
    NIGHTWATCH_PREEMPTIONS("nightwatch.preemptions", "NightWatch threads suspended for a normal thread"),
    NIGHTWATCH_ACK_FAILURES("nightwatch.ack_failures", "suspensions whose acknowledgement did not come in time"),
    NIGHTWATCH_GATE_RELEASES("nightwatch.gate_releases", "NightWatch gates released"),

    // energy (the island's power model)
    ENERGY_UJ("energy.uj", "energy used in total, microjoules"),
    ENERGY_BUSY_UJ("energy.busy_uj", "of which cores running steps, microjoules"),
    ENERGY_IDLE_UJ("energy.idle_uj", "of which idle cores, microjoules"),
    ENERGY_SLEEP_UJ("energy.sleep_uj", "of which cores in deep sleep, microjoules"),
    ENERGY_WAKEUP_UJ("energy.wakeup_uj", "of which deep-sleep exits, microjoules"),
    ENERGY_IRQ_UJ("energy.irq_uj", "of which interrupt handlers, microjoules"),
    ENERGY_WAKEUPS("energy.wakeups", "core deep-sleep exits"),
    ENERGY_IRQ_WAKEUPS("energy.irq_wakeups", "interrupts that found the kernel asleep"),

    // the shadowed NIC driver
    NIC_PACKETS("nic.packets", "packets handled"),
    NIC_ERRORS("nic.errors", "packets that failed their check"),
    NIC_POLLS("nic.polls", "driver polls of the receive ring"),
    NIC_LATENCY_NS_SUM("nic.latency_ns_sum", "sum of packet latencies, nanoseconds"),
    NIC_LATENCY_NS_MAX("nic.latency_ns_max", "largest packet latency, nanoseconds"),
    NIC_NUMBER_SUM("nic.number_sum", "sum of the packets' numbers (a checksum of the work)"),
    NIC_NUMBER_SQUARES("nic.number_squares", "sum of their squares"),
    NIC_POLL_NS_SUM("nic.poll_ns_sum", "nanoseconds spent polling"),

    // typed regions and messages between kernels
    TYPED_REGIONS_CREATED("typed.regions.created", "typed regions created here"),
    TYPED_REGIONS_ATTACHED("typed.regions.attached", "typed regions attached here"),
    MESSAGES_SERVED("messages.served", "object requests served"),
    MESSAGES_STREAMS("messages.streams", "request streams opened to this owner"),
    MESSAGES_AUTH_FAILURES("messages.auth_failures", "calls refused for want of a proof of membership"),
    URPC_SERVED("urpc.served", "requests served over the URPC rings"),
    URPC_STALE_DROPPED("urpc.stale_dropped", "URPC slots of a previous incarnation dropped"),
    URPC_REPLIES_DROPPED("urpc.replies_dropped", "URPC replies nobody waited for any more"),
    URPC_DOORBELLS("urpc.doorbells", "URPC doorbells rung"),
    URPC_DOORBELLS_FAILED("urpc.doorbells_failed", "URPC doorbells the mailbox refused to ring"),
    URPC_HANDLER_FAILURES("urpc.handler_failures", "URPC requests whose handler threw (no reply sent)"),
    URPC_PARKS("urpc.parks", "times a URPC dispatcher parked"),
    URPC_REQUESTER_PARKS("urpc.requester_parks", "times a URPC requester parked waiting for its reply"),
    URPC_FULL_WAITS("urpc.full_waits", "times a URPC sender waited for room in a full ring");

    private final Definition definition;

    KernelCounter(String label, String description) {
        this.definition = new Definition(label, description);
    }

    @Override
    public Definition definition() {
        return definition;
    }

    /** A core's busy, idle and wake-up counters are made per core at run time: {@code sched.core<N>.busy_ns}... */
    public static String coreLabel(int core, String what) {
        return "sched.core" + core + "." + what;
    }
}
