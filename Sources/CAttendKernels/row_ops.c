// Row operations of the encoder: exp, softmax, LayerNorm, GELU. AVX2/FMA bodies process 8 lanes
// and finish the tail with the portable body, so both paths agree on every element they share.
#include "CAttendKernels.h"
#include "simd_target.h"
#include <math.h>
#include <string.h>

// ---- exp: Cephes-style range reduction e^x = 2^n · e^r, |r| ≤ ln2/2, degree-6 polynomial. ------
#define EXP_HI 88.72283905f  // ln(FLT_MAX); above it the result is +inf.
#define EXP_LO (-87.3365447504f)  // e^EXP_LO = FLT_MIN; below it the result is flushed to 0.
static const float exp_c[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                               4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

static inline float exp_portable(float x) {
    if (!(x >= EXP_LO)) return x != x ? x : 0.0f;  // NaN stays NaN; -inf and underflow give 0.
    if (x > EXP_HI) return INFINITY;
    float n = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = exp_c[0];
    for (int i = 1; i < 6; i++) p = p * r + exp_c[i];
    p = p * r * r + r + 1.0f;
    return ldexpf(p, (int)n);
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static inline __m256 exp_avx2(__m256 x) {
    __m256 underflow = _mm256_cmp_ps(x, _mm256_set1_ps(EXP_LO), _CMP_LT_OQ);
    __m256 overflow = _mm256_cmp_ps(x, _mm256_set1_ps(EXP_HI), _CMP_GT_OQ);
    __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    x = _mm256_min_ps(x, _mm256_set1_ps(EXP_HI));
    x = _mm256_max_ps(x, _mm256_set1_ps(EXP_LO));
    __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(exp_c[0]);
    for (int i = 1; i < 6; i++) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(exp_c[i]));
    p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    // 2^n built in the exponent field; n ∈ [-126, 128) so split as 2^(n/2)·2^(n-n/2) to stay normal.
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i half = _mm256_srai_epi32(ni, 1);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, _mm256_set1_epi32(127)), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, half), _mm256_set1_epi32(127)), 23));
    p = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
    p = _mm256_andnot_ps(underflow, p);
    p = _mm256_blendv_ps(p, _mm256_set1_ps(INFINITY), overflow);
    return _mm256_blendv_ps(p, x, nan);
}

ATTEND_AVX2 static void exp_rows_avx2(const float *x, float *y, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp_avx2(_mm256_loadu_ps(x + i)));
    for (; i < n; i++) y[i] = exp_portable(x[i]);
}
#endif

void attend_exp(const float *x, float *y, int n) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { exp_rows_avx2(x, y, n); return; }
#endif
    for (int i = 0; i < n; i++) y[i] = exp_portable(x[i]);
}

// ---- softmax -------------------------------------------------------------------------------------
static void softmax_row_portable(float *x, int n, float scale) {
    float m = -INFINITY;
    for (int i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    if (m == -INFINITY) {  // Fully masked row: zeros (SPEC §3).
        for (int i = 0; i < n; i++) x[i] = 0;
        return;
    }
    float sum = 0;
    for (int i = 0; i < n; i++) { x[i] = exp_portable((x[i] - m) * scale); sum += x[i]; }
    float inv = 1.0f / sum;
    for (int i = 0; i < n; i++) x[i] *= inv;
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static inline float hsum_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

ATTEND_AVX2 static inline float hmax_avx2(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

ATTEND_AVX2 static void softmax_row_avx2(float *x, int n, float scale) {
    __m256 vm = _mm256_set1_ps(-INFINITY);
    int i = 0;
    for (; i + 8 <= n; i += 8) vm = _mm256_max_ps(vm, _mm256_loadu_ps(x + i));
    float m = hmax_avx2(vm);
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    if (m == -INFINITY) {
        for (i = 0; i < n; i++) x[i] = 0;
        return;
    }
    __m256 vsum = _mm256_setzero_ps(), vmax = _mm256_set1_ps(m), vscale = _mm256_set1_ps(scale);
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 e = exp_avx2(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax), vscale));
        _mm256_storeu_ps(x + i, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    float sum = hsum_avx2(vsum);
    for (; i < n; i++) { x[i] = exp_portable((x[i] - m) * scale); sum += x[i]; }
    __m256 vinv = _mm256_set1_ps(1.0f / sum);
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vinv));
    for (; i < n; i++) x[i] *= 1.0f / sum;
}
#endif

void attend_softmax_rows(float *x, int rows, int n, int ld, float scale) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) {
        for (int r = 0; r < rows; r++) softmax_row_avx2(x + (size_t)r * ld, n, scale);
        return;
    }
#endif
    for (int r = 0; r < rows; r++) softmax_row_portable(x + (size_t)r * ld, n, scale);
}

// ---- LayerNorm (two-pass mean and variance over the row, as PyTorch computes it) --------------
static void layer_norm_row_portable(float *x, const float *res, int n, const float *g, const float *b, float eps) {
    if (res) for (int i = 0; i < n; i++) x[i] += res[i];
    float mean = 0, var = 0;
    for (int i = 0; i < n; i++) mean += x[i];
    mean /= n;
    for (int i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
    float inv = 1.0f / sqrtf(var / n + eps);
    for (int i = 0; i < n; i++) x[i] = (x[i] - mean) * inv * g[i] + b[i];
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static void layer_norm_row_avx2(float *x, const float *res, int n, const float *g, const float *b, float eps) {
    int i;
    __m256 vs = _mm256_setzero_ps();
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        if (res) { v = _mm256_add_ps(v, _mm256_loadu_ps(res + i)); _mm256_storeu_ps(x + i, v); }
        vs = _mm256_add_ps(vs, v);
    }
    float sum = hsum_avx2(vs);
    for (; i < n; i++) { if (res) x[i] += res[i]; sum += x[i]; }
    float mean = sum / n;
    __m256 vmean = _mm256_set1_ps(mean), vv = _mm256_setzero_ps();
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), vmean);
        vv = _mm256_fmadd_ps(d, d, vv);
    }
    float var = hsum_avx2(vv);
    for (; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
    float inv = 1.0f / sqrtf(var / n + eps);
    __m256 vinv = _mm256_set1_ps(inv);
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmean), vinv);
        _mm256_storeu_ps(x + i, _mm256_fmadd_ps(d, _mm256_loadu_ps(g + i), _mm256_loadu_ps(b + i)));
    }
    for (; i < n; i++) x[i] = (x[i] - mean) * inv * g[i] + b[i];
}
#endif

void attend_layer_norm_rows(float *x, int ld, const float *residual, int ldr, int rows, int n,
                            const float *gamma, const float *beta, float eps) {
    for (int r = 0; r < rows; r++) {
        float *row = x + (size_t)r * ld;
        const float *res = residual ? residual + (size_t)r * ldr : 0;
#ifdef ATTEND_HAVE_AVX2
        if (attend_cpu_has_avx2_fma()) { layer_norm_row_avx2(row, res, n, gamma, beta, eps); continue; }
#endif
        layer_norm_row_portable(row, res, n, gamma, beta, eps);
    }
}

// ---- GELU: x·½(1 + erf(x/√2)); erf by a rational minimax fit on [-4, 4] (|error| ≤ 2e-7),
// the form used by Eigen and XNNPACK; |erf(x)| rounds to 1 in Float32 beyond 4. ---------------
static const float erf_alpha[7] = {-2.72614225801306e-10f, 2.77068142495902e-08f, -2.10102402082508e-06f,
                                   -5.69250639462346e-05f, -7.34990630326855e-04f, -2.95459980854025e-03f,
                                   -1.60960333262415e-02f};
static const float erf_beta[5] = {-1.45660718464996e-05f, -2.13374055278905e-04f, -1.68282697438203e-03f,
                                  -7.37332916720468e-03f, -1.42647390514189e-02f};

static inline float erf_portable(float x) {
    x = x < -4.0f ? -4.0f : (x > 4.0f ? 4.0f : x);
    float x2 = x * x, p = erf_alpha[0], q = erf_beta[0];
    for (int i = 1; i < 7; i++) p = p * x2 + erf_alpha[i];
    for (int i = 1; i < 5; i++) q = q * x2 + erf_beta[i];
    return x * p / q;
}

#ifdef ATTEND_HAVE_AVX2
ATTEND_AVX2 static void gelu_avx2(float *x, size_t n) {
    size_t i = 0;
    const __m256 lo = _mm256_set1_ps(-4.0f), hi = _mm256_set1_ps(4.0f), half = _mm256_set1_ps(0.5f);
    const __m256 rsqrt2 = _mm256_set1_ps(0.70710678118654752f), one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 t = _mm256_max_ps(lo, _mm256_min_ps(hi, _mm256_mul_ps(v, rsqrt2)));
        __m256 t2 = _mm256_mul_ps(t, t);
        __m256 p = _mm256_set1_ps(erf_alpha[0]), q = _mm256_set1_ps(erf_beta[0]);
        for (int k = 1; k < 7; k++) p = _mm256_fmadd_ps(p, t2, _mm256_set1_ps(erf_alpha[k]));
        for (int k = 1; k < 5; k++) q = _mm256_fmadd_ps(q, t2, _mm256_set1_ps(erf_beta[k]));
        __m256 erf = _mm256_div_ps(_mm256_mul_ps(t, p), q);
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, erf)));
    }
    for (; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erf_portable(x[i] * 0.70710678118654752f));
}
#endif

void attend_gelu(float *x, size_t n) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { gelu_avx2(x, n); return; }
#endif
    for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erf_portable(x[i] * 0.70710678118654752f));
}

// ---- Online softmax step (FlashAttention's running max and sum, SPEC §4.2) -------------------
static float online_softmax_row_portable(float *s, int n, float scale, float *m, float *l) {
    float mx = -INFINITY;
    for (int i = 0; i < n; i++) mx = s[i] > mx ? s[i] : mx;
    float m_new = mx > *m ? mx : *m;
    if (m_new == -INFINITY) {  // nothing allowed so far: keep the state, contribute nothing
        for (int i = 0; i < n; i++) s[i] = 0;
        return 1.0f;
    }
    float sum = 0;
    for (int i = 0; i < n; i++) { s[i] = exp_portable((s[i] - m_new) * scale); sum += s[i]; }
    float alpha = *m == -INFINITY ? 0.0f : exp_portable((*m - m_new) * scale);
    *l = *l * alpha + sum;
    *m = m_new;
    return alpha;
}

#ifdef ATTEND_HAVE_AVX2
// 2^t for t ≤ 0 (Cephes exp2f polynomial on [−½, ½], relative error ≤ 2e-7); t < −126, −∞
// included, gives 0. One rounding, one polynomial, the scale built straight into the exponent
// field: about half the work of exp_avx2, which must also handle overflow and NaN.
static const float exp2_c[6] = {1.535336188319500e-4f, 1.339887440266574e-3f, 9.618437357674640e-3f,
                                5.550332471162809e-2f, 2.402264791363012e-1f, 6.931472028550421e-1f};

ATTEND_AVX2 static inline __m256 exp2_nonpositive_avx2(__m256 t) {
    __m256 underflow = _mm256_cmp_ps(t, _mm256_set1_ps(-126.0f), _CMP_LT_OQ);
    t = _mm256_max_ps(t, _mm256_set1_ps(-126.0f));
    __m256 n = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 f = _mm256_sub_ps(t, n);
    __m256 p = _mm256_set1_ps(exp2_c[0]);
    for (int i = 1; i < 6; i++) p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(exp2_c[i]));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_add_epi32(_mm256_castps_si256(p), _mm256_slli_epi32(_mm256_cvtps_epi32(n), 23));
    return _mm256_andnot_ps(underflow, _mm256_castsi256_ps(bits));
}

ATTEND_AVX2 static float online_softmax_row_avx2(float *s, int n, float scale, float *m, float *l) {
    __m256 vm = _mm256_set1_ps(-INFINITY);
    int i = 0;
    for (; i + 8 <= n; i += 8) vm = _mm256_max_ps(vm, _mm256_loadu_ps(s + i));
    float mx = hmax_avx2(vm);
    for (; i < n; i++) mx = s[i] > mx ? s[i] : mx;
    float m_new = mx > *m ? mx : *m;
    if (m_new == -INFINITY) {
        for (i = 0; i < n; i++) s[i] = 0;
        return 1.0f;
    }
    // e^{scale·(s − m')} = 2^{(scale·log₂e)·(s − m')}, every exponent ≤ 0.
    __m256 vsum = _mm256_setzero_ps(), vmax = _mm256_set1_ps(m_new);
    __m256 vscale = _mm256_set1_ps(scale * 1.44269504088896341f);
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 e = exp2_nonpositive_avx2(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(s + i), vmax), vscale));
        _mm256_storeu_ps(s + i, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    float sum = hsum_avx2(vsum);
    for (; i < n; i++) { s[i] = exp_portable((s[i] - m_new) * scale); sum += s[i]; }
    float alpha = *m == -INFINITY ? 0.0f : exp_portable((*m - m_new) * scale);
    *l = *l * alpha + sum;
    *m = m_new;
    return alpha;
}
#endif

void attend_dot_rows_portable(const float *x, const float *rows, int ld, int n, int d, float *out) {
    for (int j = 0; j < n; j++) {
        const float *row = rows + (size_t)j * ld;
        float sum = 0;
        for (int c = 0; c < d; c++) sum += x[c] * row[c];
        out[j] = sum;
    }
}

void attend_weighted_rows_portable(const float *w, const float *rows, int ld, int n, int d, float *acc) {
    for (int j = 0; j < n; j++) {
        if (w[j] == 0) continue;
        const float *row = rows + (size_t)j * ld;
        for (int c = 0; c < d; c++) acc[c] += w[j] * row[c];
    }
}

#ifdef ATTEND_HAVE_AVX2
/// Four rows per step share each load of x; their four sums reduced together by two hadd levels.
ATTEND_AVX2 static void dot_rows_avx2(const float *x, const float *rows, int ld, int n, int d, float *out) {
    int j = 0;
    for (; j + 4 <= n; j += 4) {
        const float *r0 = rows + (size_t)j * ld, *r1 = r0 + ld, *r2 = r1 + ld, *r3 = r2 + ld;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (; c + 8 <= d; c += 8) {
            __m256 xv = _mm256_loadu_ps(x + c);
            a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r0 + c), a0);
            a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r1 + c), a1);
            a2 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r2 + c), a2);
            a3 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r3 + c), a3);
        }
        __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));  // per lane: sums of rows 0–3
        float sums[4];
        _mm_storeu_ps(sums, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
        for (; c < d; c++) { sums[0] += x[c] * r0[c]; sums[1] += x[c] * r1[c]; sums[2] += x[c] * r2[c]; sums[3] += x[c] * r3[c]; }
        memcpy(out + j, sums, sizeof sums);
    }
    for (; j < n; j++) {
        const float *row = rows + (size_t)j * ld;
        __m256 a = _mm256_setzero_ps();
        int c = 0;
        for (; c + 8 <= d; c += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(x + c), _mm256_loadu_ps(row + c), a);
        float sum = hsum_avx2(a);
        for (; c < d; c++) sum += x[c] * row[c];
        out[j] = sum;
    }
}

/// 64 columns of acc in 8 registers over all rows (8 independent FMA chains), then 8 at a time.
ATTEND_AVX2 static void weighted_rows_avx2(const float *w, const float *rows, int ld, int n, int d, float *acc) {
    int c0 = 0;
    for (; c0 + 64 <= d; c0 += 64) {
        __m256 a[8];
        for (int k = 0; k < 8; k++) a[k] = _mm256_loadu_ps(acc + c0 + 8 * k);
        for (int j = 0; j < n; j++) {
            if (w[j] == 0) continue;
            const float *row = rows + (size_t)j * ld + c0;
            __m256 wj = _mm256_set1_ps(w[j]);
            for (int k = 0; k < 8; k++) a[k] = _mm256_fmadd_ps(wj, _mm256_loadu_ps(row + 8 * k), a[k]);
        }
        for (int k = 0; k < 8; k++) _mm256_storeu_ps(acc + c0 + 8 * k, a[k]);
    }
    for (; c0 + 8 <= d; c0 += 8) {
        __m256 a = _mm256_loadu_ps(acc + c0);
        for (int j = 0; j < n; j++)
            if (w[j] != 0) a = _mm256_fmadd_ps(_mm256_set1_ps(w[j]), _mm256_loadu_ps(rows + (size_t)j * ld + c0), a);
        _mm256_storeu_ps(acc + c0, a);
    }
    if (c0 < d) {
        for (int j = 0; j < n; j++) {
            if (w[j] == 0) continue;
            const float *row = rows + (size_t)j * ld;
            for (int c = c0; c < d; c++) acc[c] += w[j] * row[c];
        }
    }
}
#endif

void attend_dot_rows(const float *x, const float *rows, int ld, int n, int d, float *out) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { dot_rows_avx2(x, rows, ld, n, d, out); return; }
#endif
    attend_dot_rows_portable(x, rows, ld, n, d, out);
}

void attend_weighted_rows(const float *w, const float *rows, int ld, int n, int d, float *acc) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) { weighted_rows_avx2(w, rows, ld, n, d, acc); return; }
#endif
    attend_weighted_rows_portable(w, rows, ld, n, d, acc);
}

float attend_online_softmax_row(float *s, int n, float scale, float *m, float *l) {
#ifdef ATTEND_HAVE_AVX2
    if (attend_cpu_has_avx2_fma()) return online_softmax_row_avx2(s, n, scale, m, l);
#endif
    return online_softmax_row_portable(s, n, scale, m, l);
}
