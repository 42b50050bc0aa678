import AttendAttention
import AttendEvaluation
import AttendModels
import Foundation
import Testing

@Suite("SpAtten KV-cache pruning in generation")
struct SpAttenGenerationTests {
    @Test("sampled generation with KV pruning and a recent window is deterministic for a seed, and differs from unpruned")
    func deterministic() throws {
        let path = repositoryRoot.appendingPathComponent("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf").path
        try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing: run scripts/fetch_models.sh")
        let bundle = try DecoderBundle.load(path: path)
        let prompt = try #require(bundle.tokenizer).encode("The tower is 324 metres tall, about the same height as an 81-storey building, and the tallest structure in Paris.")
        let method = SpAttenMethod(schedule: SpAttenSchedule(layers: bundle.model.layerCount, tokenRatio: 0.2), recentWindow: 4)
        func run(_ attention: any AttentionMethod, seed: UInt64) throws -> [Int] {
            try Generator(model: bundle.model, attention: attention).generate(prompt: prompt, maxTokens: 24, sampler: Sampler(temperature: 0.9, seed: seed)).tokens
        }
        let (a, b) = (try run(method, seed: 7), try run(method, seed: 7))
        #expect(a == b && a.count == 24)
        #expect(try run(TiledMethod(), seed: 7) != a, "pruning 0.2 per layer must change the sample")
    }
}
