package io.archipelago.coordinator.config;

/**
 * An emulated processor island: an ABI (data model), a number of cores of one speed, a
 * coherence domain, a power model, and how many kernels run on islands of this kind.
 *
 * @param speed relative to the base frequency (1.0); the weak island of K2 runs at 0.25
 */
public record IslandConfig(String name, String dataModel, int cores, double speed, String coherenceDomain, String powerModel,
                           int kernels) {
}
