/// One row of a workload trace: the record of head `head` of layer `layer` for sentence `sentence`.
public struct TraceRecord: Sendable, Equatable {
    public var sentence: Int, layer: Int, head: Int
    public var workload: HeadWorkload

    public init(sentence: Int, layer: Int, head: Int, workload: HeadWorkload) {
        (self.sentence, self.layer, self.head, self.workload) = (sentence, layer, head, workload)
    }
}

/// A trace file that cannot be read: the line (1-based) and column, and what was expected.
public struct TraceError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: String
    public var reason: String

    public init(line: Int, column: String, reason: String) { (self.line, self.column, self.reason) = (line, column, reason) }

    public var description: String { "line \(line), column \(column): \(reason)" }
}

/// The workload trace CSV (`attend eval --trace`): a header row, then one row per
/// sentence × layer × head with `sentence,layer,head` and the columns of `columns`.
///
/// Reading is by column name, so traces written before a column existed still read: a missing
/// `head_dim` is recovered from `dense_macs`, missing block columns read as "not recorded"
/// (0, 0, empty). `kept_blocks` is the row-major kept bitmap in hexadecimal, four blocks per digit,
/// first block in the digit's high bit, the last digit zero-padded.
public enum TraceCSV {
    /// Record columns after `sentence,layer,head`, in file order.
    public static let columns = [
        "queries", "keys", "allowed_entries", "computed_entries", "blocks_kept", "blocks_total", "qk_macs", "pv_macs",
        "dense_macs", "exps", "bytes_q", "bytes_k", "bytes_v", "bits", "integer_macs", "fraction_macs", "kv_rows_read",
        "head_pruned", "head_importance", "head_dim", "block_rows", "block_columns", "kept_blocks",
    ]
    /// Columns a trace may lack (added after the first traces were written).
    static let optionalColumns: Set<String> = ["head_dim", "block_rows", "block_columns", "kept_blocks"]

    /// The header row.
    public static var header: String { (["sentence", "layer", "head"] + columns).joined(separator: ",") }

    /// Records [sentence][layer][head] as the CSV text (header included, one line per record).
    public static func text(_ workloads: [[[HeadWorkload]]]) -> String {
        var text = header + "\n"
        for (sentence, layers) in workloads.enumerated() {
            for (layer, heads) in layers.enumerated() {
                for (head, w) in heads.enumerated() {
                    let numbers = [sentence, layer, head, w.queries, w.keys, w.allowedEntries, w.computedEntries, w.blocksKept,
                                   w.blocksTotal, w.qkMACs, w.pvMACs, w.denseMACs, w.exps, w.bytesQ, w.bytesK, w.bytesV, w.bits,
                                   w.integerMACs, w.fractionMACs, w.kvRowsRead, w.headPruned, w.headImportance, w.headDim,
                                   w.blockRows, w.blockColumns]
                    text += numbers.map(String.init).joined(separator: ",") + "," + hex(w.keptBlocks) + "\n"
                }
            }
        }
        return text
    }

    /// Parses a trace's text; throws `TraceError` naming the line and column of the first problem.
    public static func read(_ text: String) throws(TraceError) -> [TraceRecord] {
        let table = try CSVTable(text, allowed: nil, required: (["sentence", "layer", "head"] + columns).filter { !optionalColumns.contains($0) },
                                 what: "a trace")
        var records: [TraceRecord] = []
        records.reserveCapacity(table.lines.count)
        for line in table.lines {
            let (number, fields, index) = (line.number, try table.fields(line), table.index)
            func int(_ name: String) throws(TraceError) -> Int? {
                guard let i = index[name] else { return nil }
                guard let value = Int(fields[i]), value >= 0 else {
                    throw TraceError(line: number, column: name, reason: "expected a non-negative integer, got \"\(fields[i])\"")
                }
                return value
            }
            func required(_ name: String) throws(TraceError) -> Int { try int(name)! }
            var w = HeadWorkload(
                queries: try required("queries"), keys: try required("keys"), allowedEntries: try required("allowed_entries"),
                computedEntries: try required("computed_entries"), blocksKept: try required("blocks_kept"),
                blocksTotal: try required("blocks_total"), qkMACs: try required("qk_macs"), pvMACs: try required("pv_macs"),
                denseMACs: try required("dense_macs"), exps: try required("exps"), bytesQ: try required("bytes_q"),
                bytesK: try required("bytes_k"), bytesV: try required("bytes_v"), bits: try required("bits"),
                integerMACs: try required("integer_macs"), fractionMACs: try required("fraction_macs"),
                kvRowsRead: try required("kv_rows_read"), headPruned: try required("head_pruned"),
                headImportance: try required("head_importance"), headDim: try int("head_dim"),
                blockRows: try int("block_rows") ?? 0, blockColumns: try int("block_columns") ?? 0)
            if let i = index["kept_blocks"], !fields[i].isEmpty {
                let count = w.blockGrid.rows * w.blockGrid.columns
                guard let bits = bitmap(fields[i], count: count) else {
                    throw TraceError(line: number, column: "kept_blocks",
                                     reason: "expected \((count + 3) / 4) hexadecimal digits, the last zero-padded, for \(w.blockGrid.rows) × \(w.blockGrid.columns) blocks")
                }
                w.keptBlocks = bits
            }
            records.append(TraceRecord(sentence: try required("sentence"), layer: try required("layer"), head: try required("head"), workload: w))
        }
        return records
    }

    /// The bitmap in hexadecimal, four entries per digit, high bit first.
    static func hex(_ mask: BlockMask) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity((mask.count + 3) / 4)
        for i in stride(from: 0, to: mask.count, by: 4) {
            var v = 0
            for j in 0..<4 { v = v << 1 | (i + j < mask.count && mask[i + j] ? 1 : 0) }
            out.append(digits[v])
        }
        return out
    }

    /// The `count` entries of a hexadecimal bitmap; nil when the text is not ⌈count / 4⌉ hex digits or
    /// sets a bit past the last entry.
    static func bitmap(_ text: Substring, count: Int) -> BlockMask? {
        guard text.count == (count + 3) / 4 else { return nil }
        var words = [UInt64](repeating: 0, count: (count + 63) / 64)
        for (n, ch) in text.enumerated() {
            guard let v = ch.hexDigitValue else { return nil }
            for j in 0..<4 where v >> (3 - j) & 1 != 0 {
                let i = 4 * n + j
                guard i < count else { return nil }
                words[i / 64] |= 1 << UInt64(i % 64)
            }
        }
        return BlockMask(words: words, count: count)
    }
}
