import ArgumentParser
import AttendAttention

/// Settings of `--attention spatten` (SPEC §4.5, `SpAttenMethod`); a plan file gives the same.
struct SpAttenOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "SpAtten average token-pruning ratio r_avg in [0, 1) (default 0): before each layer after the first 15 %, that fraction of the surviving tokens with the least accumulated attention is dropped ([CLS] never).",
        valueName: "r"))
    var tokenRatio: Double?

    @Option(name: .long, help: ArgumentHelp("SpAtten first-layer ratio r_start (default r_avg); ratios run linearly to r_end = 2·r_avg − r_start.", valueName: "r"))
    var tokenRatioStart: Double?

    @Option(name: .long, help: ArgumentHelp("SpAtten: inputs longer than this many tokens are pruned harder, r(L) = 1 − (1 − r)·√(L_ref / L) (default: no length rule).", valueName: "tokens"))
    var referenceLength: Int?

    @Option(name: .long, help: ArgumentHelp("SpAtten head-pruning ratio in [0, 1) (default 0): from 30 % of the layers on, that fraction of heads with the least accumulated Σ|output| is dropped for good.", valueName: "r"))
    var headRatio: Double?

    @Option(name: .long, help: ArgumentHelp("SpAtten local value-pruning ratio in [0, 1) (default 0): per head, the V rows of that fraction of keys with the smallest probability sums are not fetched.", valueName: "r"))
    var valueRatio: Double?

    @Option(name: .long, help: ArgumentHelp("SpAtten progressive quantization: MSB bits of K (switches quantization on; default off = Float32).", valueName: "bits"))
    var keyBits: Int?

    @Option(name: .long, help: ArgumentHelp("With --key-bits: LSB bits of K fetched for flat rows (default 4).", valueName: "bits"))
    var lsbBits: Int?

    @Option(name: .long, help: ArgumentHelp("With --key-bits: bits of Q (default key + LSB bits).", valueName: "bits"))
    var queryBits: Int?

    @Option(name: .long, help: ArgumentHelp("With --key-bits: bits of V (default key + LSB bits).", valueName: "bits"))
    var valueBits: Int?

    @Option(name: .long, help: ArgumentHelp("With --key-bits: a row whose largest probability is below this fetches the LSBs (default 0.1).", valueName: "p"))
    var requantThreshold: Double?

    @Option(name: .long, help: ArgumentHelp(
        "With --key-bits: which values share a quantization scale — head: one per head over each call's rows (default); token: one per token and head, so a decoder keeps its K/V cache as codes (int8 MSBs, LSBs apart, int8 V when key, LSB and value bits are ≤ 8) and decode steps read only those.",
        valueName: "head|token"))
    var quantScale: ProgressiveQuantization.Granularity?

    @Option(name: .long, help: ArgumentHelp(
        "SpAtten KV-cache pruning (decoders): the W tokens before the newest are never pruned, besides the first and the newest (default \(SpAttenMethod.defaultRecentWindow), chosen on WikiText-2 valid; 0: none).",
        valueName: "W"))
    var spattenRecent: Int?

    /// Whether any SpAtten option was given.
    var given: Bool {
        tokenRatio != nil || tokenRatioStart != nil || referenceLength != nil || headRatio != nil || valueRatio != nil || keyBits != nil
            || lsbBits != nil || queryBits != nil || valueBits != nil || requantThreshold != nil || quantScale != nil || spattenRecent != nil
    }

    /// These settings as a plan.
    func plan() throws -> AttentionPlan {
        if keyBits == nil && (lsbBits != nil || queryBits != nil || valueBits != nil || requantThreshold != nil || quantScale != nil) {
            throw ValidationError("--lsb-bits, --query-bits, --value-bits, --requant-threshold and --quant-scale need --key-bits")
        }
        let quantization = try keyBits.map { keyBits in
            let lsb = lsbBits ?? 4
            guard keyBits >= 2, lsb >= 0, keyBits + lsb <= 24 else { throw ValidationError("--key-bits ≥ 2, --lsb-bits ≥ 0 and their sum ≤ 24; got \(keyBits), \(lsb)") }
            for (name, bits) in [("--query-bits", queryBits), ("--value-bits", valueBits)] {
                if let bits, !(2...24).contains(bits) { throw ValidationError("\(name) must be in 2…24, got \(bits)") }
            }
            let threshold = requantThreshold ?? 0.1
            guard (0...1).contains(threshold) else { throw ValidationError("--requant-threshold must be in [0, 1], got \(threshold)") }
            return ProgressiveQuantization(keyBits: keyBits, lsbBits: lsb, queryBits: queryBits, valueBits: valueBits, threshold: threshold,
                                           granularity: quantScale ?? .head)
        }
        var plan = AttentionPlan(method: "spatten", tokenRatio: tokenRatio, tokenRatioStart: tokenRatioStart, referenceLength: referenceLength,
                                 headRatio: headRatio, valueRatio: valueRatio, quantization: quantization)
        plan.recentWindow = spattenRecent
        return plan
    }
}

extension ProgressiveQuantization.Granularity: ExpressibleByArgument {}
