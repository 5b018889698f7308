/*
 * preview.c - the dialog's preview: a quick, low-resolution run of the
 * current settings on what the GimpZoomPreview shows, computed on a worker
 * thread so the dialog never blocks.
 *
 * One worker (a GThreadPool of one thread) owns the model handle and runs
 * jobs in order. Every settings change or scroll bumps `generation`; the
 * running job's progress callback sees the change and cancels the engine
 * (STYLIZE_ERROR_CANCELLED after at most one iteration), and queued jobs of an
 * older generation are skipped. Results come back to the GTK main loop with
 * g_idle_add; only the main thread touches widgets and libgimp (its wire
 * protocol is not thread-safe): the worker gets pixels, never drawable IDs.
 *
 * The preview keeps the run's proportions: the full run paints the layer's
 * box (longest side L) at the detail size D (0 = L) with the style at
 * D x style-scale. The preview paints the visible region (longest side R
 * layer px) at the preview's resolution, no finer than the full run, with the
 * style scale multiplied by L / R, so strokes cover the same part of the
 * picture (capped at the table's maximum when zoomed far in).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <stylize.h>

#include "stylize-gimp.h"

struct StylizePreview {
    GThreadPool *pool;
    gint generation;              /* atomic: the settings the latest job belongs to */
    stylize_model *model;         /* opened by the worker; read by the main thread once set */
    gint model_state;             /* atomic: 0 not yet, 1 open, -1 failed */
    char model_error[512];
    gint iteration, total;        /* atomic: progress of the running job */
    double seconds_per_pixel_iteration; /* measured by the last finished preview, 0 = none yet */
    StylizePreviewDone done;
    void *user;
};

typedef struct {
    StylizePreview *preview;
    gint generation;
    gboolean model_only;          /* only open the model (preview off: the estimate needs it) */
    /* in */
    guchar *content;              /* RGB u8 */
    int width, height;
    char style_path[2][STYLIZE_GIMP_PATH_MAX];
    guchar *style_pixels[2];      /* RGB u8 of a layer style, or NULL: read style_path */
    int style_width[2], style_height[2];
    int style_count;
    double blend[2];
    stylize_options options;
    /* out */
    guchar *result;
    stylize_status status;
    char error[1024];
    double seconds, rate;
    gint64 started, first_step;
} Job;

static void
job_free(Job *job)
{
    g_free(job->content);
    g_free(job->result);
    for (int i = 0; i < 2; i++)
        g_free(job->style_pixels[i]);
    g_free(job);
}

/* Main loop: hand the result over (or drop it when the settings moved on). */
static gboolean
job_done(gpointer data)
{
    Job *job = data;
    StylizePreview *p = job->preview;
    if (job->status == STYLIZE_OK && job->rate > 0)
        p->seconds_per_pixel_iteration = job->rate;
    if (p->done && (job->model_only || job->generation == g_atomic_int_get(&p->generation))) {
        StylizePreviewResult r = {
            .model_only = job->model_only, .status = job->status, .error = job->error,
            .pixels = job->result, .width = job->width, .height = job->height,
            .seconds = job->seconds, .size = job->options.size, .iterations = job->options.iterations,
        };
        p->done(&r, p->user);
    }
    job_free(job);
    return G_SOURCE_REMOVE;
}

static int
job_progress(void *user, int32_t iteration, int32_t total, double loss, double c, double s, double tv)
{
    Job *job = user;
    StylizePreview *p = job->preview;
    if (iteration == 0)  /* the style targets are done: steps from here */
        job->first_step = g_get_monotonic_time();
    g_atomic_int_set(&p->iteration, iteration);
    g_atomic_int_set(&p->total, total);
    return job->generation != g_atomic_int_get(&p->generation);
}

/* Worker thread: model, styles, the run. */
static void
job_run(gpointer data, gpointer pool_data)
{
    Job *job = data;
    StylizePreview *p = job->preview;
    if (!p->model && g_atomic_int_get(&p->model_state) == 0) {
        stylize_model *model = NULL;
        if (stylize_model_open(job->options.model_path, &model) == STYLIZE_OK) {
            p->model = model;
            g_atomic_int_set(&p->model_state, 1);
        } else {
            g_strlcpy(p->model_error, stylize_last_error(), sizeof p->model_error);
            g_atomic_int_set(&p->model_state, -1);
        }
    }
    job->status = STYLIZE_ERROR_CANCELLED;
    if (job->model_only || job->generation != g_atomic_int_get(&p->generation))
        goto out;
    if (!p->model) {
        job->status = STYLIZE_ERROR_MODEL;
        g_strlcpy(job->error, p->model_error, sizeof job->error);
        goto out;
    }

    stylize_image content = { job->content, job->width, job->height, 3, (size_t) job->width * 3 };
    stylize_image styles[2];
    guchar *decoded[2] = { NULL, NULL };
    for (int i = 0; i < job->style_count; i++) {
        if (!job->style_pixels[i]) {
            int32_t w = 0, h = 0;
            char error[512] = "";
            if (stylize_gimp_style_header(job->style_path[i], &w, &h, error, sizeof error) != 1) {
                job->status = STYLIZE_ERROR_INVALID_ARGUMENT;
                snprintf(job->error, sizeof job->error, "%s", error[0] ? error
                         : "the preview reads only files libvips opens (not .xcf)");
                goto free_styles;
            }
            int32_t side = stylize_style_side(&job->options, job->width, job->height, w, h);
            if (side <= 0) {
                job->status = STYLIZE_ERROR_INVALID_OPTION;
                g_strlcpy(job->error, stylize_last_error(), sizeof job->error);
                goto free_styles;
            }
            decoded[i] = stylize_gimp_style_decode(job->style_path[i], side, &w, &h, error, sizeof error);
            if (!decoded[i]) {
                job->status = STYLIZE_ERROR_INVALID_ARGUMENT;
                g_strlcpy(job->error, error, sizeof job->error);
                goto free_styles;
            }
            styles[i] = (stylize_image) { decoded[i], w, h, 3, (size_t) w * 3 };
        } else
            styles[i] = (stylize_image) { job->style_pixels[i], job->style_width[i], job->style_height[i], 3,
                                          (size_t) job->style_width[i] * 3 };
    }
    job->options.style_blend = job->style_count == 2 ? job->blend : NULL;

    /* The work of this run, for the measured speed. */
    stylize_estimate_info estimate = { .struct_size = sizeof estimate };
    double work = stylize_estimate(p->model, &content, styles, job->style_count, &job->options, &estimate)
        == STYLIZE_OK ? estimate.pixel_iterations : 0;

    job->result = g_malloc((size_t) job->width * job->height * 3);
    g_atomic_int_set(&p->iteration, 0);
    g_atomic_int_set(&p->total, job->options.iterations);
    job->started = g_get_monotonic_time();
    job->status = stylize_with_model(p->model, &content, styles, job->style_count, &job->options,
                                     job_progress, job, job->result, (size_t) job->width * 3);
    gint64 end = g_get_monotonic_time();
    job->seconds = (end - job->started) / 1e6;
    if (job->status == STYLIZE_OK && work > 0 && job->first_step > 0)
        job->rate = (end - job->first_step) / 1e6 / work;
    if (job->status != STYLIZE_OK && job->status != STYLIZE_ERROR_CANCELLED)
        g_strlcpy(job->error, stylize_last_error(), sizeof job->error);
free_styles:
    for (int i = 0; i < 2; i++)
        stylize_gimp_style_free(decoded[i]);
out:
    g_idle_add(job_done, job);
}

StylizePreview *
stylize_preview_new(StylizePreviewDone done, void *user)
{
    StylizePreview *p = g_new0(StylizePreview, 1);
    p->done = done;
    p->user = user;
    p->pool = g_thread_pool_new(job_run, NULL, 1, FALSE, NULL);
    return p;
}

void
stylize_preview_free(StylizePreview *p)
{
    g_atomic_int_inc(&p->generation);          /* the running job cancels at its next iteration */
    g_thread_pool_free(p->pool, TRUE, TRUE);   /* drop queued jobs, wait for the running one */
    /* Results already posted to the main loop still reference p: run them now. */
    while (g_main_context_iteration(NULL, FALSE))
        ;
    stylize_model_close(p->model);
    g_free(p);
}

void
stylize_preview_cancel(StylizePreview *p)
{
    g_atomic_int_inc(&p->generation);
}

void
stylize_preview_open_model(StylizePreview *p, const stylize_options *options)
{
    Job *job = g_new0(Job, 1);
    job->preview = p;
    job->model_only = TRUE;
    job->options = *options;
    g_thread_pool_push(p->pool, job, NULL);
}

const stylize_model *
stylize_preview_model(StylizePreview *p, const char **error)
{
    int state = g_atomic_int_get(&p->model_state);
    if (error)
        *error = state < 0 ? p->model_error : NULL;
    return state > 0 ? p->model : NULL;
}

void
stylize_preview_progress(StylizePreview *p, int *iteration, int *total)
{
    *iteration = g_atomic_int_get(&p->iteration);
    *total = g_atomic_int_get(&p->total);
}

double
stylize_preview_rate(StylizePreview *p)
{
    return p->seconds_per_pixel_iteration;
}

/* Main thread: a job for the visible region. `source` is what the zoom
 * preview shows (bpp 1-4 bytes a pixel, 8-bit), region_side the longest side
 * of the layer region it covers, layer_side the longest side of the layer's
 * box (what the full run paints). */
void
stylize_preview_start(StylizePreview *p, const guchar *source, int width, int height, int bpp,
                      double region_side, double layer_side, const StylizeGimpValues *values,
                      const StylizePreviewStyle styles[2], int style_count)
{
    Job *job = g_new0(Job, 1);
    job->preview = p;
    job->generation = g_atomic_int_add(&p->generation, 1) + 1;
    job->width = width;
    job->height = height;
    job->content = g_malloc((size_t) width * height * 3);
    for (int i = 0; i < width * height; i++)
        for (int k = 0; k < 3; k++)  /* grey (and grey + alpha) to RGB; alpha is not stylized */
            job->content[i * 3 + k] = source[i * bpp + (bpp < 3 ? 0 : k)];

    stylize_gimp_options(values, &job->options);
    const stylize_option_info *scale = stylize_option_find("style-scale");
    double detail = values->size > 0 ? values->size : layer_side;
    double full = region_side * detail / layer_side;     /* the region's side in the full run */
    int side = (int) fmin(fmax(width, height), round(full));
    job->options.size = side < STYLIZE_MIN_SIDE ? STYLIZE_MIN_SIDE : side;
    job->options.style_scale = fmin(scale ? scale->maximum : 8, values->style_scale * layer_side / region_side);
    job->options.iterations = MIN(values->iterations, STYLIZE_GIMP_PREVIEW_ITERATIONS);
    job->options.scales = 1;          /* one level: the preview is small */
    job->options.max_memory = 0;
    job->options.output_size = 0;     /* up to the preview's own resolution */
    job->options.time_limit = 0;      /* its own small iteration count instead */
    job->options.mask = NULL;
    job->style_count = style_count;
    job->blend[0] = values->style_blend;
    job->blend[1] = 1 - values->style_blend;
    for (int i = 0; i < style_count; i++) {
        g_strlcpy(job->style_path[i], styles[i].path ? styles[i].path : "", sizeof job->style_path[i]);
        if (styles[i].pixels) {
            size_t n = (size_t) styles[i].width * styles[i].height * 3;
            job->style_pixels[i] = g_memdup2(styles[i].pixels, n);
            job->style_width[i] = styles[i].width;
            job->style_height[i] = styles[i].height;
        }
    }
    g_thread_pool_push(p->pool, job, NULL);
}
