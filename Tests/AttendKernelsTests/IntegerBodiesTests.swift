import AttendKernels
import Foundation
import Testing

/// Awkward row lengths (SPEC §7), and 16 and 31 for the AVX-512 bodies' whole and masked 16-lane steps.
private let lengths = [1, 3, 16, 31, 97, 1025]
/// The bodies this CPU runs (AVX2 where it has AVX2, AVX-512 where it has AVX-512 VNNI).
private let bodies: [Int8Body] = [.portable, .avx2, .avx512VNNI].filter(\.isAvailable)

private func randomInts(_ count: Int, in range: ClosedRange<Int32>, seed: UInt64) -> [Int32] {
    var g = SeededGenerator(seed: seed)
    return (0..<count).map { _ in Int32.random(in: range, using: &g) }
}

/// x with the extremes of int32 and 0 mixed in at the front, middle and end.
private func withExtremes(_ x: [Int32]) -> [Int32] {
    var x = x
    for (i, v) in [Int32.max, Int32.min, 0, -1, 1].enumerated() where !x.isEmpty {
        x[(i * 7919) % x.count] = v
    }
    return x
}

/// The integer kernels' results are exact integers: every body must give the portable body's bits,
/// on awkward sizes and on extreme inputs (where an AVX2 body declines, the portable one runs).
@Suite("Integer-only kernels: every body gives the portable body's integers")
struct IntegerBodiesTests {
    @Test("requantize (u8, s8, i32; with bias and offsets): bodies equal", arguments: lengths)
    func requantize(n: Int) {
        let rows = 4
        let x = withExtremes(randomInts(rows * n, in: Int32.min...Int32.max, seed: UInt64(n) + 1))
        let bias = randomInts(n, in: Int32.min...Int32.max, seed: UInt64(n) + 2)
        var g = SeededGenerator(seed: UInt64(n) + 3)
        let m = (0..<n).map { _ in (Bool.random(using: &g) ? 1 : -1) * Foundation.pow(2, Double.random(in: -40...(-1), using: &g)) }
        // Multipliers up to 16 on some columns: there the product passes ±2^30 and the clamp must act (the
        // AVX2 body skips it only for column groups whose every |multiplier| < 1/2).
        let large = m.enumerated().map { $0.offset % 11 == 5 ? $0.element * Foundation.pow(2, Double(($0.offset % 5) + 1)) : $0.element }
        let offsets = randomInts(n, in: -300...300, seed: 4)
        let cases: [(Requantization, Bool)] = [
            (Requantization(multipliers: m, offsets: offsets, zero: 128, range: 0...255), true),
            (Requantization(multipliers: m, range: -63...63), true),
            (Requantization(multipliers: m, offsets: offsets, zero: -7, range: -(1 << 23)...(1 << 23)), false),
            (Requantization(multipliers: m, zero: 3, range: 0...1000), true),  // wider than u8: the narrowing truncates
            (Requantization(multipliers: large, offsets: offsets, zero: -7, range: -(1 << 29)...(1 << 29)), false),
            (Requantization(multipliers: large, zero: 128, range: 0...255), true),
        ]
        for (r, _) in cases {
            for b in [nil, bias] {
                func run<T: FixedWidthInteger>(_: T.Type, _ body: Int8Body) -> [T] {
                    var out = [T](repeating: 0, count: rows * n)
                    x.withUnsafeBufferPointer { xp in b.withOptionalPointer { bp in out.withUnsafeMutableBufferPointer { op in
                        if T.self == UInt8.self {
                            IntegerOps.requantize(xp.baseAddress!, ldx: n, rows: rows, bias: bp, r, into: UnsafeMutableRawPointer(op.baseAddress!).assumingMemoryBound(to: UInt8.self), ldo: n, body: body)
                        } else if T.self == Int8.self {
                            IntegerOps.requantize(xp.baseAddress!, ldx: n, rows: rows, bias: bp, r, into: UnsafeMutableRawPointer(op.baseAddress!).assumingMemoryBound(to: Int8.self), ldo: n, body: body)
                        } else {
                            IntegerOps.requantize(xp.baseAddress!, ldx: n, rows: rows, bias: bp, r, into: UnsafeMutableRawPointer(op.baseAddress!).assumingMemoryBound(to: Int32.self), ldo: n, body: body)
                        }
                    } } }
                    return out
                }
                for body in bodies {
                    #expect(run(UInt8.self, body) == run(UInt8.self, .portable), "u8 n \(n) body \(body) range \(r.lo)...\(r.hi)")
                    #expect(run(Int8.self, body) == run(Int8.self, .portable), "s8 n \(n) body \(body) range \(r.lo)...\(r.hi)")
                    #expect(run(Int32.self, body) == run(Int32.self, .portable), "i32 n \(n) body \(body) range \(r.lo)...\(r.hi)")
                }
            }
        }
    }

    @Test("residual add (with bias): bodies equal", arguments: lengths)
    func residual(n: Int) {
        let rows = 3
        let a = withExtremes(randomInts(rows * n, in: Int32.min...Int32.max, seed: UInt64(n) + 11))
        let res = randomInts(rows * n, in: 0...255, seed: UInt64(n) + 12).map { UInt8($0) }
        let bias = randomInts(n, in: -(1 << 20)...(1 << 20), seed: UInt64(n) + 13)
        let ra = Requantization(multipliers: (0..<n).map { Double($0 % 7 + 1) * 1e-4 }, range: -(1 << 21)...(1 << 21 - 1))
        func run(_ body: Int8Body, _ mr: Dyadic) -> [Int32] {
            var out = [Int32](repeating: 0, count: rows * n)
            a.withUnsafeBufferPointer { ap in res.withUnsafeBufferPointer { rp in bias.withUnsafeBufferPointer { bp in
                IntegerOps.residualAdd(ap.baseAddress!, lda: n, bias: bp.baseAddress!, ra, residual: rp.baseAddress!, ldr: n, zero: 100, mr,
                                       rows: rows, into: &out, ldo: n, body: body)
            } } }
            return out
        }
        for mr in [Dyadic(37.25), Dyadic(1e-9), Dyadic(-3.5)] {
            for body in bodies { #expect(run(body, mr) == run(.portable, mr), "n \(n) body \(body) m_r \(mr.value)") }
        }
    }

    @Test("i-GELU: bodies equal over the int32 range and every scale", arguments: lengths)
    func gelu(n: Int) {
        for (t, s) in [1e-6, 8.0 / 65535, 1e-3, 1e-2, 0.5].enumerated() {
            let x = withExtremes(randomInts(n, in: Int32.min...Int32.max, seed: UInt64(n * 5 + t)))
                + randomInts(n, in: -70000...70000, seed: UInt64(n * 5 + t + 100))
            let k = GELUConstants(inputScale: s)
            func run(_ body: Int8Body) -> [Int32] {
                var out = [Int32](repeating: 0, count: x.count)
                x.withUnsafeBufferPointer { IntegerOps.gelu($0.baseAddress!, count: x.count, k, into: &out, body: body) }
                return out
            }
            for body in bodies { #expect(run(body) == run(.portable), "n \(n) S \(s) body \(body)") }
        }
    }

    @Test("i-softmax (with bias and valid lengths): bodies equal at every scale", arguments: lengths)
    func softmax(n: Int) {
        for (t, s) in [0x1p-18, 1e-4, 1e-3, 0.02, log(2) / 4].enumerated() {
            let rows = 6
            let span = Int32(min(Double(Int32.max / 2), 40 / s))
            var x = randomInts(rows * n, in: -span...span, seed: UInt64(n * 10 + t))
            x.replaceSubrange((4 * n)..<(5 * n), with: withExtremes(randomInts(n, in: Int32.min...Int32.max, seed: UInt64(n + t))))
            for j in 0..<n { x[5 * n + j] = 77 }  // a constant row
            let near = Int32(min(Double(Int32.max / 2), 2 / s))  // a row within ±2 (real units): many probabilities well above 1/256
            x.replaceSubrange((3 * n)..<(4 * n), with: randomInts(n, in: -near...near, seed: UInt64(n * 10 + t + 2)))
            let bias = randomInts(n, in: -span...span, seed: UInt64(n * 10 + t + 1))
            let valid: [Int32] = [Int32(n), Int32(max(0, n - 1)), 0, Int32((n + 1) / 2), Int32(n), Int32(n)]
            let k = SoftmaxConstants(inputScale: s)
            func run(_ body: Int8Body, _ b: [Int32]?) -> [UInt8] {
                var out = [UInt8](repeating: 9, count: rows * n)
                x.withUnsafeBufferPointer { xp in valid.withUnsafeBufferPointer { vp in b.withOptionalPointer { bp in
                    IntegerOps.softmax(xp.baseAddress!, ldx: n, rows: rows, n: n, bias: bp, valid: vp.baseAddress!, k, into: &out, ldo: n, body: body)
                } } }
                return out
            }
            for body in bodies {
                #expect(run(body, nil) == run(.portable, nil), "n \(n) S \(s) body \(body)")
                #expect(run(body, bias) == run(.portable, bias), "n \(n) S \(s) body \(body), with bias")
            }
        }
    }

    @Test("i-LayerNorm: bodies equal, wide rows and σ' a power of two included", arguments: lengths + [16, 64, 1024])
    func layerNorm(n: Int) {
        let rows = 6
        var x = randomInts(rows * n, in: -(1 << 25)...(1 << 25), seed: UInt64(n) + 99)
        for j in 0..<n { x[n + j] = 12345 }                                  // constant: 0
        for j in 0..<n { x[2 * n + j] = (j % 2 == 0 ? 1 : -1) << 12 }         // σ' = 2^12·√N: a power of two for N = 4^k
        x.replaceSubrange((3 * n)..<(4 * n), with: withExtremes(randomInts(n, in: Int32.min...Int32.max, seed: UInt64(n) + 5)))  // max − min ≥ 2^31
        for j in 0..<n { x[4 * n + j] = Int32(j % 5) * 3000 - 7 }
        for j in 0..<n { x[5 * n + j] = j == 0 ? 1 << 24 : -(1 << 24) }       // one outlier
        func run(_ body: Int8Body) -> [Int32] {
            var out = [Int32](repeating: 1, count: rows * n)
            x.withUnsafeBufferPointer { IntegerOps.layerNorm($0.baseAddress!, ldx: n, rows: rows, n: n, into: &out, ldo: n, body: body) }
            return out
        }
        for body in bodies { #expect(run(body) == run(.portable), "n \(n) body \(body)") }
    }

    /// Range ±65535 (the model's: the AVX2 body's one-multiply i-GELU) and the whole int32 range (64-bit products).
    @Test("fused FFN activation equals requantize → i-GELU → requantize, every body", arguments: lengths, [65535, Int32.max])
    func ffnActivation(n: Int, limit: Int32) {
        let rows = 3
        let x = withExtremes(randomInts(rows * n, in: -(1 << 24)...(1 << 24), seed: UInt64(n) + 21))
        let bias = randomInts(n, in: -5000...5000, seed: UInt64(n) + 22)
        let toGELU = Requantization(multipliers: (0..<n).map { 1e-3 * Double($0 % 5 + 1) }, range: -limit...limit)
        let k = GELUConstants(inputScale: 3e-4)
        let toHidden = Requantization(multipliers: [Double](repeating: k.outputScale / 0.02, count: n), zero: 11, range: 0...255)
        var separate = [UInt8](repeating: 0, count: rows * n), g = [Int32](repeating: 0, count: rows * n)
        x.withUnsafeBufferPointer { xp in bias.withUnsafeBufferPointer { bp in
            IntegerOps.requantize(xp.baseAddress!, ldx: n, rows: rows, bias: bp.baseAddress!, toGELU, into: &g, ldo: n, body: .portable)
        } }
        g.withUnsafeMutableBufferPointer { IntegerOps.gelu($0.baseAddress!, count: rows * n, k, into: $0.baseAddress!, body: .portable) }
        g.withUnsafeBufferPointer { IntegerOps.requantize($0.baseAddress!, ldx: n, rows: rows, toHidden, into: &separate, ldo: n, body: .portable) }
        for body in bodies {
            var fused = [UInt8](repeating: 0, count: rows * n)
            x.withUnsafeBufferPointer { xp in bias.withUnsafeBufferPointer { bp in
                IntegerOps.ffnActivation(xp.baseAddress!, ldx: n, rows: rows, bias: bp.baseAddress!, toGELU, k, toHidden, into: &fused, ldo: n, body: body)
            } }
            #expect(fused == separate, "n \(n) limit \(limit) body \(body)")
        }
    }

    @Test("fused residual + i-LayerNorm + requantize equals the separate kernels, every body", arguments: lengths)
    func residualLayerNorm(n: Int) {
        let rows = 3
        let a = randomInts(rows * n, in: -(1 << 26)...(1 << 26), seed: UInt64(n) + 31)
        let res = randomInts(rows * n, in: 0...255, seed: UInt64(n) + 32).map { UInt8($0) }
        let bias = randomInts(n, in: -(1 << 16)...(1 << 16), seed: UInt64(n) + 33)
        let ra = Requantization(multipliers: (0..<n).map { 0.01 * Double($0 % 3 + 1) }, range: -(1 << 23 - 1)...(1 << 23 - 1))
        let mr = Dyadic(900.5)
        let toOut = Requantization(multipliers: (0..<n).map { 1e-6 * Double($0 % 4 + 1) }, offsets: randomInts(n, in: -9...9, seed: 34),
                                   zero: 120, range: 0...255)
        var sum = [Int32](repeating: 0, count: rows * n), y = sum, separate = [UInt8](repeating: 0, count: rows * n)
        a.withUnsafeBufferPointer { ap in res.withUnsafeBufferPointer { rp in bias.withUnsafeBufferPointer { bp in
            IntegerOps.residualAdd(ap.baseAddress!, lda: n, bias: bp.baseAddress!, ra, residual: rp.baseAddress!, ldr: n, zero: 90, mr, rows: rows,
                                   into: &sum, ldo: n, body: .portable)
        } } }
        sum.withUnsafeBufferPointer { IntegerOps.layerNorm($0.baseAddress!, ldx: n, rows: rows, n: n, into: &y, ldo: n, body: .portable) }
        y.withUnsafeBufferPointer { IntegerOps.requantize($0.baseAddress!, ldx: n, rows: rows, toOut, into: &separate, ldo: n, body: .portable) }
        for body in bodies {
            var fused = [UInt8](repeating: 0, count: rows * n), normalized = [Int32](repeating: 0, count: rows * n)
            a.withUnsafeBufferPointer { ap in res.withUnsafeBufferPointer { rp in bias.withUnsafeBufferPointer { bp in
                fused.withUnsafeMutableBufferPointer { fp in normalized.withUnsafeMutableBufferPointer { np in
                    IntegerOps.residualLayerNorm(ap.baseAddress!, lda: n, bias: bp.baseAddress!, ra, residual: rp.baseAddress!, ldr: n, zero: 90, mr,
                                                 rows: rows, toOut, into: fp.baseAddress!, ldo: n, normalized: np.baseAddress!, ldn: n, body: body)
                } }
            } } }
            #expect(fused == separate, "n \(n) body \(body): u8 output")
            #expect(normalized == y, "n \(n) body \(body): normalized rows")
        }
    }

    /// The int8 product with the FFN activation or the split requantization as its epilogue, against the
    /// product into int32 sums followed by the separate pass: m rows (1, 3, 97: the micro-kernels' edge
    /// rows), K awkward, N with a partial last panel, every body, and a task's panel subrange.
    @Test("GEMM epilogues equal the product then the pass, every body", arguments: [(1, 1, 37), (3, 97, 48), (97, 3, 80), (9, 64, 96)])
    func gemmEpilogues(m: Int, k: Int, n: Int) {
        let kp = Int8GEMM.paddedK(k)
        var g = SeededGenerator(seed: UInt64(m * 1000 + k * 10 + n))
        var a = [UInt8](repeating: 0, count: m * kp)
        for i in 0..<m { for j in 0..<k { a[i * kp + j] = UInt8.random(in: 0...255, using: &g) } }
        let w = Int8PackedMatrix(integers: (0..<(n * k)).map { _ in Int8.random(in: -64...63, using: &g) }, k: k, n: n)
        let bias = randomInts(n, in: -(1 << 14)...(1 << 14), seed: UInt64(n) + 41)
        var sums = [Int32](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { Int8GEMM.multiply(m: m, a: $0.baseAddress!, lda: kp, b: w, c: &sums, ldc: n, threads: 1, body: .portable) }
        let panels = (n + 15) / 16, part = 1..<max(1, panels - 1)  // a task's panels: all but the first and last (when there are 3)
        let inPart = { (c: Int) in panels < 3 || part.contains(c / 16) }

        let k3 = GELUConstants(inputScale: 2e-4)
        let toGELU = Requantization(multipliers: (0..<n).map { 3e-4 * Double($0 % 5 + 1) }, range: -65535...65535)
        let toHidden = Requantization(multipliers: [Double](repeating: k3.outputScale / 0.03, count: n), zero: 13, range: 0...255)
        var separate = [UInt8](repeating: 0, count: m * n)
        sums.withUnsafeBufferPointer { sp in bias.withUnsafeBufferPointer { bp in
            IntegerOps.ffnActivation(sp.baseAddress!, ldx: n, rows: m, bias: bp.baseAddress!, toGELU, k3, toHidden, into: &separate, ldo: n, body: .portable)
        } }
        let splitAt = n / 32 * 16
        let first = Requantization(multipliers: (0..<splitAt).map { 1e-3 / Double($0 % 3 + 1) }, zero: 128, range: 1...255)
        let second = Requantization(multipliers: (splitAt..<n).map { 2e-3 / Double($0 % 4 + 1) }, range: -63...63)
        var wantFirst = [UInt8](repeating: 0, count: m * max(1, splitAt)), wantSecond = [Int8](repeating: 0, count: m * (n - splitAt))
        sums.withUnsafeBufferPointer { sp in bias.withUnsafeBufferPointer { bp in
            if splitAt > 0 {
                IntegerOps.requantize(sp.baseAddress!, ldx: n, rows: m, bias: bp.baseAddress!, first, into: &wantFirst, ldo: splitAt, body: .portable)
            }
            IntegerOps.requantize(sp.baseAddress! + splitAt, ldx: n, rows: m, bias: bp.baseAddress! + splitAt, second, into: &wantSecond,
                                  ldo: n - splitAt, body: .portable)
        } }
        for body in bodies {
            let range = panels < 3 ? 0..<panels : part
            var fused = [UInt8](repeating: 7, count: m * n)
            var gotFirst = [UInt8](repeating: 7, count: m * max(1, splitAt)), gotSecond = [Int8](repeating: 7, count: m * (n - splitAt))
            a.withUnsafeBufferPointer { ap in bias.withUnsafeBufferPointer { bp in
                IntegerOps.ffnActivation(product: ap.baseAddress!, lda: kp, rows: m, w, panels: range, bias: bp.baseAddress!, toGELU, k3, toHidden,
                                         into: &fused, ldo: n, body: body)
                IntegerOps.requantize(product: ap.baseAddress!, lda: kp, rows: m, w, panels: range, bias: bp.baseAddress!, split: splitAt,
                                      first, into: &gotFirst, ldFirst: max(1, splitAt), second, into: &gotSecond, ldSecond: n - splitAt, body: body)
            } }
            for i in 0..<m { for c in 0..<n {
                let written = inPart(c)
                #expect(fused[i * n + c] == (written ? separate[i * n + c] : 7), "FFN m \(m) k \(k) n \(n) body \(body) at [\(i), \(c)]")
                if c < splitAt {
                    #expect(gotFirst[i * splitAt + c] == (written ? wantFirst[i * splitAt + c] : 7), "Q m \(m) n \(n) body \(body) at [\(i), \(c)]")
                } else {
                    let j = i * (n - splitAt) + c - splitAt
                    #expect(gotSecond[j] == (written ? wantSecond[j] : 7), "KV m \(m) n \(n) body \(body) at [\(i), \(c)]")
                }
            } }
        }
    }

    /// The head against plain loops: exact integer scores (q − 128)·k, the portable i-softmax, exact P·V.
    /// At 1025 keys the head runs its queries in blocks of 24 (scores of a block within 128 KiB): 40 = 24 + 16.
    @Test("attention head equals exact scores → portable i-softmax → exact P·V",
          arguments: [(1, 1, 4), (3, 3, 8), (1, 97, 32), (97, 97, 64), (5, 130, 12), (40, 1025, 16)])
    func attentionHead(queries: Int, n: Int, d: Int) {
        var g = SeededGenerator(seed: UInt64(n * 31 + d))
        let q = (0..<(queries * d + 4)).map { _ in UInt8.random(in: 1...255, using: &g) }
        let kv = (0..<(n * 2 * d)).map { _ in Int8.random(in: -63...63, using: &g) }  // rows: k then v, [n, 2d]
        let s = SoftmaxConstants(inputScale: 2e-3)
        var scores = [Int32](repeating: 0, count: queries * n)
        for i in 0..<queries { for j in 0..<n {
            scores[i * n + j] = Int32((0..<d).reduce(0) { $0 + (Int(q[i * d + $1]) - 128) * Int(kv[j * 2 * d + $1]) })
        } }
        var p = [UInt8](repeating: 0, count: queries * n)
        scores.withUnsafeBufferPointer { IntegerOps.softmax($0.baseAddress!, ldx: n, rows: queries, n: n, valid: nil, s, into: &p, ldo: n, body: .portable) }
        var want = [Int32](repeating: 0, count: queries * d)
        for i in 0..<queries { for e in 0..<d { want[i * d + e] = Int32((0..<n).reduce(0) { $0 + Int(p[i * n + $1]) * Int(kv[$1 * 2 * d + d + e]) }) } }
        var got = [Int32](repeating: -1, count: queries * d)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: IntegerOps.attentionScratchBytes(queries: queries, keys: n, headDim: d), alignment: 64)
        defer { scratch.deallocate() }
        q.withUnsafeBufferPointer { qp in kv.withUnsafeBufferPointer { kp in
            IntegerOps.attentionHead(queries: queries, keys: n, headDim: d, q: qp.baseAddress!, ldq: d, k: kp.baseAddress!, v: kp.baseAddress! + d,
                                     ldkv: 2 * d, s, into: &got, ldo: d, scratch: scratch)
        } }
        #expect(got == want, "queries \(queries) n \(n) d \(d)")
    }
}

extension Optional where Wrapped == [Int32] {
    fileprivate func withOptionalPointer<R>(_ body: (UnsafePointer<Int32>?) -> R) -> R {
        guard let self else { return body(nil) }
        return self.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
