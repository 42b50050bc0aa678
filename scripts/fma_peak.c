// Measures this CPU's single-core multiply-add peaks with register-only loops, no memory traffic:
// FP32 FMA (AVX2 and AVX-512; 12 independent accumulator chains), and the int8 GEMM's instruction
// mixes (int8_gemm.c): AVX2's vpmaddubsw → vpmaddwd(·, 1) → vpaddd per 32 u8×s8 multiply-adds, and
// AVX-512 VNNI's vpdpbusd per 64. BENCHMARKS.md quotes them as the ceilings any SGEMM, int8 GEMM or
// forward pass can reach. Two more AVX2 mixes, for CPUs with one vector integer multiplier (Zen 1,
// Zen 2): the pairs widened without vpmaddwd — p = vpmaddubsw(x, b); v += p ^ 0x8000; h += p >> 16
// (vpsrad); Σ = v − 65535·h − 32768·steps (mod 2^32) — one multiply per 32 multiply-adds instead of
// two (the int8 GEMM's avx2-shift body), and FP32 FMAs issued beside the int8 steps (exact on
// integers below 2^24; both pipes' multiply-adds counted; no kernel uses it).
// Build and run: scripts/fma_peak.sh
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// The empty asm keeps every accumulator live in a register each iteration, so the compiler can
// neither fold the chains nor drop any of them.
#define CHAINS(T, FMA)                                                                              \
    T a0 = one, a1 = one, a2 = one, a3 = one, a4 = one, a5 = one, a6 = one, a7 = one, a8 = one,      \
      a9 = one, a10 = one, a11 = one;                                                               \
    for (long i = 0; i < iterations; i++) {                                                         \
        __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5), "+x"(a6), \
                         "+x"(a7), "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11));                       \
        a0 = FMA(a0, x, y); a1 = FMA(a1, x, y); a2 = FMA(a2, x, y); a3 = FMA(a3, x, y);              \
        a4 = FMA(a4, x, y); a5 = FMA(a5, x, y); a6 = FMA(a6, x, y); a7 = FMA(a7, x, y);              \
        a8 = FMA(a8, x, y); a9 = FMA(a9, x, y); a10 = FMA(a10, x, y); a11 = FMA(a11, x, y);          \
    }                                                                                               \
    __asm__ volatile("" ::"x"(a0), "x"(a1), "x"(a2), "x"(a3), "x"(a4), "x"(a5), "x"(a6), "x"(a7),  \
                     "x"(a8), "x"(a9), "x"(a10), "x"(a11));

__attribute__((target("avx2,fma"))) static void avx2(long iterations) {
    __m256 one = _mm256_set1_ps(1), x = _mm256_set1_ps(0.9999f), y = _mm256_set1_ps(1e-4f);
    CHAINS(__m256, _mm256_fmadd_ps)
}

__attribute__((target("avx512f"))) static void avx512(long iterations) {
    __m512 one = _mm512_set1_ps(1), x = _mm512_set1_ps(0.9999f), y = _mm512_set1_ps(1e-4f);
    CHAINS(__m512, _mm512_fmadd_ps)
}

// AVX2 int8 step: six chains acc_i += vpmaddwd(vpmaddubsw(x_i, b), 1); the empty asm makes every x_i
// new each iteration, so the products cannot be hoisted (6 accumulators + 6 inputs + 2 constants fit
// the 16 ymm registers).
__attribute__((target("avx2"))) static void int8_avx2(long iterations) {
    __m256i b = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1), x0 = _mm256_set1_epi8(1), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
#define STEP(a, x) a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b), ones));
    for (long i = 0; i < iterations; i++) {
        __asm__ volatile("" : "+x"(x0), "+x"(x1), "+x"(x2), "+x"(x3), "+x"(x4), "+x"(x5));
        STEP(a0, x0) STEP(a1, x1) STEP(a2, x2) STEP(a3, x3) STEP(a4, x4) STEP(a5, x5)
    }
#undef STEP
    __asm__ volatile("" ::"x"(a0), "x"(a1), "x"(a2), "x"(a3), "x"(a4), "x"(a5));
}

// Four int8 steps as above and four FMA chains beside them each iteration: 4·32 + 4·8 multiply-adds.
__attribute__((target("avx2,fma"))) static void int8_with_fma(long iterations) {
    __m256i b = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1), x0 = _mm256_set1_epi8(1), x1 = x0, x2 = x0, x3 = x0;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    __m256 f0 = _mm256_set1_ps(1), f1 = f0, f2 = f0, f3 = f0, u = _mm256_set1_ps(0.9999f), w = _mm256_set1_ps(1e-4f);
#define STEP(a, x) a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b), ones));
    for (long i = 0; i < iterations; i++) {
        __asm__ volatile("" : "+x"(x0), "+x"(x1), "+x"(x2), "+x"(x3), "+x"(f0), "+x"(f1), "+x"(f2), "+x"(f3));
        STEP(a0, x0) STEP(a1, x1) STEP(a2, x2) STEP(a3, x3)
        f0 = _mm256_fmadd_ps(f0, u, w); f1 = _mm256_fmadd_ps(f1, u, w); f2 = _mm256_fmadd_ps(f2, u, w); f3 = _mm256_fmadd_ps(f3, u, w);
    }
#undef STEP
    __asm__ volatile("" ::"x"(a0), "x"(a1), "x"(a2), "x"(a3), "x"(f0), "x"(f1), "x"(f2), "x"(f3));
}

// Four chains of the shift-widened step (two accumulators each): 4·32 multiply-adds an iteration.
__attribute__((target("avx2"))) static void int8_shift_widened(long iterations) {
    __m256i b = _mm256_set1_epi8(3), bias = _mm256_set1_epi32(0x8000), x0 = _mm256_set1_epi8(1), x1 = x0, x2 = x0, x3 = x0;
    __m256i v0 = _mm256_setzero_si256(), v1 = v0, v2 = v0, v3 = v0, h0 = v0, h1 = v0, h2 = v0, h3 = v0;
#define STEP(v, h, x)                                                                          \
    {                                                                                          \
        __m256i p = _mm256_maddubs_epi16(x, b);                                                \
        v = _mm256_add_epi32(v, _mm256_xor_si256(p, bias));                                    \
        h = _mm256_add_epi32(h, _mm256_srai_epi32(p, 16));                                     \
    }
    for (long i = 0; i < iterations; i++) {
        __asm__ volatile("" : "+x"(x0), "+x"(x1), "+x"(x2), "+x"(x3));
        STEP(v0, h0, x0) STEP(v1, h1, x1) STEP(v2, h2, x2) STEP(v3, h3, x3)
    }
#undef STEP
    __asm__ volatile("" ::"x"(v0), "x"(v1), "x"(v2), "x"(v3), "x"(h0), "x"(h1), "x"(h2), "x"(h3));
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void int8_vnni(long iterations) {
    __m512i one = _mm512_setzero_si512(), x = _mm512_set1_epi8(1), y = _mm512_set1_epi8(3);
    CHAINS(__m512i, _mm512_dpbusd_epi32)
}

int main(void) {
    const long iterations = 100000000;
    double best2 = 0, best512 = 0, int2 = 0, vnni = 0, with_fma = 0, shifted = 0;
    int has512 = __builtin_cpu_supports("avx512f"),
        hasVNNI = has512 && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
    for (int round = 0; round < 5; round++) {
        double t = seconds();
        avx2(iterations);
        double g = iterations * 12.0 * 8 * 2 / (seconds() - t) / 1e9;
        best2 = g > best2 ? g : best2;
        t = seconds();
        int8_avx2(iterations);
        g = iterations * 6.0 * 32 * 2 / (seconds() - t) / 1e9;
        int2 = g > int2 ? g : int2;
        t = seconds();
        int8_with_fma(iterations);
        g = iterations * (4.0 * 32 + 4 * 8) * 2 / (seconds() - t) / 1e9;
        with_fma = g > with_fma ? g : with_fma;
        t = seconds();
        int8_shift_widened(iterations);
        g = iterations * 4.0 * 32 * 2 / (seconds() - t) / 1e9;
        shifted = g > shifted ? g : shifted;
        if (hasVNNI) {
            t = seconds();
            int8_vnni(iterations / 2);
            g = iterations / 2 * 12.0 * 64 * 2 / (seconds() - t) / 1e9;
            vnni = g > vnni ? g : vnni;
        }
        if (has512) {
            t = seconds();
            avx512(iterations / 2);
            g = iterations / 2 * 12.0 * 16 * 2 / (seconds() - t) / 1e9;
            best512 = g > best512 ? g : best512;
        }
    }
    printf("single-core FP32 FMA peak: AVX2 %.1f GFLOP/s", best2);
    if (best512 > 0) printf(", AVX-512 %.1f GFLOP/s", best512);
    printf(" (best of 5)\n");
    printf("single-core int8 multiply-add peak (u8 x s8, 2 ops per multiply-add): AVX2 vpmaddubsw+vpmaddwd %.1f GOP/s = %.2fx the AVX2 FMA peak",
           int2, int2 / best2);
    if (vnni > 0) printf(", AVX-512 VNNI %.1f GOP/s = %.2fx", vnni, vnni / best2);
    printf(" (best of 5)\n");
    printf("AVX2 int8 pairs widened by vpsrad instead of vpmaddwd (body avx2-shift) %.1f GOP/s = %.2fx; int8 steps with FMAs beside them (unused) %.1f GOP/s = %.2fx (best of 5)\n",
           shifted, shifted / best2, with_fma, with_fma / best2);
    return 0;
}
