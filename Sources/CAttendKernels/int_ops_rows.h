// One-row bodies of the integer-only kernels (int_ops.c: portable bodies and the dispatch;
// int_ops_avx2.c: AVX2 bodies; int_ops_avx512.c: AVX-512 bodies). Each SIMD body gives the portable
// body's integers exactly on the inputs it accepts; where it returns 0 ("not handled") the caller runs
// the portable body, and an AVX2 body's columns past the count it returns too.
#pragma once
#include "CAttendKernels.h"
#include <stdint.h>

static inline int64_t attend_round_shift(int64_t v, int shift) { return (v + ((int64_t)1 << (shift - 1))) >> shift; }
static inline int64_t attend_clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }
/// x + bias as int32 with wrap-around (Swift's &+), bias NULL: x.
static inline int32_t attend_add_wrapping(int32_t x, const int32_t *bias, int n) {
    return bias ? (int32_t)((uint32_t)x + (uint32_t)bias[n]) : x;
}

typedef attend_int_requant int_requant;

/// `r` for the columns from n0 on: its per-column arrays advanced by n0.
static inline int_requant int_requant_from_column(const int_requant *r, int n0) {
    int_requant s = *r;
    s.bias = s.bias ? s.bias + n0 : 0;
    s.mult += n0;
    s.shift += n0;
    s.offset = s.offset ? s.offset + n0 : 0;
    return s;
}

/// clamp((y·factor) >> shift) to int32; the product wraps mod 2^64 outside the documented inputs
/// (|y·factor| < 2^62) instead of overflowing.
static inline int32_t layernorm_output(int64_t y, int64_t factor, int shift) {
    return (int32_t)attend_clamp64((int64_t)((uint64_t)y * (uint64_t)factor) >> shift, INT32_MIN, INT32_MAX);
}

#ifdef ATTEND_HAVE_AVX2
/// Columns [0, N − N % 8) of `rows` rows (strides ldx, ldo): out32[i, n] = the requantized value (int32);
/// returns the columns done.
int int_requantize_rows_avx2(int rows, int N, const int32_t *x, int ldx, const int_requant *r, int32_t *out32, int ldo);
/// The same narrowed to u8 (values must already lie in [0, 255]: r->lo ≥ 0, r->hi ≤ 255).
int int_requantize_rows_u8_avx2(int rows, int N, const int32_t *x, int ldx, const int_requant *r, uint8_t *out, int ldo);
/// The same narrowed to s8 (r->lo ≥ −128, r->hi ≤ 127).
int int_requantize_rows_s8_avx2(int rows, int N, const int32_t *x, int ldx, const int_requant *r, int8_t *out, int ldo);
/// Residual columns [0, N − N % 8); returns the columns done.
int int_residual_row_avx2(int N, const int32_t *a, const int32_t *bias, const int32_t *mult_a, const int8_t *shift_a,
                          const uint8_t *r, int32_t zero_r, int32_t mult_r, int shift_r, int32_t lo, int32_t hi, int32_t *out);
/// i-GELU of x[0, count − count % 8) when the constants keep every intermediate in 32 bits
/// (int_gelu_fits_32); returns the values done.
size_t int_gelu_avx2(size_t count, const int32_t *x, const attend_int_gelu_constants *k, int32_t *out);
/// requantize → i-GELU → requantize (u8) of columns [0, N − N % 8) of `rows` rows in registers, when
/// int_gelu_fits_32(k) and to_hidden's range lies in [0, 255]; returns the columns done.
int int_ffn_activation_rows_avx2(int rows, int N, const int32_t *x, int ldx, const int_requant *to_gelu,
                                 const attend_int_gelu_constants *k, const int_requant *to_hidden, uint8_t *out, int ldo);
/// i-softmax of one row of n ≥ 1 keys (x already biased), out[0, n); returns 0 when the constants or the
/// row leave the 32/64-bit lanes' range (the caller then runs the portable row). e: n int32 of scratch.
int int_softmax_row_avx2(int n, const int32_t *x, const attend_int_softmax_constants *k, int32_t *e, uint8_t *out);
/// i-LayerNorm of one row (out_shift as attend_int_layernorm); returns 0 when max − min of the row
/// reaches 2^31 (then x − mean may not fit 32 bits; the caller runs the portable row).
int int_layernorm_row_avx2(int N, const int32_t *x, int out_shift, int32_t *out);

// The AVX-512 bodies (AVX-512F, BW, VL): the same contracts, every column of the row (masked tails),
// and the u8 / s8 requantization for any [lo, hi] (the low byte, as the portable conversion).
int int_requantize_row_avx512(int N, const int32_t *x, const int_requant *r, int32_t *out32);
int int_requantize_row_8_avx512(int N, const int32_t *x, const int_requant *r, void *out);
int int_residual_row_avx512(int N, const int32_t *a, const int32_t *bias, const int32_t *mult_a, const int8_t *shift_a,
                            const uint8_t *r, int32_t zero_r, int32_t mult_r, int shift_r, int32_t lo, int32_t hi, int32_t *out);
size_t int_gelu_avx512(size_t count, const int32_t *x, const attend_int_gelu_constants *k, int32_t *out);
/// As the AVX2 body when int_gelu_fits_32(k), for any to_hidden range.
int int_ffn_activation_row_avx512(int N, const int32_t *x, const int_requant *to_gelu, const attend_int_gelu_constants *k,
                                  const int_requant *to_hidden, uint8_t *out);
int int_softmax_row_avx512(int n, const int32_t *x, const attend_int_softmax_constants *k, int32_t *e, uint8_t *out);
int int_layernorm_row_avx512(int N, const int32_t *x, int out_shift, int32_t *out);
#endif

/// Whether i-GELU's constants keep (min(|q|, −b) + b)² + c, its negation and ⌊L/2^shift⌋ + one in int32.
static inline int int_gelu_fits_32(const attend_int_gelu_constants *k) {
    int64_t b = -k->b, c = k->c < 0 ? -k->c : k->c, one = k->one < 0 ? -k->one : k->one;
    if (b < 0 || b > 46340 || k->c > 0 || k->shift < 0 || k->shift > 31 || c >= ((int64_t)1 << 31) || one >= ((int64_t)1 << 30)) return 0;
    int64_t l = b * b > c ? b * b : c;
    return l + one < ((int64_t)1 << 31);
}

/// Whether i-GELU's q·f stays below 2^31 for every q in to_gelu's range [lo, hi], so that one 32-bit
/// multiply gives it (int_gelu_fits_32(k) assumed): |f| ≤ max(b², |c|) >> shift + |one| + 1.
static inline int int_gelu_product_fits_32(const int_requant *to_gelu, const attend_int_gelu_constants *k) {
    int64_t b = -k->b, c = k->c < 0 ? -k->c : k->c, one = k->one < 0 ? -k->one : k->one;
    int64_t q = to_gelu->lo < 0 ? -(int64_t)to_gelu->lo : to_gelu->lo, qh = to_gelu->hi < 0 ? -(int64_t)to_gelu->hi : to_gelu->hi;
    int64_t f = ((b * b > c ? b * b : c) >> k->shift) + one + 1;
    return (q > qh ? q : qh) * f < ((int64_t)1 << 31);
}

/// Whether the SIMD i-softmax bodies' lanes hold every intermediate for these constants: u ≤ 30d < 2^24,
/// 0 ≤ b, b + d < 2^30, 0 ≤ c, 0 ≤ mult < 2^31, shift in 1…62, L ≤ b² + c < 2^42, L·mult < 2^62, e < 2^30.
static inline int int_softmax_fits_lanes(const attend_int_softmax_constants *k) {
    int64_t d = -k->x0;
    if (d < 2 || 30 * d >= ((int64_t)1 << 24) || k->b < 0 || k->b + d >= ((int64_t)1 << 30) || k->c < 0 || k->mult < 0 ||
        k->mult >= ((int64_t)1 << 31) || k->shift < 1 || k->shift > 62)
        return 0;
    int64_t lmax = k->b * k->b + k->c;  // ≥ every L (|t| ≤ b)
    return lmax < ((int64_t)1 << 42) && (__int128)lmax * k->mult < ((__int128)1 << 62) &&
           (__int128)lmax * k->mult < ((__int128)1 << (29 + k->shift));
}
