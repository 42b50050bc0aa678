import AttendTokenizers
import Foundation
import Testing

/// Byte-level BPE ids equal Hugging Face tokenizers' (scripts/make_bpe_goldens.py) on every input,
/// for GPT-2's own files and for SmolLM2's GGUF vocabulary, and decoding gives the text back.
@Suite("Byte-level BPE: Hugging Face parity")
struct BPEParityTests {
    @Test("ids equal tokenizers' on the repository corpora, and decode back",
          arguments: BPEFixtures.models, [Fixtures.adversarial, Fixtures.sst2Dev])
    func repositoryCorpus(_ model: BPEFixtures.Model, _ corpus: Fixtures.Corpus) throws {
        let texts = try Fixtures.sentences(corpus)
        let expected = try Fixtures.goldenIDs("bpe_\(model.name)_\(corpus.name).txt")
        Fixtures.expectLinesEqual("\(model.name) \(corpus.name)", texts: texts, expected: expected) {
            model.tokenizer.encode($0, addSpecial: false)
        }
        try BPEFixtures.expectRoundTrip("\(model.name) \(corpus.name)", model.tokenizer, texts)
    }

    @Test("ids equal tokenizers' on every line of WikiText-2 test and valid, and decode back",
          .enabled(if: BPEFixtures.wikitextAvailable, "../shared/data/wikitext2/{test,valid}.txt are not on this machine"),
          arguments: BPEFixtures.models, ["test", "valid"])
    func wikitextLines(_ model: BPEFixtures.Model, _ split: String) throws {
        let texts = try BPEFixtures.lines(BPEFixtures.wikitext2.appendingPathComponent("\(split).txt"))
        let expected = try BPEFixtures.binaryIDs("bpe_\(model.name)_wikitext2_\(split).ids")
        Fixtures.expectLinesEqual("\(model.name) wikitext2 \(split)", texts: texts, expected: expected) {
            model.tokenizer.encode($0, addSpecial: false)
        }
        try BPEFixtures.expectRoundTrip("\(model.name) wikitext2 \(split)", model.tokenizer, texts)
    }

    @Test("ids equal tokenizers' on the whole WikiText-2 test file as one string (what perplexity reads)",
          .enabled(if: BPEFixtures.wikitextAvailable, "../shared/data/wikitext2/test.txt is not on this machine"),
          arguments: BPEFixtures.models)
    func wikitextWhole(_ model: BPEFixtures.Model) throws {
        let bytes = [UInt8](try Data(contentsOf: BPEFixtures.wikitext2.appendingPathComponent("test.txt")))
        let text = try decodeUTF8(bytes, source: "wikitext2/test.txt")
        let expected = try BPEFixtures.binaryIDs("bpe_\(model.name)_wikitext2_test_whole.ids")
        try #require(expected.count == 1)
        // A fresh tokenizer (empty word cache); the times are printed for the record, never asserted.
        let clock = ContinuousClock()
        var tokenizer: ByteLevelBPETokenizer? = nil
        let load = clock.measure { tokenizer = model.makeTokenizer() }
        var ids: [Int] = []
        let cold = clock.measure { ids = tokenizer!.encode(text, addSpecial: false) }
        let warm = clock.measure { _ = tokenizer!.encode(text, addSpecial: false) }
        print("\(model.name): WikiText-2 test (\(bytes.count) bytes) → \(ids.count) ids; load \(load), encode \(cold) (cold cache), \(warm) (warm)")
        #expect(ids.count == expected[0].count, "\(model.name): \(ids.count) ids, expected \(expected[0].count)")
        let common = min(ids.count, expected[0].count)
        if let k = (0..<common).first(where: { ids[$0] != expected[0][$0] }) ?? (ids.count != expected[0].count ? common : nil) {
            let lo = max(0, k - 3)
            Issue.record("\(model.name): first difference at id \(k): expected \(expected[0][lo..<min(k + 5, expected[0].count)]), got \(ids[lo..<min(k + 5, ids.count)])")
        }
        #expect(try model.tokenizer.decode(ids) == bytes)
    }

    @Test("ids equal tokenizers' on the edge cases (whitespace and digit runs, contractions, emoji, combining marks, CRLF, special tokens)",
          arguments: BPEFixtures.models)
    func edgeCases(_ model: BPEFixtures.Model) throws {
        let cases = try BPEFixtures.edgeCases()
        #expect(cases.count > 40)
        #expect(cases.filter { !BPEFixtures.roundTrips($0.text, model.tokenizer) }.count == (model.name == "gpt2" ? 0 : 2))
        for c in cases {
            let expected = model.name == "gpt2" ? c.gpt2 : c.smollm2
            #expect(model.tokenizer.encode(c.text, addSpecial: false) == expected, "\(model.name): \(c.text.prefix(80).debugDescription)")
            if BPEFixtures.roundTrips(c.text, model.tokenizer) {
                #expect(try model.tokenizer.decode(expected) == Array(c.text.utf8), "\(model.name) decode: \(c.text.prefix(80).debugDescription)")
            }
        }
    }
}
