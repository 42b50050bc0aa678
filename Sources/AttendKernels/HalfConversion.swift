/// IEEE binary16 (F16) and bfloat16 (BF16) → Float32 conversion.
///
/// The bulk routines read little-endian 16-bit values from raw, possibly unaligned memory (a
/// memory-mapped safetensors buffer) and write `Float`s. They are branch-free per element so
/// the compiler vectorizes them; the results are exact for every one of the 65,536 bit
/// patterns: ±0, subnormals (normalized into Float32), normals, ±inf, and NaNs (sign and payload
/// kept: the 10-bit F16 payload lands in the top of the 23-bit Float32 payload).
///
/// `slowF16ToF32` / `slowBF16ToF32` are the per-element slow twins the tests compare against.
public enum HalfConversion {
    // MARK: Bulk (fast) paths

    /// Converts `count` little-endian IEEE binary16 values at `source` (any alignment) into
    /// `destination[0..<count]`.
    @inlinable
    public static func f16ToF32(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(count >= 0)
        for i in 0..<count {
            let h = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 &* i, as: UInt16.self))
            destination[i] = Float(bitPattern: f16BitsToF32Bits(h))
        }
    }

    /// Converts `count` little-endian bfloat16 values at `source` (any alignment) into
    /// `destination[0..<count]`. bfloat16 is the top half of a Float32, so this is a shift.
    @inlinable
    public static func bf16ToF32(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(count >= 0)
        for i in 0..<count {
            let h = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 &* i, as: UInt16.self))
            destination[i] = Float(bitPattern: UInt32(h) &<< 16)
        }
    }

    /// Array convenience: converts F16 bit patterns to `Float`s.
    public static func f16ToF32(_ bits: [UInt16]) -> [Float] {
        convertArray(bits, f16ToF32)
    }

    /// Array convenience: converts BF16 bit patterns to `Float`s.
    public static func bf16ToF32(_ bits: [UInt16]) -> [Float] {
        convertArray(bits, bf16ToF32)
    }

    private static func convertArray(
        _ bits: [UInt16], _ convert: (UnsafeRawPointer, Int, UnsafeMutablePointer<Float>) -> Void
    ) -> [Float] {
        guard !bits.isEmpty else { return [] }
        return [Float](unsafeUninitializedCapacity: bits.count) { out, initialized in
            bits.withUnsafeBytes { convert($0.baseAddress!, bits.count, out.baseAddress!) }
            initialized = bits.count
        }
    }

    /// The Float32 bit pattern of the F16 value with bit pattern `h` (branch-free selects).
    @inlinable @inline(__always)
    public static func f16BitsToF32Bits(_ h: UInt16) -> UInt32 {
        let x = UInt32(h)
        let sign = (x & 0x8000) &<< 16
        let magnitude = x & 0x7FFF                       // exponent:mantissa, 15 bits
        let shifted = magnitude &<< 13                   // into Float32 position
        // Normal: rebias the exponent by 127 - 15 = 112.
        let normal = shifted &+ 0x3800_0000
        // Inf/NaN: all-ones exponent, mantissa (NaN payload) kept.
        let special = shifted | 0x7F80_0000
        // Zero/subnormal: value = mantissa × 2⁻²⁴ exactly (mantissa < 2¹⁰ converts exactly).
        let subnormal = (Float(Int32(bitPattern: magnitude)) * 0x1p-24).bitPattern
        let bits = magnitude < 0x0400 ? subnormal : (magnitude >= 0x7C00 ? special : normal)
        return bits | sign
    }

    // MARK: Slow twins

    /// Per-element F16 → Float32 by the textbook formula (−1)ˢ × 2^(e−15) × (1 + m/1024),
    /// subnormals 2⁻¹⁴ × m/1024, e = 31 → inf/NaN (payload placed as IEEE 754 widening does).
    public static func slowF16ToF32(_ h: UInt16) -> Float {
        let sign: Float = (h & 0x8000) != 0 ? -1 : 1
        let e = Int((h >> 10) & 0x1F)
        let m = Int(h & 0x3FF)
        if e == 0x1F {
            if m == 0 { return sign * .infinity }
            let bits: UInt32 = (h & 0x8000 != 0 ? 0x8000_0000 : 0) | 0x7F80_0000 | (UInt32(m) << 13)
            return Float(bitPattern: bits)
        }
        if e == 0 {
            // Subnormal or zero: m × 2⁻²⁴ (sign applied after, so −0 stays −0).
            var v = Float(m)
            for _ in 0..<24 { v /= 2 }
            return sign * v
        }
        var v = 1 + Float(m) / 1024
        if e >= 15 { for _ in 0..<(e - 15) { v *= 2 } } else { for _ in 0..<(15 - e) { v /= 2 } }
        return sign * v
    }

    /// Per-element BF16 → Float32: the BF16 bits are the upper half of the Float32 bits.
    public static func slowBF16ToF32(_ h: UInt16) -> Float {
        var bits: UInt32 = 0
        bits |= UInt32(h)
        bits = bits * 65536
        return Float(bitPattern: bits)
    }
}
