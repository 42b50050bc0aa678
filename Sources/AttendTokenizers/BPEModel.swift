import Foundation

/// Byte-level BPE merging of one word (Hugging Face `models::bpe`, GPT-2's `bpe()`).
///
/// A word starts as one symbol per byte (the token of that byte's byte-level scalar). Then, while
/// some adjacent pair of symbols is a merge, the pair of lowest rank — leftmost among equal ranks
/// — becomes one symbol, the token `left + right`. Merges are looked up as pairs of ids, so the
/// loop never builds strings; a min-heap of (rank, position) finds the next merge in O(log n).
/// Merged words of up to ``cacheableLength`` bytes are remembered (shared by all threads).
struct BPEModel: Sendable {
    /// `byteIDs[b]`: the id of the one-scalar token for byte `b`, or -1 when the vocabulary has
    /// none (the byte is then dropped, as Hugging Face's BPE does without an unknown token).
    let byteIDs: [Int32]
    /// `(left << 32 | right)` → `(rank << 32 | merged id)`.
    let merges: [UInt64: UInt64]
    private let cache = WordCache()

    /// Words longer than this (bytes) are merged every time (Hugging Face's `MAX_LENGTH`).
    static let cacheableLength = 256

    init(byteIDs: [Int32], merges: [UInt64: UInt64]) {
        self.byteIDs = byteIDs
        self.merges = merges
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Appends the ids of the word `text[range]` to `out`.
    func encodeWord(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into out: inout [Int]) {
        if range.count == 1 {
            let id = byteIDs[Int(text[range.lowerBound])]
            if id >= 0 { out.append(Int(id)) }
            return
        }
        let cacheable = range.count <= Self.cacheableLength
        let word = cacheable ? [UInt8](UnsafeBufferPointer(rebasing: text[range])) : []
        if cacheable, let ids = cache[word] {
            for id in ids { out.append(Int(id)) }
            return
        }
        let ids = merge(UnsafeBufferPointer(rebasing: text[range]))
        for id in ids { out.append(Int(id)) }
        if cacheable { cache[word] = ids }
    }

    /// The merged symbols of `bytes`.
    func merge(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int32] {
        // symbols: ids [n] (-1 once merged into its left neighbour), next/prev links [n].
        var ids = bytes.compactMap { b in byteIDs[Int(b)] >= 0 ? byteIDs[Int(b)] : nil }
        let n = ids.count
        guard n > 1 else { return ids }
        var next = (0..<n).map { Int32($0 + 1) }  // n = none
        var prev = (0..<n).map { Int32($0 - 1) }  // -1 = none
        var heap = MinHeap()
        for p in 0..<(n - 1) {
            if let m = merges[Self.key(ids[p], ids[p + 1])] { heap.push(m & 0xFFFF_FFFF_0000_0000 | UInt64(p)) }
        }
        while let top = heap.pop() {
            let rank = top >> 32
            let p = Int(top & 0xFFFF_FFFF)
            let q = Int(next[p])
            // Stale entry: p was merged away, or the pair at p is no longer this merge.
            guard ids[p] >= 0, q < n, let m = merges[Self.key(ids[p], ids[q])], m >> 32 == rank else { continue }
            ids[p] = Int32(truncatingIfNeeded: m)
            ids[q] = -1
            let r = Int(next[q])
            next[p] = Int32(r)
            if r < n { prev[r] = Int32(p) }
            let l = Int(prev[p])
            if l >= 0, let ml = merges[Self.key(ids[l], ids[p])] { heap.push(ml & 0xFFFF_FFFF_0000_0000 | UInt64(l)) }
            if r < n, let mr = merges[Self.key(ids[p], ids[r])] { heap.push(mr & 0xFFFF_FFFF_0000_0000 | UInt64(p)) }
        }
        var out: [Int32] = []
        var p = 0
        while p < n {
            out.append(ids[p])
            p = Int(next[p])
        }
        return out
    }
}

/// A binary min-heap of `rank << 32 | position` keys: lowest rank first, leftmost among equals.
private struct MinHeap {
    private var keys: [UInt64] = []

    mutating func push(_ key: UInt64) {
        keys.append(key)
        var i = keys.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard keys[parent] > keys[i] else { break }
            keys.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let last = keys.popLast() else { return nil }
        guard !keys.isEmpty else { return last }
        let top = keys[0]
        keys[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var smallest = i
            if l < keys.count, keys[l] < keys[smallest] { smallest = l }
            if r < keys.count, keys[r] < keys[smallest] { smallest = r }
            guard smallest != i else { break }
            keys.swapAt(smallest, i)
            i = smallest
        }
        return top
    }
}

/// Merged words by their bytes, bounded, behind a lock (a tokenizer is shared across threads).
private final class WordCache: @unchecked Sendable {
    private var entries: [[UInt8]: [Int32]] = [:]
    private let lock = NSLock()
    /// At most this many words are kept; later words are merged without being remembered.
    private static let capacity = 1 << 17

    subscript(word: [UInt8]) -> [Int32]? {
        get {
            lock.lock()
            defer { lock.unlock() }
            return entries[word]
        }
        set {
            lock.lock()
            defer { lock.unlock() }
            if entries.count < Self.capacity { entries[word] = newValue }
        }
    }
}
