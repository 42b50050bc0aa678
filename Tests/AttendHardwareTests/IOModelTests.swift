import AttendHardware
import Testing

@Suite("FlashAttention IO model: exact forms")
struct IOModelTests {
    @Test("standard attention: 4Nd + 4N² (Θ(Nd + N²)); tiled: N(d + 2) + 2Nd + ⌈N / B_c⌉ N (3d + 4) with B_c = ⌈M / 4d⌉")
    func closedForms() {
        for (n, d, m) in [(1, 1, 4), (97, 64, 4096), (128, 64, 49152), (1025, 111, 100_000), (512, 3, 12)] {
            #expect(IOModel.standard(queries: n, keys: n, headDim: d) == 4 * n * d + 4 * n * n)
            let bc = (m + 4 * d - 1) / (4 * d)
            #expect(IOModel.blockSizes(onChipWords: m, headDim: d) == (min(bc, d), bc))
            let tc = (n + bc - 1) / bc
            #expect(IOModel.tiled(queries: n, keys: n, headDim: d, onChipWords: m) == n * (d + 2) + 2 * n * d + tc * n * (3 * d + 4))
            // A full mask is the tiled count; an empty one leaves only initialising O, ℓ, m and loading K, V.
            let full = IOModel.blockSparse(queries: n, keys: n, headDim: d, onChipWords: m) { _, _ in true }
            #expect(full.accesses == IOModel.tiled(queries: n, keys: n, headDim: d, onChipWords: m) && full.nonzeroFraction == 1)
            let none = IOModel.blockSparse(queries: n, keys: n, headDim: d, onChipWords: m) { _, _ in false }
            #expect(none.accesses == n * (d + 2) + 2 * n * d && none.kvRowsRead == 0)
        }
    }

    @Test("block-sparse: N(d + 2) + 2Nd + s · T_r T_c · B_r (3d + 4) on a block-diagonal mask; tiled grows as N²d²/M")
    func blockSparse() {
        let (n, d, m) = (256, 16, 1024)           // B_c = 16, B_r = 16: 16 × 16 blocks
        let (br, bc) = IOModel.blockSizes(onChipWords: m, headDim: d)
        #expect(br == 16 && bc == 16)
        let diagonal = IOModel.blockSparse(queries: n, keys: n, headDim: d, onChipWords: m) { q, k in q / 16 == k / 16 }
        #expect(diagonal.nonzeroFraction == 1.0 / 16)
        #expect(diagonal.accesses == n * (d + 2) + 2 * n * d + 16 * br * (3 * d + 4))
        #expect(diagonal.kvRowsRead == 16 * bc)
        // Doubling M halves T_c, so the tiled count's N² term halves.
        let t1 = IOModel.tiled(queries: n, keys: n, headDim: d, onChipWords: m) - n * (d + 2) - 2 * n * d
        let t2 = IOModel.tiled(queries: n, keys: n, headDim: d, onChipWords: 2 * m) - n * (d + 2) - 2 * n * d
        #expect(t1 == 2 * t2)
    }
}
