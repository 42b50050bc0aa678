import CAttendKernels

/// Row-wise operations of a Transformer encoder, on the SIMD bodies of `CAttendKernels`.
/// Slow twins live in `Reference`.
public enum RowOps {
    /// In place over `rows` rows of `n` values at stride `ld`:
    /// `x ← softmax(scale · x)` with max subtraction. `-∞` entries get probability 0 and a row
    /// with no finite entry becomes zeros (SPEC §3).
    public static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int, ld: Int, scale: Float = 1) {
        attend_softmax_rows(x, Int32(rows), Int32(n), Int32(ld), scale)
    }

    /// In place: `x ← LayerNorm(x + residual) · gamma + beta` per row of `n` values
    /// (`x: [rows, n]` stride ld, `residual: [rows, n]` stride ldr or nil, `gamma, beta: [n]`).
    public static func layerNorm(
        _ x: UnsafeMutablePointer<Float>, ld: Int, residual: UnsafePointer<Float>?, ldr: Int,
        rows: Int, n: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float
    ) {
        attend_layer_norm_rows(x, Int32(ld), residual, Int32(ldr), Int32(rows), Int32(n), gamma, beta, eps)
    }

    /// In place: `x ← x · ½(1 + erf(x / √2))`, the exact-erf GELU of BERT (`hidden_act = "gelu"`).
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        attend_gelu(x, count)
    }

    /// One online-softmax step over a row of raw scores (FlashAttention, SPEC §4.2; −∞ = masked):
    /// with running max `m` and sum `l`, sets `m' = max(m, max s)`, `s ← e^{scale·(s − m')}`,
    /// `l ← l·α + Σ s`, `m ← m'` and returns `α = e^{scale·(m − m')}` (0 when m was −∞), the factor
    /// for the caller's output row. A row with nothing allowed yet keeps its state, zeroes s, returns 1.
    public static func onlineSoftmaxStep(_ s: UnsafeMutablePointer<Float>, count: Int, scale: Float, max m: inout Float, sum l: inout Float) -> Float {
        attend_online_softmax_row(s, Int32(count), scale, &m, &l)
    }

    /// `y[i] = e^{x[i]}` (polynomial exp; relative error ≤ 2e-7, results below FLT_MIN flushed to 0).
    public static func exp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        attend_exp(x, y, Int32(count))
    }

    /// Embedding gather: `out[i, :] = table[ids[i], :]` for a table `[V, D]`.
    /// Ids must be in `0..<V` (callers validate user input first).
    public static func gather(table: UnsafePointer<Float>, rows: Int, width: Int, ids: [Int], into out: UnsafeMutablePointer<Float>) {
        for (i, id) in ids.enumerated() {
            precondition(id >= 0 && id < rows, "embedding id \(id) outside 0..<\(rows)")
            (out + i * width).update(from: table + id * width, count: width)
        }
    }
}
