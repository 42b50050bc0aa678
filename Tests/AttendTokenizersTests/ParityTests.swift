import AttendTokenizers
import Foundation
import Testing

/// Token ids equal Hugging Face's on every line of every golden corpus.
@Suite("Hugging Face parity")
struct ParityTests {
    @Test("ids equal tokenizers' on the repository corpora",
          arguments: [Fixtures.sst2Dev, Fixtures.colaDev, Fixtures.adversarial])
    func repositoryCorpus(_ corpus: Fixtures.Corpus) throws {
        try checkCorpus(corpus)
    }

    @Test("ids equal tokenizers' on the train sets in ../shared/data",
          .enabled(if: Fixtures.sst2Train.isAvailable && Fixtures.colaTrain.isAvailable,
                   "../shared/data/{sst2,cola}/train.tsv are not on this machine"),
          arguments: [Fixtures.sst2Train, Fixtures.colaTrain])
    func trainCorpus(_ corpus: Fixtures.Corpus) throws {
        try checkCorpus(corpus)
    }

    private func checkCorpus(_ corpus: Fixtures.Corpus) throws {
        let texts = try Fixtures.sentences(corpus)
        let expected = try Fixtures.goldenIDs("ids_\(corpus.name).txt")
        #expect(try Fixtures.recordedLineCount(corpus.name) == texts.count, "goldens.json records a different line count for \(corpus.name)")
        Fixtures.expectLinesEqual("\(corpus.name) (tokenizer.json)", texts: texts, expected: expected) {
            Fixtures.tokenizer.encode($0)
        }
        // vocab.txt alone gives the same tokenizer.
        Fixtures.expectLinesEqual("\(corpus.name) (vocab.txt)", texts: texts, expected: expected) {
            Fixtures.vocabTxtTokenizer.encode($0)
        }
    }

    @Test("ids equal transformers' slow BertTokenizer (vocab.txt, do_lower_case)",
          arguments: [Fixtures.sst2Dev, Fixtures.colaDev])
    func slowTokenizer(_ corpus: Fixtures.Corpus) throws {
        let texts = try Fixtures.sentences(corpus)
        Fixtures.expectLinesEqual("\(corpus.name) (slow)", texts: texts,
                                  expected: try Fixtures.goldenIDs("ids_slow_\(corpus.name).txt")) {
            Fixtures.vocabTxtTokenizer.encode($0)
        }
    }

    @Test("truncation keeps [CLS], the first maxLength - 2 pieces and [SEP]",
          arguments: [(Fixtures.adversarial, 8), (Fixtures.sst2Dev, 16)])
    func truncation(_ corpus: Fixtures.Corpus, maxLength: Int) throws {
        let texts = try Fixtures.sentences(corpus)
        try Fixtures.expectLinesEqual("\(corpus.name) truncated to \(maxLength)", texts: texts,
                                      expected: try Fixtures.goldenIDs("trunc\(maxLength)_\(corpus.name).txt")) {
            try Fixtures.tokenizer.encode($0, maxLength: maxLength, overflow: .truncate)
        }
    }

    @Test("normalizer and pre-tokenizer outputs equal tokenizers' on the adversarial lines")
    func intermediateStages() throws {
        let texts = try Fixtures.sentences(Fixtures.adversarial)
        let normalized = try Fixtures.goldenLines("normalized_adversarial.txt")
        let words = try Fixtures.goldenLines("words_adversarial.txt")
        try #require(normalized.count == texts.count && words.count == texts.count)
        let normalizer = BertNormalizer()
        for (i, text) in texts.enumerated() {
            let got = normalizer.normalize(text)
            #expect(Array(got.unicodeScalars) == Array(normalized[i].unicodeScalars),
                    "line \(i + 1) \(text.debugDescription): normalized \(got.debugDescription), expected \(normalized[i].debugDescription)")
            let split = BertPreTokenizer().split(normalized[i])
            let expectedWords = words[i].isEmpty ? [] : words[i].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            #expect(split.map { Array($0.unicodeScalars) } == expectedWords.map { Array($0.unicodeScalars) },
                    "line \(i + 1): words \(split), expected \(expectedWords)")
        }
    }

    /// Every code point on its own through BertNormalizer() and the pre-tokenizer's classes,
    /// against Goldens/unicode_normalizer.txt (see scripts/make_tokenizer_goldens.py).
    @Test("every code point normalizes and classifies as in tokenizers")
    func everyCodePoint() throws {
        let normalizer = BertNormalizer()
        var checked = 0
        var failures: [String] = []
        for line in try Fixtures.goldenLines("unicode_normalizer.txt") {
            let fields = line.split(separator: " ")
            try #require(fields.count == 4, "bad golden line \(line)")
            let lo = UInt32(fields[0], radix: 16)!, hi = UInt32(fields[1], radix: 16)!
            let cls = fields[2], output = fields[3]
            for value in lo...hi {
                guard let scalar = Unicode.Scalar(value) else { continue }
                checked += 1
                let gotClass = BertPreTokenizer.isWhitespace(scalar) ? "w" : BertPreTokenizer.isPunctuation(scalar) ? "p" : "o"
                let expected: [UInt32]
                switch output {
                case "=": expected = [value]
                case "-": expected = []
                case "_": expected = [0x20]
                case "c": expected = [0x20, value, 0x20]
                default: expected = output.split(separator: ",").map { UInt32($0, radix: 16)! }
                }
                let got = normalizer.normalize(String(scalar)).unicodeScalars.map(\.value)
                if (gotClass != cls || got != expected) && failures.count < 20 {
                    let hex = { (v: [UInt32]) in v.map { String($0, radix: 16, uppercase: true) } }
                    failures.append("U+\(String(value, radix: 16, uppercase: true)): class \(gotClass) (expected \(cls)), "
                                    + "normalized \(hex(got)) (expected \(hex(expected)))")
                }
            }
        }
        #expect(checked == 0x110000 - 0x800, "the golden must cover every scalar value")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
