#ifndef CFLOW_H
#define CFLOW_H
/* Optical flow for `stylize video`: OpenCV's DIS optical flow (Kroeger et al.,
 * ECCV 2016) and its bilinear remap, behind a C interface Swift can import.
 * Flows are interleaved (dx, dy) floats, height rows of width pairs, in pixels. */
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Forward flow a -> b (at a's pixels: a(p) ~ b(p + f(p))) and backward flow
 * b -> a (at b's pixels) of two grey 8-bit frames of width x height (rows
 * packed). Either output may be NULL. Returns 0, or -1 when OpenCV failed
 * (its message is then in `error`, up to error_size bytes, if given). */
int cflow_pair(const uint8_t *a, const uint8_t *b, int width, int height,
               float *forward, float *backward, char *error, int error_size);

/* out(p) = in(p + flow(p)) for each of `channels` planar float planes of
 * width x height, bilinear, with the edge pixel repeated outside. */
int cflow_warp(const float *in, int channels, int width, int height,
               const float *flow, float *out);

#ifdef __cplusplus
}
#endif
#endif
