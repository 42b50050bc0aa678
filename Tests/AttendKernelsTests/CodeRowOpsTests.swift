import CAttendKernels
import Foundation
import Testing

/// SpAtten's code-row kernels: int16 query codes · int8 / uint8 key code rows (exact integers) and
/// weighted sums of int8 value code rows, for groups of 1–4 query heads, both bodies.
@Suite("Code-row dot products and weighted sums: SIMD and portable bodies")
struct CodeRowOpsTests {
    @Test("dot products equal the Int64 sums exactly; weighted sums within Float32 rounding of Float64; awkward sizes, groups 1–4",
          arguments: [1, 3, 16, 17, 64, 97, 111])
    func codeRows(d: Int) {
        for n in [1, 3, 4, 8, 17, 97, 384, 1025] {
            for m in 1...Int(ATTEND_SPATTEN_MAX_GROUP) {
                let ld = d + 5
                var g = SeededGenerator(seed: UInt64(n * 131 + d * 7 + m))
                let q = (0..<(m * d)).map { _ in Int16.random(in: -2047...2047, using: &g) }
                let signed = (0..<(n * ld)).map { _ in Int8.random(in: .min ... .max, using: &g) }
                let unsigned = (0..<(n * ld)).map { _ in UInt8.random(in: .min ... .max, using: &g) }
                var weights = randomFloats(m * (n + 2), seed: UInt64(n + d + m), range: 0...1)  // [m, n + 2] (row stride n + 2)
                for j in stride(from: 0, to: weights.count, by: 4) { weights[j] = 0 }  // skipped rows
                let start = randomFloats(m * (d + 1), seed: 7, range: -1...1)  // [m, d + 1]
                func want<T: BinaryInteger>(_ rows: [T]) -> [Int32] {
                    (0..<m).flatMap { h in (0..<n).map { j in Int32((0..<d).reduce(Int64(0)) { $0 + Int64(q[h * d + $1]) * Int64(rows[j * ld + $1]) }) } }
                }
                let wantSum = (0..<m).flatMap { h in (0..<d).map { c in
                    (0..<n).reduce(Double(start[h * (d + 1) + c])) { $0 + Double(weights[h * (n + 2) + $1]) * Double(signed[$1 * ld + c]) }
                } }
                let bodies = [("simd", attend_dot_code_rows, attend_weighted_code_rows), ("portable", attend_dot_code_rows_portable, attend_weighted_code_rows_portable)]
                for (name, dot, weighted) in bodies {
                    var outSigned = [Int32](repeating: .min, count: m * n), outUnsigned = outSigned, acc = start
                    dot(q, Int32(m), signed, 0, Int32(ld), Int32(n), Int32(d), &outSigned, Int32(n))
                    dot(q, Int32(m), unsigned, 1, Int32(ld), Int32(n), Int32(d), &outUnsigned, Int32(n))
                    weighted(weights, Int32(n + 2), Int32(m), signed, Int32(ld), Int32(n), Int32(d), &acc, Int32(d + 1))
                    let tag = "\(name) n=\(n) d=\(d) m=\(m)"
                    #expect(outSigned == want(signed), "\(tag): int8 dots")
                    #expect(outUnsigned == want(unsigned), "\(tag): uint8 dots")
                    let bound = 1.2e-7 * Double(n) * 128 + 1e-6  // |terms| ≤ 128: Float32 summation of n products
                    for h in 0..<m { for c in 0..<d {
                        #expect(abs(Double(acc[h * (d + 1) + c]) - wantSum[h * d + c]) <= bound, "\(tag): sum head \(h) column \(c)")
                    } }
                    #expect(acc[d] == start[d], "\(tag): the padding column is untouched")
                }
            }
        }
    }
}
