// Kernel bodies, included once per instruction set by kernels.c with SK(name)
// naming that set's copy and a target attribute in force, so the compiler
// vectorises the same plain loops for each vector width. The Winograd
// formulas are those of Winograd.swift (Lavin & Gray 2016, F(4x4,3x3)) and
// Winograd6.swift (F(6x6,3x3)).

/// Bᵀ d over six values (input transform).
#define SK_BT(d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5) do { \
    o0 = 4 * (d0) - 5 * (d2) + (d4);                               \
    o1 = -4 * ((d1) + (d2)) + (d3) + (d4);                         \
    o2 = 4 * ((d1) - (d2)) - (d3) + (d4);                          \
    o3 = 2 * ((d3) - (d1)) - (d2) + (d4);                          \
    o4 = 2 * ((d1) - (d3)) - (d2) + (d4);                          \
    o5 = 4 * (d1) - 5 * (d3) + (d5);                               \
} while (0)

/// The `count` input rows of a tile row from padded row `top`: r[i] points into the
/// plane, or at `zero` (n floats, zeroed here when used) past `padded_rows`.
static void SK(input_rows)(const float *plane, long rs, long padded_rows, long top, int count, long n, float *zero,
                           const float **r) {
    int beyond = 0;
    for (int i = 0; i < count; i++) {
        if (top + i < padded_rows) {
            r[i] = plane + (top + i) * rs;
        } else {
            r[i] = zero;
            beyond = 1;
        }
    }
    if (beyond) memset(zero, 0, (size_t)n * sizeof(float));
}

static void SK(winograd_input_row)(const float *plane, long rs, long padded_rows, long top, long ta,
                                   float *v, long step, float *scratch) {
    const long width = 4 * ta + 2, n = width < rs ? width : rs;
    float *zero = scratch + 6 * width;
    const float *r[6];
    SK(input_rows)(plane, rs, padded_rows, top, 6, n, zero, r);
    // Row combinations Bᵀ d over the six input rows, all columns at once.
    float *restrict t0 = scratch, *restrict t1 = t0 + width, *restrict t2 = t1 + width;
    float *restrict t3 = t2 + width, *restrict t4 = t3 + width, *restrict t5 = t4 + width;
    const float *d0 = r[0], *d1 = r[1], *d2 = r[2], *d3 = r[3], *d4 = r[4], *d5 = r[5];
    for (long j = 0; j < n; j++) {
        SK_BT(d0[j], d1[j], d2[j], d3[j], d4[j], d5[j], t0[j], t1[j], t2[j], t3[j], t4[j], t5[j]);
    }
    for (long j = n; j < width; j++) t0[j] = t1[j] = t2[j] = t3[j] = t4[j] = t5[j] = 0;
    // Column combinations for each tile: six columns at stride four.
    for (int i = 0; i < 6; i++) {
        const float *restrict q = scratch + i * width;
        float *restrict v0 = v + (6 * i) * step, *restrict v1 = v0 + step, *restrict v2 = v1 + step;
        float *restrict v3 = v2 + step, *restrict v4 = v3 + step, *restrict v5 = v4 + step;
        for (long tj = 0; tj < ta; tj++) {
            const float *c = q + 4 * tj;
            SK_BT(c[0], c[1], c[2], c[3], c[4], c[5], v0[tj], v1[tj], v2[tj], v3[tj], v4[tj], v5[tj]);
        }
    }
}

/// Aᵀ m over six values (output transform) into four.
#define SK_AT(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3) do {            \
    float p_ = (m1) + (m2), q_ = (m1) - (m2), p2_ = (m3) + (m4), q2_ = (m3) - (m4); \
    o0 = (m0) + p_ + p2_;                                              \
    o1 = q_ + 2 * q2_;                                                 \
    o2 = p_ + 4 * p2_;                                                 \
    o3 = q_ + 8 * q2_ + (m5);                                          \
} while (0)

static void SK(winograd_output_row)(const float *m, long step, long ta, float *y, long rs, long rows,
                                    long width, float bias, int relu, float *scratch) {
    float *s = scratch, *out = scratch + 24 * ta;
    for (int l = 0; l < 6; l++) {  // row combinations: s[(6a + l)*ta + tj]
        const float *restrict m0 = m + l * step, *restrict m1 = m0 + 6 * step, *restrict m2 = m1 + 6 * step;
        const float *restrict m3 = m2 + 6 * step, *restrict m4 = m3 + 6 * step, *restrict m5 = m4 + 6 * step;
        float *restrict s0 = s + l * ta, *restrict s1 = s0 + 6 * ta, *restrict s2 = s1 + 6 * ta, *restrict s3 = s2 + 6 * ta;
        for (long tj = 0; tj < ta; tj++) {
            SK_AT(m0[tj], m1[tj], m2[tj], m3[tj], m4[tj], m5[tj], s0[tj], s1[tj], s2[tj], s3[tj]);
        }
    }
    for (long a = 0; a < rows; a++) {
        const float *restrict s0 = s + (6 * a) * ta, *restrict s1 = s0 + ta, *restrict s2 = s1 + ta;
        const float *restrict s3 = s2 + ta, *restrict s4 = s3 + ta, *restrict s5 = s4 + ta;
        // Straight into y when the tiles end at the image's edge, else through `out` and clipped.
        float *restrict o = 4 * ta <= width ? y + a * rs : out;
        if (relu) {
            for (long tj = 0; tj < ta; tj++) {
                float a0, a1, a2, a3;
                SK_AT(s0[tj], s1[tj], s2[tj], s3[tj], s4[tj], s5[tj], a0, a1, a2, a3);
                a0 += bias; a1 += bias; a2 += bias; a3 += bias;
                o[4 * tj] = a0 > 0 ? a0 : 0;
                o[4 * tj + 1] = a1 > 0 ? a1 : 0;
                o[4 * tj + 2] = a2 > 0 ? a2 : 0;
                o[4 * tj + 3] = a3 > 0 ? a3 : 0;
            }
        } else {
            for (long tj = 0; tj < ta; tj++) {
                float a0, a1, a2, a3;
                SK_AT(s0[tj], s1[tj], s2[tj], s3[tj], s4[tj], s5[tj], a0, a1, a2, a3);
                o[4 * tj] = a0 + bias;
                o[4 * tj + 1] = a1 + bias;
                o[4 * tj + 2] = a2 + bias;
                o[4 * tj + 3] = a3 + bias;
            }
        }
        if (o == out) memcpy(y + a * rs, out, (size_t)width * sizeof(float));
    }
}

/// The gradient tile rows of one tile row: `count` rows of `n` floats in e, row a =
/// dy row a masked by mask > 0 (mask may be NULL) for a < rows, zero past `rows` and `width`.
static void SK(gradient_rows)(const float *dy, const float *mask, long rs, long rows, long width, long count, long n,
                              float *e) {
    for (long a = 0; a < count; a++) {
        float *restrict dst = e + a * n;
        if (a >= rows) {
            memset(dst, 0, (size_t)n * sizeof(float));
            continue;
        }
        const float *restrict src = dy + a * rs;
        if (mask) {
            const float *restrict keep = mask + a * rs;
            for (long j = 0; j < width; j++) dst[j] = keep[j] > 0 ? src[j] : 0;
        } else {
            memcpy(dst, src, (size_t)width * sizeof(float));
        }
        for (long j = width; j < n; j++) dst[j] = 0;
    }
}

/// A e over four values (adjoint of Aᵀ) into six.
#define SK_A(e0, e1, e2, e3, o0, o1, o2, o3, o4, o5) do {                 \
    float p_ = (e0) + (e2), q_ = (e1) + (e3), p4_ = (e0) + 4 * (e2), q8_ = 2 * (e1) + 8 * (e3); \
    o0 = (e0); o1 = p_ + q_; o2 = p_ - q_; o3 = p4_ + q8_; o4 = p4_ - q8_; o5 = (e3); \
} while (0)

static void SK(winograd_grad_input_row)(const float *dy, const float *mask, long rs, long rows, long width,
                                        long ta, float *z, long step, float *scratch) {
    const long w4 = 4 * ta;
    float *e = scratch, *t = scratch + 4 * w4;
    SK(gradient_rows)(dy, mask, rs, rows, width, 4, w4, e);
    const float *restrict e0 = e, *restrict e1 = e + w4, *restrict e2 = e + 2 * w4, *restrict e3 = e + 3 * w4;
    float *restrict t0 = t, *restrict t1 = t + w4, *restrict t2 = t + 2 * w4;
    float *restrict t3 = t + 3 * w4, *restrict t4 = t + 4 * w4, *restrict t5 = t + 5 * w4;
    for (long j = 0; j < w4; j++) {
        SK_A(e0[j], e1[j], e2[j], e3[j], t0[j], t1[j], t2[j], t3[j], t4[j], t5[j]);
    }
    for (int i = 0; i < 6; i++) {
        const float *restrict q = t + i * w4;
        float *restrict z0 = z + (6 * i) * step, *restrict z1 = z0 + step, *restrict z2 = z1 + step;
        float *restrict z3 = z2 + step, *restrict z4 = z3 + step, *restrict z5 = z4 + step;
        for (long tj = 0; tj < ta; tj++) {
            const float *c = q + 4 * tj;
            SK_A(c[0], c[1], c[2], c[3], z0[tj], z1[tj], z2[tj], z3[tj], z4[tj], z5[tj]);
        }
    }
}

/// B w over six values (adjoint of Bᵀ).
#define SK_B(w0, w1, w2, w3, w4, w5, o0, o1, o2, o3, o4, o5) do {      \
    o0 = 4 * (w0);                                                     \
    o1 = 4 * ((w2) - (w1) + (w5)) + 2 * ((w4) - (w3));                 \
    o2 = -5 * (w0) - 4 * ((w1) + (w2)) - (w3) - (w4);                  \
    o3 = (w1) - (w2) + 2 * ((w3) - (w4)) - 5 * (w5);                   \
    o4 = (w0) + (w1) + (w2) + (w3) + (w4);                             \
    o5 = (w5);                                                         \
} while (0)

static void SK(winograd_grad_output_row)(const float *w, long step, long ta, float *plane, long rs,
                                         long padded_rows, long top, float *scratch) {
    const long width = 4 * ta + 2, n = width < rs ? width : rs;
    float *s = scratch, *d = scratch + 36 * ta, *out = d + 6 * ta;
    for (int l = 0; l < 6; l++) {  // row combinations: s[(6k + l)*ta + tj]
        const float *restrict w0 = w + l * step, *restrict w1 = w0 + 6 * step, *restrict w2 = w1 + 6 * step;
        const float *restrict w3 = w2 + 6 * step, *restrict w4 = w3 + 6 * step, *restrict w5 = w4 + 6 * step;
        float *restrict s0 = s + l * ta, *restrict s1 = s0 + 6 * ta, *restrict s2 = s1 + 6 * ta;
        float *restrict s3 = s2 + 6 * ta, *restrict s4 = s3 + 6 * ta, *restrict s5 = s4 + 6 * ta;
        for (long tj = 0; tj < ta; tj++) {
            SK_B(w0[tj], w1[tj], w2[tj], w3[tj], w4[tj], w5[tj], s0[tj], s1[tj], s2[tj], s3[tj], s4[tj], s5[tj]);
        }
    }
    for (long k = 0; k < 6 && top + k < padded_rows; k++) {
        const float *restrict s0 = s + (6 * k) * ta, *restrict s1 = s0 + ta, *restrict s2 = s1 + ta;
        const float *restrict s3 = s2 + ta, *restrict s4 = s3 + ta, *restrict s5 = s4 + ta;
        float *restrict d0 = d, *restrict d1 = d + ta, *restrict d2 = d + 2 * ta;
        float *restrict d3 = d + 3 * ta, *restrict d4 = d + 4 * ta, *restrict d5 = d + 5 * ta;
        for (long tj = 0; tj < ta; tj++) {
            SK_B(s0[tj], s1[tj], s2[tj], s3[tj], s4[tj], s5[tj], d0[tj], d1[tj], d2[tj], d3[tj], d4[tj], d5[tj]);
        }
        // Tiles overlap by two columns: a tile's last two add to the next one's first two.
        float *restrict o = out;
        o[0] = d0[0]; o[1] = d1[0]; o[2] = d2[0]; o[3] = d3[0];
        for (long tj = 1; tj < ta; tj++) {
            o[4 * tj] = d0[tj] + d4[tj - 1];
            o[4 * tj + 1] = d1[tj] + d5[tj - 1];
            o[4 * tj + 2] = d2[tj];
            o[4 * tj + 3] = d3[tj];
        }
        o[4 * ta] = d4[ta - 1];
        o[4 * ta + 1] = d5[ta - 1];
        float *restrict row = plane + (top + k) * rs;
        if (k < 2 && top > 0) {
            for (long j = 0; j < n; j++) row[j] += o[j];
        } else {
            memcpy(row, o, (size_t)n * sizeof(float));
        }
    }
}

// ---- Winograd F(6x6,3x3): 8x8 tiles, 6x6 outputs (points 0, ±1, ±2, ±1/2). ----
// The 1-D transforms factored as in Winograd6.swift, in the same order of operations.

/// Bᵀ x (input transform), eight values to eight.
static inline void SK(w6_bt)(const float *x, float *o) {
    float a, b;
    o[0] = (x[0] - x[6]) + 5.25f * (x[4] - x[2]);
    a = (x[2] + x[6]) - 4.25f * x[4]; b = (x[1] + x[5]) - 4.25f * x[3];
    o[1] = a + b; o[2] = a - b;
    a = (0.25f * x[2] + x[6]) - 1.25f * x[4]; b = (0.5f * x[1] + 2 * x[5]) - 2.5f * x[3];
    o[3] = a + b; o[4] = a - b;
    a = (4 * x[2] + x[6]) - 5 * x[4]; b = (2 * x[1] + 0.5f * x[5]) - 2.5f * x[3];
    o[5] = a + b; o[6] = a - b;
    o[7] = (x[7] - x[1]) + 5.25f * (x[3] - x[5]);
}
/// B x (adjoint of Bᵀ), eight to eight.
static inline void SK(w6_b)(const float *x, float *o) {
    float s12 = x[1] + x[2], d12 = x[1] - x[2], s34 = x[3] + x[4], d34 = x[3] - x[4];
    float s56 = x[5] + x[6], d56 = x[5] - x[6];
    o[0] = x[0];
    o[1] = ((d12 + 0.5f * d34) + 2 * d56) - x[7];
    o[2] = ((s12 + 0.25f * s34) + 4 * s56) - 5.25f * x[0];
    o[3] = ((5.25f * x[7] - 4.25f * d12) - 2.5f * d34) - 2.5f * d56;
    o[4] = ((5.25f * x[0] - 4.25f * s12) - 1.25f * s34) - 5 * s56;
    o[5] = ((d12 + 2 * d34) + 0.5f * d56) - 5.25f * x[7];
    o[6] = ((s12 + s34) + s56) - x[0];
    o[7] = x[7];
}
/// Aᵀ x (output transform), eight to six.
static inline void SK(w6_at)(const float *x, float *o) {
    float a = x[1] + x[2], b = x[1] - x[2], c = x[3] + x[4], d = x[3] - x[4], e = x[5] + x[6], f = x[5] - x[6];
    o[0] = ((x[0] + a) + c) + e;
    o[1] = (b + 2 * d) + 0.5f * f;
    o[2] = (a + 4 * c) + 0.25f * e;
    o[3] = (b + 8 * d) + 0.125f * f;
    o[4] = (a + 16 * c) + 0.0625f * e;
    o[5] = ((b + 32 * d) + 0.03125f * f) + x[7];
}
/// A x (adjoint of Aᵀ), six to eight.
static inline void SK(w6_a)(const float *x, float *o) {
    float p, q;
    o[0] = x[0];
    p = (x[0] + x[2]) + x[4]; q = (x[1] + x[3]) + x[5];
    o[1] = p + q; o[2] = p - q;
    p = (x[0] + 4 * x[2]) + 16 * x[4]; q = (2 * x[1] + 8 * x[3]) + 32 * x[5];
    o[3] = p + q; o[4] = p - q;
    p = (x[0] + 0.25f * x[2]) + 0.0625f * x[4]; q = (0.5f * x[1] + 0.125f * x[3]) + 0.03125f * x[5];
    o[5] = p + q; o[6] = p - q;
    o[7] = x[5];
}

static void SK(winograd6_input_row)(const float *plane, long rs, long padded_rows, long top, long ta,
                                    float *v, long step, float *scratch) {
    const long width = 6 * ta + 2, n = width < rs ? width : rs;
    float *zero = scratch + 8 * width;
    const float *r[8];
    SK(input_rows)(plane, rs, padded_rows, top, 8, n, zero, r);
    for (long j = 0; j < n; j++) {  // rows: Bᵀ d over the eight input rows, all columns at once
        float d[8], t[8];
        for (int i = 0; i < 8; i++) d[i] = r[i][j];
        SK(w6_bt)(d, t);
        for (int i = 0; i < 8; i++) scratch[i * width + j] = t[i];
    }
    for (int i = 0; i < 8; i++) for (long j = n; j < width; j++) scratch[i * width + j] = 0;
    for (int i = 0; i < 8; i++) {  // columns: eight at stride six for each tile
        const float *q = scratch + i * width;
        float *vi = v + (8 * i) * step;
        for (long tj = 0; tj < ta; tj++) {
            float t[8];
            SK(w6_bt)(q + 6 * tj, t);
            for (int l = 0; l < 8; l++) vi[l * step + tj] = t[l];
        }
    }
}

static void SK(winograd6_output_row)(const float *m, long step, long ta, float *y, long rs, long rows,
                                     long width, float bias, int relu, float *scratch) {
    float *s = scratch, *out = scratch + 48 * ta;
    for (int l = 0; l < 8; l++) {  // rows: s[(8a + l)*ta + tj] = Σ_k Aᵀ[a][k] m[(8k + l)]
        for (long tj = 0; tj < ta; tj++) {
            float x[8], o[6];
            for (int k = 0; k < 8; k++) x[k] = m[(8 * k + l) * step + tj];
            SK(w6_at)(x, o);
            for (int a = 0; a < 6; a++) s[(8 * a + l) * ta + tj] = o[a];
        }
    }
    for (long a = 0; a < rows; a++) {
        float *o = 6 * ta <= width ? y + a * rs : out;
        for (long tj = 0; tj < ta; tj++) {
            float x[8], e[6];
            for (int l = 0; l < 8; l++) x[l] = s[(8 * a + l) * ta + tj];
            SK(w6_at)(x, e);
            for (int b = 0; b < 6; b++) {
                float u = e[b] + bias;
                o[6 * tj + b] = relu ? (u > 0 ? u : 0) : u;
            }
        }
        if (o == out) memcpy(y + a * rs, out, (size_t)width * sizeof(float));
    }
}

static void SK(winograd6_grad_input_row)(const float *dy, const float *mask, long rs, long rows, long width,
                                         long ta, float *z, long step, float *scratch) {
    const long w6 = 6 * ta;
    float *e = scratch, *t = scratch + 6 * w6;
    SK(gradient_rows)(dy, mask, rs, rows, width, 6, w6, e);
    for (long j = 0; j < w6; j++) {  // rows: A e
        float x[6], o[8];
        for (int a = 0; a < 6; a++) x[a] = e[a * w6 + j];
        SK(w6_a)(x, o);
        for (int i = 0; i < 8; i++) t[i * w6 + j] = o[i];
    }
    for (int i = 0; i < 8; i++) {  // columns: six at stride six for each tile
        const float *q = t + i * w6;
        float *zi = z + (8 * i) * step;
        for (long tj = 0; tj < ta; tj++) {
            float o[8];
            SK(w6_a)(q + 6 * tj, o);
            for (int l = 0; l < 8; l++) zi[l * step + tj] = o[l];
        }
    }
}

static void SK(winograd6_grad_output_row)(const float *w, long step, long ta, float *plane, long rs,
                                          long padded_rows, long top, float *scratch) {
    const long width = 6 * ta + 2, n = width < rs ? width : rs;
    float *s = scratch, *d = scratch + 64 * ta, *out = d + 8 * ta;
    for (int l = 0; l < 8; l++) {  // rows: s[(8r + l)*ta + tj] = Σ_k B[r][k] w[(8k + l)]
        for (long tj = 0; tj < ta; tj++) {
            float x[8], o[8];
            for (int k = 0; k < 8; k++) x[k] = w[(8 * k + l) * step + tj];
            SK(w6_b)(x, o);
            for (int r = 0; r < 8; r++) s[(8 * r + l) * ta + tj] = o[r];
        }
    }
    for (long r = 0; r < 8 && top + r < padded_rows; r++) {
        for (long tj = 0; tj < ta; tj++) {
            float x[8], o[8];
            for (int l = 0; l < 8; l++) x[l] = s[(8 * r + l) * ta + tj];
            SK(w6_b)(x, o);
            for (int c = 0; c < 8; c++) d[c * ta + tj] = o[c];
        }
        // Tiles overlap by two columns: a tile's last two add to the next one's first two.
        const float *d0 = d, *d1 = d + ta, *d6 = d + 6 * ta, *d7 = d + 7 * ta;
        out[0] = d0[0];
        out[1] = d1[0];
        for (int c = 2; c < 6; c++) out[c] = d[c * ta];
        for (long tj = 1; tj < ta; tj++) {
            out[6 * tj] = d0[tj] + d6[tj - 1];
            out[6 * tj + 1] = d1[tj] + d7[tj - 1];
            for (int c = 2; c < 6; c++) out[6 * tj + c] = d[c * ta + tj];
        }
        out[6 * ta] = d6[ta - 1];
        out[6 * ta + 1] = d7[ta - 1];
        float *restrict row = plane + (top + r) * rs;
        if (r < 2 && top > 0) {
            for (long j = 0; j < n; j++) row[j] += out[j];
        } else {
            memcpy(row, out, (size_t)n * sizeof(float));
        }
    }
}

static void SK(relu_forward)(float *restrict p, long n) {
    for (long i = 0; i < n; i++) p[i] = p[i] > 0 ? p[i] : 0;
}

static void SK(relu_backward)(float *restrict g, const float *restrict y, long n) {
    for (long i = 0; i < n; i++) g[i] = y[i] > 0 ? g[i] : 0;
}

static void SK(pool_forward)(const float *x, long xrs, long xh, long xw, float *y, long yrs, long yh, long yw,
                             int mode) {
    for (long i = 0; i < yh; i++) {
        const float *restrict r0 = x + (2 * i < xh - 1 ? 2 * i : xh - 1) * xrs;
        const float *restrict r1 = x + (2 * i + 1 < xh - 1 ? 2 * i + 1 : xh - 1) * xrs;
        float *restrict out = y + i * yrs;
        if (xw < 2) {  // one column: the window is clamped onto it
            out[0] = mode == 0 ? SK_MAX(r0[0], r1[0]) : 0.25f * (r0[0] + r0[0] + r1[0] + r1[0]);
        } else if (mode == 0) {
            for (long j = 0; j < yw; j++) {
                float a = SK_MAX(r0[2 * j], r0[2 * j + 1]), b = SK_MAX(r1[2 * j], r1[2 * j + 1]);
                out[j] = SK_MAX(a, b);
            }
        } else {
            for (long j = 0; j < yw; j++) out[j] = 0.25f * (r0[2 * j] + r0[2 * j + 1] + r1[2 * j] + r1[2 * j + 1]);
        }
    }
}

static void SK(pool_backward)(const float *dy, long yrs, long yh, long yw, const float *x, float *dx_plane, long xrs,
                              long xh, long xw, int mode) {
    float *dx = dx_plane + xrs + 1;
    if (xh < 2 || xw < 2) {  // a one-pixel side: clamped windows whose cells may coincide, so add
        memset(dx_plane, 0, (size_t)(xrs * (xh + 2)) * sizeof(float));
        for (long i = 0; i < yh; i++) {
            long i0 = 2 * i < xh - 1 ? 2 * i : xh - 1, i1 = 2 * i + 1 < xh - 1 ? 2 * i + 1 : xh - 1;
            const float *a0 = x + i0 * xrs, *a1 = x + i1 * xrs, *g = dy + i * yrs;
            float *d0 = dx + i0 * xrs, *d1 = dx + i1 * xrs;
            for (long j = 0; j < yw; j++) {
                long j0 = 2 * j < xw - 1 ? 2 * j : xw - 1, j1 = 2 * j + 1 < xw - 1 ? 2 * j + 1 : xw - 1;
                if (mode == 0) {
                    float v0 = a0[j0], v1 = a0[j1], v2 = a1[j0], v3 = a1[j1];
                    float m = SK_MAX(SK_MAX(v0, v1), SK_MAX(v2, v3));
                    int t0 = v0 == m, t1 = !t0 && v1 == m, t2 = !t0 && !t1 && v2 == m, t3 = !(t0 || t1 || t2);
                    d0[j0] += t0 ? g[j] : 0; d0[j1] += t1 ? g[j] : 0;
                    d1[j0] += t2 ? g[j] : 0; d1[j1] += t3 ? g[j] : 0;
                } else {
                    float q = 0.25f * g[j];
                    d0[j0] += q; d0[j1] += q; d1[j0] += q; d1[j1] += q;
                }
            }
        }
        return;
    }
    // Windows do not overlap: each cell is written once, and only the cells no
    // window covers (border, odd last row and column) are zeroed.
    memset(dx_plane, 0, (size_t)xrs * sizeof(float));
    for (long i = 0; i < yh; i++) {
        const float *restrict a0 = x + 2 * i * xrs, *restrict a1 = a0 + xrs, *restrict g = dy + i * yrs;
        float *restrict d0 = dx + 2 * i * xrs, *restrict d1 = d0 + xrs;
        d0[-1] = 0;
        d1[-1] = 0;
        if (mode == 0) {
            for (long j = 0; j < yw; j++) {
                float v0 = a0[2 * j], v1 = a0[2 * j + 1], v2 = a1[2 * j], v3 = a1[2 * j + 1], gj = g[j];
                float m = SK_MAX(SK_MAX(v0, v1), SK_MAX(v2, v3));
                // The first cell equal to the maximum takes the gradient (as the Swift reference).
                int t0 = v0 == m, t1 = !t0 & (v1 == m), t2 = !t0 & !t1 & (v2 == m), t3 = !(t0 | t1 | t2);
                d0[2 * j] = t0 ? gj : 0;
                d0[2 * j + 1] = t1 ? gj : 0;
                d1[2 * j] = t2 ? gj : 0;
                d1[2 * j + 1] = t3 ? gj : 0;
            }
        } else {
            for (long j = 0; j < yw; j++) {
                float q = 0.25f * g[j];
                d0[2 * j] = q; d0[2 * j + 1] = q; d1[2 * j] = q; d1[2 * j + 1] = q;
            }
        }
        for (long j = 2 * yw; j < xrs - 1; j++) d0[j] = d1[j] = 0;  // odd column and right border
    }
    memset(dx_plane + (2 * yh + 1) * xrs, 0, (size_t)((xh + 1 - 2 * yh) * xrs) * sizeof(float));
}

static const sk_kernels SK(table) = {
    SK_NAME,
    SK(winograd_input_row),
    SK(winograd_output_row),
    SK(winograd_grad_input_row),
    SK(winograd_grad_output_row),
    SK(winograd6_input_row),
    SK(winograd6_output_row),
    SK(winograd6_grad_input_row),
    SK(winograd6_grad_output_row),
    SK(relu_forward),
    SK(relu_backward),
    SK(pool_forward),
    SK(pool_backward),
};

#undef SK_BT
#undef SK_AT
#undef SK_A
#undef SK_B
