import AttendWorkload

/// Which of SpAtten's four techniques a set of rows keeps (arXiv 2012.09852 §III): the rows of
/// a run with all four, with the others undone, give the cost of "each technique alone" against
/// dense (none) — the paper's 3.8× (tokens), 1.1× (heads), 5.1× (progressive quantization), 10×
/// (all) DRAM reductions, computed from one run's records.
public struct SpAttenTechniques: Sendable, Equatable, Hashable {
    public var tokenPruning: Bool, headPruning: Bool, valuePruning: Bool, quantization: Bool

    public init(tokenPruning: Bool = false, headPruning: Bool = false, valuePruning: Bool = false, quantization: Bool = false) {
        (self.tokenPruning, self.headPruning, self.valuePruning, self.quantization) = (tokenPruning, headPruning, valuePruning, quantization)
    }

    public static let none = SpAttenTechniques()
    public static let all = SpAttenTechniques(tokenPruning: true, headPruning: true, valuePruning: true, quantization: true)

    /// The rows (from a run with every technique on) with the techniques not in `self` undone:
    /// - no token pruning: K rows = L (`sentence_length_L`); V rows keep the run's V/K fraction if
    ///   value pruning stays, else L; no token top-k;
    /// - no value pruning: V rows = K rows;
    /// - no quantization: every width -1 (unquantized), no requantization;
    /// - no head pruning: each (iteration, layer) gets a row for every head 0 ..< `heads` (default:
    ///   1 + the largest head id in the rows), a missing head copying its layer's first row.
    public func apply(to rows: [SpAttenWorkloadRow], heads: Int? = nil) -> [SpAttenWorkloadRow] {
        var out = headPruning ? rows : Self.restoringHeads(rows, heads: heads ?? (1 + (rows.map(\.head).max() ?? -1)))
        for i in out.indices {
            var r = out[i]
            if !tokenPruning {
                let length = r.sentenceLength
                r.valuesFetched = valuePruning && r.keysFetched > 0 ? (r.valuesFetched * length + r.keysFetched / 2) / r.keysFetched : length
                (r.keysFetched, r.runsTopK, r.topK) = (length, false, -1)
            }
            if !valuePruning { r.valuesFetched = r.keysFetched }
            if !quantization {
                (r.keyBits, r.queryBits, r.valueBits) = (-1, -1, -1)
                (r.requantized, r.requantThreshold, r.requantIncrement) = (false, -1, -1)
            }
            out[i] = r
        }
        return out
    }

    /// Every (iteration, layer) run of rows, with heads 0 ..< heads present (missing ones copied
    /// from the run's first row, without its top-k).
    static func restoringHeads(_ rows: [SpAttenWorkloadRow], heads: Int) -> [SpAttenWorkloadRow] {
        var out: [SpAttenWorkloadRow] = []
        out.reserveCapacity(rows.count)
        var start = 0
        while start < rows.count {
            var end = start
            while end < rows.count, rows[end].iteration == rows[start].iteration, rows[end].layer == rows[start].layer { end += 1 }
            let run = rows[start..<end]
            let present = Set(run.map(\.head))
            var filled = Array(run)
            for h in 0..<heads where !present.contains(h) {
                var copy = rows[start]
                (copy.head, copy.runsTopK, copy.topK) = (h, false, -1)
                filled.append(copy)
            }
            out += filled.sorted { $0.head < $1.head }
            start = end
        }
        return out
    }
}

/// DRAM bytes, cycles and energy of one run's rows with each technique alone, all together and
/// none (dense), on one accelerator.
public struct SpAttenTechniqueTable: Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var techniques: SpAttenTechniques
        public var cost: SpAttenCost
    }

    /// dense, token pruning, head pruning, value pruning, quantization, all — in that order.
    public var entries: [Entry]

    public init(_ rows: [SpAttenWorkloadRow], on accelerator: SpAttenAccelerator, phase: SpAttenPhase, heads: Int? = nil) {
        let sets: [(String, SpAttenTechniques)] = [
            ("dense", .none), ("token_pruning", .init(tokenPruning: true)), ("head_pruning", .init(headPruning: true)),
            ("value_pruning", .init(valuePruning: true)), ("quantization", .init(quantization: true)), ("all", .all),
        ]
        entries = sets.map { name, t in
            Entry(name: name, techniques: t, cost: SpAttenWorkloadCost(t.apply(to: rows, heads: heads), on: accelerator, phase: phase).total)
        }
    }
}
