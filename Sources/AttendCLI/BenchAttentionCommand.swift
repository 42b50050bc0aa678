import ArgumentParser
import AttendAttention
import AttendKernels
import Foundation

/// `attend bench attention`: one head of attention, naive dense vs tiled vs PyTorch SDPA, then the
/// mask sweep of the tiled kernel.
struct BenchAttention: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Time one attention head: naive dense, tiled, PyTorch SDPA; then windows and block-sparse layouts.",
        discussion: """
            Sizes: one head, d = 64 (--head-dim), n from --sizes; naive dense (DenseAttention, n ≤ 8192) materialises \
            the n×n scores. GFLOP/s count 4·n²·d for every mask. extra_bytes: peak resident-set growth during the \
            first call (Linux; VmHWM reset through /proc/self/clear_refs). Mask sweep at n = --sweep-n: windows \
            Window(W, W) without globals for W in --windows, and random block layouts of 64×64 blocks at the \
            densities in --densities, each against unmasked tiled.
            """)

    @Flag(name: .long, help: "Print one JSON object per measurement: name, impl (naive, tiled, torch_sdpa), n, d, threads, mask, ms, gflops, extra_bytes.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Sequence lengths (comma-separated).", valueName: "list"))
    var sizes = "128,512,2048,8192,32768"

    @Option(name: .long, help: ArgumentHelp("Thread counts (comma-separated).", valueName: "list"))
    var threads = "1,2"

    @Option(name: .long, help: ArgumentHelp("Head size d.", valueName: "n"))
    var headDim = 64

    @Option(name: .long, help: ArgumentHelp("Sequence length of the mask sweep.", valueName: "n"))
    var sweepN = 8192

    @Option(name: .long, help: ArgumentHelp("Window half-widths W of the sweep (comma-separated).", valueName: "list"))
    var windows = "32,128,512"

    @Option(name: .long, help: ArgumentHelp("Block-layout densities of the sweep (comma-separated, in (0, 1]).", valueName: "list"))
    var densities = "0.75,0.5,0.25"

    @Flag(name: .long, help: "Measure Attend only (no PyTorch peer).")
    var noPeers = false

    static let naiveLimit = 8192

    func validate() throws {
        guard let n = ints(sizes), !n.isEmpty, n.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--sizes: expected positive integers, got '\(sizes)'") }
        guard let t = ints(threads), !t.isEmpty, t.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--threads: expected positive integers, got '\(threads)'") }
        guard let w = ints(windows), w.allSatisfy({ $0 >= 0 }) else { throw ValidationError("--windows: expected integers ≥ 0, got '\(windows)'") }
        let dens = densities.split(separator: ",").map { Double($0) }
        guard dens.allSatisfy({ $0 != nil && $0! > 0 && $0! <= 1 }) else { throw ValidationError("--densities: expected numbers in (0, 1], got '\(densities)'") }
        if headDim < 1 { throw ValidationError("--head-dim must be at least 1") }
        if sweepN < 1 { throw ValidationError("--sweep-n must be at least 1") }
    }

    private func ints(_ text: String) -> [Int]? {
        let values = text.split(separator: ",").map { Int($0) }
        return values.contains(nil) ? nil : values.map { $0! }
    }

    func run() throws {
        try printMachineLine()
        var results: [Measurement] = []
        func emit(_ m: Measurement) throws {
            results.append(m)
            if json { print(try jsonLine(m)) } else { printError("  \(m.summary)") }
        }
        let (d, threadCounts) = (headDim, ints(threads)!)
        for n in ints(sizes)! {
            let inputs = HeadInputs(n: n, d: d)
            for t in threadCounts {
                Parallel.threads = t
                if n <= Self.naiveLimit { try emit(inputs.measure(impl: "naive", mask: .none, label: "none", threads: t)) }
                try emit(inputs.measure(impl: "tiled", mask: .none, label: "none", threads: t))
            }
        }
        let sweep = HeadInputs(n: sweepN, d: d)
        for t in threadCounts {
            Parallel.threads = t
            for w in ints(windows)! {
                try emit(sweep.measure(impl: "tiled", mask: AttentionMask(window: Window(left: w, right: w)), label: "window:\(w)", threads: t))
            }
            for density in densities.split(separator: ",").compactMap({ Double($0) }) {
                let blocks = (sweepN + 63) / 64
                var generator = SystemRandomNumberGenerator()
                var kept = (0..<(blocks * blocks)).map { $0 < Int((Double(blocks * blocks) * density).rounded()) ? UInt8(1) : 0 }
                kept.shuffle(using: &generator)
                let layout = BlockLayout(blockRows: 64, blockColumns: 64, queryBlocks: blocks, keyBlocks: blocks, kept: [kept])
                try emit(sweep.measure(impl: "tiled", mask: AttentionMask(blocks: layout), label: "blocks:\(density)", threads: t))
            }
        }
        if !noPeers {
            let arguments = ["--what", "attention", "--threads", threads, "--attention-sizes", sizes, "--head-dim", String(d)]
            for peer in try runPeers(arguments) { try emit(peer) }
        }
        if !json { print(Measurement.table(results, implementations: ["tiled", "naive", "torch_sdpa"])) }
    }
}

/// Random q, k, v: [n, d] of one head.
private struct HeadInputs {
    let n: Int, d: Int
    let q: [Float], k: [Float], v: [Float]

    init(n: Int, d: Int) {
        (self.n, self.d) = (n, d)
        var generator = SystemRandomNumberGenerator()
        q = (0..<(n * d)).map { _ in Float.random(in: -1...1, using: &generator) }
        k = (0..<(n * d)).map { _ in Float.random(in: -1...1, using: &generator) }
        v = (0..<(n * d)).map { _ in Float.random(in: -1...1, using: &generator) }
    }

    /// Median time of `impl` on these inputs with `mask`, repeated for at least a second (≥ 3 runs).
    func measure(impl: String, mask: AttentionMask, label: String, threads: Int) throws -> Measurement {
        var out = [Float](repeating: 0, count: n * d)
        func call() {
            q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
                out.withUnsafeMutableBufferPointer { op in
                    let problem = AttentionProblem(q: qp.baseAddress!, ldq: d, k: kp.baseAddress!, ldk: d, v: vp.baseAddress!, ldv: d,
                                                   out: op.baseAddress!, ldo: d, queries: n, keys: n, heads: 1, headDim: d, mask: mask)
                    if impl == "naive" { DenseAttention.run([problem]) } else { _ = TiledAttention.run([problem]) }
                }
            } } }
        }
        let extra = peakExtraBytes(call)  // the first call: nothing allocated by an earlier one can be reused
        let once = medianMilliseconds(repeats: 1, warmups: 0, call)
        let ms = medianMilliseconds(repeats: max(3, Int(1000 / max(once, 1e-3))), warmups: 1, call)
        return Measurement(name: "attention", impl: impl, threads: threads, ms: ms, n: n, gflops: 4 * Double(n) * Double(n) * Double(d) / (ms * 1e6),
                           d: d, mask: label, extra_bytes: extra)
    }
}

/// Peak resident-set growth in bytes while `body` runs (Linux: resets VmHWM through
/// /proc/self/clear_refs); nil where /proc is not available.
private func peakExtraBytes(_ body: () -> Void) -> Int? {
    func status(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
        }
        return nil
    }
    guard (try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)) != nil, let before = status("VmRSS") else {
        body()
        return nil
    }
    body()
    return status("VmHWM").map { max(0, $0 - before) }
}
