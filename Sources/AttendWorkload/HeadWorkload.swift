/// What one head of one attention call actually did (SPEC §3 workload record): the input of the
/// cost models, the one thing the algorithm side and the hardware side share.
public struct HeadWorkload: Sendable, Equatable {
    public var queries: Int
    public var keys: Int
    /// (query, key) pairs the mask allows.
    public var allowedEntries: Int
    /// Score entries the kernel evaluated (whole computed tiles; ≥ allowedEntries).
    public var computedEntries: Int
    /// Key tiles (blocks) computed and visited.
    public var blocksKept: Int
    public var blocksTotal: Int
    /// Multiply-adds of Q Kᵀ and of P V, and exponentials evaluated.
    public var qkMACs: Int
    public var pvMACs: Int
    /// Multiply-adds unmasked dense attention would do on the same queries and keys: 2·queries·keys·d.
    public var denseMACs: Int
    public var exps: Int
    /// Bytes read of Q, K and V.
    public var bytesQ: Int
    public var bytesK: Int
    public var bytesV: Int
    /// Bit widths of Q/K/V and of the softmax input.
    public var bits: Int
    /// HDP: multiply-adds of the integer importance product Q_I K_Iᵀ and of the fraction terms
    /// Q_F K_Iᵀ + Q_I K_Fᵀ on kept blocks (both included in qkMACs); 0 for other methods.
    public var integerMACs: Int
    public var fractionMACs: Int
    /// K/V rows read for scores and P V (a row read again for another query tile counts again;
    /// HDP reads each row of a kept block once — Fetch-Upon-Mask: rows of pruned blocks are not read).
    public var kvRowsRead: Int
    /// 1 when the head was pruned (its output is zero), else 0.
    public var headPruned: Int
    /// HDP's head importance Σ|S_I| over the head (the pruning test compares Σ|S_I| / (queries·keys)
    /// with τ_H); 0 for other methods.
    public var headImportance: Int
    /// Head dimension d.
    public var headDim: Int
    /// Shape of the blocks (tiles) that `blocksKept` / `blocksTotal` / `keptBlocks` count:
    /// `blockRows` queries × `blockColumns` keys; 0 when the method has no blocks.
    public var blockRows: Int
    public var blockColumns: Int
    /// Which blocks were kept: [⌈queries / blockRows⌉ · ⌈keys / blockColumns⌉] row-major — block-row r,
    /// key block c at r · keyBlocks + c. Empty when the method does not record it (then only the counts
    /// are known).
    public var keptBlocks: BlockMask
    /// SpAtten's own record of the head (its workload-CSV row); nil for other methods. A head
    /// SpAtten pruned has none (the released workloads list only the heads that ran).
    public var spatten: SpAttenRecord? = nil

    public init(queries: Int, keys: Int, allowedEntries: Int, computedEntries: Int, blocksKept: Int, blocksTotal: Int,
                qkMACs: Int, pvMACs: Int, denseMACs: Int, exps: Int, bytesQ: Int, bytesK: Int, bytesV: Int, bits: Int,
                integerMACs: Int = 0, fractionMACs: Int = 0, kvRowsRead: Int, headPruned: Int = 0, headImportance: Int = 0,
                headDim: Int? = nil, blockRows: Int = 0, blockColumns: Int = 0, keptBlocks: BlockMask = []) {
        (self.queries, self.keys, self.allowedEntries, self.computedEntries) = (queries, keys, allowedEntries, computedEntries)
        (self.blocksKept, self.blocksTotal, self.qkMACs, self.pvMACs, self.exps) = (blocksKept, blocksTotal, qkMACs, pvMACs, exps)
        self.denseMACs = denseMACs
        (self.bytesQ, self.bytesK, self.bytesV, self.bits) = (bytesQ, bytesK, bytesV, bits)
        (self.integerMACs, self.fractionMACs, self.kvRowsRead, self.headPruned, self.headImportance) =
            (integerMACs, fractionMACs, kvRowsRead, headPruned, headImportance)
        self.headDim = headDim ?? Self.headDim(denseMACs: denseMACs, queries: queries, keys: keys)
        (self.blockRows, self.blockColumns, self.keptBlocks) = (blockRows, blockColumns, keptBlocks)
    }

    /// d recovered from denseMACs = 2·queries·keys·d (0 when queries·keys = 0): how records written
    /// before `head_dim` was a column are read.
    public static func headDim(denseMACs: Int, queries: Int, keys: Int) -> Int {
        queries * keys > 0 ? denseMACs / (2 * queries * keys) : 0
    }

    /// Block-rows ⌈queries / blockRows⌉ and key blocks ⌈keys / blockColumns⌉ (0 × 0 without blocks).
    public var blockGrid: (rows: Int, columns: Int) {
        guard blockRows > 0, blockColumns > 0 else { return (0, 0) }
        return ((queries + blockRows - 1) / blockRows, (keys + blockColumns - 1) / blockColumns)
    }

    /// Whether block (r, c) was kept; nil when `keptBlocks` was not recorded.
    public func isKept(blockRow r: Int, keyBlock c: Int) -> Bool? {
        keptBlocks.isEmpty ? nil : keptBlocks[r * blockGrid.columns + c]
    }
}
