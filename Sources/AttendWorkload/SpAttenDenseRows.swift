extension SpAttenWorkloadRow {
    /// A head that prunes nothing and quantizes nothing: every one of `length` tokens' K and V
    /// fetched, bit widths and requantization -1 ("not used"), no top-k, no importance.
    public static func unpruned(iteration: Int, layer: Int, head: Int, headDim: Int, length: Int) -> SpAttenWorkloadRow {
        SpAttenWorkloadRow(iteration: iteration, layer: layer, head: head, headDim: headDim, sentenceLength: length, keysFetched: length,
                           keyBits: -1, queryBits: -1, requantThreshold: -1, requantized: false, requantIncrement: -1,
                           valuesFetched: length, valueBits: -1, accumulatesImportance: false, rescalesPreviousImportance: false,
                           runsTopK: false, topK: -1)
    }

    /// Attend's own records (`attend eval --trace`, dense or tiled runs) as SpAtten rows of the
    /// dense baseline: one row per record, `iteration_id` = the sentence index, L = keys fetched =
    /// values fetched = the record's keys, d = its head dimension, nothing quantized (-1).
    /// Whatever the record's method pruned is ignored: these rows are what dense attention fetches
    /// on the same inputs. Cost them as summarisation (every token is a query).
    public static func dense(_ records: [TraceRecord]) -> [SpAttenWorkloadRow] {
        records.map { r in
            unpruned(iteration: r.sentence, layer: r.layer, head: r.head, headDim: r.workload.headDim, length: r.workload.keys)
        }
    }

    /// The dense rows of generating `generated` tokens after a `prompt`-token prompt, as the released
    /// GPT-2 workloads lay them out: iteration i (0 ..< generated) is one query against
    /// L = prompt + 1 + i keys and values in each of `layers` × `heads` heads of dimension `headDim`
    /// (the 992 + 32 runs of the paper: L = 993 … 1024). The prompt's own pass has no row.
    public static func denseGeneration(layers: Int, heads: Int, headDim: Int, prompt: Int, generated: Int) -> [SpAttenWorkloadRow] {
        precondition(layers >= 0 && heads >= 0 && headDim >= 1 && prompt >= 0 && generated >= 0)
        var rows: [SpAttenWorkloadRow] = []
        rows.reserveCapacity(layers * heads * generated)
        for i in 0..<generated {
            for l in 0..<layers {
                for h in 0..<heads { rows.append(unpruned(iteration: i, layer: l, head: h, headDim: headDim, length: prompt + 1 + i)) }
            }
        }
        return rows
    }
}
