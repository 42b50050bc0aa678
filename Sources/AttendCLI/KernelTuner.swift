import AttendAttention
import AttendKernels
import Foundation

/// Measures kernel-parameter candidates on this machine (`attend tune`): coordinate descent from
/// a starting configuration, one parameter at a time over its candidate values, each candidate
/// timed on the products and attention shapes of a BERT-base forward; a candidate replaces the
/// incumbent only when it is faster by more than `margin`, first on one timing and then on the
/// medians of three alternate timings of both (so that noise does not move the choice).
struct KernelTuner {
    /// One timed candidate.
    struct Trial {
        var axis: String, value: Int, ms: Double, chosen: Bool
    }

    let threads: Int
    let repeats: Int
    let margin: Double
    let progress: (String) -> Void

    /// GEMM objective: Σ median times of the linear layers of a BERT-base layer at 128 tokens
    /// (768→2304 QKV, 768→768 output, 768→3072, 3072→768) and of a 768³ product with B packed on the
    /// fly, on `threads` threads. Weights are packed under the candidate's depth block.
    func gemmMilliseconds(_ config: KernelConfig) -> Double {
        var total = 0.0
        for (m, k, n) in [(128, 768, 2304), (128, 768, 768), (128, 768, 3072), (128, 3072, 768)] {
            let a = Self.values(m * k, seed: 1), weight = PackedMatrix(b: Self.values(k * n, seed: 2), k: k, n: n, ldb: n, transposed: false,
                                                                     depthBlock: config.gemmDepthBlock)
            var c = [Float](repeating: 0, count: m * n)
            total += medianMilliseconds(repeats: repeats, warmups: 1) {
                a.withUnsafeBufferPointer { ap in c.withUnsafeMutableBufferPointer { cp in
                    GEMM.multiply(m: m, a: ap.baseAddress!, lda: k, b: weight, bias: nil, c: cp.baseAddress!, ldc: n, threads: threads, config: config)
                } }
            }
        }
        let size = 768, a = Self.values(size * size, seed: 3), b = Self.values(size * size, seed: 4)
        var c = [Float](repeating: 0, count: size * size)
        total += medianMilliseconds(repeats: repeats, warmups: 1) {
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                GEMM.multiply(m: size, n: size, k: size, a: ap.baseAddress!, lda: size, b: bp.baseAddress!, ldb: size,
                              transposedB: false, c: cp.baseAddress!, ldc: size, threads: threads, config: config)
            } } }
        }
        return total
    }

    /// Attention objective: Σ median times of tiled attention over 12 heads × 512 tokens (a
    /// BERT-base layer at seq 512) and one head × 2048 tokens, d = 64.
    func attentionMilliseconds(_ config: KernelConfig) -> Double {
        Parallel.threads = threads
        var total = 0.0
        for (n, heads) in [(512, 12), (2048, 1)] {
            let width = heads * 64
            let q = Self.values(n * width, seed: 5), k = Self.values(n * width, seed: 6), v = Self.values(n * width, seed: 7)
            var out = [Float](repeating: 0, count: n * width)
            total += medianMilliseconds(repeats: repeats, warmups: 1) {
                q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
                    out.withUnsafeMutableBufferPointer { op in
                        let problem = AttentionProblem(q: qp.baseAddress!, ldq: width, k: kp.baseAddress!, ldk: width, v: vp.baseAddress!,
                                                       ldv: width, out: op.baseAddress!, ldo: width, queries: n, keys: n, heads: heads, headDim: 64)
                        _ = TiledAttention.run([problem], config: config)
                    }
                } } }
            }
        }
        return total
    }

    /// Runs `passes` rounds of coordinate descent from `start`; returns the choice and every trial.
    func tune(from start: KernelConfig, passes: Int, deadline: UInt64) -> (config: KernelConfig, trials: [Trial], startMs: (gemm: Double, attention: Double), endMs: (gemm: Double, attention: Double)) {
        var best = start
        var bestGEMM = gemmMilliseconds(best), bestAttention = attentionMilliseconds(best)
        let startMs = (bestGEMM, bestAttention)
        var trials: [Trial] = []
        for pass in 0..<passes {
            var changed = false
            for (key, values) in KernelConfig.candidates {
                let attention = key.hasPrefix("attention")
                for value in values where value != best.value(of: key) {
                    guard DispatchTime.now().uptimeNanoseconds < deadline else { return (best, trials, startMs, (bestGEMM, bestAttention)) }
                    let candidate = best.with(key, value)
                    let objective = attention ? attentionMilliseconds : gemmMilliseconds
                    var ms = objective(candidate)
                    var incumbent = attention ? bestAttention : bestGEMM
                    var better = ms < incumbent * (1 - margin)
                    if better {  // Confirm against noise: time the two alternately and compare medians.
                        (ms, incumbent) = confirm(candidate, against: best, objective)
                        better = ms < incumbent * (1 - margin)
                        if attention { bestAttention = incumbent } else { bestGEMM = incumbent }
                    }
                    trials.append(Trial(axis: key, value: value, ms: ms, chosen: better))
                    progress(String(format: "  pass %d  %@ = %d: %.2f ms (best %.2f)%@", pass + 1, key, value, ms, incumbent, better ? "  ← better" : ""))
                    if better {
                        best = candidate
                        changed = true
                        if attention { bestAttention = ms } else { bestGEMM = ms }
                    }
                }
            }
            if !changed { break }
        }
        return (best, trials, startMs, (bestGEMM, bestAttention))
    }

    /// Medians of three alternate timings of `candidate` and `incumbent` (candidate first).
    func confirm(_ candidate: KernelConfig, against incumbent: KernelConfig, _ objective: (KernelConfig) -> Double) -> (Double, Double) {
        var (a, b): ([Double], [Double]) = ([], [])
        for _ in 0..<3 {
            a.append(objective(candidate))
            b.append(objective(incumbent))
        }
        return (a.sorted()[1], b.sorted()[1])
    }

    /// Deterministic values in [−0.5, 0.5).
    static func values(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float((($0 &* 2654435761) &+ seed &* 40503) % 1009) / 1009 - 0.5 }
    }
}
