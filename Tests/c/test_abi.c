/* Tests of libstylize's C ABI against the installed header and library.
 * Needs the real model in $STYLIZE_MODEL. Runs are tiny (64 px, a few
 * iterations) so the whole file takes seconds. Prints "N passed, M failed". */
#include <stylize.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

enum { W = 64, H = 64 };

/* Procedural pictures: a content with smooth shapes, a style of coloured stripes. */
static void make_content(uint8_t *p, int w, int h, int channels, size_t stride) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = p + (size_t)y * stride + (size_t)x * channels;
            int dx = x - w / 2, dy = y - h / 2;
            int inside = dx * dx + dy * dy < (w * w) / 9;
            q[0] = (uint8_t)(inside ? 220 : 4 * x % 256);
            q[1] = (uint8_t)(inside ? 60 : 4 * y % 256);
            q[2] = (uint8_t)(128 + 100 * (x > y) - 50 * inside);
            if (channels == 4) q[3] = (uint8_t)((x * 7 + y * 13) % 256); /* alpha pattern */
        }
}

static void make_style(uint8_t *p, int w, int h, int phase) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * w + x) * 3;
            int band = ((x + 2 * y + phase) / 5) % 3;
            q[0] = (uint8_t)(band == 0 ? 240 : 20);
            q[1] = (uint8_t)(band == 1 ? 200 : 40);
            q[2] = (uint8_t)(band == 2 ? 255 : 10 + x);
        }
}

static stylize_image image(const uint8_t *pixels, int w, int h, int channels, size_t stride) {
    stylize_image im = { pixels, w, h, channels, stride };
    return im;
}

static stylize_options small_options(void) {
    stylize_options o;
    stylize_options_init(&o);
    o.size = W;
    o.iterations = 5;
    o.seed = 7;
    return o;
}

/* Progress recorder: counts calls, checks order, cancels at `cancel_at` (or never: -1). */
typedef struct {
    int calls, cancel_at, last_iteration, total, order_ok, losses_ok;
} progress_log;

static int record(void *user, int32_t iteration, int32_t total, double loss,
                  double content, double style, double tv) {
    progress_log *log = user;
    if (iteration != log->calls) log->order_ok = 0;
    if (!(isfinite(loss) && content >= 0 && style >= 0 && tv >= 0 &&
          fabs(loss - (content + style + tv)) <= 1e-6 * fabs(loss) + 1e-9)) log->losses_ok = 0;
    log->calls++;
    log->last_iteration = iteration;
    log->total = total;
    return log->cancel_at >= 0 && iteration >= log->cancel_at;
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t value) {
    for (size_t i = 0; i < n; i++) if (p[i] != value) return 0;
    return 1;
}

/* ---- threads ---------------------------------------------------------- */
typedef struct {
    const stylize_model *model;
    const stylize_image *content, *style;
    uint64_t seed;
    uint8_t *out;
    stylize_status status;
} job;

static void run_job(job *j) {
    stylize_options o = small_options();
    o.seed = j->seed;
    o.init = STYLIZE_INIT_NOISE;
    j->status = stylize_with_model(j->model, j->content, j->style, 1, &o, NULL, NULL, j->out, W * 3);
}

static void *thread_main(void *arg) { run_job(arg); return NULL; }

static void *read_last_error(void *arg) {
    snprintf(arg, 64, "%s", stylize_last_error());
    return NULL;
}

/* ---- bad arguments ------------------------------------------------------ */
/* Runs one call that must fail with `expect`, with a message containing `word`,
 * leaving `out` untouched. */
static void expect_failure(const char *what, stylize_status got, stylize_status expect,
                           const char *word, const uint8_t *out, size_t out_size) {
    const char *msg = stylize_last_error();
    CHECK(got == expect, "%s: status %d (%s), expected %d; message: %s", what, got,
          stylize_status_string(got), expect, msg);
    CHECK(msg && strstr(msg, word), "%s: message '%s' does not name '%s'", what, msg ? msg : "(null)", word);
    CHECK(out == NULL || all_bytes(out, out_size, 0xAB), "%s: output was written", what);
}

int main(void) {
    const char *model_path = getenv("STYLIZE_MODEL");
    if (!model_path || !*model_path) {
        printf("STYLIZE_MODEL must name the VGG16 model file\n0 passed, 1 failed\n");
        return 1;
    }
    setvbuf(stdout, NULL, _IONBF, 0);

    /* Version, statuses, defaults. */
    CHECK(strcmp(stylize_version(), STYLIZE_VERSION_STRING) == 0,
          "stylize_version() %s != header %s", stylize_version(), STYLIZE_VERSION_STRING);
    for (int s = 0; s <= 7; s++) CHECK(stylize_status_string((stylize_status)s) != NULL, "status %d", s);
    CHECK(strcmp(stylize_last_error(), "") == 0, "last error before any failure: '%s'", stylize_last_error());
    /* The OpenBLAS core to start again with: none when OPENBLAS_CORETYPE names one, else none or one
     * that this CPU's feature bits fit (the CLI test checks the restart itself). */
    const char *core = stylize_blas_restart_core();
    if (getenv("OPENBLAS_CORETYPE")) CHECK(core == NULL, "restart core %s though OPENBLAS_CORETYPE is set", core);
    else CHECK(core == NULL || !strcmp(core, "Cooperlake") || !strcmp(core, "SkylakeX") || !strcmp(core, "Haswell"),
               "restart core '%s'", core);
    stylize_options d;
    memset(&d, 0x5A, sizeof d);
    stylize_options_init(&d);
    CHECK(d.struct_size == sizeof d && d.size == 512 && d.iterations == 300 && d.content_weight == 1
          && d.model_path == NULL && d.style_blend == NULL && d.content_layers == NULL
          && d.init == STYLIZE_INIT_CONTENT && d.optimizer == STYLIZE_OPTIMIZER_LBFGS && d.style_scale == 1,
          "stylize_options_init defaults");
    stylize_options_init(NULL); /* must not crash */

    /* Model handle. */
    stylize_model *model = (stylize_model *)1;
    stylize_status st = stylize_model_open("/nonexistent/vgg.safetensors", &model);
    CHECK(st == STYLIZE_ERROR_MODEL && model == NULL, "open missing model: %d", st);
    CHECK(strstr(stylize_last_error(), "/nonexistent/vgg.safetensors") != NULL, "message: %s", stylize_last_error());
    st = stylize_model_open("/etc/hostname", &model);
    CHECK(st == STYLIZE_ERROR_MODEL, "open a non-model file: %d %s", st, stylize_last_error());
    CHECK(stylize_model_open(NULL, NULL) == STYLIZE_ERROR_INVALID_ARGUMENT, "out_model NULL");
    CHECK(strstr(stylize_last_error(), "out_model") != NULL, "message: %s", stylize_last_error());
    stylize_model_close(NULL);
    st = stylize_model_open(NULL, &model); /* via $STYLIZE_MODEL */
    CHECK(st == STYLIZE_OK && model != NULL, "open $STYLIZE_MODEL: %s", stylize_last_error());
    if (st != STYLIZE_OK) { printf("%d passed, %d failed\n", passed, failed); return 1; }

    static uint8_t content[W * H * 3], style[W * H * 3], style2[W * H * 3];
    static uint8_t out[W * H * 3], out2[W * H * 3], out3[W * H * 3];
    make_content(content, W, H, 3, W * 3);
    make_style(style, W, H, 0);
    make_style(style2, W, H, 3);
    stylize_image c = image(content, W, H, 3, W * 3), s = image(style, W, H, 3, W * 3);

    /* A run: progress order, output differs from the content. */
    stylize_options o = small_options();
    progress_log log = { 0, -1, -1, 0, 1, 1 };
    st = stylize_with_model(model, &c, &s, 1, &o, record, &log, out, W * 3);
    CHECK(st == STYLIZE_OK, "stylize_with_model: %s", stylize_last_error());
    CHECK(log.calls == 6 && log.last_iteration == 5 && log.total == 5 && log.order_ok,
          "progress: %d calls, last %d of %d", log.calls, log.last_iteration, log.total);
    CHECK(log.losses_ok, "progress losses not finite or not summing to the total");
    size_t changed = 0;
    for (size_t i = 0; i < sizeof out; i++) changed += abs(out[i] - content[i]) > 2;
    CHECK(changed > sizeof out / 10, "only %zu of %zu bytes changed", changed, sizeof out);

    /* Determinism, and the seed matters for noise init. */
    st = stylize_with_model(model, &c, &s, 1, &o, NULL, NULL, out2, W * 3);
    CHECK(st == STYLIZE_OK && memcmp(out, out2, sizeof out) == 0, "same seed, different output");
    o.init = STYLIZE_INIT_NOISE;
    st = stylize_with_model(model, &c, &s, 1, &o, NULL, NULL, out2, W * 3);
    stylize_status st2 = stylize_with_model(model, &c, &s, 1, &o, NULL, NULL, out3, W * 3);
    CHECK(st == STYLIZE_OK && st2 == STYLIZE_OK && memcmp(out2, out3, sizeof out) == 0, "noise init not deterministic");
    o.seed = 8;
    st = stylize_with_model(model, &c, &s, 1, &o, NULL, NULL, out3, W * 3);
    CHECK(st == STYLIZE_OK && memcmp(out2, out3, sizeof out) != 0, "seeds 7 and 8 gave the same noise run");

    /* stylize() with an explicit model path gives the same result as the handle. */
    o = small_options();
    o.model_path = model_path;
    memset(out2, 0, sizeof out2);
    st = stylize(&c, &s, 1, &o, NULL, NULL, out2, W * 3);
    CHECK(st == STYLIZE_OK && memcmp(out, out2, sizeof out) == 0, "stylize() differs from stylize_with_model: %s",
          stylize_last_error());

    /* Cancel at iteration 2: distinct status, no further calls, output untouched. */
    o = small_options();
    memset(out2, 0xAB, sizeof out2);
    progress_log cancel = { 0, 2, -1, 0, 1, 1 };
    st = stylize_with_model(model, &c, &s, 1, &o, record, &cancel, out2, W * 3);
    CHECK(st == STYLIZE_ERROR_CANCELLED, "cancel: status %d", st);
    CHECK(cancel.calls == 3, "callback called %d times after cancelling at iteration 2", cancel.calls);
    CHECK(all_bytes(out2, sizeof out2, 0xAB), "cancelled run wrote the output");
    CHECK(strstr(stylize_last_error(), "cancel") != NULL, "message: %s", stylize_last_error());

    /* RGBA with padded strides: alpha copied, RGB as the RGB run, padding untouched. */
    {
        enum { CS = W * 4 + 12, OS = W * 4 + 20 };
        static uint8_t rgba[H * CS], rgba_out[H * OS];
        make_content(rgba, W, H, 4, CS);
        memset(rgba_out, 0xAB, sizeof rgba_out);
        stylize_image ca = image(rgba, W, H, 4, CS);
        o = small_options();
        st = stylize_with_model(model, &ca, &s, 1, &o, NULL, NULL, rgba_out, OS);
        CHECK(st == STYLIZE_OK, "RGBA run: %s", stylize_last_error());
        int alpha_ok = 1, rgb_ok = 1, pad_ok = 1;
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                const uint8_t *a = rgba_out + y * OS + x * 4, *r = out + (y * W + x) * 3;
                alpha_ok &= a[3] == rgba[y * CS + x * 4 + 3];
                rgb_ok &= a[0] == r[0] && a[1] == r[1] && a[2] == r[2];
            }
            pad_ok &= all_bytes(rgba_out + y * OS + W * 4, OS - W * 4, 0xAB);
        }
        CHECK(alpha_ok, "alpha not preserved");
        CHECK(rgb_ok, "RGBA run's colours differ from the RGB run's");
        CHECK(pad_ok, "output row padding was written");
    }

    /* Other options reach the engine: Adam, average pooling, style init, two blended styles. */
    {
        stylize_image two[2] = { s, image(style2, W, H, 3, W * 3) };
        double blend[2] = { 0.7, 0.3 };
        o = small_options();
        o.optimizer = STYLIZE_OPTIMIZER_ADAM;
        o.pooling = STYLIZE_POOLING_AVERAGE;
        o.init = STYLIZE_INIT_STYLE;
        o.style_blend = blend;
        o.style_layers = "relu1_1:0.5,relu2_1,relu3_1";
        o.content_layers = "conv4_2";
        st = stylize_with_model(model, &c, two, 2, &o, NULL, NULL, out2, W * 3);
        CHECK(st == STYLIZE_OK, "Adam/average/style init/blend: %s", stylize_last_error());
        CHECK(memcmp(out, out2, sizeof out) != 0, "other options gave the default result");
    }

    /* Preserve colours (luminance): the output's chroma stays nearer the content's. */
    {
        o = small_options();
        o.preserve_colors = STYLIZE_PRESERVE_COLORS_LUMINANCE;
        st = stylize_with_model(model, &c, &s, 1, &o, NULL, NULL, out2, W * 3);
        CHECK(st == STYLIZE_OK, "preserve_colors luminance: %s", stylize_last_error());
        double plain = 0, kept = 0;
        for (size_t i = 0; i < sizeof out; i += 3) {
            int cr = content[i] - content[i + 1], cb = content[i + 2] - content[i + 1];
            plain += abs(out[i] - out[i + 1] - cr) + abs(out[i + 2] - out[i + 1] - cb);
            kept += abs(out2[i] - out2[i + 1] - cr) + abs(out2[i + 2] - out2[i + 1] - cb);
        }
        CHECK(kept < plain / 2, "chroma distance to the content: %.0f with luminance transfer, %.0f without", kept, plain);
        o.preserve_colors = STYLIZE_PRESERVE_COLORS_HISTOGRAM;
        st = stylize_with_model(model, &c, &s, 1, &o, NULL, NULL, out2, W * 3);
        CHECK(st == STYLIZE_OK && memcmp(out, out2, sizeof out) != 0, "preserve_colors histogram: %s", stylize_last_error());
    }

    /* Mask: 255 on the left half (stylized), 0 on the right half (exactly the content). */
    {
        static uint8_t mask[H * (W + 3)];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W + 3; x++) mask[y * (W + 3) + x] = x < W / 2 ? 255 : 0;
        o = small_options();
        o.mask = mask;
        o.mask_stride = W + 3;
        st = stylize_with_model(model, &c, &s, 1, &o, NULL, NULL, out2, W * 3);
        CHECK(st == STYLIZE_OK, "mask: %s", stylize_last_error());
        int right_same = 1, left_changed = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int k = 0; k < 3; k++) {
                    int i = (y * W + x) * 3 + k;
                    if (x >= W / 2) right_same &= out2[i] == content[i];
                    else left_changed += abs(out2[i] - content[i]) > 2;
                }
        CHECK(right_same, "masked-out half is not the content");
        CHECK(left_changed > W * H / 8, "masked-in half barely changed (%d bytes)", left_changed);
    }

    /* A video frame with the caller's own flow (Ruder et al.): the temporal target w is a
     * flat grey, trusted (c = 255) on the left half and not (0) on the right; a strong
     * temporal weight holds the left half near w, the right half is stylized freely.
     * An older caller's struct_size (ending before init_image) reads none of it. */
    {
        static uint8_t grey[H * W * 3], tmask[H * (W + 1)];
        memset(grey, 128, sizeof grey);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W + 1; x++) tmask[y * (W + 1) + x] = x < W / 2 ? 255 : 0;
        stylize_image target = image(grey, W, H, 3, W * 3);
        o = small_options();
        o.temporal_target = &target;
        o.temporal_mask = tmask;
        o.temporal_mask_stride = W + 1;
        o.temporal_weight = 1e5;
        st = stylize_with_model(model, &c, &s, 1, &o, NULL, NULL, out2, W * 3);
        CHECK(st == STYLIZE_OK, "temporal target: %s", stylize_last_error());
        double left = 0, right = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int k = 0; k < 3; k++) *(x < W / 2 ? &left : &right) += abs(out2[(y * W + x) * 3 + k] - 128);
        CHECK(left < right / 4, "mean distance to the temporal target: %.1f where trusted, %.1f where not",
              left / (W * H * 1.5), right / (W * H * 1.5));
        /* The start picture alone: a run from the grey ends nearer to it than the one from the content. */
        o = small_options();
        o.init_image = &target;
        st = stylize_with_model(model, &c, &s, 1, &o, NULL, NULL, out2, W * 3);
        double from_grey = 0, from_content = 0;
        for (size_t i = 0; i < sizeof out; i++) { from_grey += abs(out2[i] - 128); from_content += abs(out[i] - 128); }
        CHECK(st == STYLIZE_OK && from_grey < from_content, "init_image: status %d, distance to grey %.0f (from content %.0f): %s",
              st, from_grey, from_content, stylize_last_error());
        o.temporal_target = &target;
        o.temporal_mask = tmask;
        o.temporal_mask_stride = W - 1;
        memset(out2, 0xAB, sizeof out2);
        st = stylize_with_model(model, &c, &s, 1, &o, NULL, NULL, out2, W * 3);
        expect_failure("temporal_mask_stride < width", st, STYLIZE_ERROR_INVALID_OPTION, "temporal_mask_stride", out2, sizeof out2);
        o = small_options();
        o.struct_size = offsetof(stylize_options, init_image);
        o.init_image = o.temporal_target = (const stylize_image *)1;  /* would crash if read */
        st = stylize_with_model(model, &c, &s, 1, &o, NULL, NULL, out2, W * 3);
        CHECK(st == STYLIZE_OK && memcmp(out, out2, sizeof out) == 0, "options ending before init_image: %s", stylize_last_error());
    }

    /* Coarse to fine: two levels (64 and 128 px) still report `iterations` steps in all. */
    {
        o = small_options();
        o.size = 128;
        o.scales = 2;
        o.iterations = 4;
        progress_log levels = { 0, -1, -1, 0, 1, 1 };
        st = stylize_with_model(model, &c, &s, 1, &o, record, &levels, out2, W * 3);
        CHECK(st == STYLIZE_OK && levels.calls == 5 && levels.total == 4 && levels.order_ok,
              "two scales: status %d, %d calls, total %d: %s", st, levels.calls, levels.total, stylize_last_error());
    }

    /* A time limit plans the steps itself (here a 64 px content composed at 32 px and
     * refined at 64): the run ends by itself, and the total it reports is what it did.
     * How many steps fit in 3 s depends on the machine (under ASan on a loaded one, one
     * step at 32 px): the start's report and at least one step. */
    {
        o = small_options();
        o.size = W / 2;
        o.time_limit = 3;
        progress_log timed = { 0, -1, -1, 0, 1, 1 };
        st = stylize_with_model(model, &c, &s, 1, &o, record, &timed, out2, W * 3);
        CHECK(st == STYLIZE_OK && timed.calls >= 2 && timed.order_ok, "time_limit: status %d, %d calls: %s",
              st, timed.calls, stylize_last_error());
    }

    /* A caller built against the first, 120-byte layout: fields past it are not read. */
    {
        o = small_options();
        o.struct_size = 120;
        o.scales = 99;       /* would be invalid if it were read */
        o.mask = (const uint8_t *)1;
        st = stylize_with_model(model, &c, &s, 1, &o, NULL, NULL, out2, W * 3);
        CHECK(st == STYLIZE_OK && memcmp(out, out2, sizeof out) == 0, "120-byte options: %s", stylize_last_error());
    }

    /* Edge sizes: the image rule refuses a 1x1 content and a 1-pixel-high strip
     * before any work (STYLIZE_MIN_SIDE); the smallest allowed square runs. */
    {
        uint8_t one[3] = { 10, 200, 30 }, one_out[3] = { 0xAB, 0xAB, 0xAB };
        stylize_image c1 = image(one, 1, 1, 3, 3);
        o = small_options();
        o.size = 0;
        o.iterations = 1;
        st = stylize_with_model(model, &c1, &s, 1, &o, NULL, NULL, one_out, 3);
        expect_failure("1x1 content", st, STYLIZE_ERROR_INVALID_ARGUMENT, "outside what Stylize takes", one_out, 3);
        memset(out2, 0xAB, sizeof out2);
        stylize_image strip = image(content, W, 1, 3, W * 3);
        st = stylize_with_model(model, &strip, &s, 1, &o, NULL, NULL, out2, W * 3);
        expect_failure("64x1 content", st, STYLIZE_ERROR_INVALID_ARGUMENT, "64x1", out2, W * 3);
        stylize_image smallest = image(content, STYLIZE_MIN_SIDE, STYLIZE_MIN_SIDE, 3, W * 3);
        st = stylize_with_model(model, &smallest, &s, 1, &o, NULL, NULL, out2, W * 3);
        CHECK(st == STYLIZE_OK, "%dx%d content: %s", STYLIZE_MIN_SIDE, STYLIZE_MIN_SIDE, stylize_last_error());
    }

    /* Two threads sharing the model handle give the sequential results. */
    {
        static uint8_t seq[2][W * H * 3], par[2][W * H * 3];
        stylize_image s2 = image(style2, W, H, 3, W * 3);
        job jobs[2] = { { model, &c, &s, 11, seq[0], 0 }, { model, &c, &s2, 12, seq[1], 0 } };
        run_job(&jobs[0]);
        run_job(&jobs[1]);
        CHECK(jobs[0].status == STYLIZE_OK && jobs[1].status == STYLIZE_OK, "sequential jobs");
        jobs[0].out = par[0];
        jobs[1].out = par[1];
        pthread_t t[2];
        for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, thread_main, &jobs[i]);
        for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
        CHECK(jobs[0].status == STYLIZE_OK && jobs[1].status == STYLIZE_OK, "parallel jobs failed");
        CHECK(memcmp(seq[0], par[0], sizeof seq[0]) == 0 && memcmp(seq[1], par[1], sizeof seq[1]) == 0,
              "parallel runs differ from sequential runs");
        CHECK(memcmp(seq[0], seq[1], sizeof seq[0]) != 0, "the two jobs should differ");
    }

    /* Bad arguments: the documented status, a message naming the culprit, output untouched. */
    memset(out2, 0xAB, sizeof out2);
    const size_t N = sizeof out2;
    const stylize_status ARG = STYLIZE_ERROR_INVALID_ARGUMENT, OPT = STYLIZE_ERROR_INVALID_OPTION;
    stylize_image bad;
    o = small_options();
#define RUN_WITH(content_, styles_, count_, opts_, out_, stride_) \
    stylize_with_model(model, content_, styles_, count_, opts_, NULL, NULL, out_, stride_)

    expect_failure("model NULL", stylize_with_model(NULL, &c, &s, 1, &o, NULL, NULL, out2, W * 3), ARG, "model", out2, N);
    expect_failure("content NULL", RUN_WITH(NULL, &s, 1, &o, out2, W * 3), ARG, "content", out2, N);
    bad = c; bad.pixels = NULL;
    expect_failure("content pixels NULL", RUN_WITH(&bad, &s, 1, &o, out2, W * 3), ARG, "content->pixels", out2, N);
    int widths[] = { 0, -1, 65536, INT32_MIN };
    for (int i = 0; i < 4; i++) {
        bad = c; bad.width = widths[i];
        expect_failure("content width", RUN_WITH(&bad, &s, 1, &o, out2, W * 3), ARG, "content->width", out2, N);
    }
    bad = c; bad.height = 0;
    expect_failure("content height 0", RUN_WITH(&bad, &s, 1, &o, out2, W * 3), ARG, "content->height", out2, N);
    bad = c; bad.height = 70000;
    expect_failure("content height 70000", RUN_WITH(&bad, &s, 1, &o, out2, W * 3), ARG, "content->height", out2, N);
    int channels[] = { 0, 1, 2, 5 };
    for (int i = 0; i < 4; i++) {
        bad = c; bad.channels = channels[i];
        expect_failure("content channels", RUN_WITH(&bad, &s, 1, &o, out2, W * 3), ARG, "content->channels", out2, N);
    }
    bad = c; bad.stride = W * 3 - 1;
    expect_failure("content stride", RUN_WITH(&bad, &s, 1, &o, out2, W * 3), ARG, "content->stride", out2, N);
    bad = c; bad.stride = (size_t)-1;
    expect_failure("content stride huge", RUN_WITH(&bad, &s, 1, &o, out2, W * 3), ARG, "content->stride", out2, N);
    expect_failure("styles NULL", RUN_WITH(&c, NULL, 1, &o, out2, W * 3), ARG, "styles", out2, N);
    int counts[] = { 0, -1, 17 };
    for (int i = 0; i < 3; i++)
        expect_failure("style_count", RUN_WITH(&c, &s, counts[i], &o, out2, W * 3), ARG, "style_count", out2, N);
    {
        stylize_image two[2] = { s, s };
        two[1].width = 0;
        expect_failure("styles[1] width", RUN_WITH(&c, two, 2, &o, out2, W * 3), ARG, "styles[1]->width", out2, N);
        two[1] = s; two[1].channels = 2;
        expect_failure("styles[1] channels", RUN_WITH(&c, two, 2, &o, out2, W * 3), ARG, "styles[1]->channels", out2, N);
    }
    expect_failure("output NULL", RUN_WITH(&c, &s, 1, &o, NULL, W * 3), ARG, "output", NULL, 0);
    expect_failure("output stride", RUN_WITH(&c, &s, 1, &o, out2, W * 3 - 1), ARG, "output_stride", out2, N);

#define OPTION_CASE(field_name, stmt) do { o = small_options(); stmt;                               \
        expect_failure(#stmt, RUN_WITH(&c, &s, 1, &o, out2, W * 3), OPT, field_name, out2, N); } while (0)
    OPTION_CASE("struct_size", o.struct_size = 0);
    OPTION_CASE("struct_size", o.struct_size = 8);
    OPTION_CASE("struct_size", o.struct_size = 119);
    OPTION_CASE("iterations", o.iterations = 0);
    OPTION_CASE("iterations", o.iterations = -5);
    OPTION_CASE("size", o.size = -1);
    OPTION_CASE("size", o.size = 20000);
    OPTION_CASE("content_weight", o.content_weight = NAN);
    OPTION_CASE("content_weight", o.content_weight = -1);
    OPTION_CASE("style_weight", o.style_weight = INFINITY);
    OPTION_CASE("tv_weight", o.tv_weight = NAN);
    OPTION_CASE("learning_rate", o.learning_rate = 0);
    OPTION_CASE("learning_rate", o.learning_rate = NAN);
    OPTION_CASE("style_scale", o.style_scale = 0);
    OPTION_CASE("style_scale", o.style_scale = 9);
    OPTION_CASE("style_scale", o.style_scale = NAN);
    OPTION_CASE("init", o.init = (stylize_init)7);
    OPTION_CASE("optimizer", o.optimizer = (stylize_optimizer)9);
    OPTION_CASE("pooling", o.pooling = (stylize_pooling)3);
    OPTION_CASE("preserve_colors", o.preserve_colors = (stylize_preserve_colors)5);
    double neg[1] = { -1 }, nan1[1] = { NAN }, zero[1] = { 0 };
    OPTION_CASE("scales", o.scales = 0);
    OPTION_CASE("scales", o.scales = 9);
    OPTION_CASE("output_size", o.output_size = -1);
    OPTION_CASE("output_size", o.output_size = 40000);
    OPTION_CASE("time_limit", o.time_limit = -1);
    OPTION_CASE("time_limit", o.time_limit = NAN);
    OPTION_CASE("options->max_memory: 1000 bytes is out of range (64 MiB or more)", o.max_memory = 1000);
    static uint8_t one_row_mask[W];
    OPTION_CASE("mask_stride", (o.mask = one_row_mask, o.mask_stride = W - 1));
    OPTION_CASE("style_blend", o.style_blend = neg);
    OPTION_CASE("style_blend", o.style_blend = nan1);
    OPTION_CASE("style_blend", o.style_blend = zero);
    OPTION_CASE("relu9_9", o.content_layers = "relu9_9");
    OPTION_CASE("style_layers", o.style_layers = "relu1_1:abc");
    OPTION_CASE("style_layers", o.style_layers = "relu1_1,,:2");
    OPTION_CASE("content_layers", o.content_layers = "\xff\xfe");
    OPTION_CASE("no content or style layers", (o.content_layers = "", o.style_layers = ""));
    OPTION_CASE("style_weight", o.style_weight = 1e308);   /* finite, but no finite run: out of range */
    OPTION_CASE("learning_rate", (o.optimizer = STYLIZE_OPTIMIZER_ADAM, o.learning_rate = 1e30));

    /* The option table: the option at fault is known by entry, for hosts that spell it their own way. */
    {
        o = small_options();
        o.style_weight = -2;
        CHECK(RUN_WITH(&c, &s, 1, &o, out2, W * 3) == OPT, "style_weight -2 refused");
        const stylize_option_info *at = stylize_last_error_option();
        CHECK(at && strcmp(at->field, "style_weight") == 0 && at->vips && strcmp(at->vips, "style-weight") == 0,
              "last error option: %s", at ? at->field : "(none)");
        CHECK(strstr(stylize_last_error_problem(), "-2 is out of range") == stylize_last_error_problem(),
              "problem without the name: '%s'", stylize_last_error_problem());
        const stylize_option_info *it = stylize_option_find("iterations");
        CHECK(it && it->type == STYLIZE_OPTION_INTEGER && it->minimum == 1 && it->maximum == 1000000 && it->default_value == 300,
              "iterations entry: %g..%g default %g", it ? it->minimum : -1, it ? it->maximum : -1, it ? it->default_value : -1);
        CHECK(stylize_option_find("style-weight") == stylize_option_find("style_weight"), "one entry for both spellings");
        CHECK(stylize_option_at(stylize_option_count()) == NULL && stylize_option_at(-1) == NULL, "table bounds");
        const stylize_option_info *init = stylize_option_find("init");
        CHECK(init && strcmp(init->choices, "content,noise,style") == 0 && init->default_value == STYLIZE_INIT_CONTENT,
              "init choices '%s'", init ? init->choices : "");
        uint64_t bytes = 0;
        CHECK(stylize_parse_bytes("2G", &bytes) == STYLIZE_OK && bytes == 2ull << 30, "2G = %llu", (unsigned long long)bytes);
        CHECK(stylize_parse_bytes("lots", &bytes) == OPT, "'lots' is no size");
    }

    /* Admission from sizes alone: stylize_check reads no pixel. */
    {
        stylize_image bomb = { NULL, 60000, 60000, 3, 60000 * 3 }, style_sizes = { NULL, W, H, 3, W * 3 };
        o = small_options();
        CHECK(stylize_check(model, &bomb, &style_sizes, 1, &o) == ARG && strstr(stylize_last_error(), "60000x60000"),
              "a 60000x60000 header is refused: %s", stylize_last_error());
        stylize_image fine = { NULL, W, H, 3, W * 3 };
        CHECK(stylize_check(model, &fine, &style_sizes, 1, &o) == STYLIZE_OK, "sizes alone pass: %s", stylize_last_error());
    }

    /* Too large to fit in memory: a status, not an abort. */
    o = small_options();
    o.size = 16384;
    expect_failure("size 16384", RUN_WITH(&c, &s, 1, &o, out2, W * 3), STYLIZE_ERROR_OUT_OF_MEMORY, "options->size", out2, N);

    /* stylize(): missing model files name the file and the way to get one. */
    o = small_options();
    o.model_path = "/nonexistent/model.safetensors";
    expect_failure("stylize missing model", stylize(&c, &s, 1, &o, NULL, NULL, out2, W * 3),
                   STYLIZE_ERROR_MODEL, "/nonexistent/model.safetensors", out2, N);
    o.model_path = NULL;
    setenv("STYLIZE_MODEL", "/nonexistent/env.safetensors", 1);
    expect_failure("stylize $STYLIZE_MODEL missing", stylize(&c, &s, 1, &o, NULL, NULL, out2, W * 3),
                   STYLIZE_ERROR_MODEL, "STYLIZE_MODEL", out2, N);
    CHECK(strstr(stylize_last_error(), "install.sh") != NULL, "no hint how to get a model: %s", stylize_last_error());
    /* Bad arguments are reported before any model file is read. */
    expect_failure("stylize content NULL", stylize(NULL, &s, 1, &o, NULL, NULL, out2, W * 3), ARG, "content", out2, N);
    setenv("STYLIZE_MODEL", model_path, 1);

    /* The last error is per thread: a fresh thread sees "" while this one keeps its message. */
    {
        pthread_t t;
        char seen[64] = "unset";
        pthread_create(&t, NULL, read_last_error, seen);
        pthread_join(t, NULL);
        CHECK(strcmp(seen, "") == 0, "a new thread sees another thread's error: '%s'", seen);
        CHECK(strstr(stylize_last_error(), "content") != NULL, "this thread lost its message");
    }

    /* With $STYLIZE_MODEL unset, the model installed beside the library is found
     * (run.sh sets STYLIZE_TEST_INSTALLED_MODEL when PREFIX has one). */
    if (getenv("STYLIZE_TEST_INSTALLED_MODEL")) {
        stylize_model *installed = NULL;
        unsetenv("STYLIZE_MODEL");
        st = stylize_model_open(NULL, &installed);
        CHECK(st == STYLIZE_OK && installed, "installed model not found: %s", stylize_last_error());
        stylize_model_close(installed);
        setenv("STYLIZE_MODEL", model_path, 1);
    }

    stylize_model_close(model);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
