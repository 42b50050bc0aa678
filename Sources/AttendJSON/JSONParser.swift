/// Why a document could not be parsed, and where.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Kind: Equatable, Sendable {
        /// The bytes are not well-formed UTF-8; `reason` says why (see ``UTF8ValidationError``).
        case invalidUTF8(reason: String)
        /// Arrays and objects nest deeper than the parser's `maxDepth`.
        case tooDeep
        /// The text is not JSON.
        case syntax
    }

    public var kind: Kind
    /// Byte offset (from 0) in the document where the problem was found.
    public var offset: Int
    /// What the parser expected at ``offset``, phrased to follow the word "expected":
    /// "a string key", "',' or '}'", "no leading zero in a number", "valid UTF-8".
    public var expected: String

    public init(kind: Kind, offset: Int, expected: String) {
        self.kind = kind
        self.offset = offset
        self.expected = expected
    }

    /// "expected ',' or '}' at byte 12", or for bad UTF-8 "invalid UTF-8 at byte 3: <reason>".
    public var description: String {
        if case .invalidUTF8(let reason) = kind { return "invalid UTF-8 at byte \(offset): \(reason)" }
        return "expected \(expected) at byte \(offset)"
    }
}

/// A strict JSON parser (RFC 8259).
///
/// One document, surrounded by optional whitespace, in well-formed UTF-8 (checked first; a byte
/// order mark is not accepted). Nothing beyond the RFC: no comments, trailing commas, single
/// quotes, leading zeros, `NaN` or unescaped control characters; every `\u` escape of a UTF-16
/// surrogate must be a high–low pair. Numbers keep their literal text and objects keep every
/// member in order (see ``JSONValue``). Nesting of arrays and objects is limited to `maxDepth`
/// levels so hostile input cannot exhaust the stack.
public struct JSONParser {
    /// The default nesting limit of ``parse(_:maxDepth:)``.
    public static let defaultMaxDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private let maxDepth: Int
    private var i = 0
    private var depth = 0

    /// Parses one JSON document from `bytes`.
    /// - Parameter maxDepth: how many levels arrays and objects may nest (a top-level `[]` is one).
    /// - Throws: ``JSONError`` with the byte offset of the first problem.
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        do throws(UTF8ValidationError) {
            try validateUTF8(bytes)
        } catch {
            throw JSONError(kind: .invalidUTF8(reason: error.reason), offset: error.offset, expected: "valid UTF-8")
        }
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.i != bytes.count { throw parser.error("end of input after the top-level value") }
        return value
    }

    /// Parses one JSON document from `bytes` (an array, `Data`, a slice, …).
    /// - Throws: ``JSONError`` with the byte offset of the first problem.
    public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        let body = { (buffer: UnsafeBufferPointer<UInt8>) in
            Result { () throws(JSONError) in try parse(UnsafeRawBufferPointer(buffer), maxDepth: maxDepth) }
        }
        let result = bytes.withContiguousStorageIfAvailable(body) ?? Array(bytes).withUnsafeBufferPointer(body)
        return try result.get()
    }

    /// Parses one JSON document from the UTF-8 of `text`.
    /// - Throws: ``JSONError`` with the byte offset (in `text.utf8`) of the first problem.
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    private init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    private func error(_ expected: String, kind: JSONError.Kind = .syntax) -> JSONError {
        JSONError(kind: kind, offset: i, expected: expected)
    }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 {
            i += 1
        }
    }

    private static let anyValue = "a value (object, array, string, number, true, false or null)"

    private mutating func parseValue() throws(JSONError) -> JSONValue {
        guard i < bytes.count else { throw error(Self.anyValue) }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error(Self.anyValue)
        }
    }

    /// Consumes `word`; on a mismatch the error points at the word's first byte.
    private mutating func literal(_ word: StaticString) throws(JSONError) {
        let start = i
        let text = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for b in text {
            guard i < bytes.count, bytes[i] == b else {
                i = start
                throw error(Self.anyValue)
            }
            i += 1
        }
    }

    private mutating func enter() throws(JSONError) {
        depth += 1
        if depth > maxDepth { throw error("at most \(maxDepth) levels of nesting", kind: .tooDeep) }
    }

    /// Parses the comma-separated items of an array or object, from the opening bracket at `i`
    /// through `close`; `item` parses one item starting at a non-whitespace byte.
    private mutating func parseItems(
        close: UInt8, _ item: (inout JSONParser) throws(JSONError) -> Void
    ) throws(JSONError) {
        try enter()
        i += 1
        skipWhitespace()
        if i < bytes.count, bytes[i] == close {
            i += 1
            depth -= 1
            return
        }
        let separator = "',' or '\(Character(Unicode.Scalar(close)))'"
        while true {
            skipWhitespace()
            try item(&self)
            skipWhitespace()
            guard i < bytes.count else { throw error(separator) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == close { i += 1; break }
            throw error(separator)
        }
        depth -= 1
    }

    private mutating func parseObject() throws(JSONError) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        try parseItems(close: UInt8(ascii: "}")) { (p: inout JSONParser) throws(JSONError) in
            guard p.i < p.bytes.count, p.bytes[p.i] == UInt8(ascii: "\"") else { throw p.error("a string key") }
            let key = try p.parseString()
            p.skipWhitespace()
            guard p.i < p.bytes.count, p.bytes[p.i] == UInt8(ascii: ":") else { throw p.error("':' after an object key") }
            p.i += 1
            p.skipWhitespace()
            members.append((key, try p.parseValue()))
        }
        return .object(members)
    }

    private mutating func parseArray() throws(JSONError) -> JSONValue {
        var elements: [JSONValue] = []
        try parseItems(close: UInt8(ascii: "]")) { (p: inout JSONParser) throws(JSONError) in
            elements.append(try p.parseValue())
        }
        return .array(elements)
    }

    private func isDigit(_ k: Int) -> Bool {
        k < bytes.count && bytes[k] >= UInt8(ascii: "0") && bytes[k] <= UInt8(ascii: "9")
    }

    /// Consumes one or more digits.
    private mutating func digits(_ expected: String) throws(JSONError) {
        guard isDigit(i) else { throw error(expected) }
        repeat { i += 1 } while isDigit(i)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, returned as written.
    private mutating func parseNumber() throws(JSONError) -> String {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { throw error("no leading zero in a number") }
        } else {
            try digits("a digit")
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            try digits("a digit after the decimal point")
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            try digits("a digit in the exponent")
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    }

    private mutating func hex4() throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard i < bytes.count else { throw error("four hex digits after \\u") }
            let b = bytes[i]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw error("four hex digits after \\u")
            }
            value = value << 4 | UInt32(digit)
            i += 1
        }
        return value
    }

    /// Parses a string starting at its opening quote.
    private mutating func parseString() throws(JSONError) -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("no raw control character inside a string (escape it)") }
            i += 1
        }
        var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
        while true {
            guard i < bytes.count else { throw error("'\"' closing the string") }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 { throw error("no raw control character inside a string (escape it)") }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                i += 1
                continue
            }
            let escape = i
            i += 1
            guard i < bytes.count else { throw error("an escape character after '\\'") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw error("a \\u low surrogate after the high surrogate \\u\(String(scalar, radix: 16))")
                    }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else {
                        i -= 6
                        throw error("a low surrogate (\\uDC00-\\uDFFF) after the high surrogate \\u\(String(scalar, radix: 16))")
                    }
                    scalar = 0x10000 + (scalar - 0xD800) << 10 + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    i = escape
                    throw error("no lone low surrogate \\u\(String(scalar, radix: 16))")
                }
                out.append(contentsOf: String(Unicode.Scalar(scalar)!).utf8)
            default:
                i -= 1
                throw error("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
            }
        }
    }
}
