import CAttendKernels

/// One decoder layer's keys and values as SpAtten's progressive quantization stores them, with a
/// scale per token and KV head (`ProgressiveQuantization.Granularity.token`; SPEC §4.5): row r holds
/// the token at `AttentionState.positions[r]`. Per element of K the full code
/// c = clamp(round(k / s), ±(2^(b−1) − 1)) with b = keyBits + lsbBits is split into its MSBs
/// ⌊c / 2^l⌋ (int8) and LSBs c − ⌊c / 2^l⌋·2^l (uint8, l = lsbBits), held in separate arrays as the
/// paper keeps them in separate DRAM regions; V is held as valueBits-bit codes (int8). Each KV head's
/// rows are contiguous ([rows, headDim] per head), so the query heads of a group stream their K and V
/// without touching the other heads'. Decode rows read the MSBs and V codes only, the LSBs for rows
/// that requantize — a quarter of the Float32 cache's bytes per fetched value. The codes are exactly
/// the ones `ProgressiveQuantization.quantized` (`perRow`) dequantizes, so this cache and the per-call
/// path compute the same attention.
///
/// A reference type so that the `AttentionState` holding it is copied cheaply; the method that owns
/// the layer's state appends and compacts it.
public final class QuantizedKVCache: @unchecked Sendable, Equatable {
    public let kvHeads: Int, headDim: Int
    public let keyBits: Int, lsbBits: Int, valueBits: Int
    /// Per KV head.
    private(set) var heads: [HeadCodes]
    /// Rows held.
    public var rows: Int { heads[0].keyScales.count }

    /// One KV head's rows.
    struct HeadCodes: Equatable {
        /// [rows, headDim] each.
        var keyMSBs: [Int8] = [], keyLSBs: [UInt8] = [], values: [Int8] = []
        /// [rows] each.
        var keyScales: [Float] = [], valueScales: [Float] = []
    }

    /// Whether a setting's codes fit this cache and its integer kernel for heads of d dimensions: token
    /// granularity, K MSBs and V in ≤ 8 bits, LSBs ≤ 8, Q codes in int16, and every dot product
    /// d·max|q code|·max|key code| below 2^31 (exact int32 sums).
    public static func fits(_ q: ProgressiveQuantization, headDim d: Int) -> Bool {
        guard q.granularity == .token, q.keyBits <= 8, q.lsbBits <= 8, q.valueBits <= 8, q.queryBits <= 16 else { return false }
        return d * ((1 << (q.queryBits - 1)) - 1) * (1 << max(q.keyBits, q.lsbBits)) < 1 << 31
    }

    public init(kvHeads: Int, headDim: Int, quantization q: ProgressiveQuantization) {
        precondition(kvHeads >= 1 && Self.fits(q, headDim: headDim), "QuantizedKVCache: needs a KV head and a setting whose codes fit (see fits)")
        (self.kvHeads, self.headDim, keyBits, lsbBits, valueBits) = (kvHeads, headDim, q.keyBits, q.lsbBits, q.valueBits)
        heads = Array(repeating: HeadCodes(), count: kvHeads)
    }

    /// Appends n rows of K and V ([n, kvHeads·headDim] at strides ldk, ldv), quantized.
    public func append(k: UnsafePointer<Float>, ldk: Int, v: UnsafePointer<Float>, ldv: Int, rows n: Int) {
        let (bits, step, d) = (keyBits + lsbBits, Float(1 << lsbBits), headDim)
        for g in 0..<kvHeads {
            for i in 0..<n {
                let key = k + i * ldk + g * d, value = v + i * ldv + g * d
                let ks = ProgressiveQuantization.scale(key, ld: d, rows: 1, d: d, bits: bits)
                let vs = ProgressiveQuantization.scale(value, ld: d, rows: 1, d: d, bits: valueBits)
                heads[g].keyScales.append(ks)
                heads[g].valueScales.append(vs)
                for c in 0..<d {
                    let code = ks > 0 ? ProgressiveQuantization.code(key[c], scale: ks, bits: bits) : 0
                    let msb = (code / step).rounded(.down)
                    heads[g].keyMSBs.append(Int8(msb))
                    heads[g].keyLSBs.append(UInt8(code - msb * step))
                    heads[g].values.append(vs > 0 ? Int8(ProgressiveQuantization.code(value[c], scale: vs, bits: valueBits)) : 0)
                }
            }
        }
    }

    /// Keeps rows `kept` (ascending indices of rows held), compacted to the front in that order.
    public func keep(_ kept: [Int]) {
        precondition(zip(kept, kept.dropFirst()).allSatisfy { $0 < $1 } && (kept.last ?? -1) < rows, "QuantizedKVCache.keep: indices must ascend within the rows held")
        // Rows before the first dropped one stay; every later kept row moves down (one memmove per run of kept rows).
        let first = kept.indices.first { kept[$0] != $0 } ?? kept.count
        func compact<T>(_ a: inout [T], _ w: Int) {
            a.withUnsafeMutableBufferPointer { a in
                var r = first
                while r < kept.count {
                    var end = r + 1
                    while end < kept.count && kept[end] == kept[end - 1] + 1 { end += 1 }
                    (a.baseAddress! + r * w).update(from: a.baseAddress! + kept[r] * w, count: (end - r) * w)
                    r = end
                }
            }
            a.removeLast(a.count - kept.count * w)
        }
        for g in 0..<kvHeads {
            compact(&heads[g].keyMSBs, headDim)
            compact(&heads[g].keyLSBs, headDim)
            compact(&heads[g].values, headDim)
            compact(&heads[g].keyScales, 1)
            compact(&heads[g].valueScales, 1)
        }
    }

    /// Runs `body` with KV head g's codes as the C kernel reads them (rows 0..<rows).
    func withCodes<R>(head g: Int, _ body: (attend_spatten_codes) -> R) -> R {
        let h = heads[g]
        return h.keyMSBs.withUnsafeBufferPointer { msb in
            h.keyLSBs.withUnsafeBufferPointer { lsb in
                h.values.withUnsafeBufferPointer { v in
                    h.keyScales.withUnsafeBufferPointer { ks in
                        h.valueScales.withUnsafeBufferPointer { vs in
                            var codes = attend_spatten_codes()
                            (codes.k_msb, codes.k_lsb, codes.v_code, codes.k_scale, codes.v_scale) = (msb.baseAddress, lsb.baseAddress, v.baseAddress, ks.baseAddress, vs.baseAddress)
                            (codes.n, codes.d, codes.lsb_bits) = (Int32(rows), Int32(headDim), Int32(lsbBits))
                            return body(codes)
                        }
                    }
                }
            }
        }
    }

    public static func == (a: QuantizedKVCache, b: QuantizedKVCache) -> Bool {
        a === b || (a.kvHeads, a.headDim, a.keyBits, a.lsbBits, a.valueBits) == (b.kvHeads, b.headDim, b.keyBits, b.lsbBits, b.valueBits) && a.heads == b.heads
    }
}
