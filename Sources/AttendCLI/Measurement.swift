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
        var keys: [String] = []
        for m in all where !keys.contains(m.key) { keys.append(m.key) }
        var lines = ["| case | " + impls.map { "\($0) ms" }.joined(separator: " | ") + " | " + impls.dropFirst().map { "\($0)/attend" }.joined(separator: " | ") + " |"]
        lines.append("|" + String(repeating: "---|", count: 1 + impls.count + max(0, impls.count - 1)))
        for key in keys {
            let row = impls.map { i in all.first { $0.key == key && $0.impl == i } }
            let attend = row.first.flatMap { $0 }
            let cells = row.map { m in m.map { r in String(format: "%.2f", r.ms) + (r.gflops.map { String(format: " (%.0f GF/s)", $0) } ?? "") } ?? "–" }
            let ratios = row.dropFirst().map { m -> String in
                guard let m, let attend else { return "–" }
                return String(format: "%.2f×", m.ms / attend.ms)
            }
            lines.append("| \(key) | " + cells.joined(separator: " | ") + " | " + ratios.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
