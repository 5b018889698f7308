/*
 * stylize-gimp.h - what the Swift plug-in (plugin.swift) and its C dialog
 * (dialog.c) share. The dialog is C because GTK's API is made of C macros.
 */
#ifndef STYLIZE_GIMP_H
#define STYLIZE_GIMP_H

#include <stddef.h>
#include <stdint.h>

#define STYLIZE_GIMP_PROC "plug-in-stylize"
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
} StylizeGimpValues;

/* Defaults of the engine (stylize_options_init), filled by the plug-in. */
void stylize_gimp_values_default(StylizeGimpValues *values);

/* Shows the dialog, editing *values. image_id is the image being filtered
 * (its layers are not offered as styles: they would be the content).
 * Returns 1 on OK, 0 on Cancel or when the dialog is closed. */
int stylize_gimp_dialog(StylizeGimpValues *values, int32_t image_id);

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

#endif
