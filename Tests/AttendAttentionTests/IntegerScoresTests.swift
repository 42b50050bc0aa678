@testable import AttendAttention
import AttendKernels
import CAttendKernels
import Testing

/// S_I and θ on the int8 GEMM against the int16 portable kernel and the portable block sums on the same
/// fixed-point inputs: exactly equal (so every block and head decision is the same), the int16-sum kernel
/// taken on AVX2 when the integer parts are small enough (and exact at its bound), and the int16 path
/// taken when K_I leaves [−64, 63].
@Suite("HDP's S_I on the int8 GEMM")
struct IntegerScoresTests {
    let format = FixedPoint(totalBits: 16, fractionBits: 8)

    /// Whether `body` is one of the AVX2 bodies that sum in int16 when the operands allow it.
    func sumsNarrow(_ body: Int8Body) -> Bool { body.isAvailable && ["avx2", "avx2-shift"].contains(body.name) }

    /// Whether the int16 sums hold for q: [nq, d] and k: [nk, d]: ⌈d/4⌉·2 · max u · max|K_I| ≤ 32767 with
    /// u = Q_I − min(0, min Q_I) (the integer parts as the fixed-point format gives them).
    func narrowFits(q: [Float], k: [Float], d: Int) -> Bool {
        let qI = q.map { Int(format.split(format.code($0)).integer) }, kI = k.map { Int(format.split(format.code($0)).integer) }
        let u = qI.max()! - min(0, qI.min()!), kAbs = kI.map(abs).max()!
        return (d + 3) / 4 * 2 * u * kAbs <= 32767
    }

    /// S_I and θ of q: [nq, d] and k: [nk, d] against the twin for `body` (S_I kept, then θ alone); returns the path.
    func check(q: [Float], k: [Float], nq: Int, nk: Int, d: Int, block: Int, body: Int8Body, _ setting: String) -> IntegerScores.Path {
        let qFI = q.withUnsafeBufferPointer { format.splitRows($0.baseAddress!, ld: d, rows: nq, d: d, fractionFirst: true) }
        let kIF = k.withUnsafeBufferPointer { format.splitRows($0.baseAddress!, ld: d, rows: nk, d: d, fractionFirst: false) }
        let blocks = ((nq + block - 1) / block) * ((nk + block - 1) / block)
        var twin = [Int32](repeating: 0, count: nq * nk)
        qFI.withUnsafeBufferPointer { a in
            attend_int_scores_portable(Int32(nq), Int32(nk), Int32(d), a.baseAddress! + d, Int32(2 * d), kIF, Int32(2 * d), &twin, Int32(nk))
        }
        var twinTheta = [Int64](repeating: 0, count: blocks)
        attend_block_abs_sums_portable(Int32(nq), Int32(nk), twin, Int32(nk), Int32(block), &twinTheta)
        func run(keepScores: Bool) -> (IntegerScores.Path, [Int32], [Int64]) {
            var s = [Int32](repeating: -1, count: nq * nk), theta = [Int64](repeating: -1, count: blocks)
            let path = qFI.withUnsafeBufferPointer { a in kIF.withUnsafeBufferPointer { b in s.withUnsafeMutableBufferPointer { sp in
                theta.withUnsafeMutableBufferPointer { t in
                    IntegerScores.compute(nq: nq, nk: nk, d: d, qI: a.baseAddress! + d, ldq: 2 * d, kI: b.baseAddress!, ldk: 2 * d,
                                          block: block, into: sp.baseAddress!, importance: t.baseAddress!, body: body, keepScores: keepScores)
                }
            } } }
            return (path, s, theta)
        }
        let (path, fast, theta) = run(keepScores: true)
        #expect(fast == twin, "S_I: \(setting) body \(body)")
        #expect(theta == twinTheta, "θ: \(setting) body \(body)")
        // θ alone (S_I not kept): the same θ, and on the int8 paths S_I left untouched.
        let (_, untouched, thetaOnly) = run(keepScores: false)
        #expect(thetaOnly == twinTheta, "θ without S_I: \(setting) body \(body)")
        if path != .int16 { #expect(untouched.allSatisfy { $0 == -1 }, "S_I not written: \(setting) body \(body)") }
        return path
    }

    @Test("int8 S_I and its block sums θ equal the int16 twin and a pass over it (blocks 1, 2, 3, 8; every int8 body; wide, small and out-of-range integer parts)", arguments: [(1, 1, 1), (3, 97, 3), (97, 33, 64), (130, 61, 59), (2, 1025, 17), (203, 35, 32)])
    func equal(shape: (nq: Int, nk: Int, d: Int)) {
        let (nq, nk, d) = shape
        // (Q spread, K spread): wide integer parts sum in int32; |Q_I|, |K_I| ≤ 7 in int16 on AVX2 (≤ 32·14·7 per
        // lane); K_I = 90 leaves the int8 GEMM's range.
        for (qSpread, kSpread) in [(Float(127), Float(60)), (7, 7), (127, 100)] {
            let q = randomFloats(nq * d, seed: UInt64(nq + d), range: -qSpread...qSpread)
            var k = randomFloats(nk * d, seed: UInt64(nk + d), range: -kSpread...kSpread)
            k[0] = kSpread == 100 ? 90 : kSpread == 60 ? -64 : -kSpread  // outside the range (int16), or its edge
            let fits = narrowFits(q: q, k: k, d: d)
            for block in [1, 2, 3, 8] {
                for body in Int8Body.allCases where body.isAvailable {
                    let setting = "\(shape) spreads \(qSpread), \(kSpread) block \(block)"
                    let path = check(q: q, k: k, nq: nq, nk: nk, d: d, block: block, body: body, setting)
                    let narrow = sumsNarrow(body) && fits
                    let expected: IntegerScores.Path = kSpread == 100 ? .int16 : narrow ? .int8NarrowSums : .int8
                    if kSpread == 7 { #expect(narrow == sumsNarrow(body), "small integer parts sum in int16: \(setting)") }
                    #expect(path == expected, "\(setting) body \(body): path \(path)")
                }
            }
        }
    }

    /// d = 64: each int16 lane sums 32 products, so max u · max|K_I| ≤ 1023 sums in int16. Q_I ∈ [0, 33] (offset 0)
    /// with K_I ∈ [−31, 31] is at the bound (33 · 31 = 1023, a lane of −32 736 when every product is −1023);
    /// Q_I up to 34 is past it (1054: 32 · 1054 = 33 728 would wrap) and must sum in int32.
    @Test("int16 sums at their bound are exact, and one step past it the int32 kernel runs", arguments: [33, 34])
    func bound(qMax: Int) {
        let (nq, nk, d) = (37, 41, 64)
        var q = randomFloats(nq * d, seed: 5, range: 0...Float(qMax) + 0.99), k = randomFloats(nk * d, seed: 6, range: -31...31.99)
        for c in 0..<d { q[c] = Float(qMax); q[d + c] = Float(qMax) + 0.5; k[c] = -31; k[d + c] = 31.5 }  // extreme rows: every product ±max
        for body in Int8Body.allCases where body.isAvailable {
            let path = check(q: q, k: k, nq: nq, nk: nk, d: d, block: 2, body: body, "Q_I ≤ \(qMax)")
            let expected: IntegerScores.Path = qMax == 33 && sumsNarrow(body) ? .int8NarrowSums : .int8
            #expect(path == expected, "Q_I ≤ \(qMax) body \(body): path \(path)")
        }
    }
}
