import CAttendKernels

/// A weight `W: [rows (out), columns (in)]` stored in GGML blocks of `type`, row-major (GGUF's
/// ne0 = columns, ne1 = rows), read in place: nothing is dequantized ahead of time. `owner` keeps
/// the storage (a memory-mapped file, an array) alive as long as the matrix is.
///
/// Activations are F32 and stay F32 (llama.cpp instead quantizes them to 8 bits for its integer
/// dot products): `multiply` computes x · Wᵀ with W's dequantized values exactly as stored, so
/// results agree with a Float32 product on the dequantized weights to Float32 rounding.
public struct QuantizedMatrix: @unchecked Sendable {
    public let type: GGMLType
    public let rows: Int, columns: Int
    /// Bytes of one stored row.
    public let rowBytes: Int
    public let data: UnsafeRawPointer
    public let owner: AnyObject?

    /// Up to this many vectors, `multiply` runs the matrix–vector kernel (weights streamed once,
    /// dequantized in registers, each row tile reused from L1 for every vector); from here on the
    /// matrix–matrix path (dequantize into SGEMM panels, F32 micro-kernel) is faster.
    public static let matrixVectorLimit = 4

    /// Wraps `rows × type.rowBytes(columns:)` bytes at `data`; columns must be a multiple of
    /// `type.blockElements`.
    public init(type: GGMLType, rows: Int, columns: Int, data: UnsafeRawPointer, owner: AnyObject?) {
        precondition(rows >= 0 && columns >= 0 && rows <= Int(Int32.max) && columns <= Int(Int32.max), "bad shape [\(rows), \(columns)]")
        guard let rowBytes = type.rowBytes(columns: columns) else {
            preconditionFailure("\(type.name) rows of \(columns) columns: not a multiple of the block size \(type.blockElements)")
        }
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = rowBytes
        self.data = data
        self.owner = owner
    }

    /// `out[i, r] = Σ_c x[i, c] · W[r, c]` for i < n, r < rows, i.e. out[n, rows] = x[n, columns] · Wᵀ,
    /// with row strides ldx ≥ columns and ldo ≥ rows; overwrites out. n ≤ `matrixVectorLimit` runs
    /// the matrix–vector kernel split over rows of W, larger n the matrix–matrix path split over
    /// 16-row panels of W, on `threads` threads (default `Parallel.threads`).
    public func multiply(_ x: UnsafePointer<Float>, count n: Int, ldx: Int, into out: UnsafeMutablePointer<Float>, ldo: Int,
                         threads: Int = Parallel.threads) {
        precondition(n >= 0 && ldx >= columns && ldo >= rows, "multiply: n \(n), ldx \(ldx) < \(columns) or ldo \(ldo) < \(rows)")
        guard n > 0, rows > 0 else { return }
        if columns == 0 {
            for i in 0..<n { (out + i * ldo).update(repeating: 0, count: rows) }
            return
        }
        if n <= Self.matrixVectorLimit {
            matrixVector(x, count: n, ldx: ldx, into: out, ldo: ldo, threads: threads)
        } else {
            matrixMatrix(x, count: n, ldx: ldx, into: out, ldo: ldo, threads: threads)
        }
    }

    /// Row r of W dequantized: out[columns].
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(r >= 0 && r < rows, "row \(r) out of 0..<\(rows)")
        withExtendedLifetime(owner) {
            attend_quant_dequantize(Int32(type.rawValue), data + r * rowBytes, Int64(columns), out)
        }
    }

    /// The matrix–vector kernel alone (any n), on the SIMD body this CPU runs or on the portable one;
    /// for tests and benchmarks.
    public func matrixVector(_ x: UnsafePointer<Float>, count n: Int, ldx: Int, into out: UnsafeMutablePointer<Float>, ldo: Int,
                             threads: Int = Parallel.threads, portable: Bool = false) {
        let blocks = columns / 32
        let needsSums = type == .q4_0 || type == .q4_1
        withUnsafeTemporaryAllocation(of: Float.self, capacity: needsSums ? n * blocks : 0) { sums in
            if needsSums { for i in 0..<n { attend_quant_block_sums(x + i * ldx, Int32(columns), sums.baseAddress! + i * blocks) } }
            nonisolated(unsafe) let (x, out, sums) = (x, out, needsSums ? UnsafePointer(sums.baseAddress) : nil)
            let tile = 8
            let tasks = threads > 1 ? min(4 * threads, (rows + tile - 1) / tile) : 1
            let rowsPerTask = ((rows + tasks - 1) / tasks + tile - 1) / tile * tile
            let kernel = portable ? attend_quant_matvec_portable : attend_quant_matvec
            let run = { (task: Int) in
                let r0 = task * rowsPerTask, r1 = min(rows, r0 + rowsPerTask)
                guard r0 < r1 else { return }
                kernel(Int32(type.rawValue), data, rowBytes, Int32(columns), Int32(r0), Int32(r1), Int32(n), x, Int32(ldx), sums, out, Int32(ldo))
            }
            withExtendedLifetime(owner) {
                if tasks > 1 { Parallel.forEach(tasks, run) } else { run(0) }
            }
        }
    }

    /// The matrix–matrix path alone (any n ≥ 1); for tests and benchmarks.
    public func matrixMatrix(_ x: UnsafePointer<Float>, count n: Int, ldx: Int, into out: UnsafeMutablePointer<Float>, ldo: Int,
                             threads: Int = Parallel.threads) {
        let nr = Int(ATTEND_GEMM_NR)
        let panels = (rows + nr - 1) / nr
        let tasks = threads > 1 ? min(panels, 4 * threads) : 1
        let panelsPerTask = (panels + tasks - 1) / tasks
        let work = Int(ATTEND_GEMM_KC) * min(Int(ATTEND_QUANT_NC), panelsPerTask * nr)
        nonisolated(unsafe) let (x, out) = (x, out)
        let run = { (task: Int) in
            let p0 = task * panelsPerTask, p1 = min(panels, p0 + panelsPerTask)
            guard p0 < p1 else { return }
            withUnsafeTemporaryAllocation(of: Float.self, capacity: work) { scratch in
                attend_quant_matmul(Int32(type.rawValue), data, rowBytes, Int32(rows), Int32(columns), Int32(n), x, Int32(ldx),
                                    Int32(p0), Int32(p1), out, Int32(ldo), scratch.baseAddress)
            }
        }
        withExtendedLifetime(owner) {
            if tasks > 1 { Parallel.forEach(tasks, run) } else { run(0) }
        }
    }

    /// Name of the quantized dot-product body this CPU runs ("avx2-fma-f16c" or "portable").
    public static var kernelName: String { String(cString: attend_quant_kernel_name()) }
}
