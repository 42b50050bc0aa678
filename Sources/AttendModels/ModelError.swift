/// Errors about a model's files or its inputs that are not about the safetensors container itself.
/// Each description names the file or input and says what was expected.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// A tensor the architecture needs is absent from the checkpoint.
    case missingTensor(name: String, file: String)
    /// Two checkpoint names map to the same parameter after sanitizing (e.g. `gamma` and `weight`).
    case duplicateTensor(name: String, file: String)
    /// A token id outside the embedding table.
    case tokenOutOfRange(id: Int, vocabularySize: Int, sequence: Int)
    /// A sequence longer than `max_position_embeddings`.
    case sequenceTooLong(length: Int, maximum: Int, sequence: Int)
    /// A sequence with no tokens (a BERT input has at least [CLS]).
    case emptySequence(sequence: Int)
    /// A decoder's tokens (cached + new) would exceed its context length.
    case contextFull(tokens: Int, limit: Int)

    public var description: String {
        switch self {
        case let .missingTensor(name, file):
            return "\(file): tensor '\(name)' is missing (required by the BERT architecture in config.json)"
        case let .duplicateTensor(name, file):
            return "\(file): two tensors both map to '\(name)' after renaming gamma/beta and adding the 'bert.' prefix"
        case let .tokenOutOfRange(id, vocabularySize, sequence):
            return "input \(sequence): token id \(id) is outside the vocabulary 0..<\(vocabularySize)"
        case let .sequenceTooLong(length, maximum, sequence):
            return "input \(sequence): \(length) tokens exceed the model's maximum of \(maximum) (max_position_embeddings); shorten it or truncate"
        case let .emptySequence(sequence):
            return "input \(sequence): empty token sequence"
        case let .contextFull(tokens, limit):
            return "\(tokens) tokens exceed the model's context length of \(limit); shorten the prompt or ask for fewer tokens"
        }
    }
}
