import AttendKernels

/// A linear layer's weight W: [outputs, inputs] in the form its checkpoint stores it, applied as
/// `out[n, outputs] = x[n, inputs] · Wᵀ (+ bias)`.
enum LinearWeight: Sendable {
    /// Float32 (from F32/F16/BF16 safetensors), packed once for the SGEMM micro-kernel.
    case packed(PackedMatrix)
    /// GGML blocks inside the memory-mapped GGUF file, multiplied without a dequantized copy
    /// (activations stay Float32; see `QuantizedMatrix.multiply`).
    case quantized(QuantizedMatrix)

    var outputs: Int {
        switch self {
        case .packed(let w): return w.n
        case .quantized(let w): return w.rows
        }
    }

    var inputs: Int {
        switch self {
        case .packed(let w): return w.k
        case .quantized(let w): return w.columns
        }
    }

    /// out: [n, outputs] (stride ldo) = x: [n, inputs] (stride ldx) · Wᵀ + bias ([outputs] or nil).
    func apply(_ x: UnsafePointer<Float>, ldx: Int, rows n: Int, bias: [Float]?, into out: UnsafeMutablePointer<Float>, ldo: Int) {
        switch self {
        case .packed(let w):
            if let bias {
                bias.withUnsafeBufferPointer { GEMM.multiply(m: n, a: x, lda: ldx, b: w, bias: $0.baseAddress, c: out, ldc: ldo) }
            } else {
                GEMM.multiply(m: n, a: x, lda: ldx, b: w, bias: nil, c: out, ldc: ldo)
            }
        case .quantized(let w):
            w.multiply(x, count: n, ldx: ldx, into: out, ldo: ldo)
            if let bias { for i in 0..<n { for j in 0..<bias.count { out[i * ldo + j] += bias[j] } } }
        }
    }
}

/// A token-embedding table [V, D]: Float32 rows, or GGML blocks dequantized one row at a time.
enum EmbeddingTable: Sendable {
    case dense(Tensor)
    case quantized(QuantizedMatrix)

    var rows: Int {
        switch self {
        case .dense(let t): return t.shape[0]
        case .quantized(let w): return w.rows
        }
    }

    /// out[i, :] = table[ids[i], :] for out: [ids.count, D] (ids validated by the caller).
    func gather(_ ids: [Int], into out: UnsafeMutablePointer<Float>) {
        switch self {
        case .dense(let t):
            t.data.withUnsafeBufferPointer { RowOps.gather(table: $0.baseAddress!, rows: t.shape[0], width: t.shape[1], ids: ids, into: out) }
        case .quantized(let w):
            for (i, id) in ids.enumerated() { w.dequantizeRow(id, into: out + i * w.columns) }
        }
    }

    /// The tied output projection (logits = h · Eᵀ): the same blocks for GGUF, a packed copy for F32.
    var asOutputProjection: LinearWeight {
        switch self {
        case .dense(let t): return .packed(PackedMatrix(linearWeight: t))
        case .quantized(let w): return .quantized(w)
        }
    }
}
