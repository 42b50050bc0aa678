import AttendWorkload

extension GLUETask {
    /// The task's score in points: accuracy × 100 (SST-2) or Matthews correlation × 100 (CoLA).
    public func points(_ metrics: ClassificationMetrics) -> Double {
        self == .cola ? metrics.mcc * 100 : metrics.accuracy * 100
    }

    /// Name of the score `points` returns.
    public var metricName: String { self == .cola ? "MCC" : "accuracy" }
}

/// A calibration split: `count` examples drawn without replacement from `examples` (a *train*
/// set; dev sets are only for reporting) by a seeded shuffle, in drawn order.
public func calibrationSplit(_ examples: [LabeledSentence], count: Int, seed: UInt64) -> [LabeledSentence] {
    var generator = SplitMix64(seed: seed)
    var indices = Array(examples.indices)
    indices.shuffle(using: &generator)
    return indices.prefix(count).map { examples[$0] }
}
