import AttendKernels
import Foundation

/// The row operations decoders add to the encoder's (`RowOps`): RMSNorm, rotary position
/// embeddings, SwiGLU and the tanh GELU. Rows are `[n, width]` at stride `ld`.
enum DecoderRowOps {
    /// `out[i, :] = x[i, :] / √(mean(x[i, :]²) + eps) · weight` (RMSNorm, Zhang & Sennrich 2019;
    /// Llama's `input_layernorm`). The mean of squares is accumulated in Double. x, out: [n, D].
    static func rmsNorm(_ x: UnsafePointer<Float>, ld: Int, rows n: Int, weight: [Float], eps: Float,
                        into out: UnsafeMutablePointer<Float>, ldo: Int) {
        let d = weight.count
        weight.withUnsafeBufferPointer { w in
            for i in 0..<n {
                let row = x + i * ld, dst = out + i * ldo
                var sum: Double = 0
                for j in 0..<d { sum += Double(row[j]) * Double(row[j]) }
                let scale = Float(1 / (sum / Double(d) + Double(eps)).squareRoot())
                for j in 0..<d { dst[j] = w[j] * (row[j] * scale) }
            }
        }
    }

    /// `out[i, :] = LayerNorm(x[i, :]) · gamma + beta` out of place (GPT-2's pre-norm). x, out: [n, D].
    static func layerNorm(_ x: UnsafePointer<Float>, ld: Int, rows n: Int, gamma: [Float], beta: [Float], eps: Float,
                          into out: UnsafeMutablePointer<Float>, ldo: Int) {
        let d = gamma.count
        for i in 0..<n { (out + i * ldo).update(from: x + i * ld, count: d) }
        gamma.withUnsafeBufferPointer { g in
            beta.withUnsafeBufferPointer { b in
                RowOps.layerNorm(out, ld: ldo, residual: nil, ldr: 0, rows: n, n: d, gamma: g.baseAddress!, beta: b.baseAddress!, eps: eps)
            }
        }
    }

    /// `gate[i] ← gate[i] · σ(gate[i]) · up[i]` (SwiGLU, Shazeer 2020: SiLU(x·W_gate) ⊙ (x·W_up)),
    /// over `count` contiguous values, e^{−g} by the vector exp 256 values at a time.
    static func swiGLU(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        let chunk = 256
        withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk) { scratch in
            let e = scratch.baseAddress!
            for start in stride(from: 0, to: count, by: chunk) {
                let m = min(chunk, count - start), g = gate + start, u = up + start
                for i in 0..<m { e[i] = -g[i] }
                RowOps.exp(e, e, count: m)
                for i in 0..<m { g[i] = g[i] / (1 + e[i]) * u[i] }
            }
        }
    }

    /// In place: `x ← ½x(1 + tanh(√(2/π)(x + 0.044715x³)))`, GPT-2's `gelu_new`, over `count` values.
    static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let c = Float((2 / Double.pi).squareRoot())
        for i in 0..<count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + Foundation.tanh(c * (v + 0.044715 * v * v * v)))
        }
    }

    /// Moves rows `keep[0], keep[1], …` (ascending) of `x: [n, width]` (stride ld) to rows 0, 1, … in place.
    static func compactRows(_ x: UnsafeMutablePointer<Float>, ld: Int, width: Int, keep: [Int]) {
        for (row, index) in keep.enumerated() where index != row {
            precondition(index > row, "compactRows: indices must ascend")
            (x + row * ld).update(from: x + index * ld, count: width)
        }
    }

    /// `x[i, :] += y[i, :]` over n rows of width d (residual connections).
    static func add(_ y: UnsafePointer<Float>, ldy: Int, to x: UnsafeMutablePointer<Float>, ldx: Int, rows n: Int, width d: Int) {
        for i in 0..<n {
            let (dst, src) = (x + i * ldx, y + i * ldy)
            for j in 0..<d { dst[j] += src[j] }
        }
    }
}

/// Rotary position embeddings (RoPE, Su et al. 2021, arXiv 2104.09864): pair p of a head vector at
/// position t is rotated by the angle t·θ_p with θ_p = base^(−2p/r) over the first r = `dimensions`
/// entries. Which entries form pair p is the checkpoint's convention (`Pairing`).
struct RotaryEmbedding: Sendable {
    /// Which two entries of a head vector form rotation pair p.
    enum Pairing: Sendable {
        /// (2p, 2p + 1): llama.cpp's normal mode on GGUF weights, whose converter permuted the rows of
        /// W_Q and W_K (`permute(w, n_head)` in convert_hf_to_gguf.py) so that this equals the Hugging
        /// Face layout's rotation.
        case adjacent
        /// (p, p + r/2): Hugging Face's `rotate_half` (GPT-NeoX style) on safetensors weights.
        case halves
    }

    let dimensions: Int
    let pairing: Pairing
    /// θ_p in Float, as Hugging Face's `inv_freq` (1 / base^(2p/r), computed in Double, rounded once).
    private let inverseFrequencies: [Float]

    init(dimensions: Int, base: Double, pairing: Pairing) {
        precondition(dimensions >= 2 && dimensions % 2 == 0, "RoPE dimensions must be even")
        self.dimensions = dimensions
        self.pairing = pairing
        inverseFrequencies = (0..<(dimensions / 2)).map { Float(1 / Foundation.pow(base, Double(2 * $0) / Double(dimensions))) }
    }

    /// Rotates, in place, `heads` head vectors of width d (`headDim`) in each row of
    /// `x: [positions.count, heads·d]` (stride ld), row i at position `positions[i]`. The angle is Float(t)·θ_p in Float, its cos
    /// and sin taken in Double and rounded (Hugging Face computes both in Float32).
    func apply(_ x: UnsafeMutablePointer<Float>, ld: Int, heads: Int, headDim d: Int, positions: [Int]) {
        let half = dimensions / 2
        var cosines = [Float](repeating: 0, count: half), sines = [Float](repeating: 0, count: half)
        for (i, position) in positions.enumerated() {
            let t = Float(position)
            for p in 0..<half {
                let angle = Double(t * inverseFrequencies[p])
                (cosines[p], sines[p]) = (Float(Foundation.cos(angle)), Float(Foundation.sin(angle)))
            }
            for h in 0..<heads {
                let v = x + i * ld + h * d
                for p in 0..<half {
                    let (a, b) = pairing == .adjacent ? (2 * p, 2 * p + 1) : (p, p + half)
                    let (x0, x1) = (v[a], v[b])
                    v[a] = x0 * cosines[p] - x1 * sines[p]
                    v[b] = x0 * sines[p] + x1 * cosines[p]
                }
            }
        }
    }
}
