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
ATTEND_AVX2 static void int_scores_avx2(int m, int n, int d, const int16_t *a, int lda, const int16_t *b, int ldb,
                                        int32_t *c, int ldc) {
    int_scores_body(m, n, d, a, lda, b, ldb, c, ldc);
}
#endif

void attend_int_scores(int m, int n, int d, const int16_t *a, int lda, const int16_t *b, int ldb,
                       int32_t *c, int ldc) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { int_scores_avx2(m, n, d, a, lda, b, ldb, c, ldc); return; }
#endif
    int_scores_body(m, n, d, a, lda, b, ldb, c, ldc);
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

void attend_block_abs_sums(int m, int n, const int32_t *s, int lds, int block, int64_t *out) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { block_abs_sums_avx2(m, n, s, lds, block, out); return; }
#endif
    block_abs_sums_body(m, n, s, lds, block, out);
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

INLINE void hdp_rows_body(const attend_hdp_head *h, int i0, int i1, float *scratch) {
    int d = h->d, nk = h->keys, b = h->block;
    float *s = scratch;                  // [kept keys] scores, then probabilities
    int *index = (int *)(scratch + nk);  // [kept keys] key positions
    float inv_unit = 1.0f / (float)(1 << h->fraction_bits);
    for (int i = i0; i < i1; i++) {
        const unsigned char *kept = h->kept + (size_t)(i / b) * h->key_blocks;
        int count = 0;
        for (int kb = 0; kb < h->key_blocks; kb++) {
            if (!kept[kb]) continue;
            int end = (kb + 1) * b < nk ? (kb + 1) * b : nk;
            for (int j = kb * b; j < end; j++) index[count++] = j;
        }
        float *o = h->out + (size_t)i * h->ldo;
        if (count == 0) {  // a fully masked row outputs zeros (SPEC §3)
            for (int c = 0; c < d; c++) o[c] = 0;
            continue;
        }
        if (h->approximate) {
            const int16_t *q_fi = h->q_fi + (size_t)i * 2 * d;
            for (int t = 0; t < count; t++) {
                int j = index[t];
                int64_t fine = (int64_t)h->s_int[(size_t)i * nk + j] * (1 << h->fraction_bits)
                             + dot_i16(q_fi, h->k_if + (size_t)j * 2 * d, 2 * d);
                s[t] = (float)fine * inv_unit;
            }
        } else {
            const float *q = h->q + (size_t)i * h->ldq;
            for (int t = 0; t < count; t++) s[t] = dot_f32(q, h->k + (size_t)index[t] * h->ldk, d);
        }
        float mx = -INFINITY;
        for (int t = 0; t < count; t++) {
            s[t] *= h->scale;
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
        // o = Σ_t p_t · V[index_t], 32 columns at a time in registers, then the remaining columns.
        int c0 = 0;
        for (; c0 + 32 <= d; c0 += 32) {
            float acc[32] = {0};
            for (int t = 0; t < count; t++) {
                const float *vr = h->v + (size_t)index[t] * h->ldv + c0;
                for (int c = 0; c < 32; c++) acc[c] += s[t] * vr[c];
            }
            for (int c = 0; c < 32; c++) o[c0 + c] = acc[c];
        }
        for (; c0 < d; c0++) {
            float acc = 0;
            for (int t = 0; t < count; t++) acc += s[t] * h->v[(size_t)index[t] * h->ldv + c0];
            o[c0] = acc;
        }
    }
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static void hdp_rows_avx2(const attend_hdp_head *head, int i0, int i1, float *scratch) {
    hdp_rows_body(head, i0, i1, scratch);
}
#endif

void attend_hdp_rows(const attend_hdp_head *head, int i0, int i1, float *scratch) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { hdp_rows_avx2(head, i0, i1, scratch); return; }
#endif
    hdp_rows_body(head, i0, i1, scratch);
}
