import AttendAttention
import AttendKernels
import AttendModels
import Foundation
import Testing

/// What `scripts/make_decoder_goldens.py` wrote for the real SmolLM2-135M-Instruct GGUF (transformers on
/// the weights it dequantizes from the file, forward in float32).
private struct SmolLM2Golden: Decodable {
    struct Case: Decodable {
        let prompt_text: String
        let chat_user_message: String?
        let input_ids: [Int]
        let last_logits_file: String
        let greedy_continuation: [Int]
        let greedy_margins: [Double]
        let greedy_stopped_at_eos: Bool
    }
    let cases: [String: Case]
}

/// The real model with its tokenizer (`openSmolLM2` fails with instructions when the file is absent).
func loadSmolLM2() throws -> DecoderBundle {
    _ = try openSmolLM2()
    return try DecoderBundle.load(path: smolLM2Path.path)
}

/// Attend's and PyTorch's last-position logits on the same dequantized weights differ only by Float32
/// summation order through 30 layers (GEMM blocking, the tiled softmax, SiLU's polynomial exp):
/// measured 4.3e-5…5.0e-5 on logits of magnitude ≈ 25 (set the tolerance to 0 to see them); 5e-4
/// leaves a 10× margin and catches any real error (a wrong RoPE angle, norm or block scale moves
/// logits by ≥ 0.1).
private let smolLM2LogitTolerance: Float = 5e-4

@Suite("SmolLM2-135M-Instruct (real GGUF) vs PyTorch", .serialized)
struct SmolLM2Tests {
    private let golden: SmolLM2Golden
    private let directory = decoderGoldens.appendingPathComponent("smollm2")

    init() throws {
        golden = try JSONDecoder().decode(SmolLM2Golden.self, from: Data(contentsOf: decoderGoldens.appendingPathComponent("smollm2/golden.json")))
    }

    @Test("tokenizer and chat template give PyTorch's prompt ids", arguments: ["plain", "digits", "chat"])
    func prompt(name: String) throws {
        let bundle = try loadSmolLM2()
        let c = try #require(golden.cases[name])
        if let message = c.chat_user_message {
            #expect(bundle.chatTemplate?.render([(role: "user", content: message)]) == c.prompt_text)
        }
        #expect(bundle.tokenizer?.encode(c.prompt_text) == c.input_ids)
        #expect(bundle.stopTokens == [2])
        #expect(bundle.addBOS == false)
    }

    @Test("last-position logits and greedy tokens equal PyTorch's", arguments: ["plain", "digits", "chat"])
    func logits(name: String) throws {
        let model = try loadSmolLM2().model
        let c = try #require(golden.cases[name])
        let want = try Data(contentsOf: directory.appendingPathComponent(c.last_logits_file)).withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        #expect(want.count == model.vocabularySize)
        let cache = model.makeCache(capacity: c.input_ids.count + c.greedy_continuation.count)
        var output = try model.forward(c.input_ids, cache: cache, attention: TiledMethod(), rows: .last)
        let error = zip(output.logits.data, want).map { abs($0 - $1) }.max()!
        #expect(error <= smolLM2LogitTolerance, "\(name): max |Δlogit| = \(error)")
        // Greedy: every step's choice must agree while PyTorch's top-1/top-2 margin exceeds our error
        // bound; a near-tie (margin below it) may legitimately flip, and the test stops comparing there.
        var generated: [Int] = []
        for (step, expected) in c.greedy_continuation.enumerated() {
            let next = output.logits.data.withUnsafeBufferPointer { b in b.indices.max { b[$0] < b[$1] || (b[$0] == b[$1] && $0 > $1) }! }
            guard c.greedy_margins[step] > Double(2 * smolLM2LogitTolerance) else { break }
            #expect(next == expected, "\(name): greedy step \(step)")
            generated.append(next)
            if next == 2 { break }
            output = try model.forward([next], cache: cache, attention: TiledMethod(), rows: .last)
        }
        #expect(generated.count >= min(c.greedy_continuation.count, 20), "\(name): compared \(generated.count) greedy steps")
    }
}
