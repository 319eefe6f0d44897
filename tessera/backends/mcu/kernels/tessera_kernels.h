/* Tessera MCU kernels: portable C99, no libc, no malloc. Tensors are row-major (NCHW for images).
 * Pointers are never `restrict`: the arena planner may give an output the same address as an input
 * (in place, tessera/backends/mcu/inplace.py says which kernels allow it and why). */
#ifndef TESSERA_KERNELS_H
#define TESSERA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define TK_MAX_RANK 8

/* ---- math (own implementations, identical on host and MCU) ---- */
float tk_expf(float x);
float tk_tanhf(float x);
float tk_erff(float x);
float tk_sqrtf(float x);

/* ---- data movement ---- */
void tk_copy(void *dst, const void *src, size_t bytes);
/* out = x transposed: out dims[i] = in dims[perm[i]]; `in_strides` are the input strides (elements)
 * taken in output order, so the kernel walks the output contiguously. */
void tk_transpose_f32(const float *x, float *out, int rank, const int32_t *out_dims, const int32_t *in_strides);
/* Concatenate along one axis: `outer` blocks, each input contributes `inner` elements per block. */
void tk_concat_part_f32(const float *x, float *out, int32_t outer, int32_t inner, int32_t out_inner, int32_t offset);
void tk_gather_rows_f32(const float *table, const int64_t *idx, float *out, int32_t outer, int32_t rows,
                        int32_t count, int32_t inner);

/* ---- elementwise ---- */
typedef enum { TK_ADD, TK_SUB, TK_MUL, TK_DIV } tk_binop;
/* out[i] = a[ai] op b[bi] over an output of `rank` dims; strides in elements, 0 where broadcast. */
void tk_binary_f32(tk_binop op, const float *a, const float *b, float *out, int rank, const int32_t *dims,
                   const int32_t *a_strides, const int32_t *b_strides);
typedef enum {
    TK_RELU, TK_SIGMOID, TK_TANH, TK_GELU, TK_GELU_TANH, TK_ERF, TK_EXP, TK_SQRT, TK_NEG, TK_HARDSWISH, TK_ABS
} tk_unop;
void tk_unary_f32(tk_unop op, const float *x, float *out, int32_t n);
void tk_clip_f32(const float *x, float *out, int32_t n, float lo, float hi);
void tk_leaky_relu_f32(const float *x, float *out, int32_t n, float alpha);
/* PRelu over (outer, channels, inner): out = x < 0 ? x * slope[c] : x (NaN and -0.0 pass unchanged). */
void tk_prelu_f32(const float *x, const float *slope, float *out, int32_t outer, int32_t channels, int32_t inner);
void tk_hard_sigmoid_f32(const float *x, float *out, int32_t n, float alpha, float beta);
/* y = x * scale[c] + shift[c] over (outer, channels, inner). */
void tk_channel_affine_f32(const float *x, const float *scale, const float *shift, float *out, int32_t outer,
                           int32_t channels, int32_t inner);

/* ---- booleans and masks (tessera_kernels_logic.c; bool is uint8_t, 0 or 1) ---- */
typedef enum { TK_AND, TK_OR, TK_XOR } tk_logicop;
/* out[i] = a[ai] op b[bi], broadcast strides as tk_binary_f32. */
void tk_logic_u8(tk_logicop op, const uint8_t *a, const uint8_t *b, uint8_t *out, int rank, const int32_t *dims,
                 const int32_t *a_strides, const int32_t *b_strides);
/* out[i] = cond[ci] ? a[ai] : b[bi], broadcast strides as tk_binary_f32. */
void tk_where_f32(const uint8_t *cond, const float *a, const float *b, float *out, int rank, const int32_t *dims,
                  const int32_t *c_strides, const int32_t *a_strides, const int32_t *b_strides);
void tk_isnan_f32(const float *x, uint8_t *out, int32_t n);
/* GatherND, batch_dims 0: `count` index tuples of `depth` entries into the leading `dims` of the data;
 * each copies a slice of `slice_bytes` (zeros for an out-of-range tuple). */
void tk_gather_nd(const uint8_t *data, const int64_t *idx, uint8_t *out, int32_t count, int32_t depth,
                  const int32_t *dims, int32_t slice_bytes);

/* ---- convolution (NCHW, weights OIHW with I = C/group) ---- */
typedef struct {
    int32_t c, h, w;         /* input channels, height, width */
    int32_t m, oh, ow;       /* output channels, height, width */
    int32_t kh, kw, sh, sw, dh, dw, ph, pw; /* kernel, strides, dilations, pads at the start */
    int32_t group;
} tk_conv_geom;
void tk_conv2d_f32(const tk_conv_geom *g, const float *x, const float *w, const float *bias, float *out);
void tk_conv2d_depthwise_f32(const tk_conv_geom *g, const float *x, const float *w, const float *bias, float *out);
/* The same with `out` allowed to start at `x` (in place; needs oh*ow <= h*w): each output plane is
 * computed into `work` (oh*ow floats) and then copied over plane c, which overlaps input planes <= c. */
void tk_conv2d_depthwise_inplace_f32(const tk_conv_geom *g, const float *x, const float *w, const float *bias,
                                     float *out, float *work);
/* 1x1, stride 1, no padding, group 1: out[m][p] = sum_c w[m][c] * x[c][p] + bias[m]. */
void tk_conv2d_pointwise_f32(int32_t c, int32_t m, int32_t pixels, const float *x, const float *w,
                             const float *bias, float *out);

/* ---- bit-packed binary (tessera_kernels_binary.c; ai.tessera PackBits and BinaryConv) ---- */
/* x (n, c, inner) float -> out (n, ceil(c/32), inner) uint32: bit b of word j is x[:, 32*j + b] < 0. */
void tk_pack_bits_f32(const float *x, uint32_t *out, int32_t n, int32_t c, int32_t inner);
typedef struct {
    int32_t n, words, h, w;  /* batch, input words per pixel (ceil(C/32)), input height, width */
    int32_t m, oh, ow;       /* output channels, height, width */
    int32_t kh, kw, sh, sw, dh, dw, ph, pw; /* kernel, strides, dilations, pads at the start */
    int32_t group, cpg;      /* groups, channels per group */
    int32_t full, part;      /* per tap and group: whole words, and 1 if a last partial word follows */
    uint32_t mask;           /* the bits of the partial word that hold channels */
} tk_bconv_geom;
/* Binary conv of packed x (n, words, h, w) with packed weights laid out per output channel as every
 * tap's `full` words (tap-major), then every tap's partial word; `offs` gives, in the same order, each
 * word's offset from an interior window's first input pixel. out (n, m, oh, ow) float32 =
 * (float)dot * alpha[m] (+ bias[m] when bias is not NULL), dot over the in-image taps only. */
void tk_binary_conv2d(const tk_bconv_geom *g, const uint32_t *x, const uint32_t *w, const int32_t *offs,
                      const float *alpha, const float *bias, float *out);

/* ---- matrix products ---- */
/* out[i][j] = alpha * sum_k a[i][k] * w[j][k] + beta * bias[bj], a: MxK, w: NxK (both contiguous).
 * bias may be NULL; bias_stride_m / bias_stride_n give its broadcast (0 on broadcast axes). */
void tk_gemm_nt_f32(const float *a, const float *w, const float *bias, float *out, int32_t m, int32_t n,
                    int32_t k, float alpha, float beta, int32_t bias_stride_m, int32_t bias_stride_n);
/* out[i][j] = sum_k a[i*sam + k*sak] * b[k*sbk + j*sbn] (general strides, out contiguous MxN). */
void tk_matmul_strided_f32(const float *a, const float *b, float *out, int32_t m, int32_t n, int32_t k,
                           int32_t sam, int32_t sak, int32_t sbk, int32_t sbn);

/* ---- pooling (NCHW; pads at the start ph/pw; windows clipped to [lo, hi) for counting) ---- */
typedef struct {
    int32_t planes, h, w, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
    int32_t count_include_pad; /* average only */
    int32_t pad_h_end, pad_w_end;
} tk_pool_geom;
void tk_maxpool2d_f32(const tk_pool_geom *g, const float *x, float *out);
void tk_avgpool2d_f32(const tk_pool_geom *g, const float *x, float *out);
void tk_global_avgpool_f32(const float *x, float *out, int32_t planes, int32_t size);
void tk_global_maxpool_f32(const float *x, float *out, int32_t planes, int32_t size);

/* out[o][i] = scale * sum_r x[o][r][i]: a sum (scale 1) or mean (scale 1/n) over the middle axis. */
void tk_reduce_sum_f32(const float *x, float *out, int32_t outer, int32_t n, int32_t inner, float scale);

/* ---- normalization ---- */
/* softmax over the middle axis of (outer, axis, inner). */
void tk_softmax_f32(const float *x, float *out, int32_t outer, int32_t axis, int32_t inner);
/* layer norm over the last `size` elements of each of `rows` rows; scale/bias per element (bias may be NULL). */
void tk_layernorm_f32(const float *x, const float *scale, const float *bias, float *out, int32_t rows,
                      int32_t size, float epsilon);

#endif
