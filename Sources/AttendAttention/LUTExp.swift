import Foundation

/// ReBERT's table-based exponential for softmax (Kang, Shin, Kim, IEEE TCAD 2022; SPEC §4.3).
///
/// After max subtraction every softmax input is x ≤ 0. It is quantised to a fixed-point code
/// `c = round(−x · 2^f)` (f = `fractionBits`), saturating at `2^(i+f) − 1` (i = `integerBits`, so
/// inputs below −2^i read the last entry); the code splits into its high bits c_MSB and its low
/// `lsbBits` bits c_LSB, and `e^x ≈ MSB[c_MSB] · LSB[c_LSB]` with
/// `MSB[a] = e^{−a·2^{lsb}/2^f}` and `LSB[b] = e^{−b/2^f}` — two small tables and one multiply.
///
/// Error (tested over every input code and the whole range): while the code does not saturate
/// (x ≥ −(c_max + ½)/2^f, c_max = 2^(i+f) − 1) rounding to the nearest code gives
/// `|LUT(x) − e^x| ≤ e^x·(e^{2^{−(f+1)}} − 1)` plus Float32 rounding of the tables and the
/// product (≤ 3 ulp); below that the result is the last entry e^{−c_max/2^f} < e^{−2^i + 2^{−f}},
/// which bounds the absolute error. With the defaults (i = 4, f = 8, 6 LSB bits: tables of 64 and
/// 64 entries) the absolute error is ≤ 2.0e-3 · e^x + 1.2e-7.
public struct LUTExp: Sendable, Equatable, Codable {
    public let integerBits: Int
    public let fractionBits: Int
    public let lsbBits: Int
    /// MSB: [2^(i+f−lsb)], LSB: [2^lsb].
    public let msbTable: [Float]
    public let lsbTable: [Float]

    public init(integerBits: Int = 4, fractionBits: Int = 8, lsbBits: Int = 6) {
        precondition(integerBits >= 0 && fractionBits >= 0 && lsbBits >= 0 && lsbBits <= integerBits + fractionBits,
                     "LUT exp: need 0 ≤ lsbBits ≤ integerBits + fractionBits")
        precondition(integerBits + fractionBits <= 24, "LUT exp: at most 24 code bits")
        (self.integerBits, self.fractionBits, self.lsbBits) = (integerBits, fractionBits, lsbBits)
        let step = 1 / Double(1 << fractionBits)
        msbTable = (0..<(1 << (integerBits + fractionBits - lsbBits))).map { Float(Foundation.exp(-Double($0 << lsbBits) * step)) }
        lsbTable = (0..<(1 << lsbBits)).map { Float(Foundation.exp(-Double($0) * step)) }
    }

    /// Largest code: 2^(i+f) − 1.
    public var maxCode: Int { (1 << (integerBits + fractionBits)) - 1 }

    /// e^x for x ≤ 0 (x > 0 is treated as 0; −∞ and NaN give 0).
    @inline(__always)
    public func callAsFunction(_ x: Float) -> Float {
        guard x > -.infinity else { return 0 }  // −∞ (a masked entry) and NaN
        let scaled = (-min(x, 0) * Float(1 << fractionBits)).rounded()
        let code = scaled >= Float(maxCode) ? maxCode : Int(scaled)
        return msbTable[code >> lsbBits] * lsbTable[code & ((1 << lsbBits) - 1)]
    }

    /// The documented bound on |LUT(x) − e^x| at x ≤ 0.
    public func errorBound(at x: Double) -> Double {
        let e = Foundation.exp(x)
        let quantisation = Foundation.exp(1 / Double(1 << (fractionBits + 1))) - 1
        let rounding = 3 * Double(Float.ulpOfOne)
        let lastCode = Double(maxCode) / Double(1 << fractionBits)
        if x >= -lastCode - 0.5 / Double(1 << fractionBits) {
            return e * (quantisation + rounding) + Double(Float.leastNormalMagnitude)
        }
        return Foundation.exp(-lastCode) * (1 + rounding)
    }
}
