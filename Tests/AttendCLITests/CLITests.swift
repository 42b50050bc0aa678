import Foundation
import Testing

/// Exit codes the README promises: 0 success, 1 runtime error, 64 usage error.
private let usageError: Int32 = 64
private let runtimeError: Int32 = 1

@Suite("attend command line", .serialized)
struct CLITests {
    @Test("--help explains every subcommand; each subcommand's help lists its options")
    func help() throws {
        let top = try attend(["--help"])
        #expect(top.status == 0)
        for sub in ["run", "eval", "tokenize", "demo", "bench"] { #expect(top.stdout.contains(sub)) }
        let eval = try attend(["eval", "--help"])
        for option in ["--model", "--task", "--data", "--limit", "--json", "--predictions", "--threads", "--truncate", "--batch-size"] {
            #expect(eval.stdout.contains(option), "eval --help mentions \(option)")
        }
    }

    @Test("usage errors exit 64 and name the argument", arguments: [
        (["eval", "--task", "mnli"], "mnli"),
        (["eval", "--task", "sst2", "--frobnicate"], "--frobnicate"),
        (["eval", "--task", "sst2", "--threads", "0"], "--threads"),
        (["eval", "--task", "sst2", "--limit", "-3"], "--limit"),
        (["run"], "text"),
        (["nonsense"], "nonsense"),
    ])
    func usageErrors(arguments: [String], mentioned: String) throws {
        let result = try attend(arguments)
        #expect(result.status == usageError, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(mentioned), "\(arguments): \(result.stderr)")
    }

    @Test("runtime errors exit 1 and name the file")
    func runtimeErrors() throws {
        let missingModel = try attend(["run", "--model", "/nonexistent/model", "fine"])
        #expect(missingModel.status == runtimeError)
        #expect(missingModel.stderr.contains("/nonexistent/model"))

        let missingData = try attend(["eval", "--task", "cola", "--data", "/nonexistent/dev.tsv"])
        #expect(missingData.status == runtimeError)
        #expect(missingData.stderr.contains("/nonexistent/dev.tsv"))

        let real = try Data(contentsOf: repositoryRoot.appendingPathComponent("models/minilm-l6-sst2/model.safetensors"))
        let truncated = try modelDirectory(withWeights: real.prefix(real.count / 2))
        let result = try attend(["run", "--model", truncated.path, "fine"])
        #expect(result.status == runtimeError)
        #expect(result.stderr.contains("model.safetensors"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("run prints a label and probabilities, and JSON on request")
    func run() throws {
        let plain = try attend(["run", "a wonderful, moving film", "a dull, lifeless mess"])
        #expect(plain.status == 0)
        let lines = plain.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("positive\t"))
        #expect(lines[1].hasPrefix("negative\t"))

        let json = try attend(["run", "--task", "cola", "--json", "The cat sat on the mat."])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(Set(object.keys) == ["text", "label", "label_index", "probabilities"])
        let p = object["probabilities"] as! [String: Double]
        #expect(Set(p.keys) == ["acceptable", "unacceptable"])
        #expect(abs(p.values.reduce(0, +) - 1) < 1e-9)
    }

    @Test("inputs past the model's 512 positions fail unless --truncate")
    func tooLong() throws {
        let text = Array(repeating: "word", count: 600).joined(separator: " ")
        let refused = try attend(["run", "fine", text])
        #expect(refused.status == runtimeError)
        #expect(refused.stderr.contains("text 2") && refused.stderr.contains("512"), "\(refused.stderr)")

        let data = try temporaryDirectory("long").appendingPathComponent("dev.tsv")
        try Data("sentence\tlabel\nfine\t1\n\(text)\t0\n".utf8).write(to: data)
        let eval = try attend(["eval", "--task", "sst2", "--data", data.path])
        #expect(eval.status == runtimeError)
        #expect(eval.stderr.contains("\(data.path): example 2"), "\(eval.stderr)")
        #expect(try attend(["eval", "--task", "sst2", "--data", data.path, "--truncate"]).status == 0)
        let truncated = try attend(["run", "--truncate", text])
        #expect(truncated.status == 0)

        let tokenized = try attend(["tokenize", "--truncate"], stdin: Data((text + "\n").utf8))
        #expect(tokenized.stdout.split(separator: " ").count == 512)
    }

    @Test("tokenize prints one line of ids per input line, and rejects invalid UTF-8 naming the line")
    func tokenize() throws {
        let result = try attend(["tokenize"], stdin: Data("hello world\n\nCafé, naïve!\n".utf8))
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 3)
        #expect(lines[1] == "101 102")
        for line in lines {
            #expect(line.hasPrefix("101 ") && line.hasSuffix(" 102"))
        }

        var bad = Data("fine\n".utf8)
        bad.append(contentsOf: [0x61, 0xFF, 0x62, 0x0A])
        let invalid = try attend(["tokenize"], stdin: bad)
        #expect(invalid.status == runtimeError)
        #expect(invalid.stderr.contains("line 2"), "\(invalid.stderr)")
    }

    @Test("eval --json prints the summary; --predictions writes one label per line in data order")
    func evalJSONAndPredictions() throws {
        let predictions = try temporaryDirectory("eval").appendingPathComponent("predictions.txt")
        let result = try attend(["eval", "--task", "cola", "--limit", "40", "--json", "--predictions", predictions.path])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        for key in ["task", "examples", "accuracy", "mcc", "sentences_per_second"] { #expect(object[key] != nil, "key \(key)") }
        #expect(object["task"] as? String == "cola")
        #expect(object["examples"] as? Int == 40)
        let labels = try String(contentsOf: predictions, encoding: .utf8).split(separator: "\n")
        #expect(labels.count == 40)
        #expect(labels.allSatisfy { $0 == "0" || $0 == "1" })

        let sst2 = try attend(["eval", "--task", "sst2", "--limit", "10", "--json"])
        let summary = try JSONSerialization.jsonObject(with: Data(sst2.stdout.utf8)) as! [String: Any]
        #expect(summary["mcc"] == nil, "SST-2's summary reports accuracy only")
    }
}
