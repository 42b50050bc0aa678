/// The BERT pre-tokenizer, equal to Hugging Face tokenizers' `BertPreTokenizer`.
///
/// Splits normalized text into words: whitespace (Rust `char::is_whitespace`) separates words and
/// is removed; every punctuation scalar (ASCII 33–47, 58–64, 91–96, 123–126, plus the Unicode P*
/// categories as of HF's `unicode_categories` crate) becomes a word of its own. Empty words never
/// occur. Works on Unicode scalars.
public struct BertPreTokenizer: Sendable, Equatable {
    public init() {}

    /// The words of `text` (normally the output of ``BertNormalizer/normalize(_:)``).
    public func split(_ text: String) -> [String] {
        let scalars = text.unicodeScalars.map(\.value)
        var words: [String] = []
        scalars.withUnsafeBufferPointer { buffer in
            forEachWord(in: buffer) { range in
                var word = ""
                for v in buffer[range] { word.unicodeScalars.append(Unicode.Scalar(v)!) }
                words.append(word)
            }
        }
        return words
    }

    /// Whether the pre-tokenizer splits on (and removes) this scalar.
    public static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        CharacterClasses.isWhitespace(scalar.value)
    }

    /// Whether the pre-tokenizer isolates this scalar as a word of its own.
    public static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        CharacterClasses.isPunctuation(scalar.value)
    }

    /// Calls `body` with the index range of every word of `scalars`, in order.
    @inline(__always)
    func forEachWord(in scalars: UnsafeBufferPointer<UInt32>, _ body: (Range<Int>) -> Void) {
        var start = -1
        for i in 0..<scalars.count {
            let v = scalars[i]
            if v == 0x20 || CharacterClasses.isWhitespace(v) {
                if start >= 0 { body(start..<i); start = -1 }
            } else if CharacterClasses.isPunctuation(v) {
                if start >= 0 { body(start..<i); start = -1 }
                body(i..<(i + 1))
            } else if start < 0 {
                start = i
            }
        }
        if start >= 0 { body(start..<scalars.count) }
    }
}
