/// Slow twins of the quantized kernels, written from the block definitions (see `GGMLType`) in
/// Float64, independently of the C code: one value at a time, bit fields extracted by division.
extension Reference {
    /// The `count` values (a multiple of `type.blockElements`) stored in `bytes`, in Float64.
    public static func dequantize(_ type: GGMLType, bytes: [UInt8], count: Int) -> [Double] {
        precondition(count % type.blockElements == 0 && bytes.count >= count / type.blockElements * type.blockBytes)
        func u16(_ i: Int) -> UInt16 { UInt16(bytes[i]) + 256 * UInt16(bytes[i + 1]) }
        func half(_ i: Int) -> Double { Double(HalfConversion.slowF16ToF32(u16(i))) }
        func signed(_ b: UInt8) -> Double { b < 128 ? Double(b) : Double(b) - 256 }
        var out: [Double] = []
        out.reserveCapacity(count)
        for block in 0..<(count / type.blockElements) {
            let o = block * type.blockBytes
            switch type {
            case .f32:
                let bits = (0..<4).reduce(UInt32(0)) { $0 + UInt32(bytes[o + $1]) << (8 * UInt32($1)) }
                out.append(Double(Float(bitPattern: bits)))
            case .f16:
                out.append(half(o))
            case .bf16:
                out.append(Double(HalfConversion.slowBF16ToF32(u16(o))))
            case .q4_0, .q4_1:
                // Value j < 16 is the low nibble of byte j, value j ≥ 16 the high nibble of byte j − 16.
                let d = half(o), m = type == .q4_1 ? half(o + 2) : 0
                let qs = o + (type == .q4_1 ? 4 : 2)
                for j in 0..<32 {
                    let byte = Int(bytes[qs + j % 16])
                    let q = Double(j < 16 ? byte % 16 : byte / 16)
                    out.append(type == .q4_1 ? d * q + m : d * (q - 8))
                }
            case .q8_0:
                let d = half(o)
                for j in 0..<32 { out.append(d * signed(bytes[o + 2 + j])) }
            case .q4_K:
                // 8 sub-blocks of 32; 6-bit scale and min of sub-block s: for s < 4 bytes s and s + 4 (low
                // 6 bits); for s ≥ 4 the low nibble / high nibble of byte s + 4, with the top 2 bits
                // taken from bytes s − 4 and s. Value = d·scale·q − dmin·min.
                let d = half(o), dmin = half(o + 2)
                let sc = Array(bytes[(o + 4)..<(o + 16)])
                for s in 0..<8 {
                    let scale: Int, min: Int
                    if s < 4 {
                        scale = Int(sc[s]) % 64
                        min = Int(sc[s + 4]) % 64
                    } else {
                        scale = Int(sc[s + 4]) % 16 + (Int(sc[s - 4]) / 64) * 16
                        min = Int(sc[s + 4]) / 16 + (Int(sc[s]) / 64) * 16
                    }
                    // Sub-blocks 2g and 2g + 1 share the 32 bytes of group g: low nibbles, then high.
                    let group = o + 16 + (s / 2) * 32
                    for l in 0..<32 {
                        let byte = Int(bytes[group + l])
                        let q = s % 2 == 0 ? byte % 16 : byte / 16
                        out.append(d * Double(scale) * Double(q) - dmin * Double(min))
                    }
                }
            case .q6_K:
                // Value i of the block, half h = i / 128, position p = i % 128, quarter t = p / 32, l = p % 32:
                // low 4 bits from ql[64h + l + 32·(t % 2)] (low nibble for t < 2, high for t ≥ 2), high 2 bits
                // from bits 2t..2t+1 of qh[32h + l]; q − 32 scaled by d·scales[8h + 2t + l / 16].
                let d = half(o + 208)
                for i in 0..<256 {
                    let h = i / 128, p = i % 128, t = p / 32, l = p % 32
                    let low = Int(bytes[o + 64 * h + l + 32 * (t % 2)])
                    let lowBits = t < 2 ? low % 16 : low / 16
                    let highBits = (Int(bytes[o + 128 + 32 * h + l]) >> (2 * t)) % 4
                    let scale = signed(bytes[o + 192 + 8 * h + 2 * t + l / 16])
                    out.append(d * scale * Double(lowBits + 16 * highBits - 32))
                }
            }
        }
        return out
    }

    /// `out[i, r] = Σ_c x[i, c] · W[r, c]` in Float64 for W: [rows, columns] stored as `type` blocks
    /// (rows back to back) and x: [n, columns].
    public static func quantizedMultiply(_ type: GGMLType, weights: [UInt8], rows: Int, columns: Int, x: [Float], n: Int) -> [Double] {
        let w = dequantize(type, bytes: weights, count: rows * columns)
        var out = [Double](repeating: 0, count: n * rows)
        for i in 0..<n {
            for r in 0..<rows {
                var s = 0.0
                for c in 0..<columns { s += Double(x[i * columns + c]) * w[r * columns + c] }
                out[i * rows + r] = s
            }
        }
        return out
    }
}
