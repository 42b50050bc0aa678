import AttendKernels
import Testing

/// Bodies this CPU runs, each forced in turn (`.auto` included: the dispatch itself).
private let bodies = Int8Body.allCases.filter(\.isAvailable)

private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var g = SeededGenerator(seed: seed)
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &g) }
}

/// Weights in the kernel's range [−64, 63], extremes included often (they are what could saturate).
private func randomWeights(_ count: Int, seed: UInt64) -> [Int8] {
    var g = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
        switch UInt8.random(in: 0..<4, using: &g) {
        case 0: return -64
        case 1: return 63
        default: return Int8.random(in: -64...63, using: &g)
        }
    }
}

@Suite("Int8 GEMM vs Reference.int8MatMul (exact)")
struct Int8GEMMTests {
    /// Shapes crossing MR (4, 8), NR = 16, the K groups of 4 and MC = 192.
    static let shapes = [(1, 1, 1), (3, 3, 3), (1, 17, 97), (97, 33, 5), (8, 16, 64), (9, 15, 1025), (193, 31, 7), (200, 97, 130),
                         (5, 1025, 3), (385, 40, 768)]

    @Test("every body, 1 and 2 threads, equals the Int64 twin", arguments: shapes)
    func exact(shape: (Int, Int, Int)) {
        let (m, n, k) = shape, kp = Int8GEMM.paddedK(k)
        let a = randomBytes(m * k, seed: UInt64(m * 31 + k)), bt = randomWeights(n * k, seed: UInt64(n * 17 + k))
        let expected = Reference.int8MatMul(m: m, n: n, k: k, a: a, bt: bt)
        var padded = [UInt8](repeating: 0, count: m * kp)
        for i in 0..<m { for p in 0..<k { padded[i * kp + p] = a[i * k + p] } }
        let b = Int8PackedMatrix(integers: bt, k: k, n: n)
        #expect(b.columnSums == (0..<n).map { j in (0..<k).reduce(Int32(0)) { $0 + Int32(bt[j * k + $1]) } })
        for body in bodies { for threads in [1, 2] {
            let ldc = n + 3
            var c = [Int32](repeating: .min, count: m * ldc)
            padded.withUnsafeBufferPointer { ap in c.withUnsafeMutableBufferPointer { cp in
                Int8GEMM.multiply(m: m, a: ap.baseAddress!, lda: kp, b: b, c: cp.baseAddress!, ldc: ldc, threads: threads, body: body)
            } }
            let wrong = (0..<(m * n)).first { Int64(c[($0 / n) * ldc + $0 % n]) != expected[$0] }
            #expect(wrong == nil, "body \(body.name) threads \(threads) m=\(m) n=\(n) k=\(k): first mismatch at \(wrong.map { ($0 / n, $0 % n) }.debugDescription)")
            #expect((0..<m).allSatisfy { i in (n..<ldc).allSatisfy { c[i * ldc + $0] == .min } }, "wrote past the columns")
        } }
    }

    @Test("extremes: every a = 255 and every b = −64 (or 63) at K = 1025 — the sums vpmaddubsw could saturate")
    func extremes() {
        let (m, n, k) = (5, 19, 1025), kp = Int8GEMM.paddedK(k)
        for w: Int8 in [-64, 63] {
            let b = Int8PackedMatrix(integers: [Int8](repeating: w, count: n * k), k: k, n: n)
            let a = [UInt8](repeating: 255, count: m * kp)
            for body in bodies {
                var c = [Int32](repeating: 0, count: m * n)
                a.withUnsafeBufferPointer { ap in c.withUnsafeMutableBufferPointer { cp in
                    Int8GEMM.multiply(m: m, a: ap.baseAddress!, lda: kp, b: b, c: cp.baseAddress!, ldc: n, threads: 1, body: body)
                } }
                #expect(c.allSatisfy { $0 == Int32(255 * k) * Int32(w) }, "body \(body.name) w=\(w)")
            }
        }
    }

    @Test("dynamic row quantization: every body equals the twin byte for byte", arguments: [1, 3, 7, 97, 1025])
    func quantizeRows(k: Int) {
        let rows = 37
        var x = randomFloats(rows * k, seed: UInt64(k), range: -3...5)
        for c in 0..<k { x[c] = 0 }                                       // an all-zero row: scale 1, zero 0
        for c in 0..<k { x[k + c] = abs(x[k + c]) }                       // a row ≥ 0: zero point 0
        let (data, scales, zeros) = Reference.quantizeRows(x, rows: rows, k: k)
        let kp = Int8GEMM.paddedK(k)
        for body in bodies { for threads in [1, 2] {
            var q = QuantizedRows(rows: rows, k: k)
            q.data = [UInt8](repeating: 7, count: rows * kp)
            x.withUnsafeBufferPointer { Int8GEMM.quantize($0.baseAddress!, ldx: k, into: &q, rows: rows, threads: threads, body: body) }
            #expect(q.scales == scales && q.zeros == zeros, "body \(body.name) k=\(k)")
            #expect((0..<rows).allSatisfy { i in (0..<k).allSatisfy { q.data[i * kp + $0] == data[i * k + $0] } }, "body \(body.name) k=\(k)")
            #expect((0..<rows).allSatisfy { i in (k..<kp).allSatisfy { q.data[i * kp + $0] == 0 } }, "padding not zeroed")
        } }
        #expect(scales[0] == 1 && zeros[0] == 0 && zeros[1] == 0)
    }

    @Test("quantizeRows (the caller's thread, blocks of rows) equals quantize byte for byte, dynamic and fixed", arguments: [1, 3, 97, 1025])
    func quantizeRowsInBlocks(k: Int) {
        let rows = 37, kp = Int8GEMM.paddedK(k)
        let x = randomFloats(rows * k, seed: UInt64(k) + 5, range: -4...2)
        for mode in [ActivationQuantization.dynamic, .fixed(scale: 0.03, zero: 117)] { for body in bodies {
            var whole = QuantizedRows(rows: rows, k: k)
            x.withUnsafeBufferPointer { Int8GEMM.quantize($0.baseAddress!, ldx: k, into: &whole, rows: rows, mode, body: body) }
            var data = [UInt8](repeating: 7, count: rows * kp), scales = [Float](repeating: .nan, count: rows), zeros = [Int32](repeating: -1, count: rows)
            x.withUnsafeBufferPointer { xp in data.withUnsafeMutableBufferPointer { dp in scales.withUnsafeMutableBufferPointer { sp in
                zeros.withUnsafeMutableBufferPointer { zp in
                    for r0 in stride(from: 0, to: rows, by: 8) {  // 8, 8, 8, 8, 5 rows
                        Int8GEMM.quantizeRows(xp.baseAddress! + r0 * k, ldx: k, rows: min(8, rows - r0), k: k, mode, data: dp.baseAddress! + r0 * kp,
                                              scales: sp.baseAddress! + r0, zeros: zp.baseAddress! + r0, body: body)
                    }
                }
            } } }
            #expect(data == whole.data && scales == whole.scales && zeros == whole.zeros, "body \(body.name) k=\(k) \(mode)")
        } }
    }

    @Test("multiply(_:rows:) writes the first rows only, equal to the product of all rows", arguments: [(1, 17, 3), (13, 40, 97), (200, 33, 130)])
    func firstRows(shape: (Int, Int, Int)) {
        let (m, n, k) = shape, used = (m + 1) / 2
        let x = randomFloats(m * k, seed: 31, range: -2...3), w = randomFloats(n * k, seed: 32), bias = randomFloats(n, seed: 33)
        let b = Int8PackedMatrix(linearWeight: Tensor(shape: [n, k], data: w))
        var q = QuantizedRows(rows: m, k: k)
        x.withUnsafeBufferPointer { Int8GEMM.quantize($0.baseAddress!, ldx: k, into: &q, rows: m) }
        for body in bodies {
            var all = [Float](repeating: .nan, count: m * n), first = all
            bias.withUnsafeBufferPointer { bp in
                all.withUnsafeMutableBufferPointer { Int8GEMM.multiply(q, b: b, bias: bp.baseAddress, c: $0.baseAddress!, ldc: n, body: body) }
                first.withUnsafeMutableBufferPointer { Int8GEMM.multiply(q, rows: used, b: b, bias: bp.baseAddress, c: $0.baseAddress!, ldc: n, body: body) }
            }
            #expect(Array(first[..<(used * n)]) == Array(all[..<(used * n)]), "body \(body.name) m=\(m)")
            #expect(first[(used * n)...].allSatisfy { $0.isNaN }, "body \(body.name): rows past \(used) written")
        }
    }

    /// Quantized products of Float matrices: the error of round-to-nearest quantization is at most half a step
    /// of each operand, so |y − x·w| ≤ Σ_k (½ s_x |w| + ½ s_w |x| + ¼ s_x s_w) per entry (plus Float rounding).
    @Test("dequantized product within the quantization bound of the Float64 product", arguments: [(1, 1, 1), (3, 97, 59), (130, 40, 1025)])
    func dequantized(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let x = randomFloats(m * k, seed: 11, range: -2...3), w = randomFloats(n * k, seed: 12), bias = randomFloats(n, seed: 13)
        let b = Int8PackedMatrix(linearWeight: Tensor(shape: [n, k], data: w))
        let exact = Reference.matmul(m: m, n: n, k: k, a: x, b: w, transposedB: true, bias: bias)
        for body in bodies {
            var q = QuantizedRows(rows: m, k: k)
            x.withUnsafeBufferPointer { Int8GEMM.quantize($0.baseAddress!, ldx: k, into: &q, rows: m, body: body) }
            var y = [Float](repeating: .nan, count: m * n)
            bias.withUnsafeBufferPointer { bp in y.withUnsafeMutableBufferPointer { yp in
                Int8GEMM.multiply(q, b: b, bias: bp.baseAddress, c: yp.baseAddress!, ldc: n, body: body)
            } }
            for i in 0..<m { for j in 0..<n {
                var bound = 1e-5
                for p in 0..<k {
                    let (sx, sw) = (Double(q.scales[i]), Double(b.scales[j]))
                    bound += 0.5 * sx * Double(abs(w[j * k + p])) + 0.5 * sw * Double(abs(x[i * k + p])) + 0.25 * sx * sw
                }
                let err = abs(Double(y[i * n + j]) - Double(exact[i * n + j]))
                #expect(err <= bound * 1.001, "body \(body.name) (\(i),\(j)) err \(err) bound \(bound)")
                if err > bound * 1.001 { return }
            } }
        }
    }
}

@Test("PackedMatrix.linearWeight inverts init(linearWeight:) exactly, whatever the depth block", arguments: [(1, 1), (17, 3), (97, 259), (33, 1025)])
func packedRoundTrip(shape: (Int, Int)) {
    let (n, k) = shape
    let w = Tensor(shape: [n, k], data: randomFloats(n * k, seed: 21))
    for depthBlock in [128, 256, 512] {
        #expect(PackedMatrix(linearWeight: w, depthBlock: depthBlock).linearWeight().data == w.data, "depth block \(depthBlock)")
    }
}
