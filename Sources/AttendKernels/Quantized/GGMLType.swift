import CAttendKernels

/// The GGML tensor element types Attend reads and multiplies (the ids are ggml's `ggml_type`).
///
/// Quantized types store a row as blocks of `blockElements` values in `blockBytes` bytes
/// (little-endian, F16 scales), as defined in ggml's `ggml-common.h`:
/// - `q4_0`: 32 values, 18 bytes: F16 d, 16 bytes of nibbles; value = d·(q − 8), q ∈ [0, 15].
/// - `q4_1`: 32 values, 20 bytes: F16 d, F16 m, 16 bytes of nibbles; value = d·q + m.
///   (Byte j holds value j in its low nibble and value j + 16 in its high nibble, for both.)
/// - `q8_0`: 32 values, 34 bytes: F16 d, 32 × int8 q; value = d·q.
/// - `q4_K`: 256 values, 144 bytes: F16 d, F16 dmin, 12 bytes of eight 6-bit (scale, min) pairs,
///   128 bytes of nibbles; sub-block s of 32: value = d·scale_s·q − dmin·min_s.
/// - `q6_K`: 256 values, 210 bytes: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 ×
///   int8 scales, F16 d; sub-block s of 16: value = d·scale_s·(q − 32), q ∈ [0, 63].
/// - `f32`, `f16`, `bf16`: one value per "block".
public enum GGMLType: UInt32, Sendable, CaseIterable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q8_0 = 8, q4_K = 12, q6_K = 14, bf16 = 30

    /// ggml's name of the type ("Q4_1", "F32", …).
    public var name: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q8_0: return "Q8_0"
        case .q4_K: return "Q4_K"
        case .q6_K: return "Q6_K"
        case .bf16: return "BF16"
        }
    }

    /// Values per block (1 for the float types).
    public var blockElements: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q8_0: return 32
        case .q4_K, .q6_K: return 256
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18
        case .q4_1: return 20
        case .q8_0: return 34
        case .q4_K: return 144
        case .q6_K: return 210
        }
    }

    /// Bytes of a row of `columns` values: (columns / blockElements) · blockBytes, or nil unless
    /// columns is a non-negative multiple of `blockElements` and the size fits in an `Int`.
    public func rowBytes(columns: Int) -> Int? {
        guard columns >= 0, columns % blockElements == 0 else { return nil }
        let (bytes, overflow) = (columns / blockElements).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }

    /// ggml's names of the type ids it defines (for error messages about types Attend does not
    /// read); nil for ids ggml does not define.
    public static func ggmlName(id: UInt32) -> String? {
        let names: [UInt32: String] = [
            0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
            10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS",
            17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S",
            23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M",
            30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
        ]
        return names[id]
    }
}

extension GGMLType {
    /// Dequantizes `count` values (a multiple of `blockElements`) stored at `source` (any alignment)
    /// into `destination[0..<count]`.
    public func dequantize(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(count >= 0 && count % blockElements == 0, "\(name): \(count) values is not a whole number of blocks")
        attend_quant_dequantize(Int32(rawValue), source, Int64(count), destination)
    }
}
