/// GPT-2's reversible byte ↔ Unicode alphabet (`bytes_to_unicode` of openai/gpt-2 `encoder.py`,
/// Hugging Face's ByteLevel pre-tokenizer and decoder).
///
/// Every byte b maps to one Unicode scalar: the 188 "printable" bytes 0x21–0x7E, 0xA1–0xAC and
/// 0xAE–0xFF map to themselves; the other 68 (0x00–0x20, 0x7F–0xA0, 0xAD), in increasing order,
/// to U+0100, U+0101, … U+0143. So the space 0x20 is `Ġ` (U+0120) and LF 0x0A is `Ċ` (U+010A).
/// Byte-level BPE vocabularies are written in this alphabet, one scalar per byte.
enum ByteLevel {
    /// `scalarOfByte[b]`: the scalar standing for byte `b`.
    static let scalarOfByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 0x100
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// `byteOfScalar[v]`: the byte scalar `v` stands for, or -1; covers U+0000–U+0143.
    static let byteOfScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for b in 0..<256 { table[Int(scalarOfByte[b])] = Int16(b) }
        return table
    }()

    /// The byte-level string of `bytes` (one scalar per byte).
    static func string(of bytes: some Sequence<UInt8>) -> String {
        var out = String.UnicodeScalarView()
        for b in bytes { out.append(Unicode.Scalar(scalarOfByte[Int(b)])!) }
        return String(out)
    }

    /// The bytes a byte-level token stands for; nil when some scalar is outside the alphabet
    /// (an added token such as `<|im_start|>` written in plain text is decoded as its UTF-8).
    static func bytes(of token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard scalar.value < 0x144, case let b = byteOfScalar[Int(scalar.value)], b >= 0 else { return nil }
            out.append(UInt8(b))
        }
        return out
    }
}
