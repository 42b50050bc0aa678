import AttendWorkload

/// A trace whose records cannot be read as ReBERT windows: the sentence and layer, and why.
public struct ReRAMWorkloadError: Error, Equatable, CustomStringConvertible {
    public var sentence: Int, layer: Int
    public var reason: String

    public init(sentence: Int, layer: Int, reason: String) { (self.sentence, self.layer, self.reason) = (sentence, layer, reason) }

    public var description: String { "sentence \(sentence), layer \(layer): \(reason)" }
}

/// One sentence of a trace as the pipeline needs it: its length, heads, head size and, per layer,
/// the window the records' allowed entries imply.
public struct ReRAMSentence: Sendable, Equatable {
    public var sentence: Int
    public var tokens: Int, heads: Int, headDim: Int
    public var layers: [PipelineLayer]

    public init(sentence: Int, tokens: Int, heads: Int, headDim: Int, layers: [PipelineLayer]) {
        (self.sentence, self.tokens, self.heads, self.headDim, self.layers) = (sentence, tokens, heads, headDim, layers)
    }

    /// Groups records (sentence-major, as `attend eval --trace` writes them) into sentences. A layer
    /// whose queries equal its keys gets the smallest W whose `PipelineLayer.allowedEntries` equals
    /// the record's; a layer with one query is [CLS]-only: it attends all keys, or its window [0, W]
    /// with W = allowed − 1. Whether [CLS] attends all keys is one flag per sentence (as in a plan):
    /// the one under which every layer matches — a [CLS]-only layer tells it when its window is
    /// shorter than the sentence; when both fit, "attends all" (the plans' default). Dense traces
    /// read as W = N − 1. Anything else (e.g. an HDP trace's pruned blocks) is an error.
    public static func group(_ records: [TraceRecord]) throws(ReRAMWorkloadError) -> [ReRAMSentence] {
        var out: [ReRAMSentence] = []
        var i = 0
        while i < records.count {
            let s = records[i].sentence
            var j = i
            while j < records.count && records[j].sentence == s { j += 1 }
            let first = records[i].workload
            var perLayer: [HeadWorkload] = []
            var heads = 0
            for r in records[i..<j] {
                let w = r.workload
                if r.layer == perLayer.count {
                    perLayer.append(w)
                } else if r.layer != perLayer.count - 1 {
                    throw ReRAMWorkloadError(sentence: s, layer: r.layer, reason: "layers out of order (expected \(perLayer.count - 1) or \(perLayer.count))")
                } else if w.allowedEntries != perLayer[r.layer].allowedEntries || w.queries != perLayer[r.layer].queries {
                    throw ReRAMWorkloadError(sentence: s, layer: r.layer, reason: "heads of one layer have different masks: not one window per layer")
                }
                if w.keys != first.keys || w.headDim != first.headDim {
                    throw ReRAMWorkloadError(sentence: s, layer: r.layer, reason: "\(w.keys) keys × d \(w.headDim), expected \(first.keys) × \(first.headDim) as in layer 0")
                }
                if r.layer == 0 { heads += 1 }
            }
            let n = first.keys
            let local = perLayer.contains { $0.queries == 1 && $0.queries < n && $0.allowedEntries < n }
            var layers: [PipelineLayer]? = nil
            var failure: ReRAMWorkloadError? = nil
            for cls in local ? [false] : [true, false] where layers == nil {
                do throws(ReRAMWorkloadError) {
                    layers = try perLayer.enumerated().map { (l, w) throws(ReRAMWorkloadError) in try window(w, clsAttendsAll: cls, sentence: s, layer: l) }
                } catch { if failure.map({ error.layer > $0.layer }) ?? true { failure = error } }   // the attempt that got furthest
            }
            guard let layers else { throw failure! }
            for (l, layer) in layers.enumerated().dropLast() where layer.clsOnly {
                throw ReRAMWorkloadError(sentence: s, layer: l, reason: "one query in a layer that is not the last")
            }
            out.append(ReRAMSentence(sentence: s, tokens: n, heads: heads, headDim: first.headDim, layers: layers))
            i = j
        }
        return out
    }

    static func window(_ w: HeadWorkload, clsAttendsAll cls: Bool, sentence: Int, layer: Int) throws(ReRAMWorkloadError) -> PipelineLayer {
        let n = w.keys
        guard n > 0 else { throw ReRAMWorkloadError(sentence: sentence, layer: layer, reason: "no keys") }
        if w.queries == n {
            if w.allowedEntries == n * n { return PipelineLayer(window: n - 1) }   // dense, whatever W and flag gave it
            for p in 0..<n where PipelineLayer.allowedEntries(tokens: n, window: p, clsAttendsAll: cls) == w.allowedEntries {
                return PipelineLayer(window: p, clsAttendsAll: cls && p < n - 1)
            }
            throw ReRAMWorkloadError(sentence: sentence, layer: layer,
                                     reason: "\(w.allowedEntries) allowed entries of \(n) × \(n) match no ReBERT window (a window or dense trace is needed)")
        }
        if w.queries == 1 {
            if w.allowedEntries == n { return PipelineLayer(window: n - 1, clsOnly: true) }
            if w.allowedEntries >= 1 && w.allowedEntries < n && !cls { return PipelineLayer(window: w.allowedEntries - 1, clsOnly: true) }
        }
        throw ReRAMWorkloadError(sentence: sentence, layer: layer, reason: "\(w.queries) queries of \(n) keys with \(w.allowedEntries) allowed entries: not a ReBERT window layer")
    }
}
