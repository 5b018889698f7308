/*
 * style.c - reads style image files with libvips: the header first (lazy,
 * no pixel decoded), then the pixels shrunk to the side the run uses them at,
 * so a huge or hostile file is refused on its header and a large one never
 * needs its full size in memory. C because libvips' API is variadic.
 */
#include <stdio.h>
#include <string.h>

#include <vips/vips.h>

#include "stylize-gimp.h"

static int started = 0;

/* libvips once per process. Untrusted loaders (ImageMagick, PDF, slides)
 * are blocked: their files go through GIMP's own loaders instead. */
static int
style_vips_start(char *error, size_t error_size)
{
    if (!started) {
        if (VIPS_INIT("stylize")) {
            snprintf(error, error_size, "libvips could not start: %s", vips_error_buffer());
            vips_error_clear();
            return -1;
        }
        vips_block_untrusted_set(TRUE);
        started = 1;
    }
    return 0;
}

/* vips' message, one line, into error (then cleared). */
static void
style_vips_error(char *error, size_t error_size)
{
    snprintf(error, error_size, "%s", vips_error_buffer());
    vips_error_clear();
    size_t n = strlen(error);
    while (n > 0 && (error[n - 1] == '\n' || error[n - 1] == ' ' || error[n - 1] == '.'))
        error[--n] = 0;
    for (char *p = error; *p; p++)
        if (*p == '\n')
            *p = ' ';
}

/* Whether a trusted libvips loader takes the file (find_load also names
 * blocked ones, e.g. ImageMagick's for .xcf). */
static int
style_vips_trusted_loader(const char *path)
{
    const char *loader = vips_foreign_find_load(path);
    if (!loader)
        return 0;
    GType type = vips_type_find("VipsOperation", loader);
    if (!type)
        return 0;
    VipsOperationClass *class = VIPS_OPERATION_CLASS(g_type_class_ref(type));
    int trusted = !(class->flags & (VIPS_OPERATION_UNTRUSTED | VIPS_OPERATION_BLOCKED));
    g_type_class_unref(class);
    return trusted;
}

int
stylize_gimp_style_header(const char *path, int32_t *width, int32_t *height,
                          char *error, size_t error_size)
{
    if (style_vips_start(error, error_size))
        return -1;
    if (!style_vips_trusted_loader(path)) {  /* GIMP's turn */
        vips_error_clear();
        return 0;
    }
    VipsImage *image = vips_image_new_from_file(path, NULL);  /* lazy: the header only */
    if (!image) {
        style_vips_error(error, error_size);
        return -1;
    }
    int swap = vips_image_get_orientation_swap(image);  /* EXIF rotation, as decoded below */
    *width = swap ? image->Ysize : image->Xsize;
    *height = swap ? image->Xsize : image->Ysize;
    g_object_unref(image);
    return 1;
}

uint8_t *
stylize_gimp_style_decode(const char *path, int32_t max_side, int32_t *width, int32_t *height,
                          char *error, size_t error_size)
{
    VipsImage *t[6] = { 0 };
    uint8_t *pixels = NULL;

    if (style_vips_start(error, error_size))
        return NULL;
    /* thumbnail shrinks on load where the format can (JPEG, WebP, HEIF) and
     * streams otherwise; "down" never enlarges. A truncated file is an error,
     * as in the stylize command. */
    if (vips_thumbnail(path, &t[0], max_side, "height", max_side, "size", VIPS_SIZE_DOWN,
                       "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL))
        goto done;
    VipsImage *x = t[0];
    if (vips_colourspace_issupported(x)) {
        if (vips_colourspace(x, &t[1], VIPS_INTERPRETATION_sRGB, NULL))
            goto done;
        x = t[1];
    }
    /* What the file looks like: alpha flattened onto white, as GIMP's
     * flatten with the default background. */
    if (vips_image_hasalpha(x)) {
        double white[1] = { x->BandFmt == VIPS_FORMAT_USHORT ? 65535 : 255 };
        VipsArrayDouble *background = vips_array_double_new(white, 1);
        int failed = vips_flatten(x, &t[2], "background", background,
                                  "max_alpha", white[0], NULL);
        vips_area_unref(VIPS_AREA(background));
        if (failed)
            goto done;
        x = t[2];
    }
    if (vips_cast(x, &t[3], VIPS_FORMAT_UCHAR, "shift", x->BandFmt == VIPS_FORMAT_USHORT, NULL))
        goto done;
    x = t[3];
    if (x->Bands < 3) {  /* grey: three equal bands */
        VipsImage *grey[3] = { x, x, x };
        if (vips_bandjoin(grey, &t[4], 3, NULL))
            goto done;
    }
    else if (vips_extract_band(x, &t[4], 0, "n", 3, NULL))
        goto done;
    size_t size = 0;
    pixels = vips_image_write_to_memory(t[4], &size);
    if (!pixels)
        goto done;
    *width = t[4]->Xsize;
    *height = t[4]->Ysize;
done:
    if (!pixels)
        style_vips_error(error, error_size);
    for (int i = 0; i < 6; i++)
        if (t[i])
            g_object_unref(t[i]);
    return pixels;
}

void
stylize_gimp_style_free(uint8_t *pixels)
{
    g_free(pixels);
}
