import AttendKernels
import AttendModels
import Foundation
import Testing

/// The real SmolLM2-135M-Instruct GGUF (issue #11), fetched by scripts/fetch_models.sh.
let smolLM2Path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")

/// Opens the real model, failing (never skipping) with instructions when it is absent.
func openSmolLM2() throws -> GGUFFile {
    guard FileManager.default.fileExists(atPath: smolLM2Path.path) else {
        Issue.record("\(smolLM2Path.path) is missing: run scripts/fetch_models.sh first")
        throw GGUFError.tensorNotFound(path: smolLM2Path.path, tensor: "(model file missing)")
    }
    return try GGUFFile(contentsOf: smolLM2Path)
}

@Suite("GGUF: the real SmolLM2-135M-Instruct file")
struct GGUFRealModelTests {
    @Test("header, hyperparameters and tokenizer metadata")
    func header() throws {
        let file = try openSmolLM2()
        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(try file.string("general.architecture") == "llama")
        #expect(try file.integer("llama.block_count") == 30)
        #expect(try file.integer("llama.attention.head_count") == 9)
        #expect(try file.integer("llama.attention.head_count_kv") == 3)
        #expect(try file.integer("llama.embedding_length") == 576)
        #expect(try file.integer("llama.feed_forward_length") == 1536)
        #expect(try file.integer("llama.context_length") == 8192)
        #expect(try file.float("llama.rope.freq_base") == 100_000)
        #expect(try file.float("llama.attention.layer_norm_rms_epsilon") == 1e-5)
        #expect(try file.string("tokenizer.ggml.model") == "gpt2")
        #expect(try file.string("tokenizer.ggml.pre") == "smollm")
        #expect(try file.strings("tokenizer.ggml.tokens").count == 49152)
        #expect(try file.strings("tokenizer.ggml.merges").count == 48900)
        #expect(try file.integers("tokenizer.ggml.token_type").count == 49152)
        #expect(try file.integer("tokenizer.ggml.bos_token_id") == 1)
        #expect(try file.integer("tokenizer.ggml.eos_token_id") == 2)
        #expect(try file.optionalBool("tokenizer.ggml.add_bos_token") == false)
        #expect(try file.optionalString("tokenizer.chat_template")?.isEmpty == false)
        #expect(try file.optionalInteger("no.such.key") == nil)
        #expect(throws: GGUFError.self) { try file.string("llama.block_count") }
        #expect(throws: GGUFError.self) { try file.integer("no.such.key") }
        #expect(file.metadataKeys.count == file.metadata.count)
    }

    @Test("tensor types, shapes and layout")
    func tensors() throws {
        let file = try openSmolLM2()
        var counts: [GGMLType: Int] = [:]
        for t in file.tensors { counts[t.type, default: 0] += 1 }
        #expect(file.tensors.count == 272)
        #expect(counts == [.q4_1: 210, .q8_0: 1, .f32: 61])
        let embedding = try #require(file.tensorInfo("token_embd.weight"))
        #expect(embedding.type == .q8_0 && embedding.dimensions == [576, 49152])
        #expect(file.tensorInfo("output.weight") == nil)  // tied embeddings
        let q = try #require(file.tensorInfo("blk.0.attn_q.weight"))
        #expect(q.type == .q4_1 && q.dimensions == [576, 576])
        #expect(file.tensorInfo("blk.29.ffn_down.weight")?.dimensions == [1536, 576])
        for t in file.tensors { #expect(t.offset % file.alignment == 0 && t.offset >= file.dataOffset, "\(t.name)") }
        let norm = try file.floatTensor("blk.0.attn_norm.weight")
        #expect(norm.shape == [576] && norm.data.allSatisfy(\.isFinite))
        let m = try file.matrix("blk.0.ffn_gate.weight")
        #expect(m.type == .q4_1 && m.rows == 1536 && m.columns == 576)
        #expect(throws: GGUFError.self) { try file.matrix("blk.0.attn_norm.weight") }
    }
}
