import AttendEvaluation
import Foundation
import Testing

@Suite("Classification metrics")
struct MetricsTests {
    @Test("perfect, inverted and constant predictions give MCC 1, −1 and 0")
    func extremes() {
        let labels = [0, 1, 1, 0, 1, 0, 0]
        #expect(ClassificationMetrics(predictions: labels, labels: labels).mcc == 1)
        #expect(ClassificationMetrics(predictions: labels.map { 1 - $0 }, labels: labels).mcc == -1)
        #expect(ClassificationMetrics(predictions: labels.map { _ in 1 }, labels: labels).mcc == 0)
        #expect(ClassificationMetrics(predictions: labels.map { _ in 1 }, labels: labels).accuracy == 3.0 / 7.0)
    }

    @Test("MCC equals the Pearson correlation of predictions and labels")
    func matchesPearson() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let n = Int.random(in: 5...200, using: &generator)
            let labels = (0..<n).map { _ in Int.random(in: 0...1, using: &generator) }
            let predictions = (0..<n).map { _ in Int.random(in: 0...1, using: &generator) }
            let metrics = ClassificationMetrics(predictions: predictions, labels: labels)
            let (x, y) = (predictions.map(Double.init), labels.map(Double.init))
            let (mx, my) = (x.reduce(0, +) / Double(n), y.reduce(0, +) / Double(n))
            let cov = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
            let sx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +), sy = y.map { ($0 - my) * ($0 - my) }.reduce(0, +)
            let pearson = sx * sy == 0 ? 0 : cov / (sx * sy).squareRoot()
            #expect(abs(metrics.mcc - pearson) < 1e-12)
            #expect(metrics.truePositives + metrics.trueNegatives + metrics.falsePositives + metrics.falseNegatives == n)
            #expect(metrics == ClassificationMetrics(truePositives: metrics.truePositives, trueNegatives: metrics.trueNegatives,
                                                     falsePositives: metrics.falsePositives, falseNegatives: metrics.falseNegatives))
        }
    }

    @Test("argmax takes the first maximum; probabilities sum to one")
    func argmaxAndProbabilities() {
        #expect(argmax([0.5, 2, 2, -1]) == 1)
        #expect(argmax([Float](repeating: 0, count: 3)) == 0)
        let p = probabilities([1000, 999, -5])
        #expect(abs(p.reduce(0, +) - 1) < 1e-12)
        #expect(abs(p[0] / p[1] - exp(1.0)) < 1e-9)
    }
}
