import AttendKernels

/// Everything that can be wrong with a GGUF file or a request for one of its keys or tensors.
/// Every case carries the file path; the description names the field, key or tensor and what was
/// expected versus found. (Opening and mapping the file throw `ModelFileError.fileNotFound` /
/// `.fileUnreadable`, as for safetensors.)
public enum GGUFError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: Framing

    /// The file ends inside `field` (which starts at byte `offset` and needs `needed` bytes).
    case truncated(path: String, field: String, offset: Int, needed: Int, available: Int)
    /// The first four bytes are not "GGUF".
    case badMagic(path: String, found: [UInt8])
    /// The version reads with its low 16 bits zero: a big-endian file (not supported).
    case bigEndian(path: String, version: UInt32)
    /// A version other than 2 or 3 (v1 used 32-bit counts and is no longer supported).
    case unsupportedVersion(path: String, version: UInt32)
    /// A count or length larger than the bytes left in the file could possibly hold.
    case countTooLarge(path: String, field: String, count: UInt64, remainingBytes: Int)
    /// A string is not valid UTF-8.
    case invalidUTF8(path: String, field: String, offset: Int)

    // MARK: Metadata

    /// Metadata key number `index` is the empty string.
    case emptyKey(path: String, index: Int)
    /// A metadata key appears twice.
    case duplicateKey(path: String, key: String)
    /// A value type id outside gguf.h's 0…12.
    case unknownValueType(path: String, key: String, typeID: UInt32)
    /// A bool byte other than 0 or 1.
    case invalidBool(path: String, key: String, value: UInt8)
    /// Arrays nested deeper than `GGUFFile.maxArrayDepth`.
    case arrayTooDeep(path: String, key: String, limit: Int)
    /// `general.alignment` is not a uint32 power of two.
    case invalidAlignment(path: String, found: String)

    // MARK: Tensor infos

    /// Two tensors share a name.
    case duplicateTensorName(path: String, tensor: String)
    /// More than 4 dimensions.
    case tooManyDimensions(path: String, tensor: String, count: UInt32)
    /// A dimension does not fit an Int64 (≥ 2⁶³).
    case invalidDimension(path: String, tensor: String, index: Int, value: UInt64)
    /// The element count or byte size overflows Int64.
    case sizeOverflow(path: String, tensor: String, dimensions: [UInt64])
    /// A type id ggml does not define.
    case unknownTensorType(path: String, tensor: String, typeID: UInt32)
    /// A type ggml defines but Attend does not read.
    case unsupportedTensorType(path: String, tensor: String, typeID: UInt32, name: String)
    /// ne0 is not a multiple of the type's block size.
    case rowNotWholeBlocks(path: String, tensor: String, type: String, ne0: Int, blockElements: Int)
    /// A data offset is not a multiple of the alignment.
    case misalignedOffset(path: String, tensor: String, offset: UInt64, alignment: Int)
    /// A tensor's bytes run past the end of the file.
    case tensorOutOfRange(path: String, tensor: String, offset: UInt64, byteCount: Int, dataBytes: Int)
    /// Two tensors' bytes overlap (offsets relative to the data section).
    case overlappingTensors(path: String, tensor: String, range: Range<Int>, other: String, otherRange: Range<Int>)

    // MARK: Use

    /// No metadata key of this name.
    case missingKey(path: String, key: String)
    /// A metadata value of another type than requested.
    case wrongValueType(path: String, key: String, expected: String, found: String)
    /// A metadata integer outside the range the caller can use.
    case valueOutOfRange(path: String, key: String, value: String, expected: String)
    /// No tensor of this name.
    case tensorNotFound(path: String, tensor: String)
    /// A tensor requested as a matrix is not 2-D (or too large for the kernels' Int32 sizes).
    case notAMatrix(path: String, tensor: String, dimensions: [Int])

    /// The file the error is about.
    public var path: String {
        switch self {
        case .truncated(let p, _, _, _, _), .badMagic(let p, _), .bigEndian(let p, _), .unsupportedVersion(let p, _),
             .countTooLarge(let p, _, _, _), .invalidUTF8(let p, _, _), .emptyKey(let p, _), .duplicateKey(let p, _),
             .unknownValueType(let p, _, _), .invalidBool(let p, _, _), .arrayTooDeep(let p, _, _), .invalidAlignment(let p, _),
             .duplicateTensorName(let p, _), .tooManyDimensions(let p, _, _), .invalidDimension(let p, _, _, _),
             .sizeOverflow(let p, _, _), .unknownTensorType(let p, _, _), .unsupportedTensorType(let p, _, _, _),
             .rowNotWholeBlocks(let p, _, _, _, _), .misalignedOffset(let p, _, _, _), .tensorOutOfRange(let p, _, _, _, _),
             .overlappingTensors(let p, _, _, _, _), .missingKey(let p, _), .wrongValueType(let p, _, _, _),
             .valueOutOfRange(let p, _, _, _), .tensorNotFound(let p, _), .notAMatrix(let p, _, _):
            return p
        }
    }

    public var description: String {
        switch self {
        case .truncated(let p, let field, let offset, let needed, let available):
            return "\(p): GGUF file ends inside \(field) at byte \(offset): needs \(needed) bytes, \(available) left"
        case .badMagic(let p, let found):
            return "\(p): not a GGUF file: expected magic \"GGUF\" (47 47 55 46), found \(found.map { String($0, radix: 16) }.joined(separator: " "))"
        case .bigEndian(let p, let version):
            return "\(p): GGUF version reads as 0x\(String(version, radix: 16)): a big-endian file; only little-endian GGUF is supported"
        case .unsupportedVersion(let p, let version):
            return "\(p): GGUF version \(version) is not supported; expected 2 or 3\(version == 1 ? " (v1 is obsolete: re-convert the model)" : "")"
        case .countTooLarge(let p, let field, let count, let remaining):
            return "\(p): \(field) is \(count), more than the \(remaining) bytes left in the file can hold"
        case .invalidUTF8(let p, let field, let offset):
            return "\(p): \(field) at byte \(offset) is not valid UTF-8"
        case .emptyKey(let p, let index):
            return "\(p): metadata key \(index) is empty"
        case .duplicateKey(let p, let key):
            return "\(p): metadata key '\(key)' appears more than once"
        case .unknownValueType(let p, let key, let id):
            return "\(p): metadata key '\(key)' has value type \(id); expected a GGUF type id 0…12"
        case .invalidBool(let p, let key, let value):
            return "\(p): metadata key '\(key)': bool byte is \(value); expected 0 or 1"
        case .arrayTooDeep(let p, let key, let limit):
            return "\(p): metadata key '\(key)': arrays nested deeper than \(limit) levels"
        case .invalidAlignment(let p, let found):
            return "\(p): metadata key 'general.alignment' is \(found); expected a uint32 power of two"
        case .duplicateTensorName(let p, let t):
            return "\(p): tensor '\(t)' appears more than once"
        case .tooManyDimensions(let p, let t, let count):
            return "\(p): tensor '\(t)' has \(count) dimensions; expected at most 4"
        case .invalidDimension(let p, let t, let index, let value):
            return "\(p): tensor '\(t)': dimension \(index) is \(value); expected 0…\(Int64.max)"
        case .sizeOverflow(let p, let t, let dims):
            return "\(p): tensor '\(t)' with dimensions \(dims): element count or byte size overflows 64 bits"
        case .unknownTensorType(let p, let t, let id):
            return "\(p): tensor '\(t)' has type id \(id), which is not a GGML type"
        case .unsupportedTensorType(let p, let t, let id, let name):
            return "\(p): tensor '\(t)' has type \(name) (id \(id)), which Attend does not read; supported: \(GGMLType.allCases.map(\.name).joined(separator: ", "))"
        case .rowNotWholeBlocks(let p, let t, let type, let ne0, let block):
            return "\(p): tensor '\(t)' (\(type)): ne0 = \(ne0) is not a multiple of the block size \(block)"
        case .misalignedOffset(let p, let t, let offset, let alignment):
            return "\(p): tensor '\(t)': data offset \(offset) is not a multiple of the alignment \(alignment)"
        case .tensorOutOfRange(let p, let t, let offset, let bytes, let dataBytes):
            return "\(p): tensor '\(t)': \(bytes) bytes at data offset \(offset) run past the end of the data section (\(dataBytes) bytes)"
        case .overlappingTensors(let p, let t, let r, let o, let or):
            return "\(p): tensor '\(t)' bytes \(r.lowerBound)..<\(r.upperBound) overlap tensor '\(o)' bytes \(or.lowerBound)..<\(or.upperBound) (data-section offsets)"
        case .missingKey(let p, let key):
            return "\(p): metadata key '\(key)' is missing"
        case .wrongValueType(let p, let key, let expected, let found):
            return "\(p): metadata key '\(key)' must be \(expected), found \(found)"
        case .valueOutOfRange(let p, let key, let value, let expected):
            return "\(p): metadata key '\(key)' is \(value); expected \(expected)"
        case .tensorNotFound(let p, let t):
            return "\(p): no tensor named '\(t)'"
        case .notAMatrix(let p, let t, let dims):
            return "\(p): tensor '\(t)' has dimensions \(dims); expected a matrix [ne0, ne1] with both below 2³¹"
        }
    }
}
