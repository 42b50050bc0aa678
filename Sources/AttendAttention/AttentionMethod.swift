import Foundation

/// Per-sequence state that a method threads through the layers of one forward pass (SPEC §3):
/// which tokens and heads survive, and accumulated importance for cascade pruning.
public struct AttentionState: Sendable, Equatable {
    /// Original positions of the tokens still in the sequence, in order (starts `0..<n`). A method
    /// prunes tokens by removing positions ([CLS] = 0 never); the model then compacts its hidden
    /// rows (attention and FFN) to the survivors before the next layer.
    public var positions: [Int]
    /// Heads pruned so far (a method that cascades keeps them pruned in later layers).
    public var prunedHeads: Set<Int>
    /// Accumulated importance per original token position and per head (SpAtten); empty until a
    /// method fills them.
    public var tokenImportance: [Float]
    public var headImportance: [Float]

    public init(length: Int) {
        positions = Array(0..<length)
        prunedHeads = []
        tokenImportance = []
        headImportance = []
    }
}

/// The one interface a model layer calls for attention (SPEC §2). A method is a small value
/// holding only its settings; it runs one layer for a batch of sequences — `problems[b]` is
/// sequence b, whose queries and keys are its surviving tokens — writes each problem's output, may
/// update the sequences' states, and returns what it did: one record per (sequence, head).
public protocol AttentionMethod: Sendable {
    /// The name used by `--attention` and in plan files.
    var name: String { get }

    func attend(layer: Int, _ problems: [AttentionProblem], states: inout [AttentionState]) -> [[HeadWorkload]]
}

/// Dense Float32 reference attention (`DenseAttention`): materialises each head's score matrix.
public struct DenseMethod: AttentionMethod {
    public init() {}
    public var name: String { "dense" }

    public func attend(layer: Int, _ problems: [AttentionProblem], states: inout [AttentionState]) -> [[HeadWorkload]] {
        DenseAttention.run(problems)
    }
}

/// Tiled exact attention (`TiledAttention`, FlashAttention's online softmax), the fast exact path.
public struct TiledMethod: AttentionMethod {
    public init() {}
    public var name: String { "tiled" }

    public func attend(layer: Int, _ problems: [AttentionProblem], states: inout [AttentionState]) -> [[HeadWorkload]] {
        TiledAttention.run(problems).map(\.workloads)
    }
}

/// An attention method by name, or a plan file naming one (JSON: `{"method": "tiled"}`; methods of
/// later issues add their settings to the plan).
public enum AttentionMethods {
    /// Names accepted by `--attention`.
    public static let names = ["dense", "tiled"]

    /// The method called `name`.
    public static func named(_ name: String) throws -> any AttentionMethod {
        switch name {
        case "dense": return DenseMethod()
        case "tiled": return TiledMethod()
        default: throw AttentionPlanError.unknownMethod(name, known: names)
        }
    }

    /// The method a plan file describes (`source` names the file in errors).
    public static func plan(json: Data, source: String) throws -> any AttentionMethod {
        struct Plan: Decodable { let method: String }
        let plan: Plan
        do { plan = try JSONDecoder().decode(Plan.self, from: json) } catch {
            throw AttentionPlanError.malformed(source, "expected a JSON object with a string field \"method\" (\(error.localizedDescription))")
        }
        guard names.contains(plan.method) else {
            throw AttentionPlanError.malformed(source, "unknown method \"\(plan.method)\"; expected one of \(names.joined(separator: ", "))")
        }
        return try named(plan.method)
    }
}

/// Errors choosing an attention method.
public enum AttentionPlanError: Error, CustomStringConvertible, Equatable {
    case unknownMethod(String, known: [String])
    case malformed(String, String)

    public var description: String {
        switch self {
        case let .unknownMethod(name, known): return "unknown attention method '\(name)'; expected one of \(known.joined(separator: ", "))"
        case let .malformed(source, reason): return "\(source): invalid attention plan: \(reason)"
        }
    }
}
