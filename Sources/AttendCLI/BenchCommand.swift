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
            Measures: BERT-base-shaped forward (12 layers, hidden 768, 12 heads, FFN 3072, random weights) at \
            batch 1; SST-2 dev throughput of the bundled model; SGEMM GFLOP/s (2·m·k·n flops) at 768³, \
            128×768×3072 and 128×3072×768; quant: quantized matrix–vector and matrix–matrix (m = 128) products \
            at SmolLM2-135M's shapes, weights cycled through 64 MiB of copies so they stream from memory as \
            in generation (no peer; GB/s of weights and GFLOP/s). Peers run from scripts/bench_peers.py in the repository's .venv, \
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

    @Option(name: .long, help: ArgumentHelp(
        "Repeat the whole run (Attend, then the peers) this many times; the table gives each time's median over the rounds and each ratio's median with its range (on a shared machine the load changes between Attend's rows and the peers' minutes later; rounds show by how much).",
        valueName: "n"))
    var rounds = 1

    func validate() throws {
        for item in what.split(separator: ",") where !["forward", "sst2", "sgemm", "quant"].contains(String(item)) {
            throw ValidationError("--what: unknown measurement '\(item)'; expected forward, sst2, sgemm or quant")
        }
        guard threadCounts.count > 0, threadCounts.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--threads: expected positive integers, got '\(threads)'") }
        guard seqLengths.count > 0, seqLengths.allSatisfy({ $0 >= 1 && $0 <= 512 }) else { throw ValidationError("--seqs: expected integers in 1...512, got '\(seqs)'") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if rounds < 1 { throw ValidationError("--rounds must be at least 1") }
    }

    var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0) } }
    var seqLengths: [Int] { seqs.split(separator: ",").compactMap { Int($0) } }
    var selected: Set<String> { Set(what.split(separator: ",").map(String.init)) }

    func run() throws {
        try printMachineLine()
        let forwardModel = selected.contains("forward") ? BertModel(randomWeights: .bertBase, seed: 0) : nil
        let sst2 = try selected.contains("sst2") ? SST2Bench() : nil
        let results = try measureRounds(rounds, json: json) { record in
            if let model = forwardModel {
                for t in threadCounts {
                    Parallel.threads = t
                    for n in seqLengths {
                        let ids = [[101] + (1..<n).map { 1000 + ($0 * 7919) % 29000 }]
                        let ms = try medianMilliseconds(repeats: repeats) { _ = try model.forward(ids) }
                        try record(Measurement(name: "bert-base-forward", impl: "attend", threads: t, ms: ms, batch: 1, seq: n))
                    }
                }
            }
            if let sst2 {
                for t in threadCounts {
                    Parallel.threads = t
                    try record(try sst2.measure(threads: t))
                }
            }
            if selected.contains("sgemm") { for m in benchSGEMM(threadCounts: threadCounts) { try record(m) } }
            if selected.contains("quant") { for m in benchQuantized(threadCounts: threadCounts) { try record(m) } }
            let peerItems = what.split(separator: ",").filter { $0 != "quant" }.joined(separator: ",")
            if !noPeers && !peerItems.isEmpty {
                let arguments = ["--what", peerItems, "--threads", threads, "--seqs", seqs, "--repeats", String(repeats)]
                for peer in try runPeers(arguments) { try record(peer) }
            }
        }
        if !json { print(Measurement.table(results, implementations: ["attend", "onnxruntime", "pytorch", "openblas"])) }
    }

}

/// The SST-2 dev throughput measurement: the bundled model and the dev set's ids, loaded once.
struct SST2Bench {
    let classifier: Classifier
    let ids: [[Int]]
    let labels: [Int]

    init() throws {
        let task = GLUETask.sst2
        let examples = try task.load(try Bundled.devSet(for: task))
        classifier = try Classifier(directory: try Bundled.model(for: task))
        ids = try classifier.encode(examples.map(\.text), truncate: false)
        labels = examples.map(\.label)
    }

    /// Median of 3 passes over the dev set (after one warm-up) with `threads` threads.
    func measure(threads: Int) throws -> Measurement {
        var predicted: [Int] = []
        let ms = try medianMilliseconds(repeats: 3, warmups: 1) { predicted = try classifier.classify(ids).predictions }
        let accuracy = ClassificationMetrics(predictions: predicted, labels: labels).accuracy
        return Measurement(name: "sst2-dev", impl: "attend", threads: threads, ms: ms, batch: 16, examples: ids.count,
                           sentences_per_second: Double(ids.count) / ms * 1000, accuracy: accuracy)
    }
}

/// SGEMM C = A·B at 768³ and the two FFN shapes of a 128-token batch, row-major, both operands
/// unpacked (packing inside the timed region, as OpenBLAS does for numpy's A @ B).
func benchSGEMM(threadCounts: [Int]) -> [Measurement] {
    var results: [Measurement] = []
    for (m, k, n) in [(768, 768, 768), (128, 768, 3072), (128, 3072, 768)] {
        let a = (0..<(m * k)).map { Float(($0 * 37) % 101) / 101 - 0.5 }
        let b = (0..<(k * n)).map { Float(($0 * 53) % 103) / 103 - 0.5 }
        var c = [Float](repeating: 0, count: m * n)
        for t in threadCounts {
            let ms = medianMilliseconds(repeats: max(5, 200_000_000 / (m * k * n))) {
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                    GEMM.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, transposedB: false,
                                  c: cp.baseAddress!, ldc: n, threads: t)
                } } }
            }
            results.append(Measurement(name: "sgemm", impl: "attend", threads: t, ms: ms, m: m, k: k, n: n,
                                       gflops: 2 * Double(m * k * n) / (ms * 1e6)))
        }
    }
    return results
}

/// Runs `round` `rounds` times (`attend bench --rounds`): each measurement it records is numbered
/// with its round when there are several, printed as it comes (a JSON line with `json`, else a
/// summary on standard error), and returned with the others.
func measureRounds(_ rounds: Int, json: Bool, _ round: (_ record: (Measurement) throws -> Void) throws -> Void) throws -> [Measurement] {
    var results: [Measurement] = []
    for index in 1...rounds {
        if rounds > 1 { printError("round \(index) of \(rounds)") }
        try round { measurement in
            var m = measurement
            if rounds > 1 { m.round = index }
            results.append(m)
            if json { print(try jsonLine(m)) } else { printError("  \(m.summary)") }
        }
    }
    return results
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
