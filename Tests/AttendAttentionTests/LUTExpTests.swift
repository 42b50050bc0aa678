import AttendAttention
import Foundation
import Testing

@Suite("LUT softmax (ReBERT)")
struct LUTExpTests {
    @Test("|LUT(x) − e^x| within the documented bound at every code and across [−40, 0]",
          arguments: [(4, 8, 6), (3, 6, 4), (5, 10, 7), (2, 4, 0), (4, 8, 12)])
    func errorBound(integerBits: Int, fractionBits: Int, lsbBits: Int) {
        let lut = LUTExp(integerBits: integerBits, fractionBits: fractionBits, lsbBits: lsbBits)
        #expect(lut.msbTable.count == 1 << (integerBits + fractionBits - lsbBits) && lut.lsbTable.count == 1 << lsbBits)
        var inputs: [Float] = (0...lut.maxCode).flatMap { code -> [Float] in
            let x = -Float(code) / Float(1 << fractionBits)
            let half = 0.5 / Float(1 << fractionBits)
            return [x, x + half * 0.999, x - half * 0.999]  // the code itself and both rounding edges
        }
        var g = SeededGenerator(seed: 42)
        inputs += (0..<20_000).map { _ in Float.random(in: -40...0, using: &g) } + [0, -0.0, -Float(1 << integerBits), -1e30]
        var worstRatio = 0.0
        for x in inputs where x <= 0 {
            let error = abs(Double(lut(x)) - Foundation.exp(Double(x)))
            worstRatio = max(worstRatio, error / lut.errorBound(at: Double(x)))
        }
        #expect(worstRatio <= 1, "error / bound reaches \(worstRatio)")
        #expect(lut(-.infinity) == 0 && lut(.nan) == 0)
    }

    @Test("the default tables: absolute error ≤ 2.0e-3·e^x + 1.2e-7, as documented")
    func defaultBound() {
        let lut = LUTExp()
        for code in 0...(lut.maxCode + 200) {
            let x = -Double(code) / 256
            #expect(abs(Double(lut(Float(x))) - Foundation.exp(x)) <= 2.0e-3 * Foundation.exp(x) + 1.2e-7, "x = \(x)")
        }
    }

    @Test("the tiled kernel's table exponential equals LUTExp: one key tile, tiled = dense with the LUT")
    func kernelMatchesSwift() {
        let lut = LUTExp()
        let inputs = TestInputs(queries: 40, keys: 100, heads: 3, d: 16, seed: 12)
        let tiled = inputs.run { _ = TiledAttention.run([$0], softmax: lut) }
        let dense = inputs.run { DenseAttention.run([$0], softmax: lut) }
        #expect(zip(tiled, dense).map { abs($0 - $1) }.max()! <= 1e-6)
    }

    @Test("over many key tiles the LUT softmax stays within its error of exact attention")
    func manyTiles() {
        let inputs = TestInputs(queries: 130, keys: 700, heads: 2, d: 32, mask: AttentionMask(window: Window.rebert(200)), seed: 13)
        let want = oracle(inputs)
        let tiled = inputs.run { _ = TiledAttention.run([$0], softmax: LUTExp()) }
        // Each weight is off by ≤ 0.2 % (and the normaliser likewise), |V| ≤ 1: the output by ≤ ~0.5 %.
        #expect(maxError(tiled, want.out) <= 5e-3)
    }
}
