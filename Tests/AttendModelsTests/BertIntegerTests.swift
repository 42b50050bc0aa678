import AttendAttention
import AttendKernels
import AttendModels
import Foundation
import Testing

private let goldens = Bundle.module.url(forResource: "Goldens", withExtension: nil)!

@Suite("BERT integer-only (I-BERT) on the tiny model")
struct BertIntegerTests {
    let batch = [[2, 17, 40, 5, 3], [2, 9, 3], [2, 60, 61, 62, 63, 64, 65, 3]]

    @Test("integer logits are deterministic across threads and rebuilds, and differ from Float32")
    func deterministic() throws {
        let model = try BertModel(directory: goldens.appendingPathComponent("tiny-bert-f32"))
        let ranges = try model.calibrateActivations([batch])
        #expect(ranges.integer?.count == model.config.numHiddenLayers)
        let integer = try model.integerOnly(ranges)
        #expect(integer.precision == "integer")
        var results: [[Float]] = []
        for threads in [1, 2] {
            Parallel.threads = threads
            results.append(try integer.forward(batch).logits.data)
            results.append(try model.integerOnly(ranges).logits(batch).logits.data)
        }
        #expect(results.allSatisfy { $0 == results[0] }, "integer arithmetic is exact: thread count and rebuilds must not change a bit")
        #expect(results[0] != (try model.forward(batch).logits.data), "integer logits equal Float32's: the integer path did not run")
    }

    @Test("what cannot run integer-only is a clear error")
    func errors() throws {
        let model = try BertModel(directory: goldens.appendingPathComponent("tiny-bert-f32"))
        let ranges = try model.calibrateActivations([batch])
        let integer = try model.integerOnly(ranges)
        #expect(throws: QuantizationError.alreadyQuantized) { try integer.integerOnly(ranges) }
        #expect(throws: QuantizationError.alreadyQuantized) { try integer.quantized() }
        let old = BertActivationRanges(layers: ranges.layers, sentences: ranges.sentences)
        #expect { try model.integerOnly(old) } throws: { "\($0)".contains("recalibrate") }
        #expect { try integer.forward(batch, attention: WindowMethod(windows: [1, 1])) } throws: { "\($0)".contains("--attention window") }
        var relu = model.config
        relu.hiddenAct = "relu"
        let file = try SafeTensorsFile(contentsOf: goldens.appendingPathComponent("tiny-bert-f32/model.safetensors"))
        #expect { try BertModel(config: relu, file: file).integerOnly(ranges) } throws: { "\($0)".contains("hidden_act 'relu'") }
    }
}
