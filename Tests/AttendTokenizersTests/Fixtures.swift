import AttendTokenizers
import Foundation
import Testing

/// Shared inputs of the tokenizer tests: the golden files (test bundle), the reference tokenizer
/// and the corpora, read exactly as scripts/make_tokenizer_goldens.py reads them.
enum Fixtures {
    /// Tests/AttendTokenizersTests/Goldens, as copied into the test bundle.
    static let goldens: URL = Bundle.module.url(forResource: "Goldens", withExtension: nil)!

    /// The repository root (three levels above this file).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The sibling `../shared/data` directory holding the large train sets.
    static let sharedData: URL = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")

    /// all-MiniLM-L6-v2's tokenizer, loaded from its tokenizer.json.
    static let tokenizer: BertTokenizer = {
        do {
            return try BertTokenizer(directory: goldens)
        } catch {
            fatalError("cannot load the reference tokenizer: \(error)")
        }
    }()

    /// The same vocabulary loaded from vocab.txt alone (the slow-tokenizer path).
    static let vocabTxtTokenizer: BertTokenizer = {
        do {
            return try BertTokenizer(vocabularyFile: goldens.appendingPathComponent("vocab.txt"), lowercase: true)
        } catch {
            fatalError("cannot load vocab.txt: \(error)")
        }
    }()

    /// A corpus of the goldens, with the rule that extracts its sentences.
    struct Corpus: Sendable, CustomTestStringConvertible {
        enum Format: Sendable { case sst2, cola, lines }
        let name: String
        let file: URL
        let format: Format
        var testDescription: String { name }
        var isAvailable: Bool { FileManager.default.fileExists(atPath: file.path) }
    }

    static let sst2Train = Corpus(name: "sst2_train", file: sharedData.appendingPathComponent("sst2/train.tsv"), format: .sst2)
    static let sst2Dev = Corpus(name: "sst2_dev", file: repositoryRoot.appendingPathComponent("data/sst2/dev.tsv"), format: .sst2)
    static let colaTrain = Corpus(name: "cola_train", file: sharedData.appendingPathComponent("cola/train.tsv"), format: .cola)
    static let colaDev = Corpus(name: "cola_dev", file: repositoryRoot.appendingPathComponent("data/cola/dev.tsv"), format: .cola)
    static let adversarial = Corpus(name: "adversarial", file: repositoryRoot.appendingPathComponent("data/adversarial.txt"), format: .lines)

    /// The corpus's sentences, in file order.
    static func sentences(_ corpus: Corpus) throws -> [String] {
        let bytes = [UInt8](try Data(contentsOf: corpus.file))
        let lines = try decodeUTF8Lines(bytes, source: corpus.file.path)
        switch corpus.format {
        case .lines:
            return lines
        case .sst2:
            #expect(lines.first == "sentence\tlabel", "\(corpus.file.path): unexpected header")
            return lines.dropFirst().map { line in
                let scalars = line.unicodeScalars
                guard let tab = scalars.lastIndex(of: "\t") else { return line }
                return String(scalars[..<tab])
            }
        case .cola:
            return lines.enumerated().map { number, line in
                let scalars = line.unicodeScalars
                var index = scalars.startIndex
                for _ in 0..<3 {
                    guard let tab = scalars[index...].firstIndex(of: "\t") else {
                        Issue.record("\(corpus.file.path) line \(number + 1): expected 4 tab-separated columns")
                        return ""
                    }
                    index = scalars.index(after: tab)
                }
                return String(scalars[index...])
            }
        }
    }

    /// The lines of a golden file, each a list of ids.
    static func goldenIDs(_ name: String) throws -> [[Int]] {
        let text = try decodeUTF8Lines([UInt8](try Data(contentsOf: goldens.appendingPathComponent(name))), source: name)
        return text.map { line in line.split(separator: " ").map { Int($0)! } }
    }

    /// The lines of a golden text file.
    static func goldenLines(_ name: String) throws -> [String] {
        try decodeUTF8Lines([UInt8](try Data(contentsOf: goldens.appendingPathComponent(name))), source: name)
    }

    /// The line count goldens.json records for a corpus.
    static func recordedLineCount(_ corpus: String) throws -> Int? {
        let data = try Data(contentsOf: goldens.appendingPathComponent("goldens.json"))
        let manifest = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return ((manifest?["corpora"] as? [String: Any])?[corpus] as? [String: Any])?["lines"] as? Int
    }

    /// Compares `actual(i)` with `expected[i]` for every line; records the first mismatch with its
    /// line number, text and both id lists, plus the number of mismatching lines.
    static func expectLinesEqual(_ what: String, texts: [String], expected: [[Int]],
                                 sourceLocation: SourceLocation = #_sourceLocation,
                                 actual: (String) throws -> [Int]) rethrows {
        #expect(texts.count == expected.count, "\(what): \(texts.count) inputs but \(expected.count) golden lines",
                sourceLocation: sourceLocation)
        var mismatches = 0
        var first: String? = nil
        for (i, (text, ids)) in zip(texts, expected).enumerated() {
            let got = try actual(text)
            if got != ids {
                mismatches += 1
                if first == nil {
                    first = "line \(i + 1): \(text.debugDescription)\n  expected \(ids)\n  got      \(got)"
                }
            }
        }
        #expect(mismatches == 0, "\(what): \(mismatches) of \(texts.count) lines differ; first at \(first ?? "")",
                sourceLocation: sourceLocation)
    }
}
