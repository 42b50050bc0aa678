import AttendModels
import Foundation

extension Classifier {
    /// The input range of every encoder linear over `sentences` (tokenized with truncation, sorted by
    /// length and run in padded batches of `batchSize` by the Float32 model): the static scales' calibration.
    public func calibrateActivations(_ sentences: [String], batchSize: Int = 16) throws -> BertActivationRanges {
        let ids = try encode(sentences, truncate: true).sorted { $0.count < $1.count }
        let batches = stride(from: 0, to: ids.count, by: batchSize).map { Array(ids[$0..<min($0 + batchSize, ids.count)]) }
        return try model.calibrateActivations(batches)
    }

    /// This classifier with its encoder's linears on the int8 GEMM (`BertModel.quantized`).
    public func quantized(_ activations: BertActivations) throws -> Classifier {
        Classifier(model: try model.quantized(activations), tokenizer: tokenizer)
    }

    /// This classifier with its encoder in integers only (`BertModel.integerOnly`, I-BERT).
    public func integerOnly(_ ranges: BertActivationRanges) throws -> Classifier {
        Classifier(model: try model.integerOnly(ranges), tokenizer: tokenizer)
    }
}

/// Mean over texts of KL(p ‖ q) = Σ_c p_c · ln(p_c / q_c) between the softmax distributions of the
/// reference logits `p` and the approximate logits `q` ([texts][L] each), in nats, in Float64.
public func meanKLDivergence(reference p: [[Float]], approximate q: [[Float]]) -> Double {
    precondition(p.count == q.count, "logit lists differ in length")
    guard !p.isEmpty else { return 0 }
    var total = 0.0
    for (a, b) in zip(p, q) {
        let (pa, qb) = (probabilities(a), probabilities(b))
        for (x, y) in zip(pa, qb) where x > 0 { total += x * Foundation.log(x / max(y, .leastNonzeroMagnitude)) }
    }
    return total / Double(p.count)
}
