import AttendAttention
import AttendKernels
import AttendModels
import Foundation
import Testing

/// What `scripts/make_reference_goldens.py` writes next to each tiny checkpoint (float64 outputs).
private struct Golden: Decodable {
    let lengths: [Int]
    let input_ids: [[Int]]
    let last_hidden_state: [[[Double]]]  // [B][length_b][D], real positions only
    let hidden_states: [[[Double]]]      // embeddings + every layer, first sequence: [L+1][length_0][D]
    let pooled: [[Double]]               // [B][D]
    let logits: [[Double]]               // [B][labels]
}

private let goldens = Bundle.module.url(forResource: "Goldens", withExtension: nil)!

/// Float32 forward vs the float64 reference: GEMM accumulation over K ≤ 48 with O(1) weights,
/// the polynomial exp/erf (≤ 2e-7) and two LayerNorms per layer give errors near 1e-6 on O(1)
/// activations; 2e-5 leaves margin and still catches a wrong mask, transpose or missed bias.
private let float32Tolerance = 2e-5

private func maxError(_ got: ArraySlice<Float>, _ want: [Double]) -> Double {
    zip(got, want).map { abs(Double($0) - $1) }.max() ?? 0
}

@Suite("BERT forward vs PyTorch goldens")
struct BertModelTests {
    @Test("tiny checkpoints: hidden states, pooled output and logits",
          arguments: ["tiny-bert-f32", "tiny-bert-f16", "tiny-bert-bf16", "tiny-bert-legacy"])
    func matchesReference(name: String) throws {
        let dir = goldens.appendingPathComponent(name)
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: dir.appendingPathComponent("golden.json")))
        let model = try BertModel(directory: dir)
        let batch = zip(golden.input_ids, golden.lengths).map { Array($0.prefix($1)) }
        for threads in [1, 2] {
            Parallel.threads = threads
            let out = try model.forward(batch, collectHiddenStates: true)
            let (t, d, l) = (golden.lengths.max()!, model.config.hiddenSize, model.config.numLabels)
            for (b, n) in golden.lengths.enumerated() {
                let hidden = out.lastHiddenState.data[(b * t * d)..<(b * t * d + n * d)]
                #expect(maxError(hidden, golden.last_hidden_state[b].flatMap { $0 }) <= float32Tolerance, "\(name) sequence \(b) last hidden state")
                #expect(maxError(out.pooled.data[(b * d)..<(b * d + d)], golden.pooled[b]) <= float32Tolerance, "\(name) pooled \(b)")
                #expect(maxError(out.logits.data[(b * l)..<(b * l + l)], golden.logits[b]) <= float32Tolerance, "\(name) logits \(b)")
            }
            let logitsOnly = try model.logits(batch)
            #expect(maxError(logitsOnly.logits.data[...], out.logits.data.map(Double.init)) <= 1e-6, "\(name): logits(_:) vs forward(_:).logits")
            let dense = try model.forward(batch, attention: DenseMethod())
            #expect(maxError(dense.lastHiddenState.data[...], out.lastHiddenState.data.map(Double.init)) <= 1e-5, "\(name): dense vs tiled attention")
            #expect(out.hiddenStates.count == golden.hidden_states.count)
            let n0 = golden.lengths[0]
            for (layer, want) in golden.hidden_states.enumerated() {
                #expect(maxError(out.hiddenStates[layer].data[0..<(n0 * d)], want.flatMap { $0 }) <= float32Tolerance, "\(name) hidden state \(layer)")
            }
        }
        Parallel.threads = Parallel.defaultThreads
    }

    @Test("a config that disagrees with the tensors names the tensor and both shapes")
    func configTensorMismatch() throws {
        let dir = goldens.appendingPathComponent("tiny-bert-f32")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("config.json"))) as! [String: Any]
        json["intermediate_size"] = 40
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("attend-mismatch-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        try JSONSerialization.data(withJSONObject: json).write(to: tmp.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: dir.appendingPathComponent("model.safetensors"), to: tmp.appendingPathComponent("model.safetensors"))
        let error = #expect(throws: ModelFileError.self) { try BertModel(directory: tmp) }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("intermediate.dense.weight") && message.contains("40") && message.contains("37"), "\(message)")
    }

    @Test("inputs the model cannot take are rejected with the input named")
    func badInputs() throws {
        let model = try BertModel(directory: goldens.appendingPathComponent("tiny-bert-f32"))
        #expect(throws: ModelError.sequenceTooLong(length: 41, maximum: 40, sequence: 1)) { try model.forward([[2], [Int](repeating: 5, count: 41)]) }
        #expect(throws: ModelError.tokenOutOfRange(id: 128, vocabularySize: 128, sequence: 0)) { try model.forward([[2, 128]]) }
        #expect(throws: ModelError.emptySequence(sequence: 0)) { try model.forward([[]]) }
    }

    @Test("sanitize maps legacy names and rejects collisions")
    func missingTensor() throws {
        let dir = goldens.appendingPathComponent("tiny-bert-f32")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("config.json"))) as! [String: Any]
        json["num_hidden_layers"] = 3
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("attend-missing-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        try JSONSerialization.data(withJSONObject: json).write(to: tmp.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: dir.appendingPathComponent("model.safetensors"), to: tmp.appendingPathComponent("model.safetensors"))
        let error = #expect(throws: ModelError.self) { try BertModel(directory: tmp) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("bert.encoder.layer.2."))
    }
}
