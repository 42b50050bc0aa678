// Integer-only kernels of I-BERT (Kim et al., ICML 2021, arXiv 2101.01321; SPEC §4.6): dyadic
// requantization, residual add, i-softmax, i-GELU, integer square root and i-LayerNorm. Integers
// only — no floating point in any function here; constants come precomputed from
// IntegerOps.swift. Each kernel is O(elements) beside the O(elements·K) int8 GEMMs that feed it;
// the requantization, the hottest of them, has an AVX2 body (chosen at run time; ATTEND_PORTABLE=1
// runs the portable one), the others are portable C.
#include "CAttendKernels.h"
#include "simd_target.h"
#include <stdlib.h>

static inline int64_t round_shift(int64_t v, int shift) { return (v + ((int64_t)1 << (shift - 1))) >> shift; }
static inline int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

#ifdef ATTEND_HAVE_AVX2
#define ATTEND_SIMD attend_cpu_has_avx2_fma()
#else
#define ATTEND_SIMD 0
#endif

/// v = ⌊x·mult/2^shift + 1/2⌋ + offset + zero for 8 columns (AVX2): 32×32 → 64-bit products of
/// the even and odd lanes (vpmuldq), the rounding term 2^(shift−1) and the shift per lane; AVX2 has
/// no arithmetic 64-bit shift, so ⌊t/2^c⌋ = ((t + 2^62) >> c) − 2^(62−c) (logical; t ≥ −2^62). The
/// shifted value is clamped to ±2^30 before offset and zero are added in int32, then to [lo, hi]:
/// identical to the portable body for every range and offset within ±2^29 (all the model uses).
#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static inline __m256i requantize8(__m256i x, __m256i m, __m256i c, __m256i add, __m256i lo, __m256i hi) {
    const __m256i big = _mm256_set1_epi64x((int64_t)1 << 62), one = _mm256_set1_epi64x(1), low = _mm256_set1_epi64x(0xffffffff);
    const __m256i cap = _mm256_set1_epi64x(1 << 30), floor_ = _mm256_set1_epi64x(-(1 << 30));
    __m256i ce = _mm256_and_si256(c, low), co = _mm256_srli_epi64(c, 32);
    __m256i pe = _mm256_mul_epi32(x, m), po = _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32));
    pe = _mm256_add_epi64(pe, _mm256_sllv_epi64(one, _mm256_sub_epi64(ce, one)));
    po = _mm256_add_epi64(po, _mm256_sllv_epi64(one, _mm256_sub_epi64(co, one)));
    pe = _mm256_sub_epi64(_mm256_srlv_epi64(_mm256_add_epi64(pe, big), ce), _mm256_srlv_epi64(big, ce));
    po = _mm256_sub_epi64(_mm256_srlv_epi64(_mm256_add_epi64(po, big), co), _mm256_srlv_epi64(big, co));
    pe = _mm256_blendv_epi8(pe, cap, _mm256_cmpgt_epi64(pe, cap));
    pe = _mm256_blendv_epi8(pe, floor_, _mm256_cmpgt_epi64(floor_, pe));
    po = _mm256_blendv_epi8(po, cap, _mm256_cmpgt_epi64(po, cap));
    po = _mm256_blendv_epi8(po, floor_, _mm256_cmpgt_epi64(floor_, po));
    __m256i v = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);  // low halves: even lanes from pe, odd from po
    v = _mm256_add_epi32(v, add);
    return _mm256_min_epi32(hi, _mm256_max_epi32(lo, v));
}

/// Columns [0, N − N % 8) of a row in AVX2: out32 = requantized int32 lanes (caller narrows).
ATTEND_AVX2 static int requantize_row_avx2(int N, const int32_t *row, const int32_t *mult, const int8_t *shift,
                                           const int32_t *offset, int32_t zero, int32_t lo, int32_t hi, int32_t *out32) {
    __m256i vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(hi), z = _mm256_set1_epi32(zero);
    int n = 0;
    for (; n + 8 <= N; n += 8) {
        __m256i c = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(shift + n)));
        __m256i add = offset ? _mm256_add_epi32(z, _mm256_loadu_si256((const __m256i *)(offset + n))) : z;
        __m256i v = requantize8(_mm256_loadu_si256((const __m256i *)(row + n)), _mm256_loadu_si256((const __m256i *)(mult + n)), c, add, vlo, vhi);
        _mm256_storeu_si256((__m256i *)(out32 + n), v);
    }
    return n;
}
#endif

static inline int64_t requantize1(int32_t x, int32_t mult, int shift, int32_t add, int32_t lo, int32_t hi) {
    int64_t v = round_shift((int64_t)x * mult, shift);
    v = clamp64(v, -(1 << 30), 1 << 30);  // as the AVX2 body (no effect on the ranges used)
    return clamp64(v + add, lo, hi);
}

#ifdef ATTEND_HAVE_AVX2
#define SIMD_PART(type)                                                                                     \
    if (simd) {                                                                                             \
        int32_t tmp[8];                                                                                     \
        for (; n + 8 <= N; n += 8) {                                                                        \
            requantize_row_avx2(8, row + n, mult + n, shift + n, offset ? offset + n : 0, zero, lo, hi, tmp); \
            for (int j = 0; j < 8; j++) o[n + j] = (type)tmp[j];                                            \
        }                                                                                                   \
    }
#else
#define SIMD_PART(type)
#endif

#define REQUANTIZE(name, type)                                                                              \
    void name(int rows, int N, const int32_t *x, int ldx, const int32_t *mult, const int8_t *shift,        \
              const int32_t *offset, int32_t zero, int32_t lo, int32_t hi, type *out, int ldo) {           \
        int simd = ATTEND_SIMD;                                                                             \
        (void)simd;                                                                                         \
        for (int i = 0; i < rows; i++) {                                                                    \
            const int32_t *row = x + (size_t)i * ldx;                                                       \
            type *o = out + (size_t)i * ldo;                                                                \
            int n = 0;                                                                                      \
            SIMD_PART(type)                                                                                 \
            for (; n < N; n++) o[n] = (type)requantize1(row[n], mult[n], shift[n], (offset ? offset[n] : 0) + zero, lo, hi); \
        }                                                                                                   \
    }
REQUANTIZE(attend_requantize_u8, uint8_t)
REQUANTIZE(attend_requantize_s8, int8_t)
REQUANTIZE(attend_requantize_i32, int32_t)
#undef REQUANTIZE
#undef SIMD_PART

void attend_int_residual(int rows, int N, const int32_t *a, int lda, const int32_t *mult_a, const int8_t *shift_a,
                         const uint8_t *r, int ldr, int32_t zero_r, int32_t mult_r, int shift_r, int32_t lo, int32_t hi,
                         int32_t *out, int ldo) {
    for (int i = 0; i < rows; i++) {
        const int32_t *ai = a + (size_t)i * lda;
        const uint8_t *ri = r + (size_t)i * ldr;
        int32_t *o = out + (size_t)i * ldo;
        for (int n = 0; n < N; n++) {
            int64_t v = round_shift((int64_t)ai[n] * mult_a[n], shift_a[n]) + round_shift((int64_t)(ri[n] - zero_r) * mult_r, shift_r);
            o[n] = (int32_t)clamp64(v, lo, hi);
        }
    }
}

/// ⌊L·mult / 2^(shift + z) + 1/2⌋: the polynomial in 2^-15 units, divided by 2^z (0 past 2^-62).
static inline int64_t exp_units(const attend_int_softmax_constants *k, int64_t l, int z) {
    int shift = k->shift + z;
    return shift > 62 ? 0 : round_shift(l * k->mult, shift);
}

void attend_int_softmax(int rows, int N, const int32_t *x, int ldx, const int32_t *valid,
                        const attend_int_softmax_constants *k, uint8_t *out, int ldo) {
    // z = ⌊u/d⌋ for u = −x̃ ∈ [0, 30·d], d = −x0 ≤ 2^18·ln 2 (scale ≥ 2^−18): u < 2^23, so a 32-bit
    // reciprocal estimate ⌊u·⌊2^32/d⌋ / 2^32⌋ is exact or one short, and one correction step fixes it
    // (no division per element).
    uint64_t d = (uint64_t)(-k->x0), inverse = ((uint64_t)1 << 32) / d;
    int64_t *e = malloc(sizeof(int64_t) * (size_t)(N > 0 ? N : 1));
    for (int i = 0; i < rows; i++) {
        const int32_t *row = x + (size_t)i * ldx;
        uint8_t *o = out + (size_t)i * ldo;
        int n = valid ? valid[i] : N;
        if (n > N) n = N;
        for (int j = (n > 0 ? n : 0); j < N; j++) o[j] = 0;
        if (n <= 0) continue;
        int32_t m = row[0];
        for (int j = 1; j < n; j++) m = row[j] > m ? row[j] : m;
        // e_j ≤ 2^15 (the polynomial is ≤ 0.991 on (−ln 2, 0]); Σ over < 2^16 keys fits easily.
        int64_t sum = 0;
        for (int j = 0; j < n; j++) {
            uint64_t u = (uint64_t)((int64_t)m - row[j]);
            if (u > 30 * d) u = 30 * d;
            uint64_t z = (u * inverse) >> 32;
            if ((z + 1) * d <= u) z++;
            int64_t p = -(int64_t)(u - z * d);  // x̃ = z·x0 + p, p ∈ (x0, 0]
            e[j] = exp_units(k, (p + k->b) * (p + k->b) + k->c, (int)z);
            sum += e[j];
        }
        int64_t factor = ((int64_t)1 << 32) / sum;
        for (int j = 0; j < n; j++) {
            int64_t v = (e[j] * factor) >> 24;
            o[j] = (uint8_t)(v > 255 ? 255 : v);
        }
    }
    free(e);
}

void attend_int_gelu(size_t count, const int32_t *x, const attend_int_gelu_constants *k, int32_t *out) {
    for (size_t i = 0; i < count; i++) {
        int64_t q = x[i], a = q < 0 ? -q : q;
        if (a > -k->b) a = -k->b;
        int64_t l = (a + k->b) * (a + k->b) + k->c;
        if (q < 0) l = -l;
        if (q == 0) l = 0;
        int64_t v = q * ((l >> k->shift) + k->one);
        out[i] = (int32_t)clamp64(v, INT32_MIN, INT32_MAX);
    }
}

int64_t attend_isqrt(int64_t n) {
    if (n <= 0) return 0;
    int bits = 64 - __builtin_clzll((unsigned long long)n);
    int64_t x = (int64_t)1 << ((bits + 1) / 2);  // 2^⌈bits/2⌉ ≥ √n
    for (;;) {
        int64_t next = (x + n / x) / 2;
        if (next >= x) return x;
        x = next;
    }
}

void attend_int_layernorm(int rows, int N, const int32_t *x, int ldx, int out_shift, int32_t *out, int ldo) {
    for (int i = 0; i < rows; i++) {
        const int32_t *row = x + (size_t)i * ldx;
        int32_t *o = out + (size_t)i * ldo;
        int64_t sum = 0;
        for (int n = 0; n < N; n++) sum += row[n];
        int64_t twice = 2 * sum + N, mean = twice >= 0 ? twice / (2 * N) : -((-twice + 2 * N - 1) / (2 * N));  // ⌊(2Σ + N)/2N⌋
        int64_t var = 0;
        for (int n = 0; n < N; n++) { int64_t y = row[n] - mean; var += y * y; }
        int64_t std = attend_isqrt(var);
        // I-BERT's factor ⌊2^31/σ'⌋ keeps only 31 − bits(σ') bits; with e = bits(σ') − 1 extra bits,
        // factor = ⌊2^(31+e)/σ'⌋ ∈ (2^30, 2^31] and |y·factor| ≤ σ'·2^31 < 2^62 (σ' < 2^31).
        int e = std > 0 ? 63 - __builtin_clzll((unsigned long long)std) : 0;
        int64_t factor = std > 0 ? ((int64_t)1 << (31 + e)) / std : 0;
        for (int n = 0; n < N; n++) o[n] = (int32_t)clamp64(((row[n] - mean) * factor) >> (out_shift + e), INT32_MIN, INT32_MAX);
    }
}
