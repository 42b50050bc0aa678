import AttendHardware
import AttendWorkload
import Foundation

/// One SpAtten run's totals, as printed and as JSON.
struct SpAttenTotals: Encodable {
    let cycles: Int, serial_cycles: Int, seconds: Double, energy_pj: Double, power_w: Double
    let dram_bytes: Int, dram_kv_bytes: Int, dram: SpAttenBytes
    let macs: Int, comparisons: Int, heads: Int, requantized_heads: Int, queries: Int
    let unit_cycles: [String: Int], energy_by_component_pj: [String: Double]

    init(_ c: SpAttenCost, frequencyMHz: Double) {
        (cycles, serial_cycles, seconds) = (c.cycles, c.serialCycles, Double(c.cycles) / (frequencyMHz * 1e6))
        (energy_pj, power_w) = (c.totalEnergyPJ, c.cycles > 0 ? c.totalEnergyPJ * 1e-12 / (Double(c.cycles) / (frequencyMHz * 1e6)) : 0)
        (dram_bytes, dram_kv_bytes, dram) = (c.bytes.total, c.bytes.keysAndValues, c.bytes)
        (macs, comparisons, heads, requantized_heads, queries) = (c.macs, c.comparisons, c.heads, c.requantizedHeads, c.queries)
        unit_cycles = Dictionary(uniqueKeysWithValues: SpAttenComponent.allCases.filter { $0 != .sram }.map { ($0.rawValue, c.unitCycles[$0]) })
        energy_by_component_pj = Dictionary(uniqueKeysWithValues: SpAttenComponent.allCases.map { ($0.rawValue, c.energyPJ[$0]) })
    }
}

/// What `attend cost --accelerator hardware/spatten*.json` prints.
struct SpAttenReport: Encodable {
    struct Layer: Encodable { let layer: Int, cycles: Int, dram_bytes: Int, energy_pj: Double }
    /// One technique set against dense: reductions are dense / this.
    struct Technique: Encodable {
        let name: String, cycles: Int, dram_bytes: Int, macs: Int, energy_pj: Double
        let dram_reduction: Double, speedup: Double, computation_reduction: Double
    }
    struct Reported: Encodable { let power_w: Double, dram_power_w: Double, area_mm2: Double }

    let accelerator: String, kind: String, phase: String, input: String, rows: Int, iterations: Int
    let total: SpAttenTotals
    let layers: [Layer]
    let techniques: [Technique]
    let reported: Reported
    let model_seconds: Double

    init(_ rows: [SpAttenWorkloadRow], on accelerator: SpAttenAccelerator, phase: SpAttenPhase, input: String) {
        let start = DispatchTime.now()
        let c = accelerator.config, f = c.frequencyMHz
        let run = SpAttenWorkloadCost(rows, on: accelerator, phase: phase)
        let table = SpAttenTechniqueTable(rows, on: accelerator, phase: phase)
        let dense = table.entries[0].cost
        (self.accelerator, kind, self.phase, self.input, self.rows) = (c.name, "spatten", phase.rawValue, input, rows.count)
        iterations = Set(rows.map(\.iteration)).count
        total = SpAttenTotals(run.total, frequencyMHz: f)
        layers = run.byLayer.map { Layer(layer: $0.layer, cycles: $0.cost.cycles, dram_bytes: $0.cost.bytes.total, energy_pj: $0.cost.totalEnergyPJ) }
        func ratio(_ a: Int, _ b: Int) -> Double { b > 0 ? Double(a) / Double(b) : 0 }
        techniques = table.entries.map { e in
            Technique(name: e.name, cycles: e.cost.cycles, dram_bytes: e.cost.bytes.total, macs: e.cost.macs, energy_pj: e.cost.totalEnergyPJ,
                      dram_reduction: ratio(dense.bytes.total, e.cost.bytes.total), speedup: ratio(dense.cycles, e.cost.cycles),
                      computation_reduction: ratio(dense.macs, e.cost.macs))
        }
        reported = Reported(power_w: c.reportedPowerW, dram_power_w: c.reportedDRAMPowerW, area_mm2: c.reportedAreaMM2)
        model_seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    var text: String {
        let t = total
        var lines = [
            "\(accelerator) · \(rows) head rows, \(iterations) iterations, phase \(phase) (\(input)) · costed in \(String(format: "%.3f", model_seconds)) s",
            String(format: "cycles %d (%.3f ms; %d with no overlap), energy %.2f µJ (%.2f W; Table I: %.2f W, DRAM %.2f W)", t.cycles, t.seconds * 1e3,
                   t.serial_cycles, t.energy_pj / 1e6, t.power_w, reported.power_w, reported.dram_power_w),
            String(format: "DRAM %.1f KiB: Q %.1f, K MSB %.1f, K LSB %.1f, V %.1f; %d of %d heads fetched LSBs", Double(t.dram_bytes) / 1024,
                   Double(t.dram.query) / 1024, Double(t.dram.keyMSB) / 1024, Double(t.dram.keyLSB) / 1024, Double(t.dram.value) / 1024,
                   t.requantized_heads, t.heads),
            "unit cycles: " + SpAttenComponent.allCases.compactMap { c in t.unit_cycles[c.rawValue].map { "\(c.rawValue) \($0)" } }.joined(separator: ", "),
            "energy µJ: " + SpAttenComponent.allCases.compactMap { c in
                t.energy_by_component_pj[c.rawValue].map { "\(c.rawValue) \(String(format: "%.2f", $0 / 1e6))" }
            }.joined(separator: ", "),
            "layer      cycles     DRAM KiB   energy µJ",
        ]
        for l in layers { lines.append(String(format: "%5d %11d %12.1f %11.2f", l.layer, l.cycles, Double(l.dram_bytes) / 1024, l.energy_pj / 1e6)) }
        lines.append("technique        DRAM KiB   vs dense      cycles   speed-up        MACs   vs dense")
        for e in techniques {
            lines.append(e.name.padding(toLength: 14, withPad: " ", startingAt: 0) + String(
                format: " %10.1f %9.2f× %11d %9.2f× %11d %9.2f×", Double(e.dram_bytes) / 1024, e.dram_reduction, e.cycles, e.speedup, e.macs,
                e.computation_reduction))
        }
        return lines.joined(separator: "\n")
    }
}

/// The rows `attend cost` costs on SpAtten, and how they were obtained.
struct SpAttenInput {
    let rows: [SpAttenWorkloadRow], phase: SpAttenPhase, description: String

    /// A SpAtten workload CSV (phase default generation), or Attend's own trace turned into its dense
    /// rows (`SpAttenWorkloadRow.dense`, phase default summarization), or `--dense-decoder`.
    static func load(trace: String?, denseDecoder: String?, phase: String?) throws -> SpAttenInput {
        var chosen: SpAttenPhase? = nil
        if let phase {
            guard let value = SpAttenPhase(rawValue: phase) else { throw CLIError("--phase: expected generation or summarization, got \"\(phase)\"") }
            chosen = value
        }
        if let denseDecoder {
            let parts = denseDecoder.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 5, let l = parts[0], let h = parts[1], let d = parts[2], let p = parts[3], let g = parts[4],
                  l >= 1, h >= 1, d >= 1, p >= 0, g >= 1 else {
                throw CLIError("--dense-decoder: expected LAYERS,HEADS,HEAD_DIM,PROMPT,GENERATED (positive integers), got \"\(denseDecoder)\"")
            }
            return SpAttenInput(rows: SpAttenWorkloadRow.denseGeneration(layers: l, heads: h, headDim: d, prompt: p, generated: g),
                                phase: chosen ?? .generation, description: "dense decoder \(l) layers × \(h) heads, d \(d), \(p) + \(g) tokens")
        }
        let path = trace!
        let text = try readText(path)
        if text.hasPrefix(SpAttenCSV.columns[0] + ",") {
            let rows: [SpAttenWorkloadRow]
            do { rows = try SpAttenCSV.read(text) } catch { throw CLIError("\(path): \(error)") }
            return SpAttenInput(rows: rows, phase: chosen ?? .generation, description: "SpAtten workload CSV")
        }
        let records: [TraceRecord]
        do { records = try TraceCSV.read(text) } catch { throw CLIError("\(path): \(error)") }
        return SpAttenInput(rows: SpAttenWorkloadRow.dense(records), phase: chosen ?? .summarization,
                            description: "dense rows of an attend trace")
    }
}
