// AVX2 bodies of the integer-only kernels (int_ops.c dispatches; int_ops_rows.h states what each
// computes). Every body gives the portable body's integers exactly: 64-bit intermediates stay 64-bit
// (vpmuldq / vpmuludq on even and odd lanes), and where the portable body would need more than the
// lanes hold, the body declines and the portable one runs.
#include "simd_target.h"
#ifdef ATTEND_HAVE_AVX2
#include "int_ops_rows.h"

#define LOW32 _mm256_set1_epi64x(0xffffffff)

/// ⌊t / 2^c⌋ of 64-bit lanes for t ∈ [−2^62, 2^62), c ∈ [1, 62]: AVX2 has no arithmetic 64-bit shift,
/// so ((t + 2^62) >> c) − 2^(62−c) with logical shifts.
ATTEND_AVX2 static inline __m256i floor_shift64(__m256i t, __m256i c) {
    const __m256i big = _mm256_set1_epi64x((int64_t)1 << 62);
    return _mm256_sub_epi64(_mm256_srlv_epi64(_mm256_add_epi64(t, big), c), _mm256_srlv_epi64(big, c));
}

/// ⌊x·m/2^c + 1/2⌋ for 8 int32 lanes x, m with shifts c (int32 lanes, 1…62): the even lanes' results in
/// *even (64-bit lanes 0–3 = int32 lanes 0, 2, 4, 6), the odd lanes' in *odd. |x·m| < 2^62.
ATTEND_AVX2 static inline void mul_round_shift(__m256i x, __m256i m, __m256i c, __m256i *even, __m256i *odd) {
    const __m256i one = _mm256_set1_epi64x(1);
    __m256i ce = _mm256_and_si256(c, LOW32), co = _mm256_srli_epi64(c, 32);
    __m256i pe = _mm256_mul_epi32(x, m), po = _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32));
    pe = _mm256_add_epi64(pe, _mm256_sllv_epi64(one, _mm256_sub_epi64(ce, one)));
    po = _mm256_add_epi64(po, _mm256_sllv_epi64(one, _mm256_sub_epi64(co, one)));
    *even = floor_shift64(pe, ce);
    *odd = floor_shift64(po, co);
}

/// clamp of 64-bit lanes to [lo, hi] (64-bit lanes).
ATTEND_AVX2 static inline __m256i clamp64x4(__m256i v, __m256i lo, __m256i hi) {
    v = _mm256_blendv_epi8(v, hi, _mm256_cmpgt_epi64(v, hi));
    return _mm256_blendv_epi8(v, lo, _mm256_cmpgt_epi64(lo, v));
}

/// The low halves of even (int32 lanes 0, 2, 4, 6) and odd (1, 3, 5, 7) interleaved back into 8 int32 lanes.
ATTEND_AVX2 static inline __m256i interleave(__m256i even, __m256i odd) {
    return _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

ATTEND_AVX2 static inline __m256i load_bias(const int32_t *bias, int n) {
    return bias ? _mm256_loadu_si256((const __m256i *)(bias + n)) : _mm256_setzero_si256();
}

/// One requantization's constants for columns n…n+7, loaded once for every row of a tile: the bias,
/// multipliers and shift counts c (even and odd int32 lanes as 64-bit lanes), the rounding term
/// 2^(c−1) with floor_shift64's offset 2^62 added, that offset shifted out (2^62 >> c), zero + offset,
/// and the range. capped: whether the ±2^30 clamp can bite — not when every |mult| < 2^(c−1), as then
/// |(x + bias)·mult/2^c| rounds to at most 2^30 for any int32 x + bias.
typedef struct {
    __m256i bias, mult, ce, co, round_e, round_o, drop_e, drop_o, add, lo, hi;
    int capped;
} requant8;

ATTEND_AVX2 static inline requant8 requant8_columns(const int_requant *r, int n) {
    const __m256i one = _mm256_set1_epi64x(1), big = _mm256_set1_epi64x((int64_t)1 << 62);
    requant8 q;
    __m256i c = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(r->shift + n)));
    q.bias = load_bias(r->bias, n);
    q.mult = _mm256_loadu_si256((const __m256i *)(r->mult + n));
    // capped where c < 1, or c ≤ 32 and |mult| ≥ 2^(c−1) (vpsllvd gives 0 for counts past 31; |mult| unsigned)
    const __m256i one32 = _mm256_set1_epi32(1);
    __m256i half = _mm256_sllv_epi32(one32, _mm256_sub_epi32(c, one32)), m = _mm256_abs_epi32(q.mult);
    __m256i big_mult = _mm256_andnot_si256(_mm256_cmpeq_epi32(half, _mm256_setzero_si256()), _mm256_cmpeq_epi32(_mm256_max_epu32(m, half), m));
    q.capped = _mm256_movemask_epi8(_mm256_or_si256(big_mult, _mm256_cmpgt_epi32(one32, c))) != 0;
    q.ce = _mm256_and_si256(c, LOW32);
    q.co = _mm256_srli_epi64(c, 32);
    q.round_e = _mm256_add_epi64(big, _mm256_sllv_epi64(one, _mm256_sub_epi64(q.ce, one)));
    q.round_o = _mm256_add_epi64(big, _mm256_sllv_epi64(one, _mm256_sub_epi64(q.co, one)));
    q.drop_e = _mm256_srlv_epi64(big, q.ce);
    q.drop_o = _mm256_srlv_epi64(big, q.co);
    q.add = _mm256_set1_epi32(r->zero);
    if (r->offset) q.add = _mm256_add_epi32(q.add, _mm256_loadu_si256((const __m256i *)(r->offset + n)));
    q.lo = _mm256_set1_epi32(r->lo);
    q.hi = _mm256_set1_epi32(r->hi);
    return q;
}

/// 8 requantized lanes of v: (v + bias)·mult/2^shift rounded (mul_round_shift with q's precomputed
/// terms), clamped to ±2^30 (where q->capped), + offset + zero, clamped to [lo, hi].
ATTEND_AVX2 static inline __m256i requantize8v(__m256i v, const requant8 *q) {
    const __m256i cap = _mm256_set1_epi64x(1 << 30), floor_ = _mm256_set1_epi64x(-(1 << 30));
    v = _mm256_add_epi32(v, q->bias);
    __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(v, q->mult), q->round_e);
    __m256i po = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(v, 32), _mm256_srli_epi64(q->mult, 32)), q->round_o);
    __m256i e = _mm256_sub_epi64(_mm256_srlv_epi64(pe, q->ce), q->drop_e), o = _mm256_sub_epi64(_mm256_srlv_epi64(po, q->co), q->drop_o);
    if (q->capped) e = clamp64x4(e, floor_, cap), o = clamp64x4(o, floor_, cap);
    v = _mm256_add_epi32(interleave(e, o), q->add);
    return _mm256_min_epi32(q->hi, _mm256_max_epi32(q->lo, v));
}

/// 8 lanes in [0, 255] narrowed to u8 at out (the saturating packs change nothing).
ATTEND_AVX2 static inline void store_u8x8(uint8_t *out, __m256i v) {
    __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64((__m128i *)out, _mm_packus_epi16(w, w));
}

/// 8 lanes in [−128, 127] narrowed to s8 at out.
ATTEND_AVX2 static inline void store_s8x8(int8_t *out, __m256i v) {
    __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64((__m128i *)out, _mm_packs_epi16(w, w));
}

// The rows bodies: column groups outside, rows inside, so that a group's constants are computed once
// per tile (a GEMM epilogue's tile: up to ATTEND_I8_EMIT_ROWS rows of 16 columns).
#define REQUANTIZE_ROWS(name, type, store)                                                                       \
    ATTEND_AVX2 int name(int rows, int N, const int32_t *x, int ldx, const int_requant *r, type *out, int ldo) {  \
        int n = 0;                                                                                               \
        for (; n + 8 <= N; n += 8) {                                                                             \
            requant8 q = requant8_columns(r, n);                                                                 \
            for (int i = 0; i < rows; i++)                                                                       \
                store(out + (size_t)i * ldo + n, requantize8v(_mm256_loadu_si256((const __m256i *)(x + (size_t)i * ldx + n)), &q)); \
        }                                                                                                        \
        return n;                                                                                                \
    }
#define STORE_I32(out, v) _mm256_storeu_si256((__m256i *)(out), v)
REQUANTIZE_ROWS(int_requantize_rows_avx2, int32_t, STORE_I32)
REQUANTIZE_ROWS(int_requantize_rows_u8_avx2, uint8_t, store_u8x8)
REQUANTIZE_ROWS(int_requantize_rows_s8_avx2, int8_t, store_s8x8)
#undef STORE_I32
#undef REQUANTIZE_ROWS

/// Residual: ⌊(a + bias)·mult_a/2^shift_a + 1/2⌋ + ⌊(r − zero_r)·mult_r/2^shift_r + 1/2⌋ in 64 bits,
/// clamped to [lo, hi].
ATTEND_AVX2 int int_residual_row_avx2(int N, const int32_t *a, const int32_t *bias, const int32_t *mult_a, const int8_t *shift_a,
                                      const uint8_t *r, int32_t zero_r, int32_t mult_r, int shift_r, int32_t lo, int32_t hi, int32_t *out) {
    const __m256i vlo = _mm256_set1_epi64x(lo), vhi = _mm256_set1_epi64x(hi), z = _mm256_set1_epi32(zero_r);
    const __m256i mr = _mm256_set1_epi32(mult_r), cr = _mm256_set1_epi32(shift_r);
    int n = 0;
    for (; n + 8 <= N; n += 8) {
        __m256i x = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(a + n)), load_bias(bias, n));
        __m256i c = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(shift_a + n)));
        __m256i ae, ao, re, ro;
        mul_round_shift(x, _mm256_loadu_si256((const __m256i *)(mult_a + n)), c, &ae, &ao);
        __m256i rv = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(r + n))), z);
        mul_round_shift(rv, mr, cr, &re, &ro);
        __m256i e = clamp64x4(_mm256_add_epi64(ae, re), vlo, vhi), o = clamp64x4(_mm256_add_epi64(ao, ro), vlo, vhi);
        _mm256_storeu_si256((__m256i *)(out + n), interleave(e, o));
    }
    return n;
}

/// i-GELU of 8 lanes in 32 bits (int_gelu_fits_32): a = min(|q|, −b) (|q| unsigned, so q = −2^31
/// works), L = sgn(q)·((a + b)² + c) (vpsignd: −L for q < 0, 0 for q = 0), f = (L >> shift) + one,
/// and out = clamp(q·f) to int32 from the 64-bit products.
ATTEND_AVX2 static inline __m256i gelu8(__m256i q, const attend_int_gelu_constants *k) {
    const __m256i nb = _mm256_set1_epi32((int32_t)-k->b), b = _mm256_set1_epi32((int32_t)k->b), c = _mm256_set1_epi32((int32_t)k->c);
    const __m256i one = _mm256_set1_epi32((int32_t)k->one);
    const __m128i shift = _mm_cvtsi32_si128(k->shift);
    const __m256i lo = _mm256_set1_epi64x(INT32_MIN), hi = _mm256_set1_epi64x(INT32_MAX);
    __m256i a = _mm256_min_epu32(_mm256_abs_epi32(q), nb);
    __m256i t = _mm256_add_epi32(a, b);
    __m256i l = _mm256_sign_epi32(_mm256_add_epi32(_mm256_mullo_epi32(t, t), c), q);
    __m256i f = _mm256_add_epi32(_mm256_sra_epi32(l, shift), one);
    __m256i e = _mm256_mul_epi32(q, f), o = _mm256_mul_epi32(_mm256_srli_epi64(q, 32), _mm256_srli_epi64(f, 32));
    return interleave(clamp64x4(e, lo, hi), clamp64x4(o, lo, hi));
}

/// gelu8 when |q·f| < 2^31 is known for every lane (the caller's bound): one vpmulld, no clamp.
ATTEND_AVX2 static inline __m256i gelu8_narrow(__m256i q, const attend_int_gelu_constants *k) {
    const __m256i nb = _mm256_set1_epi32((int32_t)-k->b), b = _mm256_set1_epi32((int32_t)k->b), c = _mm256_set1_epi32((int32_t)k->c);
    const __m256i one = _mm256_set1_epi32((int32_t)k->one);
    const __m128i shift = _mm_cvtsi32_si128(k->shift);
    __m256i t = _mm256_add_epi32(_mm256_min_epu32(_mm256_abs_epi32(q), nb), b);
    __m256i l = _mm256_sign_epi32(_mm256_add_epi32(_mm256_mullo_epi32(t, t), c), q);
    return _mm256_mullo_epi32(q, _mm256_add_epi32(_mm256_sra_epi32(l, shift), one));
}

ATTEND_AVX2 size_t int_gelu_avx2(size_t count, const int32_t *x, const attend_int_gelu_constants *k, int32_t *out) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_si256((__m256i *)(out + i), gelu8(_mm256_loadu_si256((const __m256i *)(x + i)), k));
    return i;
}

/// The FFN activation of columns [0, N − N % 8) of `rows` rows in registers: requantize (to_gelu) →
/// gelu8 → requantize (to_hidden, range within [0, 255]) → u8; returns the columns done.
ATTEND_AVX2 int int_ffn_activation_rows_avx2(int rows, int N, const int32_t *x, int ldx, const int_requant *to_gelu,
                                             const attend_int_gelu_constants *k, const int_requant *to_hidden, uint8_t *out, int ldo) {
    int narrow = int_gelu_product_fits_32(to_gelu, k);  // q·f needs no 64-bit product or clamp
    int n = 0;
    for (; n + 8 <= N; n += 8) {
        requant8 g = requant8_columns(to_gelu, n), h = requant8_columns(to_hidden, n);
        for (int i = 0; i < rows; i++) {
            __m256i q = requantize8v(_mm256_loadu_si256((const __m256i *)(x + (size_t)i * ldx + n)), &g);
            store_u8x8(out + (size_t)i * ldo + n, requantize8v(narrow ? gelu8_narrow(q, k) : gelu8(q, k), &h));
        }
    }
    return n;
}

typedef struct {
    __m256i cap, d, inverse, b, c, c32, mult, shift;  // 30d, d, ⌊2^32/d⌋ (64-bit lanes), b, c (64-bit, 32-bit lanes), mult (64-bit), shift
} exp_constants;

/// I-BERT's i-exp of 8 keys x[0..8) below the row maximum m (int_softmax_row_avx2 states the steps); adds
/// the 8 values to the 64-bit lanes of *sum. narrow (every |t|² + c < 2^31): L = t² + c by one vpmulld
/// and L·mult by one vpmuludq per 4 lanes (L, mult < 2^31), the same integers as the 64-bit L.
ATTEND_AVX2 __attribute__((always_inline)) static inline __m256i exp8(const int32_t *x, __m256i m, const exp_constants *k, int narrow,
                                                                       __m256i *sum) {
    const __m256i one = _mm256_set1_epi32(1), one64 = _mm256_set1_epi64x(1);
    __m256i u = _mm256_min_epu32(_mm256_sub_epi32(m, _mm256_loadu_si256((const __m256i *)x)), k->cap);
    __m256i ze = _mm256_srli_epi64(_mm256_mul_epu32(u, k->inverse), 32);
    __m256i zo = _mm256_srli_epi64(_mm256_mul_epu32(_mm256_srli_epi64(u, 32), k->inverse), 32);
    __m256i z = interleave(ze, zo), zd = _mm256_mullo_epi32(z, k->d);
    __m256i short_ = _mm256_cmpgt_epi32(_mm256_add_epi32(zd, k->d), u);  // (z + 1)·d > u: z is right
    z = _mm256_add_epi32(z, _mm256_andnot_si256(short_, one));
    zd = _mm256_add_epi32(zd, _mm256_andnot_si256(short_, k->d));
    __m256i t = _mm256_add_epi32(_mm256_sub_epi32(zd, u), k->b);  // p + b, p = z·d − u ∈ (x0, 0]
    __m256i pe, po;
    if (narrow) {
        __m256i l = _mm256_add_epi32(_mm256_mullo_epi32(t, t), k->c32);
        pe = _mm256_mul_epu32(l, k->mult);
        po = _mm256_mul_epu32(_mm256_srli_epi64(l, 32), k->mult);
    } else {
        __m256i le = _mm256_add_epi64(_mm256_mul_epi32(t, t), k->c);
        __m256i lo = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(t, 32), _mm256_srli_epi64(t, 32)), k->c);
        pe = _mm256_add_epi64(_mm256_mul_epu32(le, k->mult), _mm256_slli_epi64(_mm256_mul_epu32(_mm256_srli_epi64(le, 32), k->mult), 32));
        po = _mm256_add_epi64(_mm256_mul_epu32(lo, k->mult), _mm256_slli_epi64(_mm256_mul_epu32(_mm256_srli_epi64(lo, 32), k->mult), 32));
    }
    __m256i s = _mm256_add_epi32(z, k->shift), se = _mm256_and_si256(s, LOW32), so = _mm256_srli_epi64(s, 32);
    __m256i ee = _mm256_srlv_epi64(_mm256_add_epi64(pe, _mm256_sllv_epi64(one64, _mm256_sub_epi64(se, one64))), se);
    __m256i eo = _mm256_srlv_epi64(_mm256_add_epi64(po, _mm256_sllv_epi64(one64, _mm256_sub_epi64(so, one64))), so);
    *sum = _mm256_add_epi64(*sum, _mm256_add_epi64(ee, eo));
    return interleave(ee, eo);
}

/// i-softmax of one row in AVX2. Per key: u = min(m − x, 30d) (unsigned 32-bit: exact), z = ⌊u/d⌋
/// by the reciprocal ⌊u·inv/2^32⌋ and one correction, p = z·d − u, t = p + b, L = t² + c (in 32 bits
/// when every t² + c < 2^31, else 64-bit with L·mult as (L_hi·mult)·2^32 + L_lo·mult),
/// e = ⌊L·mult/2^(shift+z) + 1/2⌋ (vpsrlvq gives 0 past 63, as the portable body's 0 past 62 —
/// L·mult < 2^62), Σe in 64-bit lanes; then (e·factor) >> 24 capped at 255 with factor = ⌊2^32/Σe⌋ < 2^32.
ATTEND_AVX2 int int_softmax_row_avx2(int n, const int32_t *x, const attend_int_softmax_constants *k, int32_t *e, uint8_t *out) {
    if (!int_softmax_fits_lanes(k)) return 0;
    int64_t d = -k->x0;
    uint64_t inverse = ((uint64_t)1 << 32) / (uint64_t)d;
    int j = 0;
    __m256i mv = _mm256_set1_epi32(x[0]);
    for (; j + 8 <= n; j += 8) mv = _mm256_max_epi32(mv, _mm256_loadu_si256((const __m256i *)(x + j)));
    int32_t lanes[8], m;
    _mm256_storeu_si256((__m256i *)lanes, mv);
    m = lanes[0];
    for (int l = 1; l < 8; l++) m = lanes[l] > m ? lanes[l] : m;
    for (; j < n; j++) m = x[j] > m ? x[j] : m;
    const __m256i vm = _mm256_set1_epi32(m);
    const exp_constants c = {_mm256_set1_epi32((int32_t)(30 * d)), _mm256_set1_epi32((int32_t)d), _mm256_set1_epi64x((int64_t)inverse),
                             _mm256_set1_epi32((int32_t)k->b), _mm256_set1_epi64x(k->c), _mm256_set1_epi32((int32_t)k->c),
                             _mm256_set1_epi64x(k->mult), _mm256_set1_epi32(k->shift)};
    __m256i sum = _mm256_setzero_si256();
    j = 0;
    int64_t t_max = k->b > d - k->b ? k->b : d - k->b;  // t = p + b ∈ (b − d, b]
    if (t_max * t_max + k->c < ((int64_t)1 << 31))  // t² and L = t² + c in int32
        for (; j + 8 <= n; j += 8) _mm256_storeu_si256((__m256i *)(e + j), exp8(x + j, vm, &c, 1, &sum));
    else
        for (; j + 8 <= n; j += 8) _mm256_storeu_si256((__m256i *)(e + j), exp8(x + j, vm, &c, 0, &sum));
    int64_t sums[4], total;
    _mm256_storeu_si256((__m256i *)sums, sum);
    total = sums[0] + sums[1] + sums[2] + sums[3];
    for (; j < n; j++) {  // the tail as the portable body
        uint64_t u = (uint64_t)((int64_t)m - x[j]);
        if (u > (uint64_t)(30 * d)) u = (uint64_t)(30 * d);
        uint64_t z = (u * inverse) >> 32;
        if ((z + 1) * (uint64_t)d <= u) z++;
        int64_t p = -(int64_t)(u - z * (uint64_t)d), t = p + k->b;
        int shift = k->shift + (int)z;
        e[j] = (int32_t)(shift > 62 ? 0 : attend_round_shift((t * t + k->c) * k->mult, shift));
        total += e[j];
    }
    int64_t factor = ((int64_t)1 << 32) / total;
    if (factor >= ((int64_t)1 << 32)) return 0;  // Σe = 1: the portable row
    const __m256i f = _mm256_set1_epi64x(factor), top = _mm256_set1_epi32(255);
    j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(e + j));
        __m256i pe = _mm256_srli_epi64(_mm256_mul_epu32(v, f), 24), po = _mm256_srli_epi64(_mm256_mul_epu32(_mm256_srli_epi64(v, 32), f), 24);
        __m256i w = _mm256_min_epu32(interleave(pe, po), top);  // e ≤ Σe: e·factor ≤ 2^32, shifted ≤ 256
        __m128i h = _mm_packus_epi32(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
        _mm_storel_epi64((__m128i *)(out + j), _mm_packus_epi16(h, h));
    }
    for (; j < n; j++) {
        int64_t v = ((int64_t)e[j] * factor) >> 24;
        out[j] = (uint8_t)(v > 255 ? 255 : v);
    }
    return 1;
}

/// i-LayerNorm of one row in AVX2: Σx and Σy² in 64-bit lanes (y = x − μ in int32, exact when
/// max − min < 2^31), then out = clamp((y·factor) >> (out_shift + e)) with the 64-bit products
/// (factor = 2^31 as a shift by 31, since it does not fit vpmuldq's signed 32 bits).
ATTEND_AVX2 int int_layernorm_row_avx2(int N, const int32_t *x, int out_shift, int32_t *out) {
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, mn = _mm256_set1_epi32(x[0]), mx = mn;
    int n = 0;
    for (; n + 8 <= N; n += 8) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(x + n));
        mn = _mm256_min_epi32(mn, v);
        mx = _mm256_max_epi32(mx, v);
        s0 = _mm256_add_epi64(s0, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(v)));
        s1 = _mm256_add_epi64(s1, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1)));
    }
    int64_t parts[4];
    int32_t lmn[8], lmx[8];
    _mm256_storeu_si256((__m256i *)parts, _mm256_add_epi64(s0, s1));
    _mm256_storeu_si256((__m256i *)lmn, mn);
    _mm256_storeu_si256((__m256i *)lmx, mx);
    int64_t sum = parts[0] + parts[1] + parts[2] + parts[3], lo = lmn[0], hi = lmx[0];
    for (int l = 1; l < 8; l++) { lo = lmn[l] < lo ? lmn[l] : lo; hi = lmx[l] > hi ? lmx[l] : hi; }
    for (int j = n; j < N; j++) { sum += x[j]; lo = x[j] < lo ? x[j] : lo; hi = x[j] > hi ? x[j] : hi; }
    if (hi - lo >= ((int64_t)1 << 31)) return 0;
    int64_t twice = 2 * sum + N, mean = twice >= 0 ? twice / (2 * N) : -((-twice + 2 * N - 1) / (2 * N));
    const __m256i vmean = _mm256_set1_epi32((int32_t)mean);
    __m256i q0 = _mm256_setzero_si256(), q1 = q0;
    for (n = 0; n + 8 <= N; n += 8) {
        __m256i y = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(x + n)), vmean);
        q0 = _mm256_add_epi64(q0, _mm256_mul_epi32(y, y));
        __m256i yo = _mm256_srli_epi64(y, 32);
        q1 = _mm256_add_epi64(q1, _mm256_mul_epi32(yo, yo));
    }
    _mm256_storeu_si256((__m256i *)parts, _mm256_add_epi64(q0, q1));
    uint64_t var = (uint64_t)parts[0] + (uint64_t)parts[1] + (uint64_t)parts[2] + (uint64_t)parts[3];
    for (int j = n; j < N; j++) { uint64_t y = (uint64_t)(x[j] - mean); var += y * y; }
    int64_t std = attend_isqrt((int64_t)var);
    int e = std > 0 ? 63 - __builtin_clzll((unsigned long long)std) : 0;
    int64_t factor = std > 0 ? ((int64_t)1 << (31 + e)) / std : 0;
    if (out_shift + e < 1 || out_shift + e > 62) return 0;
    const __m256i f = _mm256_set1_epi32((int32_t)(factor == ((int64_t)1 << 31) ? 0 : factor));
    const __m256i c = _mm256_set1_epi64x(out_shift + e);
    const __m256i lo32 = _mm256_set1_epi64x(INT32_MIN), hi32 = _mm256_set1_epi64x(INT32_MAX);
    const int power = factor == ((int64_t)1 << 31);
    for (n = 0; n + 8 <= N; n += 8) {
        __m256i y = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(x + n)), vmean), yo = _mm256_srli_epi64(y, 32);
        __m256i pe, po;  // |y·factor| < 2^62
        if (power) {
            __m256i split = _mm256_permutevar8x32_epi32(y, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));  // even lanes, then odd
            pe = _mm256_slli_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(split)), 31);
            po = _mm256_slli_epi64(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(split, 1)), 31);
        } else {
            pe = _mm256_mul_epi32(y, f);
            po = _mm256_mul_epi32(yo, f);
        }
        pe = clamp64x4(floor_shift64(pe, c), lo32, hi32);
        po = clamp64x4(floor_shift64(po, c), lo32, hi32);
        _mm256_storeu_si256((__m256i *)(out + n), interleave(pe, po));
    }
    for (int j = n; j < N; j++) out[j] = layernorm_output(x[j] - mean, factor, out_shift + e);
    return 1;
}
#endif
