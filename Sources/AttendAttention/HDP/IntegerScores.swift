import AttendKernels
import CAttendKernels

/// HDP's importance proxy S_I = Q_I · K_Iᵀ (SPEC §4.4 step 1) on the int8 GEMM when the integer parts
/// fit its ranges, else on the int16 dot-product kernel; both are exact, so the scores — and every
/// block and head decision made from them — are identical.
///
/// The int8 kernel multiplies u8 by s8 in [−64, 63] (CAttendKernels.h): Q_I ∈ [−128, 127] (8 integer bits,
/// as HDP's 16-bit format with 8 fraction bits gives) is offset to u = Q_I + 128, and
/// Σ_c u_c·K_I[j, c] − 128·Σ_c K_I[j, c] = S_I[i, j]. Key heads with an |integer part| > 64 use the int16 path.
enum IntegerScores {
    /// Which kernel a head's S_I ran on.
    enum Path: Equatable { case int8, int16 }

    /// scores: [nq, nk] = Q_I · K_Iᵀ, with qI: [nq, d] (stride ldq) and kI: [nk, d] (stride ldk) int16 integer parts.
    @discardableResult @inline(never)
    static func compute(
        nq: Int, nk: Int, d: Int, qI: UnsafePointer<Int16>, ldq: Int, kI: UnsafePointer<Int16>, ldk: Int,
        into scores: UnsafeMutablePointer<Int32>, allowInt8: Bool = true
    ) -> Path {
        if allowInt8, fits(nq, d, qI, ldq, -128...127), fits(nk, d, kI, ldk, -64...63) {
            let dp = Int8GEMM.paddedK(d)
            let a = [UInt8](unsafeUninitializedCapacity: nq * dp) { a, count in  // Q_I + 128: [nq, dp], zero-padded
                for i in 0..<nq {
                    let row = a.baseAddress! + i &* dp, source = qI + i &* ldq
                    for c in 0..<d { row[c] = UInt8(truncatingIfNeeded: Int(source[c]) &+ 128) }
                    for c in d..<dp { row[c] = 0 }
                }
                count = nq * dp
            }
            let bt = [Int8](unsafeUninitializedCapacity: nk * d) { bt, count in  // K_I: [nk, d]
                for j in 0..<nk { let row = bt.baseAddress! + j &* d, source = kI + j &* ldk; for c in 0..<d { row[c] = Int8(truncatingIfNeeded: source[c]) } }
                count = nk * d
            }
            let b = Int8PackedMatrix(integers: bt, k: d, n: nk)
            a.withUnsafeBufferPointer { Int8GEMM.multiply(m: nq, a: $0.baseAddress!, lda: dp, b: b, c: scores, ldc: nk, threads: 1) }
            b.columnSums.withUnsafeBufferPointer { sums in
                let sums = sums.baseAddress!
                for i in 0..<nq { let row = scores + i &* nk; for j in 0..<nk { row[j] &-= 128 &* sums[j] } }
            }
            return .int8
        }
        attend_int_scores(Int32(nq), Int32(nk), Int32(d), qI, Int32(ldq), kI, Int32(ldk), scores, Int32(nk))
        return .int16
    }

    private static func fits(_ rows: Int, _ d: Int, _ x: UnsafePointer<Int16>, _ ld: Int, _ range: ClosedRange<Int16>) -> Bool {
        for i in 0..<rows { for c in 0..<d where !range.contains(x[i &* ld &+ c]) { return false } }
        return true
    }
}
