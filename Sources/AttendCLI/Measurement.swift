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

    /// What is measured, without the implementation: rows of the table.
    var key: String {
        switch name {
        case "sgemm": return "sgemm \(m ?? 0)×\(k ?? 0)×\(n ?? 0) · \(threads)t"
        case "sst2-dev": return "sst2-dev (\(examples ?? 0) sentences) · \(threads)t"
        default: return "\(name) seq \(seq ?? 0) · \(threads)t"
        }
    }

    var summary: String {
        let extra = gflops.map { String(format: " (%.1f GFLOP/s)", $0) } ?? sentences_per_second.map { String(format: " (%.1f sentences/s)", $0) } ?? ""
        return "\(key) \(impl): \(String(format: "%.2f", ms)) ms\(extra)"
    }

    /// A Markdown table: one row per measured case, one column per implementation, and the
    /// ratio of each peer's time to Attend's (> 1 means Attend is faster).
    static func table(_ all: [Measurement]) -> String {
        let impls = ["attend", "onnxruntime", "pytorch", "openblas"].filter { i in all.contains { $0.impl == i } }
        let peers = impls.filter { $0 != "attend" }
        var keys: [String] = []
        for m in all where !keys.contains(m.key) { keys.append(m.key) }
        let header = ["case"] + impls.map { "\($0) ms" } + peers.map { "\($0)/attend" }
        var lines = ["| " + header.joined(separator: " | ") + " |", "|" + String(repeating: "---|", count: header.count)]
        for key in keys {
            func find(_ impl: String) -> Measurement? { all.first { $0.key == key && $0.impl == impl } }
            let cells = impls.map { impl in find(impl).map(\.cell) ?? "–" }
            let ratios = peers.map { impl -> String in
                guard let peer = find(impl), let attend = find("attend") else { return "–" }
                return String(format: "%.2f×", peer.ms / attend.ms)
            }
            lines.append("| " + ([key] + cells + ratios).joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    /// A table cell: the time, with GFLOP/s or sentences/s and accuracy when measured.
    private var cell: String {
        var text = String(format: "%.2f", ms)
        if let gflops { text += String(format: " (%.0f GF/s)", gflops) }
        if let sentences_per_second { text += String(format: " (%.0f sent/s", sentences_per_second) + (accuracy.map { String(format: ", acc %.2f %%", $0 * 100) } ?? "") + ")" }
        return text
    }
}
