import AttendHardware
import Testing

@Suite("ReBERT ReRAM pipeline")
struct ReRAMPipelineTests {
    static let tokens = [1, 2, 7, 64]
    static let depths = [1, 2, 3, 6]

    func simulated(_ n: Int, windows: [Int], cls: Bool = false, shared: Bool, m: Int = 3) -> Double {
        let layers = windows.map { PipelineLayer(window: min($0, n - 1), clsAttendsAll: cls) }
        return PipelineSimulation.run(tokens: n, layers: layers, latencies: Array(repeating: .unit(postStages: m), count: layers.count),
                                      sharedArrays: shared).latency
    }

    @Test("separate write arrays (advanced) equal their closed form", arguments: tokens)
    func separateClosedForm(n: Int) {
        for layers in Self.depths {
            for w in [0, 1, n] {
                for cls in [false, true] {
                    for m in [1, 3] {
                        let windows = Array(repeating: w, count: layers)
                        #expect(simulated(n, windows: windows, cls: cls, shared: false, m: m)
                                == Double(PipelineClosedForm.separate(tokens: n, windows: windows, clsAttendsAll: cls, postStages: m)),
                                "N \(n), W \(w), L \(layers), cls \(cls), m \(m)")
                    }
                }
            }
            // Per-layer windows, as a searched plan has.
            let mixed = (0..<layers).map { [1, 4, 8, 8, 2, 1][$0 % 6] }
            #expect(simulated(n, windows: mixed, shared: false) == Double(PipelineClosedForm.separate(tokens: n, windows: mixed, postStages: 3)))
        }
    }

    @Test("shared arrays (basic) equal their closed form", arguments: tokens)
    func sharedClosedForm(n: Int) {
        for layers in Self.depths {
            for w in [0, 1, 3, n] {
                for cls in [false, true] {
                    #expect(simulated(n, windows: Array(repeating: w, count: layers), cls: cls, shared: true)
                            == Double(PipelineClosedForm.shared(tokens: n, window: w, layers: layers, clsAttendsAll: cls, postStages: 3)),
                            "N \(n), W \(w), L \(layers), cls \(cls)")
                }
            }
        }
    }

    @Test("a window ≥ N is the baseline exactly, and [CLS] attending all keys brings the full data hazard back")
    func windowAtLeastN() {
        let latencies = StageLatencies(generate: 1600, write: 1650, attention: 2450, softmaxLanes: 16, softmaxCycle: 0.83, post: [1700, 1700, 1700])
        for n in [1, 2, 7, 64, 97] {
            let dense = PipelineSimulation.run(tokens: n, layers: Array(repeating: PipelineLayer(window: n - 1), count: 6),
                                               latencies: Array(repeating: latencies, count: 6), sharedArrays: true, record: true)
            for w in [n - 1, n, n + 5] {
                let windowed = PipelineSimulation.run(tokens: n, layers: Array(repeating: PipelineLayer(window: min(w, n - 1)), count: 6),
                                                      latencies: Array(repeating: latencies, count: 6), sharedArrays: true, record: true)
                #expect(windowed == dense)
            }
            let cls = PipelineSimulation.run(tokens: n, layers: Array(repeating: PipelineLayer(window: 1, clsAttendsAll: true), count: 6),
                                             latencies: Array(repeating: latencies, count: 6), sharedArrays: true)
            // Same times as dense; only the softmax term (fewer keys per query) may make it shorter.
            #expect(cls.latency <= dense.latency && cls.latency >= dense.latency - Double(6 * n) * 64 * 0.83)
        }
    }

    @Test("stalls: dense waits on data only; basic's windows add structural stalls, advanced has none")
    func stallCauses() {
        let unit = Array(repeating: StageLatencies.unit(postStages: 3), count: 3)
        let dense = PipelineSimulation.run(tokens: 16, layers: Array(repeating: PipelineLayer(window: 15), count: 3), latencies: unit, sharedArrays: true)
        #expect(dense.stalls.data > 0 && dense.stalls.structural == 0)
        let basic = PipelineSimulation.run(tokens: 16, layers: Array(repeating: PipelineLayer(window: 2), count: 3), latencies: unit, sharedArrays: true)
        #expect(basic.stalls.structural > 0 && basic.stalls.data > 0)
        let advanced = PipelineSimulation.run(tokens: 16, layers: Array(repeating: PipelineLayer(window: 2), count: 3), latencies: unit, sharedArrays: false)
        #expect(advanced.stalls.structural == 0 && advanced.latency < basic.latency && basic.latency < dense.latency)
    }

    @Test("allowed entries per layer equal the per-query count summed", arguments: [1, 2, 3, 7, 97])
    func allowedEntries(n: Int) {
        for w in [0, 1, 2, 5, n - 1, n + 3] {
            for cls in [false, true] {
                let layer = PipelineLayer(window: min(w, n - 1), clsAttendsAll: cls)
                let sum = (0..<n).reduce(0) { $0 + layer.allowedKeys($1, tokens: n) }
                #expect(sum == PipelineLayer.allowedEntries(tokens: n, window: w, clsAttendsAll: cls))
            }
        }
    }
}
