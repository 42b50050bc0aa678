import Foundation

/// A dyadic number b / 2^c (integer b, shift c) standing for a real multiplier m: I-BERT's
/// requantization (Kim et al. 2021, §3.1, after Yao et al.'s HAWQ-V3) multiplies an integer by b and
/// shifts right by c, so a change of scale costs no floating point at run time. Built once (in
/// Float64, when a model is quantized); applied by the integer kernels as ⌊x·b/2^c + 1/2⌋.
public struct Dyadic: Sendable, Equatable {
    /// b: |b| < 2^bits.
    public let multiplier: Int64
    /// c ∈ 1...62.
    public let shift: Int

    /// The nearest dyadic to `m` with |b| < 2^bits: c = bits − e for m = f·2^e, f ∈ [0.5, 1), so
    /// 2^(bits−1) ≤ |b| < 2^bits and |b/2^c − m| ≤ 2^(−c−1) (relative error ≤ 2^−bits). Multipliers
    /// so small that c would pass 62 keep c = 62 (absolute error ≤ 2^−63); 0 is b = 0, c = 1.
    public init(_ m: Double, bits: Int = 31) {
        precondition(m.isFinite && (1...62).contains(bits), "dyadic of \(m) with \(bits) bits")
        guard m != 0 else { multiplier = 0; shift = 1; return }
        let e = Int(m.exponent) + 1  // m = f·2^e with |f| ∈ [0.5, 1)
        var c = min(62, bits - e)
        precondition(c >= 1, "multiplier \(m) is too large for a dyadic with \(bits) bits (needs < 2^\(bits - 1))")
        var b = (m * Foundation.pow(2, Double(c))).rounded(.toNearestOrAwayFromZero)
        if abs(b) >= Foundation.pow(2, Double(bits)) { b /= 2; c -= 1 }
        precondition(c >= 1, "multiplier \(m) is too large for a dyadic with \(bits) bits")
        multiplier = Int64(b)
        shift = c
    }

    /// b / 2^c.
    public var value: Double { Double(multiplier) / Foundation.pow(2, Double(shift)) }
}
