/// A SpAtten accelerator configuration (hardware/spatten.json, hardware/spatten-eighth.json):
/// the paper's Table I (arXiv 2012.09852) with the conventions of the authors' public model.
public struct SpAttenConfig: Sendable, Equatable {
    public var name: String
    public var frequencyMHz: Double, technologyNM: Double, voltageV: Double
    /// Multipliers in each of the Q·K and P·V units, and their operand width.
    public var multipliersPerUnit: Int, multiplierBits: Int
    /// Scores per cycle through the softmax unit.
    public var softmaxLanes: Int
    /// Comparators of the top-k engine (candidates per cycle) and the fixed cycles of each quick-select iteration.
    public var topKComparators: Int, topKIterationOverheadCycles: Int
    /// Fixed latency of the whole pipeline (Q·K, softmax, requantize, top-k, P·V), paid once per layer.
    public var pipelineLatencyCycles: Int
    public var keySRAMKB: Double, valueSRAMKB: Double
    /// DRAM channels and their width (the width is Table I's description; timing uses `dramGBps`).
    public var dramChannels: Int, dramChannelBits: Int, dramGBps: Double
    /// Bytes of one DRAM transaction (one per channel per cycle).
    public var dramBurstBytes: Int
    public var dramEnergyPerBitPJ: Double
    /// The width of Q, K and V where a row writes -1 (not quantized).
    public var unquantizedBits: Int
    /// The paper's figures, printed beside the model's (not inputs).
    public var reportedPowerW: Double, reportedDRAMPowerW: Double, reportedAreaMM2: Double
    /// The energy table file, relative to the configuration's folder.
    public var energyTable: String
    /// Every number's source, by key.
    public var sources: [String: String]

    /// Reads and validates a configuration; errors name the key.
    public static func load(_ text: String, file: String) throws(ConfigError) -> SpAttenConfig {
        var r = try ConfigReader.parse(text, file: file)
        let kind = try r.string("kind")
        guard kind == "spatten" else { throw r.error("kind", "expected \"spatten\", got \"\(kind)\"") }
        var config = SpAttenConfig(
            name: try r.string("name"), frequencyMHz: try r.number("frequency_mhz", minimum: 0.001), technologyNM: try r.number("technology_nm", minimum: 0.001),
            voltageV: try r.number("voltage_v", minimum: 0.1), multipliersPerUnit: try r.count("multipliers_per_unit"),
            multiplierBits: try r.count("multiplier_bits"), softmaxLanes: try r.count("softmax_lanes"), topKComparators: try r.count("topk_comparators"),
            topKIterationOverheadCycles: try r.count("topk_iteration_overhead_cycles", minimum: 0),
            pipelineLatencyCycles: try r.count("pipeline_latency_cycles", minimum: 0), keySRAMKB: try r.number("key_sram_kb", minimum: 0.001),
            valueSRAMKB: try r.number("value_sram_kb", minimum: 0.001), dramChannels: try r.count("dram_channels"), dramChannelBits: try r.count("dram_channel_bits"),
            dramGBps: try r.number("dram_gbps", minimum: 0.001), dramBurstBytes: try r.count("dram_burst_bytes"),
            dramEnergyPerBitPJ: try r.number("dram_energy_per_bit_pj", minimum: 0), unquantizedBits: try r.count("unquantized_bits"),
            reportedPowerW: try r.number("reported_power_w", minimum: 0), reportedDRAMPowerW: try r.number("reported_dram_power_w", minimum: 0),
            reportedAreaMM2: try r.number("reported_area_mm2", minimum: 0), energyTable: try r.string("energy_table"), sources: [:])
        // DRAM cycles are bursts × this, an Int: a burst taking more than 10^6 cycles is a typo, not a design.
        guard config.cyclesPerBurst <= 1e6 else {
            throw r.error("dram_gbps", "a \(config.dramBurstBytes)-byte burst would take \(config.cyclesPerBurst) cycles on one of \(config.dramChannels) channels at frequency_mhz \(config.frequencyMHz); expected ≤ 10^6")
        }
        try r.finish()
        config.sources = r.sources
        return config
    }

    /// Cycles one channel takes for a burst: ⌈burst bytes / (dram_gbps / channels per cycle)⌉, at least 1.
    var cyclesPerBurst: Double {
        max(1, (Double(dramBurstBytes) / (dramGBps * 1e3 / frequencyMHz / Double(dramChannels))).rounded(.up))
    }

    /// Keys (or value rows) the Q·K (P·V) unit takes per cycle: ⌊multipliers / d⌋, at least 1
    /// (bert.cpp's `parallelism()`; at d = 64 and 512 multipliers, 8).
    public func rowsPerCycle(headDim d: Int) -> Int { max(1, multipliersPerUnit / d) }

    /// Cycles the Q·K (P·V) unit spends on `rows` keys (value rows) for one query:
    /// ⌈rows / ⌊M / d⌋⌉ when d ≤ M, else rows · ⌈d / M⌉ (a row takes several passes).
    public func unitCycles(rows: Int, headDim d: Int) -> Int {
        d <= multipliersPerUnit ? (rows + rowsPerCycle(headDim: d) - 1) / rowsPerCycle(headDim: d)
            : rows * ((d + multipliersPerUnit - 1) / multipliersPerUnit)
    }

    /// Cycles to move `bursts` DRAM transactions: ⌈bursts / channels⌉ · (cycles per burst on one
    /// channel), one channel moving dram_gbps / channels.
    public func dramCycles(bursts: Int) -> Int {
        (bursts + dramChannels - 1) / dramChannels * Int(cyclesPerBurst)
    }
}
