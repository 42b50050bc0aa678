import AttendAttention
import AttendModels
import Foundation

/// What `Perplexity.evaluate` measured.
public struct PerplexityResult: Sendable, Codable {
    public var context: Int
    public var chunks: Int
    /// Tokens scored: chunks · (context − 1 − context/2).
    public var tokensScored: Int
    /// Σ −log p(token) over the scored tokens (natural log).
    public var negativeLogLikelihood: Double
    /// exp(NLL / tokensScored).
    public var perplexity: Double
    /// The running perplexity after each chunk (what llama-perplexity prints as `[i]value`).
    public var runningPerplexity: [Double]
    /// Forward passes only, tokenization excluded.
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case context, chunks, tokensScored = "tokens_scored", negativeLogLikelihood = "negative_log_likelihood", perplexity
        case runningPerplexity = "running_perplexity", seconds
    }
}

/// Perplexity with llama.cpp's `llama-perplexity` protocol (tools/perplexity/perplexity.cpp), so that
/// figures compare with llama.cpp's: the whole text tokenized once; ⌊tokens / context⌋ non-overlapping
/// chunks of `context` tokens (or the first `chunks`); each chunk evaluated from an empty cache, its first
/// token replaced by BOS only when the model asks for one; in each chunk only the second half is
/// scored — for j in [context/2, context − 1), −log softmax(logits_j)[token_{j+1}] in Double.
public enum Perplexity {
    /// Errors of the protocol's inputs.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case tooFewTokens(tokens: Int, context: Int)
        case badContext(context: Int, limit: Int)

        public var description: String {
            switch self {
            case let .tooFewTokens(tokens, context):
                return "the text has \(tokens) tokens; perplexity needs at least 2 × --context = \(2 * context) (llama-perplexity's rule)"
            case let .badContext(context, limit):
                return "--context \(context) must be in 4...\(limit) (the model's context length)"
            }
        }
    }

    /// Scores `tokens` with `model`; `progress(chunk, chunks, runningPerplexity)` after each chunk.
    /// `stepwise`: the first half of each chunk (and the first scored token) runs as one prompt pass,
    /// then every scored token runs alone on the cache, as generation does — same numbers for exact
    /// attention, but a method that prunes the KV cache (SpAtten) is scored with its cache pruned.
    /// `observe` sees every forward pass's output (its attention records), in order.
    public static func evaluate(
        model: any CausalLanguageModel, tokens: [Int], context: Int, chunks requested: Int? = nil, bos: Int?,
        attention: any AttentionMethod = TiledMethod(), stepwise: Bool = false, progress: (Int, Int, Double) -> Void = { _, _, _ in },
        observe: (DecoderOutput) -> Void = { _ in }
    ) throws -> PerplexityResult {
        guard (4...model.contextLength).contains(context) else { throw Failure.badContext(context: context, limit: model.contextLength) }
        guard tokens.count >= 2 * context else { throw Failure.tooFewTokens(tokens: tokens.count, context: context) }
        let chunks = min(tokens.count / context, requested ?? Int.max)
        let first = context / 2
        let cache = model.makeCache(capacity: context)
        var nll: Double = 0, scored = 0, running: [Double] = []
        let start = Date()
        for chunk in 0..<chunks {
            var ids = Array(tokens[(chunk * context)..<((chunk + 1) * context)])
            if let bos { ids[0] = bos }
            cache.reset()
            let v = model.vocabularySize
            if stepwise {
                for j in first..<(context - 1) {
                    let input = j == first ? Array(ids[0...first]) : [ids[j]]
                    let output = try model.forward(input, cache: cache, attention: attention, rows: .last)
                    observe(output)
                    nll += output.logits.data.withUnsafeBufferPointer { negativeLogProbability($0.baseAddress!, count: v, target: tokens[chunk * context + j + 1]) }
                    scored += 1
                }
            } else {
                let output = try model.forward(ids, cache: cache, attention: attention, rows: .from(first))
                observe(output)
                output.logits.data.withUnsafeBufferPointer { logits in
                    for j in first..<(context - 1) {
                        nll += negativeLogProbability(logits.baseAddress! + (j - first) * v, count: v, target: tokens[chunk * context + j + 1])
                        scored += 1
                    }
                }
            }
            running.append(Foundation.exp(nll / Double(scored)))
            progress(chunk + 1, chunks, running.last!)
        }
        return PerplexityResult(context: context, chunks: chunks, tokensScored: scored, negativeLogLikelihood: nll,
                                perplexity: running.last ?? .nan, runningPerplexity: running, seconds: Date().timeIntervalSince(start))
    }

    /// −log softmax(logits)[target] with max subtraction, in Double.
    static func negativeLogProbability(_ logits: UnsafePointer<Float>, count: Int, target: Int) -> Double {
        var maximum = -Float.infinity
        for i in 0..<count { maximum = max(maximum, logits[i]) }
        var sum: Double = 0
        for i in 0..<count { sum += Foundation.exp(Double(logits[i] - maximum)) }
        return -(Double(logits[target] - maximum) - Foundation.log(sum))
    }
}
