/// The pipeline's latency in closed form when every stage takes one time unit
/// (`StageLatencies.unit(postStages: m)`), all N queries run in every layer, and s = 3 + m stages
/// per layer (generate, write, attention, m post stages). p_l = min(W_l, N − 1), or N − 1 when
/// [CLS] attends all keys (query 0 then needs the last key, and queries are served in order).
///
/// Derivations (HARDWARE.md, "ReBERT's ReRAM pipeline"):
/// - Separate write arrays (advanced): query i of layer 0 starts at i + p_0 + 2 (its last key
///   i + p_0 is generated at i + p_0 + 1 and written one unit later), every layer's tokens leave at
///   rate one per unit, so each layer adds p_l + s: T = (N − 1) + Σ_l (p_l + s).
/// - Shared arrays (basic, baseline), uniform p, k = N − 1 − p: the arrays run W_0 … W_p, then
///   pairs (A_i, W_{p+1+i}), then A_k … A_{N−1}. Layer 0 sends tokens on at two units apart for
///   i ≤ k and one apart after; a later layer receiving that pattern adds p + min(p, k) + s to its
///   offset: T = (N − 1) + k + L(p + s) + (L − 1)·min(p, k). Dense (p = N − 1, k = 0) gives the
///   separate-array value: writes then precede every query anyway, so the baseline loses nothing
///   to the structural hazard.
public enum PipelineClosedForm {
    static func p(_ w: Int, _ n: Int, _ clsAttendsAll: Bool) -> Int { clsAttendsAll ? n - 1 : min(w, n - 1) }

    /// Separate write arrays, per-layer windows.
    public static func separate(tokens n: Int, windows: [Int], clsAttendsAll: Bool = false, postStages m: Int) -> Int {
        guard n > 0 else { return 0 }
        return (n - 1) + windows.reduce(0) { $0 + p($1, n, clsAttendsAll) + 3 + m }
    }

    /// Shared arrays, one window W in all L layers.
    public static func shared(tokens n: Int, window w: Int, layers: Int, clsAttendsAll: Bool = false, postStages m: Int) -> Int {
        guard n > 0, layers > 0 else { return 0 }
        let pw = p(w, n, clsAttendsAll), k = n - 1 - pw
        return (n - 1) + k + layers * (pw + 3 + m) + (layers - 1) * min(pw, k)
    }
}
