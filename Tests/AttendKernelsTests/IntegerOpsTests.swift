import AttendKernels
import Foundation
import Testing

/// Awkward row lengths (SPEC §7).
private let lengths = [1, 3, 97, 1025]

private func randomInts(_ count: Int, in range: ClosedRange<Int32>, seed: UInt64) -> [Int32] {
    var g = SeededGenerator(seed: seed)
    return (0..<count).map { _ in Int32.random(in: range, using: &g) }
}

@Suite("Integer-only kernels (I-BERT) vs their Float64 twins")
struct IntegerOpsTests {
    @Test("dyadic b/2^c is within 2^(−c−1) of m, |b| < 2^bits")
    func dyadic() {
        var g = SeededGenerator(seed: 1)
        for _ in 0..<2000 {
            let m = (Bool.random(using: &g) ? 1 : -1) * Foundation.pow(10, Double.random(in: -9...4, using: &g))
            for bits in [15, 23, 31] {
                let d = Dyadic(m, bits: bits)
                #expect(abs(d.value - m) <= Foundation.pow(2, Double(-d.shift - 1)), "m \(m) bits \(bits)")
                #expect(d.multiplier.magnitude < UInt64(1) << UInt64(bits))
            }
        }
        #expect(Dyadic(0).multiplier == 0)
    }

    @Test("requantization equals the wide-integer model exactly and is within 1/2 + |x|·2^(−c−1) of x·m", arguments: lengths)
    func requantize(n: Int) {
        let rows = 3
        let x = randomInts(rows * n, in: Int32.min...Int32.max, seed: UInt64(n)) + [Int32.max, Int32.min, 0]
        let all = x.count / n  // whole rows
        var g = SeededGenerator(seed: UInt64(n) + 7)
        let m = (0..<n).map { _ in (Bool.random(using: &g) ? 1 : -1) * Foundation.pow(2, Double.random(in: -30...(-1), using: &g)) }
        let offsets = randomInts(n, in: -50...50, seed: 3)
        let r = Requantization(multipliers: m, offsets: offsets, zero: 7, range: -1000...1000)
        let ru8 = Requantization(multipliers: m, offsets: offsets, zero: 128, range: 0...255)
        var o32 = [Int32](repeating: 0, count: all * n), o8 = [UInt8](repeating: 0, count: all * n), os8 = [Int8](repeating: 0, count: all * n)
        let rs8 = Requantization(multipliers: m, range: -64...63)
        x.withUnsafeBufferPointer { xp in
            IntegerOps.requantize(xp.baseAddress!, ldx: n, rows: all, r, into: &o32, ldo: n)
            IntegerOps.requantize(xp.baseAddress!, ldx: n, rows: all, ru8, into: &o8, ldo: n)
            IntegerOps.requantize(xp.baseAddress!, ldx: n, rows: all, rs8, into: &os8, ldo: n)
        }
        for i in 0..<(all * n) {
            let c = i % n
            let v = Reference.dyadicRound(Int64(x[i]), multiplier: Int64(r.multipliers[c]), shift: Int(r.shifts[c]))
            let real = Double(x[i]) * m[c]
            #expect(abs(Double(v) - real) <= 0.5 + abs(Double(x[i])) * Foundation.pow(2, Double(-Int(r.shifts[c]) - 1)))
            #expect(Int64(o32[i]) == min(1000, max(-1000, v + Int64(offsets[c]) + 7)))
            #expect(Int64(o8[i]) == min(255, max(0, v + Int64(offsets[c]) + 128)))
            #expect(Int64(os8[i]) == min(63, max(-64, v)))
        }
    }

    @Test("residual add equals the model exactly", arguments: lengths)
    func residual(n: Int) {
        let rows = 2
        let a = randomInts(rows * n, in: -(1 << 28)...(1 << 28), seed: UInt64(n) + 11)
        let res = randomInts(rows * n, in: 0...255, seed: UInt64(n) + 12).map { UInt8($0) }
        let m = (0..<n).map { Double($0 % 7 + 1) * 1e-4 }
        let ra = Requantization(multipliers: m, range: -(1 << 21)...(1 << 21 - 1))
        let mr = Dyadic(37.25)
        var out = [Int32](repeating: 0, count: rows * n)
        a.withUnsafeBufferPointer { ap in res.withUnsafeBufferPointer { rp in
            IntegerOps.residualAdd(ap.baseAddress!, lda: n, ra, residual: rp.baseAddress!, ldr: n, zero: 100, mr, rows: rows, into: &out, ldo: n)
        } }
        for i in 0..<(rows * n) {
            let c = i % n
            let v = Reference.dyadicRound(Int64(a[i]), multiplier: Int64(ra.multipliers[c]), shift: Int(ra.shifts[c]))
                + Reference.dyadicRound(Int64(res[i]) - 100, multiplier: mr.multiplier, shift: mr.shift)
            #expect(Int64(out[i]) == min(Int64(1 << 21 - 1), max(-(1 << 21), v)))
        }
    }

    @Test("isqrt is ⌊√n⌋ exactly")
    func isqrt() {
        var values: [Int64] = [0, 1, 2, 3, 4, 5, 8, 9, 15, 16, 17, 1 << 31 - 1, 1 << 31, 1 << 62, 1 << 62 - 1, Int64.max, 999_999_999_999]
        for k in 1..<62 { let s = Int64(1) << Int64(k); values += [s - 1, s, s + 1] }
        for r in [Int64(3_037_000_499), 46_341, 65_535] { values += [r * r - 1, r * r, r * r + 1] }
        var g = SeededGenerator(seed: 5)
        values += (0..<5000).map { _ in Int64.random(in: 0...Int64.max, using: &g) >> Int64.random(in: 0...62, using: &g) }
        for v in values { #expect(IntegerOps.isqrt(v) == Reference.integerSquareRoot(v), "n = \(v)") }
    }

    /// |out/256 − p| ≤ 1/256 (output floor and the 255 clip) + 0.7 %·p (I-BERT's exp fit, 0.31 % in
    /// numerator and sum) + 3·S (⌊b/S⌋, ⌊−ln 2/S⌋ rounded to the input grid).
    @Test("i-softmax is within 1/256 + 0.007·p + 3S of softmax(S·x)", arguments: lengths)
    func softmax(n: Int) {
        for (t, s) in [1e-4, 1e-3, 4e-3, 0.02].enumerated() {
            let rows = 4
            let span = Int32(min(Double(Int32.max / 2), 12 / s))  // scores spanning ±12 in real units
            let x = randomInts(rows * n, in: -span...span, seed: UInt64(n * 10 + t))
            let valid: [Int32] = [Int32(n), Int32(max(0, n - 1)), 0, Int32((n + 1) / 2)]
            let k = SoftmaxConstants(inputScale: s)
            var out = [UInt8](repeating: 9, count: rows * n)
            x.withUnsafeBufferPointer { xp in valid.withUnsafeBufferPointer { vp in
                IntegerOps.softmax(xp.baseAddress!, ldx: n, rows: rows, n: n, valid: vp.baseAddress!, k, into: &out, ldo: n)
            } }
            let p = Reference.integerScoresSoftmax(x, rows: rows, n: n, valid: valid.map(Int.init), scale: s)
            for i in 0..<(rows * n) {
                #expect(abs(Double(out[i]) / 256 - p[i]) <= 1.0 / 256 + 0.007 * p[i] + 3 * s, "n \(n) S \(s) entry \(i): \(out[i]) vs \(p[i])")
                if p[i] == 0 { #expect(out[i] == 0) }
            }
        }
    }

    /// |out·S_out − GELU(S·q)| ≤ 0.0182 (I-BERT's erf fit) + |x|·(S + |S_erf|) (⌊b/S_e⌋ and the
    /// floor of the shifted erf) + S_out.
    @Test("i-GELU is within 0.0182 + |x|·(S + |S_erf|) of GELU", arguments: lengths)
    func gelu(n: Int) {
        for (t, s) in [8.0 / 65535, 1e-3, 1e-2].enumerated() {
            let limit = Int32(min(65535, 9 / s))
            let q = randomInts(n, in: -limit...limit, seed: UInt64(n * 3 + t)) + [0, limit, -limit]
            let k = GELUConstants(inputScale: s)
            let sErf = 2 * k.outputScale / s
            var out = [Int32](repeating: 0, count: q.count)
            q.withUnsafeBufferPointer { IntegerOps.gelu($0.baseAddress!, count: q.count, k, into: &out) }
            for (i, v) in q.enumerated() {
                let x = s * Double(v)
                #expect(abs(Double(out[i]) * k.outputScale - Reference.gelu(x)) <= 0.0182 + abs(x) * (s + abs(sErf)) + k.outputScale,
                        "S \(s) q \(v): \(Double(out[i]) * k.outputScale) vs \(Reference.gelu(x))")
            }
        }
    }

    /// |out·unit − ŷ| ≤ (2.5|ŷ| + 0.5·√N)/σ' + 2·unit, σ' = √Σ(x − mean)² (mean rounding, isqrt's
    /// floor, ⌊2^31/σ'⌋ and the final shift).
    @Test("i-LayerNorm is within (2.5|ŷ| + 0.5√N)/σ' + 2·unit of (x − mean)/std", arguments: lengths)
    func layerNorm(n: Int) {
        let rows = 3
        var x = randomInts(rows * n, in: -(1 << 22)...(1 << 22), seed: UInt64(n) + 99)
        for j in 0..<n { x[n + j] = 12345 }                    // a constant row: outputs 0
        for j in 0..<n { x[2 * n + j] = Int32(j % 5) * 3000 - 7 } // few distinct values
        var out = [Int32](repeating: 1, count: rows * n)
        x.withUnsafeBufferPointer { IntegerOps.layerNorm($0.baseAddress!, ldx: n, rows: rows, n: n, into: &out, ldo: n) }
        let reference = Reference.normalizedRows(x, rows: rows, n: n), unit = IntegerOps.layerNormUnit(n: n)
        for i in 0..<rows {
            let row = x[(i * n)..<(i * n + n)].map(Double.init), mean = row.reduce(0, +) / Double(n)
            let sigma = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +).squareRoot()
            for j in 0..<n {
                let y = reference[i * n + j], got = Double(out[i * n + j]) * unit
                let bound = sigma > 0 ? (2.5 * abs(y) + 0.5 * Double(n).squareRoot()) / sigma + 2 * unit : 0
                #expect(abs(got - y) <= bound, "n \(n) row \(i) col \(j): \(got) vs \(y)")
            }
        }
    }
}
