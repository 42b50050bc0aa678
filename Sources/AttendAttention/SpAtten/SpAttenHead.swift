import CAttendKernels
import Foundation

/// One head of SpAtten's attention when progressive quantization or local value pruning is on
/// (SPEC §4.5); otherwise the method runs the tiled kernel. Per query row i over the allowed keys:
/// `s_ij = q_i·k_j / √d` with K's MSBs, `p_i = softmax(s_i)`; if `max_j p_ij < θ` the row is
/// recomputed with the full K. Then local value pruning keeps the V rows of the ⌈(1 − ratio)·keys⌉
/// keys with the largest Σ_i p_ij and `o_i = Σ_{j kept} p_ij v_j` (pruned V rows are not fetched, the
/// kept probabilities are not renormalised). Plain loops: the inputs here are short (≤ 512 tokens) —
/// except a decoder layer's rows on its codes, which run in C.
struct SpAttenHead {
    /// Column sums Σ_i p_ij: [keys] (before value pruning: the token importance).
    var columnSums: [Float]
    /// Rows recomputed with the LSBs, and V rows fetched.
    var requantizedRows: Int
    var valuesFetched: Int

    /// Runs head h of `problem` (no mask other than causal is honoured), writing its output columns.
    init(_ problem: AttentionProblem, head h: Int, quantization: ProgressiveQuantization?, valueRatio: Double) {
        let (nq, nk, d) = (problem.queries, problem.keys, problem.headDim)
        let g = problem.kvHead(of: h)
        let (qp, kp, vp, out) = (problem.q + h * d, problem.k + g * d, problem.v + g * d, problem.out + h * d)
        // q: [nq, d], kMSB, kFull, v: [nk, d] — quantized copies, or the inputs as they are.
        let q, kMSB, kFull, v: [Float]
        if let qz = quantization {
            let perRow = qz.granularity == .token
            q = ProgressiveQuantization.quantized(qp, ld: problem.ldq, rows: nq, d: d, bits: qz.queryBits, perRow: perRow)
            kFull = ProgressiveQuantization.quantized(kp, ld: problem.ldk, rows: nk, d: d, bits: qz.keyBits + qz.lsbBits, perRow: perRow)
            kMSB = qz.lsbBits == 0 ? kFull
                : ProgressiveQuantization.quantized(kp, ld: problem.ldk, rows: nk, d: d, bits: qz.keyBits + qz.lsbBits, droppedLSBs: qz.lsbBits, perRow: perRow)
            v = ProgressiveQuantization.quantized(vp, ld: problem.ldv, rows: nk, d: d, bits: qz.valueBits, perRow: perRow)
        } else {
            q = Self.copy(qp, ld: problem.ldq, rows: nq, d: d)
            kFull = Self.copy(kp, ld: problem.ldk, rows: nk, d: d)
            kMSB = kFull
            v = Self.copy(vp, ld: problem.ldv, rows: nk, d: d)
        }
        let scale = problem.scale
        let threshold = Float(quantization?.threshold ?? 0)
        var p = [Float](repeating: 0, count: nq * nk)  // P: [nq, nk]
        var sums = [Float](repeating: 0, count: nk)
        var requantized = 0
        for i in 0..<nq {
            let allowed = problem.mask.causal ? max(0, min(nk, i + problem.mask.causalOffset + 1)) : nk
            guard allowed > 0 else { continue }
            Self.softmaxRow(q, i, kMSB, allowed, d, scale, &p, nk)
            if quantization != nil, kMSB != kFull {
                var peak: Float = 0
                for j in 0..<allowed { peak = max(peak, p[i * nk + j]) }
                if peak < threshold {
                    Self.softmaxRow(q, i, kFull, allowed, d, scale, &p, nk)
                    requantized += 1
                }
            }
            for j in 0..<allowed { sums[j] += p[i * nk + j] }
        }
        let keep = SpAttenSchedule.keptCount(ratio: valueRatio, of: nk)
        let kept = keep == nk ? Array(0..<nk) : TopK.select(sums, k: keep)
        for i in 0..<nq {
            let o = out + i * problem.ldo
            var acc = [Float](repeating: 0, count: d)
            for j in kept {
                let pij = p[i * nk + j]
                if pij == 0 { continue }
                for c in 0..<d { acc[c] += pij * v[j * d + c] }
            }
            for c in 0..<d { o[c] = acc[c] }
        }
        (columnSums, requantizedRows, valuesFetched) = (sums, requantized, keep)
    }

    private init(columnSums: [Float], requantizedRows: Int, valuesFetched: Int) {
        (self.columnSums, self.requantizedRows, self.valuesFetched) = (columnSums, requantizedRows, valuesFetched)
    }

    /// Runs `heads` (at most ATTEND_SPATTEN_MAX_GROUP, sharing one KV head) of a causal `problem` on its
    /// layer's codes (`cache`, which holds the problem's keys), no value pruning: per query row
    /// `attend_spatten_code_rows`, Q quantized per row and head (codes and scale, queryBits bits).
    static func onCodes(_ problem: AttentionProblem, heads: [Int], codes cache: QuantizedKVCache, quantization qz: ProgressiveQuantization) -> [SpAttenHead] {
        let (nq, nk, d, m) = (problem.queries, problem.keys, problem.headDim, heads.count)
        let g = problem.kvHead(of: heads[0])
        precondition(cache.rows == nk && (1...Int(ATTEND_SPATTEN_MAX_GROUP)).contains(m) && heads.allSatisfy { problem.kvHead(of: $0) == g },
                     "SpAtten: \(cache.rows) quantized rows for \(nk) keys, \(m) heads of KV head \(g)")
        var q = [Int16](repeating: 0, count: m * d), qScales = [Float](repeating: 0, count: m)
        var sums = [Float](repeating: 0, count: m * nk), requantized = [Int](repeating: 0, count: m), flags = [Int32](repeating: 0, count: m)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: 4 * ((2 * m + 2) * nk + m * d), alignment: 64)
        defer { scratch.deallocate() }
        var outputs = [UnsafeMutablePointer<Float>?](repeating: nil, count: m)
        cache.withCodes(head: g) { codes in
            var codes = codes
            (codes.scale, codes.threshold) = (problem.scale, Float(qz.threshold))
            for i in 0..<nq {
                for (r, h) in heads.enumerated() {
                    let row = problem.q + i * problem.ldq + h * d
                    let s = ProgressiveQuantization.scale(row, ld: d, rows: 1, d: d, bits: qz.queryBits)
                    qScales[r] = s
                    for c in 0..<d { q[r * d + c] = s > 0 ? Int16(ProgressiveQuantization.code(row[c], scale: s, bits: qz.queryBits)) : 0 }
                    outputs[r] = problem.out + i * problem.ldo + h * d
                }
                let allowed = max(0, min(nk, i + problem.mask.causalOffset + 1))
                attend_spatten_code_rows(&codes, q, qScales, Int32(m), Int32(allowed), &sums, scratch, outputs, &flags)
                for r in 0..<m { requantized[r] += Int(flags[r]) }
            }
        }
        return (0..<m).map { r in SpAttenHead(columnSums: Array(sums[(r * nk)..<((r + 1) * nk)]), requantizedRows: requantized[r], valuesFetched: nk) }
    }

    /// p[i, 0..<allowed] = softmax_j(q_i·k_j · scale) (max subtracted); p[i, allowed..<nk] = 0.
    private static func softmaxRow(_ q: [Float], _ i: Int, _ k: [Float], _ allowed: Int, _ d: Int, _ scale: Float, _ p: inout [Float], _ nk: Int) {
        var m = -Float.infinity
        for j in 0..<allowed {
            var s: Float = 0
            for c in 0..<d { s += q[i * d + c] * k[j * d + c] }
            p[i * nk + j] = s * scale
            m = max(m, s * scale)
        }
        var z: Float = 0
        for j in 0..<allowed {
            let e = Foundation.exp(p[i * nk + j] - m)
            p[i * nk + j] = e
            z += e
        }
        for j in 0..<allowed { p[i * nk + j] /= z }
        for j in allowed..<nk { p[i * nk + j] = 0 }
    }

    private static func copy(_ x: UnsafePointer<Float>, ld: Int, rows: Int, d: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * d)
        for i in 0..<rows { for c in 0..<d { out[i * d + c] = x[i * ld + c] } }
        return out
    }
}
