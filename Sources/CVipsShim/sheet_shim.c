#include "sheet_shim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

// Every image made while composing one sheet; unreffed together at the end
// (vips operations hold their own references to their inputs).
typedef struct {
    VipsImage **items;
    int count, capacity;
} Pool;

static VipsImage *keep(Pool *pool, VipsImage *image) {
    if (!image) return NULL;
    if (pool->count == pool->capacity) {
        pool->capacity = pool->capacity ? 2 * pool->capacity : 64;
        pool->items = g_realloc(pool->items, pool->capacity * sizeof *pool->items);
    }
    pool->items[pool->count++] = image;
    return image;
}

static void drain(Pool *pool) {
    for (int i = 0; i < pool->count; i++) g_object_unref(pool->items[i]);
    g_free(pool->items);
}

// A white 3-band uchar image.
static VipsImage *white(Pool *pool, int width, int height) {
    VipsImage *black = NULL, *lifted = NULL, *out = NULL;
    if (vips_black(&black, width, height, "bands", 3, NULL)) return NULL;
    keep(pool, black);
    if (vips_linear1(black, &lifted, 1.0, 255.0, NULL)) return NULL;
    keep(pool, lifted);
    if (vips_cast_uchar(lifted, &out, NULL)) return NULL;
    return keep(pool, out);
}

// Black text on white, 3-band uchar, or NULL (error set) on failure.
static VipsImage *text(Pool *pool, const char *plain, const char *font, int width) {
    char *markup = g_markup_escape_text(plain, -1);
    VipsImage *mask = NULL, *inverted = NULL, *rgb = NULL;
    int failed = vips_text(&mask, markup, "font", font, "width", width, "dpi", 96, "align", VIPS_ALIGN_CENTRE, NULL);
    g_free(markup);
    if (failed) return NULL;
    keep(pool, mask);
    if (vips_invert(mask, &inverted, NULL)) return NULL;
    keep(pool, inverted);
    VipsImage *bands[3] = {inverted, inverted, inverted};
    if (vips_bandjoin(bands, &rgb, 3, NULL)) return NULL;
    return keep(pool, rgb);
}

// The image file fitted (aspect kept) and centred in a cell x cell white square.
static VipsImage *tile(Pool *pool, const char *path, int cell) {
    if (!path || !*path) return white(pool, cell, cell);
    VipsImage *in = keep(pool, vips_image_new_from_file(path, NULL)), *t = NULL;
    if (!in) return NULL;
    if (in->Bands == 2 || in->Bands == 4) {  // flatten alpha onto white
        VipsArrayDouble *bg = vips_array_double_newv(1, 255.0);
        int failed = vips_flatten(in, &t, "background", bg, NULL);
        vips_area_unref(VIPS_AREA(bg));
        if (failed) return NULL;
        in = keep(pool, t);
    }
    if (vips_colourspace(in, &t, VIPS_INTERPRETATION_sRGB, NULL)) return NULL;
    in = keep(pool, t);
    double scale = fmin((double)cell / in->Xsize, (double)cell / in->Ysize);
    // Small study images are enlarged with nearest neighbour so their pixels stay visible.
    if (vips_resize(in, &t, scale, "kernel", scale > 1 ? VIPS_KERNEL_NEAREST : VIPS_KERNEL_LANCZOS3, NULL)) return NULL;
    in = keep(pool, t);
    if (vips_cast_uchar(in, &t, NULL)) return NULL;
    in = keep(pool, t);
    VipsArrayDouble *bg = vips_array_double_newv(3, 255.0, 255.0, 255.0);
    int failed = vips_embed(in, &t, (cell - in->Xsize) / 2, (cell - in->Ysize) / 2, cell, cell,
                            "extend", VIPS_EXTEND_BACKGROUND, "background", bg, NULL);
    vips_area_unref(VIPS_AREA(bg));
    return failed ? NULL : keep(pool, t);
}

// `image` centred in a width x height white area.
static VipsImage *centre(Pool *pool, VipsImage *image, int width, int height) {
    VipsImage *out = NULL;
    VipsArrayDouble *bg = vips_array_double_newv(3, 255.0, 255.0, 255.0);
    int failed = vips_embed(image, &out, (width - image->Xsize) / 2, (height - image->Ysize) / 2, width, height,
                            "extend", VIPS_EXTEND_BACKGROUND, "background", bg, NULL);
    vips_area_unref(VIPS_AREA(bg));
    return failed ? NULL : keep(pool, out);
}

int stylize_sheet_compose(const char *out_path, const char *const *paths, const char *const *labels,
                          int count, int columns, int cell, const char *title) {
    if (count < 1 || columns < 1 || cell < 8) {
        vips_error("stylize", "sheet: %d cells in %d columns of %d px", count, columns, cell);
        return -1;
    }
    Pool pool = {0};
    int result = -1;
    VipsImage **labelled = g_new0(VipsImage *, count);
    VipsImage **captions = g_new0(VipsImage *, count);
    VipsArrayDouble *bg = vips_array_double_newv(3, 255.0, 255.0, 255.0);
    char *temp = NULL;

    // Labels first: every cell gets the height of the tallest one.
    int label_height = 0;
    for (int i = 0; i < count; i++) {
        if (!labels || !labels[i] || !*labels[i]) continue;
        if (!(captions[i] = text(&pool, labels[i], "sans 9", cell - 4))) goto done;
        if (captions[i]->Ysize > label_height) label_height = captions[i]->Ysize;
    }
    label_height += 6;
    for (int i = 0; i < count; i++) {
        VipsImage *picture = tile(&pool, paths ? paths[i] : NULL, cell);
        if (!picture) goto done;
        VipsImage *caption = captions[i] ? centre(&pool, captions[i], cell, label_height)
                                         : white(&pool, cell, label_height);
        if (!caption) goto done;
        VipsImage *joined = NULL;
        if (vips_join(picture, caption, &joined, VIPS_DIRECTION_VERTICAL, NULL)) goto done;
        labelled[i] = keep(&pool, joined);
    }
    VipsImage *grid = NULL, *sheet = NULL;
    if (vips_arrayjoin(labelled, &grid, count, "across", columns, "shim", 8, "background", bg, NULL)) goto done;
    keep(&pool, grid);
    if (title && *title) {
        VipsImage *heading = text(&pool, title, "sans bold 11", grid->Xsize - 8);
        if (!heading) goto done;
        VipsImage *header = centre(&pool, heading, grid->Xsize, heading->Ysize + 12);
        if (!header || vips_join(header, grid, &sheet, VIPS_DIRECTION_VERTICAL, NULL)) goto done;
        keep(&pool, sheet);
    } else {
        sheet = grid;
    }
    VipsImage *framed = NULL;
    if (vips_embed(sheet, &framed, 8, 8, sheet->Xsize + 16, sheet->Ysize + 16,
                   "extend", VIPS_EXTEND_BACKGROUND, "background", bg, NULL)) goto done;
    keep(&pool, framed);

    // Temporary name beside the target with the same extension, then rename.
    const char *dot = strrchr(out_path, '.');
    if (!dot || strchr(dot, '/')) {
        vips_error("stylize", "%s: no file extension", out_path);
        goto done;
    }
    temp = g_strdup_printf("%.*s.sheet-tmp-%d%s", (int)(dot - out_path), out_path, (int)getpid(), dot);
    if (vips_image_write_to_file(framed, temp, NULL)) {
        unlink(temp);
        goto done;
    }
    if (rename(temp, out_path)) {
        vips_error_system(errno, "stylize", "cannot rename %s to %s", temp, out_path);
        unlink(temp);
        goto done;
    }
    result = 0;
done:
    vips_area_unref(VIPS_AREA(bg));
    g_free(temp);
    g_free(labelled);
    g_free(captions);
    drain(&pool);
    return result;
}
