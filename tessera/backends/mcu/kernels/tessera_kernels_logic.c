/* Boolean and mask kernels (a BERT attention mask: Cast to bool, GatherND, And, Where, IsNaN).
 * Booleans are uint8_t, one byte each, 0 or 1 (the arena planner sizes bool tensors at 1 byte). */
#include "tessera_kernels.h"

/* Step a row-major multi-index over `dims` by one element, moving `n` operand offsets by their strides. */
static void tk_step(int rank, const int32_t *dims, int32_t *idx, int n, const int32_t *const *strides,
                    int32_t *offs) {
    for (int d = rank - 1; d >= 0; d--) {
        for (int k = 0; k < n; k++) offs[k] += strides[k][d];
        if (++idx[d] < dims[d]) return;
        for (int k = 0; k < n; k++) offs[k] -= strides[k][d] * dims[d];
        idx[d] = 0;
    }
}

static int32_t tk_total(int rank, const int32_t *dims) {
    int32_t total = 1;
    for (int d = 0; d < rank; d++) total *= dims[d];
    return total;
}

void tk_logic_u8(tk_logicop op, const uint8_t *a, const uint8_t *b, uint8_t *out, int rank, const int32_t *dims,
                 const int32_t *a_strides, const int32_t *b_strides) {
    int32_t idx[TK_MAX_RANK] = {0}, offs[2] = {0, 0};
    const int32_t *strides[2] = {a_strides, b_strides};
    int32_t total = tk_total(rank, dims);
    for (int32_t i = 0; i < total; i++) {
        uint8_t x = a[offs[0]] != 0, y = b[offs[1]] != 0;
        out[i] = (uint8_t)(op == TK_AND ? (x & y) : op == TK_OR ? (x | y) : (x ^ y));
        tk_step(rank, dims, idx, 2, strides, offs);
    }
}

void tk_where_f32(const uint8_t *cond, const float *a, const float *b, float *out, int rank, const int32_t *dims,
                  const int32_t *c_strides, const int32_t *a_strides, const int32_t *b_strides) {
    int32_t idx[TK_MAX_RANK] = {0}, offs[3] = {0, 0, 0};
    const int32_t *strides[3] = {c_strides, a_strides, b_strides};
    int32_t total = tk_total(rank, dims);
    for (int32_t i = 0; i < total; i++) {
        out[i] = cond[offs[0]] ? a[offs[1]] : b[offs[2]];
        tk_step(rank, dims, idx, 3, strides, offs);
    }
}

void tk_isnan_f32(const float *x, uint8_t *out, int32_t n) {
    for (int32_t i = 0; i < n; i++) {
        union { float f; uint32_t u; } v;
        v.f = x[i];
        out[i] = (uint8_t)((v.u & 0x7fffffffu) > 0x7f800000u); /* by the bits: immune to fast-math */
    }
}

void tk_gather_nd(const uint8_t *data, const int64_t *idx, uint8_t *out, int32_t count, int32_t depth,
                  const int32_t *dims, int32_t slice_bytes) {
    for (int32_t j = 0; j < count; j++) {
        int32_t off = 0, ok = 1;
        for (int32_t d = 0; d < depth; d++) {
            int64_t v = idx[j * depth + d];
            if (v < 0) v += dims[d];
            if (v < 0 || v >= dims[d]) ok = 0;
            off = off * dims[d] + (ok ? (int32_t)v : 0);
        }
        uint8_t *dst = out + j * slice_bytes;
        const uint8_t *src = data + off * slice_bytes;
        for (int32_t i = 0; i < slice_bytes; i++) dst[i] = ok ? src[i] : 0; /* out of range: zeros */
    }
}
