@testable import AttendAttention
import AttendKernels
import CAttendKernels
import Testing

/// S_I and θ on the int8 GEMM against the int16 portable kernel and the portable block sums on the same
/// fixed-point inputs: exactly equal (so every block and head decision is the same), and the int16 path
/// taken when K_I leaves [−64, 63].
@Suite("HDP's S_I on the int8 GEMM")
struct IntegerScoresTests {
    @Test("int8 S_I and its block sums θ equal the int16 twin and a pass over it (blocks 1, 2, 3, 8; every int8 body); out-of-range keys fall back; θ alone without S_I", arguments: [(1, 1, 1), (3, 97, 3), (97, 33, 64), (130, 61, 59), (2, 1025, 17), (203, 35, 32)])
    func equal(shape: (nq: Int, nk: Int, d: Int)) {
        let (nq, nk, d) = shape
        let format = FixedPoint(totalBits: 16, fractionBits: 8)
        for (spread, expected) in [(Float(60), IntegerScores.Path.int8), (Float(100), .int16)] {
            let q = randomFloats(nq * d, seed: UInt64(nq + d), range: -127...127)
            var k = randomFloats(nk * d, seed: UInt64(nk + d), range: -spread...spread)
            k[0] = spread == 100 ? 90 : -64  // the range's edge (int8) or outside it (int16)
            let qFI = q.withUnsafeBufferPointer { format.splitRows($0.baseAddress!, ld: d, rows: nq, d: d, fractionFirst: true) }
            let kIF = k.withUnsafeBufferPointer { format.splitRows($0.baseAddress!, ld: d, rows: nk, d: d, fractionFirst: false) }
            for block in [1, 2, 3, 8] {
                let blocks = ((nq + block - 1) / block) * ((nk + block - 1) / block)
                var twin = [Int32](repeating: 0, count: nq * nk)
                qFI.withUnsafeBufferPointer { a in
                    attend_int_scores_portable(Int32(nq), Int32(nk), Int32(d), a.baseAddress! + d, Int32(2 * d), kIF, Int32(2 * d), &twin, Int32(nk))
                }
                var twinTheta = [Int64](repeating: 0, count: blocks)
                attend_block_abs_sums_portable(Int32(nq), Int32(nk), twin, Int32(nk), Int32(block), &twinTheta)
                for body in Int8Body.allCases where body.isAvailable {
                    var fast = [Int32](repeating: -1, count: nq * nk), theta = [Int64](repeating: -1, count: blocks)
                    let path = qFI.withUnsafeBufferPointer { a in kIF.withUnsafeBufferPointer { b in fast.withUnsafeMutableBufferPointer { s in
                        theta.withUnsafeMutableBufferPointer { t in
                            IntegerScores.compute(nq: nq, nk: nk, d: d, qI: a.baseAddress! + d, ldq: 2 * d, kI: b.baseAddress!, ldk: 2 * d,
                                                  block: block, into: s.baseAddress!, importance: t.baseAddress!, body: body)
                        }
                    } } }
                    let setting = "\(shape) spread \(spread) block \(block) body \(body)"
                    #expect(path == expected, "\(setting): path \(path)")
                    #expect(fast == twin, "S_I: \(setting)")
                    #expect(theta == twinTheta, "θ: \(setting)")
                    // θ alone (S_I not kept): the same θ, and on the int8 path S_I left untouched.
                    var untouched = [Int32](repeating: -1, count: nq * nk), thetaOnly = [Int64](repeating: -1, count: blocks)
                    qFI.withUnsafeBufferPointer { a in kIF.withUnsafeBufferPointer { b in untouched.withUnsafeMutableBufferPointer { s in
                        thetaOnly.withUnsafeMutableBufferPointer { t in
                            _ = IntegerScores.compute(nq: nq, nk: nk, d: d, qI: a.baseAddress! + d, ldq: 2 * d, kI: b.baseAddress!, ldk: 2 * d,
                                                      block: block, into: s.baseAddress!, importance: t.baseAddress!, body: body, keepScores: false)
                        }
                    } } }
                    #expect(thetaOnly == twinTheta, "θ without S_I: \(setting)")
                    if path == .int8 { #expect(untouched.allSatisfy { $0 == -1 }, "S_I not written: \(setting)") }
                }
            }
        }
    }
}
