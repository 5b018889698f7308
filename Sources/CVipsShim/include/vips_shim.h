// A few non-variadic wrappers over libvips for Swift, which cannot call C
// variadic functions (most of the vips API takes NULL-terminated option lists).
#ifndef STYLIZE_VIPS_SHIM_H
#define STYLIZE_VIPS_SHIM_H

#include <stddef.h>

// Starts libvips once per process. Returns 0 on success.
int stylize_vips_init(const char *argv0);

// The last vips error text (owned by the shim; valid until the next call), and clears it.
const char *stylize_vips_error(void);

// The size of an image as it will load (EXIF orientation applied), read from
// its header only: no pixel is decoded. Returns 0 on success.
int stylize_vips_header(const char *path, int *width, int *height);

// Loads any image vips reads, applies EXIF orientation, converts an embedded
// ICC profile / other colourspace to sRGB, and returns interleaved floats in
// 0..255 (16-bit sources are scaled down, keeping their fractions) with
// 3 bands (RGB) or 4 (RGBA). *pixels is malloc'ed: free() it.
// *sixteen_bit is 1 if the source had 16 bits or more per sample.
// max_side > 0 shrinks a larger image on load (libvips thumbnail) so that its
// longest side is max_side. A truncated or corrupt file is an error.
int stylize_vips_load(const char *path, int max_side, float **pixels, int *width, int *height,
                      int *bands, int *sixteen_bit);

// 0 if libvips has a saver for this file name (options such as "[Q=95]"
// allowed), else -1 with a vips error.
int stylize_vips_savable(const char *path);

// SIGINT, SIGTERM and SIGHUP remove the temporary file being written (if
// any) before the process dies of the signal as usual (a shell sees 130, 143,
// 129). Signals ignored at start stay ignored. Installed once.
void stylize_temp_cleanup_install(void);
// on = 1: the first SIGINT only sets the flag stylize_interrupted() returns,
// so a run can stop after its iteration and save; a second SIGINT acts as
// above. on = 0: every SIGINT acts as above.
void stylize_interrupt_defer(int on);
int stylize_interrupted(void);
// Ends the process by SIGINT (exit status 130 in a shell), after a graceful stop.
void stylize_interrupt_exit(void);

// Under an address-space limit (RLIMIT_AS): one malloc arena, and big blocks
// always mapped and unmapped on their own, so that mapped memory follows live
// memory (glibc otherwise reserves 64 MiB per thread and keeps freed blocks).
void stylize_malloc_for_address_limit(void);
// The temporary file being written now ("" or NULL: none).
void stylize_temp_register(const char *path);

// Writes interleaved floats in 0..255 (3 or 4 bands) to `path`, in the format
// its extension names (vips save options such as "out.jpg[Q=95]" allowed), as 8-bit or (sixteen_bit) 16-bit. The file is written
// to a temporary name beside it and renamed into place, so a failed write
// leaves no partial file and never a clobbered one.
int stylize_vips_save(const char *path, const float *pixels, int width, int height,
                      int bands, int sixteen_bit);

#endif
