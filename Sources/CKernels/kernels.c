// One copy of kernels_body.h per instruction set, each compiled under its own
// target attribute, and the run-time choice between them (cpuid + xgetbv, so
// no compiler runtime is needed).
#include "ckernels.h"
#include <string.h>

// No fused multiply-adds the source does not write: every copy then rounds
// exactly as the Swift reference does, so results do not depend on the CPU's
// vector width (a multiply-add fused in one copy only moved a 100-step run's
// picture measurably). Package.swift also passes -ffp-contract=off (GCC ignores this pragma).
#pragma STDC FP_CONTRACT OFF

#define SK_MAX(a, b) ((a) > (b) ? (a) : (b))

#define SK(name) name##_default
#define SK_NAME "default"
#include "kernels_body.h"
#undef SK
#undef SK_NAME

#if defined(__x86_64__)
#include <cpuid.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#define SK(name) name##_avx2
#define SK_NAME "avx2"
#include "kernels_body.h"
#undef SK
#undef SK_NAME
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
#endif
#define SK(name) name##_avx512
#define SK_NAME "avx512f"
#include "kernels_body.h"
#undef SK
#undef SK_NAME
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

/// 2 when the CPU has AVX-512F, AVX2 and FMA and the OS saves the zmm state,
/// 1 for AVX2 + FMA with ymm state saved, else 0.
static int detect_level(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx || !fma) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    unsigned long long xcr0 = ((unsigned long long)hi << 32) | lo;
    if ((xcr0 & 0x6) != 0x6) return 0;  // xmm and ymm state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1;
    if (!avx2) return 0;
    return avx512f && (xcr0 & 0xe6) == 0xe6 ? 2 : 1;  // + opmask, zmm0-15 high halves, zmm16-31
}
#else
static int detect_level(void) { return 0; }
#endif

int sk_best_level(void) {
    static int level = -1;  // a benign race: every thread computes the same value
    if (level < 0) level = detect_level();
    return level;
}

const char *sk_openblas_core(void) {
    int level = sk_best_level();
#if defined(__x86_64__)
    if (level == 2) {
        unsigned a, b, c, d;
        __get_cpuid_count(7, 0, &a, &b, &c, &d);
        unsigned need = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);  // F, DQ, CD, BW, VL
        if ((b & need) == need) {
            __get_cpuid_count(7, 1, &a, &b, &c, &d);
            return (a >> 5) & 1 ? "Cooperlake" : "SkylakeX";  // AVX512_BF16
        }
    }
#endif
    return level >= 1 ? "Haswell" : NULL;
}

const sk_kernels *sk_kernels_for(int level) {
    if (level < 0 || level > sk_best_level()) return NULL;
#if defined(__x86_64__)
    if (level == 2) return &table_avx512;
    if (level == 1) return &table_avx2;
#endif
    return &table_default;
}
