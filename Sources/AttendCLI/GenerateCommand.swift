import ArgumentParser
import AttendEvaluation
import AttendKernels
import AttendModels
import AttendTokenizers
import Foundation

/// `attend generate`: text generation with a decoder, streamed as it comes (llama.cpp's `llama-cli -p`).
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text with a causal language model (SmolLM2 GGUF by default), streaming tokens to stdout.",
        discussion: """
            The prompt is run in one forward pass, then one token at a time from the KV cache. Greedy by default;
            --temperature > 0 samples (with --top-p and --seed). Generation stops at the model's end-of-sequence token \
            (unless --ignore-eos) or after --max-tokens. Timings (prompt and generation tokens/s) go to stderr, or into \
            the JSON object with --json (keys: model, prompt, prompt_tokens, prompt_ids, tokens, text, stopped_at_eos, \
            prompt_seconds, generation_seconds, prompt_tokens_per_second, generation_tokens_per_second, threads, attention).
            """)

    @OptionGroup var options: DecoderOptions

    @Option(name: [.customShort("p"), .long], help: ArgumentHelp("Text to continue, fed as is (BOS first only if the model asks for it).", valueName: "text"))
    var prompt: String?

    @Option(name: .long, help: ArgumentHelp("A user message, wrapped in the model's chat template with the assistant's turn opened.", valueName: "text"))
    var chat: String?

    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Most tokens to generate (default 64).", valueName: "n"))
    var maxTokens = 64

    @Option(name: .long, help: ArgumentHelp("Sampling temperature; 0 (default) = greedy.", valueName: "t"))
    var temperature = 0.0

    @Option(name: .long, help: ArgumentHelp("Nucleus sampling: keep the most probable tokens up to this total probability (default 1 = all).", valueName: "p"))
    var topP = 1.0

    @Option(name: [.customShort("s"), .long], help: ArgumentHelp("Seed of the sampler (SplitMix64; default 0).", valueName: "n"))
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Do not stop at the end-of-sequence token (always generate --max-tokens).")
    var ignoreEOS = false

    @Flag(name: .long, help: "Print one JSON object at the end instead of streaming text.")
    var json = false

    func validate() throws {
        guard (prompt == nil) != (chat == nil) else { throw ValidationError("give exactly one of --prompt and --chat") }
        if maxTokens < 0 { throw ValidationError("--max-tokens must be ≥ 0, got \(maxTokens)") }
        if !(temperature >= 0 && temperature.isFinite) { throw ValidationError("--temperature must be a finite number ≥ 0, got \(temperature)") }
        if !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1], got \(topP)") }
    }

    func run() throws {
        let bundle = try options.load()
        guard let tokenizer = bundle.tokenizer else { throw CLIError("\(bundle.path): no tokenizer (vocab.json + merges.txt) beside the model") }
        let text: String
        if let chat {
            guard let template = bundle.chatTemplate else { throw CLIError("\(bundle.path): the model has no chat template Attend can render (ChatML); use --prompt") }
            text = template.render([(role: "user", content: chat)])
        } else {
            text = prompt!
        }
        let ids = tokenizer.encode(text, addSpecial: true)
        guard !ids.isEmpty else { throw CLIError("the prompt is empty: give at least one character") }
        var stream = UTF8Stream()
        let generator = Generator(model: bundle.model, attention: try options.attentionMethod(layers: bundle.model.layerCount))
        let result = try generator.generate(prompt: ids, maxTokens: maxTokens, sampler: Sampler(temperature: temperature, topP: topP, seed: seed),
                                            stopTokens: ignoreEOS ? [] : bundle.stopTokens) { id in
            // Ids come from the model's own vocabulary, so decoding cannot fail.
            if !json, let bytes = try? tokenizer.decode([id]) { FileHandle.standardOutput.write(Data(stream.push(bytes).utf8)) }
            return true
        }
        let generated = result.stoppedAtEOS ? Array(result.tokens.dropLast()) : result.tokens
        if json {
            print(try jsonLine(GenerateReport(
                model: bundle.path, prompt: text, promptTokens: ids.count, promptIDs: ids, tokens: result.tokens,
                text: try tokenizer.decodeText(generated), stoppedAtEOS: result.stoppedAtEOS, promptSeconds: result.promptSeconds,
                generationSeconds: result.generationSeconds, promptTokensPerSecond: result.promptTokensPerSecond,
                generationTokensPerSecond: result.generationTokensPerSecond, threads: Parallel.threads, attention: options.methodLabel)))
        } else {
            FileHandle.standardOutput.write(Data((stream.finish() + "\n").utf8))
            printError(String(format: "prompt: %d tokens, %.1f tokens/s; generation: %d tokens, %.1f tokens/s (%d threads)",
                              ids.count, result.promptTokensPerSecond, result.tokens.count, result.generationTokensPerSecond, Parallel.threads))
        }
    }
}

private struct GenerateReport: Encodable {
    let model: String, prompt: String, promptTokens: Int, promptIDs: [Int], tokens: [Int], text: String, stoppedAtEOS: Bool
    let promptSeconds: Double, generationSeconds: Double, promptTokensPerSecond: Double, generationTokensPerSecond: Double
    let threads: Int, attention: String

    enum CodingKeys: String, CodingKey {
        case model, prompt, promptTokens = "prompt_tokens", promptIDs = "prompt_ids", tokens, text, stoppedAtEOS = "stopped_at_eos"
        case promptSeconds = "prompt_seconds", generationSeconds = "generation_seconds"
        case promptTokensPerSecond = "prompt_tokens_per_second", generationTokensPerSecond = "generation_tokens_per_second", threads, attention
    }
}
