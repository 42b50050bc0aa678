/// One row of SpAtten's released workload CSV (SPEC §4.5; the inputs of the authors'
/// `mit-han-lab/spatten` simulator): what head `head` of layer `layer` did in iteration
/// `iteration` (a pass of the model: one generated token in the released GPT-2 workloads; Attend's
/// dense encoder rows, `SpAttenWorkloadRow.dense(_:)`, put the sentence index here).
///
/// Columns, in file order: `iteration_id,layer_id,head_id,embedding_length_D,sentence_length_L,
/// key_fetch_num,quant_key_bit,quant_query_bit,auto_requant_thres,if_requant,auto_requant_incre,
/// value_fetch_num,quant_value_bit,if_accumulate_importance,if_rescale_previous_importance,if_topk,topk`.
public struct SpAttenWorkloadRow: Sendable, Equatable {
    /// `iteration_id`, `layer_id`, `head_id`.
    public var iteration: Int, layer: Int, head: Int
    /// `embedding_length_D`: the head dimension d.
    public var headDim: Int
    /// `sentence_length_L`: the sequence length before any token pruning (the whole context at this
    /// iteration; the released GPT-2 rows keep L = 993 + iteration while `key_fetch_num` shrinks).
    public var sentenceLength: Int
    /// `key_fetch_num`: K rows fetched for the scores: the tokens that survived token pruning.
    public var keysFetched: Int
    /// `quant_key_bit`, `quant_query_bit`: MSB widths Q·Kᵀ is first computed with; -1 = not quantized.
    public var keyBits: Int, queryBits: Int
    /// `auto_requant_thres`: the max-probability threshold below which a row fetches its LSBs; -1 = none.
    public var requantThreshold: Double
    /// `if_requant`: whether this head's rows needed the LSBs (1) or not (0).
    public var requantized: Bool
    /// `auto_requant_incre`: the extra (LSB) bits of K fetched when requantizing, from their own DRAM
    /// region; -1 = none.
    public var requantIncrement: Int
    /// `value_fetch_num`: V rows fetched after local value pruning.
    public var valuesFetched: Int
    /// `quant_value_bit`: V's bit width; -1 = not quantized.
    public var valueBits: Int
    /// `if_accumulate_importance`, `if_rescale_previous_importance`: whether this head adds its
    /// column sums to the token importance, and whether earlier importance is rescaled first.
    public var accumulatesImportance: Bool, rescalesPreviousImportance: Bool
    /// `if_topk`, `topk`: whether a top-k token selection follows this head, and its k (the tokens the
    /// next layer keeps; -1 without one).
    public var runsTopK: Bool, topK: Int

    public init(iteration: Int, layer: Int, head: Int, headDim: Int, sentenceLength: Int, keysFetched: Int,
                keyBits: Int, queryBits: Int, requantThreshold: Double, requantized: Bool, requantIncrement: Int,
                valuesFetched: Int, valueBits: Int, accumulatesImportance: Bool, rescalesPreviousImportance: Bool,
                runsTopK: Bool, topK: Int) {
        (self.iteration, self.layer, self.head, self.headDim, self.sentenceLength) = (iteration, layer, head, headDim, sentenceLength)
        (self.keysFetched, self.keyBits, self.queryBits) = (keysFetched, keyBits, queryBits)
        (self.requantThreshold, self.requantized, self.requantIncrement) = (requantThreshold, requantized, requantIncrement)
        (self.valuesFetched, self.valueBits) = (valuesFetched, valueBits)
        (self.accumulatesImportance, self.rescalesPreviousImportance) = (accumulatesImportance, rescalesPreviousImportance)
        (self.runsTopK, self.topK) = (runsTopK, topK)
    }

    /// The CSV header row (SPEC §4.5), exactly as the released workloads spell it.
    public static let header = "iteration_id,layer_id,head_id,embedding_length_D,sentence_length_L,key_fetch_num,"
        + "quant_key_bit,quant_query_bit,auto_requant_thres,if_requant,auto_requant_incre,value_fetch_num,"
        + "quant_value_bit,if_accumulate_importance,if_rescale_previous_importance,if_topk,topk"
}

/// SpAtten's workload CSV: `SpAttenWorkloadRow.header`, then one line per row, booleans as
/// `True` / `False` and an integral threshold without a fraction (`-1`), as the released files.
public enum SpAttenCSV {
    /// The rows as CSV text (header included, one line per row, in the given order).
    public static func text(_ rows: [SpAttenWorkloadRow]) -> String {
        var text = SpAttenWorkloadRow.header + "\n"
        for r in rows {
            let fields: [String] = [
                "\(r.iteration)", "\(r.layer)", "\(r.head)", "\(r.headDim)", "\(r.sentenceLength)", "\(r.keysFetched)",
                "\(r.keyBits)", "\(r.queryBits)", number(r.requantThreshold), flag(r.requantized), "\(r.requantIncrement)",
                "\(r.valuesFetched)", "\(r.valueBits)", flag(r.accumulatesImportance), flag(r.rescalesPreviousImportance),
                flag(r.runsTopK), "\(r.topK)",
            ]
            text += fields.joined(separator: ",") + "\n"
        }
        return text
    }

    static func flag(_ value: Bool) -> String { value ? "True" : "False" }

    /// An integral value without a fraction ("-1"), others as Swift prints them ("0.05").
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
