/// An HDP accelerator configuration (hardware/hdp-edge.json, hardware/hdp-server.json): cores of an
/// output-stationary PE array with a sparsity engine, adders and a softmax unit (SPEC §4.4).
public struct HDPConfig: Sendable, Equatable {
    public var name: String
    public var cores: Int
    /// PE array of each core: rows × columns multiply-accumulate units.
    public var peRows: Int, peColumns: Int
    public var frequencyMHz: Double
    /// On-chip SRAM of each core.
    public var sramKiB: Double
    /// DRAM bandwidth shared by all cores.
    public var dramGBps: Double
    /// Bits of Q_I / K_I, of Q_F / K_F, and of V, P and the output.
    public var integerBits: Int, fractionBits: Int, valueBits: Int
    /// Multiply-adds a PE does per cycle on integer_bits / fraction_bits operands (sub-word
    /// parallelism of a value_bits multiplier).
    public var narrowMACsPerPE: Int
    /// Score entries per cycle through the softmax unit, adder lanes, blocks per cycle through the sparsity engine.
    public var softmaxLanes: Int, adderLanes: Int, sparsityEngineBlocksPerCycle: Int
    public var technologyNM: Double, voltageV: Double
    /// The energy table file, relative to the configuration's folder.
    public var energyTable: String
    /// Every number's source, by key.
    public var sources: [String: String]

    /// Reads and validates a configuration; errors name the key.
    public static func load(_ text: String, file: String) throws(ConfigError) -> HDPConfig {
        var r = try ConfigReader.parse(text, file: file)
        let kind = try r.string("kind")
        guard kind == "hdp" else { throw r.error("kind", "expected \"hdp\", got \"\(kind)\"") }
        let config = HDPConfig(
            name: try r.string("name"), cores: try r.count("cores"), peRows: try r.count("pe_rows"), peColumns: try r.count("pe_columns"),
            frequencyMHz: try r.number("frequency_mhz", minimum: 1), sramKiB: try r.number("sram_kib", minimum: 1), dramGBps: try r.number("dram_gbps", minimum: 0.001),
            integerBits: try r.count("integer_bits"), fractionBits: try r.count("fraction_bits"), valueBits: try r.count("value_bits"), narrowMACsPerPE: try r.count("narrow_macs_per_pe"),
            softmaxLanes: try r.count("softmax_lanes"), adderLanes: try r.count("adder_lanes"),
            sparsityEngineBlocksPerCycle: try r.count("sparsity_engine_blocks_per_cycle"),
            technologyNM: try r.number("technology_nm", minimum: 1), voltageV: try r.number("voltage_v", minimum: 0.1), energyTable: try r.string("energy_table"),
            sources: [:])
        // Transfer cycles are bytes × this, an Int: a DRAM slower than a byte per 10^6 cycles is a typo, not a design.
        guard config.dramCycles(bytes: 1) <= 1e6 else {
            throw r.error("dram_gbps", "a byte would take \(config.dramCycles(bytes: 1)) cycles at frequency_mhz \(config.frequencyMHz); expected ≤ 10^6")
        }
        try r.finish()
        var out = config
        out.sources = r.sources
        return out
    }

    /// Clock cycles to move `bytes` at the configured DRAM bandwidth: bytes / bandwidth · f.
    public func dramCycles(bytes: Double) -> Double { bytes / (dramGBps * 1e9) * frequencyMHz * 1e6 }
}
