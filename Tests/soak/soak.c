/* Soak test of libstylize's C ABI: leaks and load.
 *
 * One model handle, CALLS stylize_with_model calls from THREADS threads on
 * tiny pictures (32x32, 1 iteration, size 32), each thread with its own mix
 * of options. Two properties:
 *   - no leak: resident memory (VmRSS) after a warm-up of WARMUP calls and
 *     after the last call differ by less than RSS_LIMIT_KB (5 MB), and the
 *     bytes malloc holds for live blocks (mallinfo2: uordblks + hblkhd, all
 *     arenas) by less than LIVE_LIMIT_KB. VmRSS is what the host sees, but
 *     it hides a small leak in the free memory malloc keeps resident from a
 *     run's peak (tens of MB here) and moves by a few MB with how 4 threads'
 *     arenas fragment; live bytes move by about 1 kB in 600 calls, so a leak
 *     of 3 kB a call (one 32x32 RGB picture) shows after 180.
 *   - no shared state: every call in the threads gives the same bytes as the
 *     same call made alone, sequentially, before any thread started.
 * Prints the figures and "N passed, M failed".
 *
 *   soak [CALLS] [WARMUP]    (defaults 200 and 20; the model from $STYLIZE_MODEL)
 *
 * STYLIZE_SOAK_SHALLOW=1 limits every mix's layers to relu1_1..relu2_2 (for TSan).
 * STYLIZE_SOAK_PROBE_LEAK_KB=N makes the soak itself leak N kB (touched) after
 * each call: run.sh uses it to show that the measurement sees a leak.
 */
#include <stylize.h>

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { THREADS = 4, SIDE = 32, RSS_LIMIT_KB = 5 * 1024, LIVE_LIMIT_KB = 512 };

#include "../c/check.h"

/* Resident set size of this process in kB, from /proc/self/status. */
static long vm_rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

/* Memory at one moment: VmRSS, and malloc's bytes in live blocks (small
 * blocks in every arena plus blocks it mmapped) - a leak shows in the second
 * however much free memory malloc keeps around it. */
typedef struct { long rss_kb, live_kb; } memory;

static memory measure(void) {
    struct mallinfo2 m = mallinfo2();
    memory r = { vm_rss_kb(), (long)((m.uordblks + m.hblkhd) / 1024) };
    return r;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Pictures: a content with a disc on gradients (RGB and RGBA with padded
 * rows), two striped styles, a mask that stylizes the left half. */
static uint8_t content_rgb[SIDE * SIDE * 3];
static uint8_t content_rgba[SIDE * (SIDE * 4 + 8)];
static uint8_t style_a[SIDE * SIDE * 3], style_b[SIDE * SIDE * 3];
static uint8_t mask[SIDE * SIDE];
static const double blend[2] = { 0.7, 0.3 };

static void make_pictures(void) {
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            int dx = x - SIDE / 2, dy = y - SIDE / 2, inside = dx * dx + dy * dy < SIDE * SIDE / 9;
            uint8_t rgb[3] = { (uint8_t)(inside ? 220 : 8 * x), (uint8_t)(inside ? 60 : 8 * y),
                               (uint8_t)(128 + 100 * (x > y) - 50 * inside) };
            memcpy(content_rgb + (y * SIDE + x) * 3, rgb, 3);
            uint8_t *q = content_rgba + (size_t)y * (SIDE * 4 + 8) + x * 4;
            memcpy(q, rgb, 3);
            q[3] = (uint8_t)((x * 7 + y * 13) % 256);
            int band = ((x + 2 * y) / 4) % 3, ring = ((dx * dx + dy * dy) / 20) % 2;
            uint8_t *a = style_a + (y * SIDE + x) * 3, *b = style_b + (y * SIDE + x) * 3;
            a[0] = band == 0 ? 240 : 20; a[1] = band == 1 ? 200 : 40; a[2] = band == 2 ? 255 : (uint8_t)(10 + x);
            b[0] = ring ? 30 : 250; b[1] = (uint8_t)(4 * y); b[2] = ring ? 200 : 10;
            mask[y * SIDE + x] = x < SIDE / 2 ? 255 : 0;
        }
}

/* One thread's call: its images and options, fixed for the whole soak. */
typedef struct {
    const char *name;
    stylize_image content, styles[2];
    int32_t style_count;
    stylize_options options;
    size_t out_stride, out_bytes;
    uint8_t *reference; /* the call made alone, before the threads */
} job;

static void make_jobs(job jobs[THREADS]) {
    stylize_image rgb = { content_rgb, SIDE, SIDE, 3, SIDE * 3 };
    stylize_image rgba = { content_rgba, SIDE, SIDE, 4, SIDE * 4 + 8 };
    stylize_image a = { style_a, SIDE, SIDE, 3, SIDE * 3 }, b = { style_b, SIDE, SIDE, 3, SIDE * 3 };
    for (int i = 0; i < THREADS; i++) {
        job *j = &jobs[i];
        memset(j, 0, sizeof *j);
        stylize_options_init(&j->options);
        j->options.size = SIDE;
        j->options.iterations = 1;
        j->options.seed = 11 + (uint64_t)i;
        j->content = rgb;
        j->styles[0] = a;
        j->style_count = 1;
    }
    jobs[0].name = "defaults (L-BFGS, content init, max pooling)";
    jobs[1].name = "Adam, noise init, average pooling, luminance colours";
    jobs[1].options.optimizer = STYLIZE_OPTIMIZER_ADAM;
    jobs[1].options.learning_rate = 5;
    jobs[1].options.init = STYLIZE_INIT_NOISE;
    jobs[1].options.pooling = STYLIZE_POOLING_AVERAGE;
    jobs[1].options.preserve_colors = STYLIZE_PRESERVE_COLORS_LUMINANCE;
    jobs[2].name = "RGBA padded rows, weighted layers, histogram colours, style init";
    jobs[2].content = rgba;
    jobs[2].options.style_layers = "relu1_1:0.5,relu2_1,relu3_1:2";
    jobs[2].options.content_layers = "relu3_2";
    jobs[2].options.content_weight = 2;
    jobs[2].options.preserve_colors = STYLIZE_PRESERVE_COLORS_HISTOGRAM;
    jobs[2].options.init = STYLIZE_INIT_STYLE;
    jobs[3].name = "two styles blended, mask, no TV, style scale 0.75";
    jobs[3].styles[1] = b;
    jobs[3].style_count = 2;
    jobs[3].options.style_blend = blend;
    jobs[3].options.mask = mask;
    jobs[3].options.mask_stride = SIDE;
    jobs[3].options.tv_weight = 0;
    jobs[3].options.style_scale = 0.75;
    jobs[3].options.init = STYLIZE_INIT_NOISE;
    /* STYLIZE_SOAK_SHALLOW (Tests/sanitize.sh under ThreadSanitizer, where every
     * instrumented layer costs): the same mixes on the network's first two blocks. */
    if (getenv("STYLIZE_SOAK_SHALLOW"))
        for (int i = 0; i < THREADS; i++) {
            jobs[i].options.content_layers = i == 2 ? "relu2_1" : "relu2_2";
            jobs[i].options.style_layers = i == 2 ? "relu1_1:0.5,relu2_1:2" : "relu1_1,relu2_1";
        }
    for (int i = 0; i < THREADS; i++) {
        /* Output rows padded by 5 bytes: the padding must stay untouched. */
        jobs[i].out_stride = (size_t)SIDE * jobs[i].content.channels + 5;
        jobs[i].out_bytes = jobs[i].out_stride * SIDE;
    }
}

static const stylize_model *model;

static stylize_status run(const job *j, uint8_t *out) {
    memset(out, 0xA5, j->out_bytes);
    return stylize_with_model(model, &j->content, j->styles, j->style_count, &j->options,
                              NULL, NULL, out, j->out_stride);
}

/* The soak: every thread makes its calls; after `warmup` calls in all (each
 * thread's share), the threads meet at a barrier where one reads VmRSS. */
static int per_thread, warmup_per_thread;
static size_t probe_leak_bytes;
static void *probe_leaked; /* a chain of the probe's blocks: reachable, so never optimised away */
static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;

static void probe_leak(void) {
    void **block = malloc(probe_leak_bytes);
    if (!block) return;
    memset(block, 1, probe_leak_bytes);
    pthread_mutex_lock(&probe_lock);
    *block = probe_leaked;
    probe_leaked = block;
    pthread_mutex_unlock(&probe_lock);
}
static pthread_barrier_t warm, measured;
static memory at_warm;
static double t_warm;

typedef struct { const job *j; int calls, errors, mismatches; stylize_status first_error; char message[256]; } tally;

static void *soak_thread(void *arg) {
    tally *t = arg;
    uint8_t *out = malloc(t->j->out_bytes);
    for (int k = 0; k < per_thread; k++) {
        if (k == warmup_per_thread) {
            if (pthread_barrier_wait(&warm) == PTHREAD_BARRIER_SERIAL_THREAD) {
                at_warm = measure();
                t_warm = now_s();
            }
            pthread_barrier_wait(&measured);
        }
        stylize_status s = run(t->j, out);
        t->calls++;
        if (probe_leak_bytes) probe_leak();
        if (s != STYLIZE_OK) {
            if (t->errors++ == 0) { t->first_error = s; snprintf(t->message, sizeof t->message, "%s", stylize_last_error()); }
        } else if (memcmp(out, t->j->reference, t->j->out_bytes) != 0) {
            t->mismatches++;
        }
    }
    free(out);
    return NULL;
}

int main(int argc, char **argv) {
    int calls = argc > 1 ? atoi(argv[1]) : 200, warmup = argc > 2 ? atoi(argv[2]) : 20;
    if (calls < THREADS || warmup < THREADS || warmup >= calls || calls % THREADS || warmup % THREADS) {
        fprintf(stderr, "usage: soak [CALLS] [WARMUP]: multiples of %d, WARMUP < CALLS\n", THREADS);
        return 2;
    }
    const char *probe = getenv("STYLIZE_SOAK_PROBE_LEAK_KB");
    probe_leak_bytes = probe ? 1024 * (size_t)strtoul(probe, NULL, 10) : 0;
    per_thread = calls / THREADS;
    warmup_per_thread = warmup / THREADS;
    make_pictures();

    stylize_model *opened = NULL;
    stylize_status s = stylize_model_open(getenv("STYLIZE_MODEL"), &opened);
    CHECK(s == STYLIZE_OK, "stylize_model_open: %s", stylize_last_error());
    if (s != STYLIZE_OK) { printf("%d passed, %d failed\n", passed, failed); return 1; }
    model = opened;

    /* References: each thread's call made alone, on this thread, in turn. */
    job jobs[THREADS];
    make_jobs(jobs);
    for (int i = 0; i < THREADS; i++) {
        jobs[i].reference = malloc(jobs[i].out_bytes);
        s = run(&jobs[i], jobs[i].reference);
        CHECK(s == STYLIZE_OK, "alone, %s: %s", jobs[i].name, stylize_last_error());
        int padding_kept = 1;
        for (int y = 0; y < SIDE; y++)
            for (size_t x = (size_t)SIDE * jobs[i].content.channels; x < jobs[i].out_stride; x++)
                padding_kept &= jobs[i].reference[y * jobs[i].out_stride + x] == 0xA5;
        CHECK(padding_kept, "alone, %s: the output's row padding was written", jobs[i].name);
    }
    /* The four option mixes must really differ, or the comparison below proves little. */
    for (int i = 0; i < THREADS; i++)
        for (int k = i + 1; k < THREADS; k++)
            if (jobs[i].content.channels == jobs[k].content.channels)
                CHECK(memcmp(jobs[i].reference, jobs[k].reference, jobs[i].out_bytes) != 0,
                      "'%s' and '%s' give the same bytes", jobs[i].name, jobs[k].name);

    pthread_barrier_init(&warm, NULL, THREADS);
    pthread_barrier_init(&measured, NULL, THREADS);
    pthread_t threads[THREADS];
    tally tallies[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&tallies[i], 0, sizeof tallies[i]);
        tallies[i].j = &jobs[i];
        pthread_create(&threads[i], NULL, soak_thread, &tallies[i]);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    double t_end = now_s();
    memory at_end = measure();

    int total = 0;
    for (int i = 0; i < THREADS; i++) {
        const tally *t = &tallies[i];
        total += t->calls;
        CHECK(t->errors == 0, "thread %d (%s): %d of %d calls failed, first: %s: %s", i, jobs[i].name,
              t->errors, t->calls, stylize_status_string(t->first_error), t->message);
        CHECK(t->mismatches == 0, "thread %d (%s): %d of %d calls differ from the call made alone",
              i, jobs[i].name, t->mismatches, t->calls);
    }
    long rss_growth = at_end.rss_kb - at_warm.rss_kb, live_growth = at_end.live_kb - at_warm.live_kb;
    double rate = (double)(calls - warmup) / (t_end - t_warm);
    printf("soak: %d calls from %d threads (%d warm-up), %dx%d, 1 iteration, size %d: %.1f calls/s\n",
           total, THREADS, warmup, SIDE, SIDE, SIDE, rate);
    printf("soak: VmRSS after warm-up %.1f MB, at the end %.1f MB, growth %+.2f MB (limit %d MB)\n",
           at_warm.rss_kb / 1024.0, at_end.rss_kb / 1024.0, rss_growth / 1024.0, RSS_LIMIT_KB / 1024);
    printf("soak: malloc live bytes after warm-up %.1f MB, at the end %.1f MB, growth %+ld kB (limit %d kB)\n",
           at_warm.live_kb / 1024.0, at_end.live_kb / 1024.0, live_growth, LIVE_LIMIT_KB);
    CHECK(at_warm.rss_kb > 0 && at_end.rss_kb > 0, "VmRSS not readable from /proc/self/status");
    CHECK(rss_growth < RSS_LIMIT_KB, "VmRSS grew by %.2f MB over %d calls after the warm-up",
          rss_growth / 1024.0, calls - warmup);
    CHECK(live_growth < LIVE_LIMIT_KB, "malloc live bytes grew by %ld kB over %d calls after the warm-up",
          live_growth, calls - warmup);

    for (int i = 0; i < THREADS; i++) free(jobs[i].reference);
    stylize_model_close(opened);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
