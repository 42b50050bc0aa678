import AttendTokenizers
import FuzzSupport

// GPT-2's tokenizer files: the input is `vocab.json`, a NUL byte, then `merges.txt`. When they
// load, a real sentence and awkward strings are encoded and decoded back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBPEFiles(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let (vocabBytes, mergeBytes) = Scratch.split(Scratch.buffer(data, size))
    let vocab = Scratch.write(vocabBytes, name: "vocab.json")
    let merges = Scratch.write(mergeBytes, name: "merges.txt")
    do {
        for pre in BPEPreTokenizer.allCases {
            let tokenizer = try ByteLevelBPETokenizer(vocabJSON: vocab, merges: merges, preTokenizer: pre)
            for text in ["The quick brown fox's 123 jumps.\n", "<|endoftext|> Café 東京 \u{0}😀", ""] {
                let ids = tokenizer.encode(text)
                _ = try? tokenizer.decode(ids)
                _ = try? tokenizer.decodeText(ids + [-1, tokenizer.vocabularySize])
            }
        }
    } catch {
        _ = String(describing: error)
    }
    return 0
}
