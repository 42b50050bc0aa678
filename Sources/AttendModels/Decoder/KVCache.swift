import AttendAttention

/// The keys and values of every token a decoder has seen, one buffer per layer and kind:
/// `keys(layer:)`, `values(layer:)`: [capacity, H_kv·d], rows `0..<count` filled, row t = position t
/// (after RoPE for Llama). Allocated once for the expected length and grown geometrically when a
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
    /// Tokens held (positions `0..<count`).
    public private(set) var count: Int = 0
    /// The attention state threaded through the layers (SPEC §3): what a method keeps across calls.
    public var state: AttentionState
    private var storage: [UnsafeMutablePointer<Float>]  // per layer: [2, capacity, width] (keys, then values)

    /// An empty cache for `layers` layers of `width`-wide rows, room for `capacity` tokens
    /// (clamped to `1...limit`) before it grows.
    public init(layers: Int, width: Int, limit: Int, capacity: Int) {
        precondition(layers >= 1 && width >= 1 && limit >= 1, "bad cache shape")
        (self.layers, self.width, self.limit) = (layers, width, limit)
        self.capacity = min(max(capacity, 1), limit)
        state = AttentionState(length: 0)
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

    /// Marks `n` more rows (written by the forward pass after `reserve(n)`) as held.
    func advance(by n: Int) {
        precondition(count + n <= capacity, "advance past the reserved rows")
        count += n
        state.positions.append(contentsOf: (count - n)..<count)
    }

    /// Forgets every token (the buffers are kept for reuse).
    public func reset() {
        count = 0
        state = AttentionState(length: 0)
    }
}
