import AttendAttention
import AttendKernels
import AttendModels
import Foundation
import Testing

/// Drops the last token of every sequence after `layer` (never [CLS]).
private struct PruneLastToken: AttentionMethod {
    let layer: Int
    var name: String { "test-prune-last" }
    func attend(layer: Int, _ problems: [AttentionProblem], states: inout [AttentionState]) -> [[HeadWorkload]] {
        let records = TiledAttention.run(problems).map(\.workloads)
        if layer == self.layer {
            for b in states.indices where states[b].positions.count > 1 { states[b].positions.removeLast() }
        }
        return records
    }
}

/// From layer `after + 1` on, hides each sequence's last key from attention (the dense-shaped twin
/// of pruning it: its row still runs through the FFN but nothing reads it).
private struct MaskLastKey: AttentionMethod {
    let after: Int
    var name: String { "test-mask-last" }
    func attend(layer: Int, _ problems: [AttentionProblem], states: inout [AttentionState]) -> [[HeadWorkload]] {
        let masked = problems.map { p -> AttentionProblem in
            guard layer > after, p.keys > 1 else { return p }
            let layout = BlockLayout(blockRows: max(p.queries, 1), blockColumns: 1, queryBlocks: 1, keyBlocks: p.keys,
                                     kept: Array(repeating: Array(repeating: 1, count: p.keys - 1) + [0], count: p.heads))
            return AttentionProblem(q: p.q, ldq: p.ldq, k: p.k, ldk: p.ldk, v: p.v, ldv: p.ldv, out: p.out, ldo: p.ldo,
                                    queries: p.queries, keys: p.keys, heads: p.heads, headDim: p.headDim, mask: AttentionMask(blocks: layout))
        }
        return TiledAttention.run(masked).map(\.workloads)
    }
}

@Suite("Attention methods inside BERT: token pruning, windows")
struct AttentionMethodTests {
    private let goldens = Bundle.module.url(forResource: "Goldens", withExtension: nil)!

    @Test("pruned tokens leave later layers: same logits as masking them, fewer rows computed")
    func pruningEqualsMasking() throws {
        let model = try BertModel(directory: goldens.appendingPathComponent("tiny-bert-f32"))
        let batch = [[2, 17, 33, 50, 9, 3], [2, 40, 3], [2, 3]]
        let pruned = try model.logits(batch, attention: PruneLastToken(layer: 0))
        let masked = try model.logits(batch, attention: MaskLastKey(after: 0))
        for (a, b) in zip(pruned.logits.data, masked.logits.data) { #expect(abs(a - b) <= 1e-5) }
        // Layer 0 sees every token; layer 1 sees one fewer per sequence.
        #expect(pruned.workloads[0].map { $0[0].keys } == [6, 3, 2])
        #expect(pruned.workloads[1].map { $0[0].keys } == [5, 2, 1])
        let unpruned = try model.logits(batch)
        #expect(zip(pruned.logits.data, unpruned.logits.data).contains { abs($0 - $1) > 1e-4 }, "pruning must change something")
    }

    @Test("a window at least as long as the sequence is dense attention")
    func wideWindowIsDense() throws {
        let model = try BertModel(directory: goldens.appendingPathComponent("tiny-bert-f32"))
        let batch = [[2, 17, 33, 50, 9, 3], [2, 40, 3]]
        let dense = try model.forward(batch, attention: DenseMethod())
        let wide = try model.forward(batch, attention: WindowMethod(windows: Array(repeating: 6, count: model.config.numHiddenLayers)))
        let narrow = try model.forward(batch, attention: WindowMethod(windows: Array(repeating: 1, count: model.config.numHiddenLayers)))
        #expect(zip(dense.logits.data, wide.logits.data).allSatisfy { abs($0 - $1) <= 1e-5 })
        #expect(zip(dense.logits.data, narrow.logits.data).contains { abs($0 - $1) > 1e-4 }, "a narrow window must change something")
        #expect(throws: AttentionPlanError.layerCount(windows: 1, layers: model.config.numHiddenLayers)) {
            try model.forward(batch, attention: WindowMethod(windows: [3]))
        }
    }

    @Test("resuming from a checkpoint after k layers gives the logits of a full run")
    func checkpoints() throws {
        let model = try BertModel(directory: goldens.appendingPathComponent("tiny-bert-f32"))
        let batch = [[2, 17, 33, 50, 9, 3], [2, 40, 3]]
        let method = WindowMethod(windows: Array(repeating: 2, count: model.config.numHiddenLayers))
        let full = try model.logits(batch, attention: method)
        for k in 0..<model.config.numHiddenLayers {
            let resumed = try model.logits(resuming: model.checkpoint(batch, layers: k, attention: method), attention: method)
            #expect(resumed.logits == full.logits, "after \(k) layers")
            #expect(resumed.workloads == full.workloads)
        }
        // After every layer (the last one run for all rows) only the head remains: same logits.
        let all = try model.logits(resuming: model.checkpoint(batch, layers: model.config.numHiddenLayers, attention: method), attention: method)
        #expect(zip(all.logits.data, full.logits.data).allSatisfy { abs($0 - $1) <= 1e-6 })
    }
}
