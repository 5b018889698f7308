/*
 * preview.c - the GIMP 3 dialog's preview worker: a quick, low-resolution run
 * of the current settings on what the GimpDrawablePreview shows, on a thread
 * of its own so the dialog never blocks. (GIMP 2.10's ../gimp/preview.c is
 * the same design, but takes that plug-in's value struct and GIMP 2 IDs.)
 *
 * One worker (a GThreadPool of one thread) owns the model handle and runs jobs
 * in order. Every settings change bumps `generation`; the running job's
 * progress callback sees it and cancels the engine (STYLIZE_ERROR_CANCELLED
 * after at most one iteration), and queued jobs of an older generation are
 * skipped. Results come back to the GTK main loop with g_idle_add: only the
 * main thread touches widgets and libgimp (its wire protocol is not
 * thread-safe), so the worker gets pixels and file paths, never drawables.
 * The measured speed, seconds per pixel-iteration = (end - first step) /
 * stylize_estimate().pixel_iterations, times the real run's estimate.
 */
#include <string.h>

#include "stylize-gimp3.h"
#include "stylize-gimp.h"   /* ../gimp/include: the libvips style reader (style.c) */

struct StylizeGimp3Preview {
    GThreadPool *pool;
    gint generation;            /* atomic: the settings the latest job belongs to */
    stylize_model *model;       /* opened by the worker; read by the main thread once model_state is 1 */
    gint model_state;           /* atomic: 0 not yet, 1 open, -1 failed */
    char model_error[512];
    gint iteration, total;      /* atomic: the running job's progress */
    double rate;                /* seconds per pixel-iteration of the last finished job, 0 = none */
    StylizeGimp3PreviewDone done;
    gpointer user;
};

typedef struct {
    StylizeGimp3Preview *p;
    gint generation;
    gboolean model_only;
    StylizeGimp3PreviewJob in;
    guchar *result;
    stylize_status status;
    char error[1024];
    double seconds, rate;
    gint64 first_step;
} Job;

static void
job_free(Job *job)
{
    g_free(job->in.content);
    g_free(job->in.style_pixels);
    g_free(job->in.style_path[0]);
    g_free(job->in.style_path[1]);
    g_free(job->result);
    g_free(job);
}

/* Main loop: hand the result over, or drop it when the settings moved on. */
static gboolean
job_done(gpointer data)
{
    Job *job = data;
    StylizeGimp3Preview *p = job->p;
    if (job->status == STYLIZE_OK && job->rate > 0)
        p->rate = job->rate;
    if (p->done && (job->model_only || job->generation == g_atomic_int_get(&p->generation)))
        p->done(job->model_only, job->status, job->error, job->result, job->in.width, job->in.height,
                job->seconds, job->in.options.size, job->in.options.iterations, p->user);
    job_free(job);
    return G_SOURCE_REMOVE;
}

static int
job_progress(void *user, int32_t iteration, int32_t total, double loss, double c, double s, double tv)
{
    Job *job = user;
    if (iteration == 0)  /* the style targets are done: the steps start here */
        job->first_step = g_get_monotonic_time();
    g_atomic_int_set(&job->p->iteration, iteration);
    g_atomic_int_set(&job->p->total, total);
    return job->generation != g_atomic_int_get(&job->p->generation);  /* nonzero cancels */
}

/* Worker thread: the model (once), the styles, the run. */
static void
job_run(gpointer data, gpointer unused)
{
    Job *job = data;
    StylizeGimp3Preview *p = job->p;
    StylizeGimp3PreviewJob *in = &job->in;
    guchar *decoded[2] = { NULL, NULL };
    if (g_atomic_int_get(&p->model_state) == 0) {
        stylize_model *model = NULL;
        if (stylize_model_open(NULL, &model) == STYLIZE_OK) {  /* $STYLIZE_MODEL, then the installed one */
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
    stylize_image content = { in->content, in->width, in->height, 3, (size_t)in->width * 3 };
    stylize_image styles[2];
    for (int i = 0; i < in->style_count; i++) {
        if (i == 0 && in->style_pixels) {  /* a style layer, read by the main thread */
            styles[i] = (stylize_image){ in->style_pixels, in->style_width, in->style_height, 3,
                                         (size_t)in->style_width * 3 };
            continue;
        }
        int32_t w = 0, h = 0;
        char why[512] = "";
        if (stylize_gimp_style_header(in->style_path[i], &w, &h, why, sizeof why) != 1) {
            job->status = STYLIZE_ERROR_INVALID_ARGUMENT;
            g_strlcpy(job->error, why[0] ? why : "the preview reads only files libvips opens (not .xcf)",
                      sizeof job->error);
            goto out;
        }
        int side = stylize_style_side(&in->options, in->width, in->height, w, h);
        if (side <= 0 || !(decoded[i] = stylize_gimp_style_decode(in->style_path[i], side, &w, &h, why, sizeof why))) {
            job->status = side <= 0 ? STYLIZE_ERROR_INVALID_OPTION : STYLIZE_ERROR_INVALID_ARGUMENT;
            g_strlcpy(job->error, side <= 0 ? stylize_last_error() : why, sizeof job->error);
            goto out;
        }
        styles[i] = (stylize_image){ decoded[i], w, h, 3, (size_t)w * 3 };
    }
    in->options.style_blend = in->style_count == 2 ? in->blend : NULL;
    stylize_estimate_info e = { .struct_size = sizeof e };
    double work = stylize_estimate(p->model, &content, styles, in->style_count, &in->options, &e) == STYLIZE_OK
        ? e.pixel_iterations : 0;
    job->result = g_malloc((size_t)in->width * in->height * 3);
    g_atomic_int_set(&p->iteration, 0);
    g_atomic_int_set(&p->total, in->options.iterations);
    gint64 start = g_get_monotonic_time();
    job->status = stylize_with_model(p->model, &content, styles, in->style_count, &in->options,
                                     job_progress, job, job->result, (size_t)in->width * 3);
    gint64 end = g_get_monotonic_time();
    job->seconds = (end - start) / 1e6;
    if (job->status == STYLIZE_OK && work > 0 && job->first_step > 0)
        job->rate = (end - job->first_step) / 1e6 / work;
    if (job->status != STYLIZE_OK && job->status != STYLIZE_ERROR_CANCELLED)
        g_strlcpy(job->error, stylize_last_error(), sizeof job->error);
out:
    for (int i = 0; i < 2; i++)
        stylize_gimp_style_free(decoded[i]);
    g_idle_add(job_done, job);
}

StylizeGimp3Preview *
stylize_gimp3_preview_new(StylizeGimp3PreviewDone done, gpointer user)
{
    StylizeGimp3Preview *p = g_new0(StylizeGimp3Preview, 1);
    p->done = done;
    p->user = user;
    p->pool = g_thread_pool_new(job_run, NULL, 1, FALSE, NULL);
    Job *job = g_new0(Job, 1);  /* open the model now: the estimate needs it */
    job->p = p;
    job->model_only = TRUE;
    g_thread_pool_push(p->pool, job, NULL);
    return p;
}

void
stylize_gimp3_preview_free(StylizeGimp3Preview *p)
{
    p->done = NULL;                            /* the dialog is going */
    g_atomic_int_inc(&p->generation);          /* the running job cancels at its next iteration */
    g_thread_pool_free(p->pool, TRUE, TRUE);   /* drop queued jobs, wait for the running one */
    while (g_main_context_iteration(NULL, FALSE))  /* results already posted still reference p */
        ;
    stylize_model_close(p->model);
    g_free(p);
}

void
stylize_gimp3_preview_cancel(StylizeGimp3Preview *p)
{
    g_atomic_int_inc(&p->generation);
}

void
stylize_gimp3_preview_start(StylizeGimp3Preview *p, StylizeGimp3PreviewJob *in)
{
    Job *job = g_new0(Job, 1);
    job->p = p;
    job->generation = g_atomic_int_add(&p->generation, 1) + 1;
    job->in = *in;   /* takes the buffers and paths */
    memset(in, 0, sizeof *in);
    g_thread_pool_push(p->pool, job, NULL);
}

const stylize_model *
stylize_gimp3_preview_model(StylizeGimp3Preview *p, const char **error)
{
    int state = g_atomic_int_get(&p->model_state);
    if (error)
        *error = state < 0 ? p->model_error : NULL;
    return state > 0 ? p->model : NULL;
}

void
stylize_gimp3_preview_progress(StylizeGimp3Preview *p, int *iteration, int *total)
{
    *iteration = g_atomic_int_get(&p->iteration);
    *total = g_atomic_int_get(&p->total);
}

double
stylize_gimp3_preview_rate(StylizeGimp3Preview *p)
{
    return p->rate;
}
