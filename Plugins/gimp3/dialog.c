/*
 * dialog.c - the dialog of Filters > Artistic > Neural Style Transfer: a
 * GimpProcedureDialog over the procedure's config, so labels (nicks),
 * tooltips (blurbs), ranges and defaults (Reset) are the option table's
 * (args.c) and GIMP keeps the last values; style-weight shows as the GIMP 2.10
 * dialog's 0-100 Style strength (stylize-strength.h). C because GTK is macros.
 *
 * Above the settings a GimpDrawablePreview shows a quick low-resolution run of
 * them (preview.c's worker thread: at most 20 iterations at the preview's own
 * resolution, restarted 400 ms after the last change, the running one
 * cancelled at once) and its cost; below them one line estimates the real
 * run: memory from the library's plan (stylize_estimate), time = its
 * pixel-iterations x the seconds per pixel-iteration the last preview measured
 * (a bench figure until then). Every config change ("notify") updates both.
 * The preview only draws in its widget: the image is never touched.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gegl.h>
#include <libgimp/gimpui.h>

#include "stylize-gimp.h"   /* ../gimp/include: the libvips style reader (style.c) */
#include "stylize-gimp3.h"
#include "stylize-strength.h"

/* A weight's slider on a log scale around the table's default (default/100 to
 * default x 100): the table's ranges start at 0 and span twelve decades, a
 * linear slider over them is useless. The spin button keeps the full range. */
static void
log_slider(GimpProcedureDialog *dialog, const char *property)
{
    const stylize_option_info *info = stylize_option_find(property);
    GtkWidget *entry = gimp_procedure_dialog_get_scale_entry(dialog, property, 1.0);
    if (!info || !entry || info->default_value <= 0)
        return;
    double lower = MAX(info->default_value / 100, info->minimum), upper = MIN(info->default_value * 100, info->maximum);
    if (lower <= 0)
        return;
    gimp_scale_entry_set_bounds(GIMP_SCALE_ENTRY(entry), lower, upper, FALSE);
    gimp_scale_entry_set_logarithmic(GIMP_SCALE_ENTRY(entry), TRUE);
    gtk_widget_set_size_request(gimp_scale_entry_get_range(GIMP_SCALE_ENTRY(entry)), 160, -1);
    /* enough decimals to show the slider's lower end */
    int digits = CLAMP((int)ceil(-log10(lower)) + 1, 2, 10);
    gimp_label_spin_set_digits(GIMP_LABEL_SPIN(entry), digits);
    gtk_entry_set_width_chars(GTK_ENTRY(gimp_label_spin_get_spin_button(GIMP_LABEL_SPIN(entry))), digits + 3);
}

/* OK only with a style (a file or a layer), the share only with a second style. */
static void
update_sensitivity(GObject *config, GParamSpec *pspec, GimpProcedureDialog *dialog)
{
    GFile *file = NULL, *file2 = NULL;
    GimpDrawable *layer = NULL;
    g_object_get(config, "style-file", &file, "style-drawable", &layer, "style2-file", &file2, NULL);
    gtk_dialog_set_response_sensitive(GTK_DIALOG(dialog), GTK_RESPONSE_OK, file || layer);
    if (g_getenv(STYLIZE_GIMP3_STATE_ENV))  /* for the tests */
        g_printerr("stylize-dialog: ok-sensitive=%d\n", file || layer);
    gtk_widget_set_sensitive(gimp_procedure_dialog_get_widget(dialog, "style-blend", G_TYPE_NONE), file2 != NULL);
    g_clear_object(&file);
    g_clear_object(&file2);
    g_clear_object(&layer);
}

/* The strength slider moved: the weight it stands for (stylize-strength.h). */
static void
strength_changed(GObject *config, GParamSpec *pspec, gpointer data)
{
    double s = 0;
    g_object_get(config, "style-strength", &s, NULL);
    g_object_set(config, "style-weight", stylize_strength_weight(s), NULL);
}

/* Help opens the page installed beside the plug-in (build.sh copies help/),
 * instead of GIMP's manual, which does not know the plug-in. */
#define RESPONSE_HELP 100  /* our Help button; GimpDialog's own one opens GIMP's manual */

static void
response(GtkDialog *dialog, gint response_id, gpointer data)
{
    if (response_id != RESPONSE_HELP)
        return;
    g_signal_stop_emission_by_name(dialog, "response");  /* the dialog stays open */
    gchar *exe = g_file_read_link("/proc/self/exe", NULL);
    gchar *dir = exe ? g_path_get_dirname(exe) : g_strdup(".");
    gchar *page = g_build_filename(dir, "help", "index.html", NULL);
    gchar *uri = g_filename_to_uri(page, NULL, NULL);
    GError *error = NULL;
    if (g_getenv(STYLIZE_GIMP3_STATE_ENV))  /* for the tests */
        g_printerr("stylize-dialog: help=%s exists=%d\n", uri, g_file_test(page, G_FILE_TEST_IS_REGULAR));
    else if (!gtk_show_uri_on_window(GTK_WINDOW(dialog), uri, GDK_CURRENT_TIME, &error)) {
        g_message("Could not open the help page %s: %s", uri, error->message);
        g_error_free(error);
    }
    g_free(exe);
    g_free(dir);
    g_free(page);
    g_free(uri);
}

/* The tests' click on Help (STYLIZE_GIMP3_DIALOG_STATE=help). */
static gboolean
click_help(gpointer dialog)
{
    GtkWidget *help = gtk_dialog_get_widget_for_response(GTK_DIALOG(dialog), RESPONSE_HELP);
    if (help && gtk_widget_get_visible(help))
        gtk_button_clicked(GTK_BUTTON(help));
    return G_SOURCE_REMOVE;
}

/* GIMP's Help button (added when the dialog is shown) gives way to ours, in its place. */
static void
swap_help(GtkWidget *dialog, gpointer data)
{
    GtkWidget *gimp_help = gtk_dialog_get_widget_for_response(GTK_DIALOG(dialog), GTK_RESPONSE_HELP);
    GtkWidget *ours = gtk_dialog_get_widget_for_response(GTK_DIALOG(dialog), RESPONSE_HELP);
    if (!gimp_help || ours)
        return;
    ours = gtk_dialog_add_button(GTK_DIALOG(dialog), "_Help", RESPONSE_HELP);
    GtkWidget *box = gtk_widget_get_parent(gimp_help);
    if (GTK_IS_BUTTON_BOX(box) && gtk_widget_get_parent(ours) == box) {
        gtk_button_box_set_child_secondary(GTK_BUTTON_BOX(box), ours,
                                           gtk_button_box_get_child_secondary(GTK_BUTTON_BOX(box), gimp_help));
        gint position = 0;
        gtk_container_child_get(GTK_CONTAINER(box), gimp_help, "position", &position, NULL);
        gtk_box_reorder_child(GTK_BOX(box), ours, position);
    }
    gtk_widget_hide(gimp_help);
}

/* ---- estimate and preview ------------------------------------------------ */

/* stylize bench on 2 cores (the GIMP 2.10 dialog's figure), until the preview measures this computer */
#define BENCH_SECONDS_PER_PIXEL_ITERATION 3.6e-6

typedef struct {
    GimpProcedureDialog *dialog;
    GimpProcedureConfig *config;
    GimpDrawable *drawable;
    int box_width, box_height;   /* what the run paints: the selection's box in the layer */
    GtkWidget *preview, *preview_label, *estimate;
    StylizeGimp3Preview *worker;
    guint restart_id, progress_id;
    gboolean dirty;              /* settings changed since the last preview started */
    GdkRectangle started;        /* the layer region of the last preview started */
    guchar *shown;               /* its result (RGB u8), repainted when GIMP redraws the region */
} Ui;

static void
print_state(const char *what, const char *text)
{
    if (g_getenv(STYLIZE_GIMP3_STATE_ENV))  /* for the tests */
        g_printerr("stylize-dialog: %s%s\n", what, text ? text : "");
}

static gchar *
format_seconds(double s)
{
    if (s < 60)
        return g_strdup_printf("%.0f s", MAX(1, s));
    if (s < 3600)
        return g_strdup_printf("%d min %02d s", (int)s / 60, (int)s % 60);
    return g_strdup_printf("%d h %02d min", (int)s / 3600, (int)s % 3600 / 60);
}

static gchar *
format_bytes(double b)
{
    return b >= 1073741824.0 ? g_strdup_printf("%.1f GiB", b / 1073741824.0)
                             : g_strdup_printf("%.0f MiB", b / 1048576.0);
}

/* A style's size without decoding it: a layer's, or a file's header (FALSE
 * for a file only GIMP opens, .xcf). */
static gboolean
style_size(GFile *file, GimpDrawable *layer, stylize_image *out)
{
    int32_t w = 0, h = 0;
    char why[256];
    if (layer) {
        w = gimp_drawable_get_width(layer);
        h = gimp_drawable_get_height(layer);
    } else {
        gchar *path = g_file_get_path(file);
        int ok = path ? stylize_gimp_style_header(path, &w, &h, why, sizeof why) : 0;
        g_free(path);
        if (ok != 1)
            return FALSE;
    }
    *out = (stylize_image){ NULL, w, h, 3, (size_t)w * 3 };
    return TRUE;
}

static void
update_estimate(Ui *ui)
{
    GFile *file = NULL, *file2 = NULL;
    GimpDrawable *layer = NULL;
    g_object_get(ui->config, "style-file", &file, "style-drawable", &layer, "style2-file", &file2, NULL);
    const char *error = NULL;
    const stylize_model *model = stylize_gimp3_preview_model(ui->worker, &error);
    stylize_image content = { NULL, ui->box_width, ui->box_height, 3, (size_t)ui->box_width * 3 }, styles[2];
    stylize_options options;
    double share = 0.5;
    gchar *text = NULL, *tip = NULL, *problem = NULL;
    int count = 0;
    if (!file && !layer)
        text = g_strdup("Choose a style image to see how long it will take.");
    else if (!model)
        text = g_strdup(error ? error : "Estimating… (loading the model)");
    else if (!style_size(file, layer, &styles[0]))
        text = g_strdup("No estimate: GIMP opens this style file when the filter runs.");
    else if (!stylize_gimp3_options(ui->config, &options, &share, &problem))
        text = g_strdup_printf("Will not run: %s", problem);
    else {
        count = file2 && style_size(file2, NULL, &styles[1]) ? 2 : 1;
        double blend[2] = { share, 1 - share };
        options.style_blend = count == 2 ? blend : NULL;
        double limit = 0;
#ifdef STYLIZE_HAS_TIME_LIMIT
        /* A time limit plans the iterations from a speed the library measures
         * first: the estimate plans the iterations given and the limit caps the time. */
        limit = options.time_limit;
        options.time_limit = 0;
#endif
        stylize_estimate_info e = { .struct_size = sizeof e };
        if (stylize_estimate(model, &content, styles, count, &options, &e) == STYLIZE_OK) {
            double rate = stylize_gimp3_preview_rate(ui->worker);
            double seconds = e.pixel_iterations * (rate > 0 ? rate : BENCH_SECONDS_PER_PIXEL_ITERATION);
            gboolean limited = limit > 0 && limit < seconds;
            gchar *t = format_seconds(limited ? limit : seconds), *m = format_bytes((double)e.peak_bytes);
            text = g_strdup_printf("The filter will take about %s%s and %s of memory%s.", t,
                                   rate > 0 || limited ? "" : " (rough until the preview has run)", m,
                                   e.tiled ? ", painted in tiles to stay within the memory limit" : "");
            tip = g_strdup_printf("%d level%s, the finest %d × %d px; %.3g pixel-iterations at %.2f µs each "
                                  "(%s). Memory is the library's plan for these sizes.",
                                  e.levels, e.levels == 1 ? "" : "s", e.width, e.height, e.pixel_iterations,
                                  (rate > 0 ? rate : BENCH_SECONDS_PER_PIXEL_ITERATION) * 1e6,
                                  rate > 0 ? "measured by the last preview on this computer"
                                           : "stylize bench on 2 cores; the preview measures this computer");
            g_free(t);
            g_free(m);
        } else {
            const stylize_option_info *o = stylize_last_error_option();
            text = o ? g_strdup_printf("Will not run: %s: %s", o->label ? o->label : o->gimp,
                                       stylize_last_error_problem())
                     : g_strdup_printf("Will not run: %s", stylize_last_error());
        }
    }
    gtk_label_set_text(GTK_LABEL(ui->estimate), text);
    gtk_widget_set_tooltip_text(ui->estimate, tip);
    print_state("estimate=", text);
    g_free(text);
    g_free(tip);
    g_free(problem);
    g_clear_object(&file);
    g_clear_object(&file2);
    g_clear_object(&layer);
}

static gboolean
preview_progress(gpointer data)
{
    Ui *ui = data;
    int iteration = 0, total = 0;
    stylize_gimp3_preview_progress(ui->worker, &iteration, &total);
    gchar *text = total > 0 && iteration > 0
        ? g_strdup_printf("Preview: iteration %d of %d…", iteration, total)
        : g_strdup(stylize_gimp3_preview_model(ui->worker, NULL) ? "Preview: starting…" : "Preview: loading the model…");
    gtk_label_set_text(GTK_LABEL(ui->preview_label), text);
    print_state("preview-progress=", text);  /* the main loop runs while the worker works */
    g_free(text);
    return G_SOURCE_CONTINUE;
}

static void
stop_progress(Ui *ui)
{
    if (ui->progress_id)
        g_source_remove(ui->progress_id);
    ui->progress_id = 0;
}

/* A preview run (or the model) is back, on the main loop. */
static void
preview_done(gboolean model_only, stylize_status status, const char *error, const guchar *pixels,
             int width, int height, double seconds, int size, int iterations, gpointer user)
{
    Ui *ui = user;
    if (model_only) {
        update_estimate(ui);
        return;
    }
    stop_progress(ui);
    gchar *text = NULL;
    if (status == STYLIZE_OK) {
        gint w = 0, h = 0;
        gimp_preview_get_size(GIMP_PREVIEW(ui->preview), &w, &h);
        double change = 0;  /* for the tests: the result's mean difference from the layer region */
        if (g_getenv(STYLIZE_GIMP3_STATE_ENV) && ui->started.width == width && ui->started.height == height) {
            guchar *layer = g_malloc((size_t)width * height * 3);
            GeglBuffer *buffer = gimp_drawable_get_buffer(ui->drawable);
            gegl_buffer_get(buffer, &(GeglRectangle){ ui->started.x, ui->started.y, width, height }, 1.0,
                            babl_format("R'G'B' u8"), layer, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
            g_object_unref(buffer);
            for (size_t i = 0; i < (size_t)width * height * 3; i++)
                change += abs(layer[i] - pixels[i]);
            change /= (double)width * height * 3;
            g_free(layer);
        }
        gchar *size_state = g_strdup_printf("%dx%d (preview %dx%d), mean change %.1f of 255", width, height,
                                            w, h, change);
        print_state("preview-painted=", size_state);
        g_free(size_state);
        if (w == width && h == height) {  /* drawn in the widget only, never into the image */
            gimp_preview_area_draw(GIMP_PREVIEW_AREA(gimp_preview_get_area(GIMP_PREVIEW(ui->preview))), 0, 0,
                                   width, height, GIMP_RGB_IMAGE, pixels, width * 3);
            g_free(ui->shown);
            ui->shown = g_memdup2(pixels, (gsize)width * height * 3);
        }
        gchar *t = format_seconds(seconds);
        text = g_strdup_printf("Preview: %s (painted at %d px, %d iterations; a quick look, the result is finer)",
                               t, size, iterations);
        g_free(t);
        gtk_label_set_text(GTK_LABEL(ui->preview_label), text);
        print_state("preview-done=", text);
        update_estimate(ui);  /* now with this computer's measured speed */
    } else if (status != STYLIZE_ERROR_CANCELLED) {
        text = g_strdup_printf("Preview failed: %s", error);
        gtk_label_set_text(GTK_LABEL(ui->preview_label), text);
        print_state("preview-failed=", text);
    }
    g_free(text);
}

/* A style layer's pixels (RGB u8, at most 512 px a side), read here: libgimp
 * is the main thread's. */
static guchar *
layer_pixels(GimpDrawable *layer, int *width, int *height)
{
    gint w = 0, h = 0, bpp = 0;
    GBytes *bytes = gimp_drawable_get_thumbnail_data(layer, 512, 512, &w, &h, &bpp);
    guchar *rgb = NULL;
    gsize n = 0;
    const guchar *t = bytes ? g_bytes_get_data(bytes, &n) : NULL;
    if (t && bpp >= 1 && bpp <= 4 && n >= (gsize)w * h * bpp) {
        rgb = g_malloc((size_t)w * h * 3);
        for (int i = 0; i < w * h; i++)
            for (int k = 0; k < 3; k++)  /* grey (+ alpha) to RGB; alpha is not used */
                rgb[i * 3 + k] = t[i * bpp + (bpp < 3 ? 0 : k)];
        *width = w;
        *height = h;
    }
    if (bytes)
        g_bytes_unref(bytes);
    return rgb;
}

/* Reads what the preview shows and queues a run of it (main loop). The run
 * keeps the full run's proportions: the full run paints the box (longest side
 * L) at the detail size D (0 = L), so the region shown (longest side R layer
 * px) is painted at R x D / L px, no finer than the preview shows it, with
 * the style scale x L / R so strokes cover the same part of the picture. */
static gboolean
preview_start(gpointer data)
{
    Ui *ui = data;
    ui->restart_id = 0;
    if (!gimp_preview_get_update(GIMP_PREVIEW(ui->preview)))
        return G_SOURCE_REMOVE;
    GFile *file = NULL, *file2 = NULL;
    GimpDrawable *layer = NULL;
    g_object_get(ui->config, "style-file", &file, "style-drawable", &layer, "style2-file", &file2, NULL);
    StylizeGimp3PreviewJob job = { 0 };
    double share = 0.5;
    gchar *problem = NULL;
    const char *why = NULL;
    gint x = 0, y = 0, w = 0, h = 0;
    gimp_preview_get_position(GIMP_PREVIEW(ui->preview), &x, &y);
    gimp_preview_get_size(GIMP_PREVIEW(ui->preview), &w, &h);
    if (!file && !layer)
        why = "Preview: choose a style image first.";
    else if (w < STYLIZE_MIN_SIDE || h < STYLIZE_MIN_SIDE)
        why = "Preview: the layer is too small to preview.";
    else if (!stylize_gimp3_options(ui->config, &job.options, &share, &problem))
        why = "Preview: the settings are not valid (see below).";
    else if (layer && !(job.style_pixels = layer_pixels(layer, &job.style_width, &job.style_height)))
        why = "Preview: the style layer could not be read.";
    ui->dirty = FALSE;
    ui->started = (GdkRectangle){ x, y, w, h };
    g_clear_pointer(&ui->shown, g_free);
    if (why) {
        gtk_label_set_text(GTK_LABEL(ui->preview_label), why);
    } else {
        job.style_count = 0;
        if (!layer)
            job.style_path[0] = g_file_get_path(file);
        job.style_count = 1;
        if (file2) {
            job.style_path[1] = g_file_get_path(file2);
            job.style_count = 2;
        }
        job.blend[0] = share;
        job.blend[1] = 1 - share;
        job.width = w;
        job.height = h;
        job.content = g_malloc((size_t)w * h * 3);
        GeglBuffer *buffer = gimp_drawable_get_buffer(ui->drawable);
        gegl_buffer_get(buffer, GEGL_RECTANGLE(x, y, w, h), 1.0, babl_format("R'G'B' u8"), job.content,
                        GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
        g_object_unref(buffer);
        double box = MAX(ui->box_width, ui->box_height), region = MAX(w, h);
        double detail = job.options.size > 0 ? job.options.size : box;
        const stylize_option_info *scale = stylize_option_find("style-scale");
        int side = (int)MIN(region, round(region * detail / box));
        job.options.size = MAX(side, STYLIZE_MIN_SIDE);
        job.options.style_scale = MIN(scale ? scale->maximum : 8, job.options.style_scale * box / region);
        job.options.iterations = MIN(job.options.iterations, STYLIZE_GIMP3_PREVIEW_ITERATIONS);
        job.options.scales = 1;        /* one level: the preview is small */
        job.options.max_memory = 0;
        job.options.mask = NULL;
#ifdef STYLIZE_HAS_OUTPUT_SIZE
        job.options.output_size = 0;   /* up to the preview's own resolution */
#endif
#ifdef STYLIZE_HAS_TIME_LIMIT
        job.options.time_limit = 0;    /* its own small iteration count instead */
#endif
        gchar *state = g_strdup_printf("size=%d iterations=%d", job.options.size, job.options.iterations);
        stylize_gimp3_preview_start(ui->worker, &job);
        print_state("preview-started ", state);
        g_free(state);
        preview_progress(ui);
        if (!ui->progress_id)
            ui->progress_id = g_timeout_add(250, preview_progress, ui);
    }
    g_free(job.style_pixels);
    g_free(problem);
    g_clear_object(&file);
    g_clear_object(&file2);
    g_clear_object(&layer);
    return G_SOURCE_REMOVE;
}

/* A setting changed or the view moved: cancel the running preview at once,
 * start the next one when the changes pause (a slider drag is many changes). */
static void
schedule_preview(Ui *ui)
{
    stylize_gimp3_preview_cancel(ui->worker);
    stop_progress(ui);
    if (ui->restart_id)
        g_source_remove(ui->restart_id);
    ui->restart_id = g_timeout_add(400, preview_start, ui);
}

static void
settings_changed(GObject *config, GParamSpec *pspec, Ui *ui)
{
    ui->dirty = TRUE;
    update_estimate(ui);
    schedule_preview(ui);
}

/* GIMP redrew the region (scrolled, resized, toggled): a new run only for a
 * new region; the same one gets the last result again (or the running job's). */
static void
preview_invalidated(GimpPreview *preview, Ui *ui)
{
    GdkRectangle now = { 0 };
    gimp_preview_get_position(preview, &now.x, &now.y);
    gimp_preview_get_size(preview, &now.width, &now.height);
    if (ui->dirty || ui->restart_id || !gdk_rectangle_equal(&now, &ui->started) || !gimp_preview_get_update(preview))
        schedule_preview(ui);
    else if (ui->shown)
        gimp_preview_area_draw(GIMP_PREVIEW_AREA(gimp_preview_get_area(preview)), 0, 0, now.width, now.height,
                               GIMP_RGB_IMAGE, ui->shown, now.width * 3);
}

gboolean
stylize_gimp3_dialog(GimpProcedure *procedure, GimpProcedureConfig *config, GimpImage *image, GimpDrawable *drawable)
{
    gimp_ui_init(STYLIZE_GIMP3_BINARY);
    GtkWidget *widget = gimp_procedure_dialog_new(procedure, config, "Neural Style Transfer");
    GimpProcedureDialog *dialog = GIMP_PROCEDURE_DIALOG(widget);
    gtk_window_set_default_size(GTK_WINDOW(widget), 480, -1);  /* room for the sliders and file names */

    /* Style strength 0-100 for the weight; a weight off the slider's scale
     * (from a script) stays as it is until the slider moves. */
    double weight = 0;
    g_object_get(config, "style-weight", &weight, NULL);
    g_object_set(config, "style-strength", stylize_weight_strength(weight), NULL);
    GtkWidget *strength = gimp_procedure_dialog_get_scale_entry(dialog, "style-strength", 1.0);
    gimp_label_spin_set_digits(GIMP_LABEL_SPIN(strength), 0);
    log_slider(dialog, "content-weight");
    gimp_procedure_dialog_fill_box(dialog, "style-box", "style-file", "style-drawable", "style2-file",
                                   "style-blend", NULL);
    gimp_procedure_dialog_get_label(dialog, "style-title", "Style", FALSE, FALSE);
    gimp_procedure_dialog_fill_frame(dialog, "style-frame", "style-title", FALSE, "style-box");
    gimp_procedure_dialog_fill_box(dialog, "advanced-box", "content-weight", "preserve-colors", "scales",
                                   "seed", "max-memory", NULL);
    gimp_procedure_dialog_get_label(dialog, "advanced-title", "Advanced", FALSE, FALSE);
    gimp_procedure_dialog_fill_expander(dialog, "advanced", "advanced-title", FALSE, "advanced-box");
    /* The main list; arguments newer than 2.10's (final size, time limit) where declared. */
    const char *const main_ids[] = { "style-frame", "style-strength", "size", "output-size", "style-scale",
                                     "iterations", "time-limit", "advanced" };
    GList *ids = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(main_ids); i++)
        if (g_str_has_suffix(main_ids[i], "frame") || strcmp(main_ids[i], "advanced") == 0
            || g_object_class_find_property(G_OBJECT_GET_CLASS(config), main_ids[i]))
            ids = g_list_append(ids, (gpointer)main_ids[i]);
    gimp_procedure_dialog_fill_list(dialog, ids);
    g_list_free(ids);

    /* The preview above the settings, the estimate below them. */
    gegl_init(NULL, NULL);
    Ui ui = { .dialog = dialog, .config = config, .drawable = drawable };
    int x, y;
    if (!gimp_drawable_mask_intersect(drawable, &x, &y, &ui.box_width, &ui.box_height)) {
        ui.box_width = gimp_drawable_get_width(drawable);
        ui.box_height = gimp_drawable_get_height(drawable);
    }
    GtkWidget *content = gtk_dialog_get_content_area(GTK_DIALOG(widget));
    GtkWidget *top = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
    ui.preview = gimp_drawable_preview_new_from_drawable(drawable);
    ui.preview_label = gtk_label_new("");
    ui.estimate = gtk_label_new("");
    for (int i = 0; i < 2; i++) {
        GtkWidget *label = i ? ui.estimate : ui.preview_label;
        gtk_label_set_line_wrap(GTK_LABEL(label), TRUE);
        gtk_label_set_max_width_chars(GTK_LABEL(label), 60);
        gtk_label_set_xalign(GTK_LABEL(label), 0);
    }
    gimp_label_set_attributes(GTK_LABEL(ui.estimate), PANGO_ATTR_WEIGHT, PANGO_WEIGHT_BOLD, -1);
    gtk_box_pack_start(GTK_BOX(top), ui.preview, FALSE, FALSE, 0);  /* its size stays as the labels change */
    gtk_box_pack_start(GTK_BOX(top), ui.preview_label, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(content), top, TRUE, TRUE, 0);
    gtk_box_reorder_child(GTK_BOX(content), top, 0);
    gtk_box_pack_end(GTK_BOX(content), ui.estimate, FALSE, FALSE, 6);
    gtk_widget_show_all(top);
    gtk_widget_show(ui.estimate);
    ui.worker = stylize_gimp3_preview_new(preview_done, &ui);

    g_signal_connect(widget, "response", G_CALLBACK(response), NULL);
    g_signal_connect(widget, "show", G_CALLBACK(swap_help), NULL);
    if (g_strcmp0(g_getenv(STYLIZE_GIMP3_STATE_ENV), "help") == 0)
        g_timeout_add(500, click_help, widget);
    g_signal_connect(config, "notify", G_CALLBACK(update_sensitivity), dialog);
    g_signal_connect(config, "notify::style-strength", G_CALLBACK(strength_changed), NULL);
    g_signal_connect(config, "notify", G_CALLBACK(settings_changed), &ui);
    g_signal_connect(ui.preview, "invalidated", G_CALLBACK(preview_invalidated), &ui);
    update_sensitivity(G_OBJECT(config), NULL, dialog);
    update_estimate(&ui);
    schedule_preview(&ui);
    gboolean ok = gimp_procedure_dialog_run(dialog);
    g_signal_handlers_disconnect_by_func(config, update_sensitivity, dialog);
    g_signal_handlers_disconnect_by_func(config, strength_changed, NULL);
    g_signal_handlers_disconnect_by_func(config, settings_changed, &ui);
    g_signal_handlers_disconnect_by_func(ui.preview, preview_invalidated, &ui);
    if (ui.restart_id)
        g_source_remove(ui.restart_id);
    stop_progress(&ui);
    stylize_gimp3_preview_free(ui.worker);  /* cancels a running preview, closes its model */
    g_free(ui.shown);
    gtk_widget_destroy(widget);
    return ok;
}
