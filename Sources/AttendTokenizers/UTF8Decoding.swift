import AttendJSON

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

/// Throws ``TokenizerError/invalidUTF8(source:offset:reason:)`` at the first ill-formed sequence
/// of `buffer` (the check is AttendJSON's, shared with the JSON parser).
func validateUTF8(_ buffer: UnsafeBufferPointer<UInt8>, source: String) throws {
    do throws(UTF8ValidationError) {
        try AttendJSON.validateUTF8(UnsafeRawBufferPointer(buffer))
    } catch {
        throw TokenizerError.invalidUTF8(source: source, offset: error.offset, reason: error.reason)
    }
}
