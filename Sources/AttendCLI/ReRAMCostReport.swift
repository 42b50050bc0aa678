import AttendHardware
import AttendWorkload
import Foundation

/// One ReBERT design's totals over a trace, as printed and as JSON.
struct ReRAMDesignTotals: Encodable {
    let design: String
    /// Σ sentence latencies (sentences one after another) and the mean per sentence.
    let latency_ns: Double, mean_latency_us: Double
    let sentences_per_second: Double, overlapped_sentences_per_second: Double
    let energy_pj: Double, attention_energy_pj: Double, energy_components: [String: Double]
    /// Stall time of the queries' inner products (ns) by cause, and each cause's share of all stall time.
    let stall_ns: StallTimes, stall_share: [String: Double]
    let array_utilisation: Double

    init(_ c: ReRAMTraceCost) {
        design = c.design.rawValue
        latency_ns = c.latencyNS
        mean_latency_us = c.sentences > 0 ? c.latencyNS / Double(c.sentences) / 1000 : 0
        (sentences_per_second, overlapped_sentences_per_second) = (c.sentencesPerSecond, c.overlappedSentencesPerSecond)
        (energy_pj, attention_energy_pj) = (c.energy.total, c.energy.attention)
        energy_components = Dictionary(uniqueKeysWithValues: ReRAMComponent.allCases.map { ($0.rawValue, c.energy[$0]) })
        stall_ns = c.stalls
        let total = max(c.stalls.total, 1e-30)
        stall_share = ["data_hazard": c.stalls.data / total, "structural_hazard": c.stalls.structural / total, "queue": c.stalls.queue / total]
        array_utilisation = c.arrayUtilisation
    }
}

/// `attend cost` on a ReBERT configuration: the three designs on the same machine, the configured one first.
struct ReRAMReport: Encodable {
    let design: String, tokens: Int, mean_tokens: Double
    /// Layers (over all sentences) whose mask is not dense, and those of them where [CLS] attends every key.
    let windowed_layers: Int, cls_attends_all_layers: Int, layers: Int
    let designs: [ReRAMDesignTotals]
    /// Latency ratios (sentences one after another).
    let speedup: [String: Double]
    /// Energy removed against the baseline by the windows (ReBERT-basic's energy: writes are single).
    let energy_reduction: [String: Double]

    var lines: [String] {
        var out = [String(format: "ReBERT ReRAM pipeline · configured design %@ · %d tokens (mean %.1f per sentence) · %d of %d layers windowed, [CLS] attends all keys in %d",
                          design, tokens, mean_tokens, windowed_layers, layers, cls_attends_all_layers)]
        out.append("design      mean latency µs   sentences/s (overlapped)   energy µJ   attention µJ   stalls: data / structural / queue   array util.")
        for d in designs {
            out.append((d.design.padding(toLength: 10, withPad: " ", startingAt: 0)) + String(format: " %16.2f %12.0f (%9.0f) %11.2f %14.2f          %5.1f %% / %5.1f %% / %5.1f %%   %10.3f", d.mean_latency_us,
                              d.sentences_per_second, d.overlapped_sentences_per_second, d.energy_pj / 1e6, d.attention_energy_pj / 1e6,
                              100 * d.stall_share["data_hazard"]!, 100 * d.stall_share["structural_hazard"]!, 100 * d.stall_share["queue"]!, d.array_utilisation))
        }
        out.append(String(format: "speed-up: basic %.2f× and advanced %.2f× over the baseline, advanced %.2f× over basic",
                          speedup["basic_over_baseline"]!, speedup["advanced_over_baseline"]!, speedup["advanced_over_basic"]!))
        out.append(String(format: "energy removed by the windows (basic vs baseline): inner products %.1f %%, softmax %.1f %%, attention %.1f %%, total %.1f %%",
                          100 * energy_reduction["inner_product"]!, 100 * energy_reduction["softmax"]!, 100 * energy_reduction["attention"]!,
                          100 * energy_reduction["total"]!))
        return out
    }
}

/// The trace's sentences for the ReRAM model, or a CLI error naming the record.
func reramSentences(_ records: [TraceRecord]) throws -> [ReRAMSentence] {
    do { return try ReRAMSentence.group(records) } catch { throw CLIError("trace: \(error.description)") }
}

/// Costs the sentences in all three designs of `accelerator`'s machine.
func reramReport(_ accelerator: ReRAMAccelerator, sentences: [ReRAMSentence]) -> ReRAMReport {
    let order = [accelerator.config.design] + ReRAMDesign.allCases.filter { $0 != accelerator.config.design }
    let costs = Dictionary(uniqueKeysWithValues: order.map { ($0, ReRAMTraceCost(sentences, on: accelerator.with(design: $0))) })
    let (base, basic, advanced) = (costs[.baseline]!, costs[.basic]!, costs[.advanced]!)
    let layers = sentences.flatMap { s in s.layers.map { (s.tokens, $0) } }
    func windowed(_ n: Int, _ l: PipelineLayer) -> Bool { l.clsOnly ? l.lastKey(0, tokens: n) < n - 1 : l.window < n - 1 }
    func reduction(_ a: Double, _ b: Double) -> Double { b > 0 ? 1 - a / b : 0 }
    let tokens = sentences.reduce(0) { $0 + $1.tokens }
    return ReRAMReport(
        design: accelerator.config.design.rawValue, tokens: tokens, mean_tokens: sentences.isEmpty ? 0 : Double(tokens) / Double(sentences.count),
        windowed_layers: layers.filter { windowed($0.0, $0.1) }.count, cls_attends_all_layers: layers.filter { windowed($0.0, $0.1) && $0.1.clsAttendsAll }.count,
        layers: layers.count, designs: order.map { ReRAMDesignTotals(costs[$0]!) },
        speedup: ["basic_over_baseline": base.latencyNS / basic.latencyNS, "advanced_over_baseline": base.latencyNS / advanced.latencyNS,
                  "advanced_over_basic": basic.latencyNS / advanced.latencyNS],
        energy_reduction: ["inner_product": reduction(basic.energy[.innerProduct], base.energy[.innerProduct]),
                           "softmax": reduction(basic.energy[.softmax], base.energy[.softmax]),
                           "attention": reduction(basic.energy.attention, base.energy.attention),
                           "total": reduction(basic.energy.total, base.energy.total)])
}

/// Writes the configured design's timeline of every sentence as CSV to `path`, and an SVG Gantt
/// chart of sentence `index` (0-based, in trace order) in the three designs next to it.
func writeReRAMTimeline(_ accelerator: ReRAMAccelerator, sentences: [ReRAMSentence], to path: String, sentence index: Int) throws -> String {
    guard index >= 0 && index < sentences.count else { throw CLIError("--timeline-sentence \(index): the trace has \(sentences.count) sentences") }
    var csv = PipelineTimeline.header + "\n"
    for s in sentences {
        csv += PipelineTimeline.csvRows(accelerator.cost(s, record: true).run, design: accelerator.config.design, sentence: s.sentence, tokens: s.tokens)
    }
    let s = sentences[index]
    let runs = ReRAMDesign.allCases.map { d in ("ReBERT-\(d.rawValue)", accelerator.with(design: d).cost(s, record: true).run) }
    let windows = s.layers.map { $0.clsOnly ? "[CLS]" : String($0.window) }.joined(separator: ",")
    let svg = PipelineTimeline.svg(runs, caption: "sentence \(s.sentence): \(s.tokens) tokens, windows \(windows)\(s.layers.contains { $0.clsAttendsAll } ? ", [CLS] attends all keys" : "")")
    let svgPath = path.hasSuffix(".csv") ? String(path.dropLast(4)) + ".svg" : path + ".svg"
    do {
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        try svg.write(toFile: svgPath, atomically: true, encoding: .utf8)
    } catch { throw CLIError("\(path): cannot write the timeline (\((error as NSError).localizedDescription))") }
    return svgPath
}
