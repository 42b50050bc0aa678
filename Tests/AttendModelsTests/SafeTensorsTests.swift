import AttendKernels
import AttendModels
import Foundation
import Testing

/// SplitMix64: the fixed-seed generator for this file's random inputs and mutations.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random non-NaN 16-bit patterns (F16 exponent 31 excluded, BF16 exponent 255 excluded).
private func randomHalfBits(_ count: Int, bf16: Bool, seed: UInt64) -> [UInt16] {
    var g = SplitMix64(seed: seed)
    return (0..<count).map { _ in
        while true {
            let b = UInt16(truncatingIfNeeded: g.next())
            let isSpecial = bf16 ? (b & 0x7F80) == 0x7F80 : (b & 0x7C00) == 0x7C00
            if !isSpecial { return b }
        }
    }
}

private func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var g = SplitMix64(seed: seed)
    return (0..<count).map { _ in Float.random(in: -4...4, using: &g) }
}

/// Writes `bytes`, opens them, and checks the thrown `ModelFileError` matches and its description
/// names the file and every string in `mentions`.
private func expectOpenError(
    _ bytes: [UInt8], mentions: [String] = [], sourceLocation: SourceLocation = #_sourceLocation,
    _ matches: (ModelFileError) -> Bool
) {
    withTemporaryDirectory { dir in
        let url = dir.write(bytes)
        expectError(mentions: [url.path] + mentions, sourceLocation: sourceLocation, matches) {
            _ = try SafeTensorsFile(contentsOf: url)
        }
    }
}

private func expectError(
    mentions: [String], sourceLocation: SourceLocation = #_sourceLocation,
    _ matches: (ModelFileError) -> Bool, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected an error, but none was thrown", sourceLocation: sourceLocation)
    } catch let error as ModelFileError {
        #expect(matches(error), "unexpected error case: \(error)", sourceLocation: sourceLocation)
        for m in mentions {
            #expect(error.description.contains(m), "description \"\(error.description)\" does not mention \"\(m)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a ModelFileError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// One F32 tensor "w" of shape [2] with `entry` as its header entry (for single-entry tests).
private func fileWithEntry(_ entry: String, dataBytes: Int = 8) -> [UInt8] {
    SafeTensorsWriter.file(header: "{\"w\":\(entry)}", data: [UInt8](repeating: 0x3F, count: dataBytes))
}

@Suite("SafeTensors reader")
struct SafeTensorsTests {
    // MARK: Round trips

    @Test("F32 / F16 / BF16 / I64 round trip, metadata, scalar and empty tensors")
    func roundTrip() throws {
        var w = SafeTensorsWriter()
        let f32 = randomFloats(12, seed: 1)
        let f16 = randomHalfBits(35, bf16: false, seed: 2) + [0x0000, 0x8000, 0x0001, 0x83FF, 0x7C00, 0xFC00, 0x3C00]
        let bf16 = randomHalfBits(12, bf16: true, seed: 3)
        w.add("b.f16", f16: f16, shape: [6, 7])
        w.add("a.f32", f32: f32, shape: [3, 4])
        w.add("c.bf16", bf16: bf16, shape: [2, 3, 2])
        w.add("d.scalar", f32: [2.5], shape: [])
        w.add("e.empty", f32: [], shape: [0, 3])
        w.add("f.ids", i64: [1, -2, 3], shape: [3])
        w.metadata = ["format": "pt", "note": "quote \" and \\ and é"]
        try withTemporaryDirectory { dir in
            let url = dir.write(w.bytes())
            let file = try SafeTensorsFile(contentsOf: url)
            #expect(file.names == ["a.f32", "b.f16", "c.bf16", "d.scalar", "e.empty", "f.ids"])
            #expect(file.metadata == ["format": "pt", "note": "quote \" and \\ and é"])
            #expect(file.path == url.path)

            let a = try file.floatTensor("a.f32")
            #expect(a.shape == [3, 4])
            #expect(a.data.map(\.bitPattern) == f32.map(\.bitPattern))

            let b = try file.floatTensor("b.f16", expectedShape: [6, 7])
            #expect(b.data.map(\.bitPattern) == f16.map { HalfConversion.slowF16ToF32($0).bitPattern })
            let specials: [Float] = [0, -0.0, 0x1p-24, -(0x3FF * 0x1p-24), .infinity, -.infinity, 1]
            #expect(Array(b.data.suffix(7)) == specials)

            let c = try file.floatTensor("c.bf16")
            #expect(c.shape == [2, 3, 2])
            #expect(c.data.map(\.bitPattern) == bf16.map { UInt32($0) << 16 })

            let scalar = try file.floatTensor("d.scalar"), empty = try file.floatTensor("e.empty")
            #expect(scalar == Tensor(shape: [], data: [2.5]))
            #expect(empty == Tensor(shape: [0, 3], data: []))

            let info = try file.info("f.ids")
            #expect(info.dtype == .i64)
            #expect(info.shape == [3])
            #expect(info.elementCount == 3)
            let f16Bytes = 42 * 2, f32Bytes = 48, bf16Bytes = 24
            let start = f16Bytes + f32Bytes + bf16Bytes + 4
            #expect(info.dataOffsets == start..<(start + 24))
            let ids = try file.withRawBytes("f.ids") { raw in
                (0..<3).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
            }
            #expect(ids == [1, -2, 3])
            #expect(file.contains("a.f32"))
            #expect(!file.contains("zzz"))
        }
    }

    @Test("unaligned data (odd header length) reads correctly")
    func unaligned() throws {
        for extra in 0..<8 {
            var w = SafeTensorsWriter()
            let f32 = randomFloats(9, seed: 10 + UInt64(extra))
            let f16 = randomHalfBits(5, bf16: false, seed: 20)
            w.add("h", f16: f16, shape: [5])   // 10 bytes: F32 data after it is misaligned too
            w.add("x", f32: f32, shape: [9])
            let header = w.header(pad: false) + String(repeating: " ", count: extra)
            try withTemporaryDirectory { dir in
                let file = try SafeTensorsFile(contentsOf: dir.write(SafeTensorsWriter.file(header: header, data: w.data)))
                #expect(try file.floatTensor("x").data.map(\.bitPattern) == f32.map(\.bitPattern))
                #expect(try file.floatTensor("h").data.map(\.bitPattern) == f16.map { HalfConversion.slowF16ToF32($0).bitPattern })
            }
        }
    }

    @Test("the model goldens load and every tensor converts")
    func goldens() throws {
        let root = try #require(Bundle.module.url(forResource: "Goldens", withExtension: nil))
        var loaded = 0
        for (dir, dtype) in [("tiny-bert-f32", SafeTensorsDType.f32), ("tiny-bert-f16", .f16), ("tiny-bert-bf16", .bf16)] {
            let url = root.appendingPathComponent(dir).appendingPathComponent("model.safetensors")
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let file = try SafeTensorsFile(contentsOf: url)
            #expect(file.metadata["format"] == "pt")
            #expect(file.names.contains("bert.embeddings.word_embeddings.weight"))
            for name in file.names {
                #expect(try file.info(name).dtype == dtype)
                let t = try file.floatTensor(name)
                let finite = t.data.allSatisfy { $0.isFinite }
                #expect(finite, "\(dir) \(name)")
            }
            loaded += 1
        }
        #expect(loaded > 0)
    }

    @Test("a 45 MB F16 file converts exactly (its load time is printed, never asserted)")
    func performance() throws {
        let count = 22_500_000
        var bits = [UInt16](repeating: 0, count: count)
        var g = SplitMix64(seed: 99)
        for i in 0..<count { bits[i] = UInt16(truncatingIfNeeded: g.next()) & 0xBBFF }  // finite values
        var header = "{\"big\":{\"dtype\":\"F16\",\"shape\":[\(count / 500),500],\"data_offsets\":[0,\(count * 2)]}}"
        while header.utf8.count % 8 != 0 { header += " " }
        var bytes = SafeTensorsWriter.file(header: header, data: [])
        bytes.reserveCapacity(bytes.count + count * 2)
        bits.withUnsafeBytes { bytes.append(contentsOf: $0) }  // little-endian hosts
        try withTemporaryDirectory { dir in
            let url = dir.write(bytes)
            bytes = []
            let clock = ContinuousClock()
            var tensor: Tensor? = nil
            let elapsed = try clock.measure {
                let file = try SafeTensorsFile(contentsOf: url)
                tensor = try file.floatTensor("big", expectedShape: [count / 500, 500])
            }
            print("SafeTensors: opened and converted 45 MB of F16 in \(elapsed)")
            let t = try #require(tensor)
            for i in stride(from: 0, to: count, by: 9973) {
                #expect(t.data[i].bitPattern == HalfConversion.slowF16ToF32(bits[i]).bitPattern)
            }
        }
    }

    // MARK: Use errors

    @Test("floatTensor on a non-float dtype names the tensor and dtype")
    func unsupportedDType() throws {
        var w = SafeTensorsWriter()
        w.add("input_ids", i64: [1, 2], shape: [2])
        try withTemporaryDirectory { dir in
            let url = dir.write(w.bytes())
            let file = try SafeTensorsFile(contentsOf: url)
            expectError(mentions: [url.path, "input_ids", "I64", "F32"], {
                if case .unsupportedDType(_, "input_ids", "I64", _) = $0 { return true }; return false
            }) { _ = try file.floatTensor("input_ids") }
        }
    }

    @Test("expected shape mismatch names tensor, expected and found shapes")
    func shapeMismatch() throws {
        var w = SafeTensorsWriter()
        w.add("layer.weight", f32: randomFloats(6, seed: 4), shape: [2, 3])
        try withTemporaryDirectory { dir in
            let url = dir.write(w.bytes())
            let file = try SafeTensorsFile(contentsOf: url)
            #expect(try file.floatTensor("layer.weight", expectedShape: [2, 3]).shape == [2, 3])
            expectError(mentions: [url.path, "layer.weight", "[3, 2]", "[2, 3]"], {
                if case .shapeMismatch(_, "layer.weight", [3, 2], [2, 3]) = $0 { return true }; return false
            }) { _ = try file.floatTensor("layer.weight", expectedShape: [3, 2]) }
        }
    }

    @Test("unknown tensor name")
    func tensorNotFound() throws {
        var w = SafeTensorsWriter()
        w.add("a", f32: [1], shape: [1])
        try withTemporaryDirectory { dir in
            let url = dir.write(w.bytes())
            let file = try SafeTensorsFile(contentsOf: url)
            expectError(mentions: [url.path, "missing.weight"], {
                if case .tensorNotFound(_, "missing.weight") = $0 { return true }; return false
            }) { _ = try file.floatTensor("missing.weight") }
            expectError(mentions: ["b"], { if case .tensorNotFound = $0 { return true }; return false }) { _ = try file.info("b") }
        }
    }

    // MARK: File errors

    @Test func fileMissing() {
        let url = URL(fileURLWithPath: "/nonexistent-attend-dir/model.safetensors")
        expectError(mentions: [url.path], { if case .fileNotFound = $0 { return true }; return false }) {
            _ = try SafeTensorsFile(contentsOf: url)
        }
    }

    @Test func fileIsDirectory() {
        withTemporaryDirectory { dir in
            expectError(mentions: [dir.url.path], { if case .fileUnreadable = $0 { return true }; return false }) {
                _ = try SafeTensorsFile(contentsOf: dir.url)
            }
        }
    }

    @Test("shorter than 8 bytes", arguments: [0, 1, 7])
    func fileTooSmall(size: Int) {
        expectOpenError([UInt8](repeating: 0, count: size), mentions: ["8 bytes"]) {
            if case .fileTooSmall(_, size) = $0 { return true }; return false
        }
    }

    @Test func headerTooLarge() {
        expectOpenError(SafeTensorsWriter.rawFile(headerLength: 1 << 40, header: Array("{}".utf8)), mentions: ["\(1 << 40)"]) {
            if case .headerTooLarge(_, 1 << 40, _) = $0 { return true }; return false
        }
        expectOpenError(SafeTensorsWriter.rawFile(headerLength: .max, header: []), mentions: ["\(UInt64.max)"]) {
            if case .headerTooLarge = $0 { return true }; return false
        }
    }

    @Test func headerLengthExceedsFile() {
        expectOpenError(SafeTensorsWriter.rawFile(headerLength: 100, header: Array("{}".utf8)), mentions: ["100"]) {
            if case .headerLengthExceedsFile(_, 100, 2) = $0 { return true }; return false
        }
    }

    @Test func headerNotUTF8() {
        var header = Array("{\"w\u{1}\":1}".utf8)
        header[3] = 0xFF
        expectOpenError(SafeTensorsWriter.rawFile(headerLength: UInt64(header.count), header: header), mentions: ["UTF-8"]) {
            if case .headerNotUTF8(_, 3) = $0 { return true }; return false
        }
        // A UTF-16 surrogate encoded in UTF-8 (CESU) is invalid too.
        let cesu: [UInt8] = Array("{\"".utf8) + [0xED, 0xA0, 0x80] + Array("\":1}".utf8)
        expectOpenError(SafeTensorsWriter.rawFile(headerLength: UInt64(cesu.count), header: cesu)) {
            if case .headerNotUTF8(_, 2) = $0 { return true }; return false
        }
    }

    @Test("header is not JSON", arguments: ["", "{", "{\"a\":}", "{} x", "{'a':1}", "{\"a\":01}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}",
                                              String(repeating: "[", count: 200) + String(repeating: "]", count: 200)])
    func headerNotJSON(header: String) {
        expectOpenError(SafeTensorsWriter.file(header: header), mentions: ["JSON"]) {
            if case .headerNotJSON = $0 { return true }; return false
        }
    }

    @Test("header is JSON but not an object", arguments: ["[]", "42", "\"x\"", "null"])
    func headerNotObject(header: String) {
        expectOpenError(SafeTensorsWriter.file(header: header), mentions: ["object"]) {
            if case .headerNotObject = $0 { return true }; return false
        }
    }

    @Test func invalidMetadata() {
        expectOpenError(SafeTensorsWriter.file(header: "{\"__metadata__\":{\"format\":1}}"), mentions: ["__metadata__", "format"]) {
            if case .invalidMetadata = $0 { return true }; return false
        }
        expectOpenError(SafeTensorsWriter.file(header: "{\"__metadata__\":[]}"), mentions: ["__metadata__"]) {
            if case .invalidMetadata = $0 { return true }; return false
        }
    }

    @Test func duplicateTensorName() {
        let e = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}"
        expectOpenError(SafeTensorsWriter.file(header: "{\"w\":\(e),\"w\":\(e)}", data: [0, 0, 0, 0]), mentions: ["'w'"]) {
            if case .duplicateTensorName(_, "w") = $0 { return true }; return false
        }
    }

    // MARK: Entry errors

    @Test func entryNotObject() {
        expectOpenError(fileWithEntry("[1,2]"), mentions: ["'w'", "array"]) {
            if case .entryNotObject(_, "w", _) = $0 { return true }; return false
        }
    }

    @Test("entry lacks a field", arguments: ["dtype", "shape", "data_offsets"])
    func missingField(field: String) {
        var parts = ["\"dtype\":\"F32\"", "\"shape\":[2]", "\"data_offsets\":[0,8]"]
        parts.removeAll { $0.hasPrefix("\"\(field)\"") }
        expectOpenError(fileWithEntry("{\(parts.joined(separator: ","))}"), mentions: ["'w'", field]) {
            if case .missingField(_, "w", field) = $0 { return true }; return false
        }
    }

    @Test("entry field of the wrong JSON type", arguments: [
        ("dtype", "{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}"),
        ("shape", "{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}"),
        ("shape", "{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}"),
        ("data_offsets", "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}"),
        ("data_offsets", "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}"),
        ("data_offsets", "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\"0\",8]}"),
        ("data_offsets", "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":null}"),
    ])
    func wrongFieldType(field: String, entry: String) {
        expectOpenError(fileWithEntry(entry), mentions: ["'w'", field]) {
            if case .wrongFieldType(_, "w", field, _, _) = $0 { return true }; return false
        }
    }

    @Test("unknown dtype", arguments: ["F12", "f32", "FLOAT", ""])
    func unknownDType(dtype: String) {
        expectOpenError(fileWithEntry("{\"dtype\":\"\(dtype)\",\"shape\":[2],\"data_offsets\":[0,8]}"), mentions: ["'w'", "'\(dtype)'"]) {
            if case .unknownDType(_, "w", dtype) = $0 { return true }; return false
        }
    }

    @Test("negative, fractional or overflowing shape", arguments: ["[-1]", "[2.5]", "[2.0]", "[1e1]", "[-2,-1]", "[4294967296,4294967296]", "[99999999999999999999]"])
    func invalidShape(shape: String) {
        expectOpenError(fileWithEntry("{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[0,8]}"), mentions: ["'w'", "shape"]) {
            if case .invalidShape(_, "w", _) = $0 { return true }; return false
        }
    }

    @Test("data_offsets begin > end, negative or fractional", arguments: ["[8,0]", "[-8,0]", "[0,8.0]", "[0,-8]"])
    func invalidDataOffsets(offsets: String) {
        expectOpenError(fileWithEntry("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":\(offsets)}"), mentions: ["'w'", "data_offsets"]) {
            if case .invalidDataOffsets(_, "w", _, _, _) = $0 { return true }; return false
        }
    }

    @Test func dataOffsetsOutOfBounds() {
        expectOpenError(fileWithEntry("{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}"), mentions: ["'w'", "16", "8 bytes"]) {
            if case .dataOffsetsOutOfBounds(_, "w", 16, 8) = $0 { return true }; return false
        }
        expectOpenError(fileWithEntry("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[9223372036854775800,9223372036854775804]}")) {
            if case .dataOffsetsOutOfBounds(_, "w", _, 8) = $0 { return true }; return false
        }
    }

    @Test("byte length differs from shape × dtype size", arguments: [
        ("F32", "[3]", 12, 8), ("F16", "[2]", 4, 8), ("BF16", "[2,3]", 12, 8), ("F32", "[]", 4, 8), ("F64", "[0]", 0, 8), ("F4", "[3]", 2, 8),
    ])
    func byteLengthMismatch(dtype: String, shape: String, expected: Int, found: Int) {
        expectOpenError(fileWithEntry("{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[0,8]}"), mentions: ["'w'", dtype, "\(expected) bytes", "\(found)"]) {
            if case .byteLengthMismatch(_, "w", dtype, _, expected, found) = $0 { return true }; return false
        }
    }

    @Test func overlappingTensors() {
        let header = """
            {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}
            """
        expectOpenError(SafeTensorsWriter.file(header: header, data: [UInt8](repeating: 0, count: 12)), mentions: ["'a'", "'b'", "overlap"]) {
            if case .overlappingTensors(_, "b", 4..<12, "a", 0..<8) = $0 { return true }; return false
        }
        // Two tensors sharing the same bytes.
        let same = """
            {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}
            """
        expectOpenError(SafeTensorsWriter.file(header: same, data: [UInt8](repeating: 0, count: 8)), mentions: ["'a'", "'b'"]) {
            if case .overlappingTensors = $0 { return true }; return false
        }
    }

    @Test func uncoveredBytes() {
        let hole = """
            {"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}
            """
        expectOpenError(SafeTensorsWriter.file(header: hole, data: [UInt8](repeating: 0, count: 12)), mentions: ["4..<8", "'a'"]) {
            if case .uncoveredBytes(_, 4..<8, "a") = $0 { return true }; return false
        }
        let leading = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}"
        expectOpenError(SafeTensorsWriter.file(header: leading, data: [UInt8](repeating: 0, count: 8)), mentions: ["0..<4"]) {
            if case .uncoveredBytes(_, 0..<4, nil) = $0 { return true }; return false
        }
        var w = SafeTensorsWriter()
        w.add("a", f32: [1, 2], shape: [2])
        expectOpenError(w.bytes() + [1, 2, 3], mentions: ["8..<11", "'a'"]) {
            if case .uncoveredBytes(_, 8..<11, "a") = $0 { return true }; return false
        }
        expectOpenError(SafeTensorsWriter.file(header: "{}", data: [0])) {
            if case .uncoveredBytes(_, 0..<1, nil) = $0 { return true }; return false
        }
    }

    @Test("an empty file with no tensors is valid")
    func noTensors() throws {
        try withTemporaryDirectory { dir in
            let file = try SafeTensorsFile(contentsOf: dir.write(SafeTensorsWriter.file(header: "{\"__metadata__\":{}}     ")))
            #expect(file.names.isEmpty)
            #expect(file.metadata.isEmpty)
            #expect(file.dataBufferSize == 0)
        }
    }

    // MARK: Randomized corruption

    @Test("seeded random corruption: throws ModelFileError or loads a fully readable file")
    func randomCorruption() throws {
        var w = SafeTensorsWriter()
        w.add("emb.weight", f16: randomHalfBits(24, bf16: false, seed: 5), shape: [4, 6])
        w.add("layer.0.bias", f32: randomFloats(6, seed: 6), shape: [6])
        w.add("layer.0.weight", bf16: randomHalfBits(12, bf16: true, seed: 7), shape: [2, 6])
        w.add("ids", i64: [0, 1], shape: [2])
        w.add("s", f32: [1], shape: [])
        w.metadata = ["format": "pt"]
        let original = w.bytes()
        let headerEnd = 8 + w.header().utf8.count
        var g = SplitMix64(seed: 0xA77E_2D)
        var outcomes = [0, 0]   // [threw, loaded]
        withTemporaryDirectory { dir in
            for trial in 0..<400 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...3, using: &g) {
                    switch g.next() % 7 {
                    case 0:  // truncate
                        bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &g)))
                    case 1:  // flip random header bytes
                        guard bytes.count > 8 else { continue }
                        for _ in 0..<Int.random(in: 1...4, using: &g) {
                            let i = Int.random(in: 8..<min(headerEnd, bytes.count), using: &g)
                            bytes[i] ^= UInt8(truncatingIfNeeded: g.next() | 1)
                        }
                    case 2:  // overwrite the header length
                        guard bytes.count >= 8 else { continue }
                        let n: UInt64 = g.next() % 2 == 0 ? g.next() : UInt64(Int.random(in: 0...(bytes.count + 16), using: &g))
                        bytes.replaceSubrange(0..<8, with: littleEndianBytes(n))
                    case 3:  // splice garbage somewhere
                        let at = Int.random(in: 0...bytes.count, using: &g)
                        let garbage = (0..<Int.random(in: 1...16, using: &g)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
                        bytes.insert(contentsOf: garbage, at: at)
                    case 4:  // replace a digit in the header with another digit (plausible offsets/shapes)
                        guard bytes.count > 8 else { continue }
                        let digits = (8..<min(headerEnd, bytes.count)).filter { (0x30...0x39).contains(bytes[$0]) }
                        guard let i = digits.randomElement(using: &g) else { continue }
                        bytes[i] = UInt8(0x30 + g.next() % 10)
                    case 5:  // flip bytes in the data buffer (any bit pattern must convert)
                        guard bytes.count > headerEnd else { continue }
                        for _ in 0..<Int.random(in: 1...8, using: &g) {
                            bytes[Int.random(in: headerEnd..<bytes.count, using: &g)] = UInt8(truncatingIfNeeded: g.next())
                        }
                    default:  // delete a byte range
                        guard !bytes.isEmpty else { continue }
                        let a = Int.random(in: 0..<bytes.count, using: &g)
                        let b = min(bytes.count, a + Int.random(in: 1...8, using: &g))
                        bytes.removeSubrange(a..<b)
                    }
                }
                let url = dir.write(bytes, name: "mutant-\(trial).safetensors")
                do {
                    let file = try SafeTensorsFile(contentsOf: url)
                    for name in file.names {
                        let info = try file.info(name)
                        if SafeTensorsFile.floatDTypes.contains(info.dtype) {
                            let t = try file.floatTensor(name)
                            #expect(t.count == info.elementCount && t.shape == info.shape)
                        } else {
                            let n = try file.withRawBytes(name) { raw in raw.reduce(0) { $0 &+ Int($1) } }
                            _ = n
                        }
                    }
                    outcomes[1] += 1
                } catch let error as ModelFileError {
                    #expect(error.path == url.path)
                    #expect(error.description.contains(url.path))
                    outcomes[0] += 1
                } catch {
                    Issue.record("trial \(trial): unexpected error type \(error)")
                }
                try? FileManager.default.removeItem(at: url)
            }
        }
        print("SafeTensors corruption: \(outcomes[0]) mutants rejected, \(outcomes[1]) loaded and fully read")
        // The mutations must exercise both outcomes.
        #expect(outcomes[0] > 100)
        #expect(outcomes[1] > 20)
    }
}
