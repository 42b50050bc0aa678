import ArgumentParser
import AttendAttention
import AttendEvaluation
import AttendKernels
import AttendModels
import AttendWorkload
import Foundation

/// `attend bench spatten`: generation tokens/s with SpAtten's KV-cache pruning against tiled attention, and the top-k's share of a layer.
struct BenchSpAtten: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spatten",
        abstract: "Time a decoder's long prompt and its generation with SpAtten's cascade and KV-cache pruning against tiled attention in one run, and the top-k's share of a layer.",
        discussion: """
            Each round runs, for tiled and for --attention spatten with the SpAtten options given (default token ratio 0.05), \
            a --context-token prompt (the first tokens of WikiText-2 test; one forward pass, in which SpAtten's cascade \
            drops the rows of pruned prompt tokens from every later layer) and then --generate greedy tokens, one forward \
            pass each; tokens/s = generated / time of those passes; rounds interleave the two methods, medians over \
            --repeats rounds after one warm-up. Attention share: the time inside the attention calls of the generation \
            passes over their whole time, and the Amdahl bound 1 / (1 − tiled's share) on what pruning the cache can \
            give. Top-k share: the median time of TopK.select over n = context float \
            importances (k = n·f of the deepest layer, timed alone, many calls) against one layer's time (a spatten \
            generation pass / layers); a decoder runs one selection per pruned layer per pass.
            """)

    @Option(name: [.customShort("m"), .long], help: ArgumentHelp("GGUF file (default: the fetched SmolLM2-135M-Instruct Q4_1).", valueName: "file"))
    var model: String?

    @Option(name: [.customShort("t"), .long], help: ArgumentHelp("Worker threads (default 1).", valueName: "n"))
    var threads = 1

    @Option(name: [.customShort("c"), .long], help: ArgumentHelp("Prompt tokens before generation.", valueName: "n"))
    var context = 1024

    @Option(name: .long, help: ArgumentHelp("Tokens generated after the prompt.", valueName: "n"))
    var generate = 32

    @Option(name: .long, help: ArgumentHelp("Timed rounds (after one warm-up).", valueName: "n"))
    var repeats = 3

    @OptionGroup(title: "SpAtten") var spatten: SpAttenOptions

    func validate() throws {
        if threads < 1 || context < 2 || generate < 1 || repeats < 1 { throw ValidationError("--threads, --generate and --repeats must be ≥ 1 and --context ≥ 2") }
    }

    func run() throws {
        try printMachineLine()
        Parallel.threads = threads
        let path = try model ?? Bundled.decoderModel().path
        let bundle = try DecoderBundle.load(path: path)
        guard let tokenizer = bundle.tokenizer else { throw CLIError("\(path): no tokenizer") }
        let text = try readText(Bundled.root().appendingPathComponent("../shared/data/wikitext2/test.txt").path)
        let ids = Array(tokenizer.encode(String(text.prefix(16 * context)), addSpecial: true).prefix(context))
        guard ids.count == context else { throw CLIError("wikitext2/test.txt gave only \(ids.count) tokens") }
        let model = bundle.model
        var plan = try spatten.plan()
        if plan.tokenRatio == nil { plan.tokenRatio = 0.05 }
        let pruning = try plan.makeMethod(layers: model.layerCount) as! SpAttenMethod
        let methods = [TimedMethod(TiledMethod()), TimedMethod(pruning)]
        var times = [[Double]](repeating: [], count: methods.count), promptTimes = times, attentionTimes = times
        var cacheRows = 0
        for round in 0...repeats {
            for (m, method) in methods.enumerated() {
                let cache = model.makeCache(capacity: context + generate)
                let promptStart = DispatchTime.now().uptimeNanoseconds
                var output = try model.forward(ids, cache: cache, attention: method, rows: .last)
                let (start, attentionStart) = (DispatchTime.now().uptimeNanoseconds, method.seconds)
                if round > 0 { promptTimes[m].append(Double(start - promptStart) / 1e9) }
                for _ in 0..<generate {
                    let next = output.logits.data.withUnsafeBufferPointer { Sampler.argmax($0) }
                    output = try model.forward([next], cache: cache, attention: method, rows: .last)
                }
                if round > 0 {
                    times[m].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    attentionTimes[m].append(method.seconds - attentionStart)
                }
                if m == 1 { cacheRows = (0..<model.layerCount).reduce(0) { $0 + cache.rows(layer: $1) } }
            }
        }
        let median = times.map { $0.sorted()[$0.count / 2] }, promptMedian = promptTimes.map { $0.sorted()[$0.count / 2] }
        let attentionMedian = attentionTimes.map { $0.sorted()[$0.count / 2] }
        let rates = median.map { Double(generate) / $0 }
        let s = pruning.schedule
        print(String(format: "prompt of %d tokens, then %d generated, %d thread(s), medians of %d rounds:", context, generate, threads, repeats))
        print(String(format: "  prompt pass: tiled %.3f s, spatten %.3f s → %.2f× tiled", promptMedian[0], promptMedian[1], promptMedian[0] / promptMedian[1]))
        print(String(format: "  tiled    %.2f tokens/s", rates[0]))
        print(String(format: "  spatten  %.2f tokens/s (token ratio %.3f, recent window %d; cache %.1f %% of tiled's rows at the end) → %.2f× tiled",
                     rates[1], s.tokenRatio, pruning.recentWindow, 100 * Double(cacheRows) / Double(model.layerCount * (context + generate)), rates[1] / rates[0]))
        // Amdahl: pruning the cache shortens attention only; the rest of a pass (projections, FFN, output layer) stays.
        let share = attentionMedian.enumerated().map { $1 / median[$0] }
        print(String(format: "  attention: %.1f %% of a tiled generation pass, %.1f %% of a spatten one; removing all of tiled's would give at most %.2f×",
                     100 * share[0], 100 * share[1], 1 / (1 - share[0])))
        // Top-k: n importances, k of the deepest layer, timed alone.
        let n = context + generate
        let k = max(1, Int((s.keptFraction(layer: model.layerCount - 1, length: n) * Double(n)).rounded(.up)) + pruning.recentWindow)
        var generator = SplitMix64(seed: 1)
        let scores = (0..<n).map { _ in Float(generator.next() % 1_000_000) / 1e6 }
        var sink = 0
        let calls = 200
        let selectMs = medianMilliseconds(repeats: 5, warmups: 1) { for _ in 0..<calls { sink &+= TopK.select(scores, k: min(k, n)).count } }
        let perCall = selectMs / Double(calls) / 1000
        let layerSeconds = median[1] / Double(generate) / Double(model.layerCount)
        print(String(format: "  top-k over %d importances (k %d): %.1f µs per call; a layer of a spatten generation pass %.1f µs → top-k %.2f %% of a layer (checksum %d)",
                     n, min(k, n), perCall * 1e6, layerSeconds * 1e6, 100 * perCall / layerSeconds, sink % 10))
    }
}
