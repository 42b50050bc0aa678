import AttendHardware
import AttendWorkload
import Foundation
import Testing

@Suite("ReBERT ReRAM accelerator")
struct ReRAMAcceleratorTests {
    func machineText() throws -> String { try String(contentsOf: hardwareFolder.appendingPathComponent("rebert-machine.json"), encoding: .utf8) }

    /// rebert-basic.json over the shipped machine, with `edit` applied to the machine text (or `design` to the design text).
    func load(machine edit: (String) -> String = { $0 }, design: (String) -> String = { $0 }) throws -> ReRAMConfig {
        let text = try String(contentsOf: hardwareFolder.appendingPathComponent("rebert-basic.json"), encoding: .utf8)
        let machine = edit(try machineText())
        return try ReRAMConfig.load(design(text), file: "basic.json") { (_: String) throws(ConfigError) in (machine, "machine.json") }
    }

    func accelerator(_ design: ReRAMDesign) throws -> ReRAMAccelerator {
        guard case let .rebert(a) = try shipped("rebert-\(design.rawValue).json") else { throw ConfigError(file: design.rawValue, key: "kind", reason: "not rebert") }
        return a
    }

    @Test("the three shipped designs load on one machine, every number with a source")
    func shippedDesigns() throws {
        for design in ReRAMDesign.allCases {
            let a = try accelerator(design)
            #expect(a.config.design == design && a.config.crossbarRows == 128 && a.config.cellsPerValue == 8)
            #expect(a.config.sources.count == 23 && a.config.sources.values.allSatisfy { !$0.isEmpty })
        }
    }

    @Test("a missing key, a wrong unit, a missing source, an unknown key and a bad design are errors naming the key")
    func validation() throws {
        #expect(throws: ConfigError(file: "machine.json", key: "write_row_ns", reason: "missing; found \"write_row_us\" — wrong unit: this quantity is read in ns")) {
            try load(machine: { $0.replacingOccurrences(of: "\"write_row_ns\"", with: "\"write_row_us\"") })
        }
        #expect(throws: ConfigError(file: "machine.json", key: "crossbar_rows", reason: "must be ≥ 1, got 0")) {
            try load(machine: { $0.replacingOccurrences(of: #""crossbar_rows": { "value": 128"#, with: #""crossbar_rows": { "value": 0"#) })
        }
        #expect(throws: ConfigError(file: "machine.json", key: "adc_bits", reason: "needs a \"source\" (paper and section, or \"assumed: …\" with the reason)")) {
            try load(machine: { $0.replacingOccurrences(of: #""source": "ISAAC ISCA 2016 Table 2: one 8-bit 1.28 GS/s ADC per crossbar""#, with: #""source": """#) })
        }
        #expect(throws: ConfigError(file: "machine.json", key: "ffn_multiplierr", reason: "unknown key")) {
            try load(machine: { $0.replacingOccurrences(of: "\"ffn_multiplier\": { \"value\": 4,", with: "\"ffn_multiplier\": { \"value\": 4, \"source\": \"x\" }, \"ffn_multiplierr\": { \"value\": 4,") })
        }
        #expect(throws: ConfigError(file: "machine.json", key: "dac_bits", reason: "must be ≤ input_bits (16), got 32")) {
            try load(machine: { $0.replacingOccurrences(of: #""dac_bits": { "value": 1"#, with: #""dac_bits": { "value": 32"#) })
        }
        #expect(throws: ConfigError(file: "basic.json", key: "design", reason: "expected \"baseline\", \"basic\" or \"advanced\", got \"fast\"")) {
            try load(design: { $0.replacingOccurrences(of: "\"design\": \"basic\"", with: "\"design\": \"fast\"") })
        }
        #expect(throws: ConfigError(file: "basic.json", key: "machine", reason: "missing")) {
            try load(design: { $0.replacingOccurrences(of: "\"machine\"", with: "\"machin\"") })
        }
    }

    /// Records of one sentence: `layers` windows over n tokens, [CLS]-only last layer when `clsLast`.
    func records(sentence: Int, tokens n: Int, windows: [Int], cls: Bool, clsLast: Bool, heads: Int = 2, d: Int = 32) -> [TraceRecord] {
        windows.enumerated().flatMap { l, w in
            (0..<heads).map { h -> TraceRecord in
                let last = clsLast && l == windows.count - 1
                let queries = last ? 1 : n
                let allowed = last ? (cls ? n : min(w, n - 1) + 1) : PipelineLayer.allowedEntries(tokens: n, window: w, clsAttendsAll: cls)
                let work = HeadWorkload(queries: queries, keys: n, allowedEntries: allowed, computedEntries: queries * n, blocksKept: 1, blocksTotal: 1,
                                        qkMACs: allowed * d, pvMACs: allowed * d, denseMACs: 2 * queries * n * d, exps: allowed, bytesQ: 0, bytesK: 0,
                                        bytesV: 0, bits: 32, kvRowsRead: n, headDim: d)
                return TraceRecord(sentence: sentence, layer: l, head: h, workload: work)
            }
        }
    }

    /// Recovered windows are the smallest W giving the same mask (with [CLS] attending all, W = N − 2 is already dense).
    @Test("windows and the [CLS] flag are recovered from a trace's allowed entries (as the same mask)", arguments: [1, 2, 7, 64])
    func windowsFromTrace(n: Int) throws {
        for cls in [false, true] {
            let windows = [1, 4, 8, 8, 2, 1]
            let sentences = try ReRAMSentence.group(records(sentence: 3, tokens: n, windows: windows, cls: cls, clsLast: true)
                                                    + records(sentence: 4, tokens: n, windows: windows, cls: cls, clsLast: false))
            #expect(sentences.count == 2 && sentences.allSatisfy { $0.tokens == n && $0.heads == 2 && $0.headDim == 32 })
            for s in sentences {
                for (l, layer) in s.layers.enumerated() where !layer.clsOnly {
                    let expected = PipelineLayer(window: min(windows[l], n - 1), clsAttendsAll: cls)
                    #expect((0..<n).allSatisfy { layer.allowedKeys($0, tokens: n) == expected.allowedKeys($0, tokens: n) }, "N \(n), layer \(l), cls \(cls)")
                    #expect((0..<n).allSatisfy { layer.lastKey($0, tokens: n) == expected.lastKey($0, tokens: n) })
                }
            }
            #expect(sentences[0].layers.last!.clsOnly == (n > 1) && !sentences[1].layers.last!.clsOnly)
        }
    }

    @Test("a trace that is not windows is an error naming sentence and layer")
    func notWindows() throws {
        var bad = records(sentence: 0, tokens: 10, windows: [2, 2], cls: false, clsLast: false)
        bad[2].workload.allowedEntries = 7
        bad[3].workload.allowedEntries = 7
        #expect(throws: ReRAMWorkloadError(sentence: 0, layer: 1, reason: "7 allowed entries of 10 × 10 match no ReBERT window (a window or dense trace is needed)")) {
            try ReRAMSentence.group(bad)
        }
    }

    @Test("ReBERT-basic with every window ≥ N is the baseline exactly (times and energy); advanced beats basic beats baseline on windows")
    func basicAtFullWindowIsBaseline() throws {
        let (baseline, basic, advanced) = (try accelerator(.baseline), try accelerator(.basic), try accelerator(.advanced))
        for n in [1, 2, 7, 64] {
            let dense = try ReRAMSentence.group(records(sentence: 0, tokens: n, windows: Array(repeating: n + 3, count: 6), cls: true, clsLast: true))[0]
            #expect(basic.cost(dense, record: true) == baseline.cost(dense, record: true))
            let windowed = try ReRAMSentence.group(records(sentence: 0, tokens: n, windows: [1, 1, 2, 2, 1, 1], cls: false, clsLast: true))[0]
            let (b0, b1, b2) = (baseline.cost(windowed).run.latency, basic.cost(windowed).run.latency, advanced.cost(windowed).run.latency)
            #expect(b2 < b1 && b1 <= b0)
            if n > 3 { #expect(b1 < b0 && basic.energy(windowed)[.innerProduct] < baseline.energy(windowed)[.innerProduct]) }
        }
    }

    @Test("the SVG Gantt chart is well-formed and the CSV has a row per layer and token")
    func timelineOutputs() throws {
        let s = try ReRAMSentence.group(records(sentence: 0, tokens: 7, windows: [1, 2], cls: false, clsLast: true))[0]
        let runs = ReRAMDesign.allCases.map { ("ReBERT-\($0.rawValue)", try! accelerator($0).cost(s, record: true).run) }
        let svg = PipelineTimeline.svg(runs, caption: "7 tokens <test> & more")
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n") && svg.contains("&lt;test&gt; &amp;"))
        let csv = PipelineTimeline.csvRows(runs[1].1, design: .basic, sentence: 0, tokens: 7)
        #expect(csv.split(separator: "\n").count == 2 * 7)
        #expect(csv.split(separator: "\n").allSatisfy { $0.split(separator: ",").count == PipelineTimeline.header.split(separator: ",").count })
    }
}
