import AttendAttention
import AttendWorkload

/// One SpAtten setting a calibration search tries: token ratio r_avg (with r_start), head ratio,
/// progressive quantization (nil: Float32) and, for decoders, the recent window W of KV-cache pruning
/// (nil: the method's default). Value pruning and the length rule are not searched.
public struct SpAttenCandidate: Sendable, Codable, Equatable {
    public var tokenRatio: Double
    public var tokenRatioStart: Double
    public var headRatio: Double
    public var quantization: ProgressiveQuantization?
    public var recentWindow: Int?

    public init(tokenRatio: Double = 0, tokenRatioStart: Double? = nil, headRatio: Double = 0, quantization: ProgressiveQuantization? = nil,
                recentWindow: Int? = nil) {
        (self.tokenRatio, self.tokenRatioStart) = (tokenRatio, tokenRatioStart ?? tokenRatio)
        (self.headRatio, self.quantization, self.recentWindow) = (headRatio, quantization, recentWindow)
    }

    /// Every ratio 0, full precision: the method equals dense attention (whatever the window).
    public var isDegenerate: Bool { tokenRatio == 0 && tokenRatioStart == 0 && headRatio == 0 && quantization == nil }

    /// The plan of this setting.
    public func plan() -> AttentionPlan {
        var plan = AttentionPlan(method: "spatten", tokenRatio: tokenRatio, tokenRatioStart: tokenRatioStart, headRatio: headRatio,
                                 quantization: quantization)
        plan.recentWindow = recentWindow
        return plan
    }

    /// "tokens 0.20 (0.05 → 0.35) · heads 0.10 · K 6+4 θ 0.10 · W 32" for progress lines.
    public var summary: String {
        let tokens = tokenRatio == tokenRatioStart ? String(format: "tokens %.2f", tokenRatio)
            : String(format: "tokens %.2f (%.2f → %.2f)", tokenRatio, tokenRatioStart, 2 * tokenRatio - tokenRatioStart)
        let quant = quantization.map { String(format: "K %d+%d θ %.2f", $0.keyBits, $0.lsbBits, $0.threshold) } ?? "Float32"
        return tokens + String(format: " · heads %.2f · ", headRatio) + quant + (recentWindow.map { " · W \($0)" } ?? "")
    }

    enum CodingKeys: String, CodingKey {
        case tokenRatio = "token_ratio", tokenRatioStart = "token_ratio_start", headRatio = "head_ratio", quantization, recentWindow = "recent_window"
    }

    /// The grid `tokenRatios × headRatios × quantizations × recentWindows`, the degenerate setting first
    /// (added when the grid lacks it; the window of the first), each r_avg > 0 ramped from r_start =
    /// `ramp`·r_avg. A window only matters when tokens are pruned: settings without token pruning get
    /// the first window only.
    public static func grid(tokenRatios: [Double], ramp: Double, headRatios: [Double], quantizations: [ProgressiveQuantization?],
                            recentWindows: [Int?] = [nil]) -> [SpAttenCandidate] {
        let first = recentWindows.first ?? nil
        var grid = [SpAttenCandidate(recentWindow: first)]
        for r in tokenRatios {
            for h in headRatios {
                for q in quantizations {
                    for w in r > 0 ? recentWindows : [first] {
                        let candidate = SpAttenCandidate(tokenRatio: r, tokenRatioStart: r * ramp, headRatio: h, quantization: q, recentWindow: w)
                        if !grid.contains(candidate) { grid.append(candidate) }
                    }
                }
            }
        }
        return grid
    }
}

/// DRAM bytes SpAtten's fetches move for a run's records: Σ over heads of Q (q·d·b_q/8), the K rows
/// of surviving tokens at their MSB bits plus, for a head with a requantized row, the LSBs, and the
/// V rows kept (`SpAttenMethod` fills `bytesQ/K/V` with the accounting of `SpAttenAccelerator`;
/// Float32 when unquantized).
public func spattenTraffic(_ records: some Sequence<HeadWorkload>) -> Int {
    records.reduce(0) { $0 + $1.bytesQ + $1.bytesK + $1.bytesV }
}

/// One setting a search evaluated.
public struct SpAttenSearchStep: Sendable, Codable, Equatable {
    public let setting: SpAttenCandidate
    /// Calibration score in points (encoders) or perplexity (decoders).
    public let score: Double
    /// DRAM bytes of the calibration run (`spattenTraffic`).
    public let traffic: Int
    /// The bootstrap bound on the drop (encoders with a confidence; else nil).
    public let dropBound: Double?
    public let passed: Bool

    enum CodingKeys: String, CodingKey { case setting, score, traffic = "dram_bytes", dropBound = "drop_bound", passed = "accepted" }
}

/// What a SpAtten search chose and everything it tried.
public struct SpAttenSearchOutcome: Sendable {
    /// The dense score (tiled attention) on the calibration data.
    public let baseline: Double
    public let chosen: SpAttenSearchStep
    /// Every setting tried, in order (the degenerate one first).
    public let trace: [SpAttenSearchStep]

    /// The passing step with the least traffic (ties: the better score, then the earlier step);
    /// the degenerate first step when nothing passes.
    static func choose(_ trace: [SpAttenSearchStep], better: (Double, Double) -> Bool) -> SpAttenSearchStep {
        trace.filter(\.passed).min { a, b in a.traffic != b.traffic ? a.traffic < b.traffic : better(a.score, b.score) } ?? trace[0]
    }
}

/// SpAtten's calibration for encoders (SPEC §4.5; issue #14): every candidate of the grid runs on a
/// calibration split of *train*; a setting passes when `criterion` accepts its predictions against
/// dense attention's (score ≥ A₀ − δ, optionally with a bootstrap bound); the search keeps the
/// passing setting with the least DRAM traffic (`spattenTraffic`), since that is what SpAtten's
/// techniques are for.
public struct SpAttenSearch {
    public let classifier: Classifier
    public let task: GLUETask
    public let calibration: [LabeledSentence]
    public let criterion: DropCriterion
    public let candidates: [SpAttenCandidate]

    public init(classifier: Classifier, task: GLUETask, calibration: [LabeledSentence], criterion: DropCriterion, candidates: [SpAttenCandidate]) {
        precondition(!candidates.isEmpty, "no candidates")
        (self.classifier, self.task, self.calibration, self.criterion) = (classifier, task, calibration, criterion)
        self.candidates = candidates[0].isDegenerate ? candidates : [SpAttenCandidate()] + candidates.filter { !$0.isDegenerate }
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> SpAttenSearchOutcome {
        let ids = try classifier.encode(calibration.map(\.text), truncate: true)
        let labels = calibration.map(\.label)
        let layers = classifier.model.config.numHiddenLayers
        let reference = try classifier.classify(ids, attention: TiledMethod()).predictions
        let baseline = task.points(ClassificationMetrics(predictions: reference, labels: labels))
        progress(String(format: "baseline (dense) %@ %.2f; floor %.2f", task.metricName, baseline, baseline - criterion.maxDrop))
        var trace: [SpAttenSearchStep] = []
        for candidate in candidates {
            let result = try classifier.classify(ids, attention: try candidate.plan().makeMethod(layers: layers))
            let verdict = criterion.judge(result.predictions, reference: reference, labels: labels, task: task)
            let step = SpAttenSearchStep(setting: candidate, score: verdict.score, traffic: spattenTraffic(result.workloads.joined().joined()),
                                         dropBound: verdict.dropBound, passed: verdict.passed)
            trace.append(step)
            progress(String(format: "%@ → %.2f%@, DRAM %.1f MB (%.2f× less) %@", candidate.summary, step.score, criterion.describe(verdict),
                            Double(step.traffic) / 1e6, Double(trace[0].traffic) / Double(max(step.traffic, 1)), step.passed ? "pass" : "fail"))
        }
        return SpAttenSearchOutcome(baseline: baseline, chosen: SpAttenSearchOutcome.choose(trace, better: >), trace: trace)
    }
}
