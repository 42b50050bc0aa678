/// Which of ReBERT's three ReRAM designs a configuration models (Kang, Shin, Kim, IEEE TCAD 2022;
/// SPEC §4.3).
public enum ReRAMDesign: String, Sendable, CaseIterable, Codable {
    /// Dense attention on the machine of `basic`: every query waits for every key (the data hazard in full).
    case baseline
    /// Per-layer windows on one array set: K/V row writes and inner products contend (structural hazard).
    case basic
    /// Windows on dual arrays: each input split into MSB and LSB halves applied to two arrays at once
    /// (half the read cycles for key generation, inner products and weighted sums), and row writes
    /// into one array of a pair overlap compute on the other (no structural hazard).
    case advanced
}

/// A ReRAM crossbar accelerator (hardware/rebert-*.json): crossbar arrays with DACs, ADCs and
/// shift-add units holding the weights (W_Q, W_K, W_V, W_O, FFN, programmed before inference) and,
/// per head, the K and V rows written while a sentence runs; a LUT softmax unit; buffers.
///
/// Times are in ns and energies in pJ, per array read cycle (one input bit applied to one array),
/// per cell written or per digital operation, each with its source in the file.
public struct ReRAMConfig: Sendable, Equatable {
    public var name: String
    public var design: ReRAMDesign
    /// Crossbar size and cell resolution; a `weight_bits` value takes ⌈weight_bits / bits_per_cell⌉ cells.
    public var crossbarRows: Int, crossbarColumns: Int, bitsPerCell: Int
    /// ADC and DAC resolution. Inputs take ⌈input_bits / dac_bits⌉ read cycles; the ADC's resolution is
    /// recorded with the per-conversion energy it was measured at (it does not enter the formulas itself).
    public var adcBits: Int, dacBits: Int
    /// Bits of activations applied to the weight arrays and to the K arrays (queries), of stored
    /// weights / K / V, and of the softmax output applied to the V arrays.
    public var inputBits: Int, weightBits: Int, probabilityBits: Int
    /// One read cycle of an array (one DAC step, sample-and-hold and ADC over its columns).
    public var readCycleNS: Double
    /// Writing one row of an array (all its cells in parallel).
    public var writeRowNS: Double
    /// Energy of one array read cycle (the cells), of one ADC conversion, of one DAC row drive per cycle,
    /// of one cell write, and of the shift-add per output per cycle.
    public var crossbarReadPJ: Double, adcConversionPJ: Double, dacRowPJ: Double, writeCellPJ: Double, shiftAddPJ: Double
    /// The LUT softmax unit: lanes (entries per digital cycle, per head), its clock, energy of one table
    /// read and of one multiply and one add.
    public var softmaxLanes: Int, digitalClockMHz: Double, lutReadPJ: Double, multiplyPJ: Double, addPJ: Double
    /// Digital latency added to each weight stage (shift-add tree, LayerNorm, GELU).
    public var digitalStageNS: Double
    /// Buffer energy per byte written or read between stages.
    public var bufferPJPerByte: Double
    /// FFN width over hidden width (not in workload traces).
    public var ffnMultiplier: Int
    /// Every number's source, by key.
    public var sources: [String: String]

    /// Cells per stored value: ⌈weight_bits / bits_per_cell⌉.
    public var cellsPerValue: Int { (weightBits + bitsPerCell - 1) / bitsPerCell }

    /// Reads a design file (`{"kind": "rebert", "design": …, "machine": "rebert-machine.json"}`) and the
    /// machine file it names (`"kind": "rebert-machine"`: every number with its source); errors name
    /// the file and key. `machine` reads the named file (its path relative to the design file is the caller's).
    public static func load(_ text: String, file: String, machine: (String) throws(ConfigError) -> (text: String, file: String)) throws(ConfigError) -> ReRAMConfig {
        var top = try ConfigReader.parse(text, file: file)
        let kind = try top.string("kind")
        guard kind == "rebert" else { throw top.error("kind", "expected \"rebert\", got \"\(kind)\"") }
        let designName = try top.string("design")
        guard let design = ReRAMDesign(rawValue: designName) else {
            throw top.error("design", "expected \"baseline\", \"basic\" or \"advanced\", got \"\(designName)\"")
        }
        let name = try top.string("name"), machineName = try top.string("machine")
        try top.finish()
        let (machineText, machineFile) = try machine(machineName)
        var r = try ConfigReader.parse(machineText, file: machineFile)
        let machineKind = try r.string("kind")
        guard machineKind == "rebert-machine" else { throw r.error("kind", "expected \"rebert-machine\", got \"\(machineKind)\"") }
        var c = ReRAMConfig(
            name: name, design: design, crossbarRows: try r.count("crossbar_rows"), crossbarColumns: try r.count("crossbar_columns"),
            bitsPerCell: try r.count("bits_per_cell"), adcBits: try r.count("adc_bits"), dacBits: try r.count("dac_bits"), inputBits: try r.count("input_bits"),
            weightBits: try r.count("weight_bits"), probabilityBits: try r.count("probability_bits"), readCycleNS: try r.number("read_cycle_ns", minimum: 1e-3),
            writeRowNS: try r.number("write_row_ns"), crossbarReadPJ: try r.number("crossbar_read_pj"), adcConversionPJ: try r.number("adc_conversion_pj"),
            dacRowPJ: try r.number("dac_row_pj"), writeCellPJ: try r.number("write_cell_pj"), shiftAddPJ: try r.number("shift_add_pj"),
            softmaxLanes: try r.count("softmax_lanes"), digitalClockMHz: try r.number("digital_clock_mhz", minimum: 1), lutReadPJ: try r.number("lut_read_pj"),
            multiplyPJ: try r.number("multiply_pj"), addPJ: try r.number("add_pj"), digitalStageNS: try r.number("digital_stage_ns"),
            bufferPJPerByte: try r.number("buffer_pj_per_byte"), ffnMultiplier: try r.count("ffn_multiplier"), sources: [:])
        guard c.dacBits <= c.inputBits else { throw r.error("dac_bits", "must be ≤ input_bits (\(c.inputBits)), got \(c.dacBits)") }
        guard c.bitsPerCell <= c.weightBits else { throw r.error("bits_per_cell", "must be ≤ weight_bits (\(c.weightBits)), got \(c.bitsPerCell)") }
        try r.finish()
        c.sources = r.sources
        return c
    }
}
