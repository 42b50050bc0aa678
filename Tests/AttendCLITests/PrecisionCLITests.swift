import Foundation
import Testing

private let usageError: Int32 = 64

@Suite("attend --precision", .serialized)
struct PrecisionCLITests {
    @Test("help documents the precisions and the calibration options")
    func help() throws {
        for command in [["run", "--help"], ["eval", "--help"], ["search", "hdp", "--help"]] {
            let out = try attend(command).stdout
            for option in ["--precision", "f32", "int8", "integer", "--activation-scales", "--calibration-sentences", "--calibration-seed", "--calibration-train"] {
                #expect(out.contains(option), "\(command) help mentions \(option)")
            }
        }
        #expect(try attend(["bench", "int8", "--help"]).status == 0)
    }

    @Test("settings that cannot be quantized are usage errors naming the option", arguments: [
        (["eval", "--task", "sst2", "--precision", "int4"], "int4"),
        (["eval", "--task", "sst2", "--precision", "integer", "--activation-scales", "dynamic"], "static scales"),
        (["eval", "--task", "sst2", "--activation-scales", "static"], "--precision int8"),
        (["eval", "--task", "sst2", "--precision", "int8", "--activation-scales", "percentile"], "percentile"),
        (["eval", "--task", "sst2", "--precision", "int8", "--activation-scales", "static", "--calibration-sentences", "0"], "--calibration-sentences"),
        (["eval", "--task", "sst2", "--precision", "int8", "--calibration-train", "t.tsv"], "--calibration-train"),
    ])
    func usageErrors(arguments: [String], mentioned: String) throws {
        let result = try attend(arguments)
        #expect(result.status == usageError, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(mentioned), "\(arguments): \(result.stderr)")
    }

    @Test("int8 run and eval: same clear labels as f32, precision and KL reported")
    func int8() throws {
        let texts = ["a wonderful, moving film", "a dull, lifeless mess"]
        let f32 = try attend(["run", "--json"] + texts), int8 = try attend(["run", "--json", "--precision", "int8"] + texts)
        #expect(f32.status == 0 && int8.status == 0, "\(int8.stderr)")
        func labels(_ out: String) throws -> [String] {
            try out.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }.map { $0["label"] as! String }
        }
        #expect(try labels(f32.stdout) == labels(int8.stdout))
        let eval = try attend(["eval", "--task", "sst2", "--limit", "24", "--precision", "int8", "--activation-scales", "static",
                               "--calibration-sentences", "32", "--kl-vs-f32", "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as! [String: Any]
        #expect(summary["precision"] as? String == "int8-static")
        let kl = try #require(summary["kl_vs_f32"] as? Double)
        #expect(kl >= 0 && kl < 0.05, "KL \(kl)")
        #expect(eval.stderr.contains("calibrating on 32 sentences"))
    }

    @Test("integer eval: precision and KL reported; unsupported attention is an error naming it")
    func integer() throws {
        let common = ["eval", "--task", "sst2", "--limit", "24", "--precision", "integer", "--calibration-sentences", "32"]
        let eval = try attend(common + ["--kl-vs-f32", "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as! [String: Any]
        #expect(summary["precision"] as? String == "integer")
        let kl = try #require(summary["kl_vs_f32"] as? Double)
        #expect(kl > 0 && kl < 0.1, "KL \(kl)")
        let window = try attend(common + ["--attention", "window", "--windows", "2"])
        #expect(window.status != 0 && window.stderr.contains("--attention window"), "\(window.stderr)")
    }
}
