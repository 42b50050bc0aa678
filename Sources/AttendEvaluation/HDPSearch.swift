import AttendAttention

/// Calibration of HDP's ρ_B and τ_H (SPEC §4.4) on a calibration split of *train*: the sparsest
/// setting that passes `criterion` (a score ≥ A₀ − δ, A₀ = dense attention's score, optionally with
/// a bootstrap bound on the drop).
///
/// Stage 1 sweeps ρ_B (τ_H = 0) and keeps the passing ratio with the highest block sparsity
/// (1 − blocks kept / blocks, over every sentence × layer × head). Stage 2 fixes that ρ_B and sweeps
/// τ_H at quantiles of the head importances Σ|S_I| / entries observed in stage 1's run (so that
/// ≈ 5, 10, … % of heads fall below it), keeping the largest passing τ_H. Blocks first because they
/// carry most of the work; heads second because a pruned head's blocks are gone anyway. Both stages
/// run the full method (approximate scores and polynomial softmax unless told otherwise).
public struct HDPSearch {
    public let classifier: Classifier
    public let task: GLUETask
    public let calibration: [LabeledSentence]
    public let ratios: [Double]
    /// Fractions of heads below each τ_H candidate (quantiles of stage 1's head importances).
    public let headQuantiles: [Double]
    public let criterion: DropCriterion
    /// The method's other settings (block size, approximation, softmax); ρ_B and τ_H are searched.
    public let base: HDPMethod

    /// One evaluation of the search.
    public struct Step: Sendable, Codable, Equatable {
        public let stage: Int
        public let blockRatio: Double
        public let headThreshold: Double
        public let score: Double
        public let blockSparsity: Double
        public let headsPruned: Double
        /// The bootstrap bound on the drop (nil without a confidence).
        public let dropBound: Double?
        public let passed: Bool
        enum CodingKeys: String, CodingKey {
            case stage, score, passed
            case blockRatio = "block_ratio", headThreshold = "head_threshold", blockSparsity = "block_sparsity", headsPruned = "heads_pruned"
            case dropBound = "drop_bound"
        }
    }

    public struct Outcome: Sendable {
        public let blockRatio: Double
        public let headThreshold: Double
        public let baseline: Double
        /// The chosen step (its score, block sparsity and heads pruned on calibration).
        public let chosen: Step
        public let trace: [Step]
    }

    public init(classifier: Classifier, task: GLUETask, calibration: [LabeledSentence], criterion: DropCriterion,
                ratios: [Double] = [-0.5, -0.25, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
                headQuantiles: [Double] = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35], base: HDPMethod = HDPMethod()) {
        precondition(!ratios.isEmpty && ratios.allSatisfy { (-1...1).contains($0) }, "ratios must lie in [−1, 1]")
        (self.classifier, self.task, self.calibration, self.criterion) = (classifier, task, calibration, criterion)
        (self.ratios, self.headQuantiles, self.base) = (ratios.sorted(), headQuantiles.sorted(), base)
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> Outcome {
        let ids = try classifier.encode(calibration.map(\.text), truncate: true)
        let labels = calibration.map(\.label)
        func classify(_ method: any AttentionMethod) throws -> (predictions: [Int], records: [HeadWorkload]) {
            let result = try classifier.classify(ids, attention: method)
            return (result.predictions, Array(result.workloads.joined().joined()))
        }
        let reference = try classify(TiledMethod()).predictions
        let baseline = task.points(ClassificationMetrics(predictions: reference, labels: labels))
        progress(String(format: "baseline (dense) %@ %.2f; floor %.2f", task.metricName, baseline, baseline - criterion.maxDrop))
        func step(_ stage: Int, _ rho: Double, _ tau: Double) throws -> (Step, [HeadWorkload]) {
            var method = base
            (method.blocks, method.heads) = (.rowBalanced(ratio: rho), .integerThreshold(tau))
            let (predictions, records) = try classify(method)
            let verdict = criterion.judge(predictions, reference: reference, labels: labels, task: task)
            let blocks = records.reduce(0) { $0 + $1.blocksTotal }, kept = records.reduce(0) { $0 + $1.blocksKept }
            let pruned = Double(records.reduce(0) { $0 + $1.headPruned }) / Double(max(records.count, 1))
            let result = Step(stage: stage, blockRatio: rho, headThreshold: tau, score: verdict.score,
                              blockSparsity: blocks == 0 ? 0 : 1 - Double(kept) / Double(blocks), headsPruned: pruned,
                              dropBound: verdict.dropBound, passed: verdict.passed)
            progress(String(format: "stage %d: ρ_B %.2f τ_H %.3f → %.2f%@, blocks −%.1f %%, heads −%.1f %% %@", stage, rho, tau,
                            verdict.score, criterion.describe(verdict), 100 * result.blockSparsity, 100 * pruned, result.passed ? "pass" : "fail"))
            return (result, records)
        }

        var trace: [Step] = []
        // Stage 1: ρ_B, no head pruning. If nothing passes, keep every block (ρ_B = −1).
        var (chosen, chosenRecords) = try step(1, -1, 0)
        trace.append(chosen)
        for rho in ratios {
            let (candidate, records) = try step(1, rho, 0)
            trace.append(candidate)
            if candidate.passed && candidate.blockSparsity > chosen.blockSparsity { (chosen, chosenRecords) = (candidate, records) }
        }
        if !chosen.passed { progress("no setting passes, not even with every block kept: the approximations alone exceed the drop (try --exact-scores or --softmax exact)") }
        // Stage 2: τ_H at quantiles of the head importances under the chosen ρ_B.
        let importances = chosenRecords.filter { $0.queries * $0.keys > 0 }
            .map { Double($0.headImportance) / Double($0.queries * $0.keys) }.sorted()
        let thresholds = headQuantiles.map { q in importances.isEmpty ? 0 : importances[min(importances.count - 1, Int(q * Double(importances.count)))] }
        for tau in Array(Set(thresholds)).sorted() where tau > 0 {
            let (candidate, _) = try step(2, chosen.blockRatio, tau)
            trace.append(candidate)
            if candidate.passed && candidate.headThreshold > chosen.headThreshold { chosen = candidate }
        }
        return Outcome(blockRatio: chosen.blockRatio, headThreshold: chosen.headThreshold, baseline: baseline, chosen: chosen, trace: trace)
    }
}
