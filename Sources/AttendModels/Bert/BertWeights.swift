import AttendKernels
import Foundation

/// The parameters of one BERT encoder layer, linear weights packed for the GEMM.
struct BertLayerWeights: Sendable {
    let qkv: PackedMatrix          // [D → 3D]: query, key, value weights stacked
    let qkvBias: [Float]           // [3D]
    let attentionOutput: PackedMatrix, attentionOutputBias: [Float]  // [D → D], [D]
    let attentionNormGamma: [Float], attentionNormBeta: [Float]       // [D]
    let intermediate: PackedMatrix, intermediateBias: [Float]         // [D → F], [F]
    let output: PackedMatrix, outputBias: [Float]                     // [F → D], [D]
    let outputNormGamma: [Float], outputNormBeta: [Float]             // [D]
    /// The four linears on the int8 GEMM (`BertModel.quantized`), or nil for Float32.
    var int8: BertLayerInt8? = nil
}

/// All parameters of `BertForSequenceClassification`, converted to F32 and validated against
/// the config's shapes.
struct BertWeights: Sendable {
    let wordEmbeddings: Tensor       // [V, D]
    let positionEmbeddings: Tensor   // [P, D]
    let tokenTypeEmbeddings: Tensor  // [TV, D]
    let embeddingNormGamma: [Float], embeddingNormBeta: [Float]  // [D]
    var layers: [BertLayerWeights]
    let pooler: PackedMatrix, poolerBias: [Float]          // [D → D], [D]
    let classifier: PackedMatrix, classifierBias: [Float]  // [D → L], [L]
    /// The encoder in integers only (`BertModel.integerOnly`), or nil.
    var integer: BertIntegerEncoder? = nil

    /// Reads every parameter from a checkpoint (names sanitized, shapes checked against config).
    init(file: SafeTensorsFile, config: BertConfig) throws {
        let names = try Self.sanitize(file.names, file: file.path)
        try self.init(config: config) { name, shape in
            guard let stored = names[name] else { throw ModelError.missingTensor(name: name, file: file.path) }
            return try file.floatTensor(stored, expectedShape: shape)
        }
    }

    /// Random parameters for timing a shape: weights ~ U(−0.05, 0.05) from a seeded generator,
    /// LayerNorm γ = 1, β = 0. Values are irrelevant to speed; only shapes matter.
    static func random(config: BertConfig, seed: UInt64) -> BertWeights {
        var state = seed
        return try! BertWeights(config: config) { name, shape in
            let count = shape.reduce(1, *)
            if name.contains("LayerNorm") {
                return Tensor(shape: shape, data: [Float](repeating: name.hasSuffix("weight") ? 1 : 0, count: count))
            }
            return Tensor(shape: shape, data: (0..<count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407  // 64-bit LCG
                return Float(Int32(truncatingIfNeeded: state >> 32)) / Float(Int32.max) * 0.05
            })
        }
    }

    /// Builds the layers from `tensor(canonicalName, expectedShape)`.
    private init(config: BertConfig, tensor: (String, [Int]) throws -> Tensor) throws {
        let (d, f) = (config.hiddenSize, config.intermediateSize)
        func linear(_ prefix: String, out: Int, in input: Int) throws -> (PackedMatrix, [Float]) {
            (PackedMatrix(linearWeight: try tensor(prefix + ".weight", [out, input])), try tensor(prefix + ".bias", [out]).data)
        }
        func norm(_ prefix: String) throws -> ([Float], [Float]) {
            (try tensor(prefix + ".weight", [d]).data, try tensor(prefix + ".bias", [d]).data)
        }
        wordEmbeddings = try tensor("bert.embeddings.word_embeddings.weight", [config.vocabSize, d])
        positionEmbeddings = try tensor("bert.embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, d])
        tokenTypeEmbeddings = try tensor("bert.embeddings.token_type_embeddings.weight", [config.typeVocabSize, d])
        (embeddingNormGamma, embeddingNormBeta) = try norm("bert.embeddings.LayerNorm")
        layers = try loadLayers(config.numHiddenLayers) { i in
            let p = "bert.encoder.layer.\(i)."
            let q = try tensor(p + "attention.self.query.weight", [d, d]), k = try tensor(p + "attention.self.key.weight", [d, d])
            let v = try tensor(p + "attention.self.value.weight", [d, d])
            let qkvBias = try ["query", "key", "value"].flatMap { try tensor(p + "attention.self.\($0).bias", [d]).data }
            let (ao, aob) = try linear(p + "attention.output.dense", out: d, in: d)
            let (ang, anb) = try norm(p + "attention.output.LayerNorm")
            let (inter, interBias) = try linear(p + "intermediate.dense", out: f, in: d)
            let (out, outBias) = try linear(p + "output.dense", out: d, in: f)
            let (ong, onb) = try norm(p + "output.LayerNorm")
            return BertLayerWeights(
                qkv: PackedMatrix(linearWeight: Tensor(shape: [3 * d, d], data: q.data + k.data + v.data)), qkvBias: qkvBias,
                attentionOutput: ao, attentionOutputBias: aob, attentionNormGamma: ang, attentionNormBeta: anb,
                intermediate: inter, intermediateBias: interBias, output: out, outputBias: outBias,
                outputNormGamma: ong, outputNormBeta: onb)
        }
        (pooler, poolerBias) = try linear("bert.pooler.dense", out: d, in: d)
        (classifier, classifierBias) = try linear("classifier", out: config.numLabels, in: d)
    }

    /// The one place that handles checkpoint quirks: maps each stored tensor name to its
    /// canonical `BertForSequenceClassification` name — legacy LayerNorm `gamma`/`beta` become
    /// `weight`/`bias`, and encoder names saved without the `bert.` prefix (a bare `BertModel`
    /// state dict) gain it. Returns canonical name → stored name.
    static func sanitize(_ stored: [String], file: String) throws -> [String: String] {
        var canonical: [String: String] = [:]
        for name in stored {
            var parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if parts.count >= 2, parts[parts.count - 2] == "LayerNorm" {
                if parts[parts.count - 1] == "gamma" { parts[parts.count - 1] = "weight" }
                if parts[parts.count - 1] == "beta" { parts[parts.count - 1] = "bias" }
            }
            if let first = parts.first, first != "bert", first != "classifier" { parts.insert("bert", at: 0) }
            let key = parts.joined(separator: ".")
            if canonical[key] != nil { throw ModelError.duplicateTensor(name: key, file: file) }
            canonical[key] = name
        }
        return canonical
    }
}
