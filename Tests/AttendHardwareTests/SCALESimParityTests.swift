import AttendHardware
import Foundation
import Testing

/// Tests/AttendHardwareTests/Goldens (written by scripts/make_scalesim_goldens.py).
let goldens = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens")

@Suite("Systolic core = SCALE-Sim 3.0")
struct SCALESimParityTests {
    /// One golden row: the array, the layer, and SCALE-Sim's printed numbers by column name.
    struct Golden {
        let array: SystolicArray, layer: SystolicLayer, values: [String: String]
    }

    static func load() throws -> [Golden] {
        let lines = try String(contentsOf: goldens.appendingPathComponent("scalesim.csv"), encoding: .utf8).split(separator: "\n")
        let names = lines[0].split(separator: ",").map(String.init)
        return lines.dropFirst().map { line in
            let v = Dictionary(uniqueKeysWithValues: zip(names, line.split(separator: ",").map(String.init)))
            let int = { (k: String) in Int(v[k]!)! }
            let array = SystolicArray(rows: int("array_rows"), columns: int("array_columns"), dataflow: Dataflow(rawValue: v["dataflow"]!)!,
                                      ifmapSRAMKiB: int("ifmap_sram_kib"), filterSRAMKiB: int("filter_sram_kib"), ofmapSRAMKiB: int("ofmap_sram_kib"))
            let layer = SystolicLayer(name: v["name"]!, ifmapHeight: int("ifmap_h"), ifmapWidth: int("ifmap_w"), filterHeight: int("filter_h"),
                                      filterWidth: int("filter_w"), channels: int("channels"), filters: int("filters"), stride: int("stride"))
            return Golden(array: array, layer: layer, values: v)
        }
    }

    @Test("every golden layer: cycles, stalls, utilisation, mapping efficiency, SRAM and DRAM accesses equal SCALE-Sim's")
    func parity() throws {
        let all = try Self.load()
        #expect(all.count > 1000)
        // The goldens cover every size in every GEMM position, every array and every dataflow.
        #expect(Set(all.map(\.array.dataflow)) == Set(Dataflow.allCases))
        #expect(Set(all.map { [$0.array.rows, $0.array.columns] }) == [[1, 1], [3, 5], [8, 8], [32, 32], [16, 64]])
        let gemms = all.filter { $0.values["kind"] == "gemm" }
        for size in [1, 5, 7, 100, 129] {
            #expect(gemms.contains { $0.layer.ifmapHeight == size } && gemms.contains { $0.layer.filters == size }
                && gemms.contains { $0.layer.ifmapWidth == size })
        }
        var mismatches = 0
        for g in all {
            let r = try g.array.scaleSim(g.layer)
            let ours: [String: Double] = [
                "total_cycles_with_prefetch": Double(r.totalCyclesWithPrefetch), "total_cycles": Double(r.totalCycles),
                "stall_cycles": Double(r.stallCycles), "overall_util_percent": r.overallUtilPercent,
                "mapping_efficiency_percent": r.mappingEfficiencyPercent, "compute_util_percent": r.computeUtilPercent,
                "sram_ifmap_reads": Double(r.sramIfmapReads), "sram_filter_reads": Double(r.sramFilterReads),
                "sram_ofmap_writes": Double(r.sramOfmapWrites), "dram_ifmap_reads": Double(r.dramIfmapReads),
                "dram_filter_reads": Double(r.dramFilterReads), "dram_ofmap_writes": Double(r.dramOfmapWrites),
                "dram_ifmap_start": Double(r.dramIfmapStartCycle), "dram_filter_start": Double(r.dramFilterStartCycle),
                "dram_ofmap_stop": Double(r.dramOfmapStopCycle),
            ]
            for (key, value) in ours where Double(g.values[key]!)! != value {
                mismatches += 1
                if mismatches <= 20 {
                    Issue.record("\(g.array.dataflow.rawValue) \(g.array.rows)×\(g.array.columns) SRAM \(g.array.ifmapSRAMKiB) KiB \(g.layer.name): \(key) = \(value), SCALE-Sim \(g.values[key]!)")
                }
            }
        }
        #expect(mismatches == 0)
    }
}
