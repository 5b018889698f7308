#include "vips_shim.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

static char error_text[2048];

static void stylize_vips_quiet(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user) {
    (void)domain; (void)level; (void)message; (void)user;
}

int stylize_vips_init(const char *argv0) {
    static int started = 0;
    if (started) return 0;
    if (VIPS_INIT(argv0 ? argv0 : "stylize")) return -1;
    // libvips' warnings ("error in tile", "unknown EXIF resolution unit") would break the
    // one-line error contract; what matters comes back as an error (fail_on=truncated).
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, stylize_vips_quiet, NULL);
    started = 1;
    return 0;
}

const char *stylize_vips_error(void) {
    snprintf(error_text, sizeof error_text, "%s", vips_error_buffer());
    size_t n = strlen(error_text);
    while (n > 0 && (error_text[n - 1] == '\n' || error_text[n - 1] == ' ')) error_text[--n] = 0;
    vips_error_clear();
    return error_text;
}

// Unrefs every image in a NULL-terminated local array.
static void unref_all(VipsImage **images, int n) {
    for (int i = 0; i < n; i++)
        if (images[i]) g_object_unref(images[i]);
}

int stylize_vips_header(const char *path, int *width, int *height) {
    VipsImage *image = vips_image_new_from_file(path, NULL);  // lazy: reads the header only
    if (!image) return -1;
    int swap = vips_image_get_orientation_swap(image);
    *width = swap ? image->Ysize : image->Xsize;
    *height = swap ? image->Xsize : image->Ysize;
    g_object_unref(image);
    return 0;
}

int stylize_vips_load(const char *path, int max_side, float **pixels, int *width, int *height,
                      int *bands, int *sixteen_bit) {
    VipsImage *t[8] = {0};
    int result = -1;
    int w, h;
    *pixels = NULL;
    if (stylize_vips_header(path, &w, &h)) return -1;
    if (max_side > 0 && (w > max_side || h > max_side)) {
        // Shrink-on-load where the format has it (JPEG, WebP, HEIF), streaming otherwise;
        // thumbnail also applies the orientation.
        if (vips_thumbnail(path, &t[1], max_side, "height", max_side, "size", VIPS_SIZE_DOWN,
                           "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL)) goto done;
    } else {
        if (!(t[0] = vips_image_new_from_file(path, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL))) goto done;
        if (vips_autorot(t[0], &t[1], NULL)) goto done;
    }
    VipsImage *in = t[1];
    int deep = in->BandFmt != VIPS_FORMAT_UCHAR && in->BandFmt != VIPS_FORMAT_CHAR;
    // An embedded profile is the truth about the colours: convert through it.
    if (vips_image_get_typeof(in, VIPS_META_ICC_NAME) &&
        in->Type != VIPS_INTERPRETATION_LABS && in->Type != VIPS_INTERPRETATION_LAB) {
        if (vips_icc_transform(in, &t[2], "srgb", "embedded", TRUE, "depth", deep ? 16 : 8, NULL)) {
            vips_error_clear();  // a broken profile: fall back to the interpretation
        } else {
            in = t[2];
        }
    }
    *sixteen_bit = deep;
    VipsInterpretation target = deep ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB;
    if (vips_colourspace(in, &t[3], target, NULL)) goto done;
    in = t[3];
    // RGB plus at most one alpha band.
    if (in->Bands > 4 || in->Bands == 2) {
        if (vips_extract_band(in, &t[4], 0, "n", in->Bands >= 4 ? 4 : 3, NULL)) goto done;
        in = t[4];
    }
    if (in->Bands == 1) {  // colourspace leaves some 1-band formats alone
        VipsImage *grey[3] = {in, in, in};
        if (vips_bandjoin(grey, &t[5], 3, NULL)) goto done;
        in = t[5];
    }
    double scale = in->Type == VIPS_INTERPRETATION_RGB16 ? 255.0 / 65535.0 : 1.0;
    if (vips_linear1(in, &t[6], scale, 0.0, NULL)) goto done;  // float, 0..255
    size_t size = 0;
    void *memory = vips_image_write_to_memory(t[6], &size);
    if (!memory) goto done;
    *pixels = memory;
    *width = t[6]->Xsize;
    *height = t[6]->Ysize;
    *bands = t[6]->Bands;
    result = 0;
done:
    unref_all(t, 8);
    return result;
}

int stylize_vips_savable(const char *path) {
    return vips_foreign_find_save(path) ? 0 : -1;
}

// The temporary file being written, for the signal handler (async-signal-safe: unlink only).
static char temp_path[4096];
static volatile sig_atomic_t temp_set = 0;

void stylize_temp_register(const char *path) {
    temp_set = 0;
    if (path && *path && strlen(path) < sizeof temp_path) {
        memcpy(temp_path, path, strlen(path) + 1);
        temp_set = 1;
    }
}

// SIGINT during a run that stops gracefully (stylize_interrupt_defer(1)): the
// first one only raises this flag, which the run polls between iterations.
static volatile sig_atomic_t interrupt_deferred = 0;
static volatile sig_atomic_t interrupted = 0;

// Async-signal-safe: flags, unlink, signal and raise only.
static void stylize_on_signal(int sig) {
    if (sig == SIGINT && interrupt_deferred && !interrupted) {
        interrupted = 1;
        return;
    }
    if (temp_set) unlink(temp_path);
    // The default action, so the parent sees death by this signal (a shell: 128 + sig),
    // and a shell loop around the CLI stops too.
    signal(sig, SIG_DFL);
    raise(sig);
}

void stylize_temp_cleanup_install(void) {
    static int installed = 0;
    if (installed) return;
    installed = 1;
    int signals[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction old, action;
        // A signal ignored at start (nohup, `cmd &` in a script) stays ignored.
        if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        memset(&action, 0, sizeof action);
        action.sa_handler = stylize_on_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;  // a deferred SIGINT must not fail a write with EINTR
        sigaction(signals[i], &action, NULL);
    }
}

void stylize_interrupt_defer(int on) { interrupt_deferred = on ? 1 : 0; }

int stylize_interrupted(void) { return interrupted; }

void stylize_interrupt_exit(void) {
    signal(SIGINT, SIG_DFL);
    raise(SIGINT);
    _exit(130);  // only if SIGINT is blocked
}

int stylize_vips_save(const char *path, const float *pixels, int width, int height,
                      int bands, int sixteen_bit) {
    VipsImage *t[4] = {0};
    int result = -1;
    char file[4096], temp[4096];
    // "out.jpg[Q=95]": the file is out.jpg, the save options follow it.
    const char *options = "";
    size_t length = strlen(path);
    const char *open = strrchr(path, '[');
    if (length > 0 && path[length - 1] == ']' && open && open > path) {
        options = open;
        length = (size_t)(open - path);
    }
    if (length >= sizeof file) {
        vips_error("stylize", "output path is too long");
        return -1;
    }
    memcpy(file, path, length);
    file[length] = 0;
    const char *dot = strrchr(file, '.');
    const char *slash = strrchr(file, '/');
    if (!dot || (slash && dot < slash)) {
        vips_error("stylize", "\"%s\" has no extension to choose a format", path);
        return -1;
    }
    // Same directory (so rename is atomic), same extension (so vips picks the format).
    int n = snprintf(temp, sizeof temp, "%.*s.stylize-tmp-%d%s", (int)(dot - file), file, (int)getpid(), dot);
    if (n < 0 || n >= (int)sizeof temp) {
        vips_error("stylize", "output path is too long");
        return -1;
    }
    char target[4096 + 256];
    snprintf(target, sizeof target, "%s%s", temp, options);
    if (!(t[0] = vips_image_new_from_memory_copy(pixels, (size_t)width * height * bands * sizeof(float),
                                                 width, height, bands, VIPS_FORMAT_FLOAT)))
        goto done;
    double scale = sixteen_bit ? 257.0 : 1.0;
    // +0.5 so that the truncating, clipping cast rounds to nearest.
    if (vips_linear1(t[0], &t[1], scale, 0.5, NULL)) goto done;
    if (vips_cast(t[1], &t[2], sixteen_bit ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR, NULL)) goto done;
    t[2]->Type = sixteen_bit ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB;
    stylize_temp_register(temp);
    if (vips_image_write_to_file(t[2], target, NULL)) {
        unlink(temp);
        // vips names the temporary file: name the user's instead.
        GString *message = g_string_new(vips_error_buffer());
        g_string_replace(message, temp, file, 0);
        vips_error_clear();
        vips_error("stylize", "%s", message->str);
        g_string_free(message, TRUE);
        goto done;
    }
    if (rename(temp, file)) {
        unlink(temp);
        vips_error("stylize", "cannot move the result into place as \"%s\"", file);
        goto done;
    }
    result = 0;
done:
    stylize_temp_register(NULL);
    unref_all(t, 4);
    return result;
}

#include <malloc.h>

void stylize_malloc_for_address_limit(void) {
    mallopt(M_ARENA_MAX, 1);             // no 64 MiB arena reserved per thread
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);  // fixed: big blocks are unmapped when freed
}
