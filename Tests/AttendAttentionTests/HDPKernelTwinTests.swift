import AttendAttention
import CAttendKernels
import Testing

/// The HDP kernels as dispatched on this CPU (AVX2 bodies on x86-64) against their portable C twins,
/// on the same inputs: the integer kernels must agree exactly, the kept-block rows within Float32
/// rounding (the SIMD body may fuse multiply-adds).
@Suite("HDP kernels: SIMD bodies equal their portable twins")
struct HDPKernelTwinTests {
    @Test("split, integer scores, block sums exactly; kept-block rows within 1e-5, every approximation setting",
          arguments: [(1, 1, 1), (3, 97, 3), (97, 33, 32), (61, 130, 64), (2, 1025, 17), (1025, 5, 32), (4, 97, 257)])
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

        for block in [1, 2, 3, 8] {
            let (rows, columns) = ((nq + block - 1) / block, (nk + block - 1) / block)
            func sums(portable: Bool) -> [Int64] {
                var out = [Int64](repeating: 0, count: rows * columns)
                (portable ? attend_block_abs_sums_portable : attend_block_abs_sums)(Int32(nq), Int32(nk), sInt, Int32(nk), Int32(block), &out)
                return out
            }
            #expect(sums(portable: false) == sums(portable: true), "block \(block)")

            // Masks: about half the blocks kept with the last block-row keeping none (its rows must
            // come out zero), every block kept, no block kept.
            var g = SeededGenerator(seed: seed + UInt64(block))
            var random = (0..<(rows * columns)).map { _ in UInt8.random(in: 0...1, using: &g) }
            for c in 0..<columns { random[(rows - 1) * columns + c] = 0 }
            let masks = [("random", random), ("all kept", [UInt8](repeating: 1, count: rows * columns)),
                         ("none kept", [UInt8](repeating: 0, count: rows * columns))]
            for (maskName, kept) in masks {
                for (approximate, polynomial) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let slow = attended(body: Int32(ATTEND_I8_PORTABLE), q: q, k: k, v: v, qFI: qFI, kIF: kIF, sInt: sInt, kept: kept,
                                        shape: shape, block: block, approximate: approximate, polynomial: polynomial)!
                    let setting = "block \(block), \(maskName), approximate \(approximate), polynomial \(polynomial)"
                    for body in [ATTEND_I8_AUTO, ATTEND_I8_AVX2, ATTEND_I8_AVX512_VNNI] {
                        guard let fast = attended(body: Int32(body), q: q, k: k, v: v, qFI: qFI, kIF: kIF, sInt: sInt, kept: kept,
                                                  shape: shape, block: block, approximate: approximate, polynomial: polynomial) else {
                            // VNNI declines only exact scores, d > 256, or CPUs without it (the parts of ±6 fit s8).
                            #expect(body != ATTEND_I8_AVX512_VNNI || approximate == 0 || d > 256 || attend_i8_body_available(Int32(body)) == 0, "\(setting)")
                            continue
                        }
                        let worst = zip(fast, slow).map { abs($0 - $1) }.max() ?? 0
                        #expect(!fast.contains { $0.isNaN } && !slow.contains { $0.isNaN }, "every row written: body \(body), \(setting)")
                        #expect(worst <= 1e-5, "body \(body), \(setting): \(worst)")
                    }
                    // The VNNI body does the AVX2 body's arithmetic in its order: bit-identical outputs, so that
                    // later layers' fixed-point codes and HDP decisions do not change with the body.
                    if let avx2 = attended(body: Int32(ATTEND_I8_AVX2), q: q, k: k, v: v, qFI: qFI, kIF: kIF, sInt: sInt, kept: kept, shape: shape,
                                           block: block, approximate: approximate, polynomial: polynomial),
                       let vnni = attended(body: Int32(ATTEND_I8_AVX512_VNNI), q: q, k: k, v: v, qFI: qFI, kIF: kIF, sInt: sInt, kept: kept,
                                           shape: shape, block: block, approximate: approximate, polynomial: polynomial) {
                        #expect(zip(avx2, vnni).allSatisfy { $0.bitPattern == $1.bitPattern || ($0 == 0 && $1 == 0) }, "VNNI ≡ AVX2: \(setting)")
                    }
                    // Where the dispatcher says S_I is not read (AVX2 without VNNI: the query codes carry it), it is
                    // not: a garbage S_I gives the same output bit for bit.
                    let reads = readsScores(qFI: qFI, kIF: kIF, shape: shape, approximate: approximate)
                    if approximate == 0 || (d <= 256 && attend_gemm_body_available(Int32(ATTEND_GEMM_AVX2)) != 0
                                            && attend_i8_body_available(Int32(ATTEND_I8_AVX512_VNNI)) == 0) {
                        #expect(reads == 0, "S_I not read: \(setting)")
                    }
                    if reads == 0 {
                        let garbage = sInt.map { ~$0 &* 31 &+ 7 }
                        let auto = attended(body: Int32(ATTEND_I8_AUTO), q: q, k: k, v: v, qFI: qFI, kIF: kIF, sInt: sInt, kept: kept, shape: shape,
                                            block: block, approximate: approximate, polynomial: polynomial)!
                        let blind = attended(body: Int32(ATTEND_I8_AUTO), q: q, k: k, v: v, qFI: qFI, kIF: kIF, sInt: garbage, kept: kept,
                                             shape: shape, block: block, approximate: approximate, polynomial: polynomial)!
                        #expect(zip(auto, blind).allSatisfy { $0.bitPattern == $1.bitPattern }, "S_I unread: \(setting)")
                    }
                    if maskName != "all kept" {
                        #expect(slow.suffix((nq - (rows - 1) * block) * d).allSatisfy { $0 == 0 }, "fully pruned block-row outputs zeros: \(setting)")
                    }
                }
            }
        }
    }

    @Test("the VNNI body declines heads whose integer parts exceed s8 (16 bits, 4 of them fraction), and the dispatcher still equals the portable twin")
    func vnniDeclines() {
        let (nq, nk, d) = (5, 40, 16)
        let q = randomFloats(nq * d, seed: 7, range: -200...200), k = randomFloats(nk * d, seed: 8, range: -6...6)
        let v = randomFloats(nk * d, seed: 9)
        var qFI = [Int16](repeating: 0, count: nq * 2 * d), kIF = [Int16](repeating: 0, count: nk * 2 * d)
        attend_fixed_point_split(Int32(nq), Int32(d), q, Int32(d), 16, 4, 1, &qFI)
        attend_fixed_point_split(Int32(nk), Int32(d), k, Int32(d), 16, 4, 0, &kIF)
        var sInt = [Int32](repeating: 0, count: nq * nk)
        qFI.withUnsafeBufferPointer { a in attend_int_scores(Int32(nq), Int32(nk), Int32(d), a.baseAddress! + d, Int32(2 * d), kIF, Int32(2 * d), &sInt, Int32(nk)) }
        let kept = [UInt8](repeating: 1, count: 3 * 20)
        func run(_ body: Int32) -> [Float]? {
            attended(body: body, q: q, k: k, v: v, qFI: qFI, kIF: kIF, sInt: sInt, kept: kept, shape: (nq, nk, d), block: 2,
                     approximate: 1, polynomial: 1, fractionBits: 4)
        }
        #expect(qFI.contains { $0 > 127 }, "some integer part exceeds s8")
        #expect(run(Int32(ATTEND_I8_AVX512_VNNI)) == nil)
        let (fast, slow) = (run(Int32(ATTEND_I8_AUTO))!, run(Int32(ATTEND_I8_PORTABLE))!)
        #expect(zip(fast, slow).map { abs($0 - $1) }.max()! <= 1e-5 * (slow.map(abs).max()! + 1))
    }

    @Test("C row-balanced selection and head importance equal BlockSelection.rowBalanced and the Swift sum, ties included",
          arguments: [(1, 1), (3, 97), (97, 3), (49, 513)])
    func selectionTwins(shape: (rows: Int, columns: Int)) {
        let (rows, columns) = shape
        var g = SeededGenerator(seed: UInt64(rows * 1000 + columns))
        // Few distinct values, so that ties with the threshold and between maxima occur.
        let small = (0..<(rows * columns)).map { _ in Int64.random(in: 0...12, using: &g) * 1_000_003 }
        // Values whose sums are not exact in a double: the C code must take the reference path.
        let huge = small.map { $0 << 30 | Int64.random(in: 0...1023, using: &g) }
        for theta in [small, huge] {
            let importance = theta.map(Double.init)
            #expect(attend_hdp_importance_total(theta, theta.count) == importance.reduce(0, +))
            for rho in [-1.0, -0.5, -0.25, 0, 0.3, 1] {
                var kept = [UInt8](repeating: 9, count: rows * columns)
                attend_hdp_row_balanced(theta, Int32(rows), Int32(columns), rho, &kept)
                #expect(kept == BlockSelection.rowBalanced(importance, rows: rows, columns: columns, ratio: rho), "ρ \(rho)")
            }
        }
    }

    @Test("kept counts (blocks, entries, key rows read) equal a count over every (query, key) entry",
          arguments: [(1, 1, 1), (3, 97, 2), (97, 3, 3), (5, 1025, 1), (61, 600, 2), (17, 130, 8)])
    func keptCounts(shape: (queries: Int, keys: Int, block: Int)) {
        let (nq, nk, b) = shape
        let (rows, columns) = ((nq + b - 1) / b, (nk + b - 1) / b)
        var g = SeededGenerator(seed: UInt64(nq * 7 + nk))
        for density in [0.0, 0.3, 1.0] {
            let kept = (0..<(rows * columns)).map { _ in Double.random(in: 0..<1, using: &g) < density ? UInt8(1) : 0 }
            var (blocks, entries, keyRows): (Int64, Int64, Int64) = (-1, -1, -1)
            attend_hdp_kept_counts(kept, Int32(nq), Int32(nk), Int32(b), &blocks, &entries, &keyRows)
            let allowed = { (i: Int, j: Int) in kept[(i / b) * columns + j / b] == 1 }
            #expect(blocks == Int64(kept.reduce(0) { $0 + Int($1) }), "\(shape) density \(density)")
            #expect(entries == Int64((0..<nq).reduce(0) { sum, i in sum + (0..<nk).filter { allowed(i, $0) }.count }), "\(shape) density \(density)")
            #expect(keyRows == Int64((0..<nk).filter { j in (0..<nq).contains { allowed($0, j) } }.count), "\(shape) density \(density)")
        }
    }

    @Test("packed flags (both bodies) equal BlockMask's one-flag-at-a-time packing; the words past the last are not touched",
          arguments: [0, 1, 3, 63, 64, 65, 97, 1025, 65_536])
    func packedFlags(count: Int) {
        var g = SeededGenerator(seed: UInt64(count + 5))
        for density in [0.0, 0.4, 1.0] {
            let flags = (0..<count).map { _ in Double.random(in: 0..<1, using: &g) < density ? UInt8.random(in: 1...255, using: &g) : 0 }
            let words = (count + 63) / 64
            for kernel in [attend_pack_flags, attend_pack_flags_portable] {
                var packed = [UInt64](repeating: 0xA5A5_A5A5_A5A5_A5A5, count: words + 1)
                kernel(flags, count, &packed)
                #expect(BlockMask(words: Array(packed.prefix(words)), count: count) == BlockMask(flags), "\(count) flags, density \(density)")
                #expect(packed[words] == 0xA5A5_A5A5_A5A5_A5A5)
            }
        }
    }

    /// attend_hdp_rows_reads_s_int for a head of these parts (8 fraction bits).
    private func readsScores(qFI: [Int16], kIF: [Int16], shape: (nq: Int, nk: Int, d: Int), approximate: Int) -> Int32 {
        qFI.withUnsafeBufferPointer { qFI in kIF.withUnsafeBufferPointer { kIF in
            var head = attend_hdp_head()
            (head.queries, head.keys, head.d, head.fraction_bits) = (Int32(shape.nq), Int32(shape.nk), Int32(shape.d), 8)
            (head.q_fi, head.k_if, head.approximate) = (qFI.baseAddress, kIF.baseAddress, Int32(approximate))
            return attend_hdp_rows_reads_s_int(&head)
        } }
    }

    /// One head's kept-block rows on `body` (nil when this CPU lacks it or the head does not fit it).
    private func attended(body: Int32, q: [Float], k: [Float], v: [Float], qFI: [Int16], kIF: [Int16], sInt: [Int32], kept: [UInt8],
                          shape: (nq: Int, nk: Int, d: Int), block: Int, approximate: Int, polynomial: Int, fractionBits: Int32 = 8) -> [Float]? {
        let (nq, nk, d) = shape
        var out = [Float](repeating: .nan, count: nq * d)
        var scratch = [Float](repeating: .nan, count: attend_hdp_scratch_size(Int32(nk), Int32(d)))
        var ran: Int32 = 0
        q.withUnsafeBufferPointer { q in k.withUnsafeBufferPointer { k in v.withUnsafeBufferPointer { v in
            qFI.withUnsafeBufferPointer { qFI in kIF.withUnsafeBufferPointer { kIF in
                sInt.withUnsafeBufferPointer { sInt in kept.withUnsafeBufferPointer { kept in
                    out.withUnsafeMutableBufferPointer { out in
                        var head = attend_hdp_head(
                            queries: Int32(nq), keys: Int32(nk), d: Int32(d), scale: 1 / Float(d).squareRoot(),
                            q: q.baseAddress, ldq: Int32(d), k: k.baseAddress, ldk: Int32(d), v: v.baseAddress, ldv: Int32(d),
                            out: out.baseAddress, ldo: Int32(d), q_fi: qFI.baseAddress, k_if: kIF.baseAddress, fraction_bits: fractionBits,
                            s_int: sInt.baseAddress, kept: kept.baseAddress, block: Int32(block), key_blocks: Int32((nk + block - 1) / block),
                            approximate: Int32(approximate), polynomial: Int32(polynomial))
                        ran = attend_hdp_rows_with(body, &head, 0, Int32(nq), &scratch)
                    }
                } }
            } }
        } } }
        return ran != 0 ? out : nil
    }
}
