import CAttendKernels
import Foundation

/// A per-column change of scale of int32 values (int_ops.c `attend_requantize_*`):
/// out[i, n] = clamp(⌊x[i, n]·b_n/2^c_n + 1/2⌋ + offsets[n] + zero, lo, hi), b_n/2^c_n ≈ m_n.
public struct Requantization: Sendable {
    /// multipliers, shifts, offsets: [N].
    public let multipliers: [Int32], shifts: [Int8], offsets: [Int32]?
    public let zero: Int32, lo: Int32, hi: Int32

    /// From real multipliers m_n (|m_n| < 2^30), optional integer offsets, a zero point and the output range.
    public init(multipliers m: [Double], offsets: [Int32]? = nil, zero: Int32 = 0, range: ClosedRange<Int32>) {
        precondition(offsets == nil || offsets!.count == m.count, "one offset per column")
        let dyadics = m.map { Dyadic($0, bits: 31) }
        multipliers = dyadics.map { Int32($0.multiplier) }
        shifts = dyadics.map { Int8($0.shift) }
        self.offsets = offsets
        (self.zero, lo, hi) = (zero, range.lowerBound, range.upperBound)
    }

    public var columns: Int { multipliers.count }
}

/// Constants of I-BERT's i-exp / i-softmax (Alg. 2) for scores of real value S·x.
public struct SoftmaxConstants: Sendable {
    /// I-BERT's second-order fit of exp on (−ln 2, 0]: a(p + b)² + c (relative error ≤ 0.31 %).
    public static let a = 0.3585, b = 1.353, c = 0.344
    let raw: attend_int_softmax_constants
    /// The input scale S.
    public let inputScale: Double

    /// x0 = ⌊−ln 2/S⌋, b_I = ⌊b/S⌋, c_I = ⌊c/(a·S²)⌋ and the dyadic a·S²·2^15 with as many bits as
    /// keep L·mult < 2^62 (L ≤ b_I² + c_I). Needs S ≤ ln 2 / 4 (at least 4 steps per ln 2) and
    /// S ≥ 2^−18 (L in 40 bits, the multiplier keeps ≥ 21).
    public init(inputScale s: Double) {
        precondition(s <= log(2) / 4 && s >= 0x1p-18, "softmax input scale \(s) outside [2^-18, ln 2 / 4]")
        inputScale = s
        let x0 = Int64((-log(2) / s).rounded(.down)), b = Int64((Self.b / s).rounded(.down))
        let c = Int64((Self.c / (Self.a * s * s)).rounded(.down))
        let lMax = b * b + c
        let bits = min(31, 61 - (64 - lMax.leadingZeroBitCount))
        let mult = Dyadic(Self.a * s * s * 32768, bits: bits)
        raw = attend_int_softmax_constants(x0: x0, b: b, c: c, mult: mult.multiplier, shift: Int32(mult.shift))
    }
}

/// Constants of I-BERT's i-GELU for inputs of real value S·q; the output's scale is `outputScale`.
public struct GELUConstants: Sendable {
    /// I-BERT's erf fit: sgn(x)·[a(min(|x|, −b) + b)² + 1] (GELU's absolute error ≤ 0.0182).
    public static let a = -0.2888, b = -1.769
    let raw: attend_int_gelu_constants
    public let inputScale: Double
    /// S·S_erf/2: GELU(S·q) ≈ outputScale · out.
    public let outputScale: Double

    /// S_e = S/√2, b_I = ⌊b/S_e⌋, c_I = ⌊1/(a·S_e²)⌋; L is shifted right until |c_I| >> shift < 2^14
    /// (I-BERT shifts by 14 always), S_erf = a·S_e²·2^shift, one = ⌊1/S_erf⌋. With |q| < 2^16
    /// the product fits int32 (|q·(L' + one)| < 2^16 · 2^15).
    public init(inputScale s: Double) {
        precondition(s > 0 && s < 1, "GELU input scale \(s) outside (0, 1)")
        inputScale = s
        let se = s / 2.0.squareRoot()
        let b = Int64((Self.b / se).rounded(.down)), c = Int64((1 / (Self.a * se * se)).rounded(.down))
        let shift = max(0, (64 - abs(c).leadingZeroBitCount) - 14)
        let sErf = Self.a * se * se * Foundation.pow(2, Double(shift))
        let one = Int64((1 / sErf).rounded(.down))
        raw = attend_int_gelu_constants(b: b, c: c, shift: Int32(shift), one: one)
        outputScale = s * sErf / 2
    }
}

/// The integer kernels of I-BERT's integer-only inference (int_ops.c, int_ops_avx2.c, int_ops_avx512.c,
/// int_gemm_epilogues.c, int_attention.c; SPEC §4.6): one thread each, callers split rows. `body` picks
/// the C body (`.auto`: AVX-512 where the int8 GEMM runs its VNNI body, else AVX2 when the CPU has it,
/// unless ATTEND_PORTABLE=1; `.avx2` the AVX2 bodies, `.avx512VNNI` the AVX-512 ones); every body gives
/// the same integers. `bias: [N]` (optional) is added to x first, wrapping as `&+`: the int8 GEMM's
/// per-column correction. Slow twins in `Reference` (IntegerReference.swift).
public enum IntegerOps {
    /// out: [rows, N] u8 (stride ldo) = requantized x + bias: x: [rows, N] int32 (stride ldx).
    public static func requantize(_ x: UnsafePointer<Int32>, ldx: Int, rows: Int, bias: UnsafePointer<Int32>? = nil, _ r: Requantization,
                                  into out: UnsafeMutablePointer<UInt8>, ldo: Int, body: Int8Body = .auto) {
        r.withPointers { m, s, o in
            attend_requantize_u8(body.rawValue, Int32(rows), Int32(r.columns), x, Int32(ldx), bias, m, s, o, r.zero, r.lo, r.hi, out, Int32(ldo))
        }
    }

    /// out: [rows, N] s8 (stride ldo) = requantized x + bias.
    public static func requantize(_ x: UnsafePointer<Int32>, ldx: Int, rows: Int, bias: UnsafePointer<Int32>? = nil, _ r: Requantization,
                                  into out: UnsafeMutablePointer<Int8>, ldo: Int, body: Int8Body = .auto) {
        r.withPointers { m, s, o in
            attend_requantize_s8(body.rawValue, Int32(rows), Int32(r.columns), x, Int32(ldx), bias, m, s, o, r.zero, r.lo, r.hi, out, Int32(ldo))
        }
    }

    /// out: [rows, N] int32 (stride ldo) = requantized x + bias.
    public static func requantize(_ x: UnsafePointer<Int32>, ldx: Int, rows: Int, bias: UnsafePointer<Int32>? = nil, _ r: Requantization,
                                  into out: UnsafeMutablePointer<Int32>, ldo: Int, body: Int8Body = .auto) {
        r.withPointers { m, s, o in
            attend_requantize_i32(body.rawValue, Int32(rows), Int32(r.columns), x, Int32(ldx), bias, m, s, o, r.zero, r.lo, r.hi, out, Int32(ldo))
        }
    }

    /// Integer residual add: out[i, n] = clamp(requant_n(a[i, n] + bias[n]) + ⌊(res[i, n] − zero)·m_r + 1/2⌋, lo, hi),
    /// a: [rows, N] int32 brought by `a`'s per-column dyadics (offsets and zero unused) and the u8
    /// residual res: [rows, N] by `residual` to the output scale. out: [rows, N] int32.
    public static func residualAdd(
        _ a: UnsafePointer<Int32>, lda: Int, bias: UnsafePointer<Int32>? = nil, _ ra: Requantization, residual: UnsafePointer<UInt8>, ldr: Int,
        zero: Int32, _ residualScale: Dyadic, rows: Int, into out: UnsafeMutablePointer<Int32>, ldo: Int, body: Int8Body = .auto
    ) {
        precondition(residualScale.multiplier.magnitude < 1 << 31, "residual multiplier must fit 31 bits")
        ra.withPointers { m, s, _ in
            attend_int_residual(body.rawValue, Int32(rows), Int32(ra.columns), a, Int32(lda), bias, m, s, residual, Int32(ldr), zero,
                                Int32(residualScale.multiplier), Int32(residualScale.shift), ra.lo, ra.hi, out, Int32(ldo))
        }
    }

    /// out: [rows, N] ≈ 256·softmax(S·(x + bias)) per row over keys j < valid[i] (all when nil), u8 (stride ldo).
    public static func softmax(_ x: UnsafePointer<Int32>, ldx: Int, rows: Int, n: Int, bias: UnsafePointer<Int32>? = nil, valid: UnsafePointer<Int32>?,
                               _ k: SoftmaxConstants, into out: UnsafeMutablePointer<UInt8>, ldo: Int, body: Int8Body = .auto) {
        withUnsafePointer(to: k.raw) { attend_int_softmax(body.rawValue, Int32(rows), Int32(n), x, Int32(ldx), bias, valid, $0, out, Int32(ldo)) }
    }

    /// out[i] = i-GELU(x[i]) for `count` values: GELU(S·x) ≈ k.outputScale · out.
    public static func gelu(_ x: UnsafePointer<Int32>, count: Int, _ k: GELUConstants, into out: UnsafeMutablePointer<Int32>, body: Int8Body = .auto) {
        withUnsafePointer(to: k.raw) { attend_int_gelu(body.rawValue, count, x, $0, out) }
    }

    /// The FFN activation, one fused pass per row: out = requantize(toHidden, i-GELU(requantize(toGELU, x + bias)))
    /// — the same integers as the three calls. x: [rows, N] int32 (stride ldx), out: [rows, N] u8 (stride ldo).
    public static func ffnActivation(
        _ x: UnsafePointer<Int32>, ldx: Int, rows: Int, bias: UnsafePointer<Int32>? = nil, _ toGELU: Requantization, _ k: GELUConstants,
        _ toHidden: Requantization, into out: UnsafeMutablePointer<UInt8>, ldo: Int, body: Int8Body = .auto
    ) {
        precondition(toGELU.columns == toHidden.columns && toHidden.lo >= 0 && toHidden.hi <= 255, "FFN activation: matching columns, u8 output range")
        toGELU.withRaw(bias: bias) { g in toHidden.withRaw(bias: nil) { h in withUnsafePointer(to: k.raw) { kp in
            attend_int_ffn_activation(body.rawValue, Int32(rows), Int32(toGELU.columns), x, Int32(ldx), g, kp, h, out, Int32(ldo))
        } } }
    }

    /// `ffnActivation` of the int8 product a·w as its epilogue, tile by tile (the int32 sums never stored):
    /// out[i, n] for rows [0, rows) and the columns of w's 16-column panels `panels`; `bias` is the GEMM's
    /// correction. a: [rows, paddedK] u8 (stride lda), out: [rows, w.n] u8 (stride ldo). One thread: split
    /// the product with `Int8GEMM.forEachTask`.
    public static func ffnActivation(
        product a: UnsafePointer<UInt8>, lda: Int, rows: Int, _ w: Int8PackedMatrix, panels: Range<Int>, bias: UnsafePointer<Int32>?,
        _ toGELU: Requantization, _ k: GELUConstants, _ toHidden: Requantization, into out: UnsafeMutablePointer<UInt8>, ldo: Int,
        body: Int8Body = .auto
    ) {
        precondition(toGELU.columns == w.n && toHidden.columns == w.n && toHidden.lo >= 0 && toHidden.hi <= 255,
                     "FFN activation: one column per product column, u8 output range")
        w.storage.withUnsafeBufferPointer { packed in
            toGELU.withRaw(bias: bias) { g in toHidden.withRaw(bias: nil) { h in withUnsafePointer(to: k.raw) { kp in
                attend_u8s8_gemm_ffn_activation(body.rawValue, Int32(rows), Int32(w.n), Int32(w.k), a, Int32(lda), packed.baseAddress,
                                                Int32(panels.lowerBound), Int32(panels.upperBound), g, kp, h, out, Int32(ldo))
            } } }
        }
    }

    /// The int8 product a·w requantized as its epilogue, tile by tile: columns n < `split` by `first`
    /// (bias[n] added) to u8 at first[i, n], the others by `second` (bias[n] added; its column 0 is
    /// product column `split`) to s8 at second[i, n − split] — the QKV product's Q and K, V. Rows and
    /// panels as `ffnActivation(product:…)`; split: a multiple of 16.
    public static func requantize(
        product a: UnsafePointer<UInt8>, lda: Int, rows: Int, _ w: Int8PackedMatrix, panels: Range<Int>, bias: UnsafePointer<Int32>,
        split: Int, _ first: Requantization, into firstOut: UnsafeMutablePointer<UInt8>, ldFirst: Int,
        _ second: Requantization, into secondOut: UnsafeMutablePointer<Int8>, ldSecond: Int, body: Int8Body = .auto
    ) {
        precondition(split % Int(ATTEND_I8_NR) == 0 && first.columns == split && second.columns == w.n - split,
                     "split requantization: \(first.columns) + \(second.columns) columns at \(split), product \(w.n)")
        w.storage.withUnsafeBufferPointer { packed in
            first.withRaw(bias: bias) { f in second.withRaw(bias: bias + split) { s in
                attend_u8s8_gemm_requantize_split(body.rawValue, Int32(rows), Int32(w.n), Int32(w.k), a, Int32(lda), packed.baseAddress,
                                                  Int32(panels.lowerBound), Int32(panels.upperBound), Int32(split), f, firstOut, Int32(ldFirst),
                                                  s, secondOut, Int32(ldSecond))
            } }
        }
    }

    /// A sublayer's end, one fused pass per row: y = layerNorm(residualAdd(a + bias, res)), then
    /// out = requantize(toOut, y) (u8) when `toOut` is given and y stored to `normalized` when that is
    /// given — the same integers as the separate calls. a: [rows, N] int32, res, out: [rows, N] u8.
    public static func residualLayerNorm(
        _ a: UnsafePointer<Int32>, lda: Int, bias: UnsafePointer<Int32>? = nil, _ ra: Requantization, residual: UnsafePointer<UInt8>, ldr: Int,
        zero: Int32, _ residualScale: Dyadic, rows: Int, _ toOut: Requantization?, into out: UnsafeMutablePointer<UInt8>?, ldo: Int,
        normalized: UnsafeMutablePointer<Int32>? = nil, ldn: Int = 0, body: Int8Body = .auto
    ) {
        precondition(residualScale.multiplier.magnitude < 1 << 31, "residual multiplier must fit 31 bits")
        precondition(toOut == nil || (out != nil && toOut!.columns == ra.columns && toOut!.lo >= 0 && toOut!.hi <= 255), "residual LayerNorm: u8 output")
        let shift = Int32(layerNormShift(n: ra.columns))
        ra.withPointers { m, s, _ in
            func run(_ o: UnsafePointer<attend_int_requant>?) {
                attend_int_residual_layernorm(body.rawValue, Int32(rows), Int32(ra.columns), a, Int32(lda), bias, m, s, residual, Int32(ldr), zero,
                                              Int32(residualScale.multiplier), Int32(residualScale.shift), ra.lo, ra.hi, shift, o, out, Int32(ldo),
                                              normalized, Int32(ldn))
            }
            if let toOut { toOut.withRaw(bias: nil) { run($0) } } else { run(nil) }
        }
    }

    /// Scratch bytes of `attentionHead`.
    public static func attentionScratchBytes(queries: Int, keys n: Int, headDim d: Int) -> Int {
        attend_int_attention_scratch_size(Int32(queries), Int32(n), Int32(d))
    }

    /// One head of integer attention (int_attention.c): scores = (q − 128)·kᵀ as an int8 GEMM over the
    /// n keys, P = i-softmax(scores) (u8 at 1/256), out = P·v (int32 at S_v/256). q: [queries, d] u8 (zero
    /// point 128, stride ldq, rows readable to d rounded up to 4), k, v: [n, d] s8 in [−64, 63] (stride
    /// ldkv), out: [queries, d] int32 (stride ldo); scratch: `attentionScratchBytes` bytes.
    public static func attentionHead(
        queries: Int, keys n: Int, headDim d: Int, q: UnsafePointer<UInt8>, ldq: Int, k: UnsafePointer<Int8>, v: UnsafePointer<Int8>, ldkv: Int,
        _ softmax: SoftmaxConstants, into out: UnsafeMutablePointer<Int32>, ldo: Int, scratch: UnsafeMutableRawPointer
    ) {
        withUnsafePointer(to: softmax.raw) {
            attend_int_attention_head(Int32(queries), Int32(n), Int32(d), q, Int32(ldq), k, v, Int32(ldkv), $0, out, Int32(ldo), scratch)
        }
    }

    /// ⌊√n⌋ exactly (n ≥ 0), I-BERT's integer Newton iteration.
    public static func isqrt(_ n: Int64) -> Int64 {
        precondition(n >= 0, "isqrt of a negative number")
        return attend_isqrt(n)
    }

    /// The output shift of `layerNorm` for rows of N: 1 + ⌈log2 √N⌉ (|out| ≲ 2^30).
    public static func layerNormShift(n: Int) -> Int { 1 + Int(Foundation.ceil(Foundation.log2(Double(n).squareRoot()))) }

    /// The normalised rows without affine part: out ≈ ((x − mean)/std)·2^(31 − shift)/√N, shift =
    /// `layerNormShift(n:)`; x: [rows, N] int32 with |x| < 2^26 (stride ldx), out: [rows, N] (stride ldo).
    public static func layerNorm(_ x: UnsafePointer<Int32>, ldx: Int, rows: Int, n: Int, into out: UnsafeMutablePointer<Int32>, ldo: Int,
                                 body: Int8Body = .auto) {
        attend_int_layernorm(body.rawValue, Int32(rows), Int32(n), x, Int32(ldx), Int32(layerNormShift(n: n)), out, Int32(ldo))
    }

    /// Real value of one unit of `layerNorm`'s output, in units of the normalised value: √N / 2^(31 − shift).
    public static func layerNormUnit(n: Int) -> Double { Double(n).squareRoot() / Foundation.pow(2, Double(31 - layerNormShift(n: n))) }
}

extension Requantization {
    func withPointers<R>(_ body: (UnsafePointer<Int32>, UnsafePointer<Int8>, UnsafePointer<Int32>?) -> R) -> R {
        multipliers.withUnsafeBufferPointer { m in shifts.withUnsafeBufferPointer { s in
            guard let offsets else { return body(m.baseAddress!, s.baseAddress!, nil) }
            return offsets.withUnsafeBufferPointer { body(m.baseAddress!, s.baseAddress!, $0.baseAddress!) }
        } }
    }

    /// The C description of this requantization with `bias` added first.
    func withRaw<R>(bias: UnsafePointer<Int32>?, _ body: (UnsafePointer<attend_int_requant>) -> R) -> R {
        withPointers { m, s, o in
            var raw = attend_int_requant(bias: bias, mult: m, offset: o, shift: s, zero: zero, lo: lo, hi: hi)
            return withUnsafePointer(to: &raw) { body($0) }
        }
    }
}
