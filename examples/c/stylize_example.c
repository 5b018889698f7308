/* Stylizes a picture with libstylize, printing progress.
 *
 *   cc stylize_example.c $(pkg-config --cflags --libs stylize) -o stylize_example
 *   ./stylize_example content.ppm style.ppm out.ppm [iterations]
 *
 * Images are binary PPM (P6, 8-bit), to stay free of image libraries; convert
 * with e.g. `convert photo.jpg photo.ppm`. The model comes from $STYLIZE_MODEL
 * or the installed default. */
#include <stylize.h>

#include <stdio.h>
#include <stdlib.h>

/* Reads a P6 PPM with maxval 255 into a malloc'd RGB buffer. */
static uint8_t *read_ppm(const char *path, int *width, int *height) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return NULL; }
    int maxval = 0, c;
    int ok = fgetc(f) == 'P' && fgetc(f) == '6';
    int *fields[3] = { width, height, &maxval };
    for (int i = 0; ok && i < 3; i++) {
        while ((c = fgetc(f)) == '#' || c == ' ' || c == '\t' || c == '\n' || c == '\r')
            if (c == '#') while ((c = fgetc(f)) != '\n' && c != EOF) {}
        ok = c != EOF && ungetc(c, f) != EOF && fscanf(f, "%d", fields[i]) == 1;
    }
    ok = ok && fgetc(f) != EOF && maxval == 255 && *width > 0 && *height > 0
         && *width <= STYLIZE_MAX_DIMENSION && *height <= STYLIZE_MAX_DIMENSION;
    size_t size = ok ? (size_t)*width * (size_t)*height * 3 : 0;
    uint8_t *pixels = ok ? malloc(size) : NULL;
    if (!pixels || fread(pixels, 1, size, f) != size) {
        fprintf(stderr, "%s: not an 8-bit binary PPM (P6) file\n", path);
        free(pixels);
        pixels = NULL;
    }
    fclose(f);
    return pixels;
}

/* Writes via a temporary file and rename, so a failed run leaves no half file. */
static int write_ppm(const char *path, const uint8_t *pixels, int width, int height) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) { perror(tmp); return 0; }
    size_t size = (size_t)width * height * 3;
    int ok = fprintf(f, "P6\n%d %d\n255\n", width, height) > 0 && fwrite(pixels, 1, size, f) == size;
    ok = (fclose(f) == 0) && ok && rename(tmp, path) == 0;
    if (!ok) { perror(path); remove(tmp); }
    return ok;
}

/* Called before the first step and after each one; returning non-zero would cancel. */
static int progress(void *user, int32_t iteration, int32_t total, double loss,
                    double content, double style, double tv) {
    (void)user;
    fprintf(stderr, "iteration %d/%d  loss %.4g (content %.4g, style %.4g, tv %.4g)\n",
            iteration, total, loss, content, style, tv);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: %s content.ppm style.ppm out.ppm [iterations]\n", argv[0]);
        return 2;
    }
    int cw, ch, sw, sh;
    uint8_t *content = read_ppm(argv[1], &cw, &ch);
    uint8_t *style = content ? read_ppm(argv[2], &sw, &sh) : NULL;
    if (!content || !style) { free(content); return 1; }

    stylize_image content_image = { content, cw, ch, 3, (size_t)cw * 3 };
    stylize_image style_image = { style, sw, sh, 3, (size_t)sw * 3 };
    stylize_options options;
    stylize_options_init(&options);  /* defaults, and struct_size for this header */
    options.size = 256;
    options.iterations = argc == 5 ? atoi(argv[4]) : 100;  /* 0 or junk: the library says so */

    uint8_t *output = malloc((size_t)cw * ch * 3);
    stylize_status status = output
        ? stylize(&content_image, &style_image, 1, &options, progress, NULL, output, (size_t)cw * 3)
        : STYLIZE_ERROR_OUT_OF_MEMORY;
    int ok = status == STYLIZE_OK;
    if (!ok) fprintf(stderr, "stylize: %s: %s\n", stylize_status_string(status), stylize_last_error());
    ok = ok && write_ppm(argv[3], output, cw, ch);
    free(content);
    free(style);
    free(output);
    return ok ? 0 : 1;
}
