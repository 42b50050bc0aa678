import AttendKernels
import CAttendKernels

/// HDP's importance proxy S_I = Q_I · K_Iᵀ (SPEC §4.4 step 1) and its block sums θ (step 4) on the int8
/// GEMM when the integer parts fit its ranges (θ summed in the GEMM's epilogue), else on the int16
/// dot-product kernel and a pass over S_I; both are exact, so the scores — and every block and head
/// decision made from them — are identical.
///
/// The int8 kernel multiplies u8 by s8 in [−64, 63] (CAttendKernels.h): Q_I ∈ [−128, 127] (8 integer bits,
/// as HDP's 16-bit format with 8 fraction bits gives) is offset to u = Q_I + o ≥ 0 with o = −min(0, min Q_I),
/// and Σ_c u_c·K_I[j, c] − o·Σ_c K_I[j, c] = S_I[i, j]. Key heads with K_I outside [−64, 63] use the int16 path.
/// Where the head's integer parts are small enough that every int16 lane of AVX2's `vpmaddubsw` pairs can
/// hold its exact sum over d ((⌈d/4⌉·2)·max u·max|K_I| ≤ 32767), the GEMM sums in int16 and widens once
/// (one multiply and two instructions per 32 multiply-adds instead of three or five).
enum IntegerScores {
    /// Which kernel a head's S_I ran on: the int8 GEMM (int32 sums, or int16 sums for small integer
    /// parts on AVX2) or the int16 dot-product kernel.
    enum Path: Equatable { case int8, int8NarrowSums, int16 }

    /// scores: [nq, nk] = Q_I · K_Iᵀ, with qI: [nq, d] (stride ldq) and kI: [nk, d] (stride ldk) int16 integer parts,
    /// and importance: [⌈nq/block⌉, ⌈nk/block⌉] = Σ|S_I| per `block × block` block (edge blocks partial). `body`
    /// forces the int8 kernel's body (tests; it must be available on this CPU). keepScores false: the int8 path
    /// writes only the importance (scores then hold nothing meaningful).
    @discardableResult @inline(never)
    static func compute(
        nq: Int, nk: Int, d: Int, qI: UnsafePointer<Int16>, ldq: Int, kI: UnsafePointer<Int16>, ldk: Int, block: Int,
        into scores: UnsafeMutablePointer<Int32>, importance: UnsafeMutablePointer<Int64>, allowInt8: Bool = true, body: Int8Body = .auto,
        keepScores: Bool = true
    ) -> Path {
        if allowInt8 {
            // The int8 operands in this thread's scratch slot 5: Q_I + 128: [nq, dp] u8, K_I: [nk, d] s8, K_Iᵀ packed,
            // and Σ_c K_I[j, c]: [nk] int32 (4-byte aligned).
            let dp = Int8GEMM.paddedK(d)
            let (aBytes, btBytes, packedBytes) = (nq * dp, nk * d, attend_i8_packed_size(Int32(d), Int32(nk)))
            let sumsOffset = (aBytes + btBytes + packedBytes + 3) / 4 * 4
            let base = UnsafeMutableRawPointer(threadScratch(Int(ATTEND_SCRATCH_HDP_INT8_OPERANDS), UInt8.self, count: sumsOffset + 4 * nk))
            let a = base.bindMemory(to: UInt8.self, capacity: aBytes)
            let bt = (base + aBytes).bindMemory(to: Int8.self, capacity: btBytes)
            let packed = (base + aBytes + btBytes).bindMemory(to: Int8.self, capacity: packedBytes)
            let sums = (base + sumsOffset).bindMemory(to: Int32.self, capacity: nk)
            var (offset, maxProduct) = (Int32(0), Int32(0))
            if attend_hdp_int8_operands(Int32(nq), Int32(nk), Int32(d), qI, Int32(ldq), kI, Int32(ldk), a, Int32(dp), bt,
                                        &offset, &maxProduct) != 0 {
                attend_i8_pack_b(Int32(d), Int32(nk), bt, Int32(d), packed, sums)
                let ran = attend_hdp_importance(body.rawValue, Int32(nq), Int32(nk), Int32(d), a, Int32(dp), packed, sums, offset, maxProduct,
                                                keepScores ? scores : nil, Int32(nk), Int32(block), importance)
                precondition(ran != 0, "HDP: the int8 body \(body) is not available on this CPU")
                return ran == 2 ? .int8NarrowSums : .int8
            }
        }
        attend_int_scores(Int32(nq), Int32(nk), Int32(d), qI, Int32(ldq), kI, Int32(ldk), scores, Int32(nk))
        attend_block_abs_sums(Int32(nq), Int32(nk), scores, Int32(nk), Int32(block), importance)
        return .int16
    }
}
