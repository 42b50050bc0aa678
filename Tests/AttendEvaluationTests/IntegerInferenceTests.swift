import AttendEvaluation
import AttendKernels
import Foundation
import Testing

/// The integer-only path (I-BERT) on the bundled SST-2 model against its Float32 forward.
@Suite("Integer-only BERT vs Float32 on the bundled SST-2 model", .serialized,
       .enabled(if: FileManager.default.fileExists(atPath: sharedTrainSet(.sst2).path), "../shared/data/sst2/train.tsv is not on this machine"))
struct IntegerInferenceTests {
    /// Logit tolerance: the integer path rounds every activation to 8 bits (7 for weights, keys and
    /// values) through 6 layers, and I-BERT's polynomials add 0.3 % (exp) and 0.018 absolute (GELU);
    /// the measured max |Δlogit| on these 48 sentences (scales from 64 train sentences) is 0.51, with
    /// logits of size ~4, so 1.0 leaves 2× margin and still fails for a wrong scale, zero point or
    /// sign, which move the logits by O(1) or more.
    static let logitTolerance: Float = 1.0

    /// The bundled SST-2 classifier, its integer-only twin with scales from `calibration` train
    /// sentences, and the token ids of the first `sentences` dev sentences.
    static func integerSetup(calibration: Int, sentences: Int) throws -> (Classifier, Classifier, [[Int]]) {
        let classifier = try Classifier(directory: bundledModel(.sst2))
        let train = try GLUETask.sst2.load(sharedTrainSet(.sst2))
        let ranges = try classifier.calibrateActivations(calibrationSplit(train, count: calibration, seed: 0).map(\.text))
        let ids = try classifier.encode(Array(try GLUETask.sst2.load(bundledDevSet(.sst2)).prefix(sentences)).map(\.text), truncate: false)
        return (classifier, try classifier.integerOnly(ranges), ids)
    }

    @Test("logits within 1.0 of Float32, equal predictions where the Float32 margin exceeds twice that, bit-identical across threads")
    func nearFloat() throws {
        let (classifier, integer, ids) = try Self.integerSetup(calibration: 64, sentences: 48)
        let reference = try classifier.classify(ids, batchSize: 16)
        Parallel.threads = 1
        let one = try integer.classify(ids, batchSize: 16)
        Parallel.threads = 2
        defer { Parallel.threads = Parallel.defaultThreads }
        let two = try integer.classify(ids, batchSize: 16)
        #expect(one.logits == two.logits, "integer logits differ between 1 and 2 threads")
        var worst: Float = 0
        for (s, (got, want)) in zip(one.logits, reference.logits).enumerated() {
            let err = zip(got, want).map { abs($0 - $1) }.max()!
            worst = max(worst, err)
            #expect(err <= Self.logitTolerance, "sentence \(s): max |Δlogit| \(err)")
            if abs(want[0] - want[1]) > 2 * Self.logitTolerance {
                #expect(one.predictions[s] == reference.predictions[s], "sentence \(s): prediction flipped with margin \(abs(want[0] - want[1]))")
            }
        }
        #expect(worst > 0, "integer logits equal Float32's: the integer path did not run")
    }

    /// `logits` runs the last layer for the [CLS] rows only; `forward` runs it for every row. Integer
    /// arithmetic is row-wise exact, so the logits must agree to the bit.
    @Test("[CLS]-only last layer: logits(_:) equals forward(_:).logits bit for bit on real sentences")
    func firstRowsOnly() throws {
        let (_, integer, ids) = try Self.integerSetup(calibration: 32, sentences: 40)
        for start in stride(from: 0, to: ids.count, by: 16) {
            let batch = Array(ids[start..<min(start + 16, ids.count)])
            let full = try integer.model.forward(batch).logits.data, cls = try integer.model.logits(batch).logits.data
            #expect(full == cls, "batch at \(start): the [CLS]-only last layer changed the logits")
        }
    }
}
