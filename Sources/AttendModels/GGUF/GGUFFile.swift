import AttendKernels
import Foundation

// GGUF layout (ggml's gguf.h; versions 2 and 3 are identical for little-endian files):
//   "GGUF" | u32 version | u64 tensor count | u64 metadata count
//   metadata: { string key | u32 value type | value }*      string = u64 byte length + UTF-8 bytes
//             array value = u32 element type | u64 count | elements
//   tensor infos: { string name | u32 n_dims | u64 ne[n_dims] | u32 ggml type | u64 offset }*
//   padding to `general.alignment` (default 32) | data section: each tensor at its offset (relative
//   to the section start, a multiple of the alignment).
// Every count, length, shape and offset is checked before it is used, against the bytes left and
// against overflow; see GGUFError for what is rejected.

/// One tensor's validated info.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// GGUF order: ne0 (the contiguous dimension) first.
    public let dimensions: [Int]
    public let type: GGMLType
    /// Absolute byte offset of the tensor's data in the file.
    public let offset: Int
    public let byteCount: Int

    /// Number of elements (product of the dimensions).
    public var elementCount: Int { dimensions.reduce(1, *) }
}

/// A read-only, memory-mapped, fully validated GGUF file (v2 or v3, little-endian). Tensors stay in
/// their stored type inside the mapping; copies share it, and it stays alive as long as any copy
/// or any `QuantizedMatrix` taken from it does.
public struct GGUFFile: Sendable {
    /// Deepest nesting of arrays accepted (gguf.cpp itself accepts none).
    public static let maxArrayDepth = 8

    public let url: URL
    public let version: Int
    /// Alignment of the data section and of every tensor offset (`general.alignment`, default 32).
    public let alignment: Int
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// Absolute byte offset of the data section.
    public let dataOffset: Int

    private let tensorIndex: [String: Int]
    private let mapping: MappedFile
    /// The file path (used in every error message).
    public var path: String { url.path }

    /// Maps and validates the file; throws `GGUFError` (or `ModelFileError` when it cannot be read).
    public init(contentsOf url: URL) throws {
        let path = url.path
        let mapping = try MappedFile(path: path)
        let bytes = UnsafeRawBufferPointer(start: mapping.base, count: mapping.base == nil ? 0 : mapping.size)
        var reader = Reader(bytes: bytes, path: path)

        let magic = try reader.bytes(4, field: "the magic")
        guard magic == Array("GGUF".utf8) else { throw GGUFError.badMagic(path: path, found: magic) }
        let version = try reader.u32("the version")
        if version != 0 && version & 0xFFFF == 0 { throw GGUFError.bigEndian(path: path, version: version) }
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(path: path, version: version) }
        let tensorCount = try reader.count("the tensor count", minimumBytesEach: 24)  // name length, n_dims, type, offset
        let kvCount = try reader.count("the metadata count", minimumBytesEach: 13)   // key length, 1 key byte, type, 1 value byte

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        keys.reserveCapacity(kvCount)
        for index in 0..<kvCount {
            let key = try reader.string("metadata key \(index)")
            guard !key.isEmpty else { throw GGUFError.emptyKey(path: path, index: index) }
            guard metadata[key] == nil else { throw GGUFError.duplicateKey(path: path, key: key) }
            let typeID = try reader.u32("the value type of '\(key)'")
            metadata[key] = try reader.value(typeID: typeID, key: key, depth: 0)
            keys.append(key)
        }

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard case .uint32(let a) = value, a != 0, a & (a - 1) == 0 else {
                throw GGUFError.invalidAlignment(path: path, found: "\(value) (\(value.typeName))")
            }
            alignment = Int(a)
        }

        struct RawInfo { let name: String, dimensions: [Int], type: GGMLType, offset: UInt64, byteCount: Int }
        var raw: [RawInfo] = []
        raw.reserveCapacity(tensorCount)
        var index: [String: Int] = [:]
        for i in 0..<tensorCount {
            let name = try reader.string("the name of tensor \(i)")
            guard index.updateValue(i, forKey: name) == nil else { throw GGUFError.duplicateTensorName(path: path, tensor: name) }
            let dimensionCount = try reader.u32("the dimension count of tensor '\(name)'")
            guard dimensionCount <= 4 else { throw GGUFError.tooManyDimensions(path: path, tensor: name, count: dimensionCount) }
            var dims: [UInt64] = []
            for d in 0..<Int(dimensionCount) {
                let v = try reader.u64("dimension \(d) of tensor '\(name)'")
                guard v <= UInt64(Int64.max) else { throw GGUFError.invalidDimension(path: path, tensor: name, index: d, value: v) }
                dims.append(v)
            }
            let typeID = try reader.u32("the type of tensor '\(name)'")
            let offset = try reader.u64("the data offset of tensor '\(name)'")
            guard let type = GGMLType(rawValue: typeID) else {
                if let known = GGMLType.ggmlName(id: typeID) {
                    throw GGUFError.unsupportedTensorType(path: path, tensor: name, typeID: typeID, name: known)
                }
                throw GGUFError.unknownTensorType(path: path, tensor: name, typeID: typeID)
            }
            var elements = 1
            for d in dims {
                let (p, o) = elements.multipliedReportingOverflow(by: Int(d))
                guard !o else { throw GGUFError.sizeOverflow(path: path, tensor: name, dimensions: dims) }
                elements = p
            }
            let ne0 = Int(dims.first ?? 1)
            guard ne0 % type.blockElements == 0 else {
                throw GGUFError.rowNotWholeBlocks(path: path, tensor: name, type: type.name, ne0: ne0, blockElements: type.blockElements)
            }
            let (byteCount, o) = (elements / type.blockElements).multipliedReportingOverflow(by: type.blockBytes)
            guard !o else { throw GGUFError.sizeOverflow(path: path, tensor: name, dimensions: dims) }
            raw.append(RawInfo(name: name, dimensions: dims.map { Int($0) }, type: type, offset: offset, byteCount: byteCount))
        }

        // The data section starts at the next multiple of the alignment (gguf.cpp pads only when
        // there are tensors); offsets are relative to it.
        let dataOffset = tensorCount > 0 ? (reader.position + alignment - 1) / alignment * alignment : reader.position
        let dataBytes = max(0, bytes.count - dataOffset)
        if tensorCount > 0 && dataOffset > bytes.count {
            throw GGUFError.truncated(path: path, field: "the padding before the data section", offset: reader.position,
                                      needed: dataOffset - reader.position, available: bytes.count - reader.position)
        }
        for t in raw {
            guard t.offset % UInt64(alignment) == 0 else {
                throw GGUFError.misalignedOffset(path: path, tensor: t.name, offset: t.offset, alignment: alignment)
            }
            guard t.offset <= UInt64(dataBytes), t.byteCount <= dataBytes - Int(t.offset) else {
                throw GGUFError.tensorOutOfRange(path: path, tensor: t.name, offset: t.offset, byteCount: t.byteCount, dataBytes: dataBytes)
            }
        }
        let ordered = raw.filter { $0.byteCount > 0 }.sorted { ($0.offset, $0.name) < ($1.offset, $1.name) }
        for (previous, t) in zip(ordered, ordered.dropFirst()) where Int(t.offset) < Int(previous.offset) + previous.byteCount {
            throw GGUFError.overlappingTensors(
                path: path, tensor: t.name, range: Int(t.offset)..<(Int(t.offset) + t.byteCount),
                other: previous.name, otherRange: Int(previous.offset)..<(Int(previous.offset) + previous.byteCount))
        }

        self.url = url
        self.version = Int(version)
        self.alignment = alignment
        self.metadata = metadata
        self.metadataKeys = keys
        self.tensors = raw.map {
            GGUFTensorInfo(name: $0.name, dimensions: $0.dimensions, type: $0.type, offset: dataOffset + Int($0.offset), byteCount: $0.byteCount)
        }
        self.dataOffset = dataOffset
        self.tensorIndex = index
        self.mapping = mapping
    }

    // MARK: Tensors

    /// The info of the tensor named `name`, or nil.
    public func tensorInfo(_ name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    private func info(_ name: String) throws -> GGUFTensorInfo {
        guard let i = tensorInfo(name) else { throw GGUFError.tensorNotFound(path: path, tensor: name) }
        return i
    }

    /// A 2-D weight `[ne1 rows, ne0 columns]` as stored (no copy; keeps the mapping alive).
    public func matrix(_ name: String) throws -> QuantizedMatrix {
        let i = try info(name)
        guard i.dimensions.count == 2, i.dimensions.allSatisfy({ $0 <= Int(Int32.max) }) else {
            throw GGUFError.notAMatrix(path: path, tensor: name, dimensions: i.dimensions)
        }
        return QuantizedMatrix(type: i.type, rows: i.dimensions[1], columns: i.dimensions[0], data: mapping.base! + i.offset, owner: mapping)
    }

    /// Any tensor dequantized to Float32, row-major in Hugging Face order: shape [ne_{n−1}, …, ne0]
    /// (a 0-D tensor is shape [] with one element). For small tensors (norms, biases).
    public func floatTensor(_ name: String) throws -> Tensor {
        let i = try info(name)
        let count = i.elementCount
        let shape = Array(i.dimensions.reversed())
        guard count > 0 else { return Tensor(shape: shape, data: []) }
        let data = withExtendedLifetime(mapping) {
            [Float](unsafeUninitializedCapacity: count) { out, initialized in
                i.type.dequantize(mapping.base! + i.offset, count: count, into: out.baseAddress!)
                initialized = count
            }
        }
        return Tensor(shape: shape, data: data)
    }

    // MARK: Metadata

    private func value(_ key: String) throws -> GGUFValue {
        guard let v = metadata[key] else { throw GGUFError.missingKey(path: path, key: key) }
        return v
    }

    private func integer(_ key: String, _ v: GGUFValue) throws -> Int {
        guard v.isInteger else { throw GGUFError.wrongValueType(path: path, key: key, expected: "an integer", found: v.typeName) }
        guard let i = v.integerValue else {
            throw GGUFError.valueOutOfRange(path: path, key: key, value: "\(v)", expected: "at most \(Int.max)")
        }
        return i
    }

    /// An integer of any width, as `Int` (range-checked).
    public func integer(_ key: String) throws -> Int { try integer(key, try value(key)) }

    /// A float32 / float64 (or integer) value as `Float`.
    public func float(_ key: String) throws -> Float {
        let v = try value(key)
        guard let f = v.floatValue else { throw GGUFError.wrongValueType(path: path, key: key, expected: "a number", found: v.typeName) }
        return f
    }

    /// A string value.
    public func string(_ key: String) throws -> String {
        let v = try value(key)
        guard let s = v.stringValue else { throw GGUFError.wrongValueType(path: path, key: key, expected: "a string", found: v.typeName) }
        return s
    }

    private func array(_ key: String, of expected: String) throws -> [GGUFValue] {
        let v = try value(key)
        guard case .array(let items) = v else { throw GGUFError.wrongValueType(path: path, key: key, expected: "an array of \(expected)", found: v.typeName) }
        return items
    }

    /// An array of strings (e.g. `tokenizer.ggml.tokens`).
    public func strings(_ key: String) throws -> [String] {
        try array(key, of: "strings").map {
            guard let s = $0.stringValue else { throw GGUFError.wrongValueType(path: path, key: key, expected: "an array of strings", found: "an array of \($0.typeName)") }
            return s
        }
    }

    /// An array of integers of any width (e.g. `tokenizer.ggml.token_type`).
    public func integers(_ key: String) throws -> [Int] {
        try array(key, of: "integers").map {
            guard $0.isInteger else { throw GGUFError.wrongValueType(path: path, key: key, expected: "an array of integers", found: "an array of \($0.typeName)") }
            return try integer(key, $0)
        }
    }

    /// An array of numbers as `Float` (e.g. `tokenizer.ggml.scores`).
    public func floats(_ key: String) throws -> [Float] {
        try array(key, of: "numbers").map {
            guard let f = $0.floatValue else { throw GGUFError.wrongValueType(path: path, key: key, expected: "an array of numbers", found: "an array of \($0.typeName)") }
            return f
        }
    }

    /// As `integer(_:)`, nil when the key is absent.
    public func optionalInteger(_ key: String) throws -> Int? { metadata[key] == nil ? nil : try integer(key) }
    /// As `float(_:)`, nil when the key is absent.
    public func optionalFloat(_ key: String) throws -> Float? { metadata[key] == nil ? nil : try float(key) }
    /// As `string(_:)`, nil when the key is absent.
    public func optionalString(_ key: String) throws -> String? { metadata[key] == nil ? nil : try string(key) }
    /// A bool value, nil when the key is absent (e.g. `tokenizer.ggml.add_bos_token`).
    public func optionalBool(_ key: String) throws -> Bool? {
        guard let v = metadata[key] else { return nil }
        guard case .bool(let b) = v else { throw GGUFError.wrongValueType(path: path, key: key, expected: "a bool", found: v.typeName) }
        return b
    }
}

/// Bounds-checked little-endian reads from the mapped bytes; every failure names the field.
private struct Reader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var position = 0

    var remaining: Int { bytes.count - position }

    private mutating func take(_ n: Int, field: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        guard n <= remaining else {
            throw GGUFError.truncated(path: path, field: field(), offset: position, needed: n, available: remaining)
        }
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)])
    }

    mutating func bytes(_ n: Int, field: String) throws -> [UInt8] { Array(try take(n, field: field)) }

    mutating func u8(_ field: @autoclosure () -> String) throws -> UInt8 { try take(1, field: field())[0] }
    mutating func u16(_ field: @autoclosure () -> String) throws -> UInt16 {
        UInt16(littleEndian: try take(2, field: field()).loadUnaligned(as: UInt16.self))
    }
    mutating func u32(_ field: @autoclosure () -> String) throws -> UInt32 {
        UInt32(littleEndian: try take(4, field: field()).loadUnaligned(as: UInt32.self))
    }
    mutating func u64(_ field: @autoclosure () -> String) throws -> UInt64 {
        UInt64(littleEndian: try take(8, field: field()).loadUnaligned(as: UInt64.self))
    }

    /// A u64 count of items each at least `minimumBytesEach` long, bounded by the bytes left.
    mutating func count(_ field: String, minimumBytesEach: Int) throws -> Int {
        let n = try u64(field)
        guard n <= UInt64(remaining / minimumBytesEach) else {
            throw GGUFError.countTooLarge(path: path, field: field, count: n, remainingBytes: remaining)
        }
        return Int(n)
    }

    mutating func string(_ field: @autoclosure () -> String) throws -> String {
        let length = try u64("the length of \(field())")
        guard length <= UInt64(remaining) else {
            throw GGUFError.countTooLarge(path: path, field: "the length of \(field())", count: length, remainingBytes: remaining)
        }
        let start = position
        let raw = try take(Int(length), field: field())
        guard let s = String(validating: raw, as: UTF8.self) else { throw GGUFError.invalidUTF8(path: path, field: field(), offset: start) }
        return s
    }

    /// A value of on-disk type `typeID` for metadata key `key` (arrays recurse to `maxArrayDepth`).
    mutating func value(typeID: UInt32, key: String, depth: Int) throws -> GGUFValue {
        guard let type = GGUFValueType(rawValue: typeID) else { throw GGUFError.unknownValueType(path: path, key: key, typeID: typeID) }
        let field = "the value of '\(key)'"
        switch type {
        case .uint8: return .uint8(try u8(field))
        case .int8: return .int8(Int8(bitPattern: try u8(field)))
        case .uint16: return .uint16(try u16(field))
        case .int16: return .int16(Int16(bitPattern: try u16(field)))
        case .uint32: return .uint32(try u32(field))
        case .int32: return .int32(Int32(bitPattern: try u32(field)))
        case .uint64: return .uint64(try u64(field))
        case .int64: return .int64(Int64(bitPattern: try u64(field)))
        case .float32: return .float32(Float(bitPattern: try u32(field)))
        case .float64: return .float64(Double(bitPattern: try u64(field)))
        case .bool:
            let b = try u8(field)
            guard b <= 1 else { throw GGUFError.invalidBool(path: path, key: key, value: b) }
            return .bool(b == 1)
        case .string: return .string(try string(field))
        case .array:
            guard depth < GGUFFile.maxArrayDepth else { throw GGUFError.arrayTooDeep(path: path, key: key, limit: GGUFFile.maxArrayDepth) }
            let elementID = try u32("the element type of '\(key)'")
            guard let elementType = GGUFValueType(rawValue: elementID) else {
                throw GGUFError.unknownValueType(path: path, key: key, typeID: elementID)
            }
            let n = try count("the array length of '\(key)'", minimumBytesEach: elementType.minimumBytes)
            var items: [GGUFValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try value(typeID: elementID, key: key, depth: depth + 1)) }
            return .array(items)
        }
    }
}
