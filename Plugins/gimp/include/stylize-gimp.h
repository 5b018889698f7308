/*
 * stylize-gimp.h - what the Swift plug-in (plugin.swift) and its C dialog
 * (dialog.c) share. The dialog is C because GTK's API is made of C macros.
 */
#ifndef STYLIZE_GIMP_H
#define STYLIZE_GIMP_H

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

#endif
