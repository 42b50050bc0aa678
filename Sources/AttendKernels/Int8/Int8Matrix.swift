import CAttendKernels

/// Which body of the int8 kernels runs (`CAttendKernels.h`, int8_gemm.c). `.auto` picks AVX-512 VNNI,
/// else AVX2 (`.avx2Shift` on Zen 1), else portable (`ATTEND_PORTABLE=1`: portable); tests force each
/// available body in turn. `.avx2Shift` is `.avx2` with the GEMM micro-kernel that widens vpmaddubsw's
/// pairs by shifts instead of vpmaddwd (one integer multiply per 32 multiply-adds instead of two).
public enum Int8Body: Int32, CaseIterable, Sendable {
    case auto = 0, portable = 1, avx2 = 2, avx512VNNI = 3, avx2Shift = 4

    /// Whether this CPU runs the body.
    public var isAvailable: Bool { attend_i8_body_available(rawValue) != 0 }

    /// The body's name ("portable", "avx2", "avx2-shift" or "avx512-vnni"), `.auto` resolved for this CPU.
    public var name: String { String(cString: attend_i8_body_name(rawValue)) }
}

/// A right-hand side `B: [K, N]` of signed 7-bit integers in [−64, 63], packed once for the int8
/// micro-kernel (layout in `CAttendKernels.h`), with its column sums Σ_k B[k, n] (the zero-point
/// correction) and one Float scale per column (output channel): B_float[k, n] ≈ scales[n] · B[k, n].
public struct Int8PackedMatrix: Sendable {
    /// Inner dimension K and output columns N.
    public let k: Int, n: Int
    /// columnSums: [N] = Σ_k B[k, n].
    public let columnSums: [Int32]
    /// scales: [N], per output channel (all 1 for a matrix packed from integers).
    public let scales: [Float]
    let storage: [Int8]

    /// Quantizes a PyTorch `Linear` weight `w: [N, K]` symmetrically per output channel,
    /// scale_n = max_k |w[n, k]| / 63 and q = clamp(round(w / scale_n), −63, 63) (7 bits: see the
    /// saturation note in `CAttendKernels.h`), and packs B = qᵀ.
    public init(linearWeight w: Tensor) {
        precondition(w.shape.count == 2, "linear weight must be rank 2, got \(w.shape)")
        let (n, k) = (w.shape[0], w.shape[1])
        var q = [Int8](repeating: 0, count: n * k)
        var scales = [Float](repeating: 1, count: n)
        w.data.withUnsafeBufferPointer { wp in
            attend_i8_quantize_weights(Int32(n), Int32(k), wp.baseAddress, Int32(k), &q, Int32(k), &scales)
        }
        self.init(integers: q, k: k, n: n, scales: scales)
    }

    /// Packs integers given as `Bᵀ: [N, K]` (row-major), each in [−64, 63], with per-column `scales`.
    public init(integers bt: [Int8], k: Int, n: Int, scales: [Float]? = nil) {
        precondition(bt.count == n * k, "Bᵀ must hold N·K = \(n * k) values, got \(bt.count)")
        precondition(k < 131_595, "K = \(k) would overflow the int32 sums")
        precondition(bt.allSatisfy { $0 >= -Int8(ATTEND_I8_WEIGHT_MAX) - 1 && $0 <= Int8(ATTEND_I8_WEIGHT_MAX) },
                     "int8 GEMM weights must lie in [−64, 63]")
        self.k = k
        self.n = n
        self.scales = scales ?? [Float](repeating: 1, count: n)
        var sums = [Int32](repeating: 0, count: n)
        storage = [Int8](unsafeUninitializedCapacity: attend_i8_packed_size(Int32(k), Int32(n))) { buf, count in
            attend_i8_pack_b(Int32(k), Int32(n), bt, Int32(k), buf.baseAddress, &sums)
            count = buf.count
        }
        columnSums = sums
    }
}
