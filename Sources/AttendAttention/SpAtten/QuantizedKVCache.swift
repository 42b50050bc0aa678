import CAttendKernels

/// One decoder layer's keys and values as SpAtten's progressive quantization stores them, with a
/// scale per token and KV head (`ProgressiveQuantization.Granularity.token`; SPEC §4.5): row r holds
/// the token at `AttentionState.positions[r]`. Per element of K the full code
/// c = clamp(round(k / s), ±(2^(b−1) − 1)) with b = keyBits + lsbBits is split into its MSBs
/// ⌊c / 2^l⌋ (int8) and LSBs c − ⌊c / 2^l⌋·2^l (uint8, l = lsbBits), held in separate arrays as the
/// paper keeps them in separate DRAM regions; V is held as valueBits-bit codes (int8). Decode rows
/// read the MSBs and V codes only, the LSBs for rows that requantize — a quarter of the Float32
/// cache's bytes per fetched value. The rows' codes are exactly the ones `ProgressiveQuantization.quantized`
/// (`perRow`) dequantizes, so this cache and the per-call path compute the same attention.
///
/// A reference type so that the `AttentionState` holding it is copied cheaply; the method that owns
/// the layer's state appends and compacts it.
public final class QuantizedKVCache: @unchecked Sendable, Equatable {
    public let kvHeads: Int, headDim: Int
    public let keyBits: Int, lsbBits: Int, valueBits: Int
    /// Rows held.
    public private(set) var rows = 0
    /// [rows, kvHeads·headDim] each.
    private(set) var keyMSBs: [Int8] = [], keyLSBs: [UInt8] = [], valueCodes: [Int8] = []
    /// [rows, kvHeads] each.
    private(set) var keyScales: [Float] = [], valueScales: [Float] = []

    /// Whether a setting's codes fit this cache's int8 / uint8 arrays (MSBs and V in ≤ 8 bits, LSBs ≤ 8).
    public static func fits(_ q: ProgressiveQuantization) -> Bool {
        q.granularity == .token && q.keyBits <= 8 && q.lsbBits <= 8 && q.valueBits <= 8
    }

    public init(kvHeads: Int, headDim: Int, quantization q: ProgressiveQuantization) {
        precondition(Self.fits(q), "QuantizedKVCache: needs token granularity and key, LSB and value bits ≤ 8")
        (self.kvHeads, self.headDim, keyBits, lsbBits, valueBits) = (kvHeads, headDim, q.keyBits, q.lsbBits, q.valueBits)
    }

    var width: Int { kvHeads * headDim }

    /// Appends n rows of K and V ([n, kvHeads·headDim] at strides ldk, ldv), quantized.
    public func append(k: UnsafePointer<Float>, ldk: Int, v: UnsafePointer<Float>, ldv: Int, rows n: Int) {
        let (bits, step) = (keyBits + lsbBits, Float(1 << lsbBits))
        for i in 0..<n {
            for g in 0..<kvHeads {
                let key = k + i * ldk + g * headDim, value = v + i * ldv + g * headDim
                let ks = ProgressiveQuantization.scale(key, ld: headDim, rows: 1, d: headDim, bits: bits)
                let vs = ProgressiveQuantization.scale(value, ld: headDim, rows: 1, d: headDim, bits: valueBits)
                keyScales.append(ks)
                valueScales.append(vs)
                for c in 0..<headDim {
                    let code = ks > 0 ? ProgressiveQuantization.code(key[c], scale: ks, bits: bits) : 0
                    let msb = (code / step).rounded(.down)
                    keyMSBs.append(Int8(msb))
                    keyLSBs.append(UInt8(code - msb * step))
                    valueCodes.append(vs > 0 ? Int8(ProgressiveQuantization.code(value[c], scale: vs, bits: valueBits)) : 0)
                }
            }
        }
        rows += n
    }

    /// Keeps rows `kept` (ascending indices of rows held), compacted to the front in that order.
    public func keep(_ kept: [Int]) {
        precondition(zip(kept, kept.dropFirst()).allSatisfy { $0 < $1 } && (kept.last ?? -1) < rows, "QuantizedKVCache.keep: indices must ascend within the rows held")
        func compact<T>(_ a: inout [T], _ w: Int) {
            for (r, index) in kept.enumerated() where r != index { for c in 0..<w { a[r * w + c] = a[index * w + c] } }
            a.removeLast(a.count - kept.count * w)
        }
        compact(&keyMSBs, width)
        compact(&keyLSBs, width)
        compact(&valueCodes, width)
        compact(&keyScales, kvHeads)
        compact(&valueScales, kvHeads)
        rows = kept.count
    }

    /// Runs `body` with KV head g's codes as the C kernel reads them (rows 0..<rows).
    func withCodes<R>(head g: Int, _ body: (attend_spatten_codes) -> R) -> R {
        keyMSBs.withUnsafeBufferPointer { msb in
            keyLSBs.withUnsafeBufferPointer { lsb in
                valueCodes.withUnsafeBufferPointer { v in
                    keyScales.withUnsafeBufferPointer { ks in
                        valueScales.withUnsafeBufferPointer { vs in
                            var codes = attend_spatten_codes()
                            codes.k_msb = msb.baseAddress.map { $0 + g * headDim }
                            codes.k_lsb = lsb.baseAddress.map { $0 + g * headDim }
                            codes.v_code = v.baseAddress.map { $0 + g * headDim }
                            codes.k_scale = ks.baseAddress.map { $0 + g }
                            codes.v_scale = vs.baseAddress.map { $0 + g }
                            (codes.ld, codes.scale_ld, codes.n, codes.d, codes.lsb_bits) = (Int32(width), Int32(kvHeads), Int32(rows), Int32(headDim), Int32(lsbBits))
                            return body(codes)
                        }
                    }
                }
            }
        }
    }

    public static func == (a: QuantizedKVCache, b: QuantizedKVCache) -> Bool {
        a === b || (a.kvHeads, a.headDim, a.keyBits, a.lsbBits, a.valueBits, a.rows) == (b.kvHeads, b.headDim, b.keyBits, b.lsbBits, b.valueBits, b.rows)
            && a.keyMSBs == b.keyMSBs && a.keyLSBs == b.keyLSBs && a.valueCodes == b.valueCodes && a.keyScales == b.keyScales && a.valueScales == b.valueScales
    }
}
