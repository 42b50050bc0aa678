import AttendAttention
import AttendModels

/// ReBERT's greedy window search (Kang, Shin, Kim, IEEE TCAD 2022; SPEC §4.3) on a calibration split.
///
/// Baseline A₀ = the score with dense (tiled, unmasked) attention; a setting passes `criterion`
/// (score ≥ A₀ − δ, optionally with a bootstrap bound on the drop). Phase 1: the smallest candidate W
/// such that every layer at W passes (candidates tried in ascending order; if none passes, the
/// layers stay unbounded). Phase 2: from W_l = W_max, layer by layer from the first to the last,
/// try the smaller candidates in descending order with the other layers fixed and keep the last
/// one that passes. First-to-last because a layer's window changes every later layer's
/// input: deciding early layers first lets each later decision see the inputs it will really get,
/// and it lets every evaluation resume from a checkpoint after the already-decided layers (they are
/// not recomputed). Token ids are computed once.
public struct WindowSearch {
    public let classifier: Classifier
    public let task: GLUETask
    public let calibration: [LabeledSentence]
    /// Candidate windows, ascending.
    public let candidates: [Int]
    public let criterion: DropCriterion
    public let batchSize: Int

    /// One evaluation of the search.
    public struct Step: Sendable, Codable, Equatable {
        public let phase: Int
        /// The layer being shrunk (phase 2), nil for uniform windows.
        public let layer: Int?
        /// Windows of every layer in this evaluation (nil = unbounded).
        public let windows: [Int?]
        public let score: Double
        /// The bootstrap bound on the drop (nil without a confidence).
        public let dropBound: Double?
        public let passed: Bool
        enum CodingKeys: String, CodingKey {
            case phase, layer, windows, score, passed
            case dropBound = "drop_bound"
        }
    }

    /// What the search found.
    public struct Outcome: Sendable {
        /// W_l per layer (nil = unbounded: no candidate kept the score).
        public let windows: [Int?]
        public let baseline: Double
        public let score: Double
        public let trace: [Step]
        /// Fractions of Q·Kᵀ inner products and of softmax exponentials the windows remove on the
        /// calibration split (1 − allowed entries / dense entries; equal for window masks).
        public let innerProductsRemoved: Double
        public let exponentialsRemoved: Double
    }

    public init(classifier: Classifier, task: GLUETask, calibration: [LabeledSentence], candidates: [Int], criterion: DropCriterion, batchSize: Int = 16) {
        precondition(!candidates.isEmpty && candidates.allSatisfy { $0 >= 0 }, "candidates must be non-empty and ≥ 0")
        self.classifier = classifier
        self.task = task
        self.calibration = calibration
        self.candidates = Array(Set(candidates)).sorted()
        self.criterion = criterion
        self.batchSize = batchSize
    }

    /// Runs both phases; `progress` receives one line per evaluation.
    public func run(progress: (String) -> Void = { _ in }) throws -> Outcome {
        let ids = try classifier.encode(calibration.map(\.text), truncate: true)
        let labels = calibration.map(\.label)
        // Length-sorted batches of indices into the calibration split.
        let order = ids.indices.sorted { (ids[$0].count, $0) < (ids[$1].count, $1) }
        let batches = stride(from: 0, to: order.count, by: batchSize).map { Array(order[$0..<min($0 + batchSize, order.count)]) }
        let layers = classifier.model.config.numHiddenLayers
        /// Unbounded layers (no passing candidate) get a window no sequence reaches.
        let unbounded = 1 << 20

        func method(_ windows: [Int?]) -> any AttentionMethod {
            windows.allSatisfy({ $0 == nil }) ? TiledMethod() : WindowMethod(windows: windows.map { $0 ?? unbounded })
        }
        /// Predictions and records of `windows`, resuming each batch from `checkpoints` when given.
        func evaluate(_ windows: [Int?], from checkpoints: [EncoderCheckpoint]? = nil) throws -> ([Int], [HeadWorkload]) {
            var predicted = [Int](repeating: 0, count: ids.count)
            var records: [HeadWorkload] = []
            let attention = method(windows)
            for (b, members) in batches.enumerated() {
                let output = try checkpoints.map { try classifier.model.logits(resuming: $0[b], attention: attention) }
                    ?? classifier.model.logits(members.map { ids[$0] }, attention: attention)
                let l = classifier.model.config.numLabels
                for (row, index) in members.enumerated() { predicted[index] = argmax(Array(output.logits.data[(row * l)..<(row * l + l)])) }
                records += output.workloads.joined().joined()
            }
            return (predicted, records)
        }

        var trace: [Step] = []
        let dense = [Int?](repeating: nil, count: layers)
        let (reference, denseRecords) = try evaluate(dense)
        let baseline = task.points(ClassificationMetrics(predictions: reference, labels: labels))
        progress(String(format: "baseline (dense) %@ %.2f; floor %.2f", task.metricName, baseline, baseline - criterion.maxDrop))
        func judge(_ predictions: [Int]) -> DropCriterion.Verdict {
            criterion.judge(predictions, reference: reference, labels: labels, task: task)
        }

        // Phase 1: the smallest passing uniform window.
        var current = dense
        var currentScore = baseline
        for w in candidates {
            let windows = [Int?](repeating: w, count: layers)
            let verdict = judge(try evaluate(windows).0)
            trace.append(Step(phase: 1, layer: nil, windows: windows, score: verdict.score, dropBound: verdict.dropBound, passed: verdict.passed))
            progress(String(format: "phase 1: W = %d for all layers → %.2f%@ %@", w, verdict.score, criterion.describe(verdict), verdict.passed ? "pass" : "fail"))
            if verdict.passed { (current, currentScore) = (windows, verdict.score); break }
        }

        // Phase 2: shrink layer by layer, first to last, resuming after the decided layers.
        if let start = current.first ?? nil {
            for layer in 0..<layers {
                let checkpoints = try batches.map { members in
                    try classifier.model.checkpoint(members.map { ids[$0] }, layers: layer, attention: method(current))
                }
                for w in candidates.filter({ $0 < start }).reversed() {
                    var windows = current
                    windows[layer] = w
                    let verdict = judge(try evaluate(windows, from: checkpoints).0)
                    trace.append(Step(phase: 2, layer: layer, windows: windows, score: verdict.score, dropBound: verdict.dropBound, passed: verdict.passed))
                    progress(String(format: "phase 2: layer %d W = %d → %.2f%@ %@", layer, w, verdict.score, criterion.describe(verdict),
                                    verdict.passed ? "pass" : "fail"))
                    if !verdict.passed { break }
                    (current, currentScore) = (windows, verdict.score)
                }
            }
        }

        let (_, finalRecords) = try evaluate(current)
        let denseEntries = denseRecords.reduce(0) { $0 + $1.allowedEntries }
        let keptEntries = finalRecords.reduce(0) { $0 + $1.allowedEntries }
        let removed = denseEntries == 0 ? 0 : 1 - Double(keptEntries) / Double(denseEntries)
        return Outcome(windows: current, baseline: baseline, score: currentScore, trace: trace,
                       innerProductsRemoved: removed, exponentialsRemoved: removed)
    }
}
