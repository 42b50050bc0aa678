import Foundation

/// Slow twins of the int8 kernels: plain loops, Int64 sums (exact for any size that fits).
extension Reference {
    /// `c[M, N] = a[M, K] · bᵀ` exactly, a: [M, K] u8, bt: [N, K] s8.
    public static func int8MatMul(m: Int, n: Int, k: Int, a: [UInt8], bt: [Int8]) -> [Int64] {
        var c = [Int64](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s: Int64 = 0
            for p in 0..<k { s += Int64(a[i * k + p]) * Int64(bt[j * k + p]) }
            c[i * n + j] = s
        } }
        return c
    }

    /// The dynamic per-row u8 quantization of `Int8GEMM.quantize` (same Float formula, element by
    /// element): x: [rows, k] → (data [rows, k], scales, zeros).
    public static func quantizeRows(_ x: [Float], rows: Int, k: Int) -> (data: [UInt8], scales: [Float], zeros: [Int32]) {
        var data = [UInt8](repeating: 0, count: rows * k), scales = [Float](), zeros = [Int32]()
        for i in 0..<rows {
            let row = x[(i * k)..<(i * k + k)]
            let lo = min(0, row.min() ?? 0), hi = max(0, row.max() ?? 0)
            let scale: Float = hi > lo ? (hi - lo) / 255 : 1
            let zero = min(255, max(0, (-lo / scale).rounded(.toNearestOrEven)))
            let inverse = 1 / scale
            for (c, v) in row.enumerated() { data[i * k + c] = UInt8(min(255, max(0, (v * inverse).rounded(.toNearestOrEven) + zero))) }
            scales.append(scale)
            zeros.append(Int32(zero))
        }
        return (data, scales, zeros)
    }
}
