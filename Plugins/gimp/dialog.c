/*
 * dialog.c - the GTK 2 dialog of Filters > Artistic > Neural Style Transfer.
 * C because gimp_dialog_new is variadic and GTK's casts and signals are
 * macros; everything else of the plug-in is in plugin.swift.
 * Labels, tooltips and the spin buttons' ranges come from the engine's option
 * table (stylize_option_find): the dialog takes every value the table takes,
 * and the library's validator decides. The sliders cover the useful part.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <stylize.h>

#include "stylize-gimp.h"

#define RESPONSE_RESET 1

typedef struct {
    GtkWidget *from_file;      /* radio: style from a file */
    GtkWidget *from_layer;     /* radio: style from an open layer */
    GtkWidget *file_chooser;
    GtkWidget *layer_combo;
    GtkObject *strength;       /* style weight */
    GtkObject *detail;         /* optimisation size */
    GtkObject *iterations;
    GtkObject *content_weight;
    GtkObject *style_scale;    /* brush-stroke size */
    GtkObject *scales;         /* coarse-to-fine levels */
    GtkWidget *colors;
    GtkWidget *mix;            /* check: mix in a second style */
    GtkWidget *file2_chooser;
    GtkObject *blend;          /* weight of the first style */
    GtkObject *memory;         /* budget in MiB, 0 = none */
} Widgets;

/* Only RGB and grey layers can be read as a style. */
static gboolean
style_layer_ok(gint32 image_id, gint32 item_id, gpointer data)
{
    return !gimp_drawable_is_indexed(item_id);
}

static void
source_toggled(GtkToggleButton *button, Widgets *w)
{
    gboolean file = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(w->from_file));
    gtk_widget_set_sensitive(w->file_chooser, file);
    gtk_widget_set_sensitive(w->layer_combo, !file);
    gboolean mix = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(w->mix));
    gtk_widget_set_sensitive(w->file2_chooser, mix);
    gimp_scale_entry_set_sensitive(w->blend, mix);
}

/* Puts *v into the widgets (on open and on Reset). */
static void
show_values(Widgets *w, const StylizeGimpValues *v)
{
    if (v->style_file[0])
        gtk_file_chooser_set_filename(GTK_FILE_CHOOSER(w->file_chooser), v->style_file);
    else
        gtk_file_chooser_unselect_all(GTK_FILE_CHOOSER(w->file_chooser));
    if (v->style_drawable > 0 && gimp_item_is_valid(v->style_drawable))
        gimp_int_combo_box_set_active(GIMP_INT_COMBO_BOX(w->layer_combo), v->style_drawable);
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(v->style_drawable > 0 ? w->from_layer : w->from_file), TRUE);
    if (v->style2_file[0])
        gtk_file_chooser_set_filename(GTK_FILE_CHOOSER(w->file2_chooser), v->style2_file);
    else
        gtk_file_chooser_unselect_all(GTK_FILE_CHOOSER(w->file2_chooser));
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(w->mix), v->style2_file[0] != 0);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(w->blend), v->style_blend);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(w->memory), v->max_memory_mb);
    source_toggled(NULL, w);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(w->strength), v->style_weight);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(w->detail), v->size);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(w->iterations), v->iterations);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(w->content_weight), v->content_weight);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(w->style_scale), v->style_scale);
    gtk_adjustment_set_value(GTK_ADJUSTMENT(w->scales), v->scales);
    gimp_int_combo_box_set_active(GIMP_INT_COMBO_BOX(w->colors), v->preserve_colors);
}

/* Reads the widgets back into *v (on OK). */
static void
read_values(Widgets *w, StylizeGimpValues *v)
{
    gchar *file = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(w->file_chooser));
    g_strlcpy(v->style_file, file ? file : "", sizeof v->style_file);
    g_free(file);
    gint layer = -1;
    if (gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(w->from_layer)))
        gimp_int_combo_box_get_active(GIMP_INT_COMBO_BOX(w->layer_combo), &layer);
    v->style_drawable = layer > 0 ? layer : -1;
    v->style_weight = gtk_adjustment_get_value(GTK_ADJUSTMENT(w->strength));
    v->size = (int32_t) gtk_adjustment_get_value(GTK_ADJUSTMENT(w->detail));
    v->iterations = (int32_t) gtk_adjustment_get_value(GTK_ADJUSTMENT(w->iterations));
    v->content_weight = gtk_adjustment_get_value(GTK_ADJUSTMENT(w->content_weight));
    v->style_scale = gtk_adjustment_get_value(GTK_ADJUSTMENT(w->style_scale));
    v->scales = (int32_t) gtk_adjustment_get_value(GTK_ADJUSTMENT(w->scales));
    gchar *file2 = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(w->mix))
        ? gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(w->file2_chooser)) : NULL;
    g_strlcpy(v->style2_file, file2 ? file2 : "", sizeof v->style2_file);
    g_free(file2);
    v->style_blend = gtk_adjustment_get_value(GTK_ADJUSTMENT(w->blend));
    v->max_memory_mb = (int32_t) gtk_adjustment_get_value(GTK_ADJUSTMENT(w->memory));
    gint colors = 0;
    gimp_int_combo_box_get_active(GIMP_INT_COMBO_BOX(w->colors), &colors);
    v->preserve_colors = colors;
}

/* Mnemonic letters already taken: the buttons (_Reset, _Cancel, _OK) and
 * the style source widgets (Image _file, Open _layer, _Mix with). */
static char mnemonics[64] = "rcoflm";

/* "Detail size" -> "_Detail size:" with the first letter not yet taken. */
static gchar *
mnemonic_label(const char *label, const char *suffix)
{
    const char *at = NULL;
    for (const char *p = label; *p && !at; p++)
        if (isalpha((unsigned char) *p) && !strchr(mnemonics, tolower((unsigned char) *p)))
            at = p;
    if (!at)
        return g_strdup_printf("%s%s:", label, suffix);
    size_t n = strlen(mnemonics);
    if (n + 1 < sizeof mnemonics) {
        mnemonics[n] = (char) tolower((unsigned char) *at);
        mnemonics[n + 1] = 0;
    }
    return g_strdup_printf("%.*s_%s%s:", (int) (at - label), label, at, suffix);
}

static const stylize_option_info *
table_option(const char *gimp)
{
    const stylize_option_info *info = stylize_option_find(gimp);
    if (!info)
        g_error("libstylize has no option '%s': rebuild the plug-in against the installed library", gimp);
    return info;
}

/* Logarithmic sliders. GIMP's own logarithmic mode shifts the whole scale by
 * the spin button's lower bound when that is 0 (log(v + 0.1)), which crams
 * 1e-6..1e-1 into a corner; the table's weights start at 0. So the slider
 * gets its own adjustment over log(slider range), coupled to the spin
 * button both ways; a spin value under the slider's range puts it at its end. */
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

/* A scale entry for option `gimp`: the table's label and help; the spin
 * button takes lower..upper (the table's range, in the dialog's unit), the
 * slider slider_lower..slider_upper. */
static GtkObject *
option_entry(GtkTable *table, int row, const char *gimp, const char *unit, double value,
             double lower, double upper, double slider_lower, double slider_upper,
             double step, double page, int digits, gboolean logarithmic)
{
    const stylize_option_info *info = table_option(gimp);
    gchar *text = mnemonic_label(info->label ? info->label : info->gimp, unit);
    GtkObject *adj = gimp_scale_entry_new(table, 0, row, text, 200, 10, value,
                                          slider_lower, slider_upper, step, page, digits,
                                          FALSE, lower, upper, info->help, NULL);
    g_free(text);
    if (logarithmic)
        log_slider(adj, slider_lower, slider_upper);
    g_object_set_data(G_OBJECT(adj), "stylize-gimp-name", (gpointer) info->gimp);
    return adj;
}

/* For the test: each entry's name, spin button range and value, one line
 * each, when $STYLIZE_GIMP_DIALOG_RANGES is set. */
static void
print_ranges(GtkObject **entries, int n, const char *when)
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
}

int
stylize_gimp_dialog(StylizeGimpValues *values, int32_t image_id)
{
    gimp_ui_init("stylize", FALSE);

    GtkWidget *dialog = gimp_dialog_new("Neural Style Transfer", "stylize",
                                        NULL, 0, gimp_standard_help_func, STYLIZE_GIMP_PROC,
                                        "_Reset", RESPONSE_RESET,
                                        "_Cancel", GTK_RESPONSE_CANCEL,
                                        "_OK", GTK_RESPONSE_OK,
                                        NULL);
    gtk_dialog_set_alternative_button_order(GTK_DIALOG(dialog), RESPONSE_RESET,
                                            GTK_RESPONSE_OK, GTK_RESPONSE_CANCEL, -1);
    gtk_dialog_set_default_response(GTK_DIALOG(dialog), GTK_RESPONSE_OK);
    gimp_window_set_transient(GTK_WINDOW(dialog));

    GtkWidget *vbox = gtk_vbox_new(FALSE, 12);
    gtk_container_set_border_width(GTK_CONTAINER(vbox), 12);
    gtk_box_pack_start(GTK_BOX(gtk_dialog_get_content_area(GTK_DIALOG(dialog))), vbox, TRUE, TRUE, 0);

    Widgets w;

    /* Style source: a file, or a layer of any open image. */
    GtkWidget *frame = gimp_frame_new("Style");
    gtk_box_pack_start(GTK_BOX(vbox), frame, FALSE, FALSE, 0);
    GtkWidget *table = gtk_table_new(4, 3, FALSE);
    gtk_table_set_col_spacings(GTK_TABLE(table), 6);
    gtk_table_set_row_spacings(GTK_TABLE(table), 6);
    gtk_container_add(GTK_CONTAINER(frame), table);

    w.from_file = gtk_radio_button_new_with_mnemonic(NULL, "Image _file:");
    w.from_layer = gtk_radio_button_new_with_mnemonic_from_widget(GTK_RADIO_BUTTON(w.from_file), "Open _layer:");
    w.file_chooser = gtk_file_chooser_button_new("Choose the Style Image", GTK_FILE_CHOOSER_ACTION_OPEN);
    GtkFileFilter *images = gtk_file_filter_new();
    gtk_file_filter_set_name(images, "Images");
    gtk_file_filter_add_pixbuf_formats(images);
    gtk_file_filter_add_pattern(images, "*.xcf");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(w.file_chooser), images);
    GtkFileFilter *all = gtk_file_filter_new();
    gtk_file_filter_set_name(all, "All files");
    gtk_file_filter_add_pattern(all, "*");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(w.file_chooser), all);
    gtk_widget_set_size_request(w.file_chooser, 260, -1);
    w.layer_combo = gimp_layer_combo_box_new(style_layer_ok, NULL);
    gtk_table_attach(GTK_TABLE(table), w.from_file, 0, 1, 0, 1, GTK_FILL, GTK_FILL, 0, 0);
    gtk_table_attach(GTK_TABLE(table), w.file_chooser, 1, 2, 0, 1, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
    gtk_table_attach(GTK_TABLE(table), w.from_layer, 0, 1, 1, 2, GTK_FILL, GTK_FILL, 0, 0);
    gtk_table_attach(GTK_TABLE(table), w.layer_combo, 1, 2, 1, 2, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
    /* Optionally a second style, mixed in by weight (Gram targets blended). */
    w.mix = gtk_check_button_new_with_mnemonic("_Mix with:");
    w.file2_chooser = gtk_file_chooser_button_new("Choose a Second Style Image", GTK_FILE_CHOOSER_ACTION_OPEN);
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(w.file2_chooser), images);
    gtk_table_attach(GTK_TABLE(table), w.mix, 0, 1, 2, 3, GTK_FILL, GTK_FILL, 0, 0);
    gtk_table_attach(GTK_TABLE(table), w.file2_chooser, 1, 2, 2, 3, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
    /* The first style's share w: blend weights w and 1 - w, each in the
     * table's range from its minimum, so w is minimum to 1. */
    w.blend = option_entry(GTK_TABLE(table), 3, "style-blend", "", values->style_blend,
                           table_option("style-blend")->minimum, 1, 0, 1, 0.05, 0.25, 2, FALSE);
    g_signal_connect(w.from_file, "toggled", G_CALLBACK(source_toggled), &w);
    g_signal_connect(w.mix, "toggled", G_CALLBACK(source_toggled), &w);

    /* Look: strength (style weight, logarithmic: useful values span decades),
     * detail size, iterations, colours. */
    frame = gimp_frame_new("Transfer");
    gtk_box_pack_start(GTK_BOX(vbox), frame, FALSE, FALSE, 0);
    table = gtk_table_new(8, 3, FALSE);
    gtk_table_set_col_spacings(GTK_TABLE(table), 6);
    gtk_table_set_row_spacings(GTK_TABLE(table), 6);
    gtk_container_add(GTK_CONTAINER(frame), table);

    const stylize_option_info *o;
    o = table_option("style-weight");
    w.strength = option_entry(GTK_TABLE(table), 0, "style-weight", "", values->style_weight,
                              o->minimum, o->maximum, 1e-6, 1e-1, 1e-5, 1e-4, 6, TRUE);
    o = table_option("size");
    w.detail = option_entry(GTK_TABLE(table), 1, "size", " (px)", values->size,
                            o->minimum, o->maximum, 64, 2048, 32, 128, 0, FALSE);
    o = table_option("iterations");
    w.iterations = option_entry(GTK_TABLE(table), 2, "iterations", "", values->iterations,
                                o->minimum, o->maximum, 1, 1000, 1, 10, 0, FALSE);
    o = table_option("content-weight");
    w.content_weight = option_entry(GTK_TABLE(table), 3, "content-weight", "", values->content_weight,
                                    o->minimum, o->maximum, 0.01, 100, 0.1, 1, 2, TRUE);
    /* Preserve colours: the table's choices, in enum order. */
    o = table_option("preserve-colors");
    w.colors = gimp_int_combo_box_new(NULL, 0, NULL);
    gchar **choices = g_strsplit(o->choices, ",", -1);
    for (int i = 0; choices[i]; i++) {
        gchar *name = g_strdup(choices[i]);
        name[0] = (gchar) toupper((unsigned char) name[0]);
        gimp_int_combo_box_append(GIMP_INT_COMBO_BOX(w.colors), GIMP_INT_STORE_VALUE, i,
                                  GIMP_INT_STORE_LABEL, name, -1);
        g_free(name);
    }
    g_strfreev(choices);
    gimp_help_set_help_data(w.colors, o->help, NULL);
    gchar *colors_label = mnemonic_label(o->label, "");
    gimp_table_attach_aligned(GTK_TABLE(table), 0, 4, colors_label, 0.0, 0.5, w.colors, 2, FALSE);
    g_free(colors_label);
    o = table_option("style-scale");
    w.style_scale = option_entry(GTK_TABLE(table), 5, "style-scale", "", values->style_scale,
                                 o->minimum, o->maximum, 0.25, 4, 0.05, 0.25, 2, TRUE);
    o = table_option("scales");
    w.scales = option_entry(GTK_TABLE(table), 6, "scales", "", values->scales,
                            o->minimum, o->maximum, o->minimum, o->maximum, 1, 1, 0, FALSE);
    /* The budget in MiB: 0 = none, else the table's range. */
    o = table_option("max-memory");
    w.memory = option_entry(GTK_TABLE(table), 7, "max-memory", " (MiB)", values->max_memory_mb,
                            0, o->maximum / 1048576.0, 0, 16384, 64, 512, 0, FALSE);

    GtkObject *entries[] = { w.blend, w.strength, w.detail, w.iterations, w.content_weight,
                             w.style_scale, w.scales, w.memory };
    const int n_entries = (int) G_N_ELEMENTS(entries);

    show_values(&w, values);
    gtk_widget_show_all(dialog);
    print_ranges(entries, n_entries, "open");

    int ok = 0;
    for (;;) {
        gint response = gimp_dialog_run(GIMP_DIALOG(dialog));
        if (response == RESPONSE_RESET) {
            StylizeGimpValues defaults;
            stylize_gimp_values_default(&defaults);
            show_values(&w, &defaults);
            print_ranges(entries, n_entries, "reset");
            continue;
        }
        if (response == GTK_RESPONSE_OK) {
            read_values(&w, values);
            ok = 1;
        }
        break;
    }
    gtk_widget_destroy(dialog);
    return ok;
}
