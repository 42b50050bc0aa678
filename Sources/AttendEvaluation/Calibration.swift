/// SplitMix64 (Steele, Lea, Flood 2014): a fixed-seed generator, so calibration splits are
/// reproducible from their seed on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

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
