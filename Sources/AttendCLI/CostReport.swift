import AttendHardware
import AttendWorkload
import Foundation

/// Totals of one accelerator run, as printed and as JSON.
struct CostTotals: Encodable {
    let cycles: Int, seconds: Double, energy_pj: Double, dram_bytes: Int, sram_bytes: Int, macs: Int, utilisation: Double
    let k_rows_fetched: Int, components: [String: ComponentCost]?

    init(_ cost: AcceleratorCost, cycles: Int, frequencyMHz: Double, components: Bool = true) {
        (self.cycles, seconds) = (cycles, Double(cycles) / (frequencyMHz * 1e6))
        (energy_pj, dram_bytes, sram_bytes, macs, utilisation) = (cost.energyPJ, cost.dramBytes, cost.sramBytes, cost.macs, cost.utilisation)
        k_rows_fetched = cost.kRowsFetched
        self.components = components ? Dictionary(uniqueKeysWithValues: cost.components.used.map { ($0.component.rawValue, $0.cost) }) : nil
    }
}

/// IO-model accesses of one layer or of the whole trace.
struct IOTotals: Encodable {
    var standard = 0, tiled = 0, block_sparse = 0, nonzero_blocks = 0, blocks = 0, kv_rows_read = 0
    mutating func add(_ o: IOTotals) {
        standard += o.standard; tiled += o.tiled; block_sparse += o.block_sparse
        nonzero_blocks += o.nonzero_blocks; blocks += o.blocks; kv_rows_read += o.kv_rows_read
    }
}

/// What `attend cost` prints for a trace.
struct CostReport: Encodable {
    struct Layer: Encodable { let layer: Int; let hdp: CostTotals?; let dense: CostTotals?; let io: IOTotals? }
    let accelerator: String, kind: String, sentences: Int, records: Int
    let layers: [Layer]
    let total: CostTotals?, dense: CostTotals?
    /// Totals with one HDP mechanism switched off: what each contributes.
    let without: [String: CostTotals]?
    let io: IOTotals?, on_chip_words: Int?, block_rows: Int?, block_columns: Int?
    /// Seconds to cost the trace once (HDP and its dense baseline), and with the four ablations too.
    let model_seconds: Double, all_runs_seconds: Double
    /// ReBERT's three designs (kind rebert).
    var rebert: ReRAMReport? = nil

    var text: String {
        var lines = ["\(accelerator) · \(records) head records, \(sentences) sentences · costed in \(String(format: "%.3f", model_seconds)) s (\(String(format: "%.3f", all_runs_seconds)) s with the ablations)"]
        if let total, let dense {
            lines.append("layer      cycles   dense cycles   energy µJ   dense µJ   DRAM KiB   dense KiB   util")
            for l in layers {
                guard let h = l.hdp, let d = l.dense else { continue }
                lines.append(String(format: "%5d %11d %14d %11.2f %10.2f %10.1f %11.1f %6.3f", l.layer, h.cycles, d.cycles, h.energy_pj / 1e6,
                                    d.energy_pj / 1e6, Double(h.dram_bytes) / 1024, Double(d.dram_bytes) / 1024, h.utilisation))
            }
            lines.append(String(format: "total %11d %14d %11.2f %10.2f %10.1f %11.1f %6.3f", total.cycles, dense.cycles, total.energy_pj / 1e6,
                                dense.energy_pj / 1e6, Double(total.dram_bytes) / 1024, Double(dense.dram_bytes) / 1024, total.utilisation))
            lines.append(String(format: "speed-up %.2f×, energy %.2f×, DRAM bytes %.2f× vs dense on the same accelerator (%.3f ms vs %.3f ms)",
                                Double(dense.cycles) / Double(max(total.cycles, 1)), dense.energy_pj / max(total.energy_pj, 1e-30),
                                Double(dense.dram_bytes) / Double(max(total.dram_bytes, 1)), total.seconds * 1e3, dense.seconds * 1e3))
            lines.append("per component (cycles, µJ): " + HDPComponent.allCases.compactMap { c in
                total.components?[c.rawValue].map { "\(c.rawValue) \($0.cycles) / \(String(format: "%.2f", $0.energyPJ / 1e6))" }
            }.joined(separator: ", "))
            for (name, t) in (without ?? [:]).sorted(by: { $0.key < $1.key }) {
                lines.append(String(format: "without %@: %d cycles, %.2f µJ, %.1f KiB DRAM", name, t.cycles, t.energy_pj / 1e6, Double(t.dram_bytes) / 1024))
            }
        }
        if let io, let words = on_chip_words {
            lines.append("IO model, M = \(words) words, B_r × B_c = \(block_rows!) × \(block_columns!): slow-memory word accesses")
            lines.append("layer     standard        tiled   block-sparse   nonzero blocks")
            for l in layers { if let t = l.io { lines.append(String(format: "%5d %12d %12d %14d %9d / %d", l.layer, t.standard, t.tiled, t.block_sparse, t.nonzero_blocks, t.blocks)) } }
            lines.append(String(format: "total %12d %12d %14d %9d / %d", io.standard, io.tiled, io.block_sparse, io.nonzero_blocks, io.blocks))
        }
        if let rebert { lines += rebert.lines }
        return lines.joined(separator: "\n")
    }
}

/// Costs `records` on the hardware of `file`.
func costReport(_ file: HardwareFile, records: [TraceRecord]) throws -> CostReport {
    let start = DispatchTime.now()
    let sentences = Set(records.map(\.sentence)).count
    switch file {
    case let .hdp(accelerator):
        let f = accelerator.config.frequencyMHz
        let run = TraceCost(records, on: accelerator)
        let mainSeconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        var without: [String: CostTotals] = [:]
        let switches: [(String, HDPAccelerator.Mechanisms)] = [
            ("block_pruning", .init(blockPruning: false)), ("head_pruning", .init(headPruning: false)),
            ("fetch_upon_mask", .init(fetchUponMask: false)), ("approximation", .init(approximation: false)),
        ]
        for (name, m) in switches {
            let r = TraceCost(records, on: accelerator, mechanisms: m)
            without[name] = CostTotals(r.total, cycles: r.cycles, frequencyMHz: f, components: false)
        }
        let layers = run.layers.map {
            CostReport.Layer(layer: $0.layer, hdp: CostTotals($0.cost, cycles: $0.cycles, frequencyMHz: f, components: false),
                             dense: CostTotals($0.dense, cycles: $0.denseCycles, frequencyMHz: f, components: false), io: nil)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        return CostReport(accelerator: accelerator.config.name, kind: "hdp", sentences: sentences, records: records.count, layers: layers,
                          total: CostTotals(run.total, cycles: run.cycles, frequencyMHz: f),
                          dense: CostTotals(run.denseTotal, cycles: run.denseCycles, frequencyMHz: f),
                          without: without, io: nil, on_chip_words: nil, block_rows: nil, block_columns: nil, model_seconds: mainSeconds,
                          all_runs_seconds: seconds)
    case let .io(hierarchy):
        let m = hierarchy.onChipWords
        var byLayer: [Int: IOTotals] = [:]
        var blockShape = (rows: 0, columns: 0)
        for record in records {
            let w = record.workload
            guard w.queries > 0, w.keys > 0, w.headDim > 0 else { continue }
            let (br, bc) = IOModel.blockSizes(onChipWords: m, headDim: w.headDim)
            blockShape = (br, bc)
            let sparse = IOModel.blockSparse(queries: w.queries, keys: w.keys, headDim: w.headDim, onChipWords: m, allowed: IOModel.keptBlockMask(w))
            let blocks = ((w.queries + br - 1) / br) * ((w.keys + bc - 1) / bc)
            byLayer[record.layer, default: IOTotals()].add(IOTotals(
                standard: IOModel.standard(queries: w.queries, keys: w.keys, headDim: w.headDim),
                tiled: IOModel.tiled(queries: w.queries, keys: w.keys, headDim: w.headDim, onChipWords: m),
                block_sparse: sparse.accesses, nonzero_blocks: Int((sparse.nonzeroFraction * Double(blocks)).rounded()), blocks: blocks,
                kv_rows_read: sparse.kvRowsRead))
        }
        var total = IOTotals()
        for t in byLayer.values { total.add(t) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        return CostReport(accelerator: hierarchy.name, kind: "io", sentences: sentences, records: records.count,
                          layers: byLayer.keys.sorted().map { CostReport.Layer(layer: $0, hdp: nil, dense: nil, io: byLayer[$0]) },
                          total: nil, dense: nil, without: nil, io: total, on_chip_words: m, block_rows: blockShape.rows,
                          block_columns: blockShape.columns, model_seconds: seconds, all_runs_seconds: seconds)
    case let .spatten(accelerator):
        throw CLIError("\(accelerator.config.name): cost a trace on SpAtten with `attend cost --accelerator FILE.json --trace TRACE.csv` (a SpAtten workload CSV or an attend trace)")
    case let .rebert(accelerator):
        let report = reramReport(accelerator, sentences: try reramSentences(records))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        return CostReport(accelerator: accelerator.config.name, kind: "rebert", sentences: sentences, records: records.count, layers: [],
                          total: nil, dense: nil, without: nil, io: nil, on_chip_words: nil, block_rows: nil, block_columns: nil,
                          model_seconds: seconds, all_runs_seconds: seconds, rebert: report)
    case let .systolic(config):
        throw CLIError("\(config.name): a plain systolic array costs GEMMs, not traces: export them with `attend eval … --scalesim-topology FILE.csv`, then run `attend cost --scalesim-config FILE.cfg --topology FILE.csv`")
    }
}
