import CAttendKernels

/// Which blocks of one head's score matrix HDP keeps, from block importances θ (Σ|S_I| per block).
/// importance: [rows, columns] block-rows × block-columns, row-major; results are 0/1 of the same shape.
public enum BlockSelection {
    /// Energon's row threshold (SPEC §4.4 item 3) for importances v of one block-row and ratio
    /// ρ ∈ [−1, 1]: ρ ≥ 0 ⇒ Θ = ρ·max v + (1 − ρ)·mean v; ρ < 0 ⇒ Θ = −ρ·min v + (1 + ρ)·mean v.
    public static func rowThreshold(_ v: ArraySlice<Double>, ratio rho: Double) -> Double {
        threshold(min: v.min()!, max: v.max()!, mean: v.reduce(0, +) / Double(v.count), ratio: rho)
    }

    @inline(__always)
    private static func threshold(min: Double, max: Double, mean: Double, ratio rho: Double) -> Double {
        rho >= 0 ? rho * max + (1 - rho) * mean : -rho * min + (1 + rho) * mean
    }

    /// HDP's row-balanced pruning: in every block-row, blocks with θ < Θ_row are pruned; every row
    /// keeps at least its most important block (the first, on ties). ρ = −1 keeps everything.
    @inline(never)
    public static func rowBalanced(_ importance: [Double], rows: Int, columns: Int, ratio rho: Double) -> [UInt8] {
        var kept = [UInt8](repeating: 0, count: rows * columns)
        guard columns > 0 else { return kept }
        importance.withUnsafeBufferPointer { theta in
            kept.withUnsafeMutableBufferPointer { kept in
                for r in 0..<rows {
                    let row = theta.baseAddress! + r * columns, out = kept.baseAddress! + r * columns
                    var (low, high, sum, best) = (row[0], row[0], 0.0, 0)
                    for c in 0..<columns {
                        sum += row[c]
                        low = Swift.min(low, row[c])
                        if row[c] > high { (high, best) = (row[c], c) }
                    }
                    let cut = threshold(min: low, max: high, mean: sum / Double(columns), ratio: rho)
                    for c in 0..<columns { out[c] = row[c] >= cut ? 1 : 0 }
                    out[best] = 1
                }
            }
        }
        return kept
    }

    /// The Top-K baseline: every block-row keeps its k = max(1, ⌈fraction · columns⌉) most important
    /// blocks (ties: the earlier column).
    public static func topK(_ importance: [Double], rows: Int, columns: Int, keep fraction: Double) -> [UInt8] {
        let k = max(1, min(columns, Int((fraction * Double(columns)).rounded(.up))))
        var kept = [UInt8](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            let order = (0..<columns).sorted { importance[r * columns + $0] > importance[r * columns + $1] || (importance[r * columns + $0] == importance[r * columns + $1] && $0 < $1) }
            for c in order.prefix(k) { kept[r * columns + c] = 1 }
        }
        return kept
    }

    /// θ per block: Σ|s| over each `block × block` block of s: [queries, keys] (edge blocks partial).
    @inline(never)
    public static func importance(_ s: UnsafeBufferPointer<Int32>, queries: Int, keys: Int, block: Int) -> [Double] {
        let (rows, columns) = ((queries + block - 1) / block, (keys + block - 1) / block)
        let sums = [Int64](unsafeUninitializedCapacity: rows * columns) { sums, count in  // every entry written
            attend_block_abs_sums(Int32(queries), Int32(keys), s.baseAddress, Int32(keys), Int32(block), sums.baseAddress)
            count = rows * columns
        }
        return sums.map(Double.init)
    }
}
