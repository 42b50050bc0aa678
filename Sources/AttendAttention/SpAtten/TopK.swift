/// SpAtten's top-k engine (Wang et al., HPCA 2021, §IV-C; SPEC §4.5): a randomised quick-select
/// finds the k-th largest value τ in average O(n), then one filter pass keeps, in input order,
/// every value > τ and the first values = τ until k are kept. Ties therefore go to the earlier
/// index, so the result equals "sort by (value descending, index ascending), take k, restore input
/// order" (the full-sort twin in the tests).
///
/// Pivots come from a fixed-seed SplitMix64 stream, so a selection is deterministic for its input.
public enum TopK {
    /// Indices of the k largest of `values`, in increasing index order. Precondition: 0 ≤ k ≤ count,
    /// no NaN (+∞ marks entries that must be kept).
    public static func select(_ values: [Float], k: Int) -> [Int] {
        precondition(k >= 0 && k <= values.count, "top-k: k = \(k) of \(values.count) values")
        precondition(!values.contains(where: \.isNaN), "top-k: NaN among the values")
        if k == 0 { return [] }
        if k == values.count { return Array(values.indices) }
        var work = values
        let tau = kthLargest(&work, k: k).value
        var greater = 0
        for v in values where v > tau { greater += 1 }
        var ties = k - greater  // values = τ still to keep, earliest first
        var kept: [Int] = []
        kept.reserveCapacity(k)
        for (i, v) in values.enumerated() {
            if v > tau {
                kept.append(i)
            } else if v == tau && ties > 0 {
                kept.append(i)
                ties -= 1
            }
        }
        return kept
    }

    /// The k-th largest value (1 ≤ k ≤ count) by quick-select with three-way partitions (so runs of
    /// equal values end the search at once), and the quick-select iterations' sub-array lengths —
    /// what the RTL engine streams (its latency is Σ ⌈n_i / parallelism⌉ + 3). Reorders `values`.
    public static func kthLargest(_ values: inout [Float], k: Int) -> (value: Float, lengths: [Int]) {
        precondition(k >= 1 && k <= values.count, "k-th largest: k = \(k) of \(values.count) values")
        var generator = SplitMix64(seed: UInt64(values.count) &* 0x9E37_79B9 &+ UInt64(k))
        var (lo, hi) = (0, values.count)  // the answer's rank k − 1 lies in lo..<hi
        var lengths: [Int] = []
        let rank = k - 1
        while true {
            lengths.append(hi - lo)
            let pivot = values[lo + Int(generator.next() % UInt64(hi - lo))]
            // Dutch-flag partition of lo..<hi, descending: [> pivot | = pivot | < pivot].
            var (gt, i, lt) = (lo, lo, hi)
            while i < lt {
                let v = values[i]
                if v > pivot {
                    values.swapAt(i, gt)
                    gt += 1
                    i += 1
                } else if v < pivot {
                    lt -= 1
                    values.swapAt(i, lt)
                } else {
                    i += 1
                }
            }
            if rank < gt {
                hi = gt
            } else if rank < lt {
                return (pivot, lengths)
            } else {
                lo = lt
            }
        }
    }
}
