/*
 * stylize-gimp3.h - what the GIMP 3 plug-in's files share. The plug-in is C
 * because libgimp-3.0's classes (GimpPlugIn, GimpProcedure) and GTK are made
 * of GObject macros. It translates between GIMP and the installed libstylize
 * (stylize.h): arguments, ranges, defaults and help come from the library's
 * option table, values are checked only by the library's validator.
 */
#ifndef STYLIZE_GIMP3_H
#define STYLIZE_GIMP3_H

#include <libgimp/gimp.h>
#include <stylize.h>

/* The GIMP 2.10 plug-in's PDB name, so scripts port. */
#define STYLIZE_GIMP3_PROC "plug-in-stylize"
/* Its executable and folder: ~/.config/GIMP/3.0/plug-ins/stylize/stylize. */
#define STYLIZE_GIMP3_BINARY "stylize"

/* args.c: the procedure's arguments, declared from the option table. */
void stylize_gimp3_add_arguments(GimpProcedure *procedure);
/* A run's options from the config, and *blend_first, the first style's share
 * of two. FALSE with *problem (free it) when a value is not even of its
 * option's syntax (the memory budget's "2G"); ranges are the validator's. */
gboolean stylize_gimp3_options(GimpProcedureConfig *config, stylize_options *options,
                               double *blend_first, gchar **problem);
/* The library's last error in the dialog's words: an option error names its
 * label; images are named as the user sees them (layer_name, style_names). */
gchar *stylize_gimp3_error(stylize_status status, const char *layer_name,
                           const char *const *style_names, int style_count);

/* run.c: stylizes the drawable (the selection only, one undo step). FALSE
 * with *error set on failure or cancel (*cancelled then TRUE). */
gboolean stylize_gimp3_run(GimpImage *image, GimpDrawable *drawable, GimpProcedureConfig *config,
                           gboolean *cancelled, GError **error);

/* dialog.c: the dialog (GimpProcedureDialog); TRUE on OK. With this
 * variable set it prints whether OK is sensitive (the tests read it). */
#define STYLIZE_GIMP3_STATE_ENV "STYLIZE_GIMP3_DIALOG_STATE"
gboolean stylize_gimp3_dialog(GimpProcedure *procedure, GimpProcedureConfig *config,
                              GimpImage *image, GimpDrawable *drawable);

/* preview.c: the dialog's preview worker (one thread, owns the model, which
 * it opens at once for the estimate). A job: RGB u8 content, its options
 * (already the preview's: small size, few iterations), style 0 as RGB u8
 * pixels (a layer) or a path, style 1 a path. */
#define STYLIZE_GIMP3_PREVIEW_ITERATIONS 20
typedef struct StylizeGimp3Preview StylizeGimp3Preview;
typedef struct {
    guchar *content;            /* g_malloc'd; the worker frees it */
    int width, height;
    stylize_options options;
    int style_count;
    gchar *style_path[2];       /* g_malloc'd */
    guchar *style_pixels;       /* g_malloc'd, or NULL: read style_path[0] */
    int style_width, style_height;
    double blend[2];
} StylizeGimp3PreviewJob;
/* On the main loop: a job's result (pixels RGB u8, NULL unless status is OK),
 * or model_only when the model is open (or failed). */
typedef void (*StylizeGimp3PreviewDone)(gboolean model_only, stylize_status status, const char *error,
                                        const guchar *pixels, int width, int height, double seconds,
                                        int size, int iterations, gpointer user);
StylizeGimp3Preview *stylize_gimp3_preview_new(StylizeGimp3PreviewDone done, gpointer user);
void stylize_gimp3_preview_free(StylizeGimp3Preview *p);
/* Cancels the running job, then queues this one (takes its buffers). */
void stylize_gimp3_preview_start(StylizeGimp3Preview *p, StylizeGimp3PreviewJob *job);
void stylize_gimp3_preview_cancel(StylizeGimp3Preview *p);
/* The open model or NULL (*error: why it failed, or NULL while loading). */
const stylize_model *stylize_gimp3_preview_model(StylizeGimp3Preview *p, const char **error);
void stylize_gimp3_preview_progress(StylizeGimp3Preview *p, int *iteration, int *total);
/* Seconds per pixel-iteration measured by the last finished preview, 0 = none. */
double stylize_gimp3_preview_rate(StylizeGimp3Preview *p);

#endif
