import AttendWorkload

/// How many queries a workload row stands for.
public enum SpAttenPhase: String, Sendable, CaseIterable {
    /// One query per row: a generation step (the released GPT-2 workloads; the authors' RTL
    /// testbench sends one query vector per row).
    case generation
    /// Every surviving token is a query: queries = `key_fetch_num` (encoders, a prompt's pass; the
    /// authors' behaviour model `bert.cpp` streams L queries past the fetched keys).
    case summarization

    func queries(_ row: SpAttenWorkloadRow) -> Int { self == .generation ? 1 : row.keysFetched }
}

/// The parts of the accelerator a head uses, in pipeline order.
public enum SpAttenComponent: String, Sendable, CaseIterable, Codable {
    case qk, softmax, topk, pv, sram, dram
}

/// One number per component (stored inline, no heap: cheap to add up over many heads).
public struct SpAttenByComponent<Value: AdditiveArithmetic & Sendable & Equatable>: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private var qk = Value.zero, softmax = Value.zero, topk = Value.zero, pv = Value.zero, sram = Value.zero, dram = Value.zero

    public init(dictionaryLiteral elements: (SpAttenComponent, Value)...) {
        for (c, v) in elements { self[c] = v }
    }

    public subscript(_ c: SpAttenComponent) -> Value {
        get {
            switch c {
            case .qk: qk
            case .softmax: softmax
            case .topk: topk
            case .pv: pv
            case .sram: sram
            case .dram: dram
            }
        }
        set {
            switch c {
            case .qk: qk = newValue
            case .softmax: softmax = newValue
            case .topk: topk = newValue
            case .pv: pv = newValue
            case .sram: sram = newValue
            case .dram: dram = newValue
            }
        }
    }

    /// The values in `SpAttenComponent.allCases` order.
    public var values: [Value] { [qk, softmax, topk, pv, sram, dram] }

    public static func + (a: Self, b: Self) -> Self {
        var c = a
        (c.qk, c.softmax, c.topk) = (a.qk + b.qk, a.softmax + b.softmax, a.topk + b.topk)
        (c.pv, c.sram, c.dram) = (a.pv + b.pv, a.sram + b.sram, a.dram + b.dram)
        return c
    }
}

/// DRAM bytes of one head (or a sum of heads) by what they hold.
public struct SpAttenBytes: Sendable, Equatable, Codable {
    public var query = 0, keyMSB = 0, keyLSB = 0, value = 0

    public init(query: Int = 0, keyMSB: Int = 0, keyLSB: Int = 0, value: Int = 0) {
        (self.query, self.keyMSB, self.keyLSB, self.value) = (query, keyMSB, keyLSB, value)
    }

    enum CodingKeys: String, CodingKey { case query = "q", keyMSB = "k_msb", keyLSB = "k_lsb", value = "v" }

    public var total: Int { query + keyMSB + keyLSB + value }
    /// K and V only: what the authors' models count (they take Q from the request, not from DRAM).
    public var keysAndValues: Int { keyMSB + keyLSB + value }

    public static func + (a: SpAttenBytes, b: SpAttenBytes) -> SpAttenBytes {
        SpAttenBytes(query: a.query + b.query, keyMSB: a.keyMSB + b.keyMSB, keyLSB: a.keyLSB + b.keyLSB, value: a.value + b.value)
    }
}

/// The cost of one head (one workload row) on SpAtten, or a sum of heads.
public struct SpAttenCost: Sendable, Equatable {
    /// Cycles each unit is busy, by component (SRAM has none of its own: its accesses ride on Q·K and P·V).
    public var unitCycles: SpAttenByComponent<Int> = [:]
    public var energyPJ: SpAttenByComponent<Double> = [:]
    public var bytes = SpAttenBytes()
    /// Pipelined cycles: a head occupies the pipeline for its slowest unit (DRAM, Q·K, softmax,
    /// top-k, P·V work on consecutive heads at once); summed over heads, plus the pipeline latency
    /// once per layer.
    public var cycles = 0
    /// The same with no overlap at all (every unit one after the other): an upper bound, and the
    /// accounting of the authors' behaviour model (DRAM + compute + top-k + latency).
    public var serialCycles = 0
    /// Multiply-adds of Q·K (recomputation included) and P·V; comparisons of the top-k engine.
    public var macs = 0, comparisons = 0
    /// Heads (rows), heads that fetched LSBs, and queries.
    public var heads = 0, requantizedHeads = 0, queries = 0

    public var totalEnergyPJ: Double { energyPJ.values.reduce(0, +) }

    public static func + (a: SpAttenCost, b: SpAttenCost) -> SpAttenCost {
        var c = a
        (c.unitCycles, c.energyPJ) = (a.unitCycles + b.unitCycles, a.energyPJ + b.energyPJ)
        c.bytes = a.bytes + b.bytes
        (c.cycles, c.serialCycles) = (a.cycles + b.cycles, a.serialCycles + b.serialCycles)
        (c.macs, c.comparisons) = (a.macs + b.macs, a.comparisons + b.comparisons)
        (c.heads, c.requantizedHeads, c.queries) = (a.heads + b.heads, a.requantizedHeads + b.requantizedHeads, a.queries + b.queries)
        return c
    }
}

/// The SpAtten accelerator (arXiv 2012.09852 §IV, Table I) costing workload rows.
///
/// Per head (row) with q queries (`SpAttenPhase`), k = `key_fetch_num`, v = `value_fetch_num`,
/// head dimension d, P = ⌊M / d⌋ rows per cycle of an M-multiplier unit:
/// - DRAM bytes: Q q·d·b_q/8, K MSBs k·d·b_k/8, K LSBs k·d·b_inc/8 when `if_requant` (their own
///   region: a second fetch), V v·d·b_v/8 (b = `unquantized_bits` where the row says -1); each part
///   moves in ⌈bytes / burst⌉ transactions spread over the channels, one per channel per cycle.
/// - Q·K unit: q·⌈k / P⌉ cycles, twice when the LSBs are fetched (the scores are recomputed);
///   softmax q·⌈k / lanes⌉ (also twice); P·V q·⌈v / P⌉.
/// - top-k engine: local value pruning (v < k) runs a quick-select for rank v among k per query;
///   token pruning (`if_topk`, k' = `topk` < k) one for rank k − k' among the k token importances
///   (`SpAttenTopK`, pivots seeded by iteration, layer and head).
/// - the head occupies the pipeline max(DRAM, Q·K, softmax, top-k, P·V) cycles (the units work on
///   consecutive heads at once, K/V SRAM double-buffered); a layer adds the pipeline latency once
///   (the next layer's input needs this one's output).
/// Energy: multiply-adds at `multiplier_bits` (multiply + 32-bit accumulate), softmax 2 fp32 adds
/// + 2 fp32 multiplies per score, a 16-bit add per comparison, SRAM per bit written (all fetched K
/// and V) and read (each query reads its K and V rows) in summarisation only — in generation the
/// single query has no reuse and K, V stream past the SRAM (§IV: "no need to store them in the
/// on-chip SRAM") —, DRAM `dram_energy_per_bit_pj`; the energy
/// table scaled to the configuration's node and voltage. No leakage.
public struct SpAttenAccelerator: Sendable {
    public var config: SpAttenConfig
    /// The energy table at the configuration's node and voltage.
    public var energy: EnergyTable

    public init(config: SpAttenConfig, energy: EnergyTable) {
        self.config = config
        self.energy = energy.scaled(toNM: config.technologyNM, voltage: config.voltageV)
    }

    /// A bit width with -1 read as `unquantized_bits`.
    func width(_ bits: Int) -> Int { bits < 0 ? config.unquantizedBits : bits }

    /// ⌈rows · d · bits / 8⌉ bytes.
    static func bytes(rows: Int, headDim d: Int, bits: Int) -> Int { (rows * d * bits + 7) / 8 }

    /// The cost of one head, not yet pipelined with its neighbours (`cycles` = its pipeline slot,
    /// without the per-layer latency).
    public func head(_ row: SpAttenWorkloadRow, phase: SpAttenPhase) -> SpAttenCost {
        let q = phase.queries(row), d = row.headDim, k = row.keysFetched, v = row.valuesFetched
        let requant = row.requantized && row.requantIncrement > 0
        var bytes = SpAttenBytes(query: Self.bytes(rows: q, headDim: d, bits: width(row.queryBits)),
                                 keyMSB: Self.bytes(rows: k, headDim: d, bits: width(row.keyBits)), keyLSB: 0,
                                 value: Self.bytes(rows: v, headDim: d, bits: width(row.valueBits)))
        if requant { bytes.keyLSB = Self.bytes(rows: k, headDim: d, bits: row.requantIncrement) }
        let burst = config.dramBurstBytes
        let bursts = [bytes.query, bytes.keyMSB, bytes.keyLSB, bytes.value].reduce(0) { $0 + ($1 + burst - 1) / burst }
        let passes = requant ? 2 : 1

        var topK = SpAttenTopK.Run()
        let seed = UInt64(truncatingIfNeeded: row.iteration) &* 0x1_0000_0001 ^ UInt64(truncatingIfNeeded: row.layer) << 20
            ^ UInt64(truncatingIfNeeded: row.head)
        if v < k {
            for query in 0..<q {
                let r = SpAttenTopK.run(count: k, target: v, comparators: config.topKComparators, overhead: config.topKIterationOverheadCycles,
                                        seed: seed &* 31 &+ UInt64(query))
                (topK.cycles, topK.iterations, topK.comparisons) = (topK.cycles + r.cycles, topK.iterations + r.iterations, topK.comparisons + r.comparisons)
            }
        }
        if row.runsTopK, row.topK >= 0, row.topK < k {
            let r = SpAttenTopK.run(count: k, target: k - row.topK, comparators: config.topKComparators,
                                    overhead: config.topKIterationOverheadCycles, seed: ~seed)
            (topK.cycles, topK.iterations, topK.comparisons) = (topK.cycles + r.cycles, topK.iterations + r.iterations, topK.comparisons + r.comparisons)
        }

        var cost = SpAttenCost()
        cost.unitCycles = [
            .dram: config.dramCycles(bursts: bursts),
            .qk: passes * q * config.unitCycles(rows: k, headDim: d),
            .softmax: passes * q * ((k + config.softmaxLanes - 1) / config.softmaxLanes),
            .topk: topK.cycles,
            .pv: q * config.unitCycles(rows: v, headDim: d),
        ]
        let u = cost.unitCycles
        cost.cycles = max(u[.dram], u[.qk], u[.softmax], u[.topk], u[.pv])
        cost.serialCycles = u[.dram] + u[.qk] + u[.softmax] + u[.topk] + u[.pv]
        let qkMACs = passes * q * k * d, pvMACs = q * v * d
        (cost.macs, cost.comparisons, cost.bytes) = (qkMACs + pvMACs, topK.comparisons, bytes)
        (cost.heads, cost.requantizedHeads, cost.queries) = (1, requant ? 1 : 0, q)

        let mac = energy.macPJ(bits: config.multiplierBits)
        let sramBytes = phase == .generation ? 0 : bytes.keysAndValues + q * (passes * (bytes.keyMSB + bytes.keyLSB) + bytes.value)
        let sramBits = Double(8 * sramBytes)
        let sramKiB = (config.keySRAMKB + config.valueSRAMKB) / 2 * 1000 / 1024
        cost.energyPJ = [
            .qk: Double(qkMACs) * mac,
            .softmax: Double(passes * q * k) * 2 * (energy.pj(.add, .fp, bits: 32) + energy.pj(.mult, .fp, bits: 32)),
            .topk: Double(topK.comparisons) * energy.pj(.add, bits: 16),
            .pv: Double(pvMACs) * mac,
            .sram: sramBits * energy.sramPJPerBit(kib: sramKiB),
            .dram: Double(8 * bytes.total) * config.dramEnergyPerBitPJ,
        ]
        return cost
    }
}
