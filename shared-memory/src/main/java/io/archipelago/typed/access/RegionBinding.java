package io.archipelago.typed.access;

import java.util.Objects;

/**
 * What an accessor needs to know about the region its element lives in: its name, its global
 * address, how many elements, and how they are arranged: one after the other every
 * {@code elementSize} bytes (array of structs), or one column per top-level member (struct of
 * arrays: member m of element i at {@code columnOffsets[m] + i * columnStrides[m]}).
 *
 * <pre>
 *  region at global address A (page aligned), in the creator's data model and byte order
 *
 *  array of structs: count x elementSize bytes
 *  +----------------------+----------------------+----------------------+-----
 *  | element 0            | element 1            | element 2            | ...
 *  | m0 |pad| m1  | m2 |tp| m0 |pad| m1  | m2 |tp|                      |        tp: tail padding
 *  +----------------------+----------------------+----------------------+-----
 *  member m of element i: A + i * elementSize + offset(m)
 *
 *  struct of arrays: one column per top-level member, each aligned to the member's alignment
 *  +----+----+----+-- ... --+---+--------+--------+-- ... --+--------------+-- ...
 *  | m0 | m0 | m0 |         |pad| m1     | m1     |         | m2           |
 *  | [0]| [1]| [2]|         |   | [0]    | [1]    |         | [0]          |
 *  +----+----+----+-- ... --+---+--------+--------+-- ... --+--------------+-- ...
 *  member m of element i: A + columnOffsets[m] + i * sizeof(m); an element's address is its first column's
 * </pre>
 */
public final class RegionBinding {

    private final String name;
    private final long globalOffset;
    private final long count;
    private final long elementSize;
    private final long[] columnOffsets;
    private final long[] columnStrides;

    private RegionBinding(String name, long globalOffset, long count, long elementSize, long[] columnOffsets, long[] columnStrides) {
        this.name = Objects.requireNonNull(name, "name");
        this.globalOffset = globalOffset;
        this.count = count;
        this.elementSize = elementSize;
        this.columnOffsets = columnOffsets;
        this.columnStrides = columnStrides;
    }

    public static RegionBinding arrayOfStructs(String name, long globalOffset, long count, long elementSize) {
        return new RegionBinding(name, globalOffset, count, elementSize, null, null);
    }

    public static RegionBinding structOfArrays(String name, long globalOffset, long count, long[] columnOffsets, long[] columnStrides) {
        if (columnOffsets.length != columnStrides.length || columnOffsets.length == 0) {
            throw new IllegalArgumentException("a struct-of-arrays region needs one offset and one stride per column");
        }
        return new RegionBinding(name, globalOffset, count, 0, columnOffsets.clone(), columnStrides.clone());
    }

    public String name() {
        return name;
    }

    public long globalOffset() {
        return globalOffset;
    }

    public long count() {
        return count;
    }

    public boolean columns() {
        return columnOffsets != null;
    }

    public long elementSize() {
        return elementSize;
    }

    public long columnOffset(int column) {
        return columnOffsets[column];
    }

    public long columnStride(int column) {
        return columnStrides[column];
    }

    public int columnCount() {
        return columnOffsets == null ? 0 : columnOffsets.length;
    }

    /** Checks an element index. */
    public long checkElement(long index) {
        if (index < 0 || index >= count) {
            throw new IndexOutOfBoundsException("element " + index + " is outside region '" + name + "' (0.." + (count - 1) + ")");
        }
        return index;
    }

    /** The global-memory address of element {@code index} (of its first column, for a struct of arrays). */
    public long addressOf(long index) {
        return globalOffset + (columns() ? columnOffsets[0] + index * columnStrides[0] : index * elementSize);
    }

    @Override
    public String toString() {
        return "region '" + name + "' (" + count + " element(s) at 0x" + Long.toHexString(globalOffset)
            + (columns() ? ", struct of arrays" : ", array of structs") + ")";
    }
}
