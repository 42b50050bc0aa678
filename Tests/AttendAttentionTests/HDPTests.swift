import AttendAttention
import Foundation
import Testing

/// What HDP decides for one head, recomputed from scratch: S_I by brute force, block importances,
/// the kept bitmap (the method's selection functions are tested on their own below).
private struct Decisions {
    let integerScores: [Int]  // [nq, nk]
    let importance: [Double], kept: [UInt8], rows: Int, columns: Int
    let theta: Int  // Σ|S_I|

    init(_ t: TestInputs, head h: Int, block: Int, ratio: Double, format: FixedPoint = FixedPoint()) {
        let (nq, nk, d) = (t.queries, t.keys, t.d)
        let g = h / (t.heads / t.kvHeads)
        let qi = (0..<nq).map { i in (0..<d).map { c in Int(format.split(format.code(t.q[i * t.heads * d + h * d + c])).integer) } }
        let ki = (0..<nk).map { j in (0..<d).map { c in Int(format.split(format.code(t.k[j * t.kvHeads * d + g * d + c])).integer) } }
        integerScores = (0..<nq).flatMap { i in (0..<nk).map { j in zip(qi[i], ki[j]).reduce(0) { $0 + $1.0 * $1.1 } } }
        (rows, columns) = ((nq + block - 1) / block, (nk + block - 1) / block)
        var sums = [Double](repeating: 0, count: rows * columns)
        for i in 0..<nq { for j in 0..<nk { sums[(i / block) * columns + j / block] += Double(abs(integerScores[i * nk + j])) } }
        importance = sums
        kept = BlockSelection.rowBalanced(sums, rows: rows, columns: columns, ratio: ratio)
        theta = integerScores.reduce(0) { $0 + abs($1) }
    }
}

@Suite("HDP: hybrid dynamic pruning")
struct HDPTests {
    @Test("fixed point: code = integer·2^f + fraction, integer = ⌊x⌋ also for negatives, 0 ≤ fraction < 2^f; rounding and saturation")
    func fixedPointSplit() {
        for format in [FixedPoint(), FixedPoint(totalBits: 8, fractionBits: 3), FixedPoint(totalBits: 12, fractionBits: 0)] {
            for code in format.minCode...format.maxCode {
                let (integer, fraction) = format.split(code)
                #expect(integer << Int32(format.fractionBits) + fraction == code)
                #expect(0 <= fraction && fraction < 1 << Int32(format.fractionBits))
                #expect(Double(integer) == (Double(code) / Double(1 << format.fractionBits)).rounded(.down))
            }
            #expect(format.code(1e9) == format.maxCode && format.code(-1e9) == format.minCode && format.code(.nan) == 0)
        }
        let format = FixedPoint()
        #expect(format.split(format.code(-0.25)) == (-1, 192))  // −0.25 = −1 + 192/256
        #expect(format.split(format.code(1.75)) == (1, 192))
        #expect(format.code(0.5 / 256) == 1 && format.code(-0.5 / 256) == -1)  // half away from zero
    }

    @Test("splitRows (C) equals code + split (Swift): ties, saturation, NaN, ±∞, both layouts, awkward shapes")
    func fixedPointRows() {
        var g = SeededGenerator(seed: 12)
        for format in [FixedPoint(), FixedPoint(totalBits: 8, fractionBits: 3), FixedPoint(totalBits: 12, fractionBits: 0)] {
            let unit = Float(1 << format.fractionBits)
            let special: [Float] = [0, -0.0, .nan, .infinity, -.infinity, 1e9, -1e9, 0.5 / unit, -0.5 / unit, 1.5 / unit, -2.5 / unit,
                                    0.49999997 / unit, Float(format.maxCode) / unit + 0.5 / unit, Float(format.minCode) / unit - 0.5 / unit]
            for (rows, d, ld) in [(1, 1, 1), (3, 97, 101), (7, 16, 16)] {
                var x = (0..<(rows * ld)).map { _ in Float.random(in: -200...200, using: &g) }
                for (n, v) in special.enumerated() where n < x.count { x[n] = v }
                for fractionFirst in [true, false] {
                    let parts = format.splitRows(x, ld: ld, rows: rows, d: d, fractionFirst: fractionFirst)
                    for r in 0..<rows {
                        for c in 0..<d {
                            let (integer, fraction) = format.split(format.code(x[r * ld + c]))
                            let (i, f) = fractionFirst ? (parts[r * 2 * d + d + c], parts[r * 2 * d + c]) : (parts[r * 2 * d + c], parts[r * 2 * d + d + c])
                            #expect(Int32(i) == integer && Int32(f) == fraction, "x \(x[r * ld + c]) format \(format)")
                        }
                    }
                }
            }
        }
    }

    @Test("row threshold: Energon's formula on a hand-checkable row [1, 2, 3, 6] (min 1, mean 3, max 6)")
    func thresholdFormula() {
        let row: ArraySlice<Double> = [1, 2, 3, 6]
        #expect(BlockSelection.rowThreshold(row, ratio: 0) == 3)  // the mean
        #expect(BlockSelection.rowThreshold(row, ratio: 0.5) == 4.5)  // ½·6 + ½·3
        #expect(BlockSelection.rowThreshold(row, ratio: 1) == 6)  // the max
        #expect(BlockSelection.rowThreshold(row, ratio: -0.5) == 2)  // ½·1 + ½·3
        #expect(BlockSelection.rowThreshold(row, ratio: -1) == 1)  // the min
        #expect(BlockSelection.rowBalanced(Array(row), rows: 1, columns: 4, ratio: 0) == [0, 0, 1, 1])
        #expect(BlockSelection.rowBalanced(Array(row), rows: 1, columns: 4, ratio: 0.5) == [0, 0, 0, 1])
        #expect(BlockSelection.rowBalanced(Array(row), rows: 1, columns: 4, ratio: -0.5) == [0, 1, 1, 1])
        #expect(BlockSelection.rowBalanced(Array(row), rows: 1, columns: 4, ratio: -1) == [1, 1, 1, 1])
        #expect(BlockSelection.topK(Array(row), rows: 1, columns: 4, keep: 0.5) == [0, 0, 1, 1])
    }

    @Test("row balance: every block-row keeps at least its most important block, at every ratio; Top-K keeps exactly k")
    func rowBalance() {
        var g = SeededGenerator(seed: 5)
        for (rows, columns) in [(1, 1), (3, 1), (7, 13), (40, 97)] {
            let importance = (0..<rows * columns).map { _ in Double(Int.random(in: 0...20, using: &g)) }
            for ratio in [-1.0, -0.3, 0, 0.5, 0.9, 1] {
                let kept = BlockSelection.rowBalanced(importance, rows: rows, columns: columns, ratio: ratio)
                for r in 0..<rows {
                    let row = importance[r * columns..<(r + 1) * columns]
                    #expect(kept[r * columns..<(r + 1) * columns].contains(1))
                    #expect(kept[row.indices.max { row[$0] < row[$1] }!] == 1, "row \(r) keeps its maximum")
                    if ratio == -1 { #expect(kept[r * columns..<(r + 1) * columns].allSatisfy { $0 == 1 }) }
                }
            }
            for fraction in [0.01, 0.3, 1] {
                let kept = BlockSelection.topK(importance, rows: rows, columns: columns, keep: fraction)
                let k = max(1, Int((fraction * Double(columns)).rounded(.up)))
                for r in 0..<rows { #expect(kept[r * columns..<(r + 1) * columns].reduce(0) { $0 + Int($1) } == k) }
            }
        }
    }

    static let shapes: [(nq: Int, nk: Int, d: Int, heads: Int, kvHeads: Int)] = [
        (1, 1, 1, 1, 1), (3, 3, 3, 9, 9), (97, 97, 59, 9, 3), (17, 40, 32, 9, 9), (40, 17, 64, 2, 1), (130, 130, 32, 3, 3),
    ]

    @Test("degenerate settings (ρ_B = −1, τ_H = 0, exact scores and softmax) equal dense: error ≤ 2 × naive Float32 + 1e-6", arguments: shapes)
    func degenerateIsDense(shape: (nq: Int, nk: Int, d: Int, heads: Int, kvHeads: Int)) {
        let inputs = TestInputs(queries: shape.nq, keys: shape.nk, heads: shape.heads, kvHeads: shape.kvHeads, d: shape.d, seed: 31)
        let want = oracle(inputs)
        let method = HDPMethod(blocks: .rowBalanced(ratio: -1), heads: .integerThreshold(0), approximate: false, polynomialSoftmax: false)
        var records: [HeadWorkload] = []
        let hdp = inputs.run { problem in
            var states = [AttentionState(length: shape.nk)]
            records = method.attend(layer: 0, [problem], states: &states)[0]
        }
        let naive = inputs.run { DenseAttention.run([$0]) }
        #expect(maxError(hdp, want.out) <= 2 * maxError(naive, want.out) + 1e-6)
        for record in records {
            #expect(record.blocksKept == record.blocksTotal && record.allowedEntries == shape.nq * shape.nk && record.headPruned == 0)
            #expect(record.kvRowsRead == shape.nk)
        }
    }

    @Test("kept-block execution equals dense attention under the same block mask; records' counts equal the mask's", arguments: [2, 3, 8])
    func keptBlocksAreMaskedDense(block: Int) {
        var inputs = TestInputs(queries: 61, keys: 75, heads: 4, kvHeads: 2, d: 24, seed: 77)
        let ratio = 0.3
        let decisions = (0..<inputs.heads).map { Decisions(inputs, head: $0, block: block, ratio: ratio) }
        let method = HDPMethod(block: block, blocks: .rowBalanced(ratio: ratio), approximate: false, polynomialSoftmax: false)
        var records: [HeadWorkload] = []
        let hdp = inputs.run { problem in
            var states = [AttentionState(length: inputs.keys)]
            records = method.attend(layer: 0, [problem], states: &states)[0]
        }
        let layout = BlockLayout(blockRows: block, blockColumns: block, queryBlocks: decisions[0].rows, keyBlocks: decisions[0].columns,
                                 kept: decisions.map(\.kept))
        inputs.mask = AttentionMask(blocks: layout)
        let want = oracle(inputs)
        let naive = inputs.run { DenseAttention.run([$0]) }
        #expect(maxError(hdp, want.out) <= 2 * maxError(naive, want.out) + 1e-6)
        #expect(layout.density < 0.9, "the setting prunes blocks")
        for (h, record) in records.enumerated() {
            #expect(record.blocksKept == decisions[h].kept.reduce(0) { $0 + Int($1) })
            #expect(record.blocksTotal == decisions[h].rows * decisions[h].columns)
            #expect(record.allowedEntries == inputs.mask.allowedEntries(head: h, queries: inputs.queries, keys: inputs.keys))
            #expect(record.headImportance == decisions[h].theta)
            let keysRead = (0..<inputs.keys).filter { j in (0..<decisions[h].rows).contains { decisions[h].kept[$0 * decisions[h].columns + j / block] == 1 } }
            #expect(record.kvRowsRead == keysRead.count)
            #expect(record.pvMACs == record.allowedEntries * inputs.d && record.integerMACs == inputs.queries * inputs.keys * inputs.d)
        }
    }

    @Test("the approximation and the polynomial softmax equal a slow Float64 twin of their formulas")
    func approximationTwin() {
        let inputs = TestInputs(queries: 37, keys: 45, heads: 3, d: 19, seed: 8)
        let (block, ratio, format) = (2, 0.1, FixedPoint())
        let method = HDPMethod(block: block, blocks: .rowBalanced(ratio: ratio))
        let got = inputs.run { problem in
            var states = [AttentionState(length: inputs.keys)]
            _ = method.attend(layer: 0, [problem], states: &states)
        }
        let (nq, nk, d, heads) = (inputs.queries, inputs.keys, inputs.d, inputs.heads)
        let unit = Double(1 << format.fractionBits)
        var worst = 0.0
        for h in 0..<heads {
            let decisions = Decisions(inputs, head: h, block: block, ratio: ratio)
            let parts = { (x: Float) in format.split(format.code(x)) }
            for i in 0..<nq {
                let keys = (0..<nk).filter { decisions.kept[(i / block) * decisions.columns + $0 / block] == 1 }
                let scores = keys.map { j -> Double in
                    var fine = Double(decisions.integerScores[i * nk + j]) * unit
                    for c in 0..<d {
                        let (qi, qf) = parts(inputs.q[i * heads * d + h * d + c]), (ki, kf) = parts(inputs.k[j * heads * d + h * d + c])
                        fine += Double(qf) * Double(ki) + Double(qi) * Double(kf)
                    }
                    return fine / unit / Double(d).squareRoot()
                }
                let top = scores.max()!
                let e = scores.map { Double(PolynomialSoftmax.exp(Float($0 - top))) }
                let inverse = Double(PolynomialSoftmax.reciprocal(Float(e.reduce(0, +))))
                for c in 0..<d {
                    let want = zip(keys, e).reduce(0.0) { $0 + $1.1 * inverse * Double(inputs.v[$1.0 * heads * d + h * d + c]) }
                    worst = max(worst, abs(Double(got[i * heads * d + h * d + c]) - want))
                }
            }
        }
        #expect(worst <= 2e-5, "max |HDP − twin| = \(worst)")
    }

    @Test("head pruning: heads with Σ|S_I| / entries < τ_H output zeros and do only the integer product")
    func headPruning() {
        let inputs = TestInputs(queries: 20, keys: 20, heads: 6, d: 16, seed: 3)
        let thetas = (0..<inputs.heads).map { Double(Decisions(inputs, head: $0, block: 2, ratio: 0).theta) / 400 }
        let tau = thetas.sorted()[2] + 1e-9  // prunes the three least important heads
        var records: [HeadWorkload] = []
        let out = inputs.run { problem in
            var states = [AttentionState(length: 20)]
            records = HDPMethod(heads: .integerThreshold(tau)).attend(layer: 0, [problem], states: &states)[0]
        }
        for h in 0..<inputs.heads {
            let pruned = thetas[h] < tau
            #expect(records[h].headPruned == (pruned ? 1 : 0))
            let zero = (0..<20).allSatisfy { (i: Int) -> Bool in (0..<16).allSatisfy { out[(i * 6 + h) * 16 + $0] == 0 } }
            #expect(zero == pruned, "head \(h)")
            if pruned { #expect(records[h].qkMACs == records[h].integerMACs && records[h].pvMACs == 0 && records[h].kvRowsRead == 0) }
        }
        #expect(records.filter { $0.headPruned == 1 }.count == 3)
    }

    @Test("magnitude baseline: zeroes ⌊fraction · H⌋ heads, those with the smallest mean |output|")
    func magnitudeBaseline() {
        let inputs = TestInputs(queries: 12, keys: 12, heads: 9, d: 8, seed: 21)
        let full = inputs.run { DenseAttention.run([$0]) }
        var magnitude = [Double](repeating: 0, count: 9)
        for h in 0..<9 { for i in 0..<12 { for c in 0..<8 { magnitude[h] += Double(abs(full[(i * 9 + h) * 8 + c])) } } }
        let smallest = Set((0..<9).sorted { magnitude[$0] < magnitude[$1] }.prefix(3))
        var records: [HeadWorkload] = []
        let out = inputs.run { problem in
            var states = [AttentionState(length: 12)]
            let method = HDPMethod(blocks: .rowBalanced(ratio: -1), heads: .magnitude(fraction: 0.34), approximate: false, polynomialSoftmax: false)
            records = method.attend(layer: 0, [problem], states: &states)[0]
        }
        for h in 0..<9 {
            #expect(records[h].headPruned == (smallest.contains(h) ? 1 : 0))
            let zero = (0..<12).allSatisfy { (i: Int) -> Bool in (0..<8).allSatisfy { out[(i * 9 + h) * 8 + $0] == 0 } }
            #expect(zero == smallest.contains(h))
        }
    }

    @Test("polynomial exp: relative error ≤ 3.2e-3 over [−87, 0], reached near 3.1e-3; linear reciprocal ≤ 1/17, reached")
    func polynomialBounds() {
        var g = SeededGenerator(seed: 9)
        var worstExp = 0.0, worstReciprocal = 0.0
        let grid = (0...200_000).map { -87 * Double($0) / 200_000 }
        for x in grid + (0..<10_000).map({ _ in Double.random(in: -87...0, using: &g) }) {
            let x32 = Float(x)
            worstExp = max(worstExp, abs(Double(PolynomialSoftmax.exp(x32)) - Foundation.exp(Double(x32))) / Foundation.exp(Double(x32)))
        }
        for _ in 0..<100_000 {
            let s = Float(Foundation.exp(Double.random(in: -60...60, using: &g)))
            worstReciprocal = max(worstReciprocal, abs(Double(PolynomialSoftmax.reciprocal(s)) * Double(s) - 1))
        }
        #expect(worstExp <= PolynomialSoftmax.expRelativeError && worstExp >= 3.0e-3, "exp: \(worstExp)")
        #expect(worstReciprocal <= PolynomialSoftmax.reciprocalRelativeError && worstReciprocal >= 0.058, "reciprocal: \(worstReciprocal)")
        #expect(PolynomialSoftmax.exp(-.infinity) == 0 && PolynomialSoftmax.exp(0) == Float(0.3585 * 1.353 * 1.353 + 0.344))
    }

    @Test("polynomial exp: the kernel's power-of-two scaling is correctly rounded, into the subnormals")
    func polynomialExpScaling() {
        var g = SeededGenerator(seed: 4)
        for _ in 0..<100_000 {
            let x = Float.random(in: -104...0, using: &g)
            let z = (-x / 0.69314718).rounded(.down)
            var r = x + z * 0.69314718
            if r > 0 { r = 0 }
            let p = 0.3585 * (r + 1.353) * (r + 1.353) + 0.344
            // p·2^−z is exact in Double; one rounding to Float is the correctly rounded result.
            let expected: Float = z > 149 ? 0 : Float(Double(p) * Foundation.pow(2, -Double(z)))
            #expect(PolynomialSoftmax.exp(x).bitPattern == expected.bitPattern, "x \(x)")
        }
    }

    @Test("block importances equal brute-force Σ|s| per block on awkward sizes", arguments: [(1, 1), (3, 97), (97, 1025), (2, 64)])
    func blockImportances(size: (m: Int, n: Int)) {
        var g = SeededGenerator(seed: UInt64(size.m * 7 + size.n))
        let s = (0..<(size.m * size.n)).map { _ in Int32.random(in: -1_000_000...1_000_000, using: &g) }
        for block in [1, 2, 3, 64] {
            let (rows, columns) = ((size.m + block - 1) / block, (size.n + block - 1) / block)
            var expected = [Double](repeating: 0, count: rows * columns)
            for i in 0..<size.m { for j in 0..<size.n { expected[(i / block) * columns + j / block] += Double(abs(s[i * size.n + j])) } }
            let got = s.withUnsafeBufferPointer { BlockSelection.importance($0, queries: size.m, keys: size.n, block: block) }
            #expect(got == expected, "\(size) block \(block)")
        }
    }

    @Test("plan validation: ranges, exclusive settings, HDP keys on other methods, unknown keys")
    func planValidation() throws {
        let bad: [(String, String)] = [
            (#"{"method": "hdp", "block_ratio": 1.5}"#, "block_ratio"),
            (#"{"method": "hdp", "block_ratio": 0.2, "top_k": 0.3}"#, "top_k"),
            (#"{"method": "hdp", "top_k": 0}"#, "top_k"),
            (#"{"method": "hdp", "head_threshold": -1}"#, "head_threshold"),
            (#"{"method": "hdp", "magnitude_heads": 1}"#, "magnitude_heads"),
            (#"{"method": "hdp", "block_size": 0}"#, "block_size"),
            (#"{"method": "hdp", "softmax": "lut"}"#, "softmax"),
            (#"{"method": "hdp", "fixed_point": {"total_bits": 32}}"#, "fixed_point"),
            (#"{"method": "window", "windows": [2], "block_ratio": 0.1}"#, "block_ratio"),
            (#"{"method": "hdp", "block_ration": 0.1}"#, "block_ration"),
        ]
        for (json, mentioned) in bad {
            let error = #expect(throws: AttentionPlanError.self) { try AttentionPlan.load(json: Data(json.utf8), source: "p.json").makeMethod(layers: 6) }
            #expect(error.map { "\($0)" }?.contains(mentioned) == true, "\(json): \(String(describing: error))")
        }
        let good = try AttentionPlan.load(json: Data(#"{"method": "hdp", "block_ratio": -0.5, "head_threshold": 2, "approximate": false, "softmax": "exact"}"#.utf8), source: "p.json")
        let method = try #require(try good.makeMethod(layers: 6) as? HDPMethod)
        #expect(method.blocks == .rowBalanced(ratio: -0.5) && method.heads == .integerThreshold(2) && !method.approximate && !method.polynomialSoftmax)
    }
}
