/* Tessera MCU kernels, bit-packed binary (ai.tessera PackBits and BinaryConv, tessera/ir/ops/binary.py):
 * 32 channels per uint32 word, bit b of word j set iff channel 32*j + b is negative, and a convolution
 * by XOR + popcount: dot = C_g - 2 * popcount((a ^ w) & mask) per in-image tap.
 *
 * Cortex-M4 has no popcount instruction: tk_byte_counts is a SWAR count that leaves each byte's bit
 * count in that byte, and USADA8 (the M4's DSP extension, sum of absolute byte differences against 0)
 * adds the four bytes into the running sum in one instruction. The host build runs the same SWAR
 * count with a portable byte sum, so both builds do the same integer arithmetic.
 *
 * The output is y = (float)dot * alpha[m] + bias[m]: a float32 multiply, then a float32 add, as the
 * reference. The Makefile builds with -ffp-contract=off (also the default of -std=c99), so the
 * compiler never fuses them into a VFMA / FMA, which rounds once instead of twice. */
#include "tessera_kernels.h"

#if defined(__ARM_FEATURE_SIMD32)
#include <arm_acle.h>
#endif

/* The SWAR masks, held in registers: with a mask in a register (not an immediate) the Thumb-2
 * operand shift folds into the AND (`and r, m, v, lsr #1`), 7 instructions a word instead of 9. */
typedef struct {
    uint32_t m1, m2, m4;
} tk_swar;

static inline tk_swar tk_swar_masks(void) {
    tk_swar s = {0x55555555u, 0x33333333u, 0x0F0F0F0Fu};
#if defined(__GNUC__) && defined(__arm__)
    __asm__("" : "+r"(s.m1), "+r"(s.m2), "+r"(s.m4)); /* opaque: the compiler keeps them in registers */
#endif
    return s;
}

/* The bit count of each byte of v, in that byte (0..8). */
static inline uint32_t tk_byte_counts(uint32_t v, tk_swar s) {
    v = v - ((v >> 1) & s.m1);            /* 16 fields of 2 bits: 0..2 */
    v = (v & s.m2) + ((v >> 2) & s.m2);   /* 8 nibbles: 0..4 */
    return (v + (v >> 4)) & s.m4;         /* 4 bytes: 0..8 */
}

/* acc + the sum of the four bytes of v. */
static inline uint32_t tk_add_bytes(uint32_t v, uint32_t acc) {
#if defined(__ARM_FEATURE_SIMD32)
    return __usada8(v, 0u, acc);
#else
    return acc + ((v * 0x01010101u) >> 24);
#endif
}

void tk_pack_bits_f32(const float *x, uint32_t *out, int32_t n, int32_t c, int32_t inner) {
    int32_t words = (c + 31) / 32;
    for (int32_t b = 0; b < n; b++) {
        for (int32_t j = 0; j < words; j++) {
            int32_t bits = c - 32 * j < 32 ? c - 32 * j : 32;
            const float *src = x + ((size_t)b * (size_t)c + (size_t)(32 * j)) * (size_t)inner;
            uint32_t *dst = out + ((size_t)b * (size_t)words + (size_t)j) * (size_t)inner;
            for (int32_t p = 0; p < inner; p++) {
                const float *ch = src + p;
                uint32_t word = 0;
                for (int32_t k = 0; k < bits; k++) word |= (uint32_t)(ch[k * inner] < 0.0f) << k;
                dst[p] = word; /* bits past c stay 0 */
            }
        }
    }
}

/* The outputs [lo, hi) of one axis whose whole window (k taps, dilation d) lies inside [0, size). */
static void tk_inside(int32_t outs, int32_t size, int32_t k, int32_t s, int32_t d, int32_t p, int32_t *lo,
                      int32_t *hi) {
    int32_t last = size - 1 - (k - 1) * d + p; /* the largest window start (plus pad) that fits */
    *lo = (p + s - 1) / s;
    *hi = last < 0 ? 0 : last / s + 1;
    if (*lo > outs) *lo = outs;
    if (*hi > outs) *hi = outs;
    if (*hi < *lo) *hi = *lo;
}

/* The taps [lo, hi) of one axis inside [0, size) for a window starting at `start`. */
static void tk_btaps(int32_t start, int32_t size, int32_t k, int32_t d, int32_t *lo, int32_t *hi) {
    *lo = start < 0 ? (-start + d - 1) / d : 0;
    *hi = size - start <= 0 ? 0 : (size - start + d - 1) / d;
    if (*hi > k) *hi = k;
    if (*hi < *lo) *hi = *lo;
}

/* Interior window at xp (every tap in the image): the popcount over the flat word list. */
static uint32_t tk_bconv_inside(const tk_bconv_geom *g, const uint32_t *xp, const uint32_t *wm,
                                const int32_t *offs) {
    int32_t full = g->kh * g->kw * g->full, all = full + g->kh * g->kw * g->part;
    uint32_t pop = 0, mask = g->mask;
    tk_swar s = tk_swar_masks();
    int32_t i = 0;
    for (; i < full; i++) pop = tk_add_bytes(tk_byte_counts(xp[offs[i]] ^ wm[i], s), pop);
    for (; i < all; i++) pop = tk_add_bytes(tk_byte_counts((xp[offs[i]] ^ wm[i]) & mask, s), pop);
    return pop;
}

/* Border window at input (iy0, ix0) of group plane xg: only the in-image taps count. */
static int32_t tk_bconv_border(const tk_bconv_geom *g, const uint32_t *xg, const uint32_t *wm, int32_t iy0,
                               int32_t ix0) {
    int32_t ylo, yhi, xlo, xhi, plane = g->h * g->w, ksize = g->kh * g->kw;
    tk_btaps(iy0, g->h, g->kh, g->dh, &ylo, &yhi);
    tk_btaps(ix0, g->w, g->kw, g->dw, &xlo, &xhi);
    uint32_t pop = 0;
    tk_swar s = tk_swar_masks();
    for (int32_t ky = ylo; ky < yhi; ky++) {
        for (int32_t kx = xlo; kx < xhi; kx++) {
            int32_t t = ky * g->kw + kx;
            const uint32_t *xt = xg + ((iy0 + ky * g->dh) * g->w + ix0 + kx * g->dw);
            const uint32_t *wt = wm + t * g->full;
            for (int32_t j = 0; j < g->full; j++) pop = tk_add_bytes(tk_byte_counts(xt[j * plane] ^ wt[j], s), pop);
            if (g->part) {
                uint32_t v = (xt[g->full * plane] ^ wm[ksize * g->full + t]) & g->mask;
                pop = tk_add_bytes(tk_byte_counts(v, s), pop);
            }
        }
    }
    return (yhi - ylo) * (xhi - xlo) * g->cpg - 2 * (int32_t)pop;
}

/* y = (float)dot * alpha, then + bias when there is one (no + 0.0f: it would turn -0.0 into +0.0). */
static inline float tk_bconv_out(int32_t dot, float alpha, const float *bias) {
    float y = (float)dot * alpha;
    if (bias) y = y + *bias;
    return y;
}

void tk_binary_conv2d(const tk_bconv_geom *g, const uint32_t *x, const uint32_t *w, const int32_t *offs,
                      const float *alpha, const float *bias, float *out) {
    int32_t plane = g->h * g->w, out_plane = g->oh * g->ow, wg = g->full + g->part;
    int32_t per_m = g->kh * g->kw * wg, mpg = g->m / g->group, whole = g->kh * g->kw * g->cpg;
    int32_t oya, oyb, oxa, oxb;
    tk_inside(g->oh, g->h, g->kh, g->sh, g->dh, g->ph, &oya, &oyb);
    tk_inside(g->ow, g->w, g->kw, g->sw, g->dw, g->pw, &oxa, &oxb);
    for (int32_t b = 0; b < g->n; b++) {
        for (int32_t m = 0; m < g->m; m++) {
            const uint32_t *xg = x + ((size_t)b * (size_t)g->words + (size_t)((m / mpg) * wg)) * (size_t)plane;
            const uint32_t *wm = w + m * per_m;
            const float *bm = bias ? bias + m : NULL;
            float am = alpha[m];
            float *dst = out + ((size_t)b * (size_t)g->m + (size_t)m) * (size_t)out_plane;
            for (int32_t oy = 0; oy < g->oh; oy++) {
                int32_t iy0 = oy * g->sh - g->ph, inside = oy >= oya && oy < oyb;
                int32_t lo = inside ? oxa : g->ow, hi = inside ? oxb : g->ow;
                float *row = dst + oy * g->ow;
                for (int32_t ox = 0; ox < lo; ox++)
                    row[ox] = tk_bconv_out(tk_bconv_border(g, xg, wm, iy0, ox * g->sw - g->pw), am, bm);
                for (int32_t ox = lo; ox < hi; ox++) { /* the fast path: no bounds, one flat word loop */
                    const uint32_t *xp = xg + (iy0 * g->w + ox * g->sw - g->pw);
                    row[ox] = tk_bconv_out(whole - 2 * (int32_t)tk_bconv_inside(g, xp, wm, offs), am, bm);
                }
                for (int32_t ox = hi; ox < g->ow; ox++)
                    row[ox] = tk_bconv_out(tk_bconv_border(g, xg, wm, iy0, ox * g->sw - g->pw), am, bm);
            }
        }
    }
}
