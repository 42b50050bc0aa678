import ArgumentParser
import AttendAttention
import AttendEvaluation
import AttendKernels
import Foundation

/// Options every model-running command shares.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Hugging Face model directory (config.json, model.safetensors, vocab.txt or tokenizer.json).",
        discussion: "Default: the bundled fine-tuned model for the task (models/minilm-l6-sst2 or models/minilm-l6-cola).",
        valueName: "dir"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp("Worker threads for all kernels (default: all cores).", valueName: "n"))
    var threads: Int?

    @Flag(name: .long, help: "Truncate inputs longer than the model's max_position_embeddings (keeping the first tokens and [SEP]) instead of failing.")
    var truncate = false

    @Option(name: .long, help: ArgumentHelp(
        "Attention method: dense (Float32 reference, materialises scores), tiled (exact, FlashAttention-style; default), window (ReBERT: per-layer windows, needs --windows), hdp (hybrid dynamic pruning: integer-proxy block and head pruning; see the HDP options) or spatten (cascade token and head pruning, value pruning, progressive quantization; see the SpAtten options).",
        valueName: "method"))
    var attention: String?

    @Option(name: .long, help: ArgumentHelp(
        "Window half-widths W_l for --attention window, one per layer or one for all (comma-separated); query i attends keys within W_l of i, plus [CLS].",
        valueName: "list"))
    var windows: String?

    @Flag(name: .long, help: "With --attention window: [CLS] attends only its own window (default: it attends every key).")
    var clsLocal = false

    @Option(name: .long, help: ArgumentHelp(
        "Softmax: exact (default) or lut (ReBERT's two-table exponential, 4 integer + 8 fraction bits, 6 LSB bits; other sizes through a plan file); with --attention hdp: polynomial (default; I-BERT's exp and a linear reciprocal) or exact.",
        valueName: "kind"))
    var softmax: String?

    @OptionGroup(title: "HDP (--attention hdp)") var hdp: HDPOptions

    @OptionGroup(title: "Precision") var precision: PrecisionOptions

    @OptionGroup(title: "SpAtten (--attention spatten)") var spatten: SpAttenOptions

    @Option(name: .long, help: ArgumentHelp(
        "JSON plan file choosing the attention method and its settings, e.g. {\"method\": \"window\", \"windows\": [4, 4, 8, 8, 16, 16]}.",
        valueName: "file"))
    var plan: String?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let attention, !AttentionPlan.methods.contains(attention) {
            throw ValidationError("--attention: unknown method '\(attention)'; expected one of \(AttentionPlan.methods.joined(separator: ", "))")
        }
        if attention != nil && plan != nil { throw ValidationError("give either --attention or --plan, not both") }
        if let windows {
            guard attention == "window" else { throw ValidationError("--windows applies to --attention window") }
            guard parsedWindows != nil else { throw ValidationError("--windows: expected comma-separated integers ≥ 0, got '\(windows)'") }
        } else if attention == "window" {
            throw ValidationError("--attention window needs --windows (one per layer, or one for all)")
        }
        if clsLocal && attention != "window" { throw ValidationError("--cls-local applies to --attention window") }
        if attention == "hdp" {
            do { _ = try hdp.plan(softmax: softmax).makeMethod(layers: 1) } catch let error as AttentionPlanError {
                throw ValidationError("--attention hdp: \(error)")
            }
        } else {
            if hdp.given { throw ValidationError("--block-size, --block-ratio, --top-k, --head-threshold, --magnitude-heads and --exact-scores apply to --attention hdp") }
            if let softmax, !["exact", "lut"].contains(softmax) { throw ValidationError("--softmax: expected exact or lut, got '\(softmax)'") }
        }
        if attention == "spatten" {
            do { _ = try spatten.plan().makeMethod(layers: 6) } catch let error as AttentionPlanError {
                throw ValidationError("--attention spatten: \(error)")
            }
        } else if spatten.given {
            throw ValidationError("--token-ratio, --token-ratio-start, --reference-length, --head-ratio, --value-ratio and the quantization options apply to --attention spatten")
        }
        if softmax != nil && plan != nil { throw ValidationError("give the softmax in the plan file, not with --softmax") }
    }

    private var parsedWindows: [Int]? {
        guard let windows else { return nil }
        let values = windows.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        return values.map { $0! }
    }

    /// Applies ATTEND_KERNEL_CONFIG and --threads and returns the model directory (explicit or bundled for the task).
    func resolve(task: GLUETask) throws -> URL {
        try applyKernelConfigEnvironment()
        if let threads { Parallel.threads = threads }
        if let model { return URL(fileURLWithPath: model) }
        return try Bundled.model(for: task)
    }

    /// The bundled or given model for `task` at the chosen --precision (with --threads applied).
    func classifier(task: GLUETask) throws -> Classifier {
        let directory = try resolve(task: task)
        return try precision.apply(to: try Classifier(directory: directory), task: task)
    }

    /// The attention method chosen by --attention (default tiled) or --plan, for a model of `layers` layers.
    func attentionMethod(layers: Int) throws -> any AttentionMethod {
        guard let plan else {
            if attention == "hdp" { return try hdp.plan(softmax: softmax).makeMethod(layers: layers) }
            if attention == "spatten" { return try spatten.plan().makeMethod(layers: layers) }
            let chosen = AttentionPlan(method: attention ?? "tiled", windows: parsedWindows, clsAttendsAll: clsLocal ? false : nil, softmax: softmax)
            return try chosen.makeMethod(layers: layers)
        }
        return try loadPlanMethod(plan, layers: layers)
    }
}

/// The method a JSON plan file describes, for a model of `layers` layers; errors name the file.
func loadPlanMethod(_ path: String, layers: Int) throws -> any AttentionMethod {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw CLIError("\(path): cannot read plan file (\((error as NSError).localizedDescription))")
    }
    do { return try AttentionPlan.load(json: data, source: path).makeMethod(layers: layers) } catch let error as AttentionPlanError {
        if case .malformed = error { throw error }
        throw CLIError("\(path): invalid attention plan: \(error)")
    }
}

/// Where the repository's bundled models and data live: found from the working directory
/// upwards, else from the source checkout this binary was built from.
enum Bundled {
    static func root() throws -> URL {
        let fm = FileManager.default
        var candidates: [URL] = []
        var dir = URL(fileURLWithPath: fm.currentDirectoryPath)
        for _ in 0..<4 { candidates.append(dir); dir.deleteLastPathComponent() }
        // Sources/AttendCLI/Options.swift → repository root.
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent())
        for c in candidates where fm.fileExists(atPath: c.appendingPathComponent("models/minilm-l6-sst2/config.json").path) {
            return c
        }
        throw CLIError("cannot find the bundled models (models/minilm-l6-sst2): run inside the Attend repository or pass --model DIR")
    }

    static func model(for task: GLUETask) throws -> URL {
        try root().appendingPathComponent("models/minilm-l6-\(task.rawValue)")
    }

    static func devSet(for task: GLUETask) throws -> URL {
        try root().appendingPathComponent("data/\(task.rawValue)/dev.tsv")
    }

    /// `url`'s path relative to the repository root (`models/…`, `../shared/data/…`) when it lies
    /// in the repository or beside it, else the absolute path: what plan files record, so that a
    /// plan written in one checkout reads the same in another.
    static func recordedPath(_ url: URL) -> String {
        let path = url.standardizedFileURL.path
        guard let root = try? root().standardizedFileURL.path else { return path }
        if path.hasPrefix(root + "/") { return String(path.dropFirst(root.count + 1)) }
        let parent = (root as NSString).deletingLastPathComponent
        if path.hasPrefix(parent + "/") { return "../" + path.dropFirst(parent.count + 1) }
        return path
    }
}

/// A runtime failure with a message for the user (exit code 1).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension GLUETask: ExpressibleByArgument {}

/// Writes to standard error.
func printError(_ text: String, terminator: String = "\n") {
    FileHandle.standardError.write((text + terminator).data(using: .utf8)!)
}

/// A one-line progress bar on standard error, shown only when it is a terminal.
struct ProgressBar {
    let label: String
    let enabled = isatty(2) != 0
    private var lastDrawn = -1

    init(label: String) { self.label = label }

    mutating func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let percent = done * 100 / total
        guard percent != lastDrawn else { return }
        lastDrawn = percent
        let width = 30, filled = done * width / total
        printError("\r\(label) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(done)/\(total)", terminator: done == total ? "\n" : "")
    }
}

/// Encodes a value as one line of JSON with sorted keys.
func jsonLine<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
