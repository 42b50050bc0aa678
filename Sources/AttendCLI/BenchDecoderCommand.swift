import ArgumentParser
import AttendAttention
import AttendEvaluation
import AttendKernels
import AttendModels
import AttendTokenizers
import Foundation

/// `attend bench decoder`: prompt processing and generation tokens/s against llama.cpp in the same run.
struct BenchDecoder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decoder",
        abstract: "Time the decoder (SmolLM2 GGUF by default) against llama.cpp in one run and print ratios.",
        discussion: """
            Measures prompt processing of --prompts tokens (one forward pass from an empty cache; tokens/s = n / time) \
            and generation of --generate tokens after a 128-token prompt (one forward pass per token; tokens/s = \
            n / time of those passes), medians of --repeats runs after one warm-up. Both sides process the same ids: the \
            first tokens of WikiText-2 test's first 64 KiB as each side tokenizes them (equal ids, tested). llama.cpp runs through \
            llama-cpp-python (scripts/bench_decoder_peers.py in the .venv; scripts/setup_llama.sh builds it once, 10–20 min) \
            and is timed by its own performance counters. Also prints the peak resident memory of this process against \
            the GGUF file size plus the KV cache. JSON keys: name (decoder-prompt, decoder-generate), impl, threads, tokens, \
            tokens_per_second, ms.
            """)

    @Option(name: [.customShort("m"), .long], help: ArgumentHelp("GGUF file (default: the fetched SmolLM2-135M-Instruct Q4_1).", valueName: "file"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp("Thread counts to measure (comma-separated).", valueName: "list"))
    var threads = "1,2"

    @Option(name: .long, help: ArgumentHelp("Prompt lengths to time (comma-separated).", valueName: "list"))
    var prompts = "128,512"

    @Option(name: .long, help: ArgumentHelp("Tokens generated after a 128-token prompt.", valueName: "n"))
    var generate = 32

    @Option(name: .long, help: ArgumentHelp("Timed repetitions per measurement (after one warm-up).", valueName: "n"))
    var repeats = 5

    @Flag(name: .long, help: "Print one JSON object per measurement.")
    var json = false

    @Flag(name: .long, help: "Measure Attend only (no llama.cpp).")
    var noPeers = false

    var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0) } }
    var promptLengths: [Int] { prompts.split(separator: ",").compactMap { Int($0) } }

    func validate() throws {
        guard !threadCounts.isEmpty, threadCounts.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--threads: expected positive integers, got '\(threads)'") }
        guard !promptLengths.isEmpty, promptLengths.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--prompts: expected positive integers, got '\(prompts)'") }
        if generate < 1 { throw ValidationError("--generate must be at least 1") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
    }

    func run() throws {
        try printMachineLine()
        let path = try model ?? Bundled.decoderModel().path
        let bundle = try DecoderBundle.load(path: path)
        guard let tokenizer = bundle.tokenizer else { throw CLIError("\(path): no tokenizer") }
        // The first 64 KiB of WikiText-2 test, as scripts/bench_decoder_peers.py gives llama.cpp (a character cut at the end is dropped).
        let handle = try FileHandle(forReadingFrom: Bundled.root().appendingPathComponent("../shared/data/wikitext2/test.txt"))
        let text = String(decoding: try handle.read(upToCount: 65536) ?? Data(), as: UTF8.self)
        let longest = max(promptLengths.max()!, 128)
        let ids = Array(tokenizer.encode(text, addSpecial: true).prefix(longest))
        guard ids.count == longest else { throw CLIError("wikitext2/test.txt gave only \(ids.count) tokens") }
        let model = bundle.model
        var results: [DecoderMeasurement] = []
        let emit = { (m: DecoderMeasurement) in
            results.append(m)
            if json { print(try jsonLine(m)) } else { printError("  \(m.name) \(m.tokens) tokens · \(m.threads)t \(m.impl): \(String(format: "%.1f", m.tokens_per_second)) tokens/s") }
        }
        for t in threadCounts {
            Parallel.threads = t
            for n in promptLengths {
                let prompt = Array(ids.prefix(n))
                let cache = model.makeCache(capacity: n)
                let ms = try medianMilliseconds(repeats: repeats, warmups: 1) {
                    cache.reset()
                    _ = try model.forward(prompt, cache: cache, attention: TiledMethod(), rows: .last)
                }
                try emit(DecoderMeasurement(name: "decoder-prompt", impl: "attend", threads: t, tokens: n, ms: ms))
            }
            let prompt = Array(ids.prefix(128))
            let cache = model.makeCache(capacity: 128 + generate)
            var times: [Double] = []
            for run in 0...repeats {
                cache.reset()
                var output = try model.forward(prompt, cache: cache, attention: TiledMethod(), rows: .last)
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<generate {
                    let next = output.logits.data.withUnsafeBufferPointer { Sampler.argmax($0) }
                    output = try model.forward([next], cache: cache, attention: TiledMethod(), rows: .last)
                }
                if run > 0 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
            }
            times.sort()
            try emit(DecoderMeasurement(name: "decoder-generate", impl: "attend", threads: t, tokens: generate, ms: times[times.count / 2]))
        }
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let cacheBytes = model.makeCache(capacity: 128 + generate).allocatedBytes
        if let peak = peakResidentBytes() {
            printError(String(format: "peak resident memory %.1f MiB = %.2f × (GGUF %.1f MiB + KV cache %.1f MiB)", Double(peak) / 1_048_576,
                              Double(peak) / Double(fileBytes + cacheBytes), Double(fileBytes) / 1_048_576, Double(cacheBytes) / 1_048_576))
        }
        if !noPeers {
            let lines = try runPythonScript("scripts/bench_decoder_peers.py", setup: "scripts/setup_llama.sh", arguments: [
                "--model", path, "--threads", threads, "--prompts", prompts, "--gen", String(generate), "--gen-prompt", "128",
                "--repeats", String(repeats)])
            for line in lines { try emit(try JSONDecoder().decode(DecoderMeasurement.self, from: line)) }
        }
        if !json { print(DecoderMeasurement.table(results)) }
    }
}

/// One decoder timing, as printed by `attend bench decoder --json` and by scripts/bench_decoder_peers.py.
struct DecoderMeasurement: Codable {
    var name: String
    var impl: String
    var threads: Int
    var tokens: Int
    var ms: Double
    var tokens_per_second: Double

    init(name: String, impl: String, threads: Int, tokens: Int, ms: Double) {
        (self.name, self.impl, self.threads, self.tokens, self.ms) = (name, impl, threads, tokens, ms)
        tokens_per_second = Double(tokens) / ms * 1000
    }

    /// Markdown: one row per (measurement, threads), Attend's and llama.cpp's tokens/s and their ratio (> 1: Attend is faster).
    static func table(_ all: [DecoderMeasurement]) -> String {
        var lines = ["| case | attend tokens/s | llama.cpp tokens/s | attend / llama.cpp |", "|---|---|---|---|"]
        for m in all where m.impl == "attend" {
            let peer = all.first { $0.impl == "llamacpp" && $0.name == m.name && $0.tokens == m.tokens && $0.threads == m.threads }
            let label = m.name == "decoder-prompt" ? "pp\(m.tokens)" : "tg\(m.tokens) after pp128"
            lines.append("| \(label) · \(m.threads)t | \(String(format: "%.1f", m.tokens_per_second)) | "
                         + (peer.map { String(format: "%.1f", $0.tokens_per_second) } ?? "–") + " | "
                         + (peer.map { String(format: "%.2f×", m.tokens_per_second / $0.tokens_per_second) } ?? "–") + " |")
        }
        return lines.joined(separator: "\n")
    }
}

/// VmHWM of this process (Linux), in bytes.
func peakResidentBytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
    return kib * 1024
}
