import Foundation

/// One benchmark measurement, as printed by `attend bench --json` and by scripts/bench_peers.py.
struct Measurement: Codable {
    var name: String
    var impl: String
    var threads: Int
    /// Median milliseconds.
    var ms: Double
    var batch: Int? = nil
    var seq: Int? = nil
    var m: Int? = nil
    var k: Int? = nil
    var n: Int? = nil
    var gflops: Double? = nil
    var examples: Int? = nil
    var sentences_per_second: Double? = nil
    var accuracy: Double? = nil
    /// Attention: head size, mask (`none`, `window:W`, `blocks:DENSITY`) and peak extra memory.
    var d: Int? = nil
    var mask: String? = nil
    var extra_bytes: Int? = nil
    /// Quantized products: the weight type and the weight bytes streamed per second.
    var type: String? = nil
    var gbps: Double? = nil
    /// `attend bench --rounds N`: which round (1…N) this measurement came from.
    var round: Int? = nil

    /// What is measured, without the implementation: rows of the table.
    var key: String {
        switch name {
        case "sgemm", "int8-gemm": return "\(name) \(m ?? 0)×\(k ?? 0)×\(n ?? 0) · \(threads)t"
        case "sst2-dev": return "sst2-dev (\(examples ?? 0) sentences) · \(threads)t"
        case "attention": return "attention n=\(n ?? 0) d=\(d ?? 0) \(mask ?? "none") · \(threads)t"
        case "quant-matvec", "quant-matmat": return "\(name) \(type ?? "") \(k ?? 0)→\(n ?? 0) m=\(m ?? 0) · \(threads)t"
        default: return "\(name) seq \(seq ?? 0) · \(threads)t"
        }
    }

    var summary: String {
        let extra = gbps.map { String(format: " (%.1f GB/s, %.1f GFLOP/s)", $0, gflops ?? 0) } ?? gflops.map { String(format: " (%.1f GFLOP/s)", $0) } ?? sentences_per_second.map { String(format: " (%.1f sentences/s)", $0) } ?? ""
        return "\(key) \(impl): \(String(format: "%.2f", ms)) ms\(extra)"
    }

    /// A Markdown table: one row per measured case, one column per implementation (the first of
    /// `implementations` is ours), and the ratio of each other one's time to ours (> 1: ours is faster),
    /// then the ratios `more` asks for as (numerator, denominator) implementations. Measured in several
    /// rounds: each cell is the round with the median time, each ratio the median of the rounds' ratios
    /// (each round's numerator over the same round's denominator) with its range.
    static func table(_ all: [Measurement], implementations: [String], more: [(String, String)] = []) -> String {
        let impls = implementations.filter { i in all.contains { $0.impl == i } }
        guard let ours = impls.first else { return "" }
        let ratios = impls.dropFirst().map { ($0, ours) } + more.filter { pair in impls.contains(pair.0) && impls.contains(pair.1) }
        var keys: [String] = []
        for m in all where !keys.contains(m.key) { keys.append(m.key) }
        let header = ["case"] + impls.map { "\($0) ms" } + ratios.map { "\($0.0)/\($0.1)" }
        var lines = ["| " + header.joined(separator: " | ") + " |", "|" + String(repeating: "---|", count: header.count)]
        for key in keys {
            func rounds(_ impl: String) -> [Measurement] { all.filter { $0.key == key && $0.impl == impl } }
            let cells = impls.map { impl in medianRound(rounds(impl)).map(\.cell) ?? "–" }
            let ratioCells = ratios.map { numerator, denominator -> String in
                let below = rounds(denominator)
                let each = rounds(numerator).compactMap { top in below.first { $0.round == top.round }.map { top.ms / $0.ms } }.sorted()
                guard let low = each.first, let high = each.last else { return "–" }
                let median = each.count % 2 == 1 ? each[each.count / 2] : (each[each.count / 2 - 1] + each[each.count / 2]) / 2
                return each.count == 1 ? String(format: "%.2f×", median) : String(format: "%.2f× (%.2f–%.2f)", median, low, high)
            }
            lines.append("| " + ([key] + cells + ratioCells).joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    /// The measurement with the median time of `rounds` (the lower middle one of an even count).
    private static func medianRound(_ rounds: [Measurement]) -> Measurement? {
        let sorted = rounds.sorted { $0.ms < $1.ms }
        return sorted.isEmpty ? nil : sorted[(sorted.count - 1) / 2]
    }

    /// A table cell: the time, with GFLOP/s or sentences/s and accuracy when measured.
    private var cell: String {
        var text = String(format: "%.3f", ms)
        if let gbps { text += String(format: " (%.1f GB/s)", gbps) }
        if let gflops { text += String(format: " (%.0f GF/s)", gflops) }
        if let extra_bytes { text += String(format: ", %.1f MiB", Double(extra_bytes) / 1_048_576) }
        if let sentences_per_second { text += String(format: " (%.0f sent/s", sentences_per_second) + (accuracy.map { String(format: ", acc %.2f %%", $0 * 100) } ?? "") + ")" }
        return text
    }
}
