import AttendWorkload

/// An accelerator's cost of a whole trace, per layer and in total, beside dense attention on the
/// same accelerator and inputs.
public struct TraceCost: Sendable {
    public struct Layer: Sendable {
        public var layer: Int
        /// Σ over sentences of the layer's scheduled cycles (heads spread over the cores).
        public var cycles = 0, denseCycles = 0
        public var cost = AcceleratorCost(), dense = AcceleratorCost()
    }

    public var layers: [Layer]
    /// Sentences (runs of records with one sentence index; a trace lists each sentence's records together).
    public var sentences: Int

    public var cycles: Int { layers.reduce(0) { $0 + $1.cycles } }
    public var denseCycles: Int { layers.reduce(0) { $0 + $1.denseCycles } }
    public var total: AcceleratorCost { layers.reduce(AcceleratorCost()) { $0 + $1.cost } }
    public var denseTotal: AcceleratorCost { layers.reduce(AcceleratorCost()) { $0 + $1.dense } }

    /// Costs every record of `records` on `accelerator` with `mechanisms`.
    public init(_ records: [TraceRecord], on accelerator: HDPAccelerator, mechanisms: HDPAccelerator.Mechanisms = .init()) {
        var byLayer: [Layer] = []
        var group: [AcceleratorCost] = [], denseGroup: [AcceleratorCost] = []
        var key: (sentence: Int, layer: Int)? = nil
        var sentences = 0, lastSentence: Int? = nil
        func close() {
            guard let k = key else { return }
            byLayer[k.layer].cycles += accelerator.scheduledCycles(group)
            byLayer[k.layer].denseCycles += accelerator.scheduledCycles(denseGroup)
            (group, denseGroup) = ([], [])
        }
        for record in records {
            if key.map({ $0.sentence != record.sentence || $0.layer != record.layer }) ?? true { close(); key = (record.sentence, record.layer) }
            if lastSentence != record.sentence { (sentences, lastSentence) = (sentences + 1, record.sentence) }
            while byLayer.count <= record.layer { byLayer.append(Layer(layer: byLayer.count)) }
            let cost = accelerator.head(record.workload, mechanisms: mechanisms), dense = accelerator.denseHead(record.workload)
            group.append(cost); denseGroup.append(dense)
            byLayer[record.layer].cost = byLayer[record.layer].cost + cost
            byLayer[record.layer].dense = byLayer[record.layer].dense + dense
        }
        close()
        layers = byLayer
        self.sentences = sentences
    }
}
