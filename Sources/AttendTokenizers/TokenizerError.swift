/// Everything that can go wrong while loading a tokenizer, decoding input text or encoding it.
///
/// Every case renders (``description``) as one readable sentence naming the file or input and
/// what was expected, suitable for printing to a user unchanged.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A required file does not exist. `expected` says what should have been there.
    case fileNotFound(path: String, expected: String)
    /// A file exists but could not be read.
    case unreadableFile(path: String, reason: String)
    /// Bytes that are not well-formed UTF-8. `source` names the input (a file, "stdin line 3"),
    /// `offset` is the zero-based byte offset of the offending sequence within that input.
    case invalidUTF8(source: String, offset: Int, reason: String)
    /// A JSON file that does not parse; `line` and `column` are 1-based (column counts bytes).
    case malformedJSON(path: String, line: Int, column: Int, expected: String)
    /// Well-formed JSON that is not a tokenizer description this module supports.
    case invalidTokenizerFile(path: String, reason: String)
    /// The vocabulary lacks a token the tokenizer needs (`[CLS]`, `[SEP]`, `[PAD]`, the unknown token).
    case missingSpecialToken(path: String, token: String)
    /// The vocabulary lists the same token twice (or gives two tokens the same id).
    case duplicateToken(path: String, token: String, detail: String)
    /// With ``OverflowPolicy/error``: the encoded sequence, `[CLS]` and `[SEP]` included, is longer
    /// than the maximum the caller allowed.
    case sequenceTooLong(length: Int, maximum: Int)
    /// A maximum sequence length that cannot hold `[CLS]` and `[SEP]`.
    case invalidMaximumLength(Int)
    /// A BPE merge that is not two tokens separated by one space, or whose parts or result are not
    /// in the vocabulary. `index` is 0-based in the merge list (`line` of merges.txt is 1-based).
    case invalidMerge(source: String, index: Int, merge: String, reason: String)
    /// A token id passed to decoding that is not in `0..<vocabularySize`; `position` is its index
    /// in the id list.
    case tokenIDOutOfRange(id: Int, position: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case let .fileNotFound(path, expected):
            return "\(path): file not found (expected \(expected))"
        case let .unreadableFile(path, reason):
            return "\(path): cannot read file: \(reason)"
        case let .invalidUTF8(source, offset, reason):
            return "\(source): invalid UTF-8 at byte offset \(offset): \(reason)"
        case let .malformedJSON(path, line, column, expected):
            return "\(path): malformed JSON at line \(line), column \(column): expected \(expected)"
        case let .invalidTokenizerFile(path, reason):
            return "\(path): \(reason)"
        case let .missingSpecialToken(path, token):
            return "\(path): the vocabulary has no \(token) token (a BERT WordPiece vocabulary needs [CLS], [SEP], [PAD] and its unknown token)"
        case let .duplicateToken(path, token, detail):
            return "\(path): duplicate vocabulary token \(Self.quoted(token)) (\(detail)); every token must appear once"
        case let .sequenceTooLong(length, maximum):
            return "input is \(length) tokens long including [CLS] and [SEP], more than the maximum of \(maximum)"
        case let .invalidMaximumLength(maximum):
            return "maximum sequence length \(maximum) is too small: it must be at least 2 to hold [CLS] and [SEP]"
        case let .invalidMerge(source, index, merge, reason):
            return "\(source): merge \(index) \(Self.quoted(merge)): \(reason)"
        case let .tokenIDOutOfRange(id, position, vocabularySize):
            return "token id \(id) at position \(position) is out of range: the vocabulary has ids 0..<\(vocabularySize)"
        }
    }

    /// A token in double quotes with control and invisible characters escaped, for messages.
    static func quoted(_ token: String) -> String {
        var out = "\""
        for scalar in token.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                switch scalar.properties.generalCategory {
                case .control, .format, .unassigned, .privateUse, .surrogate, .lineSeparator,
                     .paragraphSeparator:
                    out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                case .spaceSeparator where scalar != " ":
                    out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                default:
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
