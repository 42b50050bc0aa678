import AttendKernels

/// One padded batch of multi-head self-attention inputs, as a model layer produces them.
///
/// Rows are tokens of `batch` sequences padded to `paddedLength` (`row = b·T + t`); the fused
/// projection `qkv: [B·T, 3D]` holds Q in columns `0..<D`, K in `D..<2D`, V in `2D..<3D`, and
/// head h uses columns `h·d..<(h+1)·d` of each (D = H·d). Sequence b has `lengths[b]` real
/// tokens; keys at `t ≥ lengths[b]` are padding (key padding mask) and query rows there are not
/// computed (their output is zero). With `firstQueryOnly`, only query row 0 of each sequence (the
/// [CLS] token) is computed, against all of the sequence's keys; the other rows are zero.
public struct SelfAttentionBatch: @unchecked Sendable {
    /// qkv: [B·T, 3D], row stride `3D`.
    public let qkv: UnsafePointer<Float>
    public let batch: Int, paddedLength: Int, heads: Int, headDim: Int
    /// Real length of each sequence (≤ paddedLength).
    public let lengths: [Int]
    /// Compute only each sequence's first query row (what a classifier head reads).
    public let firstQueryOnly: Bool

    public init(
        qkv: UnsafePointer<Float>, batch: Int, paddedLength: Int, heads: Int, headDim: Int, lengths: [Int],
        firstQueryOnly: Bool = false
    ) {
        precondition(lengths.count == batch && lengths.allSatisfy { $0 >= 0 && $0 <= paddedLength })
        self.qkv = qkv
        self.batch = batch
        self.paddedLength = paddedLength
        self.heads = heads
        self.headDim = headDim
        self.lengths = lengths
        self.firstQueryOnly = firstQueryOnly
    }

    /// Hidden size D = H·d.
    public var hidden: Int { heads * headDim }
}

/// The one function every model layer calls for attention.
///
/// Dense scaled-dot-product attention (SPEC §4.1): per sequence b and head h,
/// `S = Q Kᵀ / √d` over the sequence's real keys, row softmax with max subtraction,
/// `O = P V`, written to `output: [B·T, D]` (row stride D) at the head's columns; padded query rows
/// are zeros. Work is split over (sequence, head) pairs with `Parallel.forEach`; each pair runs its
/// two products on the packed GEMM. Issue #3 turns this into the attention-method engine.
public func selfAttention(_ input: SelfAttentionBatch, output: UnsafeMutablePointer<Float>) {
    let (t, d, hidden) = (input.paddedLength, input.headDim, input.hidden)
    let ldqkv = 3 * hidden
    let scale = 1 / Float(d).squareRoot()
    nonisolated(unsafe) let output = output
    Parallel.forEach(input.batch * input.heads) { task in
        let (b, h) = (task / input.heads, task % input.heads)
        let n = input.lengths[b]                            // keys
        let queries = input.firstQueryOnly ? min(1, n) : n  // query rows computed
        let rows = input.qkv + b * t * ldqkv  // first row of sequence b
        let out = output + b * t * hidden + h * d
        for i in queries..<t { (out + i * hidden).update(repeating: 0, count: d) }
        guard n > 0 else { return }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: queries * n) { scores in
            let s = scores.baseAddress!  // s: [queries, n]
            GEMM.multiply(m: queries, n: n, k: d, a: rows + h * d, lda: ldqkv,
                          b: rows + hidden + h * d, ldb: ldqkv, transposedB: true, c: s, ldc: n)
            RowOps.softmax(s, rows: queries, n: n, ld: n, scale: scale)
            GEMM.multiply(m: queries, n: d, k: n, a: s, lda: n,
                          b: rows + 2 * hidden + h * d, ldb: ldqkv, transposedB: false, c: out, ldc: hidden)
        }
    }
}
