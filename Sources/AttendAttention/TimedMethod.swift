import Dispatch
import Synchronization

/// Wraps a method and adds up the wall time its `attend` calls take (attention alone, without the
/// projections and FFN around it), for `attend eval --json`'s `attention_seconds`.
public struct TimedMethod: AttentionMethod {
    public let method: any AttentionMethod
    private let nanoseconds = Box()

    public init(_ method: any AttentionMethod) { self.method = method }

    public var name: String { method.name }
    /// Seconds spent in `attend` so far.
    public var seconds: Double { Double(nanoseconds.total.load(ordering: .relaxed)) / 1e9 }

    public func check(layers: Int) throws { try method.check(layers: layers) }

    public func attend(layer: Int, _ problems: [AttentionProblem], states: inout [AttentionState]) -> [[HeadWorkload]] {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { nanoseconds.total.add(DispatchTime.now().uptimeNanoseconds - start, ordering: .relaxed) }
        return method.attend(layer: layer, problems, states: &states)
    }

    private final class Box: Sendable { let total = Atomic<UInt64>(0) }
}
