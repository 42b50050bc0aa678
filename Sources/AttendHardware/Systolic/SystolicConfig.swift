/// A plain systolic array configuration (hardware/systolic-*.json): SCALE-Sim's array plus a clock.
public struct SystolicConfig: Sendable, Equatable {
    public var name: String
    public var array: SystolicArray
    public var frequencyMHz: Double

    public static func load(_ text: String, file: String) throws(ConfigError) -> SystolicConfig {
        var r = try ConfigReader.parse(text, file: file)
        let kind = try r.string("kind")
        guard kind == "systolic" else { throw r.error("kind", "expected \"systolic\", got \"\(kind)\"") }
        let name = try r.string("name")
        let flow = try r.string("dataflow")
        guard let dataflow = Dataflow(rawValue: flow) else { throw r.error("dataflow", "expected os, ws or is, got \"\(flow)\"") }
        let array = SystolicArray(rows: try r.count("array_rows"), columns: try r.count("array_columns"), dataflow: dataflow,
                                  ifmapSRAMKiB: try r.count("ifmap_sram_kib"), filterSRAMKiB: try r.count("filter_sram_kib"),
                                  ofmapSRAMKiB: try r.count("ofmap_sram_kib"))
        let frequency = try r.quantity("frequency_mhz", minimum: 1).value
        try r.finish()
        return SystolicConfig(name: name, array: array, frequencyMHz: frequency)
    }
}
