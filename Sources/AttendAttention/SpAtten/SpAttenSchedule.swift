/// SpAtten's pruning schedule (Wang et al., HPCA 2021, §III-B; SPEC §4.5), for a model of `layers`
/// layers:
///
/// - Tokens: layers `0..<tokenStart`, `tokenStart = ⌈0.15·layers⌉` (at least 1), see every token.
///   Before layer l ≥ tokenStart the surviving tokens are cut to `⌈(1 − r_l)·n⌉` by accumulated
///   importance, where r_l runs linearly over those m = layers − tokenStart layers from r_start to
///   r_end = 2·r_avg − r_start (r_avg when m = 1), so the ratios average r_avg.
/// - Longer inputs are pruned harder (when `referenceLength` L_ref is set): a sequence of L > L_ref
///   tokens uses `r(L) = 1 − (1 − r)·√(L_ref / L)`, so the kept count grows like √L, not like L.
/// - Heads: from layer `headStart = ⌈0.3·layers⌉` on, the surviving heads are cut to
///   `⌈(1 − headRatio)·H⌉` by accumulated importance (cascade: a pruned head never returns, so
///   after `headStart` the count stays there).
public struct SpAttenSchedule: Sendable, Equatable {
    public let layers: Int
    /// r_avg and r_start (fractions of the current tokens pruned before each pruned layer).
    public let tokenRatio: Double
    public let tokenRatioStart: Double
    public let referenceLength: Int?
    /// Fraction of heads pruned from `headStart` on.
    public let headRatio: Double

    public init(layers: Int, tokenRatio: Double = 0, tokenRatioStart: Double? = nil, referenceLength: Int? = nil, headRatio: Double = 0) {
        precondition(layers >= 1, "schedule for \(layers) layers")
        (self.layers, self.tokenRatio, self.tokenRatioStart) = (layers, tokenRatio, tokenRatioStart ?? tokenRatio)
        (self.referenceLength, self.headRatio) = (referenceLength, headRatio)
    }

    /// r_end = 2·r_avg − r_start.
    public var tokenRatioEnd: Double { 2 * tokenRatio - tokenRatioStart }

    /// The first layer whose input is token-pruned (⌈0.15·layers⌉, at least 1).
    public var tokenStart: Int { max(1, Self.ceil(0.15 * Double(layers))) }
    /// The first layer with heads pruned (⌈0.3·layers⌉).
    public var headStart: Int { Self.ceil(0.3 * Double(layers)) }

    /// r_l for a sequence of `length` tokens (0 before `tokenStart`; the length rule only raises a ratio > 0).
    public func tokenRatio(layer l: Int, length: Int) -> Double {
        guard l >= tokenStart, l < layers else { return 0 }
        let m = layers - tokenStart
        let r = m == 1 ? tokenRatio : tokenRatioStart + (tokenRatioEnd - tokenRatioStart) * Double(l - tokenStart) / Double(m - 1)
        guard r > 0, let reference = referenceLength, length > reference else { return r }
        return 1 - (1 - r) * (Double(reference) / Double(length)).squareRoot()
    }

    /// ∏_{tokenStart ≤ m ≤ l} (1 − r_m): the fraction of a sequence's tokens that cascade pruning
    /// leaves to layer l (1 before `tokenStart`). A decoder's KV cache keeps this fraction per layer.
    public func keptFraction(layer l: Int, length: Int) -> Double {
        guard l >= tokenStart else { return 1 }
        return (tokenStart...min(l, layers - 1)).reduce(1.0) { $0 * (1 - tokenRatio(layer: $1, length: length)) }
    }

    /// Whether any layer after l prunes tokens (else layer l's importance would never be used).
    public func prunesTokens(after l: Int) -> Bool {
        ((l + 1)..<max(l + 1, layers)).contains { tokenRatio(layer: $0, length: 1) > 0 }
    }

    /// Heads kept from layer l on, of H (all before `headStart`).
    public func keptHeads(layer l: Int, of heads: Int) -> Int {
        l >= headStart ? Self.keptCount(ratio: headRatio, of: heads) : heads
    }

    /// ⌈(1 − ratio)·n⌉ (n when ratio ≤ 0; at least 1 when n ≥ 1).
    public static func keptCount(ratio: Double, of n: Int) -> Int {
        guard ratio > 0, n > 0 else { return n }
        return min(n, max(1, ceil((1 - ratio) * Double(n))))
    }

    /// ⌈x⌉ with a tolerance, so that 0.3·10 gives 3, not 4.
    static func ceil(_ x: Double) -> Int { Int((x - 1e-9).rounded(.up)) }

    /// Checks the ratios: 0 ≤ r_start, r_end < 1, 0 ≤ headRatio < 1, L_ref ≥ 1.
    public func validate() throws {
        func bad(_ setting: String, _ reason: String) -> AttentionPlanError { .badSetting(setting: setting, reason: reason) }
        guard (0..<1).contains(tokenRatio) else { throw bad("token_ratio", "r_avg must be in [0, 1), got \(tokenRatio)") }
        guard (0..<1).contains(tokenRatioStart), (0..<1).contains(tokenRatioEnd) else {
            throw bad("token_ratio_start", "r_start = \(tokenRatioStart) gives r_end = 2·r_avg − r_start = \(tokenRatioEnd); both must be in [0, 1)")
        }
        guard (0..<1).contains(headRatio) else { throw bad("head_ratio", "must be in [0, 1), got \(headRatio)") }
        if let referenceLength, referenceLength < 1 { throw bad("reference_length", "must be ≥ 1, got \(referenceLength)") }
    }
}
