import ArgumentParser
import AttendEvaluation
import AttendModels
import Foundation

/// `--precision` and the static-scale calibration options every model-running command shares.
struct PrecisionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Arithmetic of the encoder's linear layers: f32 (default); int8 (int8 × int8 → int32 GEMMs — weights symmetric per output channel in 7 bits, activations u8 with a zero point, dequantized to Float32 after each product; attention, LayerNorm, GELU, embeddings, pooler and classifier stay Float32, as ONNX Runtime's dynamic quantization does); integer (I-BERT integer-only inference: not available yet, an error).",
        valueName: "p"))
    var precision = "f32"

    @Option(name: .long, help: ArgumentHelp(
        "With --precision int8: dynamic (default; each row's scale and zero point from its own range at run time) or static (one scale and zero point per linear layer, from the input ranges — min and max, 0 included — seen on a calibration split of the task's train set; see --calibration-sentences).",
        valueName: "kind"))
    var activationScales = "dynamic"

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
        if precision == "integer" {
            throw ValidationError("--precision integer (I-BERT integer-only inference) is not implemented in this build; use f32 or int8")
        }
        guard ["dynamic", "static"].contains(activationScales) else {
            throw ValidationError("--activation-scales: expected dynamic or static, got '\(activationScales)'")
        }
        let calibrating = activationScales == "static"
        if precision != "int8" && (activationScales != "dynamic" || calibrationTrain != nil) {
            throw ValidationError("--activation-scales and --calibration-* apply to --precision int8")
        }
        if !calibrating && calibrationTrain != nil { throw ValidationError("--calibration-train applies to --activation-scales static") }
        if calibrationSentences < 1 { throw ValidationError("--calibration-sentences must be at least 1, got \(calibrationSentences)") }
    }

    /// A short name of the setting: f32, int8-dynamic or int8-static.
    var name: String { precision == "int8" ? "int8-\(activationScales)" : precision }

    /// `classifier` at the chosen precision; static scales are calibrated here (progress on stderr).
    func apply(to classifier: Classifier, task: GLUETask) throws -> Classifier {
        guard precision == "int8" else { return classifier }
        guard activationScales == "static" else { return try classifier.quantized(.dynamic) }
        let trainURL = try calibrationTrain.map { URL(fileURLWithPath: $0) }
            ?? Bundled.root().deletingLastPathComponent().appendingPathComponent("shared/data/\(task.rawValue)/train.tsv")
        let examples = try task.load(trainURL)
        let split = calibrationSplit(examples, count: min(calibrationSentences, examples.count), seed: calibrationSeed)
        printError("int8 static scales: calibrating on \(split.count) sentences of \(trainURL.path) (seed \(calibrationSeed))")
        return try classifier.quantized(.calibrated(try classifier.calibrateActivations(split.map(\.text))))
    }
}
