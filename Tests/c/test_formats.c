/* Tests of the 16-bit and float pixel formats (STYLIZE_FORMAT_U16/F32 or-ed
 * into stylize_image.channels) and of stylize_estimate(). Needs the real
 * model in $STYLIZE_MODEL; runs are tiny (64 px, 5 iterations). Prints
 * "N passed, M failed". */
#include <stylize.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

enum { W = 512, H = 96 };

static stylize_options tiny(void) {
    stylize_options o;
    stylize_options_init(&o);
    o.size = 64;
    o.output_size = 64; /* ends at 64 px (the result is resampled to the content's size) */
    o.scales = 1;
    o.iterations = 5;
    return o;
}

static int compare_u16(const void *a, const void *b) { return (int) *(const uint16_t *) a - (int) *(const uint16_t *) b; }
static int compare_f32(const void *a, const void *b) {
    float x = *(const float *) a, y = *(const float *) b;
    return (x > y) - (x < y);
}

/* Distinct values of channel k (of c) over n pixels. */
static int levels_u16(const uint16_t *p, size_t n, int c, int k) {
    uint16_t *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = p[i * c + k];
    qsort(v, n, sizeof *v, compare_u16);
    int count = n > 0;
    for (size_t i = 1; i < n; i++) count += v[i] != v[i - 1];
    free(v);
    return count;
}

static int levels_f32(const float *p, size_t n, int c, int k) {
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = p[i * c + k];
    qsort(v, n, sizeof *v, compare_f32);
    int count = n > 0;
    for (size_t i = 1; i < n; i++) count += v[i] != v[i - 1];
    free(v);
    return count;
}

int main(void) {
    if (!getenv("STYLIZE_MODEL")) { printf("STYLIZE_MODEL must name the VGG16 model file\n0 passed, 1 failed\n"); return 1; }
    setvbuf(stdout, NULL, _IONBF, 0);
    stylize_model *model = NULL;
    if (stylize_model_open(NULL, &model) != STYLIZE_OK) {
        printf("FAIL open model: %s\n0 passed, 1 failed\n", stylize_last_error());
        return 1;
    }
    const size_t n = (size_t) W * H;

    /* A smooth 16-bit sky: every column a different level (0..65535 left to
     * right in red, right to left in blue, green rising downwards), so an
     * 8-bit path could keep at most 256 of them. */
    uint16_t *sky = malloc(n * 4 * sizeof *sky);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint16_t *q = sky + ((size_t) y * W + x) * 4;
            q[0] = (uint16_t) (20000 + 30000 * x / (W - 1));
            q[1] = (uint16_t) (30000 + 8000 * y / (H - 1));
            q[2] = (uint16_t) (60000 - 20000 * x / (W - 1));
            q[3] = (uint16_t) (x * 131 + y * 7); /* an alpha pattern to come back sample for sample */
        }
    /* The style: coarse 8-bit stripes. */
    enum { S = 64 };
    static uint8_t stripes[S * S * 3];
    for (int i = 0; i < S * S; i++) {
        int band = ((i % S) + 2 * (i / S)) / 6 % 3;
        stripes[i * 3] = band == 0 ? 230 : 40;
        stripes[i * 3 + 1] = band == 1 ? 200 : 60;
        stripes[i * 3 + 2] = band == 2 ? 250 : 30;
    }
    stylize_image style = { stripes, S, S, 3, S * 3 };
    stylize_options o = tiny();

    /* 16-bit in, 16-bit out: more than 256 levels survive, alpha is copied. */
    stylize_image content = { (const uint8_t *) sky, W, H, 4 | STYLIZE_FORMAT_U16, (size_t) W * 8 };
    uint16_t *out16 = malloc(n * 4 * sizeof *out16);
    stylize_status st = stylize_with_model(model, &content, &style, 1, &o, NULL, NULL, (uint8_t *) out16, (size_t) W * 8);
    CHECK(st == STYLIZE_OK, "16-bit run: %s", stylize_last_error());
    if (st == STYLIZE_OK) {
        int red = levels_u16(out16, n, 4, 0), blue = levels_u16(out16, n, 4, 2);
        printf("16-bit gradient %dx%d at size 64: %d red and %d blue levels\n", W, H, red, blue);
        CHECK(red > 256 && blue > 256, "16-bit result has only %d red and %d blue levels (8-bit has at most 256)", red, blue);
        int alpha_same = 1, changed = 0;
        for (size_t i = 0; i < n; i++) {
            alpha_same &= out16[i * 4 + 3] == sky[i * 4 + 3];
            changed += abs(out16[i * 4] - sky[i * 4]) > 257; /* more than one 8-bit step */
        }
        CHECK(alpha_same, "16-bit alpha not copied sample for sample");
        CHECK(changed > (int) n / 10, "16-bit run changed only %d of %zu pixels", changed, n);
    }

    /* The same sky as float 0..1: more than 256 levels, all within 0..1. */
    float *skyf = malloc(n * 3 * sizeof *skyf), *outf = malloc(n * 3 * sizeof *outf);
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) skyf[i * 3 + k] = sky[i * 4 + k] / 65535.0f;
    stylize_image contentf = { (const uint8_t *) skyf, W, H, 3 | STYLIZE_FORMAT_F32, (size_t) W * 12 };
    st = stylize_with_model(model, &contentf, &style, 1, &o, NULL, NULL, (uint8_t *) outf, (size_t) W * 12);
    CHECK(st == STYLIZE_OK, "float run: %s", stylize_last_error());
    if (st == STYLIZE_OK) {
        int red = levels_f32(outf, n, 3, 0), in_range = 1;
        for (size_t i = 0; i < n * 3; i++) in_range &= outf[i] >= 0 && outf[i] <= 1;
        printf("float gradient: %d red levels\n", red);
        CHECK(red > 256, "float result has only %d red levels", red);
        CHECK(in_range, "float result outside 0..1");
    }

    /* The scale: an 8-bit picture given as 16-bit (x257) and as float (/255)
     * comes back as the 8-bit run does, within one 8-bit step. */
    uint8_t *sky8 = malloc(n * 3), *out8 = malloc(n * 3);
    uint16_t *sky16 = malloc(n * 3 * sizeof *sky16), *out16b = malloc(n * 3 * sizeof *out16b);
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) {
            sky8[i * 3 + k] = (uint8_t) (sky[i * 4 + k] >> 8);
            sky16[i * 3 + k] = (uint16_t) (sky8[i * 3 + k] * 257);
            skyf[i * 3 + k] = sky8[i * 3 + k] / 255.0f;
        }
    stylize_image c8 = { sky8, W, H, 3, (size_t) W * 3 };
    stylize_image c16 = { (const uint8_t *) sky16, W, H, 3 | STYLIZE_FORMAT_U16, (size_t) W * 6 };
    stylize_status s8 = stylize_with_model(model, &c8, &style, 1, &o, NULL, NULL, out8, (size_t) W * 3);
    stylize_status s16 = stylize_with_model(model, &c16, &style, 1, &o, NULL, NULL, (uint8_t *) out16b, (size_t) W * 6);
    stylize_status sf = stylize_with_model(model, &contentf, &style, 1, &o, NULL, NULL, (uint8_t *) outf, (size_t) W * 12);
    CHECK(s8 == STYLIZE_OK && s16 == STYLIZE_OK && sf == STYLIZE_OK, "8/16/float runs: %s", stylize_last_error());
    double worst16 = 0, worstf = 0;
    for (size_t i = 0; i < n * 3; i++) {
        worst16 = fmax(worst16, fabs(out16b[i] / 257.0 - out8[i]));
        worstf = fmax(worstf, fabs(outf[i] * 255.0 - out8[i]));
    }
    CHECK(worst16 <= 1 && worstf <= 1, "16-bit/float results differ from 8-bit by %.2f/%.2f steps of 255", worst16, worstf);

    /* Bad formats and strides name the field; NaN in a float image is refused. */
    stylize_image bad = c16;
    bad.channels = 3 | 0x300;
    st = stylize_with_model(model, &bad, &style, 1, &o, NULL, NULL, (uint8_t *) out16b, (size_t) W * 6);
    CHECK(st == STYLIZE_ERROR_INVALID_ARGUMENT && strstr(stylize_last_error(), "content->channels"),
          "unknown format: %d %s", st, stylize_last_error());
    bad = c16;
    bad.stride = (size_t) W * 3; /* 8-bit's stride: too short for 16-bit samples */
    st = stylize_with_model(model, &bad, &style, 1, &o, NULL, NULL, (uint8_t *) out16b, (size_t) W * 6);
    CHECK(st == STYLIZE_ERROR_INVALID_ARGUMENT && strstr(stylize_last_error(), "content->stride"),
          "16-bit stride of 8-bit: %d %s", st, stylize_last_error());
    st = stylize_with_model(model, &c16, &style, 1, &o, NULL, NULL, (uint8_t *) out16b, (size_t) W * 3);
    CHECK(st == STYLIZE_ERROR_INVALID_ARGUMENT && strstr(stylize_last_error(), "output_stride"),
          "16-bit output stride of 8-bit: %d %s", st, stylize_last_error());
    skyf[5 * 3 + 1] = NAN;
    memset(out8, 0xAB, n * 3);
    stylize_image cnan = { (const uint8_t *) skyf, W, H, 3 | STYLIZE_FORMAT_F32, (size_t) W * 12 };
    st = stylize_with_model(model, &cnan, &style, 1, &o, NULL, NULL, out8, (size_t) W * 12 / 4);
    CHECK(st == STYLIZE_ERROR_INVALID_ARGUMENT, "NaN pixel: status %d", st);
    st = stylize_with_model(model, &cnan, &style, 1, &o, NULL, NULL, (uint8_t *) outf, (size_t) W * 12);
    CHECK(st == STYLIZE_ERROR_INVALID_ARGUMENT && strstr(stylize_last_error(), "content: pixel (5, 0)"),
          "NaN pixel: %d %s", st, stylize_last_error());

    /* stylize_estimate: the plan of what stylize_check admits. One level of
     * 64x12 px (512x96 at size 64) plus the 8 px mirrored margin, 5 iterations. */
    stylize_estimate_info e;
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    st = stylize_estimate(model, &content, &style, 1, &o, &e);
    CHECK(st == STYLIZE_OK, "estimate: %s", stylize_last_error());
    CHECK(e.levels == 1 && e.width == 64 && e.height == 12 && !e.tiled, "estimate: %d levels, %dx%d, tiled %d",
          e.levels, e.width, e.height, e.tiled);
    CHECK(e.pixel_iterations == (64 + 16) * (12 + 16) * 5.0, "estimate: %.0f pixel-iterations", e.pixel_iterations);
    CHECK(e.peak_bytes > (1u << 20) && e.peak_bytes < (4ull << 30), "estimate: %llu bytes", (unsigned long long) e.peak_bytes);
    stylize_options big = tiny();
    big.size = 512;
    big.output_size = 0;
    big.iterations = 300;
    big.scales = 3;
    stylize_estimate_info e2 = { .struct_size = sizeof e2 };
    CHECK(stylize_estimate(model, &content, &style, 1, &big, &e2) == STYLIZE_OK && e2.levels == 3 && e2.width == 512
          && e2.peak_bytes > e.peak_bytes && e2.pixel_iterations > 100 * e.pixel_iterations,
          "estimate at 512: %d levels %dx%d, %llu bytes, %.0f", e2.levels, e2.width, e2.height,
          (unsigned long long) e2.peak_bytes, e2.pixel_iterations);
    /* output_size 0 (the default): refinement levels continue from 64 px to the content's
     * own 512x96, 5 steps each at least; a time limit's plan fits it. */
    stylize_options native = tiny();
    native.output_size = 0;
    stylize_estimate_info e4 = { .struct_size = sizeof e4 };
    CHECK(stylize_estimate(model, &content, &style, 1, &native, &e4) == STYLIZE_OK && e4.levels == 4 && e4.width == 512
          && e4.height == 96, "estimate, native size: %d levels %dx%d: %s", e4.levels, e4.width, e4.height, stylize_last_error());
    /* A smaller (older) struct gets only its fields; what check refuses, estimate refuses. */
    stylize_estimate_info e3;
    memset(&e3, 0x5A, sizeof e3);
    e3.struct_size = offsetof(stylize_estimate_info, levels);
    CHECK(stylize_estimate(model, &content, &style, 1, &o, &e3) == STYLIZE_OK && e3.pixel_iterations == e.pixel_iterations
          && e3.levels == 0x5A5A5A5A, "estimate into a short struct wrote past it");
    big.max_memory = 1;
    st = stylize_estimate(model, &content, &style, 1, &big, &e2);
    stylize_status check = stylize_check(model, &content, &style, 1, &big);
    CHECK(st == STYLIZE_ERROR_INVALID_OPTION && check == st && strstr(stylize_last_error(), "max_memory"),
          "estimate with a 1-byte budget: %d (check %d) %s", st, check, stylize_last_error());
    CHECK(stylize_estimate(model, &content, &style, 1, &o, NULL) == STYLIZE_ERROR_INVALID_ARGUMENT, "estimate out NULL");

    stylize_model_close(model);
    free(sky); free(out16); free(skyf); free(outf); free(sky8); free(out8); free(sky16); free(out16b);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
