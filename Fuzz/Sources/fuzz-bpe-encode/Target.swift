import AttendTokenizers
import FuzzSupport

// Byte-level BPE encoding of arbitrary bytes with the real GPT-2 files, under both pre-tokenizers
// (GPT-2's and SmolLM2's). Invariants: well-formed UTF-8 round-trips exactly through encode and
// decode, ids are in the vocabulary; malformed UTF-8 is a typed error.
let tokenizers = BPEPreTokenizer.allCases.map {
    try! ByteLevelBPETokenizer(vocabJSON: Scratch.repositoryFile("data/gpt2_bpe/vocab.json"),
                               merges: Scratch.repositoryFile("data/gpt2_bpe/merges.txt"), preTokenizer: $0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBPEEncode(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(Scratch.buffer(data, size))
    for tokenizer in tokenizers {
        let ids: [Int]
        do { ids = try tokenizer.encode(utf8: bytes, source: "fuzz input") } catch {
            _ = String(describing: error)
            continue
        }
        precondition(ids.allSatisfy { (0..<tokenizer.vocabularySize).contains($0) }, "encode produced an id outside the vocabulary")
        let back = try! tokenizer.decode(ids)
        precondition(back == bytes, "decode(encode(x)) != x for \(bytes) (\(tokenizer.preTokenizer))")
    }
    return 0
}
