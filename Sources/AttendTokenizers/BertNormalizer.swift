/// The BERT text normalizer, equal to Hugging Face tokenizers' `BertNormalizer`.
///
/// Applied in this order, each step to the output of the previous one, scalar by scalar (never
/// by grapheme cluster):
/// 1. `cleanText`: deletes U+0000, U+FFFD and control/format/private-use characters (the
///    `is_other` class of the Rust crate HF uses, which predates Unicode 10), except TAB, LF and
///    CR, which become a space like every other whitespace character (Rust `char::is_whitespace`).
/// 2. `handleChineseChars`: surrounds every CJK Unified Ideograph (HF's ranges) with spaces.
/// 3. `stripAccents`: canonical decomposition (NFD, with canonical reordering), then deletes the
///    nonspacing marks (Mn, again of HF's old table).
/// 4. `lowercase`: Rust's `char::to_lowercase` per scalar (no context: Σ always becomes σ; İ
///    becomes "i\u{307}" when accents are kept).
public struct BertNormalizer: Sendable, Equatable {
    /// Delete control characters and turn whitespace into spaces.
    public var cleanText: Bool
    /// Put spaces around CJK ideographs.
    public var handleChineseChars: Bool
    /// Decompose (NFD) and drop nonspacing marks.
    public var stripAccents: Bool
    /// Lowercase every scalar.
    public var lowercase: Bool

    /// - Parameter stripAccents: `nil` (as in a tokenizer.json `"strip_accents": null`) means
    ///   "the same as `lowercase`", Hugging Face's rule.
    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents ?? lowercase
        self.lowercase = lowercase
    }

    /// The normalized text.
    public func normalize(_ text: String) -> String {
        var buffer = NormalizationBuffer()
        var text = text
        text.withUTF8 { normalize(utf8: $0, into: &buffer) }
        var result = ""
        result.unicodeScalars.reserveCapacity(buffer.output.count)
        for v in buffer.output { result.unicodeScalars.append(Unicode.Scalar(v)!) }
        return result
    }

    /// Whether Hugging Face's `handle_chinese_chars` pads this scalar with spaces.
    public static func isChineseChar(_ scalar: Unicode.Scalar) -> Bool {
        CharacterClasses.isChineseChar(scalar.value)
    }

    /// Normalizes the well-formed UTF-8 `bytes`, appending scalar values to `buffer.output`.
    func normalize(utf8 bytes: UnsafeBufferPointer<UInt8>, into buffer: inout NormalizationBuffer) {
        let count = bytes.count
        var i = 0
        while i < count {
            var v = UInt32(bytes[i])
            if v < 0x80 {
                i &+= 1
                if cleanText {
                    let flags = ASCIIClass.table[Int(v)]
                    if flags & ASCIIClass.removed != 0 { continue }
                    if flags & ASCIIClass.normalizerSpace != 0 { v = 0x20 }
                }
                if !stripAccents && !lowercase {
                    buffer.output.append(v)
                } else {
                    if !buffer.pending.isEmpty { flushPending(&buffer) }
                    buffer.output.append(lowercase && v &- 0x41 < 26 ? v + 0x20 : v)
                }
                continue
            }
            // Multi-byte sequence (the input is well-formed).
            if v < 0xE0 {
                v = (v & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
                i &+= 2
            } else if v < 0xF0 {
                v = (v & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
                i &+= 3
            } else {
                v = (v & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
                    | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
                i &+= 4
            }
            if cleanText {
                if CharacterClasses.isRemovedByCleanText(v) { continue }
                if CharacterClasses.isWhitespace(v) { v = 0x20 }
            }
            if handleChineseChars && CharacterClasses.isChineseChar(v) {
                emit(0x20, &buffer)
                emit(v, &buffer)
                emit(0x20, &buffer)
            } else {
                emit(v, &buffer)
            }
        }
        if !buffer.pending.isEmpty { flushPending(&buffer) }
    }

    /// Steps 3 and 4 for one scalar produced by steps 1 and 2.
    @inline(__always)
    private func emit(_ v: UInt32, _ buffer: inout NormalizationBuffer) {
        guard stripAccents else {
            if lowercase {
                CharacterClasses.appendLowercase(of: v, to: &buffer.output)
            } else {
                buffer.output.append(v)
            }
            return
        }
        if v < 0xC0 {
            // Below U+00C0 nothing decomposes and everything is a starter.
            if !buffer.pending.isEmpty { flushPending(&buffer) }
            if lowercase {
                CharacterClasses.appendLowercase(of: v, to: &buffer.output)
            } else {
                buffer.output.append(v)
            }
            return
        }
        buffer.decomposition.removeAll(keepingCapacity: true)
        CharacterClasses.appendDecomposition(of: v, to: &buffer.decomposition)
        for d in buffer.decomposition {
            if CharacterClasses.combiningClass(d) == 0 && !buffer.pending.isEmpty {
                flushPending(&buffer)
            }
            buffer.pending.append(d)
        }
    }

    /// Canonically reorders the pending run (a starter, if any, and the combining marks after
    /// it), drops nonspacing marks, lowercases, and appends the result to the output.
    private func flushPending(_ buffer: inout NormalizationBuffer) {
        let count = buffer.pending.count
        if count > 1 {
            // Stable insertion sort of the non-starters (combining class > 0) by combining class;
            // only the first element can be a starter.
            let first = CharacterClasses.combiningClass(buffer.pending[0]) == 0 ? 1 : 0
            if count - first > 1 {
                for j in (first + 1)..<count {
                    let x = buffer.pending[j]
                    let cx = CharacterClasses.combiningClass(x)
                    var k = j
                    while k > first && CharacterClasses.combiningClass(buffer.pending[k - 1]) > cx {
                        buffer.pending[k] = buffer.pending[k - 1]
                        k -= 1
                    }
                    buffer.pending[k] = x
                }
            }
        }
        for j in 0..<count {
            let d = buffer.pending[j]
            if CharacterClasses.isNonspacingMark(d) { continue }
            if lowercase {
                CharacterClasses.appendLowercase(of: d, to: &buffer.output)
            } else {
                buffer.output.append(d)
            }
        }
        buffer.pending.removeAll(keepingCapacity: true)
    }
}

/// Reusable scratch space for ``BertNormalizer``: the output scalars plus internal buffers.
struct NormalizationBuffer {
    /// The normalized scalar values.
    var output: [UInt32] = []
    /// The current NFD combining run (strip_accents only).
    var pending: [UInt32] = []
    /// The decomposition of the scalar being processed.
    var decomposition: [UInt32] = []

    init() {
        output.reserveCapacity(256)
        pending.reserveCapacity(8)
        decomposition.reserveCapacity(4)
    }
}
