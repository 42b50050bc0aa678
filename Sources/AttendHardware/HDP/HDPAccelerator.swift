import AttendWorkload

/// Cycles and energy of one part of the accelerator.
public struct ComponentCost: Sendable, Equatable, Codable {
    public var cycles: Int = 0
    public var energyPJ: Double = 0

    enum CodingKeys: String, CodingKey { case cycles, energyPJ = "energy_pj" }

    public static func + (a: ComponentCost, b: ComponentCost) -> ComponentCost {
        ComponentCost(cycles: a.cycles + b.cycles, energyPJ: a.energyPJ + b.energyPJ)
    }
}

/// The accelerator's parts, in pipeline order.
public enum HDPComponent: String, Sendable, CaseIterable, Codable {
    case integerPass = "integer_pass", sparsityEngine = "sparsity_engine", scorePass = "score_pass", adders
    case softmax, pv, sram, dram
}

/// Cost per component, nil for a component that did nothing (a fixed table: cheap to add up).
public struct ComponentTable: Sendable, Equatable {
    private var costs = [ComponentCost?](repeating: nil, count: 8)

    public subscript(_ c: HDPComponent) -> ComponentCost? {
        get { costs[c.index] }
        set { costs[c.index] = newValue }
    }

    public subscript(_ c: HDPComponent, default value: ComponentCost) -> ComponentCost {
        get { costs[c.index] ?? value }
        set { costs[c.index] = newValue }
    }

    /// Adds b's costs component by component.
    mutating func add(_ b: ComponentTable) {
        for i in 0..<costs.count where b.costs[i] != nil { costs[i] = (costs[i] ?? ComponentCost()) + b.costs[i]! }
    }

    var totalEnergyPJ: Double { costs.reduce(0) { $0 + ($1?.energyPJ ?? 0) } }
    /// Cycles of all components but SRAM and DRAM (indices 6, 7).
    var computeCycles: Int { costs[0..<6].reduce(0) { $0 + ($1?.cycles ?? 0) } }

    /// The components that did something, in pipeline order.
    public var used: [(component: HDPComponent, cost: ComponentCost)] {
        HDPComponent.allCases.compactMap { c in costs[c.index].map { (c, $0) } }
    }
}

extension HDPComponent {
    var index: Int {
        switch self {
        case .integerPass: 0
        case .sparsityEngine: 1
        case .scorePass: 2
        case .adders: 3
        case .softmax: 4
        case .pv: 5
        case .sram: 6
        case .dram: 7
        }
    }
}

/// The cost of attention heads on one accelerator: per component, bytes per memory level, MACs and
/// the PE array's utilisation.
public struct AcceleratorCost: Sendable, Equatable {
    public var components = ComponentTable()
    /// Compute cycles (the array and units, phases in sequence) and DRAM transfer cycles per head;
    /// a head takes the larger (transfers are double-buffered against compute).
    public var computeCycles = 0, memoryCycles = 0, cycles = 0
    public var dramBytes = 0, sramBytes = 0
    /// Multiply-adds on the PE array, and PE-cycles the array offered during its passes.
    public var macs = 0, peCycles = 0
    /// K and V rows fetched from DRAM (each counted once per fetch).
    public var kRowsFetched = 0, vRowsFetched = 0

    public var energyPJ: Double { components.totalEnergyPJ }
    /// MACs / PE-cycles of the array passes.
    public var utilisation: Double { peCycles > 0 ? Double(macs) / Double(peCycles) : 0 }

    public static func + (a: AcceleratorCost, b: AcceleratorCost) -> AcceleratorCost {
        var out = a
        out.components.add(b.components)
        out.computeCycles += b.computeCycles; out.memoryCycles += b.memoryCycles; out.cycles += b.cycles
        out.dramBytes += b.dramBytes; out.sramBytes += b.sramBytes; out.macs += b.macs; out.peCycles += b.peCycles
        out.kRowsFetched += b.kRowsFetched; out.vRowsFetched += b.vRowsFetched
        return out
    }
}

/// The HDP accelerator (Jaradat et al., arXiv 2407.12893; SPEC §4.4) as a cost model over HDP
/// workload records. Per head, in sequence on one core's R × C output-stationary array, where an
/// OS pass of [m, k] · [k, n] takes ⌈m/R⌉·⌈n/C⌉ folds of k + R + C − 2 cycles (SCALE-Sim's fold;
/// SCALE-Sim reports one cycle less per layer):
///
/// Integer and fraction passes are narrow: a PE does `narrow_macs_per_pe` of them per cycle.
///
/// 1. Integer pass S_I = Q_I K_Iᵀ over all N_q × N_k entries (integer_bits MACs). The sparsity
///    engine adds |S_I| per block as each output block leaves the array and, at END R, computes the
///    row threshold from min, max and mean; at END H compares θ_H with τ_H. It runs beside the array
///    (max of the two times).
/// 2. A pruned head stops here. Otherwise, tiled with local A-stationary reuse: the array's R query
///    rows (R / b block-rows) stay while the key rows of every block any of them kept stream
///    through (Fetch-Upon-Mask: only those K rows are fetched); scores Q_I K_Iᵀ + Q_F K_Iᵀ + Q_I K_Fᵀ
///    as one pass of depth 2d over [Q_F | Q_I] · [K_I | K_F]ᵀ (the record's fraction MACs), or,
///    without the approximation, an exact pass of depth d at value_bits. PEs of entries no block-row
///    kept are clock-gated: energy counts kept entries only, time the whole folds.
/// 3. Adders merge integer and fraction scores (one add per kept entry); the softmax unit evaluates
///    the polynomial exponential (1 multiply, 2 adds), the row sum (1 add), one linear reciprocal
///    per row (1 multiply, 1 add) and the normalisation (1 multiply) per kept entry.
/// 4. P V over the same kept key rows (V rows fetched under FUM likewise), depth = those rows.
///
/// DRAM: Q (integer + fraction bits), K_I of every key, K_F and V of the fetched rows, the output
/// (value_bits; not for pruned heads). When one head's K and V fit in the core's SRAM, a row used
/// by several row groups is fetched once, else once per group. SRAM traffic: each fold reads its
/// operand streams (R·k + C·k words) and writes R·C outputs. Energy from the energy table; leakage
/// is not modelled. Heads of one layer and sentence are spread over the cores (each to the least
/// loaded); the layer takes the longest core.
public struct HDPAccelerator: Sendable {
    /// Which HDP mechanisms are on (all by default); switching one off shows what it contributes.
    public struct Mechanisms: Sendable, Equatable {
        public var blockPruning = true, headPruning = true, fetchUponMask = true, approximation = true
        public init(blockPruning: Bool = true, headPruning: Bool = true, fetchUponMask: Bool = true, approximation: Bool = true) {
            (self.blockPruning, self.headPruning, self.fetchUponMask, self.approximation) = (blockPruning, headPruning, fetchUponMask, approximation)
        }
    }

    public let config: HDPConfig
    public let energy: EnergyTable

    public init(config: HDPConfig, energy: EnergyTable) {
        self.config = config
        self.energy = energy.technologyNM.value == config.technologyNM && energy.voltageV.value == config.voltageV
            ? energy : energy.scaled(toNM: config.technologyNM, voltage: config.voltageV)
    }

    /// Cycles of one output-stationary pass [m, k] · [k, n] on a core's array; a narrow pass
    /// (integer/fraction operands) streams `narrow_macs_per_pe` products per PE per cycle: depth ⌈k / that⌉.
    public func passCycles(m: Int, n: Int, k: Int, narrow: Bool = false) -> Int {
        guard m > 0, n > 0, k > 0 else { return 0 }
        let depth = narrow ? ceilDiv(k, config.narrowMACsPerPE) : k
        return ceilDiv(m, config.peRows) * ceilDiv(n, config.peColumns) * (depth + config.peRows + config.peColumns - 2)
    }

    private func pass(_ cost: inout AcceleratorCost, _ component: HDPComponent, m: Int, n: Int, k: Int, macs: Int, bits: Int, narrow: Bool = false) {
        let cycles = passCycles(m: m, n: n, k: k, narrow: narrow)
        let (r, c) = (config.peRows, config.peColumns)
        let folds = m > 0 && n > 0 && k > 0 ? ceilDiv(m, r) * ceilDiv(n, c) : 0
        cost.components[component, default: ComponentCost()] = cost.components[component, default: ComponentCost()]
            + ComponentCost(cycles: cycles, energyPJ: Double(macs) * energy.macPJ(bits: bits))
        cost.macs += macs
        cost.peCycles += cycles * r * c * (narrow ? config.narrowMACsPerPE : 1)
        let sramBits = folds * ((r + c) * k * bits + r * c * bits)
        cost.sramBytes += sramBits / 8
        cost.components[.sram, default: ComponentCost()].energyPJ += Double(sramBits) * energy.sramPJPerBit(kib: config.sramKiB)
    }

    private func unit(_ cost: inout AcceleratorCost, _ component: HDPComponent, cycles: Int, pj: Double) {
        cost.components[component, default: ComponentCost()] = cost.components[component, default: ComponentCost()] + ComponentCost(cycles: cycles, energyPJ: pj)
    }

    private func dram(_ cost: inout AcceleratorCost, bits: Int) {
        cost.dramBytes += (bits + 7) / 8
        cost.components[.dram, default: ComponentCost()].energyPJ += Double(bits) * energy.dramPJPerBit
    }

    /// Cycles to move `bytes` to or from DRAM at the configured bandwidth.
    public func transferCycles(bytes: Int) -> Int {
        Int(config.dramCycles(bytes: Double(bytes)).rounded(.up))  // ≤ bytes · 10^6 (HDPConfig.load)
    }

    /// One head of an HDP record (blockRows = blockColumns = b, keptBlocks recorded).
    public func head(_ w: HeadWorkload, mechanisms: Mechanisms = Mechanisms()) -> AcceleratorCost {
        var cost = AcceleratorCost()
        let (nq, nk, d) = (w.queries, w.keys, w.headDim)
        guard nq > 0, nk > 0, d > 0 else { return cost }
        let (ib, fb, vb) = (config.integerBits, config.fractionBits, config.valueBits)
        // 1. Integer pass and the sparsity engine beside it.
        pass(&cost, .integerPass, m: nq, n: nk, k: d, macs: nq * nk * d, bits: ib, narrow: true)
        let b = max(1, w.blockRows)
        let (rows, columns) = (ceilDiv(nq, b), ceilDiv(nk, b))
        let seCycles = ceilDiv(rows * columns, config.sparsityEngineBlocksPerCycle)
        let sePJ = Double(nq * nk) * energy.pj(.add, bits: 32)            // Σ|S_I| per block
            + Double(rows * columns) * energy.pj(.add, bits: 32)          // compare with Θ_r
            + Double(rows) * (energy.pj(.mult, bits: 32) + 3 * energy.pj(.add, bits: 32))  // Θ_r from min, max, mean
        unit(&cost, .sparsityEngine, cycles: max(0, seCycles - cost.components[.integerPass]!.cycles), pj: sePJ)
        dram(&cost, bits: nq * d * (ib + fb) + nk * d * ib)
        let pruned = w.headPruned == 1 && mechanisms.headPruning
        if !pruned {
            // 2.–4. Row groups of R query rows; kept key blocks per group (all when pruning is off
            // or the head's mask is unknown — a pruned head computed anyway).
            let groupRows = max(1, config.peRows / b)
            let keepAll = !mechanisms.blockPruning || w.keptBlocks.isEmpty || w.headPruned == 1
            let kept = { (r: Int, c: Int) -> Bool in keepAll || w.keptBlocks[r * columns + c] }
            let width = { (c: Int) -> Int in min(b, nk - c * b) }
            let height = { (r: Int) -> Int in min(b, nq - r * b) }
            var keptEntries = 0, scoreCycles = 0, pvCycles = 0, fetchedPerGroup = 0
            var usedAnywhere = [Bool](repeating: false, count: columns)
            var r0 = 0
            while r0 < rows {
                let r1 = min(rows, r0 + groupRows)
                let queryRows = (r0..<r1).reduce(0) { $0 + height($1) }
                var keyRows = 0
                for c in 0..<columns {
                    var any = false
                    for r in r0..<r1 where kept(r, c) { any = true; keptEntries += height(r) * width(c) }
                    if any { keyRows += width(c); usedAnywhere[c] = true }
                }
                let depth = mechanisms.approximation ? 2 * d : d
                scoreCycles += passCycles(m: queryRows, n: keyRows, k: depth, narrow: mechanisms.approximation)
                pvCycles += passCycles(m: queryRows, n: d, k: keyRows)
                fetchedPerGroup += mechanisms.fetchUponMask ? keyRows : nk
                r0 = r1
            }
            // Time: the passes as run; energy: kept entries (gated PEs), accounted through pass().
            let scoreMACs = keptEntries * (mechanisms.approximation ? 2 * d : d)
            cost.components[.scorePass] = ComponentCost(cycles: scoreCycles, energyPJ: Double(scoreMACs) * energy.macPJ(bits: mechanisms.approximation ? max(ib, fb) : vb))
            cost.components[.pv] = ComponentCost(cycles: pvCycles, energyPJ: Double(keptEntries * d) * energy.macPJ(bits: vb))
            cost.macs += scoreMACs + keptEntries * d
            cost.peCycles += (scoreCycles * (mechanisms.approximation ? config.narrowMACsPerPE : 1) + pvCycles) * config.peRows * config.peColumns
            let streamBits = (scoreCycles + pvCycles) * (config.peRows + config.peColumns) * vb
            cost.sramBytes += streamBits / 8
            cost.components[.sram, default: ComponentCost()].energyPJ += Double(streamBits) * energy.sramPJPerBit(kib: config.sramKiB)
            if mechanisms.approximation {
                unit(&cost, .adders, cycles: ceilDiv(keptEntries, config.adderLanes), pj: Double(keptEntries) * energy.pj(.add, bits: 32))
            }
            let perEntry = 2 * energy.pj(.mult, bits: vb) + 3 * energy.pj(.add, bits: vb)
            let perRow = energy.pj(.mult, bits: vb) + energy.pj(.add, bits: vb)
            unit(&cost, .softmax, cycles: ceilDiv(keptEntries, config.softmaxLanes) + ceilDiv(nq, config.softmaxLanes),
                 pj: Double(keptEntries) * perEntry + Double(nq) * perRow)
            // K_F (or full K for the exact pass) and V rows: once per head when they fit on chip.
            let fitsOnChip = Double(nk * d * (ib + fb + vb)) / 8 <= config.sramKiB * 1024
            let onceRows = mechanisms.fetchUponMask ? (0..<columns).reduce(0) { $0 + (usedAnywhere[$1] ? width($1) : 0) } : nk
            let rowsFetched = fitsOnChip ? onceRows : fetchedPerGroup
            (cost.kRowsFetched, cost.vRowsFetched) = (rowsFetched, rowsFetched)
            dram(&cost, bits: rowsFetched * d * (mechanisms.approximation ? fb : ib + fb) + rowsFetched * d * vb + nq * d * vb)
        } else {
            cost.kRowsFetched = nk
        }
        finish(&cost)
        return cost
    }

    /// Dense attention of the same head on the same accelerator: S = Q Kᵀ at value_bits over every
    /// entry, softmax on every entry, P V, all of Q, K, V fetched and the output written.
    public func denseHead(_ w: HeadWorkload) -> AcceleratorCost {
        var cost = AcceleratorCost()
        let (nq, nk, d, vb) = (w.queries, w.keys, w.headDim, config.valueBits)
        guard nq > 0, nk > 0, d > 0 else { return cost }
        pass(&cost, .scorePass, m: nq, n: nk, k: d, macs: nq * nk * d, bits: vb)
        pass(&cost, .pv, m: nq, n: d, k: nk, macs: nq * nk * d, bits: vb)
        let perEntry = 2 * energy.pj(.mult, bits: vb) + 3 * energy.pj(.add, bits: vb)
        unit(&cost, .softmax, cycles: ceilDiv(nq * nk, config.softmaxLanes) + ceilDiv(nq, config.softmaxLanes),
             pj: Double(nq * nk) * perEntry + Double(nq) * (energy.pj(.mult, bits: vb) + energy.pj(.add, bits: vb)))
        (cost.kRowsFetched, cost.vRowsFetched) = (nk, nk)
        dram(&cost, bits: (nq * d + 2 * nk * d + nq * d) * vb)
        finish(&cost)
        return cost
    }

    private func finish(_ cost: inout AcceleratorCost) {
        cost.computeCycles = cost.components.computeCycles
        cost.memoryCycles = transferCycles(bytes: cost.dramBytes)
        cost.components[.dram, default: ComponentCost()].cycles = cost.memoryCycles
        cost.cycles = max(cost.computeCycles, cost.memoryCycles)
    }

    /// Cycles of a group of heads that run together (one layer of one sentence): each head goes to
    /// the least-loaded core in order; the group takes the longest core.
    public func scheduledCycles(_ heads: [AcceleratorCost]) -> Int {
        var load = [Int](repeating: 0, count: config.cores)
        for h in heads {
            let i = load.indices.min { load[$0] < load[$1] }!
            load[i] += h.cycles
        }
        return load.max() ?? 0
    }
}
