import AttendTokenizers
import Foundation
import Testing

@Suite("Encoding")
struct EncodingTests {
    let tokenizer = Fixtures.tokenizer

    @Test("[CLS] pieces [SEP]; empty and whitespace-only text give [CLS] [SEP]")
    func basics() {
        #expect(tokenizer.encode("Hello, world!") == [101, 7592, 1010, 2088, 999, 102])
        #expect(tokenizer.encode("") == [101, 102])
        #expect(tokenizer.encode(" \t\u{3000}\u{1}") == [101, 102])
        #expect(tokenizer.tokenize("unaffable") == ["una", "##ffa", "##ble"])
        #expect(tokenizer.tokenize("a[MASK]b [mask]") == ["a", "[MASK]", "b", "[", "mask", "]"])
    }

    @Test("the 100-scalar word limit counts Unicode scalars after normalization")
    func wordLimit() {
        #expect(tokenizer.encode(String(repeating: "b", count: 100)).count > 3)
        #expect(tokenizer.encode(String(repeating: "b", count: 101)) == [101, 100, 102])
        // 100 × "e + combining acute" is 200 scalars and 100 Characters before, 100 scalars after stripping.
        #expect(tokenizer.encode(String(repeating: "e\u{301}", count: 100)).count > 3)
        // 100 Characters, but the family emoji is one grapheme of 5 scalars: 104 scalars, so [UNK].
        let family = "👨\u{200D}👩\u{200D}👧"
        #expect(tokenizer.wordPiece.tokenize(String(repeating: "a", count: 99) + family) == [100])
    }

    @Test("overflow policy .error names the length and the maximum")
    func overflowError() throws {
        let text = "the quick brown fox jumps over the lazy dog"
        let full = tokenizer.encode(text)
        #expect(full.count == 11)
        #expect(try tokenizer.encode(text, maxLength: 11, overflow: .error) == full)
        let error = try #require(throws: TokenizerError.self) { try tokenizer.encode(text, maxLength: 8, overflow: .error) }
        #expect(error == .sequenceTooLong(length: 11, maximum: 8))
        #expect(error.description.contains("11 tokens") && error.description.contains("maximum of 8"))
    }

    @Test("overflow policy .truncate keeps the first maxLength - 2 pieces")
    func truncate() throws {
        let text = "the quick brown fox jumps over the lazy dog"
        let full = tokenizer.encode(text)
        #expect(try tokenizer.encode(text, maxLength: 5, overflow: .truncate) == Array(full[0..<4]) + [102])
        #expect(try tokenizer.encode(text, maxLength: 2, overflow: .truncate) == [101, 102])
        #expect(try tokenizer.encode(text, maxLength: 64, overflow: .truncate) == full)
        #expect(throws: TokenizerError.invalidMaximumLength(1)) { try tokenizer.encode(text, maxLength: 1, overflow: .truncate) }
    }

    @Test("concurrent encodes agree with serial ones")
    func concurrent() async throws {
        let texts = try Fixtures.sentences(Fixtures.sst2Dev)
        let tokenizer = self.tokenizer
        let serial = texts.map { tokenizer.encode($0) }
        let parallel = await withTaskGroup(of: (Int, [[Int]]).self) { group in
            for chunk in 0..<4 {
                group.addTask {
                    (chunk, stride(from: chunk, to: texts.count, by: 4).map { tokenizer.encode(texts[$0]) })
                }
            }
            var results = [[Int]](repeating: [], count: texts.count)
            for await (chunk, ids) in group {
                for (k, i) in stride(from: chunk, to: texts.count, by: 4).enumerated() { results[i] = ids[k] }
            }
            return results
        }
        #expect(parallel == serial)
    }
}
