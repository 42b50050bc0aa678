import CAttendKernels
import Foundation
import Testing

/// SpAtten's code-row kernels (int8 / uint8 K rows, int8 V rows) against Float64, both bodies.
@Suite("Code-row dot products and weighted sums vs Float64")
struct CodeRowOpsTests {
    @Test("int8 and uint8 row dot products, int8 weighted row sums: SIMD and portable bodies on awkward sizes",
          arguments: [1, 3, 17, 64, 97, 111])
    func codeRows(d: Int) {
        for n in [1, 3, 8, 17, 97, 384, 1025] {
            let ld = d + 5
            var g = SeededGenerator(seed: UInt64(n * 131 + d))
            let x = randomFloats(d, seed: UInt64(d), range: -2...2)
            let signed = (0..<(n * ld)).map { _ in Int8.random(in: .min ... .max, using: &g) }
            let unsigned = (0..<(n * ld)).map { _ in UInt8.random(in: .min ... .max, using: &g) }
            var weights = randomFloats(n, seed: UInt64(n + d), range: 0...1)
            for j in stride(from: 0, to: n, by: 4) { weights[j] = 0 }  // skipped rows
            let start = randomFloats(d, seed: 7, range: -1...1)
            let wantSigned = (0..<n).map { j in (0..<d).reduce(0.0) { $0 + Double(x[$1]) * Double(signed[j * ld + $1]) } }
            let wantUnsigned = (0..<n).map { j in (0..<d).reduce(0.0) { $0 + Double(x[$1]) * Double(unsigned[j * ld + $1]) } }
            let wantSum = (0..<d).map { c in (0..<n).reduce(Double(start[c])) { $0 + Double(weights[$1]) * Double(signed[$1 * ld + c]) } }
            let bodies = [("simd", attend_dot_i8_rows, attend_dot_u8_rows, attend_weighted_i8_rows),
                          ("portable", attend_dot_i8_rows_portable, attend_dot_u8_rows_portable, attend_weighted_i8_rows_portable)]
            for (name, dotSigned, dotUnsigned, weighted) in bodies {
                var outSigned = [Float](repeating: .nan, count: n), outUnsigned = outSigned, acc = start
                dotSigned(x, signed, Int32(ld), Int32(n), Int32(d), &outSigned)
                dotUnsigned(x, unsigned, Int32(ld), Int32(n), Int32(d), &outUnsigned)
                weighted(weights, signed, Int32(ld), Int32(n), Int32(d), &acc)
                // |terms| ≤ 2·255: Float32 summation of d (or n) products, relative 6e-8 per add.
                let dotBound = 1.2e-7 * Double(d) * 2 * 255, sumBound = 1.2e-7 * Double(n) * 128 + 1e-6
                for j in 0..<n {
                    #expect(abs(Double(outSigned[j]) - wantSigned[j]) <= dotBound, "\(name) n=\(n) d=\(d) int8 dot row \(j)")
                    #expect(abs(Double(outUnsigned[j]) - wantUnsigned[j]) <= dotBound, "\(name) n=\(n) d=\(d) uint8 dot row \(j)")
                }
                for c in 0..<d { #expect(abs(Double(acc[c]) - wantSum[c]) <= sumBound, "\(name) n=\(n) d=\(d) sum column \(c)") }
            }
        }
    }
}
