import AttendAttention
import AttendEvaluation
import Foundation
import Testing

private let colaTrain = sharedTrainSet(.cola)

@Suite("HDP calibration search", .serialized)
struct HDPSearchTests {
    @Test("same seed ⇒ same plan; the chosen setting holds the floor and the drop bound, is the sparsest passing one, and reproduces from scratch",
          .enabled(if: FileManager.default.fileExists(atPath: colaTrain.path), "../shared/data/cola/train.tsv is not on this machine"))
    func determinism() throws {
        let classifier = try Classifier(directory: bundledModel(.cola))
        let split = calibrationSplit(try GLUETask.cola.load(colaTrain), count: 120, seed: 5)
        func search() throws -> HDPSearch.Outcome {
            try HDPSearch(classifier: classifier, task: .cola, calibration: split, criterion: DropCriterion(maxDrop: 3, confidence: 0.9, seed: 5), ratios: [-0.5, 0, 0.5], headQuantiles: [0.1, 0.3]).run()
        }
        let (a, b) = (try search(), try search())
        #expect(a.trace == b.trace && a.blockRatio == b.blockRatio && a.headThreshold == b.headThreshold)
        #expect(a.chosen.score >= a.baseline - 3)
        #expect(a.trace.allSatisfy { $0.dropBound != nil && $0.passed == ($0.score >= a.baseline - 3 && $0.dropBound! <= 3) })
        let stage1 = a.trace.filter { $0.stage == 1 && $0.passed }
        #expect(a.blockRatio == stage1.max { $0.blockSparsity < $1.blockSparsity }!.blockRatio)
        var method = HDPMethod()
        (method.blocks, method.heads) = (.rowBalanced(ratio: a.blockRatio), .integerThreshold(a.headThreshold))
        let ids = try classifier.encode(split.map(\.text), truncate: true)
        let predicted = try classifier.classify(ids, attention: method).predictions
        let points = GLUETask.cola.points(ClassificationMetrics(predictions: predicted, labels: split.map(\.label)))
        #expect(abs(points - a.chosen.score) < 1e-9, "from scratch \(points) vs recorded \(a.chosen.score)")
    }
}
