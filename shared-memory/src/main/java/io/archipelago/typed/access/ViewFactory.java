package io.archipelago.typed.access;

import io.archipelago.typed.layout.RecordLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Proxy;

/** Makes views of the elements of one region, and moves them. */
public sealed interface ViewFactory<T> permits ViewFactory.Generated, ViewFactory.Interpreted {

    /** A new view of element {@code index}. */
    T view(long index);

    /** Moves {@code view} (made by this factory) to element {@code index}: a scan allocates nothing. */
    void moveTo(T view, long index);

    /** Views made with a generated accessor class. */
    final class Generated<T> implements ViewFactory<T> {
        private final Class<T> type;
        private final MethodHandle constructor;
        private final MemorySegment segment;
        private final RegionBinding region;
        private final AccessGuard guard;

        Generated(Class<T> type, MethodHandle constructor, MemorySegment segment, RegionBinding region, AccessGuard guard) {
            this.type = type;
            this.constructor = constructor;
            this.segment = segment;
            this.region = region;
            this.guard = guard;
        }

        @Override
        public T view(long index) {
            region.checkElement(index);
            long base = region.columns() ? index : index * region.elementSize();
            try {
                return type.cast((TypedAccessor) constructor.invokeExact(segment, base, index, region, guard));
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void moveTo(T view, long index) {
            ((TypedAccessor) view).moveTo(index);
        }
    }

    /** Views made with the interpreting accessor. */
    final class Interpreted<T> implements ViewFactory<T> {
        private final Class<T> type;
        private final RecordLayout layout;
        private final MemorySegment segment;
        private final RegionBinding region;
        private final AccessGuard guard;

        Interpreted(Class<T> type, RecordLayout layout, MemorySegment segment, RegionBinding region, AccessGuard guard) {
            this.type = type;
            this.layout = layout;
            this.segment = segment;
            this.region = region;
            this.guard = guard;
        }

        @Override
        public T view(long index) {
            region.checkElement(index);
            return InterpretingAccessor.proxy(type, layout, segment, region, guard, index);
        }

        @Override
        public void moveTo(T view, long index) {
            ((InterpretingAccessor) Proxy.getInvocationHandler(view)).moveTo(index);
        }
    }
}
