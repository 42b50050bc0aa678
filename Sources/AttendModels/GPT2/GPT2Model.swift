import AttendAttention
import AttendKernels
import Foundation

/// One GPT-2 block's parameters. Linear weights packed for the SGEMM from Conv1D's (in, out) layout.
struct GPT2LayerWeights: Sendable {
    let norm1Gamma: [Float], norm1Beta: [Float]       // [D]
    let qkv: LinearWeight, qkvBias: [Float]           // [3D, D], [3D]: query, key, value stacked
    let projection: LinearWeight, projectionBias: [Float]  // [D, D], [D]
    let norm2Gamma: [Float], norm2Beta: [Float]       // [D]
    let fc: LinearWeight, fcBias: [Float]             // [F, D], [F]
    let fcProjection: LinearWeight, fcProjectionBias: [Float]  // [D, F], [D]
}

/// GPT-2 (Radford et al. 2019; Hugging Face `GPT2LMHeadModel` layout): learned positions, pre-norm
/// blocks `x += W_proj·Attn(LN₁(x))`, `x += W₂·GELU_tanh(W₁·LN₂(x))`, final LayerNorm and the tied
/// output projection `logits = LN_f(x)·W_teᵀ`. Dimensions: n new tokens, D hidden, H heads, d = D/H,
/// F = 4D, V vocabulary, P positions.
public final class GPT2Model: CausalLanguageModel {
    public let config: GPT2Config
    let tokenEmbedding: Tensor       // [V, D]
    let positionEmbedding: Tensor    // [P, D]
    let layers: [GPT2LayerWeights]
    let finalGamma: [Float], finalBeta: [Float]  // [D]
    let output: LinearWeight         // [V, D], the token embedding

    /// Loads a Hugging Face directory: `config.json` and `model.safetensors` (names with or without
    /// the `transformer.` prefix; the causal-mask buffers `attn.bias` / `attn.masked_bias` ignored).
    public init(directory: URL) throws {
        let c = try GPT2Config(configJSON: directory.appendingPathComponent("config.json"))
        let file = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
        let prefix = file.contains("transformer.wte.weight") ? "transformer." : ""
        func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
            guard file.contains(prefix + name) else { throw ModelError.missingTensor(name: prefix + name, file: file.path) }
            return try file.floatTensor(prefix + name, expectedShape: shape)
        }
        /// Conv1D stores W as (in, out): packed as B = W directly (the one transposition of the layout).
        func conv1D(_ name: String, inputs: Int, outputs: Int) throws -> (LinearWeight, [Float]) {
            let w = try tensor(name + ".weight", [inputs, outputs])
            return (.packed(PackedMatrix(b: w.data, k: inputs, n: outputs, ldb: outputs, transposed: false)), try tensor(name + ".bias", [outputs]).data)
        }
        let (d, f) = (c.hiddenSize, c.intermediateSize)
        config = c
        tokenEmbedding = try tensor("wte.weight", [c.vocabSize, d])
        positionEmbedding = try tensor("wpe.weight", [c.contextLength, d])
        layers = try loadLayers(c.layers) { i in
            let p = "h.\(i)."
            let (qkv, qkvBias) = try conv1D(p + "attn.c_attn", inputs: d, outputs: 3 * d)
            let (projection, projectionBias) = try conv1D(p + "attn.c_proj", inputs: d, outputs: d)
            let (fc, fcBias) = try conv1D(p + "mlp.c_fc", inputs: d, outputs: f)
            let (fcProjection, fcProjectionBias) = try conv1D(p + "mlp.c_proj", inputs: f, outputs: d)
            return GPT2LayerWeights(
                norm1Gamma: try tensor(p + "ln_1.weight", [d]).data, norm1Beta: try tensor(p + "ln_1.bias", [d]).data,
                qkv: qkv, qkvBias: qkvBias, projection: projection, projectionBias: projectionBias,
                norm2Gamma: try tensor(p + "ln_2.weight", [d]).data, norm2Beta: try tensor(p + "ln_2.bias", [d]).data,
                fc: fc, fcBias: fcBias, fcProjection: fcProjection, fcProjectionBias: fcProjectionBias)
        }
        finalGamma = try tensor("ln_f.weight", [d]).data
        finalBeta = try tensor("ln_f.bias", [d]).data
        output = .packed(PackedMatrix(linearWeight: tokenEmbedding))
    }

    public var architecture: String { "gpt2" }
    public var vocabularySize: Int { config.vocabSize }
    public var contextLength: Int { config.contextLength }
    public var layerCount: Int { config.layers }
    public var kvWidth: Int { config.hiddenSize }

    public func forward(_ ids: [Int], cache: KVCache, attention: any AttentionMethod, rows: LogitRows) throws -> DecoderOutput {
        try attention.check(layers: config.layers)
        try validate(ids, cache: cache)
        let c = config
        let (p, d, f) = (cache.count, c.hiddenSize, c.intermediateSize)
        var positions = Array(p..<(p + ids.count))  // of the rows the pass carries (fewer after a cascade cut)
        var n = ids.count
        var x = [Float](repeating: 0, count: n * d)          // [n, D] residual stream
        var h = [Float](repeating: 0, count: n * d)          // [n, D]
        var qkv = [Float](repeating: 0, count: n * 3 * d)    // [n, 3D]
        var context = [Float](repeating: 0, count: n * d)    // [n, D]
        var inner = [Float](repeating: 0, count: n * f)      // [n, F]
        var workloads: [[HeadWorkload]] = []
        x.withUnsafeMutableBufferPointer { xb in h.withUnsafeMutableBufferPointer { hb in qkv.withUnsafeMutableBufferPointer { qb in
            context.withUnsafeMutableBufferPointer { cb in inner.withUnsafeMutableBufferPointer { ib in
                let (x, h, qkv, context, inner) = (xb.baseAddress!, hb.baseAddress!, qb.baseAddress!, cb.baseAddress!, ib.baseAddress!)
                tokenEmbedding.data.withUnsafeBufferPointer { RowOps.gather(table: $0.baseAddress!, rows: c.vocabSize, width: d, ids: ids, into: x) }
                positionEmbedding.data.withUnsafeBufferPointer { DecoderRowOps.add($0.baseAddress! + p * d, ldy: d, to: x, ldx: d, rows: n, width: d) }
                for (l, w) in layers.enumerated() {
                    DecoderRowOps.layerNorm(x, ld: d, rows: n, gamma: w.norm1Gamma, beta: w.norm1Beta, eps: c.layerNormEps, into: h, ldo: d)
                    w.qkv.apply(h, ldx: d, rows: n, bias: w.qkvBias, into: qkv, ldo: 3 * d)
                    let (keys, values) = (cache.keys(layer: l) + cache.rows(layer: l) * d, cache.values(layer: l) + cache.rows(layer: l) * d)
                    for i in 0..<n {
                        (keys + i * d).update(from: qkv + i * 3 * d + d, count: d)
                        (values + i * d).update(from: qkv + i * 3 * d + 2 * d, count: d)
                    }
                    let problem = causalProblem(q: qkv, ldq: 3 * d, n: n, cache: cache, layer: l, heads: c.heads, kvHeads: c.heads,
                                                headDim: c.headDim, out: context)
                    workloads.append(attend(attention, layer: l, problem, newPositions: positions, cache: cache))
                    if let needed = rowsNeeded(after: l, newPositions: positions, cache: cache, rows: rows) {
                        DecoderRowOps.compactRows(x, ld: d, width: d, keep: needed)
                        DecoderRowOps.compactRows(context, ld: d, width: d, keep: needed)
                        (positions, n) = (needed.map { positions[$0] }, needed.count)
                    }
                    w.projection.apply(context, ldx: d, rows: n, bias: w.projectionBias, into: h, ldo: d)
                    DecoderRowOps.add(h, ldy: d, to: x, ldx: d, rows: n, width: d)
                    DecoderRowOps.layerNorm(x, ld: d, rows: n, gamma: w.norm2Gamma, beta: w.norm2Beta, eps: c.layerNormEps, into: h, ldo: d)
                    w.fc.apply(h, ldx: d, rows: n, bias: w.fcBias, into: inner, ldo: f)
                    DecoderRowOps.geluTanh(inner, count: n * f)
                    w.fcProjection.apply(inner, ldx: f, rows: n, bias: w.fcProjectionBias, into: h, ldo: d)
                    DecoderRowOps.add(h, ldy: d, to: x, ldx: d, rows: n, width: d)
                }
            } }
        } } }
        cache.advance(by: ids.count)
        let range = rows.range(tokens: n)
        let m = range.count
        var hidden = [Float](repeating: 0, count: m * d)   // [m, D]
        var logits = [Float](repeating: 0, count: m * c.vocabSize)  // [m, V]
        x.withUnsafeBufferPointer { xb in hidden.withUnsafeMutableBufferPointer { hb in
            DecoderRowOps.layerNorm(xb.baseAddress! + range.lowerBound * d, ld: d, rows: m, gamma: finalGamma, beta: finalBeta,
                                    eps: c.layerNormEps, into: hb.baseAddress!, ldo: d)
            logits.withUnsafeMutableBufferPointer { output.apply(hb.baseAddress!, ldx: d, rows: m, bias: nil, into: $0.baseAddress!, ldo: c.vocabSize) }
        } }
        return DecoderOutput(logits: Tensor(shape: [m, c.vocabSize], data: logits), hidden: Tensor(shape: [m, d], data: hidden), workloads: workloads)
    }
}
