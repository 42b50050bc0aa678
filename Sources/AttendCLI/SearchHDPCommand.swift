import ArgumentParser
import AttendAttention
import AttendEvaluation
import Foundation

/// `attend search hdp`: calibrates HDP's ρ_B and τ_H.
struct SearchHDP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hdp",
        abstract: "Calibrate HDP: sweep ρ_B, then τ_H, on a calibration split of train; keep the sparsest setting within the drop.",
        discussion: """
            Stage 1 sweeps --ratios (no head pruning) and keeps the passing ρ_B with the most blocks pruned; stage 2 \
            fixes it and sweeps τ_H at the --head-quantiles of the head importances Σ|S_I| / entries seen in stage 1, \
            keeping the largest passing τ_H. A setting passes when its calibration score (accuracy or MCC × 100) is at \
            least the dense score − --max-drop (and, with --confidence c, when the c-quantile of its bootstrapped drop is at most \
            --max-drop). The plan records every setting tried with its score, block sparsity \
            and fraction of heads pruned. With --attention hdp, the HDP options --block-size, --exact-scores and --softmax fix the other settings.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var calibration: CalibrationOptions

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Candidate ρ_B values in [-1, 1] (comma-separated).", valueName: "list"))
    var ratios = "-0.5,-0.25,0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9"

    @Option(name: .long, help: ArgumentHelp("Fractions of heads below each τ_H candidate (comma-separated, in (0, 1)).", valueName: "list"))
    var headQuantiles = "0.05,0.1,0.15,0.2,0.25,0.3,0.35"

    private func values(_ list: String) -> [Double]? {
        let parsed = list.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil }) else { return nil }
        return parsed.map { $0! }
    }

    func validate() throws {
        guard values(ratios)?.allSatisfy({ (-1...1).contains($0) }) == true else {
            throw ValidationError("--ratios: expected comma-separated numbers in [-1, 1], got '\(ratios)'")
        }
        guard values(headQuantiles)?.allSatisfy({ $0 > 0 && $0 < 1 }) == true else {
            throw ValidationError("--head-quantiles: expected comma-separated numbers in (0, 1), got '\(headQuantiles)'")
        }
        if model.plan != nil || (model.attention ?? "hdp") != "hdp" { throw ValidationError("the search writes an hdp plan: --plan and other --attention methods do not apply") }
        if model.hdp.blockRatio != nil || model.hdp.headThreshold != nil || model.hdp.topK != nil || model.hdp.magnitudeHeads != nil {
            throw ValidationError("the search chooses ρ_B and τ_H: --block-ratio, --head-threshold, --top-k and --magnitude-heads do not apply")
        }
    }

    /// The plan file: an hdp plan plus the search's record.
    struct PlanFile: Encodable {
        let method = "hdp"
        let block_size: Int, block_ratio: Double, head_threshold: Double, approximate: Bool, softmax: String
        let search: Record

        struct Record: Encodable {
            let task: String, model: String, train: String
            let calibration: Int, seed: UInt64, max_drop: Double, confidence: Double
            let metric: String, baseline: Double, score: Double, block_sparsity: Double, heads_pruned: Double
            let order: String
            let trace: [HDPSearch.Step]
        }
    }

    func run() throws {
        let (task, out) = (calibration.task, calibration.out)
        let directory = try model.resolve(task: task)
        let (split, trainURL) = try calibration.split()
        let classifier = try model.precision.apply(to: try Classifier(directory: directory), task: task)
        let base = try model.hdp.plan(softmax: model.softmax).makeMethod(layers: classifier.model.config.numHiddenLayers) as! HDPMethod
        let search = HDPSearch(classifier: classifier, task: task, calibration: split, criterion: calibration.criterion,
                               ratios: values(ratios)!, headQuantiles: values(headQuantiles)!, base: base)
        printError("search hdp: \(split.count) calibration sentences from \(trainURL.path) (seed \(calibration.sampling.seed))")
        let outcome = try search.run { printError("  " + $0) }
        let plan = PlanFile(
            block_size: base.block, block_ratio: outcome.blockRatio, head_threshold: outcome.headThreshold, approximate: base.approximate,
            softmax: base.polynomialSoftmax ? "polynomial" : "exact",
            search: .init(task: task.rawValue, model: Bundled.recordedPath(directory), train: Bundled.recordedPath(trainURL), calibration: split.count, seed: calibration.sampling.seed,
                          max_drop: calibration.maxDrop, confidence: calibration.sampling.confidence, metric: task.metricName, baseline: outcome.baseline, score: outcome.chosen.score,
                          block_sparsity: outcome.chosen.blockSparsity, heads_pruned: outcome.chosen.headsPruned,
                          order: "stage 1 sweeps block_ratio with no head pruning; stage 2 sweeps head_threshold at quantiles of head importance",
                          trace: outcome.trace))
        try writePlan(plan, to: out)
        print(String(format: "ρ_B %.2f · τ_H %.3f · %@ %.2f → %.2f on calibration · blocks −%.1f %% · heads −%.1f %% · plan %@",
                     outcome.blockRatio, outcome.headThreshold, task.metricName, outcome.baseline, outcome.chosen.score,
                     100 * outcome.chosen.blockSparsity, 100 * outcome.chosen.headsPruned, out))
    }
}
