import AttendTokenizers
import Foundation
import Testing

@Suite("Loading tokenizers")
struct LoadingTests {
    /// A fresh temporary directory holding `files`.
    private func directory(_ files: [String: [UInt8]]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("attend-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, bytes) in files {
            try Data(bytes).write(to: url.appendingPathComponent(name))
        }
        return url
    }

    private func directory(_ files: [String: String]) throws -> URL {
        try directory(files.mapValues { Array($0.utf8) })
    }

    private static let smallVocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", ","]

    /// A minimal tokenizer.json around `vocab` (a JSON object literal).
    private static func tokenizerJSON(vocab: String, normalizer: String = #"{"type": "BertNormalizer", "lowercase": true}"#) -> String {
        """
        {
          "version": "1.0",
          "added_tokens": [],
          "normalizer": \(normalizer),
          "pre_tokenizer": {"type": "BertPreTokenizer"},
          "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                    "max_input_chars_per_word": 100, "vocab": \(vocab)}
        }
        """
    }

    @Test("the reference directory loads from tokenizer.json with the expected settings")
    func reference() throws {
        let tokenizer = Fixtures.tokenizer
        #expect(tokenizer.vocabulary.count == 30522)
        #expect((tokenizer.clsID, tokenizer.sepID, tokenizer.padID, tokenizer.unknownID) == (101, 102, 0, 100))
        #expect(tokenizer.normalizer == BertNormalizer(cleanText: true, handleChineseChars: true, stripAccents: nil, lowercase: true))
        #expect(tokenizer.wordPiece.continuingSubwordPrefix == "##")
        #expect(tokenizer.wordPiece.maxInputCharsPerWord == 100)
        #expect(tokenizer.addedTokens.map(\.content) == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
        #expect(tokenizer.vocabulary["hello"] == 7592)
        #expect(tokenizer.vocabulary.token(forID: 7592) == "hello")
        #expect(tokenizer.vocabulary.token(forID: 30522) == nil)
        #expect(tokenizer.tokenize("Héllo, WORLDS! [MASK]") == ["hello", ",", "worlds", "!", "[MASK]"])
    }

    @Test("a directory with neither tokenizer.json nor vocab.txt")
    func missingDirectoryFiles() throws {
        let dir = try directory([String: String]())
        let error = try #require(throws: TokenizerError.self) { try BertTokenizer(directory: dir) }
        guard case let .fileNotFound(path, expected) = error else { Issue.record("\(error)"); return }
        #expect(path.hasSuffix("vocab.txt"))
        #expect(expected.contains("tokenizer.json or vocab.txt"))
        #expect(error.description.contains(dir.path))
    }

    @Test("a missing vocab.txt")
    func missingVocabulary() throws {
        let url = URL(fileURLWithPath: "/nonexistent/attend/vocab.txt")
        #expect(throws: TokenizerError.fileNotFound(path: url.path, expected: "a WordPiece vocab.txt, one token per line")) {
            try BertTokenizer(vocabularyFile: url)
        }
    }

    @Test("malformed tokenizer.json reports line and column")
    func malformedJSON() throws {
        let dir = try directory(["tokenizer.json": "{\n  \"model\": {\"vocab\": {\"a\": 1,}}\n}\n"])
        let error = try #require(throws: TokenizerError.self) { try BertTokenizer(directory: dir) }
        guard case let .malformedJSON(path, line, column, expected) = error else { Issue.record("\(error)"); return }
        #expect(path == dir.appendingPathComponent("tokenizer.json").path)
        #expect(line == 2)
        #expect(column == 30)
        #expect(expected == "a string key")
        #expect(error.description.contains("tokenizer.json: malformed JSON at line 2, column 30"))

        for text in ["", "{", "{\"a\": tru}", "[1, 2", "{\"a\": \"unterminated}", "{\"a\": 01}", "{} {}", "{\"a\": \"\\x\"}"] {
            let bad = try directory(["tokenizer.json": text])
            #expect(performing: { try BertTokenizer(directory: bad) }, throws: { error in
                if case .malformedJSON = error as? TokenizerError { return true }
                return false
            })
        }
    }

    @Test("tokenizer.json that is not a BERT WordPiece description")
    func unsupportedTokenizerJSON() throws {
        let bpe = try directory(["tokenizer.json": #"{"model": {"type": "BPE", "vocab": {}}}"#])
        let error = try #require(throws: TokenizerError.self) { try BertTokenizer(directory: bpe) }
        #expect(error.description.contains("model.type is \"BPE\""))

        let badID = try directory(["tokenizer.json": Self.tokenizerJSON(vocab: #"{"[UNK]": "zero"}"#)])
        let error2 = try #require(throws: TokenizerError.self) { try BertTokenizer(directory: badID) }
        #expect(error2.description.contains("expected an integer id"))

        let otherNormalizer = try directory(["tokenizer.json": Self.tokenizerJSON(vocab: "{}", normalizer: #"{"type": "NFKC"}"#)])
        let error3 = try #require(throws: TokenizerError.self) { try BertTokenizer(directory: otherNormalizer) }
        #expect(error3.description.contains("only \"BertNormalizer\""))
    }

    @Test("a vocabulary without [UNK]", arguments: ["vocab.txt", "tokenizer.json"])
    func missingUnknown(_ file: String) throws {
        let tokens = Self.smallVocab.filter { $0 != "[UNK]" }
        let contents = file == "vocab.txt"
            ? tokens.joined(separator: "\n") + "\n"
            : Self.tokenizerJSON(vocab: "{" + tokens.enumerated().map { "\"\($0.element)\": \($0.offset)" }.joined(separator: ", ") + "}")
        let dir = try directory([file: contents])
        let error = try #require(throws: TokenizerError.self) { try BertTokenizer(directory: dir) }
        #expect(error == .missingSpecialToken(path: dir.appendingPathComponent(file).path, token: "[UNK]"))
        #expect(error.description.contains("has no [UNK] token"))
    }

    @Test("a vocabulary without [CLS]")
    func missingCLS() throws {
        let dir = try directory(["vocab.txt": Self.smallVocab.filter { $0 != "[CLS]" }.joined(separator: "\n")])
        #expect(throws: TokenizerError.missingSpecialToken(path: dir.appendingPathComponent("vocab.txt").path, token: "[CLS]")) {
            try BertTokenizer(directory: dir)
        }
    }

    @Test("duplicate tokens")
    func duplicates() throws {
        let dir = try directory(["vocab.txt": (Self.smallVocab + ["hello"]).joined(separator: "\n") + "\n"])
        let error = try #require(throws: TokenizerError.self) { try BertTokenizer(directory: dir) }
        #expect(error == .duplicateToken(path: dir.appendingPathComponent("vocab.txt").path, token: "hello", detail: "line 6 and line 10"))

        let json = try directory(["tokenizer.json": Self.tokenizerJSON(vocab: #"{"[PAD]": 0, "[UNK]": 1, "a": 2, "a": 3}"#)])
        let error2 = try #require(throws: TokenizerError.self) { try BertTokenizer(directory: json) }
        #expect(error2.description.contains("duplicate vocabulary token \"a\" (id 2 and id 3)"))

        let sameID = try directory(["tokenizer.json": Self.tokenizerJSON(vocab: #"{"[PAD]": 0, "[UNK]": 1, "a": 1}"#)])
        let error3 = try #require(throws: TokenizerError.self) { try BertTokenizer(directory: sameID) }
        #expect(error3.description.contains("it has id 1, which \"[UNK]\" already has"))

        // Canonically equivalent but different bytes: two tokens, as in Rust.
        let vocabulary = try Vocabulary(tokens: ["\u{E9}", "e\u{301}"])
        #expect(vocabulary["\u{E9}"] == 0)
        #expect(vocabulary["e\u{301}"] == 1)
    }

    @Test("sparse ids up to Int32.max load without a table as large as the largest id")
    func sparseIDs() throws {
        // Once a fuzzer crash: a tokenizer.json claiming id 900,000,000 allocated 3.6 GB.
        let big = Int(Int32.max)
        let dir = try directory(["tokenizer.json": Self.tokenizerJSON(
            vocab: #"{"[PAD]": 0, "[UNK]": 900000000, "[CLS]": \#(big), "[SEP]": 5, "hello": 7}"#)])
        let tokenizer = try BertTokenizer(directory: dir)
        #expect(tokenizer.encode("hello there") == [big, 7, 900_000_000, 5])
        #expect(tokenizer.vocabulary.token(forID: big) == "[CLS]")
        #expect(tokenizer.vocabulary.token(forID: 900_000_000) == "[UNK]")
        for missing in [-1, 1, 6, 8, 899_999_999, big - 1] {
            #expect(tokenizer.vocabulary.token(forID: missing) == nil)
        }

        let tooBig = try directory(["tokenizer.json": Self.tokenizerJSON(vocab: #"{"[PAD]": 0, "[UNK]": 2147483648}"#)])
        let error = try #require(throws: TokenizerError.self) { try BertTokenizer(directory: tooBig) }
        #expect(error.description.contains("ids must be between 0 and 2147483647"))
    }

    @Test("invalid UTF-8 in vocab.txt names the file, line and offset")
    func invalidUTF8Vocabulary() throws {
        let bytes = Array("[PAD]\n[UNK]\nab".utf8) + [0xFF] + Array("\n".utf8)
        let dir = try directory(["vocab.txt": bytes])
        let path = dir.appendingPathComponent("vocab.txt").path
        let error = try #require(throws: TokenizerError.self) { try BertTokenizer(directory: dir) }
        guard case let .invalidUTF8(source, offset, _) = error else { Issue.record("\(error)"); return }
        #expect(source == "\(path) line 3")
        #expect(offset == 2)
    }

    @Test("vocab.txt with tokenizer_config.json: do_lower_case false keeps case and accents")
    func casedConfig() throws {
        let vocab = Self.smallVocab + ["Hello", "Wörld"]
        let dir = try directory(["vocab.txt": vocab.joined(separator: "\r\n") + "\r\n",
                                 "tokenizer_config.json": #"{"do_lower_case": false, "strip_accents": null}"#])
        let tokenizer = try BertTokenizer(directory: dir)
        #expect(tokenizer.normalizer == BertNormalizer(stripAccents: false, lowercase: false))
        #expect(tokenizer.tokenize("Hello Wörld hello") == ["Hello", "Wörld", "hello"])
        #expect(tokenizer.tokenize("Worlds") == ["[UNK]"])
        #expect(tokenizer.vocabulary.token(forID: 10) == "Wörld")   // CRLF: the CR is not part of the token

        let lower = try BertTokenizer(vocabularyFile: dir.appendingPathComponent("vocab.txt"))
        #expect(lower.tokenize("HELLO Wörlds") == ["hello", "world", "##s"])
    }
}
