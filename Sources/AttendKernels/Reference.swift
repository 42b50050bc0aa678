import Foundation

/// Slow, obviously correct twins of the fast kernels, in Float64 accumulation where it matters.
/// Tests compare every fast kernel against these over awkward sizes.
public enum Reference {
    /// `c[M, N] = a[M, K] · op(b) (+ bias)`, op(b) = b `[K, N]` or bᵀ when b is given as `[N, K]`.
    public static func matmul(m: Int, n: Int, k: Int, a: [Float], b: [Float], transposedB: Bool, bias: [Float]? = nil) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(a[i * k + p]) * Double(transposedB ? b[j * k + p] : b[p * n + j]) }
                c[i * n + j] = Float(s + Double(bias?[j] ?? 0))
            }
        }
        return c
    }

    /// Softmax of `scale · x` per row of n; `-∞` entries get 0; rows without a finite entry → zeros.
    public static func softmax(_ x: [Float], rows: Int, n: Int, scale: Float = 1) -> [Float] {
        var y = x
        for r in 0..<rows {
            let row = x[(r * n)..<(r * n + n)]
            let m = row.max() ?? -.infinity
            if m == -.infinity {
                for i in 0..<n { y[r * n + i] = 0 }
                continue
            }
            let e = row.map { Foundation.exp(Double(scale) * (Double($0) - Double(m))) }
            let s = e.reduce(0, +)
            for i in 0..<n { y[r * n + i] = Float(e[i] / s) }
        }
        return y
    }

    /// LayerNorm of (x + residual) per row, in Float64.
    public static func layerNorm(_ x: [Float], residual: [Float]?, rows: Int, n: Int, gamma: [Float], beta: [Float], eps: Float) -> [Float] {
        var y = x
        for r in 0..<rows {
            let v = (0..<n).map { Double(x[r * n + $0]) + Double(residual?[r * n + $0] ?? 0) }
            let mean = v.reduce(0, +) / Double(n)
            let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            let inv = 1 / (variance + Double(eps)).squareRoot()
            for i in 0..<n { y[r * n + i] = Float((v[i] - mean) * inv * Double(gamma[i]) + Double(beta[i])) }
        }
        return y
    }

    /// Exact-erf GELU in Float64.
    public static func gelu(_ x: [Float]) -> [Float] {
        x.map { Float(0.5 * Double($0) * (1 + erf(Double($0) / 2.0.squareRoot()))) }
    }

    /// Slow twin of `RowOps.onlineSoftmaxStep`, in Float64: (new s, new m, new l, α).
    public static func onlineSoftmaxStep(_ s: [Float], scale: Double, max m: Double, sum l: Double) -> (s: [Double], max: Double, sum: Double, alpha: Double) {
        let rowMax = s.map(Double.init).max() ?? -.infinity
        let newMax = Swift.max(m, rowMax)
        if newMax == -.infinity { return (s.map { _ in 0 }, m, l, 1) }
        let e = s.map { Foundation.exp((Double($0) - newMax) * scale) }
        let alpha = m == -.infinity ? 0 : Foundation.exp((m - newMax) * scale)
        return (e, newMax, l * alpha + e.reduce(0, +), alpha)
    }
}
