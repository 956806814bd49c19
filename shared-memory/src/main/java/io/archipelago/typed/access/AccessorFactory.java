package io.archipelago.typed.access;

import io.archipelago.typed.layout.RecordLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Type-morphable code: one generated accessor class per (interface, concrete layout) pair,
 * generated the first time the pair is attached and cached for the life of the process.
 * <p>
 * <b>Coherence.</b> A region's coherence is part of the key: a hardware-coherent region gets
 * a class with plain loads and stores; a software-coherent one (the DSM issue) gets another
 * class, identical but for a call to its {@link AccessGuard} before each access (where the DSM
 * checks the page state in its emulated page table and faults the page in with
 * {@code GetExclusive}). Hardware-coherent accessors therefore pay nothing for the DSM: there is
 * no flag to test, the call is simply not in their code. To add the DSM, pass a guard to
 * {@link #generated} for a software-coherent region; nothing else changes.
 */
public final class AccessorFactory {

    private record Key(Class<?> view, RecordLayout layout, List<Long> columnOffsets, List<Long> columnStrides, boolean software,
                       boolean nested, RemoteLineCosts remote) {
    }

    private static final Map<Key, MethodHandle> CLASSES = new ConcurrentHashMap<>();

    private AccessorFactory() {
    }

    /**
     * Makes views of a region's elements with a generated accessor.
     *
     * @param guard null for a hardware-coherent region; the DSM's page check for a software-coherent one
     */
    public static <T> ViewFactory<T> generated(Class<T> view, RecordLayout layout, MemorySegment segment, RegionBinding region,
                                               AccessGuard guard) {
        return generated(view, layout, segment, region, guard, RemoteLineCosts.NONE);
    }

    /**
     * As {@link #generated(Class, RecordLayout, MemorySegment, RegionBinding, AccessGuard)}, for a
     * region homed in another coherence domain: each load and store pays {@code remote} per cache
     * line it touches (a class of its own; {@link RemoteLineCosts#NONE} gives the plain class).
     */
    public static <T> ViewFactory<T> generated(Class<T> view, RecordLayout layout, MemorySegment segment, RegionBinding region,
                                               AccessGuard guard, RemoteLineCosts remote) {
        long[] offsets = null;
        long[] strides = null;
        if (region.columns()) {
            offsets = new long[region.columnCount()];
            strides = new long[region.columnCount()];
            for (int c = 0; c < offsets.length; c++) {
                offsets[c] = region.columnOffset(c);
                strides[c] = region.columnStride(c);
            }
        }
        MethodHandle constructor = constructor(new AccessorGenerator.Spec(view, layout, offsets, strides, guard != null, false, remote));
        return new ViewFactory.Generated<>(view, constructor, segment, region, guard);
    }

    /** Makes views of a region's elements with the interpreting accessor (the reference and the baseline). */
    public static <T> ViewFactory<T> interpreted(Class<T> view, RecordLayout layout, MemorySegment segment, RegionBinding region,
                                                 AccessGuard guard) {
        return new ViewFactory.Interpreted<>(view, layout, segment, region, guard);
    }

    /** How many accessor classes this process has generated (each pair once). */
    public static int generatedClasses() {
        return CLASSES.size();
    }

    private static MethodHandle constructor(AccessorGenerator.Spec spec) {
        Key key = new Key(spec.view(), spec.layout(), spec.columnOffsets() == null ? null : Arrays.stream(spec.columnOffsets()).boxed().toList(),
            spec.columnStrides() == null ? null : Arrays.stream(spec.columnStrides()).boxed().toList(), spec.software(), spec.nested(), spec.remote());
        MethodHandle existing = CLASSES.get(key);
        if (existing != null) {
            return existing;
        }
        // generated outside computeIfAbsent: a nested struct's class is generated (and cached) while this one is
        MethodHandle generated = AccessorGenerator.define(spec, AccessorFactory::constructor);
        MethodHandle raced = CLASSES.putIfAbsent(key, generated);
        return raced != null ? raced : generated;
    }
}
