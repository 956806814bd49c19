package io.archipelago.cli;

import io.archipelago.coordinator.Coordinator;
import java.io.PrintWriter;

/** One scene of {@code archipelago demo}, run against a freshly booted cluster. */
interface DemoAct {

    String title();

    void run(Coordinator cluster, PrintWriter out) throws Exception;
}
