/// What SCALE-Sim 3.0 reports for one layer in CALC bandwidth mode: its COMPUTE_REPORT.csv columns
/// and the access counts of DETAILED_ACCESS_REPORT.csv (plus the DRAM start/stop cycles that
/// `total_cycles_with_prefetch` is made of).
///
/// `sram_ofmap_writes` is SCALE-Sim's figure: for output-stationary it adds R + C per fold to the
/// P · F words really written (a counting quirk of `systolic_compute_os.py`); `physicalOfmapWrites`
/// holds the physical count.
public struct SCALESimLayerReport: Sendable, Equatable, Codable {
    public var layer: Int
    public var name: String
    public var totalCyclesWithPrefetch: Int
    public var totalCycles: Int
    public var stallCycles: Int
    public var overallUtilPercent: Double
    public var mappingEfficiencyPercent: Double
    public var computeUtilPercent: Double
    public var sramIfmapReads: Int
    public var sramFilterReads: Int
    public var sramOfmapWrites: Int
    public var dramIfmapReads: Int
    public var dramFilterReads: Int
    public var dramOfmapWrites: Int
    public var dramIfmapStartCycle: Int
    public var dramFilterStartCycle: Int
    public var dramOfmapStopCycle: Int
    /// Output words written to SRAM without SCALE-Sim's R + C per fold (output-stationary only differs).
    public var physicalOfmapWrites: Int

    enum CodingKeys: String, CodingKey {
        case layer, name
        case totalCyclesWithPrefetch = "total_cycles_with_prefetch", totalCycles = "total_cycles", stallCycles = "stall_cycles"
        case overallUtilPercent = "overall_util_percent", mappingEfficiencyPercent = "mapping_efficiency_percent"
        case computeUtilPercent = "compute_util_percent"
        case sramIfmapReads = "sram_ifmap_reads", sramFilterReads = "sram_filter_reads", sramOfmapWrites = "sram_ofmap_writes"
        case dramIfmapReads = "dram_ifmap_reads", dramFilterReads = "dram_filter_reads", dramOfmapWrites = "dram_ofmap_writes"
        case dramIfmapStartCycle = "dram_ifmap_start_cycle", dramFilterStartCycle = "dram_filter_start_cycle"
        case dramOfmapStopCycle = "dram_ofmap_stop_cycle", physicalOfmapWrites = "physical_ofmap_writes"
    }
}

/// A layer SCALE-Sim cannot run or that this emulation does not cover.
public enum SystolicError: Error, Equatable, CustomStringConvertible {
    case invalidLayer(String)
    case scaleSimFailure(String)

    public var description: String {
        switch self {
        case let .invalidLayer(reason): return reason
        case let .scaleSimFailure(reason): return "SCALE-Sim itself fails on this input: \(reason)"
        }
    }
}

extension SystolicArray {
    /// SCALE-Sim 3.0's numbers for `layer`, cycle for cycle.
    ///
    /// The array runs folds of S_r × S_c (rows × columns) one after another, column folds outer;
    /// each fold streams its operands with the systolic skew, so a fold takes
    /// OS: T + R + C − 2, WS and IS: 2R + C + T − 2 cycles, and SCALE-Sim's total is
    /// folds · (fold cycles) − 1 plus write stalls (e.g. OS: ⌈M/R⌉·⌈N/C⌉·(K + R + C − 2) − 1 for a GEMM).
    /// Demands go through the CALC-mode buffers (`EstimateReadBuffer`, `OfmapWriteBuffer`) word by
    /// word, so the cost is O(folds · fold cycles · (R + C)) — no per-cycle interpretation.
    public func scaleSim(_ layer: SystolicLayer, index: Int = 0) throws(SystolicError) -> SCALESimLayerReport {
        guard rows >= 1, columns >= 1 else { throw .invalidLayer("array \(rows) × \(columns): both sides must be ≥ 1") }
        guard ifmapSRAMKiB >= 1, filterSRAMKiB >= 1, ofmapSRAMKiB >= 1 else {
            throw .invalidLayer("SRAM sizes must be ≥ 1 KiB (SCALE-Sim fails on smaller buffers)")
        }
        let l = layer
        guard l.ifmapHeight >= 1, l.ifmapWidth >= 1, l.filterHeight >= 1, l.filterWidth >= 1, l.channels >= 1, l.filters >= 1, l.stride >= 1 else {
            throw .invalidLayer("layer \(l.name): every dimension and the stride must be ≥ 1")
        }
        guard l.filterHeight <= l.ifmapHeight, l.filterWidth <= l.ifmapWidth else {
            throw .invalidLayer("layer \(l.name): filter \(l.filterHeight) × \(l.filterWidth) larger than the ifmap \(l.ifmapHeight) × \(l.ifmapWidth)")
        }
        let (p, w, f) = (l.ofmapPixels, l.window, l.filters)
        let (r, c) = (rows, columns)
        let (sr, sc, t): (Int, Int, Int)
        switch dataflow {
        case .outputStationary: (sr, sc, t) = (p, f, w)
        case .weightStationary: (sr, sc, t) = (w, f, p)
        case .inputStationary: (sr, sc, t) = (w, p, f)
        }
        let (rowFolds, columnFolds) = (ceilDiv(sr, r), ceilDiv(sc, c))
        let foldRows = dataflow == .outputStationary ? t + r + c - 2 : 2 * r + c + t - 2

        // The ifmap matrix [P, W] as word addresses (−1 past the edge).
        var ifmap = [Int](repeating: 0, count: p * w)
        for i in 0..<p { for j in 0..<w { ifmap[i * w + j] = l.ifmapAddress(pixel: i, window: j) } }
        var ifmapBuffer = EstimateReadBuffer(sramKiB: ifmapSRAMKiB, addresses: l.ifmapHeight * l.ifmapWidth * l.channels)
        var filterBuffer = EstimateReadBuffer(sramKiB: filterSRAMKiB, addresses: w * f)
        var ofmapBuffer = OfmapWriteBuffer(sramKiB: ofmapSRAMKiB, lineWords: c)

        var (sramIfmap, sramFilter, sramOfmap, physicalOfmap) = (0, 0, 0, 0)
        var mappingSum = 0.0, utilSum = 0.0
        var stalls = 0, row = 0, lastServed = 0
        for fc in 0..<columnFolds {
            for fr in 0..<rowFolds {
                let (rowStart, colStart) = (fr * r, fc * c)
                let (usedR, usedC) = (min(r, sr - rowStart), min(c, sc - colStart))
                let used = usedR * usedC
                let foldCycles: Int
                switch dataflow {
                case .outputStationary:
                    (sramIfmap, sramFilter) = (sramIfmap + t * usedR, sramFilter + t * usedC)
                    sramOfmap += used + r + c
                    foldCycles = (t - 1 + r) + c - 1
                case .weightStationary:
                    (sramIfmap, sramFilter, sramOfmap) = (sramIfmap + t * usedR, sramFilter + used, sramOfmap + t * usedC)
                    foldCycles = (2 * r + c + t - 2) + c - 1
                case .inputStationary:
                    (sramIfmap, sramFilter, sramOfmap) = (sramIfmap + used, sramFilter + t * usedR, sramOfmap + t * usedC)
                    foldCycles = (2 * r + c + t - 2) + c - 1
                }
                physicalOfmap += dataflow == .outputStationary ? used : t * usedC
                mappingSum += Double(used) / Double(r * c)
                utilSum += Double(used * t) / Double(r * c * foldCycles)

                for y in 0..<foldRows {
                    let cycle = row + stalls
                    var ofmapWords = 0
                    switch dataflow {
                    case .outputStationary:
                        // ifmap: skewed [T + C − 1, R]; filter: skewed [T + R − 1, C]; ofmap: T − 1 idle rows, then the flipped fold, skewed.
                        // Columns x with 0 ≤ y − x < T.
                        let x0 = max(0, y - t + 1)
                        if x0 < min(usedR, y + 1) {
                            for x in x0..<min(usedR, y + 1) {
                                if let a = ifmap[(rowStart + x) * w + (y - x)].nonNegative { ifmapBuffer.read(a) }
                            }
                        }
                        if x0 < min(usedC, y + 1) { for x in x0..<min(usedC, y + 1) { filterBuffer.read((colStart + x) * w + (y - x)) } }
                        // Outputs: q = y − x − (T − 1) with R − usedR ≤ q < R.
                        ofmapWords = overlap(y - (t - 1) - (r - 1), y - (t - 1) - (r - usedR), usedC)
                    case .weightStationary:
                        // ifmap: R idle rows, [T, R], skewed; filter: the flipped R × C block, not skewed; ofmap: 2R − 1 idle rows, [T, C], skewed.
                        for x in 0..<min(usedR, y + 1) {
                            let u = y - x - r
                            if u >= 0, u < t, let a = ifmap[u * w + rowStart + x].nonNegative { ifmapBuffer.read(a) }
                        }
                        if y < r, r - 1 - y < usedR {
                            for x in 0..<usedC { filterBuffer.read((colStart + x) * w + rowStart + r - 1 - y) }
                        }
                        ofmapWords = overlap(y - (2 * r - 1) - (t - 1), y - (2 * r - 1), usedC)
                    case .inputStationary:
                        // ifmap: the flipped R × C block of ifmapᵀ, not skewed; filter: R idle rows, [T, R], skewed; ofmap as WS.
                        if y < r, r - 1 - y < usedR {
                            for x in 0..<usedC {
                                if let a = ifmap[(colStart + x) * w + rowStart + r - 1 - y].nonNegative { ifmapBuffer.read(a) }
                            }
                        }
                        for x in 0..<min(usedR, y + 1) {
                            let u = y - x - r
                            if u >= 0, u < t { filterBuffer.read(u * w + rowStart + x) }
                        }
                        ofmapWords = overlap(y - (2 * r - 1) - (t - 1), y - (2 * r - 1), usedC)
                    }
                    // The first demanded word is always a miss: the first row with a miss is the first demand.
                    if ifmapBuffer.firstDemandCycle == nil, ifmapBuffer.misses > 0 { ifmapBuffer.firstDemandCycle = cycle }
                    if filterBuffer.firstDemandCycle == nil, filterBuffer.misses > 0 { filterBuffer.firstDemandCycle = cycle }
                    lastServed = try ofmapBuffer.write(words: ofmapWords, cycle: cycle)
                    stalls += lastServed - cycle
                    row += 1
                }
            }
        }
        try ofmapBuffer.drainAll(from: lastServed)

        let folds = rowFolds * columnFolds
        let ifmapStart = ifmapBuffer.dramStartCycle(), filterStart = filterBuffer.dramStartCycle()
        let totalCycles = lastServed
        guard totalCycles > 0 else { throw .scaleSimFailure("the layer takes 0 cycles and SCALE-Sim divides by its cycle count") }
        return SCALESimLayerReport(
            layer: index, name: l.name,
            totalCyclesWithPrefetch: ofmapBuffer.lastDrainCycle - min(ifmapStart, filterStart),
            totalCycles: totalCycles, stallCycles: stalls,
            overallUtilPercent: Double(l.macs * 100) / Double(totalCycles * r * c),
            mappingEfficiencyPercent: mappingSum / Double(folds) * 100, computeUtilPercent: utilSum / Double(folds) * 100,
            sramIfmapReads: sramIfmap, sramFilterReads: sramFilter, sramOfmapWrites: sramOfmap,
            dramIfmapReads: ifmapBuffer.misses, dramFilterReads: filterBuffer.misses, dramOfmapWrites: ofmapBuffer.dramWrites,
            dramIfmapStartCycle: ifmapStart, dramFilterStartCycle: filterStart, dramOfmapStopCycle: ofmapBuffer.lastDrainCycle,
            physicalOfmapWrites: physicalOfmap)
    }
}

/// How many x in [lo, hi] ∩ [0, width).
@inline(__always) private func overlap(_ lo: Int, _ hi: Int, _ width: Int) -> Int { max(0, min(hi, width - 1) - max(lo, 0) + 1) }

private extension Int {
    /// self when ≥ 0 (a word address), nil for SCALE-Sim's −1 (no word).
    var nonNegative: Int? { self >= 0 ? self : nil }
}
