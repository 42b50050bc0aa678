import AttendAttention
import AttendKernels
import Foundation

/// What a forward pass returns for a batch of B sequences.
public struct BertOutput: Sendable {
    /// logits: [B, L] — the classification head's scores per label.
    public var logits: Tensor
    /// pooled: [B, D] — tanh(W·h_[CLS] + b), the pooler's output.
    public var pooled: Tensor
    /// lastHiddenState: [B, T, D] — padded positions hold values that no real token depends on.
    public var lastHiddenState: Tensor
    /// hiddenStates: embeddings then every layer's output, each [B, T, D]; empty unless requested.
    public var hiddenStates: [Tensor]
}

/// `BertForSequenceClassification` (Devlin et al. 2019; Hugging Face layout): embeddings
/// (word + position + token type, LayerNorm), L post-norm encoder layers
/// (`x = LN(x + Attn(x))`, `x = LN(x + W₂·GELU(W₁x))`), the tanh pooler over [CLS], and a
/// linear classifier. Dimensions: N tokens, D hidden, H heads, d = D/H, F intermediate, L labels.
public final class BertModel: Sendable {
    public let config: BertConfig
    let weights: BertWeights

    /// Loads `config.json` and `model.safetensors` from a Hugging Face model directory.
    public convenience init(directory: URL) throws {
        let config = try BertConfig.load(from: directory.appendingPathComponent("config.json"))
        let file = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
        try self.init(config: config, file: file)
    }

    /// Builds the model from a parsed config and an opened checkpoint (shapes are validated).
    public init(config: BertConfig, file: SafeTensorsFile) throws {
        self.config = config
        self.weights = try BertWeights(file: file, config: config)
    }

    /// A model of the given shape with random weights (for benchmarks; see `BertWeights.random`).
    public init(randomWeights config: BertConfig, seed: UInt64) {
        self.config = config
        self.weights = BertWeights.random(config: config, seed: seed)
    }

    /// Checks that every sequence can be fed to the model: non-empty, within
    /// `max_position_embeddings`, ids inside the vocabulary.
    public func validate(_ batch: [[Int]]) throws {
        for (i, ids) in batch.enumerated() {
            if ids.isEmpty { throw ModelError.emptySequence(sequence: i) }
            if ids.count > config.maxPositionEmbeddings {
                throw ModelError.sequenceTooLong(length: ids.count, maximum: config.maxPositionEmbeddings, sequence: i)
            }
            if let bad = ids.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw ModelError.tokenOutOfRange(id: bad, vocabularySize: config.vocabSize, sequence: i)
            }
        }
    }

    /// Runs the model on a batch of token-id sequences (each starting with [CLS]), padded to the
    /// longest; padding is excluded from attention by the key padding mask. Token type ids are 0.
    public func forward(_ batch: [[Int]], collectHiddenStates: Bool = false) throws -> BertOutput {
        try validate(batch)
        let (b, d, f) = (batch.count, config.hiddenSize, config.intermediateSize)
        let t = batch.map(\.count).max() ?? 0
        let rows = b * t
        var x = Tensor(zeros: [b, t, d])         // x: [B·T, D] activations
        var qkv = [Float](repeating: 0, count: rows * 3 * d)  // [B·T, 3D]
        var context = [Float](repeating: 0, count: rows * d)  // [B·T, D]
        var inner = [Float](repeating: 0, count: rows * f)    // [B·T, F]
        var hiddenStates: [Tensor] = []

        x.data.withUnsafeMutableBufferPointer { xp in
            embed(batch, paddedLength: t, into: xp.baseAddress!)
        }
        if collectHiddenStates { hiddenStates.append(x) }
        for layer in weights.layers {
            x.data.withUnsafeMutableBufferPointer { xp in
                qkv.withUnsafeMutableBufferPointer { qkvp in
                    context.withUnsafeMutableBufferPointer { cp in
                        inner.withUnsafeMutableBufferPointer { ip in
                            encoderLayer(layer, x: xp.baseAddress!, qkv: qkvp.baseAddress!, context: cp.baseAddress!,
                                         inner: ip.baseAddress!, batch: b, paddedLength: t, lengths: batch.map(\.count))
                        }
                    }
                }
            }
            if collectHiddenStates { hiddenStates.append(x) }
        }
        // Pooler and classifier over the [CLS] rows.
        var cls = [Float](repeating: 0, count: b * d)  // [B, D]
        for i in 0..<b { cls.replaceSubrange((i * d)..<(i * d + d), with: x.data[(i * t * d)..<(i * t * d + d)]) }
        var pooled = [Float](repeating: 0, count: b * d)
        var logits = [Float](repeating: 0, count: b * config.numLabels)
        linear(cls, rows: b, weights.pooler, weights.poolerBias, into: &pooled)
        for i in pooled.indices { pooled[i] = Foundation.tanh(pooled[i]) }
        linear(pooled, rows: b, weights.classifier, weights.classifierBias, into: &logits)
        return BertOutput(logits: Tensor(shape: [b, config.numLabels], data: logits), pooled: Tensor(shape: [b, d], data: pooled),
                          lastHiddenState: x, hiddenStates: hiddenStates)
    }

    /// out: [B·T, D] = LayerNorm(word[id] + position[t] + tokenType[0]).
    private func embed(_ batch: [[Int]], paddedLength t: Int, into out: UnsafeMutablePointer<Float>) {
        let d = config.hiddenSize
        weights.wordEmbeddings.data.withUnsafeBufferPointer { word in
            weights.positionEmbeddings.data.withUnsafeBufferPointer { position in
                weights.tokenTypeEmbeddings.data.withUnsafeBufferPointer { tokenType in
                    for (s, ids) in batch.enumerated() {
                        let padded = ids + [Int](repeating: 0, count: t - ids.count)  // pad id 0 ([PAD])
                        let base = out + s * t * d
                        RowOps.gather(table: word.baseAddress!, rows: config.vocabSize, width: d, ids: padded, into: base)
                        for i in 0..<(t * d) { base[i] += position[i] + tokenType[i % d] }
                    }
                }
            }
        }
        layerNorm(out, residual: nil, rows: batch.count * t, weights.embeddingNormGamma, weights.embeddingNormBeta)
    }

    /// One post-norm encoder layer, in place on x: [B·T, D].
    private func encoderLayer(
        _ w: BertLayerWeights, x: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
        context: UnsafeMutablePointer<Float>, inner: UnsafeMutablePointer<Float>,
        batch: Int, paddedLength t: Int, lengths: [Int]
    ) {
        let (d, f, rows) = (config.hiddenSize, config.intermediateSize, batch * t)
        w.qkvBias.withUnsafeBufferPointer { GEMM.multiply(m: rows, a: x, lda: d, b: w.qkv, bias: $0.baseAddress, c: qkv, ldc: 3 * d) }
        selfAttention(SelfAttentionBatch(qkv: qkv, batch: batch, paddedLength: t, heads: config.numAttentionHeads,
                                         headDim: config.headDim, lengths: lengths), output: context)
        // Attention output projection into qkv's storage (free now), then x = LN(x + proj).
        let projected = qkv
        w.attentionOutputBias.withUnsafeBufferPointer {
            GEMM.multiply(m: rows, a: context, lda: d, b: w.attentionOutput, bias: $0.baseAddress, c: projected, ldc: d)
        }
        layerNorm(x, residual: projected, rows: rows, w.attentionNormGamma, w.attentionNormBeta)
        w.intermediateBias.withUnsafeBufferPointer { GEMM.multiply(m: rows, a: x, lda: d, b: w.intermediate, bias: $0.baseAddress, c: inner, ldc: f) }
        nonisolated(unsafe) let innerRows = inner
        let chunk = max(1, (rows + Parallel.threads - 1) / Parallel.threads)
        Parallel.forEach((rows + chunk - 1) / chunk) { c in
            let r0 = c * chunk
            RowOps.gelu(innerRows + r0 * f, count: min(chunk, rows - r0) * f)
        }
        w.outputBias.withUnsafeBufferPointer { GEMM.multiply(m: rows, a: inner, lda: f, b: w.output, bias: $0.baseAddress, c: projected, ldc: d) }
        layerNorm(x, residual: projected, rows: rows, w.outputNormGamma, w.outputNormBeta)
    }

    /// In place over rows of x: [rows, D]: x ← LN(x + residual)·γ + β, rows split over the threads.
    private func layerNorm(_ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, rows: Int, _ gamma: [Float], _ beta: [Float]) {
        let d = config.hiddenSize, eps = Float(config.layerNormEps)
        nonisolated(unsafe) let (x, residual) = (x, residual)
        let chunk = max(1, (rows + Parallel.threads - 1) / Parallel.threads)
        gamma.withUnsafeBufferPointer { g in
            beta.withUnsafeBufferPointer { bt in
                nonisolated(unsafe) let (g, bt) = (g, bt)
                Parallel.forEach((rows + chunk - 1) / chunk) { c in
                    let r0 = c * chunk
                    RowOps.layerNorm(x + r0 * d, ld: d, residual: residual.map { $0 + r0 * d }, ldr: d,
                                     rows: min(chunk, rows - r0), n: d, gamma: g.baseAddress!, beta: bt.baseAddress!, eps: eps)
                }
            }
        }
    }

    /// out: [rows, N] = input: [rows, K] · W + bias.
    private func linear(_ input: [Float], rows: Int, _ w: PackedMatrix, _ bias: [Float], into out: inout [Float]) {
        input.withUnsafeBufferPointer { a in
            bias.withUnsafeBufferPointer { bp in
                out.withUnsafeMutableBufferPointer { c in
                    GEMM.multiply(m: rows, a: a.baseAddress!, lda: w.k, b: w, bias: bp.baseAddress, c: c.baseAddress!, ldc: w.n)
                }
            }
        }
    }
}
