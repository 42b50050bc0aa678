import AttendAttention
import AttendKernels
import Foundation
import Testing

/// The mask kinds of the conformance grid, for `heads` heads over `queries × keys`.
private func maskKinds(heads: Int, queries: Int, keys: Int, seed: UInt64) -> [(String, AttentionMask)] {
    var g = SeededGenerator(seed: seed)
    func layout(_ br: Int, _ bc: Int, density: Double) -> BlockLayout {
        let (qb, kb) = ((queries + br - 1) / br, (keys + bc - 1) / bc)
        return BlockLayout(blockRows: br, blockColumns: bc, queryBlocks: qb, keyBlocks: kb,
                           kept: (0..<heads).map { _ in (0..<(qb * kb)).map { _ in Double.random(in: 0..<1, using: &g) < density ? 1 : 0 } })
    }
    return [
        ("none", .none),
        ("causal", AttentionMask(causal: true, causalOffset: max(0, keys - queries))),
        ("window 3/5 + globals", AttentionMask(window: Window(left: 3, right: 5, globals: [0, 7]))),
        ("window 0/0", AttentionMask(window: Window(left: 0, right: 0))),
        ("window left-only 20, globals not attending", AttentionMask(window: Window(left: 20, right: nil, globals: [2], globalsAttendAll: false))),
        ("blocks 16×32 50 %", AttentionMask(blocks: layout(16, 32, density: 0.5))),
        ("blocks 5×3 60 %", AttentionMask(blocks: layout(5, 3, density: 0.6))),
        ("skipped heads", AttentionMask(skippedHeads: [1, 4])),
        ("causal + window + blocks", AttentionMask(causal: true, window: Window.rebert(8), blocks: layout(32, 32, density: 0.7))),
    ]
}

@Suite("Tiled attention vs the Float64 oracle")
struct TiledAttentionTests {
    /// (queries, keys, d): every N of the grid, Nq ≠ Nk both ways, every d.
    static let shapes = [(1, 1, 1), (2, 3, 3), (3, 2, 32), (17, 17, 59), (97, 17, 64), (17, 97, 111),
                         (128, 128, 64), (97, 1025, 3), (1025, 97, 32), (1025, 1025, 64)]

    @Test("conformance grid: every mask kind, 9 heads; error ≤ 2 × the naive Float32 error + 1e-6", arguments: shapes)
    func conformance(shape: (Int, Int, Int)) {
        let (nq, nk, d) = shape
        for (name, mask) in maskKinds(heads: 9, queries: nq, keys: nk, seed: UInt64(nq * 31 + nk)) {
            let inputs = TestInputs(queries: nq, keys: nk, heads: 9, d: d, mask: mask, seed: UInt64(nq * 1000 + nk * 10 + d))
            let want = oracle(inputs)
            var results: [AttentionResult] = []
            let tiled = inputs.run { results = TiledAttention.run([$0], logSumExp: true, columnSums: true) }
            let naive = inputs.run { DenseAttention.run([$0]) }
            let (tiledError, naiveError) = (maxError(tiled, want.out), maxError(naive, want.out))
            #expect(tiledError <= 2 * naiveError + 1e-6, "\(nq)×\(nk) d=\(d) \(name): tiled \(tiledError), naive \(naiveError)")
            #expect(!tiled.contains { $0.isNaN }, "\(name): NaN in output")
            for h in 0..<9 {
                for i in 0..<nq {
                    let (got, exact) = (results[0].logSumExp[h][i], want.lse[h][i])
                    if exact == -.infinity { #expect(got == -.infinity, "\(name) head \(h) row \(i): lse \(got), expected −∞") } else {
                        #expect(abs(Double(got) - exact) <= 1e-5 * max(1, abs(exact)), "\(name) head \(h) row \(i): lse \(got) vs \(exact)")
                    }
                }
                let sumError = zip(results[0].columnSums[h], want.columnSums[h]).map { abs(Double($0) - $1) / max(1, $1) }.max() ?? 0
                #expect(sumError <= 1e-5, "\(name) head \(h): column sums off by \(sumError)")
                #expect(results[0].workloads[h].allowedEntries == mask.allowedEntries(head: h, queries: nq, keys: nk),
                        "\(name) head \(h): allowed entries in the record")
            }
        }
    }

    @Test("column sums of few-row problems (a decode step) and of the table softmax: the oracle's, and Σ_j = rows with an allowed key",
          arguments: [(1, 1, 1), (1, 1025, 64), (3, 97, 17), (16, 1025, 32), (16, 3, 64), (200, 300, 16)])
    func columnSumsFewRowsAndTable(shape: (Int, Int, Int)) {
        let (nq, nk, d) = shape
        for (name, mask) in maskKinds(heads: 9, queries: nq, keys: nk, seed: UInt64(nq * 7 + nk)) {
            let inputs = TestInputs(queries: nq, keys: nk, heads: 9, d: d, mask: mask, seed: UInt64(nq * 100 + nk + d))
            let want = oracle(inputs)
            var (exact, table): ([AttentionResult], [AttentionResult]) = ([], [])
            _ = inputs.run { exact = TiledAttention.run([$0], logSumExp: true, columnSums: true) }
            _ = inputs.run { table = TiledAttention.run([$0], logSumExp: true, columnSums: true, softmax: LUTExp()) }
            for h in 0..<9 {
                let error = zip(exact[0].columnSums[h], want.columnSums[h]).map { abs(Double($0) - $1) / max(1, $1) }.max() ?? 0
                #expect(error <= 1e-5, "\(nq)×\(nk) d=\(d) \(name) head \(h): column sums off by \(error)")
                // Every row with an allowed key contributes probabilities summing to 1, with either exponential.
                let rows = Double(want.lse[h].filter { $0 > -.infinity }.count)
                for result in [exact, table] {
                    let total = result[0].columnSums[h].reduce(0) { $0 + Double($1) }
                    #expect(abs(total - rows) <= 1e-5 * max(1, rows), "\(name) head \(h): Σ column sums \(total), rows \(rows)")
                }
            }
        }
    }

    @Test("grouped-query attention: 12 query heads over 3 key/value heads")
    func groupedQuery() {
        let inputs = TestInputs(queries: 70, keys: 130, heads: 12, kvHeads: 3, d: 32, mask: AttentionMask(causal: true, causalOffset: 60), seed: 9)
        let want = oracle(inputs)
        let tiled = inputs.run { _ = TiledAttention.run([$0]) }
        let naive = inputs.run { DenseAttention.run([$0]) }
        #expect(maxError(tiled, want.out) <= 2 * maxError(naive, want.out) + 1e-6)
    }

    @Test("a window covering everything and an all-ones layout give the unmasked result")
    func degenerateMasks() {
        let n = 200
        let plain = TestInputs(queries: n, keys: n, heads: 3, d: 40, seed: 5)
        let unmasked = plain.run { _ = TiledAttention.run([$0]) }
        var wide = plain
        wide.mask = AttentionMask(window: Window(left: n, right: n, globals: [0]))
        var ones = plain
        let blocks = (n + 63) / 64
        ones.mask = AttentionMask(blocks: BlockLayout(blockRows: 64, blockColumns: 64, queryBlocks: blocks, keyBlocks: blocks,
                                                      kept: Array(repeating: Array(repeating: 1, count: blocks * blocks), count: 3)))
        // Tile shapes differ between the three runs, so sums round differently: compare at Float32 rounding.
        for (name, inputs) in [("window ≥ n", wide), ("all-ones layout", ones)] {
            var records: [AttentionResult] = []
            let got = inputs.run { records = TiledAttention.run([$0]) }
            let difference = zip(got, unmasked).map { abs($0 - $1) }.max() ?? 0
            #expect(difference <= 1e-6, "\(name): max difference \(difference) from unmasked")
            #expect(records[0].workloads.allSatisfy { $0.allowedEntries == n * n }, "\(name): every entry allowed")
        }
    }

    @Test("Q = K = constant gives the mean of V over the allowed keys")
    func constantScores() {
        let (n, d) = (150, 16)
        var inputs = TestInputs(queries: n, keys: n, heads: 1, d: d, mask: AttentionMask(window: Window.rebert(10)), seed: 3)
        inputs = TestInputs(copying: inputs, q: [Float](repeating: 0.25, count: n * d), k: [Float](repeating: 0.25, count: n * d))
        let out = inputs.run { _ = TiledAttention.run([$0]) }
        for i in 0..<n {
            let allowed = (0..<n).filter { inputs.mask.allows(head: 0, query: i, key: $0, keys: n) }
            for c in 0..<d {
                let mean = allowed.reduce(0.0) { $0 + Double(inputs.v[$1 * d + c]) } / Double(allowed.count)
                #expect(abs(Double(out[i * d + c]) - mean) <= 1e-5, "row \(i) column \(c)")
            }
        }
    }

    @Test("fully masked rows give zeros and lse −∞, never NaN")
    func fullyMaskedRows() {
        let inputs = TestInputs(queries: 40, keys: 40, heads: 2, d: 8, mask: AttentionMask(causal: true, causalOffset: -5), seed: 4)
        var results: [AttentionResult] = []
        let out = inputs.run { results = TiledAttention.run([$0], logSumExp: true, columnSums: true) }
        for i in 0..<5 {
            #expect(out[(i * 16)..<(i * 16 + 16)].allSatisfy { $0 == 0 }, "row \(i)")
            #expect(results[0].logSumExp[0][i] == -.infinity && results[0].logSumExp[1][i] == -.infinity)
        }
        #expect(!out.contains { $0.isNaN })
        #expect(!results[0].columnSums.joined().contains { $0.isNaN })
    }

    @Test("1 and 2 threads give identical results")
    func threadIndependence() {
        let inputs = TestInputs(queries: 300, keys: 333, heads: 5, d: 64, mask: AttentionMask(window: Window.rebert(40)), seed: 8)
        Parallel.threads = 1
        var one: [AttentionResult] = []
        let a = inputs.run { one = TiledAttention.run([$0], logSumExp: true, columnSums: true) }
        Parallel.threads = 2
        var two: [AttentionResult] = []
        let b = inputs.run { two = TiledAttention.run([$0], logSumExp: true, columnSums: true) }
        Parallel.threads = Parallel.defaultThreads
        #expect(a == b)
        #expect(one[0].logSumExp == two[0].logSumExp && one[0].columnSums == two[0].columnSums)
        #expect(one[0].workloads == two[0].workloads)
    }
}

@Suite("Mask closed forms")
struct MaskClosedFormTests {
    /// Σ_i |[max(0, i−L), min(n−1, i+R)]| for an n × n window without globals.
    static func band(_ n: Int, _ l: Int, _ r: Int) -> Int {
        (0..<n).reduce(0) { $0 + min(n - 1, $1 + r) - max(0, $1 - l) + 1 }
    }

    @Test("window counts: n(L+R+1) − L(L+1)/2 − R(R+1)/2 when n > L + R", arguments: [(50, 3, 5), (1025, 32, 32), (64, 0, 0), (100, 7, 0)])
    func windowCount(n: Int, l: Int, r: Int) {
        let closed = n * (l + r + 1) - l * (l + 1) / 2 - r * (r + 1) / 2
        #expect(Self.band(n, l, r) == closed)
        let inputs = TestInputs(queries: n, keys: n, heads: 1, d: 4, mask: AttentionMask(window: Window(left: l, right: r)), seed: 1)
        var records: [AttentionResult] = []
        _ = inputs.run { records = TiledAttention.run([$0]) }
        #expect(records[0].workloads[0].allowedEntries == closed)
        #expect(inputs.mask.allowedEntries(head: 0, queries: n, keys: n) == closed)
    }

    @Test("window with global [CLS] attending all: band + (n − 1 − min(L, n−1)) + (n − 1 − min(R, n−1))", arguments: [(50, 3), (300, 16), (10, 20)])
    func windowWithGlobal(n: Int, w: Int) {
        let closed = Self.band(n, w, w) + (n - 1 - min(w, n - 1)) + (n - 1 - min(w, n - 1))
        let mask = AttentionMask(window: Window.rebert(w))
        #expect(mask.allowedEntries(head: 0, queries: n, keys: n) == closed)
        let inputs = TestInputs(queries: n, keys: n, heads: 1, d: 4, mask: mask, seed: 2)
        var records: [AttentionResult] = []
        _ = inputs.run { records = TiledAttention.run([$0]) }
        #expect(records[0].workloads[0].allowedEntries == closed)
    }

    @Test("causal n × n: n(n+1)/2 allowed; dense records count n² entries, 2·n²·d MACs", arguments: [1, 64, 97, 1025])
    func causalAndDense(n: Int) {
        let causal = TestInputs(queries: n, keys: n, heads: 1, d: 8, mask: AttentionMask(causal: true), seed: 3)
        var records: [AttentionResult] = []
        _ = causal.run { records = TiledAttention.run([$0]) }
        #expect(records[0].workloads[0].allowedEntries == n * (n + 1) / 2)
        let dense = TestInputs(queries: n, keys: n, heads: 1, d: 8, seed: 3)
        _ = dense.run { records = TiledAttention.run([$0]) }
        let w = records[0].workloads[0]
        #expect(w.allowedEntries == n * n && w.computedEntries == n * n && w.qkMACs + w.pvMACs == 2 * n * n * 8)
    }

    @Test("block layouts: allowed entries equal a brute-force count; tiles kept equal blocks kept")
    func blockLayouts() {
        var g = SeededGenerator(seed: 11)
        let (n, b) = (200, 32)
        let kb = (n + b - 1) / b
        let layout = BlockLayout(blockRows: b, blockColumns: b, queryBlocks: kb, keyBlocks: kb,
                                 kept: [(0..<(kb * kb)).map { _ in UInt8.random(in: 0...1, using: &g) }])
        let inputs = TestInputs(queries: n, keys: n, heads: 1, d: 4, mask: AttentionMask(blocks: layout), seed: 6)
        var records: [AttentionResult] = []
        _ = inputs.run { records = TiledAttention.run([$0]) }
        var brute = 0
        for i in 0..<n { for j in 0..<n where layout.keeps(head: 0, i, j) { brute += 1 } }
        #expect(records[0].workloads[0].allowedEntries == brute)
        #expect(records[0].workloads[0].blocksKept == layout.kept[0].reduce(0) { $0 + Int($1) })
        #expect(records[0].workloads[0].blocksTotal == kb * kb)
    }
}
