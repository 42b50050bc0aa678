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
}
