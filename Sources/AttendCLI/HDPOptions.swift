import ArgumentParser
import AttendAttention

/// Settings of `--attention hdp` (hybrid dynamic pruning, SPEC §4.4); a plan file gives the same.
struct HDPOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("HDP block size (square blocks of the score matrix; default 2).", valueName: "n"))
    var blockSize: Int?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "HDP row-balanced pruning ratio ρ_B in [-1, 1] (default 0): per block-row, blocks below ρ·max + (1−ρ)·mean (ρ ≥ 0) or −ρ·min + (1+ρ)·mean (ρ < 0) are pruned; -1 keeps all.",
        valueName: "rho"))
    var blockRatio: Double?

    @Option(name: .long, help: ArgumentHelp("Top-K baseline instead of ρ_B: every block-row keeps this fraction (0, 1] of its most important blocks.", valueName: "fraction"))
    var topK: Double?

    @Option(name: .long, help: ArgumentHelp(
        "HDP head threshold τ_H ≥ 0 (default 0, none pruned): a head whose mean |Q_I·K_I| per score entry is below τ_H is pruned.",
        valueName: "tau"))
    var headThreshold: Double?

    @Option(name: .long, help: ArgumentHelp("Magnitude baseline instead of τ_H: prune this fraction [0, 1) of heads with the smallest mean |output|, per sentence and layer.", valueName: "fraction"))
    var magnitudeHeads: Double?

    @Flag(name: .long, help: "HDP: score kept blocks with the exact Float32 q·k instead of Q_I·K_I + Q_F·K_I + Q_I·K_F.")
    var exactScores = false

    /// Whether any HDP option was given.
    var given: Bool { blockSize != nil || blockRatio != nil || topK != nil || headThreshold != nil || magnitudeHeads != nil || exactScores }

    /// These settings as a plan (softmax from --softmax).
    func plan(softmax: String?) -> AttentionPlan {
        AttentionPlan(method: "hdp", softmax: softmax, blockSize: blockSize, blockRatio: blockRatio, topK: topK, headThreshold: headThreshold,
                      magnitudeHeads: magnitudeHeads, approximate: exactScores ? false : nil)
    }
}
