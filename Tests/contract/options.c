/* The C ABI's door of the contract tests (Tests/contract/run.sh).
 *
 *   options list                    the option table (stylize_option_at), one
 *                                   tab-separated line per option:
 *                                   field cli vips gimp label type min max
 *                                   exclusive default
 *   options check FIELD VALUE       admission (stylize_check, pixels NULL) of a
 *                                   64x64 content and 64x64 style at size 32
 *                                   with one stylize_options field set by name
 *   options checks                  the same for "FIELD VALUE" lines on stdin,
 *                                   one verdict line each (the model opened once)
 *   options sizes W H [style]       admission of a W x H content (or style)
 *   options run W H SIZE            a real stylize() of a W x H content at SIZE
 *                                   px (1 iteration), for RLIMIT_AS tests
 *
 * check/sizes/run print one verdict line: "ok", "option <field>: <problem>"
 * (STYLIZE_ERROR_INVALID_OPTION), "memory: <message>" (OUT_OF_MEMORY),
 * "image: <message>" (INVALID_ARGUMENT) or "status N: <message>", and exit 0
 * for ok, 1 otherwise. A value the field's C type cannot hold prints "n/a".
 */
#include <stylize.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *type_name(stylize_option_type t) {
    static const char *names[] = { "integer", "real", "choice", "layers", "list", "bytes", "image", "path" };
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

static int list(void) {
    for (int32_t i = 0; i < stylize_option_count(); i++) {
        const stylize_option_info *o = stylize_option_at(i);
        if (!o) { fprintf(stderr, "stylize_option_at(%d) is NULL\n", i); return 1; }
        printf("%s\t%s\t%s\t%s\t%s\t%s\t%.17g\t%.17g\t%d\t%s\n", or_dash(o->field), or_dash(o->cli),
               or_dash(o->vips), or_dash(o->gimp), or_dash(o->label), type_name(o->type),
               o->minimum, o->maximum, o->minimum_exclusive, or_dash(o->default_text));
    }
    return 0;
}

/* Prints the verdict of a status; 0 for STYLIZE_OK. */
static int verdict(stylize_status s) {
    const char *msg = stylize_last_error();
    switch (s) {
    case STYLIZE_OK: printf("ok\n"); return 0;
    case STYLIZE_ERROR_INVALID_OPTION: {
        const stylize_option_info *o = stylize_last_error_option();
        printf("option %s: %s\n", o && o->field ? o->field : "(none)", stylize_last_error_problem());
        return 1;
    }
    case STYLIZE_ERROR_OUT_OF_MEMORY: printf("memory: %s\n", msg); return 1;
    case STYLIZE_ERROR_INVALID_ARGUMENT: printf("image: %s\n", msg); return 1;
    default: printf("status %d: %s\n", (int)s, msg); return 1;
    }
}

/* Whole number in [lo, hi] from text, or 0 when the C type cannot hold it. */
static int whole(const char *text, double lo, double hi, long double *out) {
    char *end;
    errno = 0;
    long double v = strtold(text, &end);
    if (*end || errno || !(v >= lo && v <= hi) || v != floorl(v)) return 0;
    *out = v;
    return 1;
}

/* Sets the field named `field` of *o from text; 0 when the field's C type
 * cannot hold the value (the value is then not a question for this door). */
static int set_field(stylize_options *o, const char *field, const char *text, int *known) {
    long double w;
    double d = strtod(text, NULL);
    *known = 1;
    if (!strcmp(field, "size")) { if (!whole(text, INT32_MIN, INT32_MAX, &w)) return 0; o->size = (int32_t)w; }
    else if (!strcmp(field, "iterations")) { if (!whole(text, INT32_MIN, INT32_MAX, &w)) return 0; o->iterations = (int32_t)w; }
    else if (!strcmp(field, "scales")) { if (!whole(text, INT32_MIN, INT32_MAX, &w)) return 0; o->scales = (int32_t)w; }
    else if (!strcmp(field, "output_size")) { if (!whole(text, INT32_MIN, INT32_MAX, &w)) return 0; o->output_size = (int32_t)w; }
    else if (!strcmp(field, "seed")) {
        char *end;
        if (text[0] == '-') return 0;
        errno = 0;
        unsigned long long u = strtoull(text, &end, 10);
        if (*end || errno) return 0;
        o->seed = u;
    }
    else if (!strcmp(field, "content_weight")) o->content_weight = d;
    else if (!strcmp(field, "style_weight")) o->style_weight = d;
    else if (!strcmp(field, "tv_weight")) o->tv_weight = d;
    else if (!strcmp(field, "learning_rate")) o->learning_rate = d;
    else if (!strcmp(field, "style_scale")) o->style_scale = d;
    else if (!strcmp(field, "time_limit")) o->time_limit = d;
    else if (!strcmp(field, "temporal_weight")) o->temporal_weight = d;
    else *known = 0;
    return 1;
}

static stylize_options tiny_options(void) {
    stylize_options o;
    stylize_options_init(&o);
    o.size = 32;
    o.output_size = 32;
    o.iterations = 1;
    return o;
}

static int check(const stylize_model *model, const char *field, const char *text) {
    stylize_options o = tiny_options();
    if (!strcmp(field, "size")) o.output_size = 0; /* as the other doors: no end size for a --size case */
    int known;
    if (!set_field(&o, field, text, &known)) { printf("n/a\n"); return 1; }
    if (!known) { fprintf(stderr, "options: no numeric field '%s'\n", field); return 2; }
    stylize_image content = { NULL, 64, 64, 3, 64 * 3 }, style = { NULL, 64, 64, 3, 64 * 3 };
    return verdict(stylize_check(model, &content, &style, 1, &o));
}

static int checks(void) {
    stylize_model *model;
    stylize_status s = stylize_model_open(NULL, &model);
    if (s != STYLIZE_OK) return verdict(s) + 1;
    char line[512], field[128], value[384];
    while (fgets(line, sizeof line, stdin))
        if (sscanf(line, "%127s %383s", field, value) == 2) { check(model, field, value); fflush(stdout); }
    stylize_model_close(model);
    return 0;
}

static int sizes(int w, int h, const char *role) {
    stylize_options o = tiny_options();
    stylize_image small = { NULL, 64, 64, 3, 64 * 3 }, big = { NULL, w, h, 3, (size_t)w * 3 };
    int as_style = role && !strcmp(role, "style");
    return verdict(stylize_check(NULL, as_style ? &small : &big, as_style ? &big : &small, 1, &o));
}

static int run(int w, int h, int size) {
    stylize_options o = tiny_options();
    o.size = size;
    o.output_size = 0; /* a run at SIZE (0: the content's own), not ending at the tiny 32 px */
    size_t stride = (size_t)w * 3;
    uint8_t *content = calloc((size_t)h, stride), *out = malloc((size_t)h * stride);
    uint8_t *style = calloc(64 * 64, 3);
    if (!content || !out || !style) { printf("test: cannot allocate the images\n"); return 2; }
    for (size_t i = 0; i < (size_t)h * stride; i++) content[i] = (uint8_t)(i * 31 % 251);
    for (size_t i = 0; i < 64 * 64 * 3; i++) style[i] = (uint8_t)(i * 17 % 253);
    stylize_image c = { content, w, h, 3, stride }, s = { style, 64, 64, 3, 64 * 3 };
    return verdict(stylize(&c, &s, 1, &o, NULL, NULL, out, stride));
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "list")) return list();
    if (argc == 4 && !strcmp(argv[1], "check")) return check(NULL, argv[2], argv[3]);
    if (argc == 2 && !strcmp(argv[1], "checks")) return checks();
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "sizes"))
        return sizes(atoi(argv[2]), atoi(argv[3]), argc == 5 ? argv[4] : NULL);
    if (argc == 5 && !strcmp(argv[1], "run")) return run(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
    fprintf(stderr, "usage: options list | check FIELD VALUE | checks | sizes W H [style] | run W H SIZE\n");
    return 2;
}
