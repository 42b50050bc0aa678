// Which SIMD body this build can offer, and the attribute that enables it per function.
#pragma once
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define ATTEND_HAVE_AVX2 1
#define ATTEND_AVX2 __attribute__((target("avx2,fma")))
/// True when this CPU runs AVX2 and FMA (checked at run time; the build needs no flags).
static inline int attend_cpu_has_avx2_fma(void) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#elif defined(__aarch64__)
#include <arm_neon.h>
#define ATTEND_HAVE_NEON 1
#endif
