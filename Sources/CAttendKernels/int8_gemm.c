// Int8 GEMM: C[M, N] (int32) = A[M, K] (u8) · B[K, N] (s8), B packed once (layout in
// CAttendKernels.h), and the quantizers that feed it (SPEC §4.6: int8 storage, int32 accumulation).
//
// Value ranges, the same for every body so that all of them give identical, exact int32 sums:
// A is u8 in [0, 255] (activations with a zero point); B is s8 in [−64, 63] (weights in 7 bits).
// AVX2 has no u8×s8 → int32 dot product: vpmaddubsw multiplies u8×s8 pairs and adds each pair into
// a *saturating* int16. With |b| ≤ 64 a pair is at most 2·255·64 = 32640 ≤ 32767, so it never
// saturates and vpmaddwd(·, 1) then widens pairs of pairs into int32 exactly. AVX-512 VNNI's
// vpdpbusd adds the four u8×s8 products straight into int32 (no intermediate saturation) and needs
// no restriction, but keeps it so that its results equal the AVX2 and portable bodies'.
// The sums fit int32 while K·255·64 < 2³¹, i.e. K < 131 595.
//
// Micro-kernels: MR rows × NR = 16 columns of int32 sums over all of K (no K blocking: a packed
// panel is K·16 bytes, 48 KiB at K = 3072, and streams from L2). AVX2: MR = 4, 8 ymm accumulators;
// per group of 4 k: 2 loads of B (32 bytes = 8 columns × 4 k), 4 broadcasts of 4 A bytes, and per
// (row, half) vpmaddubsw + vpmaddwd + vpaddd. AVX-512 VNNI: MR = 8, 8 zmm accumulators; per group
// one 64-byte B load, 8 broadcasts and 8 vpdpbusd.
//
// AVX2 "shift" (for CPUs with one vector integer multiplier, where vpmaddwd's widening costs as much
// as vpmaddubsw's products: Zen 1): MR = 2, 8 ymm accumulators, the pairs widened without a multiply.
// Each int32 lane of p = vpmaddubsw(x, b) holds two exact int16 pair sums, hi and lo (above); as an
// int32, p ^ 0x8000 = 65536·hi + (lo + 32768) exactly (flipping lo's top bit adds 32768 mod 2^16, and
// lo + 32768 ∈ [0, 65535]), and p >> 16 (arithmetic) = hi. So with v = Σ (p ^ 0x8000) and h = Σ hi
// over the k4 groups, Σ (hi + lo) = v − 65535·h − 32768·k4 (mod 2^32) — exact, as the sum fits int32.
// Per group and (row, half): vpmaddubsw, vpxor, vpsrad, two vpaddd — one multiply per 32 MACs.
//
// AVX2 "narrow" (internal, int8_gemm_driver.h: only for operands whose every product |a·b| is at most
// P with (Kp/2)·P ≤ 32767 — HDP's S_I, whose integer parts are small): MR = 4, the pair sums of
// vpmaddubsw added in int16 (vpaddw) over all of K — each int16 lane sums Kp/2 products, so its exact
// sum fits int16 and the wrapping adds end on it — and widened once per tile by vpmaddwd(·, 1). Per
// group and (row, half): vpmaddubsw + vpaddw — one multiply and two instructions per 32 MACs.
#include "CAttendKernels.h"
#include "int8_gemm_driver.h"
#include "simd_target.h"
#include <math.h>
#include <string.h>

enum { NR = ATTEND_I8_NR, MC = ATTEND_I8_MC, MR_MAX = 8, EMIT_ROWS = ATTEND_I8_EMIT_ROWS };

static inline int min_int(int a, int b) { return a < b ? a : b; }
static inline int round_up(int x, int m) { return (x + m - 1) / m * m; }

/// tile[r·16 + j] = Σ_{g < k4} Σ_{q < 4} rows[r][4g + q] · b[64g + 4j + q] for r < MR of the body.
typedef void (*i8_kernel)(int k4, const uint8_t *const *rows, const int8_t *b, int32_t *tile);

static inline int32_t load_u32(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void kernel_portable(int k4, const uint8_t *const *rows, const int8_t *b, int32_t *tile) {
    enum { MR = 4 };
    int32_t acc[MR][NR] = {{0}};
    for (int g = 0; g < k4; g++, b += 4 * NR)
        for (int r = 0; r < MR; r++) {
            const uint8_t *a = rows[r] + 4 * g;
            for (int j = 0; j < NR; j++)
                acc[r][j] += a[0] * b[4 * j] + a[1] * b[4 * j + 1] + a[2] * b[4 * j + 2] + a[3] * b[4 * j + 3];
        }
    memcpy(tile, acc, sizeof acc);
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static void kernel_avx2(int k4, const uint8_t *const *rows, const int8_t *b, int32_t *tile) {
    const uint8_t *a0 = rows[0], *a1 = rows[1], *a2 = rows[2], *a3 = rows[3];
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
#define STEP(a, lo, hi)                                                                         \
    x = _mm256_set1_epi32(load_u32(a + 4 * g));                                                 \
    lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b0), ones));            \
    hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b1), ones));
    for (int g = 0; g < k4; g++, b += 4 * NR) {
        __m256i b0 = _mm256_loadu_si256((const __m256i *)b), b1 = _mm256_loadu_si256((const __m256i *)(b + 32)), x;
        STEP(a0, c00, c01) STEP(a1, c10, c11) STEP(a2, c20, c21) STEP(a3, c30, c31)
    }
#undef STEP
    __m256i acc[8] = {c00, c01, c10, c11, c20, c21, c30, c31};
    for (int i = 0; i < 8; i++) _mm256_storeu_si256((__m256i *)(tile + 8 * i), acc[i]);
}

ATTEND_AVX2 static void kernel_avx2_shift(int k4, const uint8_t *const *rows, const int8_t *b, int32_t *tile) {
    const uint8_t *a0 = rows[0], *a1 = rows[1];
    const __m256i bias = _mm256_set1_epi32(0x8000);
    __m256i v00 = _mm256_setzero_si256(), v01 = v00, v10 = v00, v11 = v00, h00 = v00, h01 = v00, h10 = v00, h11 = v00;
#define STEP(v, h, bv)                                                    \
    {                                                                     \
        __m256i p = _mm256_maddubs_epi16(x, bv);                          \
        v = _mm256_add_epi32(v, _mm256_xor_si256(p, bias));               \
        h = _mm256_add_epi32(h, _mm256_srai_epi32(p, 16));                \
    }
    for (int g = 0; g < k4; g++, b += 4 * NR) {
        __m256i b0 = _mm256_loadu_si256((const __m256i *)b), b1 = _mm256_loadu_si256((const __m256i *)(b + 32)), x;
        x = _mm256_set1_epi32(load_u32(a0 + 4 * g));
        STEP(v00, h00, b0) STEP(v01, h01, b1)
        x = _mm256_set1_epi32(load_u32(a1 + 4 * g));
        STEP(v10, h10, b0) STEP(v11, h11, b1)
    }
#undef STEP
    const __m256i m = _mm256_set1_epi32(65535), offset = _mm256_set1_epi32((int32_t)(32768u * (uint32_t)k4));  // mod 2^32
    __m256i v[4] = {v00, v01, v10, v11}, h[4] = {h00, h01, h10, h11};
    for (int i = 0; i < 4; i++)
        _mm256_storeu_si256((__m256i *)(tile + 8 * i), _mm256_sub_epi32(_mm256_sub_epi32(v[i], _mm256_mullo_epi32(h[i], m)), offset));
}

ATTEND_AVX2 static void kernel_avx2_narrow(int k4, const uint8_t *const *rows, const int8_t *b, int32_t *tile) {
    const uint8_t *a0 = rows[0], *a1 = rows[1], *a2 = rows[2], *a3 = rows[3];
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
#define STEP(a, lo, hi)                                                  \
    x = _mm256_set1_epi32(load_u32(a + 4 * g));                          \
    lo = _mm256_add_epi16(lo, _mm256_maddubs_epi16(x, b0));              \
    hi = _mm256_add_epi16(hi, _mm256_maddubs_epi16(x, b1));
    for (int g = 0; g < k4; g++, b += 4 * NR) {
        __m256i b0 = _mm256_loadu_si256((const __m256i *)b), b1 = _mm256_loadu_si256((const __m256i *)(b + 32)), x;
        STEP(a0, c00, c01) STEP(a1, c10, c11) STEP(a2, c20, c21) STEP(a3, c30, c31)
    }
#undef STEP
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc[8] = {c00, c01, c10, c11, c20, c21, c30, c31};
    for (int i = 0; i < 8; i++) _mm256_storeu_si256((__m256i *)(tile + 8 * i), _mm256_madd_epi16(acc[i], ones));
}

#define ATTEND_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))
ATTEND_VNNI static void kernel_vnni(int k4, const uint8_t *const *rows, const int8_t *b, int32_t *tile) {
    enum { MR = 8 };
    __m512i c[MR];
    for (int r = 0; r < MR; r++) c[r] = _mm512_setzero_si512();
    for (int g = 0; g < k4; g++, b += 4 * NR) {
        __m512i bv = _mm512_loadu_si512((const void *)b);
        for (int r = 0; r < MR; r++) c[r] = _mm512_dpbusd_epi32(c[r], _mm512_set1_epi32(load_u32(rows[r] + 4 * g)), bv);
    }
    for (int r = 0; r < MR; r++) _mm512_storeu_si512((void *)(tile + NR * r), c[r]);
}

static int cpu_has_vnni(void) {
    static _Atomic int decided = -1;
    int use = atomic_load_explicit(&decided, memory_order_relaxed);
    if (use < 0) {
        use = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
              __builtin_cpu_supports("avx512vnni");  // VL: the integer kernels' AVX-512 bodies (int_ops_avx512.c)
        atomic_store_explicit(&decided, use, memory_order_relaxed);
    }
    return use;
}
#endif

int attend_i8_body_available(int body) {
    switch (body) {
    case ATTEND_I8_AUTO: case ATTEND_I8_PORTABLE: return 1;
#ifdef ATTEND_HAVE_AVX2
    case ATTEND_I8_AVX2: case ATTEND_I8_AVX2_SHIFT: case ATTEND_I8_AVX2_NARROW: return __builtin_cpu_supports("avx2");
    case ATTEND_I8_AVX512_VNNI: return cpu_has_vnni();
#endif
    default: return 0;
    }
}

/// The body `body` names, AUTO resolved: VNNI, else AVX2 (its shift variant on Zen 1, measured faster
/// there: BENCHMARKS.md, Zen 1), else portable (ATTEND_PORTABLE=1: portable).
static int resolve(int body) {
    if (body != ATTEND_I8_AUTO) return body;
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma())
        return cpu_has_vnni() ? ATTEND_I8_AVX512_VNNI : __builtin_cpu_is("znver1") ? ATTEND_I8_AVX2_SHIFT : ATTEND_I8_AVX2;
#endif
    return ATTEND_I8_PORTABLE;
}

const char *attend_i8_body_name(int body) {
    switch (resolve(body)) {
    case ATTEND_I8_AVX2: return "avx2";
    case ATTEND_I8_AVX2_SHIFT: return "avx2-shift";
    case ATTEND_I8_AVX2_NARROW: return "avx2-narrow";
    case ATTEND_I8_AVX512_VNNI: return "avx512-vnni";
    default: return "portable";
    }
}

static void choose(int body, i8_kernel *kernel, int *mr) {
    switch (resolve(body)) {
#ifdef ATTEND_HAVE_AVX2
    case ATTEND_I8_AVX2: *kernel = kernel_avx2; *mr = 4; return;
    case ATTEND_I8_AVX2_SHIFT: *kernel = kernel_avx2_shift; *mr = 2; return;
    case ATTEND_I8_AVX2_NARROW: *kernel = kernel_avx2_narrow; *mr = 4; return;
    case ATTEND_I8_AVX512_VNNI: *kernel = kernel_vnni; *mr = 8; return;
#endif
    default: *kernel = kernel_portable; *mr = 4; return;
    }
}

int attend_i8_body_for_products(int body, int K, int32_t max_product) {
    int resolved = resolve(body);
    if (resolved != ATTEND_I8_AVX2 && resolved != ATTEND_I8_AVX2_SHIFT) return resolved;
    return (int64_t)round_up(K, 4) / 2 * max_product <= INT16_MAX ? ATTEND_I8_AVX2_NARROW : resolved;
}

// ---- packing ----------------------------------------------------------------------------------

size_t attend_i8_packed_size(int K, int N) { return (size_t)round_up(K, 4) * (size_t)round_up(N, NR); }

void attend_i8_pack_b(int K, int N, const int8_t *bt, int ldb, int8_t *packed, int32_t *column_sums) {
    int kp = round_up(K, 4), npad = round_up(N, NR);
    memset(packed, 0, (size_t)kp * npad);
    for (int n = 0; n < N; n++) {
        const int8_t *src = bt + (size_t)n * ldb;
        int8_t *panel = packed + (size_t)(n / NR) * kp * NR;
        int j = n % NR;
        int32_t sum = 0;
        for (int k = 0; k < K; k++) {
            panel[(size_t)(k / 4) * 4 * NR + 4 * j + k % 4] = src[k];
            sum += src[k];
        }
        if (column_sums) column_sums[n] = sum;
    }
}

void attend_i8_quantize_weights(int N, int K, const float *w, int ldw, int8_t *q, int ldq, float *scales) {
    for (int n = 0; n < N; n++) {
        const float *row = w + (size_t)n * ldw;
        float amax = 0;
        for (int k = 0; k < K; k++) amax = fmaxf(amax, fabsf(row[k]));
        float scale = amax > 0 ? amax / ATTEND_I8_WEIGHT_MAX : 1, inverse = 1 / scale;
        for (int k = 0; k < K; k++) {
            float v = rintf(row[k] * inverse);
            q[(size_t)n * ldq + k] = (int8_t)fmaxf(-ATTEND_I8_WEIGHT_MAX, fminf(ATTEND_I8_WEIGHT_MAX, v));
        }
        scales[n] = scale;
    }
}

// ---- activation quantizers --------------------------------------------------------------------

/// u = clamp(rint(x · inverse) + zero, 0, 255) for n values; the SIMD body rounds the same way
/// (cvtps rounds to nearest even like rintf in the default mode), so both give identical bytes.
static void quantize_row_portable(int n, const float *x, float inverse, int zero, uint8_t *out) {
    for (int k = 0; k < n; k++) {
        float v = rintf(x[k] * inverse) + (float)zero;
        out[k] = (uint8_t)fmaxf(0, fminf(255, v));
    }
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static void quantize_row_avx2(int n, const float *x, float inverse, int zero, uint8_t *out) {
    __m256 inv = _mm256_set1_ps(inverse), z = _mm256_set1_ps((float)zero), lo = _mm256_setzero_ps(), hi = _mm256_set1_ps(255);
    int k = 0;
    for (; k + 8 <= n; k += 8) {
        __m256 v = _mm256_add_ps(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + k), inv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), z);
        __m256i i = _mm256_cvttps_epi32(_mm256_max_ps(lo, _mm256_min_ps(hi, v)));
        __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
        _mm_storel_epi64((__m128i *)(out + k), _mm_packus_epi16(w, w));
    }
    quantize_row_portable(n - k, x + k, inverse, zero, out + k);
}
#endif

/// Range of a row with 0 included: [min(0, min x), max(0, max x)].
static void row_range_portable(int n, const float *x, float *lo, float *hi) {
    float a = 0, b = 0;
    for (int k = 0; k < n; k++) { a = fminf(a, x[k]); b = fmaxf(b, x[k]); }
    *lo = a; *hi = b;
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static void row_range_avx2(int n, const float *x, float *lo, float *hi) {
    __m256 a = _mm256_setzero_ps(), b = a;
    int k = 0;
    for (; k + 8 <= n; k += 8) { __m256 v = _mm256_loadu_ps(x + k); a = _mm256_min_ps(a, v); b = _mm256_max_ps(b, v); }
    float av[8], bv[8], ta, tb;
    _mm256_storeu_ps(av, a); _mm256_storeu_ps(bv, b);
    row_range_portable(n - k, x + k, &ta, &tb);
    for (int j = 0; j < 8; j++) { ta = fminf(ta, av[j]); tb = fmaxf(tb, bv[j]); }
    *lo = ta; *hi = tb;
}
#endif

/// Range of a row with 0 included (min and max are exact, so both bodies agree).
static void row_range(int body, int n, const float *x, float *lo, float *hi) {
#ifdef ATTEND_HAVE_AVX2
    if (resolve(body) != ATTEND_I8_PORTABLE) { row_range_avx2(n, x, lo, hi); return; }
#endif
    row_range_portable(n, x, lo, hi);
}

static void quantize_row(int body, int n, const float *x, float inverse, int zero, uint8_t *out) {
#ifdef ATTEND_HAVE_AVX2
    if (resolve(body) != ATTEND_I8_PORTABLE) { quantize_row_avx2(n, x, inverse, zero, out); return; }
#endif
    quantize_row_portable(n, x, inverse, zero, out);
}

void attend_u8_quantize_rows(int body, int rows, int K, const float *x, int ldx, uint8_t *out, int ldo,
                             float *scales, int32_t *zeros) {
    int kp = round_up(K, 4);
    for (int i = 0; i < rows; i++) {
        const float *row = x + (size_t)i * ldx;
        float lo, hi;
        row_range(body, K, row, &lo, &hi);
        float scale = hi > lo ? (hi - lo) / 255 : 1;
        int zero = (int)fmaxf(0, fminf(255, rintf(-lo / scale)));
        quantize_row(body, K, row, 1 / scale, zero, out + (size_t)i * ldo);
        memset(out + (size_t)i * ldo + K, 0, (size_t)(kp - K));
        scales[i] = scale;
        zeros[i] = zero;
    }
}

void attend_u8_quantize_rows_static(int body, int rows, int K, const float *x, int ldx, float scale, int zero,
                                    uint8_t *out, int ldo) {
    int kp = round_up(K, 4);
    for (int i = 0; i < rows; i++) {
        quantize_row(body, K, x + (size_t)i * ldx, 1 / scale, zero, out + (size_t)i * ldo);
        memset(out + (size_t)i * ldo + K, 0, (size_t)(kp - K));
    }
}

// ---- driver -----------------------------------------------------------------------------------

_Static_assert(ATTEND_I8_MC % ATTEND_I8_EMIT_ROWS == 0 && ATTEND_I8_EMIT_ROWS % MR_MAX == 0, "emitted tiles start at multiples of MR");

void attend_u8s8_multiply(int body, int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed,
                          int panel_begin, int panel_end, attend_i8_emit emit, void *context) {
    i8_kernel kernel;
    int mr;
    choose(body, &kernel, &mr);
    int kp = round_up(K, 4), k4 = kp / 4;
    int32_t tile[(EMIT_ROWS + MR_MAX) * NR];  // one emitted tile; the last micro-tile may write MR rows past its rows
    for (int i0 = 0; i0 < M; i0 += MC) {
        int mc = min_int(MC, M - i0);
        for (int p = panel_begin; p < panel_end; p++) {
            const int8_t *panel = packed + (size_t)p * kp * NR;
            int n0 = p * NR, columns = min_int(NR, N - n0);
            for (int t0 = i0; t0 < i0 + mc; t0 += EMIT_ROWS) {
                int tile_rows = min_int(EMIT_ROWS, i0 + mc - t0);
                for (int r0 = t0; r0 < t0 + tile_rows; r0 += mr) {
                    int rows = min_int(mr, t0 + tile_rows - r0);
                    const uint8_t *row_pointers[MR_MAX];
                    for (int r = 0; r < mr; r++) row_pointers[r] = a + (size_t)(r0 + min_int(r, rows - 1)) * lda;  // edge: repeat the last row
                    kernel(k4, row_pointers, panel, tile + (size_t)(r0 - t0) * NR);
                }
                emit(tile, t0, tile_rows, n0, columns, context);
            }
        }
    }
}

typedef struct { int32_t *c; int ldc; } raw_context;

static void emit_raw(const int32_t *tile, int i0, int rows, int n0, int columns, void *context) {
    raw_context *out = context;
    for (int r = 0; r < rows; r++) {  // a plain loop: a memcpy call per 16 values costs more than the copy
        int32_t *to = out->c + (size_t)(i0 + r) * out->ldc + n0;
        const int32_t *from = tile + r * NR;
        for (int j = 0; j < columns; j++) to[j] = from[j];
    }
}

void attend_u8s8_gemm(int body, int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed,
                      int panel_begin, int panel_end, int32_t *c, int ldc) {
    raw_context out = {c, ldc};
    attend_u8s8_multiply(body, M, N, K, a, lda, packed, panel_begin, panel_end, emit_raw, &out);
}

typedef struct {
    const float *row_scales;
    const int32_t *row_zeros;
    const float *column_scales;
    const int32_t *column_sums;
    const float *bias;
    float *c;
    int ldc;
} dequant_context;

/// c = (float)(tile − z_i·Σ_k B[k, n]) · (s_i · s_n) + bias_n for the tile's rows and columns.
static void emit_dequantized(const int32_t *tile, int i0, int rows, int n0, int columns, void *context) {
    const dequant_context *e = context;
    for (int r = 0; r < rows; r++) {
        int i = i0 + r;
        float s = e->row_scales[i];
        int32_t z = e->row_zeros[i];
        float *out = e->c + (size_t)i * e->ldc + n0;
        for (int j = 0; j < columns; j++) {
            int n = n0 + j;
            out[j] = (float)(tile[r * NR + j] - z * e->column_sums[n]) * (s * e->column_scales[n]) + (e->bias ? e->bias[n] : 0);
        }
    }
}

#ifdef ATTEND_HAVE_AVX2
/// emit_dequantized for full 16-column tiles, 8 columns per step (fused multiply-add: may differ
/// from the portable epilogue in the last bit).
ATTEND_AVX2 static void emit_dequantized_avx2(const int32_t *tile, int i0, int rows, int n0, int columns, void *context) {
    if (columns < NR) { emit_dequantized(tile, i0, rows, n0, columns, context); return; }
    const dequant_context *e = context;
    __m256 cs[2], bias[2];
    __m256i sums[2];
    for (int h = 0; h < 2; h++) {
        cs[h] = _mm256_loadu_ps(e->column_scales + n0 + 8 * h);
        sums[h] = _mm256_loadu_si256((const __m256i *)(e->column_sums + n0 + 8 * h));
        bias[h] = e->bias ? _mm256_loadu_ps(e->bias + n0 + 8 * h) : _mm256_setzero_ps();
    }
    for (int r = 0; r < rows; r++) {
        int i = i0 + r;
        __m256 s = _mm256_set1_ps(e->row_scales[i]);
        __m256i z = _mm256_set1_epi32(e->row_zeros[i]);
        float *out = e->c + (size_t)i * e->ldc + n0;
        for (int h = 0; h < 2; h++) {
            __m256i acc = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(tile + r * NR + 8 * h)), _mm256_mullo_epi32(z, sums[h]));
            _mm256_storeu_ps(out + 8 * h, _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc), _mm256_mul_ps(s, cs[h]), bias[h]));
        }
    }
}
#endif

void attend_u8s8_gemm_dequantized(int body, int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed,
                                  int panel_begin, int panel_end, const float *row_scales, const int32_t *row_zeros,
                                  const float *column_scales, const int32_t *column_sums, const float *bias,
                                  float *c, int ldc) {
    dequant_context e = {row_scales, row_zeros, column_scales, column_sums, bias, c, ldc};
#ifdef ATTEND_HAVE_AVX2
    if (resolve(body) != ATTEND_I8_PORTABLE) {
        attend_u8s8_multiply(body, M, N, K, a, lda, packed, panel_begin, panel_end, emit_dequantized_avx2, &e);
        return;
    }
#endif
    attend_u8s8_multiply(body, M, N, K, a, lda, packed, panel_begin, panel_end, emit_dequantized, &e);
}
