import Foundation

/// The shape of a GPT-2 decoder (Radford et al. 2019) from its Hugging Face `config.json`:
/// `vocab_size`, `n_embd` (D), `n_layer`, `n_head` (H), `n_positions` (the context), `n_inner`
/// (F, default 4D), `layer_norm_epsilon` (1e-5), `activation_function` (`gelu_new`, the tanh GELU).
public struct GPT2Config: Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var contextLength: Int
    public var intermediateSize: Int
    public var layerNormEps: Float

    /// Activations this implementation provides (both names are the tanh approximation in HF).
    public static let supportedActivations = ["gelu_new", "gelu_pytorch_tanh"]

    public init(vocabSize: Int, hiddenSize: Int, layers: Int, heads: Int, contextLength: Int, intermediateSize: Int, layerNormEps: Float) {
        (self.vocabSize, self.hiddenSize, self.layers, self.heads) = (vocabSize, hiddenSize, layers, heads)
        (self.contextLength, self.intermediateSize, self.layerNormEps) = (contextLength, intermediateSize, layerNormEps)
    }

    public init(configJSON url: URL) throws {
        let c = try HFConfigFile(url: url)
        if let type = try c.string("model_type", default: nil), type != "gpt2" {
            throw ModelFileError.configInvalidValue(path: c.path, key: "model_type", value: type, expected: "gpt2")
        }
        vocabSize = try c.positiveInteger("vocab_size")
        hiddenSize = try c.positiveInteger("n_embd")
        layers = try c.positiveInteger("n_layer")
        heads = try c.positiveInteger("n_head")
        contextLength = try c.positiveInteger("n_positions")
        intermediateSize = c.contains("n_inner") ? try c.positiveInteger("n_inner") : 4 * hiddenSize
        layerNormEps = Float(try c.positiveNumber("layer_norm_epsilon", default: 1e-5))
        let activation = try c.string("activation_function", default: "gelu_new")!
        guard Self.supportedActivations.contains(activation) else {
            throw ModelFileError.configUnsupportedActivation(path: c.path, found: activation, supported: Self.supportedActivations)
        }
        guard hiddenSize % heads == 0 else { throw ModelFileError.configHeadsDoNotDivide(path: c.path, hiddenSize: hiddenSize, numAttentionHeads: heads) }
        for key in ["scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"] where try c.bool(key, default: false) {
            throw ModelFileError.configInvalidValue(path: c.path, key: key, value: "true", expected: "false (not implemented)")
        }
    }

    public var headDim: Int { hiddenSize / heads }
}
