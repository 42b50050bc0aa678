import Foundation
import Testing

/// `attend generate`, `perplexity` and `tokenize` on the real SmolLM2 GGUF (fetched by scripts/test.sh).
@Suite("attend decoder commands", .serialized)
struct DecoderCLITests {
    let model = repositoryRoot.appendingPathComponent("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf").path

    /// A case of PyTorch's SmolLM2 goldens (scripts/make_decoder_goldens.py).
    func golden(_ name: String) throws -> [String: Any] {
        let url = repositoryRoot.appendingPathComponent("Tests/AttendModelsTests/Goldens/smollm2/golden.json")
        let all = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try #require((all["cases"] as? [String: Any])?[name] as? [String: Any])
    }

    @Test("generate --chat --json: PyTorch's prompt ids and greedy tokens, timings, exit 0")
    func generateChat() throws {
        let chat = try golden("chat")
        let result = try attend(["generate", "-m", model, "--chat", try #require(chat["chat_user_message"] as? String), "--json", "-t", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["tokens"] as? [Int] == chat["greedy_continuation"] as? [Int])
        #expect(object["stopped_at_eos"] as? Bool == chat["greedy_stopped_at_eos"] as? Bool)
        #expect(object["prompt_ids"] as? [Int] == chat["input_ids"] as? [Int])
        for key in ["prompt_tokens_per_second", "generation_tokens_per_second", "prompt_seconds", "generation_seconds"] {
            #expect((object[key] as? Double).map { $0 > 0 } == true, "\(key)")
        }
    }

    @Test("generate streams text to stdout and timings to stderr; --ignore-eos gives exactly -n tokens")
    func generateStream() throws {
        let result = try attend(["generate", "-m", model, "-p", "The capital of France is", "-n", "5", "--ignore-eos", "--temperature", "0.7", "-s", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.isEmpty)
        #expect(result.stderr.contains("generation: 5 tokens"), "\(result.stderr)")
        let again = try attend(["generate", "-m", model, "-p", "The capital of France is", "-n", "5", "--ignore-eos", "--temperature", "0.7", "-s", "3"])
        #expect(again.stdout == result.stdout, "the same seed gives the same text")
    }

    @Test("perplexity --json on a WikiText-2 prefix: llama-perplexity's counts")
    func perplexity() throws {
        let text = repositoryRoot.appendingPathComponent("../shared/data/wikitext2/test.txt").path
        let result = try attend(["perplexity", "-m", model, "-f", text, "--bytes", "8000", "-c", "128", "--chunks", "3", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["chunks"] as? Int == 3)
        #expect(object["tokens_scored"] as? Int == 3 * (128 - 1 - 64))
        #expect((object["running_perplexity"] as? [Double])?.count == 3)
        let ppl = try #require(object["perplexity"] as? Double)
        #expect(ppl > 1 && ppl < 1000, "\(ppl)")
    }

    @Test("perplexity --stepwise --attention spatten --trace-format spatten: one CSV row per pass × layer × head, LSB rows and DRAM bytes in the JSON")
    func perplexitySpAttenTrace() throws {
        let text = repositoryRoot.appendingPathComponent("../shared/data/wikitext2/test.txt").path
        let path = try temporaryDirectory("perplexity-trace").appendingPathComponent("s.csv")
        let result = try attend(["perplexity", "-m", model, "-f", text, "--bytes", "8000", "-c", "32", "--chunks", "1", "--stepwise", "--json", "-t", "1",
                                 "--attention", "spatten", "--token-ratio", "0.1", "--spatten-recent", "4", "--key-bits", "6",
                                 "--trace", path.path, "--trace-format", "spatten"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let passes = try #require(object["tokens_scored"] as? Int)
        let (rows, requantized) = (try #require(object["spatten_rows"] as? Int), try #require(object["spatten_requantized_rows"] as? Int))
        #expect((object["dram_bytes"] as? Int).map { $0 > 0 } == true)
        let lines = try String(contentsOf: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.first.map(String.init) == SpAttenCLITests.specHeader)
        let header = lines[0].split(separator: ",").map(String.init)
        let csv = lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0.split(separator: ",").map(String.init))) }
        #expect(csv.count == passes * 30 * 9, "SmolLM2: 30 layers × 9 heads per pass, no head pruned")
        #expect(Set(csv.map { $0["iteration_id"]! }) == Set((0..<passes).map(String.init)), "iteration = forward pass")
        // Each pass after the prompt has one query row per head; a head with if_requant True requantized ≥ 1 of them.
        let flagged = csv.filter { $0["if_requant"] == "True" }.count
        #expect(requantized >= flagged && requantized <= rows && flagged > 0, "\(requantized) of \(rows) rows, \(flagged) heads flagged")
        #expect(csv.contains { Int($0["key_fetch_num"]!)! < Int($0["sentence_length_L"]!)! }, "the cache was pruned")
    }

    @Test("tokenize --model FILE.gguf prints the GGUF tokenizer's ids")
    func tokenize() throws {
        let plain = try golden("plain")
        let result = try attend(["tokenize", "--model", model], stdin: Data((try #require(plain["prompt_text"] as? String) + "\n").utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let ids = try #require(plain["input_ids"] as? [Int])
        #expect(result.stdout == ids.map(String.init).joined(separator: " ") + "\n")
    }

    @Test("usage and runtime errors", arguments: [
        (["generate", "-n", "3"], "exactly one of --prompt and --chat", Int32(64)),
        (["generate", "-p", "x", "--chat", "y"], "exactly one of --prompt and --chat", Int32(64)),
        (["generate", "-p", "x", "--attention", "window"], "encoders only", Int32(64)),
        (["generate", "-p", "x", "--top-p", "0"], "--top-p", Int32(64)),
        (["perplexity", "-f", "x.txt", "--context", "2"], "--context", Int32(64)),
        (["generate", "-m", "/nonexistent/model.gguf", "-p", "x"], "/nonexistent/model.gguf", Int32(1)),
        (["perplexity", "-f", "/nonexistent/text.txt"], "/nonexistent/text.txt", Int32(1)),
    ])
    func errors(arguments: [String], mentioned: String, status: Int32) throws {
        let result = try attend(arguments)
        #expect(result.status == status, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(mentioned), "\(arguments): \(result.stderr)")
    }

    @Test("a Hugging Face decoder without tokenizer files is a runtime error naming the directory")
    func noTokenizer() throws {
        let dir = repositoryRoot.appendingPathComponent("Tests/AttendModelsTests/Goldens/tiny-gpt2").path
        let result = try attend(["generate", "-m", dir, "-p", "x"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("tiny-gpt2") && result.stderr.contains("no tokenizer"), "\(result.stderr)")
    }
}
