import Foundation

/// The shape of a Llama-architecture decoder (Touvron et al. 2023): pre-norm RMSNorm blocks,
/// rotary positions, grouped-query attention and a SwiGLU feed-forward. Read from GGUF metadata
/// (`llama.*` keys, as llama.cpp's converter writes them) or from a Hugging Face `config.json`.
/// Dimensions: D hidden, F intermediate, H query heads, H_kv key/value heads, d head size, V vocabulary.
public struct LlamaConfig: Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var rmsNormEps: Float
    public var ropeTheta: Double
    /// Entries of each head vector that RoPE rotates (all of them unless the file says fewer).
    public var ropeDimensions: Int
    public var contextLength: Int
    /// Whether the output projection is the token embedding (no `output.weight` / `lm_head.weight`).
    public var tiedEmbeddings: Bool

    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, layers: Int, heads: Int, kvHeads: Int, headDim: Int,
                rmsNormEps: Float, ropeTheta: Double, ropeDimensions: Int, contextLength: Int, tiedEmbeddings: Bool) {
        (self.vocabSize, self.hiddenSize, self.intermediateSize, self.layers) = (vocabSize, hiddenSize, intermediateSize, layers)
        (self.heads, self.kvHeads, self.headDim, self.rmsNormEps) = (heads, kvHeads, headDim, rmsNormEps)
        (self.ropeTheta, self.ropeDimensions, self.contextLength, self.tiedEmbeddings) = (ropeTheta, ropeDimensions, contextLength, tiedEmbeddings)
    }

    /// From GGUF metadata: `llama.block_count`, `llama.embedding_length`, `llama.feed_forward_length`,
    /// `llama.attention.head_count`, `llama.attention.head_count_kv` (default: head_count),
    /// `llama.attention.key_length` (default D/H), `llama.attention.layer_norm_rms_epsilon`,
    /// `llama.rope.freq_base` (default 10000), `llama.rope.dimension_count` (default d),
    /// `llama.context_length`; V from `llama.vocab_size` or the embedding's rows. RoPE scaling other
    /// than none is rejected. Tied when the file has no `output.weight`.
    public init(gguf file: GGUFFile) throws {
        let architecture = try file.string("general.architecture")
        guard architecture == "llama" else {
            throw ModelFileError.configInvalidValue(path: file.url.path, key: "general.architecture", value: architecture, expected: "llama")
        }
        func positive(_ key: String, _ value: Int?) throws -> Int {
            guard let value else { throw ModelFileError.configMissingKey(path: file.url.path, key: key) }
            guard value > 0 else { throw ModelFileError.configInvalidValue(path: file.url.path, key: key, value: "\(value)", expected: "a positive integer") }
            return value
        }
        hiddenSize = try positive("llama.embedding_length", file.integer("llama.embedding_length"))
        intermediateSize = try positive("llama.feed_forward_length", file.integer("llama.feed_forward_length"))
        layers = try positive("llama.block_count", file.integer("llama.block_count"))
        heads = try positive("llama.attention.head_count", file.integer("llama.attention.head_count"))
        kvHeads = try positive("llama.attention.head_count_kv", file.optionalInteger("llama.attention.head_count_kv") ?? heads)
        headDim = try positive("llama.attention.key_length", file.optionalInteger("llama.attention.key_length") ?? hiddenSize / heads)
        contextLength = try positive("llama.context_length", file.integer("llama.context_length"))
        rmsNormEps = try file.float("llama.attention.layer_norm_rms_epsilon")
        ropeTheta = Double(try file.optionalFloat("llama.rope.freq_base") ?? 10000)
        ropeDimensions = try positive("llama.rope.dimension_count", file.optionalInteger("llama.rope.dimension_count") ?? headDim)
        guard let embedding = file.tensorInfo("token_embd.weight"), embedding.dimensions.count == 2 else {
            throw ModelFileError.tensorNotFound(path: file.url.path, tensor: "token_embd.weight")
        }
        vocabSize = try positive("llama.vocab_size", file.optionalInteger("llama.vocab_size") ?? embedding.dimensions[1])
        tiedEmbeddings = file.tensorInfo("output.weight") == nil
        if let scaling = try file.optionalString("llama.rope.scaling.type"), scaling != "none" {
            throw ModelFileError.configInvalidValue(path: file.url.path, key: "llama.rope.scaling.type", value: scaling, expected: "none (RoPE scaling is not implemented)")
        }
        try validate(path: file.url.path, epsKey: "llama.attention.layer_norm_rms_epsilon", thetaKey: "llama.rope.freq_base")
    }

    /// From a Hugging Face `LlamaForCausalLM` `config.json`: `vocab_size`, `hidden_size`,
    /// `intermediate_size`, `num_hidden_layers`, `num_attention_heads`, `num_key_value_heads`
    /// (default: heads), `head_dim` (default D/H), `rms_norm_eps` (1e-6), `rope_theta` (10000),
    /// `max_position_embeddings`, `tie_word_embeddings` (false); `rope_scaling` must be absent.
    public init(configJSON url: URL) throws {
        let c = try HFConfigFile(url: url)
        if let type = try c.string("model_type", default: nil), type != "llama" {
            throw ModelFileError.configInvalidValue(path: c.path, key: "model_type", value: type, expected: "llama")
        }
        vocabSize = try c.positiveInteger("vocab_size")
        hiddenSize = try c.positiveInteger("hidden_size")
        intermediateSize = try c.positiveInteger("intermediate_size")
        layers = try c.positiveInteger("num_hidden_layers")
        heads = try c.positiveInteger("num_attention_heads")
        kvHeads = c.contains("num_key_value_heads") ? try c.positiveInteger("num_key_value_heads") : heads
        headDim = c.contains("head_dim") ? try c.positiveInteger("head_dim") : hiddenSize / heads
        rmsNormEps = Float(try c.positiveNumber("rms_norm_eps", default: 1e-6))
        ropeTheta = try c.positiveNumber("rope_theta", default: 10000)
        ropeDimensions = headDim
        contextLength = try c.positiveInteger("max_position_embeddings")
        tiedEmbeddings = try c.bool("tie_word_embeddings", default: false)
        try c.requireAbsent("rope_scaling", reason: "null (RoPE scaling is not implemented)")
        for key in ["attention_bias", "mlp_bias"] where try c.bool(key, default: false) {
            throw ModelFileError.configInvalidValue(path: c.path, key: key, value: "true", expected: "false (biases in Llama projections are not implemented)")
        }
        if let act = try c.string("hidden_act", default: "silu"), act != "silu" {
            throw ModelFileError.configUnsupportedActivation(path: c.path, found: act, supported: ["silu"])
        }
        try validate(path: c.path, epsKey: "rms_norm_eps", thetaKey: "rope_theta")
    }

    private func validate(path: String, epsKey: String, thetaKey: String) throws {
        guard heads % kvHeads == 0 else {
            throw ModelFileError.configInvalidValue(path: path, key: "num_key_value_heads", value: "\(kvHeads)", expected: "a divisor of the \(heads) attention heads")
        }
        guard ropeDimensions % 2 == 0, ropeDimensions <= headDim else {
            throw ModelFileError.configInvalidValue(path: path, key: "rope dimensions", value: "\(ropeDimensions)", expected: "an even number ≤ the head size \(headDim)")
        }
        guard rmsNormEps.isFinite, rmsNormEps > 0 else {
            throw ModelFileError.configInvalidValue(path: path, key: epsKey, value: "\(rmsNormEps)", expected: "a positive finite number")
        }
        guard ropeTheta.isFinite, ropeTheta > 0 else {
            throw ModelFileError.configInvalidValue(path: path, key: thetaKey, value: "\(ropeTheta)", expected: "a positive finite number")
        }
    }
}
