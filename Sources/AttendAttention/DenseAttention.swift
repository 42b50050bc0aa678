import AttendKernels

/// Dense reference attention in Float32 (SPEC §4.1): per head, the full score matrix
/// `S = Q Kᵀ / √d` `[queries, keys]`, masked entries −∞, row softmax (fully masked rows → zeros),
/// `O = P V`. Materialises S: O(N²) memory per head, so it is the reference, not the fast path.
public enum DenseAttention {
    /// Runs every problem (heads split over `Parallel.threads`); returns the records. With
    /// `softmax`, rows use that table exponential instead of the exact one.
    @discardableResult
    public static func run(_ problems: [AttentionProblem], softmax lut: LUTExp? = nil) -> [[HeadWorkload]] {
        var tasks: [(Int, Int)] = []
        for (p, problem) in problems.enumerated() { for h in 0..<problem.heads { tasks.append((p, h)) } }
        Parallel.forEach(tasks.count) { index in
            let (p, h) = tasks[index]
            attendHead(problems[p], head: h, lut: lut)
        }
        return problems.map { problem in
            (0..<problem.heads).map { h in
                let allowed = problem.mask.skippedHeads.contains(h) ? 0 : denseAllowedEntries(problem, head: h)
                let computed = problem.mask.skippedHeads.contains(h) ? 0 : problem.queries * problem.keys
                let d = problem.headDim
                return HeadWorkload(queries: problem.queries, keys: problem.keys, allowedEntries: allowed, computedEntries: computed,
                                    blocksKept: computed > 0 ? 1 : 0, blocksTotal: 1, qkMACs: computed * d, pvMACs: computed * d,
                                    denseMACs: 2 * problem.queries * problem.keys * d, exps: computed,
                                    bytesQ: computed > 0 ? problem.queries * d * 4 : 0, bytesK: computed > 0 ? problem.keys * d * 4 : 0,
                                    bytesV: computed > 0 ? problem.keys * d * 4 : 0, bits: 32,
                                    kvRowsRead: computed > 0 ? problem.keys : 0, headPruned: problem.mask.skippedHeads.contains(h) ? 1 : 0, headDim: d)
            }
        }
    }

    /// Allowed entries: all when the mask has no constraint besides padding, else counted.
    private static func denseAllowedEntries(_ problem: AttentionProblem, head h: Int) -> Int {
        let m = problem.mask
        if !m.causal && m.window == nil && m.blocks == nil { return problem.queries * problem.keys }
        return m.allowedEntries(head: h, queries: problem.queries, keys: problem.keys)
    }

    private static func attendHead(_ problem: AttentionProblem, head h: Int, lut: LUTExp?) {
        let (nq, nk, d) = (problem.queries, problem.keys, problem.headDim)
        let out = problem.out + h * d
        if nq == 0 { return }
        if problem.mask.skippedHeads.contains(h) || nk == 0 {
            for i in 0..<nq { (out + i * problem.ldo).update(repeating: 0, count: d) }
            return
        }
        let g = problem.kvHead(of: h)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: nq * nk) { buffer in
            let s = buffer.baseAddress!  // s: [nq, nk]
            GEMM.multiply(m: nq, n: nk, k: d, a: problem.q + h * d, lda: problem.ldq,
                          b: problem.k + g * d, ldb: problem.ldk, transposedB: true, c: s, ldc: nk)
            let m = problem.mask
            if m.causal || m.window != nil || m.blocks != nil {
                for i in 0..<nq { for j in 0..<nk where !m.allows(head: h, query: i, key: j, keys: nk) { s[i * nk + j] = -.infinity } }
            }
            if let lut { lutSoftmax(s, rows: nq, n: nk, scale: problem.scale, lut) } else { RowOps.softmax(s, rows: nq, n: nk, ld: nk, scale: problem.scale) }
            GEMM.multiply(m: nq, n: d, k: nk, a: s, lda: nk, b: problem.v + g * d, ldb: problem.ldv, transposedB: false,
                          c: out, ldc: problem.ldo)
        }
    }

    /// Row softmax of `s: [rows, n]` with the table exponential: p = LUT(scale·(s − max)) / Σ;
    /// rows with no finite entry become zeros.
    private static func lutSoftmax(_ s: UnsafeMutablePointer<Float>, rows: Int, n: Int, scale: Float, _ lut: LUTExp) {
        for r in 0..<rows {
            let row = s + r * n
            var m = -Float.infinity
            for j in 0..<n { m = max(m, row[j]) }
            guard m > -.infinity else { row.update(repeating: 0, count: n); continue }
            var sum: Float = 0
            for j in 0..<n { row[j] = lut((row[j] - m) * scale); sum += row[j] }
            for j in 0..<n { row[j] /= sum }
        }
    }
}
