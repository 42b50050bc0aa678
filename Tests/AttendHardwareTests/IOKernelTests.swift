import AttendAttention
import AttendHardware
import Testing

@Suite("IO model vs the CPU tiled kernel")
struct IOKernelTests {
    @Test("the block-sparse model's K/V rows read at the kernel's tile sizes equal the rows the tiled kernel reports reading",
          arguments: [(1, 0), (97, 3), (300, 10), (1025, 64), (1025, 200)])
    func kvRows(n: Int, window: Int) {
        let d = 16
        let q = [Float](repeating: 0.1, count: n * d), k = q, v = q
        var out = [Float](repeating: 0, count: n * d)
        let records = q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
            out.withUnsafeMutableBufferPointer { op in
                TiledAttention.run([AttentionProblem(q: qp.baseAddress!, ldq: d, k: kp.baseAddress!, ldk: d, v: vp.baseAddress!, ldv: d,
                                                     out: op.baseAddress!, ldo: d, queries: n, keys: n, heads: 1, headDim: d,
                                                     mask: AttentionMask(window: Window.rebert(window)))])
            }
        } } }
        let w = records[0].workloads[0]
        let model = IOModel.blockSparse(queries: n, keys: n, headDim: d, blockRows: w.blockRows, blockColumns: w.blockColumns,
                                        allowed: IOModel.windowMask(window))
        #expect(model.kvRowsRead == w.kvRowsRead, "tiles \(w.blockRows) × \(w.blockColumns)")
        #expect(Int((model.nonzeroFraction * Double(w.blocksTotal)).rounded()) == w.blocksKept)
    }
}
