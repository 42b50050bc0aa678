@testable import AttendAttention
import Foundation
import Testing

/// The full-sort twin of `TopK.select`: sort by (value descending, index ascending), take k, restore order.
private func sortedTopK(_ values: [Float], k: Int) -> [Int] {
    Array(values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(k)).sorted()
}

/// Runs `method` on one layer of the sequence `inputs`, restricted to the surviving tokens of `state`
/// (their rows of q, k, v gathered); returns the output [n, H·d] and the records.
private func runLayer(_ method: SpAttenMethod, layer: Int, _ inputs: TestInputs, _ state: inout AttentionState) -> ([Float], [HeadWorkload]) {
    let (hd, kd) = (inputs.heads * inputs.d, inputs.kvHeads * inputs.d)
    let rows = state.positions
    let gathered = TestInputs(copying: TestInputs(queries: rows.count, keys: rows.count, heads: inputs.heads, kvHeads: inputs.kvHeads,
                                                  d: inputs.d, mask: inputs.mask, seed: 0),
                              q: rows.flatMap { inputs.q[($0 * hd)..<($0 * hd + hd)] }, k: rows.flatMap { inputs.k[($0 * kd)..<($0 * kd + kd)] },
                              v: rows.flatMap { inputs.v[($0 * kd)..<($0 * kd + kd)] })
    var states = [state]
    var records: [[HeadWorkload]] = []
    let out = gathered.run { records = method.attend(layer: layer, [$0], states: &states) }
    state = states[0]
    return (out, records[0])
}

@Suite("SpAtten: top-k, schedule, cascade pruning, progressive quantization")
struct SpAttenTests {
    @Test("quick-select top-k equals a full sort on awkward sizes, with ties and every k", arguments: [1, 2, 3, 17, 97, 1025])
    func topKEqualsSort(n: Int) {
        var g = SeededGenerator(seed: UInt64(n))
        let kinds: [[Float]] = [
            (0..<n).map { _ in Float.random(in: -1...1, using: &g) },
            (0..<n).map { _ in Float(Int.random(in: 0...3, using: &g)) },  // many ties
            [Float](repeating: 0.5, count: n),                              // all equal
            (0..<n).map { Float($0 % 5 == 0 ? Float.infinity : Float($0 % 7)) },  // protected entries
        ]
        for values in kinds {
            let ks = n <= 97 ? Array(0...n) : [0, 1, 2, 3, n / 3, n / 2, n - 1, n]
            for k in ks {
                #expect(TopK.select(values, k: k) == sortedTopK(values, k: k), "n \(n) k \(k)")
            }
            var work = values
            if n > 0 { #expect(TopK.kthLargest(&work, k: 1).value == values.max()!) }
        }
    }

    @Test("schedule: first 15 % of layers unpruned, ratios linear with mean r_avg, heads from 30 %, longer inputs pruned harder")
    func schedule() {
        let s = SpAttenSchedule(layers: 12, tokenRatio: 0.2, tokenRatioStart: 0.1, headRatio: 0.25)
        #expect(s.tokenStart == 2 && s.headStart == 4)
        #expect((0..<2).allSatisfy { s.tokenRatio(layer: $0, length: 50) == 0 })
        let ratios = (2..<12).map { s.tokenRatio(layer: $0, length: 50) }
        #expect(abs(ratios.first! - 0.1) < 1e-12 && abs(ratios.last! - 0.3) < 1e-12)
        #expect(abs(ratios.reduce(0, +) / Double(ratios.count) - 0.2) < 1e-12)
        #expect(s.keptHeads(layer: 3, of: 12) == 12 && s.keptHeads(layer: 4, of: 12) == 9)
        #expect(SpAttenSchedule(layers: 6).tokenStart == 1 && SpAttenSchedule(layers: 6).headStart == 2)
        #expect(SpAttenSchedule(layers: 30).tokenStart == 5 && SpAttenSchedule(layers: 30).headStart == 9)
        let long = SpAttenSchedule(layers: 6, tokenRatio: 0.2, referenceLength: 128)
        #expect(long.tokenRatio(layer: 3, length: 128) == 0.2)
        #expect(abs(long.tokenRatio(layer: 3, length: 512) - 0.6) < 1e-12)  // 1 − 0.8·√(1/4)
        #expect(SpAttenSchedule.keptCount(ratio: 0.3, of: 10) == 7 && SpAttenSchedule.keptCount(ratio: 0, of: 10) == 10)
        #expect(throws: AttentionPlanError.self) { try SpAttenSchedule(layers: 6, tokenRatio: 0.6, tokenRatioStart: 0.1).validate() }
    }

    @Test("every ratio 0, full precision: the tiled kernel's result within its tolerance, on awkward sizes",
          arguments: [(1, 1), (3, 3), (17, 32), (97, 64)])
    func degenerateEqualsDense(shape: (Int, Int)) {
        let (n, d) = shape
        for mask in [AttentionMask.none, AttentionMask(causal: true)] {
            let inputs = TestInputs(queries: n, keys: n, heads: 5, d: d, mask: mask, seed: UInt64(n * 7 + d))
            let want = oracle(inputs)
            let naive = inputs.run { DenseAttention.run([$0]) }
            var state = AttentionState(length: n)
            let (got, records) = runLayer(SpAttenMethod(schedule: SpAttenSchedule(layers: 6)), layer: 3, inputs, &state)
            #expect(maxError(got, want.out) <= 2 * maxError(naive, want.out) + 1e-6, "n \(n) d \(d)")
            #expect(state.positions == Array(0..<n) && state.prunedHeads.isEmpty)
            #expect(records.allSatisfy { $0.spatten?.row.keysFetched == n && $0.spatten?.row.valuesFetched == n })
            // The per-head reference path (quantization / value pruning) with both off is dense too, column sums included.
            var sums: [[Float]] = []
            let reference = inputs.run { p in sums = (0..<5).map { SpAttenHead(p, head: $0, quantization: nil, valueRatio: 0).columnSums } }
            #expect(maxError(reference, want.out) <= 2 * maxError(naive, want.out) + 1e-6)
            for h in 0..<5 { #expect(maxError(sums[h], want.columnSums[h]) <= 1e-5 * Double(n)) }
        }
    }

    @Test("cascade token pruning: kept counts follow the schedule, [CLS] stays, a pruned token never reappears; heads stay pruned")
    func cascade() {
        let n = 97
        let inputs = TestInputs(queries: n, keys: n, heads: 6, d: 16, seed: 5)
        let method = SpAttenMethod(schedule: SpAttenSchedule(layers: 8, tokenRatio: 0.2, tokenRatioStart: 0.1, headRatio: 0.34))
        var state = AttentionState(length: n)
        var seen = Set(0..<n), prunedHeads: Set<Int> = []
        for l in 0..<8 {
            let before = state.positions
            let (_, records) = runLayer(method, layer: l, inputs, &state)
            #expect(state.positions.first == 0, "layer \(l): [CLS] pruned")
            #expect(Set(state.positions).isSubset(of: seen) && state.positions == state.positions.sorted(), "layer \(l): a token came back")
            let expected = l + 1 < 8 ? SpAttenSchedule.keptCount(ratio: method.schedule.tokenRatio(layer: l + 1, length: n), of: before.count) : before.count
            #expect(state.positions.count == expected, "layer \(l)")
            #expect(state.prunedHeads.isSuperset(of: prunedHeads))
            #expect(state.prunedHeads.count == 6 - method.schedule.keptHeads(layer: l, of: 6))
            #expect(records.filter { $0.spatten != nil }.count == 6 - state.prunedHeads.count)
            let topK = records.compactMap(\.spatten).filter(\.row.runsTopK)
            #expect(topK.count == (expected < before.count ? 1 : 0) && topK.allSatisfy { $0.row.topK == expected })
            seen = Set(state.positions)
            prunedHeads = state.prunedHeads
        }
        #expect(state.positions.count < n / 2)
    }

    @Test("causal problems never prune the newest token")
    func newestKept() {
        let n = 40
        let inputs = TestInputs(queries: n, keys: n, heads: 3, d: 8, mask: AttentionMask(causal: true), seed: 11)
        let method = SpAttenMethod(schedule: SpAttenSchedule(layers: 4, tokenRatio: 0.5))
        var state = AttentionState(length: n)
        for l in 0..<3 {
            _ = runLayer(method, layer: l, inputs, &state)
            #expect(state.positions.last == n - 1 && state.positions.first == 0)
        }
    }

    @Test("deterministic: the same inputs give bit-identical outputs, states and records")
    func deterministic() {
        let inputs = TestInputs(queries: 60, keys: 60, heads: 4, d: 16, seed: 3)
        let method = SpAttenMethod(schedule: SpAttenSchedule(layers: 6, tokenRatio: 0.3, headRatio: 0.5), valueRatio: 0.5,
                                   quantization: ProgressiveQuantization(keyBits: 4, lsbBits: 4, threshold: 0.2))
        var runs: [([Float], AttentionState, [HeadWorkload])] = []
        for _ in 0..<2 {
            var state = AttentionState(length: 60)
            var outputs: [Float] = [], records: [HeadWorkload] = []
            for l in 0..<6 {
                let (out, r) = runLayer(method, layer: l, inputs, &state)
                outputs += out
                records += r
            }
            runs.append((outputs, state, records))
        }
        #expect(runs[0].0 == runs[1].0 && runs[0].1 == runs[1].1 && runs[0].2 == runs[1].2)
    }

    @Test("progressive quantization: codes within half a step; threshold 1 requantizes every row, 0 none; 12 + 4 bits ≈ dense")
    func quantization() {
        let x = randomFloats(97 * 3, seed: 2)
        let q = x.withUnsafeBufferPointer { ProgressiveQuantization.quantized($0.baseAddress!, ld: 3, rows: 97, d: 3, bits: 8) }
        let step = Double(x.map(abs).max()!) / 127
        #expect(zip(q, x).allSatisfy { abs(Double($0) - Double($1)) <= step / 2 + 1e-7 })
        let msb = x.withUnsafeBufferPointer { ProgressiveQuantization.quantized($0.baseAddress!, ld: 3, rows: 97, d: 3, bits: 8, droppedLSBs: 4) }
        #expect(zip(msb, x).allSatisfy { abs(Double($0) - Double($1)) <= 8.5 * step + 1e-7 })

        let inputs = TestInputs(queries: 33, keys: 33, heads: 2, d: 16, seed: 8)
        for (threshold, rows) in [(1.0, 33), (0.0, 0)] {
            var requantized = 0
            _ = inputs.run { p in
                requantized = SpAttenHead(p, head: 0, quantization: ProgressiveQuantization(keyBits: 4, lsbBits: 4, threshold: threshold), valueRatio: 0).requantizedRows
            }
            #expect(requantized == rows)
        }
        let want = oracle(inputs)
        let fine = inputs.run { p in for h in 0..<2 { _ = SpAttenHead(p, head: h, quantization: ProgressiveQuantization(keyBits: 12, lsbBits: 4), valueRatio: 0) } }
        #expect(maxError(fine, want.out) < 1e-3)
    }

    @Test("token-scale quantization: causal rows on the layer's codes equal SpAttenHead on the dequantized values; codes are exact; pruning compacts them",
          arguments: [(1, 16, 2), (3, 64, 2), (4, 97, 2), (97, 8, 1)])
    func quantizedCache(queries: Int, d: Int, kvHeads: Int) {
        let n = 97
        for threshold in [0.1, 1.0] {
            let quantization = ProgressiveQuantization(keyBits: 8, lsbBits: 4, valueBits: 8, threshold: threshold, granularity: .token)
            // 6 heads: groups of 3 on 2 KV heads, or 4 + 2 on one.
            let inputs = TestInputs(queries: queries, keys: n, heads: 6, kvHeads: kvHeads, d: d, mask: AttentionMask(causal: true, causalOffset: n - queries),
                                    seed: UInt64(d + queries))
            let method = SpAttenMethod(schedule: SpAttenSchedule(layers: 4), quantization: quantization)
            var states = [AttentionState(length: n)], records: [[HeadWorkload]] = []
            let got = inputs.run { records = method.attend(layer: 0, [$0], states: &states) }
            var requantized: [Int] = []
            let want = inputs.run { p in requantized = (0..<6).map { SpAttenHead(p, head: $0, quantization: quantization, valueRatio: 0).requantizedRows } }
            #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-5 }, "queries \(queries), d \(d), θ \(threshold)")
            #expect(records[0].map { $0.spatten!.requantizedRows } == requantized)
            if threshold == 1 { #expect(requantized.allSatisfy { $0 == min(queries, n - 1) }) }  // a row with one allowed key has p = 1

            // The codes: (msb·2^4 + lsb)·s is the 12-bit per-row value, (msb·2^4 + 8)·s the MSB-only one.
            let cache = states[0].quantizedKV!
            #expect(cache.rows == n)
            let full = inputs.k.withUnsafeBufferPointer { ProgressiveQuantization.quantized($0.baseAddress!, ld: d, rows: kvHeads * n, d: d, bits: 12, perRow: true) }
            let msb = inputs.k.withUnsafeBufferPointer { ProgressiveQuantization.quantized($0.baseAddress!, ld: d, rows: kvHeads * n, d: d, bits: 12, droppedLSBs: 4, perRow: true) }
            for r in 0..<(kvHeads * n) {  // row r: token t = r / kvHeads, KV head g = r % kvHeads
                let (t, codes) = (r / kvHeads, cache.heads[r % kvHeads])
                let s = codes.keyScales[t]
                for c in 0..<d {
                    #expect(Float(Int(codes.keyMSBs[t * d + c]) * 16 + Int(codes.keyLSBs[t * d + c])) * s == full[r * d + c])
                    #expect((Float(codes.keyMSBs[t * d + c]) * 16 + 8) * s == msb[r * d + c])
                }
            }
        }
        // Pruning (layer 3 of 4 prunes): the codes are those of the surviving rows, in order.
        let inputs = TestInputs(queries: 1, keys: n, heads: 2, d: d, mask: AttentionMask(causal: true, causalOffset: n - 1), seed: 5)
        let quantization = ProgressiveQuantization(keyBits: 8, lsbBits: 4, valueBits: 8, granularity: .token)
        var states = [AttentionState(length: n)]
        _ = inputs.run { _ = SpAttenMethod(schedule: SpAttenSchedule(layers: 4, tokenRatio: 0.5), quantization: quantization).attend(layer: 3, [$0], states: &states) }
        let kept = states[0].positions
        #expect(kept.count < n)
        let survivors = QuantizedKVCache(kvHeads: 2, headDim: d, quantization: quantization)
        let (k, v) = (kept.flatMap { inputs.k[($0 * 2 * d)..<($0 * 2 * d + 2 * d)] }, kept.flatMap { inputs.v[($0 * 2 * d)..<($0 * 2 * d + 2 * d)] })
        survivors.append(k: k, ldk: 2 * d, v: v, ldv: 2 * d, rows: kept.count)
        #expect(states[0].quantizedKV! == survivors)
    }

    @Test("local value pruning fetches ⌈(1 − r)·keys⌉ V rows, those with the largest probability sums")
    func valuePruning() {
        let inputs = TestInputs(queries: 20, keys: 31, heads: 1, d: 8, seed: 4)
        var head: SpAttenHead?
        let out = inputs.run { head = SpAttenHead($0, head: 0, quantization: nil, valueRatio: 0.7) }
        #expect(head!.valuesFetched == 10)
        let kept = sortedTopK(head!.columnSums, k: 10)
        // Recompute o_i = Σ_{kept j} p_ij v_j from the oracle's probabilities.
        let scale = 1 / Double(8).squareRoot()
        for i in 0..<20 {
            let s = (0..<31).map { j in (0..<8).reduce(0.0) { $0 + Double(inputs.q[i * 8 + $1]) * Double(inputs.k[j * 8 + $1]) } * scale }
            let m = s.max()!, z = s.reduce(0.0) { $0 + exp($1 - m) }
            for c in 0..<8 {
                let o = kept.reduce(0.0) { $0 + exp(s[$1] - m) / z * Double(inputs.v[$1 * 8 + c]) }
                #expect(abs(Double(out[i * 8 + c]) - o) < 1e-5)
            }
        }
    }

    @Test("plans: spatten settings parse, bad ones are typed errors, settings of other methods rejected")
    func plans() throws {
        let json = #"{"method": "spatten", "token_ratio": 0.2, "head_ratio": 0.25, "value_ratio": 0.5, "quantization": {"key_bits": 8, "threshold": 0.05}}"#
        let method = try AttentionPlan.load(json: Data(json.utf8), source: "p.json").makeMethod(layers: 6) as! SpAttenMethod
        #expect(method.schedule.tokenRatio == 0.2 && method.schedule.headRatio == 0.25 && method.valueRatio == 0.5)
        #expect(method.quantization == ProgressiveQuantization(keyBits: 8, lsbBits: 4, queryBits: 12, valueBits: 12, threshold: 0.05))
        #expect(throws: AttentionPlanError.self) { try AttentionPlan(method: "spatten", tokenRatio: 1.2).makeMethod(layers: 6) }
        #expect(throws: AttentionPlanError.self) { try AttentionPlan(method: "tiled", headRatio: 0.2).makeMethod(layers: 6) }
        #expect(throws: AttentionPlanError.self) {
            try AttentionPlan.load(json: Data(#"{"method": "spatten", "quantization": {"key_bits": 1}}"#.utf8), source: "q.json")
        }
        let token = #"{"method": "spatten", "quantization": {"key_bits": 8, "value_bits": 8, "granularity": "token"}}"#
        #expect(try AttentionPlan.load(json: Data(token.utf8), source: "t.json").quantization?.granularity == .token)
        #expect(throws: AttentionPlanError.self) {
            try AttentionPlan.load(json: Data(#"{"method": "spatten", "quantization": {"key_bits": 8, "granularity": "row"}}"#.utf8), source: "r.json")
        }
    }
}
