import AttendTokenizers
import Foundation
import Testing

/// Inputs of the byte-level BPE tests: GPT-2's files (data/gpt2_bpe), SmolLM2's tokenizer as
/// scripts/make_bpe_goldens.py extracted it from the GGUF (Goldens/smollm2_tokenizer.json), the
/// golden ids, and WikiText-2 from ../shared/data.
enum BPEFixtures {
    /// GPT-2's vocab.json + merges.txt.
    static let gpt2: ByteLevelBPETokenizer = makeGPT2()

    static func makeGPT2() -> ByteLevelBPETokenizer {
        let dir = Fixtures.repositoryRoot.appendingPathComponent("data/gpt2_bpe")
        do {
            return try ByteLevelBPETokenizer(vocabJSON: dir.appendingPathComponent("vocab.json"),
                                             merges: dir.appendingPathComponent("merges.txt"))
        } catch {
            fatalError("cannot load GPT-2's tokenizer: \(error)")
        }
    }

    /// SmolLM2's tokenizer metadata, as the GGUF holds it.
    struct SmolLM2File: Decodable {
        let tokens: [String]
        let merges: [String]
        let token_type: [Int]
        let bos: Int
        let eos: Int
        let add_bos: Bool
    }

    static let smollm2File: SmolLM2File = {
        do {
            let data = try Data(contentsOf: Fixtures.goldens.appendingPathComponent("smollm2_tokenizer.json"))
            return try JSONDecoder().decode(SmolLM2File.self, from: data)
        } catch {
            fatalError("cannot read Goldens/smollm2_tokenizer.json: \(error)")
        }
    }()

    /// SmolLM2-135M-Instruct's tokenizer, built as the lead's GGUF loader builds it.
    static let smollm2: ByteLevelBPETokenizer = makeSmolLM2()

    static func makeSmolLM2() -> ByteLevelBPETokenizer {
        let file = smollm2File
        do {
            return try ByteLevelBPETokenizer(
                tokens: file.tokens, merges: file.merges, preTokenizer: .smollm,
                specialTokens: ByteLevelBPETokenizer.controlTokens(tokens: file.tokens, tokenTypes: file.token_type),
                bos: file.bos, eos: file.eos, addBOS: file.add_bos, source: "smollm2_tokenizer.json")
        } catch {
            fatalError("cannot build SmolLM2's tokenizer: \(error)")
        }
    }

    /// A tokenizer of the goldens, by the name its golden files use.
    struct Model: Sendable, CustomTestStringConvertible {
        let name: String
        var tokenizer: ByteLevelBPETokenizer { name == "gpt2" ? BPEFixtures.gpt2 : BPEFixtures.smollm2 }
        /// A new instance (empty word cache), for timing.
        func makeTokenizer() -> ByteLevelBPETokenizer { name == "gpt2" ? BPEFixtures.makeGPT2() : BPEFixtures.makeSmolLM2() }
        var testDescription: String { name }
    }

    static let models = [Model(name: "gpt2"), Model(name: "smollm2")]

    static let wikitext2 = Fixtures.sharedData.appendingPathComponent("wikitext2")
    static var wikitextAvailable: Bool {
        FileManager.default.fileExists(atPath: wikitext2.appendingPathComponent("test.txt").path)
            && FileManager.default.fileExists(atPath: wikitext2.appendingPathComponent("valid.txt").path)
    }

    /// The rows of a binary golden (`.ids`): magic `ATTNIDS1`, UInt32 row count, then per row a
    /// UInt32 id count and that many UInt16 ids, little-endian (see scripts/make_bpe_goldens.py).
    static func binaryIDs(_ name: String) throws -> [[Int]] {
        let bytes = [UInt8](try Data(contentsOf: Fixtures.goldens.appendingPathComponent(name)))
        var offset = 0
        func u32() throws -> Int {
            guard offset + 4 <= bytes.count else { throw GoldenError("\(name): truncated at byte \(offset)") }
            defer { offset += 4 }
            return (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
        }
        guard bytes.starts(with: Array("ATTNIDS1".utf8)) else { throw GoldenError("\(name): bad magic") }
        offset = 8
        var rows: [[Int]] = []
        for _ in 0..<(try u32()) {
            let n = try u32()
            guard offset + 2 * n <= bytes.count else { throw GoldenError("\(name): truncated row") }
            rows.append((0..<n).map { Int(bytes[offset + 2 * $0]) | Int(bytes[offset + 2 * $0 + 1]) << 8 })
            offset += 2 * n
        }
        guard offset == bytes.count else { throw GoldenError("\(name): \(bytes.count - offset) trailing bytes") }
        return rows
    }

    struct GoldenError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// GPT-2's byte alphabet, written out independently of the module (openai/gpt-2 encoder.py):
    /// printable bytes stand for themselves, the other 68 for U+0100… in increasing order.
    static func byteToken(_ b: Int) -> String {
        func printable(_ x: Int) -> Bool { (0x21...0x7E).contains(x) || (0xA1...0xAC).contains(x) || (0xAE...0xFF).contains(x) }
        return String(Unicode.Scalar(UInt32(printable(b) ? b : 0x100 + (0..<b).filter { !printable($0) }.count))!)
    }

    /// Whether every byte of `text` has a one-byte token (else encoding drops it and `text` cannot round-trip).
    static func roundTrips(_ text: String, _ tokenizer: ByteLevelBPETokenizer) -> Bool {
        text.utf8.allSatisfy { tokenizer.id(of: byteToken(Int($0))) != nil }
    }

    /// The edge cases of Goldens/bpe_edge_cases.json with their ids per tokenizer.
    struct EdgeCase: Decodable {
        let text: String
        let gpt2: [Int]
        let smollm2: [Int]
    }

    static func edgeCases() throws -> [EdgeCase] {
        try JSONDecoder().decode([EdgeCase].self, from: Data(contentsOf: Fixtures.goldens.appendingPathComponent("bpe_edge_cases.json")))
    }

    /// The lines of a file as the goldens script splits them (LF only).
    static func lines(_ url: URL) throws -> [String] {
        try decodeUTF8Lines([UInt8](try Data(contentsOf: url)), source: url.path)
    }

    /// Expects `decode(encode(text)) == text` (as bytes) for every text; records the first failure.
    static func expectRoundTrip(_ what: String, _ tokenizer: ByteLevelBPETokenizer, _ texts: [String],
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        var failures = 0
        var first = ""
        for (i, text) in texts.enumerated() where try tokenizer.decode(tokenizer.encode(text, addSpecial: false)) != Array(text.utf8) {
            failures += 1
            if first.isEmpty { first = "line \(i + 1): \(text.debugDescription)" }
        }
        #expect(failures == 0, "\(what): \(failures) of \(texts.count) lines do not round-trip; first \(first)",
                sourceLocation: sourceLocation)
    }
}
