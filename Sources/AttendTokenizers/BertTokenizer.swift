import AttendJSON
import Foundation

/// What ``BertTokenizer/encode(_:maxLength:overflow:)`` does with a sequence longer than allowed.
public enum OverflowPolicy: Sendable, Equatable {
    /// Keep `[CLS]`, the first `maxLength − 2` word pieces and `[SEP]` (Hugging Face's
    /// `truncation=True` for a single sequence).
    case truncate
    /// Throw ``TokenizerError/sequenceTooLong(length:maximum:)``.
    case error
}

/// A BERT WordPiece tokenizer with exact Hugging Face parity: text → ids with `[CLS]` … `[SEP]`.
///
/// The pipeline is Hugging Face tokenizers' `BertWordPiece`:
/// 1. added (special) tokens such as `[MASK]` or `[SEP]` written literally in the raw text are
///    matched first (case-sensitively, leftmost-longest) and map straight to their ids;
/// 2. the text between them goes through ``BertNormalizer``, ``BertPreTokenizer`` and ``WordPiece``;
/// 3. the pieces are wrapped in `[CLS]` … `[SEP]`.
///
/// A tokenizer is immutable and `Sendable`; encode from any number of threads at once.
public struct BertTokenizer: Sendable {
    /// A token matched verbatim in the raw text before normalization.
    public struct AddedToken: Sendable, Equatable {
        /// The exact text that is matched.
        public let content: String
        /// The id it encodes to.
        public let id: Int

        public init(content: String, id: Int) {
            self.content = content
            self.id = id
        }
    }

    /// The text normalizer.
    public let normalizer: BertNormalizer
    /// The word splitter.
    public let preTokenizer: BertPreTokenizer
    /// The word → pieces model (holds the vocabulary).
    public let wordPiece: WordPiece
    /// Tokens matched verbatim in the raw text (the special tokens).
    public let addedTokens: [AddedToken]
    /// Id of `[CLS]`, put first.
    public let clsID: Int
    /// Id of `[SEP]`, put last.
    public let sepID: Int
    /// Id of `[PAD]`, for callers that pad batches.
    public let padID: Int

    /// The vocabulary.
    public var vocabulary: Vocabulary { wordPiece.vocabulary }
    /// Id of the unknown token `[UNK]`.
    public var unknownID: Int { wordPiece.unknownID }

    /// Added tokens as UTF-8, longest first (so the first match at a position is the longest).
    private let addedBytes: [[UInt8]]
    private let addedIDs: [Int]
    /// `addedFirstBytes[b]`: some added token starts with byte `b`.
    private let addedFirstBytes: [Bool]

    /// The special tokens Hugging Face adds to a BERT tokenizer built from a vocab.txt.
    public static let standardSpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    // MARK: - Creating a tokenizer

    /// Assembles a tokenizer from its parts.
    ///
    /// - Parameters:
    ///   - addedTokens: tokens matched verbatim in the raw text; `nil` means those of
    ///     ``standardSpecialTokens`` present in the vocabulary, with their vocabulary ids.
    ///   - source: names the vocabulary's origin in errors.
    /// - Throws: ``TokenizerError/missingSpecialToken(path:token:)`` unless `[CLS]`, `[SEP]`,
    ///   `[PAD]` and `unknownToken` are in the vocabulary.
    public init(vocabulary: Vocabulary, normalizer: BertNormalizer = BertNormalizer(), unknownToken: String = "[UNK]",
                continuingSubwordPrefix: String = "##", maxInputCharsPerWord: Int = 100,
                addedTokens: [AddedToken]? = nil, source: String = "<vocabulary>") throws {
        try self.init(vocabulary: vocabulary, normalizer: normalizer, unknownToken: unknownToken,
                      continuingSubwordPrefix: continuingSubwordPrefix, maxInputCharsPerWord: maxInputCharsPerWord,
                      addedTokens: addedTokens, source: source, specialIDs: nil)
    }

    /// The designated initializer; `specialIDs` overrides the `[CLS]`/`[SEP]` ids put around the pieces.
    init(vocabulary: Vocabulary, normalizer: BertNormalizer, unknownToken: String, continuingSubwordPrefix: String,
         maxInputCharsPerWord: Int, addedTokens: [AddedToken]?, source: String, specialIDs: (cls: Int, sep: Int)?) throws {
        func require(_ token: String) throws -> Int {
            guard let id = vocabulary[token] else { throw TokenizerError.missingSpecialToken(path: source, token: token) }
            return id
        }
        let cls = try require("[CLS]")
        let sep = try require("[SEP]")
        clsID = specialIDs?.cls ?? cls
        sepID = specialIDs?.sep ?? sep
        padID = try require("[PAD]")
        _ = try require(unknownToken)
        self.normalizer = normalizer
        self.preTokenizer = BertPreTokenizer()
        self.wordPiece = try WordPiece(vocabulary: vocabulary, unknownToken: unknownToken,
                                       continuingSubwordPrefix: continuingSubwordPrefix,
                                       maxInputCharsPerWord: maxInputCharsPerWord)
        let added = addedTokens ?? Self.standardSpecialTokens.compactMap { token in
            vocabulary[token].map { AddedToken(content: token, id: $0) }
        }
        self.addedTokens = added
        let sorted = added.filter { !$0.content.isEmpty }.sorted { $0.content.utf8.count > $1.content.utf8.count }
        addedBytes = sorted.map { Array($0.content.utf8) }
        addedIDs = sorted.map(\.id)
        var first = [Bool](repeating: false, count: 256)
        for bytes in addedBytes { first[Int(bytes[0])] = true }
        addedFirstBytes = first
    }

    /// Loads the tokenizer in a Hugging Face model directory: `tokenizer.json` when present, else
    /// `vocab.txt` with the `do_lower_case`, `strip_accents` and `tokenize_chinese_chars` of
    /// `tokenizer_config.json` (defaults: lowercase, strip accents as lowercase, pad CJK).
    public init(directory: URL) throws {
        let json = directory.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: json.path) {
            try self.init(tokenizerFile: json)
            return
        }
        let vocab = directory.appendingPathComponent("vocab.txt")
        guard FileManager.default.fileExists(atPath: vocab.path) else {
            throw TokenizerError.fileNotFound(path: vocab.path,
                                              expected: "tokenizer.json or vocab.txt in the model directory \(directory.path)")
        }
        var lowercase = true
        var stripAccents: Bool? = nil
        var chinese = true
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        if FileManager.default.fileExists(atPath: configURL.path) {
            let config = try readJSONFile(configURL, expected: "a Hugging Face tokenizer_config.json")
            let reader = FieldReader(path: configURL.path)
            guard case .object = config else {
                throw TokenizerError.invalidTokenizerFile(path: configURL.path, reason: "expected a JSON object at the top level, found \(config.typeName)")
            }
            lowercase = try reader.bool(config, "do_lower_case", default: true)
            stripAccents = try reader.optionalBool(config, "strip_accents")
            chinese = try reader.bool(config, "tokenize_chinese_chars", default: true)
        }
        try self.init(vocabulary: try Vocabulary(contentsOfVocabularyFile: vocab),
                      normalizer: BertNormalizer(cleanText: true, handleChineseChars: chinese, stripAccents: stripAccents, lowercase: lowercase),
                      source: vocab.path)
    }

    /// Loads a `vocab.txt` (one token per line, id = line index) as Hugging Face's
    /// `BertTokenizer(vocab_file, do_lower_case: lowercase)` would: clean text, pad CJK, strip
    /// accents exactly when lowercasing, `[UNK]`, `##`, 100 chars per word, the standard special
    /// tokens as added tokens.
    public init(vocabularyFile url: URL, lowercase: Bool = true) throws {
        try self.init(vocabulary: try Vocabulary(contentsOfVocabularyFile: url),
                      normalizer: BertNormalizer(lowercase: lowercase), source: url.path)
    }

    /// Loads a Hugging Face `tokenizer.json` describing a BERT WordPiece tokenizer.
    ///
    /// Read: `model` (`type` "WordPiece", `vocab`, `unk_token`, `continuing_subword_prefix`,
    /// `max_input_chars_per_word`), `normalizer` (`BertNormalizer` flags `clean_text`,
    /// `handle_chinese_chars`, `strip_accents`, `lowercase`; or null for none), `pre_tokenizer`
    /// (must be `BertPreTokenizer`), `added_tokens` (matched verbatim; `normalized`, `lstrip`,
    /// `rstrip` and `single_word` must be false) and `post_processor` (`TemplateProcessing` or
    /// `BertProcessing` naming the first and last special token; absent means `[CLS]`/`[SEP]`).
    /// The file's `truncation` and `padding` sections are ignored: callers choose per call.
    /// - Throws: ``TokenizerError`` naming the file and what was expected.
    public init(tokenizerFile url: URL) throws {
        let path = url.path
        let reader = FieldReader(path: path)
        let root = try readJSONFile(url, expected: "a Hugging Face tokenizer.json")
        guard case .object = root else { throw reader.invalid("expected a JSON object at the top level, found \(root.typeName)") }

        // model
        guard let model = root["model"], case .object = model else {
            throw reader.invalid("expected a \"model\" object (the WordPiece model with its vocabulary)")
        }
        let type = try reader.string(model, "type", default: "WordPiece", in: "model")
        guard type == "WordPiece" else {
            throw reader.invalid("model.type is \"\(type)\"; only \"WordPiece\" (BERT) tokenizers are supported")
        }
        guard let vocabValue = model["vocab"], case .object(let members) = vocabValue else {
            throw reader.invalid("expected model.vocab, an object mapping each token to its integer id")
        }
        var entries: [(String, Int)] = []
        entries.reserveCapacity(members.count)
        for (token, value) in members {
            guard let id = value.integer else {
                throw reader.invalid("model.vocab[\(TokenizerError.quoted(token))] is \(value.typeName), expected an integer id")
            }
            entries.append((token, id))
        }
        let vocabulary = try Vocabulary(entries: entries, path: path, position: { "id \($0)" })
        let unknownToken = try reader.string(model, "unk_token", default: "[UNK]", in: "model")
        let prefix = try reader.string(model, "continuing_subword_prefix", default: "##", in: "model")
        let maxChars = try reader.int(model, "max_input_chars_per_word", default: 100, in: "model")

        // normalizer
        let normalizer: BertNormalizer
        switch root["normalizer"] {
        case nil, .null?:
            normalizer = BertNormalizer(cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false)
        case let value?:
            let type = try reader.string(value, "type", default: "", in: "normalizer")
            guard type == "BertNormalizer" else {
                throw reader.invalid("normalizer.type is \"\(type)\"; only \"BertNormalizer\" is supported")
            }
            normalizer = BertNormalizer(
                cleanText: try reader.bool(value, "clean_text", default: true, in: "normalizer"),
                handleChineseChars: try reader.bool(value, "handle_chinese_chars", default: true, in: "normalizer"),
                stripAccents: try reader.optionalBool(value, "strip_accents", in: "normalizer"),
                lowercase: try reader.bool(value, "lowercase", default: true, in: "normalizer"))
        }

        // pre_tokenizer
        let preType = try root["pre_tokenizer"].map { try reader.string($0, "type", default: "", in: "pre_tokenizer") } ?? ""
        guard preType == "BertPreTokenizer" else {
            throw reader.invalid("pre_tokenizer is \(preType.isEmpty ? "missing" : "\"\(preType)\""); only \"BertPreTokenizer\" is supported")
        }

        // added_tokens
        var added: [AddedToken] = []
        if let list = root["added_tokens"], !list.isNull {
            guard case .array(let items) = list else {
                throw reader.invalid("added_tokens is \(list.typeName), expected an array")
            }
            for (k, item) in items.enumerated() {
                let context = "added_tokens[\(k)]"
                let content = try reader.string(item, "content", default: nil, in: context)
                let id = try reader.int(item, "id", default: nil, in: context)
                for flag in ["single_word", "lstrip", "rstrip", "normalized"] {
                    if try reader.bool(item, flag, default: false, in: context) {
                        throw reader.invalid("\(context) (\(TokenizerError.quoted(content))) has \"\(flag)\": true, which is not supported (only tokens matched verbatim in the raw text)")
                    }
                }
                added.append(AddedToken(content: content, id: id))
            }
        }

        // post_processor: which special tokens surround the sequence.
        var specialIDs: (cls: Int, sep: Int)? = nil
        if let post = root["post_processor"], !post.isNull {
            let (cls, sep) = try Self.specialIDs(of: post, reader: reader)
            for id in [cls, sep] where vocabulary.token(forID: id) == nil && !added.contains(where: { $0.id == id }) {
                throw reader.invalid("post_processor uses id \(id), which is neither in model.vocab nor in added_tokens")
            }
            specialIDs = (cls, sep)
        }

        try self.init(vocabulary: vocabulary, normalizer: normalizer, unknownToken: unknownToken,
                      continuingSubwordPrefix: prefix, maxInputCharsPerWord: maxChars, addedTokens: added, source: path,
                      specialIDs: specialIDs)
    }

    // MARK: - Encoding

    /// The ids of `text`: `[CLS]`, its word pieces, `[SEP]`. Never truncates.
    public func encode(_ text: String) -> [Int] {
        var ids: [Int] = [clsID]
        ids.reserveCapacity(text.utf8.count / 3 + 8)
        appendPieceIDs(of: text, to: &ids)
        ids.append(sepID)
        return ids
    }

    /// The ids of `text` with `[CLS]` and `[SEP]`, at most `maxLength` of them.
    ///
    /// - Parameters:
    ///   - maxLength: the maximum sequence length, specials included (at least 2).
    ///   - overflow: ``OverflowPolicy/truncate`` keeps the first `maxLength − 2` pieces;
    ///     ``OverflowPolicy/error`` throws instead.
    /// - Throws: ``TokenizerError/sequenceTooLong(length:maximum:)`` (policy `.error` only),
    ///   ``TokenizerError/invalidMaximumLength(_:)`` when `maxLength < 2`.
    public func encode(_ text: String, maxLength: Int, overflow: OverflowPolicy) throws -> [Int] {
        guard maxLength >= 2 else { throw TokenizerError.invalidMaximumLength(maxLength) }
        var ids = encode(text)
        if ids.count > maxLength {
            switch overflow {
            case .error:
                throw TokenizerError.sequenceTooLong(length: ids.count, maximum: maxLength)
            case .truncate:
                ids.removeSubrange((maxLength - 1)...)
                ids.append(sepID)
            }
        }
        return ids
    }

    /// The word pieces of `text` as strings, without `[CLS]`/`[SEP]` (for inspection and tests).
    public func tokenize(_ text: String) -> [String] {
        var ids: [Int] = []
        appendPieceIDs(of: text, to: &ids)
        return ids.map { id in vocabulary.token(forID: id) ?? addedTokens.first(where: { $0.id == id })?.content ?? "" }
    }

    /// Appends the ids of `text`'s added tokens and word pieces, in order.
    func appendPieceIDs(of text: String, to ids: inout [Int]) {
        var text = text
        var normalization = NormalizationBuffer()
        var scratch = WordPieceScratch()
        text.withUTF8 { bytes in
            func process(_ range: Range<Int>) {
                guard !range.isEmpty else { return }
                normalization.output.removeAll(keepingCapacity: true)
                normalizer.normalize(utf8: UnsafeBufferPointer(rebasing: bytes[range]), into: &normalization)
                normalization.output.withUnsafeBufferPointer { scalars in
                    preTokenizer.forEachWord(in: scalars) { word in
                        wordPiece.tokenize(word: UnsafeBufferPointer(rebasing: scalars[word]), into: &ids, scratch: &scratch)
                    }
                }
            }
            if addedBytes.isEmpty {
                process(0..<bytes.count)
                return
            }
            var segmentStart = 0
            var i = 0
            while i < bytes.count {
                if addedFirstBytes[Int(bytes[i])], let (length, id) = addedToken(at: i, in: bytes) {
                    process(segmentStart..<i)
                    ids.append(id)
                    i += length
                    segmentStart = i
                } else {
                    i += 1
                }
            }
            process(segmentStart..<bytes.count)
        }
    }

    /// The longest added token starting at byte `i`, as (byte length, id).
    @inline(__always)
    private func addedToken(at i: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int)? {
        for (k, token) in addedBytes.enumerated() where token.count <= bytes.count - i {
            var equal = true
            for j in 0..<token.count where bytes[i + j] != token[j] {
                equal = false
                break
            }
            if equal { return (token.count, addedIDs[k]) }
        }
        return nil
    }

    // MARK: - tokenizer.json helpers

    /// The (first, last) special-token ids a `post_processor` puts around a single sequence.
    private static func specialIDs(of post: JSONValue, reader: FieldReader) throws -> (Int, Int) {
        let type = try reader.string(post, "type", default: "", in: "post_processor")
        switch type {
        case "BertProcessing":
            func pair(_ key: String) throws -> Int {
                guard case .array(let items)? = post[key], items.count == 2, let id = items[1].integer else {
                    throw reader.invalid("post_processor.\(key) must be [token, id]")
                }
                return id
            }
            return (try pair("cls"), try pair("sep"))
        case "TemplateProcessing":
            guard case .array(let single)? = post["single"] else {
                throw reader.invalid("post_processor.single must be an array")
            }
            func special(_ piece: JSONValue) -> String? {
                guard case .string(let name)? = piece["SpecialToken"]?["id"] else { return nil }
                return name
            }
            guard single.count == 3, let first = special(single[0]), single[1]["Sequence"] != nil,
                  let last = special(single[2]) else {
                throw reader.invalid("post_processor.single must be [SpecialToken, Sequence A, SpecialToken] (a BERT [CLS] $A [SEP] template)")
            }
            func id(_ name: String) throws -> Int {
                guard case .array(let ids)? = post["special_tokens"]?[name]?["ids"], ids.count == 1,
                      let id = ids[0].integer else {
                    throw reader.invalid("post_processor.special_tokens[\(TokenizerError.quoted(name))].ids must hold exactly one id")
                }
                return id
            }
            return (try id(first), try id(last))
        default:
            throw reader.invalid("post_processor.type is \"\(type)\"; only \"TemplateProcessing\" and \"BertProcessing\" are supported")
        }
    }
}

/// Typed access to JSON fields with errors naming the file and field.
struct FieldReader {
    let path: String

    func invalid(_ reason: String) -> TokenizerError {
        .invalidTokenizerFile(path: path, reason: reason)
    }

    private func field(_ object: JSONValue, _ key: String, _ context: String?) -> (JSONValue?, String) {
        (object[key], context.map { "\($0).\(key)" } ?? key)
    }

    func string(_ object: JSONValue, _ key: String, default fallback: String?, in context: String? = nil) throws -> String {
        let (value, name) = field(object, key, context)
        switch value {
        case .string(let s)?: return s
        case nil, .null?:
            guard let fallback else { throw invalid("missing \(name), expected a string") }
            return fallback
        case let other?: throw invalid("\(name) is \(other.typeName), expected a string")
        }
    }

    func bool(_ object: JSONValue, _ key: String, default fallback: Bool, in context: String? = nil) throws -> Bool {
        try optionalBool(object, key, in: context) ?? fallback
    }

    func optionalBool(_ object: JSONValue, _ key: String, in context: String? = nil) throws -> Bool? {
        let (value, name) = field(object, key, context)
        switch value {
        case .bool(let b)?: return b
        case nil, .null?: return nil
        case let other?: throw invalid("\(name) is \(other.typeName), expected true, false or null")
        }
    }

    func int(_ object: JSONValue, _ key: String, default fallback: Int?, in context: String? = nil) throws -> Int {
        let (value, name) = field(object, key, context)
        switch value {
        case .number(let text)?:
            guard let n = JSONValue.integer(text) else { throw invalid("\(name) is \(text), expected an integer") }
            return n
        case nil, .null?:
            guard let fallback else { throw invalid("missing \(name), expected an integer") }
            return fallback
        case let other?: throw invalid("\(name) is \(other.typeName), expected an integer")
        }
    }
}
