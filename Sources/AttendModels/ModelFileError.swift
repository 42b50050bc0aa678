/// Everything that can be wrong with a model file (safetensors weights or a Hugging Face
/// `config.json`). Every case carries the file path; the description also names the tensor or
/// config key involved and what was expected versus found.
public enum ModelFileError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: Files

    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be opened, inspected or mapped (or is not a regular file).
    case fileUnreadable(path: String, reason: String)

    // MARK: safetensors framing

    /// The file is shorter than the 8-byte header-length prefix.
    case fileTooSmall(path: String, size: Int)
    /// The declared header length exceeds the sanity limit (safetensors' own is 100 MB).
    case headerTooLarge(path: String, declared: UInt64, limit: Int)
    /// The declared header length runs past the end of the file.
    case headerLengthExceedsFile(path: String, declared: UInt64, available: Int)
    /// The header bytes are not valid UTF-8 (`offset` is relative to the header start).
    case headerNotUTF8(path: String, offset: Int)
    /// The header is not well-formed JSON.
    case headerNotJSON(path: String, detail: String)
    /// The header is JSON but not an object.
    case headerNotObject(path: String, found: String)
    /// The same key appears twice in the header object.
    case duplicateTensorName(path: String, tensor: String)
    /// `__metadata__` is not an object of string values.
    case invalidMetadata(path: String, detail: String)

    // MARK: safetensors entries

    /// A tensor entry is not a JSON object.
    case entryNotObject(path: String, tensor: String, found: String)
    /// A tensor entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(path: String, tensor: String, field: String)
    /// A tensor entry field has the wrong JSON type / arity.
    case wrongFieldType(path: String, tensor: String, field: String, expected: String, found: String)
    /// The dtype name is not a safetensors dtype.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A shape dimension is negative, non-integral, or the element count overflows.
    case invalidShape(path: String, tensor: String, detail: String)
    /// `data_offsets` has begin > end, or a negative / non-integral value.
    case invalidDataOffsets(path: String, tensor: String, begin: String, end: String, detail: String)
    /// `data_offsets` end lies beyond the data buffer.
    case dataOffsetsOutOfBounds(path: String, tensor: String, end: Int, bufferSize: Int)
    /// end − begin ≠ product(shape) × dtype size.
    case byteLengthMismatch(path: String, tensor: String, dtype: String, shape: [Int], expectedBytes: Int, foundBytes: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(path: String, tensor: String, range: Range<Int>, other: String, otherRange: Range<Int>)
    /// Bytes of the data buffer that belong to no tensor (a gap, or trailing bytes).
    case uncoveredBytes(path: String, range: Range<Int>, after: String?)

    // MARK: safetensors use

    /// No tensor of this name is in the file.
    case tensorNotFound(path: String, tensor: String)
    /// The tensor's dtype cannot be read as the requested type.
    case unsupportedDType(path: String, tensor: String, dtype: String, supported: [String])
    /// The tensor's shape differs from what the caller (e.g. a config) expects.
    case shapeMismatch(path: String, tensor: String, expected: [Int], found: [Int])

    // MARK: config.json

    /// The config is not a JSON object.
    case configNotJSON(path: String, detail: String)
    /// A required config key is absent (or null).
    case configMissingKey(path: String, key: String)
    /// A config key has the wrong JSON type.
    case configWrongType(path: String, key: String, expected: String)
    /// A config value is out of range (e.g. a non-positive size).
    case configInvalidValue(path: String, key: String, value: String, expected: String)
    /// hidden_size is not a multiple of num_attention_heads.
    case configHeadsDoNotDivide(path: String, hiddenSize: Int, numAttentionHeads: Int)
    /// hidden_act names an activation this implementation does not provide.
    case configUnsupportedActivation(path: String, found: String, supported: [String])
    /// id2label / label2id / num_labels are inconsistent.
    case configInvalidLabels(path: String, key: String, detail: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .fileNotFound(let p), .fileUnreadable(let p, _), .fileTooSmall(let p, _),
             .headerTooLarge(let p, _, _), .headerLengthExceedsFile(let p, _, _), .headerNotUTF8(let p, _),
             .headerNotJSON(let p, _), .headerNotObject(let p, _), .duplicateTensorName(let p, _),
             .invalidMetadata(let p, _), .entryNotObject(let p, _, _), .missingField(let p, _, _),
             .wrongFieldType(let p, _, _, _, _), .unknownDType(let p, _, _), .invalidShape(let p, _, _),
             .invalidDataOffsets(let p, _, _, _, _), .dataOffsetsOutOfBounds(let p, _, _, _),
             .byteLengthMismatch(let p, _, _, _, _, _), .overlappingTensors(let p, _, _, _, _),
             .uncoveredBytes(let p, _, _), .tensorNotFound(let p, _), .unsupportedDType(let p, _, _, _),
             .shapeMismatch(let p, _, _, _), .configNotJSON(let p, _), .configMissingKey(let p, _),
             .configWrongType(let p, _, _), .configInvalidValue(let p, _, _, _),
             .configHeadsDoNotDivide(let p, _, _), .configUnsupportedActivation(let p, _, _),
             .configInvalidLabels(let p, _, _):
            return p
        }
    }

    public var description: String {
        switch self {
        case .fileNotFound(let p):
            return "\(p): file not found"
        case .fileUnreadable(let p, let reason):
            return "\(p): cannot read file: \(reason)"
        case .fileTooSmall(let p, let size):
            return "\(p): not a safetensors file: expected at least 8 bytes (the header length), found \(size)"
        case .headerTooLarge(let p, let declared, let limit):
            return "\(p): safetensors header length \(declared) exceeds the limit of \(limit) bytes"
        case .headerLengthExceedsFile(let p, let declared, let available):
            return "\(p): safetensors header length \(declared) runs past the end of the file (\(available) bytes after the length prefix)"
        case .headerNotUTF8(let p, let offset):
            return "\(p): safetensors header is not valid UTF-8 (at header byte \(offset))"
        case .headerNotJSON(let p, let detail):
            return "\(p): safetensors header is not valid JSON: \(detail)"
        case .headerNotObject(let p, let found):
            return "\(p): safetensors header must be a JSON object, found \(found)"
        case .duplicateTensorName(let p, let t):
            return "\(p): tensor '\(t)' appears more than once in the safetensors header"
        case .invalidMetadata(let p, let detail):
            return "\(p): invalid __metadata__: \(detail)"
        case .entryNotObject(let p, let t, let found):
            return "\(p): tensor '\(t)': expected an object with dtype, shape and data_offsets, found \(found)"
        case .missingField(let p, let t, let field):
            return "\(p): tensor '\(t)': missing required field '\(field)'"
        case .wrongFieldType(let p, let t, let field, let expected, let found):
            return "\(p): tensor '\(t)': field '\(field)' must be \(expected), found \(found)"
        case .unknownDType(let p, let t, let dtype):
            return "\(p): tensor '\(t)': unknown dtype '\(dtype)' (expected one of \(SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .invalidShape(let p, let t, let detail):
            return "\(p): tensor '\(t)': invalid shape: \(detail)"
        case .invalidDataOffsets(let p, let t, let b, let e, let detail):
            return "\(p): tensor '\(t)': invalid data_offsets [\(b), \(e)]: \(detail)"
        case .dataOffsetsOutOfBounds(let p, let t, let end, let size):
            return "\(p): tensor '\(t)': data_offsets end \(end) lies beyond the data buffer of \(size) bytes"
        case .byteLengthMismatch(let p, let t, let dtype, let shape, let expected, let found):
            return "\(p): tensor '\(t)': \(dtype) \(shape) needs \(expected) bytes, but data_offsets span \(found)"
        case .overlappingTensors(let p, let t, let r, let o, let or):
            return "\(p): tensor '\(t)' bytes \(r.lowerBound)..<\(r.upperBound) overlap tensor '\(o)' bytes \(or.lowerBound)..<\(or.upperBound)"
        case .uncoveredBytes(let p, let r, let after):
            let where_ = after.map { "after tensor '\($0)'" } ?? "before the first tensor"
            return "\(p): data buffer bytes \(r.lowerBound)..<\(r.upperBound) (\(where_)) belong to no tensor; the buffer must be fully covered"
        case .tensorNotFound(let p, let t):
            return "\(p): no tensor named '\(t)'"
        case .unsupportedDType(let p, let t, let dtype, let supported):
            return "\(p): tensor '\(t)' has dtype \(dtype); expected one of \(supported.joined(separator: ", "))"
        case .shapeMismatch(let p, let t, let expected, let found):
            return "\(p): tensor '\(t)': expected shape \(expected), found \(found)"
        case .configNotJSON(let p, let detail):
            return "\(p): config is not a valid JSON object: \(detail)"
        case .configMissingKey(let p, let key):
            return "\(p): config is missing required key '\(key)'"
        case .configWrongType(let p, let key, let expected):
            return "\(p): config key '\(key)' must be \(expected)"
        case .configInvalidValue(let p, let key, let value, let expected):
            return "\(p): config key '\(key)' is \(value); expected \(expected)"
        case .configHeadsDoNotDivide(let p, let h, let n):
            return "\(p): config key 'hidden_size' (\(h)) is not divisible by 'num_attention_heads' (\(n))"
        case .configUnsupportedActivation(let p, let found, let supported):
            return "\(p): config key 'hidden_act' is '\(found)', which is not supported; supported: \(supported.map { "'\($0)'" }.joined(separator: ", "))"
        case .configInvalidLabels(let p, let key, let detail):
            return "\(p): config key '\(key)': \(detail)"
        }
    }
}
