import AttendAttention
import Foundation

/// Inputs of one test problem, owned here; `problem(out:)` views them as an AttentionProblem.
struct TestInputs {
    let queries: Int, keys: Int, heads: Int, kvHeads: Int, d: Int
    let q: [Float], k: [Float], v: [Float]  // q: [queries, H·d], k, v: [keys, H_kv·d]
    var mask: AttentionMask

    init(queries: Int, keys: Int, heads: Int, kvHeads: Int? = nil, d: Int, mask: AttentionMask = .none, seed: UInt64) {
        let kvHeads = kvHeads ?? heads
        (self.queries, self.keys, self.heads, self.kvHeads, self.d, self.mask) = (queries, keys, heads, kvHeads, d, mask)
        q = randomFloats(queries * heads * d, seed: seed, range: -2...2)
        k = randomFloats(keys * kvHeads * d, seed: seed &+ 1, range: -2...2)
        v = randomFloats(keys * kvHeads * d, seed: seed &+ 2, range: -1...1)
    }

    /// The same shapes and mask with other q and k (and v).
    init(copying other: TestInputs, q: [Float], k: [Float], v: [Float]? = nil) {
        (queries, keys, heads, kvHeads, d, mask) = (other.queries, other.keys, other.heads, other.kvHeads, other.d, other.mask)
        (self.q, self.k, self.v) = (q, k, v ?? other.v)
    }

    /// Runs `body` on a problem over these inputs writing to a fresh output [queries, H·d] (NaN-filled).
    func run(_ body: (AttentionProblem) -> Void) -> [Float] {
        var out = [Float](repeating: .nan, count: queries * heads * d)
        q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
            out.withUnsafeMutableBufferPointer { op in
                body(AttentionProblem(q: qp.baseAddress!, ldq: heads * d, k: kp.baseAddress!, ldk: kvHeads * d,
                                      v: vp.baseAddress!, ldv: kvHeads * d, out: op.baseAddress!, ldo: heads * d,
                                      queries: queries, keys: keys, heads: heads, kvHeads: kvHeads, headDim: d, mask: mask))
            }
        } } }
        return out
    }
}

/// The Float64 oracle: output [queries, H·d], lse [H][queries], column sums [H][keys].
struct OracleResult {
    var out: [Double]
    var lse: [[Double]]
    var columnSums: [[Double]]
}

func oracle(_ t: TestInputs) -> OracleResult {
    let (nq, nk, d, hq) = (t.queries, t.keys, t.d, t.heads)
    let group = t.heads / t.kvHeads
    var result = OracleResult(out: [Double](repeating: 0, count: nq * hq * d),
                              lse: Array(repeating: [Double](repeating: -.infinity, count: nq), count: hq),
                              columnSums: Array(repeating: [Double](repeating: 0, count: nk), count: hq))
    let scale = 1 / Double(d).squareRoot()
    for h in 0..<hq {
        let g = h / group
        for i in 0..<nq {
            var scores: [(Int, Double)] = []
            for j in 0..<nk where t.mask.allows(head: h, query: i, key: j, keys: nk) {
                var s = 0.0
                for c in 0..<d { s += Double(t.q[i * hq * d + h * d + c]) * Double(t.k[j * t.kvHeads * d + g * d + c]) }
                scores.append((j, s * scale))
            }
            guard let m = scores.map(\.1).max() else { continue }
            let z = scores.reduce(0.0) { $0 + Foundation.exp($1.1 - m) }
            result.lse[h][i] = m + Foundation.log(z)
            for (j, s) in scores {
                let p = Foundation.exp(s - m) / z
                result.columnSums[h][j] += p
                for c in 0..<d { result.out[i * hq * d + h * d + c] += p * Double(t.v[j * t.kvHeads * d + g * d + c]) }
            }
        }
    }
    return result
}

func maxError(_ got: [Float], _ want: [Double]) -> Double {
    zip(got, want).map { abs(Double($0) - $1) }.max() ?? 0
}
