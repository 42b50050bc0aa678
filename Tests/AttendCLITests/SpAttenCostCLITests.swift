import Foundation
import Testing

@Suite("attend cost on SpAtten", .serialized)
struct SpAttenCostCLITests {
    let config = repositoryRoot.appendingPathComponent("hardware/spatten.json").path

    @Test("--help documents the SpAtten inputs")
    func help() throws {
        let help = try attend(["cost", "--help"])
        for option in ["--phase", "--dense-decoder", "--write-spatten-csv", "spatten.json"] { #expect(help.stdout.contains(option), "\(option)") }
    }

    @Test("a dense decoder shape: DRAM bytes by formula; written as SpAtten CSV and costed again from the file, the same")
    func denseDecoder() throws {
        let dir = try temporaryDirectory("spatten")
        let csv = dir.appendingPathComponent("w.csv")
        let run = try attend(["cost", "--accelerator", config, "--dense-decoder", "2,3,64,10,4", "--write-spatten-csv", csv.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let total = report["total"] as! [String: Any]
        var kv = 0
        for i in 0..<4 { kv += 2 * 3 * 2 * (11 + i) * 64 * 4 }   // layers × heads × (K, V) × L rows × d × 32 bits
        #expect(total["dram_kv_bytes"] as? Int == kv && report["rows"] as? Int == 2 * 3 * 4 && report["phase"] as? String == "generation")
        let techniques = report["techniques"] as! [[String: Any]]
        #expect(techniques.map { $0["name"] as! String } == ["dense", "token_pruning", "head_pruning", "value_pruning", "quantization", "all"])
        #expect(techniques.allSatisfy { $0["dram_reduction"] as? Double == 1 })
        let again = try attend(["cost", "--accelerator", config, "--trace", csv.path, "--json"])
        let second = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as! [String: Any]
        #expect((second["total"] as! [String: Any])["cycles"] as? Int == total["cycles"] as? Int)
        let text = try attend(["cost", "--accelerator", config, "--trace", csv.path, "--phase", "summarization"])
        #expect(text.status == 0 && text.stdout.contains("phase summarization") && text.stdout.contains("K MSB"), "\(text.stderr)")
    }

    @Test("bad inputs: a malformed SpAtten CSV names the file, line and column; a bad phase or shape is an error")
    func errors() throws {
        let dir = try temporaryDirectory("spatten-bad")
        let csv = dir.appendingPathComponent("bad.csv")
        let header = "iteration_id,layer_id,head_id,embedding_length_D,sentence_length_L,key_fetch_num,quant_key_bit,quant_query_bit,auto_requant_thres,if_requant,auto_requant_incre,value_fetch_num,quant_value_bit,if_accumulate_importance,if_rescale_previous_importance,if_topk,topk"
        try Data((header + "\n0,0,0,64,10,10,6,16,0.05,maybe,4,3,6,True,False,False,-1\n").utf8).write(to: csv)
        let bad = try attend(["cost", "--accelerator", config, "--trace", csv.path])
        #expect(bad.status == 1 && bad.stderr.contains(csv.path) && bad.stderr.contains("line 2, column if_requant"), "\(bad.stderr)")
        let phase = try attend(["cost", "--accelerator", config, "--dense-decoder", "1,1,64,1,1", "--phase", "prefill"])
        #expect(phase.status == 1 && phase.stderr.contains("--phase"), "\(phase.stderr)")
        let shape = try attend(["cost", "--accelerator", config, "--dense-decoder", "1,1,64"])
        #expect(shape.status == 1 && shape.stderr.contains("LAYERS,HEADS,HEAD_DIM,PROMPT,GENERATED"), "\(shape.stderr)")
        let hdp = try attend(["cost", "--accelerator", repositoryRoot.appendingPathComponent("hardware/hdp-edge.json").path, "--dense-decoder", "1,1,64,1,1"])
        #expect(hdp.status == 1 && hdp.stderr.contains("kind spatten"), "\(hdp.stderr)")
    }
}
