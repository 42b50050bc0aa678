import AttendKernels
import AttendModels
import Foundation
import Testing

/// Opens `bytes` as a GGUF file and returns the GGUFError it throws (nil if it opens), recording an
/// issue for any other error.
func ggufError(_ bytes: [UInt8]) throws -> GGUFError? {
    let url = try temporaryFile(bytes)
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    do {
        _ = try GGUFFile(contentsOf: url)
        return nil
    } catch let e as GGUFError {
        #expect(e.path == url.path && e.description.hasPrefix(url.path), "the message names the file: \(e)")
        return e
    }
}

/// A small valid file: two metadata keys, an F32 [4, 3] tensor and a Q8_0 [32, 2] one.
func smallFile() -> GGUFWriter {
    var w = GGUFWriter()
    w.add("general.architecture", .string("llama"))
    w.add("llama.block_count", .uint32(2))
    w.addF32("norm", dimensions: [4, 3], values: (0..<12).map { Float($0) - 5.5 })
    let block: [UInt8] = le(UInt16(0x3C00)) + (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }  // d = 1, q = −16…15
    w.add("embd", dimensions: [32, 2], type: GGMLType.q8_0.rawValue, data: block + block)
    return w
}

@Suite("GGUF reader")
struct GGUFReaderTests {
    static let everyType: [(String, GGUFValue)] = [
        ("u8", .uint8(255)), ("i8", .int8(-128)), ("u16", .uint16(65535)), ("i16", .int16(-32768)),
        ("u32", .uint32(.max)), ("i32", .int32(.min)), ("u64", .uint64(.max)), ("i64", .int64(.min)),
        ("f32", .float32(-0.1)), ("f64", .float64(1e-300)), ("t", .bool(true)), ("f", .bool(false)),
        ("s", .string("ünïcode ✓")), ("empty", .string("")),
        ("strings", .array([.string("a"), .string(""), .string("ß")])),
        ("nested", .array([.array([.int32(1), .int32(2)]), .array([.int32(3)])])),
        ("deep", .array([.array([.array([.float64(0.5)])])])),
        ("no items", .array([])),
    ]

    @Test("every value type, nested arrays and tensors round-trip, v2 and v3", arguments: [UInt32(2), 3])
    func roundTrip(version: UInt32) throws {
        var w = smallFile()
        w.version = version
        for (k, v) in Self.everyType { w.add(k, v) }
        let file = try GGUFFile(contentsOf: try temporaryFile(w.bytes()))
        #expect(file.version == Int(version))
        #expect(file.metadataKeys == w.metadata.map(\.0))
        for (k, v) in w.metadata { #expect(file.metadata[k] == v, "\(k)") }
        #expect(file.tensors.map(\.name) == ["norm", "embd"])
        let norm = try file.floatTensor("norm")
        #expect(norm.shape == [3, 4] && norm.data == (0..<12).map { Float($0) - 5.5 })
        let embd = try file.matrix("embd")
        #expect(embd.type == .q8_0 && embd.rows == 2 && embd.columns == 32)
        var row = [Float](repeating: 0, count: 32)
        row.withUnsafeMutableBufferPointer { embd.dequantizeRow(1, into: $0.baseAddress!) }
        #expect(row == (0..<32).map { Float($0 - 16) })
        #expect(file.tensorInfo("embd")?.offset == file.dataOffset + 64)  // 48 bytes of norm, padded to 32
    }

    @Test("typed getters: widths, ranges, wrong types, absent keys")
    func getters() throws {
        var w = GGUFWriter()
        for (k, v) in Self.everyType { w.add(k, v) }
        w.add("ints", .array([.int64(1), .int64(-2)]))  // GGUF arrays hold one element type
        w.add("floats", .array([.float32(0.5), .float32(2)]))
        let file = try GGUFFile(contentsOf: try temporaryFile(w.bytes()))
        #expect(try file.integer("u32") == Int(UInt32.max))
        #expect(try file.integer("i64") == Int(Int64.min))
        #expect(try file.float("f32") == -0.1)
        #expect(try file.float("u16") == 65535)
        #expect(try file.string("s") == "ünïcode ✓")
        #expect(try file.strings("strings") == ["a", "", "ß"])
        #expect(try file.integers("ints") == [1, -2])
        #expect(try file.floats("floats") == [0.5, 2])
        #expect(try file.floats("ints") == [1, -2])
        #expect(try file.optionalBool("t") == true)
        #expect(try file.optionalString("absent") == nil && file.optionalFloat("absent") == nil)
        #expect(throws: GGUFError.valueOutOfRange(path: file.path, key: "u64", value: "uint64(18446744073709551615)", expected: "at most \(Int.max)")) {
            try file.integer("u64")
        }
        #expect(throws: GGUFError.wrongValueType(path: file.path, key: "s", expected: "an integer", found: "string")) { try file.integer("s") }
        #expect(throws: GGUFError.wrongValueType(path: file.path, key: "u8", expected: "a string", found: "uint8")) { try file.optionalString("u8") }
        #expect(throws: GGUFError.missingKey(path: file.path, key: "absent")) { try file.strings("absent") }
        #expect(throws: GGUFError.self) { try file.strings("nested") }
        #expect(throws: GGUFError.tensorNotFound(path: file.path, tensor: "x")) { try file.matrix("x") }
    }

    @Test("general.alignment: honoured when a power of two, rejected otherwise")
    func alignment() throws {
        var w = smallFile()
        w.alignment = 64
        w.add("general.alignment", .uint32(64))
        let file = try GGUFFile(contentsOf: try temporaryFile(w.bytes()))
        #expect(file.alignment == 64 && file.dataOffset % 64 == 0 && file.tensors[1].offset == file.dataOffset + 64)
        for bad: GGUFValue in [.uint32(0), .uint32(48), .uint64(64), .int32(64)] {
            var b = smallFile()
            b.add("general.alignment", bad)
            guard case .invalidAlignment = try ggufError(b.bytes()) else { Issue.record("alignment \(bad) accepted"); continue }
        }
    }

    @Test("a file cut at every byte is an error, never a crash")
    func truncatedEverywhere() throws {
        let bytes = smallFile().bytes()
        for n in 0..<bytes.count {
            #expect(try ggufError(Array(bytes[0..<n])) != nil, "prefix of \(n) of \(bytes.count) bytes opened")
        }
        #expect(try ggufError(bytes) == nil)
    }

    @Test("bad magic, unsupported versions, big-endian")
    func framing() throws {
        var w = smallFile()
        w.magic = Array("GGML".utf8)
        guard case .badMagic = try ggufError(w.bytes()) else { Issue.record("bad magic accepted"); return }
        for version: UInt32 in [0, 1, 4] {
            w = smallFile()
            w.version = version
            guard case .unsupportedVersion(_, version) = try ggufError(w.bytes()) else { Issue.record("version \(version) accepted"); continue }
        }
        w = smallFile()
        w.version = 0x0300_0000  // version 3 written big-endian
        guard case .bigEndian = try ggufError(w.bytes()) else { Issue.record("big-endian accepted"); return }
    }

    @Test("counts and lengths beyond the file are rejected before allocating")
    func hugeCounts() throws {
        var w = smallFile()
        w.tensorCount = 1 << 63
        guard case .countTooLarge = try ggufError(w.bytes()) else { Issue.record("2^63 tensors accepted"); return }
        w = smallFile()
        w.metadataCount = .max
        guard case .countTooLarge = try ggufError(w.bytes()) else { Issue.record("2^64 − 1 keys accepted"); return }
        // A 2^40-byte string and a 2^40-element array, spliced into a valid file's first value.
        for (typeID, field) in [(UInt32(8), "string"), (9, "array")] {
            var b = GGUFWriter()
            b.add("k", .uint8(0))
            var bytes = b.header()
            let valueStart = 24 + 8 + 1  // header, key length, key "k"
            bytes.replaceSubrange(valueStart..<(valueStart + 5), with: le(typeID) + (typeID == 9 ? le(UInt32(0)) : []) + le(UInt64(1) << 40))
            guard case .countTooLarge = try ggufError(bytes) else { Issue.record("2^40 \(field) accepted"); continue }
        }
    }

    @Test("metadata errors: unknown value type, bad bool, invalid UTF-8, empty and duplicate keys")
    func metadataErrors() throws {
        var b = GGUFWriter()
        b.add("k", .uint8(0))
        var bytes = b.header()
        bytes.replaceSubrange(33..<37, with: le(UInt32(13)))
        guard case .unknownValueType(_, "k", 13) = try ggufError(bytes) else { Issue.record("value type 13 accepted"); return }
        bytes = b.header()
        bytes[37] = 0  // uint8 → still fine
        #expect(try ggufError(bytes) == nil)
        b = GGUFWriter()
        b.add("k", .bool(true))
        bytes = b.header()
        bytes[37] = 2
        guard case .invalidBool(_, "k", 2) = try ggufError(bytes) else { Issue.record("bool 2 accepted"); return }
        b = GGUFWriter()
        b.add("\u{7F}", .uint8(1))
        bytes = b.header()
        bytes[32] = 0xFF
        guard case .invalidUTF8 = try ggufError(bytes) else { Issue.record("invalid UTF-8 key accepted"); return }
        b = GGUFWriter()
        b.add("", .uint8(1))
        guard case .emptyKey = try ggufError(b.bytes()) else { Issue.record("empty key accepted"); return }
        b = GGUFWriter()
        b.add("k", .uint8(1))
        b.add("k", .uint8(2))
        guard case .duplicateKey(_, "k") = try ggufError(b.bytes()) else { Issue.record("duplicate key accepted"); return }
        b = GGUFWriter()
        var deep = GGUFValue.uint8(0)
        for _ in 0...GGUFFile.maxArrayDepth { deep = .array([deep]) }
        b.add("deep", deep)
        guard case .arrayTooDeep = try ggufError(b.bytes()) else { Issue.record("over-deep array accepted"); return }
    }

    @Test("tensor-info errors: types, dimensions, overflow, blocks, offsets, overlaps, duplicates")
    func tensorErrors() throws {
        func mutate(_ change: (inout GGUFWriter) -> Void) throws -> GGUFError? {
            var w = smallFile()
            change(&w)
            return try ggufError(w.bytes())
        }
        guard case .unknownTensorType(_, "norm", 99) = try mutate({ $0.tensors[0].typeID = 99 }) else { Issue.record("type 99"); return }
        guard case .unsupportedTensorType(_, "norm", 13, "Q5_K") = try mutate({ $0.tensors[0].typeID = 13 }) else { Issue.record("Q5_K"); return }
        guard case .tooManyDimensions(_, "norm", 5) = try mutate({ $0.tensors[0].dimensions = [4, 3, 1, 1, 1] }) else { Issue.record("5 dims"); return }
        guard case .invalidDimension = try mutate({ $0.tensors[0].dimensions = [4, 1 << 63] }) else { Issue.record("dim 2^63"); return }
        guard case .sizeOverflow = try mutate({ $0.tensors[0].dimensions = [1 << 32, 1 << 32] }) else { Issue.record("2^64 elements"); return }
        guard case .sizeOverflow = try mutate({ $0.tensors[0].dimensions = [1 << 31, 1 << 31] }) else { Issue.record("2^62 F32 = 2^64 bytes"); return }
        guard case .rowNotWholeBlocks(_, "embd", _, 48, 32) = try mutate({ $0.tensors[1].dimensions = [48, 1] }) else { Issue.record("ne0 48"); return }
        guard case .misalignedOffset(_, "embd", 68, 32) = try mutate({ $0.tensors[1].offset = 68 }) else { Issue.record("offset 68"); return }
        guard case .tensorOutOfRange = try mutate({ $0.tensors[1].dimensions = [32, 3] }) else { Issue.record("range past the end"); return }
        guard case .tensorOutOfRange = try mutate({ $0.tensors[1].offset = 1 << 62 }) else { Issue.record("offset 2^62"); return }
        guard case .overlappingTensors(_, _, _, _, _) = try mutate({ $0.tensors[1].offset = 0 }) else { Issue.record("overlap"); return }
        guard case .duplicateTensorName(_, "norm") = try mutate({ $0.tensors[1].name = "norm" }) else { Issue.record("duplicate name"); return }
        #expect(try mutate({ $0.tensors[0].dimensions = [4, 0] }) == nil, "empty tensors are valid (as in gguf.cpp)")
    }

    @Test("the gguf-py golden: metadata and every type's blocks dequantize as gguf.quants does")
    func goldens() throws {
        let url = try #require(Bundle.module.url(forResource: "Goldens", withExtension: nil)).appendingPathComponent("gguf/quant-goldens.gguf")
        let file = try GGUFFile(contentsOf: url)
        #expect(file.metadata["test.uint64"] == .uint64((1 << 63) + 5))
        #expect(file.metadata["test.int8"] == .int8(-100))
        #expect(file.metadata["test.float64"] == .float64(-2.5e300))
        #expect(file.metadata["test.bool"] == .bool(true))
        #expect(try file.string("test.string") == "héllo, GGUF ✓")
        #expect(try file.strings("test.strings") == ["a", "", "ünïcode"])
        #expect(file.metadata["test.nested"] == .array([.array([.int32(1), .int32(2)]), .array([.int32(3), .int32(4), .int32(5)])]))
        for type in GGMLType.allCases {
            let m = try file.matrix("\(type.name).weight")
            let golden = try file.floatTensor("\(type.name).dequantized")
            #expect(m.type == type && golden.shape == [m.rows, m.columns])
            let info = try #require(file.tensorInfo("\(type.name).weight"))
            let stored = try [UInt8](Data(contentsOf: url)[info.offset..<(info.offset + info.byteCount)])
            let twin = Reference.dequantize(type, bytes: stored, count: m.rows * m.columns)
            var row = [Float](repeating: .nan, count: m.columns)
            for r in 0..<m.rows {
                row.withUnsafeMutableBufferPointer { m.dequantizeRow(r, into: $0.baseAddress!) }
                for c in 0..<m.columns {
                    let g = golden.data[r * m.columns + c]
                    // gguf-py rounds d·q (+ m) to Float32 like the kernels; allow one ulp for the order of the two roundings.
                    #expect(abs(row[c] - g) <= g.magnitude.ulp, "\(type.name) [\(r), \(c)]: \(row[c]) vs gguf-py \(g)")
                    #expect(abs(twin[r * m.columns + c] - Double(g)) <= Double(g.magnitude.ulp), "twin \(type.name) [\(r), \(c)]")
                }
            }
        }
    }
}
