import AttendAttention
import Foundation
import Testing

/// Float64 oracle: per sequence and head, softmax(Q Kᵀ/√d) V over the real keys.
private func oracle(qkv: [Float], batch: Int, t: Int, heads: Int, d: Int, lengths: [Int]) -> [Double] {
    let hidden = heads * d, ld = 3 * hidden
    var out = [Double](repeating: 0, count: batch * t * hidden)
    for b in 0..<batch {
        let n = lengths[b]
        for h in 0..<heads {
            for i in 0..<n {
                let q = (0..<d).map { Double(qkv[(b * t + i) * ld + h * d + $0]) }
                let s = (0..<n).map { j in (0..<d).reduce(0.0) { $0 + q[$1] * Double(qkv[(b * t + j) * ld + hidden + h * d + $1]) } / Double(d).squareRoot() }
                let m = s.max()!
                let e = s.map { Foundation.exp($0 - m) }
                let z = e.reduce(0, +)
                for c in 0..<d {
                    out[(b * t + i) * hidden + h * d + c] = (0..<n).reduce(0.0) { $0 + e[$1] / z * Double(qkv[(b * t + $1) * ld + 2 * hidden + h * d + c]) }
                }
            }
        }
    }
    return out
}

@Suite("Dense self-attention vs Float64 oracle")
struct SelfAttentionTests {
    @Test("padded batches, awkward sizes", arguments: [(1, 1, [1]), (3, 5, [1, 5, 7]), (9, 59, [97, 3]), (2, 64, [128, 1, 17])])
    func matchesOracle(heads: Int, d: Int, lengths: [Int]) {
        let t = lengths.max()!, batch = lengths.count, hidden = heads * d
        let qkv = randomFloats(batch * t * 3 * hidden, seed: UInt64(heads * 1000 + d), range: -2...2)
        let expected = oracle(qkv: qkv, batch: batch, t: t, heads: heads, d: d, lengths: lengths)
        var out = [Float](repeating: .nan, count: batch * t * hidden)
        qkv.withUnsafeBufferPointer { q in
            out.withUnsafeMutableBufferPointer { o in
                selfAttention(SelfAttentionBatch(qkv: q.baseAddress!, batch: batch, paddedLength: t, heads: heads, headDim: d, lengths: lengths), output: o.baseAddress!)
            }
        }
        var worst = 0.0
        for b in 0..<batch { for i in 0..<t { for c in 0..<hidden {
            let got = out[(b * t + i) * hidden + c]
            if i >= lengths[b] { #expect(got == 0, "padded query row \(i) of sequence \(b) must be zero") } else {
                worst = max(worst, abs(Double(got) - expected[(b * t + i) * hidden + c]))
            }
        } } }
        // Outputs are convex combinations of V (|V| ≤ 2): Float32 products and the polynomial exp
        // give errors of a few 1e-7 relative; 1e-5 absolute leaves margin and catches any mask bug.
        #expect(worst <= 1e-5, "max error \(worst)")
    }

    @Test("firstQueryOnly computes row 0 exactly as the full attention does and zeroes the rest")
    func firstQueryOnly() {
        let (heads, d, lengths) = (3, 17, [5, 1, 97])
        let t = lengths.max()!, batch = lengths.count, hidden = heads * d
        let qkv = randomFloats(batch * t * 3 * hidden, seed: 77, range: -2...2)
        func run(_ firstOnly: Bool) -> [Float] {
            var out = [Float](repeating: .nan, count: batch * t * hidden)
            qkv.withUnsafeBufferPointer { q in
                out.withUnsafeMutableBufferPointer { o in
                    selfAttention(SelfAttentionBatch(qkv: q.baseAddress!, batch: batch, paddedLength: t, heads: heads, headDim: d,
                                                     lengths: lengths, firstQueryOnly: firstOnly), output: o.baseAddress!)
                }
            }
            return out
        }
        let (full, first) = (run(false), run(true))
        for b in 0..<batch {
            let row0 = (b * t) * hidden
            #expect(Array(first[row0..<(row0 + hidden)]) == Array(full[row0..<(row0 + hidden)]), "sequence \(b) row 0")
            #expect(first[(row0 + hidden)..<((b + 1) * t * hidden)].allSatisfy { $0 == 0 }, "sequence \(b) other rows")
        }
    }
}
