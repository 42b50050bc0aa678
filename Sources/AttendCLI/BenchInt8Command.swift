import ArgumentParser
import AttendKernels
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
            and dequantizes (GFLOP/s = 2·m·k·n / time), also the bare int32 product (impl attend-int32). Peers run from
            scripts/bench_int8_peers.py in the repository's .venv (created on first use): PyTorch's dynamic quantized Linear
            (fbgemm) and quantize_dynamic'd ONNX MatMul. Times are medians.
            """)

    @Flag(name: .long, help: "Print one JSON object per measurement.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Which measurements: gemm (comma-separated).", valueName: "list"))
    var what = "gemm"

    @Option(name: .long, help: ArgumentHelp("Thread counts to measure (comma-separated).", valueName: "list"))
    var threads = "1,2"

    @Flag(name: .long, help: "Measure Attend only (no Python peers).")
    var noPeers = false

    func validate() throws {
        for item in what.split(separator: ",") where !["gemm"].contains(String(item)) {
            throw ValidationError("--what: unknown measurement '\(item)'; expected gemm")
        }
        guard threadCounts.count > 0, threadCounts.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--threads: expected positive integers, got '\(threads)'") }
    }

    var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0) } }
    static let shapes = [(128, 768, 2304), (128, 768, 768), (128, 768, 3072), (128, 3072, 768)]

    func run() throws {
        var results: [Measurement] = []
        let emit = { (m: Measurement) in
            if json { print(try jsonLine(m)) } else { printError("  \(m.summary)") }
        }
        printError("int8 body: \(Int8Body.auto.name)")
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
                let r = Measurement(name: "int8-gemm", impl: "attend", threads: t, ms: ms, m: m, k: k, n: n, gflops: flops / (ms * 1e6))
                results.append(r); try emit(r)
                let data = q.data
                let msRaw = data.withUnsafeBufferPointer { ap in raw.withUnsafeMutableBufferPointer { cp in
                    medianMilliseconds(repeats: repeats) {
                        Int8GEMM.multiply(m: m, a: ap.baseAddress!, lda: Int8GEMM.paddedK(k), b: b, c: cp.baseAddress!, ldc: n, threads: t)
                    }
                } }
                let r2 = Measurement(name: "int8-gemm", impl: "attend-int32", threads: t, ms: msRaw, m: m, k: k, n: n, gflops: flops / (msRaw * 1e6))
                results.append(r2); try emit(r2)
            }
        }
        if !noPeers {
            let shapes = Self.shapes.map { "\($0.0)x\($0.1)x\($0.2)" }.joined(separator: ",")
            let decoder = JSONDecoder()
            let lines = try runPythonScript("scripts/bench_int8_peers.py", arguments: ["--what", what, "--threads", threads, "--shapes", shapes])
            for line in lines { let peer = try decoder.decode(Measurement.self, from: line); results.append(peer); try emit(peer) }
        }
        if !json { print(Measurement.table(results, implementations: ["attend", "attend-int32", "pytorch-fbgemm", "onnxruntime-int8"])) }
    }
}
