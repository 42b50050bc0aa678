import AttendKernels
import CAttendKernels
import Foundation
import Testing

@Suite("Row operations vs Reference")
struct RowOpsTests {
    static let widths = [1, 3, 8, 17, 97, 384, 1025]

    @Test("softmax: rows, stride, scale, masked entries and fully masked rows", arguments: widths)
    func softmax(n: Int) {
        let rows = 5, ld = n + 3
        var x = randomFloats(rows * ld, seed: UInt64(n), range: -20...20)
        for i in stride(from: 0, to: n, by: 3) { x[1 * ld + i] = -.infinity }  // row 1 partly masked
        for i in 0..<n { x[3 * ld + i] = -.infinity }  // row 3 fully masked
        let dense = (0..<rows).flatMap { r in x[(r * ld)..<(r * ld + n)] }
        let expected = Reference.softmax(dense, rows: rows, n: n, scale: 0.125)
        x.withUnsafeMutableBufferPointer { RowOps.softmax($0.baseAddress!, rows: rows, n: n, ld: ld, scale: 0.125) }
        for r in 0..<rows { for i in 0..<n {
            let got = x[r * ld + i], want = expected[r * n + i]
            #expect(!got.isNaN)
            // Probabilities: the polynomial exp's 2e-7 relative error plus summation rounding.
            #expect(abs(got - want) <= 1e-6 * max(want, 1e-3), "row \(r) col \(i) of \(n)")
        } }
        for i in 0..<n { #expect(x[3 * ld + i] == 0) }
    }

    @Test("row dot products and weighted row sums (attention read in place): SIMD and portable bodies vs Float64",
          arguments: [1, 3, 17, 64, 97, 111])
    func rowsInPlace(d: Int) {
        for n in Self.widths {
            let ld = d + 5
            let x = randomFloats(d, seed: UInt64(d), range: -2...2), rows = randomFloats(n * ld, seed: UInt64(n * 31 + d), range: -2...2)
            var weights = randomFloats(n, seed: UInt64(n + d), range: 0...1)
            for j in stride(from: 0, to: n, by: 4) { weights[j] = 0 }  // skipped rows
            let wantDot = (0..<n).map { j in (0..<d).reduce(0.0) { $0 + Double(x[$1]) * Double(rows[j * ld + $1]) } }
            let start = randomFloats(d, seed: 7, range: -1...1)
            let wantSum = (0..<d).map { c in (0..<n).reduce(Double(start[c])) { $0 + Double(weights[$1]) * Double(rows[$1 * ld + c]) } }
            for (name, dot, weighted) in [("simd", attend_dot_rows, attend_weighted_rows), ("portable", attend_dot_rows_portable, attend_weighted_rows_portable)] {
                var out = [Float](repeating: .nan, count: n), acc = start
                dot(x, rows, Int32(ld), Int32(n), Int32(d), &out)
                weighted(weights, rows, Int32(ld), Int32(n), Int32(d), &acc)
                let bound = 1e-6 * Double(d)  // |terms| ≤ 4: Float32 summation of d (or n) products
                for j in 0..<n { #expect(abs(Double(out[j]) - wantDot[j]) <= 4 * bound, "\(name) n=\(n) d=\(d) dot row \(j)") }
                for c in 0..<d { #expect(abs(Double(acc[c]) - wantSum[c]) <= 1e-6 * Double(n) * 2 + 1e-6, "\(name) n=\(n) d=\(d) sum column \(c)") }
            }
        }
    }

    @Test("online softmax step vs Float64: fresh and running rows, masked entries, all masked", arguments: widths)
    func onlineSoftmax(n: Int) {
        var g = SeededGenerator(seed: UInt64(n) &+ 99)
        for (startMax, startSum) in [(-Float.infinity, Float(0)), (Float(1.5), Float(3.25)), (Float(40), Float(1))] {
            for maskedFraction in [0.0, 0.3, 1.0] {
                let row = (0..<n).map { _ in Double.random(in: 0..<1, using: &g) < maskedFraction ? -Float.infinity : Float.random(in: -30...30, using: &g) }
                var s = row, m = startMax, l = startSum
                let alpha = s.withUnsafeMutableBufferPointer { RowOps.onlineSoftmaxStep($0.baseAddress!, count: n, scale: 0.125, max: &m, sum: &l) }
                let want = Reference.onlineSoftmaxStep(row, scale: 0.125, max: Double(startMax), sum: Double(startSum))
                let tag = "n=\(n) start m=\(startMax) masked \(maskedFraction)"
                #expect(Double(m) == want.max, "\(tag): max")
                #expect(abs(Double(alpha) - want.alpha) <= 4e-7 * max(1, want.alpha), "\(tag): alpha \(alpha) vs \(want.alpha)")
                #expect(abs(Double(l) - want.sum) <= 1e-6 * max(1, want.sum), "\(tag): sum \(l) vs \(want.sum)")
                // e^x from a Float32 argument x = scale·(s − m'): the polynomial's 2e-7 plus the rounding
                // of the argument itself (≈ 1.2e-7·|x| relative after scaling by log₂e).
                for (index, (got, exact)) in zip(s, want.s).enumerated() {
                    let x = abs((Double(row[index]) - want.max) * 0.125)
                    let bound = (3e-7 + 2e-7 * (x.isFinite ? x : 0)) * exact + 1e-38
                    #expect(abs(Double(got) - exact) <= bound, "\(tag): e \(got) vs \(exact)")
                    if abs(Double(got) - exact) > bound { return }
                }
            }
        }
    }

    @Test("exp: relative error ≤ 2e-7 over the whole Float range, 0 below FLT_MIN")
    func exp() {
        let xs = stride(from: Float(-87.3), through: 88.7, by: 0.0137).map { $0 } + [0, -0.0, 1e-8, -1e-8]
        var ys = [Float](repeating: 0, count: xs.count)
        xs.withUnsafeBufferPointer { x in ys.withUnsafeMutableBufferPointer { RowOps.exp(x.baseAddress!, $0.baseAddress!, count: xs.count) } }
        for (x, y) in zip(xs, ys) {
            let want = Foundation.exp(Double(x))
            #expect(abs(Double(y) - want) / want <= 2e-7, "exp(\(x))")
        }
        let special: [Float] = [-.infinity, -100, .infinity, 100]
        var out = [Float](repeating: 1, count: 4)
        special.withUnsafeBufferPointer { x in out.withUnsafeMutableBufferPointer { RowOps.exp(x.baseAddress!, $0.baseAddress!, count: 4) } }
        #expect(out == [0, 0, .infinity, .infinity])
    }

    @Test("LayerNorm with and without residual", arguments: widths)
    func layerNorm(n: Int) {
        let rows = 4
        let x = randomFloats(rows * n, seed: 7, range: -3...5), res = randomFloats(rows * n, seed: 8)
        let g = randomFloats(n, seed: 9), b = randomFloats(n, seed: 10)
        for residual in [nil, res] {
            let expected = Reference.layerNorm(x, residual: residual, rows: rows, n: n, gamma: g, beta: b, eps: 1e-12)
            var y = x
            y.withUnsafeMutableBufferPointer { yp in
                if let residual {
                    residual.withUnsafeBufferPointer { RowOps.layerNorm(yp.baseAddress!, ld: n, residual: $0.baseAddress, ldr: n, rows: rows, n: n, gamma: g, beta: b, eps: 1e-12) }
                } else {
                    RowOps.layerNorm(yp.baseAddress!, ld: n, residual: nil, ldr: 0, rows: rows, n: n, gamma: g, beta: b, eps: 1e-12)
                }
            }
            for i in 0..<(rows * n) {
                // n = 1 normalises to exactly beta; otherwise ≈ 10 ulps of the O(1) outputs.
                #expect(abs(y[i] - expected[i]) <= 2e-6 * max(1, abs(expected[i])), "n=\(n) i=\(i)")
            }
        }
    }

    /// GELU error budget: erf's absolute error (≤ 3e-7, a few ulps of 1) times x/2 — the
    /// cancellation in 1 + erf(x/√2) for negative x, which PyTorch's Float32 GELU shares — plus rounding.
    @Test("GELU (exact erf) within 1.5e-7·|x| + 2e-7·|gelu(x)|", arguments: widths)
    func gelu(n: Int) {
        var x = randomFloats(n, seed: 11, range: -8...8)
        if n > 3 { x[0] = 0; x[1] = -10; x[2] = 10 }
        let expected = Reference.gelu(x), input = x
        x.withUnsafeMutableBufferPointer { RowOps.gelu($0.baseAddress!, count: n) }
        for i in 0..<n { #expect(abs(x[i] - expected[i]) <= 1.5e-7 * abs(input[i]) + 2e-7 * abs(expected[i]) + 1e-12, "x[\(i)] = \(input[i])") }
    }
}
