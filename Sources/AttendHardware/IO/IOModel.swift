import AttendWorkload

/// FlashAttention's IO model (Dao et al. 2022, arXiv 2205.14135): exact counts of slow-memory
/// (HBM) word accesses of attention on N_q queries, N_k keys, head dimension d, with on-chip
/// memory of M words (d ≤ M ≤ N d).
///
/// - Standard attention (the paper's Algorithm 0): read Q, K (N_q d + N_k d), write S, read S,
///   write P, read P (4 N_q N_k), read V (N_k d), write O (N_q d): Θ(N d + N²).
/// - Tiled (Algorithm 1) with B_c = ⌈M / 4d⌉, B_r = min(⌈M / 4d⌉, d), T_c = ⌈N_k / B_c⌉ key blocks:
///   initialise O, ℓ, m (N_q (d + 2) writes); per key block load K_j, V_j (2 N_k d in all) and, per
///   query block, read Q_i, O_i, ℓ_i, m_i and write O_i, ℓ_i, m_i (B_r (3d + 4)):
///   N_q (d + 2) + 2 N_k d + T_c · N_q (3d + 4) = Θ(N² d² / M) (Theorem 2).
/// - Block-sparse (Algorithm 5): as tiled, but a query block's inner step runs only where the
///   B_r × B_c mask block has an allowed entry: N_q (d + 2) + 2 N_k d + Σ_{nonzero (i, j)} rows_i (3d + 4)
///   = Θ(N d + N² d² s / M) for nonzero-block fraction s (Proposition 4).
public enum IOModel {
    /// FlashAttention's block sizes for on-chip memory of M words.
    public static func blockSizes(onChipWords m: Int, headDim d: Int) -> (rows: Int, columns: Int) {
        let bc = max(1, ceilDiv(m, 4 * d))
        return (min(bc, d), bc)
    }

    public static func standard(queries nq: Int, keys nk: Int, headDim d: Int) -> Int {
        nq * d + nk * d + 4 * nq * nk + nk * d + nq * d
    }

    public static func tiled(queries nq: Int, keys nk: Int, headDim d: Int, onChipWords m: Int) -> Int {
        let (_, bc) = blockSizes(onChipWords: m, headDim: d)
        return nq * (d + 2) + 2 * nk * d + ceilDiv(nk, bc) * nq * (3 * d + 4)
    }

    /// Block-sparse attention with the mask `allowed(query, key)`; also returns the nonzero-block
    /// fraction s and the K/V rows read by the inner steps (Σ over nonzero blocks of their key rows).
    public static func blockSparse(queries nq: Int, keys nk: Int, headDim d: Int, onChipWords m: Int,
                                   allowed: (Int, Int) -> Bool) -> (accesses: Int, nonzeroFraction: Double, kvRowsRead: Int) {
        let (br, bc) = blockSizes(onChipWords: m, headDim: d)
        return blockSparse(queries: nq, keys: nk, headDim: d, blockRows: br, blockColumns: bc, allowed: allowed)
    }

    /// As above with explicit block sizes (B_r query rows × B_c keys).
    public static func blockSparse(queries nq: Int, keys nk: Int, headDim d: Int, blockRows br: Int, blockColumns bc: Int,
                                   allowed: (Int, Int) -> Bool) -> (accesses: Int, nonzeroFraction: Double, kvRowsRead: Int) {
        var inner = 0, nonzero = 0, kvRows = 0
        let (tr, tc) = (ceilDiv(nq, br), ceilDiv(nk, bc))
        for i in 0..<tr {
            let (q0, q1) = (i * br, min(nq, i * br + br))
            for j in 0..<tc {
                let (k0, k1) = (j * bc, min(nk, j * bc + bc))
                var any = false
                outer: for q in q0..<q1 { for k in k0..<k1 where allowed(q, k) { any = true; break outer } }
                if any { nonzero += 1; inner += (q1 - q0) * (3 * d + 4); kvRows += k1 - k0 }
            }
        }
        let total = nq * (d + 2) + 2 * nk * d + inner
        return (total, tr * tc > 0 ? Double(nonzero) / Double(tr * tc) : 0, kvRows)
    }

    /// The allowed-entry test of an HDP record's kept blocks (every entry of a kept block).
    public static func keptBlockMask(_ w: HeadWorkload) -> (Int, Int) -> Bool {
        let (b, columns) = (max(1, w.blockRows), w.blockGrid.columns)
        if w.keptBlocks.isEmpty { return { _, _ in w.headPruned == 0 } }
        return { q, k in w.keptBlocks[(q / b) * columns + k / b] }
    }

    /// ReBERT's window mask (SPEC §3): |i − j| ≤ W, plus the global token 0 both ways.
    public static func windowMask(_ window: Int) -> (Int, Int) -> Bool {
        { q, k in abs(q - k) <= window || q == 0 || k == 0 }
    }
}

/// A memory hierarchy for the IO model (hardware/io-*.json): on-chip memory per compute unit and
/// the slow memory's bandwidth.
public struct IOHierarchy: Sendable, Equatable {
    public var name: String
    public var onChipKiB: Double
    public var wordBytes: Int
    public var slowMemoryGBps: Double
    public var sources: [String: String]

    /// On-chip words M.
    public var onChipWords: Int { Int(onChipKiB * 1024) / wordBytes }

    public static func load(_ text: String, file: String) throws(ConfigError) -> IOHierarchy {
        var r = try ConfigReader.parse(text, file: file)
        let kind = try r.string("kind")
        guard kind == "io" else { throw r.error("kind", "expected \"io\", got \"\(kind)\"") }
        let name = try r.string("name")
        let onChip = try r.quantity("on_chip_kib", minimum: 0.001), word = try r.count("word_bytes")
        // The model counts on-chip words as an Int (KiB · 1024 / word bytes).
        guard onChip.value <= Double(Int32.max) else { throw r.error("on_chip_kib", "must be ≤ \(Int32.max), got \(onChip.value)") }
        let bandwidth = try r.quantity("slow_memory_gbps", minimum: 0.001)
        try r.finish()
        return IOHierarchy(name: name, onChipKiB: onChip.value, wordBytes: word, slowMemoryGBps: bandwidth.value,
                           sources: ["on_chip_kib": onChip.source, "word_bytes": r.sources["word_bytes"] ?? "", "slow_memory_gbps": bandwidth.source])
    }
}
