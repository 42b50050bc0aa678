// Measures this CPU's single-core FP32 FMA peak (GFLOP/s) with register-only AVX2 and AVX-512
// loops: 12 independent accumulator chains, no memory traffic. BENCHMARKS.md quotes it as the
// ceiling any SGEMM or forward pass can reach. Build and run: scripts/fma_peak.sh
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

int main(void) {
    const long iterations = 100000000;
    double best2 = 0, best512 = 0;
    for (int round = 0; round < 5; round++) {
        double t = seconds();
        avx2(iterations);
        double g = iterations * 12.0 * 8 * 2 / (seconds() - t) / 1e9;
        best2 = g > best2 ? g : best2;
        if (__builtin_cpu_supports("avx512f")) {
            t = seconds();
            avx512(iterations / 2);
            g = iterations / 2 * 12.0 * 16 * 2 / (seconds() - t) / 1e9;
            best512 = g > best512 ? g : best512;
        }
    }
    printf("single-core FP32 FMA peak: AVX2 %.1f GFLOP/s", best2);
    if (best512 > 0) printf(", AVX-512 %.1f GFLOP/s", best512);
    printf(" (best of 5)\n");
    return 0;
}
