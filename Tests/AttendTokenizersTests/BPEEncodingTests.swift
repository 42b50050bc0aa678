import AttendTokenizers
import Foundation
import Testing

/// Byte-level BPE behaviour beyond the goldens: bytes, special tokens, decoding, bad input.
@Suite("Byte-level BPE: encoding and decoding")
struct BPEEncodingTests {
    @Test("each byte is one token that decodes to that byte; SmolLM2 lacks 21 of them, which encoding drops",
          arguments: BPEFixtures.models)
    func allBytes(_ model: BPEFixtures.Model) throws {
        let t = model.tokenizer
        let missing: [Int] = model.name == "gpt2" ? [] : [0x04, 0x06, 0x13, 0x14, 0x16, 0x1D, 0xC0, 0xC1, 0xF1, 0xF2] + Array(0xF5...0xFF)
        for b in 0..<256 {
            let ascii = b < 0x80 ? String(UnicodeScalar(UInt8(b))) : nil
            guard let id = t.id(of: BPEFixtures.byteToken(b)) else {
                #expect(missing.contains(b), "\(model.name) has no token for byte \(b)")
                if let ascii { #expect(t.encode("a" + ascii + "a", addSpecial: false) == t.encode("a", addSpecial: false) + t.encode("a", addSpecial: false)) }
                continue
            }
            #expect(!missing.contains(b))
            #expect(try t.decode([id]) == [UInt8(b)])
            if let ascii { #expect(t.encode(ascii, addSpecial: false) == [id]) }
        }
        #expect(t.id(of: "Ġ") == t.encode(" ", addSpecial: false).first)
    }

    @Test("every scalar of U+0000–U+2FFF and a sample above round-trips (those with a token for each byte)",
          arguments: BPEFixtures.models)
    func scalarsRoundTrip(_ model: BPEFixtures.Model) throws {
        var scalars = String.UnicodeScalarView()
        for v in Array(0..<0x3000) + Array(stride(from: 0x3000, to: 0x110000, by: 97)) {
            if let s = Unicode.Scalar(UInt32(v)), BPEFixtures.roundTrips(String(s), model.tokenizer) { scalars.append(s) }
        }
        #expect(scalars.count > (model.name == "gpt2" ? 23_000 : 18_000))
        let text = String(scalars)
        #expect(try model.tokenizer.decode(model.tokenizer.encode(text, addSpecial: false)) == Array(text.utf8))
    }

    @Test("special tokens are matched literally, leftmost-longest, before pre-tokenization")
    func specialTokens() throws {
        let smol = BPEFixtures.smollm2
        let start = try #require(smol.id(of: "<|im_start|>"))
        let end = try #require(smol.id(of: "<|im_end|>"))
        #expect(start == 1 && end == 2 && smol.eos == 2 && smol.bos == 1 && !smol.addBOS)
        #expect(smol.specialTokens.count == 17)
        let inner = smol.encode("user\nhi", addSpecial: false)
        #expect(smol.encode("<|im_start|>user\nhi<|im_end|>") == [start] + inner + [end])
        // A prefix of a special token is plain text.
        #expect(!smol.encode("<|im_start").contains(start))
        #expect(BPEFixtures.gpt2.encode("<|endoftext|><|endoftext|>") == [50256, 50256])
        #expect(BPEFixtures.gpt2.bos == 50256 && BPEFixtures.gpt2.eos == 50256 && !BPEFixtures.gpt2.addBOS)
        // Leftmost-longest: "ab" wins over "a" at the same position, and "b" is found after "a".
        let tokens = (0..<256).map(BPEFixtures.byteToken) + ["<a>", "<a><b>", "<b>"]
        let t = try ByteLevelBPETokenizer(tokens: tokens, merges: [], preTokenizer: .gpt2,
                                          specialTokens: ["<a>": 256, "<a><b>": 257, "<b>": 258], bos: nil, eos: nil, addBOS: false)
        #expect(t.encode("<a><b><b><a>") == [257, 258, 256])
        #expect(t.encode("x<a>") == [120, 256])
    }

    @Test("BOS is added only when the tokenizer asks for it and addSpecial is true; empty text")
    func bosAndEmpty() throws {
        let f = BPEFixtures.smollm2File
        let withBOS = try ByteLevelBPETokenizer(tokens: f.tokens, merges: f.merges, preTokenizer: .smollm,
                                                bos: f.bos, eos: f.eos, addBOS: true)
        #expect(withBOS.encode("") == [1])
        #expect(withBOS.encode("", addSpecial: false) == [])
        #expect(withBOS.encode("Hello") == [1] + withBOS.encode("Hello", addSpecial: false))
        #expect(BPEFixtures.smollm2.encode("") == [])
        #expect(BPEFixtures.gpt2.encode("") == [])
        #expect(try BPEFixtures.gpt2.decode([]) == [])
    }

    @Test("GPT-2 and SmolLM2 pre-tokenizers differ exactly on digits")
    func digits() throws {
        // GPT-2 keeps a run of digits (with its leading space) as one word; SmolLM2 splits each digit.
        let gpt2 = BPEFixtures.gpt2
        #expect(gpt2.encode(" 2024").count < 4)
        let smol = BPEFixtures.smollm2
        #expect(smol.encode("2024").map { smol.token(of: $0)! } == ["2", "0", "2", "4"])
    }

    @Test("decoding: ids out of range are an error, partial UTF-8 decodes lossily")
    func decodingErrors() throws {
        let t = BPEFixtures.gpt2
        #expect(t.vocabularySize == 50257)
        #expect(throws: TokenizerError.tokenIDOutOfRange(id: 50257, position: 1, vocabularySize: 50257)) {
            try t.decode([0, 50257])
        }
        #expect(throws: TokenizerError.tokenIDOutOfRange(id: -1, position: 0, vocabularySize: 50257)) {
            try t.decodeText([-1])
        }
        #expect(t.token(of: -1) == nil && t.token(of: 50257) == nil && t.token(of: 0) == "!")
        // "é" is C3 A9: one byte token each; the first alone is invalid UTF-8.
        let e = t.encode("\u{E9}", addSpecial: false)
        let first = try #require(t.id(of: BPEFixtures.byteToken(0xC3)))
        #expect(try t.decodeText([first]) == "\u{FFFD}")
        #expect(try t.decodeText(e) == "\u{E9}")
        #expect(try t.decodeText([first, first] + e) == "\u{FFFD}\u{FFFD}\u{E9}")
    }

    @Test("invalid UTF-8 input is an error naming the source and offset")
    func invalidUTF8() throws {
        let t = BPEFixtures.smollm2
        let error = #expect(throws: TokenizerError.self) { try t.encode(utf8: [0x61, 0xFF], source: "prompt") }
        guard case .invalidUTF8(let source, let offset, _) = error else {
            Issue.record("expected invalidUTF8, got \(String(describing: error))")
            return
        }
        #expect(source == "prompt" && offset == 1)
        #expect(try t.encode(utf8: Array("héllo".utf8), source: "prompt") == t.encode("héllo"))
    }
}
