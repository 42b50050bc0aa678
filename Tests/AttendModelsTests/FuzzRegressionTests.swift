import AttendModels
import Foundation
import Testing

/// The inputs the fuzzers found crashes with (`Fuzz/Regressions/<target>/`, RELIABILITY.md), each
/// now a typed error.
@Suite("fuzz regressions")
struct FuzzRegressionTests {
    static let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions")

    static func inputs(_ target: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: regressions.appendingPathComponent(target), includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    }

    /// The tiny Llama GGUF with `llama.block_count` mutated to 2 415 919 106 and 8 388 610: loading
    /// reserved room for that many layers (tens of GB) before looking for their tensors. Now the
    /// layers load one at a time and the first missing one is the error.
    @Test("a GGUF whose block count exceeds its tensors is a missing-tensor error, not an allocation", arguments: try inputs("gguf"))
    func blockCount(_ input: URL) throws {
        #expect(throws: GGUFError.tensorNotFound(path: input.path, tensor: "blk.2.attn_norm.weight")) {
            _ = try DecoderBundle.load(path: input.path)
        }
    }
}
