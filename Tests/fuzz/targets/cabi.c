/* libFuzzer target: the C ABI as a host calls it, every argument from fuzz
 * bytes: stylize_image sizes, strides and channels, every stylize_options
 * field (struct_size included, the struct then allocated at exactly that
 * size), layer strings, blend arrays, the mask; then stylize_check and, for
 * tiny admitted runs, stylize_with_model (1-2 iterations, size <= 32) on the
 * real model ($STYLIZE_MODEL, opened once).
 *
 * Every buffer is allocated at exactly the size its description promises,
 * so AddressSanitizer reports any read or write the contract does not allow.
 * Properties checked beyond "no crash":
 *   - stylize_check reads no pixel (pixels point at 1 byte, or NULL);
 *   - when every buffer is real, stylize_with_model fails exactly when
 *     stylize_check does, with the same status;
 *   - a failed call leaves the output untouched; a successful one writes only
 *     width * channels bytes of each row and copies the content's alpha;
 *   - every failure sets a non-empty message;
 *   - a progress callback that cancels gets STYLIZE_ERROR_CANCELLED. */
#include <stylize.h>

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static stylize_model *model;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    const char *path = getenv("STYLIZE_MODEL");
    if (!path || stylize_model_open(path, &model) != STYLIZE_OK) {
        fprintf(stderr, "cabi fuzz target: set STYLIZE_MODEL to the VGG16 model (%s)\n", stylize_last_error());
        exit(2);
    }
    return 0;
}

/* Fuzz bytes, consumed from the front; zeros once exhausted. */
typedef struct { const uint8_t *p; size_t n; } input;

static uint8_t u8(input *in) {
    if (!in->n) return 0;
    in->n--;
    return *in->p++;
}
static uint64_t u64(input *in) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)u8(in) << (8 * i);
    return v;
}
static uint32_t u32(input *in) { return (uint32_t)u64(in); }

/* Mostly small sides a run admits (16..32 px), sometimes the edges of the rule. */
static int32_t side(input *in) {
    uint8_t k = u8(in);
    if (k < 0xF0) return 16 + k % 17;
    static const int32_t edges[] = { 0, -1, 1, 15, 16, 32768, 32769, 65535, 65536, INT32_MAX, INT32_MIN, 512, 20000 };
    if (k - 0xF0 < (int)(sizeof edges / sizeof *edges)) return edges[k - 0xF0];
    return (int32_t)u32(in);
}

/* A row stride for `width * channels` bytes: mostly just enough plus padding. */
static size_t stride_for(input *in, int32_t width, int32_t channels) {
    int64_t row = (int64_t)width * channels;
    uint8_t k = u8(in);
    if (k < 0xF0 && row >= 0) return (size_t)row + k % 8;
    switch (k & 7) {
    case 0: return 0;
    case 1: return SIZE_MAX;
    case 2: return SIZE_MAX / 2;
    case 3: return row > 0 ? (size_t)row - 1 : 0;
    case 4: return (size_t)1 << 62;
    default: return (size_t)u64(in);
    }
}

static double real(input *in, double usual) {
    static const double table[] = { 0, 1, -1, 1e-4, 1e-2, 2, 0.5, 8, 8.0001, 255, 255.5, 1e6, 1e6 + 1, 1e308,
                                    -0.0, 5e-324, NAN, INFINITY, -INFINITY, 1e-300 };
    uint8_t k = u8(in);
    if (k < 0x80) return usual;
    if (k < 0xF0) return table[k % (sizeof table / sizeof *table)];
    uint64_t bits = u64(in);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* A NUL-terminated string of fuzz bytes (NULL or "" sometimes); caller frees. */
static char *text(input *in) {
    uint8_t k = u8(in);
    if (k < 0x40) return NULL;
    size_t n = k < 0x50 ? 0 : u8(in) % 48;
    char *s = malloc(n + 1);
    for (size_t i = 0; i < n; i++) s[i] = (char)u8(in);
    s[n] = 0;
    return s;
}

typedef struct {
    stylize_image image;
    uint8_t *buffer; /* what pixels points at, owned */
    int real;        /* buffer holds height rows of stride bytes */
} picture;

/* Small enough to allocate for real: height rows of `stride` bytes <= 256 KiB. */
static int allocatable(int32_t height, size_t stride) {
    return height > 0 && height <= 4096 && stride > 0 && stride <= (256u << 10) / (size_t)height;
}

static picture make_picture(input *in) {
    picture p = { { NULL, 0, 0, 0, 0 }, NULL, 0 };
    p.image.width = side(in);
    p.image.height = side(in);
    uint8_t c = u8(in);
    p.image.channels = c < 0xF0 ? 3 + (c & 1) : (c == 0xFF ? (int32_t)u32(in) : (int32_t)(c & 7));
    p.image.stride = stride_for(in, p.image.width, p.image.channels);
    if (allocatable(p.image.height, p.image.stride)) {
        size_t n = (size_t)p.image.height * p.image.stride;
        p.buffer = malloc(n);
        uint8_t seed = u8(in);
        for (size_t i = 0; i < n; i++) p.buffer[i] = (uint8_t)(seed + i * 37 + (i / 7) * 11);
        p.real = 1;
    } else {
        p.buffer = malloc(1); /* a valid pointer that must not be read past */
        p.buffer[0] = 0;
    }
    p.image.pixels = (u8(in) == 0xFF) ? NULL : p.buffer;
    return p;
}

/* Progress: returns non-zero (cancel) from iteration `cancel_at` on. */
static int32_t cancel_at = INT32_MAX, progress_calls, cancelled;
static int progress(void *user, int32_t iteration, int32_t total, double loss, double content, double style, double tv) {
    (void)user; (void)total; (void)loss; (void)content; (void)style; (void)tv;
    progress_calls++;
    if (iteration >= cancel_at) cancelled = 1;
    return iteration >= cancel_at;
}

static int is_tiny(const stylize_options *o, const stylize_image *content) {
    return o->iterations >= 1 && o->iterations <= 2 && o->size >= 0 && o->size <= 32
        && (o->size > 0 || (content->width <= 32 && content->height <= 32))
        && o->scales >= 1 && o->scales <= 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input in = { data, size };

    picture content = make_picture(&in);
    uint8_t k = u8(&in);
    int32_t style_count = k < 0xF0 ? 1 + k % 3 : (k == 0xFF ? (int32_t)u32(&in) : (int32_t)(k & 15) - 4);
    int32_t made = style_count >= 1 && style_count <= STYLIZE_MAX_STYLES ? style_count : 1;
    picture *style_pictures = calloc((size_t)made, sizeof *style_pictures);
    stylize_image *styles = malloc((size_t)made * sizeof *styles); /* exactly style_count entries */
    for (int i = 0; i < made; i++) {
        style_pictures[i] = make_picture(&in);
        styles[i] = style_pictures[i].image;
    }

    /* Options: the defaults, then each field perhaps replaced. */
    stylize_options o;
    stylize_options_init(&o);
    uint32_t change = u32(&in);
    #define CHANGE(bit) (change & (1u << (bit)))
    if (CHANGE(0)) o.size = (u8(&in) & 1) ? (int32_t)u32(&in) : (int32_t)(u8(&in) % 40);
    o.iterations = CHANGE(1) ? (int32_t)u32(&in) : 1 + (u8(&in) & 1);
    if (CHANGE(2)) o.content_weight = real(&in, o.content_weight);
    if (CHANGE(3)) o.style_weight = real(&in, o.style_weight);
    if (CHANGE(4)) o.tv_weight = real(&in, o.tv_weight);
    if (CHANGE(5)) o.init = (stylize_init)(u8(&in) < 0xF0 ? u8(&in) % 3 : u32(&in));
    if (CHANGE(6)) o.optimizer = (stylize_optimizer)(u8(&in) < 0xF0 ? u8(&in) % 2 : u32(&in));
    if (CHANGE(7)) o.learning_rate = real(&in, o.learning_rate);
    if (CHANGE(8)) o.pooling = (stylize_pooling)(u8(&in) < 0xF0 ? u8(&in) % 2 : u32(&in));
    if (CHANGE(9)) o.seed = u64(&in);
    char *content_layers = CHANGE(10) ? text(&in) : NULL;
    char *style_layers = CHANGE(11) ? text(&in) : NULL;
    o.content_layers = content_layers;
    o.style_layers = style_layers;
    if (CHANGE(12)) o.preserve_colors = (stylize_preserve_colors)(u8(&in) < 0xF0 ? u8(&in) % 3 : u32(&in));
    if (CHANGE(13)) o.style_scale = real(&in, o.style_scale);
    if (CHANGE(14)) o.scales = (u8(&in) & 1) ? (int32_t)u32(&in) : (int32_t)(u8(&in) % 10);
    else o.scales = 1;
    if (CHANGE(15)) o.max_memory = (u8(&in) & 1) ? u64(&in) : (uint64_t)u8(&in) << 24;
    double *blend = NULL;
    if (CHANGE(16)) {
        blend = malloc((size_t)made * sizeof *blend); /* style_count weights, no more */
        for (int i = 0; i < made; i++) blend[i] = real(&in, 1);
        o.style_blend = blend;
    }
    uint8_t *mask = NULL;
    if (CHANGE(17)) {
        o.mask_stride = stride_for(&in, content.image.width, 1);
        if (allocatable(content.image.height, o.mask_stride) && content.real) {
            size_t n = (size_t)content.image.height * o.mask_stride;
            mask = malloc(n);
            for (size_t i = 0; i < n; i++) mask[i] = u8(&in);
        } else {
            mask = malloc(1);
            mask[0] = 255;
        }
        o.mask = mask;
    }
    int mask_real = !mask || (allocatable(content.image.height, o.mask_stride) && content.real);
    /* struct_size: an older caller's shorter struct is allocated at its own size. */
    size_t struct_size = sizeof o;
    if (CHANGE(18)) {
        static const size_t sizes[] = { 0, 8, 119, 120, 123, 124, 128, 135, 136, 143, 144, 151, 152, 160, 1 << 20 };
        uint8_t s = u8(&in);
        struct_size = s < 0xF0 ? sizes[s % (sizeof sizes / sizeof *sizes)] : (size_t)u64(&in);
    }
    o.struct_size = struct_size;
    size_t allocated = struct_size >= sizeof(size_t) && struct_size < sizeof o ? struct_size : sizeof o;
    stylize_options *options = malloc(allocated);
    memcpy(options, &o, allocated);
    const stylize_options *passed = CHANGE(19) && u8(&in) == 0xFF ? NULL : options;

    /* Admission from sizes alone. */
    stylize_status checked = stylize_check(model, &content.image, styles, style_count, passed);
    if (checked != STYLIZE_OK && stylize_last_error()[0] == 0) {
        fprintf(stderr, "stylize_check returned %d with no message\n", checked);
        abort();
    }

    /* The run itself, when every buffer it may read is real. */
    int all_real = content.real && content.image.pixels && mask_real;
    for (int i = 0; i < made; i++) all_real = all_real && style_pictures[i].real && styles[i].pixels;
    stylize_options effective;
    stylize_options_init(&effective);
    if (passed) memcpy(&effective, options, allocated < sizeof effective ? allocated : sizeof effective);
    if (all_real && (checked != STYLIZE_OK || is_tiny(passed ? &effective : &o, &content.image))) {
        if (!passed) { /* NULL options: the defaults, far from tiny */
            goto done;
        }
        int32_t w = content.image.width, h = content.image.height, c = content.image.channels;
        int valid = w >= 1 && w <= STYLIZE_MAX_DIMENSION && h >= 1 && h <= STYLIZE_MAX_DIMENSION && (c == 3 || c == 4);
        size_t output_stride = valid ? (size_t)w * (size_t)c + (u8(&in) % 4) : (size_t)u64(&in);
        int bad_output = valid && u8(&in) >= 0xF8;
        if (bad_output) output_stride = (size_t)w * (size_t)c - 1;
        size_t n = valid ? (size_t)h * output_stride : 0; /* content within 256 KiB: small */
        uint8_t *output = malloc(n ? n : 1), *before = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) output[i] = before[i] = (uint8_t)(0xA5 ^ i);
        cancel_at = u8(&in) >= 0xC0 ? (int32_t)(u8(&in) % 3) : INT32_MAX;
        progress_calls = cancelled = 0;
        stylize_status ran = stylize_with_model(model, &content.image, styles, style_count, passed,
                                                progress, NULL, output, output_stride);
        if (ran == STYLIZE_OK && progress_calls == 0) {
            fprintf(stderr, "a successful run never called progress\n");
            abort();
        }
        if (cancelled && ran != STYLIZE_ERROR_CANCELLED) {
            fprintf(stderr, "progress cancelled, the run returned %d\n", ran);
            abort();
        }
        if (ran != STYLIZE_OK && stylize_last_error()[0] == 0) {
            fprintf(stderr, "stylize_with_model returned %d with no message\n", ran);
            abort();
        }
        if (!bad_output && checked != STYLIZE_OK && ran != checked) {
            fprintf(stderr, "stylize_check said %d, stylize_with_model %d (%s)\n", checked, ran, stylize_last_error());
            abort();
        }
        if (bad_output && ran == STYLIZE_OK) {
            fprintf(stderr, "stylize_with_model accepted output_stride %zu < width * channels\n", output_stride);
            abort();
        }
        if (ran != STYLIZE_OK && memcmp(output, before, n) != 0) {
            fprintf(stderr, "a failed stylize_with_model (%d) wrote to the output\n", ran);
            abort();
        }
        if (ran == STYLIZE_OK) {
            for (int32_t y = 0; y < h; y++) {
                const uint8_t *row = output + (size_t)y * output_stride, *was = before + (size_t)y * output_stride;
                const uint8_t *source = content.image.pixels + (size_t)y * content.image.stride;
                if (memcmp(row + (size_t)w * c, was + (size_t)w * c, output_stride - (size_t)w * c) != 0) {
                    fprintf(stderr, "stylize_with_model wrote into the row padding of row %d\n", y);
                    abort();
                }
                for (int32_t x = 0; c == 4 && x < w; x++)
                    if (row[x * 4 + 3] != source[x * 4 + 3]) {
                        fprintf(stderr, "alpha not copied at (%d, %d)\n", x, y);
                        abort();
                    }
            }
        }
        free(output);
        free(before);
    }
done:
    free(options);
    free(mask);
    free(blend);
    free(content_layers);
    free(style_layers);
    for (int i = 0; i < made; i++) free(style_pictures[i].buffer);
    free(style_pictures);
    free(styles);
    free(content.buffer);
    return 0;
}
