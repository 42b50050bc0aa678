import AttendAttention
import AttendEvaluation
import Foundation
import Testing

private let sst2Train = sharedTrainSet(.sst2)

@Suite("ReBERT window search", .serialized)
struct WindowSearchTests {
    @Test("calibration splits are reproducible from the seed and differ across seeds")
    func calibrationDraws() {
        let examples = (0..<500).map { LabeledSentence(text: "s\($0)", label: $0 % 2) }
        #expect(calibrationSplit(examples, count: 50, seed: 7) == calibrationSplit(examples, count: 50, seed: 7))
        #expect(calibrationSplit(examples, count: 50, seed: 7) != calibrationSplit(examples, count: 50, seed: 8))
        #expect(Set(calibrationSplit(examples, count: 500, seed: 3).map(\.text)).count == 500, "drawn without replacement")
    }

    @Test("same seed ⇒ same plan; the plan's score holds the floor; resumed evaluations match full ones",
          .enabled(if: FileManager.default.fileExists(atPath: sst2Train.path), "../shared/data/sst2/train.tsv is not on this machine"))
    func determinism() throws {
        let classifier = try Classifier(directory: bundledModel(.sst2))
        let split = calibrationSplit(try GLUETask.sst2.load(sst2Train), count: 96, seed: 11)
        func search() throws -> WindowSearch.Outcome {
            try WindowSearch(classifier: classifier, task: .sst2, calibration: split, candidates: [1, 4, 16], criterion: DropCriterion(maxDrop: 2)).run()
        }
        let (a, b) = (try search(), try search())
        #expect(a.windows == b.windows && a.trace == b.trace && a.score == b.score)
        #expect(a.score >= a.baseline - 2)
        // The final windows, evaluated from scratch, give the score the search recorded for them.
        let windows = a.windows.map { $0 ?? (1 << 20) }
        let ids = try classifier.encode(split.map(\.text), truncate: true)
        let attention: any AttentionMethod = a.windows.allSatisfy { $0 == nil } ? TiledMethod() : WindowMethod(windows: windows)
        let predicted = try classifier.classify(ids, attention: attention).predictions
        let points = GLUETask.sst2.points(ClassificationMetrics(predictions: predicted, labels: split.map(\.label)))
        #expect(abs(points - a.score) < 1e-9, "from scratch \(points) vs recorded \(a.score)")
        #expect(a.innerProductsRemoved >= 0 && a.innerProductsRemoved < 1)
    }
}
