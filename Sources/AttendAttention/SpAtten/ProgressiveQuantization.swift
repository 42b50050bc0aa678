/// SpAtten's progressive quantization (Wang et al., HPCA 2021, §III-D; SPEC §4.5): Q, K and V are
/// stored linear-symmetric (`code = round(x / s)`, `s = max|x| / (2^(b−1) − 1)` per head and call, or
/// per token and head with `granularity` `.token`), K split
/// into its `keyBits` most significant bits and `lsbBits` least significant ones. Scores are first
/// computed from the MSBs; a row whose largest probability is below `threshold` fetches the LSBs and
/// is recomputed with the full `keyBits + lsbBits` code. Because ∂p_i/∂s_j = p_i(δ_ij − p_j), a
/// peaked row damps the MSB error, a flat one does not.
public struct ProgressiveQuantization: Sendable, Equatable, Codable {
    /// MSB bits of K (the first fetch) and the LSB bits fetched on requantization.
    public var keyBits: Int
    public var lsbBits: Int
    /// Bits of Q (fetched once, in full) and of V.
    public var queryBits: Int
    public var valueBits: Int
    /// Requantize a row when its maximum probability is below this (0 never requantizes).
    public var threshold: Double
    /// Which values share a scale.
    public var granularity: Granularity

    /// `.head`: one scale per head over all the rows of a call (the default; every encoder result).
    /// `.token`: one per row (token) and head, so a row's codes never change once written — what a
    /// KV cache can store: a decoder's layers then keep K and V as codes (`QuantizedKVCache`) and
    /// decode rows read only those (int8 MSBs, the LSBs for rows that requantize).
    public enum Granularity: String, Codable, Sendable, CaseIterable { case head, token }

    enum CodingKeys: String, CodingKey {
        case keyBits = "key_bits", lsbBits = "lsb_bits", queryBits = "query_bits", valueBits = "value_bits", threshold, granularity
    }

    /// Reads a plan's `quantization` object; absent fields take the defaults of `init`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let keyBits = try c.decodeIfPresent(Int.self, forKey: .keyBits) ?? 6
        let lsbBits = try c.decodeIfPresent(Int.self, forKey: .lsbBits) ?? 4
        let queryBits = try c.decodeIfPresent(Int.self, forKey: .queryBits) ?? keyBits + lsbBits
        let valueBits = try c.decodeIfPresent(Int.self, forKey: .valueBits) ?? keyBits + lsbBits
        let threshold = try c.decodeIfPresent(Double.self, forKey: .threshold) ?? 0.1
        let granularity = try c.decodeIfPresent(Granularity.self, forKey: .granularity) ?? .head
        guard keyBits >= 2, lsbBits >= 0, keyBits + lsbBits <= 24, (2...24).contains(queryBits), (2...24).contains(valueBits),
              (0...1).contains(threshold) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                "quantization: need 2 ≤ key_bits, 0 ≤ lsb_bits, key_bits + lsb_bits ≤ 24, query_bits and value_bits in 2…24, threshold in [0, 1]; got \(keyBits), \(lsbBits), \(queryBits), \(valueBits), \(threshold)"))
        }
        self.init(keyBits: keyBits, lsbBits: lsbBits, queryBits: queryBits, valueBits: valueBits, threshold: threshold, granularity: granularity)
    }

    /// Defaults: 6 + 4 bits for K, Q and V at the full 10, threshold 0.1 (the paper's common setting).
    public init(keyBits: Int = 6, lsbBits: Int = 4, queryBits: Int? = nil, valueBits: Int? = nil, threshold: Double = 0.1, granularity: Granularity = .head) {
        precondition(keyBits >= 2 && lsbBits >= 0 && keyBits + lsbBits <= 24, "progressive quantization: need 2 ≤ key_bits, 0 ≤ lsb_bits, key_bits + lsb_bits ≤ 24")
        (self.keyBits, self.lsbBits, self.threshold, self.granularity) = (keyBits, lsbBits, threshold, granularity)
        self.queryBits = queryBits ?? keyBits + lsbBits
        self.valueBits = valueBits ?? keyBits + lsbBits
        precondition((2...24).contains(self.queryBits) && (2...24).contains(self.valueBits), "progressive quantization: Q and V bits must be in 2…24")
    }

    /// rows × d values of x (row stride ld), quantized to `bits` bits — one scale over all of them, or
    /// one per row when `perRow` — and dequantized; with `droppedLSBs` > 0 only the top
    /// `bits − droppedLSBs` bits are kept and the value is the midpoint of the dropped range
    /// (`(⌊c / 2^l⌋ · 2^l + 2^(l−1)) · s`). Returns [rows, d].
    public static func quantized(_ x: UnsafePointer<Float>, ld: Int, rows: Int, d: Int, bits: Int, droppedLSBs: Int = 0, perRow: Bool = false) -> [Float] {
        precondition(bits >= 2 && droppedLSBs >= 0 && droppedLSBs < bits, "quantization: \(bits) bits, \(droppedLSBs) dropped")
        var out = [Float](repeating: 0, count: rows * d)
        let step = Float(1 << droppedLSBs)
        let callScale = perRow ? 0 : scale(x, ld: ld, rows: rows, d: d, bits: bits)
        for i in 0..<rows {
            let s = perRow ? scale(x + i * ld, ld: ld, rows: 1, d: d, bits: bits) : callScale
            guard s > 0 else { continue }
            for c in 0..<d {
                var code = self.code(x[i * ld + c], scale: s, bits: bits)
                if droppedLSBs > 0 { code = (code / step).rounded(.down) * step + step / 2 }
                out[i * d + c] = code * s
            }
        }
        return out
    }

    /// s = max|x| / (2^(bits−1) − 1) over rows × d values (0 when all are 0).
    static func scale(_ x: UnsafePointer<Float>, ld: Int, rows: Int, d: Int, bits: Int) -> Float {
        var maxAbs: Float = 0
        for i in 0..<rows { for c in 0..<d { maxAbs = max(maxAbs, abs(x[i * ld + c])) } }
        return maxAbs / Float((1 << (bits - 1)) - 1)
    }

    /// clamp(round(x / s), ±(2^(bits−1) − 1)), an integer held in a Float.
    @inline(__always) static func code(_ x: Float, scale s: Float, bits: Int) -> Float {
        let top = Float((1 << (bits - 1)) - 1)
        return min(top, max(-top, (x / s).rounded()))
    }
}
