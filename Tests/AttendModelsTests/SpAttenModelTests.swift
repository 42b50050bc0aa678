import AttendAttention
import AttendModels
import Foundation
import Testing

@Suite("SpAtten inside BERT: pruned rows leave the layer, batches re-pad")
struct SpAttenModelTests {
    private let goldens = Bundle.module.url(forResource: "Goldens", withExtension: nil)!
    private let batch = [[2, 17, 33, 50, 9, 3, 41, 12, 7, 3], [2, 40, 3], [2, 5, 6, 7, 8, 9, 3]]

    @Test("every ratio 0: the tiled method's logits, bit for bit")
    func degenerate() throws {
        let model = try BertModel(directory: goldens.appendingPathComponent("tiny-bert-f32"))
        let spatten = SpAttenMethod(schedule: SpAttenSchedule(layers: model.config.numHiddenLayers))
        #expect(try model.logits(batch, attention: spatten).logits == model.logits(batch, attention: TiledMethod()).logits)
    }

    @Test("token pruning: each sequence's logits and kept rows are those it gets alone (compaction and re-padding are per sequence)")
    func batchInvariant() throws {
        let model = try BertModel(directory: goldens.appendingPathComponent("tiny-bert-f32"))
        let layers = model.config.numHiddenLayers
        let spatten = SpAttenMethod(schedule: SpAttenSchedule(layers: layers, tokenRatio: 0.5, headRatio: 0.5))
        let together = try model.forward(batch, attention: spatten)
        let labels = model.config.numLabels
        for (b, ids) in batch.enumerated() {
            let alone = try model.forward([ids], attention: spatten)
            for c in 0..<labels { #expect(abs(together.logits.data[b * labels + c] - alone.logits.data[c]) <= 1e-5, "sequence \(b)") }
            for l in 0..<layers { #expect(together.workloads[l][b] == alone.workloads[l][0], "sequence \(b) layer \(l)") }
            let expected = SpAttenSchedule.keptCount(ratio: 0.5, of: ids.count)
            #expect(together.workloads[layers - 1][b][0].keys == expected, "sequence \(b): keys of the last layer")
        }
        // The last hidden state holds only the survivors: [B, T', D] with T' the longest survivor.
        #expect(together.lastHiddenState.shape == [3, SpAttenSchedule.keptCount(ratio: 0.5, of: 10), model.config.hiddenSize])
    }
}
