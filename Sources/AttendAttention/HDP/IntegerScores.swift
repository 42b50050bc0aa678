import AttendKernels
import CAttendKernels

/// HDP's importance proxy S_I = Q_I · K_Iᵀ (SPEC §4.4 step 1) and its block sums θ (step 4) on the int8
/// GEMM when the integer parts fit its ranges (θ summed in the GEMM's epilogue), else on the int16
/// dot-product kernel and a pass over S_I; both are exact, so the scores — and every block and head
/// decision made from them — are identical.
///
/// The int8 kernel multiplies u8 by s8 in [−64, 63] (CAttendKernels.h): Q_I ∈ [−128, 127] (8 integer bits,
/// as HDP's 16-bit format with 8 fraction bits gives) is offset to u = Q_I + 128, and
/// Σ_c u_c·K_I[j, c] − 128·Σ_c K_I[j, c] = S_I[i, j]. Key heads with an |integer part| > 64 use the int16 path.
enum IntegerScores {
    /// Which kernel a head's S_I ran on.
    enum Path: Equatable { case int8, int16 }

    /// scores: [nq, nk] = Q_I · K_Iᵀ, with qI: [nq, d] (stride ldq) and kI: [nk, d] (stride ldk) int16 integer parts,
    /// and importance: [⌈nq/block⌉, ⌈nk/block⌉] = Σ|S_I| per `block × block` block (edge blocks partial).
    @discardableResult @inline(never)
    static func compute(
        nq: Int, nk: Int, d: Int, qI: UnsafePointer<Int16>, ldq: Int, kI: UnsafePointer<Int16>, ldk: Int, block: Int,
        into scores: UnsafeMutablePointer<Int32>, importance: UnsafeMutablePointer<Int64>, allowInt8: Bool = true
    ) -> Path {
        if allowInt8 {
            let dp = Int8GEMM.paddedK(d)
            let fitted = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(nq * dp, 1)) { a in  // Q_I + 128: [nq, dp]
                withUnsafeTemporaryAllocation(of: Int8.self, capacity: max(nk * d, 1)) { bt in             // K_I: [nk, d]
                    guard attend_hdp_int8_operands(Int32(nq), Int32(nk), Int32(d), qI, Int32(ldq), kI, Int32(ldk),
                                                   a.baseAddress, Int32(dp), bt.baseAddress) != 0 else { return false }
                    withUnsafeTemporaryAllocation(of: Int8.self, capacity: attend_i8_packed_size(Int32(d), Int32(nk))) { packed in
                        withUnsafeTemporaryAllocation(of: Int32.self, capacity: nk) { sums in  // Σ_c K_I[j, c]
                            attend_i8_pack_b(Int32(d), Int32(nk), bt.baseAddress, Int32(d), packed.baseAddress, sums.baseAddress)
                            attend_hdp_importance(Int32(nq), Int32(nk), Int32(d), a.baseAddress, Int32(dp), packed.baseAddress,
                                                  sums.baseAddress, 128, scores, Int32(nk), Int32(block), importance)
                        }
                    }
                    return true
                }
            }
            if fitted { return .int8 }
        }
        attend_int_scores(Int32(nq), Int32(nk), Int32(d), qI, Int32(ldq), kI, Int32(ldk), scores, Int32(nk))
        attend_block_abs_sums(Int32(nq), Int32(nk), scores, Int32(nk), Int32(block), importance)
        return .int16
    }
}
