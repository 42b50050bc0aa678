// HeadWorkload lives in AttendWorkload, which the cost models read without importing attention code;
// re-exported so that users of attention methods see their records.
@_exported import AttendWorkload

/// One sequence's attention inputs and output for all heads of one layer.
///
/// q: [queries, H·d] (row stride ldq), k, v: [keys, H_kv·d] (strides ldk, ldv), out: [queries, H·d]
/// (stride ldo); head h reads columns h·d..<(h+1)·d of q and out, and key/value head
/// h / (H / H_kv) (grouped-query attention when H_kv < H). Scores are scaled by 1/√d.
public struct AttentionProblem: @unchecked Sendable {
    public let q: UnsafePointer<Float>, ldq: Int
    public let k: UnsafePointer<Float>, ldk: Int
    public let v: UnsafePointer<Float>, ldv: Int
    public let out: UnsafeMutablePointer<Float>, ldo: Int
    public let queries: Int, keys: Int
    public let heads: Int, kvHeads: Int, headDim: Int
    public let mask: AttentionMask

    public init(
        q: UnsafePointer<Float>, ldq: Int, k: UnsafePointer<Float>, ldk: Int, v: UnsafePointer<Float>, ldv: Int,
        out: UnsafeMutablePointer<Float>, ldo: Int, queries: Int, keys: Int, heads: Int, kvHeads: Int? = nil,
        headDim: Int, mask: AttentionMask = .none
    ) {
        let kvHeads = kvHeads ?? heads
        precondition(queries >= 0 && keys >= 0 && headDim >= 1, "bad attention sizes")
        precondition(kvHeads >= 1 && heads % kvHeads == 0, "heads (\(heads)) must be a multiple of kvHeads (\(kvHeads))")
        if let blocks = mask.blocks {
            precondition(blocks.kept.count == heads, "block layout has \(blocks.kept.count) heads, expected \(heads)")
            precondition(blocks.queryBlocks * blocks.blockRows >= queries && blocks.keyBlocks * blocks.blockColumns >= keys,
                         "block layout does not cover \(queries) × \(keys)")
        }
        (self.q, self.ldq, self.k, self.ldk, self.v, self.ldv, self.out, self.ldo) = (q, ldq, k, ldk, v, ldv, out, ldo)
        (self.queries, self.keys, self.heads, self.kvHeads, self.headDim, self.mask) = (queries, keys, heads, kvHeads, headDim, mask)
    }

    /// The key/value head that query head h reads.
    public func kvHead(of h: Int) -> Int { h / (heads / kvHeads) }

    /// 1/√d.
    public var scale: Float { 1 / Float(headDim).squareRoot() }
}

/// Importance outputs and records of one problem.
public struct AttentionResult: Sendable {
    /// lse: [H][queries] — log Σ_j exp(s_ij/√d) over allowed keys; −∞ for rows with none. Empty unless requested.
    public var logSumExp: [[Float]]
    /// columnSums: [H][keys] — Σ_i P[i, j] (SpAtten's token importance). Empty unless requested.
    public var columnSums: [[Float]]
    /// One record per head.
    public var workloads: [HeadWorkload]
}
