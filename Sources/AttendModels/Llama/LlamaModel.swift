import AttendAttention
import AttendKernels
import Foundation

/// A Llama-architecture causal language model (Touvron et al. 2023; SmolLM2 is one), per layer:
/// `h = RMSNorm(x)`, `x += W_o·Attn(RoPE(W_q h), RoPE(W_k h), W_v h)` with grouped-query attention,
/// `x += W_down·(SiLU(W_gate·RMSNorm(x)) ⊙ W_up·RMSNorm(x))`; then `logits = W_out·RMSNorm(x)`.
/// Dimensions: n new tokens, D hidden, F intermediate, H / H_kv heads, d head size, V vocabulary.
public final class LlamaModel: CausalLanguageModel {
    public let config: LlamaConfig
    let weights: LlamaWeights
    let rope: RotaryEmbedding
    /// The GGUF file the weights live in (kept mapped), when loaded from one.
    public let gguf: GGUFFile?

    /// Loads a GGUF file written by llama.cpp's converter (architecture `llama`).
    public init(gguf file: GGUFFile) throws {
        config = try LlamaConfig(gguf: file)
        weights = try LlamaWeights(gguf: file, config: config)
        rope = RotaryEmbedding(dimensions: config.ropeDimensions, base: config.ropeTheta, pairing: .adjacent)
        gguf = file
    }

    /// Loads a Hugging Face directory: `config.json` and `model.safetensors`.
    public init(directory: URL) throws {
        config = try LlamaConfig(configJSON: directory.appendingPathComponent("config.json"))
        let file = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
        weights = try LlamaWeights(safetensors: file, config: config)
        rope = RotaryEmbedding(dimensions: config.ropeDimensions, base: config.ropeTheta, pairing: .halves)
        gguf = nil
    }

    public var architecture: String { "llama" }
    public var vocabularySize: Int { config.vocabSize }
    public var contextLength: Int { config.contextLength }
    public var layerCount: Int { config.layers }
    public var kvWidth: Int { config.kvHeads * config.headDim }

    public func forward(_ ids: [Int], cache: KVCache, attention: any AttentionMethod, rows: LogitRows) throws -> DecoderOutput {
        try attention.check(layers: config.layers)
        try validate(ids, cache: cache)
        let c = config
        let (d, f, qw, kvw) = (c.hiddenSize, c.intermediateSize, c.heads * c.headDim, kvWidth)
        var positions = Array(cache.count..<(cache.count + ids.count))  // of the rows the pass carries (fewer after a cascade cut)
        var n = ids.count
        var x = [Float](repeating: 0, count: n * d)        // [n, D] residual stream
        var h = [Float](repeating: 0, count: n * d)        // [n, D] normed input / sublayer output
        var q = [Float](repeating: 0, count: n * qw)       // [n, H·d]
        var context = [Float](repeating: 0, count: n * qw) // [n, H·d]
        var gate = [Float](repeating: 0, count: n * f)     // [n, F]
        var up = [Float](repeating: 0, count: n * f)       // [n, F]
        var workloads: [[HeadWorkload]] = []
        x.withUnsafeMutableBufferPointer { xb in h.withUnsafeMutableBufferPointer { hb in q.withUnsafeMutableBufferPointer { qb in
            context.withUnsafeMutableBufferPointer { cb in gate.withUnsafeMutableBufferPointer { gb in up.withUnsafeMutableBufferPointer { ub in
                let (x, h, q, context, gate, up) = (xb.baseAddress!, hb.baseAddress!, qb.baseAddress!, cb.baseAddress!, gb.baseAddress!, ub.baseAddress!)
                weights.embedding.gather(ids, into: x)
                for (l, w) in weights.layers.enumerated() {
                    let (keys, values) = (cache.keys(layer: l) + cache.rows(layer: l) * kvw, cache.values(layer: l) + cache.rows(layer: l) * kvw)  // the n new rows after the layer's
                    DecoderRowOps.rmsNorm(x, ld: d, rows: n, weight: w.attentionNorm, eps: c.rmsNormEps, into: h, ldo: d)
                    w.query.apply(h, ldx: d, rows: n, bias: nil, into: q, ldo: qw)
                    w.key.apply(h, ldx: d, rows: n, bias: nil, into: keys, ldo: kvw)
                    w.value.apply(h, ldx: d, rows: n, bias: nil, into: values, ldo: kvw)
                    rope.apply(q, ld: qw, heads: c.heads, headDim: c.headDim, positions: positions)
                    rope.apply(keys, ld: kvw, heads: c.kvHeads, headDim: c.headDim, positions: positions)
                    let problem = causalProblem(q: q, ldq: qw, n: n, cache: cache, layer: l, heads: c.heads, kvHeads: c.kvHeads,
                                                headDim: c.headDim, out: context)
                    workloads.append(attend(attention, layer: l, problem, newPositions: positions, cache: cache))
                    if let needed = rowsNeeded(after: l, newPositions: positions, cache: cache, rows: rows) {
                        DecoderRowOps.compactRows(x, ld: d, width: d, keep: needed)
                        DecoderRowOps.compactRows(context, ld: qw, width: qw, keep: needed)
                        (positions, n) = (needed.map { positions[$0] }, needed.count)
                    }
                    w.attentionOutput.apply(context, ldx: qw, rows: n, bias: nil, into: h, ldo: d)
                    DecoderRowOps.add(h, ldy: d, to: x, ldx: d, rows: n, width: d)
                    DecoderRowOps.rmsNorm(x, ld: d, rows: n, weight: w.ffnNorm, eps: c.rmsNormEps, into: h, ldo: d)
                    w.gate.apply(h, ldx: d, rows: n, bias: nil, into: gate, ldo: f)
                    w.up.apply(h, ldx: d, rows: n, bias: nil, into: up, ldo: f)
                    DecoderRowOps.swiGLU(gate: gate, up: up, count: n * f)
                    w.down.apply(gate, ldx: f, rows: n, bias: nil, into: h, ldo: d)
                    DecoderRowOps.add(h, ldy: d, to: x, ldx: d, rows: n, width: d)
                }
            } } }
        } } }
        cache.advance(by: ids.count)
        return head(x, rows: rows.range(tokens: n), workloads: workloads)
    }

    /// Final RMSNorm and output projection of the residual rows `range` of x: [n, D].
    private func head(_ x: [Float], rows range: Range<Int>, workloads: [[HeadWorkload]]) -> DecoderOutput {
        let (d, v, m) = (config.hiddenSize, config.vocabSize, range.count)
        var hidden = [Float](repeating: 0, count: m * d)   // [m, D]
        var logits = [Float](repeating: 0, count: m * v)   // [m, V]
        x.withUnsafeBufferPointer { xb in hidden.withUnsafeMutableBufferPointer { hb in
            DecoderRowOps.rmsNorm(xb.baseAddress! + range.lowerBound * d, ld: d, rows: m, weight: weights.outputNorm, eps: config.rmsNormEps,
                                  into: hb.baseAddress!, ldo: d)
            logits.withUnsafeMutableBufferPointer { weights.output.apply(hb.baseAddress!, ldx: d, rows: m, bias: nil, into: $0.baseAddress!, ldo: v) }
        } }
        return DecoderOutput(logits: Tensor(shape: [m, v], data: logits), hidden: Tensor(shape: [m, d], data: hidden), workloads: workloads)
    }
}
