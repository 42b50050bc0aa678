import AttendTokenizers
import Testing

@Suite("Strict UTF-8 decoding")
struct UTF8DecodingTests {
    @Test("well-formed text decodes unchanged, BOM included")
    func valid() throws {
        let text = "aé€😀\u{FEFF}z\u{10FFFF}"
        #expect(try decodeUTF8(Array(text.utf8), source: "t") == text)
        #expect(try decodeUTF8([UInt8](), source: "t") == "")
        #expect(try decodeUTF8(Array("ascii only, longer than eight bytes".utf8)[...], source: "t")
                == "ascii only, longer than eight bytes")
    }

    /// (bytes, offset of the offending sequence, a word the reason must contain)
    static let invalid: [([UInt8], Int, String)] = [
        ([0x61, 0x62, 0x63, 0x80], 3, "continuation"),                    // lone continuation byte
        ([0xBF], 0, "continuation"),
        ([0x41, 0xC0, 0xAF], 1, "overlong"),                               // '/' in two bytes
        ([0xC1, 0xBF], 0, "overlong"),
        ([0x61, 0xE0, 0x80, 0xAF], 1, "overlong"),                         // three-byte overlong
        ([0xF0, 0x80, 0x80, 0xAF], 0, "overlong"),                         // four-byte overlong
        ([0x20, 0xED, 0xA0, 0x80], 1, "surrogate"),                        // U+D800 encoded
        ([0xED, 0xBF, 0xBF], 0, "surrogate"),                              // U+DFFF encoded
        ([0x61, 0x62, 0xE2, 0x82], 2, "truncated"),                        // € cut at the end
        ([0xE2, 0x82, 0x41, 0x42], 0, "truncated"),                        // € cut by ASCII
        ([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0xF0, 0x9F, 0x98], 9, "truncated"),
        ([0xC3], 0, "truncated"),
        ([0xF4, 0x90, 0x80, 0x80], 0, "10FFFF"),                           // U+110000
        ([0xF5, 0x80, 0x80, 0x80], 0, "10FFFF"),
        ([0xFF], 0, "never occurs"),
    ]

    @Test("ill-formed sequences throw with the source and byte offset", arguments: invalid)
    func rejects(_ bytes: [UInt8], offset: Int, reason: String) throws {
        let error = try #require(throws: TokenizerError.self) { try decodeUTF8(bytes, source: "stdin line 3") }
        guard case let .invalidUTF8(source, gotOffset, gotReason) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(source == "stdin line 3")
        #expect(gotOffset == offset)
        #expect(gotReason.contains(reason), "\(gotReason)")
        #expect(error.description.hasPrefix("stdin line 3: invalid UTF-8 at byte offset \(offset): "))
    }

    @Test("lines split on LF only; CR stays; a final LF adds no line")
    func lines() throws {
        #expect(try decodeUTF8Lines(Array("a\nb\r\n\n\tc".utf8), source: "f") == ["a", "b\r", "", "\tc"])
        #expect(try decodeUTF8Lines(Array("a\n".utf8), source: "f") == ["a"])
        #expect(try decodeUTF8Lines(Array("a\n\n".utf8), source: "f") == ["a", ""])
        #expect(try decodeUTF8Lines(Array("\n".utf8), source: "f") == [""])
        #expect(try decodeUTF8Lines([UInt8](), source: "f") == [])
    }

    @Test("a line's error names the line and the offset within it")
    func lineErrors() throws {
        let bytes: [UInt8] = Array("ok\nfine\nbad ".utf8) + [0xC3, 0x28] + Array("\nlater".utf8)
        #expect(throws: TokenizerError.invalidUTF8(source: "stdin line 3", offset: 4,
                                                   reason: "truncated sequence: lead byte 0xC3 needs 2 bytes but byte 2 is 0x28, not a continuation byte")) {
            try decodeUTF8Lines(bytes, source: "stdin")
        }
    }
}
