import AttendKernels
import Testing

/// Float32 accumulation error of a K-term dot product is bounded by ≈ K·ε·Σ|a||b|; we allow
/// 2·ε·√K·Σ|a||b| plus a floor, well above what a correct kernel shows and far below any indexing bug.
private func gemmTolerance(k: Int, absSum: Double) -> Double {
    2 * Double(Float.ulpOfOne) * Double(max(k, 1)).squareRoot() * absSum + 1e-6
}

@Suite("GEMM vs Reference.matmul")
struct GEMMTests {
    static let sizes = [1, 3, 17, 97]

    /// Shapes crossing every blocking boundary: MR = 6, NR = 16 (32 for AVX-512's two panels; an odd
    /// last panel), KC = 256, MC = 240, NC = 2048.
    static let blockedShapes = [(1, 1, 1), (3, 5, 7), (17, 97, 3), (97, 33, 259), (6, 16, 256), (128, 384, 1025), (200, 50, 64),
                                (241, 19, 5), (487, 33, 513), (7, 2049, 3), (5, 4113, 257)]

    /// Every body this CPU runs, `.auto` included.
    static let bodies = GEMMBody.allCases.filter(\.isAvailable)

    @Test("packed GEMM with bias, 1 and 2 threads, every body", arguments: blockedShapes)
    func packed(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = randomFloats(m * k, seed: 1), w = randomFloats(n * k, seed: 2), bias = randomFloats(n, seed: 3)
        let expected = Reference.matmul(m: m, n: n, k: k, a: a, b: w, transposedB: true, bias: bias)
        let packed = PackedMatrix(linearWeight: Tensor(shape: [n, k], data: w))
        for body in Self.bodies {
            for threads in [1, 2] {
                let c = Self.product(m: m, n: n, k: k, a: a, packed: packed, bias: bias, threads: threads, body: body)
                for i in 0..<m {
                    for j in 0..<n {
                        var absSum = Double(abs(bias[j]))
                        for p in 0..<k { absSum += Double(abs(a[i * k + p] * w[j * k + p])) }
                        let err = abs(Double(c[i * n + j]) - Double(expected[i * n + j]))
                        #expect(err <= gemmTolerance(k: k, absSum: absSum), "m=\(m) n=\(n) k=\(k) threads=\(threads) \(body) at (\(i),\(j))")
                        if err > gemmTolerance(k: k, absSum: absSum) { return }
                    }
                }
            }
        }
    }

    @Test("AVX-512's two-panel kernel equals AVX2's bit for bit (the same FMAs in the same order)",
          .enabled(if: GEMMBody.avx512.isAvailable, "this CPU has no AVX-512F"), arguments: blockedShapes)
    func avx512EqualsAVX2(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = randomFloats(m * k, seed: 9), w = randomFloats(n * k, seed: 10), bias = randomFloats(n, seed: 11)
        let packed = PackedMatrix(linearWeight: Tensor(shape: [n, k], data: w))
        for threads in [1, 2] {
            let wide = Self.product(m: m, n: n, k: k, a: a, packed: packed, bias: bias, threads: threads, body: .avx512)
            let narrow = Self.product(m: m, n: n, k: k, a: a, packed: packed, bias: bias, threads: threads, body: .avx2)
            #expect(wide.map(\.bitPattern) == narrow.map(\.bitPattern), "m=\(m) n=\(n) k=\(k) threads=\(threads)")
        }
    }

    private static func product(m: Int, n: Int, k: Int, a: [Float], packed: PackedMatrix, bias: [Float], threads: Int,
                                body: GEMMBody) -> [Float] {
        var c = [Float](repeating: .nan, count: m * n)
        a.withUnsafeBufferPointer { ap in bias.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            GEMM.multiply(m: m, a: ap.baseAddress!, lda: k, b: packed, bias: bp.baseAddress, c: cp.baseAddress!, ldc: n,
                          threads: threads, body: body)
        } } }
        return c
    }

    @Test("on-the-fly GEMM with strides, both B layouts", arguments: [false, true])
    func strided(transposed: Bool) {
        for m in Self.sizes { for n in Self.sizes { for k in Self.sizes + [0] {
            let lda = k + 2, ldb = (transposed ? k : n) + 1, ldc = n + 3
            let a = randomFloats(m * lda, seed: 4), b = randomFloats((transposed ? n : k) * ldb, seed: 5)
            var c = [Float](repeating: .nan, count: m * ldc)
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                GEMM.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, transposedB: transposed, c: cp.baseAddress!, ldc: ldc)
            } } }
            for i in 0..<m { for j in 0..<n {
                var s = 0.0, absSum = 0.0
                for p in 0..<k {
                    let prod = Double(a[i * lda + p]) * Double(transposed ? b[j * ldb + p] : b[p * ldb + j])
                    s += prod; absSum += abs(prod)
                }
                #expect(abs(Double(c[i * ldc + j]) - s) <= gemmTolerance(k: k, absSum: absSum), "m=\(m) n=\(n) k=\(k) (\(i),\(j))")
            } }
        } } }
    }

    @Test("on-the-fly GEMM with bias across cache blocks, 1 and 2 threads, both B layouts", arguments: blockedShapes)
    func blocked(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = randomFloats(m * k, seed: 6), w = randomFloats(n * k, seed: 7), bias = randomFloats(n, seed: 8)
        let expected = Reference.matmul(m: m, n: n, k: k, a: a, b: w, transposedB: true, bias: bias)
        var wT = [Float](repeating: 0, count: k * n)  // wᵀ: [K, N]
        for j in 0..<n { for p in 0..<k { wT[p * n + j] = w[j * k + p] } }
        for (transposed, b) in [(true, w), (false, wT)] {
            for body in Self.bodies {
                for threads in [1, 2] {
                    var c = [Float](repeating: .nan, count: m * n)
                    a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in bias.withUnsafeBufferPointer { biasp in c.withUnsafeMutableBufferPointer { cp in
                        GEMM.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: transposed ? k : n, transposedB: transposed,
                                      bias: biasp.baseAddress, c: cp.baseAddress!, ldc: n, threads: threads, body: body)
                    } } } }
                    var worst = 0.0
                    for i in 0..<m { for j in 0..<n {
                        var absSum = Double(abs(bias[j]))
                        for p in 0..<k { absSum += Double(abs(a[i * k + p] * w[j * k + p])) }
                        worst = max(worst, abs(Double(c[i * n + j]) - Double(expected[i * n + j])) / gemmTolerance(k: k, absSum: absSum))
                    } }
                    #expect(worst <= 1, "m=\(m) n=\(n) k=\(k) transposed=\(transposed) threads=\(threads) \(body): error/tolerance \(worst)")
                }
            }
        }
    }

    @Test func kernelIsVectorized() {
        #if arch(x86_64)
        // Every CPU of the reference machines has AVX2/FMA (and the widest it has runs); falling
        // back would be a 10× regression.
        #expect(GEMM.kernelName == (GEMMBody.avx512.isAvailable ? "avx512f" : "avx2-fma"))
        #endif
    }
}
