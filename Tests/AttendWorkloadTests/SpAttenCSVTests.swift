import AttendWorkload
import Foundation
import Testing

@Suite("SpAtten workload CSV")
struct SpAttenCSVTests {
    static let pruned = SpAttenWorkloadRow(
        iteration: 3, layer: 5, head: 11, headDim: 64, sentenceLength: 996, keysFetched: 204, keyBits: 6, queryBits: 16,
        requantThreshold: 0.05, requantized: true, requantIncrement: 4, valuesFetched: 40, valueBits: 6, accumulatesImportance: true,
        rescalesPreviousImportance: false, runsTopK: true, topK: 102)
    static let dense = SpAttenWorkloadRow.unpruned(iteration: 0, layer: 0, head: 0, headDim: 32, length: 17)

    @Test("write then read gives the rows back; the text keeps the released files' conventions (True/False, -1)")
    func roundTrip() throws {
        let rows = [Self.dense, Self.pruned, SpAttenWorkloadRow.unpruned(iteration: 0, layer: 1, head: 2, headDim: 1, length: 0)]
        let text = SpAttenCSV.text(rows)
        #expect(try SpAttenCSV.read(text) == rows)
        let lines = text.split(separator: "\n")
        #expect(lines[0] == Substring(SpAttenWorkloadRow.header) && lines.count == 4)
        #expect(lines[1] == "0,0,0,32,17,17,-1,-1,-1,False,-1,17,-1,False,False,False,-1")
        #expect(lines[2] == "3,5,11,64,996,204,6,16,0.05,True,4,40,6,True,False,True,102")
    }

    @Test("reads the authors' released rows as written: D as 64.0, True/False, the trailing configuration line")
    func releasedConventions() throws {
        // Lines in the form of spatten_hardware/hardware/workloads/summary-gpt2-small-wikitext2-per8.csv (a0f1388).
        let text = SpAttenWorkloadRow.header + "\r\n"
            + "1,0,11,64.0,994,921,6,16,0.05,True,4,184,6,True,False,True,716\r\n"
            + "31,11,10,64.0,1024,102,6,16,0.05,False,4,20,6,False,False,False,-1\r\n"
            + "configs/gpt2/wikitext2/some+config.yml,,,,,,,,,,,,,,,,\r\n"
        let rows = try SpAttenCSV.read(text)
        #expect(rows.count == 2)
        #expect(rows[0] == SpAttenWorkloadRow(
            iteration: 1, layer: 0, head: 11, headDim: 64, sentenceLength: 994, keysFetched: 921, keyBits: 6, queryBits: 16,
            requantThreshold: 0.05, requantized: true, requantIncrement: 4, valuesFetched: 184, valueBits: 6, accumulatesImportance: true,
            rescalesPreviousImportance: false, runsTopK: true, topK: 716))
        #expect(rows[1].topK == -1 && !rows[1].runsTopK && rows[1].sentenceLength == 1024)
        // columns in another order read by name
        let names = SpAttenCSV.columns
        let fields = SpAttenCSV.text([Self.pruned]).split(separator: "\n")[1].split(separator: ",")
        let order = Array(names.indices.reversed())
        let shuffled = order.map { names[$0] }.joined(separator: ",") + "\n" + order.map { String(fields[$0]) }.joined(separator: ",")
        #expect(try SpAttenCSV.read(shuffled) == [Self.pruned])
    }

    @Test("bad files name the line and column")
    func errors() {
        let header = SpAttenWorkloadRow.header
        let row = String(SpAttenCSV.text([Self.pruned]).split(separator: "\n")[1])
        func read(_ text: String) throws(TraceError) { _ = try SpAttenCSV.read(text) }
        #expect(throws: TraceError(line: 1, column: "-", reason: "empty file, expected the header row")) { try read("") }
        #expect(throws: TraceError(line: 1, column: "topk", reason: "missing column")) { try read(header.replacingOccurrences(of: ",topk", with: "") + "\n") }
        #expect(throws: TraceError(line: 1, column: "head_id", reason: "column appears twice")) { try read("head_id," + header) }
        #expect(throws: TraceError(line: 1, column: "heads", reason: "not a SpAtten workload column")) { try read(header + ",heads") }
        #expect(throws: TraceError(line: 2, column: "-", reason: "16 fields, expected 17")) {
            try read(header + "\n" + row.split(separator: ",").dropLast().joined(separator: ","))
        }
        #expect(throws: TraceError(line: 3, column: "key_fetch_num", reason: "expected a non-negative integer, got \"-204\"")) {
            try read(header + "\n" + row + "\n" + row.replacingOccurrences(of: ",996,204,", with: ",996,-204,"))
        }
        #expect(throws: TraceError(line: 2, column: "quant_key_bit", reason: "expected an integer ≥ 1 or -1, got \"0\"")) {
            try read(header + "\n" + row.replacingOccurrences(of: ",204,6,16,", with: ",204,0,16,"))
        }
        #expect(throws: TraceError(line: 2, column: "embedding_length_D", reason: "expected an integer ≥ 1, got \"64.5\"")) {
            try read(header + "\n" + row.replacingOccurrences(of: ",64,996,", with: ",64.5,996,"))
        }
        #expect(throws: TraceError(line: 2, column: "if_requant", reason: "expected True or False, got \"yes\"")) {
            try read(header + "\n" + row.replacingOccurrences(of: ",0.05,True,", with: ",0.05,yes,"))
        }
        #expect(throws: TraceError(line: 2, column: "auto_requant_thres", reason: "expected a probability ≥ 0 or -1, got \"-0.5\"")) {
            try read(header + "\n" + row.replacingOccurrences(of: ",0.05,", with: ",-0.5,"))
        }
        // a non-numeric line that is not the last one is an error, not a trailer
        #expect(throws: TraceError(line: 2, column: "iteration_id", reason: "expected a non-negative integer, got \"configs/x.yml\"")) {
            try read(header + "\nconfigs/x.yml" + String(repeating: ",", count: 16) + "\n" + row)
        }
    }

    @Test("dense rows of attend records: one per record, L = keys = values, unquantized; decoder shapes count L = prompt + 1 + i")
    func denseRows() {
        let w = HeadWorkload(queries: 7, keys: 7, allowedEntries: 49, computedEntries: 49, blocksKept: 1, blocksTotal: 1, qkMACs: 49 * 8,
                             pvMACs: 49 * 8, denseMACs: 2 * 49 * 8, exps: 49, bytesQ: 7 * 8 * 4, bytesK: 7 * 8 * 4, bytesV: 7 * 8 * 4, bits: 32,
                             kvRowsRead: 14, headDim: 8)
        let rows = SpAttenWorkloadRow.dense([TraceRecord(sentence: 4, layer: 2, head: 1, workload: w)])
        #expect(rows == [SpAttenWorkloadRow.unpruned(iteration: 4, layer: 2, head: 1, headDim: 8, length: 7)])
        #expect(rows[0].keysFetched == 7 && rows[0].valuesFetched == 7 && rows[0].keyBits == -1 && !rows[0].runsTopK)
        let decoder = SpAttenWorkloadRow.denseGeneration(layers: 3, heads: 2, headDim: 64, prompt: 992, generated: 32)
        #expect(decoder.count == 3 * 2 * 32)
        #expect(decoder.first!.sentenceLength == 993 && decoder.last!.sentenceLength == 1024)
        #expect(decoder.allSatisfy { $0.keysFetched == 993 + $0.iteration && $0.valuesFetched == $0.keysFetched })
        #expect(decoder[7] == SpAttenWorkloadRow.unpruned(iteration: 1, layer: 0, head: 1, headDim: 64, length: 994))
    }
}
