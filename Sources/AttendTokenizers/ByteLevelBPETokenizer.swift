import AttendJSON
import Foundation

/// A byte-level BPE tokenizer (GPT-2, SmolLM2, Llama-style GGUF `tokenizer.ggml.model = gpt2`)
/// with exact Hugging Face `tokenizers` parity: text → ids → bytes.
///
/// Encoding, as Hugging Face runs it:
/// 1. special tokens (``specialTokens``, e.g. `<|im_start|>`) written literally in the text are
///    matched first, leftmost-longest on the raw UTF-8, and map straight to their ids;
/// 2. each stretch between them is split into words by the ``BPEPreTokenizer``;
/// 3. each word's UTF-8 bytes are written in GPT-2's byte alphabet (`bytes_to_unicode`: one scalar per
///    byte, space → `Ġ`) and merged by rank into vocabulary ids (lowest rank first, leftmost
///    among equal ranks).
/// No normalization is applied, so decoding inverts encoding: `decode(encode(s)) == Array(s.utf8)`
/// (unless `s` holds a byte the vocabulary has no token for, see
/// ``init(tokens:merges:preTokenizer:specialTokens:bos:eos:addBOS:source:)``).
///
/// A tokenizer is immutable and `Sendable`; encode from any number of threads at once (merged
/// words are cached behind a lock).
public struct ByteLevelBPETokenizer: Sendable {
    /// How text is split into words before merging.
    public let preTokenizer: BPEPreTokenizer
    /// Id put first when ``addBOS`` (and `addSpecial` in ``encode(_:addSpecial:)``); nil if none.
    public let bos: Int?
    /// Id of the end-of-sequence token, for generation; nil if none.
    public let eos: Int?
    /// Whether ``encode(_:addSpecial:)`` starts with ``bos`` (GGUF `tokenizer.ggml.add_bos_token`).
    public let addBOS: Bool
    /// Tokens matched literally in the text before pre-tokenization, with their ids.
    public let specialTokens: [String: Int]

    /// `tokens[id]`, as given (byte-level strings).
    private let tokens: [String]
    /// token → id.
    private let idOfToken: [String: Int]
    private let model: BPEModel
    /// Bytes of token `id`: `tokenBytes[tokenOffsets[id]..<tokenOffsets[id + 1]]`.
    private let tokenBytes: [UInt8]
    private let tokenOffsets: [Int]
    /// Special tokens as UTF-8, longest first, with their ids; `specialFirstBytes[b]`: one starts with `b`.
    private let specialBytes: [[UInt8]]
    private let specialIDs: [Int]
    private let specialFirstBytes: [Bool]

    /// The number of ids, `0..<vocabularySize`.
    public var vocabularySize: Int { tokens.count }

    // MARK: - Creating a tokenizer

    /// Assembles a tokenizer from its vocabulary and merges (e.g. GGUF `tokenizer.ggml.tokens` and
    /// `tokenizer.ggml.merges`).
    ///
    /// - Parameters:
    ///   - tokens: `tokens[id]` is the token with that id, a byte-level string (GPT-2's byte
    ///     alphabet: one scalar per byte, space → `Ġ`). A token outside that alphabet (such as
    ///     `<|im_start|>`) decodes to its own UTF-8. A byte whose one-byte token is missing is
    ///     dropped from the input, as Hugging Face does without an unknown token (SmolLM2 has none
    ///     for 21 bytes that rarely or never occur in UTF-8 text: 0x04, 0x06, 0x13, 0x14, 0x16,
    ///     0x1D, 0xC0, 0xC1, 0xF1, 0xF2, 0xF5–0xFF); such text does not round-trip.
    ///   - merges: `"left right"` pairs in rank order (rank 0 first), as in merges.txt; when a pair
    ///     repeats, its last rank counts (as in Hugging Face).
    ///   - specialTokens: tokens matched literally in the raw text before pre-tokenization, e.g.
    ///     `["<|im_start|>": 1]` (see ``controlTokens(tokens:tokenTypes:)`` for GGUF).
    ///   - bos, eos: the begin- and end-of-sequence ids, if any.
    ///   - addBOS: whether ``encode(_:addSpecial:)`` puts `bos` first.
    ///   - source: names the vocabulary's origin in errors (a file path).
    /// - Throws: ``TokenizerError/duplicateToken(path:token:detail:)`` for a token listed twice,
    ///   ``TokenizerError/invalidMerge(source:index:merge:reason:)`` for a merge that is not two
    ///   vocabulary tokens whose concatenation is one, and
    ///   ``TokenizerError/invalidTokenizerFile(path:reason:)`` for a BOS, EOS or special-token id
    ///   out of range or an empty special token.
    public init(tokens: [String], merges: [String], preTokenizer: BPEPreTokenizer, specialTokens: [String: Int] = [:],
                bos: Int?, eos: Int?, addBOS: Bool, source: String = "<tokens>") throws {
        var idOfToken: [String: Int] = [:]
        idOfToken.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            if let first = idOfToken.updateValue(id, forKey: token) {
                throw TokenizerError.duplicateToken(path: source, token: token, detail: "ids \(first) and \(id)")
            }
        }
        let byteIDs = (0..<256).map { b in idOfToken[ByteLevel.string(of: [UInt8(b)])].map(Int32.init) ?? -1 }
        var pairs: [UInt64: UInt64] = [:]
        pairs.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.invalidMerge(source: source, index: rank, merge: merge,
                                                  reason: "expected two tokens separated by one space")
            }
            func id(_ token: String) throws -> Int {
                guard let id = idOfToken[token] else {
                    throw TokenizerError.invalidMerge(source: source, index: rank, merge: merge,
                                                      reason: "\(TokenizerError.quoted(token)) is not in the vocabulary")
                }
                return id
            }
            let left = try id(String(parts[0]))
            let right = try id(String(parts[1]))
            let merged = try id(String(parts[0]) + String(parts[1]))
            pairs[UInt64(left) << 32 | UInt64(right)] = UInt64(rank) << 32 | UInt64(merged)
        }
        func check(_ id: Int?, _ what: String) throws {
            guard let id, !(0..<tokens.count).contains(id) else { return }
            throw TokenizerError.invalidTokenizerFile(path: source, reason: "\(what) id \(id) is not in the vocabulary (ids 0..<\(tokens.count))")
        }
        try check(bos, "the BOS")
        try check(eos, "the EOS")
        for (content, id) in specialTokens.sorted(by: { $0.value < $1.value }) {
            try check(id, "special token \(TokenizerError.quoted(content))'s")
            if content.isEmpty {
                throw TokenizerError.invalidTokenizerFile(path: source, reason: "special token \(id) is the empty string")
            }
        }
        var bytes: [UInt8] = []
        var offsets = [0]
        offsets.reserveCapacity(tokens.count + 1)
        for token in tokens {
            bytes += ByteLevel.bytes(of: token) ?? Array(token.utf8)
            offsets.append(bytes.count)
        }
        let sorted = specialTokens.sorted { ($0.key.utf8.count, $1.value) > ($1.key.utf8.count, $0.value) }
        var first = [Bool](repeating: false, count: 256)
        for (content, _) in sorted { first[Int(content.utf8.first!)] = true }

        self.preTokenizer = preTokenizer
        self.bos = bos
        self.eos = eos
        self.addBOS = addBOS
        self.specialTokens = specialTokens
        self.tokens = tokens
        self.idOfToken = idOfToken
        self.model = BPEModel(byteIDs: byteIDs, merges: pairs)
        self.tokenBytes = bytes
        self.tokenOffsets = offsets
        self.specialBytes = sorted.map { Array($0.key.utf8) }
        self.specialIDs = sorted.map(\.value)
        self.specialFirstBytes = first
    }

    /// Loads GPT-2's tokenizer files: `vocab.json` (`{"token": id, …}`, ids `0..<n`) and
    /// `merges.txt` (one `left right` pair per line in rank order; a first line starting with
    /// `#version` is skipped). As `GPT2TokenizerFast` does, `<|endoftext|>` (when in the vocabulary)
    /// is a special token and both BOS and EOS; no BOS is added.
    ///
    /// - Throws: ``TokenizerError`` naming the file: missing or unreadable, malformed JSON, not an
    ///   object of integer ids, duplicate tokens or ids, ids not `0..<n`, an invalid merge line
    ///   (its 1-based line number), and the errors of ``init(tokens:merges:preTokenizer:specialTokens:bos:eos:addBOS:source:)``.
    public init(vocabJSON: URL, merges: URL, preTokenizer: BPEPreTokenizer = .gpt2) throws {
        let json = try readJSONFile(vocabJSON, expected: "a GPT-2 vocab.json ({\"token\": id, …})")
        guard case .object(let members) = json else {
            throw TokenizerError.invalidTokenizerFile(path: vocabJSON.path, reason: "expected a JSON object {\"token\": id, …}, found \(json.typeName)")
        }
        var tokens = [String?](repeating: nil, count: members.count)
        var seen = Set<String>()
        for (token, value) in members {
            guard let id = value.integer, (0..<members.count).contains(id) else {
                throw TokenizerError.invalidTokenizerFile(
                    path: vocabJSON.path, reason: "token \(TokenizerError.quoted(token)) has id \(value.summary); expected an integer in 0..<\(members.count)")
            }
            guard seen.insert(token).inserted else {
                throw TokenizerError.duplicateToken(path: vocabJSON.path, token: token, detail: "listed twice")
            }
            if let other = tokens[id] {
                throw TokenizerError.duplicateToken(path: vocabJSON.path, token: token, detail: "id \(id) is also \(TokenizerError.quoted(other))")
            }
            tokens[id] = token
        }
        let vocabulary = tokens.compactMap { $0 }  // all present: n distinct ids in 0..<n

        let bytes = try readFile(merges, expected: "a GPT-2 merges.txt (one \"left right\" pair per line)")
        let lines = try decodeUTF8Lines(bytes, source: merges.path)
        var pairs: [String] = []
        pairs.reserveCapacity(lines.count)
        for (number, raw) in lines.enumerated() {
            let line = raw.hasSuffix("\r") ? String(raw.unicodeScalars.dropLast()) : raw
            if number == 0 && line.hasPrefix("#version") { continue }
            pairs.append(line)
        }
        let firstMergeLine = lines.first?.hasPrefix("#version") == true ? 2 : 1
        let endOfText = vocabulary.firstIndex(of: "<|endoftext|>")
        do {
            try self.init(tokens: vocabulary, merges: pairs, preTokenizer: preTokenizer,
                          specialTokens: endOfText.map { ["<|endoftext|>": $0] } ?? [:],
                          bos: endOfText, eos: endOfText, addBOS: false, source: vocabJSON.path)
        } catch TokenizerError.invalidMerge(_, let index, let merge, let reason) {
            throw TokenizerError.invalidMerge(source: "\(merges.path) line \(index + firstMergeLine)", index: index,
                                              merge: merge, reason: reason)
        }
    }

    /// The special tokens of a GGUF vocabulary: those whose `tokenizer.ggml.token_type` is 3
    /// (control, e.g. `<|im_start|>`) or 4 (user-defined), which llama.cpp and Hugging Face match
    /// literally in the text. A token listed twice keeps its first id.
    public static func controlTokens(tokens: [String], tokenTypes: [Int]) -> [String: Int] {
        var special: [String: Int] = [:]
        for (id, (token, type)) in zip(tokens, tokenTypes).enumerated() where (type == 3 || type == 4) && !token.isEmpty {
            if special[token] == nil { special[token] = id }
        }
        return special
    }

    // MARK: - Encoding

    /// The ids of `text`: ``bos`` first when ``addBOS`` and `addSpecial`, then the special tokens
    /// and merged words of the text (special tokens in the text are matched either way).
    public func encode(_ text: String, addSpecial: Bool = true) -> [Int] {
        var out: [Int] = []
        if addSpecial, addBOS, let bos { out.append(bos) }
        var text = text
        text.withUTF8 { utf8 in
            out.reserveCapacity(utf8.count / 3 + 1)
            var start = 0
            var i = 0
            while i < utf8.count {
                if specialFirstBytes[Int(utf8[i])], let (id, length) = special(at: i, in: utf8) {
                    encodeStretch(utf8, start..<i, into: &out)
                    out.append(id)
                    i += length
                    start = i
                } else {
                    i += 1
                }
            }
            encodeStretch(utf8, start..<utf8.count, into: &out)
        }
        return out
    }

    /// ``encode(_:addSpecial:)`` of UTF-8 bytes, which must be well-formed.
    ///
    /// - Throws: ``TokenizerError/invalidUTF8(source:offset:reason:)`` naming `source`.
    public func encode(utf8 bytes: some Collection<UInt8>, source: String, addSpecial: Bool = true) throws -> [Int] {
        encode(try decodeUTF8(bytes, source: source), addSpecial: addSpecial)
    }

    /// The longest special token starting at byte `i`, if any.
    private func special(at i: Int, in utf8: UnsafeBufferPointer<UInt8>) -> (id: Int, length: Int)? {
        for (k, token) in specialBytes.enumerated() where token.count <= utf8.count - i {
            var equal = true
            for j in 0..<token.count where utf8[i + j] != token[j] {
                equal = false
                break
            }
            if equal { return (specialIDs[k], token.count) }
        }
        return nil
    }

    private func encodeStretch(_ utf8: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into out: inout [Int]) {
        guard !range.isEmpty else { return }
        preTokenizer.forEachWord(in: utf8, range: range) { word in
            model.encodeWord(utf8, word, into: &out)
        }
    }

    // MARK: - Decoding

    /// The bytes the ids stand for, concatenated (Hugging Face's ByteLevel decoder, special tokens
    /// included). A prefix of a generated sequence may end inside a UTF-8 sequence, so the result
    /// is bytes, not text; streaming callers hold back an incomplete tail.
    ///
    /// - Throws: ``TokenizerError/tokenIDOutOfRange(id:position:vocabularySize:)`` for an id
    ///   outside `0..<vocabularySize` (nothing is decoded then).
    public func decode(_ ids: [Int]) throws -> [UInt8] {
        var out: [UInt8] = []
        for (position, id) in ids.enumerated() {
            guard id >= 0, id < tokens.count else {
                throw TokenizerError.tokenIDOutOfRange(id: id, position: position, vocabularySize: tokens.count)
            }
            out += tokenBytes[tokenOffsets[id]..<tokenOffsets[id + 1]]
        }
        return out
    }

    /// ``decode(_:)`` as text: each ill-formed UTF-8 subsequence becomes U+FFFD (never a crash).
    ///
    /// - Throws: ``TokenizerError/tokenIDOutOfRange(id:position:vocabularySize:)``.
    public func decodeText(_ ids: [Int]) throws -> String {
        String(decoding: try decode(ids), as: UTF8.self)
    }

    // MARK: - Vocabulary

    /// The id of a token (a byte-level string, or a special token), if in the vocabulary.
    public func id(of token: String) -> Int? { idOfToken[token] }

    /// The token of an id (a byte-level string), or nil outside `0..<vocabularySize`.
    public func token(of id: Int) -> String? { id >= 0 && id < tokens.count ? tokens[id] : nil }
}
