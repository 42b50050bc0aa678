// AVX-512 bodies of the integer-only kernels (int_ops.c dispatches; int_ops_rows.h states what each
// computes). The AVX2 bodies' arithmetic on 16 lanes, with what AVX-512F adds: 64-bit arithmetic
// shifts (vpsravq) and min/max (vpminsq / vpmaxsq) replace AVX2's offset-shift and compare-blend
// sequences, narrowing stores (vpmovdb) replace the pack chains, and masked loads and stores run each
// row's last columns, so every body does the whole row. Every body gives the portable body's integers
// exactly (tested: IntegerBodiesTests, each body forced).
#include "simd_target.h"
#ifdef ATTEND_HAVE_AVX2
#include "int_ops_rows.h"

#define ATTEND_AVX512_INT __attribute__((target("avx512f,avx512bw,avx512vl")))

/// The mask of the first `count` of 16 lanes (count ≥ 16: all).
ATTEND_AVX512_INT static inline __mmask16 first_lanes(int count) {
    return count >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << count) - 1);
}

/// ⌊x·m/2^c + 1/2⌋ for 16 int32 lanes x, m with shifts c (int32 lanes, 1…62): the even lanes' results
/// in *even (64-bit lanes = int32 lanes 0, 2, …, 14), the odd lanes' in *odd. |x·m| ≤ 2^62.
ATTEND_AVX512_INT static inline void mul_round_shift16(__m512i x, __m512i m, __m512i c, __m512i *even, __m512i *odd) {
    const __m512i one = _mm512_set1_epi64(1), low = _mm512_set1_epi64(0xffffffff);
    __m512i ce = _mm512_and_si512(c, low), co = _mm512_srli_epi64(c, 32);
    __m512i pe = _mm512_mul_epi32(x, m), po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(m, 32));
    pe = _mm512_add_epi64(pe, _mm512_sllv_epi64(one, _mm512_sub_epi64(ce, one)));
    po = _mm512_add_epi64(po, _mm512_sllv_epi64(one, _mm512_sub_epi64(co, one)));
    *even = _mm512_srav_epi64(pe, ce);
    *odd = _mm512_srav_epi64(po, co);
}

ATTEND_AVX512_INT static inline __m512i clamp64x8(__m512i v, __m512i lo, __m512i hi) {
    return _mm512_min_epi64(_mm512_max_epi64(v, lo), hi);
}

/// The low halves of even (int32 lanes 0, 2, …) and odd (1, 3, …) interleaved back into 16 int32 lanes.
ATTEND_AVX512_INT static inline __m512i interleave16(__m512i even, __m512i odd) {
    return _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

/// 16 requantized lanes of v (columns n…n+15, the lanes of `k` loaded): requantize1 of int_ops.c.
ATTEND_AVX512_INT static inline __m512i requantize16v(__m512i v, const int_requant *r, int n, __mmask16 k) {
    const __m512i cap = _mm512_set1_epi64(1 << 30), floor_ = _mm512_set1_epi64(-(1 << 30));
    if (r->bias) v = _mm512_add_epi32(v, _mm512_maskz_loadu_epi32(k, r->bias + n));
    __m512i c = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(k, r->shift + n));
    __m512i e, o;
    mul_round_shift16(v, _mm512_maskz_loadu_epi32(k, r->mult + n), c, &e, &o);
    v = interleave16(clamp64x8(e, floor_, cap), clamp64x8(o, floor_, cap));
    __m512i add = _mm512_set1_epi32(r->zero);
    if (r->offset) add = _mm512_add_epi32(add, _mm512_maskz_loadu_epi32(k, r->offset + n));
    v = _mm512_add_epi32(v, add);
    return _mm512_min_epi32(_mm512_set1_epi32(r->hi), _mm512_max_epi32(_mm512_set1_epi32(r->lo), v));
}

ATTEND_AVX512_INT static inline __m512i requantize16(const int32_t *x, const int_requant *r, int n, __mmask16 k) {
    return requantize16v(_mm512_maskz_loadu_epi32(k, x + n), r, n, k);
}

ATTEND_AVX512_INT int int_requantize_row_avx512(int N, const int32_t *x, const int_requant *r, int32_t *out32) {
    for (int n = 0; n < N; n += 16) {
        __mmask16 k = first_lanes(N - n);
        _mm512_mask_storeu_epi32(out32 + n, k, requantize16(x, r, n, k));
    }
    return N;
}

/// u8 and s8: the low byte of each lane (vpmovdb truncates, as the portable body's conversion does).
ATTEND_AVX512_INT int int_requantize_row_8_avx512(int N, const int32_t *x, const int_requant *r, void *out) {
    for (int n = 0; n < N; n += 16) {
        __mmask16 k = first_lanes(N - n);
        _mm512_mask_cvtepi32_storeu_epi8((char *)out + n, k, requantize16(x, r, n, k));
    }
    return N;
}

ATTEND_AVX512_INT int int_residual_row_avx512(int N, const int32_t *a, const int32_t *bias, const int32_t *mult_a, const int8_t *shift_a,
                                              const uint8_t *r, int32_t zero_r, int32_t mult_r, int shift_r, int32_t lo, int32_t hi,
                                              int32_t *out) {
    const __m512i vlo = _mm512_set1_epi64(lo), vhi = _mm512_set1_epi64(hi), z = _mm512_set1_epi32(zero_r);
    const __m512i mr = _mm512_set1_epi32(mult_r), cr = _mm512_set1_epi32(shift_r);
    for (int n = 0; n < N; n += 16) {
        __mmask16 k = first_lanes(N - n);
        __m512i x = _mm512_maskz_loadu_epi32(k, a + n);
        if (bias) x = _mm512_add_epi32(x, _mm512_maskz_loadu_epi32(k, bias + n));
        __m512i c = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(k, shift_a + n));
        __m512i ae, ao, re, ro;
        mul_round_shift16(x, _mm512_maskz_loadu_epi32(k, mult_a + n), c, &ae, &ao);
        __m512i rv = _mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(k, r + n)), z);
        mul_round_shift16(rv, mr, cr, &re, &ro);
        __m512i e = clamp64x8(_mm512_add_epi64(ae, re), vlo, vhi), o = clamp64x8(_mm512_add_epi64(ao, ro), vlo, vhi);
        _mm512_mask_storeu_epi32(out + n, k, interleave16(e, o));
    }
    return N;
}

/// sgn(q)·l: −l where q < 0, 0 where q = 0 (AVX2's vpsignd).
ATTEND_AVX512_INT static inline __m512i sign16(__m512i l, __m512i q) {
    const __m512i zero = _mm512_setzero_si512();
    l = _mm512_maskz_mov_epi32(_mm512_test_epi32_mask(q, q), l);
    return _mm512_mask_sub_epi32(l, _mm512_cmplt_epi32_mask(q, zero), zero, l);
}

/// i-GELU's factor f = (sgn(q)·((min(|q|, −b) + b)² + c) >> shift) + one in 32 bits (int_gelu_fits_32).
ATTEND_AVX512_INT static inline __m512i gelu_factor16(__m512i q, const attend_int_gelu_constants *k) {
    const __m512i nb = _mm512_set1_epi32((int32_t)-k->b), b = _mm512_set1_epi32((int32_t)k->b), c = _mm512_set1_epi32((int32_t)k->c);
    __m512i t = _mm512_add_epi32(_mm512_min_epu32(_mm512_abs_epi32(q), nb), b);
    __m512i l = sign16(_mm512_add_epi32(_mm512_mullo_epi32(t, t), c), q);
    return _mm512_add_epi32(_mm512_sra_epi32(l, _mm_cvtsi32_si128(k->shift)), _mm512_set1_epi32((int32_t)k->one));
}

/// i-GELU of 16 lanes: clamp(q·f) to int32 from the 64-bit products.
ATTEND_AVX512_INT static inline __m512i gelu16(__m512i q, const attend_int_gelu_constants *k) {
    const __m512i lo = _mm512_set1_epi64(INT32_MIN), hi = _mm512_set1_epi64(INT32_MAX);
    __m512i f = gelu_factor16(q, k);
    __m512i e = _mm512_mul_epi32(q, f), o = _mm512_mul_epi32(_mm512_srli_epi64(q, 32), _mm512_srli_epi64(f, 32));
    return interleave16(clamp64x8(e, lo, hi), clamp64x8(o, lo, hi));
}

ATTEND_AVX512_INT size_t int_gelu_avx512(size_t count, const int32_t *x, const attend_int_gelu_constants *k, int32_t *out) {
    for (size_t i = 0; i < count; i += 16) {
        __mmask16 m = first_lanes(count - i > 16 ? 16 : (int)(count - i));
        _mm512_mask_storeu_epi32(out + i, m, gelu16(_mm512_maskz_loadu_epi32(m, x + i), k));
    }
    return count;
}

ATTEND_AVX512_INT int int_ffn_activation_row_avx512(int N, const int32_t *x, const int_requant *to_gelu, const attend_int_gelu_constants *k,
                                                    const int_requant *to_hidden, uint8_t *out) {
    int narrow = int_gelu_product_fits_32(to_gelu, k);  // q·f in int32: one vpmulld, no clamp
    for (int n = 0; n < N; n += 16) {
        __mmask16 m = first_lanes(N - n);
        __m512i q = requantize16(x, to_gelu, n, m);
        __m512i g = narrow ? _mm512_mullo_epi32(q, gelu_factor16(q, k)) : gelu16(q, k);
        _mm512_mask_cvtepi32_storeu_epi8(out + n, m, requantize16v(g, to_hidden, n, m));
    }
    return N;
}

ATTEND_AVX512_INT int int_softmax_row_avx512(int n, const int32_t *x, const attend_int_softmax_constants *k, int32_t *e, uint8_t *out) {
    if (!int_softmax_fits_lanes(k)) return 0;
    int64_t d = -k->x0;
    uint64_t inverse = ((uint64_t)1 << 32) / (uint64_t)d;
    __m512i mv = _mm512_set1_epi32(INT32_MIN);
    for (int j = 0; j < n; j += 16) mv = _mm512_max_epi32(mv, _mm512_mask_loadu_epi32(mv, first_lanes(n - j), x + j));
    const int32_t m = _mm512_reduce_max_epi32(mv);
    const __m512i vm = _mm512_set1_epi32(m), cap = _mm512_set1_epi32((int32_t)(30 * d)), vd = _mm512_set1_epi32((int32_t)d);
    const __m512i inv = _mm512_set1_epi64((int64_t)inverse), onev = _mm512_set1_epi32(1), one64 = _mm512_set1_epi64(1);
    const __m512i vb = _mm512_set1_epi32((int32_t)k->b), vc = _mm512_set1_epi64(k->c), mult = _mm512_set1_epi64(k->mult);
    const __m512i sh = _mm512_set1_epi32(k->shift), low = _mm512_set1_epi64(0xffffffff);
    __m512i sum = _mm512_setzero_si512();
    for (int j = 0; j < n; j += 16) {
        int left = n - j;
        __mmask16 lanes = first_lanes(left);
        // The lanes past n load m (u = 0) and are left out of Σe: even lanes i < ⌈left/2⌉, odd i < ⌊left/2⌋.
        __mmask8 even = left >= 16 ? 0xff : (__mmask8)((1u << ((left + 1) / 2)) - 1), odd = left >= 16 ? 0xff : (__mmask8)((1u << (left / 2)) - 1);
        __m512i u = _mm512_min_epu32(_mm512_sub_epi32(vm, _mm512_mask_loadu_epi32(vm, lanes, x + j)), cap);
        __m512i ze = _mm512_srli_epi64(_mm512_mul_epu32(u, inv), 32);
        __m512i zo = _mm512_srli_epi64(_mm512_mul_epu32(_mm512_srli_epi64(u, 32), inv), 32);
        __m512i z = interleave16(ze, zo), zd = _mm512_mullo_epi32(z, vd);
        __mmask16 right = _mm512_cmpgt_epi32_mask(_mm512_add_epi32(zd, vd), u);  // (z + 1)·d > u: z is right
        z = _mm512_mask_add_epi32(z, (__mmask16)~right, z, onev);
        zd = _mm512_mask_add_epi32(zd, (__mmask16)~right, zd, vd);
        __m512i t = _mm512_add_epi32(_mm512_sub_epi32(zd, u), vb);  // p + b, p = z·d − u ∈ (x0, 0]
        __m512i le = _mm512_add_epi64(_mm512_mul_epi32(t, t), vc);
        __m512i to = _mm512_srli_epi64(t, 32), lo_ = _mm512_add_epi64(_mm512_mul_epi32(to, to), vc);
        __m512i pe = _mm512_add_epi64(_mm512_mul_epu32(le, mult), _mm512_slli_epi64(_mm512_mul_epu32(_mm512_srli_epi64(le, 32), mult), 32));
        __m512i po = _mm512_add_epi64(_mm512_mul_epu32(lo_, mult), _mm512_slli_epi64(_mm512_mul_epu32(_mm512_srli_epi64(lo_, 32), mult), 32));
        __m512i s = _mm512_add_epi32(z, sh), se = _mm512_and_si512(s, low), so = _mm512_srli_epi64(s, 32);
        __m512i ee = _mm512_srlv_epi64(_mm512_add_epi64(pe, _mm512_sllv_epi64(one64, _mm512_sub_epi64(se, one64))), se);
        __m512i eo = _mm512_srlv_epi64(_mm512_add_epi64(po, _mm512_sllv_epi64(one64, _mm512_sub_epi64(so, one64))), so);
        sum = _mm512_mask_add_epi64(sum, even, sum, ee);
        sum = _mm512_mask_add_epi64(sum, odd, sum, eo);
        _mm512_mask_storeu_epi32(e + j, lanes, interleave16(ee, eo));
    }
    int64_t total = _mm512_reduce_add_epi64(sum);
    int64_t factor = ((int64_t)1 << 32) / total;
    if (factor >= ((int64_t)1 << 32)) return 0;  // Σe = 1: the portable row
    const __m512i f = _mm512_set1_epi64(factor), top = _mm512_set1_epi32(255);
    for (int j = 0; j < n; j += 16) {
        __mmask16 lanes = first_lanes(n - j);
        __m512i v = _mm512_maskz_loadu_epi32(lanes, e + j);
        __m512i pe = _mm512_srli_epi64(_mm512_mul_epu32(v, f), 24), po = _mm512_srli_epi64(_mm512_mul_epu32(_mm512_srli_epi64(v, 32), f), 24);
        _mm512_mask_cvtepi32_storeu_epi8(out + j, lanes, _mm512_min_epu32(interleave16(pe, po), top));  // e·factor ≤ 2^32: ≤ 256 shifted
    }
    return 1;
}

ATTEND_AVX512_INT int int_layernorm_row_avx512(int N, const int32_t *x, int out_shift, int32_t *out) {
    __m512i s = _mm512_setzero_si512(), mn = _mm512_set1_epi32(INT32_MAX), mx = _mm512_set1_epi32(INT32_MIN);
    for (int n = 0; n < N; n += 16) {
        __mmask16 k = first_lanes(N - n);
        __m512i v = _mm512_maskz_loadu_epi32(k, x + n);  // zeros past N: nothing added to Σx
        mn = _mm512_mask_min_epi32(mn, k, mn, v);
        mx = _mm512_mask_max_epi32(mx, k, mx, v);
        s = _mm512_add_epi64(s, _mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(v)),
                                                 _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(v, 1))));
    }
    int64_t sum = _mm512_reduce_add_epi64(s), lo = _mm512_reduce_min_epi32(mn), hi = _mm512_reduce_max_epi32(mx);
    if (hi - lo >= ((int64_t)1 << 31)) return 0;
    int64_t twice = 2 * sum + N, mean = twice >= 0 ? twice / (2 * N) : -((-twice + 2 * N - 1) / (2 * N));
    const __m512i vmean = _mm512_set1_epi32((int32_t)mean);
    __m512i q = _mm512_setzero_si512();
    for (int n = 0; n < N; n += 16) {
        __mmask16 k = first_lanes(N - n);
        __m512i y = _mm512_maskz_sub_epi32(k, _mm512_maskz_loadu_epi32(k, x + n), vmean);  // 0 past N
        q = _mm512_add_epi64(q, _mm512_add_epi64(_mm512_mul_epi32(y, y), _mm512_mul_epi32(_mm512_srli_epi64(y, 32), _mm512_srli_epi64(y, 32))));
    }
    uint64_t var = (uint64_t)_mm512_reduce_add_epi64(q);
    int64_t std = attend_isqrt((int64_t)var);
    int e = std > 0 ? 63 - __builtin_clzll((unsigned long long)std) : 0;
    int64_t factor = std > 0 ? ((int64_t)1 << (31 + e)) / std : 0;
    if (out_shift + e < 1 || out_shift + e > 62) return 0;
    const int power = factor == ((int64_t)1 << 31);  // 2^31 does not fit vpmuldq's signed 32 bits: y·2^31 by shifts
    const __m512i f = _mm512_set1_epi32(power ? 0 : (int32_t)factor), c = _mm512_set1_epi64(out_shift + e);
    const __m512i lo32 = _mm512_set1_epi64(INT32_MIN), hi32 = _mm512_set1_epi64(INT32_MAX), high = _mm512_set1_epi64((int64_t)0xffffffff00000000);
    for (int n = 0; n < N; n += 16) {
        __mmask16 k = first_lanes(N - n);
        __m512i y = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(k, x + n), vmean), pe, po;  // |y·factor| < 2^62
        if (power) {  // (y_even << 32) >> 1 and (y_odd in the high half) >> 1, arithmetic: y·2^31
            pe = _mm512_srai_epi64(_mm512_slli_epi64(y, 32), 1);
            po = _mm512_srai_epi64(_mm512_and_si512(y, high), 1);
        } else {
            pe = _mm512_mul_epi32(y, f);
            po = _mm512_mul_epi32(_mm512_srli_epi64(y, 32), f);
        }
        pe = clamp64x8(_mm512_srav_epi64(pe, c), lo32, hi32);
        po = clamp64x8(_mm512_srav_epi64(po, c), lo32, hi32);
        _mm512_mask_storeu_epi32(out + n, k, interleave16(pe, po));
    }
    return 1;
}
#endif
