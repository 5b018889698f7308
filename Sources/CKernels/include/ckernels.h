// The engine's own hot loops (Winograd F(4x4,3x3) and F(6x6,3x3) transforms, ReLU, 2x2 pooling)
// in C, compiled three times: for AVX-512, for AVX2 + FMA, and for the baseline
// x86-64 (or whatever the target is), so that one binary uses the CPU's vector
// width, picked at run time. Swift compiles for the baseline only.
// The Swift loops in Sources/StyleTransfer/Layers stay as the reference the
// tests compare every table against.
#ifndef STYLIZE_CKERNELS_H
#define STYLIZE_CKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

// Every pointer below is non-null unless marked SK_NULLABLE (so Swift imports them unwrapped).
#if defined(__clang__)
#pragma clang assume_nonnull begin
#define SK_NULLABLE _Nullable
#else
#define SK_NULLABLE
#endif

/// One instruction set's kernels. Pointers are to the first interior pixel of a
/// padded plane unless said otherwise; `rs` is a padded row's length (width + 2).
typedef struct sk_kernels {
    /// "avx512f", "avx2" or "default".
    const char *name;

    /// Winograd input transform of one tile row of one channel:
    /// v[(6i+k)*step + tj] = (Bᵀ d B)[i][k] for the 6x6 tile d at padded rows
    /// top..top+5, padded columns 4tj..4tj+5 of `plane` (the padded plane's
    /// first element), zero past `padded_rows` rows and `rs` columns.
    /// scratch: 7 * (4*tiles_across + 2) floats.
    void (*winograd_input_row)(const float *plane, long rs, long padded_rows, long top, long tiles_across,
                               float *v, long step, float *scratch);

    /// Winograd output transform of one tile row of one channel:
    /// y rows 0..rows-1 (rows <= 4, each `rs` apart, `width` pixels written) =
    /// Aᵀ m A + bias, then max(., 0) when `relu`. m[(6k+l)*step + tj].
    /// scratch: 28 * tiles_across floats.
    void (*winograd_output_row)(const float *m, long step, long tiles_across, float *y, long rs, long rows,
                                long width, float bias, int relu, float *scratch);

    /// Adjoint input transform: z[(6i+k)*step + tj] = (A e Aᵀ)[i][k] for the 4x4
    /// gradient tile e at rows 0..3 (`rows` of them present, `rs` apart, `width`
    /// pixels each, zero beyond), e = dy ⊙ [mask > 0] (mask may be NULL).
    /// scratch: 10 * 4*tiles_across floats.
    void (*winograd_grad_input_row)(const float *dy, const float *SK_NULLABLE mask, long rs, long rows, long width,
                                    long tiles_across, float *z, long step, float *scratch);

    /// Adjoint output transform: for padded rows top+k (k < 6, below `padded_rows`)
    /// of `plane`, the sum over the tile row's tiles of B w Bᵀ (tiles overlap by two
    /// columns), clipped to `rs` columns; added for k < 2 when top > 0 (the tile row
    /// above wrote there), written otherwise. w[(6i+l)*step + tj].
    /// scratch: 46 * tiles_across + 2 floats.
    void (*winograd_grad_output_row)(const float *w, long step, long tiles_across, float *plane, long rs,
                                     long padded_rows, long top, float *scratch);

    /// The same four for Winograd F(6x6,3x3): 8x8 tiles at stride six, index 8i+k
    /// in place of 6i+k, six output rows and columns a tile; scratch: 9 * (6*tiles_across + 2),
    /// 54 * tiles_across, 14 * 6*tiles_across and 78 * tiles_across + 2 floats.
    void (*winograd6_input_row)(const float *plane, long rs, long padded_rows, long top, long tiles_across,
                                float *v, long step, float *scratch);
    void (*winograd6_output_row)(const float *m, long step, long tiles_across, float *y, long rs, long rows,
                                 long width, float bias, int relu, float *scratch);
    void (*winograd6_grad_input_row)(const float *dy, const float *SK_NULLABLE mask, long rs, long rows, long width,
                                     long tiles_across, float *z, long step, float *scratch);
    void (*winograd6_grad_output_row)(const float *w, long step, long tiles_across, float *plane, long rs,
                                      long padded_rows, long top, float *scratch);
    /// p[i] = max(p[i], 0) for i < n.
    void (*relu_forward)(float *p, long n);
    /// g[i] = y[i] > 0 ? g[i] : 0 for i < n.
    void (*relu_backward)(float *g, const float *y, long n);

    /// 2x2 stride-2 pooling of one channel (mode 0 max, 1 average): y is
    /// yh x yw, x is xh x xw (odd edges dropped; a one-pixel side is clamped).
    void (*pool_forward)(const float *x, long xrs, long xh, long xw, float *y, long yrs, long yh, long yw, int mode);
    /// Its gradient for one channel: `dx_plane` (the whole padded plane, xrs * (xh + 2)
    /// floats) is overwritten: dy to each window's first maximum, or a quarter to each cell.
    void (*pool_backward)(const float *dy, long yrs, long yh, long yw, const float *x, float *dx_plane, long xrs,
                          long xh, long xw, int mode);
} sk_kernels;

/// Instruction-set levels: 0 baseline, 1 AVX2 + FMA, 2 AVX-512F (+ AVX2, FMA).
/// The widest level this CPU and OS support (cpuid and xgetbv).
int sk_best_level(void);
/// The kernels of a level, or NULL when this CPU cannot run them.
const sk_kernels *SK_NULLABLE sk_kernels_for(int level);

/// The OpenBLAS core (an OPENBLAS_CORETYPE name) that fits this CPU: "Cooperlake"
/// for AVX-512 with BF16, "SkylakeX" for AVX-512 F/CD/BW/DQ/VL, "Haswell" for AVX2 +
/// FMA, else NULL: the newest core OpenBLAS 0.3.21 has for each instruction set.
const char *SK_NULLABLE sk_openblas_core(void);

#if defined(__clang__)
#pragma clang assume_nonnull end
#endif

#ifdef __cplusplus
}
#endif
#endif
