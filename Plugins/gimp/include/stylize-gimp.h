/*
 * stylize-gimp.h - what the Swift plug-in (plugin.swift) and its C dialog
 * (dialog.c) share. The dialog is C because GTK's API is made of C macros.
 */
#ifndef STYLIZE_GIMP_H
#define STYLIZE_GIMP_H

#include <stddef.h>
#include <stdint.h>

#include <stylize.h>

#define STYLIZE_GIMP_PROC "plug-in-stylize"
#define STYLIZE_GIMP_PROC_FULL "plug-in-stylize2" /* plus output-size and time-limit */
#define STYLIZE_GIMP_PATH_MAX 4096

/* The procedure's settings, kept between runs with gimp_set_data (so plain
 * data only: no pointers). */
typedef struct StylizeGimpValues {
    char    style_file[STYLIZE_GIMP_PATH_MAX]; /* style image, any format GIMP opens */
    int32_t iterations;      /* optimiser steps */
    int32_t size;            /* "detail size": longest side of the optimisation, px */
    double  style_weight;    /* "strength" */
    int32_t preserve_colors; /* 0 none, 1 luminance, 2 histogram */
    double  content_weight;
    int32_t seed;
    int32_t style_drawable;  /* an open layer as the style instead of the file; -1 = none */
    double  style_scale;     /* style image size relative to the detail size (brush strokes) */
    int32_t scales;          /* coarse-to-fine levels, 1 = the detail size only */
    char    style2_file[STYLIZE_GIMP_PATH_MAX]; /* a second style mixed in; "" = none */
    double  style_blend;     /* weight of the first style against the second, 0..1 */
    int32_t max_memory_mb;   /* working-memory budget in MiB (bigger runs go in tiles); 0 = none */
    int32_t output_size;     /* "final size": longest side detail is painted up to; 0 = the layer's */
    double  time_limit;      /* seconds the run may take (iterations planned for it); 0 = none */
} StylizeGimpValues;

/* Defaults of the engine (stylize_options_init), filled by the plug-in. */
void stylize_gimp_values_default(StylizeGimpValues *values);

/* The library's options for these settings: a plain translation, no check
 * (options.swift). style_blend is left NULL: the caller points it at the two
 * weights when there are two styles. */
void stylize_gimp_options(const StylizeGimpValues *values, stylize_options *options);

/* Shows the dialog, editing *values. drawable_id is the layer being filtered:
 * it is not offered as its own style. Returns 1 on OK, 0 on Cancel or when
 * the dialog is closed. */
int stylize_gimp_dialog(StylizeGimpValues *values, int32_t image_id, int32_t drawable_id);

/* The dialog's preview (preview.c): quick low-resolution runs on a worker
 * thread, at most this many iterations on one level. */
#define STYLIZE_GIMP_PREVIEW_ITERATIONS 20

typedef struct StylizePreview StylizePreview;

/* A style for a preview run: a file path (decoded by the worker), or RGB u8
 * pixels of an open layer (copied). */
typedef struct {
    const char *path;
    const unsigned char *pixels;
    int width, height;
} StylizePreviewStyle;

/* A finished (or failed) run, as the main loop gets it. */
typedef struct {
    int model_only;           /* the model was opened (no run) */
    stylize_status status;    /* STYLIZE_OK: pixels holds width x height RGB u8 */
    const char *error;
    const unsigned char *pixels;
    int width, height;
    double seconds;           /* the preview's own cost */
    int size, iterations;     /* what it ran at */
} StylizePreviewResult;

typedef void (*StylizePreviewDone)(const StylizePreviewResult *result, void *user);

StylizePreview *stylize_preview_new(StylizePreviewDone done, void *user);
/* Cancels the running job, waits for it, closes the model. */
void stylize_preview_free(StylizePreview *preview);
/* Opens the model on the worker (the estimate needs it even without a preview). */
void stylize_preview_open_model(StylizePreview *preview, const stylize_options *options);
/* The model once open (NULL before; *error set when opening failed). */
const stylize_model *stylize_preview_model(StylizePreview *preview, const char **error);
/* Cancels the running job (settings changed). */
void stylize_preview_cancel(StylizePreview *preview);
/* Starts a run on what the zoom preview shows: source is width x height
 * pixels of bpp bytes (8-bit grey, grey+alpha, RGB or RGBA), covering a
 * region whose longest side is region_side layer pixels of a layer box whose
 * longest side is layer_side. Cancels the one before. */
void stylize_preview_start(StylizePreview *preview, const unsigned char *source, int width, int height,
                           int bpp, double region_side, double layer_side, const StylizeGimpValues *values,
                           const StylizePreviewStyle styles[2], int style_count);
/* The running job's iteration and total (0, 0 when none ran yet). */
void stylize_preview_progress(StylizePreview *preview, int *iteration, int *total);
/* Seconds per pixel-iteration the last finished preview measured (0 = none yet). */
double stylize_preview_rate(StylizePreview *preview);

/* Style files through libvips (style.c). The header: 1 with the size
 * (orientation applied), 0 when no trusted vips loader takes the file (GIMP's
 * loaders may), -1 with a message in error. */
int stylize_gimp_style_header(const char *path, int32_t *width, int32_t *height,
                              char *error, size_t error_size);
/* The pixels as 8-bit sRGB, 3 channels, alpha flattened onto white, shrunk
 * so the longest side is at most max_side (never enlarged); a truncated file
 * is an error. NULL with a message in error; free with stylize_gimp_style_free. */
uint8_t *stylize_gimp_style_decode(const char *path, int32_t max_side, int32_t *width, int32_t *height,
                                   char *error, size_t error_size);
void stylize_gimp_style_free(uint8_t *pixels);

/* Prints the dialog's ranges when $STYLIZE_GIMP_DIALOG_RANGES is set (the
 * test compares them with the option table). */
#define STYLIZE_GIMP_RANGES_ENV "STYLIZE_GIMP_DIALOG_RANGES"
/* Prints the dialog's state (OK sensitivity, the layers offered as styles,
 * preview results) when $STYLIZE_GIMP_DIALOG_STATE is set (for the test). */
#define STYLIZE_GIMP_STATE_ENV "STYLIZE_GIMP_DIALOG_STATE"

#endif
