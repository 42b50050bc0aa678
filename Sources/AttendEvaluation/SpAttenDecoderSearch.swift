import AttendAttention
import AttendModels

/// SpAtten's calibration for decoders (issue #14): every candidate runs llama-perplexity's protocol
/// stepwise (`Perplexity.evaluate(stepwise: true)`, so KV-cache pruning acts as in generation) on
/// calibration text — WikiText-2 *valid*, never test; a setting passes when its perplexity is at
/// most the dense one × (1 + `maxIncrease`/100), the dense one being the degenerate setting's (every
/// ratio 0, Float32: tiled attention bit for bit). The passing setting with the least DRAM traffic
/// (`spattenTraffic` over every pass's records) is chosen; ties go to the lower perplexity.
public struct SpAttenDecoderSearch {
    public let model: any CausalLanguageModel
    /// The calibration text's tokens, with the chunking of `Perplexity.evaluate`.
    public let tokens: [Int]
    public let context: Int
    public let chunks: Int?
    public let bos: Int?
    /// Allowed perplexity increase over dense, in percent.
    public let maxIncrease: Double
    /// The settings, each with its recent window (`SpAttenCandidate.recentWindow`; nil: the method's default).
    public let candidates: [SpAttenCandidate]

    public init(model: any CausalLanguageModel, tokens: [Int], context: Int, chunks: Int?, bos: Int?, maxIncrease: Double,
                candidates: [SpAttenCandidate]) {
        precondition(maxIncrease >= 0 && !candidates.isEmpty && candidates.allSatisfy { ($0.recentWindow ?? 0) >= 0 }, "invalid decoder search")
        (self.model, self.tokens, self.context, self.chunks, self.bos) = (model, tokens, context, chunks, bos)
        self.maxIncrease = maxIncrease
        self.candidates = candidates[0].isDegenerate ? candidates : [SpAttenCandidate()] + candidates.filter { !$0.isDegenerate }
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> SpAttenSearchOutcome {
        var trace: [SpAttenSearchStep] = []
        var ceiling = Double.infinity
        for candidate in candidates {
            let method = try candidate.plan().makeMethod(layers: model.layerCount)
            var traffic = 0
            let result = try Perplexity.evaluate(model: model, tokens: tokens, context: context, chunks: chunks, bos: bos, attention: method,
                                                 stepwise: true, observe: { traffic += spattenTraffic($0.workloads.joined()) })
            if trace.isEmpty {
                ceiling = result.perplexity * (1 + maxIncrease / 100)
                progress(String(format: "baseline (dense) perplexity %.4f; ceiling %.4f (+%.2f %%)", result.perplexity, ceiling, maxIncrease))
            }
            let step = SpAttenSearchStep(setting: candidate, score: result.perplexity, traffic: traffic, dropBound: nil,
                                         passed: result.perplexity <= ceiling)
            trace.append(step)
            progress(String(format: "%@ → perplexity %.4f, DRAM %.1f MB (%.2f× less) %@", candidate.summary, step.score, Double(traffic) / 1e6,
                            Double(trace[0].traffic) / Double(max(traffic, 1)), step.passed ? "pass" : "fail"))
        }
        return SpAttenSearchOutcome(baseline: trace[0].score, chosen: SpAttenSearchOutcome.choose(trace, better: <), trace: trace)
    }
}
