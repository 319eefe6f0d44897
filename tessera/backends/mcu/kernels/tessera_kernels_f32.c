/* Tessera MCU kernels, float32: elementwise, data movement, normalization. Plain C99 written for a
 * Cortex-M4 without SIMD: contiguous inner loops, no divisions inside loops, no heap. */
#include "tessera_kernels.h"

void tk_copy(void *dst, const void *src, size_t bytes) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    if (d == s || bytes == 0) return;
    if (d < s || d >= s + bytes) {
        for (size_t i = 0; i < bytes; i++) d[i] = s[i];
    } else {
        for (size_t i = bytes; i > 0; i--) d[i - 1] = s[i - 1];
    }
}

void tk_transpose_f32(const float *x, float *out, int rank, const int32_t *out_dims, const int32_t *in_strides) {
    int32_t idx[TK_MAX_RANK] = {0};
    int32_t total = 1;
    for (int d = 0; d < rank; d++) total *= out_dims[d];
    if (rank == 0) {
        out[0] = x[0];
        return;
    }
    int32_t inner = out_dims[rank - 1], step = in_strides[rank - 1], off = 0;
    for (int32_t done = 0; done < total; done += inner) {
        const float *src = x + off;
        for (int32_t i = 0; i < inner; i++) out[done + i] = src[i * step];
        for (int d = rank - 2; d >= 0; d--) {
            off += in_strides[d];
            if (++idx[d] < out_dims[d]) break;
            off -= in_strides[d] * out_dims[d];
            idx[d] = 0;
        }
    }
}

void tk_concat_part_f32(const float *x, float *out, int32_t outer, int32_t inner, int32_t out_inner, int32_t offset) {
    for (int32_t o = 0; o < outer; o++) {
        const float *src = x + o * inner;
        float *dst = out + o * out_inner + offset;
        for (int32_t i = 0; i < inner; i++) dst[i] = src[i];
    }
}

void tk_gather_rows_f32(const float *table, const int64_t *idx, float *out, int32_t outer, int32_t rows,
                        int32_t count, int32_t inner) {
    for (int32_t o = 0; o < outer; o++) {
        for (int32_t j = 0; j < count; j++) {
            int64_t r = idx[j] < 0 ? idx[j] + rows : idx[j];
            float *dst = out + (o * count + j) * inner;
            if (r < 0 || r >= rows) { /* out of range: zeros, never a stray read */
                for (int32_t i = 0; i < inner; i++) dst[i] = 0.0f;
                continue;
            }
            const float *src = table + (o * rows + (int32_t)r) * inner;
            for (int32_t i = 0; i < inner; i++) dst[i] = src[i];
        }
    }
}

static void tk_binary_row(tk_binop op, const float *a, int32_t sa, const float *b, int32_t sb, float *out, int32_t n) {
    int32_t i;
    switch (op) {
    case TK_ADD:
        for (i = 0; i < n; i++) out[i] = a[i * sa] + b[i * sb];
        break;
    case TK_SUB:
        for (i = 0; i < n; i++) out[i] = a[i * sa] - b[i * sb];
        break;
    case TK_MUL:
        for (i = 0; i < n; i++) out[i] = a[i * sa] * b[i * sb];
        break;
    case TK_DIV:
        for (i = 0; i < n; i++) out[i] = a[i * sa] / b[i * sb];
        break;
    }
}

void tk_binary_f32(tk_binop op, const float *a, const float *b, float *out, int rank, const int32_t *dims,
                   const int32_t *a_strides, const int32_t *b_strides) {
    int32_t idx[TK_MAX_RANK] = {0};
    if (rank == 0) {
        tk_binary_row(op, a, 0, b, 0, out, 1);
        return;
    }
    int32_t total = 1;
    for (int d = 0; d < rank; d++) total *= dims[d];
    int32_t inner = dims[rank - 1], ao = 0, bo = 0;
    for (int32_t done = 0; done < total; done += inner) {
        tk_binary_row(op, a + ao, a_strides[rank - 1], b + bo, b_strides[rank - 1], out + done, inner);
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

void tk_unary_f32(tk_unop op, const float *x, float *out, int32_t n) {
    int32_t i;
    switch (op) {
    case TK_RELU:
        for (i = 0; i < n; i++) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case TK_SIGMOID:
        for (i = 0; i < n; i++) out[i] = 1.0f / (1.0f + tk_expf(-x[i]));
        break;
    case TK_TANH:
        for (i = 0; i < n; i++) out[i] = tk_tanhf(x[i]);
        break;
    case TK_GELU:
        for (i = 0; i < n; i++) out[i] = 0.5f * x[i] * (1.0f + tk_erff(x[i] * 0.707106781186548f));
        break;
    case TK_GELU_TANH:
        for (i = 0; i < n; i++) {
            float v = x[i];
            out[i] = 0.5f * v * (1.0f + tk_tanhf(0.797884560802865f * (v + 0.044715f * v * v * v)));
        }
        break;
    case TK_ERF:
        for (i = 0; i < n; i++) out[i] = tk_erff(x[i]);
        break;
    case TK_EXP:
        for (i = 0; i < n; i++) out[i] = tk_expf(x[i]);
        break;
    case TK_SQRT:
        for (i = 0; i < n; i++) out[i] = tk_sqrtf(x[i]);
        break;
    case TK_NEG:
        for (i = 0; i < n; i++) out[i] = -x[i];
        break;
    case TK_HARDSWISH:
        for (i = 0; i < n; i++) {
            float t = x[i] / 6.0f + 0.5f;
            t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
            out[i] = x[i] * t;
        }
        break;
    case TK_ABS: /* clear the sign bit, as numpy does: |-0.0| = +0.0, NaN keeps its payload */
        for (i = 0; i < n; i++) {
            union { float f; uint32_t u; } v;
            v.f = x[i];
            v.u &= 0x7FFFFFFFu;
            out[i] = v.f;
        }
        break;
    }
}

void tk_clip_f32(const float *x, float *out, int32_t n, float lo, float hi) {
    for (int32_t i = 0; i < n; i++) {
        float v = x[i];
        out[i] = v < lo ? lo : (v > hi ? hi : v);
    }
}

void tk_leaky_relu_f32(const float *x, float *out, int32_t n, float alpha) {
    for (int32_t i = 0; i < n; i++) out[i] = x[i] >= 0.0f ? x[i] : alpha * x[i];
}

void tk_prelu_f32(const float *x, const float *slope, float *out, int32_t outer, int32_t channels, int32_t inner) {
    for (int32_t o = 0; o < outer; o++) {
        for (int32_t c = 0; c < channels; c++) {
            const float *src = x + (o * channels + c) * inner;
            float *dst = out + (o * channels + c) * inner;
            float s = slope[c];
            for (int32_t i = 0; i < inner; i++) dst[i] = src[i] < 0.0f ? src[i] * s : src[i];
        }
    }
}

void tk_hard_sigmoid_f32(const float *x, float *out, int32_t n, float alpha, float beta) {
    for (int32_t i = 0; i < n; i++) {
        float v = alpha * x[i] + beta;
        out[i] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    }
}

void tk_channel_affine_f32(const float *x, const float *scale, const float *shift, float *out, int32_t outer,
                           int32_t channels, int32_t inner) {
    for (int32_t o = 0; o < outer; o++) {
        for (int32_t c = 0; c < channels; c++) {
            const float *src = x + (o * channels + c) * inner;
            float *dst = out + (o * channels + c) * inner;
            float s = scale[c], t = shift[c];
            for (int32_t i = 0; i < inner; i++) dst[i] = src[i] * s + t;
        }
    }
}

/* Sums in numpy's order, so float reductions agree with the reference executor bit for bit: a
 * contiguous run is summed pairwise as numpy's pairwise_sum does (one running sum below 8 terms, 8
 * interleaved running sums up to 128, halves split at a multiple of 8 above). sq: sum (a[i] - m)^2. */
static float tk_term(const float *a, int32_t i, float m, int sq) {
    if (!sq) return a[i];
    float d = a[i] - m;
    return d * d;
}

static float tk_sum_pairwise(const float *a, int32_t n, float m, int sq) {
    if (n < 8) {
        float res = 0.0f;
        for (int32_t i = 0; i < n; i++) res += tk_term(a, i, m, sq);
        return res;
    }
    if (n <= 128) {
        float r[8];
        for (int32_t j = 0; j < 8; j++) r[j] = tk_term(a, j, m, sq);
        int32_t i = 8;
        for (; i < n - (n % 8); i += 8) {
            for (int32_t j = 0; j < 8; j++) r[j] += tk_term(a, i + j, m, sq);
        }
        float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += tk_term(a, i, m, sq);
        return res;
    }
    int32_t half = n / 2;
    half -= half % 8;
    return tk_sum_pairwise(a, half, m, sq) + tk_sum_pairwise(a + half, n - half, m, sq);
}

void tk_softmax_f32(const float *x, float *out, int32_t outer, int32_t axis, int32_t inner) {
    for (int32_t o = 0; o < outer; o++) {
        for (int32_t i = 0; i < inner; i++) {
            const float *src = x + o * axis * inner + i;
            float *dst = out + o * axis * inner + i;
            float top = src[0], sum = 0.0f;
            for (int32_t a = 1; a < axis; a++) top = src[a * inner] > top ? src[a * inner] : top;
            for (int32_t a = 0; a < axis; a++) dst[a * inner] = tk_expf(src[a * inner] - top);
            if (inner == 1) {
                sum = tk_sum_pairwise(dst, axis, 0.0f, 0);
            } else {
                for (int32_t a = 0; a < axis; a++) sum += dst[a * inner];  /* numpy: a strided axis in order */
            }
            for (int32_t a = 0; a < axis; a++) dst[a * inner] = dst[a * inner] / sum;
        }
    }
}

void tk_layernorm_f32(const float *x, const float *scale, const float *bias, float *out, int32_t rows,
                      int32_t size, float epsilon) {
    for (int32_t r = 0; r < rows; r++) {
        const float *src = x + r * size;
        float *dst = out + r * size;
        float mean = tk_sum_pairwise(src, size, 0.0f, 0) / (float)size;
        float var = tk_sum_pairwise(src, size, mean, 1) / (float)size;
        float inv = 1.0f / tk_sqrtf(var + epsilon);
        for (int32_t i = 0; i < size; i++) {
            float y = (src[i] - mean) * inv * scale[i];
            dst[i] = bias ? y + bias[i] : y;
        }
    }
}

void tk_reduce_sum_f32(const float *x, float *out, int32_t outer, int32_t n, int32_t inner, float scale) {
    for (int32_t o = 0; o < outer; o++) {
        float *dst = out + o * inner;
        const float *src = x + o * n * inner;
        for (int32_t i = 0; i < inner; i++) dst[i] = 0.0f;
        for (int32_t r = 0; r < n; r++) {
            for (int32_t i = 0; i < inner; i++) dst[i] += src[r * inner + i];
        }
        if (scale != 1.0f) {
            for (int32_t i = 0; i < inner; i++) dst[i] *= scale;
        }
    }
}
