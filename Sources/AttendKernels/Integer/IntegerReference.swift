import Foundation

/// Slow twins of the integer kernels (IntegerOps, int_ops.c): the real-valued (Float64) functions
/// they approximate, and an independent wide-integer model of the dyadic rounding.
extension Reference {
    /// ⌊x·b / 2^c + 1/2⌋ computed in 128 bits (the kernels' int64 arithmetic, independently).
    public static func dyadicRound(_ x: Int64, multiplier b: Int64, shift c: Int) -> Int64 {
        let (high, low) = x.multipliedFullWidth(by: b)
        // (high·2^64 + low + 2^(c−1)) >> c, c ≤ 62.
        let (sumLow, carry) = low.addingReportingOverflow(UInt64(1) << UInt64(c - 1))
        let sumHigh = high &+ (carry ? 1 : 0)
        return Int64(truncatingIfNeeded: (UInt64(bitPattern: Int64(sumHigh)) << UInt64(64 - c)) | (sumLow >> UInt64(c)))
    }

    /// softmax(S·x) over the first `valid[i]` entries of each row of x: [rows, n] (others 0), Float64.
    public static func integerScoresSoftmax(_ x: [Int32], rows: Int, n: Int, valid: [Int]? = nil, scale s: Double) -> [Double] {
        var out = [Double](repeating: 0, count: rows * n)
        for i in 0..<rows {
            let keys = min(n, valid?[i] ?? n)
            guard keys > 0 else { continue }
            let row = (0..<keys).map { s * Double(x[i * n + $0]) }
            let m = row.max()!
            let e = row.map { Foundation.exp($0 - m) }, total = e.reduce(0, +)
            for j in 0..<keys { out[i * n + j] = e[j] / total }
        }
        return out
    }

    /// GELU(x) = x·(1 + erf(x/√2))/2 in Float64.
    public static func gelu(_ x: Double) -> Double { x * (1 + Foundation.erf(x / 2.0.squareRoot())) / 2 }

    /// (x − mean)/std per row of x: [rows, n] (population variance, no ε), Float64; 0 for constant rows.
    public static func normalizedRows(_ x: [Int32], rows: Int, n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: rows * n)
        for i in 0..<rows {
            let row = x[(i * n)..<(i * n + n)].map(Double.init)
            let mean = row.reduce(0, +) / Double(n)
            let std = (row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
            if std > 0 { for j in 0..<n { out[i * n + j] = (row[j] - mean) / std } }
        }
        return out
    }

    /// ⌊√n⌋ exactly: the Float64 root, corrected by ±1 steps in wide integers.
    public static func integerSquareRoot(_ n: Int64) -> Int64 {
        var r = Int64(Double(n).squareRoot())
        func square(_ v: Int64) -> (high: Int64, low: UInt64) { v.multipliedFullWidth(by: v) }
        func exceeds(_ v: Int64) -> Bool { let s = square(v); return s.high > 0 || s.low > UInt64(n) }
        while exceeds(r) { r -= 1 }
        while !exceeds(r + 1) { r += 1 }
        return r
    }
}
