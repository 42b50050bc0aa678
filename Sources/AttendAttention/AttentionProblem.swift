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

/// What one head of one attention call actually did (SPEC §3 workload record): the input of the
/// cost models.
public struct HeadWorkload: Sendable, Equatable, Codable {
    public var queries: Int
    public var keys: Int
    /// (query, key) pairs the mask allows.
    public var allowedEntries: Int
    /// Score entries the kernel evaluated (whole computed tiles; ≥ allowedEntries).
    public var computedEntries: Int
    /// Key tiles (blocks) computed and visited.
    public var blocksKept: Int
    public var blocksTotal: Int
    /// Multiply-adds of Q Kᵀ and of P V, and exponentials evaluated.
    public var qkMACs: Int
    public var pvMACs: Int
    /// Multiply-adds unmasked dense attention would do on the same queries and keys: 2·queries·keys·d.
    public var denseMACs: Int
    public var exps: Int
    /// Bytes read of Q, K and V.
    public var bytesQ: Int
    public var bytesK: Int
    public var bytesV: Int
    /// Bit widths of Q/K/V and of the softmax input.
    public var bits: Int
    /// HDP: multiply-adds of the integer importance product Q_I K_Iᵀ and of the fraction terms
    /// Q_F K_Iᵀ + Q_I K_Fᵀ on kept blocks (both included in qkMACs); 0 for other methods.
    public var integerMACs: Int
    public var fractionMACs: Int
    /// K/V rows read for scores and P V (a row read again for another query tile counts again;
    /// HDP reads each row of a kept block once — Fetch-Upon-Mask: rows of pruned blocks are not read).
    public var kvRowsRead: Int
    /// 1 when the head was pruned (its output is zero), else 0.
    public var headPruned: Int
    /// HDP's head importance Σ|S_I| over the head (the pruning test compares Σ|S_I| / (queries·keys)
    /// with τ_H); 0 for other methods.
    public var headImportance: Int

    public init(queries: Int, keys: Int, allowedEntries: Int, computedEntries: Int, blocksKept: Int, blocksTotal: Int,
                qkMACs: Int, pvMACs: Int, denseMACs: Int, exps: Int, bytesQ: Int, bytesK: Int, bytesV: Int, bits: Int,
                integerMACs: Int = 0, fractionMACs: Int = 0, kvRowsRead: Int, headPruned: Int = 0, headImportance: Int = 0) {
        (self.queries, self.keys, self.allowedEntries, self.computedEntries) = (queries, keys, allowedEntries, computedEntries)
        (self.blocksKept, self.blocksTotal, self.qkMACs, self.pvMACs, self.exps) = (blocksKept, blocksTotal, qkMACs, pvMACs, exps)
        self.denseMACs = denseMACs
        (self.bytesQ, self.bytesK, self.bytesV, self.bits) = (bytesQ, bytesK, bytesV, bits)
        (self.integerMACs, self.fractionMACs, self.kvRowsRead, self.headPruned, self.headImportance) =
            (integerMACs, fractionMACs, kvRowsRead, headPruned, headImportance)
    }

    /// The CSV header of `csvFields`, in the same order.
    public static let csvHeader = "queries,keys,allowed_entries,computed_entries,blocks_kept,blocks_total,qk_macs,pv_macs,dense_macs,exps,bytes_q,bytes_k,bytes_v,bits,integer_macs,fraction_macs,kv_rows_read,head_pruned,head_importance"

    /// The record as CSV fields (see `csvHeader`).
    public var csvFields: String {
        [queries, keys, allowedEntries, computedEntries, blocksKept, blocksTotal, qkMACs, pvMACs, denseMACs, exps, bytesQ, bytesK, bytesV, bits,
         integerMACs, fractionMACs, kvRowsRead, headPruned, headImportance]
            .map(String.init).joined(separator: ",")
    }
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
