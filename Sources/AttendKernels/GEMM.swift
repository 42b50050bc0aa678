import CAttendKernels

/// A right-hand side `B: [K, N]` packed once for the SGEMM micro-kernel (layout in
/// `CAttendKernels.h`). Model weights are packed at load so that each forward only packs A.
public struct PackedMatrix: Sendable {
    /// Inner dimension K and output columns N of `A[M, K] · B[K, N]`.
    public let k: Int, n: Int
    /// The depth block the panels were packed with (`KernelConfig.gemmDepthBlock` at packing).
    public let depthBlock: Int
    let storage: [Float]

    /// Packs a PyTorch `Linear` weight `w: [N, K]` (out × in), i.e. B = wᵀ.
    public init(linearWeight w: Tensor, depthBlock: Int = KernelConfig.current.gemmDepthBlock) {
        precondition(w.shape.count == 2, "linear weight must be rank 2, got \(w.shape)")
        self.init(b: w.data, k: w.shape[1], n: w.shape[0], ldb: w.shape[1], transposed: true, depthBlock: depthBlock)
    }

    /// Packs `B: [K, N]` (row stride ldb), or B given transposed as `[N, K]` when `transposed`, in
    /// depth blocks of `depthBlock` rows (16…512, a multiple of 16).
    public init(b: UnsafeBufferPointer<Float>, k: Int, n: Int, ldb: Int, transposed: Bool,
                depthBlock kc: Int = KernelConfig.current.gemmDepthBlock) {
        precondition(kc >= 16 && kc <= Int(ATTEND_GEMM_KC_MAX) && kc % 16 == 0, "depth block \(kc) outside 16…\(ATTEND_GEMM_KC_MAX)")
        (self.k, self.n, depthBlock) = (k, n, kc)
        storage = [Float](unsafeUninitializedCapacity: attend_gemm_packed_size(Int32(k), Int32(n))) { buf, count in
            attend_gemm_pack_b(Int32(k), Int32(n), Int32(kc), b.baseAddress, Int32(ldb), transposed ? 1 : 0, buf.baseAddress)
            count = buf.count
        }
    }

    /// Packs from an array (see `init(b:k:n:ldb:transposed:depthBlock:)`).
    public init(b: [Float], k: Int, n: Int, ldb: Int, transposed: Bool, depthBlock: Int = KernelConfig.current.gemmDepthBlock) {
        self = b.withUnsafeBufferPointer { PackedMatrix(b: $0, k: k, n: n, ldb: ldb, transposed: transposed, depthBlock: depthBlock) }
    }
}

extension PackedMatrix {
    /// The matrix back as a PyTorch `Linear` weight `[N, K]` (the inverse of `init(linearWeight:)`).
    public func linearWeight() -> Tensor {
        let (nr, kc) = (Int(ATTEND_GEMM_NR), depthBlock)
        let npad = (n + nr - 1) / nr * nr
        var w = [Float](repeating: 0, count: n * k)
        for k0 in stride(from: 0, to: k, by: kc) {
            let rows = min(kc, k - k0)
            for j in 0..<n {
                let panel = k0 * npad + (j / nr) * nr * rows
                for p in 0..<rows { w[j * k + k0 + p] = storage[panel + p * nr + j % nr] }
            }
        }
        return Tensor(shape: [n, k], data: w)
    }
}

/// Which body of the SGEMM micro-kernel runs (`CAttendKernels.h`, gemm.c). `.auto` picks AVX-512F
/// (6×32 from two panels), else AVX2/FMA (6×16), else NEON, else portable (`ATTEND_PORTABLE=1`:
/// portable); tests force each available body in turn. AVX2 and AVX-512 give bit-identical results.
public enum GEMMBody: Int32, CaseIterable, Sendable {
    case auto = 0, portable = 1, avx2 = 2, avx512 = 3, neon = 4

    /// Whether this CPU runs the body.
    public var isAvailable: Bool { attend_gemm_body_available(rawValue) != 0 }

    /// The body's name ("avx512f", "avx2-fma", "neon" or "portable"), `.auto` resolved for this CPU.
    public var name: String { String(cString: attend_gemm_body_name(rawValue)) }
}

/// Single-precision matrix products on the packed, register-blocked micro-kernel.
public enum GEMM {
    /// Name of the micro-kernel this CPU runs (`GEMMBody.auto`'s).
    public static var kernelName: String { GEMMBody.auto.name }

    /// `c[M, N] = a[M, K] · b (+ bias[N])`, strides lda/ldc, split over `Parallel.threads`
    /// by row blocks × column panels, blocked by `config` (the depth block is b's), on `body`
    /// (one this CPU has). Overwrites c.
    public static func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix, bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = Parallel.threads, config: KernelConfig = .current,
        body: GEMMBody = .auto
    ) {
        precondition(body.isAvailable, "this CPU has no \(body) SGEMM body")
        nonisolated(unsafe) let (a, c, bias) = (a, c, bias)
        var blocking = config.blocking(depthBlock: b.depthBlock, body: body)
        b.storage.withUnsafeBufferPointer { packed in
            nonisolated(unsafe) let packed = packed
            forEachTask(m: m, n: b.n, threads: threads, mcMax: config.gemmRowBlock, tasksPerThread: config.tasksPerThread) { row0, rows, p0, p1 in
                attend_gemm_packed(
                    &blocking, Int32(rows), Int32(b.n), Int32(b.k), a + row0 * lda, Int32(lda), packed.baseAddress,
                    Int32(p0), Int32(p1), c + row0 * ldc, Int32(ldc), bias)
            }
        }
    }

    /// `c[M, N] = a[M, K] · op(b) (+ bias[N])`, packing b on the fly one cache block at a time;
    /// op(b) = b `[K, N]` (stride ldb) or, when `transposedB`, b given as `[N, K]`. Split over
    /// `threads` by row blocks × column panels like the packed product; `threads: 1` for the
    /// small per-head products inside attention. Blocked by `config`, on `body`. Overwrites c.
    public static func multiply(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transposedB: Bool, bias: UnsafePointer<Float>? = nil,
        c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = 1, config: KernelConfig = .current, body: GEMMBody = .auto
    ) {
        precondition(body.isAvailable, "this CPU has no \(body) SGEMM body")
        let nr = Int(ATTEND_GEMM_NR)
        var blocking = config.blocking(body: body)
        let work = min(config.gemmDepthBlock, k) * min(config.gemmColumnBlock, (n + nr - 1) / nr * nr)  // one packed B block
        nonisolated(unsafe) let (a, b, c, bias) = (a, b, c, bias)
        forEachTask(m: m, n: n, threads: threads, mcMax: config.gemmRowBlock, tasksPerThread: config.tasksPerThread) { row0, rows, p0, p1 in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: work) { scratch in
                attend_gemm(&blocking, Int32(rows), Int32(n), Int32(k), a + row0 * lda, Int32(lda), b, Int32(ldb), transposedB ? 1 : 0,
                            Int32(p0), Int32(p1), c + row0 * ldc, Int32(ldc), bias, scratch.baseAddress)
            }
        }
    }

    /// Splits `C[M, N]` into tasks of ≤ mcMax rows (a multiple of mr) × a range of nr-column panels,
    /// at least `tasksPerThread` per thread when there are threads to feed, and runs
    /// `body(row0, rows, panelBegin, panelEnd)` for each, on `threads` threads. mr and nr default to
    /// the SGEMM micro-kernel's; the int8 GEMM passes its own.
    static func forEachTask(
        m: Int, n: Int, threads: Int, mr: Int = Int(ATTEND_GEMM_MR), nr: Int = Int(ATTEND_GEMM_NR),
        mcMax: Int, tasksPerThread: Int, _ body: (Int, Int, Int, Int) -> Void
    ) {
        let panels = (n + nr - 1) / nr
        guard m > 0, panels > 0 else { return }
        let rowBlocks = (m + mcMax - 1) / mcMax
        let rowsPerBlock = ((m + rowBlocks - 1) / rowBlocks + mr - 1) / mr * mr
        let wanted = threads > 1 ? tasksPerThread * threads : 1
        let chunks = min(panels, max(1, (wanted + rowBlocks - 1) / rowBlocks))
        let panelsPerChunk = (panels + chunks - 1) / chunks
        func task(_ index: Int) {
            let row0 = (index / chunks) * rowsPerBlock, p0 = (index % chunks) * panelsPerChunk
            let rows = min(rowsPerBlock, m - row0), p1 = min(panels, p0 + panelsPerChunk)
            if rows > 0 && p0 < p1 { body(row0, rows, p0, p1) }
        }
        if threads > 1 { Parallel.forEach(rowBlocks * chunks, task) } else { for i in 0..<(rowBlocks * chunks) { task(i) } }
    }
}
