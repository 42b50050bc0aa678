import ArgumentParser
import AttendAttention
import AttendEvaluation
import Foundation

/// `attend search`: settings searches that write plan files.
struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search a method's settings on a calibration split of the train set and write a plan file.",
        subcommands: [SearchWindows.self, SearchHDP.self, SearchSpAtten.self])
}

/// `attend search windows`: ReBERT's greedy per-layer window search.
struct SearchWindows: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "windows",
        abstract: "ReBERT's greedy window search: the smallest uniform window, then each layer shrunk in turn (first to last).",
        discussion: """
            The calibration split is --calibration sentences drawn with --seed from the task's train set \
            (../shared/data/<task>/train.tsv beside the repository, or --train FILE); dev sets are never used. \
            The score is accuracy (SST-2) or MCC (CoLA) in points; a setting passes when it scores at least \
            baseline − --max-drop (and, with --confidence c, when the c-quantile of its bootstrapped drop is at most \
            --max-drop). The plan records the windows, the calibration score before and after, every \
            window tried with its score, and the fractions of Q·Kᵀ inner products and softmax exponentials removed.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var calibration: CalibrationOptions

    @Option(name: .long, help: ArgumentHelp("Candidate windows (comma-separated).", valueName: "list"))
    var candidates = "1,2,4,8,16,32"

    func validate() throws {
        guard parsedCandidates != nil else { throw ValidationError("--candidates: expected comma-separated integers ≥ 0, got '\(candidates)'") }
        if model.attention != nil || model.plan != nil { throw ValidationError("the search chooses the windows: --attention and --plan do not apply") }
    }

    private var parsedCandidates: [Int]? {
        let values = candidates.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        return values.map { $0! }
    }

    /// The plan file: a window plan plus the search's record.
    struct PlanFile: Encodable {
        let method = "window"
        let windows: [Int]
        let cls_attends_all: Bool
        let search: Record

        struct Record: Encodable {
            let task: String, model: String, train: String
            let calibration: Int, seed: UInt64, max_drop: Double, confidence: Double, candidates: [Int]
            let metric: String, baseline: Double, score: Double
            /// Layers no candidate could shrink keep this window (longer than any input).
            let unbounded_window: Int
            let order: String
            let inner_products_removed: Double, softmax_exponentials_removed: Double
            let trace: [WindowSearch.Step]
        }
    }

    func run() throws {
        let (task, maxDrop, out) = (calibration.task, calibration.maxDrop, calibration.out)
        let directory = try model.resolve(task: task)
        let (split, trainURL) = try calibration.split()
        let classifier = try model.precision.apply(to: try Classifier(directory: directory), task: task)
        let search = WindowSearch(classifier: classifier, task: task, calibration: split, candidates: parsedCandidates!, criterion: calibration.criterion)
        printError("search windows: \(split.count) calibration sentences from \(trainURL.path) (seed \(calibration.sampling.seed))")
        let outcome = try search.run { printError("  " + $0) }
        let unbounded = 1 << 20
        let plan = PlanFile(
            windows: outcome.windows.map { $0 ?? unbounded }, cls_attends_all: true,
            search: .init(task: task.rawValue, model: Bundled.recordedPath(directory), train: Bundled.recordedPath(trainURL), calibration: split.count, seed: calibration.sampling.seed,
                          max_drop: maxDrop, confidence: calibration.sampling.confidence, candidates: search.candidates, metric: task.metricName, baseline: outcome.baseline,
                          score: outcome.score, unbounded_window: unbounded, order: "phase 2 shrinks layers first to last",
                          inner_products_removed: outcome.innerProductsRemoved, softmax_exponentials_removed: outcome.exponentialsRemoved,
                          trace: outcome.trace))
        try writePlan(plan, to: out)
        print("windows \(plan.windows.map(String.init).joined(separator: ",")) · \(task.metricName) \(String(format: "%.2f", outcome.baseline)) → \(String(format: "%.2f", outcome.score)) on calibration · inner products −\(String(format: "%.1f", outcome.innerProductsRemoved * 100)) % · plan \(out)")
    }
}

/// The seeded calibration split of a task's train set and the bootstrap that judges a drop on it —
/// what every encoder search shares (`CalibrationOptions`, `search spatten`).
struct TrainSplitOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "With c > 0 a setting also needs its drop within --max-drop at the c-quantile of a paired bootstrap (1000 resamples of the calibration split, seeded by --seed); 0 compares the calibration scores only.",
        valueName: "c"))
    var confidence = 0.0

    @Option(name: .long, help: ArgumentHelp("Calibration sentences drawn from the train set.", valueName: "n"))
    var calibration = 1000

    @Option(name: .long, help: ArgumentHelp("Seed of the calibration draw and of the bootstrap.", valueName: "s"))
    var seed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp("Train file in GLUE format (default: ../shared/data/<task>/train.tsv).", valueName: "file"))
    var train: String?

    func validate() throws {
        if !(0..<1).contains(confidence) { throw ValidationError("--confidence must be in [0, 1), got \(confidence)") }
        if calibration < 1 { throw ValidationError("--calibration must be at least 1, got \(calibration)") }
    }

    /// When a setting passes.
    func criterion(maxDrop: Double) -> DropCriterion { DropCriterion(maxDrop: maxDrop, confidence: confidence, seed: seed) }

    /// The calibration split drawn from the task's train file, and that file.
    func split(for task: GLUETask) throws -> ([LabeledSentence], URL) {
        let trainURL = try train.map { URL(fileURLWithPath: $0) }
            ?? Bundled.root().deletingLastPathComponent().appendingPathComponent("shared/data/\(task.rawValue)/train.tsv")
        let examples = try task.load(trainURL)
        return (calibrationSplit(examples, count: min(calibration, examples.count), seed: seed), trainURL)
    }
}

/// Options every calibration search of a plan for one task shares: the task, the allowed drop, the
/// seeded split of train, the output.
struct CalibrationOptions: ParsableArguments {
    @Option(name: .long, help: "The task: sst2 or cola.")
    var task: GLUETask

    @Option(name: .long, help: ArgumentHelp("Largest allowed drop of the calibration score, in points (accuracy % or MCC × 100).", valueName: "points"))
    var maxDrop: Double

    @OptionGroup var sampling: TrainSplitOptions

    @Option(name: .long, help: ArgumentHelp("Where to write the plan (JSON).", valueName: "file"))
    var out: String

    func validate() throws {
        if maxDrop < 0 { throw ValidationError("--max-drop must be ≥ 0, got \(maxDrop)") }
    }

    /// When a setting passes.
    var criterion: DropCriterion { sampling.criterion(maxDrop: maxDrop) }

    /// The calibration split drawn from the train file, and that file.
    func split() throws -> ([LabeledSentence], URL) { try sampling.split(for: task) }
}

/// Writes a plan file as sorted, indented JSON.
func writePlan(_ plan: some Encodable, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do { try encoder.encode(plan).write(to: URL(fileURLWithPath: path)) } catch {
        throw CLIError("\(path): cannot write the plan (\((error as NSError).localizedDescription))")
    }
}

