/* host.h - what the memory-limit C hosts (oom.c, aslimit.c) share: the address
 * space mapped now, which RLIMIT_AS counts, and a synthetic content and style
 * (a gradient, a pattern) so the programs need no image files. */
#ifndef STYLIZE_TEST_HOST_H
#define STYLIZE_TEST_HOST_H
#include <stdint.h>
#include <stdio.h>
#include <stylize.h>

/* Address space mapped now (VmSize). */
static size_t mapped_bytes(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %zu kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb * 1024;
}

/* A w x h RGB gradient that changes every `step` pixels, and an sw x sw pattern. */
static void fill_images(uint8_t *content, int w, int h, int step, uint8_t *style, int sw,
                        stylize_image *c, stylize_image *s) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = content + ((size_t)y * w + x) * 3;
            q[0] = (uint8_t)(x / step); q[1] = (uint8_t)(y / step); q[2] = (uint8_t)((x + y) / (2 * step));
        }
    for (int i = 0; i < sw * sw * 3; i++) style[i] = (uint8_t)((i * 37 / 3) % 251);
    *c = (stylize_image){ content, w, h, 3, w * 3 };
    *s = (stylize_image){ style, sw, sw, 3, sw * 3 };
}

#endif
