import AttendWorkload
import Foundation
import Testing

@Suite("Trace CSV")
struct TraceCSVTests {
    static let hdp = HeadWorkload(
        queries: 5, keys: 3, allowedEntries: 9, computedEntries: 9, blocksKept: 3, blocksTotal: 6, qkMACs: 60, pvMACs: 36,
        denseMACs: 120, exps: 9, bytesQ: 40, bytesK: 24, bytesV: 32, bits: 16, integerMACs: 60, fractionMACs: 72, kvRowsRead: 2,
        headImportance: 77, headDim: 4, blockRows: 2, blockColumns: 2, keptBlocks: [1, 0, 0, 1, 1, 0])

    @Test("write then read gives the records back, kept-block bitmaps included")
    func roundTrip() throws {
        var tiled = Self.hdp
        (tiled.keptBlocks, tiled.blockRows, tiled.blockColumns, tiled.headPruned) = ([], 96, 128, 1)
        let text = TraceCSV.text([[[Self.hdp, tiled]], [[tiled], [Self.hdp]]])
        let records = try TraceCSV.read(text)
        #expect(records.map(\.workload) == [Self.hdp, tiled, tiled, Self.hdp])
        #expect(records.map { [$0.sentence, $0.layer, $0.head] } == [[0, 0, 0], [0, 0, 1], [1, 0, 0], [1, 1, 0]])
        #expect(text.split(separator: "\n")[1].hasSuffix(",98"))  // bits 1001 10(00): blocks (0, 0), (1, 1), (2, 0) of 3 × 2
    }

    @Test("a trace with Windows line endings (\\r\\n) reads the same records")
    func crlf() throws {
        let text = TraceCSV.text([[[Self.hdp]], [[Self.hdp]]])
        let windows = text.split(separator: "\n").joined(separator: "\r\n") + "\r\n"
        #expect(windows.contains("\r\n") && windows != text)
        #expect(try TraceCSV.read(windows) == TraceCSV.read(text))
    }

    @Test("a trace written before head_dim and the block columns existed still reads (d from dense_macs)")
    func oldTrace() throws {
        let old = """
            sentence,layer,head,queries,keys,allowed_entries,computed_entries,blocks_kept,blocks_total,qk_macs,pv_macs,dense_macs,exps,bytes_q,bytes_k,bytes_v,bits,integer_macs,fraction_macs,kv_rows_read,head_pruned,head_importance
            3,1,2,5,3,9,9,3,6,60,36,120,9,40,24,32,16,60,72,2,0,77

            """
        let record = try #require(try TraceCSV.read(old).first)
        var expected = Self.hdp
        (expected.blockRows, expected.blockColumns, expected.keptBlocks) = (0, 0, [])
        #expect(record.workload == expected && record.workload.headDim == 4)
        #expect(record.sentence == 3 && record.layer == 1 && record.head == 2)
    }

    @Test("bad traces name the line and column")
    func errors() {
        let header = TraceCSV.header
        let row = TraceCSV.text([[[Self.hdp]]]).split(separator: "\n")[1]
        #expect(throws: TraceError(line: 1, column: "-", reason: "empty file, expected the header row")) { try TraceCSV.read("") }
        #expect(throws: TraceError(line: 1, column: "qk_macs", reason: "missing column")) {
            try TraceCSV.read(header.replacingOccurrences(of: "qk_macs", with: "qk") + "\n")
        }
        #expect(throws: TraceError(line: 2, column: "keys", reason: "expected a non-negative integer, got \"-3\"")) {
            try TraceCSV.read(header + "\n" + row.replacingOccurrences(of: "0,0,0,5,3,", with: "0,0,0,5,-3,"))
        }
        let badBitmap = TraceError(line: 2, column: "kept_blocks", reason: "expected 2 hexadecimal digits, the last zero-padded, for 3 × 2 blocks")
        #expect(throws: badBitmap) { try TraceCSV.read(header + "\n" + row.dropLast()) }
        #expect(throws: badBitmap) { try TraceCSV.read(header + "\n" + row.dropLast() + "a") }  // 98 → 9a: a bit past the 6 blocks
        #expect(throws: TraceError(line: 2, column: "-", reason: "22 fields, expected 26")) {
            try TraceCSV.read(header + "\n" + row.split(separator: ",").prefix(22).joined(separator: ","))
        }
    }
}
