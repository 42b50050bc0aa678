import CAttendKernels
import Testing

/// The HDP kernels as dispatched on this CPU (AVX2 bodies on x86-64) against their portable C twins,
/// on the same inputs: the integer kernels must agree exactly, the kept-block rows within Float32
/// rounding (the SIMD body may fuse multiply-adds).
@Suite("HDP kernels: SIMD bodies equal their portable twins")
struct HDPKernelTwinTests {
    @Test("split, integer scores, block sums exactly; kept-block rows within 1e-5, every approximation setting",
          arguments: [(1, 1, 1), (3, 97, 3), (97, 33, 32), (61, 130, 64), (2, 1025, 17)])
    func twins(shape: (nq: Int, nk: Int, d: Int)) {
        let (nq, nk, d) = shape
        let seed = UInt64(nq * 131 + nk * 7 + d)
        let q = randomFloats(nq * d, seed: seed, range: -6...6), k = randomFloats(nk * d, seed: seed + 1, range: -6...6)
        let v = randomFloats(nk * d, seed: seed + 2)

        func split(_ x: [Float], rows: Int, fractionFirst: Bool, portable: Bool) -> [Int16] {
            var out = [Int16](repeating: 0, count: rows * 2 * d)
            let kernel = portable ? attend_fixed_point_split_portable : attend_fixed_point_split
            kernel(Int32(rows), Int32(d), x, Int32(d), 16, 8, fractionFirst ? 1 : 0, &out)
            return out
        }
        let qFI = split(q, rows: nq, fractionFirst: true, portable: false), kIF = split(k, rows: nk, fractionFirst: false, portable: false)
        #expect(qFI == split(q, rows: nq, fractionFirst: true, portable: true))
        #expect(kIF == split(k, rows: nk, fractionFirst: false, portable: true))

        func scores(portable: Bool) -> [Int32] {
            var s = [Int32](repeating: 0, count: nq * nk)
            let kernel = portable ? attend_int_scores_portable : attend_int_scores
            qFI.withUnsafeBufferPointer { a in kernel(Int32(nq), Int32(nk), Int32(d), a.baseAddress! + d, Int32(2 * d), kIF, Int32(2 * d), &s, Int32(nk)) }
            return s
        }
        let sInt = scores(portable: false)
        #expect(sInt == scores(portable: true))

        for block in [2, 3] {
            let (rows, columns) = ((nq + block - 1) / block, (nk + block - 1) / block)
            func sums(portable: Bool) -> [Int64] {
                var out = [Int64](repeating: 0, count: rows * columns)
                (portable ? attend_block_abs_sums_portable : attend_block_abs_sums)(Int32(nq), Int32(nk), sInt, Int32(nk), Int32(block), &out)
                return out
            }
            #expect(sums(portable: false) == sums(portable: true), "block \(block)")

            // About half the blocks kept; the last block-row keeps none (its rows must come out zero).
            var g = SeededGenerator(seed: seed + UInt64(block))
            var kept = (0..<(rows * columns)).map { _ in UInt8.random(in: 0...1, using: &g) }
            for c in 0..<columns { kept[(rows - 1) * columns + c] = 0 }
            for (approximate, polynomial) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                func attended(portable: Bool) -> [Float] {
                    var out = [Float](repeating: .nan, count: nq * d)
                    var scratch = [Float](repeating: 0, count: 3 * nk)
                    q.withUnsafeBufferPointer { q in k.withUnsafeBufferPointer { k in v.withUnsafeBufferPointer { v in
                        qFI.withUnsafeBufferPointer { qFI in kIF.withUnsafeBufferPointer { kIF in
                            sInt.withUnsafeBufferPointer { sInt in kept.withUnsafeBufferPointer { kept in
                                out.withUnsafeMutableBufferPointer { out in
                                    var head = attend_hdp_head(
                                        queries: Int32(nq), keys: Int32(nk), d: Int32(d), scale: 1 / Float(d).squareRoot(),
                                        q: q.baseAddress, ldq: Int32(d), k: k.baseAddress, ldk: Int32(d), v: v.baseAddress, ldv: Int32(d),
                                        out: out.baseAddress, ldo: Int32(d), q_fi: qFI.baseAddress, k_if: kIF.baseAddress, fraction_bits: 8,
                                        s_int: sInt.baseAddress, kept: kept.baseAddress, block: Int32(block), key_blocks: Int32(columns),
                                        approximate: Int32(approximate), polynomial: Int32(polynomial))
                                    (portable ? attend_hdp_rows_portable : attend_hdp_rows)(&head, 0, Int32(nq), &scratch)
                                }
                            } }
                        } }
                    } } }
                    return out
                }
                let (fast, slow) = (attended(portable: false), attended(portable: true))
                let worst = zip(fast, slow).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= 1e-5, "block \(block), approximate \(approximate), polynomial \(polynomial): \(worst)")
                #expect(slow.suffix((nq - (rows - 1) * block) * d).allSatisfy { $0 == 0 }, "fully pruned block-row outputs zeros")
            }
        }
    }
}
