// SpAtten's progressive quantization over a KV cache stored as integer codes (SPEC §4.5): dot
// products of Float32 query rows with int8 / uint8 code rows, weighted sums of int8 code rows, and
// one decode row's attention built from them. AVX2 bodies convert 8 codes at a time to Float32 and
// use FMA; the portable twins sum in plain order.
#include "CAttendKernels.h"
#include "simd_target.h"
#include <math.h>
#include <string.h>

void attend_dot_i8_rows_portable(const float *x, const int8_t *rows, int ld, int n, int d, float *out) {
    for (int j = 0; j < n; j++) {
        const int8_t *row = rows + (size_t)j * ld;
        float sum = 0;
        for (int c = 0; c < d; c++) sum += x[c] * (float)row[c];
        out[j] = sum;
    }
}

void attend_dot_u8_rows_portable(const float *x, const uint8_t *rows, int ld, int n, int d, float *out) {
    for (int j = 0; j < n; j++) {
        const uint8_t *row = rows + (size_t)j * ld;
        float sum = 0;
        for (int c = 0; c < d; c++) sum += x[c] * (float)row[c];
        out[j] = sum;
    }
}

void attend_weighted_i8_rows_portable(const float *w, const int8_t *rows, int ld, int n, int d, float *acc) {
    for (int j = 0; j < n; j++) {
        if (w[j] == 0) continue;
        const int8_t *row = rows + (size_t)j * ld;
        for (int c = 0; c < d; c++) acc[c] += w[j] * (float)row[c];
    }
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static inline __m256 load_i8x8(const int8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

ATTEND_AVX2 static inline __m256 load_u8x8(const uint8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

ATTEND_AVX2 static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

/// Four rows per step share each load of x; their sums reduced together by two hadd levels (as
/// dot_rows_avx2 for Float32 rows). LOAD converts 8 codes of one row to Float32.
#define DOT_CODE_ROWS(name, type, load)                                                                   \
    ATTEND_AVX2 static void name(const float *x, const type *rows, int ld, int n, int d, float *out) {  \
        int j = 0;                                                                                      \
        for (; j + 4 <= n; j += 4) {                                                                    \
            const type *r0 = rows + (size_t)j * ld, *r1 = r0 + ld, *r2 = r1 + ld, *r3 = r2 + ld;        \
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                                 \
            int c = 0;                                                                                  \
            for (; c + 8 <= d; c += 8) {                                                                \
                __m256 xv = _mm256_loadu_ps(x + c);                                                     \
                a0 = _mm256_fmadd_ps(xv, load(r0 + c), a0);                                             \
                a1 = _mm256_fmadd_ps(xv, load(r1 + c), a1);                                             \
                a2 = _mm256_fmadd_ps(xv, load(r2 + c), a2);                                             \
                a3 = _mm256_fmadd_ps(xv, load(r3 + c), a3);                                             \
            }                                                                                           \
            __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));                  \
            float sums[4];                                                                              \
            _mm_storeu_ps(sums, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));    \
            for (; c < d; c++) {                                                                        \
                sums[0] += x[c] * (float)r0[c]; sums[1] += x[c] * (float)r1[c];                         \
                sums[2] += x[c] * (float)r2[c]; sums[3] += x[c] * (float)r3[c];                         \
            }                                                                                           \
            memcpy(out + j, sums, sizeof sums);                                                         \
        }                                                                                               \
        for (; j < n; j++) {                                                                            \
            const type *row = rows + (size_t)j * ld;                                                    \
            __m256 a = _mm256_setzero_ps();                                                             \
            int c = 0;                                                                                  \
            for (; c + 8 <= d; c += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(x + c), load(row + c), a);  \
            float sum = hsum8(a);                                                                       \
            for (; c < d; c++) sum += x[c] * (float)row[c];                                             \
            out[j] = sum;                                                                               \
        }                                                                                               \
    }

DOT_CODE_ROWS(dot_i8_rows_avx2, int8_t, load_i8x8)
DOT_CODE_ROWS(dot_u8_rows_avx2, uint8_t, load_u8x8)

/// 64 columns of acc in 8 registers over all rows (8 independent FMA chains), then 8 at a time.
ATTEND_AVX2 static void weighted_i8_rows_avx2(const float *w, const int8_t *rows, int ld, int n, int d, float *acc) {
    int c0 = 0;
    for (; c0 + 64 <= d; c0 += 64) {
        __m256 a[8];
        for (int k = 0; k < 8; k++) a[k] = _mm256_loadu_ps(acc + c0 + 8 * k);
        for (int j = 0; j < n; j++) {
            if (w[j] == 0) continue;
            const int8_t *row = rows + (size_t)j * ld + c0;
            __m256 wj = _mm256_set1_ps(w[j]);
            for (int k = 0; k < 8; k++) a[k] = _mm256_fmadd_ps(wj, load_i8x8(row + 8 * k), a[k]);
        }
        for (int k = 0; k < 8; k++) _mm256_storeu_ps(acc + c0 + 8 * k, a[k]);
    }
    for (; c0 + 8 <= d; c0 += 8) {
        __m256 a = _mm256_loadu_ps(acc + c0);
        for (int j = 0; j < n; j++)
            if (w[j] != 0) a = _mm256_fmadd_ps(_mm256_set1_ps(w[j]), load_i8x8(rows + (size_t)j * ld + c0), a);
        _mm256_storeu_ps(acc + c0, a);
    }
    if (c0 < d) {
        for (int j = 0; j < n; j++) {
            if (w[j] == 0) continue;
            const int8_t *row = rows + (size_t)j * ld;
            for (int c = c0; c < d; c++) acc[c] += w[j] * (float)row[c];
        }
    }
}
#endif

void attend_dot_i8_rows(const float *x, const int8_t *rows, int ld, int n, int d, float *out) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { dot_i8_rows_avx2(x, rows, ld, n, d, out); return; }
#endif
    attend_dot_i8_rows_portable(x, rows, ld, n, d, out);
}

void attend_dot_u8_rows(const float *x, const uint8_t *rows, int ld, int n, int d, float *out) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { dot_u8_rows_avx2(x, rows, ld, n, d, out); return; }
#endif
    attend_dot_u8_rows_portable(x, rows, ld, n, d, out);
}

void attend_weighted_i8_rows(const float *w, const int8_t *rows, int ld, int n, int d, float *acc) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { weighted_i8_rows_avx2(w, rows, ld, n, d, acc); return; }
#endif
    attend_weighted_i8_rows_portable(w, rows, ld, n, d, acc);
}

/// p[0, n) ← softmax over the first `allowed` of raw scores s (scale applied), 0 beyond; returns
/// the largest probability (1/Σ: the row's largest entry is e^0 = 1 before normalising).
static float softmax_prefix(float *p, int allowed, int n, float scale) {
    float m = -INFINITY, l = 0;
    attend_online_softmax_row(p, allowed, scale, &m, &l);
    float inv = 1.0f / l;
    for (int j = 0; j < allowed; j++) p[j] *= inv;
    for (int j = allowed; j < n; j++) p[j] = 0;
    return inv;
}

int attend_spatten_code_row(const attend_spatten_codes *kv, const float *q, int allowed, float *p, float *scratch, float *out) {
    int n = kv->n, d = kv->d, l = kv->lsb_bits;
    memset(out, 0, sizeof(float) * (size_t)d);
    if (allowed <= 0) { memset(p, 0, sizeof(float) * (size_t)n); return 0; }
    // MSB-only value of an element: (msb·2^l + 2^(l−1))·s_j (the midpoint of the dropped range), msb·s_j when l = 0.
    float *msb_dots = scratch;  // [allowed] q·msb_j
    attend_dot_i8_rows(q, kv->k_msb, kv->ld, allowed, d, msb_dots);
    float q_sum = 0;
    for (int c = 0; c < d; c++) q_sum += q[c];
    float step = (float)(1 << l), half = l > 0 ? (float)(1 << (l - 1)) : 0.0f;
    for (int j = 0; j < allowed; j++) p[j] = kv->k_scale[(size_t)j * kv->scale_ld] * (step * msb_dots[j] + half * q_sum);
    float peak = softmax_prefix(p, allowed, n, kv->scale);
    int requantized = 0;
    if (l > 0 && peak < kv->threshold) {  // a flat row: fetch the LSBs, recompute with the full code msb·2^l + lsb
        attend_dot_u8_rows(q, kv->k_lsb, kv->ld, allowed, d, p);
        for (int j = 0; j < allowed; j++) p[j] = kv->k_scale[(size_t)j * kv->scale_ld] * (step * msb_dots[j] + p[j]);
        softmax_prefix(p, allowed, n, kv->scale);
        requantized = 1;
    }
    float *w = scratch;  // [allowed] p_j · v_scale_j
    for (int j = 0; j < allowed; j++) w[j] = p[j] * kv->v_scale[(size_t)j * kv->scale_ld];
    attend_weighted_i8_rows(w, kv->v_code, kv->ld, allowed, d, out);
    return requantized;
}
