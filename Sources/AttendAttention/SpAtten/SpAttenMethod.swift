import AttendKernels
import CAttendKernels

/// SpAtten (Wang, Zhang, Han, HPCA 2021, arXiv 2012.09852; SPEC §4.5), each technique switchable:
///
/// - **Cascade token pruning** (`schedule.tokenRatio` > 0), encoders: token importance
///   `s_t += Σ_h Σ_q P[h, q, t]` (column sums, accumulated over heads, layers and calls); before
///   layer l ≥ `schedule.tokenStart` the sequence keeps `TopK.select(s, ⌈(1 − r_l)·n⌉)`. The selection
///   runs at the end of layer l − 1's attention, so the model drops the pruned rows from that layer's
///   output projection and FFN already (their outputs would only feed layer l). Never pruned: the first
///   token ([CLS] in encoders, the first token in decoders — the attention sink every query relies
///   on) and, in causal problems (decoders), the newest token, whose logits are being computed.
/// - **KV-cache pruning** (causal problems: a decoder whose model passes each layer its own state, the
///   positions its cache holds): importance accumulates per layer across calls (generation
///   iterations); after layer l's attention its cache keeps the top `⌈f_l·L⌉` of its tokens, L the
///   tokens seen and f_l = ∏_{tokenStart ≤ m ≤ l} (1 − r_m) the share the cascade leaves to layer l, so
///   pruned K/V rows leave the cache for good (the authors' `spatten_llm` also selects per layer).
///   Besides the first and the newest token, the `recentWindow` tokens before the newest are never
///   pruned (positions newest − W … newest − 1), as `spatten_llm`'s `SpAttenKVCache` keeps a recent
///   window next to its start and important tokens (and StreamingLLM / H2O do): causal column sums
///   favour early tokens, so without it the recent context a next-token prediction needs is cut first.
///   The window is kept on top of the ⌈f_l·L⌉ important tokens (the cache holds up to ⌈f_l·L⌉ + W), so
///   W = 0 is the plain schedule and a window reaching the first token prunes nothing.
/// - **Cascade head pruning** (`schedule.headRatio` > 0): `s_h += Σ |E_h|` over the head's output; from
///   layer `schedule.headStart` on only the top `⌈(1 − ratio)·H⌉` heads by s_h run; a pruned head stays
///   pruned (zero output, not computed).
/// - **Local value pruning** (`valueRatio` > 0): per head, only the V rows of the ⌈(1 − ratio)·keys⌉
///   keys with the largest probability column sums are fetched (`SpAttenHead`).
/// - **Progressive quantization** (`quantization`): MSB-first Q·Kᵀ, LSB refetch for flat rows. With
///   a scale per token (`granularity` `.token`, bits ≤ 8) a causal problem's layer keeps its K and V as
///   codes in its state (`QuantizedKVCache`: each new row quantized once, pruned rows dropped with their
///   tokens), and its query rows (prompt and decode) run on the codes in C (`attend_spatten_code_rows`):
///   the MSBs and V codes are all they fetch, the LSBs only when they requantize — the same attention
///   as `SpAttenHead` on the dequantized values (tested), in another summation order. Local value
///   pruning still runs `SpAttenHead`.
///
/// Without value pruning and quantization the tiled kernel computes attention (column sums on
/// request), so with every ratio 0 the method is exactly `TiledMethod` (tested). Every head that ran
/// carries its SpAtten workload-CSV row in `HeadWorkload.spatten`.
public struct SpAttenMethod: AttentionMethod {
    public var schedule: SpAttenSchedule
    public var valueRatio: Double
    public var quantization: ProgressiveQuantization?
    /// W: the tokens before the newest that causal (KV-cache) pruning never removes (0: none).
    public var recentWindow: Int

    /// The recent window plans and `--spatten-recent` use when they give none, chosen on WikiText-2
    /// *valid* (RESULTS.md, SpAtten on the decoder).
    public static let defaultRecentWindow = 32

    public init(schedule: SpAttenSchedule, valueRatio: Double = 0, quantization: ProgressiveQuantization? = nil, recentWindow: Int = 0) {
        precondition(valueRatio >= 0 && valueRatio < 1, "value ratio must be in [0, 1)")
        precondition(recentWindow >= 0, "recent window must be ≥ 0")
        (self.schedule, self.valueRatio, self.quantization, self.recentWindow) = (schedule, valueRatio, quantization, recentWindow)
    }

    public var name: String { "spatten" }

    public func check(layers: Int) throws {
        if layers != schedule.layers { throw AttentionPlanError.badSetting(setting: "layers", reason: "the SpAtten schedule is for \(schedule.layers) layers, the model has \(layers)") }
    }

    var prunesHeads: Bool { schedule.headRatio > 0 }

    /// Problem b's keys are the tokens `states[b].positions` (in order); its queries the last
    /// `queries` of them (all of them in encoders).
    public func attend(layer l: Int, _ problems: [AttentionProblem], states: inout [AttentionState]) -> [[HeadWorkload]] {
        precondition(problems.count == states.count, "one state per problem")
        for (b, problem) in problems.enumerated() {
            precondition(states[b].positions.count == problem.keys, "SpAtten: \(problem.keys) keys but \(states[b].positions.count) surviving tokens")
            let length = (states[b].positions.last ?? -1) + 1
            if states[b].tokenImportance.count < length { states[b].tokenImportance += [Float](repeating: 0, count: length - states[b].tokenImportance.count) }
            if states[b].headImportance.count < problem.heads { states[b].headImportance = [Float](repeating: 0, count: problem.heads) }
            if prunesHeads { pruneHeads(layer: l, heads: problem.heads, &states[b]) }
        }
        let masked = problems.enumerated().map { b, p in
            var mask = p.mask
            mask.skippedHeads.formUnion(states[b].prunedHeads)
            return AttentionProblem(q: p.q, ldq: p.ldq, k: p.k, ldk: p.ldk, v: p.v, ldv: p.ldv, out: p.out, ldo: p.ldo, queries: p.queries,
                                    keys: p.keys, heads: p.heads, kvHeads: p.kvHeads, headDim: p.headDim, mask: mask)
        }
        // Column sums only when a selection will read them: a later layer's (encoders), this layer's cache (decoders).
        let causal = problems.contains { $0.mask.causal }
        let accumulates = causal ? schedule.keptFraction(layer: l, length: 1) < 1 : schedule.prunesTokens(after: l)
        let codes = masked.enumerated().map { b, p in keptCodes(p, &states[b]) }
        let computed = run(masked, columnSums: accumulates, codes: codes)
        var records: [[HeadWorkload]] = []
        for (b, problem) in masked.enumerated() {
            if prunesHeads { addHeadImportance(problem, &states[b]) }
            if accumulates {
                let positions = states[b].positions
                states[b].tokenImportance.withUnsafeMutableBufferPointer { importance in
                    for h in 0..<problem.heads where !problem.mask.skippedHeads.contains(h) {
                        computed[b].columnSums[h].withUnsafeBufferPointer { sums in
                            for (j, position) in positions.enumerated() { importance[position] += sums[j] }
                        }
                    }
                }
            }
            let before = states[b].positions
            let topK = accumulates ? pruneTokens(layer: l, causal: causal, &states[b]) : nil
            if topK != nil, let cache = codes[b] {  // both position lists ascend: walk them together
                var index = 0
                cache.keep(states[b].positions.map { position in
                    while before[index] != position { index += 1 }
                    return index
                })
            }
            records.append(spattenRecords(layer: l, problem, computed[b], topK: topK, length: states[b].tokenImportance.count,
                                          accumulates: accumulates, keptTokens: before.count))
        }
        return records
    }

    /// What `run` computed for one problem.
    struct Computed {
        var workloads: [HeadWorkload]
        /// [H][keys], empty for heads not computed (and when token pruning is off on the tiled path).
        var columnSums: [[Float]]
        /// Per head: rows requantized and V rows fetched.
        var requantized: [Int], valuesFetched: [Int]
    }

    /// A causal problem's codes when its K and V are kept quantized per token (`QuantizedKVCache.fits`,
    /// no value pruning; other settings run `SpAttenHead` on every call): the state's cache, created on
    /// the first call, with the rows it lacks (the call's new tokens, the last `keys − rows` of the
    /// problem's K and V) appended.
    private func keptCodes(_ problem: AttentionProblem, _ state: inout AttentionState) -> QuantizedKVCache? {
        guard problem.mask.causal, valueRatio == 0, let q = quantization, QuantizedKVCache.fits(q, headDim: problem.headDim) else { return nil }
        let cache = state.quantizedKV ?? QuantizedKVCache(kvHeads: problem.kvHeads, headDim: problem.headDim, quantization: q)
        precondition(cache.rows <= problem.keys && cache.kvHeads == problem.kvHeads && cache.headDim == problem.headDim,
                     "SpAtten: the layer's quantized cache holds \(cache.rows) rows of \(cache.kvHeads)×\(cache.headDim), the problem \(problem.keys) of \(problem.kvHeads)×\(problem.headDim)")
        let held = cache.rows
        cache.append(k: problem.k + held * problem.ldk, ldk: problem.ldk, v: problem.v + held * problem.ldv, ldv: problem.ldv, rows: problem.keys - held)
        state.quantizedKV = cache
        return cache
    }

    /// Attention of every problem: the tiled kernel (column sums on request), or `SpAttenHead` per
    /// head when quantization or value pruning is on — on the codes (`attend_spatten_code_rows`) for a
    /// problem whose K and V are kept quantized (`codes`).
    func run(_ problems: [AttentionProblem], columnSums: Bool, codes: [QuantizedKVCache?]) -> [Computed] {
        if quantization == nil && valueRatio == 0 {
            return TiledAttention.run(problems, columnSums: columnSums).enumerated().map { p, result in
                Computed(workloads: result.workloads, columnSums: result.columnSums, requantized: Array(repeating: 0, count: problems[p].heads),
                         valuesFetched: Array(repeating: problems[p].keys, count: problems[p].heads))
            }
        }
        // A task: heads of one problem — one head, or on the codes up to ATTEND_SPATTEN_MAX_GROUP heads sharing a KV head.
        var tasks: [(problem: Int, heads: [Int])] = []
        for (p, problem) in problems.enumerated() {
            let onCodes = codes[p] != nil
            for g in 0..<(onCodes ? problem.kvHeads : 1) {
                let heads = (0..<problem.heads).filter { !onCodes || problem.kvHead(of: $0) == g }
                for h in heads where problem.mask.skippedHeads.contains(h) {
                    for i in 0..<problem.queries { (problem.out + i * problem.ldo + h * problem.headDim).update(repeating: 0, count: problem.headDim) }
                }
                let running = heads.filter { !problem.mask.skippedHeads.contains($0) }
                let size = onCodes ? Int(ATTEND_SPATTEN_MAX_GROUP) : 1
                for start in stride(from: 0, to: running.count, by: size) { tasks.append((p, Array(running[start..<min(start + size, running.count)]))) }
            }
        }
        let results = UnsafeMutableBufferPointer<[SpAttenHead]>.allocate(capacity: max(tasks.count, 1))
        defer { results.deinitialize().deallocate() }
        nonisolated(unsafe) let output = results
        Parallel.forEach(tasks.count) { index in
            let (p, heads) = tasks[index]
            let computed = if let cache = codes[p] {
                SpAttenHead.onCodes(problems[p], heads: heads, codes: cache, quantization: quantization!)
            } else {
                [SpAttenHead(problems[p], head: heads[0], quantization: quantization, valueRatio: valueRatio)]
            }
            output.initializeElement(at: index, to: computed)
        }
        var computed = problems.map { problem in
            Computed(workloads: [], columnSums: Array(repeating: [], count: problem.heads), requantized: Array(repeating: 0, count: problem.heads),
                     valuesFetched: Array(repeating: 0, count: problem.heads))
        }
        for (index, (p, heads)) in tasks.enumerated() {
            for (head, h) in zip(results[index], heads) {
                computed[p].columnSums[h] = head.columnSums
                computed[p].requantized[h] = head.requantizedRows
                computed[p].valuesFetched[h] = head.valuesFetched
            }
        }
        for (p, problem) in problems.enumerated() {
            let (nq, nk, d) = (problem.queries, problem.keys, problem.headDim)
            computed[p].workloads = (0..<problem.heads).map { h in
                let ran = !problem.mask.skippedHeads.contains(h) && nq > 0 && nk > 0
                let entries = ran ? (0..<nq).reduce(0) { $0 + (problem.mask.causal ? max(0, min(nk, $1 + problem.mask.causalOffset + 1)) : nk) } : 0
                let values = ran ? computed[p].valuesFetched[h] : 0
                return HeadWorkload(queries: nq, keys: nk, allowedEntries: entries, computedEntries: entries, blocksKept: ran ? 1 : 0, blocksTotal: 1,
                                    qkMACs: entries * d + computed[p].requantized[h] * nk * d, pvMACs: nq * values * d, denseMACs: 2 * nq * nk * d,
                                    exps: entries, bytesQ: 0, bytesK: 0, bytesV: 0, bits: 32, kvRowsRead: ran ? nk : 0,
                                    headPruned: problem.mask.skippedHeads.contains(h) ? 1 : 0, headDim: d)
            }
        }
        return computed
    }

    /// Prunes heads before layer l: the surviving heads are cut to the schedule's count by s_h.
    private func pruneHeads(layer l: Int, heads: Int, _ state: inout AttentionState) {
        let keep = schedule.keptHeads(layer: l, of: heads)
        let alive = (0..<heads).filter { !state.prunedHeads.contains($0) }
        guard alive.count > keep else { return }
        let kept = Set(TopK.select(alive.map { state.headImportance[$0] }, k: keep).map { alive[$0] })
        for h in alive where !kept.contains(h) { state.prunedHeads.insert(h) }
    }

    /// s_h += Σ_q Σ_c |E_h[q, c]| for the heads that ran.
    private func addHeadImportance(_ problem: AttentionProblem, _ state: inout AttentionState) {
        let d = problem.headDim
        for h in 0..<problem.heads where !problem.mask.skippedHeads.contains(h) {
            var sum: Float = 0
            for i in 0..<problem.queries { for c in 0..<d { sum += abs(problem.out[i * problem.ldo + h * d + c]) } }
            state.headImportance[h] += sum
        }
    }

    /// After layer l: cuts the surviving tokens to the schedule's count for layer l + 1 (encoders) or
    /// for layer l's cache (causal); returns k when a selection ran.
    private func pruneTokens(layer l: Int, causal: Bool, _ state: inout AttentionState) -> Int? {
        let (n, length) = (state.positions.count, state.tokenImportance.count)
        guard n > 1 else { return nil }
        let target = causal ? min(n, Int((schedule.keptFraction(layer: l, length: length) * Double(length) - 1e-9).rounded(.up)))
            : SpAttenSchedule.keptCount(ratio: schedule.tokenRatio(layer: l + 1, length: length), of: n)
        let newest = state.positions.last!
        let inWindow = { (position: Int) in causal && position > 0 && position < newest && position >= newest - recentWindow }
        let protected = { (position: Int) in position == 0 || (causal && position == newest) || inWindow(position) }
        // The window rides on top of the important tokens (as spatten_llm's recent_size beside important_size).
        let windowCount = state.positions.filter(inWindow).count
        let keep = min(n, max(state.positions.filter(protected).count - windowCount, target) + windowCount)
        guard keep < n else { return nil }
        let scores = state.positions.map { protected($0) ? Float.infinity : state.tokenImportance[$0] }
        state.positions = TopK.select(scores, k: keep).map { state.positions[$0] }
        return keep
    }

    /// Each computed head's SpAtten CSV row (SPEC §4.5, the authors' conventions: L = tokens the
    /// sequence has, key_fetch_num = surviving tokens fetched, −1 for a setting that is off, the
    /// top-k flagged on the layer's last head row).
    private func spattenRecords(layer l: Int, _ problem: AttentionProblem, _ computed: Computed, topK: Int?, length: Int,
                                accumulates: Bool, keptTokens: Int) -> [HeadWorkload] {
        var records = computed.workloads
        let ran = (0..<problem.heads).filter { !problem.mask.skippedHeads.contains($0) }
        let (d, nq) = (problem.headDim, problem.queries)
        let qz = quantization
        for h in ran {
            let requantized = computed.requantized[h] > 0
            let row = SpAttenWorkloadRow(
                iteration: 0, layer: l, head: h, headDim: d, sentenceLength: length, keysFetched: keptTokens,
                keyBits: qz?.keyBits ?? -1, queryBits: qz?.queryBits ?? -1, requantThreshold: qz?.threshold ?? -1,
                requantized: requantized, requantIncrement: qz?.lsbBits ?? -1, valuesFetched: computed.valuesFetched[h],
                valueBits: qz?.valueBits ?? -1, accumulatesImportance: accumulates, rescalesPreviousImportance: false,
                runsTopK: topK != nil && h == ran.last, topK: topK != nil && h == ran.last ? topK! : -1)
            var w = records[h]
            let keyBits = (qz.map { $0.keyBits + (requantized ? $0.lsbBits : 0) } ?? 32)
            w.bits = qz?.keyBits ?? 32
            w.bytesQ = (nq * d * (qz?.queryBits ?? 32) + 7) / 8
            w.bytesK = (keptTokens * d * keyBits + 7) / 8
            w.bytesV = (computed.valuesFetched[h] * d * (qz?.valueBits ?? 32) + 7) / 8
            w.spatten = SpAttenRecord(row: row, rows: nq, requantizedRows: computed.requantized[h])
            records[h] = w
        }
        return records
    }
}
