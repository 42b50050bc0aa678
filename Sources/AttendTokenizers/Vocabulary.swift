import Foundation

/// A WordPiece vocabulary: token strings and their ids.
///
/// Tokens are compared by their exact UTF-8 bytes, as the Rust tokenizer does, not by Swift
/// `String` equality (which would treat canonically equivalent spellings such as "é" and
/// "e\u{301}" as one token). Lookups hash raw bytes in an open-addressing table and allocate nothing.
public struct Vocabulary: Sendable {
    /// All token bytes, back to back, in entry order.
    private let arena: [UInt8]
    /// Entry `e` is `arena[starts[e]..<starts[e + 1]]`.
    private let starts: [Int32]
    /// The id of entry `e`.
    private let ids: [Int32]
    /// Open-addressing hash table of entry indices (-1 = empty); the count is a power of two.
    private let slots: [Int32]
    /// Entry indices in increasing id order (ids may be sparse: a table indexed by id could be
    /// as large as the largest id a file claims).
    private let entriesByID: [Int32]

    /// The number of tokens.
    public var count: Int { ids.count }

    /// Builds a vocabulary in which `tokens[i]` has id `i`.
    /// - Throws: ``TokenizerError/duplicateToken(path:token:detail:)`` (path `"<tokens>"`) when a
    ///   token appears twice.
    public init(tokens: [String]) throws {
        try self.init(entries: tokens.enumerated().map { ($0.element, $0.offset) }, path: "<tokens>", position: { "index \($0)" })
    }

    /// Reads a `vocab.txt`: one token per line, id = 0-based line index.
    ///
    /// The file must be UTF-8. Lines end at LF; one CR before the LF is dropped (CRLF files); a
    /// final LF does not add an empty token; other whitespace is part of the token.
    /// - Throws: ``TokenizerError`` for a missing or unreadable file, invalid UTF-8 (naming the line)
    ///   or a token that appears on two lines.
    public init(contentsOfVocabularyFile url: URL) throws {
        let data = try readFile(url, expected: "a WordPiece vocab.txt, one token per line")
        var lines = try decodeUTF8Lines(data, source: url.path)
        for i in lines.indices where lines[i].utf8.last == 0x0D {
            lines[i].unicodeScalars.removeLast()
        }
        try self.init(entries: lines.enumerated().map { ($0.element, $0.offset) }, path: url.path,
                      position: { "line \($0 + 1)" })
    }

    /// Builds a vocabulary from (token, id) pairs.
    /// - Parameters:
    ///   - path: names the source in errors.
    ///   - position: describes where the entry with a given id came from, for duplicate errors.
    init(entries: [(String, Int)], path: String, position: (Int) -> String) throws {
        var arena: [UInt8] = []
        var starts: [Int32] = [0]
        var ids: [Int32] = []
        arena.reserveCapacity(entries.count * 8)
        starts.reserveCapacity(entries.count + 1)
        ids.reserveCapacity(entries.count)
        for (token, id) in entries {
            guard id >= 0, id <= Int(Int32.max) else {
                throw TokenizerError.invalidTokenizerFile(path: path, reason: "token \(TokenizerError.quoted(token)) has id \(id); ids must be between 0 and \(Int32.max)")
            }
            arena.append(contentsOf: token.utf8)
            starts.append(Int32(arena.count))
            ids.append(Int32(id))
        }
        var capacity = 16
        while capacity < entries.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        try arena.withUnsafeBufferPointer { arenaBuffer in
            for e in 0..<ids.count {
                let key = UnsafeBufferPointer(rebasing: arenaBuffer[Int(starts[e])..<Int(starts[e + 1])])
                var s = Int(truncatingIfNeeded: Vocabulary.hash(key)) & (capacity - 1)
                while slots[s] >= 0 {
                    let other = Int(slots[s])
                    let otherKey = UnsafeBufferPointer(rebasing: arenaBuffer[Int(starts[other])..<Int(starts[other + 1])])
                    if key.elementsEqual(otherKey) {
                        throw TokenizerError.duplicateToken(path: path, token: String(decoding: key, as: UTF8.self),
                                                            detail: "\(position(Int(ids[other]))) and \(position(Int(ids[e])))")
                    }
                    s = (s + 1) & (capacity - 1)
                }
                slots[s] = Int32(e)
            }
        }
        // Sorted by (id, entry): an id held twice shows as neighbours, the earlier entry first.
        let entriesByID = (0..<Int32(ids.count)).sorted { (ids[Int($0)], $0) < (ids[Int($1)], $1) }
        for (first, e) in zip(entriesByID, entriesByID.dropFirst()) where ids[Int(first)] == ids[Int(e)] {
            func token(_ entry: Int32) -> String { String(decoding: arena[Int(starts[Int(entry)])..<Int(starts[Int(entry) + 1])], as: UTF8.self) }
            throw TokenizerError.duplicateToken(path: path, token: token(e),
                                                detail: "it has id \(ids[Int(e)]), which \(TokenizerError.quoted(token(first))) already has")
        }
        self.arena = arena
        self.starts = starts
        self.ids = ids
        self.slots = slots
        self.entriesByID = entriesByID
    }

    /// The id of `token`, if it is in the vocabulary.
    public subscript(token: String) -> Int? {
        var token = token
        return token.withUTF8 { id(forUTF8: $0) }
    }

    /// The token with id `id`, if any.
    public func token(forID id: Int) -> String? {
        // Binary search for the first entry whose id is ≥ `id`.
        var low = 0, high = entriesByID.count
        while low < high {
            let middle = (low + high) / 2
            if Int(ids[Int(entriesByID[middle])]) < id { low = middle + 1 } else { high = middle }
        }
        guard low < entriesByID.count, Int(ids[Int(entriesByID[low])]) == id else { return nil }
        let e = Int(entriesByID[low])
        return String(decoding: arena[Int(starts[e])..<Int(starts[e + 1])], as: UTF8.self)
    }

    /// The id of the token whose UTF-8 bytes are `key`, if any.
    @inline(__always)
    func id(forUTF8 key: UnsafeBufferPointer<UInt8>) -> Int? {
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: Vocabulary.hash(key)) & mask
        return arena.withUnsafeBufferPointer { arenaBuffer -> Int? in
            slots.withUnsafeBufferPointer { slotBuffer -> Int? in
                while true {
                    let e = Int(slotBuffer[s])
                    if e < 0 { return nil }
                    let start = Int(starts[e])
                    let length = Int(starts[e + 1]) - start
                    if length == key.count {
                        var equal = true
                        var k = 0
                        while k < length {
                            if arenaBuffer[start + k] != key[k] { equal = false; break }
                            k += 1
                        }
                        if equal { return Int(ids[e]) }
                    }
                    s = (s + 1) & mask
                }
            }
        }
    }

    /// 64-bit FNV-1a, folded.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3
        }
        return h ^ (h >> 29)
    }
}

/// Reads a whole file, mapping failures to ``TokenizerError``.
func readFile(_ url: URL, expected: String) throws -> [UInt8] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw TokenizerError.fileNotFound(path: url.path, expected: expected)
    }
    if isDirectory.boolValue {
        throw TokenizerError.unreadableFile(path: url.path, reason: "it is a directory, expected \(expected)")
    }
    do {
        return [UInt8](try Data(contentsOf: url))
    } catch {
        throw TokenizerError.unreadableFile(path: url.path, reason: error.localizedDescription)
    }
}
