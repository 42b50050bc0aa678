import AttendModels
import Foundation
import Testing

/// A valid BERT config as `save_pretrained` writes it (including keys the loader ignores), as
/// key → JSON text of the value.
private let validConfig: [String: String] = [
    "architectures": "[\"BertForSequenceClassification\"]",
    "attention_probs_dropout_prob": "0.1",
    "classifier_dropout": "null",
    "hidden_act": "\"gelu\"",
    "hidden_size": "48",
    "id2label": "{\"0\": \"neg\", \"1\": \"neu\", \"2\": \"pos\"}",
    "label2id": "{\"neg\": 0, \"neu\": 1, \"pos\": 2}",
    "intermediate_size": "37",
    "layer_norm_eps": "1e-12",
    "max_position_embeddings": "40",
    "model_type": "\"bert\"",
    "num_attention_heads": "4",
    "num_hidden_layers": "2",
    "pad_token_id": "0",
    "type_vocab_size": "2",
    "vocab_size": "128",
]

/// JSON text of a string → string dictionary.
private func json(_ object: [String: String]) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}

/// `validConfig` with `changes` (key → JSON text) applied; nil removes the key.
private func config(_ changes: [String: String?] = [:]) -> String {
    var c = validConfig
    for (k, v) in changes { c[k] = v }
    return "{\n" + c.sorted { $0.key < $1.key }.map { "  \"\($0.key)\": \($0.value)" }.joined(separator: ",\n") + "\n}"
}

private func load(_ text: String) throws -> BertConfig {
    try withTemporaryDirectory { dir in try BertConfig.load(from: dir.write(text, name: "config.json")) }
}

/// Loads `text` from a file and checks the error case and that the description names the file
/// and every string in `mentions`.
private func expectConfigError(
    _ text: String, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation,
    _ matches: (ModelFileError) -> Bool
) {
    withTemporaryDirectory { dir in
        let url = dir.write(text, name: "config.json")
        do {
            let c = try BertConfig.load(from: url)
            Issue.record("expected an error, loaded \(c)", sourceLocation: sourceLocation)
        } catch let error as ModelFileError {
            #expect(matches(error), "unexpected error case: \(error)", sourceLocation: sourceLocation)
            for m in [url.path] + mentions {
                #expect(error.description.contains(m), "\"\(error.description)\" does not mention \"\(m)\"", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("expected a ModelFileError, got \(error)", sourceLocation: sourceLocation)
        }
    }
}

@Suite("BertConfig")
struct BertConfigTests {
    @Test("a valid config loads with derived values")
    func valid() throws {
        let c = try load(config())
        #expect(c.vocabSize == 128)
        #expect(c.hiddenSize == 48)
        #expect(c.numHiddenLayers == 2)
        #expect(c.numAttentionHeads == 4)
        #expect(c.intermediateSize == 37)
        #expect(c.hiddenAct == "gelu")
        #expect(c.maxPositionEmbeddings == 40)
        #expect(c.typeVocabSize == 2)
        #expect(c.layerNormEps == 1e-12)
        #expect(c.padTokenId == 0)
        #expect(c.headDim == 12)
        #expect(c.numLabels == 3)
        #expect(c.labels == ["neg", "neu", "pos"])
        #expect(c.label2id == ["neg": 0, "neu": 1, "pos": 2])
        #expect(c.architectures == ["BertForSequenceClassification"])
        #expect(c.modelType == "bert")
        #expect(c.declaredNumLabels == nil)
    }

    @Test("the model goldens' configs load")
    func goldens() throws {
        let root = try #require(Bundle.module.url(forResource: "Goldens", withExtension: nil))
        let dirs = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix("tiny-bert") }
        for d in dirs {
            let c = try BertConfig.load(from: root.appendingPathComponent(d).appendingPathComponent("config.json"))
            #expect(c.labels == ["neg", "neu", "pos"], "\(d)")
            #expect(c.headDim == 12, "\(d)")
        }
    }

    @Test("num_labels: declared, derived from id2label, or 2; labels in numeric order")
    func labels() throws {
        let none = try load(config(["id2label": nil, "label2id": nil]))
        #expect(none.numLabels == 2)
        #expect(none.labels == ["LABEL_0", "LABEL_1"])
        let declared = try load(config(["id2label": nil, "label2id": nil, "num_labels": "4"]))
        #expect(declared.numLabels == 4)
        #expect(declared.labels == ["LABEL_0", "LABEL_1", "LABEL_2", "LABEL_3"])
        let many = Dictionary(uniqueKeysWithValues: (0..<12).map { ("\($0)", "L\($0)") })
        let twelve = try load(config(["id2label": json(many), "num_labels": "12"]))
        let expectedLabels = (0..<12).map { "L\($0)" }
        #expect(twelve.numLabels == 12)
        #expect(twelve.labels == expectedLabels)
    }

    @Test("defaults for optional keys; Codable round trip")
    func defaults() throws {
        let c = try load(config(["hidden_act": nil, "layer_norm_eps": nil, "pad_token_id": nil, "architectures": nil, "model_type": nil]))
        #expect(c.hiddenAct == "gelu")
        #expect(c.layerNormEps == 1e-12)
        #expect(c.padTokenId == 0)
        #expect(c.architectures == nil)
        let reloaded = try JSONDecoder().decode(BertConfig.self, from: JSONEncoder().encode(c))
        #expect(reloaded == c)
        let memberwise = BertConfig(vocabSize: 128, hiddenSize: 48, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 37)
        try memberwise.validate()
        #expect(memberwise.headDim == 12)
        #expect(memberwise.numLabels == 2)
    }

    @Test("missing required key", arguments: ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings", "type_vocab_size"])
    func missingKey(key: String) {
        expectConfigError(config([key: nil]), mentions: ["'\(key)'", "missing"]) {
            if case .configMissingKey(_, key) = $0 { return true }; return false
        }
        expectConfigError(config([key: "null"]), mentions: ["'\(key)'"]) {
            if case .configMissingKey(_, key) = $0 { return true }; return false
        }
    }

    @Test("wrong JSON type", arguments: [
        ("hidden_size", "\"48\""), ("vocab_size", "12.5"), ("num_hidden_layers", "true"), ("hidden_act", "3"),
        ("layer_norm_eps", "\"tiny\""), ("id2label", "[\"a\", \"b\"]"), ("label2id", "{\"neg\": \"0\"}"), ("architectures", "\"Bert\""),
        ("num_labels", "\"3\""), ("vocab_size", "{}"),
    ])
    func wrongType(key: String, value: String) {
        expectConfigError(config([key: "\(value)"]), mentions: ["'\(key)"]) {
            if case .configWrongType(_, let k, _) = $0 { return k == key || k.hasPrefix(key + ".") }; return false
        }
    }

    @Test("id2label value of the wrong type names the entry")
    func wrongLabelType() {
        expectConfigError(config(["id2label": "{\"0\": \"neg\", \"1\": 7}"]), mentions: ["'id2label.1'", "label strings"]) {
            if case .configWrongType(_, "id2label.1", _) = $0 { return true }; return false
        }
    }

    @Test("non-positive sizes", arguments: ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings", "type_vocab_size"])
    func nonPositive(key: String) {
        for value in [0, -3] {
            expectConfigError(config([key: "\(value)"]), mentions: ["'\(key)'", "\(value)", "positive"]) {
                if case .configInvalidValue(_, key, "\(value)", _) = $0 { return true }; return false
            }
        }
    }

    @Test("other out-of-range values")
    func invalidValues() {
        expectConfigError(config(["layer_norm_eps": "-1e-5"]), mentions: ["'layer_norm_eps'"]) {
            if case .configInvalidValue(_, "layer_norm_eps", _, _) = $0 { return true }; return false
        }
        expectConfigError(config(["pad_token_id": "128"]), mentions: ["'pad_token_id'", "128"]) {
            if case .configInvalidValue(_, "pad_token_id", "128", _) = $0 { return true }; return false
        }
        expectConfigError(config(["num_labels": "0", "id2label": nil]), mentions: ["'num_labels'"]) {
            if case .configInvalidValue(_, "num_labels", "0", _) = $0 { return true }; return false
        }
    }

    @Test("hidden_size not divisible by num_attention_heads")
    func headsDoNotDivide() {
        expectConfigError(config(["hidden_size": "50"]), mentions: ["'hidden_size'", "'num_attention_heads'", "50", "4"]) {
            if case .configHeadsDoNotDivide(_, 50, 4) = $0 { return true }; return false
        }
    }

    @Test("unsupported hidden_act", arguments: ["relu", "gelu_new", "gelu_pytorch_tanh", "GELU", "silu"])
    func unsupportedActivation(act: String) {
        expectConfigError(config(["hidden_act": "\"\(act)\""]), mentions: ["'hidden_act'", "'\(act)'", "'gelu'"]) {
            if case .configUnsupportedActivation(_, act, ["gelu"]) = $0 { return true }; return false
        }
    }

    @Test("id2label keys must be 0..<n", arguments: [
        ["0": "a", "2": "b"], ["1": "a", "2": "b"], ["0": "a", "x": "b"], ["0": "a", "-1": "b"], [:] as [String: String],
    ])
    func badLabelKeys(id2label: [String: String]) {
        expectConfigError(config(["id2label": json(id2label), "label2id": nil]), mentions: ["'id2label'"]) {
            if case .configInvalidLabels(_, "id2label", _) = $0 { return true }; return false
        }
    }

    @Test("num_labels disagreeing with id2label")
    func numLabelsMismatch() {
        expectConfigError(config(["num_labels": "5"]), mentions: ["'num_labels'", "5", "3"]) {
            if case .configInvalidLabels(_, "num_labels", _) = $0 { return true }; return false
        }
    }

    @Test("not JSON / not an object", arguments: ["", "{", "[1, 2]", "\"bert\"", "{\"vocab_size\": 128,}"])
    func notJSON(text: String) {
        expectConfigError(text, mentions: ["JSON"]) {
            if case .configNotJSON = $0 { return true }; return false
        }
    }

    @Test("invalid UTF-8")
    func invalidUTF8() {
        withTemporaryDirectory { dir in
            let url = dir.write(Array("{\"vocab_size\": \"".utf8) + [0xFF] + Array("\"}".utf8), name: "config.json")
            #expect(throws: ModelFileError.configNotJSON(path: url.path, detail: "invalid UTF-8 at byte 16")) { try BertConfig.load(from: url) }
        }
    }

    @Test("missing file / directory")
    func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent-attend-dir/config.json")
        #expect(throws: ModelFileError.fileNotFound(path: url.path)) { try BertConfig.load(from: url) }
        withTemporaryDirectory { dir in
            #expect(throws: ModelFileError.self) { try BertConfig.load(from: dir.url) }
        }
    }
}
