// Register-blocked SGEMM with B packed (MLAS/BLIS-style loop nest; layout in CAttendKernels.h).
// Micro-kernel: MR×NR = 6×16 outputs held in 12 AVX2 registers (or 24 NEON registers) while a
// packed B panel (16 floats per k) streams through and A is read in place, one broadcast per row
// and k (six row streams; no packing of A, which for activations of a few hundred rows cost more
// than it saved). With AVX-512F the wide kernel takes two neighbouring panels at once: 6×32
// outputs in 12 zmm registers, twice the FMAs per broadcast (on a CPU with 512-bit FMA units,
// twice the AVX2 peak: Zen 5, 2 × 16 multiply-adds per cycle against 2 × 8).
// Blocking (chosen per machine and passed in; the defaults in brackets): the B panel
// (KC×16 floats [16 KiB]) stays in L1 across the MC/6 row strips of A; the A block (MC rows × KC
// floats [240 KiB]) stays in L2 (1 MiB per core on the reference Zen 4 machine), and MC [240] covers
// a 128-token batch in one block, so each weight panel is read from memory once per product. B
// packed on the fly is packed KC×NC [2 MiB] at a time (L3).
#include "CAttendKernels.h"
#include "simd_target.h"
#include <string.h>

enum { MR = ATTEND_GEMM_MR, NR = ATTEND_GEMM_NR, KC_MAX = ATTEND_GEMM_KC_MAX };

static inline int min_int(int a, int b) { return a < b ? a : b; }
static inline int round_up(int x, int m) { return (x + m - 1) / m * m; }

/// c[MR×NR] (stride ldc) = Σ_k a[r·lda + k]·b[k·NR + j]  (+ bias[j]),  or  += when accumulate.
typedef void (*micro_kernel)(int kc, const float *a, int lda, const float *b, float *c, int ldc,
                             int accumulate, const float *bias);

static void kernel_portable(int kc, const float *a, int lda, const float *b, float *c, int ldc,
                            int accumulate, const float *bias) {
    float acc[MR][NR] = {{0}};
    for (int k = 0; k < kc; k++, b += NR)
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++) acc[r][j] += a[(size_t)r * lda + k] * b[j];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++)
            c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r][j] : acc[r][j] + (bias ? bias[j] : 0);
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static void kernel_avx2(int kc, const float *a, int lda, const float *b, float *c, int ldc,
                                    int accumulate, const float *bias) {
    const float *a0 = a, *a1 = a + lda, *a2 = a1 + lda, *a3 = a2 + lda, *a4 = a3 + lda, *a5 = a4 + lda;
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
           c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
           c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
           c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#pragma clang loop unroll_count(4)
    for (int k = 0; k < kc; k++, b += NR) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), x;
        x = _mm256_broadcast_ss(a0 + k); c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(a1 + k); c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(a2 + k); c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(a3 + k); c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(a4 + k); c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(a5 + k); c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
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

#ifdef ATTEND_HAVE_AVX2
#define ATTEND_AVX512 __attribute__((target("avx512f,avx2,fma")))
/// The wide micro-kernel: MR×2NR = 6×32 outputs from two neighbouring packed panels (the second at
/// b + kc·NR), 12 zmm accumulators; per k two 64-byte B loads, six broadcasts and 12 FMAs.
ATTEND_AVX512 static void kernel_avx512(int kc, const float *a, int lda, const float *b, float *c, int ldc,
                                        int accumulate, const float *bias) {
    const float *a0 = a, *a1 = a + lda, *a2 = a1 + lda, *a3 = a2 + lda, *a4 = a3 + lda, *a5 = a4 + lda;
    const float *b1p = b + (size_t)kc * NR;
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(),
           c11 = _mm512_setzero_ps(), c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(),
           c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps(), c40 = _mm512_setzero_ps(),
           c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
#pragma clang loop unroll_count(4)
    for (int k = 0; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(b + (size_t)k * NR), b1 = _mm512_loadu_ps(b1p + (size_t)k * NR), x;
        x = _mm512_set1_ps(a0[k]); c00 = _mm512_fmadd_ps(x, b0, c00); c01 = _mm512_fmadd_ps(x, b1, c01);
        x = _mm512_set1_ps(a1[k]); c10 = _mm512_fmadd_ps(x, b0, c10); c11 = _mm512_fmadd_ps(x, b1, c11);
        x = _mm512_set1_ps(a2[k]); c20 = _mm512_fmadd_ps(x, b0, c20); c21 = _mm512_fmadd_ps(x, b1, c21);
        x = _mm512_set1_ps(a3[k]); c30 = _mm512_fmadd_ps(x, b0, c30); c31 = _mm512_fmadd_ps(x, b1, c31);
        x = _mm512_set1_ps(a4[k]); c40 = _mm512_fmadd_ps(x, b0, c40); c41 = _mm512_fmadd_ps(x, b1, c41);
        x = _mm512_set1_ps(a5[k]); c50 = _mm512_fmadd_ps(x, b0, c50); c51 = _mm512_fmadd_ps(x, b1, c51);
    }
    __m512 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    __m512 bias0 = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
    __m512 bias1 = bias ? _mm512_loadu_ps(bias + NR) : _mm512_setzero_ps();
    for (int r = 0; r < MR; r++) {
        float *row = c + (size_t)r * ldc;
        if (accumulate) {
            _mm512_storeu_ps(row, _mm512_add_ps(_mm512_loadu_ps(row), acc[r][0]));
            _mm512_storeu_ps(row + NR, _mm512_add_ps(_mm512_loadu_ps(row + NR), acc[r][1]));
        } else {
            _mm512_storeu_ps(row, _mm512_add_ps(acc[r][0], bias0));
            _mm512_storeu_ps(row + NR, _mm512_add_ps(acc[r][1], bias1));
        }
    }
}
#endif

#ifdef ATTEND_HAVE_NEON
static void kernel_neon(int kc, const float *a, int lda, const float *b, float *c, int ldc,
                        int accumulate, const float *bias) {
    float32x4_t acc[MR][4];
    for (int r = 0; r < MR; r++)
        for (int q = 0; q < 4; q++) acc[r][q] = vdupq_n_f32(0);
    for (int k = 0; k < kc; k++, b += NR) {
        float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8), b3 = vld1q_f32(b + 12);
        for (int r = 0; r < MR; r++) {
            float x = a[(size_t)r * lda + k];
            acc[r][0] = vfmaq_n_f32(acc[r][0], b0, x);
            acc[r][1] = vfmaq_n_f32(acc[r][1], b1, x);
            acc[r][2] = vfmaq_n_f32(acc[r][2], b2, x);
            acc[r][3] = vfmaq_n_f32(acc[r][3], b3, x);
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

/// The kernels a body runs: `narrow` takes one NR-column panel, `wide` (or NULL) two at once.
typedef struct {
    micro_kernel narrow, wide;
} kernel_pair;

#ifdef ATTEND_HAVE_AVX2
static int cpu_has_avx512(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

int attend_gemm_body_available(int body) {
    switch (body) {
    case ATTEND_GEMM_AUTO: case ATTEND_GEMM_PORTABLE: return 1;
#ifdef ATTEND_HAVE_AVX2
    case ATTEND_GEMM_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case ATTEND_GEMM_AVX512: return cpu_has_avx512();
#endif
#ifdef ATTEND_HAVE_NEON
    case ATTEND_GEMM_NEON: return 1;
#endif
    default: return 0;
    }
}

/// The body `body` names, AUTO resolved: AVX-512F, else AVX2/FMA, else NEON, else portable
/// (ATTEND_PORTABLE=1: portable).
static int resolve(int body) {
    if (body != ATTEND_GEMM_AUTO) return body;
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) return cpu_has_avx512() ? ATTEND_GEMM_AVX512 : ATTEND_GEMM_AVX2;
#endif
#ifdef ATTEND_HAVE_NEON
    return ATTEND_GEMM_NEON;
#endif
    return ATTEND_GEMM_PORTABLE;
}

const char *attend_gemm_body_name(int body) {
    switch (resolve(body)) {
    case ATTEND_GEMM_AVX2: return "avx2-fma";
    case ATTEND_GEMM_AVX512: return "avx512f";
    case ATTEND_GEMM_NEON: return "neon";
    default: return "portable";
    }
}

/// AVX-512's odd last panel runs the AVX2 kernel (a one-panel zmm kernel would hold only six
/// accumulators, too few to hide the FMA latency).
static kernel_pair chosen_kernels(int body) {
    switch (resolve(body)) {
#ifdef ATTEND_HAVE_AVX2
    case ATTEND_GEMM_AVX2: return (kernel_pair){kernel_avx2, NULL};
    case ATTEND_GEMM_AVX512: return (kernel_pair){kernel_avx2, kernel_avx512};
#endif
#ifdef ATTEND_HAVE_NEON
    case ATTEND_GEMM_NEON: return (kernel_pair){kernel_neon, NULL};
#endif
    default: return (kernel_pair){kernel_portable, NULL};
    }
}

size_t attend_gemm_packed_size(int K, int N) { return (size_t)K * (size_t)round_up(N, NR); }

void attend_gemm_pack_b(int K, int N, int kc_block, const float *b, int ldb, int transposed, float *packed) {
    enum { GROUP = 8 };  // panels packed together: reads of B rows stay GROUP·NR floats long
    int npad = round_up(N, NR);
    for (int k0 = 0; k0 < K; k0 += kc_block) {
        int kc = min_int(kc_block, K - k0);
        float *block = packed + (size_t)k0 * npad;
        for (int g0 = 0; g0 < npad; g0 += GROUP * NR) {
            int g1 = min_int(npad, g0 + GROUP * NR);
            if (transposed) {  // B given as [N, K]: row n of the source is column n of B.
                for (int n0 = g0; n0 < g1; n0 += NR) {
                    float *panel = block + (size_t)n0 * kc;
                    int nr = min_int(NR, N - n0);
                    for (int k = 0; k < kc; k++) {
                        float *dst = panel + (size_t)k * NR;
                        for (int j = 0; j < nr; j++) dst[j] = b[(size_t)(n0 + j) * ldb + k0 + k];
                        for (int j = nr; j < NR; j++) dst[j] = 0;
                    }
                }
            } else {  // B is [K, N]: copy each row's run of the group's columns, one panel at a time.
                for (int k = 0; k < kc; k++) {
                    const float *row = b + (size_t)(k0 + k) * ldb;
                    for (int n0 = g0; n0 < g1; n0 += NR) {
                        float *dst = block + (size_t)n0 * kc + (size_t)k * NR;
                        int nr = min_int(NR, N - n0);
                        if (nr == NR) {
                            memcpy(dst, row + n0, sizeof(float) * NR);
                        } else {
                            for (int j = 0; j < NR; j++) dst[j] = j < nr ? row[n0 + j] : 0;
                        }
                    }
                }
            }
        }
    }
}

/// C tiles of rows [0, mc) of A (stride lda, kc columns read) × `panels` packed B panels starting
/// at column n0 (kc×NR floats each, at `pb`): C = A·B (+ bias) or C += A·B when accumulate. Panels
/// go two at a time through the wide kernel when the body has one. A final strip of fewer than MR
/// rows is copied into a zero-padded MR×kc scratch first. With `prefetch`, the next panels are
/// prefetched while these run.
static void multiply_block(kernel_pair kernels, int mc, int kc, const float *a, int lda, const float *pb,
                           int n0, int panels, int N, float *c, int ldc, int accumulate,
                           const float *bias, int prefetch) {
    int full = mc / MR * MR, mr_edge = mc - full;
    float edge_a[MR * KC_MAX];
    if (mr_edge) {
        memset(edge_a, 0, sizeof(float) * MR * (size_t)kc);
        for (int r = 0; r < mr_edge; r++) memcpy(edge_a + r * kc, a + (size_t)(full + r) * lda, sizeof(float) * kc);
    }
    for (int p = 0, step; p < panels; p += step, n0 += step * NR, pb += (size_t)step * kc * NR) {
        step = kernels.wide && p + 1 < panels ? 2 : 1;
        micro_kernel kernel = step == 2 ? kernels.wide : kernels.narrow;
        int width = step * NR, nr = min_int(width, N - n0);
        const float *tile_bias = (!accumulate && bias) ? bias + n0 : NULL;
        float bias_pad[2 * NR];
        if (tile_bias && nr < width) {
            for (int j = 0; j < width; j++) bias_pad[j] = j < nr ? tile_bias[j] : 0;
            tile_bias = bias_pad;
        }
        // Prefetch the next panels (as many floats as these), spread over this step's row strips,
        // so that weights streamed from memory arrive before the kernel needs them.
        const char *next_panel = prefetch && p + step < panels ? (const char *)(pb + (size_t)step * kc * NR) : NULL;
        int lines = kc * width * (int)sizeof(float) / 64, strips = (mc + MR - 1) / MR;
        int lines_per_strip = (lines + strips - 1) / strips;
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = min_int(MR, mc - ir);
            float *ct = c + (size_t)ir * ldc + n0;
            if (next_panel) {
                int first = ir / MR * lines_per_strip, last = min_int(lines, first + lines_per_strip);
                for (int line = first; line < last; line++) __builtin_prefetch(next_panel + (size_t)line * 64, 0, 2);
            }
            const float *ap = mr == MR ? a + (size_t)ir * lda : edge_a;
            int ap_ld = mr == MR ? lda : kc;
            if (mr == MR && nr == width) {
                kernel(kc, ap, ap_ld, pb, ct, ldc, accumulate, tile_bias);
            } else {  // Edge tile: compute into a full scratch tile, copy the valid part.
                float tile[MR * 2 * NR] = {0};
                if (accumulate)
                    for (int r = 0; r < mr; r++) memcpy(tile + r * width, ct + (size_t)r * ldc, sizeof(float) * nr);
                kernel(kc, ap, ap_ld, pb, tile, width, accumulate, tile_bias);
                for (int r = 0; r < mr; r++) memcpy(ct + (size_t)r * ldc, tile + r * width, sizeof(float) * nr);
            }
        }
    }
}

/// C = bias (or 0) over rows [0, M) and the columns of panels [panel_begin, panel_end): K = 0.
static void fill_bias(int M, int N, int panel_begin, int panel_end, float *c, int ldc, const float *bias) {
    for (int i = 0; i < M; i++)
        for (int n = panel_begin * NR; n < min_int(panel_end * NR, N); n++)
            c[(size_t)i * ldc + n] = bias ? bias[n] : 0;
}

void attend_gemm_packed(const attend_gemm_blocking *blocking, int M, int N, int K, const float *a, int lda,
                        const float *packed, int panel_begin, int panel_end, float *c, int ldc, const float *bias) {
    if (K == 0) { fill_bias(M, N, panel_begin, panel_end, c, ldc, bias); return; }
    kernel_pair kernels = chosen_kernels(blocking->body);
    int npad = round_up(N, NR);
    for (int i0 = 0; i0 < M; i0 += blocking->mc) {
        int mc = min_int(blocking->mc, M - i0);
        for (int k0 = 0; k0 < K; k0 += blocking->kc) {
            int kc = min_int(blocking->kc, K - k0);
            const float *first_panel = packed + (size_t)k0 * npad + (size_t)panel_begin * NR * kc;
            multiply_block(kernels, mc, kc, a + (size_t)i0 * lda + k0, lda, first_panel, panel_begin * NR,
                           panel_end - panel_begin, N, c + (size_t)i0 * ldc, ldc, k0 > 0, bias, blocking->prefetch);
        }
    }
}

void attend_gemm(const attend_gemm_blocking *blocking, int M, int N, int K, const float *a, int lda, const float *b, int ldb,
                 int transposed, int panel_begin, int panel_end, float *c, int ldc,
                 const float *bias, float *work) {
    if (K == 0) { fill_bias(M, N, panel_begin, panel_end, c, ldc, bias); return; }
    kernel_pair kernels = chosen_kernels(blocking->body);
    const int nc_panels = blocking->nc / NR;
    for (int j0 = panel_begin; j0 < panel_end; j0 += nc_panels) {
        int panels = min_int(nc_panels, panel_end - j0), n0 = j0 * NR, nc = min_int(panels * NR, N - n0);
        for (int k0 = 0; k0 < K; k0 += blocking->kc) {
            int kc = min_int(blocking->kc, K - k0);
            // Pack B[k0 : k0+kc, n0 : n0+nc] in the layout of one block of attend_gemm_pack_b.
            const float *source = transposed ? b + (size_t)n0 * ldb + k0 : b + (size_t)k0 * ldb + n0;
            attend_gemm_pack_b(kc, nc, kc, source, ldb, transposed, work);
            for (int i0 = 0; i0 < M; i0 += blocking->mc) {
                int mc = min_int(blocking->mc, M - i0);
                multiply_block(kernels, mc, kc, a + (size_t)i0 * lda + k0, lda, work, n0, panels, N,
                               c + (size_t)i0 * ldc, ldc, k0 > 0, bias, blocking->prefetch);
            }
        }
    }
}

void attend_gemm_tile(int M, int N, int K, const float *a, int lda, const float *packed, float *c,
                      int ldc, int accumulate) {
    if (K == 0) {
        if (!accumulate)
            for (int i = 0; i < M; i++) memset(c + (size_t)i * ldc, 0, sizeof(float) * (size_t)N);
        return;
    }
    kernel_pair kernels = chosen_kernels(ATTEND_GEMM_AUTO);
    int npad = round_up(N, NR), panels = npad / NR;
    for (int i0 = 0; i0 < M; i0 += ATTEND_GEMM_MC) {
        int mc = min_int(ATTEND_GEMM_MC, M - i0);
        for (int k0 = 0; k0 < K; k0 += ATTEND_GEMM_KC) {
            int kc = min_int(ATTEND_GEMM_KC, K - k0);
            multiply_block(kernels, mc, kc, a + (size_t)i0 * lda + k0, lda, packed + (size_t)k0 * npad, 0, panels, N,
                           c + (size_t)i0 * ldc, ldc, accumulate || k0 > 0, NULL, 1);
        }
    }
}
