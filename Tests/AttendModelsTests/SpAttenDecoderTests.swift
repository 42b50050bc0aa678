import AttendAttention
import AttendModels
import Foundation
import Testing

@Suite("SpAtten in decoders: KV-cache token pruning")
struct SpAttenDecoderTests {
    private let prompt = (0..<30).map { ($0 * 37 + 5) % 97 }

    /// The prompt, then `steps` single tokens; returns every pass's logits and the cache.
    private func decode(_ model: LlamaModel, _ method: any AttentionMethod, steps: Int, check: (KVCache) -> Void = { _ in }) throws -> ([Float], KVCache) {
        let cache = model.makeCache(capacity: 8)
        var logits = try model.forward(prompt, cache: cache, attention: method, rows: .last).logits.data
        check(cache)
        for step in 0..<steps {
            logits += try model.forward([(step * 11 + 3) % 97], cache: cache, attention: method, rows: .last).logits.data
            check(cache)
        }
        return (logits, cache)
    }

    @Test("every ratio 0: the tiled method's logits bit for bit, every layer keeps every row")
    func degenerate() throws {
        let model = try LlamaModel(directory: decoderGoldens.appendingPathComponent("tiny-llama"))
        let (tiled, _) = try decode(model, TiledMethod(), steps: 5)
        let (spatten, cache) = try decode(model, SpAttenMethod(schedule: SpAttenSchedule(layers: model.layerCount)), steps: 5)
        #expect(tiled == spatten)
        #expect((0..<model.layerCount).allSatisfy { cache.rows(layer: $0) == 35 })
    }

    @Test("token ratio 0.5: layer 1's cache keeps ⌈0.5·L⌉ rows, the first and newest tokens, never re-admits; deterministic")
    func kvPruning() throws {
        let model = try LlamaModel(directory: decoderGoldens.appendingPathComponent("tiny-llama"))
        let method = SpAttenMethod(schedule: SpAttenSchedule(layers: model.layerCount, tokenRatio: 0.5))
        var previous: [Int] = []
        let (first, cache) = try decode(model, method, steps: 12) { cache in
            #expect(cache.rows(layer: 0) == cache.count, "layer 0 is not pruned")
            let positions = cache.states[1].positions
            #expect(positions.count == (cache.count + 1) / 2)
            #expect(positions.first == 0 && positions.last == cache.count - 1 && positions == positions.sorted())
            if !previous.isEmpty { #expect(Set(positions.dropLast()).isSubset(of: previous), "a pruned token came back") }
            previous = positions
        }
        #expect(cache.rows(layer: 1) == 21)
        let (second, _) = try decode(model, method, steps: 12)
        #expect(first == second, "same inputs, same logits")
        let (tiled, _) = try decode(model, TiledMethod(), steps: 12)
        #expect(first != tiled, "pruning must change something")
    }

    @Test("recent window W ≥ the context: nothing is pruned, the tiled method's logits bit for bit")
    func windowCoversContext() throws {
        let model = try LlamaModel(directory: decoderGoldens.appendingPathComponent("tiny-llama"))
        let (tiled, _) = try decode(model, TiledMethod(), steps: 12)
        let method = SpAttenMethod(schedule: SpAttenSchedule(layers: model.layerCount, tokenRatio: 0.5), recentWindow: 42)
        let (spatten, cache) = try decode(model, method, steps: 12)
        #expect(tiled == spatten)
        #expect((0..<model.layerCount).allSatisfy { cache.rows(layer: $0) == 42 })
    }

    @Test("recent window 6 at token ratio 0.5: ⌈0.5·L⌉ + 6 rows; the first, the newest and the 6 before it always kept, a pruned token never comes back; deterministic")
    func recentWindow() throws {
        let model = try LlamaModel(directory: decoderGoldens.appendingPathComponent("tiny-llama"))
        let method = SpAttenMethod(schedule: SpAttenSchedule(layers: model.layerCount, tokenRatio: 0.5), recentWindow: 6)
        var previous: [Int] = []
        let (first, cache) = try decode(model, method, steps: 12) { cache in
            let positions = cache.states[1].positions
            let newest = cache.count - 1
            #expect(positions.count == (cache.count + 1) / 2 + 6)
            #expect(positions.first == 0 && Array(positions.suffix(7)) == Array((newest - 6)...newest) && positions == positions.sorted())
            if !previous.isEmpty { #expect(Set(positions.dropLast()).isSubset(of: previous), "a pruned token came back") }
            previous = positions
        }
        #expect(cache.rows(layer: 1) == 27)
        let (second, _) = try decode(model, method, steps: 12)
        #expect(first == second, "same inputs, same logits")
        let (windowless, _) = try decode(model, SpAttenMethod(schedule: SpAttenSchedule(layers: model.layerCount, tokenRatio: 0.5)), steps: 12)
        #expect(first != windowless, "the window must change which tokens stay")
    }

    @Test("prompt pass, pruning in the last layer only: the cascade's cut rows change nothing — .last equals .all's last row (Llama, GPT-2)")
    func promptCutAfterLastLayer() throws {
        let models: [any CausalLanguageModel] = [try LlamaModel(directory: decoderGoldens.appendingPathComponent("tiny-llama")),
                                                 try GPT2Model(directory: decoderGoldens.appendingPathComponent("tiny-gpt2"))]
        for model in models {
            #expect(model.layerCount == 2, "layer 0 sees every token, so only the last layer prunes")
            let method = SpAttenMethod(schedule: SpAttenSchedule(layers: model.layerCount, tokenRatio: 0.5))
            let ids = prompt.map { $0 % model.vocabularySize }
            let (cutCache, allCache) = (model.makeCache(capacity: 8), model.makeCache(capacity: 8))
            let cut = try model.forward(ids, cache: cutCache, attention: method, rows: .last)
            let all = try model.forward(ids, cache: allCache, attention: method, rows: .all)
            #expect(cut.workloads[1][0].queries == ids.count, "the cut follows layer 1's attention")
            #expect(cutCache.states.map(\.positions) == allCache.states.map(\.positions))
            #expect(cutCache.rows(layer: 1) < ids.count, "layer 1 must prune")
            let last = Array(all.logits.data.suffix(model.vocabularySize))
            #expect(zip(cut.logits.data, last).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "\(model.architecture)")
        }
    }

    @Test("real SmolLM2 prompt pass (SpAtten cascade): a token a layer pruned leaves every later layer and the rows they compute; the last row survives")
    func promptCascadeSmolLM2() throws {
        let bundle = try loadSmolLM2()
        let model = bundle.model
        let ids = bundle.tokenizer!.encode("The cascade prunes the tokens that the attention of every head and layer found least important, " +
                                               "and a pruned token never comes back: its keys, values and feed-forward rows are gone for good.")
        let method = SpAttenMethod(schedule: SpAttenSchedule(layers: model.layerCount, tokenRatio: 0.2), recentWindow: 4)
        let cache = model.makeCache(capacity: ids.count)
        let output = try model.forward(ids, cache: cache, attention: method, rows: .last)
        let positions = cache.states.map(\.positions)
        for l in 0..<model.layerCount {
            let carried = l == 0 ? ids.count : positions[l - 1].count
            #expect(output.workloads[l][0].queries == carried, "layer \(l) computes the rows layer \(l - 1) kept")
            if l > 0 { #expect(Set(positions[l]).isSubset(of: positions[l - 1]), "layer \(l) re-admitted a token") }
            #expect(positions[l].first == 0 && positions[l].last == ids.count - 1)
        }
        #expect(positions.last!.count < ids.count / 2, "the cascade must prune")
        let again = try model.forward(ids, cache: model.makeCache(capacity: ids.count), attention: method, rows: .last)
        #expect(again.logits.data == output.logits.data, "deterministic")
        #expect(output.logits.data.allSatisfy { $0.isFinite })
    }
    @Test("token-scale quantization: decode steps on each layer's codes give the one-pass logits (dequantized values) within Float32 rounding; with pruning the codes follow the cache rows")
    func quantizedCache() throws {
        let model = try LlamaModel(directory: decoderGoldens.appendingPathComponent("tiny-llama"))
        let quantization = ProgressiveQuantization(keyBits: 8, lsbBits: 4, valueBits: 8, threshold: 0.5, granularity: .token)
        let method = SpAttenMethod(schedule: SpAttenSchedule(layers: model.layerCount), quantization: quantization)
        let (stepwise, cache) = try decode(model, method, steps: 8)
        #expect((0..<model.layerCount).allSatisfy { cache.states[$0].quantizedKV?.rows == 38 })
        let tokens = prompt + (0..<8).map { ($0 * 11 + 3) % 97 }
        let onePass = try model.forward(tokens, cache: model.makeCache(capacity: 8), attention: method, rows: .all).logits
        let vocabulary = onePass.shape[1]
        let want = Array(onePass.data[((prompt.count - 1) * vocabulary)...])
        #expect(stepwise.count == want.count)
        let scale = want.map(abs).max()!
        #expect(zip(stepwise, want).allSatisfy { abs($0 - $1) <= 1e-4 * scale }, "largest difference \(zip(stepwise, want).map { abs($0 - $1) }.max()!) of \(scale)")

        let pruning = SpAttenMethod(schedule: SpAttenSchedule(layers: model.layerCount, tokenRatio: 0.5), quantization: quantization)
        _ = try decode(model, pruning, steps: 12) { cache in
            for l in 0..<model.layerCount { #expect(cache.states[l].quantizedKV?.rows == cache.rows(layer: l)) }
        }
    }
}
