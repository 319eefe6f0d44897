/* Tessera MCU kernels, int8 (TFLite int8 semantics, bit-exact with Tessera's reference kernels in
 * tessera/ir/ops/quantized*.py; docs/quantization.md gives the arithmetic). Portable C99, no libc. */
#ifndef TESSERA_KERNELS_INT8_H
#define TESSERA_KERNELS_INT8_H

#include <stddef.h>
#include <stdint.h>

/* ---- requantization: gemmlowp / TFLite fixed point, exactly ---- */
/* SaturatingRoundingDoublingHighMul: round(a * b / 2^31), the one overflow saturated. */
static inline int32_t tk_srdhm(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}
/* RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero (0 <= e <= 31). */
static inline int32_t tk_rdbpot(int32_t x, int32_t e) {
    int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0);
    return (x >> e) + (remainder > threshold);
}
/* MultiplyByQuantizedMultiplier: x * m * 2^(shift - 31), two roundings as TFLite. */
static inline int32_t tk_mbqm(int32_t x, int32_t m, int32_t shift) {
    int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    return tk_rdbpot(tk_srdhm(x * (1 << left), m), right);
}
/* The output stage of every int8 op: rescale, add the output zero point, clamp to [lo, hi]. */
static inline int8_t tk_out_stage(int32_t acc, int32_t m, int32_t shift, int32_t zp, int32_t lo, int32_t hi) {
    int32_t y = tk_mbqm(acc, m, shift) + zp;
    return (int8_t)(y < lo ? lo : y > hi ? hi : y);
}

/* One per-tensor output stage (QMatMul, QMul, QAdd, Requantize). */
typedef struct {
    int32_t mult, shift, zp, lo, hi;
} tk_qstage;
/* The per-channel output stage of QConv / QFullyConnected: one multiplier and shift per channel. */
typedef struct {
    const int32_t *mult, *shift;
    int32_t zp, lo, hi;
} tk_qchannels;

/* ---- boundaries ---- */
/* y = clamp(round_half_even(x / scale) + zp, -128, 127) in float32 (ONNX QuantizeLinear). */
void tk_quantize_f32_i8(const float *x, int8_t *out, int32_t n, float scale, int32_t zp);
/* y = (float)(q - zp) * scale (ONNX DequantizeLinear). */
void tk_dequantize_i8_f32(const int8_t *x, float *out, int32_t n, float scale, int32_t zp);
/* y = out_stage(x - x_zp): int8 to another scale / zero point. */
void tk_requantize_i8(const int8_t *x, int8_t *out, int32_t n, int32_t x_zp, const tk_qstage *q);

/* ---- elementwise (strides in elements, 0 where broadcast, as tk_binary_f32) ---- */
typedef struct {
    int32_t a_zp, b_zp;
    int32_t a_mult, a_shift, b_mult, b_shift, left_shift; /* QAdd only */
    tk_qstage out;
} tk_qbinary;
void tk_qadd_i8(const tk_qbinary *p, const int8_t *a, const int8_t *b, int8_t *out, int rank, const int32_t *dims,
                const int32_t *a_strides, const int32_t *b_strides);
void tk_qmul_i8(const tk_qbinary *p, const int8_t *a, const int8_t *b, int8_t *out, int rank, const int32_t *dims,
                const int32_t *a_strides, const int32_t *b_strides);
void tk_clip_i8(const int8_t *x, int8_t *out, int32_t n, int32_t lo, int32_t hi);

/* ---- data movement ---- */
void tk_transpose_i8(const int8_t *x, int8_t *out, int rank, const int32_t *out_dims, const int32_t *in_strides);
void tk_concat_part_i8(const int8_t *x, int8_t *out, int32_t outer, int32_t inner, int32_t out_inner,
                       int32_t offset);

/* ---- convolution (NCHW, weights OIHW int8 with I = C/group) ----
 * acc = bias[m] + sum (x - x_zp) * w over the taps inside the input (a pad reads x_zp: adds 0).
 * `bias_folded[m]` = bias[m] - x_zp * sum(w[m]) (computed at compile time): where a window lies
 * wholly inside the input, acc = bias_folded[m] + sum x * w, so inner loops do one MAC per tap. */
typedef struct {
    int32_t c, h, w, m, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw, group;
    int32_t x_zp;
} tk_qconv_geom;
void tk_qconv2d_i8(const tk_qconv_geom *g, const int8_t *x, const int8_t *w, const int32_t *bias,
                   const int32_t *bias_folded, const tk_qchannels *q, int8_t *out);
void tk_qconv2d_depthwise_i8(const tk_qconv_geom *g, const int8_t *x, const int8_t *w, const int32_t *bias,
                             const int32_t *bias_folded, const tk_qchannels *q, int8_t *out);
/* In place (out may start at x; needs oh*ow <= h*w): each plane via `work` (oh*ow bytes), as the f32 form. */
void tk_qconv2d_depthwise_inplace_i8(const tk_qconv_geom *g, const int8_t *x, const int8_t *w, const int32_t *bias,
                                     const int32_t *bias_folded, const tk_qchannels *q, int8_t *out, int8_t *work);
/* 1x1, stride 1, no padding, group 1 over `pixels` positions: acc[m][p] = bias_folded[m] + sum_c w[m][c] x[c][p]. */
void tk_qconv2d_pointwise_i8(int32_t c, int32_t m, int32_t pixels, const int8_t *x, const int8_t *w,
                             const int32_t *bias_folded, const tk_qchannels *q, int8_t *out);

/* ---- matrix products ---- */
/* Fully connected: out[i][j] = stage_j(bias_folded[j] + sum_k a[i][k] * w[j][k]); a: MxK, w: NxK. */
void tk_qfc_i8(const int8_t *a, const int8_t *w, const int32_t *bias_folded, const tk_qchannels *q, int8_t *out,
               int32_t m, int32_t n, int32_t k);
/* out[i][j] = stage(sum_k (a[i*sam + k*sak] - a_zp) * (b[k*sbk + j*sbn] - b_zp)), out contiguous MxN. */
void tk_qmatmul_i8(const tk_qbinary *p, const int8_t *a, const int8_t *b, int8_t *out, int32_t m, int32_t n,
                   int32_t k, int32_t sam, int32_t sak, int32_t sbk, int32_t sbn);

/* ---- pooling (geometry as tk_pool_geom in tessera_kernels.h) ---- */
typedef struct {
    int32_t planes, h, w, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
    int32_t act_min, act_max;
} tk_qpool_geom;
void tk_maxpool2d_i8(const tk_qpool_geom *g, const int8_t *x, int8_t *out);
/* TFLite AVERAGE_POOL_2D: sum over the taps inside the input, divided by their count rounding half
 * away from zero, clamped to [act_min, act_max]. */
void tk_qavgpool2d_i8(const tk_qpool_geom *g, const int8_t *x, int8_t *out);

#endif
