import AttendAttention

/// The keys and values of the tokens a decoder has seen, one buffer per layer and kind:
/// `keys(layer:)`, `values(layer:)`: [capacity, H_kv·d], rows `0..<rows(layer:)` filled, row r holding
/// position `states[l].positions[r]` (after RoPE for Llama). Without token pruning every layer holds
/// every position (row t = position t); a method that prunes tokens (SpAtten) drops rows of a layer for
/// good, and the rows left are compacted to the front. Allocated once for the expected length and grown geometrically when a
/// forward pass needs more, never past `limit` (the model's context length): a forward pass that
/// would is an error (`ModelError.contextFull`), not a silent wrap-around.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    /// H_kv·d: the width of one key (or value) row.
    public let width: Int
    /// The model's context length: the most tokens the cache may hold.
    public let limit: Int
    /// Rows allocated per buffer.
    public private(set) var capacity: Int
    /// Tokens seen (positions `0..<count`; the next token's position is `count`).
    public private(set) var count: Int = 0
    /// Per layer, the attention state a method keeps across calls (SPEC §3): the positions whose rows
    /// the layer holds, in order, and accumulated importances.
    public private(set) var states: [AttentionState]
    private var storage: [UnsafeMutablePointer<Float>]  // per layer: [2, capacity, width] (keys, then values)

    /// An empty cache for `layers` layers of `width`-wide rows, room for `capacity` tokens
    /// (clamped to `1...limit`) before it grows.
    public init(layers: Int, width: Int, limit: Int, capacity: Int) {
        precondition(layers >= 1 && width >= 1 && limit >= 1, "bad cache shape")
        (self.layers, self.width, self.limit) = (layers, width, limit)
        self.capacity = min(max(capacity, 1), limit)
        states = Array(repeating: AttentionState(length: 0), count: layers)
        storage = (0..<layers).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: 2 * min(max(capacity, 1), limit) * width) }
    }

    deinit { for buffer in storage { buffer.deallocate() } }

    /// Bytes allocated for keys and values.
    public var allocatedBytes: Int { layers * 2 * capacity * width * MemoryLayout<Float>.size }

    /// keys: [capacity, width] of layer l.
    public func keys(layer l: Int) -> UnsafeMutablePointer<Float> { storage[l] }

    /// values: [capacity, width] of layer l.
    public func values(layer l: Int) -> UnsafeMutablePointer<Float> { storage[l] + capacity * width }

    /// Makes room for `n` more tokens, growing (×2, at most `limit`) and keeping the rows held.
    /// Throws `ModelError.contextFull` when `count + n` exceeds `limit`.
    public func reserve(_ n: Int) throws {
        let needed = count + n
        guard needed <= limit else { throw ModelError.contextFull(tokens: needed, limit: limit) }
        guard needed > capacity else { return }
        let grown = min(limit, max(needed, 2 * capacity))
        for l in 0..<layers {
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 2 * grown * width)
            buffer.update(from: keys(layer: l), count: count * width)
            (buffer + grown * width).update(from: values(layer: l), count: count * width)
            storage[l].deallocate()
            storage[l] = buffer
        }
        capacity = grown
    }

    /// Rows layer l holds (≤ count).
    public func rows(layer l: Int) -> Int { states[l].positions.count }

    /// After layer l's attention over its rows plus new ones at `newPositions` (ascending, ≥ `count`;
    /// written at rows `rows(layer: l)…`): takes `state` — whose positions are the old ones and the new
    /// ones, less any the method pruned — and compacts the layer's K/V rows to those positions.
    func update(layer l: Int, newPositions: [Int], state: AttentionState) {
        let present = states[l].positions + newPositions
        if state.positions.count != present.count {
            // Both lists ascend: walk them together, moving each kept row down to its new index.
            let (k, v, kept) = (keys(layer: l), values(layer: l), state.positions)
            var row = 0
            for (index, position) in present.enumerated() where row < kept.count && kept[row] == position {
                if index != row {
                    (k + row * width).update(from: k + index * width, count: width)
                    (v + row * width).update(from: v + index * width, count: width)
                }
                row += 1
            }
            precondition(row == kept.count, "an attention method re-admitted a pruned token or reordered the positions")
        }
        states[l] = state
    }

    /// Marks the `n` tokens of a forward pass as seen (each layer's rows were updated by `update`).
    func advance(by n: Int) {
        precondition(count + n <= capacity, "advance past the reserved rows")
        count += n
    }

    /// Forgets every token (the buffers are kept for reuse).
    public func reset() {
        count = 0
        states = Array(repeating: AttentionState(length: 0), count: layers)
    }
}
