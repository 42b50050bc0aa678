import AttendAttention
import AttendEvaluation
import AttendModels
import Foundation
import Testing

private let colaTrain = sharedTrainSet(.cola)
private let smolLM2 = repositoryRoot.appendingPathComponent("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")

@Suite("SpAtten calibration search", .serialized)
struct SpAttenSearchTests {
    @Test("encoders: budget 0 keeps the degenerate setting; a loose budget the least-traffic pruning setting; the trace is complete",
          .enabled(if: FileManager.default.fileExists(atPath: colaTrain.path), "../shared/data/cola/train.tsv is not on this machine"))
    func encoder() throws {
        let classifier = try Classifier(directory: bundledModel(.cola))
        let split = calibrationSplit(try GLUETask.cola.load(colaTrain), count: 96, seed: 3)
        let grid = SpAttenCandidate.grid(tokenRatios: [0, 0.4], ramp: 1, headRatios: [0, 0.6], quantizations: [nil, ProgressiveQuantization(keyBits: 2, lsbBits: 0, threshold: 0)])
        #expect(grid.count == 8 && grid[0].isDegenerate)
        func search(_ drop: Double) throws -> SpAttenSearchOutcome {
            try SpAttenSearch(classifier: classifier, task: .cola, calibration: split, criterion: DropCriterion(maxDrop: drop), candidates: grid).run()
        }
        let strict = try search(0)
        #expect(strict.trace.count == grid.count && strict.trace[0].passed && strict.trace[0].score == strict.baseline)
        #expect(strict.trace.dropFirst().allSatisfy { !$0.passed }, "every pruning setting here loses MCC on these sentences: \(strict.trace.map(\.score))")
        #expect(strict.chosen.setting.isDegenerate)
        let loose = try search(200)
        #expect(loose.trace.allSatisfy { $0.passed })
        #expect(!loose.chosen.setting.isDegenerate && loose.chosen.traffic == loose.trace.map(\.traffic).min()!)
        #expect(loose.chosen.setting == SpAttenCandidate(tokenRatio: 0.4, headRatio: 0.6, quantization: grid.last!.quantization))
        // The recorded score reproduces from the chosen setting's plan, written and read back as JSON.
        let json = try JSONEncoder().encode(loose.chosen.setting.plan())
        let method = try AttentionPlan.load(json: json, source: "plan").makeMethod(layers: 6)
        let predictions = try classifier.classify(try classifier.encode(split.map(\.text), truncate: true), attention: method).predictions
        #expect(GLUETask.cola.points(ClassificationMetrics(predictions: predictions, labels: split.map(\.label))) == loose.chosen.score)
    }

    @Test("the recent window is a grid dimension only for settings that prune tokens; the plan carries the setting's window")
    func windowGrid() throws {
        let q = ProgressiveQuantization(keyBits: 6, lsbBits: 4, threshold: 0.1)
        let grid = SpAttenCandidate.grid(tokenRatios: [0, 0.1], ramp: 1, headRatios: [0], quantizations: [nil, q], recentWindows: [32, 64])
        #expect(grid == [SpAttenCandidate(recentWindow: 32), SpAttenCandidate(quantization: q, recentWindow: 32),
                         SpAttenCandidate(tokenRatio: 0.1, recentWindow: 32), SpAttenCandidate(tokenRatio: 0.1, recentWindow: 64),
                         SpAttenCandidate(tokenRatio: 0.1, quantization: q, recentWindow: 32), SpAttenCandidate(tokenRatio: 0.1, quantization: q, recentWindow: 64)])
        let method = try #require(try grid[3].plan().makeMethod(layers: 30) as? SpAttenMethod)
        #expect(method.recentWindow == 64)
    }

    @Test("decoders: budget 0 keeps dense (perplexity of the degenerate setting = tiled's), a loose budget the pruning setting",
          .enabled(if: FileManager.default.fileExists(atPath: smolLM2.path), "SmolLM2 is missing: run scripts/fetch_models.sh"))
    func decoder() throws {
        let bundle = try DecoderBundle.load(path: smolLM2.path)
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("../shared/data/wikitext2/valid.txt"), encoding: .utf8)
        let tokens = try #require(bundle.tokenizer).encode(String(text.prefix(2000)))
        let grid = [SpAttenCandidate(), SpAttenCandidate(tokenRatio: 0.5, recentWindow: 0)]
        func search(_ increase: Double) throws -> SpAttenSearchOutcome {
            try SpAttenDecoderSearch(model: bundle.model, tokens: tokens, context: 32, chunks: 1, bos: nil, maxIncrease: increase, candidates: grid).run()
        }
        let strict = try search(0)
        let tiled = try Perplexity.evaluate(model: bundle.model, tokens: tokens, context: 32, chunks: 1, bos: nil, stepwise: true)
        #expect(strict.baseline == tiled.perplexity)
        #expect(strict.chosen.setting.isDegenerate && !strict.trace[1].passed && strict.trace[1].traffic < strict.trace[0].traffic)
        let loose = try search(1e6)
        #expect(loose.chosen.setting == grid[1])
    }
}
