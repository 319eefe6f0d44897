/* Tessera MCU kernels, int8: quantization boundaries, requantization, elementwise and data movement.
 * Bit-exact with Tessera's numpy int8 reference kernels. */
#include "tessera_kernels_int8.h"

/* round half to even for |v| <= 2^22 in the default rounding mode: adding 1.5 * 2^23 leaves no
 * fraction bits, so the FPU rounds the sum to an integer exactly as rint does. */
static float tk_rint_small(float v) {
    const float magic = 12582912.0f;
    volatile float t = v + magic; /* volatile: keep the two roundings apart under any optimizer */
    return t - magic;
}

void tk_quantize_f32_i8(const float *x, int8_t *out, int32_t n, float scale, int32_t zp) {
    for (int32_t i = 0; i < n; i++) {
        float v = x[i] / scale;
        if (!(v >= -1024.0f)) v = -1024.0f; /* also NaN */
        if (v > 1024.0f) v = 1024.0f;
        int32_t q = (int32_t)tk_rint_small(v) + zp;
        out[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
    }
}

void tk_dequantize_i8_f32(const int8_t *x, float *out, int32_t n, float scale, int32_t zp) {
    for (int32_t i = 0; i < n; i++) out[i] = (float)((int32_t)x[i] - zp) * scale;
}

void tk_requantize_i8(const int8_t *x, int8_t *out, int32_t n, int32_t x_zp, const tk_qstage *q) {
    for (int32_t i = 0; i < n; i++) out[i] = tk_out_stage((int32_t)x[i] - x_zp, q->mult, q->shift, q->zp, q->lo, q->hi);
}

void tk_clip_i8(const int8_t *x, int8_t *out, int32_t n, int32_t lo, int32_t hi) {
    for (int32_t i = 0; i < n; i++) {
        int32_t v = x[i] < lo ? lo : x[i];
        out[i] = (int8_t)(v > hi ? hi : v);
    }
}

static void tk_qadd_row(const tk_qbinary *p, const int8_t *a, int32_t sa, const int8_t *b, int32_t sb, int8_t *out,
                        int32_t n) {
    int32_t scale = 1 << p->left_shift;
    const tk_qstage *q = &p->out;
    for (int32_t i = 0; i < n; i++) {
        int32_t x = tk_mbqm(((int32_t)a[i * sa] - p->a_zp) * scale, p->a_mult, p->a_shift);
        int32_t y = tk_mbqm(((int32_t)b[i * sb] - p->b_zp) * scale, p->b_mult, p->b_shift);
        out[i] = tk_out_stage(x + y, q->mult, q->shift, q->zp, q->lo, q->hi);
    }
}

static void tk_qmul_row(const tk_qbinary *p, const int8_t *a, int32_t sa, const int8_t *b, int32_t sb, int8_t *out,
                        int32_t n) {
    const tk_qstage *q = &p->out;
    for (int32_t i = 0; i < n; i++) {
        int32_t prod = ((int32_t)a[i * sa] - p->a_zp) * ((int32_t)b[i * sb] - p->b_zp);
        out[i] = tk_out_stage(prod, q->mult, q->shift, q->zp, q->lo, q->hi);
    }
}

typedef void (*tk_qrow)(const tk_qbinary *, const int8_t *, int32_t, const int8_t *, int32_t, int8_t *, int32_t);

/* Walk an output of `rank` dims row by row (the last axis), advancing a and b by their strides. */
static void tk_qbroadcast(tk_qrow row, const tk_qbinary *p, const int8_t *a, const int8_t *b, int8_t *out, int rank,
                          const int32_t *dims, const int32_t *a_strides, const int32_t *b_strides) {
    int32_t idx[8] = {0};
    if (rank == 0) {
        row(p, a, 0, b, 0, out, 1);
        return;
    }
    int32_t total = 1;
    for (int d = 0; d < rank; d++) total *= dims[d];
    int32_t inner = dims[rank - 1], ao = 0, bo = 0;
    for (int32_t done = 0; done < total; done += inner) {
        row(p, a + ao, a_strides[rank - 1], b + bo, b_strides[rank - 1], out + done, inner);
        for (int d = rank - 2; d >= 0; d--) {
            ao += a_strides[d];
            bo += b_strides[d];
            if (++idx[d] < dims[d]) break;
            ao -= a_strides[d] * dims[d];
            bo -= b_strides[d] * dims[d];
            idx[d] = 0;
        }
    }
}

void tk_qadd_i8(const tk_qbinary *p, const int8_t *a, const int8_t *b, int8_t *out, int rank, const int32_t *dims,
                const int32_t *a_strides, const int32_t *b_strides) {
    tk_qbroadcast(tk_qadd_row, p, a, b, out, rank, dims, a_strides, b_strides);
}

void tk_qmul_i8(const tk_qbinary *p, const int8_t *a, const int8_t *b, int8_t *out, int rank, const int32_t *dims,
                const int32_t *a_strides, const int32_t *b_strides) {
    tk_qbroadcast(tk_qmul_row, p, a, b, out, rank, dims, a_strides, b_strides);
}

void tk_transpose_i8(const int8_t *x, int8_t *out, int rank, const int32_t *out_dims, const int32_t *in_strides) {
    int32_t idx[8] = {0};
    if (rank == 0) {
        out[0] = x[0];
        return;
    }
    int32_t total = 1;
    for (int d = 0; d < rank; d++) total *= out_dims[d];
    int32_t inner = out_dims[rank - 1], step = in_strides[rank - 1], off = 0;
    for (int32_t done = 0; done < total; done += inner) {
        const int8_t *src = x + off;
        for (int32_t i = 0; i < inner; i++) out[done + i] = src[i * step];
        for (int d = rank - 2; d >= 0; d--) {
            off += in_strides[d];
            if (++idx[d] < out_dims[d]) break;
            off -= in_strides[d] * out_dims[d];
            idx[d] = 0;
        }
    }
}

void tk_concat_part_i8(const int8_t *x, int8_t *out, int32_t outer, int32_t inner, int32_t out_inner,
                       int32_t offset) {
    for (int32_t o = 0; o < outer; o++) {
        const int8_t *src = x + o * inner;
        int8_t *dst = out + o * out_inner + offset;
        for (int32_t i = 0; i < inner; i++) dst[i] = src[i];
    }
}
