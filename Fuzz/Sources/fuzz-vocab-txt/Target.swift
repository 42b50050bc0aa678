import AttendTokenizers
import FuzzSupport

// A BERT `vocab.txt` (one token per line, id = line number), loaded as `BertTokenizer(vocabularyFile:)`
// would, then used on a real SST-2 sentence and awkward strings.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVocabTxt(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let url = Scratch.write(Scratch.buffer(data, size), name: "vocab.txt")
    do {
        let vocabulary = try Vocabulary(contentsOfVocabularyFile: url)
        for id in [0, 1, vocabulary.count - 1, vocabulary.count] { _ = vocabulary.token(forID: id) }
        let tokenizer = try BertTokenizer(vocabularyFile: url)
        for text in ["it 's a charming and often affecting journey . ", "[CLS]x[SEP] Café 東京 \u{0}😀", ""] {
            _ = tokenizer.encode(text)
            _ = tokenizer.tokenize(text)
        }
    } catch {
        _ = String(describing: error)
    }
    return 0
}
