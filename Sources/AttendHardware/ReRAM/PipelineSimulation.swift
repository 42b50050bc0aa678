/// Latencies (ns) of the pipeline's stages in one layer. Each stage serves one token (or query) at
/// a time, in token order; `post` are the stages after attention (W_O, FFN up, FFN down), each its
/// own arrays.
public struct StageLatencies: Sendable, Equatable {
    /// Q, K, V generation of one token on the weight arrays.
    public var generate: Double
    /// Writing one token's K and V rows into the attention arrays.
    public var write: Double
    /// One query's Q·Kᵀ, softmax and P·V, holding the attention arrays throughout, plus
    /// ⌈allowed keys / softmaxLanes⌉ · softmaxCycle for the LUT softmax.
    public var attention: Double
    public var softmaxLanes: Int, softmaxCycle: Double
    public var post: [Double]

    public init(generate: Double, write: Double, attention: Double, softmaxLanes: Int = 1, softmaxCycle: Double = 0, post: [Double]) {
        precondition(softmaxLanes >= 1, "softmaxLanes must be ≥ 1")
        (self.generate, self.write, self.attention, self.post) = (generate, write, attention, post)
        (self.softmaxLanes, self.softmaxCycle) = (softmaxLanes, softmaxCycle)
    }

    /// Every stage one time unit, no softmax term: the latencies of the closed forms.
    public static func unit(postStages m: Int) -> StageLatencies {
        StageLatencies(generate: 1, write: 1, attention: 1, post: Array(repeating: 1, count: m))
    }
}

/// Why a query's inner products started later than its query vector was ready.
public struct StallTimes: Sendable, Equatable, Codable {
    /// Waiting for the K/V rows of the keys it attends (and, served in order, of earlier queries)
    /// to be generated and written, as if writes never waited for the arrays: the data hazard.
    public var data = 0.0
    /// Waiting while the arrays were busy writing K/V rows, or for writes the arrays delayed:
    /// the structural hazard (0 in the advanced design).
    public var structural = 0.0
    /// Waiting for earlier queries' attention on the same arrays (no hazard: the arrays are busy computing).
    public var queue = 0.0

    enum CodingKeys: String, CodingKey { case data = "data_hazard", structural = "structural_hazard", queue }

    public var total: Double { data + structural + queue }

    public static func + (a: StallTimes, b: StallTimes) -> StallTimes {
        StallTimes(data: a.data + b.data, structural: a.structural + b.structural, queue: a.queue + b.queue)
    }
}

/// When one token went through one layer (ns from the sentence's start).
public struct TokenTimeline: Sendable, Equatable {
    public var layer: Int, token: Int
    public var arrive: Double, generateStart: Double, generateEnd: Double, writeStart: Double, writeEnd: Double
    /// Attention: could start (query ready and its keys written, writes not delayed by the arrays), did start, ended;
    /// -1 when the token runs no attention in this layer (a [CLS]-only layer).
    public var couldStart: Double, start: Double, end: Double
    /// Leaves the layer's last stage (-1 when it runs no attention).
    public var out: Double
    public var stalls: StallTimes
}

/// One sentence through the pipeline.
public struct PipelineRun: Sendable, Equatable {
    /// Time the last token leaves the last layer.
    public var latency: Double
    public var stalls = StallTimes()
    /// Per layer: time the attention arrays were busy (writes + attention) and the time each
    /// stage resource was busy (the largest bounds the throughput of back-to-back sentences).
    public var arrayBusy: [Double] = [], busiestResource = 0.0
    /// Per token and layer, when `record` was set.
    public var timeline: [TokenTimeline] = []
}

/// ReBERT's ReRAM pipeline (SPEC §4.3) as a discrete-event simulation of one sentence: weights stay
/// in their arrays; tokens enter layer 0 together and its generation stage takes one per step; in
/// every layer each token's K and V rows are written into the attention arrays as they are
/// produced; query i's attention needs the rows of every key it attends (data hazard), then the
/// post stages; a token enters layer l + 1 when it leaves layer l. Every stage serves tokens in order.
///
/// `sharedArrays` (baseline and ReBERT-basic): writes and attention use the same arrays. They run
/// as one program: write K/V of token j, then every query (in order) whose keys are now all
/// written; each operation starts when its inputs are ready and the arrays are free (structural
/// hazard). Otherwise (ReBERT-advanced) writes go to their own array of each pair and overlap attention.
///
/// Closed forms for unit latencies: `PipelineClosedForm`.
public enum PipelineSimulation {
    /// Simulates one sentence of `n` tokens through `layers` (a [CLS]-only layer must be the last).
    public static func run(tokens n: Int, layers: [PipelineLayer], latencies: [StageLatencies], sharedArrays: Bool,
                           record: Bool = false) -> PipelineRun {
        precondition(latencies.count == layers.count, "one StageLatencies per layer")
        precondition(layers.dropLast().allSatisfy { !$0.clsOnly }, "only the last layer may be [CLS]-only")
        var run = PipelineRun(latency: 0)
        guard n > 0 else { return run }
        var arrive = [Double](repeating: 0, count: n)
        var generated = [Double](repeating: 0, count: n), written = [Double](repeating: 0, count: n)
        var writeStart = [Double](repeating: 0, count: n), ideal = [Double](repeating: 0, count: n)
        var opStart: [Double] = [], opEnd: [Double] = [], busyPrefix: [Double] = [0]
        for (l, layer) in layers.enumerated() {
            let t = latencies[l]
            let queries = layer.clsOnly ? 1 : n
            var last = 0.0
            for i in 0..<n {
                generated[i] = max(arrive[i], last) + t.generate
                last = generated[i]
                ideal[i] = max(generated[i], i > 0 ? ideal[i - 1] : 0) + t.write
            }
            // Attention, in query order; e = latest key any query up to q needs (in-order service).
            var aStart = [Double](repeating: -1, count: queries), aEnd = [Double](repeating: -1, count: queries)
            var could = [Double](repeating: 0, count: queries)
            (opStart, opEnd, busyPrefix) = ([], [], [0])
            opStart.reserveCapacity(queries); opEnd.reserveCapacity(queries); busyPrefix.reserveCapacity(queries + 1)
            var busy = Double(n) * t.write
            var e = 0, q = 0, free = 0.0, engineFree = 0.0
            func attend(_ q: Int, from ready: Double, _ begin: inout Double) {
                let a = t.attention + Double((layer.allowedKeys(q, tokens: n) + t.softmaxLanes - 1) / t.softmaxLanes) * t.softmaxCycle
                begin = max(begin, ready)
                (aStart[q], aEnd[q]) = (begin, begin + a)
                busy += a
                begin += a
            }
            for j in 0..<n {
                if sharedArrays {
                    writeStart[j] = max(free, generated[j])
                    written[j] = writeStart[j] + t.write
                    free = written[j]
                } else {
                    writeStart[j] = max(j > 0 ? written[j - 1] : 0, generated[j])
                    written[j] = writeStart[j] + t.write
                }
                while q < queries {
                    e = max(e, layer.lastKey(q, tokens: n))
                    guard e == j else { break }
                    could[q] = max(generated[q], ideal[e])
                    let ready = max(generated[q], written[layer.lastKey(q, tokens: n)])
                    if sharedArrays { attend(q, from: ready, &free) } else { attend(q, from: ready, &engineFree) }
                    opStart.append(aStart[q]); opEnd.append(aEnd[q]); busyPrefix.append(busyPrefix.last! + (aEnd[q] - aStart[q]))
                    q += 1
                }
            }
            // Stages after attention, in token order.
            var out = aEnd
            var resourceBusy = [Double(n) * t.generate, sharedArrays ? busy : max(Double(n) * t.write, busy - Double(n) * t.write)]
            for stage in t.post {
                var previous = 0.0
                for i in 0..<queries { out[i] = max(out[i], previous) + stage; previous = out[i] }
                resourceBusy.append(Double(queries) * stage)
            }
            run.busiestResource = max(run.busiestResource, resourceBusy.max()!)
            run.arrayBusy.append(busy)
            // Stalls of each query between its query vector and its start.
            for i in 0..<queries {
                let data = could[i] - generated[i]
                // Attention of earlier queries inside [could, start): ops are in order and do not overlap.
                var lo = 0, hi = i
                while lo < hi { let mid = (lo + hi) / 2; if opEnd[mid] > could[i] { hi = mid } else { lo = mid + 1 } }
                var queue = busyPrefix[i] - busyPrefix[lo]
                if lo < i { queue -= max(0, could[i] - opStart[lo]) }
                queue = max(0, queue)
                let stall = StallTimes(data: data, structural: max(0, aStart[i] - could[i] - queue), queue: queue)
                run.stalls = run.stalls + stall
                if record {
                    run.timeline.append(TokenTimeline(
                        layer: l, token: i, arrive: arrive[i], generateStart: generated[i] - t.generate, generateEnd: generated[i],
                        writeStart: writeStart[i], writeEnd: written[i], couldStart: could[i], start: aStart[i], end: aEnd[i], out: out[i], stalls: stall))
                }
            }
            if record {
                for i in queries..<n {
                    run.timeline.append(TokenTimeline(
                        layer: l, token: i, arrive: arrive[i], generateStart: generated[i] - t.generate, generateEnd: generated[i],
                        writeStart: writeStart[i], writeEnd: written[i], couldStart: -1, start: -1, end: -1, out: -1, stalls: StallTimes()))
                }
            }
            run.latency = max(out.max()!, written[n - 1])
            if l + 1 < layers.count { for i in 0..<n { arrive[i] = out[i] } }
        }
        return run
    }
}
