import Foundation
import Testing

@Suite("attend search spatten", .serialized)
struct SearchSpAttenCLITests {
    private static let colaTrain = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/cola/train.tsv")

    @Test("the plan records the sweep and round-trips: attend eval --plan runs it",
          .enabled(if: FileManager.default.fileExists(atPath: colaTrain.path), "../shared/data/cola/train.tsv is not on this machine"))
    func planRoundTrip() throws {
        let plan = try temporaryDirectory("search-spatten").appendingPathComponent("plan.json")
        let search = try attend(["search", "spatten", "--task", "cola", "--max-drop", "100", "--calibration", "24", "--token-ratios", "0.3",
                                 "--head-ratios", "0", "--quantizations", "none,6+4@0.1", "--out", plan.path])
        #expect(search.status == 0, "\(search.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: plan)) as? [String: Any])
        #expect(object["method"] as? String == "spatten" && object["token_ratio"] as? Double == 0.3)
        let quantization = try #require(object["quantization"] as? [String: Any])
        #expect(quantization["key_bits"] as? Int == 6 && quantization["lsb_bits"] as? Int == 4)
        let record = try #require(object["search"] as? [String: Any])
        let trace = try #require(record["trace"] as? [[String: Any]])
        #expect(trace.count == 3 && trace.allSatisfy { $0["accepted"] as? Bool == true && ($0["dram_bytes"] as? Int ?? 0) > 0 })
        #expect(record["dram_bytes"] as? Int == trace.compactMap { $0["dram_bytes"] as? Int }.min())
        let eval = try attend(["eval", "--task", "cola", "--limit", "5", "--plan", plan.path, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
    }

    @Test("bad options are clear errors", arguments: [
        (["--task", "cola", "--out", "x.json"], "--max-drop"),
        (["--task", "cola", "--max-drop", "1", "--max-ppl-increase", "2", "--out", "x.json"], "not both"),
        (["--task", "cola", "--max-drop", "1", "--quantizations", "6+x@0.1", "--out", "x.json"], "--quantizations"),
        (["--task", "cola", "--max-drop", "1", "--token-ratios", "0.1,1.5", "--out", "x.json"], "--token-ratios"),
        (["--task", "cola", "--max-drop", "1", "--spatten-recent", "8", "--out", "x.json"], "decoder search"),
        (["--max-ppl-increase", "-1", "--out", "x.json"], "--max-ppl-increase"),
    ])
    func badOptions(arguments: [String], message: String) throws {
        let result = try attend(["search", "spatten"] + arguments)
        #expect(result.status != 0 && result.stderr.contains(message), "\(result.stderr)")
    }
}
