import AttendWorkload
import Foundation

/// How the next token is chosen from a row of logits.
public struct Sampler: Sendable {
    /// 0 = greedy (argmax, the lowest id among ties, as `torch.argmax`).
    public var temperature: Double
    /// Nucleus sampling (Holtzman et al. 2020): sample among the most probable tokens whose
    /// probabilities first reach `topP` in total (1 = all).
    public var topP: Double
    private var generator: SplitMix64

    public init(temperature: Double = 0, topP: Double = 1, seed: UInt64 = 0) {
        precondition(temperature >= 0 && temperature.isFinite, "temperature must be ≥ 0")
        precondition(topP > 0 && topP <= 1, "top-p must be in (0, 1]")
        (self.temperature, self.topP, generator) = (temperature, topP, SplitMix64(seed: seed))
    }

    /// The next token for `logits: [V]`. Sampling: p = softmax(logits / T) in Double, ids sorted by
    /// p (descending, ties by id), cut after the cumulative mass reaches top-p, renormalised, then
    /// one uniform draw from the seeded SplitMix64.
    public mutating func next(_ logits: UnsafeBufferPointer<Float>) -> Int {
        if temperature == 0 { return Self.argmax(logits) }
        let maximum = Double(logits[Self.argmax(logits)])
        var probabilities = logits.map { Foundation.exp((Double($0) - maximum) / temperature) }
        let total = probabilities.reduce(0, +)
        for i in probabilities.indices { probabilities[i] /= total }
        let order = probabilities.indices.sorted { probabilities[$0] != probabilities[$1] ? probabilities[$0] > probabilities[$1] : $0 < $1 }
        var kept = 0, mass = 0.0
        while kept < order.count && (kept == 0 || mass < topP) { mass += probabilities[order[kept]]; kept += 1 }
        let u = Double(generator.next() >> 11) * 0x1p-53 * mass
        var cumulative = 0.0
        for id in order.prefix(kept) {
            cumulative += probabilities[id]
            if u < cumulative { return id }
        }
        return order[kept - 1]
    }

    /// Index of the largest value, the first among equals.
    public static func argmax(_ x: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in x.indices where x[i] > x[best] { best = i }
        return best
    }
}
