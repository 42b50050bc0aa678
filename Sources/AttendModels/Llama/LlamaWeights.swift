import AttendKernels
import Foundation

/// The parameters of one Llama decoder layer. Linear weights are [outputs, inputs].
struct LlamaLayerWeights: Sendable {
    let attentionNorm: [Float]           // [D]
    let query: LinearWeight              // [H·d, D]
    let key: LinearWeight, value: LinearWeight  // [H_kv·d, D]
    let attentionOutput: LinearWeight    // [D, H·d]
    let ffnNorm: [Float]                 // [D]
    let gate: LinearWeight, up: LinearWeight    // [F, D]
    let down: LinearWeight               // [D, F]
}

/// All parameters of a Llama decoder, shapes checked against its config. From GGUF the matrices
/// stay in their stored blocks (memory-mapped); from safetensors they are converted to F32 and packed.
struct LlamaWeights: Sendable {
    let embedding: EmbeddingTable        // [V, D]
    let layers: [LlamaLayerWeights]
    let outputNorm: [Float]              // [D]
    let output: LinearWeight             // [V, D] (the embedding when tied)

    /// GGUF tensor names (llama.cpp's): token_embd, blk.N.{attn_norm, attn_q, attn_k, attn_v,
    /// attn_output, ffn_norm, ffn_gate, ffn_up, ffn_down}, output_norm, output (absent when tied).
    init(gguf file: GGUFFile, config c: LlamaConfig) throws {
        func matrix(_ name: String, rows: Int, columns: Int) throws -> QuantizedMatrix {
            let m = try file.matrix(name)
            guard m.rows == rows, m.columns == columns else {
                throw ModelFileError.shapeMismatch(path: file.url.path, tensor: name, expected: [rows, columns], found: [m.rows, m.columns])
            }
            return m
        }
        func vector(_ name: String, _ count: Int) throws -> [Float] {
            let t = try file.floatTensor(name)
            guard t.shape == [count] else { throw ModelFileError.shapeMismatch(path: file.url.path, tensor: name, expected: [count], found: t.shape) }
            return t.data
        }
        let (d, f, q, kv) = (c.hiddenSize, c.intermediateSize, c.heads * c.headDim, c.kvHeads * c.headDim)
        let table = try matrix("token_embd.weight", rows: c.vocabSize, columns: d)
        embedding = .quantized(table)
        layers = try loadLayers(c.layers) { i in
            let p = "blk.\(i)."
            return LlamaLayerWeights(
                attentionNorm: try vector(p + "attn_norm.weight", d),
                query: .quantized(try matrix(p + "attn_q.weight", rows: q, columns: d)),
                key: .quantized(try matrix(p + "attn_k.weight", rows: kv, columns: d)),
                value: .quantized(try matrix(p + "attn_v.weight", rows: kv, columns: d)),
                attentionOutput: .quantized(try matrix(p + "attn_output.weight", rows: d, columns: q)),
                ffnNorm: try vector(p + "ffn_norm.weight", d),
                gate: .quantized(try matrix(p + "ffn_gate.weight", rows: f, columns: d)),
                up: .quantized(try matrix(p + "ffn_up.weight", rows: f, columns: d)),
                down: .quantized(try matrix(p + "ffn_down.weight", rows: d, columns: f)))
        }
        outputNorm = try vector("output_norm.weight", d)
        output = c.tiedEmbeddings ? embedding.asOutputProjection : .quantized(try matrix("output.weight", rows: c.vocabSize, columns: d))
    }

    /// Hugging Face names: model.embed_tokens, model.layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj,
    /// post_attention_layernorm, mlp.{gate,up,down}_proj}, model.norm, lm_head (absent when tied).
    init(safetensors file: SafeTensorsFile, config c: LlamaConfig) throws {
        func tensor(_ name: String, _ shape: [Int]) throws -> Tensor { try file.floatTensor(name, expectedShape: shape) }
        func linear(_ name: String, _ outputs: Int, _ inputs: Int) throws -> LinearWeight {
            .packed(PackedMatrix(linearWeight: try tensor(name, [outputs, inputs])))
        }
        let (d, f, q, kv) = (c.hiddenSize, c.intermediateSize, c.heads * c.headDim, c.kvHeads * c.headDim)
        let table = try tensor("model.embed_tokens.weight", [c.vocabSize, d])
        embedding = .dense(table)
        layers = try loadLayers(c.layers) { i in
            let p = "model.layers.\(i)."
            return LlamaLayerWeights(
                attentionNorm: try tensor(p + "input_layernorm.weight", [d]).data,
                query: try linear(p + "self_attn.q_proj.weight", q, d),
                key: try linear(p + "self_attn.k_proj.weight", kv, d),
                value: try linear(p + "self_attn.v_proj.weight", kv, d),
                attentionOutput: try linear(p + "self_attn.o_proj.weight", d, q),
                ffnNorm: try tensor(p + "post_attention_layernorm.weight", [d]).data,
                gate: try linear(p + "mlp.gate_proj.weight", f, d),
                up: try linear(p + "mlp.up_proj.weight", f, d),
                down: try linear(p + "mlp.down_proj.weight", d, f))
        }
        outputNorm = try tensor("model.norm.weight", [d]).data
        let tied = c.tiedEmbeddings || !file.contains("lm_head.weight")
        output = tied ? embedding.asOutputProjection : try linear("lm_head.weight", c.vocabSize, d)
    }
}
