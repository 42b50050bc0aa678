import AttendKernels
import CAttendKernels

/// Hybrid dynamic pruning (Jaradat et al., arXiv 2407.12893; SPEC §4.4), per sequence and head:
///
/// 1. Q and K in fixed point (`format`), split into integer and fraction parts (`FixedPoint`).
/// 2. `S_I = Q_I K_Iᵀ` in integer arithmetic: the importance proxy.
/// 3. Head importance θ_H = Σ|S_I| / (queries · keys); θ_H < τ_H ⇒ the head is pruned (zero output).
///    (The paper compares the plain sum; divided by the entry count one τ_H serves every sentence
///    length — with the paper's fixed padded length the two are proportional.)
/// 4. Block importance θ_b = Σ|S_I| over `block × block` blocks; row-balanced thresholds with ratio
///    ρ_B (`BlockSelection.rowBalanced`), or the Top-K baseline (`BlockSelection.topK`).
/// 5. Kept blocks only: scores `(Q_I K_Iᵀ + Q_F K_Iᵀ + Q_I K_Fᵀ) / √d` (`approximate`) or the exact
///    Float32 `q·k / √d`; softmax over the kept keys with I-BERT's polynomial exp and a linear
///    reciprocal (`polynomialSoftmax`) or exactly; `P V` over the kept keys. V rows of pruned keys are
///    never read (Fetch-Upon-Mask); the AVX-512 VNNI body scores whole 16-key panels that hold a kept
///    key (pruned lanes masked out), the other bodies read K rows of kept keys only.
///
/// With ρ_B = −1, τ_H = 0, `approximate` and `polynomialSoftmax` off, every block is kept and the
/// result is dense attention (tested). The magnitude head baseline (`Heads.magnitude`) computes every
/// head, then zeroes the given fraction with the smallest mean |output| (the criterion of SpAtten's
/// head pruning, applied per layer without its cascade; it saves no work, it is a quality baseline).
public struct HDPMethod: AttentionMethod {
    public enum Blocks: Sendable, Equatable {
        /// HDP's row-balanced threshold with ratio ρ_B ∈ [−1, 1].
        case rowBalanced(ratio: Double)
        /// Baseline: the ⌈fraction · columns⌉ most important blocks of every block-row.
        case topK(keep: Double)
    }

    public enum Heads: Sendable, Equatable {
        /// HDP: prune a head when Σ|S_I| / (queries · keys) < τ_H (0 prunes nothing).
        case integerThreshold(Double)
        /// Baseline: prune ⌊fraction · heads⌋ heads with the smallest mean |output|, per sequence and layer.
        case magnitude(fraction: Double)
    }

    public var block: Int
    public var blocks: Blocks
    public var heads: Heads
    public var approximate: Bool
    public var polynomialSoftmax: Bool
    public var format: FixedPoint

    public init(block: Int = 2, blocks: Blocks = .rowBalanced(ratio: 0), heads: Heads = .integerThreshold(0),
                approximate: Bool = true, polynomialSoftmax: Bool = true, format: FixedPoint = FixedPoint()) {
        precondition(block >= 1, "HDP block size must be ≥ 1")
        (self.block, self.blocks, self.heads) = (block, blocks, heads)
        (self.approximate, self.polynomialSoftmax, self.format) = (approximate, polynomialSoftmax, format)
    }

    public var name: String { "hdp" }

    public func attend(layer: Int, _ problems: [AttentionProblem], states: inout [AttentionState]) -> [[HeadWorkload]] {
        var tasks: [(problem: Int, head: Int)] = []
        for (p, problem) in problems.enumerated() { for h in 0..<problem.heads { tasks.append((p, h)) } }
        let records = UnsafeMutableBufferPointer<HeadWorkload>.allocate(capacity: tasks.count)
        defer { records.deallocate() }
        nonisolated(unsafe) let output = records
        Parallel.forEach(tasks.count) { index in
            output.initializeElement(at: index, to: attendHead(problems[tasks[index].problem], head: tasks[index].head))
        }
        var result: [[HeadWorkload]] = problems.map { _ in [] }
        for (index, task) in tasks.enumerated() { result[task.problem].append(records[index]) }
        if case let .magnitude(fraction) = heads {
            for (p, problem) in problems.enumerated() { pruneByMagnitude(problem, fraction: fraction, &result[p]) }
        }
        return result
    }

    /// One head: importance, pruning decisions, kept-block attention; returns its record.
    func attendHead(_ problem: AttentionProblem, head h: Int) -> HeadWorkload {
        let (nq, nk, d) = (problem.queries, problem.keys, problem.headDim)
        let g = problem.kvHead(of: h)
        let (q, k, v, out) = (problem.q + h * d, problem.k + g * d, problem.v + g * d, problem.out + h * d)
        let (rows, columns) = ((nq + block - 1) / block, (nk + block - 1) / block)
        var record = HeadWorkload(queries: nq, keys: nk, allowedEntries: 0, computedEntries: 0, blocksKept: 0, blocksTotal: rows * columns,
                                  qkMACs: 0, pvMACs: 0, denseMACs: 2 * nq * nk * d, exps: 0, bytesQ: nq * d * 2, bytesK: nk * d * 2,
                                  bytesV: 0, bits: format.totalBits, kvRowsRead: 0, headDim: d, blockRows: block, blockColumns: block,
                                  keptBlocks: [])
        // Pruned and empty heads: zero output, no block kept.
        let zeroOutput = {
            for i in 0..<nq { (out + i * problem.ldo).update(repeating: 0, count: d) }
            record.keptBlocks = BlockMask(pruned: rows * columns)
        }
        if problem.mask.skippedHeads.contains(h) || nq == 0 || nk == 0 {
            zeroOutput()
            record.headPruned = problem.mask.skippedHeads.contains(h) ? 1 : 0
            return record
        }
        // Q and K split (slots 3 and 4), S_I: [nq, nk] and θ: [rows, columns] (slots 0 and 1) in this
        // thread's scratch, every entry written (S_I only when the kept-block rows read it).
        let qFI = threadScratch(Int(ATTEND_SCRATCH_HDP_QUERY_SPLIT), Int16.self, count: nq * 2 * d)  // [nq, 2d]: Q_F | Q_I
        let kIF = threadScratch(Int(ATTEND_SCRATCH_HDP_KEY_SPLIT), Int16.self, count: nk * 2 * d)  // [nk, 2d]: K_I | K_F
        format.splitRows(q, ld: problem.ldq, rows: nq, d: d, fractionFirst: true, into: qFI)
        format.splitRows(k, ld: problem.ldk, rows: nk, d: d, fractionFirst: false, into: kIF)
        let scores = threadScratch(Int(ATTEND_SCRATCH_HDP_SCORES), Int32.self, count: nq * nk)
        let theta = threadScratch(Int(ATTEND_SCRATCH_HDP_BLOCK_SUMS), Int64.self, count: rows * columns)
        var head = attend_hdp_head(
            queries: Int32(nq), keys: Int32(nk), d: Int32(d), scale: problem.scale, q: q, ldq: Int32(problem.ldq),
            k: k, ldk: Int32(problem.ldk), v: v, ldv: Int32(problem.ldv), out: out, ldo: Int32(problem.ldo),
            q_fi: qFI, k_if: kIF, fraction_bits: Int32(format.fractionBits), s_int: scores, kept: nil, block: Int32(block),
            key_blocks: Int32(columns), approximate: approximate ? 1 : 0, polynomial: polynomialSoftmax ? 1 : 0)
        IntegerScores.compute(nq: nq, nk: nk, d: d, qI: qFI + d, ldq: 2 * d, kI: kIF, ldk: 2 * d, block: block, into: scores, importance: theta,
                              keepScores: attend_hdp_rows_reads_s_int(&head) != 0)
        record.integerMACs = nq * nk * d
        record.qkMACs = record.integerMACs
        record.headImportance = Int(attend_hdp_importance_total(theta, rows * columns))
        if case let .integerThreshold(tau) = heads, Double(record.headImportance) / Double(nq * nk) < tau {
            zeroOutput()
            record.headPruned = 1
            return record
        }
        let kept = threadScratch(Int(ATTEND_SCRATCH_HDP_KEPT_FLAGS), UInt8.self, count: rows * columns)  // [rows, columns]: 1 kept, 0 pruned
        switch blocks {
        case let .rowBalanced(ratio):
            attend_hdp_row_balanced(theta, Int32(rows), Int32(columns), ratio, kept)
        case let .topK(fraction):
            let importance = (0..<(rows * columns)).map { Double(theta[$0]) }
            kept.update(from: BlockSelection.topK(importance, rows: rows, columns: columns, keep: fraction), count: rows * columns)
        }
        var (blocksKept, keptEntries, rowsRead): (Int64, Int64, Int64) = (0, 0, 0)
        attend_hdp_kept_counts(kept, Int32(nq), Int32(nk), Int32(block), &blocksKept, &keptEntries, &rowsRead)
        let (entries, keyRows) = (Int(keptEntries), Int(rowsRead))
        record.blocksKept = Int(blocksKept)
        record.keptBlocks = packedMask(kept, count: rows * columns)
        (record.allowedEntries, record.computedEntries, record.exps) = (entries, entries, entries)
        record.fractionMACs = approximate ? 2 * entries * d : 0
        record.qkMACs += approximate ? record.fractionMACs : entries * d
        record.pvMACs = entries * d
        (record.kvRowsRead, record.bytesV) = (keyRows, keyRows * d * 4)

        head.kept = UnsafePointer(kept)
        attend_hdp_rows(&head, 0, Int32(nq), threadScratch(Int(ATTEND_SCRATCH_HDP_ROWS), Float.self, count: attend_hdp_scratch_size(Int32(nk), Int32(d))))
        return record
    }

    /// The magnitude baseline: zero the ⌊fraction · heads⌋ heads with the smallest mean |output|.
    private func pruneByMagnitude(_ problem: AttentionProblem, fraction: Double, _ records: inout [HeadWorkload]) {
        let count = Int((fraction * Double(problem.heads)).rounded(.down))
        guard count > 0, problem.queries > 0 else { return }
        let d = problem.headDim
        let magnitude = (0..<problem.heads).map { h in
            (0..<problem.queries).reduce(0.0) { sum, i in
                sum + UnsafeBufferPointer(start: problem.out + i * problem.ldo + h * d, count: d).reduce(0.0) { $0 + Double(abs($1)) }
            }
        }
        let order = (0..<problem.heads).sorted { magnitude[$0] < magnitude[$1] || (magnitude[$0] == magnitude[$1] && $0 < $1) }
        for h in order.prefix(count) {
            for i in 0..<problem.queries { (problem.out + i * problem.ldo + h * d).update(repeating: 0, count: d) }
            records[h].headPruned = 1
        }
    }
}

/// The record's copy of count kept flags (0 / 1), packed into bits (`attend_pack_flags`).
func packedMask(_ flags: UnsafePointer<UInt8>, count: Int) -> BlockMask {
    let words = [UInt64](unsafeUninitializedCapacity: (count + 63) / 64) { words, initialized in
        attend_pack_flags(flags, count, words.baseAddress)
        initialized = (count + 63) / 64
    }
    return BlockMask(words: words, count: count)!
}
