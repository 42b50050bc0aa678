import AttendJSON
import Foundation

/// A Hugging Face BERT `config.json` (the keys `BertModel` / `BertForSequenceClassification`
/// need). Coding keys are the Hugging Face names; `load(from:)` decodes and validates.
public struct BertConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    /// Activation of the feed-forward block; only "gelu" (the exact erf GELU) is supported.
    public var hiddenAct: String
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var layerNormEps: Double
    public var padTokenId: Int?
    /// Class index (stringified int, "0"…"n-1") → label name.
    public var id2label: [String: String]?
    public var label2id: [String: Int]?
    public var architectures: [String]?
    public var modelType: String?
    /// `num_labels` as written in the file (usually absent: `numLabels` derives it).
    public var declaredNumLabels: Int?

    /// Activations this implementation provides.
    public static let supportedActivations = ["gelu"]

    /// Keys that must be present (and non-null); the rest have Hugging Face's defaults.
    public static let requiredKeys: [CodingKeys] = [
        .vocabSize, .hiddenSize, .numHiddenLayers, .numAttentionHeads, .intermediateSize,
        .maxPositionEmbeddings, .typeVocabSize,
    ]

    public enum CodingKeys: String, CodingKey, Sendable {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps"
        case padTokenId = "pad_token_id"
        case id2label
        case label2id
        case architectures
        case modelType = "model_type"
        case declaredNumLabels = "num_labels"
    }

    public init(
        vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
        intermediateSize: Int, hiddenAct: String = "gelu", maxPositionEmbeddings: Int = 512,
        typeVocabSize: Int = 2, layerNormEps: Double = 1e-12, padTokenId: Int? = 0,
        id2label: [String: String]? = nil, label2id: [String: Int]? = nil,
        architectures: [String]? = nil, modelType: String? = "bert", numLabels: Int? = nil
    ) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.hiddenAct = hiddenAct
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.padTokenId = padTokenId
        self.id2label = id2label
        self.label2id = label2id
        self.architectures = architectures
        self.modelType = modelType
        self.declaredNumLabels = numLabels
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "gelu"
        maxPositionEmbeddings = try c.decode(Int.self, forKey: .maxPositionEmbeddings)
        typeVocabSize = try c.decode(Int.self, forKey: .typeVocabSize)
        layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps) ?? 1e-12
        padTokenId = c.contains(.padTokenId) ? try c.decodeIfPresent(Int.self, forKey: .padTokenId) : 0
        id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label)
        label2id = try c.decodeIfPresent([String: Int].self, forKey: .label2id)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        declaredNumLabels = try c.decodeIfPresent(Int.self, forKey: .declaredNumLabels)
    }

    // MARK: Derived values

    /// Per-head width: hidden_size / num_attention_heads.
    public var headDim: Int { hiddenSize / numAttentionHeads }

    /// Number of classifier outputs: num_labels, else the size of id2label, else 2.
    public var numLabels: Int { declaredNumLabels ?? id2label?.count ?? 2 }

    /// Label names in class-index order (Hugging Face's "LABEL_i" when id2label is absent).
    public var labels: [String] {
        guard let id2label else { return (0..<numLabels).map { "LABEL_\($0)" } }
        return id2label.compactMap { k, v in Int(k).map { ($0, v) } }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    // MARK: Loading

    /// Reads, decodes and validates a `config.json`; errors are `ModelFileError`s naming the
    /// file and the offending key.
    public static func load(from url: URL) throws -> BertConfig {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelFileError.fileNotFound(path: path)
        }
        if isDirectory.boolValue { throw ModelFileError.fileUnreadable(path: path, reason: "is a directory") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelFileError.fileUnreadable(path: path, reason: "\(error.localizedDescription)")
        }
        return try decode(data, path: path)
    }

    /// Decodes and validates config JSON; `path` is used in error messages.
    public static func decode(_ data: Data, path: String = "<config>") throws -> BertConfig {
        try checkSyntaxAndTypes(data, path: path)
        let config: BertConfig
        do {
            config = try JSONDecoder().decode(BertConfig.self, from: data)
        } catch let error as DecodingError {
            throw mapDecodingError(error, path: path)
        }
        try config.validate(path: path)
        return config
    }

    /// Checks value ranges and consistency; throws `ModelFileError` naming `path` and the key.
    public func validate(path: String = "<config>") throws {
        let sizes: [(CodingKeys, Int)] = [
            (.vocabSize, vocabSize), (.hiddenSize, hiddenSize), (.numHiddenLayers, numHiddenLayers),
            (.numAttentionHeads, numAttentionHeads), (.intermediateSize, intermediateSize),
            (.maxPositionEmbeddings, maxPositionEmbeddings), (.typeVocabSize, typeVocabSize),
        ]
        for (key, value) in sizes where value <= 0 {
            throw ModelFileError.configInvalidValue(path: path, key: key.rawValue, value: "\(value)", expected: "a positive integer")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw ModelFileError.configHeadsDoNotDivide(path: path, hiddenSize: hiddenSize, numAttentionHeads: numAttentionHeads)
        }
        guard Self.supportedActivations.contains(hiddenAct) else {
            throw ModelFileError.configUnsupportedActivation(path: path, found: hiddenAct, supported: Self.supportedActivations)
        }
        guard layerNormEps.isFinite, layerNormEps > 0 else {
            throw ModelFileError.configInvalidValue(path: path, key: CodingKeys.layerNormEps.rawValue, value: "\(layerNormEps)", expected: "a positive finite number")
        }
        if let padTokenId, !(0..<vocabSize).contains(padTokenId) {
            throw ModelFileError.configInvalidValue(path: path, key: CodingKeys.padTokenId.rawValue, value: "\(padTokenId)", expected: "a token id in 0..<\(vocabSize) (vocab_size)")
        }
        if let n = declaredNumLabels, n <= 0 {
            throw ModelFileError.configInvalidValue(path: path, key: CodingKeys.declaredNumLabels.rawValue, value: "\(n)", expected: "a positive integer")
        }
        if let id2label {
            let key = CodingKeys.id2label.rawValue
            guard !id2label.isEmpty else {
                throw ModelFileError.configInvalidLabels(path: path, key: key, detail: "must not be empty")
            }
            var seen = Set<Int>()
            for k in id2label.keys.sorted() {
                guard let i = Int(k), (0..<id2label.count).contains(i), seen.insert(i).inserted else {
                    throw ModelFileError.configInvalidLabels(path: path, key: key, detail: "key \"\(k)\" is not one of \"0\"…\"\(id2label.count - 1)\" (keys must be the class indices 0..<\(id2label.count), each once)")
                }
            }
            if let n = declaredNumLabels, n != id2label.count {
                throw ModelFileError.configInvalidLabels(path: path, key: CodingKeys.declaredNumLabels.rawValue, detail: "is \(n) but id2label has \(id2label.count) entries")
            }
        }
    }

    /// Strict JSON syntax, an object at the top, required keys present and non-null, and every
    /// known key of the right JSON type — checked here so errors do not depend on how lenient
    /// `JSONDecoder` is (trailing commas, 12.5 for an integer, …).
    private static func checkSyntaxAndTypes(_ data: Data, path: String) throws {
        let value: JSONValue
        do throws(JSONError) {
            value = try JSONParser.parse(data)
        } catch {
            if case .invalidUTF8 = error.kind {
                throw ModelFileError.configNotJSON(path: path, detail: "invalid UTF-8 at byte \(error.offset)")
            }
            throw ModelFileError.configNotJSON(path: path, detail: error.description)
        }
        guard case .object(let members) = value else {
            throw ModelFileError.configNotJSON(path: path, detail: "expected an object at the top level, found \(value.summary)")
        }
        var fields: [String: JSONValue] = [:]
        for (k, v) in members { fields[k] = v }  // last one wins, as in Python's json
        for key in requiredKeys {
            guard let v = fields[key.rawValue], !v.isNull else {
                throw ModelFileError.configMissingKey(path: path, key: key.rawValue)
            }
        }
        for (name, v) in fields {
            guard let key = CodingKeys(rawValue: name), !v.isNull else { continue }
            let wrong = ModelFileError.configWrongType(path: path, key: name, expected: typeName(of: name))
            switch key {
            case .hiddenAct, .modelType:
                guard case .string = v else { throw wrong }
            case .layerNormEps:
                guard case .number = v else { throw wrong }
            case .architectures:
                guard case .array(let items) = v else { throw wrong }
                for (i, item) in items.enumerated() {
                    guard case .string = item else {
                        throw ModelFileError.configWrongType(path: path, key: "\(name).\(i)", expected: typeName(of: name))
                    }
                }
            case .id2label, .label2id:
                guard case .object(let pairs) = v else { throw wrong }
                for (k, item) in pairs {
                    let ok: Bool
                    if key == .id2label { if case .string = item { ok = true } else { ok = false } } else { ok = item.integer != nil }
                    guard ok else { throw ModelFileError.configWrongType(path: path, key: "\(name).\(k)", expected: typeName(of: name)) }
                }
            case .vocabSize, .hiddenSize, .numHiddenLayers, .numAttentionHeads, .intermediateSize,
                 .maxPositionEmbeddings, .typeVocabSize, .padTokenId, .declaredNumLabels:
                guard v.integer != nil else { throw wrong }
            }
        }
    }

    private static func typeName(of key: String) -> String {
        switch CodingKeys(rawValue: key) {
        case .hiddenAct, .modelType: return "a string"
        case .layerNormEps: return "a number"
        case .id2label: return "an object mapping class indices to label strings"
        case .label2id: return "an object mapping label strings to integers"
        case .architectures: return "an array of strings"
        case .padTokenId: return "an integer or null"
        case .some: return "an integer"
        case .none: return "valid"
        }
    }

    private static func mapDecodingError(_ error: DecodingError, path: String) -> ModelFileError {
        func keyPath(_ path: [any CodingKey], _ extra: (any CodingKey)? = nil) -> String {
            (path + (extra.map { [$0] } ?? [])).map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            return .configMissingKey(path: path, key: keyPath(ctx.codingPath, key))
        case .valueNotFound(_, let ctx):
            guard let top = ctx.codingPath.first else { return .configNotJSON(path: path, detail: ctx.debugDescription) }
            if ctx.codingPath.count == 1 { return .configMissingKey(path: path, key: top.stringValue) }
            return .configWrongType(path: path, key: keyPath(ctx.codingPath), expected: typeName(of: top.stringValue))
        case .typeMismatch(_, let ctx), .dataCorrupted(let ctx):
            guard let top = ctx.codingPath.first else {
                return .configNotJSON(path: path, detail: ctx.underlyingError.map { "\($0)" } ?? ctx.debugDescription)
            }
            return .configWrongType(path: path, key: keyPath(ctx.codingPath), expected: typeName(of: top.stringValue))
        @unknown default:
            return .configNotJSON(path: path, detail: "\(error)")
        }
    }
}
