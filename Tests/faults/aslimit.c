/* A C host that runs under an address-space limit from its start (`ulimit -v`,
 * RLIMIT_AS): what admission admits must run. Admission subtracts what is
 * mapped now from the limit; the engine's threads map more on their first
 * concurrent BLAS call (OpenBLAS's buffer, ~110 MiB each) and their first
 * malloc (a 64 MiB glibc arena each), which the memory plan does not count.
 * The library maps them before admission measures (AddressLimit.swift);
 * without that, the largest admitted run failed (SIGABRT before allocations
 * were checked, an out-of-memory error after).
 *
 * RLIMIT_AS = what is mapped once the model is open + 700 MiB + 200 MiB per
 * CPU (the threads' share; 1100 MiB on 2 CPUs); the largest
 * options->size stylize_check admits (binary search, one level ending there)
 * is then run with stylize_with_model: it must return STYLIZE_OK.
 *
 *   cc aslimit.c $(pkg-config --cflags --libs stylize) -o aslimit && STYLIZE_MODEL=... ./aslimit
 * Prints the limit, the size and "N passed, M failed". */
#include <stylize.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../c/check.h"
#include "host.h"

enum { W = 1024, H = 768, SW = 256 };

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    static uint8_t content[W * H * 3], style[SW * SW * 3], out[W * H * 3];
    stylize_image c, s;
    fill_images(content, W, H, 4, style, SW, &c, &s);

    stylize_model *model = NULL;
    stylize_status st = stylize_model_open(getenv("STYLIZE_MODEL"), &model);
    CHECK(st == STYLIZE_OK, "model: %s", stylize_last_error());
    if (st != STYLIZE_OK) { printf("%d passed, %d failed\n", passed, failed); return 1; }

    size_t extra = ((size_t)700 + 200 * (size_t)sysconf(_SC_NPROCESSORS_ONLN)) << 20;
    struct rlimit rl = { mapped_bytes() + extra, RLIM_INFINITY };
    CHECK(setrlimit(RLIMIT_AS, &rl) == 0, "setrlimit");
    printf("RLIMIT_AS: %zu MiB (%zu MiB mapped with the model open)\n", (size_t)rl.rlim_cur >> 20,
           mapped_bytes() >> 20);

    stylize_options o;
    stylize_options_init(&o);
    o.scales = 1;
    o.iterations = 1;
    int lo = 0, hi = W;  /* lo: admitted (0: none yet), hi: refused or beyond the content */
    o.size = o.output_size = hi;
    if (stylize_check(model, &c, &s, 1, &o) == STYLIZE_OK) lo = hi;
    while (hi - lo > 8) {
        int mid = (lo + hi) / 2;
        o.size = o.output_size = mid;
        if (stylize_check(model, &c, &s, 1, &o) == STYLIZE_OK) lo = mid; else hi = mid;
    }
    CHECK(lo >= 128 && lo < W, "the largest admitted size is %d px: the limit should admit a mid-sized run", lo);
    printf("largest admitted size: %d px\n", lo);
    if (lo > 0) {
        o.size = o.output_size = lo;
        st = stylize_with_model(model, &c, &s, 1, &o, NULL, NULL, out, W * 3);
        CHECK(st == STYLIZE_OK, "the admitted %d px run: status %d (%s): %s", lo, st, stylize_status_string(st),
              stylize_last_error());
        printf("run at %d px: %s, %zu MiB mapped after it\n", lo, stylize_status_string(st), mapped_bytes() >> 20);
    }
    stylize_model_close(model);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
