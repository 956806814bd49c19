package org.example.linkedlist;

import io.archipelago.program.Program;
import io.archipelago.program.ProgramArgs;
import io.archipelago.program.ProgramData;
import io.archipelago.program.Step;
import io.archipelago.program.ThreadContext;
import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;
import io.archipelago.typed.region.TypedRegion;
import java.util.Optional;
import java.util.Set;

/**
 * {@code linked-list}: builds a singly linked list of {@code nodes=N} nodes (default 2000) in its thread's typed
 * data, one node per step, each node noting the pointer width of the kernel that appended it; then walks the list in
 * one step and exits 0 if it is intact (N nodes, in order, values 1..N), 1 otherwise.
 * <p>
 * Its state is only its registers and its typed data, both in shared memory, so the thread can migrate between any
 * two steps: to a kernel of another ABI by shared memory (the data stays where it is, laid out for the ABI that
 * created it, and the new kernel reads it through a morphed accessor), or by messages (the data is copied into a new
 * region laid out for the destination). Either way the list carries on growing where it stopped.
 */
public final class LinkedList implements Program {

    /** One node of the list, as a C struct: 16 bytes on x86_64 (LP64), 12 bytes on armv7 (ILP32). */
    @Typed("list_node")
    public interface Node {
        /** The node's position in the list, 1..N. A C {@code long}: 8 bytes on x86_64, 4 on armv7. */
        @CType("long") long value();
        void value(long value);

        /**
         * The index of the next node plus one; 0 ends the list. An index rather than an address, because a migration
         * by messages moves the data to another place in global memory.
         */
        @CType("unsigned int") long next();
        void next(long next);

        /** The pointer width, in bytes, of the kernel that appended the node: 8 (x86_64) or 4 (armv7). */
        @CType("int") int appendedBy();
        void appendedBy(int bytes);
    }

    /** Nodes appended so far. */
    public static final int REG_APPENDED = 0;
    /** The list's length to reach. */
    public static final int REG_NODES = 1;
    /** Cycles each step consumes (its virtual duration on a core). */
    public static final int REG_CYCLES = 2;
    /** After the walk: nodes found in the list, those appended by 64-bit kernels and by 32-bit ones, and the values' sum. */
    public static final int REG_WALKED = 3;
    public static final int REG_BY_64_BIT = 4;
    public static final int REG_BY_32_BIT = 5;
    public static final int REG_SUM = 6;

    @Override
    public String name() {
        return "linked-list";
    }

    @Override
    public String summary() {
        return "builds a linked list of nodes=N (default 2000) one node per step, walks it, exits 0 if it is intact (cycles=C per step)";
    }

    @Override
    public Optional<ProgramData> threadData(ProgramArgs args) {
        return Optional.of(new ProgramData(Node.class, nodes(args)));
    }

    @Override
    public void start(ThreadContext thread, ProgramArgs args) {
        args.allowOnly(Set.of("nodes", "cycles"));
        thread.reg(REG_APPENDED, 0);
        thread.reg(REG_NODES, nodes(args));
        thread.reg(REG_CYCLES, Math.max(1, args.number("cycles", 2_000_000)));
    }

    private static long nodes(ProgramArgs args) {
        long nodes = args.number("nodes", 2000);
        if (nodes < 1 || nodes > 1_000_000) {
            throw new IllegalArgumentException("linked-list: nodes is 1 to 1000000, found " + nodes);
        }
        return nodes;
    }

    @Override
    public Step step(ThreadContext thread) {
        TypedRegion<Node> list = thread.data(Node.class);
        long appended = thread.reg(REG_APPENDED);
        long cycles = thread.reg(REG_CYCLES);
        if (appended < thread.reg(REG_NODES)) {
            Node node = list.at(appended);
            node.value(appended + 1);
            node.next(0);
            node.appendedBy(thread.dataModel().pointerBytes());
            if (appended > 0) {
                list.at(appended - 1).next(appended + 1);
            }
            thread.reg(REG_APPENDED, appended + 1);
            return Step.next(cycles);
        }
        return walk(thread, list);
    }

    /** Follows the list from its head; a node out of place or a cycle stops the walk and fails the thread's check. */
    private static Step walk(ThreadContext thread, TypedRegion<Node> list) {
        long nodes = thread.reg(REG_NODES);
        long walked = 0;
        long by64 = 0;
        long by32 = 0;
        long sum = 0;
        boolean intact = true;
        Node node = list.at(0);
        long index = 0;
        while (true) {
            list.moveTo(node, index);
            walked++;
            sum += node.value();
            if (node.value() != walked) {
                intact = false;
                break;
            }
            if (node.appendedBy() == 8) {
                by64++;
            } else if (node.appendedBy() == 4) {
                by32++;
            }
            long next = node.next();
            if (next == 0) {
                break;
            }
            if (next > nodes || walked == nodes) {
                intact = false;
                break;
            }
            index = next - 1;
        }
        thread.reg(REG_WALKED, walked);
        thread.reg(REG_BY_64_BIT, by64);
        thread.reg(REG_BY_32_BIT, by32);
        thread.reg(REG_SUM, sum);
        return Step.exit(walked * 1_000, intact && walked == nodes ? 0 : 1);
    }
}
