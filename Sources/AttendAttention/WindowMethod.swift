/// ReBERT's windowed attention (Kang, Shin, Kim, IEEE TCAD 2022; SPEC §3, §4.3): in layer l, query
/// i attends the keys j with |i − j| ≤ W_l, plus the global [CLS] token (position 0), which itself
/// attends every key when `clsAttendsAll` — at most 2·W_l + 2 keys per query. Executed by the tiled
/// kernel, so cost falls with the window; a window ≥ the sequence length is dense attention.
public struct WindowMethod: AttentionMethod {
    /// W_l per layer.
    public let windows: [Int]
    public let clsAttendsAll: Bool
    /// Table exponential for the softmax (ReBERT's LUT), or nil for the exact one.
    public let softmax: LUTExp?

    public init(windows: [Int], clsAttendsAll: Bool = true, softmax: LUTExp? = nil) {
        precondition(windows.allSatisfy { $0 >= 0 }, "windows must be ≥ 0")
        self.windows = windows
        self.clsAttendsAll = clsAttendsAll
        self.softmax = softmax
    }

    public var name: String { softmax == nil ? "window" : "window+lut" }

    /// The mask of layer l.
    public func mask(layer: Int) -> AttentionMask {
        AttentionMask(window: Window(left: windows[layer], right: windows[layer], globals: [0], globalsAttendAll: clsAttendsAll))
    }

    public func check(layers: Int) throws {
        if windows.count != layers { throw AttentionPlanError.layerCount(windows: windows.count, layers: layers) }
    }

    public func attend(layer: Int, _ problems: [AttentionProblem], states: inout [AttentionState]) -> [[HeadWorkload]] {
        let mask = mask(layer: layer)
        let masked = problems.map { p in
            AttentionProblem(q: p.q, ldq: p.ldq, k: p.k, ldk: p.ldk, v: p.v, ldv: p.ldv, out: p.out, ldo: p.ldo, queries: p.queries,
                             keys: p.keys, heads: p.heads, kvHeads: p.kvHeads, headDim: p.headDim, mask: mask)
        }
        return TiledAttention.run(masked, softmax: softmax).map(\.workloads)
    }
}
