import AttendModels
import Foundation

/// Builds GGUF files for tests: valid ones (`bytes()`: header, metadata, tensor infos, padding and
/// data laid out as gguf-py does) and, by editing the fields below or the resulting bytes,
/// malformed ones. Values are encoded with the `GGUFValue` case's own type.
struct GGUFWriter {
    struct Tensor {
        var name: String
        var dimensions: [UInt64]
        var typeID: UInt32
        var data: [UInt8]
        /// Data-section offset; nil = next aligned position after the previous tensor.
        var offset: UInt64? = nil
    }

    var magic = Array("GGUF".utf8)
    var version: UInt32 = 3
    var metadata: [(String, GGUFValue)] = []
    var tensors: [Tensor] = []
    var alignment = 32
    /// Overrides of the header counts (for lying headers).
    var tensorCount: UInt64? = nil
    var metadataCount: UInt64? = nil

    mutating func add(_ key: String, _ value: GGUFValue) { metadata.append((key, value)) }

    mutating func add(_ name: String, dimensions: [Int], type: UInt32, data: [UInt8], offset: UInt64? = nil) {
        tensors.append(Tensor(name: name, dimensions: dimensions.map { UInt64($0) }, typeID: type, data: data, offset: offset))
    }

    mutating func addF32(_ name: String, dimensions: [Int], values: [Float]) {
        add(name, dimensions: dimensions, type: 0, data: values.flatMap { le($0.bitPattern) })
    }

    static func typeID(_ v: GGUFValue) -> UInt32 {
        switch v {
        case .uint8: return 0
        case .int8: return 1
        case .uint16: return 2
        case .int16: return 3
        case .uint32: return 4
        case .int32: return 5
        case .float32: return 6
        case .bool: return 7
        case .string: return 8
        case .array: return 9
        case .uint64: return 10
        case .int64: return 11
        case .float64: return 12
        }
    }

    static func string(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }

    /// The value's payload (without its type id); arrays take their first element's type (u8 when empty).
    static func payload(_ v: GGUFValue) -> [UInt8] {
        switch v {
        case .uint8(let x): return [x]
        case .int8(let x): return [UInt8(bitPattern: x)]
        case .uint16(let x): return le(x)
        case .int16(let x): return le(UInt16(bitPattern: x))
        case .uint32(let x): return le(x)
        case .int32(let x): return le(UInt32(bitPattern: x))
        case .uint64(let x): return le(x)
        case .int64(let x): return le(UInt64(bitPattern: x))
        case .float32(let x): return le(x.bitPattern)
        case .float64(let x): return le(x.bitPattern)
        case .bool(let b): return [b ? 1 : 0]
        case .string(let s): return string(s)
        case .array(let items):
            return le(items.first.map(typeID) ?? 0) + le(UInt64(items.count)) + items.flatMap(payload)
        }
    }

    /// Bytes up to the end of the tensor infos.
    func header() -> [UInt8] {
        var out = magic + le(version) + le(tensorCount ?? UInt64(tensors.count)) + le(metadataCount ?? UInt64(metadata.count))
        for (k, v) in metadata { out += Self.string(k) + le(Self.typeID(v)) + Self.payload(v) }
        for (t, offset) in zip(tensors, offsets()) {
            out += Self.string(t.name) + le(UInt32(t.dimensions.count)) + t.dimensions.flatMap { le($0) } + le(t.typeID) + le(offset)
        }
        return out
    }

    func offsets() -> [UInt64] {
        var next: UInt64 = 0
        return tensors.map { t in
            let o = t.offset ?? next
            next = (o + UInt64(t.data.count) + UInt64(alignment) - 1) / UInt64(alignment) * UInt64(alignment)
            return o
        }
    }

    /// The complete file.
    func bytes() -> [UInt8] {
        var out = header()
        guard !tensors.isEmpty else { return out }
        while out.count % alignment != 0 { out.append(0) }
        let start = out.count
        for (t, offset) in zip(tensors, offsets()) {
            guard offset < 1 << 20 else { continue }  // an offset far past the end (for out-of-range tests): no data
            let at = start + Int(offset)
            if out.count < at + t.data.count { out += [UInt8](repeating: 0, count: at + t.data.count - out.count) }
            out.replaceSubrange(at..<(at + t.data.count), with: t.data)
        }
        return out
    }
}

func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }

/// Writes `bytes` to a fresh temporary file and returns its URL.
func temporaryFile(_ bytes: [UInt8], name: String = "test.gguf") throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attend-gguf-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}
