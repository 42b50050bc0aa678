import ArgumentParser
import AttendAttention
import AttendEvaluation
import AttendKernels
import AttendModels
import AttendTokenizers
import Foundation

/// `attend search spatten`: SpAtten's token ratio, head ratio and quantization for the least DRAM traffic within a budget.
struct SearchSpAtten: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spatten",
        abstract: "Calibrate SpAtten: sweep token ratio × head ratio × quantization; keep the setting with the least DRAM traffic within the budget.",
        discussion: """
            Encoders (--task sst2|cola --max-drop D [--confidence C]): every setting of the grid classifies --calibration \
            sentences drawn with --seed from the task's train set (../shared/data/<task>/train.tsv, or --train); it passes \
            when its score (accuracy or MCC × 100) is at least dense − D (and, with C > 0, its bootstrapped drop's C-quantile \
            is at most D). Decoders (--max-ppl-increase PCT, --model a GGUF or decoder directory): every setting scores \
            --file (default ../shared/data/wikitext2/valid.txt) with llama-perplexity's chunks, stepwise so that the KV cache \
            is pruned as in generation; it passes when its perplexity is at most dense × (1 + PCT/100). Traffic: the DRAM bytes \
            SpAtten's fetches move, summed from the run's records (Q, K MSBs, K LSBs of heads that requantized, the V rows kept), \
            as `attend cost` counts them. The degenerate setting (all 0, Float32) is always tried first and is kept when \
            nothing else passes. The plan records every setting with its score, traffic and verdict.
            """)

    @Option(name: .long, help: "Encoders: the task, sst2 or cola.")
    var task: GLUETask?

    @Option(name: .long, help: ArgumentHelp("Encoders: largest allowed drop of the calibration score, in points.", valueName: "points"))
    var maxDrop: Double?

    @OptionGroup(title: "Encoders: the calibration split") var sampling: TrainSplitOptions

    @Option(name: .long, help: ArgumentHelp("Decoders: largest allowed perplexity increase over dense, in percent.", valueName: "pct"))
    var maxPplIncrease: Double?

    @Option(name: [.customShort("f"), .long], help: ArgumentHelp("Decoders: calibration text (default ../shared/data/wikitext2/valid.txt).", valueName: "file"))
    var file: String?

    @Option(name: [.customShort("c"), .long], help: ArgumentHelp("Decoders: tokens per perplexity chunk.", valueName: "n"))
    var context = 256

    @Option(name: .long, help: ArgumentHelp("Decoders: chunks scored.", valueName: "n"))
    var chunks = 2

    @Option(name: .long, help: ArgumentHelp(
        "Decoders: candidate recent windows W of KV-cache pruning, each a grid dimension for the settings that prune tokens (comma-separated "
            + "integers ≥ 0; default \(SpAttenMethod.defaultRecentWindow)).", valueName: "list"))
    var spattenRecent: String?

    @Option(name: [.customShort("m"), .long], help: ArgumentHelp(
        "Encoders: a Hugging Face BERT directory (default: the bundled model of the task); decoders: a GGUF file or decoder directory (default: the bundled SmolLM2).",
        valueName: "path"))
    var model: String?

    @Option(name: [.customShort("t"), .long], help: ArgumentHelp("Worker threads for all kernels (default: all cores).", valueName: "n"))
    var threads: Int?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Candidate r_avg values in [0, 1) (comma-separated).", valueName: "list"))
    var tokenRatios = "0,0.05,0.1,0.2,0.3"

    @Option(name: .long, help: ArgumentHelp("Each r_avg ramps from r_start = ramp·r_avg to r_end = (2 − ramp)·r_avg; 1 is a flat schedule.", valueName: "f"))
    var ramp = 0.25

    @Option(name: .long, help: ArgumentHelp("Candidate head ratios in [0, 1) (comma-separated).", valueName: "list"))
    var headRatios = "0,0.1,0.2,0.35"

    @Option(name: .long, help: ArgumentHelp(
        "Candidate quantizations (comma-separated): none (Float32) or KEY+LSB@THRESHOLD, e.g. 6+4@0.1 (Q and V at KEY + LSB bits).", valueName: "list"))
    var quantizations = "none,4+4@0.1,6+4@0.1,8+4@0.1"

    @Option(name: .long, help: ArgumentHelp("Where to write the plan (JSON).", valueName: "file"))
    var out: String

    private static func numbers(_ list: String, in range: Range<Double>) -> [Double]? {
        let parsed = list.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0.map(range.contains) == true }) else { return nil }
        return parsed.map { $0! }
    }

    /// Comma-separated windows W ≥ 0.
    private static func windows(_ list: String) -> [Int?]? {
        let parsed = list.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parsed.isEmpty, parsed.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
        return parsed
    }

    /// `none` or `KEY+LSB@THRESHOLD`.
    private static func quantizations(_ list: String) -> [ProgressiveQuantization?]? {
        var result: [ProgressiveQuantization?] = []
        for item in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if item == "none" { result.append(nil); continue }
            let parts = item.split(separator: "@")
            guard parts.count == 2, let threshold = Double(parts[1]), (0...1).contains(threshold) else { return nil }
            let bits = parts[0].split(separator: "+").map { Int($0) }
            guard bits.count == 2, let key = bits[0], let lsb = bits[1], key >= 2, lsb >= 0, key + lsb <= 24 else { return nil }
            result.append(ProgressiveQuantization(keyBits: key, lsbBits: lsb, threshold: threshold))
        }
        return result.isEmpty ? nil : result
    }

    func validate() throws {
        switch (task, maxDrop, maxPplIncrease) {
        case (.some, .some(let drop), nil):
            if drop < 0 { throw ValidationError("--max-drop must be ≥ 0, got \(drop)") }
            if file != nil || spattenRecent != nil { throw ValidationError("--file and --spatten-recent apply to a decoder search (--max-ppl-increase)") }
        case (nil, nil, .some(let increase)):
            if increase < 0 { throw ValidationError("--max-ppl-increase must be ≥ 0, got \(increase)") }
            if context < 4 { throw ValidationError("--context must be at least 4, got \(context)") }
            if chunks < 1 { throw ValidationError("--chunks must be at least 1, got \(chunks)") }
            if let spattenRecent, Self.windows(spattenRecent) == nil {
                throw ValidationError("--spatten-recent: expected comma-separated integers ≥ 0, got '\(spattenRecent)'")
            }
            if sampling.train != nil || sampling.confidence != 0 { throw ValidationError("--train and --confidence apply to an encoder search (--task, --max-drop)") }
        case (_, _, .some):
            throw ValidationError("give --task and --max-drop (encoders) or --max-ppl-increase (decoders), not both")
        default:
            throw ValidationError("give --task sst2|cola with --max-drop D (encoders), or --max-ppl-increase PCT (decoders)")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard Self.numbers(tokenRatios, in: 0..<1) != nil else { throw ValidationError("--token-ratios: expected comma-separated numbers in [0, 1), got '\(tokenRatios)'") }
        guard Self.numbers(headRatios, in: 0..<1) != nil else { throw ValidationError("--head-ratios: expected comma-separated numbers in [0, 1), got '\(headRatios)'") }
        guard (0...1).contains(ramp) else { throw ValidationError("--ramp must be in [0, 1], got \(ramp)") }
        guard Self.numbers(tokenRatios, in: 0..<1)!.allSatisfy({ (2 - ramp) * $0 < 1 }) else {
            throw ValidationError("--token-ratios with --ramp \(ramp): r_end = (2 − ramp)·r_avg must stay below 1")
        }
        guard Self.quantizations(quantizations) != nil else {
            throw ValidationError("--quantizations: expected comma-separated 'none' or KEY+LSB@THRESHOLD (2 ≤ KEY, KEY + LSB ≤ 24, threshold in [0, 1]), got '\(quantizations)'")
        }
    }

    /// The plan file: a spatten plan plus the search's record.
    struct PlanFile: Encodable {
        let method = "spatten"
        let token_ratio: Double, token_ratio_start: Double, head_ratio: Double
        let quantization: ProgressiveQuantization?
        let recent_window: Int?
        let search: Record

        struct Record: Encodable {
            let model: String, data: String
            let task: String?, calibration: Int?, seed: UInt64?, max_drop: Double?, confidence: Double?
            let max_ppl_increase: Double?, context: Int?, chunks: Int?
            let metric: String, baseline: Double, score: Double, dram_bytes: Int, dense_dram_bytes: Int
            let order: String
            let trace: [SpAttenSearchStep]
        }
    }

    func run() throws {
        try applyKernelConfigEnvironment()
        if let threads { Parallel.threads = threads }
        let windows: [Int?] = maxPplIncrease == nil ? [nil] : Self.windows(spattenRecent ?? "\(SpAttenMethod.defaultRecentWindow)")!
        let candidates = SpAttenCandidate.grid(tokenRatios: Self.numbers(tokenRatios, in: 0..<1)!, ramp: ramp, headRatios: Self.numbers(headRatios, in: 0..<1)!,
                                               quantizations: Self.quantizations(quantizations)!, recentWindows: windows)
        let order = "the grid token_ratio × head_ratio × quantization" + (maxPplIncrease == nil ? "" : " × recent_window (settings that prune tokens)")
            + ", the degenerate setting first; the passing setting with the least DRAM bytes wins"
        let outcome: SpAttenSearchOutcome
        let record: PlanFile.Record
        if let task, let maxDrop {
            let directory = try model.map { URL(fileURLWithPath: $0) } ?? Bundled.model(for: task)
            let (split, trainURL) = try sampling.split(for: task)
            let classifier = try Classifier(directory: directory)
            printError("search spatten: \(split.count) calibration sentences from \(trainURL.path) (seed \(sampling.seed)), \(candidates.count) settings")
            outcome = try SpAttenSearch(classifier: classifier, task: task, calibration: split, criterion: sampling.criterion(maxDrop: maxDrop), candidates: candidates)
                .run { printError("  " + $0) }
            record = .init(model: Bundled.recordedPath(directory), data: Bundled.recordedPath(trainURL), task: task.rawValue, calibration: split.count, seed: sampling.seed, max_drop: maxDrop,
                           confidence: sampling.confidence, max_ppl_increase: nil, context: nil, chunks: nil, metric: task.metricName,
                           baseline: outcome.baseline, score: outcome.chosen.score, dram_bytes: outcome.chosen.traffic,
                           dense_dram_bytes: outcome.trace[0].traffic, order: order, trace: outcome.trace)
        } else {
            let increase = maxPplIncrease!
            let bundle = try DecoderBundle.load(path: model ?? Bundled.decoderModel().path)
            guard let tokenizer = bundle.tokenizer else { throw CLIError("\(bundle.path): no tokenizer (vocab.json + merges.txt) beside the model") }
            let path = try file ?? Bundled.root().deletingLastPathComponent().appendingPathComponent("shared/data/wikitext2/valid.txt").path
            var text = try readText(path)
            if text.hasSuffix("\n") { text.removeLast() }
            let tokens = tokenizer.encode(text, addSpecial: true)
            printError("search spatten: \(path), \(chunks) chunks of \(context) tokens, stepwise, \(candidates.count) settings")
            let search = SpAttenDecoderSearch(model: bundle.model, tokens: tokens, context: context, chunks: chunks, bos: bundle.addBOS ? tokenizer.bos : nil,
                                              maxIncrease: increase, candidates: candidates)
            do { outcome = try search.run { printError("  " + $0) } } catch let failure as Perplexity.Failure { throw CLIError("\(path): \(failure)") }
            record = .init(model: Bundled.recordedPath(URL(fileURLWithPath: bundle.path)), data: Bundled.recordedPath(URL(fileURLWithPath: path)), task: nil, calibration: nil, seed: nil, max_drop: nil, confidence: nil,
                           max_ppl_increase: increase, context: context, chunks: chunks, metric: "perplexity",
                           baseline: outcome.baseline, score: outcome.chosen.score, dram_bytes: outcome.chosen.traffic,
                           dense_dram_bytes: outcome.trace[0].traffic, order: order, trace: outcome.trace)
        }
        let s = outcome.chosen.setting
        try writePlan(PlanFile(token_ratio: s.tokenRatio, token_ratio_start: s.tokenRatioStart, head_ratio: s.headRatio, quantization: s.quantization,
                               recent_window: s.recentWindow, search: record), to: out)
        print(String(format: "%@ · %@ %.2f → %.2f on calibration · DRAM %.2f× less · plan %@", s.summary, record.metric, outcome.baseline,
                     outcome.chosen.score, Double(record.dense_dram_bytes) / Double(max(record.dram_bytes, 1)), out))
    }
}
