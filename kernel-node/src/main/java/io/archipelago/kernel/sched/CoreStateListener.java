package io.archipelago.kernel.sched;

/**
 * Told of every closed interval of every core of a kernel, in order per core (e.g. an energy
 * meter integrating a power model). Called on the core's own thread: must be quick and must not
 * block.
 */
@FunctionalInterface
public interface CoreStateListener {

    void onInterval(CoreInterval interval);
}
