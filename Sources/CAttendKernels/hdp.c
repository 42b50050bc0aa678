// Hybrid dynamic pruning kernels (HDP, arXiv 2407.12893; SPEC §4.4): the integer importance product
// and the per-row execution of the kept blocks. Bodies are written once as always-inline functions
// and instantiated twice: with AVX2 enabled (chosen at run time) and portable.
#include "CAttendKernels.h"
#include "int8_gemm_driver.h"
#include "simd_target.h"
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define INLINE static inline __attribute__((always_inline))
/// Kept out of line so that profiles name each stage of the VNNI body (called once per block-row or pair).
#define NOINLINE __attribute__((noinline))

/// Rows of Q, K and V lie a whole QKV row apart (a page or more: the hardware prefetchers do not
/// follow them), and a batch's QKV output is larger than the caches; loops that read them row by row
/// ask for the row PREFETCH_ROWS ahead themselves.
enum { PREFETCH_ROWS = 8 };
INLINE void prefetch_row(const float *row, int d) {
    for (int c = 0; c < d; c += 16) __builtin_prefetch(row + c, 0, 3);
}

// ---- integer scores ---------------------------------------------------------------------------
INLINE int32_t dot_i16(const int16_t *a, const int16_t *b, int d) {
    int32_t sum = 0;
    for (int c = 0; c < d; c++) sum += (int32_t)a[c] * (int32_t)b[c];
    return sum;
}

INLINE void int_scores_body(int m, int n, int d, const int16_t *a, int lda, const int16_t *b, int ldb,
                            int32_t *c, int ldc) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = dot_i16(a + (size_t)i * lda, b + (size_t)j * ldb, d);
}

#ifdef ATTEND_HAVE_AVX2
/// a · b_k for four rows b_k (int16, length d): pairs multiplied and added by vpmaddwd into int32
/// lanes, then one horizontal reduction shared by the four sums.
ATTEND_AVX2 static inline __m128i dot4_i16_avx2(const int16_t *a, const int16_t *const b[4], int d) {
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
    int c = 0;
    for (; c + 16 <= d; c += 16) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(a + c));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(x, _mm256_loadu_si256((const __m256i *)(b[0] + c))));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(x, _mm256_loadu_si256((const __m256i *)(b[1] + c))));
        s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(x, _mm256_loadu_si256((const __m256i *)(b[2] + c))));
        s3 = _mm256_add_epi32(s3, _mm256_madd_epi16(x, _mm256_loadu_si256((const __m256i *)(b[3] + c))));
    }
    // Per 128-bit lane: hadd(hadd(s0, s1), hadd(s2, s3)) = [Σ s0, Σ s1, Σ s2, Σ s3] of that lane.
    __m256i t = _mm256_hadd_epi32(_mm256_hadd_epi32(s0, s1), _mm256_hadd_epi32(s2, s3));
    __m128i sums = _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
    if (c < d) {
        int32_t tail[4] = {0};
        for (; c < d; c++)
            for (int k = 0; k < 4; k++) tail[k] += (int32_t)a[c] * (int32_t)b[k][c];
        sums = _mm_add_epi32(sums, _mm_loadu_si128((const __m128i *)tail));
    }
    return sums;
}

ATTEND_AVX2 static void int_scores_avx2(int m, int n, int d, const int16_t *a, int lda, const int16_t *b, int ldb,
                                        int32_t *c, int ldc) {
    for (int i = 0; i < m; i++) {
        const int16_t *ai = a + (size_t)i * lda;
        int32_t *ci = c + (size_t)i * ldc;
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            const int16_t *rows[4] = {b + (size_t)j * ldb, b + (size_t)(j + 1) * ldb, b + (size_t)(j + 2) * ldb, b + (size_t)(j + 3) * ldb};
            _mm_storeu_si128((__m128i *)(ci + j), dot4_i16_avx2(ai, rows, d));
        }
        for (; j < n; j++) ci[j] = dot_i16(ai, b + (size_t)j * ldb, d);
    }
}
#endif

void attend_int_scores_portable(int m, int n, int d, const int16_t *a, int lda, const int16_t *b, int ldb,
                                int32_t *c, int ldc) {
    int_scores_body(m, n, d, a, lda, b, ldb, c, ldc);
}

void attend_int_scores(int m, int n, int d, const int16_t *a, int lda, const int16_t *b, int ldb,
                       int32_t *c, int ldc) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { int_scores_avx2(m, n, d, a, lda, b, ldb, c, ldc); return; }
#endif
    attend_int_scores_portable(m, n, d, a, lda, b, ldb, c, ldc);
}

INLINE void block_abs_sums_body(int m, int n, const int32_t *s, int lds, int block, int64_t *out) {
    int columns = (n + block - 1) / block;
    for (int r = 0; r * block < m; r++) {
        int64_t *sums = out + (size_t)r * columns;
        for (int c = 0; c < columns; c++) sums[c] = 0;
        for (int i = r * block; i < m && i < (r + 1) * block; i++) {
            const int32_t *row = s + (size_t)i * lds;
            int c = 0;
            if (block == 2)  // the default: pairs, in a loop the compiler vectorizes
                for (; 2 * c + 1 < n; c++) sums[c] += (int64_t)abs(row[2 * c]) + (int64_t)abs(row[2 * c + 1]);
            for (int j = c * block; j < n; j++) sums[j / block] += abs(row[j]);
        }
    }
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static void block_abs_sums_avx2(int m, int n, const int32_t *s, int lds, int block, int64_t *out) {
    block_abs_sums_body(m, n, s, lds, block, out);
}
#endif

void attend_block_abs_sums_portable(int m, int n, const int32_t *s, int lds, int block, int64_t *out) {
    block_abs_sums_body(m, n, s, lds, block, out);
}

void attend_block_abs_sums(int m, int n, const int32_t *s, int lds, int block, int64_t *out) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { block_abs_sums_avx2(m, n, s, lds, block, out); return; }
#endif
    attend_block_abs_sums_portable(m, n, s, lds, block, out);
}

// ---- int8 operands of S_I --------------------------------------------------------------------------
INLINE int int8_operands_body(int nq, int nk, int d, const int16_t *qi, int ldq, const int16_t *ki, int ldk,
                              uint8_t *a, int lda, int8_t *bt, int32_t *offset, int32_t *max_product) {
    int lo = 0, hi = 0, k_lo = 0, k_hi = 0;  // Q_I's and K_I's ranges with 0 included
    for (int i = 0; i < nq; i++) {
        const int16_t *x = qi + (size_t)i * ldq;
        for (int c = 0; c < d; c++) { lo = x[c] < lo ? x[c] : lo; hi = x[c] > hi ? x[c] : hi; }
    }
    for (int j = 0; j < nk; j++) {
        const int16_t *x = ki + (size_t)j * ldk;
        int8_t *row = bt + (size_t)j * d;
        for (int c = 0; c < d; c++) {
            k_lo = x[c] < k_lo ? x[c] : k_lo;
            k_hi = x[c] > k_hi ? x[c] : k_hi;
            row[c] = (int8_t)x[c];
        }
    }
    if (lo < -128 || hi > 127 || k_lo < -64 || k_hi > 63) return 0;
    int shift = -lo;  // u = Q_I − min(0, min Q_I) ∈ [0, hi − lo] ⊂ [0, 255]
    for (int i = 0; i < nq; i++) {
        const int16_t *x = qi + (size_t)i * ldq;
        uint8_t *row = a + (size_t)i * lda;
        for (int c = 0; c < d; c++) row[c] = (uint8_t)(x[c] + shift);
        for (int c = d; c < lda; c++) row[c] = 0;
    }
    *offset = shift;
    *max_product = (hi - lo) * (-k_lo > k_hi ? -k_lo : k_hi);
    return 1;
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static int int8_operands_avx2(int nq, int nk, int d, const int16_t *qi, int ldq, const int16_t *ki, int ldk,
                                          uint8_t *a, int lda, int8_t *bt, int32_t *offset, int32_t *max_product) {
    return int8_operands_body(nq, nk, d, qi, ldq, ki, ldk, a, lda, bt, offset, max_product);
}
#endif

int attend_hdp_int8_operands(int nq, int nk, int d, const int16_t *qi, int ldq, const int16_t *ki, int ldk,
                             uint8_t *a, int lda, int8_t *bt, int32_t *offset, int32_t *max_product) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) return int8_operands_avx2(nq, nk, d, qi, ldq, ki, ldk, a, lda, bt, offset, max_product);
#endif
    return int8_operands_body(nq, nk, d, qi, ldq, ki, ldk, a, lda, bt, offset, max_product);
}

/// S_I and θ from the int8 GEMM's tiles: the offset correction, the store, and the block sums of
/// |S_I| while the tile is in registers and L1, instead of two more passes over the n² matrix.
typedef struct {
    int32_t *s;
    int lds, block, key_blocks, int32_blocks;
    const int32_t *column_sums;
    int32_t offset;
    int64_t *theta;
} importance_context;

INLINE int64_t abs64(int32_t v) { return v < 0 ? -(int64_t)v : (int64_t)v; }

INLINE void importance_tile_body(const int32_t *tile, int i0, int rows, int n0, int columns, const importance_context *e) {
    enum { NR = ATTEND_I8_NR };
    int32_t v[8 * NR];  // the corrected tile (rows ≤ 8, the int8 GEMM's largest MR)
    for (int r = 0; r < rows; r++) {
        for (int j = 0; j < columns; j++)  // wrapping, as the int32 sums themselves
            v[r * NR + j] = (int32_t)((uint32_t)tile[r * NR + j] - (uint32_t)e->offset * (uint32_t)e->column_sums[n0 + j]);
        if (e->s) memcpy(e->s + (size_t)(i0 + r) * e->lds + n0, v + r * NR, sizeof(int32_t) * (size_t)columns);
    }
    int b = e->block;
    if (b == 2) {  // tiles start at even rows and columns, so every block lies in one tile: θ written once
        for (int r = 0; r < rows; r += 2) {
            const int32_t *x0 = v + r * NR, *x1 = r + 1 < rows ? x0 + NR : NULL;
            int64_t *out = e->theta + (size_t)((i0 + r) / 2) * e->key_blocks + n0 / 2;
            if (x1 && columns == NR) {  // the common full tile, in loops that vectorize
                for (int c = 0; c < NR / 2; c++) out[c] = abs64(x0[2 * c]) + abs64(x0[2 * c + 1]) + abs64(x1[2 * c]) + abs64(x1[2 * c + 1]);
                continue;
            }
            for (int c = 0; 2 * c < columns; c++) {
                int64_t sum = 0;
                for (int j = 2 * c; j < 2 * c + 2 && j < columns; j++) sum += abs64(x0[j]) + (x1 ? abs64(x1[j]) : 0);
                out[c] = sum;
            }
        }
    } else {  // blocks may span tiles: θ was zeroed, every entry adds to its block
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < columns; j++) e->theta[(size_t)((i0 + r) / b) * e->key_blocks + (n0 + j) / b] += abs64(v[r * NR + j]);
    }
}

_Static_assert(ATTEND_I8_MC % 8 == 0, "tiles of 2-row blocks must start at even rows");

/// importance_tile_body over a tile of any height, 8 rows at a time (chunks start at even rows).
static void importance_tile_chunks(const int32_t *tile, int i0, int rows, int n0, int columns, const importance_context *e) {
    for (int r = 0; r < rows; r += 8) importance_tile_body(tile + (size_t)r * ATTEND_I8_NR, i0 + r, rows - r < 8 ? rows - r : 8, n0, columns, e);
}

static void importance_tile_portable(const int32_t *tile, int i0, int rows, int n0, int columns, void *context) {
    importance_tile_chunks(tile, i0, rows, n0, columns, context);
}

#ifdef ATTEND_HAVE_AVX2
/// Full tiles of 2 × 2 blocks in registers: per pair of rows the corrected sums stored, |·| of the two
/// rows added, adjacent columns added (vphaddd) and widened to the 8 blocks' θ. Four |S_I| of a block
/// fit an int32 when K < 2^16 (|S_I| ≤ K·128·64); other tiles take the portable body.
ATTEND_AVX2 static void importance_tile_avx2(const int32_t *tile, int i0, int rows, int n0, int columns, void *context) {
    const importance_context *e = context;
    if (e->block != 2 || columns != ATTEND_I8_NR || !e->int32_blocks) {
        importance_tile_chunks(tile, i0, rows, n0, columns, e);
        return;
    }
    if (rows % 2) importance_tile_chunks(tile + (size_t)(rows - 1) * ATTEND_I8_NR, i0 + rows - 1, 1, n0, columns, e);  // the matrix's last row
    const __m256i offset = _mm256_set1_epi32(e->offset);
    const __m256i c0 = _mm256_mullo_epi32(offset, _mm256_loadu_si256((const __m256i *)(e->column_sums + n0)));
    const __m256i c1 = _mm256_mullo_epi32(offset, _mm256_loadu_si256((const __m256i *)(e->column_sums + n0 + 8)));
    for (int r = 0; r + 2 <= rows; r += 2) {
        const int32_t *t0 = tile + r * ATTEND_I8_NR, *t1 = t0 + ATTEND_I8_NR;
        __m256i x00 = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)t0), c0);
        __m256i x01 = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(t0 + 8)), c1);
        __m256i x10 = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)t1), c0);
        __m256i x11 = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(t1 + 8)), c1);
        if (e->s) {
            int32_t *s0 = e->s + (size_t)(i0 + r) * e->lds + n0, *s1 = s0 + e->lds;
            _mm256_storeu_si256((__m256i *)s0, x00);
            _mm256_storeu_si256((__m256i *)(s0 + 8), x01);
            _mm256_storeu_si256((__m256i *)s1, x10);
            _mm256_storeu_si256((__m256i *)(s1 + 8), x11);
        }
        __m256i low = _mm256_add_epi32(_mm256_abs_epi32(x00), _mm256_abs_epi32(x10));   // columns 0…7
        __m256i high = _mm256_add_epi32(_mm256_abs_epi32(x01), _mm256_abs_epi32(x11));  // columns 8…15
        // Per 128-bit lane vphaddd gives blocks [0 1 4 5 | 2 3 6 7]; the 64-bit permute restores 0…7.
        __m256i blocks = _mm256_permute4x64_epi64(_mm256_hadd_epi32(low, high), 0xD8);
        int64_t *out = e->theta + (size_t)((i0 + r) / 2) * e->key_blocks + n0 / 2;
        _mm256_storeu_si256((__m256i *)out, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(blocks)));
        _mm256_storeu_si256((__m256i *)(out + 4), _mm256_cvtepi32_epi64(_mm256_extracti128_si256(blocks, 1)));
    }
}
#endif

#ifdef ATTEND_HAVE_AVX2
static int importance_vnni(int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed, const int32_t *column_sums,
                           int32_t offset, int32_t *s, int lds, int64_t *theta);
#endif

int attend_hdp_importance(int body, int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed, const int32_t *column_sums,
                          int32_t offset, int32_t max_product, int32_t *s, int lds, int block, int64_t *theta) {
    if (!attend_i8_body_available(body)) return 0;
#ifdef ATTEND_HAVE_AVX2
    int vnni = body == ATTEND_I8_AVX512_VNNI || (body == ATTEND_I8_AUTO && attend_i8_body_available(ATTEND_I8_AVX512_VNNI) &&
                                                 attend_cpu_has_avx2_fma());
    if (vnni && block == 2 && K < (1 << 16) && importance_vnni(M, N, K, a, lda, packed, column_sums, offset, s, lds, theta)) return 1;
#endif
    int rows = (M + block - 1) / block, key_blocks = (N + block - 1) / block;
    if (block != 2) memset(theta, 0, sizeof(int64_t) * (size_t)rows * (size_t)key_blocks);
    importance_context e = {s, lds, block, key_blocks, K < (1 << 16), column_sums, offset, theta};
    attend_i8_emit emit = importance_tile_portable;
#ifdef ATTEND_HAVE_AVX2
    if (body != ATTEND_I8_PORTABLE && attend_cpu_has_avx2_fma()) emit = importance_tile_avx2;
#endif
    int run = attend_i8_body_for_products(body, K, max_product);
    attend_u8s8_multiply(run, M, N, K, a, lda, packed, 0, (N + ATTEND_I8_NR - 1) / ATTEND_I8_NR, emit, &e);
    return run == ATTEND_I8_AVX2_NARROW ? 2 : 1;
}

// ---- decisions ---------------------------------------------------------------------------------
// Scalar C without a SIMD target, so that no multiply-add is fused: the same double arithmetic, in
// the same order, as BlockSelection.rowBalanced and the Swift sum of the importances (the references).

/// Σ θ in order as doubles — the reference — for sums that may not be exact in a double.
static double importance_total_reference(const int64_t *theta, size_t count) {
    double sum = 0;
    for (size_t i = 0; i < count; i++) sum += (double)theta[i];
    return sum;
}

// θ ≥ 0 are integers: while their total stays below 2^53 every partial sum is exact in a double,
// so the in-order double sum equals the exact int64 sum converted once, in any order of addition.
#define EXACT_LIMIT ((int64_t)1 << 53)

/// Σ of n int64 values and the OR of their bits (n ≤ 2^20; with every value in [0, 2^33) — no bit
/// from 33 up in the OR — Σ cannot wrap), one pass that vectorizes.
INLINE int64_t int64_sum_or_body(const int64_t *x, size_t n, uint64_t *bits) {
    int64_t s = 0;
    uint64_t any = 0;
    for (size_t i = 0; i < n; i++) { s += x[i]; any |= (uint64_t)x[i]; }
    *bits = any;
    return s;
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static int64_t int64_sum_or_avx2(const int64_t *x, size_t n, uint64_t *bits) { return int64_sum_or_body(x, n, bits); }
#endif

double attend_hdp_importance_total(const int64_t *theta, size_t count) {
    // Chunks of 2^20 values in [0, 2^33): no chunk sum wraps, and the running total is tested against
    // 2^53 after each chunk. Anything else takes the reference.
    int64_t total = 0;
    const size_t chunk = (size_t)1 << 20;
    for (size_t i = 0; i < count; i += chunk) {
        size_t n = count - i < chunk ? count - i : chunk;
        uint64_t bits;
        int64_t sum;
#ifdef ATTEND_HAVE_AVX2
        if (attend_cpu_has_avx2_fma()) sum = int64_sum_or_avx2(theta + i, n, &bits);
        else
#endif
            sum = int64_sum_or_body(theta + i, n, &bits);
        if (bits >> 33) return importance_total_reference(theta, count);
        total += sum;
        if (total >= EXACT_LIMIT) return importance_total_reference(theta, count);
    }
    return (double)total;
}

/// Energon's threshold of a row with min, max and mean (the reference's expression, not fused).
static double row_threshold(double low, double high, double mean, double rho) {
    return rho >= 0 ? rho * high + (1 - rho) * mean : -rho * low + (1 + rho) * mean;
}

/// One block-row as BlockSelection.rowBalanced does it, in doubles: the reference.
static void row_balanced_reference(const int64_t *row, int columns, double rho, unsigned char *out) {
    double low = (double)row[0], high = low, sum = 0;
    int best = 0;
    for (int c = 0; c < columns; c++) {
        double v = (double)row[c];
        sum += v;
        low = v < low ? v : low;
        if (v > high) { high = v; best = c; }
    }
    double cut = row_threshold(low, high, sum / (double)columns, rho);
    for (int c = 0; c < columns; c++) out[c] = (double)row[c] >= cut;
    out[best] = 1;
}

/// min, max and Σ of a row of int64 (exact in every body).
INLINE void row_stats_body(const int64_t *row, int columns, int64_t *low, int64_t *high, int64_t *sum) {
    int64_t lo = row[0], hi = row[0], s = 0;
    for (int c = 0; c < columns; c++) { lo = row[c] < lo ? row[c] : lo; hi = row[c] > hi ? row[c] : hi; s += row[c]; }
    *low = lo; *high = hi; *sum = s;
}

/// out[c] = row[c] ≥ cut for an integer cut.
INLINE void row_at_least_body(const int64_t *row, int columns, int64_t cut, unsigned char *out) {
    for (int c = 0; c < columns; c++) out[c] = row[c] >= cut;
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static void row_stats_avx2(const int64_t *row, int columns, int64_t *low, int64_t *high, int64_t *sum) {
    row_stats_body(row, columns, low, high, sum);
}
/// The same with AVX-512's 64-bit min and max (AVX2 has none).
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void row_stats_avx512(const int64_t *row, int columns, int64_t *low,
                                                                                  int64_t *high, int64_t *sum) {
    row_stats_body(row, columns, low, high, sum);
}
ATTEND_AVX2 static void row_at_least_avx2(const int64_t *row, int columns, int64_t cut, unsigned char *out) {
    row_at_least_body(row, columns, cut, out);
}
#endif

void attend_hdp_row_balanced(const int64_t *theta, int rows, int columns, double rho, unsigned char *kept) {
    if (columns <= 0) return;
    int simd = 0;  // 0 portable, 1 AVX2, 2 AVX-512
#ifdef ATTEND_HAVE_AVX2
    simd = attend_cpu_has_avx2_fma() ? (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") ? 2 : 1) : 0;
#endif
    for (int r = 0; r < rows; r++) {
        const int64_t *row = theta + (size_t)r * columns;
        unsigned char *out = kept + (size_t)r * columns;
        int64_t low, high, sum;
#ifdef ATTEND_HAVE_AVX2
        if (simd == 2) row_stats_avx512(row, columns, &low, &high, &sum);
        else if (simd) row_stats_avx2(row, columns, &low, &high, &sum);
        else
#endif
            row_stats_body(row, columns, &low, &high, &sum);
        // Exact in doubles (θ ≥ 0, Σ < 2^53): the reference's min, max, Σ and so its threshold; an
        // integer θ passes θ ≥ cut exactly when θ ≥ ⌈cut⌉. Otherwise the reference itself.
        if (low < 0 || sum >= EXACT_LIMIT || simd == 0) { row_balanced_reference(row, columns, rho, out); continue; }
        double cut = ceil(row_threshold((double)low, (double)high, (double)sum / (double)columns, rho));
        int64_t at_least = cut > (double)high ? high + 1 : (cut < 0 ? 0 : (int64_t)cut);
#ifdef ATTEND_HAVE_AVX2
        row_at_least_avx2(row, columns, at_least, out);
#endif
        int best = 0;
        while (row[best] != high) best++;  // the first maximum
        out[best] = 1;
    }
}

// ---- counts of a block mask ----------------------------------------------------------------------
/// Kept blocks, entries and key rows of kept: [rows, columns] (the mask of attend_hdp_kept_counts),
/// per chunk of 256 columns: Σ over the full block-rows in int32 counters (a loop that vectorizes),
/// the last, possibly partial, block-row weighted by its height.
INLINE void kept_counts_body(const unsigned char *kept, int queries, int keys, int block, int64_t *blocks, int64_t *entries,
                             int64_t *key_rows) {
    enum { CHUNK = 256 };
    int rows = (queries + block - 1) / block, columns = (keys + block - 1) / block, last = rows - 1;
    int last_height = queries - last * block;
    int64_t kept_blocks = 0, kept_entries = 0, rows_read = 0;
    for (int c0 = 0; c0 < columns; c0 += CHUNK) {
        int n = columns - c0 < CHUNK ? columns - c0 : CHUNK;
        int32_t full[CHUNK] = {0};  // kept blocks of the column in block-rows before the last
        for (int r = 0; r < last; r++) {
            const unsigned char *row = kept + (size_t)r * columns + c0;
            for (int c = 0; c < n; c++) full[c] += row[c];
        }
        const unsigned char *tail = kept + (size_t)last * columns + c0;
        for (int c = 0; c < n; c++) {
            int64_t query_rows = (int64_t)block * full[c] + (int64_t)last_height * tail[c];  // query rows keeping the column
            int width = (c0 + c + 1) * block < keys ? block : keys - (c0 + c) * block;
            kept_blocks += full[c] + tail[c];
            kept_entries += width * query_rows;
            rows_read += query_rows > 0 ? width : 0;
        }
    }
    *blocks = kept_blocks;
    *entries = kept_entries;
    *key_rows = rows_read;
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static void kept_counts_avx2(const unsigned char *kept, int queries, int keys, int block, int64_t *blocks, int64_t *entries,
                                         int64_t *key_rows) {
    kept_counts_body(kept, queries, keys, block, blocks, entries, key_rows);
}
#endif

void attend_hdp_kept_counts(const unsigned char *kept, int queries, int keys, int block, int64_t *blocks, int64_t *entries,
                            int64_t *key_rows) {
    *blocks = *entries = *key_rows = 0;
    if (queries <= 0 || keys <= 0) return;
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { kept_counts_avx2(kept, queries, keys, block, blocks, entries, key_rows); return; }
#endif
    kept_counts_body(kept, queries, keys, block, blocks, entries, key_rows);
}

/// Bit i % 64 of words[i / 64] = (flags[i] != 0) for i < count, the rest of the last word zero.
INLINE void pack_flags_body(const unsigned char *flags, size_t count, uint64_t *words) {
    for (size_t w = 0; w * 64 < count; w++) {
        uint64_t bits = 0;
        size_t n = count - w * 64 < 64 ? count - w * 64 : 64;
        for (size_t j = 0; j < n; j++) bits |= (uint64_t)(flags[w * 64 + j] != 0) << j;
        words[w] = bits;
    }
}

#ifdef ATTEND_HAVE_AVX2
/// 32 flags per compare with zero and byte mask (vpmovmskb); the last, partial word as the portable body.
ATTEND_AVX2 static void pack_flags_avx2(const unsigned char *flags, size_t count, uint64_t *words) {
    const __m256i zero = _mm256_setzero_si256();
    size_t w = 0;
    for (; (w + 1) * 64 <= count; w++) {
        __m256i low = _mm256_loadu_si256((const __m256i *)(flags + w * 64)), high = _mm256_loadu_si256((const __m256i *)(flags + w * 64 + 32));
        uint32_t zero_low = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(low, zero));
        uint32_t zero_high = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(high, zero));
        words[w] = ~((uint64_t)zero_high << 32 | zero_low);
    }
    if (w * 64 < count) pack_flags_body(flags + w * 64, count - w * 64, words + w);
}
#endif

void attend_pack_flags_portable(const unsigned char *flags, size_t count, uint64_t *words) { pack_flags_body(flags, count, words); }

void attend_pack_flags(const unsigned char *flags, size_t count, uint64_t *words) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { pack_flags_avx2(flags, count, words); return; }
#endif
    pack_flags_body(flags, count, words);
}

// ---- fixed point --------------------------------------------------------------------------------
INLINE void fixed_point_split_body(int rows, int d, const float *x, int ldx, int total_bits, int fraction_bits,
                                   int fraction_first, int16_t *out) {
    float scale = (float)(1 << fraction_bits);
    float min_code = -(float)(1 << (total_bits - 1)), max_code = (float)((1 << (total_bits - 1)) - 1);
    int integer_offset = fraction_first ? d : 0, fraction_offset = fraction_first ? 0 : d;
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * ldx;
        int16_t *o = out + (size_t)r * 2 * d;
        for (int c = 0; c < d; c++) {
            float v = xr[c] * scale, whole = truncf(v);
            // Half away from zero: v − trunc(v) is exact, so the tie test is too.
            float rounded = fabsf(v - whole) >= 0.5f ? whole + copysignf(1.0f, v) : whole;
            float clamped = rounded >= max_code ? max_code : rounded;
            int32_t code = !(rounded > min_code) ? (rounded != rounded ? 0 : (int32_t)min_code) : (int32_t)clamped;
            int32_t integer = code >> fraction_bits;
            o[integer_offset + c] = (int16_t)integer;
            o[fraction_offset + c] = (int16_t)(code - integer * (1 << fraction_bits));
        }
    }
}

#ifdef ATTEND_HAVE_AVX2
/// The portable body's steps on 8 lanes, every one exact (scaling by 2^f, truncation, the tie test,
/// clamping), so both bodies give identical codes; the tail of each row runs the portable body.
ATTEND_AVX2 static void fixed_point_split_avx2(int rows, int d, const float *x, int ldx, int total_bits, int fraction_bits,
                                               int fraction_first, int16_t *out) {
    const __m256 scale = _mm256_set1_ps((float)(1 << fraction_bits)), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 min_code = _mm256_set1_ps(-(float)(1 << (total_bits - 1))), max_code = _mm256_set1_ps((float)((1 << (total_bits - 1)) - 1));
    const __m128i shift = _mm_cvtsi32_si128(fraction_bits);
    int integer_offset = fraction_first ? d : 0, fraction_offset = fraction_first ? 0 : d, body = d / 8 * 8;
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * ldx;
        int16_t *o = out + (size_t)r * 2 * d;
        if (r + PREFETCH_ROWS < rows) prefetch_row(xr + (size_t)PREFETCH_ROWS * ldx, d);
        for (int c = 0; c < body; c += 8) {
            __m256 v = _mm256_mul_ps(_mm256_loadu_ps(xr + c), scale);
            __m256 whole = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
            __m256 away = _mm256_add_ps(whole, _mm256_or_ps(one, _mm256_and_ps(v, sign)));
            __m256 tie = _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_sub_ps(v, whole)), half, _CMP_GE_OQ);  // NaN (±∞ − ±∞): false
            __m256 rounded = _mm256_blendv_ps(whole, away, tie);
            __m256 clamped = _mm256_max_ps(_mm256_min_ps(rounded, max_code), min_code);
            __m256i code = _mm256_andnot_si256(_mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)), _mm256_cvttps_epi32(clamped));
            __m256i integer = _mm256_sra_epi32(code, shift);
            __m256i fraction = _mm256_sub_epi32(code, _mm256_sll_epi32(integer, shift));
            _mm_storeu_si128((__m128i *)(o + integer_offset + c), _mm_packs_epi32(_mm256_castsi256_si128(integer), _mm256_extracti128_si256(integer, 1)));
            _mm_storeu_si128((__m128i *)(o + fraction_offset + c), _mm_packs_epi32(_mm256_castsi256_si128(fraction), _mm256_extracti128_si256(fraction, 1)));
        }
        if (body < d) {  // the tail as the portable body, one row piece at a time
            int16_t tail[2 * 8];
            int n = d - body;
            fixed_point_split_body(1, n, xr + body, ldx, total_bits, fraction_bits, 1, tail);
            for (int c = 0; c < n; c++) { o[fraction_offset + body + c] = tail[c]; o[integer_offset + body + c] = tail[n + c]; }
        }
    }
}
#endif

void attend_fixed_point_split_portable(int rows, int d, const float *x, int ldx, int total_bits, int fraction_bits,
                                       int fraction_first, int16_t *out) {
    fixed_point_split_body(rows, d, x, ldx, total_bits, fraction_bits, fraction_first, out);
}

void attend_fixed_point_split(int rows, int d, const float *x, int ldx, int total_bits, int fraction_bits,
                              int fraction_first, int16_t *out) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { fixed_point_split_avx2(rows, d, x, ldx, total_bits, fraction_bits, fraction_first, out); return; }
#endif
    attend_fixed_point_split_portable(rows, d, x, ldx, total_bits, fraction_bits, fraction_first, out);
}

// ---- polynomial softmax -------------------------------------------------------------------------
/// x · 2^−z for 0 ≤ z ≤ 149 and x ∈ [¼, 2): exactly ldexpf's result, without a library call. Two
/// exact power-of-two factors; only the last multiply can round (into the subnormals).
INLINE float scale_down(float x, int z) {
    union { uint32_t u; float f; } high = {.u = (uint32_t)(127 - (z > 126 ? 126 : z)) << 23},
                                   low = {.u = (uint32_t)(127 - (z > 126 ? z - 126 : 0)) << 23};
    return x * low.f * high.f;
}

INLINE float ibert_exp(float x) {
    if (!(x > -INFINITY)) return 0;
    if (x > 0) x = 0;
    const float ln2 = 0.69314718f;
    float z = floorf(-x / ln2);
    if (z > 149) return 0;  // below the smallest subnormal
    float r = x + z * ln2;
    if (r > 0) r = 0;       // rounding of z·ln2
    float p = 0.3585f * (r + 1.353f) * (r + 1.353f) + 0.344f;
    return scale_down(p, (int)z);
}

float attend_ibert_exp(float x) { return ibert_exp(x); }

float attend_linear_reciprocal(float s) {
    int e;
    float m = frexpf(s, &e);
    return ldexpf(48.0f / 17.0f - 32.0f / 17.0f * m, -e);
}

// ---- kept-block rows ----------------------------------------------------------------------------
/// a · b in eight independent lanes (one vector register), so the sum is not one serial chain.
INLINE float dot_f32(const float *a, const float *b, int d) {
    float lanes[8] = {0}, sum = 0;
    int c = 0;
    for (; c + 8 <= d; c += 8)
        for (int k = 0; k < 8; k++) lanes[k] += a[c + k] * b[c + k];
    for (; c < d; c++) sum += a[c] * b[c];
    for (int k = 0; k < 8; k++) sum += lanes[k];
    return sum;
}

/// One approximate score from its integer product S_I (`coarse`) and Q_F·K_I + Q_I·K_F (`fine`).
INLINE float approximate_score(const attend_hdp_head *h, int32_t coarse, int32_t fine) {
    return (float)((int64_t)coarse * (1 << h->fraction_bits) + fine) * (1.0f / (float)(1 << h->fraction_bits));
}

/// s[t] = (S_I[i, index_t]·2^f + Q_F·K_I + Q_I·K_F) / 2^f for the `count` kept keys of query i, one dot
/// product each.
INLINE void approximate_scores(const attend_hdp_head *h, int i, const int *index, int count, float *s) {
    int d = h->d;
    const int16_t *q_fi = h->q_fi + (size_t)i * 2 * d;
    const int32_t *s_int = h->s_int + (size_t)i * h->keys;
    for (int t = 0; t < count; t++)
        s[t] = approximate_score(h, s_int[index[t]], dot_i16(q_fi, h->k_if + (size_t)index[t] * 2 * d, 2 * d));
}

/// Probabilities of query i over its `count` kept keys into s: scores (approximate or exact), scaled,
/// max-subtracted, exponentiated and normalized (polynomial exp and linear reciprocal, or exact).
INLINE void kept_row_probabilities(const attend_hdp_head *h, int i, const int *index, int count, float *s) {
    const float scale = h->scale;
    if (h->approximate) {
        approximate_scores(h, i, index, count, s);
    } else {
        const float *q = h->q + (size_t)i * h->ldq;
        for (int t = 0; t < count; t++) s[t] = dot_f32(q, h->k + (size_t)index[t] * h->ldk, h->d);
    }
    float mx = -INFINITY;
    for (int t = 0; t < count; t++) {
        s[t] *= scale;
        mx = s[t] > mx ? s[t] : mx;
    }
    for (int t = 0; t < count; t++) s[t] -= mx;
    if (h->polynomial) {
        for (int t = 0; t < count; t++) s[t] = ibert_exp(s[t]);
    } else {
        attend_exp(s, s, count);
    }
    float sum = 0;
    for (int t = 0; t < count; t++) sum += s[t];
    float inv = h->polynomial ? attend_linear_reciprocal(sum) : 1.0f / sum;
    for (int t = 0; t < count; t++) s[t] *= inv;
}

/// o0 = Σ_t p0_t · V[index_t] and o1 = Σ_t p1_t · V[index_t] (o1 skipped when null): two query rows
/// of one block-row share their kept keys, so each V row is read once for both; 32 columns at a
/// time in registers, then the remaining columns.
INLINE void kept_rows_times_v(const attend_hdp_head *h, const int *index, int count, const float *p0, const float *p1,
                              float *o0, float *o1) {
    int d = h->d, ldv = h->ldv;
    const float *v = h->v;
    int c0 = 0;
    for (; c0 + 32 <= d; c0 += 32) {
        float acc0[32] = {0}, acc1[32] = {0};
        for (int t = 0; t < count; t++) {
            const float *vr = v + (size_t)index[t] * ldv + c0;
            float a0 = p0[t], a1 = p1[t];
            for (int c = 0; c < 32; c++) {
                acc0[c] += a0 * vr[c];
                acc1[c] += a1 * vr[c];
            }
        }
        for (int c = 0; c < 32; c++) o0[c0 + c] = acc0[c];
        if (o1) for (int c = 0; c < 32; c++) o1[c0 + c] = acc1[c];
    }
    for (; c0 < d; c0++) {
        float acc0 = 0, acc1 = 0;
        for (int t = 0; t < count; t++) {
            float x = v[(size_t)index[t] * ldv + c0];
            acc0 += p0[t] * x;
            acc1 += p1[t] * x;
        }
        o0[c0] = acc0;
        if (o1) o1[c0] = acc1;
    }
}

INLINE void hdp_rows_body(const attend_hdp_head *h, int i0, int i1, float *scratch) {
    int d = h->d, nk = h->keys, b = h->block;
    float *p0 = scratch, *p1 = scratch + nk;  // [kept keys] probabilities of two query rows
    int *index = (int *)(scratch + 2 * nk);   // [kept keys] key positions
    for (int i = i0; i < i1; i = (i / b + 1) * b) {
        // The kept keys of block-row i / b, shared by its query rows in [i, row_end).
        const unsigned char *kept = h->kept + (size_t)(i / b) * h->key_blocks;
        int row_end = (i / b + 1) * b < i1 ? (i / b + 1) * b : i1;
        int count = 0;
        for (int kb = 0; kb < h->key_blocks; kb++) {
            if (!kept[kb]) continue;
            int end = (kb + 1) * b < nk ? (kb + 1) * b : nk;
            for (int j = kb * b; j < end; j++) index[count++] = j;
        }
        for (int first = i; first < row_end; first += 2) {  // query rows first, first + 1 of the block-row
            int pair = first + 1 < row_end;
            float *o0 = h->out + (size_t)first * h->ldo, *o1 = pair ? o0 + h->ldo : NULL;
            if (count == 0) {  // a fully masked row outputs zeros (SPEC §3)
                for (int c = 0; c < d; c++) o0[c] = 0;
                if (o1) for (int c = 0; c < d; c++) o1[c] = 0;
                continue;
            }
            kept_row_probabilities(h, first, index, count, p0);
            if (pair) kept_row_probabilities(h, first + 1, index, count, p1);
            kept_rows_times_v(h, index, count, p0, pair ? p1 : p0, o0, o1);
        }
    }
}


void attend_hdp_rows_portable(const attend_hdp_head *head, int i0, int i1, float *scratch) {
    hdp_rows_body(head, i0, i1, scratch);
}

// ---- kept-block rows on key panels (AVX2 and AVX-512 VNNI) ------------------------------------
// Per block-row, every panel of keys with a kept key is scored densely for the block-row's queries
// (two at a time, sharing the panel loads); pruned keys are masked to −∞, the kept entries compacted,
// exponentiated, normalized and multiplied by their V rows in key order — the arithmetic of
// hdp_rows_body compiled for AVX2 (fused multiply-adds), so outputs are bit-identical across bodies
// and with the per-key AVX2 path these bodies replaced (Fetch-Upon-Mask holds for V; K panels are
// streamed). One driver, hdp_rows_panels, runs both bodies:
// - AVX-512 VNNI, panels of 16 keys: approximate scores need 2d u8 × s8 products per entry, Q_F·K_I
//   (fractions u8 in [0, 2^f), integer parts s8) and Q_I·K_F; vpdpbusd adds four u8 × s8 products
//   straight into int32 lanes (no intermediate saturation), so with f ≤ 8 and integer parts in s8 the
//   sums are exact. Panels: per group of 4 dimensions, 64 bytes of K_I (16 keys × 4), then 64 of K_F.
// - AVX2, panels of 8 keys: Q_F·K_I + Q_I·K_F is q_fi · k_if over 2d int16, which vpmaddwd takes two
//   products at a time into int32 lanes (exact); panels hold per pair of k_if's elements the 8 keys'
//   32-bit words, so one broadcast word of the query scores 8 keys per instruction. S_I·2^f + fine is
//   formed in double (exact) and rounded once to float — the int64 → float conversion of the
//   per-key body — so any fraction width and integer range the int16 codes hold is taken.
enum { HDP_BATCH = 4 };       // query pairs whose softmax sums run side by side (2 · HDP_BATCH chains)
enum { VNNI_PANEL = 16, AVX2_PANEL = 8 };

static inline int round_up_int(int x, int m) { return (x + m - 1) / m * m; }

/// Bits of the kept keys of block-row r, one block at a time: bit j % panel of masks[j / panel] for
/// key j (panel ≤ 16), none past the last key.
INLINE void hdp_key_masks_scalar(const attend_hdp_head *h, int r, int panel, uint16_t *masks) {
    int b = h->block, nk = h->keys, panels = (nk + panel - 1) / panel, columns = h->key_blocks;
    const unsigned char *kept = h->kept + (size_t)r * columns;
    for (int p = 0; p < panels; p++) masks[p] = 0;
    for (int kb = 0; kb < columns; kb++) {
        uint32_t flag = kept[kb] != 0;
        for (int j = kb * b; j < (kb + 1) * b && j < nk; j++) masks[j / panel] |= (uint16_t)(flag << (j % panel));
    }
}

/// Copies the V rows of every key that some block-row of queries [i0, i1) keeps into values:
/// [keys, d] (contiguous, so that P·V streams them from cache); other rows are neither read nor written.
NOINLINE static void hdp_copy_kept_values(const attend_hdp_head *h, int i0, int i1, unsigned char *any_kept, float *values) {
    int b = h->block, columns = h->key_blocks, d = h->d;
    memset(any_kept, 0, (size_t)columns);
    for (int r = i0 / b; r * b < i1; r++) {
        const unsigned char *kept = h->kept + (size_t)r * columns;
        for (int c = 0; c < columns; c++) any_kept[c] |= kept[c];
    }
    for (int c = 0; c < columns; c++) {
        int ahead = c + PREFETCH_ROWS / b + 1;  // the key block PREFETCH_ROWS rows or more ahead
        for (int j = ahead * b; j < (ahead + 1) * b && j < h->keys; j++) prefetch_row(h->v + (size_t)j * h->ldv, d);
        if (!any_kept[c]) continue;
        for (int j = c * b; j < (c + 1) * b && j < h->keys; j++) {  // a loop: a memcpy call per row costs more than d = 32 floats
            const float *from = h->v + (size_t)j * h->ldv;
            float *to = values + (size_t)j * d;
            for (int x = 0; x < d; x++) to[x] = from[x];
        }
    }
}

/// x_c ← x_c · (1 / Σ x_c) for the `chains` rows x_c: [count_c] (c < chains ≤ 2 · HDP_BATCH query
/// rows), each Σ in key order one add at a time — the rounding of hdp_rows_body's sums, so that
/// outputs, and every later layer's fixed-point codes, are bit-identical to its. The chains are
/// independent, so they run side by side: each row is first padded with zeros to the longest count
/// (x + 0 = x exactly for the sums of e^x ≥ 0) and the adds interleave, hiding the add latency that
/// one row alone is bound by. Rows need room for the longest count.
INLINE void hdp_normalize_rows(const attend_hdp_head *h, float *const x[2 * HDP_BATCH], const int count[2 * HDP_BATCH],
                               int chains, const float *zeros) {
    int longest = 0;
    for (int c = 0; c < chains; c++) longest = count[c] > longest ? count[c] : longest;
    const float *row[2 * HDP_BATCH];
    for (int c = 0; c < 2 * HDP_BATCH; c++) {
        if (c < chains) memset(x[c] + count[c], 0, sizeof(float) * (size_t)(longest - count[c]));
        row[c] = c < chains ? x[c] : zeros;
    }
    float sum[2 * HDP_BATCH] = {0};
    for (int t = 0; t < longest; t++)
        for (int c = 0; c < 2 * HDP_BATCH; c++) sum[c] += row[c][t];
    for (int c = 0; c < chains; c++) {
        float inv = h->polynomial ? attend_linear_reciprocal(sum[c]) : 1.0f / sum[c];
        float *xc = x[c];
        for (int t = 0; t < count[c]; t++) xc[t] *= inv;
    }
}

/// The body-specific stages of hdp_rows_panels. pack: K of every key into panels. masks: the kept-key
/// bits of a block-row, one uint16 per panel. scores: query rows i and i + 1 (`pair`) against every
/// panel with a kept key, scaled, into s0 / s1 ([panels · panel], pruned keys −∞), and their maxima
/// (the pair body: the kept keys alone, compacted in key order, their positions into index).
/// exponentials: the kept entries compacted to the front of s0 / s1 with their key positions in
/// index (where scores did not), e^(s − max) applied; returns their count. times_v: o0 =
/// Σ_t p0_t V[index_t] and o1 likewise (o1 skipped when null), each column one fused multiply-add per
/// key in key order.
typedef void (*hdp_pack_fn)(const attend_hdp_head *h, uint8_t *packed);
typedef void (*hdp_masks_fn)(const attend_hdp_head *h, int r, uint16_t *masks);
typedef void (*hdp_scores_fn)(const attend_hdp_head *h, int i, int pair, const uint8_t *packed, const uint16_t *masks,
                              float *s0, float *s1, float *max0, float *max1, int *index);
typedef int (*hdp_exponentials_fn)(const attend_hdp_head *h, const uint16_t *masks, int pair, float max0, float max1,
                                   float *s0, float *s1, int *index);
typedef void (*hdp_times_v_fn)(const attend_hdp_head *h, const float *values, const int *index, int count, const float *p0,
                               const float *p1, float *o0, float *o1);

/// Bytes of packed keys any body needs (the AVX2 panels, int16, are the largest; the pair body takes
/// round_up(keys, 2) · round_up(d, 4) · 4).
INLINE size_t hdp_packed_bytes(int keys, int d) { return (size_t)round_up_int(keys, VNNI_PANEL) * 4 * (size_t)round_up_int(d, 8); }

/// Rows [i0, i1) in batches of up to HDP_BATCH query pairs (the two rows of a pair share a block-row):
/// per pair its kept-key masks, scores and exponentials, then the batch's softmax sums side by side,
/// then each pair's P·V. Scratch layout as attend_hdp_scratch_size counts it.
INLINE void hdp_rows_panels(const attend_hdp_head *h, int i0, int i1, float *scratch, int panel, hdp_pack_fn pack,
                            hdp_masks_fn key_masks, hdp_scores_fn scores_of, hdp_exponentials_fn exponentials, hdp_times_v_fn times_v) {
    int d = h->d, nk = h->keys, b = h->block, nkp = round_up_int(nk, VNNI_PANEL), panels = (nk + panel - 1) / panel;
    float *scores = scratch;                                      // [HDP_BATCH][2][nkp] scores, then probabilities
    float *zeros = scores + (size_t)2 * HDP_BATCH * nkp;          // [nkp] the sums' padding for absent rows
    int *index = (int *)(zeros + nkp);                            // [HDP_BATCH][nkp] positions of the kept keys
    uint16_t *masks = (uint16_t *)(index + (size_t)HDP_BATCH * nkp);  // [HDP_BATCH][panels] kept-key bits
    uint8_t *packed = (uint8_t *)(masks + (size_t)HDP_BATCH * nkp / AVX2_PANEL);  // key panels
    float *values = (float *)(((uintptr_t)(packed + hdp_packed_bytes(nk, d)) + 63) & ~(uintptr_t)63);  // [nk, d]
    unsigned char *any_kept = (unsigned char *)(values + (size_t)nk * d);                               // [key blocks]
    memset(zeros, 0, sizeof(float) * (size_t)nkp);
    pack(h, packed);
    hdp_copy_kept_values(h, i0, i1, any_kept, values);
    for (int i = i0; i < i1;) {
        int first[HDP_BATCH], pair[HDP_BATCH], kept[HDP_BATCH], count[2 * HDP_BATCH], pairs = 0, chains = 0;
        float *rows[2 * HDP_BATCH];  // the batch's rows of probabilities (chains) and their counts
        for (; pairs < HDP_BATCH && i < i1; pairs++) {  // query rows first, first + 1 of one block-row
            int r = i / b, row_end = (r + 1) * b < i1 ? (r + 1) * b : i1, k = pairs;
            first[k] = i;
            pair[k] = i + 1 < row_end;
            i = i + 2 < row_end ? i + 2 : row_end;
            float *s0 = scores + (size_t)2 * k * nkp, *s1 = s0 + nkp;
            uint16_t *m = masks + (size_t)k * nkp / AVX2_PANEL;
            int *at = index + (size_t)k * nkp;
            key_masks(h, r, m);
            int any = 0;
            for (int p = 0; p < panels; p++) any |= m[p];
            if (!any) {  // a fully masked row outputs zeros (SPEC §3)
                float *o0 = h->out + (size_t)first[k] * h->ldo;
                for (int c = 0; c < d; c++) o0[c] = 0;
                if (pair[k]) for (int c = 0; c < d; c++) o0[h->ldo + c] = 0;
                kept[k] = 0;
                continue;
            }
            float max0, max1;
            scores_of(h, first[k], pair[k], packed, m, s0, s1, &max0, &max1, at);
            kept[k] = exponentials(h, m, pair[k], max0, max1, s0, s1, at);
            rows[chains] = s0, count[chains++] = kept[k];
            if (pair[k]) rows[chains] = s1, count[chains++] = kept[k];
        }
        hdp_normalize_rows(h, rows, count, chains, zeros);
        for (int k = 0; k < pairs; k++) {
            if (!kept[k]) continue;
            float *s0 = scores + (size_t)2 * k * nkp, *o0 = h->out + (size_t)first[k] * h->ldo;
            times_v(h, values, index + (size_t)k * nkp, kept[k], s0, pair[k] ? s0 + nkp : s0, o0, pair[k] ? o0 + h->ldo : NULL);
        }
    }
}

INLINE int32_t load_i32(const void *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

#ifdef ATTEND_HAVE_AVX2
// ---- the AVX2 panel body ----

/// K's int16 row pairs into 8-key panels: panel p, word g (g < d) is 8 keys' 32-bit words
/// (k_if[j][2g], k_if[j][2g + 1]), keys past the last zero.
NOINLINE static void hdp_pack_key_panels_avx2(const attend_hdp_head *h, uint8_t *packed) {
    int d = h->d, panels = (h->keys + AVX2_PANEL - 1) / AVX2_PANEL;
    uint32_t *words = (uint32_t *)packed;
    size_t panel_words = (size_t)d * AVX2_PANEL;
    memset(words, 0, sizeof(uint32_t) * panel_words * (size_t)panels);
    for (int j = 0; j < h->keys; j++) {
        const int16_t *row = h->k_if + (size_t)j * 2 * d;
        uint32_t *to = words + (size_t)(j / AVX2_PANEL) * panel_words + j % AVX2_PANEL;
        for (int g = 0; g < d; g++) to[(size_t)g * AVX2_PANEL] = (uint32_t)load_i32(row + 2 * g);
    }
}

/// The 8 key bits of 4 kept 2-key blocks: block bit k doubled into key bits 2k and 2k + 1.
static const uint8_t doubled_bits[16] = {0x00, 0x03, 0x0C, 0x0F, 0x30, 0x33, 0x3C, 0x3F,
                                         0xC0, 0xC3, 0xCC, 0xCF, 0xF0, 0xF3, 0xFC, 0xFF};

/// Kept-key bits of block-row r, 8 per panel; with 2-key blocks 32 kept flags at a time from one byte
/// compare (4 blocks = 8 keys = one panel), other sizes and the tail one block at a time.
ATTEND_AVX2 NOINLINE static void hdp_key_masks_avx2(const attend_hdp_head *h, int r, uint16_t *masks) {
    int nk = h->keys, panels = (nk + AVX2_PANEL - 1) / AVX2_PANEL, columns = h->key_blocks;
    if (h->block != 2 || columns < 32) {
        hdp_key_masks_scalar(h, r, AVX2_PANEL, masks);
    } else {
        const unsigned char *kept = h->kept + (size_t)r * columns;
        int kb0 = 0;
        for (; kb0 + 32 <= columns; kb0 += 32) {
            __m256i flags = _mm256_loadu_si256((const __m256i *)(kept + kb0));
            uint32_t bits = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(flags, _mm256_setzero_si256()));
            for (int k = 0; k < 8; k++) masks[kb0 / 4 + k] = doubled_bits[(bits >> (4 * k)) & 0xF];
        }
        for (int p = kb0 / 4; p < panels; p++) masks[p] = 0;
        for (int kb = kb0; kb < columns; kb++)
            if (kept[kb]) masks[kb / 4] |= (uint16_t)(3u << (2 * (kb % 4)));
    }
    if (nk % AVX2_PANEL) masks[panels - 1] &= (uint16_t)((1u << (nk % AVX2_PANEL)) - 1);  // no keys past the end
}

/// Lanes of the set bits of an 8-bit mask, as a vector register (bit k of m → lane k all ones).
ATTEND_AVX2 static inline __m256i lanes_of(unsigned m) {
    const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)m), bit), bit);
}

/// Float scores of 8 keys from their int32 S_I (`coarse`) and fine terms: (coarse·2^f + fine) formed
/// in double (exact: |·| < 2^53) and rounded once to float, then · 2^−f and · scale.
ATTEND_AVX2 static inline __m256 panel_scores_avx2(__m256i coarse, __m256i fine, __m256d pow_f, __m256 unit, __m256 scale) {
    __m256d lo = _mm256_fmadd_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(coarse)), pow_f, _mm256_cvtepi32_pd(_mm256_castsi256_si128(fine)));
    __m256d hi = _mm256_fmadd_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(coarse, 1)), pow_f,
                                 _mm256_cvtepi32_pd(_mm256_extracti128_si256(fine, 1)));
    __m256 x = _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo));
    return _mm256_mul_ps(_mm256_mul_ps(x, unit), scale);
}

/// Queries whose codes fit int16 (code = Q_I·2^f + Q_F) against keys whose every score sum fits int32:
/// then the whole integer score S_I·2^f + Q_F·K_I + Q_I·K_F = Q_code·K_I + Q_I·K_F is one int16 dot
/// product, and the panels need no S_I (attend_hdp_rows_reads_s_int). Bound: d·(max|code|·max|K_I| +
/// max|Q_I|·max K_F) < 2^31, from the head's own parts.
ATTEND_AVX2 static int hdp_codes_fit(const attend_hdp_head *h) {
    if (!h->approximate || h->d > 256) return 0;
    int d = h->d, f = h->fraction_bits;
    // Largest magnitudes, as int32 maxima of simple loops (they vectorize; no value here is −2^31).
    int32_t code = 0, q_int = 0, k_int = 0, k_fraction = 0;
    for (int i = 0; i < h->queries; i++) {
        const int16_t *row = h->q_fi + (size_t)i * 2 * d;
        for (int c = 0; c < d; c++) {
            int32_t integer = row[d + c], x = integer * (1 << f) + row[c];
            x = x < 0 ? -x : x;
            integer = integer < 0 ? -integer : integer;
            code = x > code ? x : code;
            q_int = integer > q_int ? integer : q_int;
        }
    }
    for (int j = 0; j < h->keys; j++) {
        const int16_t *row = h->k_if + (size_t)j * 2 * d;
        for (int c = 0; c < d; c++) {
            int32_t integer = row[c] < 0 ? -row[c] : row[c], fraction = row[d + c];
            k_int = integer > k_int ? integer : k_int;
            k_fraction = fraction > k_fraction ? fraction : k_fraction;
        }
    }
    return code <= 32767 && (int64_t)d * ((int64_t)code * k_int + (int64_t)q_int * k_fraction) < ((int64_t)1 << 31);
}

/// The largest lane of m0 and of m1 (−∞ when all are).
ATTEND_AVX2 static inline void lane_maxima_avx2(__m256 m0, __m256 m1, float *max0, float *max1) {
    float l0[8], l1[8];
    _mm256_storeu_ps(l0, m0);
    _mm256_storeu_ps(l1, m1);
    *max0 = *max1 = -INFINITY;
    for (int k = 0; k < 8; k++) {
        *max0 = l0[k] > *max0 ? l0[k] : *max0;
        *max1 = l1[k] > *max1 ? l1[k] : *max1;
    }
}

/// Query row `row` of q_fi (fractions, then integer parts) as Q_code | Q_I: codes[0, 2d) with
/// Q_code = Q_I·2^f + Q_F (int16 when hdp_codes_fit), zeros from 2d to `padded`.
INLINE void query_codes(const attend_hdp_head *h, const int16_t *row, int16_t *codes, int padded) {
    int d = h->d;
    for (int c = 0; c < d; c++) {
        codes[c] = (int16_t)(row[d + c] * (1 << h->fraction_bits) + row[c]);
        codes[d + c] = row[d + c];
    }
    for (int c = 2 * d; c < padded; c++) codes[c] = 0;
}

/// hdp_scores_fn on 8-key panels: per panel and query, d vpmaddwd steps in two chains. with_codes
/// (hdp_codes_fit): the query's code | Q_I against K_I | K_F gives the integer score alone; else
/// q_fi · k_if is the fine term and S_I is read per panel.
ATTEND_AVX2 INLINE void hdp_scores_avx2_body(const attend_hdp_head *h, int i, int pair, const uint8_t *packed, const uint16_t *masks,
                                             float *s0, float *s1, float *max0, float *max1, int with_codes) {
    int d = h->d, nk = h->keys, panels = (nk + AVX2_PANEL - 1) / AVX2_PANEL;
    const int16_t *q0 = h->q_fi + (size_t)i * 2 * d, *q1 = pair ? q0 + 2 * d : q0;
    int16_t codes[2][2 * 256];  // with_codes: per query Q_code | Q_I (d ≤ 256)
    if (with_codes) {
        query_codes(h, q0, codes[0], 2 * d);
        query_codes(h, q1, codes[1], 2 * d);
        q0 = codes[0], q1 = codes[1];
    }
    const int32_t *si0 = h->s_int + (size_t)i * nk, *si1 = pair ? si0 + nk : si0;
    const __m256d pow_f = _mm256_set1_pd((double)(1 << h->fraction_bits));
    const __m256 unit = _mm256_set1_ps(1.0f / (float)(1 << h->fraction_bits)), scale = _mm256_set1_ps(h->scale);
    const __m256 minus_inf = _mm256_set1_ps(-INFINITY);
    __m256 m0 = minus_inf, m1 = minus_inf;
    size_t panel_words = (size_t)d * AVX2_PANEL;
    for (int p = 0; p < panels; p++) {
        unsigned m = masks[p];
        if (!m) continue;
        const __m256i *k = (const __m256i *)((const uint32_t *)packed + (size_t)p * panel_words);
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, b0 = a0, b1 = a0;  // query 0 and 1, even and odd words
        int g = 0;
        for (; g + 2 <= d; g += 2) {
            __m256i x = _mm256_loadu_si256(k + g), y = _mm256_loadu_si256(k + g + 1);
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_set1_epi32(load_i32(q0 + 2 * g)), x));
            b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(_mm256_set1_epi32(load_i32(q1 + 2 * g)), x));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_set1_epi32(load_i32(q0 + 2 * g + 2)), y));
            b1 = _mm256_add_epi32(b1, _mm256_madd_epi16(_mm256_set1_epi32(load_i32(q1 + 2 * g + 2)), y));
        }
        if (g < d) {
            __m256i x = _mm256_loadu_si256(k + g);
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_set1_epi32(load_i32(q0 + 2 * g)), x));
            b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(_mm256_set1_epi32(load_i32(q1 + 2 * g)), x));
        }
        __m256i live = lanes_of(m);
        __m256 x0, x1;
        if (with_codes) {  // the integer score fits int32: its int64 → float rounding is cvtdq2ps's
            x0 = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(a0, a1)), unit), scale);
            x1 = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(b0, b1)), unit), scale);
        } else {  // S_I of the panel's keys; the last panel's lanes past the last key are not read
            __m256i c0, c1;
            if (AVX2_PANEL * (p + 1) <= nk) {
                c0 = _mm256_loadu_si256((const __m256i *)(si0 + AVX2_PANEL * p));
                c1 = _mm256_loadu_si256((const __m256i *)(si1 + AVX2_PANEL * p));
            } else {
                c0 = _mm256_maskload_epi32(si0 + AVX2_PANEL * p, live);
                c1 = _mm256_maskload_epi32(si1 + AVX2_PANEL * p, live);
            }
            x0 = panel_scores_avx2(c0, _mm256_add_epi32(a0, a1), pow_f, unit, scale);
            x1 = panel_scores_avx2(c1, _mm256_add_epi32(b0, b1), pow_f, unit, scale);
        }
        x0 = _mm256_blendv_ps(minus_inf, x0, _mm256_castsi256_ps(live));
        x1 = _mm256_blendv_ps(minus_inf, x1, _mm256_castsi256_ps(live));
        _mm256_storeu_ps(s0 + AVX2_PANEL * p, x0);
        _mm256_storeu_ps(s1 + AVX2_PANEL * p, x1);
        m0 = _mm256_max_ps(m0, x0);
        m1 = _mm256_max_ps(m1, x1);
    }
    lane_maxima_avx2(m0, m1, max0, max1);
}

ATTEND_AVX2 NOINLINE static void hdp_scores_avx2_codes(const attend_hdp_head *h, int i, int pair, const uint8_t *packed,
                                                       const uint16_t *masks, float *s0, float *s1, float *max0, float *max1, int *index) {
    hdp_scores_avx2_body(h, i, pair, packed, masks, s0, s1, max0, max1, 1);
}

ATTEND_AVX2 NOINLINE static void hdp_scores_avx2(const attend_hdp_head *h, int i, int pair, const uint8_t *packed, const uint16_t *masks,
                                                 float *s0, float *s1, float *max0, float *max1, int *index) {
    hdp_scores_avx2_body(h, i, pair, packed, masks, s0, s1, max0, max1, 0);
}

/// I-BERT's exp of attend_ibert_exp on 8 lanes (x ≤ 0 or −∞): the same steps, with the two
/// multiply-adds fused as the compiler fuses them in hdp_rows_body under AVX2.
ATTEND_AVX2 static inline __m256 ibert_exp_avx2(__m256 x) {
    const __m256 ln2 = _mm256_set1_ps(0.69314718f), zero = _mm256_setzero_ps();
    __m256 live = _mm256_cmp_ps(x, _mm256_set1_ps(-INFINITY), _CMP_GT_OQ);
    x = _mm256_min_ps(x, zero);
    __m256 z = _mm256_round_ps(_mm256_div_ps(_mm256_sub_ps(zero, x), ln2), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    live = _mm256_and_ps(live, _mm256_cmp_ps(z, _mm256_set1_ps(149), _CMP_LE_OQ));
    __m256 r = _mm256_min_ps(_mm256_fmadd_ps(z, ln2, x), zero);
    __m256 t = _mm256_add_ps(r, _mm256_set1_ps(1.353f));
    __m256 p = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(0.3585f), t), t, _mm256_set1_ps(0.344f));
    __m256i zi = _mm256_cvttps_epi32(_mm256_and_ps(live, z));
    const __m256i e127 = _mm256_set1_epi32(127), e126 = _mm256_set1_epi32(126);
    __m256i high = _mm256_slli_epi32(_mm256_sub_epi32(e127, _mm256_min_epi32(zi, e126)), 23);
    __m256i low = _mm256_slli_epi32(_mm256_sub_epi32(e127, _mm256_max_epi32(_mm256_sub_epi32(zi, e126), _mm256_setzero_si256())), 23);
    return _mm256_and_ps(live, _mm256_mul_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(low)), _mm256_castsi256_ps(high)));
}

/// Lane k of entry m: the position of m's k-th set bit (entries past popcount(m): 0), for compacting 8 lanes
/// with one permute; built once.
static uint8_t compaction[256][8];
static pthread_once_t compaction_once = PTHREAD_ONCE_INIT;
static void build_compaction(void) {
    for (int m = 0; m < 256; m++)
        for (int j = 0, n = 0; j < 8; j++)
            if (m >> j & 1) compaction[m][n++] = (uint8_t)j;
}

/// e^x in place for the n compacted values of x (polynomial or exact), 8 lanes at a time (x holds n
/// rounded up to 8; the lanes past n are ignored later).
ATTEND_AVX2 static inline void compact_exponentials_avx2(const attend_hdp_head *h, float *x, int n) {
    if (!h->polynomial) { attend_exp(x, x, n); return; }
    for (int t = 0; t < n; t += 8) _mm256_storeu_ps(x + t, ibert_exp_avx2(_mm256_loadu_ps(x + t)));
}

/// hdp_exponentials_fn on 8-key panels: kept entries compacted by a table permute (each store of 8
/// lanes at count ≤ 8p reaches no panel not yet read), then exponentiated 8 at a time (the scratch
/// holds count rounded up to 8; lanes past count are overwritten or ignored later).
ATTEND_AVX2 NOINLINE static int hdp_exponentials_avx2(const attend_hdp_head *h, const uint16_t *masks, int pair, float max0, float max1,
                                                      float *s0, float *s1, int *index) {
    pthread_once(&compaction_once, build_compaction);
    int panels = (h->keys + AVX2_PANEL - 1) / AVX2_PANEL, count = 0;
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 shift0 = _mm256_set1_ps(max0), shift1 = _mm256_set1_ps(max1);
    for (int p = 0; p < panels; p++) {
        unsigned m = masks[p];
        if (!m) continue;
        __m256i order = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)compaction[m]));
        _mm256_storeu_ps(s0 + count, _mm256_permutevar8x32_ps(_mm256_sub_ps(_mm256_loadu_ps(s0 + AVX2_PANEL * p), shift0), order));
        if (pair) _mm256_storeu_ps(s1 + count, _mm256_permutevar8x32_ps(_mm256_sub_ps(_mm256_loadu_ps(s1 + AVX2_PANEL * p), shift1), order));
        _mm256_storeu_si256((__m256i *)(index + count),
                            _mm256_permutevar8x32_epi32(_mm256_add_epi32(lanes, _mm256_set1_epi32(AVX2_PANEL * p)), order));
        count += __builtin_popcount(m);
    }
    compact_exponentials_avx2(h, s0, count);
    if (pair) compact_exponentials_avx2(h, s1, count);
    return count;
}

/// Eight columns of V rows: all of them, or the first `width` (< 8) by masked loads.
ATTEND_AVX2 static inline __m256 load_columns(const float *v, int width, __m256i live) {
    return width >= 8 ? _mm256_loadu_ps(v) : _mm256_maskload_ps(v, live);
}

/// hdp_times_v_fn with 8-lane fused multiply-adds: 32 columns per pass, four V loads per key shared by
/// both rows (the last pass's columns past d masked).
ATTEND_AVX2 NOINLINE static void hdp_times_v_avx2(const attend_hdp_head *h, const float *values, const int *index, int count,
                                                  const float *p0, const float *p1, float *o0, float *o1) {
    int d = h->d;
    for (int c0 = 0; c0 < d; c0 += 32) {
        int width[4];
        __m256i live[4];
        for (int q = 0; q < 4; q++) {
            int w = d - c0 - 8 * q;
            width[q] = w < 0 ? 0 : w;
            live[q] = _mm256_cmpgt_epi32(_mm256_set1_epi32(width[q]), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        }
        __m256 a[4], b[4];
        for (int q = 0; q < 4; q++) a[q] = b[q] = _mm256_setzero_ps();
        const float *v = values + c0;
        if (width[3] >= 8) {  // the common full pass (d a multiple of 32)
            for (int t = 0; t < count; t++) {
                const float *vr = v + (size_t)index[t] * d;
                __m256 x0 = _mm256_set1_ps(p0[t]), x1 = _mm256_set1_ps(p1[t]);
                for (int q = 0; q < 4; q++) {
                    __m256 vq = _mm256_loadu_ps(vr + 8 * q);
                    a[q] = _mm256_fmadd_ps(x0, vq, a[q]);
                    b[q] = _mm256_fmadd_ps(x1, vq, b[q]);
                }
            }
        } else {
            for (int t = 0; t < count; t++) {
                const float *vr = v + (size_t)index[t] * d;
                __m256 x0 = _mm256_set1_ps(p0[t]), x1 = _mm256_set1_ps(p1[t]);
                for (int q = 0; q < 4; q++) {
                    if (!width[q]) break;
                    __m256 vq = load_columns(vr + 8 * q, width[q], live[q]);
                    a[q] = _mm256_fmadd_ps(x0, vq, a[q]);
                    b[q] = _mm256_fmadd_ps(x1, vq, b[q]);
                }
            }
        }
        for (int q = 0; q < 4 && width[q]; q++) {
            if (width[q] >= 8) {
                _mm256_storeu_ps(o0 + c0 + 8 * q, a[q]);
                if (o1) _mm256_storeu_ps(o1 + c0 + 8 * q, b[q]);
            } else {
                _mm256_maskstore_ps(o0 + c0 + 8 * q, live[q], a[q]);
                if (o1) _mm256_maskstore_ps(o1 + c0 + 8 * q, live[q], b[q]);
            }
        }
    }
}

// ---- the AVX2 pair body: 2-key blocks, only the kept keys scored ----
// With HDP's default 2 × 2 blocks and the query codes (hdp_codes_fit), a block-row's kept keys come
// in pairs, and scoring 8-key panels whole spends 1.48 scored slots per kept entry on the searched
// SST-2 plan (RESULTS.md, Zen 3). Here each kept block is scored alone: K packed per block as 16-byte
// chunks of its two keys' rows side by side, so one 16-byte chunk of the query's codes broadcast to
// both halves against one 32-byte load takes 4 int16 pairs of both keys per vpmaddwd (the panel
// body's 8 keys × 1 pair); four blocks' accumulators per query reduce to their 8 scores in key order
// by two vphaddd and one permute. The exact int32 scores of the panel codes body, converted the same
// way: outputs are bit-identical to it.

/// K_I | K_F of every key into 2-key blocks: block kb, step g (32 bytes) is k_if[2kb][8g, 8g + 8)
/// then k_if[2kb + 1][8g, 8g + 8) (int16), zeros past 2d and past the last key.
NOINLINE static void hdp_pack_key_pairs_avx2(const attend_hdp_head *h, uint8_t *packed) {
    int d = h->d, steps = (d + 3) / 4, blocks = (h->keys + 1) / 2;
    int16_t *to = (int16_t *)packed;
    memset(to, 0, (size_t)32 * steps * (size_t)blocks);
    for (int j = 0; j < h->keys; j++) {
        const int16_t *row = h->k_if + (size_t)j * 2 * d;
        int16_t *block = to + (size_t)(j / 2) * 16 * steps + 8 * (j % 2);
        for (int c = 0; c < 2 * d; c++) block[16 * (c / 8) + c % 8] = row[c];
    }
}

/// Positions of the kept keys of a block-row from its 8-key panel masks into index, in key order, one
/// table permute per panel (index holds the count rounded up to 8); returns their count.
ATTEND_AVX2 static int kept_key_positions_avx2(const uint16_t *masks, int panels, int *index) {
    pthread_once(&compaction_once, build_compaction);
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    int count = 0;
    for (int p = 0; p < panels; p++) {
        unsigned m = masks[p];
        __m256i order = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)compaction[m]));
        _mm256_storeu_si256((__m256i *)(index + count),
                            _mm256_permutevar8x32_epi32(_mm256_add_epi32(lanes, _mm256_set1_epi32(AVX2_PANEL * p)), order));
        count += __builtin_popcount(m);
    }
    return count;
}

/// The 8 scores of four 2-key blocks in key order, scaled to float: a[b] holds block b's first key's
/// partial sums in its low 128 bits and its second key's in the high ones. Per half, vphaddd twice
/// gives [Σ a0, Σ a1, Σ a2, Σ a3]; the permute interleaves the halves.
ATTEND_AVX2 static inline __m256 pair_block_scores(const __m256i a[4], __m256 unit, __m256 scale) {
    __m256i sums = _mm256_hadd_epi32(_mm256_hadd_epi32(a[0], a[1]), _mm256_hadd_epi32(a[2], a[3]));
    sums = _mm256_permutevar8x32_epi32(sums, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(sums), unit), scale);
}

/// hdp_scores_fn on kept 2-key blocks (block = 2, hdp_codes_fit): the kept keys' positions into index,
/// then four blocks at a time (a short last group repeats its first block, its lanes masked to −∞),
/// per step of 4 int16 pairs two broadcast query chunks and four block loads for 8 vpmaddwd; the
/// scores compacted into s0 / s1 ([count rounded up to 8], lanes past count −∞).
ATTEND_AVX2 NOINLINE static void hdp_scores_pairs_avx2(const attend_hdp_head *h, int i, int pair, const uint8_t *packed,
                                                       const uint16_t *masks, float *s0, float *s1, float *max0, float *max1, int *index) {
    int d = h->d, steps = (d + 3) / 4;
    int16_t codes[2][2 * 256 + 8];  // per query Q_code | Q_I, zeros to 8 · steps (d ≤ 256)
    const int16_t *q0 = h->q_fi + (size_t)i * 2 * d;
    query_codes(h, q0, codes[0], 8 * steps);
    query_codes(h, pair ? q0 + 2 * d : q0, codes[1], 8 * steps);
    int count = kept_key_positions_avx2(masks, (h->keys + AVX2_PANEL - 1) / AVX2_PANEL, index);
    const __m256 unit = _mm256_set1_ps(1.0f / (float)(1 << h->fraction_bits)), scale = _mm256_set1_ps(h->scale);
    const __m256 minus_inf = _mm256_set1_ps(-INFINITY);
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256 m0 = minus_inf, m1 = minus_inf;
    for (int t = 0; t < count; t += 8) {
        const __m256i *k[4];  // kept keys come in pairs (2kb, 2kb + 1): index[t + 2b] is block b's first key
        for (int b = 0; b < 4; b++) k[b] = (const __m256i *)packed + (size_t)(index[t + 2 * b < count ? t + 2 * b : t] / 2) * steps;
        __m256i a[4], c[4];
        for (int b = 0; b < 4; b++) a[b] = c[b] = _mm256_setzero_si256();
        for (int g = 0; g < steps; g++) {
            __m256i x0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(codes[0] + 8 * g)));
            __m256i x1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(codes[1] + 8 * g)));
            for (int b = 0; b < 4; b++) {
                __m256i y = _mm256_loadu_si256(k[b] + g);
                a[b] = _mm256_add_epi32(a[b], _mm256_madd_epi16(x0, y));
                c[b] = _mm256_add_epi32(c[b], _mm256_madd_epi16(x1, y));
            }
        }
        __m256 live = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(count - t), lanes));
        __m256 x0 = _mm256_blendv_ps(minus_inf, pair_block_scores(a, unit, scale), live);
        __m256 x1 = _mm256_blendv_ps(minus_inf, pair_block_scores(c, unit, scale), live);
        _mm256_storeu_ps(s0 + t, x0);
        _mm256_storeu_ps(s1 + t, x1);
        m0 = _mm256_max_ps(m0, x0);
        m1 = _mm256_max_ps(m1, x1);
    }
    lane_maxima_avx2(m0, m1, max0, max1);
}

/// hdp_exponentials_fn for the pair body, whose scores and index are compact already: e^(s − max).
ATTEND_AVX2 NOINLINE static int hdp_exponentials_pairs_avx2(const attend_hdp_head *h, const uint16_t *masks, int pair, float max0,
                                                            float max1, float *s0, float *s1, int *index) {
    int panels = (h->keys + AVX2_PANEL - 1) / AVX2_PANEL, count = 0;
    for (int p = 0; p < panels; p++) count += __builtin_popcount(masks[p]);
    for (int q = 0; q <= pair; q++) {
        float *x = q ? s1 : s0;
        __m256 shift = _mm256_set1_ps(q ? max1 : max0);
        for (int t = 0; t < count; t += 8) _mm256_storeu_ps(x + t, _mm256_sub_ps(_mm256_loadu_ps(x + t), shift));
        compact_exponentials_avx2(h, x, count);
    }
    return count;
}

/// Kept-block rows with approximate scores on AVX2: the pair body for 2-key blocks with the query
/// codes, else panels; exact scores run hdp_rows_body (with AVX2's fused multiply-adds).
ATTEND_AVX2 static void hdp_rows_avx2(const attend_hdp_head *h, int i0, int i1, float *scratch) {
    if (!h->approximate) { hdp_rows_body(h, i0, i1, scratch); return; }
    int with_codes = hdp_codes_fit(h);
    if (with_codes && h->block == 2)
        hdp_rows_panels(h, i0, i1, scratch, AVX2_PANEL, hdp_pack_key_pairs_avx2, hdp_key_masks_avx2, hdp_scores_pairs_avx2,
                        hdp_exponentials_pairs_avx2, hdp_times_v_avx2);
    else
        hdp_rows_panels(h, i0, i1, scratch, AVX2_PANEL, hdp_pack_key_panels_avx2, hdp_key_masks_avx2,
                        with_codes ? hdp_scores_avx2_codes : hdp_scores_avx2, hdp_exponentials_avx2, hdp_times_v_avx2);
}

// ---- the AVX-512 VNNI panel body ----
#define HDP_VNNI __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,bmi,bmi2,fma")))

/// The int8 GEMM's VNNI test (AVX-512 F, BW, VNNI) plus the DQ, VL and BMI2 this body also uses.
static int hdp_cpu_has_vnni(void) {
    return attend_i8_body_available(ATTEND_I8_AVX512_VNNI) && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("bmi2");
}

/// S_I and θ of 2 × 2 blocks on AVX-512 VNNI with the epilogue in registers (no tile round trip
/// through memory): per 8 × 16 tile, eight accumulators over K/4 vpdpbusd steps (the int8 GEMM's
/// VNNI kernel, on its packed panels), the offset correction, the masked stores of S_I, and per pair
/// of rows |·| added, adjacent lanes added inside each 64-bit lane and stored as the 8 blocks' int64 θ
/// (a block's four |S_I| fit 31 bits when K < 2^16). importance_vnni returns 0 on a CPU without VNNI.
HDP_VNNI static void importance_vnni_body(int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed,
                                          const int32_t *column_sums, int32_t offset, int32_t *s, int lds, int64_t *theta) {
    enum { MR = 8, NR = ATTEND_I8_NR };
    int k4 = (K + 3) / 4, panels = (N + NR - 1) / NR, key_blocks = (N + 1) / 2;
    const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFF), factor = _mm512_set1_epi32(offset);
    for (int i0 = 0; i0 < M; i0 += MR) {
        int rows = M - i0 < MR ? M - i0 : MR;
        const uint8_t *row[MR];
        for (int r = 0; r < MR; r++) row[r] = a + (size_t)(i0 + (r < rows ? r : rows - 1)) * lda;  // edge: repeat the last row
        for (int p = 0; p < panels; p++) {
            const int8_t *b = packed + (size_t)p * k4 * 4 * NR;
            int n0 = p * NR, columns = N - n0 < NR ? N - n0 : NR, blocks = (columns + 1) / 2;
            __mmask16 live = columns == NR ? (__mmask16)0xFFFF : (__mmask16)((1u << columns) - 1);
            __mmask8 live_blocks = (__mmask8)((1u << blocks) - 1);
            __m512i c[MR];
            for (int r = 0; r < MR; r++) c[r] = _mm512_setzero_si512();
            for (int g = 0; g < k4; g++) {
                __m512i bv = _mm512_loadu_si512((const void *)(b + 64 * g));
                for (int r = 0; r < MR; r++) c[r] = _mm512_dpbusd_epi32(c[r], _mm512_set1_epi32(load_i32(row[r] + 4 * g)), bv);
            }
            __m512i correction = _mm512_mullo_epi32(factor, _mm512_maskz_loadu_epi32(live, column_sums + n0));
            for (int r = 0; r < rows; r += 2) {
                __m512i x = _mm512_sub_epi32(c[r], correction);
                if (s) _mm512_mask_storeu_epi32(s + (size_t)(i0 + r) * lds + n0, live, x);
                __m512i t = _mm512_abs_epi32(x);
                if (r + 1 < rows) {
                    __m512i y = _mm512_sub_epi32(c[r + 1], correction);
                    if (s) _mm512_mask_storeu_epi32(s + (size_t)(i0 + r + 1) * lds + n0, live, y);
                    t = _mm512_add_epi32(t, _mm512_abs_epi32(y));
                }
                t = _mm512_maskz_mov_epi32(live, t);  // no lane past the last key
                __m512i pairs = _mm512_and_si512(_mm512_add_epi32(t, _mm512_srli_epi64(t, 32)), low32);
                _mm512_mask_storeu_epi64(theta + (size_t)((i0 + r) / 2) * key_blocks + n0 / 2, live_blocks, pairs);
            }
        }
    }
}

static int importance_vnni(int M, int N, int K, const uint8_t *a, int lda, const int8_t *packed, const int32_t *column_sums,
                           int32_t offset, int32_t *s, int lds, int64_t *theta) {
    if (!hdp_cpu_has_vnni()) return 0;
    importance_vnni_body(M, N, K, a, lda, packed, column_sums, offset, s, lds, theta);
    return 1;
}

/// Whether the VNNI body computes rows [i0, i1) of `head` exactly: approximate scores, fractions in
/// u8 (f ≤ 8), integer parts of the queries and of every key in s8, and |S_I·2^f + fine| < 2^31
/// (d·(128·128·2^8 + 2·255·128) < 2^31 for d ≤ 256).
/// 1 when every value of rows × d int16 (stride ld, from x) lies in [−128, 127]; no early exit, so
/// that the scan vectorizes.
ATTEND_AVX2 static int parts_fit_s8(const int16_t *x, int rows, int d, int ld) {
    int bad = 0;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < d; c++) bad |= (uint16_t)(x[(size_t)r * ld + c] + 128) > 255;
    return !bad;
}

static int hdp_vnni_fits(const attend_hdp_head *h, int i0, int i1) {
    if (!h->approximate || h->fraction_bits > 8 || h->d > 256) return 0;
    int d = h->d;
    return parts_fit_s8(h->q_fi + (size_t)i0 * 2 * d + d, i1 - i0, d, 2 * d) && parts_fit_s8(h->k_if, h->keys, d, 2 * d);
}

/// Packs K_I and K_F of every key (k_if: [keys, 2d], integer parts then fractions) into panels:
/// panel p, group g: bytes [64g, 64g + 64) of its K_I block are keys 16p…16p+15 × dims 4g…4g+3.
NOINLINE static void hdp_pack_key_panels_vnni(const attend_hdp_head *h, uint8_t *packed) {
    int d = h->d, dp = round_up_int(d, 8), panels = (h->keys + VNNI_PANEL - 1) / VNNI_PANEL;
    size_t panel_bytes = (size_t)2 * dp * VNNI_PANEL;
    memset(packed, 0, panel_bytes * panels);
    for (int j = 0; j < h->keys; j++) {
        const int16_t *row = h->k_if + (size_t)j * 2 * d;
        uint8_t *ki = packed + (size_t)(j / VNNI_PANEL) * panel_bytes + 4 * (j % VNNI_PANEL), *kf = ki + (size_t)dp * VNNI_PANEL;
        for (int c = 0; c < d; c++) {
            size_t at = (size_t)(c / 4) * 4 * VNNI_PANEL + c % 4;
            ki[at] = (uint8_t)(int8_t)row[c];
            kf[at] = (uint8_t)row[d + c];
        }
    }
}

/// Bits of the kept keys of block-row `r`, 16 per panel (bit j % 16 of masks[j / 16] for key j),
/// without a branch per block: with 2-key blocks, 64 kept flags at a time from one byte compare,
/// each flag doubled into its two key bits by a bit deposit; other sizes one block at a time.
HDP_VNNI NOINLINE static void hdp_key_masks_vnni(const attend_hdp_head *h, int r, uint16_t *masks) {
    int b = h->block, nk = h->keys, panels = (nk + VNNI_PANEL - 1) / VNNI_PANEL, columns = h->key_blocks;
    const unsigned char *kept = h->kept + (size_t)r * columns;
    if (b == 2) {
        for (int kb0 = 0; kb0 < columns; kb0 += 64) {
            int n = columns - kb0 < 64 ? columns - kb0 : 64;
            __mmask64 live = n == 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
            __m512i flags = _mm512_maskz_loadu_epi8(live, kept + kb0);
            uint64_t bits = _mm512_test_epi8_mask(flags, flags);
            for (int k = 0; k < 8 && kb0 / 8 + k < panels; k++)  // 8 blocks = 16 keys = one panel
                masks[kb0 / 8 + k] = (uint16_t)(_pdep_u32((uint32_t)(bits >> (8 * k)) & 0xFF, 0x5555) * 3);
        }
    } else {
        hdp_key_masks_scalar(h, r, VNNI_PANEL, masks);
    }
    if (nk % VNNI_PANEL) masks[panels - 1] &= (uint16_t)((1u << (nk % VNNI_PANEL)) - 1);  // no keys past the end
}

/// I-BERT's exp of attend_ibert_exp on 16 lanes (x ≤ 0 or −∞): the same steps, with the
/// multiply-adds fused (as the AVX2 body's compiler may fuse them).
HDP_VNNI static inline __m512 ibert_exp_vnni(__m512 x) {
    const __m512 ln2 = _mm512_set1_ps(0.69314718f);
    __mmask16 live = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-INFINITY), _CMP_GT_OQ);
    x = _mm512_min_ps(x, _mm512_setzero_ps());
    __m512 z = _mm512_roundscale_ps(_mm512_div_ps(_mm512_sub_ps(_mm512_setzero_ps(), x), ln2), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    live &= _mm512_cmp_ps_mask(z, _mm512_set1_ps(149), _CMP_LE_OQ);
    __m512 r = _mm512_min_ps(_mm512_fmadd_ps(z, ln2, x), _mm512_setzero_ps());
    __m512 t = _mm512_add_ps(r, _mm512_set1_ps(1.353f));
    __m512 p = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(0.3585f), t), t, _mm512_set1_ps(0.344f));
    __m512i zi = _mm512_cvttps_epi32(_mm512_maskz_mov_ps(live, z));
    __m512i e127 = _mm512_set1_epi32(127), e126 = _mm512_set1_epi32(126);
    __m512i high = _mm512_slli_epi32(_mm512_sub_epi32(e127, _mm512_min_epi32(zi, e126)), 23);
    __m512i low = _mm512_slli_epi32(_mm512_sub_epi32(e127, _mm512_max_epi32(_mm512_sub_epi32(zi, e126), _mm512_setzero_si512())), 23);
    return _mm512_maskz_mul_ps(live, _mm512_mul_ps(p, _mm512_castsi512_ps(low)), _mm512_castsi512_ps(high));
}

/// Scores of query rows i and i + 1 (`pair`) against every panel with a kept key, scaled, into
/// s0 / s1 ([panels · 16], pruned keys −∞); returns the rows' maxima.
HDP_VNNI NOINLINE static void hdp_scores_vnni(const attend_hdp_head *h, int i, int pair, const uint8_t *packed,
                                     const uint16_t *masks, float *s0, float *s1, float *max0, float *max1, int *index) {
    int d = h->d, dp = round_up_int(d, 8), nk = h->keys, panels = (nk + VNNI_PANEL - 1) / VNNI_PANEL, groups = dp / 4;
    // Query parts as bytes, zero-padded to dp: fractions (u8) and integer parts (s8).
    uint32_t qf[2][64], qi[2][64];
    for (int q = 0; q < 2; q++) {
        const int16_t *row = h->q_fi + (size_t)(pair || q == 0 ? i + q : i) * 2 * d;
        uint8_t *f = (uint8_t *)qf[q], *n = (uint8_t *)qi[q];
        for (int c = 0; c < dp; c++) { f[c] = c < d ? (uint8_t)row[c] : 0; n[c] = c < d ? (uint8_t)(int8_t)row[d + c] : 0; }
    }
    const __m128i shift = _mm_cvtsi32_si128(h->fraction_bits);
    const __m512 unit = _mm512_set1_ps(1.0f / (float)(1 << h->fraction_bits)), scale = _mm512_set1_ps(h->scale);
    const __m512 minus_inf = _mm512_set1_ps(-INFINITY);
    __m512 m0 = minus_inf, m1 = minus_inf;
    const int32_t *si0 = h->s_int + (size_t)i * nk, *si1 = pair ? si0 + nk : si0;
    size_t panel_bytes = (size_t)2 * dp * VNNI_PANEL;
    for (int p = 0; p < panels; p++) {
        __mmask16 m = masks[p];
        if (!m) continue;
        const uint8_t *ki = packed + (size_t)p * panel_bytes, *kf = ki + (size_t)dp * VNNI_PANEL;
        // Eight independent integer chains (row × term × even/odd group), so that vpdpbusd's latency
        // is hidden; their exact int32 sums are added at the end. (groups is even: dp is padded to 8.)
        __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int g = 0; g < groups; g += 2) {
            __m512i vi = _mm512_loadu_si512((const void *)(ki + 64 * g)), vf = _mm512_loadu_si512((const void *)(kf + 64 * g));
            __m512i wi = _mm512_loadu_si512((const void *)(ki + 64 * g + 64)), wf = _mm512_loadu_si512((const void *)(kf + 64 * g + 64));
            c0 = _mm512_dpbusd_epi32(c0, _mm512_set1_epi32((int)qf[0][g]), vi);
            c1 = _mm512_dpbusd_epi32(c1, vf, _mm512_set1_epi32((int)qi[0][g]));
            c2 = _mm512_dpbusd_epi32(c2, _mm512_set1_epi32((int)qf[1][g]), vi);
            c3 = _mm512_dpbusd_epi32(c3, vf, _mm512_set1_epi32((int)qi[1][g]));
            c4 = _mm512_dpbusd_epi32(c4, _mm512_set1_epi32((int)qf[0][g + 1]), wi);
            c5 = _mm512_dpbusd_epi32(c5, wf, _mm512_set1_epi32((int)qi[0][g + 1]));
            c6 = _mm512_dpbusd_epi32(c6, _mm512_set1_epi32((int)qf[1][g + 1]), wi);
            c7 = _mm512_dpbusd_epi32(c7, wf, _mm512_set1_epi32((int)qi[1][g + 1]));
        }
        __m512i a0 = _mm512_sll_epi32(_mm512_maskz_loadu_epi32(m, si0 + VNNI_PANEL * p), shift);
        __m512i a1 = _mm512_sll_epi32(_mm512_maskz_loadu_epi32(m, si1 + VNNI_PANEL * p), shift);
        a0 = _mm512_add_epi32(a0, _mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c4, c5)));
        a1 = _mm512_add_epi32(a1, _mm512_add_epi32(_mm512_add_epi32(c2, c3), _mm512_add_epi32(c6, c7)));
        __m512 x0 = _mm512_mask_mov_ps(minus_inf, m, _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(a0), unit), scale));
        __m512 x1 = _mm512_mask_mov_ps(minus_inf, m, _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(a1), unit), scale));
        _mm512_storeu_ps(s0 + VNNI_PANEL * p, x0);
        _mm512_storeu_ps(s1 + VNNI_PANEL * p, x1);
        m0 = _mm512_max_ps(m0, x0);
        m1 = _mm512_max_ps(m1, x1);
    }
    *max0 = _mm512_reduce_max_ps(m0);
    *max1 = _mm512_reduce_max_ps(m1);
}

/// e^x in place for the n compacted values of x (polynomial or exact), 16 lanes at a time with the
/// scalar body's operations (the AVX2 body's compiler fuses the same two multiply-adds).
HDP_VNNI static inline void hdp_compact_exponentials(const attend_hdp_head *h, float *x, int n) {
    if (!h->polynomial) { attend_exp(x, x, n); return; }
    for (int t = 0; t < n; t += VNNI_PANEL) {
        __mmask16 live = n - t >= VNNI_PANEL ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - t)) - 1);
        _mm512_mask_storeu_ps(x + t, live, ibert_exp_vnni(_mm512_maskz_loadu_ps(live, x + t)));
    }
}

/// The pair's exponentials e^(s − max) over the kept keys (pruned keys −∞ in s): the kept entries are
/// compacted in place (e0, e1: [count] over s0, s1; each panel is read before any later write
/// reaches it: count ≤ 16p) with the kept keys' positions into index: [count], then exponentiated
/// 16 at a time, so no exponential is spent on a pruned key. Returns count; normalizing is
/// hdp_normalize_rows's.
HDP_VNNI NOINLINE static int hdp_exponentials_vnni(const attend_hdp_head *h, const uint16_t *masks, int pair, float max0, float max1,
                                                   float *s0, float *s1, int *index) {
    int panels = (h->keys + VNNI_PANEL - 1) / VNNI_PANEL, count = 0;
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512 shift0 = _mm512_set1_ps(max0), shift1 = _mm512_set1_ps(max1);
    for (int p = 0; p < panels; p++) {
        __mmask16 m = masks[p];
        if (!m) continue;
        _mm512_storeu_ps(s0 + count, _mm512_maskz_compress_ps(m, _mm512_sub_ps(_mm512_loadu_ps(s0 + VNNI_PANEL * p), shift0)));
        if (pair) _mm512_storeu_ps(s1 + count, _mm512_maskz_compress_ps(m, _mm512_sub_ps(_mm512_loadu_ps(s1 + VNNI_PANEL * p), shift1)));
        _mm512_storeu_si512((void *)(index + count), _mm512_maskz_compress_epi32(m, _mm512_add_epi32(lanes, _mm512_set1_epi32(VNNI_PANEL * p))));
        count += __builtin_popcount(m);
    }
    hdp_compact_exponentials(h, s0, count);
    if (pair) hdp_compact_exponentials(h, s1, count);
    return count;
}

/// o0 = Σ_t p0_t V[index_t] and o1 likewise over the compacted kept keys (o1 skipped when null):
/// 32 columns per pass, two V loads per key shared by both rows, each column one fused multiply-add
/// per key in key order — the AVX2 body's arithmetic, so the sums are bit-identical.
HDP_VNNI NOINLINE static void hdp_times_v_vnni(const attend_hdp_head *h, const float *values, const int *index, int count,
                                               const float *p0, const float *p1, float *o0, float *o1) {
    int d = h->d, ldv = d;
    for (int c0 = 0; c0 < d; c0 += 32) {
        int width = d - c0 < 32 ? d - c0 : 32;
        __mmask16 lo = (__mmask16)(width >= 16 ? 0xFFFF : (1u << width) - 1), hi = (__mmask16)(width > 16 ? (1u << (width - 16)) - 1 : 0);
        __m512 a00 = _mm512_setzero_ps(), a01 = a00, a10 = a00, a11 = a00;
        const float *v = values + c0;
        for (int t = 0; t < count; t++) {
            const float *vr = v + (size_t)index[t] * ldv;
            __m512 v0 = _mm512_maskz_loadu_ps(lo, vr), v1 = _mm512_maskz_loadu_ps(hi, vr + 16);
            __m512 q0 = _mm512_set1_ps(p0[t]), q1 = _mm512_set1_ps(p1[t]);
            a00 = _mm512_fmadd_ps(q0, v0, a00);
            a01 = _mm512_fmadd_ps(q0, v1, a01);
            a10 = _mm512_fmadd_ps(q1, v0, a10);
            a11 = _mm512_fmadd_ps(q1, v1, a11);
        }
        _mm512_mask_storeu_ps(o0 + c0, lo, a00);
        _mm512_mask_storeu_ps(o0 + c0 + 16, hi, a01);
        if (o1) {
            _mm512_mask_storeu_ps(o1 + c0, lo, a10);
            _mm512_mask_storeu_ps(o1 + c0 + 16, hi, a11);
        }
    }
}

HDP_VNNI static void hdp_rows_vnni(const attend_hdp_head *h, int i0, int i1, float *scratch) {
    hdp_rows_panels(h, i0, i1, scratch, VNNI_PANEL, hdp_pack_key_panels_vnni, hdp_key_masks_vnni, hdp_scores_vnni,
                    hdp_exponentials_vnni, hdp_times_v_vnni);
}
#endif

size_t attend_hdp_scratch_size(int keys, int d) {
    size_t nkp = (size_t)round_up_int(keys, VNNI_PANEL);
    size_t panels = (2 * HDP_BATCH + 1) * nkp + HDP_BATCH * nkp + HDP_BATCH * nkp / 16 + (hdp_packed_bytes(keys, d) + 3) / 4 + 16 +
                    (size_t)keys * (size_t)d + (size_t)keys / 4 + 1;
    return panels > 3 * (size_t)keys ? panels : 3 * (size_t)keys;
}

int attend_hdp_rows_with(int body, const attend_hdp_head *head, int i0, int i1, float *scratch) {
    switch (body) {
    case ATTEND_I8_PORTABLE: attend_hdp_rows_portable(head, i0, i1, scratch); return 1;
#ifdef ATTEND_HAVE_AVX2
    case ATTEND_I8_AVX2: case ATTEND_I8_AVX2_SHIFT:
        if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
        hdp_rows_avx2(head, i0, i1, scratch);
        return 1;
    case ATTEND_I8_AVX512_VNNI:
        if (!hdp_cpu_has_vnni() || !hdp_vnni_fits(head, i0, i1)) return 0;
        hdp_rows_vnni(head, i0, i1, scratch);
        return 1;
    case ATTEND_I8_AUTO:
        if (attend_cpu_has_avx2_fma()) {
            if (attend_hdp_rows_with(ATTEND_I8_AVX512_VNNI, head, i0, i1, scratch)) return 1;
            hdp_rows_avx2(head, i0, i1, scratch);
            return 1;
        }
        attend_hdp_rows_portable(head, i0, i1, scratch);
        return 1;
#else
    case ATTEND_I8_AUTO: attend_hdp_rows_portable(head, i0, i1, scratch); return 1;
#endif
    default: return 0;
    }
}

int attend_hdp_rows_reads_s_int(const attend_hdp_head *head) {
    if (!head->approximate) return 0;
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) return (hdp_cpu_has_vnni() && hdp_vnni_fits(head, 0, head->queries)) || !hdp_codes_fit(head);
#endif
    return 1;
}

void attend_hdp_rows(const attend_hdp_head *head, int i0, int i1, float *scratch) {
    attend_hdp_rows_with(ATTEND_I8_AUTO, head, i0, i1, scratch);
}
