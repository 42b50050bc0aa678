import ArgumentParser
import AttendEvaluation
import AttendKernels
import AttendModels
import Foundation

/// `attend bench int8`: the int8 GEMM (and the int8 BERT) against PyTorch's and ONNX Runtime's dynamic
/// quantization, measured in the same run.
struct BenchInt8: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "int8",
        abstract: "Time Attend's int8 GEMM and int8 BERT against PyTorch (fbgemm) and ONNX Runtime dynamic quantization in one run.",
        discussion: """
            gemm: y = x·Wᵀ + b at BERT-base's linear shapes (m = 128 tokens; k×n = 768×2304 QKV, 768×768 attention output,
            768×3072 and 3072×768 FFN), weights quantized once; each timed call quantizes x per row, multiplies in int8 → int32
            and dequantizes (GFLOP/s = 2·m·k·n / time), also the bare int32 product (impl attend-int32).
            forward: BERT-base shape (random weights, seed 0), batch 1, at --seqs: Attend f32, Attend --precision int8
            (dynamic scales; impl attend-int8; the dequantized int8 GEMM has this impl name too) and --precision integer (I-BERT
            integer-only; impl attend-integer; static scales calibrated on the timed inputs). sst2: the bundled SST-2 model on the dev set (batch 16): f32, int8 dynamic,
            int8 static (scales calibrated on 512 train sentences, seed 0; impl attend-int8-static) and integer (same calibration; impl attend-integer), with accuracy.
            Peers run from scripts/bench_int8_peers.py in the repository's .venv (created on first use): PyTorch's dynamic
            quantization (fbgemm) and ONNX Runtime's quantize_dynamic of the same export (and of a one-MatMul graph for gemm),
            plus the Float32 ONNX Runtime for forward and sst2. Times are medians; --rounds repeats the whole run (Attend, then the peers).
            The table's ratios are each implementation's time over attend-int8's (> 1: int8 is faster), then attend/attend-integer and
            onnxruntime-int8/attend-integer (the integer-only path's speed-up over Float32 and against ONNX Runtime int8), each the
            median over rounds of the same round's times.
            """)

    @Flag(name: .long, help: "Print one JSON object per measurement.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Which measurements: gemm, forward, sst2 (comma-separated).", valueName: "list"))
    var what = "gemm,forward,sst2"

    @Option(name: .long, help: ArgumentHelp("Sequence lengths of the BERT-base forward (comma-separated).", valueName: "list"))
    var seqs = "128,512"

    @Option(name: .long, help: ArgumentHelp("Timed repetitions per forward measurement (after 2 warm-ups).", valueName: "n"))
    var repeats = 10

    @Option(name: .long, help: ArgumentHelp("Thread counts to measure (comma-separated).", valueName: "list"))
    var threads = "1,2"

    @Flag(name: .long, help: "Measure Attend only (no Python peers).")
    var noPeers = false

    @Option(name: .long, help: ArgumentHelp(
        "Repeat the whole run (Attend, then the peers) this many times; the table gives each time's median over the rounds and each ratio's median with its range (on a shared machine the load changes between Attend's rows and the peers' minutes later; rounds show by how much).",
        valueName: "n"))
    var rounds = 1

    func validate() throws {
        for item in what.split(separator: ",") where !["gemm", "forward", "sst2"].contains(String(item)) {
            throw ValidationError("--what: unknown measurement '\(item)'; expected gemm, forward or sst2")
        }
        guard seqLengths.count > 0, seqLengths.allSatisfy({ $0 >= 1 && $0 <= 512 }) else { throw ValidationError("--seqs: expected integers in 1...512, got '\(seqs)'") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if rounds < 1 { throw ValidationError("--rounds must be at least 1") }
        guard threadCounts.count > 0, threadCounts.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--threads: expected positive integers, got '\(threads)'") }
    }

    var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0) } }
    var seqLengths: [Int] { seqs.split(separator: ",").compactMap { Int($0) } }
    var selected: Set<String> { Set(what.split(separator: ",").map(String.init)) }
    static let shapes = [(128, 768, 2304), (128, 768, 768), (128, 768, 3072), (128, 3072, 768)]

    func run() throws {
        printError("int8 body: \(Int8Body.auto.name)")
        let forward = try selected.contains("forward") ? forwardVariants() : nil
        let sst2 = try selected.contains("sst2") ? sst2Variants() : nil
        let results = try measureRounds(rounds, json: json) { record in
            if selected.contains("gemm") { try gemm(record) }
            if let (inputs, variants) = forward {
                for t in threadCounts {
                    Parallel.threads = t
                    for n in seqLengths {
                        let ids = inputs[n]!
                        for (impl, m) in variants {
                            let ms = try medianMilliseconds(repeats: repeats) { _ = try m.forward(ids) }
                            try record(Measurement(name: "bert-base-forward", impl: impl, threads: t, ms: ms, batch: 1, seq: n))
                        }
                    }
                }
            }
            if let (examples, ids, variants) = sst2 {
                for t in threadCounts {
                    Parallel.threads = t
                    for (impl, c) in variants {
                        var predicted: [Int] = []
                        let ms = try medianMilliseconds(repeats: 3, warmups: 1) { predicted = try c.classify(ids).predictions }
                        let accuracy = ClassificationMetrics(predictions: predicted, labels: examples.map(\.label)).accuracy
                        try record(Measurement(name: "sst2-dev", impl: impl, threads: t, ms: ms, batch: 16, examples: ids.count,
                                               sentences_per_second: Double(ids.count) / ms * 1000, accuracy: accuracy))
                    }
                }
            }
            if !noPeers {
                let shapes = Self.shapes.map { "\($0.0)x\($0.1)x\($0.2)" }.joined(separator: ",")
                let decoder = JSONDecoder()
                let lines = try runPythonScript("scripts/bench_int8_peers.py", arguments: ["--what", what, "--threads", threads, "--shapes", shapes,
                                                                                         "--seqs", seqs, "--repeats", String(repeats)])
                for line in lines { try record(try decoder.decode(Measurement.self, from: line)) }
            }
        }
        if !json {
            // Ratios are other / attend-int8 (> 1: the int8 path is faster): attend/attend-int8 is the speed-up over Float32;
            // then the integer-only path's own: over Float32 and against ONNX Runtime int8, round by round.
            print(Measurement.table(results, implementations: ["attend-int8", "attend", "attend-int32", "attend-int8-static", "attend-integer", "pytorch-fbgemm",
                                                               "pytorch-int8", "onnxruntime", "onnxruntime-int8"],
                                    more: [("attend", "attend-integer"), ("onnxruntime-int8", "attend-integer")]))
        }
    }

    /// The BERT-base shape (random weights, seed 0) in f32, int8 and integer-only, and its timed inputs by length.
    private func forwardVariants() throws -> (inputs: [Int: [[Int]]], variants: [(String, BertModel)]) {
        let model = BertModel(randomWeights: .bertBase, seed: 0)
        let inputs = Dictionary(uniqueKeysWithValues: seqLengths.map { n in (n, [[101] + (1..<n).map { 1000 + ($0 * 7919) % 29000 }]) })
        // The integer path needs static scales: calibrated on the timed inputs themselves (random weights; only speed matters).
        let integer = try model.integerOnly(try model.calibrateActivations(seqLengths.map { inputs[$0]! }))
        return (inputs, [("attend", model), ("attend-int8", try model.quantized(.dynamic)), ("attend-integer", integer)])
    }

    /// The bundled SST-2 model in every precision (static scales from 512 train sentences, seed 0), its dev set and ids.
    private func sst2Variants() throws -> (examples: [LabeledSentence], ids: [[Int]], variants: [(String, Classifier)]) {
        let task = GLUETask.sst2
        let examples = try task.load(try Bundled.devSet(for: task))
        let classifier = try Classifier(directory: try Bundled.model(for: task))
        let train = try task.load(Bundled.root().deletingLastPathComponent().appendingPathComponent("shared/data/sst2/train.tsv"))
        let ranges = try classifier.calibrateActivations(calibrationSplit(train, count: 512, seed: 0).map(\.text))
        let variants = [("attend", classifier), ("attend-int8", try classifier.quantized(.dynamic)),
                        ("attend-int8-static", try classifier.quantized(.calibrated(ranges))), ("attend-integer", try classifier.integerOnly(ranges))]
        return (examples, try classifier.encode(examples.map(\.text), truncate: false), variants)
    }

    /// The int8 linear at BERT-base's shapes, dequantized and bare.
    private func gemm(_ record: (Measurement) throws -> Void) throws {
        for (m, k, n) in Self.shapes {
            let x = (0..<(m * k)).map { Float(($0 * 37) % 101) / 50 - 1 }
            let w = Tensor(shape: [n, k], data: (0..<(n * k)).map { Float(($0 * 53) % 103) / 103 - 0.5 })
            let bias = [Float](repeating: 0.1, count: n)
            let b = Int8PackedMatrix(linearWeight: w)
            var q = QuantizedRows(rows: m, k: k)
            var y = [Float](repeating: 0, count: m * n)
            var raw = [Int32](repeating: 0, count: m * n)
            let flops = 2 * Double(m * k * n)
            for t in threadCounts {
                let repeats = max(10, Int(3e10 / flops))
                let ms = x.withUnsafeBufferPointer { xp in bias.withUnsafeBufferPointer { bp in y.withUnsafeMutableBufferPointer { yp in
                    medianMilliseconds(repeats: repeats) {
                        Int8GEMM.quantize(xp.baseAddress!, ldx: k, into: &q, rows: m, threads: t)
                        Int8GEMM.multiply(q, b: b, bias: bp.baseAddress, c: yp.baseAddress!, ldc: n, threads: t)
                    }
                } } }
                let r = Measurement(name: "int8-gemm", impl: "attend-int8", threads: t, ms: ms, m: m, k: k, n: n, gflops: flops / (ms * 1e6))
                try record(r)
                let data = q.data
                let msRaw = data.withUnsafeBufferPointer { ap in raw.withUnsafeMutableBufferPointer { cp in
                    medianMilliseconds(repeats: repeats) {
                        Int8GEMM.multiply(m: m, a: ap.baseAddress!, lda: Int8GEMM.paddedK(k), b: b, c: cp.baseAddress!, ldc: n, threads: t)
                    }
                } }
                let r2 = Measurement(name: "int8-gemm", impl: "attend-int32", threads: t, ms: msRaw, m: m, k: k, n: n, gflops: flops / (msRaw * 1e6))
                try record(r2)
            }
        }
    }
}
