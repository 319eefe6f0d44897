/* Tessera MCU kernels, int8: convolution, matrix products and pooling. Bit-exact with Tessera's
 * numpy int8 reference kernels. The input zero point is folded into the bias at compile time, so a
 * window inside the input costs one multiply-accumulate per tap; only border windows (which read
 * padding) also sum their weights to correct for the taps they skip. */
#include "tessera_kernels_int8.h"

/* The kernel taps [lo, hi) of one axis that land inside [0, size) for a window starting at `start`. */
static void tk_taps(int32_t start, int32_t size, int32_t k, int32_t d, int32_t *lo, int32_t *hi) {
    int32_t a = start < 0 ? (-start + d - 1) / d : 0;
    int32_t b = size - start <= 0 ? 0 : (size - start + d - 1) / d;
    *lo = a;
    *hi = b < k ? b : k;
    if (*hi < *lo) *hi = *lo;
}

void tk_qconv2d_i8(const tk_qconv_geom *g, const int8_t *x, const int8_t *w, const int32_t *bias,
                   const int32_t *bias_folded, const tk_qchannels *q, int8_t *out) {
    int32_t cpg = g->c / g->group, mpg = g->m / g->group, ksize = g->kh * g->kw, plane = g->h * g->w;
    for (int32_t oc = 0; oc < g->m; oc++) {
        const int8_t *wo = w + oc * cpg * ksize;
        const int8_t *xg = x + (oc / mpg) * cpg * plane;
        int32_t mult = q->mult[oc], shift = q->shift[oc];
        int8_t *dst = out + oc * g->oh * g->ow;
        for (int32_t oy = 0; oy < g->oh; oy++) {
            int32_t iy0 = oy * g->sh - g->ph, ylo, yhi;
            tk_taps(iy0, g->h, g->kh, g->dh, &ylo, &yhi);
            for (int32_t ox = 0; ox < g->ow; ox++) {
                int32_t ix0 = ox * g->sw - g->pw, xlo, xhi;
                tk_taps(ix0, g->w, g->kw, g->dw, &xlo, &xhi);
                int32_t acc = 0, wsum = 0;
                if (ylo == 0 && yhi == g->kh && xlo == 0 && xhi == g->kw) {
                    for (int32_t ci = 0; ci < cpg; ci++) {
                        const int8_t *xc = xg + ci * plane + iy0 * g->w + ix0, *wc = wo + ci * ksize;
                        for (int32_t ky = 0; ky < g->kh; ky++) {
                            const int8_t *row = xc + ky * g->dh * g->w, *wr = wc + ky * g->kw;
                            for (int32_t kx = 0; kx < g->kw; kx++) acc += row[kx * g->dw] * wr[kx];
                        }
                    }
                    acc += bias_folded[oc];
                } else {
                    for (int32_t ci = 0; ci < cpg; ci++) {
                        const int8_t *xc = xg + ci * plane + ix0, *wc = wo + ci * ksize;
                        for (int32_t ky = ylo; ky < yhi; ky++) {
                            const int8_t *row = xc + (iy0 + ky * g->dh) * g->w, *wr = wc + ky * g->kw;
                            for (int32_t kx = xlo; kx < xhi; kx++) {
                                acc += row[kx * g->dw] * wr[kx];
                                wsum += wr[kx];
                            }
                        }
                    }
                    acc += bias[oc] - g->x_zp * wsum;
                }
                dst[oy * g->ow + ox] = tk_out_stage(acc, mult, shift, q->zp, q->lo, q->hi);
            }
        }
    }
}

/* One output plane of a depthwise convolution (channel c): input plane xc, weights wc. */
static void tk_qdw_plane_i8(const tk_qconv_geom *g, const int8_t *xc, const int8_t *wc, int32_t c, const int32_t *bias,
                            const int32_t *bias_folded, const tk_qchannels *q, int8_t *dst) {
    int32_t mult = q->mult[c], shift = q->shift[c], folded = bias_folded[c], b = bias[c];
    for (int32_t oy = 0; oy < g->oh; oy++) {
        int32_t iy0 = oy * g->sh - g->ph, ylo, yhi;
        tk_taps(iy0, g->h, g->kh, g->dh, &ylo, &yhi);
        int32_t rows_full = ylo == 0 && yhi == g->kh;
        for (int32_t ox = 0; ox < g->ow; ox++) {
            int32_t ix0 = ox * g->sw - g->pw, xlo, xhi;
            tk_taps(ix0, g->w, g->kw, g->dw, &xlo, &xhi);
            int32_t acc = 0;
            if (rows_full && xlo == 0 && xhi == g->kw) {
                const int8_t *xs = xc + iy0 * g->w + ix0;
                if (g->kh == 3 && g->kw == 3 && g->dh == 1 && g->dw == 1) { /* the common 3x3 */
                    const int8_t *r0 = xs, *r1 = r0 + g->w, *r2 = r1 + g->w;
                    acc = r0[0] * wc[0] + r0[1] * wc[1] + r0[2] * wc[2] + r1[0] * wc[3] + r1[1] * wc[4] +
                          r1[2] * wc[5] + r2[0] * wc[6] + r2[1] * wc[7] + r2[2] * wc[8];
                } else {
                    for (int32_t ky = 0; ky < g->kh; ky++) {
                        const int8_t *row = xs + ky * g->dh * g->w, *wr = wc + ky * g->kw;
                        for (int32_t kx = 0; kx < g->kw; kx++) acc += row[kx * g->dw] * wr[kx];
                    }
                }
                acc += folded;
            } else {
                int32_t wsum = 0;
                for (int32_t ky = ylo; ky < yhi; ky++) {
                    const int8_t *row = xc + (iy0 + ky * g->dh) * g->w + ix0, *wr = wc + ky * g->kw;
                    for (int32_t kx = xlo; kx < xhi; kx++) {
                        acc += row[kx * g->dw] * wr[kx];
                        wsum += wr[kx];
                    }
                }
                acc += b - g->x_zp * wsum;
            }
            dst[oy * g->ow + ox] = tk_out_stage(acc, mult, shift, q->zp, q->lo, q->hi);
        }
    }
}

void tk_qconv2d_depthwise_i8(const tk_qconv_geom *g, const int8_t *x, const int8_t *w, const int32_t *bias,
                             const int32_t *bias_folded, const tk_qchannels *q, int8_t *out) {
    int32_t ksize = g->kh * g->kw, plane = g->h * g->w, out_plane = g->oh * g->ow;
    for (int32_t c = 0; c < g->m; c++)
        tk_qdw_plane_i8(g, x + c * plane, w + c * ksize, c, bias, bias_folded, q, out + c * out_plane);
}

void tk_qconv2d_depthwise_inplace_i8(const tk_qconv_geom *g, const int8_t *x, const int8_t *w, const int32_t *bias,
                                     const int32_t *bias_folded, const tk_qchannels *q, int8_t *out, int8_t *work) {
    int32_t ksize = g->kh * g->kw, plane = g->h * g->w, out_plane = g->oh * g->ow;
    for (int32_t c = 0; c < g->m; c++) {
        tk_qdw_plane_i8(g, x + c * plane, w + c * ksize, c, bias, bias_folded, q, work);
        int8_t *dst = out + c * out_plane; /* overlaps input planes <= c only: all consumed */
        for (int32_t i = 0; i < out_plane; i++) dst[i] = work[i];
    }
}

void tk_qconv2d_pointwise_i8(int32_t c, int32_t m, int32_t pixels, const int8_t *x, const int8_t *w,
                             const int32_t *bias_folded, const tk_qchannels *q, int8_t *out) {
    int32_t oc = 0;
    for (; oc + 4 <= m; oc += 4) { /* 4 output channels per pass: each input read feeds 4 MACs */
        const int8_t *w0 = w + oc * c, *w1 = w0 + c, *w2 = w1 + c, *w3 = w2 + c;
        for (int32_t p = 0; p < pixels; p++) {
            int32_t a0 = bias_folded[oc], a1 = bias_folded[oc + 1], a2 = bias_folded[oc + 2], a3 = bias_folded[oc + 3];
            const int8_t *xp = x + p;
            for (int32_t ci = 0; ci < c; ci++) {
                int32_t v = xp[ci * pixels];
                a0 += w0[ci] * v;
                a1 += w1[ci] * v;
                a2 += w2[ci] * v;
                a3 += w3[ci] * v;
            }
            out[oc * pixels + p] = tk_out_stage(a0, q->mult[oc], q->shift[oc], q->zp, q->lo, q->hi);
            out[(oc + 1) * pixels + p] = tk_out_stage(a1, q->mult[oc + 1], q->shift[oc + 1], q->zp, q->lo, q->hi);
            out[(oc + 2) * pixels + p] = tk_out_stage(a2, q->mult[oc + 2], q->shift[oc + 2], q->zp, q->lo, q->hi);
            out[(oc + 3) * pixels + p] = tk_out_stage(a3, q->mult[oc + 3], q->shift[oc + 3], q->zp, q->lo, q->hi);
        }
    }
    for (; oc < m; oc++) {
        const int8_t *wr = w + oc * c;
        for (int32_t p = 0; p < pixels; p++) {
            int32_t acc = bias_folded[oc];
            for (int32_t ci = 0; ci < c; ci++) acc += wr[ci] * x[ci * pixels + p];
            out[oc * pixels + p] = tk_out_stage(acc, q->mult[oc], q->shift[oc], q->zp, q->lo, q->hi);
        }
    }
}

void tk_qfc_i8(const int8_t *a, const int8_t *w, const int32_t *bias_folded, const tk_qchannels *q, int8_t *out,
               int32_t m, int32_t n, int32_t k) {
    for (int32_t i = 0; i < m; i++) {
        const int8_t *ar = a + i * k;
        int8_t *dst = out + i * n;
        int32_t j = 0;
        for (; j + 4 <= n; j += 4) { /* 4 outputs per pass: each activation read feeds 4 MACs */
            const int8_t *w0 = w + j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
            int32_t s0 = bias_folded[j], s1 = bias_folded[j + 1], s2 = bias_folded[j + 2], s3 = bias_folded[j + 3];
            for (int32_t t = 0; t < k; t++) {
                int32_t v = ar[t];
                s0 += v * w0[t];
                s1 += v * w1[t];
                s2 += v * w2[t];
                s3 += v * w3[t];
            }
            dst[j] = tk_out_stage(s0, q->mult[j], q->shift[j], q->zp, q->lo, q->hi);
            dst[j + 1] = tk_out_stage(s1, q->mult[j + 1], q->shift[j + 1], q->zp, q->lo, q->hi);
            dst[j + 2] = tk_out_stage(s2, q->mult[j + 2], q->shift[j + 2], q->zp, q->lo, q->hi);
            dst[j + 3] = tk_out_stage(s3, q->mult[j + 3], q->shift[j + 3], q->zp, q->lo, q->hi);
        }
        for (; j < n; j++) {
            const int8_t *wr = w + j * k;
            int32_t s = bias_folded[j];
            for (int32_t t = 0; t < k; t++) s += ar[t] * wr[t];
            dst[j] = tk_out_stage(s, q->mult[j], q->shift[j], q->zp, q->lo, q->hi);
        }
    }
}

void tk_qmatmul_i8(const tk_qbinary *p, const int8_t *a, const int8_t *b, int8_t *out, int32_t m, int32_t n,
                   int32_t k, int32_t sam, int32_t sak, int32_t sbk, int32_t sbn) {
    const tk_qstage *q = &p->out;
    for (int32_t i = 0; i < m; i++) {
        const int8_t *ar = a + i * sam;
        for (int32_t j = 0; j < n; j++) {
            const int8_t *bc = b + j * sbn;
            int32_t s = 0;
            for (int32_t t = 0; t < k; t++) s += ((int32_t)ar[t * sak] - p->a_zp) * ((int32_t)bc[t * sbk] - p->b_zp);
            out[i * n + j] = tk_out_stage(s, q->mult, q->shift, q->zp, q->lo, q->hi);
        }
    }
}

void tk_maxpool2d_i8(const tk_qpool_geom *g, const int8_t *x, int8_t *out) {
    for (int32_t p = 0; p < g->planes; p++) {
        const int8_t *xp = x + p * g->h * g->w;
        int8_t *dst = out + p * g->oh * g->ow;
        for (int32_t oy = 0; oy < g->oh; oy++) {
            int32_t iy0 = oy * g->sh - g->ph, ylo, yhi;
            tk_taps(iy0, g->h, g->kh, g->dh, &ylo, &yhi);
            for (int32_t ox = 0; ox < g->ow; ox++) {
                int32_t ix0 = ox * g->sw - g->pw, xlo, xhi;
                tk_taps(ix0, g->w, g->kw, g->dw, &xlo, &xhi);
                int32_t best = -128;
                for (int32_t ky = ylo; ky < yhi; ky++) {
                    const int8_t *row = xp + (iy0 + ky * g->dh) * g->w + ix0;
                    for (int32_t kx = xlo; kx < xhi; kx++) best = row[kx * g->dw] > best ? row[kx * g->dw] : best;
                }
                dst[oy * g->ow + ox] = (int8_t)best;
            }
        }
    }
}

void tk_qavgpool2d_i8(const tk_qpool_geom *g, const int8_t *x, int8_t *out) {
    for (int32_t p = 0; p < g->planes; p++) {
        const int8_t *xp = x + p * g->h * g->w;
        int8_t *dst = out + p * g->oh * g->ow;
        for (int32_t oy = 0; oy < g->oh; oy++) {
            int32_t iy0 = oy * g->sh - g->ph, ylo, yhi;
            tk_taps(iy0, g->h, g->kh, g->dh, &ylo, &yhi);
            for (int32_t ox = 0; ox < g->ow; ox++) {
                int32_t ix0 = ox * g->sw - g->pw, xlo, xhi;
                tk_taps(ix0, g->w, g->kw, g->dw, &xlo, &xhi);
                int32_t acc = 0, count = (yhi - ylo) * (xhi - xlo);
                for (int32_t ky = ylo; ky < yhi; ky++) {
                    const int8_t *row = xp + (iy0 + ky * g->dh) * g->w + ix0;
                    for (int32_t kx = xlo; kx < xhi; kx++) acc += row[kx * g->dw];
                }
                int32_t v = count == 0 ? 0 : acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                dst[oy * g->ow + ox] = (int8_t)(v < g->act_min ? g->act_min : v > g->act_max ? g->act_max : v);
            }
        }
    }
}
