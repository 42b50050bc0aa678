// SpAtten's progressive quantization over a KV cache stored as integer codes (SPEC §4.5): exact
// integer dot products of int16 query codes with int8 / uint8 key code rows, weighted sums of int8
// value code rows, and one query row of a KV head's group of query heads built from them. The AVX2
// bodies widen 16 codes at a time to int16 and multiply-add pairs (`vpmaddwd`, exact in int32), and
// share each widened key chunk among the group's heads; the portable twins loop in plain order.
#include "CAttendKernels.h"
#include "simd_target.h"
#include <math.h>
#include <string.h>

enum { MAX_GROUP = ATTEND_SPATTEN_MAX_GROUP };

void attend_dot_code_rows_portable(const int16_t *q, int m, const void *rows, int is_unsigned, int ld, int n, int d, int32_t *out, int ldout) {
    for (int h = 0; h < m; h++)
        for (int j = 0; j < n; j++) {
            int32_t sum = 0;
            for (int c = 0; c < d; c++) {
                int code = is_unsigned ? ((const uint8_t *)rows)[(size_t)j * ld + c] : ((const int8_t *)rows)[(size_t)j * ld + c];
                sum += (int32_t)q[(size_t)h * d + c] * code;
            }
            out[(size_t)h * ldout + j] = sum;
        }
}

void attend_weighted_code_rows_portable(const float *w, int ldw, int m, const int8_t *rows, int ld, int n, int d, float *acc, int ldacc) {
    for (int h = 0; h < m; h++)
        for (int j = 0; j < n; j++) {
            float wj = w[(size_t)h * ldw + j];
            if (wj == 0) continue;
            for (int c = 0; c < d; c++) acc[(size_t)h * ldacc + c] += wj * (float)rows[(size_t)j * ld + c];
        }
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 __attribute__((always_inline)) static inline __m256i widen16(const void *p, int is_unsigned) {
    __m128i bytes = _mm_loadu_si128((const __m128i *)p);
    return is_unsigned ? _mm256_cvtepu8_epi16(bytes) : _mm256_cvtepi8_epi16(bytes);
}

/// Four rows at a time; per row and 16-code chunk the widened codes feed the M heads' `vpmaddwd`;
/// each head's four row sums come out of one hadd tree. Columns past the last full chunk of 16 are
/// summed in scalar code, rows past the last group of four by the portable body (exact either way).
ATTEND_AVX2 __attribute__((always_inline)) static inline void dot_code_rows_avx2_m(const int16_t *q, const int M, const void *rows, int is_unsigned, int ld, int n, int d, int32_t *out, int ldout) {
    const char *base = rows;  // one byte per code, signed or not
    int d16 = d & ~15, j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256i acc[MAX_GROUP][4];
        for (int h = 0; h < M; h++) for (int r = 0; r < 4; r++) acc[h][r] = _mm256_setzero_si256();
        for (int c = 0; c < d16; c += 16) {
            for (int r = 0; r < 4; r++) {
                __m256i k = widen16(base + (size_t)(j + r) * ld + c, is_unsigned);
                for (int h = 0; h < M; h++)
                    acc[h][r] = _mm256_add_epi32(acc[h][r], _mm256_madd_epi16(k, _mm256_loadu_si256((const __m256i *)(q + (size_t)h * d + c))));
            }
        }
        for (int h = 0; h < M; h++) {
            __m256i t = _mm256_hadd_epi32(_mm256_hadd_epi32(acc[h][0], acc[h][1]), _mm256_hadd_epi32(acc[h][2], acc[h][3]));
            __m128i s = _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
            int32_t sums[4];
            _mm_storeu_si128((__m128i *)sums, s);
            for (int r = 0; r < 4; r++) {
                for (int c = d16; c < d; c++) {
                    size_t at = (size_t)(j + r) * ld + c;
                    int code = is_unsigned ? ((const uint8_t *)rows)[at] : ((const int8_t *)rows)[at];
                    sums[r] += (int32_t)q[(size_t)h * d + c] * code;
                }
                out[(size_t)h * ldout + j + r] = sums[r];
            }
        }
    }
    if (j < n) attend_dot_code_rows_portable(q, M, base + (size_t)j * ld, is_unsigned, ld, n - j, d, out + j, ldout);
}

ATTEND_AVX2 static void dot_code_rows_avx2(const int16_t *q, int m, const void *rows, int is_unsigned, int ld, int n, int d, int32_t *out, int ldout) {
    // Constant group sizes and signedness (always inlined) keep the accumulators in registers and the widening branch-free.
#define DOT_CASE(M) \
    if (is_unsigned) dot_code_rows_avx2_m(q, M, rows, 1, ld, n, d, out, ldout); else dot_code_rows_avx2_m(q, M, rows, 0, ld, n, d, out, ldout); \
    return;
    switch (m) {
    case 1: DOT_CASE(1)
    case 2: DOT_CASE(2)
    case 3: DOT_CASE(3)
    default: DOT_CASE(4)
    }
#undef DOT_CASE
}

/// Per block of 32 columns: M × 4 accumulators over all rows, each row's codes converted once.
ATTEND_AVX2 __attribute__((always_inline)) static inline void weighted_code_rows_avx2_m(const float *w, int ldw, const int M, const int8_t *rows, int ld, int n, int d, float *acc, int ldacc) {
    int c0 = 0;
    for (; c0 + 32 <= d; c0 += 32) {
        __m256 a[MAX_GROUP][4];
        for (int h = 0; h < M; h++) for (int k = 0; k < 4; k++) a[h][k] = _mm256_loadu_ps(acc + (size_t)h * ldacc + c0 + 8 * k);
        for (int j = 0; j < n; j++) {
            const int8_t *row = rows + (size_t)j * ld + c0;
            __m256 v[4];
            for (int k = 0; k < 4; k++) v[k] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(row + 8 * k))));
            for (int h = 0; h < M; h++) {
                __m256 wj = _mm256_set1_ps(w[(size_t)h * ldw + j]);
                for (int k = 0; k < 4; k++) a[h][k] = _mm256_fmadd_ps(wj, v[k], a[h][k]);
            }
        }
        for (int h = 0; h < M; h++) for (int k = 0; k < 4; k++) _mm256_storeu_ps(acc + (size_t)h * ldacc + c0 + 8 * k, a[h][k]);
    }
    if (c0 < d) attend_weighted_code_rows_portable(w, ldw, M, rows + c0, ld, n, d - c0, acc + c0, ldacc);  // the last columns
}

ATTEND_AVX2 static void weighted_code_rows_avx2(const float *w, int ldw, int m, const int8_t *rows, int ld, int n, int d, float *acc, int ldacc) {
    switch (m) {
    case 1: weighted_code_rows_avx2_m(w, ldw, 1, rows, ld, n, d, acc, ldacc); return;
    case 2: weighted_code_rows_avx2_m(w, ldw, 2, rows, ld, n, d, acc, ldacc); return;
    case 3: weighted_code_rows_avx2_m(w, ldw, 3, rows, ld, n, d, acc, ldacc); return;
    default: weighted_code_rows_avx2_m(w, ldw, 4, rows, ld, n, d, acc, ldacc); return;
    }
}
#endif

void attend_dot_code_rows(const int16_t *q, int m, const void *rows, int is_unsigned, int ld, int n, int d, int32_t *out, int ldout) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma() && m >= 1 && m <= MAX_GROUP) { dot_code_rows_avx2(q, m, rows, is_unsigned, ld, n, d, out, ldout); return; }
#endif
    attend_dot_code_rows_portable(q, m, rows, is_unsigned, ld, n, d, out, ldout);
}

void attend_weighted_code_rows(const float *w, int ldw, int m, const int8_t *rows, int ld, int n, int d, float *acc, int ldacc) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma() && m >= 1 && m <= MAX_GROUP) { weighted_code_rows_avx2(w, ldw, m, rows, ld, n, d, acc, ldacc); return; }
#endif
    attend_weighted_code_rows_portable(w, ldw, m, rows, ld, n, d, acc, ldacc);
}

/// p[0, n) ← softmax of the raw scores p (scale applied); returns the largest probability (1/Σ: the
/// row's largest entry is e^0 = 1 before normalising).
static float softmax_row(float *p, int n, float scale) {
    float m = -INFINITY, l = 0;
    attend_online_softmax_row(p, n, scale, &m, &l);
    float inv = 1.0f / l;
    for (int j = 0; j < n; j++) p[j] *= inv;
    return inv;
}

void attend_spatten_code_rows(const attend_spatten_codes *kv, const int16_t *q, const float *q_scales, int m, int allowed,
                              float *column_sums, void *scratch, float *const *out, int *requantized) {
    int n = kv->n, d = kv->d, l = kv->lsb_bits;
    for (int h = 0; h < m; h++) { memset(out[h], 0, sizeof(float) * (size_t)d); requantized[h] = 0; }
    if (allowed <= 0) return;
    int32_t *msb_dots = scratch;                  // [m, n]: q_code·msb_j, exact
    int32_t *lsb_dots = msb_dots + (size_t)m * n;  // [n]: q_code·lsb_j of a row that requantizes
    float *w = (float *)(lsb_dots + n);           // [m, n]: p_j · v_scale_j
    float *p = w + (size_t)m * n;                 // [n]: one head's probabilities
    float *acc = p + n;                           // [m, d]: the grouped output rows
    attend_dot_code_rows(q, m, kv->k_msb, 0, d, allowed, d, msb_dots, n);
    // MSB-only key: (msb·2^l + 2^(l−1))·s_j (the midpoint of the dropped range), msb·s_j when l = 0.
    float step = (float)(1 << l), half = l > 0 ? (float)(1 << (l - 1)) : 0.0f;
    for (int h = 0; h < m; h++) {
        const int16_t *qh = q + (size_t)h * d;
        const int32_t *dots = msb_dots + (size_t)h * n;
        int32_t q_sum = 0;
        for (int c = 0; c < d; c++) q_sum += qh[c];
        for (int j = 0; j < allowed; j++)
            p[j] = q_scales[h] * kv->k_scale[j] * (step * (float)dots[j] + half * (float)q_sum);
        float peak = softmax_row(p, allowed, kv->scale);
        if (l > 0 && peak < kv->threshold) {  // a flat row: fetch the LSBs, recompute with the full code msb·2^l + lsb
            attend_dot_code_rows(qh, 1, kv->k_lsb, 1, d, allowed, d, lsb_dots, n);
            for (int j = 0; j < allowed; j++)
                p[j] = q_scales[h] * kv->k_scale[j] * (float)((int64_t)dots[j] * (1 << l) + lsb_dots[j]);
            softmax_row(p, allowed, kv->scale);
            requantized[h] = 1;
        }
        float *wh = w + (size_t)h * n, *sums = column_sums ? column_sums + (size_t)h * n : 0;
        for (int j = 0; j < allowed; j++) wh[j] = p[j] * kv->v_scale[j];
        if (sums) for (int j = 0; j < allowed; j++) sums[j] += p[j];
    }
    if (m == 1) { attend_weighted_code_rows(w, n, 1, kv->v_code, d, allowed, d, out[0], d); return; }
    // The grouped sum writes m rows of d at one stride: into scratch, then to each head's output.
    memset(acc, 0, sizeof(float) * (size_t)m * d);
    attend_weighted_code_rows(w, n, m, kv->v_code, d, allowed, d, acc, d);
    for (int h = 0; h < m; h++) memcpy(out[h], acc + (size_t)h * d, sizeof(float) * (size_t)d);
}
