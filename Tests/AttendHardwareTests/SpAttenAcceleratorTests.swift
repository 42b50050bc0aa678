import AttendHardware
import AttendWorkload
import Foundation
import Testing

/// hardware/spatten.json (or another shipped SpAtten file).
func spatten(_ name: String = "spatten.json") throws -> SpAttenAccelerator {
    guard case let .spatten(a) = try shipped(name) else { throw ConfigError(file: name, key: "kind", reason: "not spatten") }
    return a
}

/// The slow twin of `SpAttenTopK.run`: quick-select on real values, partitioning arrays as the
/// authors' TopKLatencyModel.scala does, the pivot taken at index `pivotIndex(current candidates)`.
func quickSelectTwin(_ values: [Int], target: Int, comparators p: Int, overhead: Int, pivotIndex: ([Int]) -> Int) -> SpAttenTopK.Run {
    var run = SpAttenTopK.Run()
    var (seq, t) = (values, target)
    while !seq.isEmpty {
        run.cycles += (seq.count + p - 1) / p + overhead
        run.iterations += 1
        run.comparisons += seq.count
        let pivot = seq[pivotIndex(seq)]
        let left = seq.filter { $0 < pivot }, right = seq.filter { $0 > pivot }, equal = seq.count - left.count - right.count
        if left.count <= t {
            if left.count + equal > t { break }
            t -= left.count + equal
            seq = right
        } else {
            seq = left
        }
    }
    return run
}

@Suite("SpAtten accelerator")
struct SpAttenAcceleratorTests {
    static let row = SpAttenWorkloadRow(
        iteration: 2, layer: 1, head: 3, headDim: 64, sentenceLength: 300, keysFetched: 100, keyBits: 6, queryBits: 16,
        requantThreshold: 0.05, requantized: true, requantIncrement: 4, valuesFetched: 30, valueBits: 6, accumulatesImportance: true,
        rescalesPreviousImportance: false, runsTopK: false, topK: -1)

    @Test("both configurations load with Table I's numbers and a source for each; bad files name the key")
    func configs() throws {
        let full = try spatten(), eighth = try spatten("spatten-eighth.json")
        #expect(full.config.frequencyMHz == 1000 && full.config.technologyNM == 40 && full.config.multipliersPerUnit == 512)
        #expect(full.config.multiplierBits == 12 && full.config.keySRAMKB == 196 && full.config.valueSRAMKB == 196)
        #expect(full.config.dramChannels == 16 && full.config.dramChannelBits == 128 && full.config.dramGBps == 512)
        #expect(eighth.config.multipliersPerUnit * 2 == 128 && eighth.config.dramGBps == 64)
        #expect(full.config.sources.count == 20 && full.config.sources.values.allSatisfy { !$0.isEmpty })
        // 512 GB/s at 1 GHz over 16 channels: one 32-byte burst per channel per cycle; the 1/8 design: 2 channels
        #expect(full.config.dramCycles(bursts: 33) == 3 && eighth.config.dramCycles(bursts: 33) == 17)
        let text = try String(contentsOf: hardwareFolder.appendingPathComponent("spatten.json"), encoding: .utf8)
        #expect(throws: ConfigError(file: "s.json", key: "frequency_mhz", reason: "missing; found \"frequency_ghz\" — wrong unit: this quantity is read in mhz")) {
            try SpAttenConfig.load(text.replacingOccurrences(of: "\"frequency_mhz\"", with: "\"frequency_ghz\""), file: "s.json")
        }
        #expect(throws: ConfigError(file: "s.json", key: "multipliers_per_unit", reason: "must be ≥ 1, got 0")) {
            try SpAttenConfig.load(text.replacingOccurrences(of: "\"value\": 512,", with: "\"value\": 0,"), file: "s.json")
        }
        #expect(throws: ConfigError(file: "s.json", key: "top_k", reason: "unknown key")) {
            try SpAttenConfig.load(text.replacingOccurrences(of: "\"energy_table\"", with: "\"top_k\": 1, \"energy_table\""), file: "s.json")
        }
        #expect(throws: ConfigError(file: "s.json", key: "dram_gbps", reason: "needs a \"source\" (paper and section, or \"assumed: …\" with the reason)")) {
            try SpAttenConfig.load(text.replacingOccurrences(of: "\"source\": \"Table I: 512 GB/s\"", with: "\"source\": \"\""), file: "s.json")
        }
    }

    @Test("top-k latency: Σ over iterations of ⌈m / p⌉ + 3, equal to a quick-select on real arrays, its mean the exact expectation")
    func topK() {
        let (p, o) = (16, 3)
        // one candidate: one iteration; a pivot that is the target at once: one pass over n
        #expect(SpAttenTopK.run(count: 1, target: 0, comparators: p, overhead: o) { _ in 0 }.cycles == 1 + o)
        #expect(SpAttenTopK.run(count: 1025, target: 400, comparators: p, overhead: o) { _ in 400 }.cycles == (1025 + 15) / 16 + o)
        // the smallest element as pivot, the largest wanted: n, n − 1, …, 1 candidates
        let n = 97
        let worst = SpAttenTopK.run(count: n, target: n - 1, comparators: p, overhead: o) { _ in 0 }
        #expect(worst.cycles == (1...n).reduce(0) { $0 + ($1 + p - 1) / p + o } && worst.iterations == n && worst.comparisons == n * (n + 1) / 2)
        #expect(SpAttenTopK.run(count: 0, target: 0, comparators: p, overhead: o) { _ in 0 } == SpAttenTopK.Run())
        // twin: real arrays with the same pivots (the element of rank r of the current array), awkward sizes and targets
        for size in [1, 2, 3, 97, 1025] {
            for target in Set([0, 1 % size, size / 3, size - 1]) {
                var g = SplitMix64(seed: UInt64(size * 7 + target))
                let values = (0..<size).map { _ in Int.random(in: 0..<1_000_000_000, using: &g) }
                var a = SplitMix64(seed: 5), b = SplitMix64(seed: 5)
                let fast = SpAttenTopK.run(count: size, target: target, comparators: p, overhead: o) { Int.random(in: 0..<$0, using: &a) }
                let twin = quickSelectTwin(values, target: target, comparators: p, overhead: o) { current in
                    let pivot = current.sorted()[Int.random(in: 0..<current.count, using: &b)]
                    return current.firstIndex(of: pivot)!
                }
                #expect(Set(values).count < size || fast == twin, "size \(size) target \(target)")
            }
        }
        // mean over seeds ≈ the exact expectation E(m, t) = ⌈m/p⌉ + o + (1/m)[Σ_{r<t} E(m−r−1, t−r−1) + Σ_{r>t} E(r, t)]
        let m = 97
        var e = [[Double]](repeating: [], count: m + 1)
        for size in 1...m {
            e[size] = (0..<size).map { t in
                var s = 0.0
                for r in 0..<size where r != t { s += r < t ? e[size - r - 1][t - r - 1] : e[r][t] }
                return Double((size + p - 1) / p + o) + s / Double(size)
            }
        }
        for t in [0, 30, 96] {
            let trials = 4000
            let mean = Double((0..<trials).reduce(0) { $0 + SpAttenTopK.run(count: m, target: t, comparators: p, overhead: o, seed: UInt64($1)).cycles }) / Double(trials)
            #expect(abs(mean - e[m][t]) / e[m][t] < 0.03, "t \(t): mean \(mean) vs expectation \(e[m][t])")
        }
    }

    @Test("one generation head: bytes, unit cycles and energy from first principles")
    func head() throws {
        let a = try spatten(), c = a.config
        let r = Self.row, (d, k, v) = (64, 100, 30)
        let cost = a.head(r, phase: .generation)
        // bytes: one 16-bit query; 6-bit K MSBs; 4-bit K LSBs (requantized); 6-bit V rows
        let bytes = SpAttenBytes(query: d * 16 / 8, keyMSB: k * d * 6 / 8, keyLSB: k * d * 4 / 8, value: v * d * 6 / 8)
        #expect(cost.bytes == bytes)
        let bursts = [bytes.query, bytes.keyMSB, bytes.keyLSB, bytes.value].map { ($0 + 31) / 32 }.reduce(0, +)
        let perCycle = c.multipliersPerUnit / d   // 8 keys per cycle
        #expect(cost.unitCycles[.dram] == (bursts + 15) / 16)
        #expect(cost.unitCycles[.qk] == 2 * ((k + perCycle - 1) / perCycle))       // recomputed with the LSBs
        #expect(cost.unitCycles[.softmax] == 2 * ((k + c.softmaxLanes - 1) / c.softmaxLanes))
        #expect(cost.unitCycles[.pv] == (v + perCycle - 1) / perCycle)
        let topk = cost.unitCycles[.topk]
        #expect(topk >= (k + 15) / 16 + 3 && topk <= (1...k).reduce(0) { $0 + ($1 + 15) / 16 + 3 })
        #expect(cost.cycles == cost.unitCycles.values.max() && cost.serialCycles == cost.unitCycles.values.reduce(0, +))
        #expect(cost.macs == 2 * k * d + v * d && cost.requantizedHeads == 1 && cost.queries == 1)
        let table = try EnergyTable.load(try String(contentsOf: hardwareFolder.appendingPathComponent("energy-45nm.json"), encoding: .utf8), file: "e")
        let scale = 40.0 / 45.0
        let mac = (table.pj(.mult, bits: 12) + table.pj(.add, bits: 24)) * scale
        #expect(abs(cost.energyPJ[.qk] - Double(2 * k * d) * mac) < 1e-9 * cost.energyPJ[.qk])
        #expect(abs(cost.energyPJ[.dram] - Double(8 * bytes.total) * 1.394) < 1e-9 * cost.energyPJ[.dram])
        #expect(cost.energyPJ[.sram] == 0)   // generation: K and V stream past the SRAM
        // the same head without value pruning or requantization runs no top-k and one Q·K pass
        var plain = r
        (plain.valuesFetched, plain.requantized) = (k, false)
        let p = a.head(plain, phase: .generation)
        #expect(p.unitCycles[.topk] == 0 && p.unitCycles[.qk] == (k + 7) / 8 && p.bytes.keyLSB == 0)
        // a token top-k after the head: rank k − topk among the k importances
        var token = plain
        (token.runsTopK, token.topK) = (true, 40)
        #expect(a.head(token, phase: .generation).unitCycles[.topk] >= (k + 15) / 16 + 3)
    }

    @Test("summarisation of a dense head: q = N queries, 32-bit Q, K, V; SRAM written once and read by every query")
    func summarization() throws {
        let a = try spatten()
        for (n, d) in [(1, 1), (3, 59), (97, 64), (1025, 111), (33, 1024)] {
            let row = SpAttenWorkloadRow.unpruned(iteration: 0, layer: 0, head: 0, headDim: d, length: n)
            let cost = a.head(row, phase: .summarization)
            #expect(cost.bytes == SpAttenBytes(query: n * d * 4, keyMSB: n * d * 4, keyLSB: 0, value: n * d * 4))
            let keyCycles = d <= 512 ? (n + 512 / d - 1) / (512 / d) : n * ((d + 511) / 512)
            #expect(cost.unitCycles[.qk] == n * keyCycles && cost.unitCycles[.pv] == n * keyCycles, "n \(n) d \(d)")
            #expect(cost.macs == 2 * n * n * d && cost.queries == n)
            let sramBits = Double(8 * (2 * n * d * 4 + n * 2 * n * d * 4))
            let perBit = a.energy.sramPJPerBit(kib: 196 * 1000 / 1024)
            #expect(abs(cost.energyPJ[.sram] - sramBits * perBit) <= 1e-9 * sramBits * perBit)
        }
    }

    @Test("a workload: heads of a layer add their slots, each (iteration, layer) adds the pipeline latency")
    func workload() throws {
        let a = try spatten()
        let rows = SpAttenWorkloadRow.denseGeneration(layers: 3, heads: 2, headDim: 64, prompt: 10, generated: 4)
        let run = SpAttenWorkloadCost(rows, on: a, phase: .generation)
        #expect(run.groups.count == 3 * 4 && run.byLayer.count == 3 && run.byIteration.count == 4)
        let heads = rows.map { a.head($0, phase: .generation) }
        #expect(run.total.cycles == heads.reduce(0) { $0 + $1.cycles } + 12 * a.config.pipelineLatencyCycles)
        #expect(run.total.serialCycles == heads.reduce(0) { $0 + $1.serialCycles } + 12 * a.config.pipelineLatencyCycles)
        // dense generation is DRAM-bound: iteration i fetches 2 · (11 + i) rows of 64 × 4 bytes per head
        var kvBytes = 0
        for i in 0..<4 { kvBytes += 3 * 2 * 2 * (11 + i) * 64 * 4 }   // layers × heads × (K and V) × rows × d × 4 bytes
        #expect(run.total.bytes.keysAndValues == kvBytes && run.total.heads == 24)
        #expect(run.byIteration.map(\.cost.bytes.value) == (0..<4).map { 3 * 2 * (11 + $0) * 64 * 4 })
    }

    @Test("techniques: each one alone undoes the others on the rows; DRAM against dense from first principles")
    func techniques() throws {
        let a = try spatten()
        let (d, l) = (64, 200)
        // 1 iteration, 2 layers × 4 heads; layer 1 lost head 2 to head pruning; tokens 200 → 120 after layer 0
        var rows: [SpAttenWorkloadRow] = []
        for layer in 0..<2 {
            for head in 0..<4 where !(layer == 1 && head == 2) {
                let k = layer == 0 ? l : 120
                rows.append(SpAttenWorkloadRow(
                    iteration: 0, layer: layer, head: head, headDim: d, sentenceLength: l, keysFetched: k, keyBits: 6, queryBits: 16,
                    requantThreshold: 0.05, requantized: head == 0, requantIncrement: 4, valuesFetched: k / 4, valueBits: 6,
                    accumulatesImportance: true, rescalesPreviousImportance: false, runsTopK: layer == 0 && head == 3, topK: layer == 0 && head == 3 ? 120 : -1))
            }
        }
        #expect(SpAttenTechniques.all.apply(to: rows) == rows)
        let dense = SpAttenTechniques.none.apply(to: rows)
        #expect(dense.count == 8 && dense.allSatisfy { $0.keysFetched == l && $0.valuesFetched == l && $0.keyBits == -1 && !$0.requantized && !$0.runsTopK })
        #expect(dense.filter { $0.layer == 1 }.map(\.head) == [0, 1, 2, 3])
        let tokens = SpAttenTechniques(tokenPruning: true).apply(to: rows)
        #expect(tokens.filter { $0.layer == 1 }.allSatisfy { $0.keysFetched == 120 && $0.valuesFetched == 120 } && tokens.count == 8)
        let values = SpAttenTechniques(valuePruning: true).apply(to: rows)
        #expect(values.allSatisfy { $0.keysFetched == l && $0.valuesFetched == l / 4 })
        let heads = SpAttenTechniques(headPruning: true).apply(to: rows)
        #expect(heads.count == 7 && heads.allSatisfy { $0.keysFetched == l && $0.keyBits == -1 })

        let table = SpAttenTechniqueTable(rows, on: a, phase: .generation)
        #expect(table.entries.map(\.name) == ["dense", "token_pruning", "head_pruning", "value_pruning", "quantization", "all"])
        let byName = Dictionary(uniqueKeysWithValues: table.entries.map { ($0.name, $0.cost) })
        let q32 = d * 4
        #expect(byName["dense"]!.bytes.total == 8 * (q32 + 2 * l * d * 4))
        #expect(byName["token_pruning"]!.bytes.total == 4 * (q32 + 2 * l * d * 4) + 4 * (q32 + 2 * 120 * d * 4))
        #expect(byName["head_pruning"]!.bytes.total == 7 * (q32 + 2 * l * d * 4))
        #expect(byName["value_pruning"]!.bytes.total == 8 * (q32 + l * d * 4 + l / 4 * d * 4))
        // quantization alone: 16-bit Q, 6-bit K and V, +4 bits of K on the requantized heads: head 0 of
        // each layer, and layer 1's restored head 2, a copy of its layer's first row
        #expect(byName["quantization"]!.bytes.total == 8 * (d * 2 + 2 * l * d * 6 / 8) + 3 * l * d * 4 / 8)
        let all = SpAttenWorkloadCost(rows, on: a, phase: .generation).total
        #expect(byName["all"]!.bytes == all.bytes && byName["all"]!.cycles == all.cycles)
    }

    @Test("an attend trace written as CSV, read, turned into dense SpAtten rows, written and read again: costs by formula")
    func fromRecords() throws {
        let a = try spatten()
        let sizes = [(n: 5, d: 32), (n: 23, d: 32), (n: 97, d: 64)]
        let workloads: [[[HeadWorkload]]] = sizes.map { s in
            (0..<2).map { _ in
                (0..<3).map { _ in
                    HeadWorkload(queries: s.n, keys: s.n, allowedEntries: s.n * s.n, computedEntries: s.n * s.n, blocksKept: 1, blocksTotal: 1,
                                 qkMACs: s.n * s.n * s.d, pvMACs: s.n * s.n * s.d, denseMACs: 2 * s.n * s.n * s.d, exps: s.n * s.n,
                                 bytesQ: s.n * s.d * 4, bytesK: s.n * s.d * 4, bytesV: s.n * s.d * 4, bits: 32, kvRowsRead: 2 * s.n, headDim: s.d)
                }
            }
        }
        let records = try TraceCSV.read(TraceCSV.text(workloads))
        let rows = try SpAttenCSV.read(SpAttenCSV.text(SpAttenWorkloadRow.dense(records)))
        #expect(rows.count == 3 * 2 * 3 && rows.map(\.iteration) == records.map(\.sentence))
        let run = SpAttenWorkloadCost(rows, on: a, phase: .summarization)
        #expect(run.groups.count == 3 * 2)
        #expect(run.total.bytes.total == sizes.reduce(0) { $0 + 2 * 3 * 3 * $1.n * $1.d * 4 })
        #expect(run.total.macs == sizes.reduce(0) { $0 + 2 * 3 * 2 * $1.n * $1.n * $1.d })
        // nothing is pruned: every technique alone and all together cost what dense costs
        let table = SpAttenTechniqueTable(rows, on: a, phase: .summarization)
        #expect(table.entries.allSatisfy { $0.cost.bytes == run.total.bytes && $0.cost.cycles == run.total.cycles })
    }
}
