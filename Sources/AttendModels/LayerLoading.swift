/// Loads `count` layers in order with `load`, growing the array one layer at a time.
///
/// A layer count comes from a file's metadata (`llama.block_count`, `n_layer`, `num_hidden_layers`):
/// a corrupt one must fail at the first missing tensor, named by `load`'s error, rather than reserve
/// room for billions of layers first, as `(0..<count).map` does (found by the `gguf` fuzz target:
/// RELIABILITY.md, `Fuzz/Regressions/gguf/`).
func loadLayers<Layer>(_ count: Int, _ load: (Int) throws -> Layer) rethrows -> [Layer] {
    var layers: [Layer] = []
    for i in 0..<max(count, 0) { layers.append(try load(i)) }
    return layers
}
