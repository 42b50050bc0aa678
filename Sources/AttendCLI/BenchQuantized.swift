import AttendKernels
import Foundation

/// Quantized products at SmolLM2-135M's shapes (`attend bench --what quant`): matrix–vector (one
/// token, memory-bound) and matrix–matrix (m = 128 prompt tokens, compute-bound), for each thread
/// count. Weights are random valid blocks, copied until they fill 64 MiB, and each timed call uses
/// the next copy, so that they come from memory as a 96 MB model's do during generation.
/// GB/s = weight bytes / time; GFLOP/s = 2·m·rows·columns / time.
func benchQuantized(threadCounts: [Int]) -> [Measurement] {
    let shapes: [(GGMLType, Int, Int)] = [(.q4_1, 1536, 576), (.q4_1, 576, 1536), (.q8_0, 49152, 576)]  // (type, rows = out, columns = in)
    var results: [Measurement] = []
    for (type, rows, columns) in shapes {
        let bytes = type.rowBytes(columns: columns)! * rows
        let copies = max(1, (64 << 20) / bytes)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: bytes * copies, alignment: 64)
        defer { storage.deallocate() }
        fillRandomBlocks(type, storage, blocks: bytes * copies / type.blockBytes)
        let matrices = (0..<copies).map { QuantizedMatrix(type: type, rows: rows, columns: columns, data: storage + $0 * bytes, owner: nil) }
        for m in [1, 128] {
            let x = (0..<(m * columns)).map { Float(($0 * 37) % 101) / 101 - 0.5 }
            var out = [Float](repeating: 0, count: m * rows)
            for t in threadCounts {
                var next = 0
                let flops = 2 * Double(m * rows * columns)
                let repeats = max(5, min(200, Int(2e9 / flops)))
                let ms = x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
                    medianMilliseconds(repeats: repeats) {
                        matrices[next % copies].multiply(xp.baseAddress!, count: m, ldx: columns, into: op.baseAddress!, ldo: rows, threads: t)
                        next += 1
                    }
                } }
                results.append(Measurement(name: m == 1 ? "quant-matvec" : "quant-matmat", impl: "attend", threads: t, ms: ms,
                                           m: m, k: columns, n: rows, gflops: flops / (ms * 1e6), type: type.name,
                                           gbps: Double(bytes) / (ms * 1e6)))
            }
        }
    }
    return results
}

/// Random blocks of `type` with small finite F16 scales at the start of each block (Q4_1: d and m; Q8_0: d).
private func fillRandomBlocks(_ type: GGMLType, _ p: UnsafeMutableRawPointer, blocks: Int) {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    for b in 0..<blocks {
        let block = p + b * type.blockBytes
        for i in 0..<type.blockBytes {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            block.storeBytes(of: UInt8(truncatingIfNeeded: state >> 33), toByteOffset: i, as: UInt8.self)
        }
        block.storeBytes(of: Float16(0.01).bitPattern, toByteOffset: 0, as: UInt16.self)
        if type == .q4_1 { block.storeBytes(of: Float16(-0.05).bitPattern, toByteOffset: 2, as: UInt16.self) }
    }
}
