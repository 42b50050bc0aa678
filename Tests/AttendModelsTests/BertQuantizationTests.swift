import AttendAttention
import AttendKernels
import AttendModels
import Foundation
import Testing

private let goldens = Bundle.module.url(forResource: "Goldens", withExtension: nil)!

/// Int8 linears add per product a relative error of about ½·(1/255 + 1/63) of the operands' ranges
/// (u8 activations, 7-bit weights); through the tiny model's 2 layers × 4 linears, with LayerNorm
/// re-normalizing after each sublayer, the logits move by a few percent of their size. 10 % of the
/// largest |logit| (plus 0.02) leaves margin and fails for a wrong scale, zero point or column sum,
/// which change the logits by O(1).
private func int8Tolerance(_ logits: [Float]) -> Double { 0.1 * Double(logits.map(abs).max() ?? 0) + 0.02 }

@Suite("BERT on the int8 GEMM")
struct BertQuantizationTests {
    let batch = [[2, 17, 40, 5, 3], [2, 9, 3], [2, 60, 61, 62, 63, 64, 65, 3]]

    @Test("dynamic and calibrated static int8 logits stay near Float32; precision names")
    func nearFloat() throws {
        let model = try BertModel(directory: goldens.appendingPathComponent("tiny-bert-f32"))
        #expect(model.precision == "f32")
        let reference = try model.forward(batch).logits.data
        let dynamic = try model.quantized(.dynamic)
        #expect(dynamic.precision == "int8-dynamic")
        let ranges = try model.calibrateActivations([batch])
        #expect(ranges.layers.count == model.config.numHiddenLayers && ranges.sentences == 3)
        #expect(ranges.layers.allSatisfy { $0.count == 4 && $0.allSatisfy { $0.min < 0 && $0.max > 0 } })
        let fixed = try model.quantized(.calibrated(ranges))
        #expect(fixed.precision == "int8-static")
        for (name, q) in [("dynamic", dynamic), ("static", fixed)] {
            for threads in [1, 2] {
                Parallel.threads = threads
                let got = try q.forward(batch).logits.data
                let err = zip(got, reference).map { abs(Double($0) - Double($1)) }.max()!
                #expect(err <= int8Tolerance(reference), "\(name) threads \(threads): max |Δlogit| \(err)")
                #expect(got != reference, "\(name): int8 logits equal Float32's bit for bit — the int8 path did not run")
                // logits(_:) (the [CLS]-only last layer) agrees with forward on the int8 path too.
                let fast = try q.logits(batch).logits.data
                #expect(zip(fast, got).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }, "\(name): logits vs forward")
            }
        }
    }

    /// The int8 path quantizes each product's input inside the pass that writes it (embeddings, LayerNorm,
    /// GELU), split by thread count; on the tiny model (F = 37, rows of odd width) the results must not
    /// depend on that split. (Bit-identity with the unfused path was checked when it was fused: BENCHMARKS.md.)
    @Test("int8 forward and logits are bit-identical across 1, 2 and 3 threads (dynamic and static)")
    func threadIndependent() throws {
        let model = try BertModel(directory: goldens.appendingPathComponent("tiny-bert-f32"))
        defer { Parallel.threads = Parallel.defaultThreads }
        for q in [try model.quantized(.dynamic), try model.quantized(.calibrated(try model.calibrateActivations([batch])))] {
            var outputs: [[Float]] = []
            for threads in [1, 2, 3] {
                Parallel.threads = threads
                let f = try q.forward(batch)
                outputs.append(f.lastHiddenState.data + f.logits.data + (try q.logits(batch).logits.data))
            }
            #expect(outputs[1] == outputs[0] && outputs[2] == outputs[0], "\(q.precision): outputs depend on the thread count")
        }
    }

    @Test("a quantized model cannot be quantized again; ranges must match the layers")
    func errors() throws {
        let model = try BertModel(directory: goldens.appendingPathComponent("tiny-bert-f32"))
        let q = try model.quantized()
        #expect(throws: QuantizationError.alreadyQuantized) { try q.quantized() }
        #expect(throws: QuantizationError.alreadyQuantized) { try q.calibrateActivations([batch]) }
        #expect(throws: QuantizationError.noCalibrationSentences) { try model.calibrateActivations([]) }
        let short = BertActivationRanges(layers: [[ActivationRange](repeating: ActivationRange(min: -1, max: 1), count: 4)], sentences: 1)
        #expect(throws: QuantizationError.rangesDoNotMatch(layers: 1, expected: model.config.numHiddenLayers)) { try model.quantized(.calibrated(short)) }
    }

    @Test("static quantization of a range: scale and zero point")
    func rangeQuantization() {
        #expect(ActivationRange(min: -1, max: 3).quantization == .fixed(scale: 4 / 255, zero: 64))
        #expect(ActivationRange(min: 2, max: 3).quantization == .fixed(scale: 3 / 255, zero: 0))  // 0 is always inside
        #expect(ActivationRange(min: 0, max: 0).quantization == .fixed(scale: 1, zero: 0))
    }
}
