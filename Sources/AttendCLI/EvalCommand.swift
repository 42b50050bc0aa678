import ArgumentParser
import AttendAttention
import AttendEvaluation
import AttendHardware
import AttendKernels
import Foundation

/// Options of an evaluation run on a GLUE file (shared by `eval` and `demo`).
struct EvalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Data file in GLUE format (default: the bundled dev set of the task).", valueName: "file"))
    var data: String?

    @Option(name: .long, help: ArgumentHelp("Evaluate only the first N examples.", valueName: "n"))
    var limit: Int?

    @Option(name: .long, help: ArgumentHelp("Sentences per padded batch (sentences are sorted by length first).", valueName: "n"))
    var batchSize = 16

    @Flag(name: .long, help: "Print one JSON object: task, examples, accuracy, mcc (CoLA), sentences_per_second, seconds, model, threads, batch_size, attention, precision, model_seconds (forward passes), attention_seconds (attention inside them), attention_macs, dense_attention_macs, blocks_kept, blocks_total, heads_pruned, heads_total.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Write one predicted label index per line, in data order.", valueName: "file"))
    var predictions: String?

    @OptionGroup var trace: TraceOptions

    @Option(name: .long, help: ArgumentHelp(
        "Also cost the run's workload on an accelerator from hardware/ (kind hdp or io; see `attend cost --help`): printed after the "
            + "summary, or as the \"cost\" member of --json.", valueName: "file"))
    var cost: String?

    @Option(name: .long, help: ArgumentHelp(
        "Write every GEMM the run did as a SCALE-Sim GEMM topology (`Layer, M, N, K,`): per sentence and layer the Q, K, V and output "
            + "projections and the two FFN matrices, and per head not pruned Q·Kᵀ and P·V with the kept sizes (N = kept keys per query, "
            + "rounded up: ⌈allowed entries / queries⌉).", valueName: "file"))
    var scalesimTopology: String?

    @Flag(name: .long, help: "Also run the Float32 model (tiled attention) on the same data and report kl_vs_f32 (mean KL divergence of the output distributions, KL(p_f32 ‖ p), nats) and agreement_vs_f32 (fraction of equal predictions).")
    var klVsF32 = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
    }
}

/// The JSON summary of an evaluation.
struct EvalSummary: Encodable {
    let task: String, model: String, data: String
    let examples: Int, accuracy: Double, mcc: Double?
    let sentences_per_second: Double, seconds: Double, threads: Int, batch_size: Int
    let attention: String
    /// What the encoder ran on: f32, int8-dynamic, int8-static or integer (`--precision`).
    let precision: String
    /// Wall time of the forward passes (tokenization excluded) and of the attention calls inside them.
    let model_seconds: Double, attention_seconds: Double
    /// Q Kᵀ + P V multiply-adds attention did, and what unmasked dense attention would do on the same inputs.
    let attention_macs: Int, dense_attention_macs: Int
    /// Blocks (key tiles for the tiled kernels, HDP blocks for hdp) kept and in all, and heads pruned of all (sentence × layer × head) heads.
    let blocks_kept: Int, blocks_total: Int, heads_pruned: Int, heads_total: Int
    /// The hardware cost of the run's workload (--cost).
    let cost: CostReport?
    /// --kl-vs-f32: mean KL(p_f32 ‖ p) in nats and the fraction of predictions equal to the Float32 model's.
    let kl_vs_f32: Double?, agreement_vs_f32: Double?
    /// SpAtten: probability rows computed and those that fetched the K LSBs (nil for other methods).
    let spatten_rows: Int?, spatten_requantized_rows: Int?
}

/// Evaluates `task` with the model and options given; prints the summary.
func evaluate(task: GLUETask, model: ModelOptions, options: EvalOptions) throws {
    let directory = try model.resolve(task: task)
    let dataURL = try options.data.map { URL(fileURLWithPath: $0) } ?? Bundled.devSet(for: task)
    var examples = try task.load(dataURL)
    if let limit = options.limit { examples = Array(examples.prefix(limit)) }
    let classifier = try model.precision.apply(to: try Classifier(directory: directory), task: task)

    var bar = ProgressBar(label: "eval \(task.rawValue)")
    let start = DispatchTime.now()
    let ids: [[Int]]
    do { ids = try classifier.encode(examples.map(\.text), truncate: model.truncate) } catch let error as InputError {
        throw CLIError("\(dataURL.path): example \(error.position): \(error.reason) (pass --truncate to cut it)")
    }
    let method = TimedMethod(try model.attentionMethod(layers: classifier.model.config.numHiddenLayers))
    let modelStart = DispatchTime.now()
    let result = try classifier.classify(ids, batchSize: options.batchSize, attention: method) { bar.update($0, $1) }
    let modelSeconds = Double(DispatchTime.now().uptimeNanoseconds - modelStart.uptimeNanoseconds) / 1e9
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9

    let predicted = result.predictions
    var kl: Double? = nil, agreement: Double? = nil
    if options.klVsF32 {
        let reference = try Classifier(directory: directory).classify(ids, batchSize: options.batchSize)
        kl = meanKLDivergence(reference: reference.logits, approximate: result.logits)
        agreement = Double(zip(reference.predictions, predicted).filter { $0 == $1 }.count) / Double(max(1, predicted.count))
    }
    try options.trace.write(result.workloads)
    let hardware = try options.cost.map(loadHardware)
    let traceRecords = result.workloads.enumerated().flatMap { s, layers in
        layers.enumerated().flatMap { l, heads in heads.enumerated().map { TraceRecord(sentence: s, layer: l, head: $0, workload: $1) } }
    }
    let cost = try hardware.map { try costReport($0, records: traceRecords) }
    if let path = options.scalesimTopology {
        let config = classifier.model.config
        try writeSCALESimTopology(traceRecords, hidden: config.hiddenSize, intermediate: config.intermediateSize, to: path)
    }
    let records = result.workloads.lazy.joined().joined()
    let spatten = records.compactMap(\.spatten)
    let metrics = ClassificationMetrics(predictions: predicted, labels: examples.map(\.label))
    if let path = options.predictions {
        let text = predicted.map(String.init).joined(separator: "\n") + "\n"
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw CLIError("\(path): cannot write predictions (\((error as NSError).localizedDescription))")
        }
    }
    let summary = EvalSummary(
        task: task.rawValue, model: directory.path, data: dataURL.path, examples: metrics.examples,
        accuracy: metrics.accuracy, mcc: task == .cola ? metrics.mcc : nil,
        sentences_per_second: Double(metrics.examples) / seconds, seconds: seconds,
        threads: Parallel.threads, batch_size: options.batchSize, attention: method.name, precision: classifier.model.precision,
        model_seconds: modelSeconds, attention_seconds: method.seconds, attention_macs: records.reduce(0) { $0 + $1.qkMACs + $1.pvMACs }, dense_attention_macs: records.reduce(0) { $0 + $1.denseMACs },
        blocks_kept: records.reduce(0) { $0 + $1.blocksKept }, blocks_total: records.reduce(0) { $0 + $1.blocksTotal },
        heads_pruned: records.reduce(0) { $0 + $1.headPruned }, heads_total: records.count, cost: cost,
        kl_vs_f32: kl, agreement_vs_f32: agreement,
        spatten_rows: spatten.isEmpty ? nil : spatten.reduce(0) { $0 + $1.rows },
        spatten_requantized_rows: spatten.isEmpty ? nil : spatten.reduce(0) { $0 + $1.requantizedRows })
    if options.json {
        print(try jsonLine(summary))
    } else {
        print("task \(task.rawValue) · model \(directory.lastPathComponent) · \(classifier.model.precision) · data \(dataURL.path)")
        print("examples \(metrics.examples)")
        if task == .cola { print(String(format: "mcc %.4f", metrics.mcc)) }
        print(String(format: "accuracy %.2f %%", metrics.accuracy * 100))
        print(String(format: "%.1f sentences/s (%.2f s, %d threads, batch %d, %@ attention; tokenization included)",
                     summary.sentences_per_second, seconds, summary.threads, options.batchSize, method.name))
        if let kl, let agreement { print(String(format: "vs f32: KL %.3e nats · %.2f %% equal predictions", kl, agreement * 100)) }
        if let cost { print(cost.text) }
    }
}

/// Writes the GEMMs of a run as a SCALE-Sim GEMM topology (see `--scalesim-topology`).
func writeSCALESimTopology(_ records: [TraceRecord], hidden: Int, intermediate: Int, to path: String) throws {
    var gemms: [(name: String, m: Int, n: Int, k: Int)] = []
    var last: (Int, Int)? = nil
    for r in records {
        let w = r.workload
        if last.map({ $0 != (r.sentence, r.layer) }) ?? true {
            last = (r.sentence, r.layer)
            let n = w.queries, prefix = "s\(r.sentence)_l\(r.layer)"
            for name in ["q", "k", "v", "o"] { gemms.append(("\(prefix)_\(name)_proj", n, hidden, hidden)) }
            gemms.append(("\(prefix)_ffn_up", n, intermediate, hidden))
            gemms.append(("\(prefix)_ffn_down", n, hidden, intermediate))
        }
        guard w.headPruned == 0, w.queries > 0, w.allowedEntries > 0 else { continue }
        let kept = (w.allowedEntries + w.queries - 1) / w.queries, name = "s\(r.sentence)_l\(r.layer)_h\(r.head)"
        gemms.append(("\(name)_qk", w.queries, kept, w.headDim))
        gemms.append(("\(name)_pv", w.queries, w.headDim, kept))
    }
    do { try SCALESimFiles.gemmTopology(gemms).write(toFile: path, atomically: true, encoding: .utf8) } catch {
        throw CLIError("\(path): cannot write the topology (\((error as NSError).localizedDescription))")
    }
}

/// `attend eval`: score a model on a GLUE task.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a model on a GLUE task: accuracy (SST-2), MCC and accuracy (CoLA), sentences/s.")

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "The task: sst2 or cola.")
    var task: GLUETask

    @OptionGroup var options: EvalOptions

    func run() throws { try evaluate(task: task, model: model, options: options) }
}

/// `attend demo`: the bundled SST-2 model on the bundled SST-2 dev set.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate the bundled fine-tuned SST-2 model on the bundled SST-2 dev set (872 sentences).")

    @OptionGroup var model: ModelOptions
    @OptionGroup var options: EvalOptions

    func run() throws { try evaluate(task: .sst2, model: model, options: options) }
}
