/*
 * vips-stylize: the libvips operation `stylize`, a thin adapter over the
 * installed libstylize C ABI (stylize.h). Written in C because VipsOperation
 * subclasses are defined with GObject class macros.
 *
 *   vips stylize content.jpg style.jpg out.png --iterations 300 --size 512
 *   pyvips: content.stylize(style, iterations=50)
 *
 * The engine works on 8-bit sRGB. build() converts any input vips handles to
 * that, runs stylize(), then converts the result back to the content's
 * interpretation, band format and band count, and joins the content's
 * original alpha band back untouched (see README.md).
 */

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <vips/vips.h>

#include <stylize.h>

/* Enums: vips prints their nicks in the help table and parses them from the
 * command line and from pyvips strings. Values equal the ABI's. vips treats
 * the last value as a "_LAST" sentinel (not listed), so each has one;
 * build() rejects it. */

static GType
vips_stylize_enum_type(const char *name, const GEnumValue *values)
{
	GType type = g_type_from_name(name);

	return type ? type : g_enum_register_static(name, values);
}

static GType
vips_stylize_init_get_type(void)
{
	static const GEnumValue values[] = {
		{ STYLIZE_INIT_CONTENT, "VIPS_STYLIZE_INIT_CONTENT", "content" },
		{ STYLIZE_INIT_NOISE, "VIPS_STYLIZE_INIT_NOISE", "noise" },
		{ STYLIZE_INIT_STYLE, "VIPS_STYLIZE_INIT_STYLE", "style" },
		{ STYLIZE_INIT_STYLE + 1, "VIPS_STYLIZE_INIT_LAST", "last" },
		{ 0, NULL, NULL }
	};

	return vips_stylize_enum_type("VipsStylizeInit", values);
}

static GType
vips_stylize_optimizer_get_type(void)
{
	static const GEnumValue values[] = {
		{ STYLIZE_OPTIMIZER_LBFGS, "VIPS_STYLIZE_OPTIMIZER_LBFGS", "lbfgs" },
		{ STYLIZE_OPTIMIZER_ADAM, "VIPS_STYLIZE_OPTIMIZER_ADAM", "adam" },
		{ STYLIZE_OPTIMIZER_ADAM + 1, "VIPS_STYLIZE_OPTIMIZER_LAST", "last" },
		{ 0, NULL, NULL }
	};

	return vips_stylize_enum_type("VipsStylizeOptimizer", values);
}

static GType
vips_stylize_pooling_get_type(void)
{
	static const GEnumValue values[] = {
		{ STYLIZE_POOLING_MAX, "VIPS_STYLIZE_POOLING_MAX", "max" },
		{ STYLIZE_POOLING_AVERAGE, "average", "avg" },
		{ STYLIZE_POOLING_AVERAGE + 1, "VIPS_STYLIZE_POOLING_LAST", "last" },
		{ 0, NULL, NULL }
	};

	return vips_stylize_enum_type("VipsStylizePooling", values);
}

static GType
vips_stylize_preserve_colors_get_type(void)
{
	static const GEnumValue values[] = {
		{ STYLIZE_PRESERVE_COLORS_NONE,
			"VIPS_STYLIZE_PRESERVE_COLORS_NONE", "none" },
		{ STYLIZE_PRESERVE_COLORS_LUMINANCE,
			"VIPS_STYLIZE_PRESERVE_COLORS_LUMINANCE", "luminance" },
		{ STYLIZE_PRESERVE_COLORS_HISTOGRAM,
			"VIPS_STYLIZE_PRESERVE_COLORS_HISTOGRAM", "histogram" },
		{ STYLIZE_PRESERVE_COLORS_HISTOGRAM + 1, "VIPS_STYLIZE_PRESERVE_COLORS_LAST", "last" },
		{ 0, NULL, NULL }
	};

	return vips_stylize_enum_type("VipsStylizePreserveColors", values);
}

typedef struct _VipsStylize {
	VipsOperation parent_instance;

	VipsImage *in;
	VipsImage *style;
	VipsImage *out;

	VipsImage *style2;
	double style_blend;
	VipsImage *mask;
	int scales;
	char *max_memory;

	int iterations;
	int size;
	double content_weight;
	double style_weight;
	double tv_weight;
	int init;
	int optimizer;
	double learning_rate;
	int pooling;
	guint64 seed;
	char *model;
	char *content_layers;
	char *style_layers;
	int preserve_colors;
	double style_scale;
} VipsStylize;

typedef VipsOperationClass VipsStylizeClass;

/* Not G_DEFINE_TYPE's static: vips_stylize_register() and the module
 * loaders need it by name. */
GType vips_stylize_get_type(void);
G_DEFINE_TYPE(VipsStylize, vips_stylize, VIPS_TYPE_OPERATION);

#define VIPS_TYPE_STYLIZE (vips_stylize_get_type())

/* Whether vips was asked for progress (--vips-progress or VIPS_PROGRESS):
 * the flag itself is not exported, but vips then connects its own progress
 * reporter to every new image, which we can see. */
static gboolean
vips_stylize_vips_progress(void)
{
	VipsImage *probe = vips_image_new();
	guint id = g_signal_lookup("preeval", VIPS_TYPE_IMAGE);
	gboolean on = g_signal_has_handler_pending(probe, id, 0, TRUE);

	g_object_unref(probe);

	return on || g_getenv("VIPS_PROGRESS");
}

typedef struct {
	gboolean tty; /* rewrite one line with \r instead of one line per step */
} Progress;

static int
vips_stylize_progress_cb(void *user, int32_t iteration, int32_t total,
	double total_loss, double content_loss, double style_loss,
	double tv_loss)
{
	Progress *progress = (Progress *) user;

	fprintf(stderr,
		"stylize: iteration %d/%d loss %.4g (content %.4g, style %.4g, tv %.4g)%s",
		iteration, total, total_loss, content_loss, style_loss, tv_loss,
		progress->tty && iteration < total ? "\r" : "\n");
	fflush(stderr);

	return 0;
}

/* Any image vips handles -> interleaved 8-bit sRGB, 3 bands, no alpha, as
 * a new reference; NULL with a vips error on failure. */
static VipsImage *
vips_stylize_to_srgb8(VipsObject *parent, VipsImage *image)
{
	VipsImage **t = (VipsImage **) vips_object_local_array(parent, 6);
	VipsImage *x;
	int colour_bands;

	if (vips_image_decode(image, &t[0]))
		return NULL;
	x = t[0];

	colour_bands = vips_image_hasalpha(x) ? x->Bands - 1 : x->Bands;
	if (vips_extract_band(x, &t[1], 0, "n", colour_bands, NULL))
		return NULL;
	x = t[1];

	/* The guessed interpretation is sane for the band count and format,
	 * unlike a file's stored tag (e.g. "srgb" on a 1-band image). Bands
	 * colourspace cannot interpret (e.g. 2-band "multiband") are taken as
	 * grey (band 0) or RGB (bands 0-2) below. */
	if (vips_colourspace_issupported(x)) {
		if (vips_colourspace(x, &t[2], VIPS_INTERPRETATION_sRGB,
				"source_space",
				vips_image_guess_interpretation(x),
				NULL))
			return NULL;
	}
	else if (vips_copy(x, &t[2], NULL))
		return NULL;
	x = t[2];

	/* Unknown interpretations (e.g. 16-bit "multiband") pass through
	 * colourspace unchanged: scale 16-bit down, clip the rest. */
	if (x->BandFmt == VIPS_FORMAT_USHORT) {
		if (vips_cast(x, &t[3], VIPS_FORMAT_UCHAR, "shift", TRUE, NULL))
			return NULL;
	}
	else if (vips_cast(x, &t[3], VIPS_FORMAT_UCHAR, NULL))
		return NULL;
	x = t[3];

	if (x->Bands < 3) {
		VipsImage *grey;

		if (vips_extract_band(x, &grey, 0, NULL))
			return NULL;
		VipsImage *three[3] = { grey, grey, grey };
		int result = vips_bandjoin(three, &t[4], 3, NULL);

		g_object_unref(grey);
		if (result)
			return NULL;
	}
	else if (vips_extract_band(x, &t[4], 0, "n", 3, NULL))
		return NULL;
	x = t[4];

	/* Evaluate once here so the engine gets contiguous memory. */
	if (!(t[5] = vips_image_copy_memory(x)))
		return NULL;
	g_object_ref(t[5]);

	return t[5];
}

/* A mask image of any type -> one 8-bit band (its luminance) at the
 * content's size, in memory: 255 = stylize, 0 = keep the content. */
static VipsImage *
vips_stylize_mask8(VipsObject *parent, VipsImage *mask, int width, int height)
{
	VipsImage **t = (VipsImage **) vips_object_local_array(parent, 4);
	VipsImage *rgb;

	if (!(rgb = vips_stylize_to_srgb8(parent, mask)))
		return NULL;
	t[0] = rgb;
	if (vips_colourspace(rgb, &t[1], VIPS_INTERPRETATION_B_W, NULL) ||
		vips_thumbnail_image(t[1], &t[2], width,
			"height", height, "size", VIPS_SIZE_FORCE, NULL))
		return NULL;
	if (!(t[3] = vips_image_copy_memory(t[2])))
		return NULL;
	g_object_ref(t[3]);

	return t[3];
}

/* The engine's sRGB result -> the content's interpretation, format and
 * colour band count (alpha is joined by the caller). */
static VipsImage *
vips_stylize_from_srgb8(VipsObject *parent, VipsImage *rgb, VipsImage *colour)
{
	VipsImage **t = (VipsImage **) vips_object_local_array(parent, 4);
	VipsInterpretation target = vips_image_guess_interpretation(colour);
	VipsImage *x;

	/* Interpretations colourspace cannot reach stay sRGB (e.g. a
	 * 2-band "multiband" image); the band count then follows the engine. */
	if (!vips_colourspace_issupported(colour))
		target = colour->BandFmt == VIPS_FORMAT_USHORT
			? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB;
	if (vips_colourspace(rgb, &t[0], target, NULL))
		return NULL;
	x = t[0];

	if (x->BandFmt != colour->BandFmt) {
		/* Keep the value range: 8 -> 16 bit is x257, 16 -> 8 is >>8. */
		if (x->BandFmt == VIPS_FORMAT_UCHAR &&
			colour->BandFmt == VIPS_FORMAT_USHORT) {
			if (vips_linear1(x, &t[1], 257, 0, NULL))
				return NULL;
		}
		else if (x->BandFmt == VIPS_FORMAT_USHORT &&
			colour->BandFmt == VIPS_FORMAT_UCHAR) {
			if (vips_cast(x, &t[1], VIPS_FORMAT_UCHAR,
					"shift", TRUE, NULL))
				return NULL;
		}
		else if (vips_copy(x, &t[1], NULL))
			return NULL;
		if (vips_cast(t[1], &t[2], colour->BandFmt, NULL))
			return NULL;
		x = t[2];
	}

	g_object_ref(x);

	return x;
}

/* Carry the content's metadata (resolution, ICC profile, EXIF ...) over to
 * the result: its pixels are in the content's colour space again. */
static void *
vips_stylize_copy_meta(VipsImage *in, const char *field, GValue *value,
	void *a)
{
	VipsImage *to = (VipsImage *) a;

	/* Header fields (width, bands, format ...) belong to `to` itself. */
	if (vips_isprefix("vips-", field) ||
		!strcmp(field, "width") || !strcmp(field, "height") ||
		!strcmp(field, "bands") || !strcmp(field, "format") ||
		!strcmp(field, "coding") || !strcmp(field, "interpretation") ||
		!strcmp(field, "xoffset") || !strcmp(field, "yoffset") ||
		!strcmp(field, "xres") || !strcmp(field, "yres") ||
		!strcmp(field, "filename") || !strcmp(field, "mode") ||
		!strcmp(field, "scale") || !strcmp(field, "offset"))
		return NULL;
	vips_image_set(to, field, value);

	return NULL;
}

/* Options are checked here because vips only warns (and keeps the default)
 * when a value is outside a property's range; the property ranges are wide
 * on purpose so that every value reaches this check. */
/* "2G", "512M", "1048576K" or plain bytes -> bytes; 0 on a bad value. */
static uint64_t
vips_stylize_parse_bytes(const char *text)
{
	char *end;
	double value = g_ascii_strtod(text, &end);
	double unit = 1;

	switch (g_ascii_toupper(*end)) {
	case 'K': unit = 1024.0; end++; break;
	case 'M': unit = 1024.0 * 1024; end++; break;
	case 'G': unit = 1024.0 * 1024 * 1024; end++; break;
	case 'T': unit = 1024.0 * 1024 * 1024 * 1024; end++; break;
	}
	if (end == text || *end != '\0' || !isfinite(value) || value <= 0 ||
		value * unit >= 1e19)
		return 0;
	return (uint64_t) (value * unit);
}

static int
vips_stylize_check(VipsObjectClass *class, VipsStylize *op)
{
	const char *nick = class->nickname;

	if (op->iterations < 1 || op->iterations > 1000000) {
		vips_error(nick, "iterations must be 1 to 1000000, not %d",
			op->iterations);
		return -1;
	}
	if (op->init >= STYLIZE_INIT_STYLE + 1 ||
		op->optimizer >= STYLIZE_OPTIMIZER_ADAM + 1 ||
		op->pooling >= STYLIZE_POOLING_AVERAGE + 1 ||
		op->preserve_colors >= STYLIZE_PRESERVE_COLORS_HISTOGRAM + 1) {
		vips_error(nick, "init, optimizer, pooling or "
			"preserve-colors has the value \"last\", "
			"which is no choice");
		return -1;
	}
	if (op->max_memory && !vips_stylize_parse_bytes(op->max_memory)) {
		vips_error(nick, "max-memory must be a size such as 2G or 512M, "
			"not \"%s\"", op->max_memory);
		return -1;
	}
	if (op->scales < 1 || op->scales > 8) {
		vips_error(nick, "scales must be 1 to 8, not %d", op->scales);
		return -1;
	}
	if (op->size < 0 || op->size > 16384) {
		vips_error(nick, "size must be 0 (content size) to 16384, not %d",
			op->size);
		return -1;
	}

	struct {
		const char *name;
		double value;
		double min;
		gboolean min_open; /* value must be > min, not >= min */
		double max;
	} doubles[] = {
		{ "content-weight", op->content_weight, 0, FALSE, 1e30 },
		{ "style-weight", op->style_weight, 0, FALSE, 1e30 },
		{ "tv-weight", op->tv_weight, 0, FALSE, 1e30 },
		{ "learning-rate", op->learning_rate, 0, TRUE, 1e6 },
		{ "style-scale", op->style_scale, 0, TRUE, 8 },
		{ "style-blend", op->style_blend, 0, FALSE, 1 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(doubles); i++) {
		double v = doubles[i].value;

		if (!isfinite(v) ||
			v < doubles[i].min ||
			(doubles[i].min_open && v == doubles[i].min) ||
			v > doubles[i].max) {
			vips_error(nick, "%s must be %s %g and at most %g, not %g",
				doubles[i].name,
				doubles[i].min_open ? "greater than" : "at least",
				doubles[i].min, doubles[i].max, v);
			return -1;
		}
	}

	if (op->in->Xsize < 1 || op->in->Ysize < 1 ||
		op->style->Xsize < 1 || op->style->Ysize < 1) {
		vips_error(nick, "in and style must not be empty");
		return -1;
	}

	return 0;
}

static int
vips_stylize_build(VipsObject *object)
{
	VipsObjectClass *class = VIPS_OBJECT_GET_CLASS(object);
	VipsStylize *op = (VipsStylize *) object;
	VipsImage **t = (VipsImage **) vips_object_local_array(object, 10);
	VipsImage *content8, *style8, *style28 = NULL;
	VipsImage *colour, *alpha = NULL, *x;
	stylize_options options;
	stylize_image images[3];
	double blend[2];
	int style_count;
	uint8_t *output;
	size_t stride;
	stylize_status status;
	Progress progress;
	gboolean show_progress;

	/* Before the parent's build: it checks that required outputs are set. */
	g_object_set(object, "out", vips_image_new(), NULL);

	if (VIPS_OBJECT_CLASS(vips_stylize_parent_class)->build(object))
		return -1;

	if (vips_stylize_check(class, op))
		return -1;

	/* The content's colour and alpha, in its own format: alpha comes
	 * back unchanged, colour is what gets stylized. */
	if (vips_image_decode(op->in, &t[0]))
		return -1;
	if (vips_image_hasalpha(t[0])) {
		if (vips_extract_band(t[0], &t[1], 0,
				"n", t[0]->Bands - 1, NULL) ||
			vips_extract_band(t[0], &t[2], t[0]->Bands - 1, NULL))
			return -1;
		colour = t[1];
		alpha = t[2];
	}
	else
		colour = t[0];

	if (!(content8 = vips_stylize_to_srgb8(object, colour)))
		return -1;
	t[3] = content8;
	if (!(style8 = vips_stylize_to_srgb8(object, op->style)))
		return -1;
	t[4] = style8;
	if (op->style2) {
		if (!(style28 = vips_stylize_to_srgb8(object, op->style2)))
			return -1;
		t[5] = style28;
	}

	images[0] = (stylize_image){ VIPS_IMAGE_ADDR(content8, 0, 0),
		content8->Xsize, content8->Ysize, 3,
		VIPS_IMAGE_SIZEOF_LINE(content8) };
	images[1] = (stylize_image){ VIPS_IMAGE_ADDR(style8, 0, 0),
		style8->Xsize, style8->Ysize, 3,
		VIPS_IMAGE_SIZEOF_LINE(style8) };
	style_count = 1;
	if (style28) {
		images[2] = (stylize_image){ VIPS_IMAGE_ADDR(style28, 0, 0),
			style28->Xsize, style28->Ysize, 3,
			VIPS_IMAGE_SIZEOF_LINE(style28) };
		style_count = 2;
	}

	stylize_options_init(&options);
	options.model_path = op->model;
	options.size = op->size;
	options.iterations = op->iterations;
	options.content_weight = op->content_weight;
	options.style_weight = op->style_weight;
	options.tv_weight = op->tv_weight;
	options.init = (stylize_init) op->init;
	options.optimizer = (stylize_optimizer) op->optimizer;
	options.learning_rate = op->learning_rate;
	options.pooling = (stylize_pooling) op->pooling;
	options.seed = op->seed;
	options.content_layers = op->content_layers;
	options.style_layers = op->style_layers;
	options.preserve_colors =
		(stylize_preserve_colors) op->preserve_colors;
	options.style_scale = op->style_scale;
	options.scales = op->scales;
	if (op->max_memory)
		options.max_memory = vips_stylize_parse_bytes(op->max_memory);
	if (op->mask) {
		VipsImage *mask8 = vips_stylize_mask8(object, op->mask,
			content8->Xsize, content8->Ysize);

		if (!mask8)
			return -1;
		g_object_set_data_full(G_OBJECT(object), "stylize-mask8",
			mask8, g_object_unref);
		options.mask = VIPS_IMAGE_ADDR(mask8, 0, 0);
		options.mask_stride = VIPS_IMAGE_SIZEOF_LINE(mask8);
	}
	if (style28) {
		blend[0] = op->style_blend;
		blend[1] = 1.0 - op->style_blend;
		options.style_blend = blend;
	}

	progress.tty = isatty(STDERR_FILENO);
	show_progress = progress.tty || vips_stylize_vips_progress();

	stride = (size_t) content8->Xsize * 3;
	if (!(output = vips_tracked_malloc(stride * content8->Ysize)))
		return -1;
	status = stylize(&images[0], &images[1], style_count, &options,
		show_progress ? vips_stylize_progress_cb : NULL, &progress,
		output, stride);
	if (status != STYLIZE_OK) {
		vips_tracked_free(output);
		vips_error(class->nickname, "%s: %s",
			stylize_status_string(status), stylize_last_error());
		return -1;
	}
	t[6] = vips_image_new_from_memory_copy(output, stride * content8->Ysize,
		content8->Xsize, content8->Ysize, 3, VIPS_FORMAT_UCHAR);
	vips_tracked_free(output);
	if (!t[6])
		return -1;
	t[6]->Type = VIPS_INTERPRETATION_sRGB;

	if (!(x = vips_stylize_from_srgb8(object, t[6], colour)))
		return -1;
	t[7] = x;
	if (alpha) {
		if (vips_bandjoin2(x, alpha, &t[8], NULL))
			return -1;
		x = t[8];
	}

	/* A private copy: its metadata is ours to set. */
	if (vips_copy(x, &t[9],
			"interpretation", x->Bands == op->in->Bands
				? vips_image_guess_interpretation(op->in)
				: x->Type,
			"xres", op->in->Xres,
			"yres", op->in->Yres,
			NULL))
		return -1;
	(void) vips_image_map(op->in, vips_stylize_copy_meta, t[9]);

	if (vips_image_write(t[9], op->out))
		return -1;

	return 0;
}

static void
vips_stylize_class_init(VipsStylizeClass *class)
{
	GObjectClass *gobject_class = G_OBJECT_CLASS(class);
	VipsObjectClass *object_class = VIPS_OBJECT_CLASS(class);
	stylize_options d;

	/* Defaults come from the library so they cannot drift apart. */
	stylize_options_init(&d);

	gobject_class->set_property = vips_object_set_property;
	gobject_class->get_property = vips_object_get_property;

	object_class->nickname = "stylize";
	object_class->description =
		"neural style transfer: redraw in with the look of style "
		"(Gatys, Ecker, Bethge)";
	object_class->build = vips_stylize_build;

	VIPS_ARG_IMAGE(class, "in", 1, "Input",
		"Content image",
		VIPS_ARGUMENT_REQUIRED_INPUT,
		G_STRUCT_OFFSET(VipsStylize, in));
	VIPS_ARG_IMAGE(class, "style", 2, "Style",
		"Style image",
		VIPS_ARGUMENT_REQUIRED_INPUT,
		G_STRUCT_OFFSET(VipsStylize, style));
	VIPS_ARG_IMAGE(class, "out", 3, "Output",
		"Stylized image, in the content's bands, format and colour space",
		VIPS_ARGUMENT_REQUIRED_OUTPUT,
		G_STRUCT_OFFSET(VipsStylize, out));

	/* Ranges are wide on purpose: build() checks the real ones and
	 * fails with a message (vips would only warn). */
	VIPS_ARG_INT(class, "iterations", 10, "Iterations",
		"Optimiser steps (1 to 1000000)",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, iterations),
		G_MININT, G_MAXINT, d.iterations);
	VIPS_ARG_INT(class, "size", 11, "Size",
		"Longest side the optimisation runs at, px (0 to 16384; 0: content size)",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, size),
		G_MININT, G_MAXINT, d.size);
	VIPS_ARG_DOUBLE(class, "content_weight", 12, "Content weight",
		"Weight of the content loss (>= 0)",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, content_weight),
		-G_MAXDOUBLE, G_MAXDOUBLE, d.content_weight);
	VIPS_ARG_DOUBLE(class, "style_weight", 13, "Style weight",
		"Weight of the style loss (>= 0)",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, style_weight),
		-G_MAXDOUBLE, G_MAXDOUBLE, d.style_weight);
	VIPS_ARG_DOUBLE(class, "tv_weight", 14, "TV weight",
		"Weight of the total variation loss (>= 0)",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, tv_weight),
		-G_MAXDOUBLE, G_MAXDOUBLE, d.tv_weight);
	VIPS_ARG_ENUM(class, "init", 15, "Init",
		"Where the optimisation starts",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, init),
		vips_stylize_init_get_type(), d.init);
	VIPS_ARG_ENUM(class, "optimizer", 16, "Optimizer",
		"Optimiser",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, optimizer),
		vips_stylize_optimizer_get_type(), d.optimizer);
	VIPS_ARG_DOUBLE(class, "learning_rate", 17, "Learning rate",
		"Adam step size in pixel units (> 0; L-BFGS ignores it)",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, learning_rate),
		-G_MAXDOUBLE, G_MAXDOUBLE, d.learning_rate);
	VIPS_ARG_ENUM(class, "pooling", 18, "Pooling",
		"VGG pooling layers",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, pooling),
		vips_stylize_pooling_get_type(), d.pooling);
	VIPS_ARG_UINT64(class, "seed", 19, "Seed",
		"Seed of the noise init; equal inputs and seed give equal output",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, seed),
		0, G_MAXUINT64, d.seed);
	VIPS_ARG_STRING(class, "model", 20, "Model",
		"Model file (default: $STYLIZE_MODEL, then the installed model)",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, model),
		NULL);
	VIPS_ARG_STRING(class, "content_layers", 21, "Content layers",
		"Comma list of content layers, e.g. relu4_2",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, content_layers),
		NULL);
	VIPS_ARG_STRING(class, "style_layers", 22, "Style layers",
		"Comma list of style layers with optional weights, "
		"e.g. relu1_1:0.5,relu2_1",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, style_layers),
		NULL);
	VIPS_ARG_ENUM(class, "preserve_colors", 23, "Preserve colors",
		"Keep the content's colours",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, preserve_colors),
		vips_stylize_preserve_colors_get_type(), d.preserve_colors);
	VIPS_ARG_DOUBLE(class, "style_scale", 24, "Style scale",
		"Style image size relative to the optimisation size (0 to 8, not 0)",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, style_scale),
		-G_MAXDOUBLE, G_MAXDOUBLE, d.style_scale);
	VIPS_ARG_IMAGE(class, "style2", 25, "Second style",
		"Second style image, mixed with style by style-blend",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, style2));
	VIPS_ARG_DOUBLE(class, "style_blend", 26, "Style blend",
		"Weight of style against style2 (0 to 1; style2 gets 1 - this)",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, style_blend),
		-G_MAXDOUBLE, G_MAXDOUBLE, 0.5);
	VIPS_ARG_IMAGE(class, "mask", 27, "Mask",
		"Where to stylize: white stylizes, black keeps the content, grey blends (resized to in)",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, mask));
	VIPS_ARG_INT(class, "scales", 28, "Scales",
		"Coarse-to-fine levels, 1 to 8 (1 = optimise at the final size only)",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, scales),
		G_MININT, G_MAXINT, d.scales);
	VIPS_ARG_STRING(class, "max_memory", 29, "Max memory",
		"Working-memory budget such as 2G or 512M; larger runs go in tiles (default: none)",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, max_memory),
		NULL);
}

static void
vips_stylize_init(VipsStylize *op)
{
	stylize_options d;

	stylize_options_init(&d);
	op->iterations = d.iterations;
	op->size = d.size;
	op->content_weight = d.content_weight;
	op->style_weight = d.style_weight;
	op->tv_weight = d.tv_weight;
	op->init = d.init;
	op->optimizer = d.optimizer;
	op->learning_rate = d.learning_rate;
	op->pooling = d.pooling;
	op->seed = d.seed;
	op->preserve_colors = d.preserve_colors;
	op->style_scale = d.style_scale;
	op->style_blend = 0.5;
	op->scales = d.scales;
}

/* For programs that load the module themselves (ctypes, dlopen). */
G_MODULE_EXPORT int
vips_stylize_register(void)
{
	return vips_stylize_get_type() != 0 ? 0 : -1;
}

/* vips' module loader (auto-load from <libdir>/vips-modules-8.14 and
 * g_module_open callers such as pyvips scripts). */
G_MODULE_EXPORT const gchar *
g_module_check_init(GModule *module)
{
	/* A second copy of the module (say a --plugin file next to the
	 * auto-loaded one) must not register the type twice. */
	if (g_type_from_name("VipsStylize"))
		return "the vips operation stylize is already loaded "
			"from another vips-stylize module";

	vips_stylize_get_type();

	/* GTypes cannot be unregistered: the code must never be unloaded. */
	g_module_make_resident(module);

	return NULL;
}

/* Debian's libvips keeps the vips7 API, so `vips --plugin=FILE` goes through
 * im_load_plugin(), which insists on this symbol; an empty package suffices
 * because g_module_check_init has already registered the operation. */
typedef struct {
	char *name;
	int nfuncs;
	void **table;
} vips_stylize_im_package;

G_MODULE_EXPORT vips_stylize_im_package package_table = {
	"stylize", 0, NULL
};
