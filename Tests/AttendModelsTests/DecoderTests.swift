import AttendAttention
import AttendKernels
import AttendModels
import Foundation
import Testing

/// What `scripts/make_decoder_goldens.py` writes next to each tiny decoder (float64 forward in PyTorch).
struct DecoderGolden: Decodable {
    let input_ids: [Int]
    let logits: [[Double]]               // [T][V]
    let final_hidden_states: [[Double]]  // [T][D]
    let greedy_continuation: [Int]
    let greedy_margins: [Double]
}

let decoderGoldens = Bundle.module.url(forResource: "Goldens", withExtension: nil)!

/// Float32 forward vs the float64 reference on the tiny decoders: sums over ≤ 96 products of O(1)
/// values per GEMM, polynomial exp (SiLU) and cos/sin rounded to Float give errors near 1e-6 on
/// O(1) logits; 5e-5 leaves margin and still catches a wrong RoPE pairing, mask offset or transpose.
private let decoderTolerance = 5e-5

private func maxError(_ got: ArraySlice<Float>, _ want: [Double]) -> Double {
    zip(got, want).map { abs(Double($0) - $1) }.max() ?? 0
}

/// Loads a tiny decoder's golden next to its files.
func loadGolden(_ url: URL) throws -> DecoderGolden { try JSONDecoder().decode(DecoderGolden.self, from: Data(contentsOf: url)) }

/// Runs the shared decoder checks: all-position logits and final hidden states against the golden,
/// incremental decoding through the KV cache (pieces of 7, 1 and the rest, then token by token) equal to
/// the full pass, dense = tiled attention, and greedy generation equal to the golden's continuation.
func checkDecoder(_ model: any CausalLanguageModel, _ golden: DecoderGolden, tolerance: Double, _ name: String) throws {
    let ids = golden.input_ids
    let (t, v) = (ids.count, model.vocabularySize)
    for threads in [1, 2] {
        Parallel.threads = threads
        let full = try model.forward(ids, cache: model.makeCache(capacity: t), attention: TiledMethod(), rows: .all)
        #expect(full.logits.shape == [t, v])
        #expect(maxError(full.logits.data[...], golden.logits.flatMap { $0 }) <= tolerance, "\(name) logits, \(threads) threads")
        #expect(maxError(full.hidden.data[...], golden.final_hidden_states.flatMap { $0 }) <= tolerance, "\(name) final hidden states")
        let dense = try model.forward(ids, cache: model.makeCache(capacity: t), attention: DenseMethod(), rows: .all)
        #expect(maxError(dense.logits.data[...], full.logits.data.map(Double.init)) <= 1e-5, "\(name): dense vs tiled")

        let cache = model.makeCache(capacity: 2)  // grows as the pieces arrive
        var pieces: [[Float]] = []
        for range in [0..<7, 7..<8, 8..<t] { pieces.append(try model.forward(Array(ids[range]), cache: cache, attention: TiledMethod(), rows: .all).logits.data) }
        #expect(cache.count == t)
        #expect(maxError(pieces.flatMap { $0 }[...], full.logits.data.map(Double.init)) <= 1e-5, "\(name): cached pieces vs one pass")
        let stepCache = model.makeCache(capacity: t)
        for (i, id) in ids.enumerated() {
            let step = try model.forward([id], cache: stepCache, attention: TiledMethod(), rows: .last).logits.data
            #expect(maxError(step[...], full.logits.data[(i * v)..<((i + 1) * v)].map(Double.init)) <= 1e-5, "\(name): token \(i) alone")
        }
    }
    Parallel.threads = Parallel.defaultThreads
    // Greedy: each step's margin in the golden exceeds our error, so argmax must agree.
    let cache = model.makeCache(capacity: t + golden.greedy_continuation.count)
    var output = try model.forward(ids, cache: cache, attention: TiledMethod(), rows: .last)
    var generated: [Int] = []
    for _ in golden.greedy_continuation {
        let next = output.logits.data.withUnsafeBufferPointer { buffer in buffer.indices.max { buffer[$0] < buffer[$1] || (buffer[$0] == buffer[$1] && $0 > $1) }! }
        generated.append(next)
        output = try model.forward([next], cache: cache, attention: TiledMethod(), rows: .last)
    }
    #expect(generated == golden.greedy_continuation, "\(name) greedy continuation")
}

@Suite("Decoders vs PyTorch goldens")
struct DecoderTests {
    @Test("tiny GPT-2 (safetensors, Conv1D weights): logits, cache, greedy")
    func gpt2() throws {
        let dir = decoderGoldens.appendingPathComponent("tiny-gpt2")
        try checkDecoder(try GPT2Model(directory: dir), try loadGolden(dir.appendingPathComponent("golden.json")), tolerance: decoderTolerance, "tiny-gpt2")
    }

    @Test("tiny Llama (safetensors, GQA, rotate_half RoPE, tied embeddings): logits, cache, greedy")
    func llama() throws {
        let dir = decoderGoldens.appendingPathComponent("tiny-llama")
        try checkDecoder(try LlamaModel(directory: dir), try loadGolden(dir.appendingPathComponent("golden.json")), tolerance: decoderTolerance, "tiny-llama")
    }

    @Test("tiny Llama GGUF (llama.cpp's Q/K permutation, interleaved RoPE) in every stored type", arguments: ["f32", "f16", "q8_0", "q4_0", "q4_1"])
    func llamaGGUF(type: String) throws {
        let dir = decoderGoldens.appendingPathComponent("tiny-llama-gguf")
        let model = try LlamaModel(gguf: try GGUFFile(contentsOf: dir.appendingPathComponent("tiny-llama-\(type).gguf")))
        try checkDecoder(model, try loadGolden(dir.appendingPathComponent("tiny-llama-\(type).golden.json")), tolerance: decoderTolerance, "tiny-llama-\(type)")
    }

    @Test("the context limit is an error naming both counts, not a wrap-around")
    func contextFull() throws {
        let model = try GPT2Model(directory: decoderGoldens.appendingPathComponent("tiny-gpt2"))
        let cache = model.makeCache(capacity: 8)
        _ = try model.forward(Array(repeating: 1, count: model.contextLength - 1), cache: cache, attention: TiledMethod(), rows: .last)
        _ = try model.forward([2], cache: cache, attention: TiledMethod(), rows: .last)
        #expect(cache.count == model.contextLength)
        #expect(throws: ModelError.contextFull(tokens: model.contextLength + 1, limit: model.contextLength)) {
            try model.forward([3], cache: cache, attention: TiledMethod(), rows: .last)
        }
        #expect(cache.count == model.contextLength, "a failed forward leaves the cache as it was")
    }

    @Test("bad token ids and empty inputs are errors")
    func badInput() throws {
        let model = try LlamaModel(directory: decoderGoldens.appendingPathComponent("tiny-llama"))
        #expect(throws: ModelError.tokenOutOfRange(id: 97, vocabularySize: 97, sequence: 0)) {
            try model.forward([1, 97], cache: model.makeCache(capacity: 2), attention: TiledMethod(), rows: .last)
        }
        #expect(throws: ModelError.emptySequence(sequence: 0)) { try model.forward([], cache: model.makeCache(capacity: 2), attention: TiledMethod(), rows: .last) }
    }
}
