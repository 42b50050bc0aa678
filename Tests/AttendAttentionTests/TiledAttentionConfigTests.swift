import AttendAttention
import AttendKernels
import Testing

@Suite("Tiled attention under every tile candidate of attend tune")
struct TiledAttentionConfigTests {
    @Test("each query × key tile equals the Float64 oracle (error ≤ 2 × naive + 1e-6); query tiles change no bit",
          arguments: [(1, 1, 1), (3, 97, 3), (97, 1025, 64), (1025, 97, 59), (300, 300, 64)])
    func tiles(shape: (Int, Int, Int)) {
        let (nq, nk, d) = shape
        let masks: [(String, AttentionMask)] = [("none", .none), ("causal", AttentionMask(causal: true, causalOffset: max(0, nk - nq))),
                                                ("window 5/5", AttentionMask(window: Window(left: 5, right: 5)))]
        let queryTiles = KernelConfig.candidates.first { $0.key == "attention_query_tile" }!.values
        let keyTiles = KernelConfig.candidates.first { $0.key == "attention_key_tile" }!.values
        for (name, mask) in masks {
            let inputs = TestInputs(queries: nq, keys: nk, heads: 3, d: d, mask: mask, seed: UInt64(nq * 7 + nk))
            let want = oracle(inputs)
            let naiveError = maxError(inputs.run { DenseAttention.run([$0]) }, want.out)
            for keyTile in keyTiles {
                var first: [Float]?
                for queryTile in queryTiles {
                    let config = KernelConfig.defaults.with("attention_query_tile", queryTile).with("attention_key_tile", keyTile)
                    let out = inputs.run { _ = TiledAttention.run([$0], config: config) }
                    let error = maxError(out, want.out)
                    #expect(error <= 2 * naiveError + 1e-6, "\(nq)×\(nk) d=\(d) \(name) tile \(queryTile)×\(keyTile): \(error) vs naive \(naiveError)")
                    if let first { #expect(out == first, "\(name): query tile \(queryTile) changed bits at key tile \(keyTile)") } else { first = out }
                }
            }
        }
    }
}
