import AttendAttention
import AttendModels
import Foundation

/// Timings and tokens of one `Generator.generate` call.
public struct GenerationResult: Sendable, Codable {
    public var promptTokens: Int
    /// The generated ids, in order (the stop token included when one ended the generation).
    public var tokens: [Int]
    /// Whether an end-of-sequence token ended the generation (else the token budget did).
    public var stoppedAtEOS: Bool
    /// The prompt's forward pass, and the generation steps (one forward of one token each).
    public var promptSeconds: Double
    public var generationSeconds: Double

    public var promptTokensPerSecond: Double { Double(promptTokens) / promptSeconds }
    /// Tokens after the first (which the prompt's pass produced) per second of generation steps.
    public var generationTokensPerSecond: Double { Double(max(tokens.count - 1, 0)) / generationSeconds }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", tokens, stoppedAtEOS = "stopped_at_eos", promptSeconds = "prompt_seconds"
        case generationSeconds = "generation_seconds"
    }
}

/// Autoregressive decoding with a KV cache: the prompt in one forward pass, then one token at a time.
public struct Generator: Sendable {
    public let model: any CausalLanguageModel
    public let attention: any AttentionMethod

    public init(model: any CausalLanguageModel, attention: any AttentionMethod = TiledMethod()) {
        self.model = model
        self.attention = attention
    }

    /// Generates up to `maxTokens` tokens after `prompt`, stopping after any of `stopTokens`;
    /// `onToken(id)` is called as each token is chosen (return false to stop early).
    public func generate(prompt: [Int], maxTokens: Int, sampler: Sampler, stopTokens: Set<Int> = [],
                         onToken: (Int) -> Bool = { _ in true }) throws -> GenerationResult {
        precondition(maxTokens >= 0, "maxTokens must be ≥ 0")
        var sampler = sampler
        let cache = model.makeCache(capacity: prompt.count + maxTokens)
        var result = GenerationResult(promptTokens: prompt.count, tokens: [], stoppedAtEOS: false, promptSeconds: 0, generationSeconds: 0)
        var clock = Date()
        var output = try model.forward(prompt, cache: cache, attention: attention, rows: .last)
        result.promptSeconds = Date().timeIntervalSince(clock)
        clock = Date()
        while result.tokens.count < maxTokens {
            let next = output.logits.data.withUnsafeBufferPointer { sampler.next($0) }
            result.tokens.append(next)
            if stopTokens.contains(next) { result.stoppedAtEOS = true; break }
            if !onToken(next) || result.tokens.count == maxTokens { break }
            output = try model.forward([next], cache: cache, attention: attention, rows: .last)
        }
        result.generationSeconds = Date().timeIntervalSince(clock)
        return result
    }
}
