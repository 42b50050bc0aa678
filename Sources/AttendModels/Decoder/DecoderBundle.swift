import AttendTokenizers
import Foundation

/// A causal language model with what text generation needs beside it: the byte-level BPE tokenizer,
/// the chat format and the tokens that end a generation — loaded from one GGUF file (weights,
/// tokenizer and chat template in its metadata) or from a Hugging Face directory (`config.json`,
/// `model.safetensors`, and `vocab.json` + `merges.txt` when present).
public struct DecoderBundle: Sendable {
    public let model: any CausalLanguageModel
    /// nil for a checkpoint without tokenizer files (then only token ids can be fed).
    public let tokenizer: ByteLevelBPETokenizer?
    /// nil when the model has no chat template, or one of a family Attend does not render.
    public let chatTemplate: ChatTemplate?
    /// Tokens that end a generation: EOS, and EOT when the file names one.
    public let stopTokens: Set<Int>
    /// BOS prepended to prompts (and placed first in perplexity chunks) when the model asks for it.
    public let addBOS: Bool
    public let path: String

    /// Loads `path`: a `.gguf` file (architecture `llama`) or a directory whose `config.json` says
    /// `model_type` `gpt2` or `llama`.
    public static func load(path: String) throws -> DecoderBundle {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ModelFileError.fileNotFound(path: path) }
        return isDirectory.boolValue ? try loadDirectory(url) : try loadGGUF(url)
    }

    private static func loadGGUF(_ url: URL) throws -> DecoderBundle {
        let file = try GGUFFile(contentsOf: url)
        let model = try LlamaModel(gguf: file)
        let path = url.path
        let kind = try file.string("tokenizer.ggml.model")
        guard kind == "gpt2" else {
            throw ModelFileError.configInvalidValue(path: path, key: "tokenizer.ggml.model", value: kind, expected: "gpt2 (byte-level BPE; the only tokenizer implemented)")
        }
        let preName = try file.optionalString("tokenizer.ggml.pre") ?? "gpt2"
        let pre: BPEPreTokenizer
        switch preName {
        case "default", "gpt2", "gpt-2": pre = .gpt2
        case let other:
            guard let known = BPEPreTokenizer(rawValue: other) else {
                throw ModelFileError.configInvalidValue(path: path, key: "tokenizer.ggml.pre", value: other, expected: "gpt2 or smollm")
            }
            pre = known
        }
        let tokens = try file.strings("tokenizer.ggml.tokens")
        let merges = try file.strings("tokenizer.ggml.merges")
        let types = file.metadata["tokenizer.ggml.token_type"] == nil ? [] : try file.integers("tokenizer.ggml.token_type")
        guard types.isEmpty || types.count == tokens.count else {
            throw ModelFileError.configInvalidValue(path: path, key: "tokenizer.ggml.token_type", value: "\(types.count) entries",
                                                    expected: "one per token (\(tokens.count))")
        }
        let special = ByteLevelBPETokenizer.controlTokens(tokens: tokens, tokenTypes: types)
        func tokenID(_ key: String) throws -> Int? {
            guard let id = try file.optionalInteger(key) else { return nil }
            guard (0..<tokens.count).contains(id) else {
                throw ModelFileError.configInvalidValue(path: path, key: key, value: "\(id)", expected: "a token id in 0..<\(tokens.count)")
            }
            return id
        }
        let (bos, eos, eot) = (try tokenID("tokenizer.ggml.bos_token_id"), try tokenID("tokenizer.ggml.eos_token_id"), try tokenID("tokenizer.ggml.eot_token_id"))
        let addBOS = try file.optionalBool("tokenizer.ggml.add_bos_token") ?? false
        if addBOS && bos == nil { throw ModelFileError.configMissingKey(path: path, key: "tokenizer.ggml.bos_token_id") }
        let tokenizer = try ByteLevelBPETokenizer(tokens: tokens, merges: merges, preTokenizer: pre, specialTokens: special,
                                                  bos: bos, eos: eos, addBOS: addBOS, source: path)
        let template = try file.optionalString("tokenizer.chat_template").flatMap(ChatTemplate.init(jinja:))
        return DecoderBundle(model: model, tokenizer: tokenizer, chatTemplate: template, stopTokens: Set([eos, eot].compactMap { $0 }),
                             addBOS: addBOS, path: path)
    }

    private static func loadDirectory(_ directory: URL) throws -> DecoderBundle {
        let configURL = directory.appendingPathComponent("config.json")
        let type = try HFConfigFile(url: configURL).string("model_type", default: nil)
        let model: any CausalLanguageModel
        switch type {
        case "gpt2": model = try GPT2Model(directory: directory)
        case "llama": model = try LlamaModel(directory: directory)
        default:
            throw ModelFileError.configInvalidValue(path: configURL.path, key: "model_type", value: type ?? "(absent)", expected: "gpt2 or llama (decoders)")
        }
        let (vocab, merges) = (directory.appendingPathComponent("vocab.json"), directory.appendingPathComponent("merges.txt"))
        var tokenizer: ByteLevelBPETokenizer? = nil
        if FileManager.default.fileExists(atPath: vocab.path) && FileManager.default.fileExists(atPath: merges.path) {
            tokenizer = try ByteLevelBPETokenizer(vocabJSON: vocab, merges: merges)
        }
        let eos = tokenizer?.id(of: "<|endoftext|>")
        return DecoderBundle(model: model, tokenizer: tokenizer, chatTemplate: nil, stopTokens: Set([eos].compactMap { $0 }),
                             addBOS: false, path: directory.path)
    }
}
