import AttendJSON
import AttendKernels
import Foundation

// safetensors layout: [u64 little-endian header length N][N bytes of UTF-8 JSON][data buffer].
// The JSON maps tensor name → {"dtype", "shape", "data_offsets": [begin, end]} with offsets
// relative to the data buffer, plus an optional "__metadata__": {string: string}.
// Everything is validated when the file is opened, following Hugging Face's reader: the tensors
// must tile the data buffer exactly (no overlaps, no holes, no trailing bytes).

/// A safetensors element type and its size in bits.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8"
    case f8E5M2 = "F8_E5M2", f8E4M3 = "F8_E4M3", f8E8M0 = "F8_E8M0"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case i64 = "I64", u64 = "U64", f64 = "F64", c64 = "C64"
    case f4 = "F4", f6E2M3 = "F6_E2M3", f6E3M2 = "F6_E3M2"

    /// Bits per element (sub-byte types pack; a tensor's bit count must be a whole number of bytes).
    public var bitSize: Int {
        switch self {
        case .f4: return 4
        case .f6E2M3, .f6E3M2: return 6
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .i64, .u64, .f64, .c64: return 64
        }
    }
}

/// One tensor's header entry, validated.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafeTensorsDType
    public let shape: [Int]
    /// Byte range within the data buffer (which starts after the header).
    public let dataOffsets: Range<Int>
    /// Number of elements (product of `shape`; 1 for a scalar).
    public let elementCount: Int
    public var byteCount: Int { dataOffsets.count }
}

/// A read-only, memory-mapped, fully validated safetensors file. Copies share the mapping,
/// which stays alive as long as any copy does.
public struct SafeTensorsFile: Sendable {
    /// Header length limit, as in Hugging Face's reader.
    public static let maxHeaderLength = 100_000_000

    public let url: URL
    /// Tensor names, sorted.
    public let names: [String]
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// Byte size of the JSON header (N), and of the data buffer.
    public let headerLength: Int
    public let dataBufferSize: Int

    private let entries: [String: TensorInfo]
    private let mapping: MappedFile
    private var dataStart: Int { 8 + headerLength }
    /// The file path (used in every error message).
    public var path: String { url.path }

    /// Maps and validates the file; throws `ModelFileError` on any problem.
    public init(contentsOf url: URL) throws {
        let path = url.path
        let mapping = try MappedFile(path: path)
        let size = mapping.size
        guard size >= 8, let base = mapping.base else { throw ModelFileError.fileTooSmall(path: path, size: size) }
        let declared = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(Self.maxHeaderLength) else {
            throw ModelFileError.headerTooLarge(path: path, declared: declared, limit: Self.maxHeaderLength)
        }
        guard declared <= UInt64(size - 8) else {
            throw ModelFileError.headerLengthExceedsFile(path: path, declared: declared, available: size - 8)
        }
        let headerLength = Int(declared)
        let bufferSize = size - 8 - headerLength
        let header = UnsafeRawBufferPointer(start: base + 8, count: headerLength)

        let json: JSONValue
        do throws(JSONError) {
            json = try JSONParser.parse(header)
        } catch {
            if case .invalidUTF8 = error.kind { throw ModelFileError.headerNotUTF8(path: path, offset: error.offset) }
            throw ModelFileError.headerNotJSON(path: path, detail: error.description)
        }
        guard case .object(let members) = json else {
            throw ModelFileError.headerNotObject(path: path, found: json.summary)
        }

        var metadata: [String: String] = [:]
        var rawEntries: [String: JSONValue] = [:]
        var seenMetadata = false
        for (key, value) in members {
            if key == "__metadata__" {
                if seenMetadata { throw ModelFileError.duplicateTensorName(path: path, tensor: key) }
                seenMetadata = true
                guard case .object(let pairs) = value else {
                    throw ModelFileError.invalidMetadata(path: path, detail: "expected an object of strings, found \(value.summary)")
                }
                for (k, v) in pairs {
                    guard case .string(let s) = v else {
                        throw ModelFileError.invalidMetadata(path: path, detail: "value of '\(k)' must be a string, found \(v.summary)")
                    }
                    guard metadata.updateValue(s, forKey: k) == nil else {
                        throw ModelFileError.invalidMetadata(path: path, detail: "key '\(k)' appears more than once")
                    }
                }
                continue
            }
            guard rawEntries.updateValue(value, forKey: key) == nil else {
                throw ModelFileError.duplicateTensorName(path: path, tensor: key)
            }
        }

        let names = rawEntries.keys.sorted()
        var entries: [String: TensorInfo] = [:]
        entries.reserveCapacity(names.count)
        for name in names {
            entries[name] = try Self.validateEntry(name: name, value: rawEntries[name]!, bufferSize: bufferSize, path: path)
        }

        // The tensors must tile the data buffer: sorted by begin, each starts where the last ended.
        let ordered = entries.values.sorted {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name)
        }
        var end = 0
        var last: TensorInfo? = nil
        for t in ordered {
            let r = t.dataOffsets
            if let prev = last, r.lowerBound < end {
                throw ModelFileError.overlappingTensors(path: path, tensor: t.name, range: r, other: prev.name, otherRange: prev.dataOffsets)
            }
            if r.lowerBound > end {
                throw ModelFileError.uncoveredBytes(path: path, range: end..<r.lowerBound, after: last?.name)
            }
            end = r.upperBound
            last = t
        }
        if end != bufferSize {
            throw ModelFileError.uncoveredBytes(path: path, range: end..<bufferSize, after: last?.name)
        }

        self.url = url
        self.names = names
        self.metadata = metadata
        self.headerLength = headerLength
        self.dataBufferSize = bufferSize
        self.entries = entries
        self.mapping = mapping
    }

    private static func validateEntry(name: String, value: JSONValue, bufferSize: Int, path: String) throws -> TensorInfo {
        guard case .object(let fields) = value else {
            throw ModelFileError.entryNotObject(path: path, tensor: name, found: value.summary)
        }
        var dict: [String: JSONValue] = [:]
        for (k, v) in fields {
            guard dict.updateValue(v, forKey: k) == nil else {
                throw ModelFileError.wrongFieldType(path: path, tensor: name, field: k, expected: "given once", found: "a duplicate")
            }
        }
        func field(_ key: String) throws -> JSONValue {
            guard let v = dict[key] else { throw ModelFileError.missingField(path: path, tensor: name, field: key) }
            return v
        }

        // dtype
        guard case .string(let dtypeName) = try field("dtype") else {
            throw ModelFileError.wrongFieldType(path: path, tensor: name, field: "dtype", expected: "a string", found: dict["dtype"]!.summary)
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw ModelFileError.unknownDType(path: path, tensor: name, dtype: dtypeName)
        }

        // shape
        guard case .array(let dims) = try field("shape") else {
            throw ModelFileError.wrongFieldType(path: path, tensor: name, field: "shape", expected: "an array of non-negative integers", found: dict["shape"]!.summary)
        }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        var elements = 1
        for (i, d) in dims.enumerated() {
            guard case .number(let text) = d else {
                throw ModelFileError.wrongFieldType(path: path, tensor: name, field: "shape", expected: "an array of non-negative integers", found: "\(d.summary) at index \(i)")
            }
            guard let n = JSONValue.integer(text), n >= 0 else {
                throw ModelFileError.invalidShape(path: path, tensor: name, detail: "dimension \(i) must be a non-negative integer, found \(text)")
            }
            shape.append(n)
            let (p, o) = elements.multipliedReportingOverflow(by: n)
            guard !o else { throw ModelFileError.invalidShape(path: path, tensor: name, detail: "element count of \(dims.map(\.summary)) overflows") }
            elements = p
        }

        // data_offsets
        guard case .array(let offs) = try field("data_offsets"), offs.count == 2 else {
            throw ModelFileError.wrongFieldType(path: path, tensor: name, field: "data_offsets", expected: "an array of 2 integers [begin, end]", found: dict["data_offsets"]!.summary)
        }
        /// Number literals as written, anything else described.
        func literal(_ v: JSONValue) -> String {
            if case .number(let t) = v { return t }
            return v.summary
        }
        var bounds: [Int] = []
        for o in offs {
            guard case .number(let text) = o else {
                throw ModelFileError.wrongFieldType(path: path, tensor: name, field: "data_offsets", expected: "an array of 2 integers [begin, end]", found: "an array containing \(o.summary)")
            }
            guard let v = JSONValue.integer(text), v >= 0 else {
                throw ModelFileError.invalidDataOffsets(path: path, tensor: name, begin: literal(offs[0]), end: literal(offs[1]), detail: "offsets must be non-negative integers")
            }
            bounds.append(v)
        }
        let (begin, end) = (bounds[0], bounds[1])
        guard begin <= end else {
            throw ModelFileError.invalidDataOffsets(path: path, tensor: name, begin: "\(begin)", end: "\(end)", detail: "begin is greater than end")
        }
        guard end <= bufferSize else {
            throw ModelFileError.dataOffsetsOutOfBounds(path: path, tensor: name, end: end, bufferSize: bufferSize)
        }
        let (bits, o) = elements.multipliedReportingOverflow(by: dtype.bitSize)
        guard !o else { throw ModelFileError.invalidShape(path: path, tensor: name, detail: "byte size of \(shape) overflows") }
        guard bits % 8 == 0, bits / 8 == end - begin else {
            throw ModelFileError.byteLengthMismatch(path: path, tensor: name, dtype: dtypeName, shape: shape, expectedBytes: (bits + 7) / 8, foundBytes: end - begin)
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end, elementCount: elements)
    }

    // MARK: Access

    /// Whether a tensor of this name exists.
    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The validated header entry of `name`.
    public func info(_ name: String) throws -> TensorInfo {
        guard let i = entries[name] else { throw ModelFileError.tensorNotFound(path: path, tensor: name) }
        return i
    }

    /// Calls `body` with the tensor's raw bytes inside the mapping (any alignment, little-endian).
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let i = try info(name)
        return try withExtendedLifetime(mapping) {
            let start = mapping.base! + dataStart + i.dataOffsets.lowerBound
            return try body(UnsafeRawBufferPointer(start: start, count: i.byteCount))
        }
    }

    /// Dtypes `floatTensor` converts.
    public static let floatDTypes: [SafeTensorsDType] = [.f32, .f16, .bf16]

    /// The tensor as Float32 (F32 copied, F16/BF16 converted exactly); other dtypes throw.
    public func floatTensor(_ name: String) throws -> Tensor {
        let i = try info(name)
        return try convert(i)
    }

    /// As `floatTensor(_:)`, but first checks the shape, throwing `.shapeMismatch` naming the
    /// tensor, the expected and the found shapes.
    public func floatTensor(_ name: String, expectedShape: [Int]) throws -> Tensor {
        let i = try info(name)
        guard i.shape == expectedShape else {
            throw ModelFileError.shapeMismatch(path: path, tensor: name, expected: expectedShape, found: i.shape)
        }
        return try convert(i)
    }

    private func convert(_ i: TensorInfo) throws -> Tensor {
        guard Self.floatDTypes.contains(i.dtype) else {
            throw ModelFileError.unsupportedDType(path: path, tensor: i.name, dtype: i.dtype.rawValue, supported: Self.floatDTypes.map(\.rawValue))
        }
        let count = i.elementCount
        guard count > 0 else { return Tensor(shape: i.shape, data: []) }
        let data = withExtendedLifetime(mapping) { () -> [Float] in
            let src = UnsafeRawPointer(mapping.base! + dataStart + i.dataOffsets.lowerBound)
            return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                let dst = out.baseAddress!
                switch i.dtype {
                case .f32:
                    UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * 4)
                    #if _endian(big)
                    for k in 0..<count { dst[k] = Float(bitPattern: UInt32(littleEndian: dst[k].bitPattern)) }
                    #endif
                case .f16: HalfConversion.f16ToF32(src, count: count, into: dst)
                case .bf16: HalfConversion.bf16ToF32(src, count: count, into: dst)
                default: fatalError("unreachable")
                }
                initialized = count
            }
        }
        return Tensor(shape: i.shape, data: data)
    }
}
