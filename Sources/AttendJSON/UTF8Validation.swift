/// Where and why a byte sequence is not well-formed UTF-8.
public struct UTF8ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset where the first ill-formed sequence starts.
    public var offset: Int
    /// Why it is ill-formed, e.g. "overlong encoding: lead byte 0xC0 encodes an ASCII character
    /// in two bytes".
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "invalid UTF-8 at byte \(offset): \(reason)" }
}

/// Checks that `bytes` is well-formed UTF-8 (the Unicode Standard, table 3-7).
///
/// Rejected are lone continuation bytes, overlong encodings (lead bytes C0/C1, E0 80–9F,
/// F0 80–8F), encoded UTF-16 surrogates (ED A0–BF), code points above U+10FFFF (F4 90+, F5–FF)
/// and truncated multi-byte sequences.
/// - Throws: ``UTF8ValidationError`` for the first ill-formed sequence.
public func validateUTF8(_ bytes: UnsafeRawBufferPointer) throws(UTF8ValidationError) {
    let count = bytes.count
    var i = 0
    func hex(_ byte: UInt8) -> String {
        "0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
    }
    func fail(_ reason: String) -> UTF8ValidationError {
        UTF8ValidationError(offset: i, reason: reason)
    }
    while i < count {
        // ASCII runs, eight bytes at a time.
        while i + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if word & 0x8080_8080_8080_8080 != 0 { break }
            i += 8
        }
        guard i < count else { return }
        let lead = bytes[i]
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
            let byte = bytes[i + k]
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
