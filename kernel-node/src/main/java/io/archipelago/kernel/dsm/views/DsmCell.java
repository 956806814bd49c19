package io.archipelago.kernel.dsm.views;

import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;

/**
 * {@code struct dsm_cell}: the shadowed state the DSM workloads share: a value, how many writes
 * it has seen, and which kernel wrote last.
 */
@Typed("dsm_cell")
public interface DsmCell {
    @CType("int64_t") long value();
    void value(long value);
    @CType("int64_t") long writes();
    void writes(long writes);
    @CType("int32_t") int lastWriter();
    void lastWriter(int kernel);
}
