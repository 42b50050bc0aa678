import AttendAttention
import AttendKernels
import AttendModels
import Foundation
import Testing

/// The real SmolLM2 decoder gives bit-identical logits with 1 and 2 threads and run to run, for a
/// whole prompt (prefill, every row) and for cached generation steps (RELIABILITY.md,
/// "Determinism"): the quantized matrix-vector kernels split rows, never a row's dot product.
@Suite("Determinism: SmolLM2 decoder logits across thread counts and runs", .serialized)
struct DecoderDeterminismTests {
    /// Prefill logits of every prompt position, then 4 greedy steps' logits, with `threads` threads.
    private func run(_ model: any CausalLanguageModel, _ ids: [Int], threads: Int) throws -> [[Float]] {
        Parallel.threads = threads
        defer { Parallel.threads = Parallel.defaultThreads }
        let cache = model.makeCache(capacity: ids.count + 4)
        var output = try model.forward(ids, cache: cache, attention: TiledMethod(), rows: .all)
        var logits = [output.logits.data]
        for _ in 0..<4 {
            let last = Array(output.logits.data.suffix(model.vocabularySize))
            let next = last.indices.max { last[$0] < last[$1] || (last[$0] == last[$1] && $0 > $1) }!
            output = try model.forward([next], cache: cache, attention: TiledMethod(), rows: .last)
            logits.append(output.logits.data)
        }
        return logits
    }

    @Test("prompt and generation logits: 1 thread == 2 threads == a second 2-thread run")
    func threadCountInvariance() throws {
        let bundle = try loadSmolLM2()
        let tokenizer = try #require(bundle.tokenizer)
        let ids = tokenizer.encode("The capital of France is Paris. The capital of Germany is", addSpecial: true)
        let one = try run(bundle.model, ids, threads: 1)
        let two = try run(bundle.model, ids, threads: 2)
        let again = try run(bundle.model, ids, threads: 2)
        #expect(one[0].count == ids.count * bundle.model.vocabularySize)
        #expect(one == two, "logits differ between 1 and 2 threads")
        #expect(two == again, "logits differ between two 2-thread runs")
    }
}
