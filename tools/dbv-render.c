/*
 * dbv-render - draw the decision regions of pred streams as PNG pictures,
 * in the style of Figure 1 of Somepalli et al. (CVPR 2022).
 *
 *   dbv-render [FILE] [-o OUT.png] [--plane N] [options]     one plane
 *   dbv-render [FILE] -o DIR/ [options]                      a file per plane
 *   dbv-render --montage FILE... [--cols N] [--plane N] -o OUT.png
 *   dbv-render TABLE [--chart heatmap] [--value agreement|iou]  a heat map
 *   dbv-render TABLE --chart line --x KEY --y FIGURE [--by KEY] a line chart
 *
 * Outline: parse options; read the pred stream(s) (kind "pred" over
 * "planes"), checking every record before anything is drawn; draw each
 * chosen plane into an RGB canvas (lib/draw/image.c); write PNG.  A single
 * picture goes through dbv_output_open (temporary file, renamed when the
 * whole input was good); with -o DIR/ each plane's file is written
 * (atomically) as soon as its record has been read.
 *
 * A table stream (dbv-compare) is read whole into struct table; the chart
 * it asks for becomes the plain arrays of lib/draw/chart.c (struct dbv_heatmap,
 * struct dbv_linechart), which does all the drawing: see "charts of table
 * streams" below and CHARTS in man/dbv-render.1 for the formulas.
 *
 * The picture of a plane (res x res grid, label row 0 = lowest y):
 *
 *      +------------------------------------------------------+
 *      |                title (centred on the plot)           |
 *      |  +-----------------+   Predicted class               |
 *      |  | S x S pixels:   |   [#] 3 Dress           41%     |
 *      |  | grid point      |   [#] 8 Bag             59%     |
 *      |  | (i, j) fills    |   paler: lower confidence       |
 *      |  | the block of    |                                 |
 *      |  | pixels nearest  |   Anchors                       |
 *      |  | to it; i grows  |   (o) x1: Bag #30               |
 *      |  | upward          |   /_\ x2: Dress #72             |
 *      |  +-----------------+   (x) x3: Sandal #42            |
 *      +------------------------------------------------------+
 *
 * Plot pixel (px, py) (py from the top) shows grid point
 * (i, j) = (res - 1 - floor(py*res/S), floor(px*res/S)); the plane point
 * (x, y) sits at px = ((x - xmin)/(xmax - xmin)*(res - 1) + 0.5)*S/res,
 * py = S - ((y - ymin)/(ymax - ymin)*(res - 1) + 0.5)*S/res (continuous
 * pixel coordinates), so an anchor's marker is centred on the block of
 * the grid point it falls on.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

#define MAX_SIZE DBV_PLANEPLOT_MAX_SIDE
#define MAX_COLS 64
#define MAX_RES 46340 /* res*res fits in an int */

static const char usage[] =
	"usage: dbv-render [FILE] [-o OUT.png | -o DIR/] [options]\n"
	"       dbv-render --montage FILE... [--cols N] [--plane N] [-o OUT.png]\n"
	"       dbv-render TABLE [--chart heatmap] [--value agreement|iou] [-o OUT.png]\n"
	"       dbv-render TABLE --chart line --x KEY --y FIGURE [--by KEY] [--logx]\n"
	"Draw the decision regions of a pred stream (over planes) as PNG, or\n"
	"a chart of a table stream (dbv-compare).  FILE defaults to standard\n"
	"input; the PNG goes to standard output unless -o names a file or a\n"
	"directory (one plane-NNNN.png per plane).\n"
	"\n"
	"Charts of a table stream:\n"
	"      --chart heatmap     the group x group matrix (or stream x stream)\n"
	"                          of agreement (the default chart)\n"
	"      --value V           agreement (default) or iou\n"
	"      --scale LO,HI       ends of the colour scale (default: the values'\n"
	"                          range, widened to tenths)\n"
	"      --chart line        one point per model setting (implied by --x/--y)\n"
	"      --x KEY             numeric key of the streams' model map (width)\n"
	"      --y FIGURE          fragmentation, error, acc, acc_true, agreement\n"
	"      --by KEY            one line per value of this model key\n"
	"      --logx              x on a log scale\n"
	"\n"
	"Pictures of planes:\n"
	"      --plane N           draw only plane N (montage: default 0)\n"
	"      --shade conf|none   paler where less confident (default conf)\n"
	"      --thumbs            draw the anchor images beside their markers\n"
	"      --bare              the plot alone: S x S pixels, markers only\n"
	"      --montage           one picture of plane N of every FILE, in a grid\n"
	"      --cols N            montage columns (default: all FILEs in one row)\n"
	"      --row-labels LIST   montage row labels, comma-separated\n"
	"      --col-labels LIST   montage column labels, comma-separated\n"
	"\n"
	"Both:\n"
	"      --size PX           16..8192: a plane's plot side (default: the\n"
	"                          smallest multiple of res >= 500; montage 250),\n"
	"                          a line chart's plot width (600), a heat map's\n"
	"                          matrix side\n"
	"      --title TEXT        title (default: model and plane, or the chart's;\n"
	"                          '' for none)\n"
	"      --no-legend         leave the legend (a heat map's colour bar) out\n"
	"      --text-scale N      text size factor 1..8 (default 2; 1 below 200 px)\n"
	"  -o, --output PATH       OUT.png, or DIR/ (or an existing directory)\n"
	"  -h, --help              this text\n"
	"      --version           versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 ok, 2 usage (also: a chart the table has no data for), 3 bad\n"
	"or mismatched input, 4 I/O error, 5 non-finite numbers.\n";

struct options {
	const char *out, *title;
	char **files;
	int nfiles;
	int64_t plane;
	int plane_set, size, shade, shade_set, thumbs, legend, bare, text_scale;
	int montage, cols;
	char **row_labels, **col_labels;
	size_t nrow_labels, ncol_labels;
	int chart;              /* a chart option: dbv-chart's (run_chart) */
};

/* What a stream's header tells the pictures. */
struct info {
	const char *file;       /* name in messages */
	int64_t classes;
	char **names;           /* classes strings, or NULL */
	char model[96];         /* "cnn5 w=16", "" without model meta */
	char seed[32];          /* "seed 0", "" without */
};

/* One plane, checked and ready to draw. */
struct pic {
	int64_t plane;
	int res;
	double range[4];        /* xmin, xmax, ymin, ymax */
	double coords[3][2];
	int32_t *labels;        /* res*res, row-major, row 0 = lowest y */
	float *conf;
	int32_t y[3], y_true[3];
	int64_t idx[3];
	int c, h, w;            /* anchor image shape; c = 0: no anchors */
	uint8_t *anchors;       /* [3, c, h, w] pixels 0..255 */
	uint32_t geom;          /* CRC-32C of origin, u, v (data and shape) */
	double share[256];      /* fraction of points per class (< 256) */
};

enum {
	OPT_PLANE = 256, OPT_SIZE, OPT_SHADE, OPT_THUMBS, OPT_TITLE,
	OPT_NO_LEGEND, OPT_BARE, OPT_TEXT_SCALE, OPT_MONTAGE, OPT_COLS,
	OPT_ROW_LABELS, OPT_COL_LABELS, OPT_VERSION, OPT_CHART, OPT_VALUE,
	OPT_SCALE, OPT_X, OPT_Y, OPT_BY, OPT_LOGX,
};

/* Split "a,b,,c" into strings (empty ones kept); *out is one allocation. */
static char **split_list(const char *s, size_t *n)
{
	size_t k = 1, len = strlen(s);
	for (const char *p = s; *p; p++)
		k += *p == ',';
	char **v = dbv_malloc(k * sizeof *v + len + 1);
	if (!v)
		dbv_tool_die(DBV_EIO);
	char *buf = (char *)(v + k);
	memcpy(buf, s, len + 1);
	v[0] = buf;
	for (size_t i = 1; *buf; buf++)
		if (*buf == ',') {
			*buf = 0;
			v[i++] = buf + 1;
		}
	*n = k;
	return v;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"plane", required_argument, NULL, OPT_PLANE},
		{"size", required_argument, NULL, OPT_SIZE},
		{"shade", required_argument, NULL, OPT_SHADE},
		{"thumbs", no_argument, NULL, OPT_THUMBS},
		{"title", required_argument, NULL, OPT_TITLE},
		{"no-legend", no_argument, NULL, OPT_NO_LEGEND},
		{"bare", no_argument, NULL, OPT_BARE},
		{"text-scale", required_argument, NULL, OPT_TEXT_SCALE},
		{"montage", no_argument, NULL, OPT_MONTAGE},
		{"cols", required_argument, NULL, OPT_COLS},
		{"row-labels", required_argument, NULL, OPT_ROW_LABELS},
		{"col-labels", required_argument, NULL, OPT_COL_LABELS},
		{"chart", required_argument, NULL, OPT_CHART},
		{"value", required_argument, NULL, OPT_VALUE},
		{"scale", required_argument, NULL, OPT_SCALE},
		{"x", required_argument, NULL, OPT_X},
		{"y", required_argument, NULL, OPT_Y},
		{"by", required_argument, NULL, OPT_BY},
		{"logx", no_argument, NULL, OPT_LOGX},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{NULL, 0, NULL, 0},
	};
	int64_t v;
	int c;

	memset(o, 0, sizeof *o);
	o->shade = 1;
	o->legend = 1;
	while ((c = dbv_tool_getopt(argc, argv, ":o:h", longopts)) != -1) {
		switch (c) {
		case OPT_PLANE:
			dbv_tool_check(dbv_parse_i64(optarg, 0, INT64_MAX, &o->plane),
				    "--plane");
			o->plane_set = 1;
			break;
		case OPT_SIZE:
			dbv_tool_check(dbv_parse_i64(optarg, 16, MAX_SIZE, &v), "--size");
			o->size = (int)v;
			break;
		case OPT_SHADE:
			if (!strcmp(optarg, "conf"))
				o->shade = 1;
			else if (!strcmp(optarg, "none"))
				o->shade = 0;
			else
				dbv_tool_usage("--shade: '%s' is not conf or none", optarg);
			o->shade_set = 1;
			break;
		case OPT_THUMBS: o->thumbs = 1; break;
		case OPT_TITLE: o->title = optarg; break;
		case OPT_NO_LEGEND: o->legend = 0; break;
		case OPT_BARE: o->bare = 1; break;
		case OPT_TEXT_SCALE:
			dbv_tool_check(dbv_parse_i64(optarg, 1, 8, &v), "--text-scale");
			o->text_scale = (int)v;
			break;
		case OPT_MONTAGE: o->montage = 1; break;
		case OPT_COLS:
			dbv_tool_check(dbv_parse_i64(optarg, 1, MAX_COLS, &v), "--cols");
			o->cols = (int)v;
			break;
		case OPT_ROW_LABELS:
			free(o->row_labels);
			o->row_labels = split_list(optarg, &o->nrow_labels);
			break;
		case OPT_COL_LABELS:
			free(o->col_labels);
			o->col_labels = split_list(optarg, &o->ncol_labels);
			break;
		case OPT_CHART: case OPT_VALUE: case OPT_SCALE: case OPT_X:
		case OPT_Y: case OPT_BY: case OPT_LOGX:
			o->chart = 1; /* dbv-chart checks them */
			break;
		case 'o': o->out = optarg; break;
		case 'h': dbv_tool_help(usage);
		case OPT_VERSION: dbv_tool_version(); dbv_tool_exit_ok();
		}
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
	if (o->chart && o->montage)
		dbv_tool_usage("--montage draws pred streams, not charts");
	if (!o->montage) {
		if (o->nfiles > 1)
			dbv_tool_usage("too many arguments: '%s' (one FILE; several "
				    "go into one picture with --montage)",
				    argv[optind + 1]);
		if (o->cols || o->row_labels || o->col_labels)
			dbv_tool_usage("--cols, --row-labels and --col-labels need --montage");
		return;
	}
	if (o->nfiles == 0)
		dbv_tool_usage("--montage needs one or more FILEs");
	if (!o->cols || o->cols > o->nfiles)
		o->cols = o->nfiles;
	const int rows = (o->nfiles + o->cols - 1) / o->cols;
	if (o->row_labels && o->nrow_labels != (size_t)rows)
		dbv_tool_usage("--row-labels: %zu labels for %d rows", o->nrow_labels,
			    rows);
	if (o->col_labels && o->ncol_labels != (size_t)o->cols)
		dbv_tool_usage("--col-labels: %zu labels for %d columns",
			    o->ncol_labels, o->cols);
}

/* ---- reading ------------------------------------------------------ */

/* file: the path as given (NULL or "-": standard input); kept. */
static int read_info(struct dbv_reader *r, const char *file, struct info *in)
{
	const dbv_val *meta = dbv_reader_meta(r), *names, *model;
	const char *s;
	size_t n;
	int64_t v;

	memset(in, 0, sizeof *in);
	in->file = file && strcmp(file, "-") ? file : "standard input";
	if (!dbv_val_is(dbv_map_get(meta, "input"), "planes")) {
		if (dbv_val_is(dbv_map_get(meta, "input"), "dataset"))
			return dbv_seterr(DBV_EINPUT, "%s: predictions over a data "
					  "set, not over planes: dbv-render draws "
					  "planes (dbv-predict with a planes stream)",
					  in->file);
		return dbv_seterr(DBV_EINPUT, "%s: the header's meta has no "
				  "\"input\": \"planes\"", in->file);
	}
	if (dbv_get_i64(meta, "classes", &in->classes) || in->classes < 1 ||
	    in->classes > INT32_MAX)
		return dbv_seterr(DBV_EINPUT, "%s: the header has no valid "
				  "\"classes\"", in->file);
	names = dbv_map_get(meta, "class_names");
	if (names && dbv_val_len(names) == (size_t)in->classes &&
	    dbv_val_type(names) == DBV_V_ARRAY) {
		if (!(in->names = dbv_calloc((size_t)in->classes, sizeof *in->names)))
			return DBV_EIO;
		for (int64_t k = 0; k < in->classes; k++)
			if (dbv_val_strdup(dbv_array_at(names, (size_t)k),
					   &in->names[k]))
				return dbv_seterr(DBV_EINPUT, "%s: class_names[%lld] "
						  "is not a string", in->file,
						  (long long)k);
	}
	model = dbv_map_get(meta, "model");
	if (model && !dbv_val_str(dbv_map_get(model, "arch"), &s, &n)) {
		int len = snprintf(in->model, sizeof in->model, "%.*s",
				   (int)(n > 40 ? 40 : n), s);
		if (!dbv_get_i64(model, "width", &v))
			snprintf(in->model + len, sizeof in->model - (size_t)len,
				 " w=%lld", (long long)v);
	}
	if (model && !dbv_get_i64(model, "seed", &v))
		snprintf(in->seed, sizeof in->seed, "seed %lld", (long long)v);
	return DBV_OK;
}

static void info_release(struct info *in)
{
	if (in->names)
		for (int64_t k = 0; k < in->classes; k++)
			free(in->names[k]);
	free(in->names);
	in->names = NULL;
}

static void pic_release(struct pic *p)
{
	free(p->labels);
	free(p->conf);
	free(p->anchors);
	memset(p, 0, sizeof *p);
}

static uint32_t tensor_crc(const dbv_val *rec, const char *key, uint32_t crc)
{
	const dbv_val *t = dbv_map_get(rec, key), *shape = dbv_map_get(t, "shape");
	const void *p;
	size_t n;
	for (size_t i = 0; i < dbv_val_len(shape); i++) {
		int64_t d = -1;
		dbv_val_i64(dbv_array_at(shape, i), &d);
		crc = dbv_crc32c(crc, &d, sizeof d);
	}
	if (dbv_val_bin(dbv_map_get(t, "data"), &p, &n))
		return crc ^ 0xdeadbeef;
	return dbv_crc32c(crc, p, n);
}

/* A float64 tensor of n values with the given shape into out. */
static int get_f64(const dbv_val *rec, const char *key, int ndim,
		   const int64_t *shape, double *out, size_t n)
{
	struct dbv_tensor t;
	int rc = dbv_get_tensor(rec, key, &t);
	if (rc)
		return rc;
	int ok = t.dtype == DBV_F64 && t.ndim == ndim;
	for (int d = 0; ok && d < ndim; d++)
		ok = t.shape[d] == shape[d];
	if (ok)
		memcpy(out, t.data, n * sizeof *out);
	dbv_tensor_release(&t);
	if (!ok)
		return dbv_seterr(DBV_EINPUT, "\"%s\" is not f64 %s", key,
				  ndim == 1 ? "[4]" : "[3,2]");
	for (size_t i = 0; i < n; i++)
		if (!isfinite(out[i]))
			return dbv_seterr(DBV_ENONFINITE, "\"%s\" holds a "
					  "non-finite number", key);
	return DBV_OK;
}

/* An i32 [3] or i64 [3] tensor into out (i64). */
static int get_three(const dbv_val *rec, const char *key, int64_t *out)
{
	struct dbv_tensor t;
	int rc = dbv_get_tensor(rec, key, &t);
	if (rc)
		return rc;
	int ok = t.ndim == 1 && t.shape[0] == 3 &&
		 (t.dtype == DBV_I32 || t.dtype == DBV_I64);
	for (int k = 0; ok && k < 3; k++)
		out[k] = t.dtype == DBV_I32 ? ((int32_t *)t.data)[k]
					   : ((int64_t *)t.data)[k];
	dbv_tensor_release(&t);
	return ok ? DBV_OK : dbv_seterr(DBV_EINPUT, "\"%s\" is not i32 [3]", key);
}

static int read_anchors(const dbv_val *rec, struct pic *p)
{
	struct dbv_tensor t;
	size_t n;
	int rc;

	if ((rc = dbv_get_tensor(rec, "anchors", &t)))
		return rc;
	if ((t.dtype != DBV_U8 && t.dtype != DBV_F32) || t.ndim != 4 ||
	    t.shape[0] != 3 || (t.shape[1] != 1 && t.shape[1] != 3) ||
	    t.shape[2] < 1 || t.shape[3] < 1 || t.shape[2] > 4096 ||
	    t.shape[3] > 4096) {
		dbv_tensor_release(&t);
		return dbv_seterr(DBV_EINPUT, "\"anchors\" is not u8 or f32 "
				  "[3,C,H,W] with C = 1 or 3");
	}
	p->c = (int)t.shape[1];
	p->h = (int)t.shape[2];
	p->w = (int)t.shape[3];
	n = dbv_tensor_numel(&t);
	if (!(p->anchors = dbv_malloc(n))) {
		dbv_tensor_release(&t);
		return DBV_EIO;
	}
	for (size_t i = 0; i < n; i++) {
		float v = t.dtype == DBV_U8 ? ((uint8_t *)t.data)[i]
					    : ((float *)t.data)[i];
		/* Noise anchors may leave 0..255: clamp (NaN to 0). */
		p->anchors[i] = (uint8_t)(v > 0 ? (v < 255 ? lrintf(v) : 255) : 0);
	}
	dbv_tensor_release(&t);
	return DBV_OK;
}

/* Read and check a pred record's plane. */
static int read_pic(const dbv_val *rec, const struct info *in, int anchors,
		    struct pic *p)
{
	const int64_t s4[1] = {4}, s32[2] = {3, 2};
	struct dbv_tensor t;
	int64_t v, three[3];
	size_t n;
	int rc;

	memset(p, 0, sizeof *p);
	if ((rc = dbv_get_i64(rec, "plane", &p->plane)))
		return rc;
	if ((rc = dbv_get_i64(rec, "res", &v)))
		return rc;
	if (v < 2 || v > MAX_RES)
		return dbv_seterr(DBV_EINPUT, "\"res\" %lld is not in 2..%d",
				  (long long)v, MAX_RES);
	p->res = (int)v;
	n = (size_t)v * (size_t)v;
	if ((rc = get_f64(rec, "range", 1, s4, p->range, 4)) ||
	    (rc = get_f64(rec, "coords", 2, s32, &p->coords[0][0], 6)))
		return rc;
	if (!(p->range[0] < p->range[1]) || !(p->range[2] < p->range[3]))
		return dbv_seterr(DBV_EINPUT, "\"range\" [%g, %g, %g, %g] is empty",
				  p->range[0], p->range[1], p->range[2],
				  p->range[3]);
	if ((rc = get_three(rec, "y", three)))
		return rc;
	for (int k = 0; k < 3; k++)
		p->y[k] = (int32_t)three[k];
	if ((rc = get_three(rec, "y_true", three)))
		return rc;
	for (int k = 0; k < 3; k++)
		p->y_true[k] = (int32_t)three[k];
	if (dbv_map_get(rec, "idx")) {
		if ((rc = get_three(rec, "idx", p->idx)))
			return rc;
	} else {
		p->idx[0] = p->idx[1] = p->idx[2] = -1;
	}
	p->geom = tensor_crc(rec, "origin", 0);
	p->geom = tensor_crc(rec, "u", p->geom);
	p->geom = tensor_crc(rec, "v", p->geom);

	if ((rc = dbv_get_tensor(rec, "labels", &t)))
		return rc;
	if ((t.dtype != DBV_U8 && t.dtype != DBV_I32) || t.ndim != 2 ||
	    t.shape[0] != p->res || t.shape[1] != p->res) {
		dbv_tensor_release(&t);
		return dbv_seterr(DBV_EINPUT, "\"labels\" is not u8 or i32 "
				  "[%d,%d] (res)", p->res, p->res);
	}
	if (!(p->labels = dbv_malloc(n * sizeof *p->labels))) {
		dbv_tensor_release(&t);
		return DBV_EIO;
	}
	for (size_t i = 0; i < n; i++) {
		int32_t l = t.dtype == DBV_U8 ? ((uint8_t *)t.data)[i]
					      : ((int32_t *)t.data)[i];
		if (l < 0 || l >= in->classes) {
			dbv_tensor_release(&t);
			return dbv_seterr(DBV_EINPUT, "label %d at row %zu, column "
					  "%zu is not a class (0..%lld)", l,
					  i / (size_t)p->res, i % (size_t)p->res,
					  (long long)in->classes - 1);
		}
		p->labels[i] = l;
		if (l < 256)
			p->share[l] += 1.0 / (double)n;
	}
	dbv_tensor_release(&t);

	if ((rc = dbv_get_tensor(rec, "conf", &t)))
		return rc;
	if (t.dtype != DBV_F32 || t.ndim != 2 || t.shape[0] != p->res ||
	    t.shape[1] != p->res) {
		dbv_tensor_release(&t);
		return dbv_seterr(DBV_EINPUT, "\"conf\" is not f32 [%d,%d] (res)",
				  p->res, p->res);
	}
	p->conf = dbv_malloc(n * sizeof *p->conf);
	if (!p->conf) {
		dbv_tensor_release(&t);
		return DBV_EIO;
	}
	memcpy(p->conf, t.data, n * sizeof *p->conf);
	dbv_tensor_release(&t);
	for (size_t i = 0; i < n; i++) {
		const float c = p->conf[i];
		if (!isfinite(c))
			return dbv_seterr(DBV_ENONFINITE, "confidence %g at row "
					  "%zu, column %zu", c, i / (size_t)p->res,
					  i % (size_t)p->res);
		/* Softmax maxima, with float rounding's slack. */
		if (c < 0 || c > 1.0001f)
			return dbv_seterr(DBV_EINPUT, "confidence %g at row %zu, "
					  "column %zu is outside [0, 1]", c,
					  i / (size_t)p->res, i % (size_t)p->res);
	}
	if (anchors && (rc = read_anchors(rec, p)))
		return rc;
	return DBV_OK;
}

/* Prefix the current message with "FILE: record N" and return rc. */
static int at_record(int rc, const struct info *in, struct dbv_reader *r)
{
	return dbv_preerr(rc, "%s: record %llu", in->file,
			  (unsigned long long)dbv_reader_record_no(r));
}

/* ---- drawing ------------------------------------------------------ */

/* The title text: --title, or "arch w=K seed=S, plane N"; none when bare. */
static void default_title(const struct options *o, const struct info *in,
			  const struct pic *p, char *buf, size_t cap)
{
	if (o->bare) {
		buf[0] = 0;
	} else if (o->title) {
		snprintf(buf, cap, "%s", o->title);
	} else if (o->montage || !in->model[0]) {
		snprintf(buf, cap, "plane %lld", (long long)p->plane);
	} else {
		snprintf(buf, cap, "%s%s%s, plane %lld", in->model,
			 in->seed[0] ? " " : "", in->seed, (long long)p->plane);
	}
}

/* A plane's plot: the plain arrays of lib/draw/planeplot.c. */
static void plot_of(const struct pic *p, const struct options *o,
		    struct dbv_planeplot *pl)
{
	memset(pl, 0, sizeof *pl);
	pl->res = p->res;
	pl->labels = p->labels;
	pl->conf = o->shade ? p->conf : NULL;
	for (int k = 0; k < 3; k++) {
		dbv_planeplot_place(p->range, p->res, p->coords[k][0],
				    p->coords[k][1], pl->at[k]);
		pl->y[k] = p->y[k];
		pl->y_true[k] = p->y_true[k];
		pl->idx[k] = p->idx[k];
	}
	if (o->thumbs && p->anchors) {
		pl->c = p->c;
		pl->h = p->h;
		pl->w = p->w;
		pl->images = p->anchors;
	}
}

/*
 * Draw a grid of pics (rows x cols; NULL cells stay blank), with title,
 * row/column labels and a legend as the options ask.
 */
static int draw_picture(struct dbv_image *im, struct pic *const *pics,
			int npics, int cols, char *const *rlab, char *const *clab,
			const struct info *in, const struct options *o,
			char *title, size_t title_cap)
{
	struct dbv_planeplot *pl = dbv_calloc((size_t)npics, sizeof *pl);
	const struct dbv_planeplot **cells = dbv_calloc((size_t)npics, sizeof *cells);
	struct dbv_planepic pic = {
		.cells = cells, .n = npics, .cols = cols, .montage = o->montage,
		.row_labels = rlab, .col_labels = clab, .title = title,
		.classes = in->classes, .names = in->names, .size = o->size,
		.ts = o->text_scale, .legend = o->legend, .bare = o->bare,
	};
	int rc = DBV_EIO;

	if (pl && cells) {
		for (int q = 0; q < npics; q++)
			if (pics[q]) {
				plot_of(pics[q], o, &pl[q]);
				cells[q] = &pl[q];
			}
		default_title(o, in, pics[0], title, title_cap);
		rc = dbv_planepic_draw(im, &pic);
	}
	free(pl);
	free(cells);
	return rc;
}

/* ---- output ------------------------------------------------------- */

/* The one picture to -o FILE or standard output. */
static int write_one(const struct dbv_image *im, const char *out,
		     const char *title)
{
	int fd, rc;

	/* (main refused a terminal on standard output before reading.) */
	if ((rc = dbv_output_open(out, 1, 0, &fd)) ||
	    (rc = dbv_image_write_png_fd(im, fd, out ? out : "standard output",
					 title[0] ? title : NULL)))
		return rc;
	return dbv_output_commit();
}

/* -o names a directory: "DIR/" or an existing one. */
static int out_is_dir(const char *out)
{
	struct stat st;
	size_t n;
	if (!out || !strcmp(out, "-"))
		return 0;
	n = strlen(out);
	return (n && out[n - 1] == '/') || (stat(out, &st) == 0 && S_ISDIR(st.st_mode));
}

struct png_job {
	const struct dbv_image *im;
	const char *path, *title;
};

static int png_to(int fd, void *arg)
{
	const struct png_job *j = arg;
	return dbv_image_write_png_fd(j->im, fd, j->path, j->title);
}

static int write_in_dir(const struct dbv_image *im, const char *dir,
			int64_t plane, const char *title)
{
	const size_t n = strlen(dir);
	char *path = dbv_malloc(n + 40);
	int rc;
	if (!path)
		return DBV_EIO;
	snprintf(path, n + 40, "%s%splane-%04lld.png", dir,
		 n && dir[n - 1] == '/' ? "" : "/", (long long)plane);
	struct png_job j = {im, path, title[0] ? title : NULL};
	rc = dbv_write_file_atomic(path, png_to, &j);
	free(path);
	return rc;
}

/* ---- table streams: dbv-chart ------------------------------------- */

/*
 * The input from where it starts, so that dbv-chart can read a table
 * stream whole: its offset, or for a pipe (which cannot be rewound) a
 * temporary copy of it (*copied).  A single picture waits for the whole
 * input anyway.
 */
static int rewindable(int *fd, off_t *start, int *copied)
{
	char buf[1 << 16];
	ssize_t k;
	FILE *t;

	*copied = 0;
	if ((*start = lseek(*fd, 0, SEEK_CUR)) >= 0)
		return DBV_OK;
	if (!(t = tmpfile()))
		return dbv_seterr(DBV_EIO, "cannot make a temporary file: %s",
				  strerror(errno));
	while ((k = read(*fd, buf, sizeof buf)) != 0)
		if ((k < 0 && errno != EINTR) ||
		    (k > 0 && fwrite(buf, 1, (size_t)k, t) != (size_t)k))
			return dbv_seterr(DBV_EIO, "cannot copy the input to a "
					  "temporary file: %s", strerror(errno));
	if (fflush(t) || lseek(fileno(t), 0, SEEK_SET) < 0)
		return dbv_seterr(DBV_EIO, "cannot copy the input to a temporary "
				  "file: %s", strerror(errno));
	if (*fd > 0)
		close(*fd);
	*fd = fileno(t); /* t stays open while the process lives */
	*start = 0;
	*copied = 1;
	return DBV_OK;
}

/* Options of pictures, which a table stream refuses. */
static int plane_opts(const struct options *o)
{
	return o->plane_set || o->shade_set || o->thumbs || o->bare || out_is_dir(o->out);
}

/*
 * Charts: dbv-chart, next to this program or else on PATH, draws them
 * from the same arguments and reports as dbv-render.  fd < 0: the input
 * is untouched; else it is rewound to start (or copied: a pipe).
 * Returns only on failure.
 */
static int run_chart(const struct options *o, char **argv, const char *name,
		     int fd, off_t start, int copied)
{
	char exe[4096];
	ssize_t n;

	if (fd >= 0 && plane_opts(o))
		return dbv_seterr(DBV_EUSAGE, "%s is a table stream: --plane, "
				  "--shade, --thumbs, --bare and -o DIR/ are for "
				  "pred streams of planes", name);
	if (fd >= 0 && (copied || !o->nfiles || !strcmp(o->files[0], "-"))) {
		/* Standard input, or the copy in its place. */
		if (lseek(fd, start, SEEK_SET) < 0 || (fd != 0 && dup2(fd, 0) < 0))
			return dbv_seterr(DBV_EIO, "cannot rewind %s: %s", name,
					  strerror(errno));
		if (o->nfiles)
			o->files[0] = "-";
	}
	argv[0] = "dbv-render";
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 16)) > 0) {
		exe[n] = 0;
		strcpy(strrchr(exe, '/') + 1, "dbv-chart");
		execv(exe, argv);
	}
	execvp("dbv-chart", argv);
	return dbv_seterr(DBV_EIO, "cannot run dbv-chart: %s", strerror(errno));
}

/* ---- the two modes ------------------------------------------------ */

static int render_pic(struct dbv_image *im, struct pic *p, const struct info *in,
		      const struct options *o, char *title, size_t cap)
{
	char *none = "";
	struct pic *one[1] = {p};
	return draw_picture(im, one, 1, 1, &none, &none, in, o, title, cap);
}

/* Read the header: a pred stream (pictures) or a table (charts). */
static int read_kind(struct dbv_reader *r, const char *file)
{
	const dbv_val *hdr;
	const char *tool = "?";
	size_t tn = 1;
	int rc = dbv_reader_header(r, NULL, &hdr);
	if (rc)
		return rc;
	if (!strcmp(dbv_reader_kind(r), "pred") || !strcmp(dbv_reader_kind(r), "table"))
		return DBV_OK;
	dbv_val_str(dbv_map_get(hdr, "tool"), &tool, &tn);
	return dbv_seterr(DBV_EINPUT, "%s: expected a pred stream (dbv-predict) or "
			  "a table stream (dbv-compare), got a %s stream (from "
			  "%.*s)", file && strcmp(file, "-") ? file : "standard input",
			  dbv_reader_kind(r), (int)(tn > 64 ? 64 : tn), tool);
}

/* One stream: every plane into DIR/, or the one chosen to a file. */
static int run_single(const struct options *o, char **argv)
{
	off_t start = 0;
	int copied = 0;
	const char *file = o->nfiles ? o->files[0] : NULL;
	const int dir = out_is_dir(o->out);
	struct dbv_reader *r;
	int eof;
	struct info in;
	struct pic keep, p;
	struct dbv_image im;
	const dbv_val *rec;
	char title[512];
	int fd, rc, have = 0;
	int64_t drawn = 0;

	memset(&in, 0, sizeof in);
	memset(&keep, 0, sizeof keep);

	if ((rc = dbv_input_open(file, &fd)))
		return rc;
	if (!dir && (rc = rewindable(&fd, &start, &copied))) {
		if (fd > 0)
			close(fd);
		return rc;
	}
	if (!(r = dbv_reader_new(fd, file ? file : "-"))) {
		if (fd > 0)
			close(fd);
		return DBV_EIO;
	}
	if ((rc = read_kind(r, file)))
		goto out;
	if (!strcmp(dbv_reader_kind(r), "table")) {
		rc = run_chart(o, argv, file && strcmp(file, "-") ? file
				: "standard input", fd, start, copied);
		goto out;
	}
	if (o->chart) {
		rc = dbv_seterr(DBV_EUSAGE, "%s is a pred stream: --chart, --x, "
				"--y, --by, --logx, --value and --scale draw table "
				"streams (dbv-compare)", file && strcmp(file, "-")
							 ? file : "standard input");
		goto out;
	}
	if ((rc = read_info(r, file, &in)))
		goto out;
	if (dir) {
		struct stat st;
		if (stat(o->out, &st) != 0 && mkdir(o->out, 0777) != 0) {
			rc = dbv_seterr(DBV_EIO, "cannot make directory '%s': %s",
					o->out, strerror(errno));
			goto out;
		}
	}
	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
		int64_t plane;
		if (!dbv_record_is(rec, "pred"))
			continue;
		if (dbv_get_i64(rec, "plane", &plane)) {
			rc = at_record(DBV_EINPUT, &in, r);
			goto out;
		}
		if (o->plane_set && plane != o->plane)
			continue;
		if (have && !dir) {
			rc = dbv_seterr(DBV_EUSAGE, "%s: the stream holds more than "
					"one plane: write one file per plane with "
					"-o DIR/, or choose one with --plane N",
					in.file);
			goto out;
		}
		if ((rc = read_pic(rec, &in, o->thumbs, &p))) {
			pic_release(&p);
			rc = at_record(rc, &in, r);
			goto out;
		}
		if (!dir) {
			keep = p;
			have = 1;
			continue;
		}
		rc = render_pic(&im, &p, &in, o, title, sizeof title);
		if (!rc) {
			rc = write_in_dir(&im, o->out, p.plane, title);
			dbv_image_release(&im);
		}
		pic_release(&p);
		if (rc)
			goto out;
		drawn++;
	}
	if (rc != DBV_END)
		goto out;
	if ((rc = dbv_reader_at_eof(r, &eof)))
		goto out;
	if (!eof) {
		rc = dbv_seterr(DBV_EINPUT, "%s: another stream follows the "
				"first: give the streams as files (with --montage "
				"to put them in one picture)", in.file);
		goto out;
	}
	rc = DBV_OK;
	if (!have && !drawn) {
		rc = o->plane_set
			     ? dbv_seterr(DBV_EUSAGE, "%s: no plane %lld in the "
					  "stream", in.file, (long long)o->plane)
			     : dbv_seterr(DBV_EINPUT, "%s: no plane in the stream",
					  in.file);
		goto out;
	}
	if (have) {
		rc = render_pic(&im, &keep, &in, o, title, sizeof title);
		if (!rc) {
			rc = write_one(&im, o->out, title);
			dbv_image_release(&im);
		}
	}
out:
	pic_release(&keep);
	info_release(&in);
	dbv_reader_free(r);
	if (fd > 0)
		close(fd);
	return rc;
}

/* Does b show the same plane as a?  NULL when it does, else what differs. */
static const char *differs(const struct pic *a, const struct pic *b)
{
	if (a->res != b->res)
		return "res";
	if (memcmp(a->range, b->range, sizeof a->range))
		return "range";
	if (memcmp(a->coords, b->coords, sizeof a->coords))
		return "anchor coordinates";
	if (a->geom != b->geom)
		return "origin or basis vectors";
	return NULL;
}

static int same_classes(const struct info *a, const struct info *b)
{
	if (a->classes != b->classes || !a->names != !b->names)
		return 0;
	for (int64_t k = 0; a->names && k < a->classes; k++)
		if (strcmp(a->names[k], b->names[k]))
			return 0;
	return 1;
}

/* Plane N of every FILE, in one picture. */
static int run_montage(const struct options *o)
{
	const int n = o->nfiles, cols = o->cols, rows = (n + cols - 1) / cols;
	struct info *in = dbv_calloc((size_t)n, sizeof *in);
	struct pic *p = dbv_calloc((size_t)n, sizeof *p);
	struct pic **pp = dbv_calloc((size_t)n, sizeof *pp);
	char **rlab = dbv_calloc((size_t)rows, sizeof *rlab);
	char **clab = dbv_calloc((size_t)cols, sizeof *clab);
	char title[512];
	struct dbv_image im;
	int rc = DBV_OK;

	if (!in || !p || !pp || !rlab || !clab)
		return DBV_EIO;
	for (int q = 0; q < n && !rc; q++) {
		struct dbv_reader *r;
		const dbv_val *rec;
		int fd, have = 0;

		if ((rc = dbv_input_open(o->files[q], &fd)))
			break;
		if (!(r = dbv_reader_new(fd, o->files[q]))) {
			close(fd);
			rc = DBV_EIO;
			break;
		}
		if (!(rc = dbv_reader_header(r, "pred", NULL)) &&
		    !(rc = read_info(r, o->files[q], &in[q]))) {
			while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
				int64_t plane;
				if (!dbv_record_is(rec, "pred"))
					continue;
				if (dbv_get_i64(rec, "plane", &plane)) {
					rc = at_record(DBV_EINPUT, &in[q], r);
					break;
				}
				if (plane != o->plane || have)
					continue;
				if ((rc = read_pic(rec, &in[q], o->thumbs, &p[q]))) {
					rc = at_record(rc, &in[q], r);
					break;
				}
				have = 1;
			}
			if (rc == DBV_END)
				rc = have ? DBV_OK
					  : dbv_seterr(DBV_EUSAGE, "%s: no plane %lld "
						       "in the stream", in[q].file,
						       (long long)o->plane);
		}
		dbv_reader_free(r);
		if (fd > 0)
			close(fd);
		if (rc)
			break;
		pp[q] = &p[q];
		const char *what = differs(&p[0], &p[q]);
		if (what)
			rc = dbv_seterr(DBV_EINPUT, "%s: plane %lld is not the plane "
					"of the same number in %s (its %s differ): "
					"a montage shows one plane across runs",
					in[q].file, (long long)o->plane, in[0].file,
					what);
		else if (!same_classes(&in[0], &in[q]))
			rc = dbv_seterr(DBV_EINPUT, "%s: its classes differ from "
					"those of %s", in[q].file, in[0].file);
	}
	if (!rc) {
		/* Labels: given, or from the model meta of the first row's /
		 * first column's stream. */
		for (int r = 0; r < rows; r++)
			rlab[r] = o->row_labels ? o->row_labels[r] : in[r * cols].seed;
		for (int c = 0; c < cols; c++)
			clab[c] = o->col_labels ? o->col_labels[c] : in[c].model;
		rc = draw_picture(&im, pp, n, cols, rlab, clab, &in[0], o, title,
				  sizeof title);
		if (!rc) {
			rc = write_one(&im, o->out, title);
			dbv_image_release(&im);
		}
	}
	for (int q = 0; q < n; q++) {
		pic_release(&p[q]);
		info_release(&in[q]);
	}
	free(in);
	free(p);
	free(pp);
	free(rlab);
	free(clab);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	int rc;

	dbv_tool_init("dbv-render", argv);
	parse_options(argc, argv, &o);
	if (o.montage && out_is_dir(o.out))
		dbv_tool_usage("--montage draws one picture: -o FILE.png, not a "
			    "directory");
	if (!out_is_dir(o.out) && (!o.out || !strcmp(o.out, "-")) && isatty(1))
		dbv_tool_usage("refusing to write PNG to a terminal: use -o "
			    "FILE.png or redirect standard output");
	if (o.chart && !o.montage && !plane_opts(&o))
		rc = run_chart(&o, argv, NULL, -1, 0, 0);
	else
		rc = o.montage ? run_montage(&o) : run_single(&o, argv);
	if (rc)
		dbv_tool_die(rc);
	free(o.row_labels);
	free(o.col_labels);
	return 0;
}
