package io.archipelago.kernel.typed.views;

import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;

/** {@code struct list_head}: a doubly linked list node; the pointers are global-memory addresses. */
@Typed("list_head")
public interface ListHead {
    @CType("struct list_head *") long next();
    void next(long next);
    @CType("struct list_head *") long prev();
    void prev(long prev);
}
