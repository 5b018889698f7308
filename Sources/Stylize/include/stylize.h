/*
 * stylize.h - C ABI of libstylize, neural style transfer (Gatys, Ecker, Bethge).
 *
 * Link:  cc app.c $(pkg-config --cflags --libs stylize)
 * ABI:   SONAME libstylize.so.1. Structs passed by pointer start with a
 *        `struct_size` field: set it with stylize_options_init() so that newer
 *        libraries can add fields at the end without breaking older callers.
 *
 * Threads: every function may be called from any thread. A stylize_model
 *        handle is immutable after stylize_model_open() and may be used by
 *        several threads at once (each call keeps its own working memory).
 *        The error message (stylize_last_error) is kept per thread.
 *
 * Errors: no function aborts the caller's process. Every failure returns a
 *        stylize_status and sets a per-thread message naming the argument,
 *        option or file at fault.
 *
 * Pixels: interleaved 8-bit sRGB, 3 (RGB) or 4 (RGBA) channels, rows
 *        `stride` bytes apart (stride >= width * channels). Alpha is never
 *        stylized: it is copied from the content image to the output.
 */
#ifndef STYLIZE_H
#define STYLIZE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Compile-time version; compare with stylize_version() at run time. */
#define STYLIZE_VERSION_MAJOR 1
#define STYLIZE_VERSION_MINOR 0
#define STYLIZE_VERSION_PATCH 0
#define STYLIZE_VERSION_STRING "1.0.0"

/* Result of every call that can fail. */
typedef enum stylize_status {
    STYLIZE_OK = 0,
    STYLIZE_ERROR_INVALID_ARGUMENT = 1, /* NULL pointer, bad size, stride, channels */
    STYLIZE_ERROR_INVALID_OPTION = 2,   /* an option out of range, NaN, unknown layer */
    STYLIZE_ERROR_MODEL = 3,            /* model file missing, unreadable or not VGG */
    STYLIZE_ERROR_CANCELLED = 4,        /* the progress callback returned non-zero */
    STYLIZE_ERROR_OUT_OF_MEMORY = 5,    /* a buffer could not be allocated */
    STYLIZE_ERROR_INTERNAL = 6          /* a bug: please report the message */
} stylize_status;

/* Where the optimisation starts. */
typedef enum stylize_init {
    STYLIZE_INIT_CONTENT = 0, /* the content image (default; converges fastest) */
    STYLIZE_INIT_NOISE = 1,   /* seeded noise */
    STYLIZE_INIT_STYLE = 2    /* the first style image, resized to the content */
} stylize_init;

typedef enum stylize_optimizer {
    STYLIZE_OPTIMIZER_LBFGS = 0, /* default, with a backtracking line search */
    STYLIZE_OPTIMIZER_ADAM = 1
} stylize_optimizer;

typedef enum stylize_pooling {
    STYLIZE_POOLING_MAX = 0,
    STYLIZE_POOLING_AVERAGE = 1
} stylize_pooling;

typedef enum stylize_preserve_colors {
    STYLIZE_PRESERVE_COLORS_NONE = 0,
    STYLIZE_PRESERVE_COLORS_LUMINANCE = 1, /* transfer luminance only, keep content chroma */
    STYLIZE_PRESERVE_COLORS_HISTOGRAM = 2  /* match style colours to the content first */
} stylize_preserve_colors;

/* Options of one run. Fill with stylize_options_init(), then change fields. */
typedef struct stylize_options {
    size_t struct_size;        /* sizeof(stylize_options); set by stylize_options_init */
    const char *model_path;    /* NULL: $STYLIZE_MODEL, then the installed model */
    int32_t size;              /* longest side the optimisation runs at, px (default 512; 0 = content size) */
    int32_t iterations;        /* optimiser steps, >= 1 (default 300) */
    double content_weight;     /* >= 0 (default 1) */
    double style_weight;       /* >= 0 (default 1e-4, see README for the loss formulas) */
    double tv_weight;          /* >= 0 (default 1e-2) */
    const double *style_blend; /* one weight per style image, >= 0, or NULL for equal weights */
    stylize_init init;
    stylize_optimizer optimizer;
    double learning_rate;      /* Adam step size in pixel units (default 2); L-BFGS ignores it */
    stylize_pooling pooling;
    uint64_t seed;             /* noise init seed; equal inputs and seed give identical output */
    const char *content_layers;/* comma list, e.g. "relu4_2"; NULL = default */
    const char *style_layers;  /* comma list with optional weights "relu1_1:0.5,..."; NULL = default */
    stylize_preserve_colors preserve_colors;
    double style_scale;        /* style image size relative to the optimisation size (default 1) */
} stylize_options;

/* An image passed in: interleaved 8-bit sRGB, channels 3 or 4. */
typedef struct stylize_image {
    const uint8_t *pixels;
    int32_t width;
    int32_t height;
    int32_t channels; /* 3 = RGB, 4 = RGBA */
    size_t stride;    /* bytes from one row to the next, >= width * channels */
} stylize_image;

/* Progress, called once before the first step (iteration 0) and after each
 * step. Return non-zero to cancel: stylize() then returns
 * STYLIZE_ERROR_CANCELLED before the next step and leaves the output untouched. */
typedef int (*stylize_progress_fn)(void *user, int32_t iteration, int32_t total,
                                   double total_loss, double content_loss,
                                   double style_loss, double tv_loss);

/* An opened model: VGG weights ready for use. Opaque. */
typedef struct stylize_model stylize_model;

/* Library version string, e.g. "1.0.0". Never NULL. */
const char *stylize_version(void);

/* Fills *options with the defaults listed in stylize_options. */
void stylize_options_init(stylize_options *options);

/* Constant English text for a status. Never NULL. */
const char *stylize_status_string(stylize_status status);

/* This thread's message for its last failed call ("" if none). Valid until
 * the next stylize_* call on this thread. */
const char *stylize_last_error(void);

/* Opens a model file (NULL: $STYLIZE_MODEL, then the installed default).
 * On success *out_model is a handle to release with stylize_model_close. */
stylize_status stylize_model_open(const char *path, stylize_model **out_model);

/* Releases a model handle. NULL is allowed. No call may be using it. */
void stylize_model_close(stylize_model *model);

/* Stylizes `content` after `styles[0..style_count-1]` with an opened model.
 * `output` is caller memory of content->height rows of `output_stride` bytes,
 * with content->channels channels; it is written only on success.
 * `options` may be NULL for the defaults (options->model_path is ignored here).
 * `progress` may be NULL. */
stylize_status stylize_with_model(const stylize_model *model,
                                  const stylize_image *content,
                                  const stylize_image *styles, int32_t style_count,
                                  const stylize_options *options,
                                  stylize_progress_fn progress, void *user,
                                  uint8_t *output, size_t output_stride);

/* The entry point: opens the model named by options->model_path (or the
 * default), stylizes, closes it. Same contract as stylize_with_model. */
stylize_status stylize(const stylize_image *content,
                       const stylize_image *styles, int32_t style_count,
                       const stylize_options *options,
                       stylize_progress_fn progress, void *user,
                       uint8_t *output, size_t output_stride);

#ifdef __cplusplus
}
#endif

#endif /* STYLIZE_H */
