/// How a byte-level BPE tokenizer splits text into words before merging (Hugging Face's
/// `pre_tokenizer`; llama.cpp's `tokenizer.ggml.pre`). Each word is then merged on its own.
///
/// Implemented as hand-written scanners over Unicode scalars (no regex engine), with the
/// character classes of the pinned Hugging Face tokenizers (ByteLevelUnicodeTables.swift, probed
/// from its wheel): `\p{L}`, `\p{N}` and `\s` are Oniguruma's, "numeric" is Rust's `char::is_numeric`.
public enum BPEPreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2's regex (openai/gpt-2 `encoder.py`; HF `ByteLevel(use_regex: true)`; llama.cpp `gpt2`):
    ///
    ///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    ///
    /// Contractions are lowercase ASCII only; a single space joins the word after it; a run of
    /// whitespace before a word gives all but its last scalar as one word.
    case gpt2
    /// SmolLM2's sequence (its tokenizer.json: `Digits(individual_digits: true)` then
    /// `ByteLevel(add_prefix_space: false, use_regex: true)`; llama.cpp `smollm`: `\p{N}` then GPT-2's
    /// regex): every numeric scalar is a word of its own, and the stretches between them are split
    /// by ``gpt2``'s regex, each as if it were the whole text (so `(?!\S)` sees a stretch's end).
    case smollm

    /// Calls `body` with the byte range of each word of `text[range]`, in order; the ranges tile
    /// `range` exactly. `text` must be well-formed UTF-8 (it comes from a `String`).
    func forEachWord(in text: UnsafeBufferPointer<UInt8>, range: Range<Int>, _ body: (Range<Int>) -> Void) {
        switch self {
        case .gpt2:
            Self.gpt2Words(text, range, body)
        case .smollm:
            var start = range.lowerBound
            var i = start
            while i < range.upperBound {
                let (v, n) = ScalarClass.decode(text, i)
                if ScalarClass.isNumeric(v) {
                    if start < i { Self.gpt2Words(text, start..<i, body) }
                    body(i..<(i + n))
                    start = i + n
                }
                i += n
            }
            if start < range.upperBound { Self.gpt2Words(text, start..<range.upperBound, body) }
        }
    }

    /// GPT-2's regex on `text[range]`, alternative by alternative (first match wins, as in the regex).
    private static func gpt2Words(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ body: (Range<Int>) -> Void) {
        let end = range.upperBound
        var i = range.lowerBound
        while i < end {
            let v = ScalarClass.decode(text, i).value
            // 's 't 'm 'd, then 're 've 'll.
            if v == 0x27, i + 1 < end {
                let b1 = text[i + 1]
                if b1 == 0x73 || b1 == 0x74 || b1 == 0x6D || b1 == 0x64 {
                    body(i..<(i + 2)); i += 2; continue
                }
                if i + 2 < end {
                    let b2 = text[i + 2]
                    if (b1 == 0x72 && b2 == 0x65) || (b1 == 0x76 && b2 == 0x65) || (b1 == 0x6C && b2 == 0x6C) {
                        body(i..<(i + 3)); i += 3; continue
                    }
                }
            }
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class.
            var runStart = i
            var runClass = ScalarClass.of(v)
            if v == 0x20, i + 1 < end {
                let next = ScalarClass.of(ScalarClass.decode(text, i + 1).value)
                if next != .whitespace {
                    runStart = i + 1
                    runClass = next
                }
            }
            if runClass != .whitespace {
                var j = runStart
                while j < end {
                    let (w, m) = ScalarClass.decode(text, j)
                    guard ScalarClass.of(w) == runClass else { break }
                    j += m
                }
                body(i..<j); i = j; continue
            }
            // `\s+(?!\S)`: the whitespace run, less its last scalar when a non-space follows;
            // `\s+`: a single whitespace scalar before a non-space.
            var j = i
            var lastStart = i
            while j < end {
                let (w, m) = ScalarClass.decode(text, j)
                guard ScalarClass.of(w) == .whitespace else { break }
                lastStart = j
                j += m
            }
            let stop = (j < end && lastStart > i) ? lastStart : j
            body(i..<stop)
            i = stop
        }
    }
}

/// The scalar classes of GPT-2's regex, and UTF-8 decoding for the scanners.
enum ScalarClass: UInt8 {
    case other = 0, letter = 1, number = 2, whitespace = 3

    /// Bit 2 of a ``bmpTable`` entry: Rust `char::is_numeric`.
    private static let numericBit: UInt8 = 4

    /// One byte per BMP scalar: the class in bits 0–1, ``numericBit``.
    private static let bmpTable: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 0x10000)
        func mark(_ ranges: [UInt32], _ value: UInt8) {
            for k in stride(from: 0, to: ranges.count, by: 2) where ranges[k] < 0x10000 {
                for v in ranges[k]...min(ranges[k + 1], 0xFFFF) { table[Int(v)] |= value }
            }
        }
        mark(onigLetterRanges, ScalarClass.letter.rawValue)
        mark(onigNumberRanges, ScalarClass.number.rawValue)
        mark(onigWhitespaceRanges, ScalarClass.whitespace.rawValue)
        mark(rustNumericRanges, numericBit)
        return table
    }()

    @inline(__always)
    static func of(_ v: UInt32) -> ScalarClass {
        if v < 0x10000 { return ScalarClass(rawValue: bmpTable[Int(v)] & 3)! }
        if rangeTableContains(onigLetterRanges, v) { return .letter }
        if rangeTableContains(onigNumberRanges, v) { return .number }
        if rangeTableContains(onigWhitespaceRanges, v) { return .whitespace }
        return .other
    }

    /// Rust's `char::is_numeric` (general categories Nd, Nl, No of its Unicode version).
    @inline(__always)
    static func isNumeric(_ v: UInt32) -> Bool {
        v < 0x10000 ? bmpTable[Int(v)] & numericBit != 0 : rangeTableContains(rustNumericRanges, v)
    }

    /// The scalar starting at byte `i` of well-formed UTF-8, and its length in bytes.
    @inline(__always)
    static func decode(_ text: UnsafeBufferPointer<UInt8>, _ i: Int) -> (value: UInt32, length: Int) {
        let b0 = UInt32(text[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(text[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | UInt32(text[i + 1] & 0x3F) << 6 | UInt32(text[i + 2] & 0x3F), 3)
        }
        return ((b0 & 0x07) << 18 | UInt32(text[i + 1] & 0x3F) << 12 | UInt32(text[i + 2] & 0x3F) << 6
                    | UInt32(text[i + 3] & 0x3F), 4)
    }
}
