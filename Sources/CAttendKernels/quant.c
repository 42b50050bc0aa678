// Products with GGML-quantized weights in F32 activations (block layouts in GGMLType.swift,
// from ggml's ggml-common.h): a matrix–vector path that streams each weight block once and
// dequantizes it in registers, and a matrix–matrix path that dequantizes KC×NC weight blocks into
// the SGEMM packed-B layout and runs the F32 micro-kernel of gemm.c on them.
//
// Q4_0 / Q4_1 dot products use Σ_i (d·q_i + m)·x_i = d·Σ_i q_i·x_i + m·Σ_i x_i, with the per-block
// sums Σx computed once per vector (attend_quant_block_sums); Q4_0 is Q4_1 with m = −8d.
#include "CAttendKernels.h"
#include "simd_target.h"
#include <string.h>

enum { NR = ATTEND_GEMM_NR, KC = ATTEND_GEMM_KC };
enum { T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q4_1 = 3, T_Q8_0 = 8, T_Q4_K = 12, T_Q6_K = 14, T_BF16 = 30 };

static inline int min_int(int a, int b) { return a < b ? a : b; }

static inline uint16_t load_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/// IEEE binary16 → binary32, exact for every bit pattern.
static inline float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, magnitude = h & 0x7FFFu, bits;
    if (magnitude >= 0x7C00u) {
        bits = (magnitude << 13) | 0x7F800000u;
    } else if (magnitude >= 0x0400u) {
        bits = (magnitude << 13) + 0x38000000u;
    } else {
        float f = (float)magnitude * 0x1p-24f;
        memcpy(&bits, &f, 4);
    }
    bits |= sign;
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

static inline float bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

int attend_quant_block_elements(int type) {
    switch (type) {
    case T_F32: case T_F16: case T_BF16: return 1;
    case T_Q4_0: case T_Q4_1: case T_Q8_0: return 32;
    case T_Q4_K: case T_Q6_K: return 256;
    default: return 0;
    }
}

static int block_bytes(int type) {
    switch (type) {
    case T_F32: return 4;
    case T_F16: case T_BF16: return 2;
    case T_Q4_0: return 18;
    case T_Q4_1: return 20;
    case T_Q8_0: return 34;
    case T_Q4_K: return 144;
    case T_Q6_K: return 210;
    default: return 0;
    }
}

// ---- Dequantization (portable; also the packing step of the matrix–matrix path) ----------------

/// Q4_K's eight 6-bit (scale, min) pairs from its 12 scale bytes: pairs 0–3 are the low six bits
/// of bytes 0–3 (scales) and 4–7 (mins); pairs 4–7 take their low four bits from bytes 8–11 and
/// their top two bits from the top bits of bytes 0–3 (scales) and 4–7 (mins).
static inline void q4k_scale_min(int j, const uint8_t *s, int *scale, int *min) {
    if (j < 4) {
        *scale = s[j] & 63;
        *min = s[j + 4] & 63;
    } else {
        *scale = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
        *min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

/// One block of `type` at `b` → out[blockElements].
static void dequantize_block(int type, const uint8_t *b, float *out) {
    switch (type) {
    case T_F32: memcpy(out, b, 4); return;
    case T_F16: out[0] = half_to_float(load_u16(b)); return;
    case T_BF16: out[0] = bf16_to_float(load_u16(b)); return;
    case T_Q4_0: {
        float d = half_to_float(load_u16(b));
        for (int j = 0; j < 16; j++) {
            out[j] = d * (float)((b[2 + j] & 0x0F) - 8);
            out[j + 16] = d * (float)((b[2 + j] >> 4) - 8);
        }
        return;
    }
    case T_Q4_1: {
        float d = half_to_float(load_u16(b)), m = half_to_float(load_u16(b + 2));
        for (int j = 0; j < 16; j++) {
            out[j] = d * (float)(b[4 + j] & 0x0F) + m;
            out[j + 16] = d * (float)(b[4 + j] >> 4) + m;
        }
        return;
    }
    case T_Q8_0: {
        float d = half_to_float(load_u16(b));
        for (int j = 0; j < 32; j++) out[j] = d * (float)(int8_t)b[2 + j];
        return;
    }
    case T_Q4_K: {  // d, dmin, scales[12], qs[128]: four 64-value groups, low nibbles then high.
        float d = half_to_float(load_u16(b)), dmin = half_to_float(load_u16(b + 2));
        const uint8_t *scales = b + 4, *q = b + 16;
        for (int g = 0; g < 4; g++, q += 32, out += 64) {
            int s0, m0, s1, m1;
            q4k_scale_min(2 * g, scales, &s0, &m0);
            q4k_scale_min(2 * g + 1, scales, &s1, &m1);
            float d0 = d * (float)s0, c0 = dmin * (float)m0, d1 = d * (float)s1, c1 = dmin * (float)m1;
            for (int l = 0; l < 32; l++) {
                out[l] = d0 * (float)(q[l] & 0x0F) - c0;
                out[l + 32] = d1 * (float)(q[l] >> 4) - c1;
            }
        }
        return;
    }
    case T_Q6_K: {  // ql[128], qh[64], scales[16] (int8), d: two 128-value halves.
        const uint8_t *ql = b, *qh = b + 128;
        const int8_t *sc = (const int8_t *)(b + 192);
        float d = half_to_float(load_u16(b + 208));
        for (int half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8, out += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                out[l] = d * (float)sc[is] * (float)q1;
                out[l + 32] = d * (float)sc[is + 2] * (float)q2;
                out[l + 64] = d * (float)sc[is + 4] * (float)q3;
                out[l + 96] = d * (float)sc[is + 6] * (float)q4;
            }
        }
        return;
    }
    default: return;
    }
}

void attend_quant_dequantize(int type, const void *src, int64_t count, float *out) {
    int be = attend_quant_block_elements(type), bb = block_bytes(type);
    if (be == 0) return;
    const uint8_t *b = (const uint8_t *)src;
    if (type == T_F32) { memcpy(out, src, (size_t)count * 4); return; }
    for (int64_t i = 0; i < count; i += be, b += bb) dequantize_block(type, b, out + i);
}

void attend_quant_block_sums(const float *x, int columns, float *sums) {
    for (int b = 0; b < columns / 32; b++) {
        float s = 0;
        for (int i = 0; i < 32; i++) s += x[32 * b + i];
        sums[b] = s;
    }
}

// ---- Dot products of one weight row with x --------------------------------------------------------

/// Σ_c W[row, c]·x[c] over `columns` values; xs: per-32-block sums of x (Q4_0/Q4_1 only).
typedef float (*dot_fn)(const uint8_t *row, int columns, const float *x, const float *xs);

static float dot_f32_portable(const uint8_t *row, int columns, const float *x, const float *xs) {
    (void)xs;
    float acc[8] = {0};
    int c = 0;
    for (; c + 8 <= columns; c += 8)
        for (int j = 0; j < 8; j++) {
            float w;
            memcpy(&w, row + 4 * (size_t)(c + j), 4);
            acc[j] += w * x[c + j];
        }
    float s = 0;
    for (; c < columns; c++) {
        float w;
        memcpy(&w, row + 4 * (size_t)c, 4);
        s += w * x[c];
    }
    for (int j = 0; j < 8; j++) s += acc[j];
    return s;
}

static float dot_f16_portable(const uint8_t *row, int columns, const float *x, const float *xs) {
    (void)xs;
    float s = 0;
    for (int c = 0; c < columns; c++) s += half_to_float(load_u16(row + 2 * (size_t)c)) * x[c];
    return s;
}

static float dot_bf16_portable(const uint8_t *row, int columns, const float *x, const float *xs) {
    (void)xs;
    float s = 0;
    for (int c = 0; c < columns; c++) s += bf16_to_float(load_u16(row + 2 * (size_t)c)) * x[c];
    return s;
}

/// Q4_0 (offset = 1: m = −8d) and Q4_1 (m stored after d).
static inline float dot_q4_portable(const uint8_t *row, int columns, const float *x, const float *xs, int q4_1) {
    float s = 0;
    int stride = q4_1 ? 20 : 18, qs = q4_1 ? 4 : 2;
    for (int b = 0; b < columns / 32; b++, row += stride, x += 32) {
        float d = half_to_float(load_u16(row)), m = q4_1 ? half_to_float(load_u16(row + 2)) : -8 * d;
        float p = 0;
        for (int j = 0; j < 16; j++) p += (float)(row[qs + j] & 0x0F) * x[j] + (float)(row[qs + j] >> 4) * x[j + 16];
        s += d * p + m * xs[b];
    }
    return s;
}

static float dot_q4_0_portable(const uint8_t *row, int columns, const float *x, const float *xs) {
    return dot_q4_portable(row, columns, x, xs, 0);
}

static float dot_q4_1_portable(const uint8_t *row, int columns, const float *x, const float *xs) {
    return dot_q4_portable(row, columns, x, xs, 1);
}

static float dot_q8_0_portable(const uint8_t *row, int columns, const float *x, const float *xs) {
    (void)xs;
    float s = 0;
    for (int b = 0; b < columns / 32; b++, row += 34, x += 32) {
        float p = 0;
        for (int j = 0; j < 32; j++) p += (float)(int8_t)row[2 + j] * x[j];
        s += half_to_float(load_u16(row)) * p;
    }
    return s;
}

/// K-quants: each 256-value block dequantized on the stack, then a plain dot product.
static float dot_kquant_portable(int type, const uint8_t *row, int columns, const float *x) {
    float w[256], s = 0;
    int bb = block_bytes(type);
    for (int b = 0; b < columns / 256; b++, row += bb, x += 256) {
        dequantize_block(type, row, w);
        float p = 0;
        for (int j = 0; j < 256; j++) p += w[j] * x[j];
        s += p;
    }
    return s;
}

static float dot_q4_K_portable(const uint8_t *row, int columns, const float *x, const float *xs) {
    (void)xs;
    return dot_kquant_portable(T_Q4_K, row, columns, x);
}

static float dot_q6_K_portable(const uint8_t *row, int columns, const float *x, const float *xs) {
    (void)xs;
    return dot_kquant_portable(T_Q6_K, row, columns, x);
}

static dot_fn portable_dot(int type) {
    switch (type) {
    case T_F32: return dot_f32_portable;
    case T_F16: return dot_f16_portable;
    case T_BF16: return dot_bf16_portable;
    case T_Q4_0: return dot_q4_0_portable;
    case T_Q4_1: return dot_q4_1_portable;
    case T_Q8_0: return dot_q8_0_portable;
    case T_Q4_K: return dot_q4_K_portable;
    case T_Q6_K: return dot_q6_K_portable;
    default: return NULL;
    }
}

#ifdef ATTEND_HAVE_AVX2
#define ATTEND_QUANT_AVX2 __attribute__((target("avx2,fma,f16c")))

static int use_avx2(void) {
    static _Atomic int decided = -1;
    int use = atomic_load_explicit(&decided, memory_order_relaxed);
    if (use < 0) {
        use = attend_cpu_has_avx2_fma() && __builtin_cpu_supports("f16c");
        atomic_store_explicit(&decided, use, memory_order_relaxed);
    }
    return use;
}

ATTEND_QUANT_AVX2 static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

ATTEND_QUANT_AVX2 static float dot_f32_avx2(const uint8_t *row, int columns, const float *x, const float *xs) {
    (void)xs;
    const float *w = (const float *)row;  // GGUF tensor data is aligned to ≥ 32 bytes; loads are unaligned anyway
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int c = 0;
    for (; c + 32 <= columns; c += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 8), _mm256_loadu_ps(x + c + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 16), _mm256_loadu_ps(x + c + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 24), _mm256_loadu_ps(x + c + 24), a3);
    }
    for (; c + 8 <= columns; c += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), a0);
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; c < columns; c++) s += w[c] * x[c];
    return s;
}

ATTEND_QUANT_AVX2 static float dot_f16_avx2(const uint8_t *row, int columns, const float *x, const float *xs) {
    (void)xs;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int c = 0;
    for (; c + 16 <= columns; c += 16) {
        __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * (size_t)c)));
        __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * (size_t)c + 16)));
        a0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + c), a0);
        a1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + c + 8), a1);
    }
    float s = hsum256(_mm256_add_ps(a0, a1));
    for (; c < columns; c++) s += _cvtsh_ss(load_u16(row + 2 * (size_t)c)) * x[c];
    return s;
}

ATTEND_QUANT_AVX2 static float dot_bf16_avx2(const uint8_t *row, int columns, const float *x, const float *xs) {
    (void)xs;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int c = 0;
    for (; c + 16 <= columns; c += 16) {
        __m256i h0 = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(row + 2 * (size_t)c)));
        __m256i h1 = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(row + 2 * (size_t)c + 16)));
        a0 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(h0, 16)), _mm256_loadu_ps(x + c), a0);
        a1 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(h1, 16)), _mm256_loadu_ps(x + c + 8), a1);
    }
    float s = hsum256(_mm256_add_ps(a0, a1));
    for (; c < columns; c++) s += bf16_to_float(load_u16(row + 2 * (size_t)c)) * x[c];
    return s;
}

/// Σ_j q_j·x_j over one block of 16 nibble bytes (values 0–15 low, 16–31 high) as 8 partial sums.
ATTEND_QUANT_AVX2 static inline __m256 nibble_block_dot(const uint8_t *qs, const float *x) {
    const __m128i low_mask = _mm_set1_epi8(0x0F);
    __m128i q = _mm_loadu_si128((const __m128i *)qs);
    __m128i lo = _mm_and_si128(q, low_mask), hi = _mm_and_si128(_mm_srli_epi16(q, 4), low_mask);
    __m256 q0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo));
    __m256 q1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(lo, lo)));
    __m256 q2 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi));
    __m256 q3 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(hi, hi)));
    __m256 p0 = _mm256_mul_ps(q0, _mm256_loadu_ps(x)), p1 = _mm256_mul_ps(q2, _mm256_loadu_ps(x + 16));
    p0 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(x + 8), p0);
    p1 = _mm256_fmadd_ps(q3, _mm256_loadu_ps(x + 24), p1);
    return _mm256_add_ps(p0, p1);
}

ATTEND_QUANT_AVX2 static float dot_q4_1_avx2(const uint8_t *row, int columns, const float *x, const float *xs) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m128 offsets = _mm_setzero_ps();  // Σ_b m_b·Σx_b in lane 0
    int blocks = columns / 32, b = 0;
    for (; b + 2 <= blocks; b += 2, row += 40, x += 64) {
        int32_t dm0, dm1;
        memcpy(&dm0, row, 4);
        memcpy(&dm1, row + 20, 4);
        __m128 f0 = _mm_cvtph_ps(_mm_cvtsi32_si128(dm0)), f1 = _mm_cvtph_ps(_mm_cvtsi32_si128(dm1));  // [d, m, 0, 0]
        acc0 = _mm256_fmadd_ps(_mm256_broadcastss_ps(f0), nibble_block_dot(row + 4, x), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_broadcastss_ps(f1), nibble_block_dot(row + 24, x + 32), acc1);
        offsets = _mm_fmadd_ss(_mm_movehdup_ps(f0), _mm_load_ss(xs + b), offsets);
        offsets = _mm_fmadd_ss(_mm_movehdup_ps(f1), _mm_load_ss(xs + b + 1), offsets);
    }
    for (; b < blocks; b++, row += 20, x += 32) {
        int32_t dm;
        memcpy(&dm, row, 4);
        __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128(dm));
        acc0 = _mm256_fmadd_ps(_mm256_broadcastss_ps(f), nibble_block_dot(row + 4, x), acc0);
        offsets = _mm_fmadd_ss(_mm_movehdup_ps(f), _mm_load_ss(xs + b), offsets);
    }
    return hsum256(_mm256_add_ps(acc0, acc1)) + _mm_cvtss_f32(offsets);
}

ATTEND_QUANT_AVX2 static float dot_q4_0_avx2(const uint8_t *row, int columns, const float *x, const float *xs) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float offsets = 0;  // Σ_b −8·d_b·Σx_b
    int blocks = columns / 32, b = 0;
    for (; b + 2 <= blocks; b += 2, row += 36, x += 64) {
        float d0 = _cvtsh_ss(load_u16(row)), d1 = _cvtsh_ss(load_u16(row + 18));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d0), nibble_block_dot(row + 2, x), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(d1), nibble_block_dot(row + 20, x + 32), acc1);
        offsets += d0 * xs[b] + d1 * xs[b + 1];
    }
    for (; b < blocks; b++, row += 18, x += 32) {
        float d = _cvtsh_ss(load_u16(row));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d), nibble_block_dot(row + 2, x), acc0);
        offsets += d * xs[b];
    }
    return hsum256(_mm256_add_ps(acc0, acc1)) - 8 * offsets;
}

/// Σ_j q_j·x_j over one Q8_0 block's 32 int8 values as 8 partial sums.
ATTEND_QUANT_AVX2 static inline __m256 int8_block_dot(const uint8_t *qs, const float *x) {
    __m256 q0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)qs)));
    __m256 q1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(qs + 8))));
    __m256 q2 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(qs + 16))));
    __m256 q3 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(qs + 24))));
    __m256 p0 = _mm256_mul_ps(q0, _mm256_loadu_ps(x)), p1 = _mm256_mul_ps(q2, _mm256_loadu_ps(x + 16));
    p0 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(x + 8), p0);
    p1 = _mm256_fmadd_ps(q3, _mm256_loadu_ps(x + 24), p1);
    return _mm256_add_ps(p0, p1);
}

ATTEND_QUANT_AVX2 static float dot_q8_0_avx2(const uint8_t *row, int columns, const float *x, const float *xs) {
    (void)xs;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int blocks = columns / 32, b = 0;
    for (; b + 2 <= blocks; b += 2, row += 68, x += 64) {
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(load_u16(row))), int8_block_dot(row + 2, x), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(load_u16(row + 34))), int8_block_dot(row + 36, x + 32), acc1);
    }
    for (; b < blocks; b++, row += 34, x += 32)
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(load_u16(row))), int8_block_dot(row + 2, x), acc0);
    return hsum256(_mm256_add_ps(acc0, acc1));
}

ATTEND_QUANT_AVX2 static float dot_kquant_avx2(int type, const uint8_t *row, int columns, const float *x) {
    float w[256];
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int bb = block_bytes(type);
    for (int b = 0; b < columns / 256; b++, row += bb, x += 256) {
        dequantize_block(type, row, w);
        for (int j = 0; j < 256; j += 16) {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + j), _mm256_loadu_ps(x + j), acc0);
            acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + j + 8), _mm256_loadu_ps(x + j + 8), acc1);
        }
    }
    return hsum256(_mm256_add_ps(acc0, acc1));
}

ATTEND_QUANT_AVX2 static float dot_q4_K_avx2(const uint8_t *row, int columns, const float *x, const float *xs) {
    (void)xs;
    return dot_kquant_avx2(T_Q4_K, row, columns, x);
}

ATTEND_QUANT_AVX2 static float dot_q6_K_avx2(const uint8_t *row, int columns, const float *x, const float *xs) {
    (void)xs;
    return dot_kquant_avx2(T_Q6_K, row, columns, x);
}

static dot_fn avx2_dot(int type) {
    switch (type) {
    case T_F32: return dot_f32_avx2;
    case T_F16: return dot_f16_avx2;
    case T_BF16: return dot_bf16_avx2;
    case T_Q4_0: return dot_q4_0_avx2;
    case T_Q4_1: return dot_q4_1_avx2;
    case T_Q8_0: return dot_q8_0_avx2;
    case T_Q4_K: return dot_q4_K_avx2;
    case T_Q6_K: return dot_q6_K_avx2;
    default: return NULL;
    }
}
#endif

#ifdef ATTEND_HAVE_AVX2
/// out[count] from Q4_0 / Q4_1 / Q8_0 blocks, 32 values (4 vectors) per block; other types portable.
ATTEND_QUANT_AVX2 static void dequantize_avx2(int type, const uint8_t *b, int count, float *out) {
    const __m128i low_mask = _mm_set1_epi8(0x0F);
    if (type == T_Q4_0 || type == T_Q4_1) {
        int q4_1 = type == T_Q4_1, stride = q4_1 ? 20 : 18;
        for (int i = 0; i < count; i += 32, b += stride, out += 32) {
            float d = _cvtsh_ss(load_u16(b)), m = q4_1 ? _cvtsh_ss(load_u16(b + 2)) : -8 * d;
            __m256 vd = _mm256_set1_ps(d), vm = _mm256_set1_ps(m);
            __m128i q = _mm_loadu_si128((const __m128i *)(b + 2 + 2 * q4_1));
            __m128i lo = _mm_and_si128(q, low_mask), hi = _mm_and_si128(_mm_srli_epi16(q, 4), low_mask);
            __m128i parts[4] = {lo, _mm_unpackhi_epi64(lo, lo), hi, _mm_unpackhi_epi64(hi, hi)};
            for (int p = 0; p < 4; p++)
                _mm256_storeu_ps(out + 8 * p, _mm256_fmadd_ps(vd, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(parts[p])), vm));
        }
    } else if (type == T_Q8_0) {
        for (int i = 0; i < count; i += 32, b += 34, out += 32) {
            __m256 vd = _mm256_set1_ps(_cvtsh_ss(load_u16(b)));
            for (int p = 0; p < 4; p++) {
                __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(b + 2 + 8 * p)));
                _mm256_storeu_ps(out + 8 * p, _mm256_mul_ps(vd, _mm256_cvtepi32_ps(q)));
            }
        }
    } else {
        attend_quant_dequantize(type, b, count, out);
    }
}

/// dst[k·NR + j0 + j] = rows[j·ld + k] for j < 8, k < kc (kc a multiple of 8): an 8-row strip of
/// dequantized weights transposed into half of a packed panel, 8×8 at a time.
ATTEND_QUANT_AVX2 static void transpose8_into_panel(const float *rows, int ld, int kc, float *dst) {
    for (int k = 0; k < kc; k += 8) {
        __m256 r0 = _mm256_loadu_ps(rows + k), r1 = _mm256_loadu_ps(rows + ld + k), r2 = _mm256_loadu_ps(rows + 2 * ld + k),
               r3 = _mm256_loadu_ps(rows + 3 * ld + k), r4 = _mm256_loadu_ps(rows + 4 * ld + k), r5 = _mm256_loadu_ps(rows + 5 * ld + k),
               r6 = _mm256_loadu_ps(rows + 6 * ld + k), r7 = _mm256_loadu_ps(rows + 7 * ld + k);
        __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
               t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
               t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
        __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44),
               u3 = _mm256_shuffle_ps(t1, t3, 0xEE), u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
               u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        float *o = dst + (size_t)k * NR;
        _mm256_storeu_ps(o + 0 * NR, _mm256_permute2f128_ps(u0, u4, 0x20));
        _mm256_storeu_ps(o + 1 * NR, _mm256_permute2f128_ps(u1, u5, 0x20));
        _mm256_storeu_ps(o + 2 * NR, _mm256_permute2f128_ps(u2, u6, 0x20));
        _mm256_storeu_ps(o + 3 * NR, _mm256_permute2f128_ps(u3, u7, 0x20));
        _mm256_storeu_ps(o + 4 * NR, _mm256_permute2f128_ps(u0, u4, 0x31));
        _mm256_storeu_ps(o + 5 * NR, _mm256_permute2f128_ps(u1, u5, 0x31));
        _mm256_storeu_ps(o + 6 * NR, _mm256_permute2f128_ps(u2, u6, 0x31));
        _mm256_storeu_ps(o + 7 * NR, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
}

/// attend_quant_pack_b for whole panels of 16 rows (nc a multiple of NR) and kc a multiple of 8.
ATTEND_QUANT_AVX2 static void pack_b_avx2(int type, const uint8_t *w, size_t row_bytes, int n0, int nc, int k0, int kc,
                                          float *packed) {
    int be = attend_quant_block_elements(type), bb = block_bytes(type);
    float strip[NR * KC];  // 16 dequantized row segments of kc values
    for (int p0 = 0; p0 < nc; p0 += NR) {
        for (int j = 0; j < NR; j++)
            dequantize_avx2(type, w + (size_t)(n0 + p0 + j) * row_bytes + (size_t)(k0 / be) * bb, kc, strip + j * kc);
        float *panel = packed + (size_t)p0 * kc;
        transpose8_into_panel(strip, kc, kc, panel);
        transpose8_into_panel(strip + 8 * kc, kc, kc, panel + 8);
    }
}
#endif

static dot_fn chosen_dot(int type) {
#ifdef ATTEND_HAVE_AVX2
    if (use_avx2()) return avx2_dot(type);
#endif
    return portable_dot(type);
}

const char *attend_quant_kernel_name(void) {
#ifdef ATTEND_HAVE_AVX2
    if (use_avx2()) return "avx2-fma-f16c";
#endif
    return "portable";
}

// ---- Matrix–vector ---------------------------------------------------------------------------------

/// Rows of W are visited in tiles of ROW_TILE so that, with several vectors, a tile is read from
/// memory once and from L1 for the other vectors.
enum { ROW_TILE = 8 };

static void matvec(dot_fn dot, const void *w, size_t row_bytes, int columns, int row_begin, int row_end,
                   int n, const float *x, int ldx, const float *xsums, float *y, int ldy) {
    const uint8_t *base = (const uint8_t *)w;
    int nb = columns / 32;
    for (int r0 = row_begin; r0 < row_end; r0 += ROW_TILE) {
        int r1 = min_int(row_end, r0 + ROW_TILE);
        for (int v = 0; v < n; v++) {
            const float *xv = x + (size_t)v * ldx, *sv = xsums ? xsums + (size_t)v * nb : NULL;
            float *yv = y + (size_t)v * ldy;
            for (int r = r0; r < r1; r++) yv[r] = dot(base + (size_t)r * row_bytes, columns, xv, sv);
        }
    }
}

void attend_quant_matvec(int type, const void *w, size_t row_bytes, int columns, int row_begin, int row_end,
                         int n, const float *x, int ldx, const float *xsums, float *y, int ldy) {
    matvec(chosen_dot(type), w, row_bytes, columns, row_begin, row_end, n, x, ldx, xsums, y, ldy);
}

void attend_quant_matvec_portable(int type, const void *w, size_t row_bytes, int columns, int row_begin,
                                  int row_end, int n, const float *x, int ldx, const float *xsums, float *y,
                                  int ldy) {
    matvec(portable_dot(type), w, row_bytes, columns, row_begin, row_end, n, x, ldx, xsums, y, ldy);
}

// ---- Matrix–matrix ---------------------------------------------------------------------------------

void attend_quant_pack_b(int type, const void *w, size_t row_bytes, int n0, int nc, int k0, int kc, float *packed) {
#ifdef ATTEND_HAVE_AVX2
    if (use_avx2() && kc % 8 == 0) {  // whole panels by the SIMD body, a final partial panel below
        int whole = nc / NR * NR;
        pack_b_avx2(type, (const uint8_t *)w, row_bytes, n0, whole, k0, kc, packed);
        if (whole == nc) return;
        packed += (size_t)whole * kc;
        n0 += whole;
        nc -= whole;
    }
#endif
    int be = attend_quant_block_elements(type), bb = block_bytes(type);
    float segment[KC];
    for (int p0 = 0; p0 < nc; p0 += NR) {
        float *panel = packed + (size_t)p0 * kc;
        for (int j = 0; j < NR; j++) {
            if (p0 + j >= nc) {
                for (int k = 0; k < kc; k++) panel[(size_t)k * NR + j] = 0;
                continue;
            }
            const uint8_t *src = (const uint8_t *)w + (size_t)(n0 + p0 + j) * row_bytes + (size_t)(k0 / be) * bb;
            attend_quant_dequantize(type, src, kc, segment);
            for (int k = 0; k < kc; k++) panel[(size_t)k * NR + j] = segment[k];
        }
    }
}

void attend_quant_matmul(int type, const void *w, size_t row_bytes, int rows, int columns, int m, const float *x,
                         int ldx, int panel_begin, int panel_end, float *out, int ldo, float *work) {
    const int nc_panels = ATTEND_QUANT_NC / NR;
    for (int j0 = panel_begin; j0 < panel_end; j0 += nc_panels) {
        int panels = min_int(nc_panels, panel_end - j0), n0 = j0 * NR, nc = min_int(panels * NR, rows - n0);
        for (int k0 = 0; k0 < columns; k0 += KC) {
            int kc = min_int(KC, columns - k0);
            attend_quant_pack_b(type, w, row_bytes, n0, nc, k0, kc, work);
            attend_gemm_tile(m, nc, kc, x + k0, ldx, work, out + n0, ldo, k0 > 0);
        }
    }
}
