import Foundation

/// Builds safetensors files for tests: valid ones (tensors laid out back to back in the order
/// added, header padded with spaces to a multiple of 8 like Hugging Face's writer) and, through
/// `file(header:data:)` / `rawFile(headerLength:header:data:)`, arbitrary malformed ones.
struct SafeTensorsWriter {
    struct Entry {
        var name: String
        var dtype: String
        var shape: [Int]
        var bytes: [UInt8]
    }

    var entries: [Entry] = []
    var metadata: [String: String]? = nil

    mutating func add(_ name: String, dtype: String, shape: [Int], bytes: [UInt8]) {
        entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: bytes))
    }

    mutating func add(_ name: String, f32 values: [Float], shape: [Int]) {
        add(name, dtype: "F32", shape: shape, bytes: values.flatMap { littleEndianBytes($0.bitPattern) })
    }

    mutating func add(_ name: String, f16 bits: [UInt16], shape: [Int]) {
        add(name, dtype: "F16", shape: shape, bytes: bits.flatMap { littleEndianBytes($0) })
    }

    mutating func add(_ name: String, bf16 bits: [UInt16], shape: [Int]) {
        add(name, dtype: "BF16", shape: shape, bytes: bits.flatMap { littleEndianBytes($0) })
    }

    mutating func add(_ name: String, i64 values: [Int64], shape: [Int]) {
        add(name, dtype: "I64", shape: shape, bytes: values.flatMap { littleEndianBytes(UInt64(bitPattern: $0)) })
    }

    /// The header JSON with contiguous data_offsets in insertion order.
    func header(pad: Bool = true) -> String {
        var parts: [String] = []
        if let metadata {
            let m = metadata.sorted { $0.key < $1.key }.map { "\(Self.quote($0.key)):\(Self.quote($0.value))" }
            parts.append("\"__metadata__\":{\(m.joined(separator: ","))}")
        }
        var offset = 0
        for e in entries {
            let end = offset + e.bytes.count
            parts.append("\(Self.quote(e.name)):{\"dtype\":\(Self.quote(e.dtype)),\"shape\":[\(e.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var json = "{" + parts.joined(separator: ",") + "}"
        if pad { while (8 + json.utf8.count) % 8 != 0 { json += " " } }
        return json
    }

    /// The data buffer: every entry's bytes in order.
    var data: [UInt8] { entries.flatMap(\.bytes) }

    /// The complete file.
    func bytes(pad: Bool = true) -> [UInt8] { Self.file(header: header(pad: pad), data: data) }

    /// A file with the given header text and data buffer (correct length prefix).
    static func file(header: String, data: [UInt8] = []) -> [UInt8] {
        rawFile(headerLength: UInt64(header.utf8.count), header: Array(header.utf8), data: data)
    }

    /// A file with an arbitrary length prefix, header bytes and data.
    static func rawFile(headerLength: UInt64, header: [UInt8], data: [UInt8] = []) -> [UInt8] {
        littleEndianBytes(headerLength) + header + data
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

/// A scratch directory for one test, removed by `cleanUp()`.
struct TemporaryDirectory {
    let url: URL

    init() {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("attend-model-tests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `bytes` to `name` inside the directory and returns its URL.
    func write(_ bytes: [UInt8], name: String = "model.safetensors") -> URL {
        let file = url.appendingPathComponent(name)
        try! Data(bytes).write(to: file)
        return file
    }

    func write(_ text: String, name: String) -> URL { write(Array(text.utf8), name: name) }

    func cleanUp() { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body` with a fresh temporary directory that is removed afterwards.
@discardableResult
func withTemporaryDirectory<R>(_ body: (TemporaryDirectory) throws -> R) rethrows -> R {
    let dir = TemporaryDirectory()
    defer { dir.cleanUp() }
    return try body(dir)
}
