package io.archipelago.cli;

import io.archipelago.control.proto.KernelStatus;
import io.archipelago.coordinator.Coordinator;
import java.io.PrintWriter;
import java.util.List;

/** A demo scene played by the first two running kernels (K2's strong and weak kernels in the default cluster). */
interface TwoKernelAct extends DemoAct {

    @Override
    default void run(Coordinator cluster, PrintWriter out) throws Exception {
        List<KernelStatus> kernels = cluster.status().getKernelsList().stream().filter(k -> k.getState().equals("RUNNING")).toList();
        if (kernels.size() < 2) {
            out.println("(needs two running kernels, found " + kernels.size() + "; skipped)");
            return;
        }
        run(cluster, kernels.get(0), kernels.get(1), out);
    }

    /** Plays the scene with the first running kernel and the second. */
    void run(Coordinator cluster, KernelStatus first, KernelStatus second, PrintWriter out) throws Exception;
}
