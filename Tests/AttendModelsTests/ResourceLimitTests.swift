import AttendAttention
import AttendKernels
import AttendModels
import AttendTokenizers
import Foundation
import Testing

/// Hostile sizes in files and inputs are rejected by a check before anything of that size is
/// allocated or looped over (RELIABILITY.md, "Resource limits"): each case here gives a typed error
/// naming what was wrong. (The fuzzers run with a 1 GiB allocation limit, so an allocation sized by
/// a file's claim would also fail them.)
@Suite("Resource limits: absurd sizes are clear errors, never allocations")
struct ResourceLimitTests {
    /// A million: the issue's size for sequences, nesting and layer counts.
    static let million = 1_000_000

    private func expectError(_ mentions: [String], _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected an error mentioning \(mentions)", sourceLocation: sourceLocation)
        } catch {
            let text = String(describing: error)
            for m in mentions { #expect(text.contains(m), "\(text) should mention \(m)", sourceLocation: sourceLocation) }
        }
    }

    @Test("safetensors claiming a 2^64 − 1 byte header")
    func safeTensorsHugeHeader() {
        withTemporaryDirectory { dir in
            let url = dir.write(SafeTensorsWriter.rawFile(headerLength: .max, header: Array("{}".utf8)))
            expectError([url.path, "\(UInt64.max)", "\(SafeTensorsFile.maxHeaderLength)"]) { _ = try SafeTensorsFile(contentsOf: url) }
        }
    }

    @Test("safetensors tensor whose shape multiplies past Int.max, or claims 2^40 elements in 8 bytes")
    func safeTensorsHugeShape() {
        withTemporaryDirectory { dir in
            let overflow = dir.write(SafeTensorsWriter.file(
                header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)))
            expectError(["w", "overflows"]) { _ = try SafeTensorsFile(contentsOf: overflow) }
            let claim = dir.write(SafeTensorsWriter.file(
                header: #"{"w":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)), name: "claim.safetensors")
            expectError(["w", "4398046511104"]) { _ = try SafeTensorsFile(contentsOf: claim) }
        }
    }

    @Test("GGUF claiming 2^64 − 1 tensors, metadata entries, string bytes and array elements")
    func ggufHugeCounts() {
        withTemporaryDirectory { dir in
            let le = { (v: UInt64) in withUnsafeBytes(of: v.littleEndian, Array.init) }
            let header = Array("GGUF".utf8) + withUnsafeBytes(of: UInt32(3).littleEndian, Array.init)
            let tensors = dir.write(header + le(.max) + le(0), name: "tensors.gguf")
            expectError(["tensor count", "\(UInt64.max)"]) { _ = try GGUFFile(contentsOf: tensors) }
            let kvs = dir.write(header + le(0) + le(.max), name: "kvs.gguf")
            expectError(["metadata count", "\(UInt64.max)"]) { _ = try GGUFFile(contentsOf: kvs) }
            let key = dir.write(header + le(0) + le(1) + le(.max) + Array("k".utf8) + [UInt8](repeating: 0, count: 16), name: "key.gguf")
            expectError(["metadata key 0", "\(UInt64.max)"]) { _ = try GGUFFile(contentsOf: key) }
            var array = GGUFWriter()
            array.add("tokenizer.ggml.tokens", .array([.string("a")]))
            var bytes = array.bytes()
            // The one-element array's u64 count sits right before its one string (8-byte length + "a").
            let countAt = bytes.count - 8 - 1 - 8
            bytes.replaceSubrange(countAt..<(countAt + 8), with: le(.max))
            let arr = dir.write(bytes, name: "array.gguf")
            expectError(["tokenizer.ggml.tokens", "\(UInt64.max)"]) { _ = try GGUFFile(contentsOf: arr) }
        }
    }

    @Test("GGUF tensor of 2^62 × 2^62 elements")
    func ggufHugeShape() {
        withTemporaryDirectory { dir in
            var w = GGUFWriter()
            w.add("w", dimensions: [1 << 62, 1 << 62], type: 0, data: [])
            let url = dir.write(w.bytes(), name: "shape.gguf")
            expectError(["w", "overflow"]) { _ = try GGUFFile(contentsOf: url) }
        }
    }

    @Test("a tokenizer.json and a config.json nested a million deep")
    func deepJSON() {
        withTemporaryDirectory { dir in
            let deep = String(repeating: "[", count: Self.million) + String(repeating: "]", count: Self.million)
            let tokenizer = dir.write(#"{"model":"# + deep + "}", name: "tokenizer.json")
            expectError([tokenizer.path, "nest"]) { _ = try BertTokenizer(tokenizerFile: tokenizer) }
            let config = dir.write(#"{"vocab_size":"# + deep + "}", name: "config.json")
            expectError([config.path, "nest"]) { _ = try LlamaConfig(configJSON: config) }
            expectError(["nest"]) { _ = try BertConfig.decode(Data(#"{"vocab_size":\#(deep)}"#.utf8), path: config.path) }
        }
    }

    @Test("a million-token prompt for the tiny Llama (context 64)")
    func decoderMillionTokens() throws {
        let model = try LlamaModel(directory: decoderGoldens.appendingPathComponent("tiny-llama"))
        let cache = model.makeCache(capacity: Self.million)
        #expect(cache.allocatedBytes <= model.layerCount * 2 * model.contextLength * model.kvWidth * 4, "the cache is clamped to the context")
        let ids = [Int](repeating: 1, count: Self.million)
        expectError(["\(Self.million)", "\(model.contextLength)"]) { _ = try model.forward(ids, cache: cache, attention: TiledMethod(), rows: .last) }
    }
}
