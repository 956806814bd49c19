package io.archipelago.typed;

import io.archipelago.typed.description.TypeDescription;
import io.archipelago.typed.layout.Abi;
import io.archipelago.typed.layout.Layout;
import io.archipelago.typed.layout.LayoutEngine;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The paper's alternative to type-morphable code, measured: one <em>unified</em> data format
 * that every kernel could use without adapting its code, where each scalar takes its largest
 * size and strictest alignment across the data models. Its memory overhead against each
 * native layout is the price of not morphing (the paper: up to 55% for 64/32-bit mixes).
 */
public final class UnifiedFormat {

    /** One type laid out natively for each data model and in the unified format. */
    public record Comparison(String name, Layout unified, Map<DataModel, Layout> natives) {

        /** Extra bytes of the unified layout over {@code model}'s native one, as a fraction of the native size. */
        public double overhead(DataModel model) {
            long nativeSize = natives.get(model).size();
            return nativeSize == 0 ? 0 : (double) (unified.size() - nativeSize) / nativeSize;
        }

        public long overheadBytes(DataModel model) {
            return unified.size() - natives.get(model).size();
        }
    }

    private final List<DataModel> models;
    private final Abi abi;

    private UnifiedFormat(List<DataModel> models) {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("a unified format needs at least one data model");
        }
        this.models = List.copyOf(models);
        this.abi = Abi.unified(models.stream().map(DataModel::abi).toList());
    }

    /** The unified format of {@code models}. */
    public static UnifiedFormat of(List<DataModel> models) {
        return new UnifiedFormat(models);
    }

    /** The unified format of all five data models. */
    public static UnifiedFormat ofAll() {
        return new UnifiedFormat(List.of(DataModel.values()));
    }

    public List<DataModel> models() {
        return models;
    }

    /** The unified format's layout rules (largest size, strictest alignment of every scalar). */
    public Abi abi() {
        return abi;
    }

    public Comparison compare(String name, TypeDescription type) {
        Map<DataModel, Layout> natives = new LinkedHashMap<>();
        for (DataModel model : models) {
            natives.put(model, model.layoutEngine().layout(type));
        }
        return new Comparison(name, new LayoutEngine(abi).layout(type), natives);
    }
}
