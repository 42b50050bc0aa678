// CAttendKernels — the SIMD inner loops of Attend's kernels.
//
// Every function here has a portable C body and, where it pays, an AVX2/FMA (x86-64) or NEON
// (arm64) body chosen once at run time by a CPU check, so the package builds with no compiler
// flags. The Swift module AttendKernels wraps these; each has a slow Swift twin used by tests.
// Row-major throughout; `ld*` are leading dimensions (elements between consecutive rows).
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- GEMM -------------------------------------------------------------------------------------
// C[M, N] = A[M, K] · B[K, N] (+ bias[N]).  B is first packed into panels of
// ATTEND_GEMM_NR columns, K blocked by ATTEND_GEMM_KC:
// block p (rows k0 = p·KC …) holds, for each panel j, kc×NR floats (row k of the panel contiguous);
// block p starts at float k0·Npad where Npad = N rounded up to NR. Padding columns are zero.
#define ATTEND_GEMM_MR 6
#define ATTEND_GEMM_NR 16
#define ATTEND_GEMM_KC 256
#define ATTEND_GEMM_MC 240
#define ATTEND_GEMM_NC 2048

/// Floats needed to pack a K×N right-hand side.
size_t attend_gemm_packed_size(int K, int N);

/// Packs B into `packed` (attend_gemm_packed_size(K, N) floats).
/// transposed == 0: B is [K, N] with row stride ldb.  transposed != 0: B is given as Bᵀ = [N, K]
/// with row stride ldb (a PyTorch Linear weight [out, in]).
void attend_gemm_pack_b(int K, int N, const float *b, int ldb, int transposed, float *packed);

/// Computes rows [0, M) and the column panels [panel_begin, panel_end) of C = A·B (+ bias):
/// A: [M, K] stride lda (read in place); packed: from attend_gemm_pack_b(K, N); C: [M, N] stride
/// ldc (overwritten); bias: [N] or NULL. One thread; callers split panels/rows across threads.
void attend_gemm_packed(int M, int N, int K, const float *a, int lda, const float *packed,
                        int panel_begin, int panel_end, float *c, int ldc, const float *bias);

/// Like attend_gemm_packed, but B is read unpacked ([K, N] stride ldb, or given as [N, K] when
/// transposed) and packed on the fly, one KC×NC block at a time, into `work`
/// (min(K, ATTEND_GEMM_KC) · min(N, ATTEND_GEMM_NC) rounded up to NR floats).
void attend_gemm(int M, int N, int K, const float *a, int lda, const float *b, int ldb,
                 int transposed, int panel_begin, int panel_end, float *c, int ldc,
                 const float *bias, float *work);

/// Name of the micro-kernel chosen for this CPU ("avx2-fma", "neon" or "portable").
const char *attend_gemm_kernel_name(void);

// ---- Threads ----------------------------------------------------------------------------------
/// A task of a parallel-for: called once per index with the caller's context.
typedef void (*attend_task_fn)(void *context, int index);

/// Runs fn(context, i) for every i in [0, count) on up to `threads` threads (the caller and
/// threads − 1 pool workers, started on first use and kept), handing indices out dynamically.
/// Returns when every task has finished. Regions from different threads run one after another;
/// a region opened from inside a task runs serially on that thread.
void attend_parallel_for(int count, int threads, attend_task_fn fn, void *context);

// ---- Row operations ---------------------------------------------------------------------------
/// y[i] = e^{x[i]} for n values (polynomial exp, relative error ≤ 2e-7 over [-87, 88]).
void attend_exp(const float *x, float *y, int n);

/// In place, for each of `rows` rows of `n` values at stride ld:
/// x ← softmax(scale · x) with max subtraction; entries equal to -INFINITY get probability 0;
/// a row with no finite entry becomes all zeros (SPEC §3 masked rows).
void attend_softmax_rows(float *x, int rows, int n, int ld, float scale);

/// In place over `rows` rows of n values (stride ld):
/// x ← (x + residual − μ) / √(σ² + eps) · gamma + beta, where μ, σ² are of (x + residual) per row.
/// residual may be NULL.
void attend_layer_norm_rows(float *x, int ld, const float *residual, int ldr, int rows, int n,
                            const float *gamma, const float *beta, float eps);

/// In place: x ← x · ½(1 + erf(x/√2)) (exact-erf GELU, erf to ≤ 2e-7 absolute).
void attend_gelu(float *x, size_t n);

#ifdef __cplusplus
}
#endif
