import AttendTokenizers
import FuzzSupport

// A Hugging Face `tokenizer.json` (WordPiece): model, vocab, normalizer, pre-tokenizer, added
// tokens, post-processor; when it loads, it encodes a real SST-2 sentence and a few awkward strings.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizerJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let url = Scratch.write(Scratch.buffer(data, size), name: "tokenizer.json")
    do {
        let tokenizer = try BertTokenizer(tokenizerFile: url)
        for text in sampleTexts {
            _ = tokenizer.encode(text)
            _ = tokenizer.tokenize(text)
            _ = try? tokenizer.encode(text, maxLength: 8, overflow: .truncate)
        }
    } catch {
        _ = String(describing: error)
    }
    return 0
}

/// A real SST-2 dev sentence, specials written literally, accents, CJK, control characters.
let sampleTexts = [
    "it 's a charming and often affecting journey . ",
    "[CLS] [SEP][MASK]x[PAD] ##ing [UNK]",
    "Café naïve 東京 \u{0}\u{7}\t\r\n \u{200B}😀 unaffable",
    "",
]
