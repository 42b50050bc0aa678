import AttendAttention
import AttendEvaluation
import AttendKernels
import Foundation
import Testing

/// PyTorch's predictions on a dev set, written by `scripts/reference_predictions.py`
/// (header: `… dev accuracy A; dev mcc M; columns: predicted_label logit0 logit1`).
private struct ReferencePredictions {
    let labels: [Int]
    let logits: [[Double]]
    let accuracy: Double
    let mcc: Double

    init(task: GLUETask) throws {
        let url = Bundle.module.url(forResource: "Goldens", withExtension: nil)!.appendingPathComponent("\(task.rawValue)-dev-pytorch.txt")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        let header = String(lines[0])
        func figure(_ key: String) -> Double {
            let tail = header.components(separatedBy: key + " ")[1]
            return Double(tail.prefix { $0 != ";" })!
        }
        (accuracy, mcc) = (figure("dev accuracy"), figure("dev mcc"))
        let rows = lines.dropFirst().map { $0.split(separator: " ") }
        labels = rows.map { Int($0[0])! }
        logits = rows.map { $0.dropFirst().map { Double($0)! } }
    }
}

@Suite("Bundled models on the full dev sets vs PyTorch", .serialized)
struct ParityTests {
    /// The bound on |logit − PyTorch logit| for the real F16-stored models run in Float32.
    static let logitTolerance = 1e-3

    @Test("identical predictions and logits within 1e-3 on every dev sentence, dense and tiled attention",
          arguments: GLUETask.allCases, ["dense", "tiled"])
    func devSetParity(task: GLUETask, methodName: String) throws {
        let method = try AttentionPlan(method: methodName).makeMethod(layers: 6)
        let reference = try ReferencePredictions(task: task)
        let examples = try task.load(bundledDevSet(task))
        #expect(examples.count == reference.labels.count)

        let classifier = try Classifier(directory: bundledModel(task))
        let logits = try classifier.classify(classifier.encode(examples.map(\.text), truncate: false), attention: method).logits
        let predicted = logits.map(argmax)
        let mismatches = zip(predicted, reference.labels).filter { $0 != $1 }.count
        var maxDifference = 0.0
        for (got, want) in zip(logits, reference.logits) {
            for (g, w) in zip(got, want) { maxDifference = max(maxDifference, abs(Double(g) - w)) }
        }
        print("\(task.rawValue) dev, \(methodName) attention: \(examples.count) sentences, \(mismatches) prediction mismatches, max |Δlogit| \(maxDifference)")
        #expect(mismatches == 0)
        #expect(maxDifference <= Self.logitTolerance)

        let metrics = ClassificationMetrics(predictions: predicted, labels: examples.map(\.label))
        #expect(abs(metrics.accuracy - reference.accuracy) < 1e-6)
        #expect(abs(metrics.mcc - reference.mcc) < 1e-6)
    }

    @Test("batch size and thread count do not change the logits beyond Float32 rounding")
    func batchingInvariance() throws {
        let examples = Array(try GLUETask.sst2.load(bundledDevSet(.sst2)).prefix(97))
        let classifier = try Classifier(directory: bundledModel(.sst2))
        let ids = try classifier.encode(examples.map(\.text), truncate: false)
        Parallel.threads = 1
        let single = try classifier.classify(ids, batchSize: 1).logits
        Parallel.threads = 2
        let batched = try classifier.classify(ids, batchSize: 13).logits
        Parallel.threads = Parallel.defaultThreads
        for (a, b) in zip(single, batched) {
            for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-4) }
        }
    }
}
