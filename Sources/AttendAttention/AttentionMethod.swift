/// Per-sequence state that a method threads through the layers of one forward pass (SPEC §3):
/// which tokens and heads survive, and accumulated importance for cascade pruning.
public struct AttentionState: Sendable, Equatable {
    /// Original positions of the tokens still in the sequence, in order (starts `0..<n`). A method
    /// prunes tokens by removing positions ([CLS] = 0 never); the model then compacts its hidden
    /// rows (attention and FFN) to the survivors before the next layer.
    public var positions: [Int]
    /// Heads pruned so far (a method that cascades keeps them pruned in later layers).
    public var prunedHeads: Set<Int>
    /// Accumulated importance per original token position and per head (SpAtten); empty until a
    /// method fills them.
    public var tokenImportance: [Float]
    public var headImportance: [Float]
    /// A decoder layer's K and V rows as integer codes, row r for `positions[r]` (SpAtten's
    /// progressive quantization with a scale per token: `QuantizedKVCache`); nil until a method keeps them.
    public var quantizedKV: QuantizedKVCache?

    public init(length: Int) {
        positions = Array(0..<length)
        prunedHeads = []
        tokenImportance = []
        headImportance = []
    }
}

/// The one interface a model layer calls for attention (SPEC §2). A method is a small value
/// holding only its settings; it runs one layer for a batch of sequences — `problems[b]` is
/// sequence b, whose queries and keys are its surviving tokens — writes each problem's output, may
/// update the sequences' states, and returns what it did: one record per (sequence, head).
public protocol AttentionMethod: Sendable {
    /// The name used by `--attention` and in plan files.
    var name: String { get }

    /// Throws when the method's settings do not fit a model of `layers` layers (checked before a forward pass).
    func check(layers: Int) throws

    func attend(layer: Int, _ problems: [AttentionProblem], states: inout [AttentionState]) -> [[HeadWorkload]]
}

extension AttentionMethod {
    public func check(layers: Int) throws {}
}

/// Dense Float32 reference attention (`DenseAttention`): materialises each head's score matrix.
public struct DenseMethod: AttentionMethod {
    /// Table exponential for the softmax (ReBERT's LUT), or nil for the exact one.
    public let softmax: LUTExp?
    public init(softmax: LUTExp? = nil) { self.softmax = softmax }
    public var name: String { softmax == nil ? "dense" : "dense+lut" }

    public func attend(layer: Int, _ problems: [AttentionProblem], states: inout [AttentionState]) -> [[HeadWorkload]] {
        DenseAttention.run(problems, softmax: softmax)
    }
}

/// Tiled exact attention (`TiledAttention`, FlashAttention's online softmax), the fast exact path.
public struct TiledMethod: AttentionMethod {
    /// Table exponential for the softmax (ReBERT's LUT), or nil for the exact one.
    public let softmax: LUTExp?
    public init(softmax: LUTExp? = nil) { self.softmax = softmax }
    public var name: String { softmax == nil ? "tiled" : "tiled+lut" }

    public func attend(layer: Int, _ problems: [AttentionProblem], states: inout [AttentionState]) -> [[HeadWorkload]] {
        TiledAttention.run(problems, softmax: softmax).map(\.workloads)
    }
}
