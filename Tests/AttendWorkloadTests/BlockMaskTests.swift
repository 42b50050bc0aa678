import AttendWorkload
import Testing

@Suite("Block mask")
struct BlockMaskTests {
    @Test("bits read back as the flags they were packed from, on awkward counts", arguments: [0, 1, 3, 63, 64, 65, 97, 1025])
    func flags(count: Int) {
        let flags = (0..<count).map { UInt8($0 * 7 % 3 == 0 ? 1 : 0) }
        let mask = BlockMask(flags)
        #expect(mask.count == count && mask.words.count == (count + 63) / 64 && mask.isEmpty == (count == 0))
        #expect((0..<count).map { mask[$0] } == flags.map { $0 != 0 })
        #expect(mask.keptCount == flags.filter { $0 != 0 }.count)
        #expect(BlockMask(words: mask.words, count: count) == mask)
        #expect(BlockMask(pruned: count) == BlockMask([UInt8](repeating: 0, count: count)))
    }

    @Test("words of the wrong number or with a bit past the last block are refused")
    func refused() {
        #expect(BlockMask(words: [], count: 1) == nil)
        #expect(BlockMask(words: [0, 0], count: 64) == nil)
        #expect(BlockMask(words: [1 << 5], count: 5) == nil)
        #expect(BlockMask(words: [1 << 4], count: 5) == [0, 0, 0, 0, 1])
        #expect(BlockMask(words: [.max], count: 64)?.keptCount == 64)
    }
}
