// Which SIMD body this build can offer, and the attribute that enables it per function.
#pragma once
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define ATTEND_HAVE_AVX2 1
#define ATTEND_AVX2 __attribute__((target("avx2,fma")))
#include <stdatomic.h>
#include <stdlib.h>
/// True when this CPU runs AVX2 and FMA (checked at run time; the build needs no flags) and the
/// environment does not set ATTEND_PORTABLE=1, which runs the portable bodies instead (to test
/// them against the SIMD ones on the same machine). Decided once per translation unit.
static inline int attend_cpu_has_avx2_fma(void) {
    static _Atomic int decided = -1;
    int use = atomic_load_explicit(&decided, memory_order_relaxed);
    if (use < 0) {
        const char *portable = getenv("ATTEND_PORTABLE");
        use = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && !(portable && portable[0] == '1');
        atomic_store_explicit(&decided, use, memory_order_relaxed);
    }
    return use;
}
#elif defined(__aarch64__)
#include <arm_neon.h>
#define ATTEND_HAVE_NEON 1
#endif
