package io.archipelago.bench.typed;

/** The same record as a plain Java object: the floor of the typed-access benchmark. */
final class SchedTaskObject {
    int pid;
    int prio;
    long nvcsw;
    long vruntime;
    long parent;
    long flags;
    final byte[] comm = new byte[16];
}
