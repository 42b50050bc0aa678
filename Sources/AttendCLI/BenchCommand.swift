import ArgumentParser
import AttendEvaluation
import AttendKernels
import AttendModels
import Foundation

/// `attend bench`: timings side by side with peers measured in the same run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks against peers measured in the same run: models and SGEMM (default), attention, the decoder, or int8.",
        subcommands: [BenchModels.self, BenchAttention.self, BenchDecoder.self, BenchInt8.self, BenchSpAtten.self], defaultSubcommand: BenchModels.self)
}

/// `attend bench [models]`: forward, SST-2 throughput and SGEMM against ONNX Runtime, PyTorch, OpenBLAS.
struct BenchModels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Time Attend against ONNX Runtime, PyTorch and OpenBLAS in one run and print ratios.",
        discussion: """
            Measures: BERT-base-shaped forward (12 layers, hidden 768, 12 heads, FFN 3072, random weights) at
            batch 1; SST-2 dev throughput of the bundled model; SGEMM GFLOP/s (2·m·k·n flops) at 768³,
            128×768×3072 and 128×3072×768; quant: quantized matrix–vector and matrix–matrix (m = 128) products
            at SmolLM2-135M's shapes, weights cycled through 64 MiB of copies so they stream from memory as
            in generation (no peer; GB/s of weights and GFLOP/s). Peers run from scripts/bench_peers.py in the repository's .venv,
            which is created on first use (this says so when it happens). Times are medians.
            """)

    @Flag(name: .long, help: "Print one JSON object per measurement: name, impl, threads, ms, and seq/batch or m/k/n.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Which measurements: forward, sst2, sgemm, quant (comma-separated).", valueName: "list"))
    var what = "forward,sst2,sgemm"

    @Option(name: .long, help: ArgumentHelp("Thread counts to measure (comma-separated).", valueName: "list"))
    var threads = "1,2"

    @Option(name: .long, help: ArgumentHelp("Sequence lengths of the BERT-base forward (comma-separated).", valueName: "list"))
    var seqs = "128,512"

    @Option(name: .long, help: ArgumentHelp("Timed repetitions per forward measurement (after 2 warm-ups).", valueName: "n"))
    var repeats = 10

    @Flag(name: .long, help: "Measure Attend only (no Python peers).")
    var noPeers = false

    func validate() throws {
        for item in what.split(separator: ",") where !["forward", "sst2", "sgemm", "quant"].contains(String(item)) {
            throw ValidationError("--what: unknown measurement '\(item)'; expected forward, sst2, sgemm or quant")
        }
        guard threadCounts.count > 0, threadCounts.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--threads: expected positive integers, got '\(threads)'") }
        guard seqLengths.count > 0, seqLengths.allSatisfy({ $0 >= 1 && $0 <= 512 }) else { throw ValidationError("--seqs: expected integers in 1...512, got '\(seqs)'") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
    }

    var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0) } }
    var seqLengths: [Int] { seqs.split(separator: ",").compactMap { Int($0) } }
    var selected: Set<String> { Set(what.split(separator: ",").map(String.init)) }

    func run() throws {
        try printMachineLine()
        var results: [Measurement] = []
        let emit = { (m: Measurement) in
            if json { print(try jsonLine(m)) } else { printError("  \(m.summary)") }
        }
        if selected.contains("forward") {
            let model = BertModel(randomWeights: .bertBase, seed: 0)
            for t in threadCounts {
                Parallel.threads = t
                for n in seqLengths {
                    let ids = [[101] + (1..<n).map { 1000 + ($0 * 7919) % 29000 }]
                    let ms = try medianMilliseconds(repeats: repeats) { _ = try model.forward(ids) }
                    let m = Measurement(name: "bert-base-forward", impl: "attend", threads: t, ms: ms, batch: 1, seq: n)
                    results.append(m); try emit(m)
                }
            }
        }
        if selected.contains("sst2") {
            let task = GLUETask.sst2
            let examples = try task.load(try Bundled.devSet(for: task))
            let classifier = try Classifier(directory: try Bundled.model(for: task))
            let ids = try classifier.encode(examples.map(\.text), truncate: false)
            for t in threadCounts {
                Parallel.threads = t
                var predicted: [Int] = []
                let ms = try medianMilliseconds(repeats: 3, warmups: 1) { predicted = try classifier.classify(ids).predictions }
                let accuracy = ClassificationMetrics(predictions: predicted, labels: examples.map(\.label)).accuracy
                let m = Measurement(name: "sst2-dev", impl: "attend", threads: t, ms: ms, batch: 16, examples: ids.count,
                                    sentences_per_second: Double(ids.count) / ms * 1000, accuracy: accuracy)
                results.append(m); try emit(m)
            }
        }
        if selected.contains("sgemm") {
            for (m, k, n) in [(768, 768, 768), (128, 768, 3072), (128, 3072, 768)] {
                let a = (0..<(m * k)).map { Float(($0 * 37) % 101) / 101 - 0.5 }
                let b = (0..<(k * n)).map { Float(($0 * 53) % 103) / 103 - 0.5 }
                var c = [Float](repeating: 0, count: m * n)
                for t in threadCounts {
                    let ms = medianMilliseconds(repeats: max(5, 200_000_000 / (m * k * n))) {
                        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                            // Both operands are packed inside the timed region, as OpenBLAS does for numpy's A @ B.
                            GEMM.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, transposedB: false,
                                          c: cp.baseAddress!, ldc: n, threads: t)
                        } } }
                    }
                    let r = Measurement(name: "sgemm", impl: "attend", threads: t, ms: ms, m: m, k: k, n: n,
                                        gflops: 2 * Double(m * k * n) / (ms * 1e6))
                    results.append(r); try emit(r)
                }
            }
        }
        if selected.contains("quant") {
            for m in benchQuantized(threadCounts: threadCounts) { results.append(m); try emit(m) }
        }
        let peerItems = what.split(separator: ",").filter { $0 != "quant" }.joined(separator: ",")
        if !noPeers && !peerItems.isEmpty {
            let arguments = ["--what", peerItems, "--threads", threads, "--seqs", seqs, "--repeats", String(repeats)]
            for peer in try runPeers(arguments) { results.append(peer); try emit(peer) }
        }
        if !json { print(Measurement.table(results, implementations: ["attend", "onnxruntime", "pytorch", "openblas"])) }
    }

}

/// Runs scripts/bench_peers.py with `arguments` in the pinned venv (created on first use) and
/// parses its JSON lines.
func runPeers(_ arguments: [String]) throws -> [Measurement] {
    let decoder = JSONDecoder()
    return try runPythonScript("scripts/bench_peers.py", arguments: arguments).map { try decoder.decode(Measurement.self, from: $0) }
}

/// Runs a peer script of the repository with the Python that `setup` (a script printing its path,
/// creating the environment on first use) gives, and returns its standard output's lines.
func runPythonScript(_ script: String, setup: String = "scripts/setup_python.sh", arguments: [String]) throws -> [Data] {
    let root = try Bundled.root()
    let environment = Process()
    environment.executableURL = root.appendingPathComponent(setup)
    let pythonPath = Pipe()
    environment.standardOutput = pythonPath
    try environment.run()
    environment.waitUntilExit()
    guard environment.terminationStatus == 0 else { throw CLIError("\(setup) failed (exit \(environment.terminationStatus)); peers need its Python environment") }
    let python = String(decoding: pythonPath.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    printError("running peers with \(python) \(script) …")
    let peers = Process()
    peers.executableURL = URL(fileURLWithPath: python)
    peers.currentDirectoryURL = root
    peers.arguments = [script] + arguments
    let out = Pipe()
    peers.standardOutput = out
    try peers.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    peers.waitUntilExit()
    guard peers.terminationStatus == 0 else { throw CLIError("\(script) failed (exit \(peers.terminationStatus))") }
    return data.split(separator: UInt8(ascii: "\n")).map { Data($0) }
}

/// Median wall time in milliseconds of `repeats` runs after `warmups` untimed runs.
func medianMilliseconds(repeats: Int, warmups: Int = 2, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmups { try body() }
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    times.sort()
    return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
}
