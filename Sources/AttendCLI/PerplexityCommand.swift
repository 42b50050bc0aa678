import ArgumentParser
import AttendEvaluation
import AttendKernels
import AttendTokenizers
import AttendWorkload
import AttendModels
import Foundation

/// `attend perplexity`: llama.cpp's `llama-perplexity` protocol on a text file.
struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a causal language model on a text file, with llama-perplexity's protocol.",
        discussion: """
            The whole file (one trailing newline dropped, as llama.cpp's -f does) is tokenized once (BOS only if the model asks for it) and cut into non-overlapping chunks of
            --context tokens; each chunk runs from an empty cache and only its second half is scored (tokens \
            context/2+1 … context−1 of the chunk), so figures compare with llama.cpp's. The running perplexity is printed \
            after each chunk as llama.cpp does ([1]23.4,[2]…), with a progress bar on a terminal. --json prints one object: \
            model, file, bytes, tokens, context, chunks, tokens_scored, negative_log_likelihood, perplexity, \
            running_perplexity, seconds, tokens_per_second, threads, attention; with --attention spatten also spatten_rows \
            (probability rows computed), spatten_requantized_rows (those that fetched the K LSBs) and dram_bytes (what \
            SpAtten's fetches move: Q, K MSBs, K LSBs of heads that requantized, the V rows kept). --trace writes every \
            forward pass's attention records.
            """)

    @OptionGroup var options: DecoderOptions

    @OptionGroup var trace: TraceOptions

    @Option(name: [.customShort("f"), .long], help: ArgumentHelp("UTF-8 text file, e.g. ../shared/data/wikitext2/test.txt.", valueName: "file"))
    var file: String

    @Option(name: [.customShort("c"), .long], help: ArgumentHelp("Tokens per chunk (default 512).", valueName: "n"))
    var context = 512

    @Option(name: .long, help: ArgumentHelp("Score only the first N chunks (default: all).", valueName: "n"))
    var chunks: Int?

    @Option(name: .long, help: ArgumentHelp("Read only the first N bytes of the file (must end on a UTF-8 character boundary).", valueName: "n"))
    var bytes: Int?

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    @Flag(name: .long, help: "Score each token of a chunk's second half in its own forward pass on the cache, as generation does (slower; the same perplexity for exact attention, but with --attention spatten the KV cache is pruned as in generation).")
    var stepwise = false

    func validate() throws {
        if context < 4 { throw ValidationError("--context must be at least 4, got \(context)") }
        if let chunks, chunks < 1 { throw ValidationError("--chunks must be at least 1, got \(chunks)") }
        if let bytes, bytes < 1 { throw ValidationError("--bytes must be at least 1, got \(bytes)") }
    }

    func run() throws {
        let bundle = try options.load()
        guard let tokenizer = bundle.tokenizer else { throw CLIError("\(bundle.path): no tokenizer (vocab.json + merges.txt) beside the model") }
        var data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw CLIError("\(file): cannot read (\((error as NSError).localizedDescription))")
        }
        if let bytes { data = data.prefix(bytes) }
        var text = try decodeUTF8(data[...], source: file)
        if text.hasSuffix("\n") { text.removeLast() }  // llama.cpp's -f drops one trailing newline
        let tokens = tokenizer.encode(text, addSpecial: true)
        var bar = ProgressBar(label: "perplexity")
        let result: PerplexityResult
        var passes: [[[HeadWorkload]]] = []  // [pass][layer][head], kept for --trace only
        var spatten = SpAttenRunTotals()
        do {
            result = try Perplexity.evaluate(model: bundle.model, tokens: tokens, context: context, chunks: chunks,
                                             bos: bundle.addBOS ? tokenizer.bos : nil, attention: try options.attentionMethod(layers: bundle.model.layerCount), stepwise: stepwise,
                                             progress: { done, total, running in
                if json { bar.update(done, total) } else {
                    printError(String(format: "[%d]%.4f,", done, running), terminator: done == total ? "\n" : "")
                }
            }, observe: { output in
                spatten.add(output.workloads.joined())
                if trace.trace != nil { passes.append(output.workloads) }
            })
        } catch let failure as Perplexity.Failure {
            throw CLIError("\(file): \(failure)")
        }
        try trace.write(passes)
        if json {
            print(try jsonLine(PerplexityReport(model: bundle.path, file: file, bytes: data.count, tokens: tokens.count, result: result,
                                                threads: Parallel.threads, attention: options.methodLabel, spatten: spatten.rows > 0 ? spatten : nil)))
        } else {
            print(String(format: "Final estimate: PPL = %.4f (%d chunks of %d, %d tokens scored, %.1f s, %d threads)",
                         result.perplexity, result.chunks, result.context, result.tokensScored, result.seconds, Parallel.threads))
        }
    }
}

/// SpAtten's records of a run, summed: probability rows, rows that fetched the K LSBs, DRAM bytes (`spattenTraffic`).
private struct SpAttenRunTotals: Encodable {
    var rows = 0, requantizedRows = 0, dramBytes = 0

    mutating func add(_ records: some Sequence<HeadWorkload>) {
        let ran = records.filter { $0.spatten != nil }
        rows += ran.reduce(0) { $0 + $1.spatten!.rows }
        requantizedRows += ran.reduce(0) { $0 + $1.spatten!.requantizedRows }
        dramBytes += spattenTraffic(ran)
    }

    enum CodingKeys: String, CodingKey { case rows = "spatten_rows", requantizedRows = "spatten_requantized_rows", dramBytes = "dram_bytes" }
}

private struct PerplexityReport: Encodable {
    let model: String, file: String, bytes: Int, tokens: Int
    let result: PerplexityResult
    let threads: Int, attention: String
    let spatten: SpAttenRunTotals?

    enum CodingKeys: String, CodingKey { case model, file, bytes, tokens, threads, attention, tokensPerSecond = "tokens_per_second" }

    func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(file, forKey: .file)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(Double(result.chunks * result.context) / result.seconds, forKey: .tokensPerSecond)
        try c.encode(threads, forKey: .threads)
        try c.encode(attention, forKey: .attention)
        try spatten?.encode(to: encoder)
    }
}
