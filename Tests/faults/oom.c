/* A memory limit reached in the middle of a run, as a C host (GIMP, vips, a
 * server) meets it: the call returns STYLIZE_ERROR_OUT_OF_MEMORY with a message
 * naming options->size instead of ending the process with SIGABRT, leaves the
 * output untouched and no memory behind, and the process goes on to stylize a
 * smaller picture under the same limit.
 *
 * The limit falls between admission and allocation, where admission cannot
 * see it: the run (512 px in two levels, 256 then 512) is admitted with no
 * limit, and its progress callback at iteration 0, when the coarse level's
 * buffers exist, sets RLIMIT_AS to what is mapped now plus HEADROOM. The fine
 * level's feature maps (several hundred MB) cannot be had.
 *
 * `oom step`: the same, but in one 512 px level and after its first step, with
 * STEP_HEADROOM (8 MiB) left: the level's maps exist, and what cannot be had is
 * the optimiser's picture-sized vectors (L-BFGS keeps two more per step, each
 * 2.25 MiB here; Swift arrays, which abort when malloc fails unless checked
 * first: Memory.ensure).
 *
 *   cc oom.c $(pkg-config --cflags --libs stylize) -o oom && STYLIZE_MODEL=... ./oom [step]
 * Prints one line per check and "N passed, M failed". */
#include <stylize.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../c/check.h"
#include "host.h"

enum { W = 512, H = 384, SW = 256, HEADROOM = 320 << 20, STEP_HEADROOM = 8 << 20 };

/* Bytes malloc has handed out and not had back. */
static size_t live_bytes(void) {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

static size_t limit_set;
static int limit_iteration;       /* 0: the coarse level's start; 1: after the first step */
static size_t limit_headroom = HEADROOM;

/* At iteration `limit_iteration`: from here on only `limit_headroom` more may be mapped. */
static int limit_at_start(void *user, int32_t iteration, int32_t total, double loss,
                          double content, double style, double tv) {
    (void)user; (void)total; (void)loss; (void)content; (void)style; (void)tv;
    if (iteration == limit_iteration && !limit_set) {
        struct rlimit rl = { mapped_bytes() + limit_headroom, RLIM_INFINITY };
        if (setrlimit(RLIMIT_AS, &rl) == 0) limit_set = rl.rlim_cur;
    }
    return 0;
}

static int untouched(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) if (p[i] != 0xAB) return 0;
    return 1;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int step = argc > 1 && strcmp(argv[1], "step") == 0;
    static uint8_t content[W * H * 3], style[SW * SW * 3], out[W * H * 3];
    stylize_image c, s;
    fill_images(content, W, H, 2, style, SW, &c, &s);

    stylize_model *model = NULL;
    stylize_status st = stylize_model_open(getenv("STYLIZE_MODEL"), &model);
    CHECK(st == STYLIZE_OK, "model: %s", stylize_last_error());
    if (st != STYLIZE_OK) { printf("%d passed, %d failed\n", passed, failed); return 1; }

    stylize_options small;
    stylize_options_init(&small);
    small.size = 128;
    small.output_size = 128; /* ends at 128 px: no refinement levels up to the content's size */
    small.scales = 1;
    small.iterations = 1;
    /* Warm-up: the layers' lazily made weights and the threads exist before memory is counted. */
    st = stylize_with_model(model, &c, &s, 1, &small, NULL, NULL, out, W * 3);
    CHECK(st == STYLIZE_OK, "warm-up at 128 px: %s", stylize_last_error());

    stylize_options big = small;
    big.size = 512;
    big.output_size = 512;
    big.scales = 2;
    big.iterations = 2;
    if (step) {  /* one level; the limit after its first step */
        big.scales = 1;
        big.iterations = 10;
        limit_iteration = 1;
        limit_headroom = STEP_HEADROOM;
    }
    memset(out, 0xAB, sizeof out);
    size_t before = live_bytes();
    st = stylize_with_model(model, &c, &s, 1, &big, limit_at_start, NULL, out, W * 3);
    size_t after = live_bytes();
    CHECK(limit_set > 0, "the progress callback could not set RLIMIT_AS");
    printf("RLIMIT_AS set at iteration %d: %zu MiB\n", limit_iteration, limit_set >> 20);
    CHECK(st == STYLIZE_ERROR_OUT_OF_MEMORY, "512 px over the limit: status %d (%s): %s", st,
          stylize_status_string(st), stylize_last_error());
    const char *msg = stylize_last_error();
    printf("message: %s\n", msg);
    CHECK(strstr(msg, "could not allocate") && strstr(msg, "options->size") && strstr(msg, "options->max_memory"),
          "the message names neither the allocation nor options->size: %s", msg);
    CHECK(untouched(out, sizeof out), "the failed run wrote the output");
    /* Everything the failed run allocated is freed (a leak would be the fine level's maps: hundreds of MB). */
    long grown = (long)after - (long)before;
    printf("malloc live bytes across the failed run: %+ld kB\n", grown / 1024);
    CHECK(grown < (1 << 20), "the failed run left %ld kB allocated", grown / 1024);

    /* The host goes on, under the same limit. */
    st = stylize_with_model(model, &c, &s, 1, &small, NULL, NULL, out, W * 3);
    CHECK(st == STYLIZE_OK && !untouched(out, sizeof out), "128 px after the failure: %s", stylize_last_error());

    stylize_model_close(model);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
