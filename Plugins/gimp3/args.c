/*
 * args.c - the procedure's arguments as the engine's option table
 * (stylize_option_find) describes them: the GIMP name, the dialog label as
 * nick, the table's help line as blurb, its range and default. Nothing here
 * checks a value: the library's one validator decides, and its errors are
 * reworded in the dialog's labels (stylize_gimp3_error).
 *
 * Arguments keep the GIMP 2.10 plug-in's names and order (scripts port);
 * the dialog shows style-weight as the 2.10 dialog's 0-100 strength
 * (stylize-strength.h, an aux argument);
 * GIMP-only ones (the style images, the share of two styles) say how they map
 * to the table.
 */
#include <math.h>
#include <string.h>

#include "stylize-gimp3.h"
#include "stylize-strength.h"

/* The table's options with a GIMP name, in the 2.10 procedure's order; newer
 * ones follow in table order (those whose stylize_options field this build
 * knows: build.sh defines STYLIZE_HAS_<FIELD> for fields added after 1.1). */
static const char *const table_order[] = {
    "iterations", "size", "style-weight", "preserve-colors", "content-weight", "seed",
    "style-scale", "scales", "style-blend", "max-memory",
};
static const char *const newer[] = {
#ifdef STYLIZE_HAS_OUTPUT_SIZE
    "output-size",
#endif
#ifdef STYLIZE_HAS_TIME_LIMIT
    "time-limit",
#endif
    NULL,
};

static gboolean
known(const char *gimp)
{
    for (size_t k = 0; k < G_N_ELEMENTS(table_order); k++)
        if (strcmp(gimp, table_order[k]) == 0)
            return TRUE;
    for (size_t k = 0; newer[k]; k++)
        if (strcmp(gimp, newer[k]) == 0)
            return TRUE;
    return FALSE;
}

static const stylize_option_info *
option(const char *gimp)
{
    const stylize_option_info *info = stylize_option_find(gimp);
    if (!info)
        g_error("libstylize has no option '%s': rebuild the plug-in against the installed library", gimp);
    return info;
}

static const char *
label(const stylize_option_info *info)
{
    return info->label ? info->label : info->gimp;
}

/* The dialog's label: the table's, with its unit ("Detail size (px)"). */
static gchar *
nick(const stylize_option_info *info)
{
    return info->unit && *info->unit ? g_strdup_printf("%s (%s)", label(info), info->unit) : g_strdup(label(info));
}

/* A choice's names ("none,luminance,histogram") as a GimpChoice whose ids
 * are the enum values (the index in the list). */
static GimpChoice *
choice_of(const stylize_option_info *info)
{
    GimpChoice *choice = gimp_choice_new();
    gchar **names = g_strsplit(info->choices, ",", -1);
    for (int i = 0; names[i]; i++) {
        gchar *title = g_strdup(names[i]);
        title[0] = g_ascii_toupper(title[0]);
        gimp_choice_add(choice, names[i], i, title, NULL);
        g_free(title);
    }
    g_strfreev(names);
    return choice;
}

/* One table option as a GIMP argument of its type. */
static void
add_table_argument(GimpProcedure *procedure, const char *gimp)
{
    const stylize_option_info *info = option(gimp);
    const GParamFlags rw = G_PARAM_READWRITE;  /* (not static: GLib copies the strings) */
    gchar *title = nick(info);
    switch (info->type) {
    case STYLIZE_OPTION_INTEGER: {
        /* A PDB integer is 32-bit: a wider range (the seed's) stops at G_MAXINT. */
        double max = MIN(info->maximum, (double)G_MAXINT);
        gchar *blurb = max < info->maximum
            ? g_strdup_printf("%s; here at most %d", info->help, G_MAXINT) : g_strdup(info->help);
        gimp_procedure_add_int_argument(procedure, gimp, title, blurb, (int)info->minimum,
                                        (int)max, (int)info->default_value, rw);
        g_free(blurb);
        break;
    }
    case STYLIZE_OPTION_REAL:
        /* An exclusive minimum (style scale > 0) is left to the validator. */
        gimp_procedure_add_double_argument(procedure, gimp, title, info->help, info->minimum,
                                           info->maximum, info->default_value, rw);
        break;
    case STYLIZE_OPTION_CHOICE: {
        gchar **names = g_strsplit(info->choices, ",", -1);
        int index = (int)info->default_value;
        const char *value = index >= 0 && index < (int)g_strv_length(names) ? names[index] : names[0];
        gimp_procedure_add_choice_argument(procedure, gimp, title, info->help, choice_of(info),
                                           value, rw);
        g_strfreev(names);
        break;
    }
    case STYLIZE_OPTION_LIST: {
        /* The blend of the plug-in's two styles: the first style's weight w,
         * the second's 1 - w. */
        gchar *blurb = g_strdup_printf("%s: the first style's blend weight w, the second's 1 - w "
                                       "(0 to 1; default 0.5, equal weights)", label(info));
        gimp_procedure_add_double_argument(procedure, gimp, title, blurb, 0.0, 1.0, 0.5, rw);
        g_free(blurb);
        break;
    }
    case STYLIZE_OPTION_BYTES:
        /* The one byte-size syntax of the CLI and vips ("2G", "512M"); "" = none. */
        gimp_procedure_add_string_argument(procedure, gimp, title, info->help,
                                           info->default_text, rw);
        break;
    default:
        g_error("option '%s' has a type the GIMP 3 plug-in does not translate", gimp);
    }
    g_free(title);
}

void
stylize_gimp3_add_arguments(GimpProcedure *procedure)
{
    /* Every table option with a GIMP name must be declared here (and read
     * in stylize_gimp3_options): say so at registration if one is new. */
    for (int i = 0; i < stylize_option_count(); i++) {
        const stylize_option_info *info = stylize_option_at(i);
        if (info->gimp && !known(info->gimp))
            g_warning("libstylize option '%s' has no GIMP 3 argument: update Plugins/gimp3/args.c", info->gimp);
    }
    gimp_procedure_add_file_argument(procedure, "style-file", "Style image",
                                     "Style image: a file in any format GIMP opens (ignored when style-drawable is set)",
                                     GIMP_FILE_CHOOSER_ACTION_OPEN, TRUE, NULL, G_PARAM_READWRITE);
    for (size_t k = 0; k < G_N_ELEMENTS(table_order); k++) {
        if (strcmp(table_order[k], "style-scale") == 0)  /* 2.10's order: style-drawable before it */
            gimp_procedure_add_drawable_argument(procedure, "style-drawable", "Style layer",
                                                 "An open layer to use as the style instead of style-file, or none",
                                                 TRUE, G_PARAM_READWRITE);
        if (strcmp(table_order[k], "style-blend") == 0)  /* and the second style before its share */
            gimp_procedure_add_file_argument(procedure, "style2-file", "Second style image",
                                             "A second style image mixed with the first, or none",
                                             GIMP_FILE_CHOOSER_ACTION_OPEN, TRUE, NULL, G_PARAM_READWRITE);
        add_table_argument(procedure, table_order[k]);
    }
    for (int i = 0; i < stylize_option_count(); i++) {  /* the newer ones, in table order */
        const stylize_option_info *info = stylize_option_at(i);
        for (size_t k = 0; info->gimp && newer[k]; k++)
            if (strcmp(info->gimp, newer[k]) == 0)
                add_table_argument(procedure, info->gimp);
    }
    /* The dialog's slider for style-weight (not a PDB argument; kept with the last values). */
    const stylize_option_info *weight = option("style-weight");
    gchar *blurb = g_strdup_printf("How strongly the style's textures and colors are imposed: 0 = faint, 100 = the "
                                   "style dominates. Each 25 steps multiply the style weight by 10; %.0f is the default "
                                   "(style-weight %g). Style weight: %s",
                                   stylize_weight_strength(weight->default_value), weight->default_value, weight->help);
    gimp_procedure_add_double_aux_argument(procedure, "style-strength", label(weight), blurb, 0, 100,
                                           stylize_weight_strength(weight->default_value), G_PARAM_READWRITE);
    g_free(blurb);
}

/* Whether the procedure has this argument (the table names it for GIMP). */
static G_GNUC_UNUSED gboolean
declared(GimpProcedureConfig *config, const char *gimp)
{
    return g_object_class_find_property(G_OBJECT_GET_CLASS(config), gimp) != NULL;
}

/* The config's value of a table option as a double (integers, reals). */
static double
number(GimpProcedureConfig *config, const char *gimp)
{
    GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(config), gimp);
    if (G_IS_PARAM_SPEC_INT(spec)) {
        int v = 0;
        g_object_get(config, gimp, &v, NULL);
        return v;
    }
    double v = 0;
    g_object_get(config, gimp, &v, NULL);
    return v;
}

gboolean
stylize_gimp3_options(GimpProcedureConfig *config, stylize_options *options, double *blend_first,
                      gchar **problem)
{
    stylize_options_init(options);
    options->iterations = (int32_t)number(config, "iterations");
    options->size = (int32_t)number(config, "size");
    options->style_weight = number(config, "style-weight");
    options->content_weight = number(config, "content-weight");
    options->seed = (uint64_t)number(config, "seed");
    options->style_scale = number(config, "style-scale");
    options->scales = (int32_t)number(config, "scales");
    options->preserve_colors = (stylize_preserve_colors)gimp_procedure_config_get_choice_id(config, "preserve-colors");
    *blend_first = number(config, "style-blend");
    /* Newer fields, where the table names them for GIMP (else the library's default). */
#ifdef STYLIZE_HAS_OUTPUT_SIZE
    if (declared(config, "output-size"))
        options->output_size = (int32_t)number(config, "output-size");
#endif
#ifdef STYLIZE_HAS_TIME_LIMIT
    if (declared(config, "time-limit"))
        options->time_limit = number(config, "time-limit");
#endif
    gchar *memory = NULL;
    g_object_get(config, "max-memory", &memory, NULL);
    options->max_memory = 0;  /* "" = no budget */
    stylize_status status = memory && *memory ? stylize_parse_bytes(memory, &options->max_memory) : STYLIZE_OK;
    g_free(memory);
    if (status != STYLIZE_OK) {
        *problem = stylize_gimp3_error(status, "", NULL, 0);
        return FALSE;
    }
    return TRUE;
}

/* text with every `from` replaced by `to` (a new string; text is freed). */
static gchar *
replace(gchar *text, const char *from, const char *to)
{
    if (!strstr(text, from))
        return text;
    gchar **parts = g_strsplit(text, from, -1);
    gchar *joined = g_strjoinv(to, parts);
    g_strfreev(parts);
    g_free(text);
    return joined;
}

gchar *
stylize_gimp3_error(stylize_status status, const char *layer_name,
                    const char *const *style_names, int style_count)
{
    const stylize_option_info *info = status == STYLIZE_ERROR_INVALID_OPTION ? stylize_last_error_option() : NULL;
    if (info)
        return g_strdup_printf("%s: %s", label(info), stylize_last_error_problem());
    const char *last = stylize_last_error();
    if (!*last)
        return g_strdup(stylize_status_string(status));
    gchar *text = g_strdup(last);
    for (int i = style_count - 1; i >= 0; i--) {
        gchar *from = g_strdup_printf("styles[%d]", i);
        text = replace(text, from, style_names[i]);
        g_free(from);
    }
    if (g_str_has_prefix(text, "content")) {
        gchar *named = g_strconcat(layer_name, text + strlen("content"), NULL);
        g_free(text);
        text = named;
    }
    /* C field names in the table's labels, longest first (so options->style_scale
     * is not read as options->style...). */
    for (size_t longest = 64; longest > 0; longest--)
        for (int i = 0; i < stylize_option_count(); i++) {
            const stylize_option_info *o = stylize_option_at(i);
            if (o->field && strlen(o->field) == longest && (o->label || o->gimp)) {
                gchar *from = g_strconcat("options->", o->field, NULL);
                text = replace(text, from, label(o));
                g_free(from);
            }
        }
    return text;
}
