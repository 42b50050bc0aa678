/// Decodes well-formed UTF-8 into a `String`, refusing anything else.
///
/// Unlike `String(decoding:as:)`, nothing is ever replaced by U+FFFD: the first ill-formed
/// sequence (per the Unicode Standard, table 3-7) throws ``TokenizerError/invalidUTF8(source:offset:reason:)``
/// with `source` and the byte offset where that sequence starts. Rejected are lone continuation
/// bytes, overlong encodings (lead bytes C0/C1, E0 80–9F, F0 80–8F), encoded UTF-16 surrogates
/// (ED A0–BF), code points above U+10FFFF (F4 90+, F5–FF) and truncated multi-byte sequences.
///
/// - Parameters:
///   - bytes: the encoded text.
///   - source: names the input in the error message, e.g. `"stdin line 3"` or a file path.
/// - Returns: the decoded text; a leading byte-order mark is kept (BertNormalizer deletes it).
public func decodeUTF8(_ bytes: some Collection<UInt8>, source: String) throws -> String {
    if let result = try bytes.withContiguousStorageIfAvailable({ buffer -> String in
        try validateUTF8(buffer, source: source)
        return String(decoding: buffer, as: UTF8.self)
    }) {
        return result
    }
    let array = Array(bytes)
    return try array.withUnsafeBufferPointer { buffer in
        try validateUTF8(buffer, source: source)
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// Splits `bytes` into lines and decodes each with ``decodeUTF8(_:source:)``.
///
/// This is the project's one line-splitting rule (scripts/make_tokenizer_goldens.py does the
/// same): lines end at LF (0x0A) only; a final LF ends the last line rather than starting an empty
/// one; a CR (0x0D), including the CR of a CRLF pair, stays in its line (BertNormalizer turns it
/// into a space, so it never changes the tokens). An error names `"<source> line <n>"` (1-based)
/// and the byte offset within that line.
public func decodeUTF8Lines(_ bytes: some Collection<UInt8>, source: String) throws -> [String] {
    let array = bytes as? [UInt8] ?? Array(bytes)
    var lines: [String] = []
    var start = 0
    var number = 1
    while start < array.count {
        let end = array[start...].firstIndex(of: 0x0A) ?? array.count
        lines.append(try decodeUTF8(array[start..<end], source: "\(source) line \(number)"))
        start = end + 1
        number += 1
    }
    return lines
}

/// Throws at the first ill-formed sequence of `buffer`.
func validateUTF8(_ buffer: UnsafeBufferPointer<UInt8>, source: String) throws {
    let count = buffer.count
    var i = 0
    func hex(_ byte: UInt8) -> String {
        "0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
    }
    func fail(_ reason: String) -> TokenizerError {
        .invalidUTF8(source: source, offset: i, reason: reason)
    }
    while i < count {
        // ASCII runs, eight bytes at a time.
        while i + 8 <= count {
            let word = UnsafeRawPointer(buffer.baseAddress! + i).loadUnaligned(as: UInt64.self)
            if word & 0x8080_8080_8080_8080 != 0 { break }
            i += 8
        }
        let lead = buffer[i]
        if lead < 0x80 {
            i += 1
            continue
        }
        let length: Int
        var secondLow: UInt8 = 0x80
        var secondHigh: UInt8 = 0xBF
        switch lead {
        case 0x80...0xBF:
            throw fail("unexpected continuation byte \(hex(lead)) with no lead byte before it")
        case 0xC0, 0xC1:
            throw fail("overlong encoding: lead byte \(hex(lead)) encodes an ASCII character in two bytes")
        case 0xC2...0xDF:
            length = 2
        case 0xE0:
            length = 3; secondLow = 0xA0
        case 0xED:
            length = 3; secondHigh = 0x9F
        case 0xE1...0xEF:
            length = 3
        case 0xF0:
            length = 4; secondLow = 0x90
        case 0xF1...0xF3:
            length = 4
        case 0xF4:
            length = 4; secondHigh = 0x8F
        default:
            throw fail("byte \(hex(lead)) never occurs in UTF-8 (it would start a code point above U+10FFFF)")
        }
        for k in 1..<length {
            guard i + k < count else {
                throw fail("truncated sequence: lead byte \(hex(lead)) needs \(length) bytes but the input ends after \(k)")
            }
            let byte = buffer[i + k]
            let low: UInt8 = k == 1 ? secondLow : 0x80
            let high: UInt8 = k == 1 ? secondHigh : 0xBF
            if byte < low || byte > high {
                if k == 1 && byte >= 0x80 && byte <= 0xBF {
                    switch lead {
                    case 0xE0, 0xF0:
                        throw fail("overlong encoding: \(hex(lead)) \(hex(byte)) encodes a code point in more bytes than needed")
                    case 0xED:
                        throw fail("encoded UTF-16 surrogate: \(hex(lead)) \(hex(byte)) would be U+D800...U+DFFF")
                    default:
                        throw fail("code point above U+10FFFF: \(hex(lead)) \(hex(byte))")
                    }
                }
                throw fail("truncated sequence: lead byte \(hex(lead)) needs \(length) bytes but byte \(k + 1) is \(hex(byte)), not a continuation byte")
            }
        }
        i += length
    }
}
