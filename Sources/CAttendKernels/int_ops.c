// Integer-only kernels of I-BERT (Kim et al., ICML 2021, arXiv 2101.01321; SPEC §4.6): dyadic
// requantization, residual add, i-softmax, i-GELU, integer square root and i-LayerNorm, and two fused
// row passes of the encoder (requantize → i-GELU → requantize; residual → i-LayerNorm → requantize).
// Integers only — no floating point in any function here; constants come precomputed from
// IntegerOps.swift. Each kernel is O(elements) beside the O(elements·K) int8 GEMMs that feed it.
// These are the portable bodies and the dispatch; the SIMD bodies give the same integers: the AVX-512
// ones (int_ops_avx512.c) for ATTEND_I8_AVX512_VNNI, and for ATTEND_I8_AUTO where the int8 GEMM runs
// its VNNI body; the AVX2 ones (int_ops_avx2.c) for ATTEND_I8_AVX2 (and _AVX2_SHIFT) and for AUTO on other AVX2 CPUs
// (ATTEND_PORTABLE=1: portable).
#include "CAttendKernels.h"
#include "simd_target.h"
#include "int_ops_rows.h"
#include <stdlib.h>
#include <string.h>

enum { SIMD_NONE = 0, SIMD_AVX2 = 1, SIMD_AVX512 = 2 };

/// The bodies `body` runs on this CPU (ATTEND_I8_AVX512_VNNI without VNNI: the AVX2 ones).
static int simd_level(int body) {
#ifdef ATTEND_HAVE_AVX2
    int avx512 = attend_i8_body_available(ATTEND_I8_AVX512_VNNI);
    if (body == ATTEND_I8_AUTO) return attend_cpu_has_avx2_fma() ? (avx512 ? SIMD_AVX512 : SIMD_AVX2) : SIMD_NONE;
    if (body == ATTEND_I8_PORTABLE) return SIMD_NONE;
    if (body == ATTEND_I8_AVX512_VNNI && avx512) return SIMD_AVX512;
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? SIMD_AVX2 : SIMD_NONE;
#else
    (void)body;
    return SIMD_NONE;
#endif
}

static inline int32_t requantize1(const int_requant *r, const int32_t *row, int n) {
    int64_t v = attend_round_shift((int64_t)attend_add_wrapping(row[n], r->bias, n) * r->mult[n], r->shift[n]);
    v = attend_clamp64(v, -(1 << 30), 1 << 30);  // as the AVX2 body (no effect on the ranges used)
    return (int32_t)attend_clamp64(v + (r->offset ? r->offset[n] : 0) + r->zero, r->lo, r->hi);
}

enum { OUT_I32, OUT_U8, OUT_S8 };  // what a requantization writes: int32, u8 or s8

/// Columns [0, N − N % 8) of every row by the AVX2 rows body (returns that count), or 0 where the
/// body's narrowing does not cover [lo, hi].
static int requantize_avx2_columns(int kind, int rows, int N, const int32_t *x, int ldx, const int_requant *r, void *out, int ldo) {
#ifdef ATTEND_HAVE_AVX2
    switch (kind) {
    case OUT_I32: return int_requantize_rows_avx2(rows, N, x, ldx, r, out, ldo);
    case OUT_U8: return r->lo >= 0 && r->hi <= 255 ? int_requantize_rows_u8_avx2(rows, N, x, ldx, r, out, ldo) : 0;
    default: return r->lo >= -128 && r->hi <= 127 ? int_requantize_rows_s8_avx2(rows, N, x, ldx, r, out, ldo) : 0;
    }
#else
    (void)kind; (void)rows; (void)N; (void)x; (void)ldx; (void)r; (void)out; (void)ldo;
    return 0;
#endif
}

/// `rows` rows of N columns (strides ldx, ldo in elements): the SIMD body's columns (AVX-512: each row
/// whole; AVX2: every row's first N − N % 8 where it applies), the rest portable.
static void requantize_rows(int simd, int kind, int rows, int N, const int32_t *x, int ldx, const int_requant *r, void *out, int ldo) {
    size_t width = kind == OUT_I32 ? sizeof(int32_t) : 1;
    int done = simd == SIMD_AVX2 ? requantize_avx2_columns(kind, rows, N, x, ldx, r, out, ldo) : 0;
    for (int i = 0; i < rows; i++) {
        const int32_t *xi = x + (size_t)i * ldx;
        unsigned char *oi = (unsigned char *)out + (size_t)i * ldo * width;
        int n = done;
#ifdef ATTEND_HAVE_AVX2
        if (simd == SIMD_AVX512) n = kind == OUT_I32 ? int_requantize_row_avx512(N, xi, r, (int32_t *)oi) : int_requantize_row_8_avx512(N, xi, r, oi);
#endif
        for (; n < N; n++) {
            int32_t v = requantize1(r, xi, n);
            if (kind == OUT_I32) ((int32_t *)oi)[n] = v;
            else if (kind == OUT_U8) oi[n] = (uint8_t)v;
            else ((int8_t *)oi)[n] = (int8_t)v;
        }
    }
}

#define REQUANTIZE(name, type, kind)                                                                                \
    void name(int body, int rows, int N, const int32_t *x, int ldx, const int32_t *bias, const int32_t *mult,      \
              const int8_t *shift, const int32_t *offset, int32_t zero, int32_t lo, int32_t hi, type *out, int ldo) { \
        int_requant r = {bias, mult, offset, shift, zero, lo, hi};                                                  \
        requantize_rows(simd_level(body), kind, rows, N, x, ldx, &r, out, ldo);                                     \
    }
REQUANTIZE(attend_requantize_u8, uint8_t, OUT_U8)
REQUANTIZE(attend_requantize_s8, int8_t, OUT_S8)
REQUANTIZE(attend_requantize_i32, int32_t, OUT_I32)
#undef REQUANTIZE

static void residual_row(int simd, int N, const int32_t *a, const int32_t *bias, const int32_t *mult_a, const int8_t *shift_a,
                         const uint8_t *r, int32_t zero_r, int32_t mult_r, int shift_r, int32_t lo, int32_t hi, int32_t *o) {
    int n = 0;
#ifdef ATTEND_HAVE_AVX2
    if (simd == SIMD_AVX512) n = int_residual_row_avx512(N, a, bias, mult_a, shift_a, r, zero_r, mult_r, shift_r, lo, hi, o);
    else if (simd) n = int_residual_row_avx2(N, a, bias, mult_a, shift_a, r, zero_r, mult_r, shift_r, lo, hi, o);
#else
    (void)simd;
#endif
    for (; n < N; n++) {
        int64_t v = attend_round_shift((int64_t)attend_add_wrapping(a[n], bias, n) * mult_a[n], shift_a[n]) +
                    attend_round_shift((int64_t)(r[n] - zero_r) * mult_r, shift_r);
        o[n] = (int32_t)attend_clamp64(v, lo, hi);
    }
}

void attend_int_residual(int body, int rows, int N, const int32_t *a, int lda, const int32_t *bias, const int32_t *mult_a,
                         const int8_t *shift_a, const uint8_t *r, int ldr, int32_t zero_r, int32_t mult_r, int shift_r,
                         int32_t lo, int32_t hi, int32_t *out, int ldo) {
    int simd = simd_level(body);
    for (int i = 0; i < rows; i++)
        residual_row(simd, N, a + (size_t)i * lda, bias, mult_a, shift_a, r + (size_t)i * ldr, zero_r, mult_r, shift_r, lo, hi,
                     out + (size_t)i * ldo);
}

/// ⌊L·mult / 2^(shift + z) + 1/2⌋: the polynomial in 2^-15 units, divided by 2^z (0 past 2^-62).
static inline int64_t exp_units(const attend_int_softmax_constants *k, int64_t l, int z) {
    int shift = k->shift + z;
    return shift > 62 ? 0 : attend_round_shift(l * k->mult, shift);
}

/// One row of n ≥ 1 keys, portable. e: n int64 of scratch.
static void softmax_row(int n, const int32_t *row, const attend_int_softmax_constants *k, int64_t *e, uint8_t *o) {
    // z = ⌊u/d⌋ for u = −x̃ ∈ [0, 30·d], d = −x0 ≤ 2^18·ln 2 (scale ≥ 2^−18): u < 2^23, so a 32-bit
    // reciprocal estimate ⌊u·⌊2^32/d⌋ / 2^32⌋ is exact or one short, and one correction step fixes it
    // (no division per element).
    uint64_t d = (uint64_t)(-k->x0), inverse = ((uint64_t)1 << 32) / d;
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

void attend_int_softmax(int body, int rows, int N, const int32_t *x, int ldx, const int32_t *bias, const int32_t *valid,
                        const attend_int_softmax_constants *k, uint8_t *out, int ldo) {
    int simd = simd_level(body);
    size_t width = (size_t)(N > 0 ? N : 1);
    int64_t *e = malloc(sizeof(int64_t) * width);
    int32_t *biased = malloc(sizeof(int32_t) * width), *e32 = malloc(sizeof(int32_t) * width);
    for (int i = 0; i < rows; i++) {
        const int32_t *row = x + (size_t)i * ldx;
        uint8_t *o = out + (size_t)i * ldo;
        int n = valid ? valid[i] : N;
        if (n > N) n = N;
        for (int j = (n > 0 ? n : 0); j < N; j++) o[j] = 0;
        if (n <= 0) continue;
        if (bias) {
            for (int j = 0; j < n; j++) biased[j] = attend_add_wrapping(row[j], bias, j);
            row = biased;
        }
#ifdef ATTEND_HAVE_AVX2
        if (simd == SIMD_AVX512 && int_softmax_row_avx512(n, row, k, e32, o)) continue;
        if (simd == SIMD_AVX2 && int_softmax_row_avx2(n, row, k, e32, o)) continue;
#else
        (void)simd; (void)e32;
#endif
        softmax_row(n, row, k, e, o);
    }
    free(e);
    free(biased);
    free(e32);
}

static inline int32_t gelu1(int32_t x, const attend_int_gelu_constants *k) {
    int64_t q = x, a = q < 0 ? -q : q;
    if (a > -k->b) a = -k->b;
    int64_t l = (a + k->b) * (a + k->b) + k->c;
    if (q < 0) l = -l;
    if (q == 0) l = 0;
    return (int32_t)attend_clamp64(q * ((l >> k->shift) + k->one), INT32_MIN, INT32_MAX);
}

static void gelu_values(int simd, size_t count, const int32_t *x, const attend_int_gelu_constants *k, int32_t *out) {
    size_t i = 0;
#ifdef ATTEND_HAVE_AVX2
    if (simd == SIMD_AVX512 && int_gelu_fits_32(k)) i = int_gelu_avx512(count, x, k, out);
    else if (simd && int_gelu_fits_32(k)) i = int_gelu_avx2(count, x, k, out);
#else
    (void)simd;
#endif
    for (; i < count; i++) out[i] = gelu1(x[i], k);
}

void attend_int_gelu(int body, size_t count, const int32_t *x, const attend_int_gelu_constants *k, int32_t *out) {
    gelu_values(simd_level(body), count, x, k, out);
}

void attend_int_ffn_activation(int body, int rows, int N, const int32_t *x, int ldx, const attend_int_requant *to_gelu,
                               const attend_int_gelu_constants *k, const attend_int_requant *to_hidden, uint8_t *out, int ldo) {
    int simd = simd_level(body);
    // One row, in L1 between the three portable steps (on the stack for a GEMM tile's columns).
    int32_t tile_row[ATTEND_I8_NR], *row = N <= ATTEND_I8_NR ? tile_row : malloc(sizeof(int32_t) * (size_t)N);
    int fused = 0, done = 0;  // the SIMD body keeps all three steps in registers; done: columns it did in every row
#ifdef ATTEND_HAVE_AVX2
    fused = simd && int_gelu_fits_32(k) && (simd == SIMD_AVX512 || (to_hidden->lo >= 0 && to_hidden->hi <= 255));
    if (fused && simd == SIMD_AVX2) done = int_ffn_activation_rows_avx2(rows, N, x, ldx, to_gelu, k, to_hidden, out, ldo);
#endif
    for (int i = 0; i < rows; i++) {
        const int32_t *xi = x + (size_t)i * ldx;
        uint8_t *oi = out + (size_t)i * ldo;
        int n = done;
#ifdef ATTEND_HAVE_AVX2
        if (fused && simd == SIMD_AVX512) n = int_ffn_activation_row_avx512(N, xi, to_gelu, k, to_hidden, oi);
#endif
        if (n == N) continue;
        // The tail (or the whole row): the portable steps over columns [n, N), by pointers offset to n.
        int_requant g = int_requant_from_column(to_gelu, n), h = int_requant_from_column(to_hidden, n);
        requantize_rows(fused ? SIMD_NONE : simd, OUT_I32, 1, N - n, xi + n, 0, &g, row, 0);
        gelu_values(simd && !fused, (size_t)(N - n), row, k, row);
        requantize_rows(fused ? SIMD_NONE : simd, OUT_U8, 1, N - n, row, 0, &h, oi + n, 0);
    }
    if (row != tile_row) free(row);
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

static void layernorm_row_portable(int N, const int32_t *row, int out_shift, int32_t *o) {
    int64_t sum = 0;
    for (int n = 0; n < N; n++) sum += row[n];
    int64_t twice = 2 * sum + N, mean = twice >= 0 ? twice / (2 * N) : -((-twice + 2 * N - 1) / (2 * N));  // ⌊(2Σ + N)/2N⌋
    uint64_t var = 0;  // Σ y² (mod 2^64 past 2^64; the documented inputs stay below 2^63)
    for (int n = 0; n < N; n++) { uint64_t y = (uint64_t)(row[n] - mean); var += y * y; }
    int64_t std = attend_isqrt((int64_t)var);
    // I-BERT's factor ⌊2^31/σ'⌋ keeps only 31 − bits(σ') bits; with e = bits(σ') − 1 extra bits,
    // factor = ⌊2^(31+e)/σ'⌋ ∈ (2^30, 2^31] and |y·factor| ≤ σ'·2^31 < 2^62 (σ' < 2^31).
    int e = std > 0 ? 63 - __builtin_clzll((unsigned long long)std) : 0;
    int64_t factor = std > 0 ? ((int64_t)1 << (31 + e)) / std : 0;
    for (int n = 0; n < N; n++) o[n] = layernorm_output(row[n] - mean, factor, out_shift + e);
}

static void layernorm_row(int simd, int N, const int32_t *row, int out_shift, int32_t *o) {
#ifdef ATTEND_HAVE_AVX2
    if (simd == SIMD_AVX512 && int_layernorm_row_avx512(N, row, out_shift, o)) return;
    if (simd == SIMD_AVX2 && int_layernorm_row_avx2(N, row, out_shift, o)) return;
#else
    (void)simd;
#endif
    layernorm_row_portable(N, row, out_shift, o);
}

void attend_int_layernorm(int body, int rows, int N, const int32_t *x, int ldx, int out_shift, int32_t *out, int ldo) {
    int simd = simd_level(body);
    for (int i = 0; i < rows; i++) layernorm_row(simd, N, x + (size_t)i * ldx, out_shift, out + (size_t)i * ldo);
}

void attend_int_residual_layernorm(int body, int rows, int N, const int32_t *a, int lda, const int32_t *bias, const int32_t *mult_a,
                                   const int8_t *shift_a, const uint8_t *r, int ldr, int32_t zero_r, int32_t mult_r, int shift_r,
                                   int32_t lo, int32_t hi, int out_shift, const attend_int_requant *to_out, uint8_t *out, int ldo,
                                   int32_t *normalized, int ldn) {
    int simd = simd_level(body);
    int32_t *sum = malloc(sizeof(int32_t) * 2 * (size_t)(N > 0 ? N : 1)), *norm = sum + (N > 0 ? N : 1);
    for (int i = 0; i < rows; i++) {
        residual_row(simd, N, a + (size_t)i * lda, bias, mult_a, shift_a, r + (size_t)i * ldr, zero_r, mult_r, shift_r, lo, hi, sum);
        int32_t *y = normalized ? normalized + (size_t)i * ldn : norm;
        layernorm_row(simd, N, sum, out_shift, y);
        if (to_out) requantize_rows(simd, OUT_U8, 1, N, y, 0, to_out, out + (size_t)i * ldo, 0);
    }
    free(sum);
}
