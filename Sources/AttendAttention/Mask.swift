/// A sliding window with global tokens (SPEC §3): query i may attend key j when
/// `i − left ≤ j ≤ i + right` (inclusive, FlashAttention's `window_size`), or when j is global, or
/// when i is global and `globalsAttendAll`. ReBERT's window W is `Window(left: W, right: W,
/// globals: [0])`: at most 2W + 2 keys per query.
public struct Window: Sendable, Equatable, Codable {
    /// Keys allowed to the left / right of the query's own position; `nil` = unbounded.
    public var left: Int?
    public var right: Int?
    /// Positions every query attends (e.g. [CLS] = 0). Sorted, unique.
    public var globals: [Int]
    /// Whether global positions themselves attend every key (Longformer; default yes).
    public var globalsAttendAll: Bool

    public init(left: Int?, right: Int?, globals: [Int] = [], globalsAttendAll: Bool = true) {
        precondition((left ?? 0) >= 0 && (right ?? 0) >= 0, "window sides must be ≥ 0")
        self.left = left
        self.right = right
        self.globals = Array(Set(globals)).sorted()
        self.globalsAttendAll = globalsAttendAll
    }

    /// ReBERT's per-layer window: `left = right = w`, global [CLS] at position 0 attending all.
    public static func rebert(_ w: Int) -> Window { Window(left: w, right: w, globals: [0]) }
}

/// A block-sparse layout: per head, a bitmap over (query block × key block) of
/// `blockRows × blockColumns` entries; entry (i, j) is allowed when its block is kept.
public struct BlockLayout: Sendable, Equatable {
    public let blockRows: Int, blockColumns: Int
    public let queryBlocks: Int, keyBlocks: Int
    /// kept: [heads][queryBlocks · keyBlocks], 1 = kept.
    public let kept: [[UInt8]]

    public init(blockRows: Int, blockColumns: Int, queryBlocks: Int, keyBlocks: Int, kept: [[UInt8]]) {
        precondition(blockRows >= 1 && blockColumns >= 1, "block sizes must be ≥ 1")
        precondition(kept.allSatisfy { $0.count == queryBlocks * keyBlocks }, "each head's bitmap must have queryBlocks × keyBlocks entries")
        self.blockRows = blockRows
        self.blockColumns = blockColumns
        self.queryBlocks = queryBlocks
        self.keyBlocks = keyBlocks
        self.kept = kept
    }

    /// Whether head h keeps the block holding (i, j).
    public func keeps(head h: Int, _ i: Int, _ j: Int) -> Bool {
        kept[h][(i / blockRows) * keyBlocks + j / blockColumns] != 0
    }

    /// Fraction of blocks kept over all heads.
    public var density: Double {
        let total = kept.reduce(0) { $0 + $1.count }
        return total == 0 ? 1 : Double(kept.reduce(0) { $0 + $1.reduce(0) { $0 + Int($1) } }) / Double(total)
    }
}

/// Which (query, key) pairs attend, per head (SPEC §3): key padding (only the first `keys` keys
/// exist), causal, window with globals, block-sparse layout, and skipped (pruned) heads. Entry
/// (i, j) of head h is allowed when every present constraint allows it; a skipped head allows
/// nothing and outputs zeros.
public struct AttentionMask: Sendable, Equatable {
    /// Causal: key j allowed for query i when `j ≤ i + causalOffset` (0 when queries and keys are
    /// the same positions; `keys − queries` aligns the last query with the last key).
    public var causal: Bool
    public var causalOffset: Int
    public var window: Window?
    public var blocks: BlockLayout?
    public var skippedHeads: Set<Int>

    public init(causal: Bool = false, causalOffset: Int = 0, window: Window? = nil, blocks: BlockLayout? = nil, skippedHeads: Set<Int> = []) {
        self.causal = causal
        self.causalOffset = causalOffset
        self.window = window
        self.blocks = blocks
        self.skippedHeads = skippedHeads
    }

    /// No constraint beyond key padding.
    public static let none = AttentionMask()

    /// Whether head h's query i may attend key j among `keys` keys (the slow, per-entry rule).
    public func allows(head h: Int, query i: Int, key j: Int, keys: Int) -> Bool {
        guard j >= 0, j < keys, !skippedHeads.contains(h) else { return false }
        if causal && j > i + causalOffset { return false }
        if let w = window {
            let inBand = (w.left.map { j >= i - $0 } ?? true) && (w.right.map { j <= i + $0 } ?? true)
            if !inBand && !w.globals.contains(j) && !(w.globalsAttendAll && w.globals.contains(i)) { return false }
        }
        if let blocks, !blocks.keeps(head: h, i, j) { return false }
        return true
    }

    /// Allowed entries of head h over `queries × keys`, counted entry by entry (the reference
    /// for the closed forms below and for the kernels' records).
    public func allowedEntries(head h: Int, queries: Int, keys: Int) -> Int {
        var count = 0
        for i in 0..<queries { for j in 0..<keys where allows(head: h, query: i, key: j, keys: keys) { count += 1 } }
        return count
    }
}
