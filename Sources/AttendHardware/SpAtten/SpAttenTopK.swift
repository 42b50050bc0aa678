import AttendWorkload

/// Latency of SpAtten's top-k engine: a randomised quick-select over the candidates (arXiv
/// 2012.09852 §IV-B; the authors' `TopKLatencyModel.scala`), then a filter pass that keeps the
/// input order (streamed out beside the V fetch, not counted here).
public enum SpAttenTopK {
    /// One quick-select's cost.
    public struct Run: Sendable, Equatable {
        /// Σ over iterations of ⌈m / comparators⌉ + overhead, m the candidates left.
        public var cycles = 0
        public var iterations = 0
        /// Σ m: one comparison per candidate per iteration.
        public var comparisons = 0

        public init(cycles: Int = 0, iterations: Int = 0, comparisons: Int = 0) {
            (self.cycles, self.iterations, self.comparisons) = (cycles, iterations, comparisons)
        }
    }

    /// Quick-select for the element of rank `target` (0-based, ascending) among `count` distinct
    /// candidates. Each iteration over m candidates costs ⌈m / comparators⌉ + `overhead` cycles
    /// and partitions around a pivot of rank r = `pivotRank(m)` ∈ 0 ..< m: done when r = t, else
    /// keep the r smaller (t < r) or the m − r − 1 larger ones (t ← t − r − 1). Only ranks matter
    /// for distinct values, so no values are stored (the twin in the tests partitions real arrays).
    public static func run(count: Int, target: Int, comparators: Int, overhead: Int, pivotRank: (Int) -> Int) -> Run {
        precondition(comparators >= 1 && overhead >= 0)
        var run = Run()
        guard count > 0 else { return run }
        var (m, t) = (count, min(max(target, 0), count - 1))
        while m > 0 {
            run.cycles += (m + comparators - 1) / comparators + overhead
            run.iterations += 1
            run.comparisons += m
            let r = pivotRank(m)
            precondition(r >= 0 && r < m, "pivot rank out of range")
            if r == t { break }
            if t < r { m = r } else { (m, t) = (m - r - 1, t - r - 1) }
        }
        return run
    }

    /// The same with pivots drawn uniformly by a SplitMix64 generator seeded with `seed`: the
    /// authors' model draws them from a seeded generator too, so a workload costs the same every time.
    public static func run(count: Int, target: Int, comparators: Int, overhead: Int, seed: UInt64) -> Run {
        var generator = SplitMix64(seed: seed)
        return run(count: count, target: target, comparators: comparators, overhead: overhead) { m in Int.random(in: 0..<m, using: &generator) }
    }
}
