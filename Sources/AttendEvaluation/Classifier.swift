import AttendAttention
import AttendKernels
import AttendModels
import AttendTokenizers
import Foundation

/// A sequence classifier: a BERT model with its tokenizer, classifying texts in length-sorted,
/// padded batches.
public struct Classifier: Sendable {
    public let model: BertModel
    public let tokenizer: BertTokenizer
    /// Label names in index order (from `id2label`).
    public var labels: [String] { model.config.labels }

    public init(model: BertModel, tokenizer: BertTokenizer) {
        self.model = model
        self.tokenizer = tokenizer
    }

    /// Loads model and tokenizer from a Hugging Face directory.
    public init(directory: URL) throws {
        self.init(model: try BertModel(directory: directory), tokenizer: try BertTokenizer(directory: directory))
    }

    /// Token ids of each text with [CLS]/[SEP]. Over-long inputs are truncated to
    /// `max_position_embeddings` when `truncate`, else rejected with an error naming the input
    /// (its 1-based position among `texts`).
    public func encode(_ texts: [String], truncate: Bool) throws -> [[Int]] {
        let maximum = model.config.maxPositionEmbeddings
        return try texts.enumerated().map { index, text in
            do {
                return try tokenizer.encode(text, maxLength: maximum, overflow: truncate ? .truncate : .error)
            } catch {
                throw InputError(position: index + 1, reason: String(describing: error))
            }
        }
    }

    /// Classifies token-id sequences with `attention` running every layer's attention. Sequences
    /// are sorted by length (stable) and cut into batches of `batchSize`, so padding stays small;
    /// `progress(done, total)` follows the batches. Results are in input order.
    public func classify(
        _ ids: [[Int]], batchSize: Int = 16, attention: any AttentionMethod = TiledMethod(),
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> Classification {
        precondition(batchSize >= 1)
        let order = ids.indices.sorted { (ids[$0].count, $0) < (ids[$1].count, $1) }
        var logits = [[Float]](repeating: [], count: ids.count)
        var workloads = [[[HeadWorkload]]](repeating: [], count: ids.count)
        var done = 0
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let members = Array(order[start..<min(start + batchSize, order.count)])
            let output = try model.logits(members.map { ids[$0] }, attention: attention)
            let l = model.config.numLabels
            for (row, index) in members.enumerated() {
                logits[index] = Array(output.logits.data[(row * l)..<(row * l + l)])
                workloads[index] = output.workloads.map { $0[row] }
            }
            done += members.count
            progress(done, ids.count)
        }
        return Classification(logits: logits, workloads: workloads)
    }
}

/// What `Classifier.classify` returns, in input order.
public struct Classification: Sendable {
    /// logits: [texts][L].
    public var logits: [[Float]]
    /// Attention records: [texts][layer][head].
    public var workloads: [[[HeadWorkload]]]

    /// Predicted label index per text.
    public var predictions: [Int] { logits.map(argmax) }
}

/// A text the classifier cannot take, by its 1-based position in the batch of texts given.
public struct InputError: Error, CustomStringConvertible, Equatable {
    public let position: Int
    public let reason: String
    public var description: String { "text \(position): \(reason)" }
}

/// Index of the largest value (the first on ties, as `torch.argmax`).
public func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}

/// Softmax probabilities of a logit vector, in Float64.
public func probabilities(_ logits: [Float]) -> [Double] {
    let m = Double(logits.max() ?? 0)
    let e = logits.map { Foundation.exp(Double($0) - m) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}
