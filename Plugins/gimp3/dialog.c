/*
 * dialog.c - the dialog of Filters > Artistic > Neural Style Transfer: a
 * GimpProcedureDialog over the procedure's config, so labels (nicks),
 * tooltips (blurbs), ranges and defaults (Reset) are the option table's
 * (args.c) and GIMP keeps the last values; style-weight shows as the GIMP 2.10
 * dialog's 0-100 Style strength (stylize-strength.h). C because GTK is macros.
 */
#include <math.h>
#include <string.h>

#include <libgimp/gimpui.h>

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

    g_signal_connect(widget, "response", G_CALLBACK(response), NULL);
    g_signal_connect(widget, "show", G_CALLBACK(swap_help), NULL);
    if (g_strcmp0(g_getenv(STYLIZE_GIMP3_STATE_ENV), "help") == 0)
        g_timeout_add(500, click_help, widget);
    g_signal_connect(config, "notify", G_CALLBACK(update_sensitivity), dialog);
    g_signal_connect(config, "notify::style-strength", G_CALLBACK(strength_changed), NULL);
    update_sensitivity(G_OBJECT(config), NULL, dialog);
    gboolean ok = gimp_procedure_dialog_run(dialog);
    g_signal_handlers_disconnect_by_func(config, update_sensitivity, dialog);
    g_signal_handlers_disconnect_by_func(config, strength_changed, NULL);
    gtk_widget_destroy(widget);
    return ok;
}
