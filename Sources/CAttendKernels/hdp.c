// Hybrid dynamic pruning kernels (HDP, arXiv 2407.12893; SPEC §4.4): the integer importance product
// and the per-row execution of the kept blocks. Bodies are written once as always-inline functions
// and instantiated twice: with AVX2 enabled (chosen at run time) and portable.
#include "CAttendKernels.h"
#include "simd_target.h"
#include <math.h>
#include <stdlib.h>

#define INLINE static inline __attribute__((always_inline))

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
ATTEND_AVX2 static void fixed_point_split_avx2(int rows, int d, const float *x, int ldx, int total_bits, int fraction_bits,
                                               int fraction_first, int16_t *out) {
    fixed_point_split_body(rows, d, x, ldx, total_bits, fraction_bits, fraction_first, out);
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

/// s[t] = (S_I[i, index_t]·2^f + Q_F·K_I + Q_I·K_F) / 2^f for the `count` kept keys of query i.
typedef void (*approximate_scores_fn)(const attend_hdp_head *h, int i, const int *index, int count, float *s);

/// One approximate score from its integer product S_I (`coarse`) and Q_F·K_I + Q_I·K_F (`fine`).
INLINE float approximate_score(const attend_hdp_head *h, int32_t coarse, int32_t fine) {
    return (float)((int64_t)coarse * (1 << h->fraction_bits) + fine) * (1.0f / (float)(1 << h->fraction_bits));
}

/// Keys t ≥ t0 of approximate_scores_fn, one dot product each.
INLINE void approximate_scores_body(const attend_hdp_head *h, int i, const int *index, int count, float *s, int t0) {
    int d = h->d;
    const int16_t *q_fi = h->q_fi + (size_t)i * 2 * d;
    const int32_t *s_int = h->s_int + (size_t)i * h->keys;
    for (int t = t0; t < count; t++)
        s[t] = approximate_score(h, s_int[index[t]], dot_i16(q_fi, h->k_if + (size_t)index[t] * 2 * d, 2 * d));
}

static void approximate_scores_portable(const attend_hdp_head *h, int i, const int *index, int count, float *s) {
    approximate_scores_body(h, i, index, count, s, 0);
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static void approximate_scores_avx2(const attend_hdp_head *h, int i, const int *index, int count, float *s) {
    int d = h->d;
    const int16_t *q_fi = h->q_fi + (size_t)i * 2 * d;
    const int32_t *s_int = h->s_int + (size_t)i * h->keys;
    int t = 0;
    for (; t + 4 <= count; t += 4) {
        const int16_t *rows[4];
        for (int k = 0; k < 4; k++) rows[k] = h->k_if + (size_t)index[t + k] * 2 * d;
        int32_t fine[4];
        _mm_storeu_si128((__m128i *)fine, dot4_i16_avx2(q_fi, rows, 2 * d));
        for (int k = 0; k < 4; k++) s[t + k] = approximate_score(h, s_int[index[t + k]], fine[k]);
    }
    approximate_scores_body(h, i, index, count, s, t);
}
#endif

/// Probabilities of query i over its `count` kept keys into s: scores (approximate or exact), scaled,
/// max-subtracted, exponentiated and normalized (polynomial exp and linear reciprocal, or exact).
INLINE void kept_row_probabilities(const attend_hdp_head *h, int i, const int *index, int count, float *s,
                                   approximate_scores_fn approximate_scores) {
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

INLINE void hdp_rows_body(const attend_hdp_head *h, int i0, int i1, float *scratch, approximate_scores_fn approximate_scores) {
    int d = h->d, nk = h->keys, b = h->block;
    float *p0 = scratch, *p1 = scratch + nk;  // [kept keys] probabilities of two query rows
    int *index = (int *)(scratch + 2 * nk);   // [kept keys] key positions
    for (int i = i0; i < i1;) {
        // The kept keys of block-row i / b, shared by its query rows in [i, row_end).
        const unsigned char *kept = h->kept + (size_t)(i / b) * h->key_blocks;
        int row_end = (i / b + 1) * b < i1 ? (i / b + 1) * b : i1;
        int count = 0;
        for (int kb = 0; kb < h->key_blocks; kb++) {
            if (!kept[kb]) continue;
            int end = (kb + 1) * b < nk ? (kb + 1) * b : nk;
            for (int j = kb * b; j < end; j++) index[count++] = j;
        }
        for (; i < row_end; i += 2) {
            int pair = i + 1 < row_end;
            float *o0 = h->out + (size_t)i * h->ldo, *o1 = pair ? o0 + h->ldo : NULL;
            if (count == 0) {  // a fully masked row outputs zeros (SPEC §3)
                for (int c = 0; c < d; c++) o0[c] = 0;
                if (o1) for (int c = 0; c < d; c++) o1[c] = 0;
                continue;
            }
            kept_row_probabilities(h, i, index, count, p0, approximate_scores);
            if (pair) kept_row_probabilities(h, i + 1, index, count, p1, approximate_scores);
            kept_rows_times_v(h, index, count, p0, pair ? p1 : p0, o0, o1);
        }
    }
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static void hdp_rows_avx2(const attend_hdp_head *head, int i0, int i1, float *scratch) {
    hdp_rows_body(head, i0, i1, scratch, approximate_scores_avx2);
}
#endif

void attend_hdp_rows_portable(const attend_hdp_head *head, int i0, int i1, float *scratch) {
    hdp_rows_body(head, i0, i1, scratch, approximate_scores_portable);
}

void attend_hdp_rows(const attend_hdp_head *head, int i0, int i1, float *scratch) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { hdp_rows_avx2(head, i0, i1, scratch); return; }
#endif
    attend_hdp_rows_portable(head, i0, i1, scratch);
}
