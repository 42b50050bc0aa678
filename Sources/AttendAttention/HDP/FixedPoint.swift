import CAttendKernels

/// Signed fixed point for HDP's Q and K (SPEC §4.4): `code = round(x · 2^f)` (half away from zero),
/// saturated to `[−2^(t−1), 2^(t−1) − 1]` (t = `totalBits`, f = `fractionBits`), value `code / 2^f`.
///
/// The split into integer and fraction parts is the two's-complement bit split at the binary point:
/// `integer = ⌊code / 2^f⌋` (an arithmetic shift — floor, also for negative numbers) and
/// `fraction = code − integer · 2^f ∈ [0, 2^f)`, so `x ≈ integer + fraction / 2^f` with a
/// non-negative fraction. Floor rather than truncation toward zero because it is what the hardware
/// gets for free (the high bits are the integer part, the low bits the fraction; no sign logic), the
/// dropped Q_F·K_F term is then bounded in `[0, d)`, and −0.25 keeps a nonzero integer part (−1) in
/// the importance proxy instead of vanishing. Every HDP path uses this split.
public struct FixedPoint: Sendable, Equatable, Codable {
    public let totalBits: Int
    public let fractionBits: Int

    /// The default: 16 bits, 8 of them fractional (range [−128, 128), resolution 1/256).
    public init(totalBits: Int = 16, fractionBits: Int = 8) {
        precondition((2...16).contains(totalBits) && (0..<totalBits).contains(fractionBits), "fixed point: need 2 ≤ total ≤ 16, 0 ≤ fraction < total")
        (self.totalBits, self.fractionBits) = (totalBits, fractionBits)
    }

    public var minCode: Int32 { -(1 << (totalBits - 1)) }
    public var maxCode: Int32 { (1 << (totalBits - 1)) - 1 }

    /// The code of x (NaN → 0).
    @inline(__always)
    public func code(_ x: Float) -> Int32 {
        let scaled = (x * Float(1 << fractionBits)).rounded()
        if !(scaled > Float(minCode)) { return scaled.isNaN ? 0 : minCode }
        return scaled >= Float(maxCode) ? maxCode : Int32(scaled)
    }

    /// (⌊code / 2^f⌋, code mod 2^f): the integer part and the non-negative fraction.
    @inline(__always)
    public func split(_ code: Int32) -> (integer: Int32, fraction: Int32) {
        let integer = code >> Int32(fractionBits)
        return (integer, code - integer << Int32(fractionBits))
    }
}

extension FixedPoint {
    /// `split(code(x))` for every entry of x: [rows, d] (row stride ld), side by side: [rows, 2d], each
    /// row the d fraction parts then the d integer parts (`fractionFirst`) or the other way round.
    /// The vectorized C twin of `code` and `split`, which stay the reference.
    public func splitRows(_ x: UnsafePointer<Float>, ld: Int, rows: Int, d: Int, fractionFirst: Bool) -> [Int16] {
        [Int16](unsafeUninitializedCapacity: rows * 2 * d) { parts, count in
            splitRows(x, ld: ld, rows: rows, d: d, fractionFirst: fractionFirst, into: parts.baseAddress!)
            count = rows * 2 * d
        }
    }

    /// `splitRows` into parts: [rows, 2d] (every entry written).
    public func splitRows(_ x: UnsafePointer<Float>, ld: Int, rows: Int, d: Int, fractionFirst: Bool, into parts: UnsafeMutablePointer<Int16>) {
        attend_fixed_point_split(Int32(rows), Int32(d), x, Int32(ld), Int32(totalBits), Int32(fractionBits), fractionFirst ? 1 : 0, parts)
    }
}
