import AttendTokenizers
import FuzzSupport

// WordPiece encoding of arbitrary bytes with the real MiniLM SST-2 tokenizer (normalizer, CJK,
// accents, added tokens, `##` pieces, the 100-character word limit, truncation). Invariants: the
// ids are in the vocabulary, wrapped in [CLS] … [SEP], and truncation keeps a prefix.
let tokenizer = try! BertTokenizer(directory: Scratch.repositoryFile("models/minilm-l6-sst2"))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWordPieceEncode(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: Scratch.buffer(data, size), as: UTF8.self)
    let ids = tokenizer.encode(text)
    precondition(ids.first == tokenizer.clsID && ids.last == tokenizer.sepID, "encode must wrap the pieces in [CLS] … [SEP]")
    precondition(ids.allSatisfy { (0..<tokenizer.vocabulary.count).contains($0) }, "encode produced an id outside the vocabulary")
    let truncated = try! tokenizer.encode(text, maxLength: 16, overflow: .truncate)
    precondition(truncated.count == min(ids.count, 16), "truncation to 16 gave \(truncated.count) ids")
    precondition(Array(truncated.dropLast()) == Array(ids.prefix(truncated.count - 1)), "truncation must keep a prefix")
    _ = tokenizer.tokenize(text)
    return 0
}
