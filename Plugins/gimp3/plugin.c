/*
 * plugin.c - the GIMP 3 plug-in `plug-in-stylize` (Filters > Artistic >
 * Neural Style Transfer): a GimpPlugIn with one GimpImageProcedure whose
 * arguments come from the engine's option table (args.c). GIMP keeps the last
 * values in the procedure's config; run.c does the run, dialog.c the dialog.
 */
#include "stylize-gimp3.h"

/* (Not "Stylize"/stylize_*: stylize.h owns that prefix.) */
typedef struct { GimpPlugIn parent_instance; } StylizePlugIn;
typedef struct { GimpPlugInClass parent_class; } StylizePlugInClass;

#define STYLIZE_TYPE_PLUG_IN (stylize_plug_in_get_type())
GType stylize_plug_in_get_type(void) G_GNUC_CONST;
G_DEFINE_TYPE(StylizePlugIn, stylize_plug_in, GIMP_TYPE_PLUG_IN)

static const char blurb[] = "Repaint the layer in the style of another image (neural style transfer)";
static const char help[] =
    "Stylizes the layer after a style image with the neural algorithm of Gatys, Ecker and Bethge: "
    "starting from the layer, L-BFGS optimises an image whose VGG features match the layer "
    "(content loss) and whose Gram matrices match the style image (style loss). With a selection "
    "only its bounding box is processed and the result is blended by the selection mask. Needs the "
    "installed libstylize and its VGG model ($STYLIZE_MODEL or <prefix>/share/stylize/vgg16.safetensors). "
    "Script-Fu: (plug-in-stylize #:image image #:drawables (vector layer) #:style-file \"style.jpg\" "
    "#:iterations 300)";

static GimpValueArray *
run(GimpProcedure *procedure, GimpRunMode run_mode, GimpImage *image, GimpDrawable **drawables,
    GimpProcedureConfig *config, gpointer run_data)
{
    GError *error = NULL;
    if (!drawables || !drawables[0] || drawables[1]) {
        g_set_error(&error, GIMP_PLUG_IN_ERROR, 0, "%s works on one layer: select exactly one.",
                    STYLIZE_GIMP3_PROC);
        return gimp_procedure_new_return_values(procedure, GIMP_PDB_CALLING_ERROR, error);
    }
    if (run_mode == GIMP_RUN_INTERACTIVE && !stylize_gimp3_dialog(procedure, config, image, drawables[0]))
        return gimp_procedure_new_return_values(procedure, GIMP_PDB_CANCEL, NULL);

    gboolean cancelled = FALSE;
    if (!stylize_gimp3_run(image, drawables[0], config, &cancelled, &error))
        return gimp_procedure_new_return_values(procedure, cancelled ? GIMP_PDB_CANCEL : GIMP_PDB_EXECUTION_ERROR,
                                                error);
    if (run_mode != GIMP_RUN_NONINTERACTIVE)
        gimp_displays_flush();
    return gimp_procedure_new_return_values(procedure, GIMP_PDB_SUCCESS, NULL);
}

static GList *
query_procedures(GimpPlugIn *plug_in)
{
    return g_list_append(NULL, g_strdup(STYLIZE_GIMP3_PROC));
}

static GimpProcedure *
create_procedure(GimpPlugIn *plug_in, const gchar *name)
{
    if (g_strcmp0(name, STYLIZE_GIMP3_PROC) != 0)
        return NULL;
    GimpProcedure *procedure = gimp_image_procedure_new(plug_in, name, GIMP_PDB_PROC_TYPE_PLUGIN, run, NULL, NULL);
    gimp_procedure_set_image_types(procedure, "RGB*, GRAY*");
    gimp_procedure_set_sensitivity_mask(procedure, GIMP_PROCEDURE_SENSITIVE_DRAWABLE);
    gimp_procedure_set_menu_label(procedure, "Neural Style _Transfer...");
    gimp_procedure_add_menu_path(procedure, "<Image>/Filters/Artistic");
    gimp_procedure_set_documentation(procedure, blurb, help, name);
    gimp_procedure_set_attribution(procedure, "Stylize authors", "Stylize authors", "2025");
    stylize_gimp3_add_arguments(procedure);
    return procedure;
}

/* English only: no message catalog to look for. */
static gboolean
set_i18n(GimpPlugIn *plug_in, const gchar *name, gchar **gettext_domain, gchar **catalog_dir)
{
    return FALSE;
}

static void
stylize_plug_in_class_init(StylizePlugInClass *klass)
{
    GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS(klass);
    plug_in_class->query_procedures = query_procedures;
    plug_in_class->create_procedure = create_procedure;
    plug_in_class->set_i18n = set_i18n;
}

static void
stylize_plug_in_init(StylizePlugIn *self)
{
}

/* OpenBLAS's Prescott fallback on a CPU it does not know: start again with the
 * core that fits (stylize.h), as the stylize tool does. A constructor, as GIMP_MAIN
 * owns main(); glibc passes it main's arguments. */
__attribute__((constructor)) static void
restart_with_fitting_blas_core(int argc, char **argv, char **envp)
{
    (void)argc; (void)envp;
    stylize_blas_restart(argv);
}

GIMP_MAIN(STYLIZE_TYPE_PLUG_IN)
