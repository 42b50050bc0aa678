import AttendEvaluation
import Foundation
import Testing

@Suite("Drop criterion of the calibration searches")
struct DropCriterionTests {
    /// 2,000 SST-2-like examples: the reference is right on 1,800; the setting loses `lost` of
    /// those and gains `gained` of the 200 the reference gets wrong.
    private func scenario(lost: Int, gained: Int) -> (labels: [Int], reference: [Int], setting: [Int]) {
        let labels = (0..<2000).map { $0 % 2 }
        let reference = labels.indices.map { $0 < 200 ? 1 - labels[$0] : labels[$0] }
        let setting = labels.indices.map { i in
            i < gained ? labels[i] : (200..<(200 + lost)).contains(i) ? 1 - labels[i] : reference[i]
        }
        return (labels, reference, setting)
    }

    @Test("without a confidence: passes exactly when score ≥ baseline − δ; no bound")
    func pointEstimate() {
        let (labels, reference, setting) = scenario(lost: 60, gained: 20)  // drop 2.0 points
        for (delta, passes) in [(1.9, false), (2.0, true), (2.1, true)] {
            let verdict = DropCriterion(maxDrop: delta).judge(setting, reference: reference, labels: labels, task: .sst2)
            #expect(abs(verdict.drop - 2) < 1e-9 && abs(verdict.score - 88) < 1e-9)
            #expect(verdict.dropBound == nil && verdict.passed == passes, "δ \(delta)")
        }
        let same = DropCriterion(maxDrop: 0, confidence: 0.9).judge(reference, reference: reference, labels: labels, task: .sst2)
        #expect(same.drop == 0 && same.dropBound == 0 && same.passed)
    }

    @Test("the bootstrap bound of an accuracy drop matches the normal approximation of the paired mean")
    func accuracyBound() {
        let (labels, reference, setting) = scenario(lost: 60, gained: 20)
        // Per-example change d ∈ {+1 lost, −1 gained, 0}: sd of the mean drop = √(Var d / N), in points.
        let n = 2000.0, mean = 40 / n, variance = 80 / n - mean * mean
        let sd = 100 * (variance / n).squareRoot()
        for (confidence, z) in [(0.5, 0.0), (0.9, 1.2816), (0.975, 1.96)] {
            let bound = DropCriterion(maxDrop: 5, confidence: confidence, seed: 3)
                .judge(setting, reference: reference, labels: labels, task: .sst2).dropBound!
            #expect(abs(bound - (2 + z * sd)) < 0.12, "c \(confidence): bound \(bound), normal \(2 + z * sd)")
        }
        // A drop within δ by its point estimate but not by its 90 % bound fails.
        let edge = DropCriterion(maxDrop: 2.2, confidence: 0.9).judge(setting, reference: reference, labels: labels, task: .sst2)
        #expect(edge.drop <= 2.2 && edge.dropBound! > 2.2 && !edge.passed)
    }

    @Test("MCC bounds: seeded, monotone in the confidence")
    func mccBound() {
        let (labels, reference, setting) = scenario(lost: 30, gained: 10)
        func bound(_ c: Double, seed: UInt64 = 1) -> Double {
            DropCriterion(maxDrop: 5, confidence: c, seed: seed).judge(setting, reference: reference, labels: labels, task: .cola).dropBound!
        }
        #expect(bound(0.9) == bound(0.9))
        #expect(bound(0.5) < bound(0.8) && bound(0.8) < bound(0.95))
        let point = DropCriterion(maxDrop: 5).judge(setting, reference: reference, labels: labels, task: .cola).drop
        #expect(abs(bound(0.5) - point) < 0.15, "median \(bound(0.5)) vs point \(point)")
    }
}
