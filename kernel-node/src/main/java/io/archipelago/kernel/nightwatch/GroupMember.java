package io.archipelago.kernel.nightwatch;

/** A thread that belongs to a thread group: where its group's leader (and the NightWatch gate) is in the task table. */
public interface GroupMember {

    long leaderSlot();
}
