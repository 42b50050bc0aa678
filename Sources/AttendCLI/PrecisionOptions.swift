import ArgumentParser
import AttendEvaluation
import AttendModels
import Foundation

/// `--precision` and the static-scale calibration options every model-running command shares.
struct PrecisionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Arithmetic of the encoder's linear layers: f32 (default); int8 (int8 × int8 → int32 GEMMs — weights symmetric per output channel in 7 bits, activations u8 with a zero point, dequantized to Float32 after each product; attention, LayerNorm, GELU, embeddings, pooler and classifier stay Float32, as ONNX Runtime's dynamic quantization does); integer (I-BERT integer-only inference: the embeddings are quantized once, then int8 GEMMs with int32 sums, i-softmax between Q·Kᵀ and P·V, i-GELU, i-LayerNorm with an integer square root and integer residual adds, all rescaling by dyadic multiply-and-shift, up to the last LayerNorm, which is dequantized for the Float32 pooler and classifier; always static scales calibrated on the train split (--calibration-*); needs hidden_act gelu and --attention tiled or dense).",
        valueName: "p"))
    var precision = "f32"

    @Option(name: .customLong("activation-scales"), help: ArgumentHelp(
        "With --precision int8: dynamic (default; each row's scale and zero point from its own range at run time) or static (one scale and zero point per linear layer, from the input ranges — min and max, 0 included — seen on a calibration split of the task's train set; see --calibration-sentences). --precision integer is always static.",
        valueName: "kind"))
    var activationScalesOption: String?

    var activationScales: String { activationScalesOption ?? (precision == "integer" ? "static" : "dynamic") }

    @Option(name: .long, help: ArgumentHelp("Static scales: train sentences drawn for calibration (default 512).", valueName: "n"))
    var calibrationSentences = 512

    @Option(name: .long, help: ArgumentHelp("Static scales: seed of the calibration draw (default 0).", valueName: "s"))
    var calibrationSeed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp("Static scales: train file in GLUE format (default: ../shared/data/<task>/train.tsv).", valueName: "file"))
    var calibrationTrain: String?

    static let precisions = ["f32", "int8", "integer"]

    func validate() throws {
        guard Self.precisions.contains(precision) else {
            throw ValidationError("--precision: unknown precision '\(precision)'; expected one of \(Self.precisions.joined(separator: ", "))")
        }
        guard ["dynamic", "static"].contains(activationScales) else {
            throw ValidationError("--activation-scales: expected dynamic or static, got '\(activationScales)'")
        }
        if precision == "integer" && activationScales == "dynamic" {
            throw ValidationError("--precision integer needs static scales (integer constants fixed at load): drop --activation-scales dynamic")
        }
        let calibrating = activationScales == "static"
        if precision == "f32" && (activationScalesOption != nil || calibrationTrain != nil) {
            throw ValidationError("--activation-scales and --calibration-* apply to --precision int8 and integer")
        }
        if !calibrating && calibrationTrain != nil { throw ValidationError("--calibration-train applies to --activation-scales static") }
        if calibrationSentences < 1 { throw ValidationError("--calibration-sentences must be at least 1, got \(calibrationSentences)") }
    }

    /// A short name of the setting: f32, int8-dynamic, int8-static or integer.
    var name: String { precision == "int8" ? "int8-\(activationScales)" : precision }

    /// `classifier` at the chosen precision; static scales are calibrated here (progress on stderr).
    func apply(to classifier: Classifier, task: GLUETask) throws -> Classifier {
        guard precision != "f32" else { return classifier }
        guard activationScales == "static" else { return try classifier.quantized(.dynamic) }
        let trainURL = try calibrationTrain.map { URL(fileURLWithPath: $0) }
            ?? Bundled.root().deletingLastPathComponent().appendingPathComponent("shared/data/\(task.rawValue)/train.tsv")
        let examples = try task.load(trainURL)
        let split = calibrationSplit(examples, count: min(calibrationSentences, examples.count), seed: calibrationSeed)
        printError("\(precision) static scales: calibrating on \(split.count) sentences of \(trainURL.path) (seed \(calibrationSeed))")
        let ranges = try classifier.calibrateActivations(split.map(\.text))
        do {
            return precision == "integer" ? try classifier.integerOnly(ranges) : try classifier.quantized(.calibrated(ranges))
        } catch let error as QuantizationError { throw CLIError("--precision \(precision): \(error)") }
    }
}
