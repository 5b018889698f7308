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
 *        Each call computes on all cores (at most 8) with the library's own
 *        threads and calls OpenBLAS from them; opening a model therefore sets
 *        OpenBLAS to one thread per call, for the whole process.
 *
 * Errors: no function aborts the caller's process. Every failure returns a
 *        stylize_status and sets a per-thread message naming the argument,
 *        option or file at fault.
 *
 * Pixels: interleaved 8-bit sRGB, 3 (RGB) or 4 (RGBA) channels, rows
 *        `stride` bytes apart (stride >= width * channels). Alpha is never
 *        stylized: it is copied from the content image to the output.
 *        Since 1.1 an image may carry 16-bit or float samples instead
 *        (STYLIZE_FORMAT_U16, STYLIZE_FORMAT_F32 or-ed into `channels`), so
 *        that smooth gradients of 16-bit and float images do not band.
 */
#ifndef STYLIZE_H
#define STYLIZE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Compile-time version; compare with stylize_version() at run time. The
 * major number is the ABI version in the SONAME (libstylize.so.1). */
#define STYLIZE_VERSION_MAJOR 1
#define STYLIZE_VERSION_MINOR 2
#define STYLIZE_VERSION_PATCH 0
#define STYLIZE_VERSION_STRING "1.2.0"

/* Limits checked on every call. Every image (content, style, mask) must
 * also be STYLIZE_MIN_SIDE to STYLIZE_MAX_SIDE px a side, at most
 * STYLIZE_MAX_PIXELS pixels, and its longer side at most STYLIZE_MAX_ASPECT
 * times its shorter: the rule of every front door (stylize_check() applies
 * it to sizes alone, before the caller decodes anything). */
#define STYLIZE_MAX_DIMENSION 65535 /* width and height of a stylize_image, px */
#define STYLIZE_MAX_STYLES 16       /* style images per call */
#define STYLIZE_MIN_SIDE 16
#define STYLIZE_MAX_SIDE 32768
#define STYLIZE_MAX_PIXELS 100000000
#define STYLIZE_MAX_ASPECT 32

/* Result of every call that can fail. */
typedef enum stylize_status {
    STYLIZE_OK = 0,
    STYLIZE_ERROR_INVALID_ARGUMENT = 1, /* NULL pointer, bad size, stride, channels */
    STYLIZE_ERROR_INVALID_OPTION = 2,   /* an option out of range, NaN, unknown layer */
    STYLIZE_ERROR_MODEL = 3,            /* model file missing, unreadable or not VGG */
    STYLIZE_ERROR_CANCELLED = 4,        /* the progress callback returned non-zero */
    STYLIZE_ERROR_OUT_OF_MEMORY = 5,    /* a buffer could not be allocated */
    STYLIZE_ERROR_INTERNAL = 6,         /* a bug: please report the message */
    STYLIZE_ERROR_DIVERGED = 7          /* the loss stopped being finite (weights too
                                           large for this image): no output written */
} stylize_status;

/* Where the optimisation starts. */
typedef enum stylize_init {
    STYLIZE_INIT_CONTENT = 0, /* the content image (default; converges fastest) */
    STYLIZE_INIT_NOISE = 1,   /* seeded noise */
    STYLIZE_INIT_STYLE = 2    /* the first style image, resized to the content */
} stylize_init;

/* How the image is optimised. */
typedef enum stylize_optimizer {
    STYLIZE_OPTIMIZER_LBFGS = 0, /* default, with a backtracking line search */
    STYLIZE_OPTIMIZER_ADAM = 1
} stylize_optimizer;

/* Pooling in the VGG network (average pooling gives smoother results). */
typedef enum stylize_pooling {
    STYLIZE_POOLING_MAX = 0,
    STYLIZE_POOLING_AVERAGE = 1
} stylize_pooling;

/* Colour control (Gatys, Bethge, Hertzmann, Shechtman 2017). */
typedef enum stylize_preserve_colors {
    STYLIZE_PRESERVE_COLORS_NONE = 0,
    STYLIZE_PRESERVE_COLORS_LUMINANCE = 1, /* transfer luminance only, keep content chroma */
    STYLIZE_PRESERVE_COLORS_HISTOGRAM = 2  /* match style colours to the content first */
} stylize_preserve_colors;

/* Options of one run. Fill with stylize_options_init(), then change fields.
 * Every field is checked on each call; a bad value returns
 * STYLIZE_ERROR_INVALID_OPTION with a message naming the field, and
 * stylize_last_error_option() tells which. Ranges and defaults below are
 * those of the option table (stylize_option_at()). */
typedef struct stylize_options {
    size_t struct_size;        /* sizeof(stylize_options); set by stylize_options_init */
    const char *model_path;    /* NULL: $STYLIZE_MODEL, then the installed model (see stylize_model_open) */
    int32_t size;              /* longest side the picture is composed at (the coarse-to-fine levels
                                  end there: the brush-stroke size), 0..16384 px (default 512;
                                  0 = output_size); see output_size for the result */
    int32_t iterations;        /* optimiser steps, 1..1000000 (default 300) */
    double content_weight;     /* 0..1e6 (default 1) */
    double style_weight;       /* 0..1e6 (default 1e-4, see README for the loss formulas) */
    double tv_weight;          /* 0..1e6 (default 1e-2) */
    const double *style_blend; /* style_count weights, each 0..1e6 with a positive sum, or NULL for
                                  equal weights; the style Gram targets are mixed by weight */
    stylize_init init;         /* default STYLIZE_INIT_CONTENT */
    stylize_optimizer optimizer; /* default STYLIZE_OPTIMIZER_LBFGS */
    double learning_rate;      /* Adam step size in pixel units (0-255), > 0 and <= 255 (default 2);
                                  L-BFGS ignores it */
    stylize_pooling pooling;   /* default STYLIZE_POOLING_MAX */
    uint64_t seed;             /* noise init seed; equal inputs and seed give identical output */
    const char *content_layers;/* comma list, e.g. "relu4_2"; NULL = default ("relu4_2"), "" = none */
    const char *style_layers;  /* comma list with optional weights "relu1_1:0.5,..."; NULL = default
                                  (relu1_1,relu2_1,relu3_1,relu4_1,relu5_1), "" = none. Layer names:
                                  convB_I, reluB_I, poolB of the model's VGG16/VGG19 */
    stylize_preserve_colors preserve_colors; /* default NONE */
    double style_scale;        /* style image size relative to the optimisation size, (0, 8] (default 1) */
    /* Fields below were added after the first 120-byte layout; the library
     * reads a field only when struct_size covers it (else its default). */
    int32_t scales;            /* coarse-to-fine levels 1..8, each twice the size of the one before,
                                  ending at `size`; levels under 64 px are skipped (default 3) */
    uint64_t max_memory;       /* working-memory budget in bytes, >= 64 MiB (stylize_parse_bytes()
                                  reads "2G"): levels that would need more are optimised in
                                  overlapping tiles. 0 = no budget (default). A run that would not
                                  fit in what the machine can give (RAM, cgroup memory.max,
                                  RLIMIT_AS) returns STYLIZE_ERROR_OUT_OF_MEMORY before any work */
    const uint8_t *mask;       /* NULL (default: stylize everywhere), or content->height rows of
                                  content->width bytes, mask_stride apart: 255 = stylize, 0 = keep
                                  the content, values between blend */
    size_t mask_stride;        /* bytes from one mask row to the next, >= content->width */
    /* Added in 1.1 (read only when struct_size covers them): */
    int32_t output_size;       /* longest side the optimisation ends at, 0..32768 px (default 0 = the
                                  content's own). Above `size`, refinement levels paint detail up to
                                  it; the result always has the content's size */
    double time_limit;         /* seconds, 0..604800 (default 0 = none): the levels' iterations are
                                  planned from the machine's measured speed to end within it
                                  (`iterations` is then not used) */
    /* Added for video (read only when struct_size covers them): a frame kept
     * consistent with the one before it, after Ruder, Dosovitskiy and Brox
     * (GCPR 2016), with the caller's own optical flow. The temporal loss is
     * L_t = temporal_weight / D * sum_i c_i (x_i - w_i)^2 over the picture's
     * D = 3 * width * height values (0-255), w = temporal_target, c = the mask. */
    const struct stylize_image *init_image; /* NULL (default: `init`), or the picture the optimisation
                                  starts from, any size (resized to the content), e.g. the previous
                                  stylized frame warped into this one */
    const struct stylize_image *temporal_target; /* NULL (default: no temporal loss), or w: the previous
                                  stylized frame warped into this one by the flow, any size */
    const uint8_t *temporal_mask; /* NULL (c = 1 everywhere), or temporal_target->height rows of
                                  temporal_target->width bytes, temporal_mask_stride apart: c, 255 =
                                  the flow is trusted there, 0 = disoccluded or a motion boundary */
    size_t temporal_mask_stride; /* bytes from one temporal_mask row to the next, >= its width */
    double temporal_weight;    /* 0..1e6 (default: the option table's; 0 = independent frames) */
} stylize_options;

/* An image passed in: interleaved 8-bit sRGB, channels 3 or 4. The library
 * only reads it during the call. A style image's alpha is ignored. */
typedef struct stylize_image {
    const uint8_t *pixels; /* height rows of `stride` bytes; not NULL */
    int32_t width;         /* 1..STYLIZE_MAX_DIMENSION */
    int32_t height;        /* 1..STYLIZE_MAX_DIMENSION */
    int32_t channels;      /* 3 = RGB, 4 = RGBA */
    size_t stride;         /* bytes from one row to the next, >= width * channels */
} stylize_image;

/* Sample formats (since 1.1), or-ed into stylize_image.channels, e.g.
 * `4 | STYLIZE_FORMAT_F32`. Plain 3 or 4 is 8-bit, as in 1.0; a 1.0 library
 * refuses the others (STYLIZE_ERROR_INVALID_ARGUMENT naming ->channels).
 * `pixels` then points at uint16_t or float samples (cast to const uint8_t *;
 * any alignment), and `stride` still counts bytes (>= width * channels *
 * sample size). The output has the content's channels and format; alpha is
 * copied sample for sample. Styles may use any format, independently.
 * The engine computes in float: 16-bit and float images keep their levels
 * (a 16-bit gradient keeps more than 256 of them) where 8-bit rounds. */
#define STYLIZE_FORMAT_U8  0x000 /* uint8_t, 0..255 (the default) */
#define STYLIZE_FORMAT_U16 0x100 /* uint16_t in host byte order, 0..65535 */
#define STYLIZE_FORMAT_F32 0x200 /* float, 0..1 (gamma-encoded sRGB like the others); colour
                                    outside 0..1 is clamped, NaN or infinity is refused */
#define STYLIZE_CHANNELS_MASK 0x0ff /* channels & STYLIZE_CHANNELS_MASK: 3 or 4 */

/* Progress, called on the calling thread once before the first step
 * (iteration 0) and after each step (iteration 1..total). Losses are the
 * weighted terms of the objective (total = content + style + tv). Return
 * non-zero to cancel: stylize() then returns STYLIZE_ERROR_CANCELLED without
 * taking another step and leaves the output untouched. */
typedef int (*stylize_progress_fn)(void *user, int32_t iteration, int32_t total,
                                   double total_loss, double content_loss,
                                   double style_loss, double tv_loss);

/* An opened model: VGG weights ready for use. Opaque and immutable: one
 * handle may serve any number of threads at once. */
typedef struct stylize_model stylize_model;

/* Library version string, e.g. "1.0.0". Never NULL. */
const char *stylize_version(void);

/* Fills *options with the defaults listed in stylize_options, including
 * struct_size. NULL is ignored. */
void stylize_options_init(stylize_options *options);

/* Constant English text for a status. Never NULL. */
const char *stylize_status_string(stylize_status status);

/* (Since 1.2.) The OPENBLAS_CORETYPE value this process should start again
 * with, or NULL when its GEMM kernels are already the CPU's. OpenBLAS picks its
 * kernels once, when it loads, and Debian 12's 0.3.21 gives Intel CPUs newer
 * than itself (Sapphire, Emerald, Granite Rapids) its generic Prescott kernels,
 * about 3.5x slower here; a name is returned only then, and only when
 * OPENBLAS_CORETYPE is unset. A library or host cannot start again, so its user
 * sets OPENBLAS_CORETYPE. The string is static. */
const char *stylize_blas_restart_core(void);

/* (Since 1.2.) For a program that owns its process (the stylize tool and the
 * GIMP plug-ins call it first thing): when stylize_blas_restart_core() names a
 * core, sets OPENBLAS_CORETYPE to it and STYLIZE_OPENBLAS_FALLBACK to the core
 * OpenBLAS chose (`stylize bench` reports it), and execs /proc/self/exe with
 * argv (the same pid; argv as main received it, NULL-terminated). Returns when
 * there is nothing to do, or when exec failed: both variables are then unset
 * again (OPENBLAS_CORETYPE was unset to begin with). */
void stylize_blas_restart(char *const argv[]);

/* This thread's message for its last failed call ("" if none yet): what was
 * wrong and which argument, option or file it concerns. Successful calls do
 * not clear it. The pointer stays valid until the thread exits; its text is
 * replaced by the thread's next failure. */
const char *stylize_last_error(void);

/* Opens a model file (a VGG16/VGG19 .safetensors file as written by
 * `stylize model import`). path NULL looks, in order, at $STYLIZE_MODEL,
 * <libdir>/../share/stylize/vgg16.safetensors (libdir: the folder of this
 * libstylize.so) and /usr/local/share/stylize/vgg16.safetensors.
 * On success *out_model is a handle to release with stylize_model_close;
 * on failure it is set to NULL (if out_model is not NULL).
 * Returns STYLIZE_OK, STYLIZE_ERROR_INVALID_ARGUMENT (out_model NULL),
 * STYLIZE_ERROR_MODEL (missing, unreadable or not a VGG model; the message
 * names the file and how to get one) or STYLIZE_ERROR_OUT_OF_MEMORY. */
stylize_status stylize_model_open(const char *path, stylize_model **out_model);

/* Releases a model handle. NULL is allowed. No call may be using it. */
void stylize_model_close(stylize_model *model);

/* Stylizes `content` after `styles[0..style_count-1]` (1..STYLIZE_MAX_STYLES)
 * with an opened model. Blocks until done; uses all cores.
 * `output` is caller memory of content->height rows of `output_stride` bytes
 * (>= content->width * content->channels), laid out like the content (same
 * channels; alpha copied from the content). It is written only on success.
 * `options` may be NULL for the defaults (options->model_path is ignored here).
 * `progress` may be NULL; `user` is passed to it unchanged.
 * Returns STYLIZE_OK, STYLIZE_ERROR_INVALID_ARGUMENT (a NULL pointer, image
 * size, channels or stride, style_count), STYLIZE_ERROR_INVALID_OPTION,
 * STYLIZE_ERROR_CANCELLED, STYLIZE_ERROR_OUT_OF_MEMORY (the run would need
 * more memory than the machine has: lower options->size) or
 * STYLIZE_ERROR_INTERNAL. */
stylize_status stylize_with_model(const stylize_model *model,
                                  const stylize_image *content,
                                  const stylize_image *styles, int32_t style_count,
                                  const stylize_options *options,
                                  stylize_progress_fn progress, void *user,
                                  uint8_t *output, size_t output_stride);

/* The entry point: opens the model named by options->model_path (or the
 * default lookup of stylize_model_open), stylizes, closes it. Same contract
 * as stylize_with_model, plus STYLIZE_ERROR_MODEL. Callers stylizing many
 * images should open the model once instead (reading it takes a while). */
stylize_status stylize(const stylize_image *content,
                       const stylize_image *styles, int32_t style_count,
                       const stylize_options *options,
                       stylize_progress_fn progress, void *user,
                       uint8_t *output, size_t output_stride);

/* Admission: checks the options and the images' sizes against the image
 * rule and the memory the run needs, without reading any pixel (`pixels`
 * may be NULL here). Hosts call it on image headers before decoding, so a
 * huge or hostile image is refused at once. `model` may be NULL: the model
 * of options->model_path (or the default lookup) is opened to check layer
 * names. Returns what stylize() would return for these sizes and options,
 * short of running. */
stylize_status stylize_check(const stylize_model *model,
                             const stylize_image *content,
                             const stylize_image *styles, int32_t style_count,
                             const stylize_options *options);

/* What a run will cost, from sizes alone (stylize_estimate()). */
typedef struct stylize_estimate_info {
    size_t struct_size;      /* set by the caller: sizeof(stylize_estimate_info) */
    uint64_t peak_bytes;     /* the memory plan's estimated peak (what admission compares
                                with the budget and the machine) */
    double pixel_iterations; /* the work: the sum over levels of optimised pixels (margin
                                included) times iterations. Seconds = pixel_iterations x the
                                machine's seconds per pixel-iteration (README: Performance) */
    int32_t levels;          /* coarse-to-fine levels that run */
    int32_t width, height;   /* the finest level: the size the picture is optimised at */
    int32_t tiled;           /* 1 when a level is optimised in tiles (max_memory) */
} stylize_estimate_info;

/* stylize_check() that also reports the plan: on STYLIZE_OK *out holds the
 * estimate (as much of it as out->struct_size covers); otherwise *out is
 * untouched and the status and message are stylize_check()'s. Hosts show
 * it before a run (the GIMP dialog's time and memory line). */
stylize_status stylize_estimate(const stylize_model *model,
                                const stylize_image *content,
                                const stylize_image *styles, int32_t style_count,
                                const stylize_options *options,
                                stylize_estimate_info *out);

/* The option table: every option of a run, with its range, default and
 * spelling at each front door (the vips module and the GIMP plug-in build
 * their argument tables from it). Entries are static: never freed. */
typedef enum stylize_option_type {
    STYLIZE_OPTION_INTEGER = 0,
    STYLIZE_OPTION_REAL = 1,
    STYLIZE_OPTION_CHOICE = 2, /* an enum: the value is the index in `choices` */
    STYLIZE_OPTION_LAYERS = 3, /* "relu1_1:0.5,relu2_1" */
    STYLIZE_OPTION_LIST = 4,   /* comma list of numbers, each in the range */
    STYLIZE_OPTION_BYTES = 5,  /* "2G", "512M" or bytes: stylize_parse_bytes() */
    STYLIZE_OPTION_IMAGE = 6,
    STYLIZE_OPTION_PATH = 7
} stylize_option_type;

typedef struct stylize_option_info {
    const char *field;        /* the stylize_options field, or NULL when C has none */
    const char *cli;          /* the stylize command's flag without "--" */
    const char *vips;         /* the vips argument, or NULL */
    const char *gimp;         /* the GIMP procedure parameter, or NULL */
    const char *label;        /* the GIMP dialog label, or NULL */
    const char *help;         /* one line with range and default */
    const char *unit;         /* "px", "steps", "" */
    stylize_option_type type;
    double minimum;           /* range of a number (of each number of a list) */
    double maximum;
    int32_t minimum_exclusive;/* 1: the value must be > minimum */
    double default_value;     /* a number's default; a choice's default index */
    const char *default_text; /* the default as a user writes it; "" = none */
    const char *choices;      /* a choice's names in enum order, comma-separated; else "" */
} stylize_option_info;

/* Number of options in the table. */
int32_t stylize_option_count(void);
/* Entry `index` (0..count-1), or NULL. */
const stylize_option_info *stylize_option_at(int32_t index);
/* The entry with this spelling (C field, CLI flag, vips or GIMP name), or NULL. */
const stylize_option_info *stylize_option_find(const char *name);
/* The option this thread's last STYLIZE_ERROR_INVALID_OPTION was about, or
 * NULL: a host names it in its own spelling (vips argument, dialog label). */
const stylize_option_info *stylize_last_error_option(void);
/* The problem of that error without the option's name ("" if none), e.g.
 * "1e+308 is out of range (0 to 1000000)". */
const char *stylize_last_error_problem(void);

/* "2G", "512M", "1.5GiB", "800K" or plain bytes -> *bytes. The one byte-size
 * syntax of the CLI, vips and GIMP. STYLIZE_ERROR_INVALID_OPTION if the text
 * is not such a size. */
stylize_status stylize_parse_bytes(const char *text, uint64_t *bytes);

/* For hosts that read image headers themselves (the vips module). */

/* The image rule (STYLIZE_MIN_SIDE ... STYLIZE_MAX_ASPECT) on a header's size,
 * for an image that is no stylize_image (a mask before it is resized).
 * STYLIZE_ERROR_INVALID_ARGUMENT with "<name>: WxH pixels is outside what
 * Stylize takes (...)" when it fails. */
stylize_status stylize_check_image(int32_t width, int32_t height, const char *name);

/* The longest side to decode a style image at for a run with `options`
 * (NULL: defaults) on this content: size x style_scale (size 0 = the content's
 * longest side), never more than the style's own, and large enough that the
 * shrunk style's shorter side stays at least STYLIZE_MIN_SIDE. A host that
 * decodes styles at this size needs no more memory for them than the run does.
 * 0 (last error set) for a non-positive size or size/style_scale out of range. */
int32_t stylize_style_side(const stylize_options *options,
                           int32_t content_width, int32_t content_height,
                           int32_t style_width, int32_t style_height);

#ifdef __cplusplus
}
#endif

#endif /* STYLIZE_H */
