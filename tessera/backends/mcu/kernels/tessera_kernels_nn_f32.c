/* Tessera MCU kernels, float32: convolution, matrix products and pooling. Window bounds are worked
 * out once per output row/column, so inner loops carry no padding tests. */
#include "tessera_kernels.h"

/* The kernel taps [lo, hi) of one axis that land inside [0, size) for a window starting at `start`. */
static void tk_taps(int32_t start, int32_t size, int32_t k, int32_t d, int32_t *lo, int32_t *hi) {
    int32_t a = start < 0 ? (-start + d - 1) / d : 0;
    int32_t b = size - start <= 0 ? 0 : (size - start + d - 1) / d;
    *lo = a;
    *hi = b < k ? b : k;
    if (*hi < *lo) *hi = *lo;
}

void tk_conv2d_f32(const tk_conv_geom *g, const float *x, const float *w, const float *bias, float *out) {
    int32_t cpg = g->c / g->group, mpg = g->m / g->group, ksize = g->kh * g->kw, plane = g->h * g->w;
    for (int32_t oc = 0; oc < g->m; oc++) {
        const float *wo = w + oc * cpg * ksize;
        const float *xg = x + (oc / mpg) * cpg * plane;
        float b = bias ? bias[oc] : 0.0f;
        float *dst = out + oc * g->oh * g->ow;
        for (int32_t oy = 0; oy < g->oh; oy++) {
            int32_t iy0 = oy * g->sh - g->ph, ylo, yhi;
            tk_taps(iy0, g->h, g->kh, g->dh, &ylo, &yhi);
            for (int32_t ox = 0; ox < g->ow; ox++) {
                int32_t ix0 = ox * g->sw - g->pw, xlo, xhi;
                tk_taps(ix0, g->w, g->kw, g->dw, &xlo, &xhi);
                float acc = b;
                for (int32_t ci = 0; ci < cpg; ci++) {
                    const float *xc = xg + ci * plane + ix0;
                    const float *wc = wo + ci * ksize;
                    for (int32_t ky = ylo; ky < yhi; ky++) {
                        const float *row = xc + (iy0 + ky * g->dh) * g->w;
                        const float *wr = wc + ky * g->kw;
                        for (int32_t kx = xlo; kx < xhi; kx++) acc += row[kx * g->dw] * wr[kx];
                    }
                }
                dst[oy * g->ow + ox] = acc;
            }
        }
    }
}

/* One output plane of a depthwise convolution: input plane xc, weights wc, bias b. */
static void tk_dw_plane_f32(const tk_conv_geom *g, const float *xc, const float *wc, float b, float *dst) {
    for (int32_t oy = 0; oy < g->oh; oy++) {
        int32_t iy0 = oy * g->sh - g->ph, ylo, yhi;
        tk_taps(iy0, g->h, g->kh, g->dh, &ylo, &yhi);
        for (int32_t ox = 0; ox < g->ow; ox++) {
            int32_t ix0 = ox * g->sw - g->pw, xlo, xhi;
            tk_taps(ix0, g->w, g->kw, g->dw, &xlo, &xhi);
            float acc = b;
            for (int32_t ky = ylo; ky < yhi; ky++) {
                const float *row = xc + (iy0 + ky * g->dh) * g->w + ix0;
                const float *wr = wc + ky * g->kw;
                for (int32_t kx = xlo; kx < xhi; kx++) acc += row[kx * g->dw] * wr[kx];
            }
            dst[oy * g->ow + ox] = acc;
        }
    }
}

void tk_conv2d_depthwise_f32(const tk_conv_geom *g, const float *x, const float *w, const float *bias, float *out) {
    int32_t ksize = g->kh * g->kw, plane = g->h * g->w, out_plane = g->oh * g->ow;
    for (int32_t c = 0; c < g->m; c++)
        tk_dw_plane_f32(g, x + c * plane, w + c * ksize, bias ? bias[c] : 0.0f, out + c * out_plane);
}

void tk_conv2d_depthwise_inplace_f32(const tk_conv_geom *g, const float *x, const float *w, const float *bias,
                                     float *out, float *work) {
    int32_t ksize = g->kh * g->kw, plane = g->h * g->w, out_plane = g->oh * g->ow;
    for (int32_t c = 0; c < g->m; c++) {
        tk_dw_plane_f32(g, x + c * plane, w + c * ksize, bias ? bias[c] : 0.0f, work);
        float *dst = out + c * out_plane; /* overlaps input planes <= c only: all consumed */
        for (int32_t i = 0; i < out_plane; i++) dst[i] = work[i];
    }
}

void tk_conv2d_pointwise_f32(int32_t c, int32_t m, int32_t pixels, const float *x, const float *w,
                             const float *bias, float *out) {
    int32_t oc = 0;
    for (; oc + 4 <= m; oc += 4) { /* 4 output channels per pass: each input read feeds 4 MACs */
        const float *w0 = w + oc * c, *w1 = w0 + c, *w2 = w1 + c, *w3 = w2 + c;
        float b0 = bias ? bias[oc] : 0.0f, b1 = bias ? bias[oc + 1] : 0.0f;
        float b2 = bias ? bias[oc + 2] : 0.0f, b3 = bias ? bias[oc + 3] : 0.0f;
        for (int32_t p = 0; p < pixels; p++) {
            float a0 = b0, a1 = b1, a2 = b2, a3 = b3;
            const float *xp = x + p;
            for (int32_t ci = 0; ci < c; ci++) {
                float v = xp[ci * pixels];
                a0 += w0[ci] * v;
                a1 += w1[ci] * v;
                a2 += w2[ci] * v;
                a3 += w3[ci] * v;
            }
            out[oc * pixels + p] = a0;
            out[(oc + 1) * pixels + p] = a1;
            out[(oc + 2) * pixels + p] = a2;
            out[(oc + 3) * pixels + p] = a3;
        }
    }
    for (; oc < m; oc++) {
        const float *wr = w + oc * c;
        float b = bias ? bias[oc] : 0.0f;
        for (int32_t p = 0; p < pixels; p++) {
            float acc = b;
            for (int32_t ci = 0; ci < c; ci++) acc += wr[ci] * x[ci * pixels + p];
            out[oc * pixels + p] = acc;
        }
    }
}

void tk_gemm_nt_f32(const float *a, const float *w, const float *bias, float *out, int32_t m, int32_t n,
                    int32_t k, float alpha, float beta, int32_t bias_stride_m, int32_t bias_stride_n) {
    for (int32_t i = 0; i < m; i++) {
        const float *ar = a + i * k;
        float *dst = out + i * n;
        int32_t j = 0;
        for (; j + 4 <= n; j += 4) { /* 4 outputs per pass: each activation read feeds 4 MACs */
            const float *w0 = w + j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
            float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
            for (int32_t q = 0; q < k; q++) {
                float v = ar[q];
                s0 += v * w0[q];
                s1 += v * w1[q];
                s2 += v * w2[q];
                s3 += v * w3[q];
            }
            dst[j] = s0;
            dst[j + 1] = s1;
            dst[j + 2] = s2;
            dst[j + 3] = s3;
        }
        for (; j < n; j++) {
            const float *wr = w + j * k;
            float s = 0.0f;
            for (int32_t q = 0; q < k; q++) s += ar[q] * wr[q];
            dst[j] = s;
        }
        for (j = 0; j < n; j++) {
            float y = alpha == 1.0f ? dst[j] : alpha * dst[j];
            if (bias) y += beta * bias[i * bias_stride_m + j * bias_stride_n];
            dst[j] = y;
        }
    }
}

void tk_matmul_strided_f32(const float *a, const float *b, float *out, int32_t m, int32_t n, int32_t k,
                           int32_t sam, int32_t sak, int32_t sbk, int32_t sbn) {
    for (int32_t i = 0; i < m; i++) {
        const float *ar = a + i * sam;
        for (int32_t j = 0; j < n; j++) {
            const float *bc = b + j * sbn;
            float s = 0.0f;
            for (int32_t q = 0; q < k; q++) s += ar[q * sak] * bc[q * sbk];
            out[i * n + j] = s;
        }
    }
}

void tk_maxpool2d_f32(const tk_pool_geom *g, const float *x, float *out) {
    for (int32_t p = 0; p < g->planes; p++) {
        const float *xp = x + p * g->h * g->w;
        float *dst = out + p * g->oh * g->ow;
        for (int32_t oy = 0; oy < g->oh; oy++) {
            int32_t iy0 = oy * g->sh - g->ph, ylo, yhi;
            tk_taps(iy0, g->h, g->kh, g->dh, &ylo, &yhi);
            for (int32_t ox = 0; ox < g->ow; ox++) {
                int32_t ix0 = ox * g->sw - g->pw, xlo, xhi;
                tk_taps(ix0, g->w, g->kw, g->dw, &xlo, &xhi);
                float best = -__builtin_inff();
                for (int32_t ky = ylo; ky < yhi; ky++) {
                    const float *row = xp + (iy0 + ky * g->dh) * g->w + ix0;
                    for (int32_t kx = xlo; kx < xhi; kx++) best = row[kx * g->dw] > best ? row[kx * g->dw] : best;
                }
                dst[oy * g->ow + ox] = best;
            }
        }
    }
}

/* How many taps of one axis count towards an average: inside the input, or inside input + pads. */
static int32_t tk_pool_count(int32_t start, int32_t size, int32_t k, int32_t d, int32_t pad_lo, int32_t pad_hi,
                             int32_t include_pad) {
    int32_t lo = include_pad ? -pad_lo : 0, hi = include_pad ? size + pad_hi : size, count = 0;
    for (int32_t t = 0; t < k; t++) {
        int32_t pos = start + t * d;
        count += pos >= lo && pos < hi;
    }
    return count;
}

void tk_avgpool2d_f32(const tk_pool_geom *g, const float *x, float *out) {
    for (int32_t p = 0; p < g->planes; p++) {
        const float *xp = x + p * g->h * g->w;
        float *dst = out + p * g->oh * g->ow;
        for (int32_t oy = 0; oy < g->oh; oy++) {
            int32_t iy0 = oy * g->sh - g->ph, ylo, yhi;
            tk_taps(iy0, g->h, g->kh, g->dh, &ylo, &yhi);
            int32_t ny = tk_pool_count(iy0, g->h, g->kh, g->dh, g->ph, g->pad_h_end, g->count_include_pad);
            for (int32_t ox = 0; ox < g->ow; ox++) {
                int32_t ix0 = ox * g->sw - g->pw, xlo, xhi;
                tk_taps(ix0, g->w, g->kw, g->dw, &xlo, &xhi);
                int32_t nx = tk_pool_count(ix0, g->w, g->kw, g->dw, g->pw, g->pad_w_end, g->count_include_pad);
                float sum = 0.0f;
                for (int32_t ky = ylo; ky < yhi; ky++) {
                    const float *row = xp + (iy0 + ky * g->dh) * g->w + ix0;
                    for (int32_t kx = xlo; kx < xhi; kx++) sum += row[kx * g->dw];
                }
                dst[oy * g->ow + ox] = sum / (float)(ny * nx);
            }
        }
    }
}

void tk_global_avgpool_f32(const float *x, float *out, int32_t planes, int32_t size) {
    for (int32_t p = 0; p < planes; p++) {
        const float *src = x + p * size;
        float sum = 0.0f;
        for (int32_t i = 0; i < size; i++) sum += src[i];
        out[p] = sum / (float)size;
    }
}

void tk_global_maxpool_f32(const float *x, float *out, int32_t planes, int32_t size) {
    for (int32_t p = 0; p < planes; p++) {
        const float *src = x + p * size;
        float best = src[0];
        for (int32_t i = 1; i < size; i++) best = src[i] > best ? src[i] : best;
        out[p] = best;
    }
}
