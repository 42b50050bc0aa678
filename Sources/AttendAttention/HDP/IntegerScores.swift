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
    @discardableResult
    static func compute(
        nq: Int, nk: Int, d: Int, qI: UnsafePointer<Int16>, ldq: Int, kI: UnsafePointer<Int16>, ldk: Int,
        into scores: UnsafeMutablePointer<Int32>, allowInt8: Bool = true
    ) -> Path {
        if allowInt8, fits(nq, d, qI, ldq, -128...127), fits(nk, d, kI, ldk, -64...63) {
            let dp = Int8GEMM.paddedK(d)
            var a = [UInt8](repeating: 0, count: nq * dp)  // Q_I + 128: [nq, dp]
            for i in 0..<nq { for c in 0..<d { a[i &* dp &+ c] = UInt8(truncatingIfNeeded: Int(qI[i &* ldq &+ c]) &+ 128) } }
            var bt = [Int8](repeating: 0, count: nk * d)  // K_I: [nk, d]
            for j in 0..<nk { for c in 0..<d { bt[j &* d &+ c] = Int8(truncatingIfNeeded: kI[j &* ldk &+ c]) } }
            let b = Int8PackedMatrix(integers: bt, k: d, n: nk)
            a.withUnsafeBufferPointer { Int8GEMM.multiply(m: nq, a: $0.baseAddress!, lda: dp, b: b, c: scores, ldc: nk, threads: 1) }
            b.columnSums.withUnsafeBufferPointer { sums in
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
