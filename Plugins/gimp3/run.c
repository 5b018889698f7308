/*
 * run.c - one run on a drawable: read the layer (or the selection's bounding
 * box) through GEGL, call the installed libstylize (stylize.h), write the
 * result through the shadow buffer so GIMP blends it by the selection mask
 * (feathering included) as one undo step. The steps are those of the GIMP
 * 2.10 plug-in: sizes first (stylize_check on headers, before any pixel is
 * decoded), styles decoded no larger than the run uses them
 * (stylize_style_side, the libvips reader Plugins/gimp/style.c), pixels last:
 * 8-bit, or float for 16/32-bit images when the library takes them (1.1).
 */
#include <stdio.h>
#include <string.h>

#include <gegl.h>

#include "stylize-gimp.h"
#include "stylize-gimp3.h"

#define FAIL(...) (g_set_error(error, GIMP_PLUG_IN_ERROR, 0, __VA_ARGS__), FALSE)

/* A style image known by its size before any pixel: a file libvips reads
 * (header now, pixels shrunk later), or a drawable (an open layer, or a file
 * only GIMP's loaders open, e.g. .xcf, loaded and flattened). */
typedef struct {
    gchar *name;            /* "Style image '/path/style.jpg'" */
    gchar *path;            /* a libvips file, or NULL */
    GimpDrawable *drawable; /* else this */
    GimpImage *loaded;      /* an image opened for it, deleted after the run */
    int width, height;
    guchar *pixels;         /* decoded: width x height x 3 */
} Style;

static void
style_clear(Style *s)
{
    if (s->loaded)
        gimp_image_delete(s->loaded);
    g_free(s->pixels);
    g_free(s->name);
    g_free(s->path);
    memset(s, 0, sizeof *s);
}

/* Whether the layer goes to the library as float samples: an image deeper
 * than 8 bits, and a library that takes them (1.1: STYLIZE_FORMAT_F32 or-ed
 * into channels; a 1.0 library refuses it), so smooth gradients do not band. */
static gboolean
use_float(GimpImage *image)
{
#ifdef STYLIZE_FORMAT_F32
    int major = 0, minor = 0;
    sscanf(stylize_version(), "%d.%d", &major, &minor);
    switch (gimp_image_get_precision(image)) {
    case GIMP_PRECISION_U8_LINEAR:
    case GIMP_PRECISION_U8_NON_LINEAR:
    case GIMP_PRECISION_U8_PERCEPTUAL:
        return FALSE;
    default:
        return major > 1 || (major == 1 && minor >= 1);
    }
#else
    return FALSE;
#endif
}

/* Reads `rect` of a drawable; babl converts grey, 16-bit and float to `format`. */
static guchar *
read_pixels(GimpDrawable *drawable, const GeglRectangle *rect, const char *format)
{
    const Babl *babl = babl_format(format);
    guchar *bytes = g_malloc((gsize)rect->width * rect->height * babl_format_get_bytes_per_pixel(babl));
    GeglBuffer *buffer = gimp_drawable_get_buffer(drawable);
    gegl_buffer_get(buffer, rect, 1.0, babl, bytes, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
    g_object_unref(buffer);
    return bytes;
}

static gboolean
style_from_drawable(Style *s, GimpDrawable *drawable, GimpImage *image, const char *name)
{
    s->name = g_strdup(name);
    s->drawable = drawable;
    s->width = gimp_drawable_get_width(drawable);
    s->height = gimp_drawable_get_height(drawable);
    s->loaded = image;
    return TRUE;
}

/* A style file: its header through libvips or, when no trusted vips loader
 * takes it, the file as GIMP opens it with all layers composited. */
static gboolean
style_from_file(Style *s, GFile *file, const char *what, GError **error)
{
    gchar *path = g_file_get_path(file);
    gchar *name = g_strdup_printf("%s '%s'", what, path ? path : g_file_peek_path(file));
    gboolean ok = FALSE;
    char why[1024] = "";
    int w = 0, h = 0;
    if (!path || !g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        ok = FAIL("%s does not exist or is not a file.", name);
    }
    else switch (stylize_gimp_style_header(path, &w, &h, why, sizeof why)) {
    case 1:
        s->name = name, name = NULL;
        s->path = path, path = NULL;
        s->width = w, s->height = h;
        ok = TRUE;
        break;
    case 0: {
        GimpImage *opened = gimp_file_load(GIMP_RUN_NONINTERACTIVE, file);
        if (!opened) {
            ok = FAIL("%s could not be opened: %s", name, gimp_pdb_get_last_error(gimp_get_pdb()));
            break;
        }
        GimpLayer *layer = gimp_image_flatten(opened);  /* what the file looks like */
        if (!layer) {
            gimp_image_delete(opened);
            ok = FAIL("%s could not be flattened.", name);
            break;
        }
        ok = style_from_drawable(s, GIMP_DRAWABLE(layer), opened, name);
        break;
    }
    default:
        ok = FAIL("%s could not be read: %s", name, why);
    }
    g_free(name);
    g_free(path);
    return ok;
}

/* The pixels, at most max_side on the longest side for a file (and for an
 * image opened for the run, which GIMP shrinks before it is read). */
static gboolean
style_decode(Style *s, int max_side, GError **error)
{
    if (s->path) {
        char why[1024] = "";
        int32_t w = 0, h = 0;
        uint8_t *p = stylize_gimp_style_decode(s->path, max_side, &w, &h, why, sizeof why);
        if (!p)
            return FAIL("%s could not be read: %s", s->name, why);
        s->pixels = g_memdup2(p, (gsize)w * h * 3);
        stylize_gimp_style_free(p);
        s->width = w, s->height = h;
        return TRUE;
    }
    if (s->loaded && MAX(s->width, s->height) > max_side) {
        double k = (double)max_side / MAX(s->width, s->height);
        gimp_layer_scale(GIMP_LAYER(s->drawable), MAX(1, (int)(s->width * k + 0.5)),
                         MAX(1, (int)(s->height * k + 0.5)), FALSE);
        s->width = gimp_drawable_get_width(s->drawable);
        s->height = gimp_drawable_get_height(s->drawable);
    }
    GeglRectangle all = { 0, 0, s->width, s->height };
    s->pixels = read_pixels(s->drawable, &all, "R'G'B' u8");  /* a style's alpha is not used */
    return TRUE;
}

/* The selection over `rect` of the drawable as a hard mask (255 = selected),
 * or NULL when all of the box is selected. GIMP's merge of the shadow buffer
 * applies the feathered selection itself; the engine gets a hard mask so that
 * its statistics see only selected pixels and feathering is not applied twice. */
static guchar *
selection_mask(GimpImage *image, GimpDrawable *drawable, const GeglRectangle *rect)
{
    if (gimp_selection_is_empty(image))
        return NULL;
    int ox = 0, oy = 0;
    gimp_drawable_get_offsets(drawable, &ox, &oy);  /* the selection is in image coordinates */
    GeglRectangle box = { rect->x + ox, rect->y + oy, rect->width, rect->height };
    guchar *mask = read_pixels(GIMP_DRAWABLE(gimp_image_get_selection(image)), &box, "Y u8");
    gsize n = (gsize)rect->width * rect->height;
    gboolean partial = FALSE;
    for (gsize i = 0; i < n; i++) {
        partial |= mask[i] == 0;
        mask[i] = mask[i] ? 255 : 0;
    }
    if (!partial) {
        g_free(mask);
        return NULL;
    }
    return mask;
}

/* One iteration of progress; non-zero cancels the engine. (Cancel on the
 * progress bar ends this process; pixels are written only after the engine
 * returns, so the image stays unchanged then too.) */
static int
progress(void *user, int32_t iteration, int32_t total, double loss, double c, double s, double tv)
{
    gchar *text = g_strdup_printf("Neural style transfer: iteration %d of %d", iteration, total);
    gimp_progress_set_text(text);
    g_free(text);
    return gimp_progress_update((double)iteration / MAX(total, 1)) ? 0 : 1;
}

gboolean
stylize_gimp3_run(GimpImage *image, GimpDrawable *drawable, GimpProcedureConfig *config,
                  gboolean *cancelled, GError **error)
{
    *cancelled = FALSE;
    if (gimp_drawable_is_indexed(drawable))
        return FAIL("Indexed layers cannot be stylized: convert the image to RGB (Image > Mode > RGB).");
    if (gimp_item_is_group(GIMP_ITEM(drawable)))
        return FAIL("A layer group cannot be stylized: choose one of its layers.");
    /* The selection's bounding box within the layer (the whole layer without one). */
    int x, y, w, h;
    if (!gimp_drawable_mask_intersect(drawable, &x, &y, &w, &h) || w <= 0 || h <= 0)
        return TRUE;  /* the selection misses this layer: nothing to do */
    GeglRectangle rect = { x, y, w, h };
    gimp_progress_init("Neural style transfer: loading…");

    stylize_options options;
    double share = 0.5;
    gchar *problem = NULL;
    if (!stylize_gimp3_options(config, &options, &share, &problem)) {
        g_set_error_literal(error, GIMP_PLUG_IN_ERROR, 0, problem);
        g_free(problem);
        return FALSE;
    }

    /* 1. Sizes only: the styles' headers and the layer's box. */
    Style styles[2] = { 0 };
    int count = 0;
    gboolean ok = FALSE;
    GimpDrawable *style_layer = NULL;
    GFile *file = NULL, *file2 = NULL;
    guchar *content = NULL, *output = NULL, *mask = NULL;
    gchar *layer_name = NULL;
    g_object_get(config, "style-drawable", &style_layer, "style-file", &file, "style2-file", &file2, NULL);
    if (style_layer && gimp_item_get_id(GIMP_ITEM(style_layer)) == gimp_item_get_id(GIMP_ITEM(drawable))) {
        ok = FAIL("The style layer is the layer being stylized: choose another layer or an image file.");
    }
    else if (style_layer) {
        gchar *name = g_strdup_printf("Style layer '%s'", gimp_item_get_name(GIMP_ITEM(style_layer)));
        ok = style_from_drawable(&styles[count++], style_layer, NULL, name);
        g_free(name);
    }
    else if (file)
        ok = style_from_file(&styles[count++], file, "Style image", error);
    else
        ok = FAIL("No style image: choose an image file (style-file) or an open layer (style-drawable).");
    if (ok && file2)
        ok = style_from_file(&styles[count++], file2, "Second style image", error);
    if (!ok)
        goto done;

    gboolean alpha = gimp_drawable_has_alpha(drawable);
    int channels = alpha ? 4 : 3;
    gboolean deep = use_float(image);
    size_t sample = deep ? sizeof(float) : 1;
    const char *format = deep ? (alpha ? "R'G'B'A float" : "R'G'B' float") : (alpha ? "R'G'B'A u8" : "R'G'B' u8");
#ifdef STYLIZE_FORMAT_F32
    int layout = channels | (deep ? STYLIZE_FORMAT_F32 : 0);
#else
    int layout = channels;
#endif
    size_t stride = (size_t)w * channels * sample;
    layer_name = g_strdup_printf("Layer '%s'%s", gimp_item_get_name(GIMP_ITEM(drawable)),
                                 w < gimp_drawable_get_width(drawable) || h < gimp_drawable_get_height(drawable)
                                 ? " (the selection's box)" : "");
    const char *names[2] = { styles[0].name, count > 1 ? styles[1].name : NULL };
    double blend[2] = { share, 1 - share };
    options.style_blend = count == 2 ? blend : NULL;

    /* 2. Admission before any pixel is decoded or read: the image rule, the
     * options (the library's validator) and the memory the run needs. */
    stylize_image header = { NULL, w, h, layout, stride };
    stylize_image style_headers[2];
    for (int i = 0; i < count; i++)
        style_headers[i] = (stylize_image){ NULL, styles[i].width, styles[i].height, 3, (size_t)styles[i].width * 3 };
    stylize_status status = stylize_check(NULL, &header, style_headers, count, &options);
    if (status != STYLIZE_OK) {
        gchar *message = stylize_gimp3_error(status, layer_name, names, count);
        ok = FAIL("%s", message);
        g_free(message);
        goto done;
    }

    /* 3. Pixels: styles only as large as the run uses them, then the layer. */
    gegl_init(NULL, NULL);
    stylize_image style_images[2];
    for (int i = 0; i < count; i++) {
        int side = stylize_style_side(&options, w, h, styles[i].width, styles[i].height);
        if (side <= 0) {
            ok = FAIL("%s", stylize_last_error());
            goto done;
        }
        if (!(ok = style_decode(&styles[i], side, error)))
            goto done;
        style_images[i] = (stylize_image){ styles[i].pixels, styles[i].width, styles[i].height, 3,
                                           (size_t)styles[i].width * 3 };
    }
    content = read_pixels(drawable, &rect, format);
    mask = selection_mask(image, drawable, &rect);
    options.mask = mask;
    options.mask_stride = (size_t)w;
    stylize_image content_image = { content, w, h, layout, stride };
    output = g_malloc(stride * h);
    status = stylize(&content_image, style_images, count, &options, progress, NULL, output, stride);
    if (status != STYLIZE_OK) {
        *cancelled = status == STYLIZE_ERROR_CANCELLED;
        gchar *message = stylize_gimp3_error(status, layer_name, names, count);
        ok = FAIL("%s", message);
        g_free(message);
        goto done;
    }

    /* Shadow buffer + merge: GIMP applies the selection mask and records one undo step. */
    gimp_image_undo_group_start(image);
    GeglBuffer *shadow = gimp_drawable_get_shadow_buffer(drawable);
    gegl_buffer_set(shadow, &rect, 0, babl_format(format), output, GEGL_AUTO_ROWSTRIDE);
    g_object_unref(shadow);  /* flushes the tiles to GIMP */
    gimp_drawable_merge_shadow(drawable, TRUE);
    gimp_drawable_update(drawable, x, y, w, h);
    gimp_image_undo_group_end(image);
    gimp_progress_update(1.0);
    ok = TRUE;
done:
    for (int i = 0; i < 2; i++)
        style_clear(&styles[i]);
    g_clear_object(&style_layer);
    g_clear_object(&file);
    g_clear_object(&file2);
    g_free(content);
    g_free(output);
    g_free(mask);
    g_free(layer_name);
    return ok;
}
