import AttendKernels
import Testing

/// Random, valid blocks of `type` for a [rows, columns] weight: random quant bytes, scale fields set
/// to F16 values of a realistic size (|d| ≤ 0.02, |m| ≤ 0.2), float weights in [−1, 1].
func randomBlocks(_ type: GGMLType, rows: Int, columns: Int, seed: UInt64) -> [UInt8] {
    var g = SeededGenerator(seed: seed)
    func f16(_ range: ClosedRange<Float>) -> [UInt8] {
        let bits = Float16(Float.random(in: range, using: &g)).bitPattern
        return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
    }
    var bytes: [UInt8] = []
    let blocks = rows * columns / type.blockElements
    bytes.reserveCapacity(blocks * type.blockBytes)
    for _ in 0..<blocks {
        var block = (0..<type.blockBytes).map { _ in UInt8.random(in: 0...255, using: &g) }
        switch type {
        case .f32:
            let bits = Float.random(in: -1...1, using: &g).bitPattern
            block = (0..<4).map { UInt8((bits >> (8 * UInt32($0))) & 0xFF) }
        case .f16: block = f16(-1...1)
        case .bf16: block = Array(f16(-1...1)); block = { let b = Float.random(in: -1...1, using: &g).bitPattern >> 16; return [UInt8(b & 0xFF), UInt8(b >> 8)] }()
        case .q4_0, .q8_0: block.replaceSubrange(0..<2, with: f16(-0.02...0.02))
        case .q4_1: block.replaceSubrange(0..<4, with: f16(-0.02...0.02) + f16(-0.2...0.2))
        case .q4_K: block.replaceSubrange(0..<4, with: f16(-0.002...0.002) + f16(-0.002...0.002))
        case .q6_K: block.replaceSubrange(208..<210, with: f16(-0.002...0.002))
        }
        bytes += block
    }
    return bytes
}

/// Per-element magnitudes that bound every term the kernels add for that element: |w| for the
/// float and scaled-integer types; for Q4_0 / Q4_1, whose dot products split w = d·q + m into
/// d·Σq·x and m·Σx, the larger |d·q| + |m| (= 23|d| for Q4_0 with m = −8d, 15|d| + |m| for Q4_1).
func termMagnitudes(_ type: GGMLType, bytes: [UInt8], count: Int) -> [Double] {
    let w = Reference.dequantize(type, bytes: bytes, count: count)
    guard type == .q4_0 || type == .q4_1 else { return w.map(abs) }
    return (0..<count).map { i in
        let o = i / 32 * type.blockBytes
        let d = abs(Double(HalfConversion.slowF16ToF32(UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8)))
        let m = type == .q4_1 ? abs(Double(HalfConversion.slowF16ToF32(UInt16(bytes[o + 2]) | UInt16(bytes[o + 3]) << 8))) : 8 * d
        return 15 * d + m
    }
}

/// Float32 accumulation of a K-term dot product errs by ≲ K·ε·Σ|terms| in the worst case and
/// ≈ √K·ε·Σ|terms| in practice; we allow 4·ε·√K·Σ|x|·|term magnitude| plus a floor of 1e-6: above
/// what a correct kernel shows, far below a wrong element, block or scale (≥ one term).
func quantTolerance(columns: Int, magnitudeSum: Double) -> Double {
    4 * Double(Float.ulpOfOne) * Double(max(columns, 1)).squareRoot() * magnitudeSum + 1e-6
}

@Suite("Quantized matrices vs the Float64 twin")
struct QuantizedMatrixTests {
    static let rowCounts = [1, 3, 97, 1025]
    static let vectorCounts = [1, 2, 3, 17, 97]

    /// Columns for each type: awkward multiples of its block (32 or 256 values).
    static func columnCounts(_ type: GGMLType) -> [Int] {
        type.blockElements == 256 ? [256, 768, 1280] : [32, 96, 1056]
    }

    enum Path: CustomStringConvertible {
        case auto, matrixVector, matrixVectorPortable, matrixMatrix
        var description: String { "\(self)" }
    }

    /// A random weight of `type`, with its Float64 values and term magnitudes.
    struct Case {
        let type: GGMLType, rows: Int, columns: Int
        let bytes: [UInt8], w: [Double], magnitudes: [Double]
        init(_ type: GGMLType, rows: Int, columns: Int, seed: UInt64) {
            (self.type, self.rows, self.columns) = (type, rows, columns)
            bytes = randomBlocks(type, rows: rows, columns: columns, seed: seed)
            w = Reference.dequantize(type, bytes: bytes, count: rows * columns)
            magnitudes = termMagnitudes(type, bytes: bytes, count: rows * columns)
        }

        /// Runs `path` on n random vectors (strided rows) and returns the worst error / tolerance.
        func worstRatio(n: Int, path: Path, threads: Int, seed: UInt64) -> Double {
            let x = randomFloats(n * columns, seed: seed)
            let ldx = columns + 3, ldo = rows + 5
            var xs = [Float](repeating: .nan, count: n * ldx)
            for i in 0..<n { for c in 0..<columns { xs[i * ldx + c] = x[i * columns + c] } }
            var out = [Float](repeating: .nan, count: n * ldo)
            bytes.withUnsafeBytes { raw in
                let m = QuantizedMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!, owner: nil)
                xs.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
                    let (xb, ob) = (xp.baseAddress!, op.baseAddress!)
                    switch path {
                    case .auto: m.multiply(xb, count: n, ldx: ldx, into: ob, ldo: ldo, threads: threads)
                    case .matrixVector: m.matrixVector(xb, count: n, ldx: ldx, into: ob, ldo: ldo, threads: threads)
                    case .matrixVectorPortable: m.matrixVector(xb, count: n, ldx: ldx, into: ob, ldo: ldo, threads: threads, portable: true)
                    case .matrixMatrix: m.matrixMatrix(xb, count: n, ldx: ldx, into: ob, ldo: ldo, threads: threads)
                    }
                } }
            }
            // The Float64 product, over unsafe buffers (array indexing in debug builds would dominate the suite).
            let xd = x.map(Double.init)
            var worst = 0.0
            xd.withUnsafeBufferPointer { xb in w.withUnsafeBufferPointer { wb in magnitudes.withUnsafeBufferPointer { mb in
                for i in 0..<n {
                    for r in 0..<rows {
                        var s = 0.0, magnitudeSum = 0.0
                        for c in 0..<columns {
                            let xv = xb[i * columns + c]
                            s += xv * wb[r * columns + c]
                            magnitudeSum += abs(xv) * mb[r * columns + c]
                        }
                        let err = abs(Double(out[i * ldo + r]) - s)
                        worst = max(worst, err.isNaN ? .infinity : err / quantTolerance(columns: columns, magnitudeSum: magnitudeSum))
                    }
                }
            } } }
            return worst
        }
    }

    @Test("multiply (both paths by n) on awkward sizes, 1 and 2 threads", arguments: GGMLType.allCases)
    func multiply(type: GGMLType) {
        var seed: UInt64 = 100
        for rows in Self.rowCounts { for columns in Self.columnCounts(type) {
            seed += 1
            let weight = Case(type, rows: rows, columns: columns, seed: seed)
            // The Float64 twin costs rows·columns·n; the largest matrices are checked at n ≤ 3.
            for n in Self.vectorCounts where rows * columns * n <= 4_000_000 {
                for threads in [1, 2] {
                    let ratio = weight.worstRatio(n: n, path: .auto, threads: threads, seed: seed + UInt64(n))
                    #expect(ratio <= 1, "\(type.name) rows \(rows) columns \(columns) n \(n) threads \(threads): error / tolerance \(ratio)")
                }
            }
        } }
    }

    @Test("each path forced: matrix–vector (SIMD and portable) and matrix–matrix at every n", arguments: GGMLType.allCases)
    func paths(type: GGMLType) {
        var seed: UInt64 = 900
        for (rows, n) in [(1, 1), (3, 2), (97, 3), (97, 17), (33, 97)] {
            for columns in Self.columnCounts(type) {
                seed += 2
                let weight = Case(type, rows: rows, columns: columns, seed: seed)
                for path in [Path.matrixVector, .matrixVectorPortable, .matrixMatrix] {
                    let ratio = weight.worstRatio(n: n, path: path, threads: 2, seed: seed + 1)
                    #expect(ratio <= 1, "\(type.name) \(path) rows \(rows) columns \(columns) n \(n): error / tolerance \(ratio)")
                }
            }
        }
    }

    @Test("dequantizeRow equals the Float64 twin rounded to Float32", arguments: GGMLType.allCases)
    func dequantizeRow(type: GGMLType) {
        let rows = 3, columns = Self.columnCounts(type)[1]
        let bytes = randomBlocks(type, rows: rows, columns: columns, seed: 7)
        let expected = Reference.dequantize(type, bytes: bytes, count: rows * columns)
        bytes.withUnsafeBytes { raw in
            let m = QuantizedMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!, owner: nil)
            var row = [Float](repeating: .nan, count: columns)
            for r in 0..<rows {
                row.withUnsafeMutableBufferPointer { m.dequantizeRow(r, into: $0.baseAddress!) }
                // d·q (+ m) in Float32 is the correctly rounded value except for Q4_1 / Q4_K, whose two
                // terms are rounded once each: within 1 ulp of the larger term.
                for c in 0..<columns {
                    let e = expected[r * columns + c]
                    let ulp = Double(Float(abs(e)).ulp) + (type == .q4_1 || type == .q4_K ? 1e-6 : 0)
                    #expect(abs(Double(row[c]) - e) <= ulp, "\(type.name) row \(r) column \(c): \(row[c]) vs \(e)")
                }
            }
        }
    }

    @Test("row bytes and block sizes")
    func rowBytes() {
        #expect(GGMLType.q4_1.rowBytes(columns: 576) == 360)
        #expect(GGMLType.q8_0.rowBytes(columns: 576) == 612)
        #expect(GGMLType.q4_K.rowBytes(columns: 512) == 288)
        #expect(GGMLType.q4_0.rowBytes(columns: 33) == nil)
        #expect(GGMLType.f32.rowBytes(columns: 3) == 12)
    }
}
