import AttendKernels
import CAttendKernels

/// Tiled exact attention (FlashAttention, Dao et al. 2022; SPEC §4.2): per head and tile of
/// queries, the online softmax `m' = max(m, rowmax S)`, `l' = l·e^{m−m'} + Σ e^{S−m'}`,
/// `O' = O·e^{m−m'} + e^{S−m'} V` over key tiles, then `O / l` and `lse = m + log l`.
///
/// Tiles: `KernelConfig.attentionQueryTile` × `attentionKeyTile` (96 queries × 128 keys on the
/// reference Zen 4: the 48 KiB score tile, the 96×d output accumulator and the K/V tiles stay in the
/// 1 MiB L2); with a block layout the tiles are the layout's blocks, so
/// kept/skipped tiles are exactly kept/skipped blocks; a window over long inputs gets band-wide tiles.
/// K and V are packed once per head into GEMM panels (O(keys·d) extra memory, never O(N²)), except
/// for problems of at most `inPlaceRows` query rows, which read them in place.
/// Work is split over (problem, head, query tile) on `Parallel.threads` threads.
public enum TiledAttention {
    /// Problems with at most this many query rows (a decoder's generation step has one) read K and V
    /// in place, row by row, instead of packing them into GEMM panels: for so few rows the packing
    /// would cost more than the products it feeds.
    public static let inPlaceRows = 4

    /// Runs every problem; writes their outputs and returns lse / column sums on request.
    /// With `softmax`, the online softmax uses that table exponential instead of the exact one.
    /// Column sums Σ_i P[i, j] are of the probabilities the outputs used: each query tile keeps its
    /// rows' e^{scale·(s − m_t)} (tile_rows × keys floats per task, never N²) and rescales them at
    /// the end, with no second Q·Kᵀ pass; the tiles' partial sums are added in tile order, so the
    /// result does not depend on the thread count. Tiles without a block layout come from `config`.
    public static func run(
        _ problems: [AttentionProblem], logSumExp: Bool = false, columnSums: Bool = false, softmax lut: LUTExp? = nil,
        config: KernelConfig = .current
    ) -> [AttentionResult] {
        // Tile sizes and packed K/V slots per (problem, kv head); none for problems read in place.
        let tiles = problems.map { tileSizes($0, config: config) }
        let inPlace = problems.map { $0.queries <= inPlaceRows }
        var slotOffsets: [[Int]] = []
        var total = 0
        for (p, problem) in problems.enumerated() {
            let size = inPlace[p] ? 0 : attend_attention_packed_size(Int32(problem.keys), Int32(problem.headDim), Int32(tiles[p].keys))
            slotOffsets.append((0..<problem.kvHeads).map { total + $0 * size })
            total += problem.kvHeads * size
        }
        // This thread's kept buffer: a fresh one per call (megabytes per layer) cost its page faults every time.
        nonisolated(unsafe) let packedBase = threadScratch(Int(ATTEND_SCRATCH_TILED_PACKED_KV), Float.self, count: total)

        // Phase 1: pack K and V tiles.
        var packTasks: [(Int, Int, Int)] = []  // (problem, kv head, key tile)
        for (p, problem) in problems.enumerated() where problem.keys > 0 && !inPlace[p] {
            for g in 0..<problem.kvHeads { for t in 0..<((problem.keys + tiles[p].keys - 1) / tiles[p].keys) { packTasks.append((p, g, t)) } }
        }
        Parallel.forEach(packTasks.count) { index in
            let (p, g, t) = packTasks[index]
            let problem = problems[p], d = problem.headDim
            attend_attention_pack_tile(problem.k + g * d, Int32(problem.ldk), problem.v + g * d, Int32(problem.ldv),
                                       Int32(problem.keys), Int32(d), Int32(tiles[p].keys), Int32(t), packedBase + slotOffsets[p][g])
        }

        // Phase 2: query tiles.
        var results = problems.map { problem in
            AttentionResult(logSumExp: logSumExp ? Array(repeating: [Float](repeating: -.infinity, count: problem.queries), count: problem.heads) : [],
                            columnSums: columnSums ? Array(repeating: [Float](repeating: 0, count: problem.keys), count: problem.heads) : [],
                            workloads: [])
        }
        var queryTasks: [(Int, Int, Int)] = []  // (problem, head, query tile)
        for (p, problem) in problems.enumerated() {
            for h in 0..<problem.heads {
                let count = (problem.queries + tiles[p].queries - 1) / tiles[p].queries
                for t in 0..<count { queryTasks.append((p, h, t)) }
            }
        }
        // Per-task counts and per-(problem, head) lse rows, filled in parallel, read after.
        let counts = UnsafeMutablePointer<attend_tile_counts>.allocate(capacity: max(queryTasks.count, 1))
        counts.initialize(repeating: attend_tile_counts(), count: max(queryTasks.count, 1))
        defer { counts.deallocate() }
        let lseRows = problems.map { problem in (0..<problem.heads).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: max(problem.queries, 1)) } }
        defer { for rows in lseRows { for row in rows { row.deallocate() } } }
        // Per-task column sums over the task's rows ([keys] each), added per head in tile order below.
        let partialOffsets = queryTasks.reduce(into: [0]) { offsets, task in offsets.append(offsets.last! + (columnSums ? problems[task.0].keys : 0)) }
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: max(partialOffsets.last!, 1))
        defer { partials.deallocate() }
        nonisolated(unsafe) let (countsBase, lse, partialBase) = (counts, lseRows, partials)
        Parallel.forEach(queryTasks.count) { index in
            let (p, h, t) = queryTasks[index]
            let problem = problems[p], (bq, bc, d) = (tiles[p].queries, tiles[p].keys, problem.headDim)
            let i0 = t * bq, i1 = min(problem.queries, i0 + bq)
            let partial = columnSums ? partialBase + partialOffsets[index] : nil
            if problem.mask.skippedHeads.contains(h) || problem.keys == 0 {
                for i in i0..<i1 { (problem.out + i * problem.ldo + h * d).update(repeating: 0, count: d); lse[p][h][i] = -.infinity }
                return
            }
            let packed = inPlace[p] ? nil : UnsafePointer(packedBase + slotOffsets[p][problem.kvHead(of: h)])
            withHead(problem, head: h, keyTile: bc, packed: packed, lse: lse[p][h], lut: lut) { head in
                let width = columnSums ? problem.keys : bc, keyTiles = (problem.keys + bc - 1) / bc
                let floats = inPlace[p] ? problem.keys + d : (i1 - i0) * (width + d + 2 + keyTiles)
                withUnsafeTemporaryAllocation(of: Float.self, capacity: floats) { scratch in
                    attend_attention_query_tile(&head, Int32(i0), Int32(i1), scratch.baseAddress, countsBase + index, partial)
                }
            }
        }
        if columnSums {
            for (index, (p, h, _)) in queryTasks.enumerated() where !problems[p].mask.skippedHeads.contains(h) {
                let partial = partials + partialOffsets[index]
                results[p].columnSums[h].withUnsafeMutableBufferPointer { sums in for j in sums.indices { sums[j] += partial[j] } }
            }
        }

        // Gather lse and records.
        var index = 0
        for (p, problem) in problems.enumerated() {
            if logSumExp { results[p].logSumExp = lseRows[p].map { Array(UnsafeBufferPointer(start: $0, count: problem.queries)) } }
            for h in 0..<problem.heads {
                var sum = attend_tile_counts()
                for _ in 0..<((problem.queries + tiles[p].queries - 1) / tiles[p].queries) {
                    let c = counts[index]
                    sum.tiles_total += c.tiles_total; sum.tiles_computed += c.tiles_computed
                    sum.entries_computed += c.entries_computed; sum.entries_allowed += c.entries_allowed; sum.keys_read += c.keys_read
                    index += 1
                }
                let (d, computed, tileCount) = (problem.headDim, Int(sum.entries_computed), Int(sum.tiles_computed))
                results[p].workloads.append(HeadWorkload(
                    queries: problem.queries, keys: problem.keys, allowedEntries: Int(sum.entries_allowed), computedEntries: computed,
                    blocksKept: tileCount, blocksTotal: Int(sum.tiles_total), qkMACs: computed * d, pvMACs: computed * d,
                    denseMACs: 2 * problem.queries * problem.keys * d, exps: computed,
                    bytesQ: tileCount > 0 ? problem.queries * d * 4 : 0, bytesK: Int(sum.keys_read) * d * 4, bytesV: Int(sum.keys_read) * d * 4, bits: 32,
                    kvRowsRead: Int(sum.keys_read), headPruned: problem.mask.skippedHeads.contains(h) ? 1 : 0,
                    headDim: d, blockRows: tiles[p].queries, blockColumns: tiles[p].keys))
            }
        }
        return results
    }

    /// Query and key tile sizes: a block layout's blocks when they are 16…256 on a side (so tiles
    /// are kept or skipped exactly as blocks are); for a window over more keys than one default tile,
    /// square tiles about as wide as the band; else the configuration's tile, masks tested per row.
    static func tileSizes(_ problem: AttentionProblem, config: KernelConfig) -> (queries: Int, keys: Int) {
        let defaultTile = (queries: config.attentionQueryTile, keys: config.attentionKeyTile)
        if let blocks = problem.mask.blocks, (16...256).contains(blocks.blockRows), (16...256).contains(blocks.blockColumns) {
            return (blocks.blockRows, blocks.blockColumns)
        }
        if let window = problem.mask.window, let left = window.left, let right = window.right, problem.keys > defaultTile.keys {
            // Tiles about as wide as the band, so that time follows 2W + 1 rather than the tile size.
            // (Up to one default key tile, one tile with the band masked per row is faster.)
            let side = max(16, min(64, (left + right + 1) / 2 / 16 * 16))
            return (side, side)
        }
        return defaultTile
    }

    /// Calls body with the C description of head h of `problem` (pointers valid inside body);
    /// packed nil: K and V are read in place.
    private static func withHead(
        _ problem: AttentionProblem, head h: Int, keyTile: Int, packed: UnsafePointer<Float>?, lse: UnsafeMutablePointer<Float>?,
        lut: LUTExp?, _ body: (inout attend_head) -> Void
    ) {
        let mask = problem.mask, d = problem.headDim, g = problem.kvHead(of: h)
        let window = mask.window
        let globals = window?.globals ?? []
        globals.map(Int32.init).withUnsafeBufferPointer { globalPointer in
            (mask.blocks?.kept[h] ?? []).withUnsafeBufferPointer { blockPointer in
                let cMask = attend_mask(
                    keys: Int32(problem.keys), causal: mask.causal ? 1 : 0, causal_offset: Int32(mask.causalOffset),
                    window_left: Int32(window.map { $0.left ?? -1 } ?? -1), window_right: Int32(window.map { $0.right ?? -1 } ?? -1),
                    globals: globalPointer.baseAddress, global_count: Int32(globals.count),
                    globals_attend_all: (window?.globalsAttendAll ?? false) ? 1 : 0,
                    blocks: mask.blocks == nil ? nil : blockPointer.baseAddress,
                    block_rows: Int32(mask.blocks?.blockRows ?? 1), block_cols: Int32(mask.blocks?.blockColumns ?? 1),
                    key_blocks: Int32(mask.blocks?.keyBlocks ?? 0))
                (lut?.msbTable ?? []).withUnsafeBufferPointer { msb in
                    (lut?.lsbTable ?? []).withUnsafeBufferPointer { lsb in
                        var head = attend_head(
                            queries: Int32(problem.queries), d: Int32(d), key_tile: Int32(keyTile), scale: problem.scale,
                            q: problem.q + h * d, ldq: Int32(problem.ldq), packed: packed,
                            k: problem.k + g * d, v: problem.v + g * d, ldk: Int32(problem.ldk), ldv: Int32(problem.ldv), out: problem.out + h * d, ldo: Int32(problem.ldo),
                            lse: lse, mask: cMask, lut_msb: lut == nil ? nil : msb.baseAddress, lut_lsb: lsb.baseAddress,
                            lut_fraction_bits: Int32(lut?.fractionBits ?? 0), lut_lsb_bits: Int32(lut?.lsbBits ?? 0),
                            lut_max_code: Int32(lut?.maxCode ?? 0))
                        body(&head)
                    }
                }
            }
        }
    }
}
