/// Which blocks of a head a method kept, one bit per block: block i is bit i % 64 of `words[i / 64]`
/// (1 kept, 0 pruned), and the bits past `count` are zero.
///
/// One bit, not one byte, per block because runs keep every head's record: at 512 tokens HDP's 2 × 2
/// blocks are 65,536 per head, 8 KB as bits where bytes took 64 KB — and a fresh 64 KB per head cost
/// HDP's attention about a tenth of its time in page faults (RESULTS.md).
public struct BlockMask: Sendable, Hashable {
    /// The bits, ⌈count / 64⌉ words.
    public private(set) var words: [UInt64]
    /// Number of blocks.
    public let count: Int

    /// No blocks: a method that records none.
    public init() { (words, count) = ([], 0) }

    /// count blocks, none kept (a pruned head).
    public init(pruned count: Int) {
        precondition(count >= 0, "BlockMask: negative block count \(count)")
        (words, self.count) = ([UInt64](repeating: 0, count: (count + 63) / 64), count)
    }

    /// Block i kept when flags[i] ≠ 0, one flag at a time (the reference of packed kernels).
    public init<C: Collection>(_ flags: C) where C.Element: BinaryInteger {
        self.init(pruned: flags.count)
        for (i, flag) in flags.enumerated() where flag != 0 { words[i / 64] |= 1 << UInt64(i % 64) }
    }

    /// From bits already packed; nil unless there are ⌈count / 64⌉ words and the bits past count are zero.
    public init?(words: [UInt64], count: Int) {
        guard count >= 0, words.count == (count + 63) / 64 else { return nil }
        if count % 64 != 0, words[words.count - 1] >> UInt64(count % 64) != 0 { return nil }
        (self.words, self.count) = (words, count)
    }

    public var isEmpty: Bool { count == 0 }

    /// Whether block i was kept.
    public subscript(i: Int) -> Bool {
        precondition(i >= 0 && i < count, "BlockMask: block \(i) outside 0..<\(count)")
        return words[i / 64] >> UInt64(i % 64) & 1 != 0
    }

    /// Number of kept blocks.
    public var keptCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
}

extension BlockMask: ExpressibleByArrayLiteral {
    /// [1, 0, 1]: blocks 0 and 2 of 3 kept.
    public init(arrayLiteral flags: UInt8...) { self.init(flags) }
}
