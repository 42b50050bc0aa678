import AttendWorkload

/// SpAtten's cost of a list of workload rows: per (iteration, layer) group, per layer, per
/// iteration and in total.
///
/// Rows are grouped by runs of one (iteration, layer), in file order (the released files and
/// `SpAttenCSV.text` list a layer's heads together). A group's cycles are Σ over its heads of the
/// head's pipeline slot (`SpAttenAccelerator.head`) plus `pipeline_latency_cycles`; serial cycles
/// likewise with every unit one after the other.
public struct SpAttenWorkloadCost: Sendable {
    public struct Group: Sendable {
        public var iteration: Int, layer: Int
        public var cost: SpAttenCost
    }

    public var groups: [Group]
    public var phase: SpAttenPhase

    public var total: SpAttenCost { groups.reduce(SpAttenCost()) { $0 + $1.cost } }

    /// Σ over iterations, by layer (ascending).
    public var byLayer: [(layer: Int, cost: SpAttenCost)] { Self.sum(groups, by: \.layer).map { (layer: $0.key, cost: $0.cost) } }
    /// Σ over layers, by iteration (ascending).
    public var byIteration: [(iteration: Int, cost: SpAttenCost)] {
        Self.sum(groups, by: \.iteration).map { (iteration: $0.key, cost: $0.cost) }
    }

    static func sum(_ groups: [Group], by key: KeyPath<Group, Int>) -> [(key: Int, cost: SpAttenCost)] {
        var out: [Int: SpAttenCost] = [:]
        for g in groups { out[g[keyPath: key], default: SpAttenCost()] = out[g[keyPath: key], default: SpAttenCost()] + g.cost }
        return out.keys.sorted().map { ($0, out[$0]!) }
    }

    /// Costs every row of `rows` on `accelerator`, each row standing for the queries `phase` says.
    public init(_ rows: [SpAttenWorkloadRow], on accelerator: SpAttenAccelerator, phase: SpAttenPhase) {
        var groups: [Group] = []
        for row in rows {
            if groups.last.map({ $0.iteration != row.iteration || $0.layer != row.layer }) ?? true {
                var latency = SpAttenCost()
                (latency.cycles, latency.serialCycles) = (accelerator.config.pipelineLatencyCycles, accelerator.config.pipelineLatencyCycles)
                groups.append(Group(iteration: row.iteration, layer: row.layer, cost: latency))
            }
            groups[groups.count - 1].cost = groups[groups.count - 1].cost + accelerator.head(row, phase: phase)
        }
        (self.groups, self.phase) = (groups, phase)
    }
}
