import AttendJSON
import Foundation
import Testing

@Suite("Strict JSON parser")
struct JSONParserTests {
    @Test("a nested document keeps structure, member order and duplicates")
    func nested() throws {
        let value = try JSONParser.parse(#" {"a": [1, {"b": null, "c": [true, false]}], "d": {}, "e": "x", "a": 2}"# + "\n")
        let expected: JSONValue = .object([
            (key: "a", value: .array([.number("1"), .object([(key: "b", value: .null),
                                                             (key: "c", value: .array([.bool(true), .bool(false)]))])])),
            (key: "d", value: .object([])),
            (key: "e", value: .string("x")),
            (key: "a", value: .number("2")),
        ])
        #expect(value == expected)
        // The subscript reads the first of duplicate members.
        #expect(value["a"]?.typeName == "an array")
        #expect(value["a"]?.summary == "an array of 2")
        #expect(value["missing"] == nil)
        #expect(value["d"]?["x"] == nil)
        #expect(try JSONParser.parse("[]") == .array([]))
        #expect(try JSONParser.parse("\t\r\n null \n") == .null)
    }

    @Test("escapes, \\u escapes and surrogate pairs decode; raw UTF-8 passes through")
    func strings() throws {
        #expect(try JSONParser.parse(#""\" \\ \/ \b \f \n \r \t""#) == .string("\" \\ / \u{8} \u{C} \n \r \t"))
        #expect(try JSONParser.parse(#""\u0041\u00e9\u20AC\u0000""#) == .string("Aé€\u{0}"))
        #expect(try JSONParser.parse(#""\ud83d\ude00 \uD834\uDD1E \udbff\udfff""#) == .string("😀 𝄞 \u{10FFFF}"))
        #expect(try JSONParser.parse("\"é😀中\"") == .string("é😀中"))
        #expect(try JSONParser.parse(#"{"k\u00e9y": "a\nb"}"#)["kéy"] == .string("a\nb"))
        #expect(try JSONParser.parse(#""""#) == .string(""))
    }

    @Test("numbers keep their literal text, so big integers are exact")
    func numbers() throws {
        let big = "123456789012345678901234567890123456789"
        guard case .array(let items) = try JSONParser.parse(
            "[\(big), -9223372036854775808, 9223372036854775807, 9223372036854775808, -0, 0.5, -1.25e-3, 1E+2, 7]")
        else { Issue.record("not an array"); return }
        #expect(items.map { if case .number(let t) = $0 { t } else { "?" } } ==
                [big, "-9223372036854775808", "9223372036854775807", "9223372036854775808", "-0", "0.5", "-1.25e-3", "1E+2", "7"])
        #expect(items.map(\.integer) == [nil, Int.min, Int.max, nil, 0, nil, nil, nil, 7])
        #expect(JSONValue.integer("1.0") == nil)
        #expect(JSONValue.integer("1e2") == nil)
        #expect(JSONValue.integer("-42") == -42)
        #expect(JSONValue.string("7").integer == nil)
        #expect(items[0].summary == "the number \(big)")
    }

    @Test("bytes, Data, slices and strings parse alike; offsets count from the slice start")
    func inputs() throws {
        let text = #"{"a": [1, 2]}"#
        let value = try JSONParser.parse(text)
        #expect(try JSONParser.parse(Array(text.utf8)) == value)
        #expect(try JSONParser.parse(Data(text.utf8)) == value)
        #expect(try Array(text.utf8).withUnsafeBytes { try JSONParser.parse($0) } == value)
        let bytes = Array("xx[1,]".utf8)
        let error = try #require(throws: JSONError.self) { try JSONParser.parse(bytes[2...]) }
        #expect(error.offset == 3)
    }

    @Test("nesting up to maxDepth parses; one level more is refused")
    func depth() throws {
        func nested(_ n: Int) -> String { String(repeating: "[", count: n) + String(repeating: "]", count: n) }
        _ = try JSONParser.parse(nested(JSONParser.defaultMaxDepth))
        _ = try JSONParser.parse(nested(10), maxDepth: 10)
        _ = try JSONParser.parse(String(repeating: #"{"a":"#, count: 10) + "1" + String(repeating: "}", count: 10), maxDepth: 10)
        let error = try #require(throws: JSONError.self) { try JSONParser.parse(nested(JSONParser.defaultMaxDepth + 1)) }
        #expect(error == JSONError(kind: .tooDeep, offset: 64, expected: "at most 64 levels of nesting"))
        #expect(error.description == "expected at most 64 levels of nesting at byte 64")
        let objects = try #require(throws: JSONError.self) {
            try JSONParser.parse(String(repeating: #"{"a":"#, count: 3) + "1}}}", maxDepth: 2)
        }
        #expect(objects.kind == .tooDeep)
        #expect(objects.offset == 10)
    }

    /// (document, byte offset of the error, what the error says was expected)
    static let syntaxErrors: [(String, Int, String)] = [
        ("", 0, "a value (object, array, string, number, true, false or null)"),
        ("   ", 3, "a value (object, array, string, number, true, false or null)"),
        // Trailing garbage and trailing commas.
        ("{} x", 3, "end of input after the top-level value"),
        ("[1] ]", 4, "end of input after the top-level value"),
        ("{}{}", 2, "end of input after the top-level value"),
        ("[1,]", 3, "a value (object, array, string, number, true, false or null)"),
        (#"{"a": 1,}"#, 8, "a string key"),
        (#"{"a" 1}"#, 5, "':' after an object key"),
        (#"{"a": 1"#, 7, "',' or '}'"),
        ("[1 2]", 3, "',' or ']'"),
        ("{'a': 1}", 1, "a string key"),
        ("\u{FEFF}{}", 0, "a value (object, array, string, number, true, false or null)"),
        // Literals.
        ("tru", 0, "a value (object, array, string, number, true, false or null)"),
        ("[nul]", 1, "a value (object, array, string, number, true, false or null)"),
        ("NaN", 0, "a value (object, array, string, number, true, false or null)"),
        // Numbers: leading zeros, missing digits.
        ("01", 1, "no leading zero in a number"),
        (#"{"a": 00}"#, 7, "no leading zero in a number"),
        ("[-012]", 3, "no leading zero in a number"),
        ("-", 1, "a digit"),
        ("-a", 1, "a digit"),
        ("+1", 0, "a value (object, array, string, number, true, false or null)"),
        ("1.", 2, "a digit after the decimal point"),
        (".5", 0, "a value (object, array, string, number, true, false or null)"),
        ("1e", 2, "a digit in the exponent"),
        ("1e+", 3, "a digit in the exponent"),
        // Strings: bad escapes, control characters, lone surrogates.
        (#""\x""#, 2, #"a valid escape (\" \\ \/ \b \f \n \r \t \uXXXX)"#),
        (#"["ab\'"]"#, 5, #"a valid escape (\" \\ \/ \b \f \n \r \t \uXXXX)"#),
        (#""\u12G4""#, 5, "four hex digits after \\u"),
        (#""\u12"#, 5, "four hex digits after \\u"),
        (#""abc"#, 4, "'\"' closing the string"),
        (#""a\"#, 3, "an escape character after '\\'"),
        ("\"a\tb\"", 2, "no raw control character inside a string (escape it)"),
        ("\"a\\n\nb\"", 4, "no raw control character inside a string (escape it)"),
        (#""\ud800""#, 7, "a \\u low surrogate after the high surrogate \\ud800"),
        (#""\ud800x""#, 7, "a \\u low surrogate after the high surrogate \\ud800"),
        (#""\ud83d\u0041""#, 7, "a low surrogate (\\uDC00-\\uDFFF) after the high surrogate \\ud83d"),
        (#""\ud83d\ud83d""#, 7, "a low surrogate (\\uDC00-\\uDFFF) after the high surrogate \\ud83d"),
        (#"["ok", "\udc00"]"#, 8, "no lone low surrogate \\udc00"),
    ]

    @Test("invalid documents throw with the byte offset and what was expected", arguments: syntaxErrors)
    func syntaxError(_ text: String, offset: Int, expected: String) throws {
        let error = try #require(throws: JSONError.self) { try JSONParser.parse(text) }
        #expect(error == JSONError(kind: .syntax, offset: offset, expected: expected))
        #expect(error.description == "expected \(expected) at byte \(offset)")
    }

    /// (bytes, offset of the ill-formed sequence, a word of the reason)
    static let utf8Errors: [([UInt8], Int, String)] = [
        (Array(#"["a"#.utf8) + [0xFF] + Array(#"b"]"#.utf8), 3, "never occurs"),
        (Array(#"{""#.utf8) + [0xED, 0xA0, 0x80] + Array(#"": 1}"#.utf8), 2, "surrogate"),   // CESU-8
        (Array(#""é"#.utf8) + [0xC3] , 3, "truncated"),
        ([0x5B, 0xC0, 0xAF, 0x5D], 1, "overlong"),
        // Ill-formed bytes outside strings are reported as bad UTF-8, not as bad syntax.
        (Array("[1, ".utf8) + [0x80] + Array("]".utf8), 4, "continuation"),
    ]

    @Test("invalid UTF-8 throws with the offset of the ill-formed sequence", arguments: utf8Errors)
    func invalidUTF8(_ bytes: [UInt8], offset: Int, reason: String) throws {
        let error = try #require(throws: JSONError.self) { try JSONParser.parse(bytes) }
        guard case .invalidUTF8(let why) = error.kind else { Issue.record("\(error)"); return }
        #expect(error.offset == offset)
        #expect(error.expected == "valid UTF-8")
        #expect(why.contains(reason), "\(why)")
        #expect(error.description == "invalid UTF-8 at byte \(offset): \(why)")
    }

    @Test("type names and summaries for messages")
    func descriptions() {
        let values: [JSONValue] = [.null, .bool(true), .number("1.5"), .string(String(repeating: "x", count: 41)), .array([.null]), .object([])]
        #expect(values.map(\.typeName) == ["null", "a boolean", "a number", "a string", "an array", "an object"])
        #expect(values.map(\.summary) == ["null", "true", "the number 1.5", "the string \"\(String(repeating: "x", count: 40))…\"", "an array of 1", "an object"])
        #expect(values.map(\.isNull) == [true, false, false, false, false, false])
    }
}

@Suite("UTF-8 validation")
struct UTF8ValidationTests {
    private func check(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try validateUTF8($0) }
    }

    @Test("well-formed text passes, including ASCII runs that end on an 8-byte boundary")
    func valid() throws {
        for text in ["", "a", "12345678", "1234567812345678", "aé€😀\u{10FFFF}", "abcdefgé"] {
            try check(Array(text.utf8))
        }
    }

    @Test("the first ill-formed sequence is reported with its offset and reason")
    func invalid() {
        #expect(throws: UTF8ValidationError(offset: 9, reason: "truncated sequence: lead byte 0xF0 needs 4 bytes but the input ends after 3")) {
            try check(Array("123456789".utf8) + [0xF0, 0x9F, 0x98])
        }
        #expect(throws: UTF8ValidationError(offset: 8, reason: "unexpected continuation byte 0x80 with no lead byte before it")) {
            try check(Array("12345678".utf8) + [0x80])
        }
    }
}
