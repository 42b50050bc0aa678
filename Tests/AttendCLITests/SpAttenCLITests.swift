import Foundation
import Testing

@Suite("attend eval --attention spatten", .serialized)
struct SpAttenCLITests {
    /// SPEC §4.5's header, as the released SpAtten workloads spell it.
    static let specHeader = "iteration_id,layer_id,head_id,embedding_length_D,sentence_length_L,key_fetch_num,quant_key_bit,quant_query_bit,"
        + "auto_requant_thres,if_requant,auto_requant_incre,value_fetch_num,quant_value_bit,if_accumulate_importance,"
        + "if_rescale_previous_importance,if_topk,topk"

    @Test("--trace-format spatten: the SPEC header, one row per head that ran, counts equal the records of the same run's Attend trace")
    func spattenTrace() throws {
        let dir = try temporaryDirectory("spatten-trace")
        let (spattenPath, attendPath) = (dir.appendingPathComponent("s.csv"), dir.appendingPathComponent("a.csv"))
        let settings = ["eval", "--task", "sst2", "--limit", "7", "--attention", "spatten", "--token-ratio", "0.3", "--head-ratio", "0.3",
                        "--value-ratio", "0.5", "--key-bits", "6", "--json"]
        let spatten = try attend(settings + ["--trace", spattenPath.path, "--trace-format", "spatten"])
        let plain = try attend(settings + ["--trace", attendPath.path])
        #expect(spatten.status == 0 && plain.status == 0, "\(spatten.stderr) \(plain.stderr)")
        let lines = try String(contentsOf: spattenPath, encoding: .utf8).split(separator: "\n")
        #expect(lines.first.map(String.init) == Self.specHeader)
        let header = lines[0].split(separator: ",").map(String.init)
        let rows = lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0.split(separator: ",").map(String.init))) }

        let attendLines = try String(contentsOf: attendPath, encoding: .utf8).split(separator: "\n")
        let attendHeader = attendLines[0].split(separator: ",").map(String.init)
        let records = attendLines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(attendHeader, $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init))) }
        let ran = records.filter { $0["head_pruned"] == "0" }
        #expect(rows.count == ran.count && ran.count < records.count, "one row per head that ran; some heads were pruned")
        for (row, record) in zip(rows, ran) {
            #expect(row["iteration_id"] == record["sentence"] && row["layer_id"] == record["layer"] && row["head_id"] == record["head"])
            #expect(row["key_fetch_num"] == record["keys"] && row["embedding_length_D"] == record["head_dim"])
            #expect(Int(row["value_fetch_num"]!)! == (Int(record["keys"]!)! + 1) / 2, "⌈keys / 2⌉ V rows")
            #expect(row["quant_key_bit"] == "6" && row["auto_requant_incre"] == "4" && row["quant_value_bit"] == "10")
        }
        // A top-k closes a layer when the next one has fewer keys; its k is the next layer's key count.
        for (index, row) in rows.enumerated() where row["if_topk"] == "True" {
            let next = rows[(index + 1)...].first { $0["layer_id"] != row["layer_id"] }!
            #expect(next["key_fetch_num"] == row["topk"] && next["iteration_id"] == row["iteration_id"])
        }
        #expect(rows.contains { $0["if_topk"] == "True" })
    }

    @Test("--trace-format spatten without a SpAtten method is an error naming the file")
    func needsSpatten() throws {
        let dir = try temporaryDirectory("spatten-trace-error")
        let path = dir.appendingPathComponent("s.csv").path
        let result = try attend(["eval", "--task", "sst2", "--limit", "2", "--trace", path, "--trace-format", "spatten"])
        #expect(result.status == 1 && result.stderr.contains(path) && result.stderr.contains("--attention spatten"))
    }
    @Test("--quant-scale: needs --key-bits, rejects other values, and token scales run a decoder on its quantized cache")
    func quantScale() throws {
        let alone = try attend(["eval", "--task", "sst2", "--limit", "2", "--attention", "spatten", "--quant-scale", "token"])
        #expect(alone.status != 0 && alone.stderr.contains("--quant-scale") && alone.stderr.contains("--key-bits"))
        let unknown = try attend(["eval", "--task", "sst2", "--limit", "2", "--attention", "spatten", "--key-bits", "8", "--quant-scale", "row"])
        #expect(unknown.status != 0 && unknown.stderr.contains("row"))
        let model = repositoryRoot.appendingPathComponent("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf").path
        let text = repositoryRoot.appendingPathComponent("../shared/data/wikitext2/test.txt").path
        var perplexities: [Double] = []
        for scale in ["head", "token"] {
            let result = try attend(["perplexity", "-m", model, "-f", text, "--bytes", "8000", "-c", "32", "--chunks", "1", "--stepwise", "--json", "-t", "1",
                                     "--attention", "spatten", "--key-bits", "8", "--value-bits", "8", "--quant-scale", scale])
            #expect(result.status == 0, "\(result.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            perplexities.append(try #require(object["perplexity"] as? Double))
        }
        // Both quantize the same values to the same bits, with scales over a head or over a token: close, not equal.
        #expect(perplexities[0] != perplexities[1] && abs(perplexities[0] / perplexities[1] - 1) < 0.05, "\(perplexities)")
    }
}
