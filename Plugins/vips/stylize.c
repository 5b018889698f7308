/*
 * vips-stylize: the libvips operation `stylize`, a thin adapter over the
 * installed libstylize C ABI (stylize.h). Written in C because VipsOperation
 * subclasses are defined with GObject class macros.
 *
 *   vips stylize content.jpg style.jpg out.png --iterations 300 --size 512
 *   pyvips: content.stylize(style, iterations=50)
 *
 * The argument table is the engine's option table (stylize_option_at()):
 * every option with a vips spelling becomes an argument with the table's
 * range, default and help. The module decides nothing about values: the
 * library's one validator does, and its error is reported under the vips
 * name ("stylize: iterations: 0 is out of range (1 to 1000000 steps)").
 *
 * build() admits the run from image headers alone (the image rule and the
 * memory plan, stylize_check) before any pixel is decoded, decodes style
 * images shrunk to the size the run uses, converts everything to 8-bit sRGB,
 * runs the engine, then converts the result back to the content's
 * interpretation, band format and band count, and joins the content's
 * original alpha band back untouched (see README.md).
 */

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <vips/vips.h>

#include <stylize.h>

/* Argument slots, one per option-table entry (indexed like the table). */
#define VIPS_STYLIZE_SLOTS 64

typedef union {
	int i;        /* integer options that fit an int; choices (enum) */
	double d;     /* real options */
	guint64 u;    /* integer options wider than an int (seed) */
	char *s;      /* layers, paths, byte sizes */
	VipsImage *image;
} VipsStylizeSlot;

typedef struct _VipsStylize {
	VipsOperation parent_instance;

	VipsImage *in;
	VipsImage *style;
	VipsImage *out;

	/* Not in the option table: a second positional style in the CLI,
	 * here an image plus its share, style-blend b -> weights [b, 1 - b]. */
	VipsImage *style2;
	double style_blend;

	VipsStylizeSlot slot[VIPS_STYLIZE_SLOTS];
} VipsStylize;

typedef VipsOperationClass VipsStylizeClass;

/* Not G_DEFINE_TYPE's static: vips_stylize_register() and the module
 * loaders need it by name. */
GType vips_stylize_get_type(void);
G_DEFINE_TYPE(VipsStylize, vips_stylize, VIPS_TYPE_OPERATION);

#define VIPS_TYPE_STYLIZE (vips_stylize_get_type())

/* How a stylize_options field is written from its slot. The one list the
 * module keeps by hand: the C struct's layout cannot be read at run time. */
typedef enum {
	FIELD_INT32,  /* slot.i */
	FIELD_ENUM,   /* slot.i, a choice's index = the C enum value */
	FIELD_DOUBLE, /* slot.d */
	FIELD_UINT64, /* slot.u */
	FIELD_STRING, /* slot.s, NULL = the library's default */
	FIELD_BYTES   /* slot.s read by stylize_parse_bytes(), NULL = 0 */
} VipsStylizeFieldType;

static const struct {
	const char *field;
	size_t offset;
	VipsStylizeFieldType type;
} vips_stylize_fields[] = {
#define FIELD(NAME, TYPE) { #NAME, offsetof(stylize_options, NAME), TYPE }
	FIELD(model_path, FIELD_STRING),
	FIELD(size, FIELD_INT32),
	FIELD(iterations, FIELD_INT32),
	FIELD(content_weight, FIELD_DOUBLE),
	FIELD(style_weight, FIELD_DOUBLE),
	FIELD(tv_weight, FIELD_DOUBLE),
	FIELD(init, FIELD_ENUM),
	FIELD(optimizer, FIELD_ENUM),
	FIELD(learning_rate, FIELD_DOUBLE),
	FIELD(pooling, FIELD_ENUM),
	FIELD(seed, FIELD_UINT64),
	FIELD(content_layers, FIELD_STRING),
	FIELD(style_layers, FIELD_STRING),
	FIELD(preserve_colors, FIELD_ENUM),
	FIELD(style_scale, FIELD_DOUBLE),
	FIELD(scales, FIELD_INT32),
	FIELD(max_memory, FIELD_BYTES),
	FIELD(output_size, FIELD_INT32),
	FIELD(time_limit, FIELD_DOUBLE),
#undef FIELD
};

/* The field entry for a table entry, or -1 (no C field, or one written by
 * hand: style_blend, mask). */
static int
vips_stylize_field_index(const stylize_option_info *info)
{
	if (!info->field)
		return -1;
	for (size_t f = 0; f < G_N_ELEMENTS(vips_stylize_fields); f++)
		if (!strcmp(info->field, vips_stylize_fields[f].field))
			return (int) f;
	return -1;
}

/* Unclamped parameter specs. GLib validates a property value against its
 * GParamSpec and, when it is out of range, only warns and keeps the old
 * value; vips argument values would never reach the library's validator.
 * These subtypes of GParamSpecInt/UInt64/Double/Enum keep the parent's
 * range and default (so `vips stylize` prints the table's real range) but
 * accept every value: build() hands it to the library, whose error names
 * the argument. */
static gboolean
vips_stylize_param_keep(GParamSpec *pspec, GValue *value)
{
	return FALSE; /* nothing changed */
}

static gboolean
vips_stylize_param_valid(GParamSpec *pspec, const GValue *value)
{
	return TRUE;
}

static void
vips_stylize_param_class_init(gpointer klass, gpointer data)
{
	GParamSpecClass *class = (GParamSpecClass *) klass;

	class->value_validate = vips_stylize_param_keep;
#if GLIB_CHECK_VERSION(2, 74, 0)
	class->value_is_valid = vips_stylize_param_valid;
#endif
}

static GType
vips_stylize_param_type(GType parent)
{
	char *name = g_strdup_printf("VipsStylizeUnclamped%s", g_type_name(parent));
	GType type = g_type_from_name(name);

	if (!type) {
		GTypeQuery query;

		g_type_query(parent, &query);
		GTypeInfo info = {
			.class_size = query.class_size,
			.class_init = vips_stylize_param_class_init,
			.instance_size = query.instance_size,
		};
		type = g_type_register_static(parent, name, &info, 0);
	}
	g_free(name);

	return type;
}

/* A choice's GEnum from the table's comma list, values 0..n-1 as in the C
 * enum. vips hides an enum's last value as its "_LAST" sentinel, so one is
 * added ("last", value n); the library refuses it like any bad index. */
static GType
vips_stylize_enum_type(const stylize_option_info *info)
{
	char **choices = g_strsplit(info->choices, ",", -1);
	guint n = g_strv_length(choices);
	GString *type_name = g_string_new("VipsStylize");
	GEnumValue *values;
	GType type;

	/* "preserve-colors" -> VipsStylizePreserveColors */
	for (const char *p = info->vips; *p; p++)
		if (*p != '-')
			g_string_append_c(type_name, p == info->vips ||
				p[-1] == '-' ? g_ascii_toupper(*p) : *p);
	if ((type = g_type_from_name(type_name->str))) {
		g_strfreev(choices);
		g_string_free(type_name, TRUE);
		return type;
	}

	/* GLib keeps the values for the life of the process. */
	values = g_new0(GEnumValue, n + 2);
	for (guint i = 0; i <= n; i++) {
		const char *nick = i < n ? choices[i] : "last";
		char *name = g_strdup_printf("%s_%s", type_name->str, nick);

		values[i].value = (gint) i;
		values[i].value_name = g_ascii_strup(name, -1);
		values[i].value_nick = g_strdup(nick);
		g_free(name);  /* g_ascii_strup made a copy (LeakSanitizer found it) */
	}
	type = g_enum_register_static(g_intern_string(type_name->str), values);
	g_strfreev(choices);
	g_string_free(type_name, TRUE);

	return type;
}

/* The GParamSpec of a table entry, or NULL if the module cannot offer it. */
static GParamSpec *
vips_stylize_pspec(const stylize_option_info *info, int field)
{
	const char *name = info->vips;
	const char *nick = info->label ? info->label : info->vips;
	const char *blurb = info->help;
	GParamFlags flags = G_PARAM_READWRITE;
	GParamSpec *pspec;

	switch (info->type) {
	case STYLIZE_OPTION_INTEGER:
		if (field >= 0 &&
			vips_stylize_fields[field].type == FIELD_UINT64) {
			GParamSpecUInt64 *p = (GParamSpecUInt64 *) g_param_spec_internal(
				vips_stylize_param_type(G_TYPE_PARAM_UINT64),
				name, nick, blurb, flags);

			p->minimum = (guint64) info->minimum;
			p->maximum = info->maximum >= 18446744073709551615.0
				? G_MAXUINT64 : (guint64) info->maximum;
			p->default_value = (guint64) info->default_value;
			return G_PARAM_SPEC(p);
		}
		else if (field >= 0 &&
			vips_stylize_fields[field].type == FIELD_INT32) {
			GParamSpecInt *p = (GParamSpecInt *) g_param_spec_internal(
				vips_stylize_param_type(G_TYPE_PARAM_INT),
				name, nick, blurb, flags);

			p->minimum = (gint) info->minimum;
			p->maximum = (gint) info->maximum;
			p->default_value = (gint) info->default_value;
			return G_PARAM_SPEC(p);
		}
		return NULL;

	case STYLIZE_OPTION_REAL: {
		GParamSpecDouble *p;

		if (field < 0 || vips_stylize_fields[field].type != FIELD_DOUBLE)
			return NULL;
		p = (GParamSpecDouble *) g_param_spec_internal(
			vips_stylize_param_type(G_TYPE_PARAM_DOUBLE),
			name, nick, blurb, flags);
		p->minimum = info->minimum;
		p->maximum = info->maximum;
		p->default_value = info->default_value;
		return G_PARAM_SPEC(p);
	}

	case STYLIZE_OPTION_CHOICE: {
		GType enum_type;
		GParamSpecEnum *p;

		if (field < 0 || vips_stylize_fields[field].type != FIELD_ENUM)
			return NULL;
		enum_type = vips_stylize_enum_type(info);
		p = (GParamSpecEnum *) g_param_spec_internal(
			vips_stylize_param_type(G_TYPE_PARAM_ENUM),
			name, nick, blurb, flags);
		/* What g_param_spec_enum() does for its own type. */
		p->enum_class = g_type_class_ref(enum_type);
		p->default_value = (gint) info->default_value;
		G_PARAM_SPEC(p)->value_type = enum_type;
		return G_PARAM_SPEC(p);
	}

	case STYLIZE_OPTION_LAYERS:
	case STYLIZE_OPTION_PATH:
	case STYLIZE_OPTION_BYTES:
		if (field < 0)
			return NULL;
		pspec = g_param_spec_string(name, nick, blurb, NULL, flags);
		return pspec;

	case STYLIZE_OPTION_IMAGE:
		/* The mask (an init image has no vips spelling). */
		if (!info->field || strcmp(info->field, "mask"))
			return NULL;
		return g_param_spec_object(name, nick, blurb,
			VIPS_TYPE_IMAGE, flags);

	default:
		/* Lists: style-blend is installed by hand (a share, not a list). */
		return NULL;
	}
}

/* The option a slot holds (NULL: slot unused), set once in class_init. */
static const stylize_option_info *vips_stylize_slot_info[VIPS_STYLIZE_SLOTS];

static void
vips_stylize_install(VipsStylizeClass *class, GParamSpec *pspec,
	VipsArgumentFlags flags, int priority, size_t offset)
{
	g_object_class_install_property(G_OBJECT_CLASS(class),
		vips_argument_get_id(), pspec);
	vips_object_class_install_argument(VIPS_OBJECT_CLASS(class),
		pspec, flags, priority, offset);
}

/* The slot of the mask (the table's one image option), -1 if none. */
static int vips_stylize_mask_slot = -1;

static VipsImage *
vips_stylize_mask(VipsStylize *op)
{
	return vips_stylize_mask_slot >= 0
		? op->slot[vips_stylize_mask_slot].image : NULL;
}

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

/* Whether an image's colour goes through the engine in 16 bits: any band
 * format deeper than 8 bits whose interpretation colourspace knows (RGB16,
 * GREY16, scRGB float, Lab ...), so smooth gradients keep their levels
 * (STYLIZE_FORMAT_U16). Unknown interpretations keep the 8-bit path. */
static gboolean
vips_stylize_deep(VipsImage *image)
{
	return image->BandFmt != VIPS_FORMAT_UCHAR &&
		image->BandFmt != VIPS_FORMAT_CHAR &&
		vips_colourspace_issupported(image);
}

/* Any image vips handles -> interleaved sRGB, 3 bands, no alpha, 8-bit
 * (deep FALSE) or 16-bit (RGB16, deep TRUE), resized to width x height
 * exactly (0: its own size), in memory, as a new reference; NULL with a vips
 * error on failure. The resize is part of the pipeline, so only the resized
 * pixels are ever held as RGB. */
static VipsImage *
vips_stylize_to_srgb(VipsObject *parent, VipsImage *image,
	int width, int height, gboolean deep)
{
	VipsImage **t = (VipsImage **) vips_object_local_array(parent, 8);
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
		if (vips_colourspace(x, &t[2], deep
				? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB,
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
	if (deep) {
		if (vips_cast(x, &t[3], VIPS_FORMAT_USHORT, NULL))
			return NULL;
	}
	else if (x->BandFmt == VIPS_FORMAT_USHORT) {
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

	if (width > 0 && (width != x->Xsize || height != x->Ysize)) {
		if (vips_resize(x, &t[5], (double) width / x->Xsize,
				"vscale", (double) height / x->Ysize, NULL))
			return NULL;
		/* resize rounds its output size: crop or extend the last
		 * row or column so that the size is exact. */
		if (vips_embed(t[5], &t[6], 0, 0, width, height,
				"extend", VIPS_EXTEND_COPY, NULL))
			return NULL;
		x = t[6];
	}

	/* Evaluate once here so the engine gets contiguous memory. */
	if (!(t[7] = vips_image_copy_memory(x)))
		return NULL;
	g_object_ref(t[7]);

	return t[7];
}

/* A mask image of any type -> one 8-bit band (its luminance) at the
 * content's size, in memory: 255 = stylize, 0 = keep the content. */
static VipsImage *
vips_stylize_mask8(VipsObject *parent, VipsImage *mask, int width, int height)
{
	VipsImage **t = (VipsImage **) vips_object_local_array(parent, 3);

	if (!(t[0] = vips_stylize_to_srgb(parent, mask, width, height, FALSE)) ||
		vips_colourspace(t[0], &t[1], VIPS_INTERPRETATION_B_W, NULL) ||
		!(t[2] = vips_image_copy_memory(t[1])))
		return NULL;
	g_object_ref(t[2]);

	return t[2];
}

/* The engine's sRGB result (8-bit sRGB or RGB16) -> the content's
 * interpretation, format and colour band count (alpha is joined by the
 * caller). */
static VipsImage *
vips_stylize_from_srgb(VipsObject *parent, VipsImage *rgb, VipsImage *colour)
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

/* A C field name in a library message ("options->size") -> the vips name
 * ("size"), so that every message speaks the vips door's spelling. */
static char *
vips_stylize_vips_names(const char *message)
{
	GString *text = g_string_new("");
	const char *p = message;

	while (*p) {
		const stylize_option_info *found = NULL;
		size_t length = 0;

		if (g_str_has_prefix(p, "options->")) {
			const char *name = p + strlen("options->");

			while (g_ascii_isalnum(name[length]) || name[length] == '_')
				length++;
			char *field = g_strndup(name, length);
			for (int32_t i = 0; i < stylize_option_count(); i++) {
				const stylize_option_info *o = stylize_option_at(i);

				if (o->field && o->vips && !strcmp(o->field, field))
					found = o;
			}
			g_free(field);
		}
		if (found) {
			g_string_append(text, found->vips);
			p += strlen("options->") + length;
		}
		else
			g_string_append_c(text, *p++);
	}

	return g_string_free(text, FALSE);
}

/* The library's error as a vips error: an option at fault is named by its
 * vips argument ("stylize: iterations: 0 is out of range ..."); any other
 * message is passed on with C field names translated. */
static void
vips_stylize_error(const char *nickname, stylize_status status)
{
	const stylize_option_info *option = stylize_last_error_option();

	if (status == STYLIZE_ERROR_INVALID_OPTION && option && option->vips)
		vips_error(nickname, "%s: %s",
			option->vips, stylize_last_error_problem());
	else {
		char *message = vips_stylize_vips_names(stylize_last_error());

		vips_error(nickname, "%s", *message
			? message : stylize_status_string(status));
		g_free(message);
	}
}

/* The image rule on an argument's header (known without decoding a pixel):
 * a decompression bomb or a 1x20000 strip is refused here. The message
 * names the argument and, when vips knows it, the file. */
static int
vips_stylize_check_header(const char *nickname, const char *argument,
	VipsImage *image)
{
	char *name;
	stylize_status status;

	if (!image)
		return 0;
	name = image->filename && *image->filename
		? g_strdup_printf("%s (%s)", argument, image->filename)
		: g_strdup(argument);
	status = stylize_check_image(image->Xsize, image->Ysize, name);
	g_free(name);
	if (status != STYLIZE_OK) {
		vips_stylize_error(nickname, status);
		return -1;
	}

	return 0;
}

/* The slots -> stylize_options, by field. style_blend and mask are set by
 * build(). Only max-memory's text can fail here (stylize_parse_bytes, the
 * library's byte-size syntax). */
static int
vips_stylize_fill_options(VipsStylize *op, const char *nickname,
	stylize_options *options)
{
	stylize_options_init(options);
	for (int i = 0; i < VIPS_STYLIZE_SLOTS; i++) {
		const stylize_option_info *info = vips_stylize_slot_info[i];
		VipsStylizeSlot *slot = &op->slot[i];
		int f;
		char *member;

		if (!info || (f = vips_stylize_field_index(info)) < 0)
			continue;
		member = (char *) options + vips_stylize_fields[f].offset;
		switch (vips_stylize_fields[f].type) {
		case FIELD_INT32:
			*(int32_t *) member = slot->i;
			break;
		case FIELD_ENUM:
			/* C enums are int-sized; a negative value from
			 * pyvips wraps to an index the library refuses. */
			*(int *) member = slot->i;
			break;
		case FIELD_DOUBLE:
			*(double *) member = slot->d;
			break;
		case FIELD_UINT64:
			*(uint64_t *) member = slot->u;
			break;
		case FIELD_STRING:
			*(const char **) member = slot->s;
			break;
		case FIELD_BYTES:
			if (slot->s) {
				stylize_status status = stylize_parse_bytes(slot->s,
					(uint64_t *) member);

				if (status != STYLIZE_OK) {
					vips_stylize_error(nickname, status);
					return -1;
				}
			}
			break;
		}
	}

	return 0;
}

/* A header-only stylize_image (admission reads sizes, never pixels). */
static stylize_image
vips_stylize_header(VipsImage *image)
{
	return (stylize_image){ NULL, image->Xsize, image->Ysize, 3,
		(size_t) image->Xsize * 3 };
}

/* A style decoded shrunk: the longest side the run uses (size x
 * style-scale, stylize_style_side()), so a large style never needs its full
 * size in memory as 8-bit RGB. */
static VipsImage *
vips_stylize_style8(VipsObject *parent, VipsImage *style,
	VipsImage *content, const stylize_options *options)
{
	int32_t side = stylize_style_side(options,
		content->Xsize, content->Ysize, style->Xsize, style->Ysize);
	int longest = VIPS_MAX(style->Xsize, style->Ysize);
	double scale;

	if (side <= 0) {
		vips_stylize_error(VIPS_OBJECT_GET_CLASS(parent)->nickname,
			stylize_last_error_option()
				? STYLIZE_ERROR_INVALID_OPTION
				: STYLIZE_ERROR_INVALID_ARGUMENT);
		return NULL;
	}
	/* The engine's rounding (ImageSize.size(longestSide:)). */
	scale = (double) side / longest;

	return vips_stylize_to_srgb(parent, style,
		VIPS_MAX(1, (int) rint(style->Xsize * scale)),
		VIPS_MAX(1, (int) rint(style->Ysize * scale)), FALSE);
}

static int
vips_stylize_run(VipsStylize *op, stylize_model *model,
	stylize_options *options)
{
	VipsObject *object = VIPS_OBJECT(op);
	const char *nickname = VIPS_OBJECT_GET_CLASS(object)->nickname;
	VipsImage **t = (VipsImage **) vips_object_local_array(object, 11);
	VipsImage *content_rgb, *style8, *style28 = NULL, *mask8 = NULL;
	VipsImage *colour, *alpha = NULL, *x;
	stylize_image images[3];
	int style_count = op->style2 ? 2 : 1;
	gboolean deep;
	int sample;
	uint8_t *output;
	size_t stride;
	stylize_status status;
	Progress progress;
	gboolean show_progress;
	/* stylize_check counts a mask by its presence; it reads no byte. */
	static const uint8_t mask_present = 255;

	/* Admission from the headers: options, layer names, and the memory
	 * plan against what the machine can give, before any decoding. */
	images[0] = vips_stylize_header(op->in);
	images[1] = vips_stylize_header(op->style);
	if (op->style2)
		images[2] = vips_stylize_header(op->style2);
	if (vips_stylize_mask(op)) {
		options->mask = &mask_present;
		options->mask_stride = (size_t) op->in->Xsize;
	}
	status = stylize_check(model, &images[0], &images[1], style_count,
		options);
	options->mask = NULL;
	options->mask_stride = 0;
	if (status != STYLIZE_OK) {
		vips_stylize_error(nickname, status);
		return -1;
	}

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

	/* Deeper than 8 bits: 16-bit through the engine (STYLIZE_FORMAT_U16). */
	deep = vips_stylize_deep(colour);
	sample = deep ? 2 : 1;
	if (!(content_rgb = vips_stylize_to_srgb(object, colour, 0, 0, deep)))
		return -1;
	t[3] = content_rgb;
	if (!(style8 = vips_stylize_style8(object, op->style, op->in, options)))
		return -1;
	t[4] = style8;
	if (op->style2) {
		if (!(style28 = vips_stylize_style8(object, op->style2, op->in,
				options)))
			return -1;
		t[5] = style28;
	}
	if (vips_stylize_mask(op)) {
		if (!(mask8 = vips_stylize_mask8(object, vips_stylize_mask(op),
				content_rgb->Xsize, content_rgb->Ysize)))
			return -1;
		t[6] = mask8;
		options->mask = VIPS_IMAGE_ADDR(mask8, 0, 0);
		options->mask_stride = VIPS_IMAGE_SIZEOF_LINE(mask8);
	}

	images[0] = (stylize_image){ VIPS_IMAGE_ADDR(content_rgb, 0, 0),
		content_rgb->Xsize, content_rgb->Ysize,
		3 | (deep ? STYLIZE_FORMAT_U16 : STYLIZE_FORMAT_U8),
		VIPS_IMAGE_SIZEOF_LINE(content_rgb) };
	images[1] = (stylize_image){ VIPS_IMAGE_ADDR(style8, 0, 0),
		style8->Xsize, style8->Ysize, 3,
		VIPS_IMAGE_SIZEOF_LINE(style8) };
	if (style28)
		images[2] = (stylize_image){ VIPS_IMAGE_ADDR(style28, 0, 0),
			style28->Xsize, style28->Ysize, 3,
			VIPS_IMAGE_SIZEOF_LINE(style28) };

	progress.tty = isatty(STDERR_FILENO);
	show_progress = progress.tty || vips_stylize_vips_progress();

	stride = (size_t) content_rgb->Xsize * 3 * sample;
	if (!(output = vips_tracked_malloc(stride * content_rgb->Ysize)))
		return -1;
	status = stylize_with_model(model, &images[0], &images[1], style_count,
		options, show_progress ? vips_stylize_progress_cb : NULL,
		&progress, output, stride);
	if (status != STYLIZE_OK) {
		vips_tracked_free(output);
		vips_stylize_error(nickname, status);
		return -1;
	}
	t[7] = vips_image_new_from_memory_copy(output, stride * content_rgb->Ysize,
		content_rgb->Xsize, content_rgb->Ysize, 3,
		deep ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR);
	vips_tracked_free(output);
	if (!t[7])
		return -1;
	t[7]->Type = deep ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB;

	if (!(x = vips_stylize_from_srgb(object, t[7], colour)))
		return -1;
	t[8] = x;
	if (alpha) {
		if (vips_bandjoin2(x, alpha, &t[9], NULL))
			return -1;
		x = t[9];
	}

	/* A private copy: its metadata is ours to set. */
	if (vips_copy(x, &t[10],
			"interpretation", x->Bands == op->in->Bands
				? vips_image_guess_interpretation(op->in)
				: x->Type,
			"xres", op->in->Xres,
			"yres", op->in->Yres,
			NULL))
		return -1;
	(void) vips_image_map(op->in, vips_stylize_copy_meta, t[10]);

	return vips_image_write(t[10], op->out);
}

static int
vips_stylize_build(VipsObject *object)
{
	VipsObjectClass *class = VIPS_OBJECT_GET_CLASS(object);
	VipsStylize *op = (VipsStylize *) object;
	VipsImage *mask = vips_stylize_mask(op);
	stylize_options options;
	stylize_model *model;
	stylize_status status;
	double blend[2];
	int result;

	/* Before the parent's build: it checks that required outputs are set. */
	g_object_set(object, "out", vips_image_new(), NULL);

	if (VIPS_OBJECT_CLASS(vips_stylize_parent_class)->build(object))
		return -1;

	/* The image rule on every header first: nothing has been decoded,
	 * and a bomb must not get as far as opening the model. */
	if (vips_stylize_check_header(class->nickname, "in", op->in) ||
		vips_stylize_check_header(class->nickname, "style", op->style) ||
		vips_stylize_check_header(class->nickname, "style2", op->style2) ||
		vips_stylize_check_header(class->nickname, "mask", mask))
		return -1;

	if (vips_stylize_fill_options(op, class->nickname, &options))
		return -1;
	if (op->style2) {
		blend[0] = op->style_blend;
		blend[1] = 1.0 - op->style_blend;
		options.style_blend = blend;
	}

	/* One model for the check and the run (reading it takes a while). */
	if ((status = stylize_model_open(options.model_path, &model))) {
		vips_stylize_error(class->nickname, status);
		return -1;
	}
	result = vips_stylize_run(op, model, &options);
	stylize_model_close(model);

	return result;
}

static void
vips_stylize_class_init(VipsStylizeClass *class)
{
	GObjectClass *gobject_class = G_OBJECT_CLASS(class);
	VipsObjectClass *object_class = VIPS_OBJECT_CLASS(class);
	int32_t count = stylize_option_count();

	gobject_class->set_property = vips_object_set_property;
	gobject_class->get_property = vips_object_get_property;

	object_class->nickname = "stylize";
	object_class->description =
		"neural style transfer: redraw in with the look of style "
		"(Gatys, Ecker, Bethge)";
	object_class->build = vips_stylize_build;

	/* Never cached: a result is a whole image in memory, and vips' cache
	 * hashes arguments by their exact GParamSpec type, which the unclamped
	 * subtypes are not (see vips_stylize_init). */
	class->flags = VIPS_OPERATION_NOCACHE;

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

	/* The option table, in its order. */
	for (int32_t i = 0; i < count && i < VIPS_STYLIZE_SLOTS; i++) {
		const stylize_option_info *info = stylize_option_at(i);
		GParamSpec *pspec;

		if (!info || !info->vips ||
			!(pspec = vips_stylize_pspec(info,
				vips_stylize_field_index(info))))
			continue;
		vips_stylize_slot_info[i] = info;
		if (info->type == STYLIZE_OPTION_IMAGE)
			vips_stylize_mask_slot = i;
		vips_stylize_install(class, pspec, VIPS_ARGUMENT_OPTIONAL_INPUT,
			10 + i, G_STRUCT_OFFSET(VipsStylize, slot) +
				(size_t) i * sizeof(VipsStylizeSlot));
	}
	if (count > VIPS_STYLIZE_SLOTS)
		g_warning("vips-stylize: the option table has %d entries, "
			"the module offers the first %d", count,
			VIPS_STYLIZE_SLOTS);

	/* The second style and its share, after the table. */
	VIPS_ARG_IMAGE(class, "style2", 10 + VIPS_STYLIZE_SLOTS, "Second style",
		"Second style image, mixed with style by style-blend",
		VIPS_ARGUMENT_OPTIONAL_INPUT,
		G_STRUCT_OFFSET(VipsStylize, style2));
	{
		GParamSpecDouble *p = (GParamSpecDouble *) g_param_spec_internal(
			vips_stylize_param_type(G_TYPE_PARAM_DOUBLE),
			"style-blend", "Style blend",
			"Share of style against style2: blend weights style-blend "
			"and 1 - style-blend (0 to 1; default 0.5, equal)",
			G_PARAM_READWRITE);

		p->minimum = 0;
		p->maximum = 1;
		p->default_value = 0.5;
		vips_stylize_install(class, G_PARAM_SPEC(p),
			VIPS_ARGUMENT_OPTIONAL_INPUT, 11 + VIPS_STYLIZE_SLOTS,
			G_STRUCT_OFFSET(VipsStylize, style_blend));
	}
}

/* Each slot starts at the table's default; strings and images at NULL (the
 * library's default). */
static void
vips_stylize_init(VipsStylize *op)
{
	for (int i = 0; i < VIPS_STYLIZE_SLOTS; i++) {
		const stylize_option_info *info = vips_stylize_slot_info[i];
		int f;

		if (!info || (f = vips_stylize_field_index(info)) < 0)
			continue;
		switch (vips_stylize_fields[f].type) {
		case FIELD_INT32:
		case FIELD_ENUM:
			op->slot[i].i = (int) info->default_value;
			break;
		case FIELD_DOUBLE:
			op->slot[i].d = info->default_value;
			break;
		case FIELD_UINT64:
			op->slot[i].u = (guint64) info->default_value;
			break;
		default:
			break;
		}
	}
	op->style_blend = 0.5;

	/* vips looks every operation up in its cache before building it; its
	 * argument hash knows only the stock GParamSpec types and prints a
	 * debug line on stdout for any other. The operation is never cached
	 * (VIPS_OPERATION_NOCACHE), so a fixed hash loses nothing: a lookup
	 * can only meet operations of other types. */
	op->parent_instance.hash = (guint) VIPS_TYPE_STYLIZE | 1;
	op->parent_instance.found_hash = TRUE;
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
