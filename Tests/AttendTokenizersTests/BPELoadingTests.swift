import AttendTokenizers
import Foundation
import Testing

/// Bad tokenizer files and arrays are typed errors naming the file, the token or the merge.
@Suite("Byte-level BPE: loading")
struct BPELoadingTests {
    /// The 256 one-byte tokens (ids 0–255), then `extra`.
    static func tokens(_ extra: [String] = []) -> [String] { (0..<256).map(BPEFixtures.byteToken) + extra }

    /// Writes vocab.json and merges.txt into a fresh directory.
    static func files(vocab: String, merges: String) throws -> (vocab: URL, merges: URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attend-bpe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let v = dir.appendingPathComponent("vocab.json")
        let m = dir.appendingPathComponent("merges.txt")
        try Data(vocab.utf8).write(to: v)
        try Data(merges.utf8).write(to: m)
        return (v, m)
    }

    /// A vocab.json of the byte tokens plus `extra` members (raw JSON text).
    static func vocabJSON(_ extra: [String] = []) -> String {
        let bytes = (0..<256).map { b -> String in
            let token = BPEFixtures.byteToken(b)
            let escaped = token == "\"" ? "\\\"" : token == "\\" ? "\\\\" : token
            return "\"\(escaped)\": \(b)"
        }
        return "{" + (bytes + extra).joined(separator: ", ") + "}"
    }

    @Test("a small vocabulary merges by rank; CRLF merges.txt and the #version line are accepted")
    func smallVocabulary() throws {
        let (v, m) = try Self.files(vocab: Self.vocabJSON(["\"ab\": 256", "\"abc\": 257", "\"bc\": 258"]),
                                    merges: "#version: 0.2\r\nb c\r\na b\r\nab c\r\n")
        let t = try ByteLevelBPETokenizer(vocabJSON: v, merges: m)
        // "b c" has rank 0, so "abc" → a + bc; "ab c" never applies.
        #expect(t.encode("abc") == [97, 258])
        #expect(t.encode("ab") == [256])
        #expect(t.vocabularySize == 259 && t.bos == nil && t.eos == nil && t.specialTokens.isEmpty)
        #expect(t.id(of: "abc") == 257 && t.token(of: 258) == "bc")
    }

    @Test("vocab.json errors name the file and what was expected")
    func vocabErrors() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/vocab.json")
        #expect(throws: TokenizerError.fileNotFound(path: missing.path, expected: "a GPT-2 vocab.json ({\"token\": id, …})")) {
            try ByteLevelBPETokenizer(vocabJSON: missing, merges: missing)
        }
        let cases: [(String, (TokenizerError) -> Bool)] = [
            ("{\"a\": 0,", { if case .malformedJSON = $0 { return true } else { return false } }),
            ("[1, 2]", { if case .invalidTokenizerFile(_, let r) = $0 { return r.contains("array") } else { return false } }),
            (Self.vocabJSON(["\"x y\": 1.5"]), { if case .invalidTokenizerFile(_, let r) = $0 { return r.contains("1.5") } else { return false } }),
            (Self.vocabJSON(["\"zz\": 999"]), { if case .invalidTokenizerFile(_, let r) = $0 { return r.contains("0..<257") } else { return false } }),
            (Self.vocabJSON(["\"zz\": 5"]), { if case .duplicateToken(_, "zz", let d) = $0 { return d.contains("id 5") } else { return false } }),
            (Self.vocabJSON(["\"a\": 256"]), { if case .duplicateToken(_, "a", _) = $0 { return true } else { return false } }),
        ]
        for (text, matches) in cases {
            let (v, m) = try Self.files(vocab: text, merges: "")
            let error = #expect(throws: TokenizerError.self) { try ByteLevelBPETokenizer(vocabJSON: v, merges: m) }
            #expect(error.map(matches) == true, "\(text.suffix(30)): \(String(describing: error))")
            #expect(error?.description.contains(v.path) == true, "\(String(describing: error))")
        }
    }

    @Test("merges.txt errors name the file and the line")
    func mergeErrors() throws {
        for (merges, line, reason) in [("#version: 0.2\na b\nab\n", 3, "two tokens"), ("a b\nq r\n", 2, "\"qr\" is not in"),
                                       ("a  b\n", 1, "two tokens"), ("#version: 0.2\n\n", 2, "two tokens")] {
            let (v, m) = try Self.files(vocab: Self.vocabJSON(["\"ab\": 256"]), merges: merges)
            let error = #expect(throws: TokenizerError.self) { try ByteLevelBPETokenizer(vocabJSON: v, merges: m) }
            #expect(error?.description.contains("\(m.path) line \(line)") == true, "\(String(describing: error))")
            #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
        }
    }

    @Test("array errors: duplicate tokens, ids out of range, empty special tokens, bad merges")
    func arrayErrors() throws {
        #expect(throws: TokenizerError.duplicateToken(path: "m.gguf", token: "a", detail: "ids 97 and 256")) {
            try ByteLevelBPETokenizer(tokens: Self.tokens(["a"]), merges: [], preTokenizer: .gpt2, bos: nil, eos: nil, addBOS: false, source: "m.gguf")
        }
        #expect(throws: TokenizerError.invalidMerge(source: "m.gguf", index: 0, merge: "a b", reason: "\"ab\" is not in the vocabulary")) {
            try ByteLevelBPETokenizer(tokens: Self.tokens(), merges: ["a b"], preTokenizer: .gpt2, bos: nil, eos: nil, addBOS: false, source: "m.gguf")
        }
        for (special, bos, eos) in [(["<s>": 300], nil, nil), ([:], 256, nil), ([:], nil, -1), (["": 3], nil, nil)] as [([String: Int], Int?, Int?)] {
            let error = #expect(throws: TokenizerError.self) {
                try ByteLevelBPETokenizer(tokens: Self.tokens(), merges: [], preTokenizer: .smollm, specialTokens: special,
                                          bos: bos, eos: eos, addBOS: true, source: "m.gguf")
            }
            guard case .invalidTokenizerFile("m.gguf", _) = error else {
                Issue.record("expected invalidTokenizerFile, got \(String(describing: error))")
                continue
            }
        }
    }

    @Test("controlTokens picks GGUF token types 3 (control) and 4 (user-defined)")
    func controlTokens() {
        let special = ByteLevelBPETokenizer.controlTokens(tokens: ["a", "<c>", "<u>", "b", "<c>"], tokenTypes: [1, 3, 4, 6, 3])
        #expect(special == ["<c>": 1, "<u>": 2])
    }
}
