import AttendAttention
import AttendKernels

/// Which rows of logits a forward pass computes.
public enum LogitRows: Sendable, Equatable {
    /// Only the last new token's (generation).
    case last
    /// Every new token's (parity tests).
    case all
    /// The new tokens' from index `first` on (perplexity scores the second half of each chunk).
    case from(Int)

    /// The row indices among n new tokens.
    func range(tokens n: Int) -> Range<Int> {
        switch self {
        case .last: return (n - 1)..<n
        case .all: return 0..<n
        case .from(let first):
            precondition((0..<n).contains(first), "logit rows from \(first) of \(n) tokens")
            return first..<n
        }
    }
}

/// What a decoder forward pass returns for n new tokens.
public struct DecoderOutput: Sendable {
    /// logits: [rows, V] — next-token scores after each requested position (`LogitRows`).
    public var logits: Tensor
    /// hidden: [rows, D] — the final normed hidden states of the same rows.
    public var hidden: Tensor
    /// What attention did: [layer][head] (the one sequence's records).
    public var workloads: [[HeadWorkload]]
}

/// A causal language model with a key/value cache: the interface generation and perplexity use,
/// whatever the architecture (`LlamaModel`, `GPT2Model`).
public protocol CausalLanguageModel: Sendable {
    /// Architecture name as in GGUF's `general.architecture` / HF's `model_type` ("llama", "gpt2").
    var architecture: String { get }
    var vocabularySize: Int { get }
    /// The most tokens the model can attend (GGUF `*.context_length`, HF `max_position_embeddings`).
    var contextLength: Int { get }
    var layerCount: Int { get }
    /// Width of one cached key row: H_kv·d.
    var kvWidth: Int { get }

    /// Runs `ids`, the tokens after the `cache.count` already cached, through the model: their keys
    /// and values are appended to `cache`, and the logits of the rows `rows` asks for are returned.
    /// Causal attention goes through `attention` (queries: the new tokens; keys: cache + new).
    func forward(_ ids: [Int], cache: KVCache, attention: any AttentionMethod, rows: LogitRows) throws -> DecoderOutput
}

extension CausalLanguageModel {
    /// A cache for this model with room for `capacity` tokens before it grows.
    public func makeCache(capacity: Int) -> KVCache {
        KVCache(layers: layerCount, width: kvWidth, limit: contextLength, capacity: capacity)
    }

    /// Checks new tokens before a forward pass: non-empty, ids inside the vocabulary, room in the context.
    func validate(_ ids: [Int], cache: KVCache) throws {
        if ids.isEmpty { throw ModelError.emptySequence(sequence: 0) }
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw ModelError.tokenOutOfRange(id: bad, vocabularySize: vocabularySize, sequence: 0)
        }
        try cache.reserve(ids.count)
    }

    /// The causal attention problem of one layer: queries `q: [n, H·d]` (stride ldq) at positions
    /// `cache.count..<cache.count + n`, keys/values the layer's `cache.rows(layer: l)` rows and the n new
    /// ones after them, output `out: [n, H·d]`.
    func causalProblem(q: UnsafePointer<Float>, ldq: Int, n: Int, cache: KVCache, layer l: Int, heads: Int, kvHeads: Int, headDim: Int,
                       out: UnsafeMutablePointer<Float>) -> AttentionProblem {
        let keys = cache.rows(layer: l) + n
        return AttentionProblem(q: q, ldq: ldq, k: cache.keys(layer: l), ldk: kvWidth, v: cache.values(layer: l), ldv: kvWidth,
                                out: out, ldo: heads * headDim, queries: n, keys: keys, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                mask: AttentionMask(causal: true, causalOffset: keys - n))
    }

    /// Runs `attention` on one layer's problem with the layer's state (its positions plus `newPositions`,
    /// those of the problem's query rows); rows the method pruned leave the layer's cache.
    func attend(_ attention: any AttentionMethod, layer l: Int, _ problem: AttentionProblem, newPositions: [Int], cache: KVCache) -> [HeadWorkload] {
        var states = [cache.states[l]]
        states[0].positions += newPositions
        let records = attention.attend(layer: l, [problem], states: &states)
        cache.update(layer: l, newPositions: newPositions, state: states[0])
        return records[0]
    }

    /// SpAtten's cascade in a prompt pass (Wang et al., HPCA 2021, §III-A; SPEC §4.5): when only the
    /// last row's logits are asked for (`rows == .last`: a generation prompt), a new token that layer l's
    /// cache dropped is needed by no later layer — later layers never admit it (its K and V are not
    /// computed again) and its logits are not asked for — so its row leaves the pass: its output
    /// projection, FFN and every later layer run without it. Returns the indices (into
    /// `newPositions`, ascending) of the rows still needed, or nil when all are (nothing pruned, or
    /// other rows' logits are asked for: then every layer keeps its own selection).
    func rowsNeeded(after l: Int, newPositions: [Int], cache: KVCache, rows: LogitRows) -> [Int]? {
        guard rows == .last, newPositions.count > 1 else { return nil }
        let kept = Set(cache.states[l].positions.filter { $0 >= newPositions[0] })
        let needed = newPositions.indices.filter { kept.contains(newPositions[$0]) }
        return needed.count < newPositions.count ? needed : nil
    }
}
