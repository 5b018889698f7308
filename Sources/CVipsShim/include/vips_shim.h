// A few non-variadic wrappers over libvips for Swift, which cannot call C
// variadic functions (most of the vips API takes NULL-terminated option lists).
#ifndef STYLIZE_VIPS_SHIM_H
#define STYLIZE_VIPS_SHIM_H

#include <stddef.h>

// Starts libvips once per process. Returns 0 on success.
int stylize_vips_init(const char *argv0);

// The last vips error text (owned by the shim; valid until the next call), and clears it.
const char *stylize_vips_error(void);

// Loads any image vips reads, applies EXIF orientation, converts an embedded
// ICC profile / other colourspace to sRGB, and returns interleaved floats in
// 0..255 (16-bit sources are scaled down, keeping their fractions) with
// 3 bands (RGB) or 4 (RGBA). *pixels is malloc'ed: free() it.
// *sixteen_bit is 1 if the source had 16 bits or more per sample.
int stylize_vips_load(const char *path, float **pixels, int *width, int *height,
                      int *bands, int *sixteen_bit);

// Writes interleaved floats in 0..255 (3 or 4 bands) to `path`, in the format
// its extension names, as 8-bit or (sixteen_bit) 16-bit. The file is written
// to a temporary name beside it and renamed into place, so a failed write
// leaves no partial file and never a clobbered one.
int stylize_vips_save(const char *path, const float *pixels, int width, int height,
                      int bands, int sixteen_bit);

#endif
