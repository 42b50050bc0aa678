/// One encoder layer of one sentence as ReBERT's pipeline sees it (SPEC §3, §4.3): query i attends
/// keys j with |i − j| ≤ W plus the global [CLS] key 0; [CLS] itself attends every key when
/// `clsAttendsAll`. A window ≥ N − 1 is dense attention.
public struct PipelineLayer: Sendable, Equatable {
    /// W of this layer, already clamped to N − 1.
    public var window: Int
    public var clsAttendsAll: Bool
    /// Only query 0 ([CLS]) runs attention and the stages after it (a classifier's last layer);
    /// every token's K and V are still generated and written.
    public var clsOnly: Bool

    public init(window: Int, clsAttendsAll: Bool = false, clsOnly: Bool = false) {
        precondition(window >= 0, "window must be ≥ 0")
        (self.window, self.clsAttendsAll, self.clsOnly) = (window, clsAttendsAll, clsOnly)
    }

    /// The last key query i of n tokens needs (its K rows arrive in order, so that one is the latest).
    @inline(__always) public func lastKey(_ i: Int, tokens n: Int) -> Int {
        i == 0 && clsAttendsAll ? n - 1 : min(n - 1, i + window)
    }

    /// Keys query i attends among n tokens: the band [i − W, i + W], plus key 0 when outside it
    /// (all n for [CLS] when it attends all).
    @inline(__always) public func allowedKeys(_ i: Int, tokens n: Int) -> Int {
        if i == 0 && clsAttendsAll { return n }
        let band = min(n - 1, i + window) - max(0, i - window) + 1
        return i - window > 0 ? band + 1 : band
    }

    /// Σ_i allowedKeys(i) over all n queries in closed form:
    /// n(2p + 1) − p(p + 1) + (n − 1 − p) [the [CLS] key outside the band] + (n − 1 − p) [CLS attends all],
    /// p = min(W, n − 1). Equals n² when p = n − 1.
    public static func allowedEntries(tokens n: Int, window w: Int, clsAttendsAll: Bool) -> Int {
        guard n > 0 else { return 0 }
        let p = min(w, n - 1)
        return n * (2 * p + 1) - p * (p + 1) + (n - 1 - p) * (clsAttendsAll ? 2 : 1)
    }
}
