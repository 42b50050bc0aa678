import AttendWorkload
import Foundation

/// When a calibrated setting passes: its score on the calibration sentences drops by at most
/// `maxDrop` points (accuracy % or MCC × 100) below the dense reference's score on the same
/// sentences.
///
/// With a `confidence` c > 0 the drop must also stay within `maxDrop` at the c-quantile of its paired
/// bootstrap distribution (Efron & Tibshirani, *An Introduction to the Bootstrap*, 1993, ch. 6 and 13):
/// B = `resamples` draws of the calibration sentences with replacement (SplitMix64 from `seed`, so
/// every setting is judged on the same draws), Δ_b = score_b(reference) − score_b(setting) on each
/// draw, bound = the ⌈c·B⌉-th smallest Δ_b. A search that stops at the edge of its budget picks the
/// setting whose calibration drop is smallest by chance as often as not; the bound keeps that luck
/// from being carried to unseen data.
public struct DropCriterion: Sendable, Equatable {
    /// δ, in points.
    public let maxDrop: Double
    /// c in [0, 1): 0 compares the point estimate only.
    public let confidence: Double
    public let resamples: Int
    public let seed: UInt64

    public init(maxDrop: Double, confidence: Double = 0, resamples: Int = 1000, seed: UInt64 = 0) {
        precondition(maxDrop >= 0 && (0..<1).contains(confidence) && resamples > 0, "invalid drop criterion")
        (self.maxDrop, self.confidence, self.resamples, self.seed) = (maxDrop, confidence, resamples, seed)
    }

    /// A setting's score and whether it passes.
    public struct Verdict: Sendable, Equatable {
        public let score: Double
        /// Reference score − score, in points.
        public let drop: Double
        /// The c-quantile of the bootstrap drop; nil when `confidence` is 0.
        public let dropBound: Double?
        public let passed: Bool
    }

    /// Judges `predictions` against the dense `reference` predictions of the same `labels`.
    public func judge(_ predictions: [Int], reference: [Int], labels: [Int], task: GLUETask) -> Verdict {
        precondition(predictions.count == labels.count && reference.count == labels.count, "predictions and labels differ in count")
        let baseline = task.points(ClassificationMetrics(predictions: reference, labels: labels))
        let score = task.points(ClassificationMetrics(predictions: predictions, labels: labels))
        let drop = baseline - score
        let bound = confidence > 0 && !labels.isEmpty ? bootstrapBound(predictions, reference: reference, labels: labels, task: task) : nil
        return Verdict(score: score, drop: drop, dropBound: bound, passed: score >= baseline - maxDrop && bound.map { $0 <= maxDrop } != false)
    }

    private func bootstrapBound(_ predictions: [Int], reference: [Int], labels: [Int], task: GLUETask) -> Double {
        // Confusion cell of each sentence: 0 TP, 1 TN, 2 FP, 3 FN.
        func cell(_ p: Int, _ g: Int) -> Int { p == 1 ? (g == 1 ? 0 : 2) : (g == 1 ? 3 : 1) }
        let referenceCells = zip(reference, labels).map(cell), settingCells = zip(predictions, labels).map(cell)
        func points(_ c: [Int]) -> Double {
            task.points(ClassificationMetrics(truePositives: c[0], trueNegatives: c[1], falsePositives: c[2], falseNegatives: c[3]))
        }
        var generator = SplitMix64(seed: seed)
        var drops: [Double] = []
        drops.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var (r, s) = ([0, 0, 0, 0], [0, 0, 0, 0])
            for _ in labels.indices {
                let i = Int.random(in: 0..<labels.count, using: &generator)
                r[referenceCells[i]] += 1
                s[settingCells[i]] += 1
            }
            drops.append(points(r) - points(s))
        }
        drops.sort()
        return drops[min(resamples - 1, max(0, Int((confidence * Double(resamples)).rounded(.up)) - 1))]
    }
}

extension DropCriterion {
    /// " (drop ≤ b at c %)" for progress lines, or "" without a bound.
    public func describe(_ verdict: Verdict) -> String {
        verdict.dropBound.map { String(format: " (drop ≤ %.2f at %.0f %%)", $0, 100 * confidence) } ?? ""
    }
}
