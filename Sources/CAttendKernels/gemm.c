// Packed, register-blocked SGEMM (BLIS-style loop nest; see CAttendKernels.h for the layout).
// Micro-kernel: MR×NR = 6×16 outputs held in 12 AVX2 registers (or 24 NEON registers) while a
// packed A panel (6 floats per k) and a packed B panel (16 floats per k) stream through.
// Blocking: the B panel (KC×16 floats = 16 KiB) stays in L1 across the MC/6 A panels; the packed
// A block (MC×KC floats = 96 KiB) stays in L2 (512 KiB per core on the reference machine).
#include "CAttendKernels.h"
#include "simd_target.h"
#include <string.h>

enum { MR = ATTEND_GEMM_MR, NR = ATTEND_GEMM_NR, KC = ATTEND_GEMM_KC, MC = ATTEND_GEMM_MC };

static inline int min_int(int a, int b) { return a < b ? a : b; }
static inline int round_up(int x, int m) { return (x + m - 1) / m * m; }

/// c[MR×NR] (stride ldc) = Σ_k a[k·MR + r]·b[k·NR + j]  (+ bias[j]),  or  += when accumulate.
typedef void (*micro_kernel)(int kc, const float *a, const float *b, float *c, int ldc,
                             int accumulate, const float *bias);

static void kernel_portable(int kc, const float *a, const float *b, float *c, int ldc,
                            int accumulate, const float *bias) {
    float acc[MR][NR] = {{0}};
    for (int k = 0; k < kc; k++, a += MR, b += NR)
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++) acc[r][j] += a[r] * b[j];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++)
            c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r][j] : acc[r][j] + (bias ? bias[j] : 0);
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static void kernel_avx2(int kc, const float *a, const float *b, float *c, int ldc,
                                    int accumulate, const float *bias) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
           c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
           c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
           c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#pragma clang loop unroll_count(4)
    for (int k = 0; k < kc; k++, a += MR, b += NR) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), x;
        x = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
    }
    __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    __m256 bias0 = bias ? _mm256_loadu_ps(bias) : _mm256_setzero_ps();
    __m256 bias1 = bias ? _mm256_loadu_ps(bias + 8) : _mm256_setzero_ps();
    for (int r = 0; r < MR; r++) {
        float *row = c + (size_t)r * ldc;
        if (accumulate) {
            _mm256_storeu_ps(row, _mm256_add_ps(_mm256_loadu_ps(row), acc[r][0]));
            _mm256_storeu_ps(row + 8, _mm256_add_ps(_mm256_loadu_ps(row + 8), acc[r][1]));
        } else {
            _mm256_storeu_ps(row, _mm256_add_ps(acc[r][0], bias0));
            _mm256_storeu_ps(row + 8, _mm256_add_ps(acc[r][1], bias1));
        }
    }
}
#endif

#ifdef ATTEND_HAVE_NEON
static void kernel_neon(int kc, const float *a, const float *b, float *c, int ldc,
                        int accumulate, const float *bias) {
    float32x4_t acc[MR][4];
    for (int r = 0; r < MR; r++)
        for (int q = 0; q < 4; q++) acc[r][q] = vdupq_n_f32(0);
    for (int k = 0; k < kc; k++, a += MR, b += NR) {
        float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8), b3 = vld1q_f32(b + 12);
        for (int r = 0; r < MR; r++) {
            acc[r][0] = vfmaq_n_f32(acc[r][0], b0, a[r]);
            acc[r][1] = vfmaq_n_f32(acc[r][1], b1, a[r]);
            acc[r][2] = vfmaq_n_f32(acc[r][2], b2, a[r]);
            acc[r][3] = vfmaq_n_f32(acc[r][3], b3, a[r]);
        }
    }
    for (int r = 0; r < MR; r++)
        for (int q = 0; q < 4; q++) {
            float *out = c + (size_t)r * ldc + 4 * q;
            float32x4_t base = accumulate ? vld1q_f32(out) : (bias ? vld1q_f32(bias + 4 * q) : vdupq_n_f32(0));
            vst1q_f32(out, vaddq_f32(base, acc[r][q]));
        }
}
#endif

static micro_kernel chosen_kernel(void) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) return kernel_avx2;
#endif
#ifdef ATTEND_HAVE_NEON
    return kernel_neon;
#endif
    return kernel_portable;
}

const char *attend_gemm_kernel_name(void) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) return "avx2-fma";
#endif
#ifdef ATTEND_HAVE_NEON
    return "neon";
#endif
    return "portable";
}

size_t attend_gemm_packed_size(int K, int N) { return (size_t)K * (size_t)round_up(N, NR); }

void attend_gemm_pack_b(int K, int N, const float *b, int ldb, int transposed, float *packed) {
    int npad = round_up(N, NR);
    for (int k0 = 0; k0 < K; k0 += KC) {
        int kc = min_int(KC, K - k0);
        float *block = packed + (size_t)k0 * npad;
        for (int n0 = 0; n0 < npad; n0 += NR) {
            float *panel = block + (size_t)n0 * kc;
            int nr = min_int(NR, N - n0);
            for (int k = 0; k < kc; k++) {
                float *dst = panel + (size_t)k * NR;
                for (int j = 0; j < nr; j++)
                    dst[j] = transposed ? b[(size_t)(n0 + j) * ldb + k0 + k] : b[(size_t)(k0 + k) * ldb + n0 + j];
                for (int j = nr; j < NR; j++) dst[j] = 0;
            }
        }
    }
}

/// Packs rows [0, mc) × columns [0, kc) of A into MR-row panels: panel p holds a[p·MR + r][k] at
/// p·MR·kc + k·MR + r; rows past mc are zero.
static void pack_a(int mc, int kc, const float *a, int lda, float *dst) {
    for (int i0 = 0; i0 < mc; i0 += MR) {
        int mr = min_int(MR, mc - i0);
        for (int k = 0; k < kc; k++) {
            for (int r = 0; r < mr; r++) dst[r] = a[(size_t)(i0 + r) * lda + k];
            for (int r = mr; r < MR; r++) dst[r] = 0;
            dst += MR;
        }
    }
}

void attend_gemm_packed(int M, int N, int K, const float *a, int lda, const float *packed,
                        int panel_begin, int panel_end, float *c, int ldc, const float *bias,
                        float *work) {
    micro_kernel kernel = chosen_kernel();
    int npad = round_up(N, NR);
    if (K == 0) {  // An empty sum: C = bias (or 0).
        for (int i = 0; i < M; i++)
            for (int n = panel_begin * NR; n < min_int(panel_end * NR, N); n++)
                c[(size_t)i * ldc + n] = bias ? bias[n] : 0;
        return;
    }
    for (int i0 = 0; i0 < M; i0 += MC) {
        int mc = min_int(MC, M - i0);
        for (int k0 = 0; k0 < K; k0 += KC) {
            int kc = min_int(KC, K - k0);
            pack_a(mc, kc, a + (size_t)i0 * lda + k0, lda, work);
            const float *block = packed + (size_t)k0 * npad;
            int accumulate = k0 > 0;
            for (int p = panel_begin; p < panel_end; p++) {
                int n0 = p * NR, nr = min_int(NR, N - n0);
                const float *bp = block + (size_t)n0 * kc;
                const float *tile_bias = (!accumulate && bias) ? bias + n0 : NULL;
                float bias_pad[NR];
                if (tile_bias && nr < NR) {
                    for (int j = 0; j < NR; j++) bias_pad[j] = j < nr ? tile_bias[j] : 0;
                    tile_bias = bias_pad;
                }
                for (int ir = 0; ir < mc; ir += MR) {
                    int mr = min_int(MR, mc - ir);
                    float *ct = c + (size_t)(i0 + ir) * ldc + n0;
                    const float *ap = work + (size_t)ir * kc;
                    if (mr == MR && nr == NR) {
                        kernel(kc, ap, bp, ct, ldc, accumulate, tile_bias);
                    } else {  // Edge tile: compute into a full scratch tile, copy the valid part.
                        float tile[MR * NR] = {0};
                        if (accumulate)
                            for (int r = 0; r < mr; r++) memcpy(tile + r * NR, ct + (size_t)r * ldc, sizeof(float) * nr);
                        kernel(kc, ap, bp, tile, NR, accumulate, tile_bias);
                        for (int r = 0; r < mr; r++) memcpy(ct + (size_t)r * ldc, tile + r * NR, sizeof(float) * nr);
                    }
                }
            }
        }
    }
}
