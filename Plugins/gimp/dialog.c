/*
 * dialog.c - the GTK 2 dialog of Filters > Artistic > Neural Style Transfer.
 * C because gimp_dialog_new is variadic and GTK's casts and signals are
 * macros; the procedure itself is in plugin.swift, the preview's worker in
 * preview.c.
 *
 * Labels, units, tooltips and the spin buttons' ranges come from the
 * engine's option table (stylize_option_find): the dialog takes every value
 * the table takes and the library's validator decides. Two controls are
 * made for people rather than for the engine:
 *   Style strength, 0-100: the style weight w = 10^(-6 + s/25), so 50 is the
 *     default 1e-4 and every 25 steps multiply the weight by ten (useful
 *     weights span decades); the raw weight is in the tooltip.
 *   Detail size with a line saying what the run paints and what the layer
 *     gets back.
 * Below the settings an estimate of time and memory follows every change:
 * memory from the library's plan (stylize_estimate), time from its work
 * (pixel-iterations) times the seconds per pixel-iteration the preview last
 * measured on this machine, or README's bench figure before that.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <stylize.h>

#include "stylize-gimp.h"

#define RESPONSE_RESET 1

/* Style strength s (0-100) <-> style weight w = 10^(LOW + (HIGH - LOW) s / 100). */
#define STRENGTH_LOG_LOW  (-6.0)
#define STRENGTH_LOG_HIGH (-2.0)

/* Seconds per pixel-iteration before the preview has measured this machine:
 * `stylize bench` on 2 cores of an EPYC (README: Performance), 0.993 s per
 * iteration at 512 px = 528 x 528 optimised pixels with the margin. */
#define BENCH_SECONDS_PER_PIXEL_ITERATION 3.6e-6

#define THUMB_SIDE 64

typedef struct {
    StylizeGimpValues *values;
    double original_weight;    /* kept unless the strength slider moves */
    gint32 image_id, drawable_id;
    int box_width, box_height; /* what the run paints: the selection's box in the layer */
    GtkWidget *dialog;
    GtkWidget *preview;        /* GimpZoomPreview */
    GtkWidget *preview_label;
    GtkWidget *from_file, *from_layer, *file_chooser, *layer_combo, *thumb;
    GtkWidget *mix, *file2_chooser, *thumb2;
    GtkObject *blend;
    GtkObject *strength;       /* 0-100, logarithmic in the weight */
    GtkObject *detail;
    GtkObject *output_size;    /* final size, 0 = the layer's */
    GtkWidget *size_note;
    GtkObject *iterations;
    GtkObject *time_limit;     /* seconds, 0 = none (then iterations count) */
    GtkObject *content_weight;
    GtkObject *style_scale;
    GtkObject *scales;
    GtkWidget *colors;
    GtkObject *memory;         /* MiB, 0 = no limit */
    GtkWidget *estimate;
    int layers_offered;
    StylizePreview *worker;
    guint restart_id;          /* pending (debounced) preview start */
    guint progress_id;         /* label updates while a preview runs */
    gboolean building;         /* widgets being filled: no signals yet */
    gboolean preview_running;
    gint64 preview_started;
    gboolean closing;          /* results still arriving are dropped */
} Dialog;

/* ---- test hook ------------------------------------------------------- */

static gboolean
ok_sensitive(Dialog *d)
{
    GtkWidget *ok = gtk_dialog_get_widget_for_response(GTK_DIALOG(d->dialog), GTK_RESPONSE_OK);
    return ok && gtk_widget_get_sensitive(ok);
}

/* One line on stderr per event when $STYLIZE_GIMP_DIALOG_STATE is set. */
static void
print_state(Dialog *d, const char *event)
{
    if (!getenv(STYLIZE_GIMP_STATE_ENV))
        return;
    GString *ids = g_string_new("");
    GtkTreeModel *model = gtk_combo_box_get_model(GTK_COMBO_BOX(d->layer_combo));
    GtkTreeIter iter;
    for (gboolean more = gtk_tree_model_get_iter_first(model, &iter); more; more = gtk_tree_model_iter_next(model, &iter)) {
        gint id = -1;
        gtk_tree_model_get(model, &iter, GIMP_INT_STORE_VALUE, &id, -1);
        if (id > 0)
            g_string_append_printf(ids, "%s%d", ids->len ? "," : "", id);
    }
    fprintf(stderr, "DIALOG-STATE %s ok=%d drawable=%d offered=%s preview=%s estimate=%s\n", event,
            ok_sensitive(d), d->drawable_id, ids->len ? ids->str : "none",
            gtk_label_get_text(GTK_LABEL(d->preview_label)), gtk_label_get_text(GTK_LABEL(d->estimate)));
    g_string_free(ids, TRUE);
}

/* ---- option table ---------------------------------------------------- */

static const stylize_option_info *
table_option(const char *gimp)
{
    const stylize_option_info *info = stylize_option_find(gimp);
    if (!info)
        g_error("libstylize has no option '%s': rebuild the plug-in against the installed library", gimp);
    return info;
}

/* Mnemonic letters already taken: the buttons (_Help, _Reset, _Cancel, _OK),
 * the preview's check box (_Preview) and the style source widgets (Image
 * _file, Open _layer, _Mix with) and the _Advanced expander. */
static char mnemonics[64] = "hrcopflma";

/* "Detail size" -> "_Detail size (px):" with the first letter not yet taken. */
static gchar *
mnemonic_label(const char *label, const char *unit)
{
    gchar *suffix = unit && *unit ? g_strdup_printf(" (%s)", unit) : g_strdup("");
    const char *at = NULL;
    for (const char *p = label; *p && !at; p++)
        if (isalpha((unsigned char) *p) && !strchr(mnemonics, tolower((unsigned char) *p)))
            at = p;
    gchar *text;
    if (!at)
        text = g_strdup_printf("%s%s:", label, suffix);
    else {
        size_t n = strlen(mnemonics);
        if (n + 1 < sizeof mnemonics) {
            mnemonics[n] = (char) tolower((unsigned char) *at);
            mnemonics[n + 1] = 0;
        }
        text = g_strdup_printf("%.*s_%s%s:", (int) (at - label), label, at, suffix);
    }
    g_free(suffix);
    return text;
}

/* Logarithmic sliders. GIMP's own logarithmic mode shifts the whole scale by
 * the spin button's lower bound when that is 0 (log(v + 0.1)), which crams
 * 0.01..1 into a corner; the table's weights start at 0. So the slider gets
 * its own adjustment over log(slider range), coupled to the spin button both
 * ways; a spin value under the slider's range puts it at its end. */
static void log_spin_changed(GtkAdjustment *spin, GtkAdjustment *slider);

static void
log_slider_moved(GtkAdjustment *slider, GtkAdjustment *spin)
{
    g_signal_handlers_block_by_func(spin, log_spin_changed, slider);
    gtk_adjustment_set_value(spin, exp(gtk_adjustment_get_value(slider)));
    g_signal_handlers_unblock_by_func(spin, log_spin_changed, slider);
}

static void
log_spin_changed(GtkAdjustment *spin, GtkAdjustment *slider)
{
    double v = gtk_adjustment_get_value(spin);
    g_signal_handlers_block_by_func(slider, log_slider_moved, spin);
    gtk_adjustment_set_value(slider, v > 0 ? log(v) : gtk_adjustment_get_lower(slider));
    g_signal_handlers_unblock_by_func(slider, log_slider_moved, spin);
}

static void
log_slider(GtkObject *entry, double lower, double upper)
{
    GtkAdjustment *spin = GIMP_SCALE_ENTRY_SPINBUTTON_ADJ(entry);
    double lo = log(lower), hi = log(upper), v = gtk_adjustment_get_value(spin);
    GtkObject *slider = gtk_adjustment_new(v > 0 ? log(v) : lo, lo, hi, (hi - lo) / 100, (hi - lo) / 10, 0);
    gtk_range_set_adjustment(GTK_RANGE(GIMP_SCALE_ENTRY_SCALE(entry)), GTK_ADJUSTMENT(slider));
    g_signal_connect(slider, "value-changed", G_CALLBACK(log_slider_moved), spin);
    g_signal_connect(spin, "value-changed", G_CALLBACK(log_spin_changed), slider);
}

/* A scale entry for option `gimp`: the table's label, unit and help; the
 * spin button takes lower..upper (the table's range, in the dialog's unit),
 * the slider slider_lower..slider_upper. */
static GtkObject *
option_entry(GtkTable *table, int row, const char *gimp, const char *unit, double value,
             double lower, double upper, double slider_lower, double slider_upper,
             double step, double page, int digits, gboolean logarithmic)
{
    const stylize_option_info *info = table_option(gimp);
    gchar *text = mnemonic_label(info->label ? info->label : info->gimp, unit ? unit : info->unit);
    GtkObject *adj = gimp_scale_entry_new(table, 0, row, text, 180, 8, value,
                                          slider_lower, slider_upper, step, page, digits,
                                          FALSE, lower, upper, info->help, NULL);
    g_free(text);
    if (logarithmic)
        log_slider(adj, slider_lower, slider_upper);
    g_object_set_data(G_OBJECT(adj), "stylize-gimp-name", (gpointer) info->gimp);
    return adj;
}

static GtkWidget *
settings_table(GtkWidget *box, const char *title, int rows)
{
    GtkWidget *frame = gimp_frame_new(title);
    gtk_box_pack_start(GTK_BOX(box), frame, FALSE, FALSE, 0);
    GtkWidget *table = gtk_table_new(rows, 3, FALSE);
    gtk_table_set_col_spacings(GTK_TABLE(table), 6);
    gtk_table_set_row_spacings(GTK_TABLE(table), 4);
    gtk_container_add(GTK_CONTAINER(frame), table);
    return table;
}

/* For the test: each entry's name, spin button range and value, one line
 * each, when $STYLIZE_GIMP_DIALOG_RANGES is set. Style strength prints the
 * weights its slider's ends stand for and the weight it shows. */
static double strength_weight(double s);

static void
print_ranges(Dialog *d, GtkObject **entries, int n, const char *when)
{
    if (!getenv(STYLIZE_GIMP_RANGES_ENV))
        return;
    for (int i = 0; i < n; i++) {
        GtkAdjustment *spin = GIMP_SCALE_ENTRY_SPINBUTTON_ADJ(entries[i]);
        fprintf(stderr, "DIALOG-RANGE %s %s %.17g %.17g %.17g\n", when,
                (const char *) g_object_get_data(G_OBJECT(entries[i]), "stylize-gimp-name"),
                gtk_adjustment_get_lower(spin), gtk_adjustment_get_upper(spin),
                gtk_adjustment_get_value(spin));
    }
    GtkAdjustment *s = GTK_ADJUSTMENT(d->strength);
    fprintf(stderr, "DIALOG-STRENGTH %s %.17g %.17g %.17g\n", when, strength_weight(gtk_adjustment_get_lower(s)),
            strength_weight(gtk_adjustment_get_upper(s)), strength_weight(gtk_adjustment_get_value(s)));
}

/* ---- style strength --------------------------------------------------- */

static double
strength_weight(double s)
{
    return pow(10, STRENGTH_LOG_LOW + (STRENGTH_LOG_HIGH - STRENGTH_LOG_LOW) * s / 100);
}

static double
weight_strength(double w)
{
    if (!(w > 0))
        return 0;
    double s = (log10(w) - STRENGTH_LOG_LOW) / (STRENGTH_LOG_HIGH - STRENGTH_LOG_LOW) * 100;
    return CLAMP(s, 0, 100);
}

/* The weight the dialog stands for: the original one while the slider
 * still shows it (a batch value outside the slider's range survives). */
static double
current_weight(Dialog *d)
{
    double s = gtk_adjustment_get_value(GTK_ADJUSTMENT(d->strength));
    return fabs(s - weight_strength(d->original_weight)) < 1e-9 ? d->original_weight : strength_weight(s);
}

static void
strength_tooltip(Dialog *d)
{
    const stylize_option_info *o = table_option("style-weight");
    gchar *tip = g_strdup_printf("How strongly the style's textures and colors are imposed: 0 = faint, "
                                 "100 = the style dominates. Each 25 steps multiply the style weight by 10; "
                                 "50 is the default.\nStyle weight now: %.3g (%s)", current_weight(d), o->help);
    gimp_help_set_help_data(GIMP_SCALE_ENTRY_SCALE(d->strength), tip, NULL);
    gimp_help_set_help_data(GIMP_SCALE_ENTRY_SPINBUTTON(d->strength), tip, NULL);
    g_free(tip);
}

/* ---- reading the widgets ----------------------------------------------- */

static gboolean
use_layer(Dialog *d)
{
    return gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(d->from_layer));
}

static gboolean
use_mix(Dialog *d)
{
    return gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(d->mix));
}

/* The widgets into *v (on OK, and for the estimate and preview). */
static void
read_values(Dialog *d, StylizeGimpValues *v)
{
    gchar *file = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(d->file_chooser));
    g_strlcpy(v->style_file, file ? file : "", sizeof v->style_file);
    g_free(file);
    gint layer = -1;
    if (use_layer(d))
        gimp_int_combo_box_get_active(GIMP_INT_COMBO_BOX(d->layer_combo), &layer);
    v->style_drawable = layer > 0 ? layer : -1;
    v->style_weight = current_weight(d);
    v->size = (int32_t) gtk_adjustment_get_value(GTK_ADJUSTMENT(d->detail));
    v->output_size = (int32_t) gtk_adjustment_get_value(GTK_ADJUSTMENT(d->output_size));
    v->time_limit = gtk_adjustment_get_value(GTK_ADJUSTMENT(d->time_limit));
    v->iterations = (int32_t) gtk_adjustment_get_value(GTK_ADJUSTMENT(d->iterations));
    v->content_weight = gtk_adjustment_get_value(GTK_ADJUSTMENT(d->content_weight));
    v->style_scale = gtk_adjustment_get_value(GTK_ADJUSTMENT(d->style_scale));
    v->scales = (int32_t) gtk_adjustment_get_value(GTK_ADJUSTMENT(d->scales));
    gchar *file2 = use_mix(d) ? gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(d->file2_chooser)) : NULL;
    g_strlcpy(v->style2_file, file2 ? file2 : "", sizeof v->style2_file);
    g_free(file2);
    v->style_blend = gtk_adjustment_get_value(GTK_ADJUSTMENT(d->blend));
    v->max_memory_mb = (int32_t) gtk_adjustment_get_value(GTK_ADJUSTMENT(d->memory));
    gint colors = 0;
    gimp_int_combo_box_get_active(GIMP_INT_COMBO_BOX(d->colors), &colors);
    v->preserve_colors = colors;
}

/* Whether a style is chosen: OK waits for one. */
static gboolean
style_chosen(Dialog *d)
{
    if (use_layer(d)) {
        gint layer = -1;
        return gimp_int_combo_box_get_active(GIMP_INT_COMBO_BOX(d->layer_combo), &layer) && layer > 0;
    }
    gchar *file = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(d->file_chooser));
    gboolean chosen = file && *file;
    g_free(file);
    return chosen;
}

/* ---- thumbnails --------------------------------------------------------- */

static void
file_thumbnail(GtkWidget *image, const char *path)
{
    int32_t w = 0, h = 0;
    char error[512] = "";
    const char *tip = NULL;
    GdkPixbuf *pixbuf = NULL;
    if (path && *path) {
        int header = stylize_gimp_style_header(path, &w, &h, error, sizeof error);
        if (header == 1 && stylize_check_image(w, h, "Style image") != STYLIZE_OK)
            tip = stylize_last_error();  /* never decode what the run would refuse */
        else if (header == 1) {
            unsigned char *pixels = stylize_gimp_style_decode(path, THUMB_SIDE, &w, &h, error, sizeof error);
            if (pixels) {
                GdkPixbuf *view = gdk_pixbuf_new_from_data(pixels, GDK_COLORSPACE_RGB, FALSE, 8, w, h, w * 3,
                                                           NULL, NULL);
                pixbuf = gdk_pixbuf_copy(view);
                g_object_unref(view);
                stylize_gimp_style_free(pixels);
            } else
                tip = error;
        } else
            tip = header == 0 ? "GIMP opens this file when the filter runs (no thumbnail)" : error;
    }
    if (pixbuf) {
        gtk_image_set_from_pixbuf(GTK_IMAGE(image), pixbuf);
        g_object_unref(pixbuf);
    } else
        gtk_image_set_from_stock(GTK_IMAGE(image), path && *path ? GTK_STOCK_MISSING_IMAGE : GTK_STOCK_FILE,
                                 GTK_ICON_SIZE_DIALOG);
    gimp_help_set_help_data(image, tip, NULL);
}

static void
update_thumbnails(Dialog *d)
{
    if (use_layer(d)) {
        gint layer = -1;
        GdkPixbuf *pixbuf = NULL;
        if (gimp_int_combo_box_get_active(GIMP_INT_COMBO_BOX(d->layer_combo), &layer) && layer > 0)
            pixbuf = gimp_drawable_get_thumbnail(layer, THUMB_SIDE, THUMB_SIDE, GIMP_PIXBUF_SMALL_CHECKS);
        if (pixbuf) {
            gtk_image_set_from_pixbuf(GTK_IMAGE(d->thumb), pixbuf);
            g_object_unref(pixbuf);
        } else
            gtk_image_set_from_stock(GTK_IMAGE(d->thumb), GTK_STOCK_FILE, GTK_ICON_SIZE_DIALOG);
        gimp_help_set_help_data(d->thumb, NULL, NULL);
    } else {
        gchar *file = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(d->file_chooser));
        file_thumbnail(d->thumb, file);
        g_free(file);
    }
    gchar *file2 = use_mix(d) ? gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(d->file2_chooser)) : NULL;
    file_thumbnail(d->thumb2, file2);
    gtk_widget_set_sensitive(d->thumb2, use_mix(d));
    g_free(file2);
}

/* ---- size note and estimate --------------------------------------------- */

static gchar *
format_seconds(double s)
{
    if (s < 60)
        return g_strdup_printf("%.0f s", MAX(1, s));
    if (s < 3600)
        return g_strdup_printf("%d min %02d s", (int) s / 60, (int) s % 60);
    return g_strdup_printf("%d h %02d min", (int) s / 3600, (int) s % 3600 / 60);
}

static gchar *
format_bytes(double b)
{
    if (b >= 1073741824.0)
        return g_strdup_printf("%.1f GiB", b / 1073741824.0);
    return g_strdup_printf("%.0f MiB", b / 1048576.0);
}

/* W x H scaled so its longest side is `side`. */
static void
scaled(int w, int h, int side, int *sw, int *sh)
{
    double s = (double) side / MAX(w, h);
    *sw = MAX(1, (int) round(w * s));
    *sh = MAX(1, (int) round(h * s));
}

/* What the run paints and what the layer gets back, in plain words: the
 * picture is composed at the detail size (brush strokes, large shapes), then
 * painted in finer detail up to the final size (0 = the layer's), and the
 * layer always keeps its own size. */
static void
update_size_note(Dialog *d, const StylizeGimpValues *v)
{
    int w = d->box_width, h = d->box_height, longest = MAX(w, h);
    int final = v->output_size > 0 ? v->output_size : longest;
    int compose = v->size > 0 ? MIN(v->size, final) : final;
    int cw, ch, fw, fh;
    scaled(w, h, compose, &cw, &ch);
    scaled(w, h, final, &fw, &fh);
    GString *text = g_string_new("");
    g_string_append_printf(text, "Brush strokes are laid out at %d × %d px", cw, ch);
    if (final > compose)
        g_string_append_printf(text, ", then painted in finer detail up to %d × %d px", fw, fh);
    if (final == longest)
        g_string_append_printf(text, ": the layer's own size, which it keeps.");
    else
        g_string_append_printf(text, ", then %s to the layer's %d × %d px (the layer keeps its size).",
                               final < longest ? "enlarged" : "reduced", w, h);
    if (final < longest)
        g_string_append(text, " Set Final size to Layer size for full detail.");
    gtk_label_set_text(GTK_LABEL(d->size_note), text->str);
    g_string_free(text, TRUE);
}

/* A style's size for the plan, without decoding it. */
static gboolean
style_header(const char *path, gint32 layer, stylize_image *out)
{
    int32_t w = 0, h = 0;
    char error[256];
    if (layer > 0) {
        w = gimp_drawable_width(layer);
        h = gimp_drawable_height(layer);
    } else if (stylize_gimp_style_header(path, &w, &h, error, sizeof error) != 1)
        return FALSE;  /* GIMP's loaders (.xcf): sized when it runs */
    *out = (stylize_image) { NULL, w, h, 3, (size_t) w * 3 };
    return TRUE;
}

static void
update_estimate(Dialog *d)
{
    StylizeGimpValues v = *d->values;
    read_values(d, &v);
    update_size_note(d, &v);
    strength_tooltip(d);

    const char *error = NULL;
    const stylize_model *model = stylize_preview_model(d->worker, &error);
    gchar *text = NULL, *tip = NULL;
    stylize_image content = { NULL, d->box_width, d->box_height, 3, (size_t) d->box_width * 3 }, styles[2];
    int count = 0;
    if (!style_chosen(d))
        text = g_strdup("Choose a style image to see how long it will take.");
    else if (!model)
        text = g_strdup(error ? error : "Estimating… (loading the model)");
    else if (!style_header(v.style_file, v.style_drawable, &styles[0]))
        text = g_strdup("No estimate: GIMP opens this style file when the filter runs.");
    else {
        count = 1;
        if (v.style2_file[0] && style_header(v.style2_file, -1, &styles[1]))
            count = 2;
        stylize_options options;
        stylize_gimp_options(&v, &options);
        double blend[2] = { v.style_blend, 1 - v.style_blend };
        options.style_blend = count == 2 ? blend : NULL;
        /* With a time limit the library plans iterations from a speed it
         * measures first: the estimate plans the iterations given instead
         * (same levels, same memory) and the limit caps the time. */
        options.time_limit = 0;
        stylize_estimate_info e = { .struct_size = sizeof e };
        if (stylize_estimate(model, &content, styles, count, &options, &e) == STYLIZE_OK) {
            double rate = stylize_preview_rate(d->worker);
            gboolean measured = rate > 0;
            double seconds = e.pixel_iterations * (measured ? rate : BENCH_SECONDS_PER_PIXEL_ITERATION);
            gboolean limited = v.time_limit > 0 && v.time_limit < seconds;
            gchar *t = format_seconds(limited ? v.time_limit : seconds);
            if (limited)
                measured = TRUE;  /* the limit, not a guess */
            gchar *m = format_bytes((double) e.peak_bytes);
            text = g_strdup_printf("The filter will take about %s%s and %s of memory%s.", t,
                                   measured ? "" : " (rough until the preview has run)", m,
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
            text = o ? g_strdup_printf("Will not run: %s: %s", o->label ? o->label : o->gimp, stylize_last_error_problem())
                     : g_strdup_printf("Will not run: %s", stylize_last_error());
        }
    }
    gtk_label_set_text(GTK_LABEL(d->estimate), text);
    gimp_help_set_help_data(d->estimate, tip, NULL);
    g_free(text);
    g_free(tip);
}

/* ---- preview ------------------------------------------------------------ */

static gboolean
preview_progress(gpointer data)
{
    Dialog *d = data;
    int iteration = 0, total = 0;
    stylize_preview_progress(d->worker, &iteration, &total);
    gchar *text = total > 0 && iteration > 0
        ? g_strdup_printf("Preview: iteration %d of %d…", iteration, total)
        : g_strdup(stylize_preview_model(d->worker, NULL) ? "Preview: starting…" : "Preview: loading the model…");
    gtk_label_set_text(GTK_LABEL(d->preview_label), text);
    g_free(text);
    return G_SOURCE_CONTINUE;
}

static void
preview_stop_progress(Dialog *d)
{
    if (d->progress_id)
        g_source_remove(d->progress_id);
    d->progress_id = 0;
}

/* A preview run is back (main loop). */
static void
preview_done(const StylizePreviewResult *r, void *user)
{
    Dialog *d = user;
    if (d->closing)
        return;
    if (r->model_only) {
        update_estimate(d);
        print_state(d, "model");
        return;
    }
    d->preview_running = FALSE;
    preview_stop_progress(d);
    if (r->status == STYLIZE_OK) {
        /* Back into the preview's own layout (grey, alpha from the source). */
        gint w = 0, h = 0, bpp = 0;
        guchar *source = gimp_zoom_preview_get_source(GIMP_ZOOM_PREVIEW(d->preview), &w, &h, &bpp);
        if (source && w == r->width && h == r->height) {
            for (int i = 0; i < w * h; i++) {
                const unsigned char *p = r->pixels + i * 3;
                if (bpp < 3)
                    source[i * bpp] = (guchar) ((p[0] * 299 + p[1] * 587 + p[2] * 114 + 500) / 1000);
                else
                    memcpy(source + i * bpp, p, 3);
            }
            gimp_preview_draw_buffer(GIMP_PREVIEW(d->preview), source, w * bpp);
        }
        g_free(source);
        gchar *t = format_seconds(r->seconds);
        gchar *text = g_strdup_printf("Preview: %s (painted at %d px, %d iterations; a quick look, the result is finer)",
                                      t, r->size, r->iterations);
        gtk_label_set_text(GTK_LABEL(d->preview_label), text);
        g_free(text);
        g_free(t);
        update_estimate(d);  /* now with this computer's measured speed */
        print_state(d, "preview-done");
    } else if (r->status != STYLIZE_ERROR_CANCELLED) {
        gchar *text = g_strdup_printf("Preview failed: %s", r->error);
        gtk_label_set_text(GTK_LABEL(d->preview_label), text);
        g_free(text);
        print_state(d, "preview-failed");
    }
}

/* Reads what the preview shows and starts a run on it (main loop). */
static gboolean
preview_start(gpointer data)
{
    Dialog *d = data;
    d->restart_id = 0;
    if (!gimp_preview_get_update(GIMP_PREVIEW(d->preview)))
        return G_SOURCE_REMOVE;
    if (!style_chosen(d)) {
        gtk_label_set_text(GTK_LABEL(d->preview_label), "Preview: choose a style image first.");
        return G_SOURCE_REMOVE;
    }
    StylizeGimpValues v = *d->values;
    read_values(d, &v);
    StylizePreviewStyle styles[2] = { { v.style_file, NULL, 0, 0 }, { v.style2_file, NULL, 0, 0 } };
    guchar *layer_pixels = NULL;
    if (v.style_drawable > 0) {  /* libgimp on this thread: the worker gets the pixels */
        gint w = 512, h = 512, bpp = 0;  /* in: the largest size wanted (GIMP keeps the aspect) */
        guchar *t = gimp_drawable_get_thumbnail_data(v.style_drawable, &w, &h, &bpp);
        if (t && bpp >= 1) {
            layer_pixels = g_malloc((size_t) w * h * 3);
            for (int i = 0; i < w * h; i++)
                for (int k = 0; k < 3; k++)
                    layer_pixels[i * 3 + k] = t[i * bpp + (bpp < 3 ? 0 : k)];
            styles[0] = (StylizePreviewStyle) { NULL, layer_pixels, w, h };
        }
        g_free(t);
        if (!layer_pixels) {
            gtk_label_set_text(GTK_LABEL(d->preview_label), "Preview: the style layer could not be read.");
            return G_SOURCE_REMOVE;
        }
    }
    gint w = 0, h = 0, bpp = 0;
    guchar *source = gimp_zoom_preview_get_source(GIMP_ZOOM_PREVIEW(d->preview), &w, &h, &bpp);
    if (source && w >= STYLIZE_MIN_SIDE && h >= STYLIZE_MIN_SIDE) {
        double layer_side = MAX(d->box_width, d->box_height);
        double factor = gimp_zoom_preview_get_factor(GIMP_ZOOM_PREVIEW(d->preview));
        stylize_preview_start(d->worker, source, w, h, bpp, layer_side / MAX(factor, 1e-6), layer_side, &v,
                              styles, v.style2_file[0] ? 2 : 1);
        d->preview_running = TRUE;
        d->preview_started = g_get_monotonic_time();
        preview_progress(d);
        if (!d->progress_id)
            d->progress_id = g_timeout_add(250, preview_progress, d);
    }
    g_free(source);
    g_free(layer_pixels);
    return G_SOURCE_REMOVE;
}

/* A setting changed or the view moved: cancel the running preview at once,
 * start the next one when the changes pause (a slider drag is many changes). */
static void
schedule_preview(Dialog *d)
{
    stylize_preview_cancel(d->worker);
    if (d->restart_id)
        g_source_remove(d->restart_id);
    d->restart_id = g_timeout_add(400, preview_start, d);
}

static void
preview_invalidated(GimpPreview *preview, Dialog *d)
{
    if (!d->building)
        schedule_preview(d);
}

/* ---- changes ------------------------------------------------------------ */

static void
settings_changed(Dialog *d)
{
    if (d->building)
        return;
    gboolean file = !use_layer(d);
    gtk_widget_set_sensitive(d->file_chooser, file);
    gtk_widget_set_sensitive(d->layer_combo, !file && d->layers_offered > 0);
    gtk_widget_set_sensitive(d->file2_chooser, use_mix(d));
    gimp_scale_entry_set_sensitive(d->blend, use_mix(d));
    /* A time limit plans the iterations itself. */
    gimp_scale_entry_set_sensitive(d->iterations, gtk_adjustment_get_value(GTK_ADJUSTMENT(d->time_limit)) == 0);
    gtk_dialog_set_response_sensitive(GTK_DIALOG(d->dialog), GTK_RESPONSE_OK, style_chosen(d));
    update_estimate(d);
    schedule_preview(d);
}

static void on_changed(GtkWidget *widget, Dialog *d) { settings_changed(d); }

static void
on_style_changed(GtkWidget *widget, Dialog *d)
{
    if (d->building)
        return;
    update_thumbnails(d);
    settings_changed(d);
    print_state(d, "style");
}

/* Puts *v into the widgets (on open and on Reset). */
static void
show_values(Dialog *d, const StylizeGimpValues *v)
{
    d->building = TRUE;
    d->original_weight = v->style_weight;
    if (v->style_file[0])
        gtk_file_chooser_set_filename(GTK_FILE_CHOOSER(d->file_chooser), v->style_file);
    else
        gtk_file_chooser_unselect_all(GTK_FILE_CHOOSER(d->file_chooser));
    gboolean layer = v->style_drawable > 0 && v->style_drawable != d->drawable_id && gimp_item_is_valid(v->style_drawable);
    if (layer)
        gimp_int_combo_box_set_active(GIMP_INT_COMBO_BOX(d->layer_combo), v->style_drawable);
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(layer ? d->from_layer : d->from_file), TRUE);
    if (v->style2_file[0])
        gtk_file_chooser_set_filename(GTK_FILE_CHOOSER(d->file2_chooser), v->style2_file);
    else
        gtk_file_chooser_unselect_all(GTK_FILE_CHOOSER(d->file2_chooser));
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(d->mix), v->style2_file[0] != 0);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(d->blend), v->style_blend);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(d->memory), v->max_memory_mb);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(d->strength), weight_strength(v->style_weight));
    gtk_adjustment_set_value(GTK_ADJUSTMENT(d->detail), v->size);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(d->output_size), v->output_size);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(d->time_limit), v->time_limit);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(d->iterations), v->iterations);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(d->content_weight), v->content_weight);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(d->style_scale), v->style_scale);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(d->scales), v->scales);
    gimp_int_combo_box_set_active(GIMP_INT_COMBO_BOX(d->colors), v->preserve_colors);
    d->building = FALSE;
    update_thumbnails(d);
    settings_changed(d);
}

/* ---- help --------------------------------------------------------------- */

/* The help page installed beside the plug-in (build.sh copies help/). */
static gchar *
help_uri(void)
{
    gchar *exe = g_file_read_link("/proc/self/exe", NULL);
    gchar *dir = exe ? g_path_get_dirname(exe) : g_strdup(".");
    gchar *page = g_build_filename(dir, "help", "index.html", NULL);
    gchar *uri = g_filename_to_uri(page, NULL, NULL);
    g_free(exe);
    g_free(dir);
    g_free(page);
    return uri;
}

static void
show_help(const gchar *help_id, gpointer data)
{
    gchar *uri = help_uri();
    GError *error = NULL;
    if (getenv(STYLIZE_GIMP_STATE_ENV))
        fprintf(stderr, "DIALOG-HELP %s\n", uri);
    else if (!gtk_show_uri(NULL, uri, GDK_CURRENT_TIME, &error)) {
        g_message("Could not open the help page %s: %s", uri, error->message);
        g_error_free(error);
    }
    g_free(uri);
}

/* ---- the dialog --------------------------------------------------------- */

/* Layers offered as styles: RGB and grey layers of any open image, except
 * the layer being stylized (it would be its own style). */
static gboolean
style_layer_ok(gint32 image_id, gint32 item_id, gpointer data)
{
    return !gimp_drawable_is_indexed(item_id) && item_id != GPOINTER_TO_INT(data);
}

static GtkWidget *
thumbnail_widget(void)
{
    GtkWidget *image = gtk_image_new();
    gtk_widget_set_size_request(image, THUMB_SIDE + 4, THUMB_SIDE + 4);
    return image;
}

static GtkWidget *
note_label(void)
{
    GtkWidget *label = gtk_label_new("");
    gtk_label_set_line_wrap(GTK_LABEL(label), TRUE);
    gtk_widget_set_size_request(label, 420, -1);
    gtk_misc_set_alignment(GTK_MISC(label), 0, 0.5);
    gimp_label_set_attributes(GTK_LABEL(label), PANGO_ATTR_SCALE, PANGO_SCALE_SMALL, -1);
    return label;
}

int
stylize_gimp_dialog(StylizeGimpValues *values, int32_t image_id, int32_t drawable_id)
{
    gimp_ui_init("stylize", FALSE);
    gegl_init(NULL, NULL);  /* the preview reads the layer through GEGL */

    Dialog d = { .values = values, .image_id = image_id, .drawable_id = drawable_id, .building = TRUE };
    gint x, y;
    if (!gimp_drawable_mask_intersect(drawable_id, &x, &y, &d.box_width, &d.box_height)) {
        d.box_width = gimp_drawable_width(drawable_id);
        d.box_height = gimp_drawable_height(drawable_id);
    }

    d.dialog = gimp_dialog_new("Neural Style Transfer", "stylize", NULL, 0, show_help, STYLIZE_GIMP_PROC,
                               "_Reset", RESPONSE_RESET,
                               "_Cancel", GTK_RESPONSE_CANCEL,
                               "_OK", GTK_RESPONSE_OK,
                               NULL);
    gtk_dialog_set_alternative_button_order(GTK_DIALOG(d.dialog), RESPONSE_RESET,
                                            GTK_RESPONSE_OK, GTK_RESPONSE_CANCEL, -1);
    gtk_dialog_set_default_response(GTK_DIALOG(d.dialog), GTK_RESPONSE_OK);
    gimp_window_set_transient(GTK_WINDOW(d.dialog));

    GtkWidget *hbox = gtk_hbox_new(FALSE, 12);
    gtk_container_set_border_width(GTK_CONTAINER(hbox), 12);
    gtk_box_pack_start(GTK_BOX(gtk_dialog_get_content_area(GTK_DIALOG(d.dialog))), hbox, TRUE, TRUE, 0);

    /* Left: the preview and what it cost. */
    GtkWidget *left = gtk_vbox_new(FALSE, 6);
    gtk_box_pack_start(GTK_BOX(hbox), left, TRUE, TRUE, 0);
    d.preview = gimp_zoom_preview_new_from_drawable_id(drawable_id);
    gtk_box_pack_start(GTK_BOX(left), d.preview, FALSE, FALSE, 0);
    d.preview_label = note_label();
    gtk_widget_set_size_request(d.preview_label, 300, -1);
    gtk_box_pack_start(GTK_BOX(left), d.preview_label, FALSE, FALSE, 0);

    /* Right: the settings. */
    GtkWidget *vbox = gtk_vbox_new(FALSE, 10);
    gtk_box_pack_start(GTK_BOX(hbox), vbox, FALSE, FALSE, 0);

    /* Style: a file or another open layer, optionally mixed with a second file. */
    GtkWidget *table = settings_table(vbox, "Style", 4);
    d.from_file = gtk_radio_button_new_with_mnemonic(NULL, "Image _file:");
    d.from_layer = gtk_radio_button_new_with_mnemonic_from_widget(GTK_RADIO_BUTTON(d.from_file), "Open _layer:");
    d.file_chooser = gtk_file_chooser_button_new("Choose the Style Image", GTK_FILE_CHOOSER_ACTION_OPEN);
    GtkFileFilter *images = gtk_file_filter_new();
    gtk_file_filter_set_name(images, "Images");
    gtk_file_filter_add_pixbuf_formats(images);
    gtk_file_filter_add_pattern(images, "*.xcf");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(d.file_chooser), images);
    GtkFileFilter *all = gtk_file_filter_new();
    gtk_file_filter_set_name(all, "All files");
    gtk_file_filter_add_pattern(all, "*");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(d.file_chooser), all);
    gtk_widget_set_size_request(d.file_chooser, 220, -1);
    gimp_help_set_help_data(d.file_chooser, "The picture whose brush strokes, textures and colors are painted "
                            "onto the layer: a painting, a photo of a texture, any image GIMP opens.", NULL);
    d.layer_combo = gimp_layer_combo_box_new(style_layer_ok, GINT_TO_POINTER(drawable_id));
    GtkTreeModel *offered = gtk_combo_box_get_model(GTK_COMBO_BOX(d.layer_combo));
    GtkTreeIter iter;
    for (gboolean more = gtk_tree_model_get_iter_first(offered, &iter); more; more = gtk_tree_model_iter_next(offered, &iter)) {
        gint id = -1;  /* an empty combo holds one "(Empty)" row of -1 */
        gtk_tree_model_get(offered, &iter, GIMP_INT_STORE_VALUE, &id, -1);
        d.layers_offered += id > 0;
    }
    gimp_help_set_help_data(d.layer_combo, "Another open layer as the style (not the layer being filtered).", NULL);
    gtk_widget_set_sensitive(d.from_layer, d.layers_offered > 0);
    gint first_layer = -1;  /* choosing "Open layer" then picks the first one offered */
    if (d.layers_offered > 0 && !gimp_int_combo_box_get_active(GIMP_INT_COMBO_BOX(d.layer_combo), &first_layer)) {
        gtk_tree_model_get_iter_first(offered, &iter);
        do gtk_tree_model_get(offered, &iter, GIMP_INT_STORE_VALUE, &first_layer, -1);
        while (first_layer <= 0 && gtk_tree_model_iter_next(offered, &iter));
        gimp_int_combo_box_set_active(GIMP_INT_COMBO_BOX(d.layer_combo), first_layer);
    }
    d.thumb = thumbnail_widget();
    gtk_table_attach(GTK_TABLE(table), d.from_file, 0, 1, 0, 1, GTK_FILL, GTK_FILL, 0, 0);
    gtk_table_attach(GTK_TABLE(table), d.file_chooser, 1, 2, 0, 1, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
    gtk_table_attach(GTK_TABLE(table), d.from_layer, 0, 1, 1, 2, GTK_FILL, GTK_FILL, 0, 0);
    gtk_table_attach(GTK_TABLE(table), d.layer_combo, 1, 2, 1, 2, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
    gtk_table_attach(GTK_TABLE(table), d.thumb, 2, 3, 0, 2, GTK_FILL, GTK_FILL, 0, 0);
    d.mix = gtk_check_button_new_with_mnemonic("_Mix with:");
    gimp_help_set_help_data(d.mix, "Blend the textures of a second style image into the first.", NULL);
    d.file2_chooser = gtk_file_chooser_button_new("Choose a Second Style Image", GTK_FILE_CHOOSER_ACTION_OPEN);
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(d.file2_chooser), images);
    d.thumb2 = thumbnail_widget();
    gtk_table_attach(GTK_TABLE(table), d.mix, 0, 1, 2, 3, GTK_FILL, GTK_FILL, 0, 0);
    gtk_table_attach(GTK_TABLE(table), d.file2_chooser, 1, 2, 2, 3, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
    gtk_table_attach(GTK_TABLE(table), d.thumb2, 2, 3, 2, 4, GTK_FILL, GTK_FILL, 0, 0);
    /* The first style's share w: blend weights w and 1 - w, each in the
     * table's range from its minimum, so w is minimum to 1. */
    GtkWidget *blend_table = gtk_table_new(1, 3, FALSE);
    gtk_table_set_col_spacings(GTK_TABLE(blend_table), 6);
    gtk_table_attach(GTK_TABLE(table), blend_table, 0, 2, 3, 4, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
    d.blend = option_entry(GTK_TABLE(blend_table), 0, "style-blend", "", values->style_blend,
                           table_option("style-blend")->minimum, 1, 0, 1, 0.05, 0.25, 2, FALSE);

    /* Look: strength, brush size, colors. */
    table = settings_table(vbox, "Look", 3);
    const stylize_option_info *o = table_option("style-weight");
    gchar *label = mnemonic_label(o->label, "");
    d.strength = gimp_scale_entry_new(GTK_TABLE(table), 0, 0, label, 180, 8, weight_strength(values->style_weight),
                                      0, 100, 1, 10, 0, TRUE, 0, 100, NULL, NULL);
    g_free(label);
    o = table_option("style-scale");
    d.style_scale = option_entry(GTK_TABLE(table), 1, "style-scale", NULL, values->style_scale,
                                 o->minimum, o->maximum, 0.25, 4, 0.05, 0.25, 2, TRUE);
    o = table_option("preserve-colors");
    d.colors = gimp_int_combo_box_new(NULL, 0, NULL);
    gchar **choices = g_strsplit(o->choices, ",", -1);
    static const char *const color_names[] = { "Style's colors", "Layer's colors (luminance only)",
                                               "Layer's colors (style recolored first)" };
    for (int i = 0; choices[i]; i++)
        gimp_int_combo_box_append(GIMP_INT_COMBO_BOX(d.colors), GIMP_INT_STORE_VALUE, i,
                                  GIMP_INT_STORE_LABEL, i < 3 ? color_names[i] : choices[i], -1);
    g_strfreev(choices);
    gimp_help_set_help_data(d.colors, o->help, NULL);
    gchar *colors_label = mnemonic_label(o->label, "");
    gimp_table_attach_aligned(GTK_TABLE(table), 0, 2, colors_label, 0.0, 0.5, d.colors, 2, FALSE);
    g_free(colors_label);

    /* Size and quality: detail size with what it means, iterations. */
    table = settings_table(vbox, "Size and Quality", 5);
    o = table_option("size");
    d.detail = option_entry(GTK_TABLE(table), 0, "size", NULL, values->size,
                            o->minimum, o->maximum, 0, 2048, 32, 128, 0, FALSE);
    o = table_option("output-size");
    d.output_size = option_entry(GTK_TABLE(table), 1, "output-size", NULL, values->output_size,
                                 o->minimum, o->maximum, 0, 8192, 64, 512, 0, FALSE);
    d.size_note = note_label();
    gtk_table_attach(GTK_TABLE(table), d.size_note, 0, 3, 2, 3, GTK_FILL, GTK_FILL, 0, 0);
    o = table_option("iterations");
    d.iterations = option_entry(GTK_TABLE(table), 3, "iterations", NULL, values->iterations,
                                o->minimum, o->maximum, 1, 1000, 1, 10, 0, FALSE);
    o = table_option("time-limit");
    d.time_limit = option_entry(GTK_TABLE(table), 4, "time-limit", NULL, values->time_limit,
                                o->minimum, o->maximum, 0, 3600, 10, 60, 0, FALSE);

    /* Advanced: what a GIMP user rarely needs, folded away. */
    GtkWidget *expander = gtk_expander_new_with_mnemonic("_Advanced");
    gtk_box_pack_start(GTK_BOX(vbox), expander, FALSE, FALSE, 0);
    GtkWidget *advanced = gtk_vbox_new(FALSE, 6);
    gtk_container_add(GTK_CONTAINER(expander), advanced);
    table = gtk_table_new(3, 3, FALSE);
    gtk_table_set_col_spacings(GTK_TABLE(table), 6);
    gtk_table_set_row_spacings(GTK_TABLE(table), 4);
    gtk_box_pack_start(GTK_BOX(advanced), table, FALSE, FALSE, 0);
    o = table_option("content-weight");
    d.content_weight = option_entry(GTK_TABLE(table), 0, "content-weight", NULL, values->content_weight,
                                    o->minimum, o->maximum, 0.01, 100, 0.1, 1, 2, TRUE);
    o = table_option("scales");
    d.scales = option_entry(GTK_TABLE(table), 1, "scales", NULL, values->scales,
                            o->minimum, o->maximum, o->minimum, o->maximum, 1, 1, 0, FALSE);
    /* The limit in MiB: 0 = none, else the table's range. */
    o = table_option("max-memory");
    d.memory = option_entry(GTK_TABLE(table), 2, "max-memory", "MiB", values->max_memory_mb,
                            0, o->maximum / 1048576.0, 0, 16384, 64, 512, 0, FALSE);

    /* The estimate of the real run, under the preview's own cost, updated with every change. */
    d.estimate = note_label();
    gtk_widget_set_size_request(d.estimate, 300, -1);
    gimp_label_set_attributes(GTK_LABEL(d.estimate), PANGO_ATTR_WEIGHT, PANGO_WEIGHT_BOLD, -1);
    gtk_box_pack_start(GTK_BOX(left), d.estimate, FALSE, FALSE, 6);

    GtkObject *entries[] = { d.blend, d.detail, d.output_size, d.iterations, d.time_limit, d.content_weight,
                             d.style_scale, d.scales, d.memory };
    const int n_entries = (int) G_N_ELEMENTS(entries);

    d.worker = stylize_preview_new(preview_done, &d);
    show_values(&d, values);
    for (int i = 0; i < n_entries; i++)
        g_signal_connect_swapped(entries[i], "value-changed", G_CALLBACK(settings_changed), &d);
    g_signal_connect_swapped(d.strength, "value-changed", G_CALLBACK(settings_changed), &d);
    g_signal_connect(d.colors, "changed", G_CALLBACK(on_changed), &d);
    g_signal_connect(d.from_file, "toggled", G_CALLBACK(on_style_changed), &d);
    g_signal_connect(d.mix, "toggled", G_CALLBACK(on_style_changed), &d);
    g_signal_connect(d.file_chooser, "selection-changed", G_CALLBACK(on_style_changed), &d);
    g_signal_connect(d.file2_chooser, "selection-changed", G_CALLBACK(on_style_changed), &d);
    g_signal_connect(d.layer_combo, "changed", G_CALLBACK(on_style_changed), &d);
    g_signal_connect(d.preview, "invalidated", G_CALLBACK(preview_invalidated), &d);

    /* The model loads on the worker; the estimate shows once it is open. */
    stylize_options options;
    stylize_gimp_options(values, &options);
    stylize_preview_open_model(d.worker, &options);

    gtk_widget_show_all(d.dialog);
    print_ranges(&d, entries, n_entries, "open");
    print_state(&d, "open");

    int ok = 0;
    for (;;) {
        gint response = gimp_dialog_run(GIMP_DIALOG(d.dialog));
        if (response == RESPONSE_RESET) {
            StylizeGimpValues defaults;
            stylize_gimp_values_default(&defaults);
            show_values(&d, &defaults);
            print_ranges(&d, entries, n_entries, "reset");
            print_state(&d, "reset");
            continue;
        }
        if (response == GTK_RESPONSE_OK) {
            read_values(&d, values);
            ok = 1;
        }
        break;
    }
    if (d.restart_id)
        g_source_remove(d.restart_id);
    preview_stop_progress(&d);
    gtk_widget_hide(d.dialog);
    d.closing = TRUE;
    stylize_preview_free(d.worker);  /* cancels and waits for a running preview */
    gtk_widget_destroy(d.dialog);
    return ok;
}
