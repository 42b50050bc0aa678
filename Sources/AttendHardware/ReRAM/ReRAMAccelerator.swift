/// Where a sentence's energy goes on the ReRAM machine.
public enum ReRAMComponent: String, Sendable, CaseIterable, Codable {
    case qkvGeneration = "qkv_generation", kvWrite = "kv_write", innerProduct = "inner_product", softmax
    case weightedSum = "weighted_sum", outputFFN = "output_ffn", buffers
}

/// Energy per component (pJ), a fixed table.
public struct ReRAMEnergy: Sendable, Equatable {
    public private(set) var pj = [Double](repeating: 0, count: ReRAMComponent.allCases.count)

    public subscript(_ c: ReRAMComponent) -> Double {
        get { pj[c.index] }
        set { pj[c.index] = newValue }
    }

    public var total: Double { pj.reduce(0, +) }
    /// Q·Kᵀ + softmax + P·V: the paper's "attention computation".
    public var attention: Double { self[.innerProduct] + self[.softmax] + self[.weightedSum] }

    public static func + (a: ReRAMEnergy, b: ReRAMEnergy) -> ReRAMEnergy {
        var out = a
        for i in out.pj.indices { out.pj[i] += b.pj[i] }
        return out
    }
}

extension ReRAMComponent {
    var index: Int { Self.allCases.firstIndex(of: self)! }
}

/// One sentence costed in one design.
public struct ReRAMSentenceCost: Sendable, Equatable {
    public var run: PipelineRun
    public var energy: ReRAMEnergy
}

/// ReBERT's ReRAM accelerator (SPEC §4.3) over window workloads: stage latencies and energies from
/// the machine, the pipeline from `PipelineSimulation`.
///
/// Per layer (hidden D = H·d, FFN width F = ffn_multiplier·D, c = ⌈weight_bits / bits_per_cell⌉
/// cells per value, b = input_bits / dac_bits read cycles per MVM, halved in the advanced design
/// for the K-generation, inner products and weighted sums):
/// - generate: one MVM [1, D]·[D, 3D] (arrays in parallel), b cycles + digital_stage_ns;
/// - write: K is stored transposed (d rows × one column group per key), so a key is min(d, rows)
///   row writes; V (one row per key) is written in parallel on its own arrays: d·write_row_ns;
/// - attention: Q·Kᵀ (b cycles) + LUT softmax (⌈allowed / lanes⌉ digital cycles) + P·V
///   (probability_bits / dac_bits cycles) + digital_stage_ns; one MVM whatever the window, since
///   the allowed keys' columns are read in parallel: windows shorten waits, not the product;
/// - post: W_O, FFN up, FFN down, each one MVM + digital_stage_ns.
///
/// Energy of an MVM [1, R]·[R, C·c] over ⌈R/rows⌉ × ⌈C·c/columns⌉ arrays for b cycles:
/// b·(arrays·crossbar_read + ⌈R/rows⌉·C·c·(adc + shift_add) + ⌈C·c/columns⌉·R·dac). Q·Kᵀ reads only
/// the allowed keys' columns (C = allowed), P·V only their rows (R = allowed). Writes: 2·d·c cells
/// per token and head (K and V), twice in the advanced design (both arrays of a pair hold the rows).
/// Softmax: per allowed entry two table reads, two multiplies and an add; per row a reciprocal
/// (multiply + add). Buffers: every stage's output written and read once (2 bytes per value).
/// Leakage is not modelled.
public struct ReRAMAccelerator: Sendable {
    public let config: ReRAMConfig

    public init(config: ReRAMConfig) { self.config = config }

    /// The same machine in another design.
    public func with(design: ReRAMDesign) -> ReRAMAccelerator {
        var c = config
        c.design = design
        return ReRAMAccelerator(config: c)
    }

    func mvmNS(bits: Int, halved: Bool = false) -> Double {
        let cycles = (bits + config.dacBits - 1) / config.dacBits
        return Double(halved ? (cycles + 1) / 2 : cycles) * config.readCycleNS
    }

    /// Stage latencies (ns) of one layer for heads of size d.
    public func latencies(headDim d: Int) -> StageLatencies {
        let advanced = config.design == .advanced
        let digital = config.digitalStageNS
        let mvm = mvmNS(bits: config.inputBits)
        return StageLatencies(
            generate: mvmNS(bits: config.inputBits, halved: advanced) + digital,
            write: Double(min(d, config.crossbarRows)) * config.writeRowNS,
            attention: mvmNS(bits: config.inputBits, halved: advanced) + mvmNS(bits: config.probabilityBits, halved: advanced) + digital,
            softmaxLanes: config.softmaxLanes, softmaxCycle: 1000 / config.digitalClockMHz,
            post: [mvm + digital, mvm + digital, mvm + digital])
    }

    /// pJ of one MVM of an R-long input over C stored values, `bits` input bits.
    func mvmPJ(rows r: Int, values c: Int, bits: Int) -> Double {
        guard r > 0, c > 0 else { return 0 }
        let cells = c * config.cellsPerValue
        let rowTiles = ceilDiv(r, config.crossbarRows), columnTiles = ceilDiv(cells, config.crossbarColumns)
        let cycles = Double(ceilDiv(bits, config.dacBits))
        return cycles * (Double(rowTiles * columnTiles) * config.crossbarReadPJ
                         + Double(rowTiles * cells) * (config.adcConversionPJ + config.shiftAddPJ)
                         + Double(columnTiles * r) * config.dacRowPJ)
    }

    /// The layers the design runs: the baseline ignores windows (dense, [CLS]-only layers kept).
    public func layers(of s: ReRAMSentence) -> [PipelineLayer] {
        config.design == .baseline ? s.layers.map { PipelineLayer(window: max(0, s.tokens - 1), clsAttendsAll: true, clsOnly: $0.clsOnly) } : s.layers
    }

    /// Energy of one sentence.
    public func energy(_ s: ReRAMSentence) -> ReRAMEnergy {
        var e = ReRAMEnergy()
        let (n, h, d) = (s.tokens, s.heads, s.headDim)
        let hidden = h * d, ffn = config.ffnMultiplier * hidden
        let bits = config.inputBits, pBits = config.probabilityBits
        let copies = config.design == .advanced ? 2.0 : 1.0
        let c = config
        for layer in layers(of: s) {
            let queries = layer.clsOnly ? 1 : n
            e[.qkvGeneration] += Double(n) * mvmPJ(rows: hidden, values: 3 * hidden, bits: bits)
            e[.kvWrite] += copies * Double(n * h * 2 * d * c.cellsPerValue) * c.writeCellPJ
            var allowed = 0
            for i in 0..<queries {
                let a = layer.allowedKeys(i, tokens: n)
                allowed += a
                e[.innerProduct] += Double(h) * mvmPJ(rows: d, values: a, bits: bits)
                e[.weightedSum] += Double(h) * mvmPJ(rows: a, values: d, bits: pBits)
            }
            e[.softmax] += Double(h) * (Double(allowed) * (2 * c.lutReadPJ + 2 * c.multiplyPJ + c.addPJ) + Double(queries) * (c.multiplyPJ + c.addPJ))
            e[.outputFFN] += Double(queries) * (mvmPJ(rows: hidden, values: hidden, bits: bits) + mvmPJ(rows: hidden, values: ffn, bits: bits)
                                                + mvmPJ(rows: ffn, values: hidden, bits: bits))
            let values = n * (hidden + 3 * hidden) + queries * (hidden + hidden + ffn + hidden)
            e[.buffers] += Double(2 * 2 * values) * c.bufferPJPerByte
        }
        return e
    }

    /// One sentence through the pipeline in this design.
    public func cost(_ s: ReRAMSentence, record: Bool = false) -> ReRAMSentenceCost {
        let layers = layers(of: s)
        let run = PipelineSimulation.run(tokens: s.tokens, layers: layers, latencies: Array(repeating: latencies(headDim: s.headDim), count: layers.count),
                                         sharedArrays: config.design != .advanced, record: record)
        return ReRAMSentenceCost(run: run, energy: energy(s))
    }
}

/// A whole trace on one design: sums over sentences (run one after another).
public struct ReRAMTraceCost: Sendable, Equatable {
    public var design: ReRAMDesign
    public var sentences = 0, tokens = 0
    /// Σ per-sentence latency (ns), and Σ of each sentence's busiest resource (ns): the time with
    /// sentences overlapped in the pipeline as far as its busiest stage allows.
    public var latencyNS = 0.0, busiestResourceNS = 0.0
    public var stalls = StallTimes()
    /// Σ attention-array busy time over layers, and Σ layers × latency (array utilisation = ratio).
    public var arrayBusyNS = 0.0, arrayTimeNS = 0.0
    public var energy = ReRAMEnergy()
    /// Latency of each sentence, in trace order.
    public var sentenceLatencyNS: [Double] = []

    public init(_ sentences: [ReRAMSentence], on accelerator: ReRAMAccelerator) {
        design = accelerator.config.design
        for s in sentences {
            let c = accelerator.cost(s)
            self.sentences += 1
            tokens += s.tokens
            latencyNS += c.run.latency
            busiestResourceNS += c.run.busiestResource
            stalls = stalls + c.run.stalls
            arrayBusyNS += c.run.arrayBusy.reduce(0, +)
            arrayTimeNS += Double(c.run.arrayBusy.count) * c.run.latency
            energy = energy + c.energy
            sentenceLatencyNS.append(c.run.latency)
        }
    }

    public var arrayUtilisation: Double { arrayTimeNS > 0 ? arrayBusyNS / arrayTimeNS : 0 }
    /// Sentences per second, one after another / overlapped.
    public var sentencesPerSecond: Double { latencyNS > 0 ? Double(sentences) / latencyNS * 1e9 : 0 }
    public var overlappedSentencesPerSecond: Double { busiestResourceNS > 0 ? Double(sentences) / busiestResourceNS * 1e9 : 0 }
}
