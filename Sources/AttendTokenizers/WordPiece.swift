/// The WordPiece model, equal to Hugging Face tokenizers' `WordPiece`.
///
/// Each word is split greedily, longest match first: the longest prefix of the word that is in
/// the vocabulary, then the longest vocabulary entry `continuingSubwordPrefix + rest…`, and so on.
/// If some position has no match, or the word has more than `maxInputCharsPerWord` Unicode
/// scalars (Rust chars), the whole word becomes the unknown token.
public struct WordPiece: Sendable {
    /// The vocabulary the pieces come from.
    public let vocabulary: Vocabulary
    /// The token a word becomes when it cannot be split (`[UNK]`).
    public let unknownToken: String
    /// The id of ``unknownToken``.
    public let unknownID: Int
    /// The prefix of every piece that does not start a word (`##`).
    public let continuingSubwordPrefix: String
    /// Words longer than this many scalars become the unknown token (100).
    public let maxInputCharsPerWord: Int

    private let prefixBytes: [UInt8]

    /// - Throws: ``TokenizerError/missingSpecialToken(path:token:)`` (path `"<vocabulary>"`) when
    ///   `unknownToken` is not in the vocabulary.
    public init(vocabulary: Vocabulary, unknownToken: String = "[UNK]", continuingSubwordPrefix: String = "##",
                maxInputCharsPerWord: Int = 100) throws {
        guard let unknownID = vocabulary[unknownToken] else {
            throw TokenizerError.missingSpecialToken(path: "<vocabulary>", token: unknownToken)
        }
        self.vocabulary = vocabulary
        self.unknownToken = unknownToken
        self.unknownID = unknownID
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.prefixBytes = Array(continuingSubwordPrefix.utf8)
    }

    /// The piece ids of one word, taken as is (no normalization or splitting).
    public func tokenize(_ word: String) -> [Int] {
        let scalars = word.unicodeScalars.map(\.value)
        var ids: [Int] = []
        var scratch = WordPieceScratch()
        scalars.withUnsafeBufferPointer { tokenize(word: $0, into: &ids, scratch: &scratch) }
        return ids
    }

    /// Appends the piece ids of the non-empty word `word` (scalar values) to `ids`.
    func tokenize(word: UnsafeBufferPointer<UInt32>, into ids: inout [Int], scratch: inout WordPieceScratch) {
        let charCount = word.count
        if charCount > maxInputCharsPerWord {
            ids.append(unknownID)
            return
        }
        // Layout: [room for the prefix][UTF-8 of the word]. A piece starting at byte b > 0 is looked
        // up as bytes[b ..< p + end] after writing the prefix over bytes[b ..< b + p], which only
        // clobbers bytes of pieces already consumed.
        let p = prefixBytes.count
        scratch.bytes.removeAll(keepingCapacity: true)
        scratch.bounds.removeAll(keepingCapacity: true)
        scratch.bytes.append(contentsOf: prefixBytes)
        for v in word {
            scratch.bounds.append(Int32(scratch.bytes.count - p))
            if v < 0x80 {
                scratch.bytes.append(UInt8(v))
            } else if v < 0x800 {
                scratch.bytes.append(UInt8(0xC0 | v >> 6))
                scratch.bytes.append(UInt8(0x80 | v & 0x3F))
            } else if v < 0x10000 {
                scratch.bytes.append(UInt8(0xE0 | v >> 12))
                scratch.bytes.append(UInt8(0x80 | (v >> 6) & 0x3F))
                scratch.bytes.append(UInt8(0x80 | v & 0x3F))
            } else {
                scratch.bytes.append(UInt8(0xF0 | v >> 18))
                scratch.bytes.append(UInt8(0x80 | (v >> 12) & 0x3F))
                scratch.bytes.append(UInt8(0x80 | (v >> 6) & 0x3F))
                scratch.bytes.append(UInt8(0x80 | v & 0x3F))
            }
        }
        scratch.bounds.append(Int32(scratch.bytes.count - p))
        let firstPiece = ids.count
        let found: Bool = scratch.bytes.withUnsafeMutableBufferPointer { bytes in
            scratch.bounds.withUnsafeBufferPointer { bounds in
                var start = 0   // in scalars
                while start < charCount {
                    let startByte = Int(bounds[start])
                    if start > 0 {
                        for k in 0..<p { bytes[startByte + k] = prefixBytes[k] }
                    }
                    let keyStart = start > 0 ? startByte : p
                    var end = charCount
                    var match: Int? = nil
                    while end > start {
                        let key = UnsafeBufferPointer(rebasing: bytes[keyStart..<(p + Int(bounds[end]))])
                        if let id = vocabulary.id(forUTF8: key) {
                            match = id
                            break
                        }
                        end -= 1
                    }
                    guard let id = match else { return false }
                    ids.append(id)
                    start = end
                }
                return true
            }
        }
        if !found {
            ids.removeSubrange(firstPiece...)
            ids.append(unknownID)
        }
    }
}

/// Reusable scratch space for ``WordPiece``.
struct WordPieceScratch {
    var bytes: [UInt8] = []
    var bounds: [Int32] = []

    init() {
        bytes.reserveCapacity(128)
        bounds.reserveCapacity(64)
    }
}
