/* Tessera MCU kernels: elementary functions, written here so host and MCU builds agree bit for bit
 * and the MCU build needs no libm. Accuracy: a few float ulps (erf: 1.5e-7 absolute for |x| >= 0.5). */
#include "tessera_kernels.h"

typedef union {
    float f;
    uint32_t u;
} tk_bits;

static float tk_pow2i(int32_t n) { /* 2^n for n in [-126, 127] */
    tk_bits b;
    b.u = (uint32_t)(n + 127) << 23;
    return b.f;
}

float tk_sqrtf(float x) { return __builtin_sqrtf(x); }

float tk_expf(float x) {
    if (x != x) return x;
    if (x > 88.72283935546875f) return __builtin_inff();
    if (x < -103.972084045410f) return 0.0f;
    float t = x * 1.44269502162933f;
    int32_t n = (int32_t)(t + (t >= 0.0f ? 0.5f : -0.5f));
    float r = (x - (float)n * 0.693145751953125f) - (float)n * 1.428606765330187e-06f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.66666672e-1f + r * (4.16666679e-2f +
                 r * (8.33333377e-3f + r * (1.38888892e-3f + r * 1.98412701e-4f))))));
    if (n > 127) return p * tk_pow2i(127) * tk_pow2i(n - 127);
    if (n < -126) return p * tk_pow2i(n + 100) * tk_pow2i(-100);
    return p * tk_pow2i(n);
}

static float tk_expm1f(float x) { /* exact enough near 0, where expf(x) - 1 cancels */
    if (x > 0.5f || x < -0.5f) return tk_expf(x) - 1.0f;
    return x * (1.0f + x * (0.5f + x * (1.66666672e-1f + x * (4.16666679e-2f + x * (8.33333377e-3f +
           x * (1.38888892e-3f + x * (1.98412701e-4f + x * 2.48015876e-5f)))))));
}

float tk_tanhf(float x) {
    float a = x < 0.0f ? -x : x;
    if (a > 9.0f) return x < 0.0f ? -1.0f : 1.0f;
    float e = tk_expm1f(2.0f * a);
    float t = e / (e + 2.0f);
    return x < 0.0f ? -t : t;
}

float tk_erff(float x) {
    float a = x < 0.0f ? -x : x;
    float r;
    if (a < 0.5f) {
        float z = a * a;
        r = a * 1.12837916709551f *
            (1.0f + z * (-3.33333333e-1f + z * (1.0e-1f + z * (-2.38095238e-2f + z * (4.62962963e-3f +
             z * -7.57575758e-4f)))));
    } else {
        /* Abramowitz & Stegun 7.1.26 */
        float t = 1.0f / (1.0f + 0.3275911f * a);
        float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f +
                     t * 1.061405429f))));
        r = 1.0f - poly * tk_expf(-a * a);
    }
    return x < 0.0f ? -r : r;
}
