import AttendAttention
import AttendEvaluation
import AttendModels
import AttendTokenizers
import Foundation
import Testing

/// What `scripts/decoder_reference.py --impl transformers` printed (PyTorch on the dequantized GGUF).
private struct PerplexityReference: Decodable {
    let bytes: Int
    let context: Int
    let chunks: Int
    let tokens: Int
    let tokens_scored: Int
    let ppl: Double
    let running: [Double]
}

/// Attend's NLL and PyTorch's differ by Float32 rounding of the logits (≤ 5e-5 absolute, measured on
/// SmolLM2's last positions): relative perplexity differences near 1e-6; 1e-4 still catches a chunk
/// scored at the wrong offset (≈ 1e-2) or one wrong token id.
private let relativeTolerance = 1e-4

@Suite("Perplexity with llama-perplexity's protocol")
struct PerplexityTests {
    @Test("SmolLM2 on the first 40,000 bytes of WikiText-2 test, 10 chunks of 512, equals PyTorch's")
    func smolLM2() throws {
        let golden = try JSONDecoder().decode(PerplexityReference.self, from: Data(contentsOf: Bundle.module.url(forResource: "Goldens", withExtension: nil)!
            .appendingPathComponent("smollm2-wikitext2-test-40000-transformers.json")))
        let path = repositoryRoot.appendingPathComponent("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf").path
        try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing: run scripts/fetch_models.sh (scripts/test.sh does)")
        let bundle = try DecoderBundle.load(path: path)
        let tokenizer = try #require(bundle.tokenizer)
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("../shared/data/wikitext2/test.txt")).prefix(golden.bytes)
        var text = try decodeUTF8(data, source: "wikitext2/test.txt")
        if text.hasSuffix("\n") { text.removeLast() }
        let tokens = tokenizer.encode(text)
        #expect(tokens.count == golden.tokens)
        let result = try Perplexity.evaluate(model: bundle.model, tokens: tokens, context: golden.context, chunks: golden.chunks, bos: nil)
        #expect(result.tokensScored == golden.tokens_scored)
        #expect(result.runningPerplexity.count == golden.running.count)
        for (chunk, (ours, theirs)) in zip(result.runningPerplexity, golden.running).enumerated() {
            #expect(abs(ours / theirs - 1) <= relativeTolerance, "chunk \(chunk + 1): \(ours) vs PyTorch \(theirs)")
        }
    }

    @Test("too few tokens and a context past the model's are errors")
    func errors() throws {
        let model = try GPT2Model(directory: repositoryRoot.appendingPathComponent("Tests/AttendModelsTests/Goldens/tiny-gpt2"))
        #expect(throws: Perplexity.Failure.tooFewTokens(tokens: 15, context: 8)) {
            try Perplexity.evaluate(model: model, tokens: Array(repeating: 1, count: 15), context: 8, bos: nil)
        }
        #expect(throws: Perplexity.Failure.badContext(context: 65, limit: 64)) {
            try Perplexity.evaluate(model: model, tokens: Array(repeating: 1, count: 200), context: 65, bos: nil)
        }
    }

    @Test("the protocol scores the second half of each chunk: equal to NLL summed by hand over full-chunk logits")
    func protocolByHand() throws {
        let model = try GPT2Model(directory: repositoryRoot.appendingPathComponent("Tests/AttendModelsTests/Goldens/tiny-gpt2"))
        let tokens = (0..<50).map { ($0 * 37 + 11) % 97 }
        let result = try Perplexity.evaluate(model: model, tokens: tokens, context: 16, bos: 5)
        #expect(result.chunks == 3 && result.tokensScored == 3 * 7)
        var nll = 0.0
        for chunk in 0..<3 {
            var ids = Array(tokens[(chunk * 16)..<((chunk + 1) * 16)])
            ids[0] = 5
            let logits = try model.forward(ids, cache: model.makeCache(capacity: 16), attention: DenseMethod(), rows: .all).logits.data
            for j in 8..<15 {
                let row = logits[(j * 97)..<((j + 1) * 97)].map(Double.init)
                let m = row.max()!
                nll += log(row.map { exp($0 - m) }.reduce(0, +)) + m - row[tokens[chunk * 16 + j + 1]]
            }
        }
        #expect(abs(result.negativeLogLikelihood - nll) <= 1e-4 * nll)
    }
}
