import CAttendKernels

/// Activations quantized to u8 for the int8 GEMM: rows of `paddedK` bytes with a scale and zero
/// point each, x[i, k] ≈ scales[i] · (Int(data[i, k]) − zeros[i]).
public struct QuantizedRows: Sendable {
    /// Rows M and the inner dimension K (each row stores `Int8GEMM.paddedK(k)` bytes, padding zero).
    public let rows: Int, k: Int
    /// data: [M, paddedK]; scales: [M]; zeros: [M].
    public var data: [UInt8], scales: [Float], zeros: [Int32]

    /// Storage for `rows` × `k`, zeroed.
    public init(rows: Int, k: Int) {
        self.rows = rows
        self.k = k
        data = [UInt8](repeating: 0, count: rows * Int8GEMM.paddedK(k))
        scales = [Float](repeating: 1, count: rows)
        zeros = [Int32](repeating: 0, count: rows)
    }
}

/// How activations are quantized before an int8 product.
public enum ActivationQuantization: Sendable, Equatable {
    /// Per row: scale = (max(0, max x) − min(0, min x)) / 255, zero = round(−min(0, min x) / scale).
    case dynamic
    /// One calibrated scale and zero point for every row (values outside the range saturate).
    case fixed(scale: Float, zero: Int32)
}

/// Int8 × int8 → int32 matrix products on the packed micro-kernel (int8_gemm.c), split over the
/// thread pool like `GEMM`. Peak multiply-adds per cycle: see BENCHMARKS.md ("Int8 GEMM").
public enum Int8GEMM {
    /// Bytes per activation row for inner dimension k: k rounded up to 4.
    public static func paddedK(_ k: Int) -> Int { (k + 3) / 4 * 4 }

    /// Quantizes `x: [rows, k]` (stride ldx) into `out` (rows from `rowOffset`), split over `threads`.
    public static func quantize(
        _ x: UnsafePointer<Float>, ldx: Int, into out: inout QuantizedRows, rowOffset: Int = 0, rows: Int,
        _ mode: ActivationQuantization = .dynamic, threads: Int = Parallel.threads, body: Int8Body = .auto
    ) {
        precondition(body.isAvailable, "int8 body \(body) is not available on this CPU")
        precondition(rowOffset + rows <= out.rows, "quantizing rows past the buffer")
        let (k, kp) = (out.k, paddedK(out.k))
        nonisolated(unsafe) let x = x
        out.data.withUnsafeMutableBufferPointer { dp in out.scales.withUnsafeMutableBufferPointer { sp in
            out.zeros.withUnsafeMutableBufferPointer { zp in
                nonisolated(unsafe) let (d, s, z) = (dp.baseAddress! + rowOffset * kp, sp.baseAddress! + rowOffset, zp.baseAddress! + rowOffset)
                let chunk = max(16, (rows + 4 * threads - 1) / (4 * threads))
                let run = { (c: Int) in
                    let r0 = c * chunk
                    quantizeRows(x + r0 * ldx, ldx: ldx, rows: min(chunk, rows - r0), k: k, mode, data: d + r0 * kp, scales: s + r0, zeros: z + r0, body: body)
                }
                let chunks = (rows + chunk - 1) / chunk
                if threads > 1 { Parallel.forEach(chunks, run) } else { for c in 0..<chunks { run(c) } }
            }
        } }
    }

    /// `quantize` on the calling thread, for a caller that quantizes rows inside its own parallel pass:
    /// `x: [rows, k]` (stride ldx) → data: [rows, paddedK(k)] u8 (padding zero), scales: [rows], zeros: [rows].
    public static func quantizeRows(
        _ x: UnsafePointer<Float>, ldx: Int, rows: Int, k: Int, _ mode: ActivationQuantization,
        data: UnsafeMutablePointer<UInt8>, scales: UnsafeMutablePointer<Float>, zeros: UnsafeMutablePointer<Int32>, body: Int8Body = .auto
    ) {
        let kp = paddedK(k)
        switch mode {
        case .dynamic:
            attend_u8_quantize_rows(body.rawValue, Int32(rows), Int32(k), x, Int32(ldx), data, Int32(kp), scales, zeros)
        case .fixed(let scale, let zero):
            attend_u8_quantize_rows_static(body.rawValue, Int32(rows), Int32(k), x, Int32(ldx), scale, zero, data, Int32(kp))
            scales.update(repeating: scale, count: rows)
            zeros.update(repeating: zero, count: rows)
        }
    }

    /// `c[M, N] = a[M, K] · b` exactly in int32: a: [M, paddedK] u8 (stride lda); c stride ldc.
    public static func multiply(
        m: Int, a: UnsafePointer<UInt8>, lda: Int, b: Int8PackedMatrix, c: UnsafeMutablePointer<Int32>, ldc: Int,
        threads: Int = Parallel.threads, body: Int8Body = .auto
    ) {
        precondition(body.isAvailable, "int8 body \(body) is not available on this CPU")
        nonisolated(unsafe) let (a, c) = (a, c)
        b.storage.withUnsafeBufferPointer { packed in
            nonisolated(unsafe) let packed = packed
            forEachTask(m: m, n: b.n, threads: threads) { row0, rows, p0, p1 in
                attend_u8s8_gemm(body.rawValue, Int32(rows), Int32(b.n), Int32(b.k), a + row0 * lda, Int32(lda), packed.baseAddress,
                                 Int32(p0), Int32(p1), c + row0 * ldc, Int32(ldc))
            }
        }
    }

    /// `c[M, N] = (a · b − zeros_i · Σ_k b[k, n]) · scales_i · b.scales[n] + bias[n]` in Float:
    /// the int8 product of quantized activations `a` and weights `b`, dequantized on the way out.
    /// The first `rows` rows of `a` take part (all of them when nil).
    public static func multiply(
        _ a: QuantizedRows, rows: Int? = nil, b: Int8PackedMatrix, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int,
        threads: Int = Parallel.threads, body: Int8Body = .auto
    ) {
        precondition(body.isAvailable, "int8 body \(body) is not available on this CPU")
        precondition(a.k == b.k, "inner dimensions differ: activations K = \(a.k), weights K = \(b.k)")
        precondition((rows ?? 0) <= a.rows, "multiplying \(rows ?? 0) rows of \(a.rows) quantized rows")
        let (m, kp) = (rows ?? a.rows, paddedK(a.k))
        nonisolated(unsafe) let (c, bias) = (c, bias)
        a.data.withUnsafeBufferPointer { ap in a.scales.withUnsafeBufferPointer { sp in a.zeros.withUnsafeBufferPointer { zp in
            b.storage.withUnsafeBufferPointer { packed in b.scales.withUnsafeBufferPointer { cs in b.columnSums.withUnsafeBufferPointer { sums in
                nonisolated(unsafe) let (ap, sp, zp, packed, cs, sums) = (ap, sp, zp, packed, cs, sums)
                forEachTask(m: m, n: b.n, threads: threads) { row0, rows, p0, p1 in
                    attend_u8s8_gemm_dequantized(
                        body.rawValue, Int32(rows), Int32(b.n), Int32(b.k), ap.baseAddress! + row0 * kp, Int32(kp), packed.baseAddress,
                        Int32(p0), Int32(p1), sp.baseAddress! + row0, zp.baseAddress! + row0, cs.baseAddress, sums.baseAddress, bias,
                        c + row0 * ldc, Int32(ldc))
                }
            } } }
        } } }
    }

    /// Splits an int8 product `C[M, N]` into the tasks `multiply` runs — row blocks × ranges of 16-column
    /// panels — and runs `body(row0, rows, panelBegin, panelEnd)` for each on `threads` threads: for a
    /// product with its epilogue (`IntegerOps.ffnActivation(product:…)`).
    public static func forEachTask(m: Int, n: Int, threads: Int = Parallel.threads, _ body: (Int, Int, Int, Int) -> Void) {
        // Row blocks are multiples of 8 (both micro-kernels' MR divide it) of at most ATTEND_I8_MC rows.
        GEMM.forEachTask(m: m, n: n, threads: threads, mr: 8, nr: Int(ATTEND_I8_NR), mcMax: Int(ATTEND_I8_MC),
                         tasksPerThread: KernelConfig.current.tasksPerThread, body)
    }
}
