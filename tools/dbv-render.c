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

enum { CHART_NONE, CHART_HEATMAP, CHART_LINE };
enum { Y_NONE, Y_FRAG, Y_ERROR, Y_ACC, Y_ACC_TRUE, Y_AGREEMENT };
static const char *const y_names[] = {
	"", "fragmentation", "error", "acc", "acc_true", "agreement",
};

struct options {
	const char *out, *title;
	char **files;
	int nfiles;
	int64_t plane;
	int plane_set, size, shade, shade_set, thumbs, legend, bare, text_scale;
	int montage, cols;
	char **row_labels, **col_labels;
	size_t nrow_labels, ncol_labels;
	/* charts */
	int chart, chart_set, y, logx, iou, scale_set, value_set;
	const char *x, *by;
	double scale[2];
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
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		const char *opt = argv[optind - 1];
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
		case OPT_CHART:
			if (!strcmp(optarg, "heatmap"))
				o->chart = CHART_HEATMAP;
			else if (!strcmp(optarg, "line"))
				o->chart = CHART_LINE;
			else
				dbv_tool_usage("--chart: '%s' is not heatmap or line", optarg);
			o->chart_set = 1;
			break;
		case OPT_VALUE:
			if (!strcmp(optarg, "agreement"))
				o->iou = 0;
			else if (!strcmp(optarg, "iou"))
				o->iou = 1;
			else
				dbv_tool_usage("--value: '%s' is not agreement or iou", optarg);
			o->value_set = 1;
			break;
		case OPT_SCALE: {
			size_t n;
			char **sv = split_list(optarg, &n);
			if (n != 2 || dbv_parse_double(sv[0], -1e300, 1e300, &o->scale[0]) ||
			    dbv_parse_double(sv[1], -1e300, 1e300, &o->scale[1]) ||
			    !(o->scale[0] < o->scale[1]))
				dbv_tool_usage("--scale: '%s' is not LO,HI with LO < HI", optarg);
			free(sv);
			o->scale_set = 1;
			break;
		}
		case OPT_X: o->x = optarg; break;
		case OPT_BY: o->by = optarg; break;
		case OPT_LOGX: o->logx = 1; break;
		case OPT_Y:
			o->y = Y_NONE;
			for (int k = 1; k <= Y_AGREEMENT; k++)
				if (!strcmp(optarg, y_names[k]))
					o->y = k;
			if (o->y == Y_NONE)
				dbv_tool_usage("--y: '%s' is not fragmentation, error, acc, "
					    "acc_true or agreement", optarg);
			break;
		case 'o': o->out = optarg; break;
		case 'h': fputs(usage, stdout); exit(0);
		case OPT_VERSION: dbv_tool_version(); exit(0);
		case ':': dbv_tool_usage("option '%s' needs a value (see --help)", opt);
		default: dbv_tool_usage("unknown option '%s' (see --help)", opt);
		}
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
	/* Charts: --x/--y/--by/--logx ask for a line chart, --value and
	 * --scale for a heat map. */
	{
		const int line_opts = o->x || o->y || o->by || o->logx;
		const int heat_opts = o->value_set || o->scale_set;
		if (!o->chart_set && line_opts)
			o->chart = CHART_LINE;
		else if (!o->chart_set && heat_opts)
			o->chart = CHART_HEATMAP;
		if (o->chart == CHART_HEATMAP && line_opts)
			dbv_tool_usage("--x, --y, --by and --logx are for --chart line");
		if (o->chart == CHART_LINE && heat_opts)
			dbv_tool_usage("--value and --scale are for --chart heatmap");
		if (o->chart == CHART_LINE && (!o->x || !o->y))
			dbv_tool_usage("--chart line needs --x KEY (a number of the "
				    "models, such as width) and --y FIGURE");
		if (o->chart && o->montage)
			dbv_tool_usage("--montage draws pred streams, not charts");
	}
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
	FILE *f;
	int fd, rc;

	/* (main refused a terminal on standard output before reading.) */
	if ((rc = dbv_output_open(out, 1, 0, &fd)))
		return rc;
	/* A stdio stream of its own for libpng; dbv_output_commit closes
	 * (and renames) the original descriptor. */
	int d = dup(fd);
	if (d < 0 || !(f = fdopen(d, "wb"))) {
		if (d >= 0)
			close(d);
		return dbv_seterr(DBV_EIO, "cannot write '%s': %s",
				  out ? out : "standard output", strerror(errno));
	}
	rc = dbv_image_write_png(im, f, title[0] ? title : NULL);
	if (fclose(f) && !rc)
		rc = dbv_seterr(DBV_EIO, "cannot write '%s': %s",
				out ? out : "standard output", strerror(errno));
	if (rc)
		return dbv_preerr(rc, "%s", out ? out : "standard output");
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
	rc = dbv_image_write_png_path(im, path, title[0] ? title : NULL);
	free(path);
	return rc;
}

/* ---- charts of table streams -------------------------------------- */

/*
 * A table stream (dbv-compare) read whole: the header's streams and
 * groups, and the records a chart may need.  Values of the header (the
 * model maps) stay valid while the reader lives.
 */
struct table {
	const char *file;
	int dataset;              /* input "dataset": accuracy, churn */
	int64_t planes, res;
	int S;                    /* streams */
	const dbv_val **model;    /* S: the model maps (NULL: none) */
	char **label;             /* S: desc, or the file name */
	char **sfile;             /* S */
	int have_pairs, have_groups, have_frag, have_acc;
	int64_t P;                /* pairs */
	int64_t *pair;            /* [P, 2] */
	double *p_agree, *p_iou, *p_per;  /* [P], [P], [P, planes] */
	int G;
	char **gname;
	double *g_agree, *g_iou;  /* [G, G], NaN where no pair */
	double *f_mean, *f_per;   /* [S], [S, planes] */
	double *acc, *acc_true, *churn; /* [S], [S], [S, S] */
};

static void table_release(struct table *t)
{
	for (int i = 0; i < t->S; i++) {
		if (t->label)
			free(t->label[i]);
		if (t->sfile)
			free(t->sfile[i]);
	}
	for (int g = 0; g < t->G; g++)
		free(t->gname[g]);
	free(t->model); free(t->label); free(t->sfile); free(t->pair);
	free(t->p_agree); free(t->p_iou); free(t->p_per); free(t->gname);
	free(t->g_agree); free(t->g_iou); free(t->f_mean); free(t->f_per);
	free(t->acc); free(t->acc_true); free(t->churn);
	memset(t, 0, sizeof *t);
}

/*
 * The f64 tensor rec[key] of shape [d0] (d1 < 0) or [d0, d1] into a new
 * array.  nan_ok: NaN is a value ("no pair"); other non-finite numbers
 * are refused (DBV_ENONFINITE).
 */
static int table_f64(const dbv_val *rec, const char *key, int64_t d0,
		     int64_t d1, int nan_ok, double **out)
{
	struct dbv_tensor t;
	const int ndim = d1 < 0 ? 1 : 2;
	int rc = dbv_get_tensor(rec, key, &t);
	if (rc)
		return dbv_preerr(rc, "\"%s\"", key);
	if (t.dtype != DBV_F64 || t.ndim != ndim || t.shape[0] != d0 ||
	    (ndim == 2 && t.shape[1] != d1)) {
		dbv_tensor_release(&t);
		if (ndim == 1)
			return dbv_seterr(DBV_EINPUT, "\"%s\" is not f64 [%lld]", key,
					  (long long)d0);
		return dbv_seterr(DBV_EINPUT, "\"%s\" is not f64 [%lld,%lld]", key,
				  (long long)d0, (long long)d1);
	}
	const size_t n = dbv_tensor_numel(&t);
	*out = dbv_malloc((n ? n : 1) * sizeof **out);
	if (!*out) {
		dbv_tensor_release(&t);
		return DBV_EIO;
	}
	memcpy(*out, t.data, n * sizeof **out);
	dbv_tensor_release(&t);
	for (size_t i = 0; i < n; i++)
		if (!isfinite((*out)[i]) && !(nan_ok && isnan((*out)[i])))
			return dbv_seterr(DBV_ENONFINITE, "\"%s\" holds a non-finite "
					  "number", key);
	return DBV_OK;
}

static int table_header(struct dbv_reader *r, struct table *t)
{
	const dbv_val *meta = dbv_reader_meta(r), *streams;

	if (dbv_val_is(dbv_map_get(meta, "input"), "dataset"))
		t->dataset = 1;
	else if (!dbv_val_is(dbv_map_get(meta, "input"), "planes"))
		return dbv_seterr(DBV_EINPUT, "%s: the table's meta has no "
				  "\"input\" of \"planes\" or \"dataset\"", t->file);
	if (dbv_get_i64(meta, "planes", &t->planes) || t->planes < 0 ||
	    dbv_get_i64(meta, "res", &t->res) || t->res < 0 ||
	    (!t->dataset && (t->planes < 1 || t->planes > INT32_MAX)))
		return dbv_seterr(DBV_EINPUT, "%s: the table's meta has no valid "
				  "\"planes\" and \"res\"", t->file);
	streams = dbv_map_get(meta, "streams");
	if (dbv_val_type(streams) != DBV_V_ARRAY || dbv_val_len(streams) < 1 ||
	    dbv_val_len(streams) > 100000)
		return dbv_seterr(DBV_EINPUT, "%s: the table's meta has no "
				  "\"streams\"", t->file);
	t->S = (int)dbv_val_len(streams);
	t->model = dbv_calloc((size_t)t->S, sizeof *t->model);
	t->label = dbv_calloc((size_t)t->S, sizeof *t->label);
	t->sfile = dbv_calloc((size_t)t->S, sizeof *t->sfile);
	if (!t->model || !t->label || !t->sfile)
		return DBV_EIO;
	for (int i = 0; i < t->S; i++) {
		const dbv_val *s = dbv_array_at(streams, (size_t)i);
		const dbv_val *m = dbv_map_get(s, "model");
		if (dbv_val_type(s) != DBV_V_MAP ||
		    dbv_val_strdup(dbv_map_get(s, "file"), &t->sfile[i]))
			return dbv_seterr(DBV_EINPUT, "%s: streams[%d] is not a map "
					  "with a \"file\"", t->file, i);
		t->model[i] = dbv_val_type(m) == DBV_V_MAP ? m : NULL;
		/* The label: desc when the stream had model meta. */
		if (!t->model[i] || dbv_val_strdup(dbv_map_get(s, "desc"), &t->label[i]))
			t->label[i] = NULL;
	}
	/* Labels that would be ambiguous (two streams of one desc, or no
	 * desc) are the file names. */
	for (int i = 0; i < t->S; i++) {
		int dup = !t->label[i];
		for (int j = 0; j < t->S && !dup; j++)
			dup = j != i && t->label[j] && !strcmp(t->label[i], t->label[j]);
		if (dup) {
			for (int j = 0; j < t->S; j++) {
				free(t->label[j]);
				if (!(t->label[j] = dbv_strdup(t->sfile[j])))
					return DBV_EIO;
			}
			break;
		}
	}
	return DBV_OK;
}

static int table_record(const dbv_val *rec, struct table *t)
{
	const int64_t S = t->S, PL = t->planes;
	int rc;

	if (dbv_record_is(rec, "pairs")) {
		struct dbv_tensor pt;
		if (t->have_pairs++)
			return dbv_seterr(DBV_EINPUT, "a second \"pairs\" record");
		if ((rc = dbv_get_tensor(rec, "pair", &pt)))
			return dbv_preerr(rc, "\"pair\"");
		if (pt.dtype != DBV_I64 || pt.ndim != 2 || pt.shape[1] != 2 ||
		    pt.shape[0] < 1 || pt.shape[0] > S * S) {
			dbv_tensor_release(&pt);
			return dbv_seterr(DBV_EINPUT, "\"pair\" is not i64 [P,2]");
		}
		t->P = pt.shape[0];
		t->pair = dbv_malloc((size_t)t->P * 2 * sizeof *t->pair);
		if (!t->pair) {
			dbv_tensor_release(&pt);
			return DBV_EIO;
		}
		memcpy(t->pair, pt.data, (size_t)t->P * 2 * sizeof *t->pair);
		dbv_tensor_release(&pt);
		for (int64_t k = 0; k < t->P; k++) {
			const int64_t a = t->pair[2 * k], b = t->pair[2 * k + 1];
			if (a < 0 || b < 0 || a >= S || b >= S || a == b)
				return dbv_seterr(DBV_EINPUT, "pair %lld (%lld, %lld) is "
						  "not two of the %lld streams",
						  (long long)k, (long long)a,
						  (long long)b, (long long)S);
		}
		if ((rc = table_f64(rec, "agreement", t->P, -1, 0, &t->p_agree)) ||
		    (rc = table_f64(rec, "iou", t->P, -1, 0, &t->p_iou)) ||
		    (PL > 0 && (rc = table_f64(rec, "per_plane", t->P, PL, 0, &t->p_per))))
			return rc;
		return DBV_OK;
	}
	if (dbv_record_is(rec, "groups")) {
		const dbv_val *names = dbv_map_get(rec, "names");
		if (t->have_groups++)
			return dbv_seterr(DBV_EINPUT, "a second \"groups\" record");
		if (dbv_val_type(names) != DBV_V_ARRAY || dbv_val_len(names) < 1 ||
		    dbv_val_len(names) > 100000)
			return dbv_seterr(DBV_EINPUT, "\"names\" is not an array of "
					  "group names");
		t->gname = dbv_calloc(dbv_val_len(names), sizeof *t->gname);
		if (!t->gname)
			return DBV_EIO;
		for (size_t g = 0; g < dbv_val_len(names); g++, t->G++)
			if (dbv_val_strdup(dbv_array_at(names, g), &t->gname[g]))
				return dbv_seterr(DBV_EINPUT, "names[%zu] is not a "
						  "string", g);
		if ((rc = table_f64(rec, "agreement", t->G, t->G, 1, &t->g_agree)) ||
		    (rc = table_f64(rec, "iou", t->G, t->G, 1, &t->g_iou)))
			return rc;
		return DBV_OK;
	}
	if (dbv_record_is(rec, "fragmentation")) {
		if (t->have_frag++)
			return dbv_seterr(DBV_EINPUT, "a second \"fragmentation\" record");
		if ((rc = table_f64(rec, "mean", S, -1, 0, &t->f_mean)) ||
		    (PL > 0 && (rc = table_f64(rec, "per_plane", S, PL, 0, &t->f_per))))
			return rc;
		return DBV_OK;
	}
	if (dbv_record_is(rec, "accuracy")) {
		if (t->have_acc++)
			return dbv_seterr(DBV_EINPUT, "a second \"accuracy\" record");
		if ((rc = table_f64(rec, "acc", S, -1, 0, &t->acc)) ||
		    (rc = table_f64(rec, "acc_true", S, -1, 0, &t->acc_true)) ||
		    (rc = table_f64(rec, "churn", S, S, 0, &t->churn)))
			return rc;
		return DBV_OK;
	}
	return DBV_OK; /* other records: not drawn */
}

/* Read the rest of a table stream whose header r has read. */
static int table_read(struct dbv_reader *r, struct table *t)
{
	const dbv_val *rec;
	int rc;

	if ((rc = table_header(r, t)))
		return rc;
	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK)
		if ((rc = table_record(rec, t)))
			return dbv_preerr(rc, "%s: record %llu", t->file,
					  (unsigned long long)dbv_reader_record_no(r));
	if (rc != DBV_END)
		return rc;
	if ((rc = dbv_reader_expect_end(r, "dbv-render")))
		return rc;
	if (!t->dataset && t->planes < 1)
		return dbv_seterr(DBV_EINPUT, "%s: a table of no planes", t->file);
	return DBV_OK;
}

/* Text scale of charts: --text-scale, else 2. */
static int chart_ts(const struct options *o)
{
	return o->text_scale ? o->text_scale : 2;
}

/* ---- heat map ---- */

static int draw_heatmap(struct dbv_image *im, const struct table *t,
			const struct options *o, char *title, size_t cap)
{
	struct dbv_heatmap h;
	char note[200];
	double *v = NULL, mn = INFINITY, mx = -INFINITY;
	int n, rc;

	memset(&h, 0, sizeof h);
	if (t->have_groups) {
		/* The group matrix. */
		n = t->G;
		if (!(v = dbv_malloc((size_t)n * n * sizeof *v)))
			return DBV_EIO;
		memcpy(v, o->iou ? t->g_iou : t->g_agree, (size_t)n * n * sizeof *v);
		h.labels = t->gname;
		snprintf(note, sizeof note, "%d streams in %d groups; %lld plane%s "
			 "of %lldx%lld points", t->S, n, (long long)t->planes,
			 t->planes == 1 ? "" : "s", (long long)t->res,
			 (long long)t->res);
	} else if (t->have_pairs || (t->dataset && t->have_acc)) {
		/* Stream x stream: the pairs (both halves), or the
		 * agreement 1 - churn of predictions over a data set. */
		n = t->S;
		if (t->dataset && o->iou)
			return dbv_seterr(DBV_EUSAGE, "%s: --value iou: a table of "
					  "predictions over a data set has no IoU "
					  "(it is a figure of planes)", t->file);
		if (!(v = dbv_malloc((size_t)n * n * sizeof *v)))
			return DBV_EIO;
		for (size_t i = 0; i < (size_t)n * n; i++)
			v[i] = NAN;
		if (t->have_pairs) {
			for (int64_t k = 0; k < t->P; k++) {
				const int64_t a = t->pair[2 * k], b = t->pair[2 * k + 1];
				const double x = o->iou ? t->p_iou[k] : t->p_agree[k];
				v[a * n + b] = v[b * n + a] = x;
			}
			snprintf(note, sizeof note, "%d streams; %lld plane%s of "
				 "%lldx%lld points", n, (long long)t->planes,
				 t->planes == 1 ? "" : "s", (long long)t->res,
				 (long long)t->res);
		} else {
			for (int i = 0; i < n; i++)
				for (int j = 0; j < n; j++)
					if (i != j)
						v[i * n + j] = 1 - t->churn[(size_t)i * n + j];
			snprintf(note, sizeof note, "%d streams; the share of the data "
				 "set's items labelled alike", n);
		}
		h.labels = t->label;
		h.blank_diagonal = 1;
	} else {
		return dbv_seterr(DBV_EUSAGE, "%s: the table has no \"groups\" or "
				  "\"pairs\" record to draw as a heat map (dbv-compare "
				  "writes them for two or more streams)%s", t->file,
				  t->have_frag || t->have_acc
					  ? "; --chart line draws its other figures"
					  : "");
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (isfinite(v[i * n + j]) && !(h.blank_diagonal && i == j)) {
				mn = fmin(mn, v[i * n + j]);
				mx = fmax(mx, v[i * n + j]);
			}
	if (o->scale_set) {
		h.lo = o->scale[0];
		h.hi = o->scale[1];
	} else if (mn <= mx) {
		/* The values' range, widened to tenths. */
		h.lo = floor(10 * mn + 1e-9) / 10;
		h.hi = ceil(10 * mx - 1e-9) / 10;
		if (!(h.lo < h.hi)) {
			if (h.hi >= 0.1)
				h.lo = h.hi - 0.1;
			else
				h.hi = h.lo + 0.1;
		}
	} else {
		h.lo = 0;
		h.hi = 1;
	}
	snprintf(title, cap, "%s", o->title ? o->title
			   : o->iou ? "reproducibility (class IoU)"
				    : "reproducibility (agreement)");
	h.n = n;
	h.v = v;
	h.title = title;
	h.note = o->title ? NULL : note;
	h.bar_label = o->iou ? "class IoU" : "agreement";
	h.colour_bar = o->legend;
	h.ts = chart_ts(o);
	if (o->size)
		h.cell = o->size / n > h.ts + 1 ? o->size / n : h.ts + 1;
	rc = dbv_chart_heatmap(im, &h);
	free(v);
	return rc;
}

/* ---- line chart ---- */

/* A --by value: a number, or a string (or a boolean, as a string). */
struct byval {
	int num;
	double d;
	char s[64];
};

static int byval_cmp(const struct byval *a, const struct byval *b)
{
	if (a->num != b->num)
		return a->num ? -1 : 1;
	if (a->num)
		return (a->d > b->d) - (a->d < b->d);
	return strcmp(a->s, b->s);
}

/* The keys of the first model map, for messages ("arch, width, ..."). */
static void model_keys(const struct table *t, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = 0;
	for (int i = 0; i < t->S; i++) {
		if (!t->model[i])
			continue;
		for (size_t k = 0; k < dbv_val_len(t->model[i]) && len + 1 < cap; k++) {
			const char *s;
			size_t n;
			if (dbv_val_str(dbv_map_key(t->model[i], k), &s, &n))
				continue;
			len += (size_t)snprintf(buf + len, cap - len, "%s%.*s",
						len ? ", " : "", (int)n, s);
		}
		break;
	}
	if (len >= cap)
		buf[cap - 1] = 0;
}

/* model[key] of stream i: the value, or a usage error. */
static int model_get(const struct table *t, int i, const char *key,
		     const char *opt, const dbv_val **out)
{
	char keys[400];
	if (!t->model[i])
		return dbv_seterr(DBV_EUSAGE, "%s %s: stream %d (%s) has no model "
				  "meta", opt, key, i, t->sfile[i]);
	*out = dbv_map_get(t->model[i], key);
	if (*out && dbv_val_type(*out) != DBV_V_NIL)
		return DBV_OK;
	model_keys(t, keys, sizeof keys);
	return dbv_seterr(DBV_EUSAGE, "%s %s: the model of stream %d (%s) has "
			  "no such key (its keys: %s)", opt, key, i, t->sfile[i],
			  keys);
}

static int stream_x(const struct table *t, int i, const char *key, double *x)
{
	const dbv_val *v;
	int rc = model_get(t, i, key, "--x", &v);
	if (rc)
		return rc;
	if (dbv_val_double(v, x) || !isfinite(*x))
		return dbv_seterr(DBV_EUSAGE, "--x %s: the value in stream %d (%s) "
				  "is not a number: --x wants a numeric key such as "
				  "width (--by takes any)", key, i, t->sfile[i]);
	return DBV_OK;
}

static int stream_by(const struct table *t, int i, const char *key,
		     struct byval *b)
{
	const dbv_val *v;
	const char *s;
	size_t n;
	int flag;
	int rc = model_get(t, i, key, "--by", &v);
	if (rc)
		return rc;
	memset(b, 0, sizeof *b);
	if (!dbv_val_double(v, &b->d) && isfinite(b->d)) {
		b->num = 1;
		snprintf(b->s, sizeof b->s, "%g", b->d);
	} else if (!dbv_val_str(v, &s, &n)) {
		snprintf(b->s, sizeof b->s, "%.*s", (int)(n < 63 ? n : 63), s);
	} else if (!dbv_val_bool(v, &flag)) {
		snprintf(b->s, sizeof b->s, "%s", flag ? "true" : "false");
	} else {
		return dbv_seterr(DBV_EUSAGE, "--by %s: the value in stream %d (%s) "
				  "is not a number, string or boolean", key, i,
				  t->sfile[i]);
	}
	return DBV_OK;
}

struct point {
	int series;
	double x;
	int *s, ns;         /* its streams */
	double y, err;
	int nvals;          /* values its error bar is over (0: no bar) */
};

static int cmp_double_asc(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* y and err of one point (NaN y: no value). */
static int point_value(const struct table *t, const struct options *o,
		       struct point *p)
{
	const int64_t PL = t->planes;
	double *per;

	p->y = p->err = NAN;
	p->nvals = 0;
	switch (o->y) {
	case Y_FRAG:
	case Y_AGREEMENT:
		if (o->y == Y_AGREEMENT && t->dataset) {
			/* 1 - churn of each pair of the point's streams. */
			int m = 0;
			per = dbv_malloc(((size_t)p->ns * p->ns + 1) * sizeof *per);
			if (!per)
				return DBV_EIO;
			for (int a = 0; a < p->ns; a++)
				for (int b = a + 1; b < p->ns; b++)
					per[m++] = 1 - t->churn[(size_t)p->s[a] * t->S + p->s[b]];
			if (m)
				dbv_mean_std(per, (size_t)m, &p->y, &p->err);
			p->nvals = m > 1 ? m : 0;
			free(per);
			return DBV_OK;
		}
		/* Per plane: the mean over the point's streams (fragmentation)
		 * or over the pairs of its streams (agreement); then the mean
		 * and std over planes. */
		per = dbv_calloc((size_t)PL, sizeof *per);
		if (!per)
			return DBV_EIO;
		int m = 0;
		if (o->y == Y_FRAG) {
			for (int a = 0; a < p->ns; a++, m++)
				for (int64_t q = 0; q < PL; q++)
					per[q] += t->f_per[(size_t)p->s[a] * PL + q];
		} else {
			for (int64_t k = 0; k < t->P; k++) {
				int ina = 0, inb = 0;
				for (int a = 0; a < p->ns; a++) {
					ina |= p->s[a] == t->pair[2 * k];
					inb |= p->s[a] == t->pair[2 * k + 1];
				}
				if (!ina || !inb)
					continue;
				for (int64_t q = 0; q < PL; q++)
					per[q] += t->p_per[(size_t)k * PL + q];
				m++;
			}
		}
		if (m) {
			for (int64_t q = 0; q < PL; q++)
				per[q] /= m;
			dbv_mean_std(per, (size_t)PL, &p->y, &p->err);
			p->nvals = PL > 1 ? (int)PL : 0;
		}
		free(per);
		return DBV_OK;
	default: {
		/* Accuracy figures: mean and std over the point's streams. */
		double *v = dbv_malloc((size_t)p->ns * sizeof *v);
		if (!v)
			return DBV_EIO;
		for (int a = 0; a < p->ns; a++) {
			const int s = p->s[a];
			v[a] = o->y == Y_ACC ? t->acc[s] : o->y == Y_ACC_TRUE
								? t->acc_true[s]
								: 1 - t->acc_true[s];
		}
		dbv_mean_std(v, (size_t)p->ns, &p->y, &p->err);
		p->nvals = p->ns > 1 ? p->ns : 0;
		free(v);
		return DBV_OK;
	}
	}
}

static const char *y_label(int y)
{
	switch (y) {
	case Y_FRAG: return "fragmentation (regions per plane)";
	case Y_ERROR: return "error (vs true labels)";
	case Y_ACC: return "accuracy (vs labels y)";
	case Y_ACC_TRUE: return "accuracy (vs true labels)";
	default: return "agreement";
	}
}

static int draw_lines(struct dbv_image *im, const struct table *t,
		      const struct options *o, char *title, size_t cap)
{
	const int S = t->S;
	double *x = dbv_malloc((size_t)S * sizeof *x);
	struct byval *by = dbv_calloc((size_t)S, sizeof *by);
	struct byval *lines = dbv_calloc((size_t)S, sizeof *lines);
	struct point *pt = dbv_calloc((size_t)S, sizeof *pt);
	int *members = dbv_malloc((size_t)S * sizeof *members);
	struct dbv_series *ser = dbv_calloc((size_t)S, sizeof *ser);
	double *xs = dbv_malloc((size_t)S * 3 * sizeof *xs);
	char (*lab)[160] = dbv_calloc((size_t)S, sizeof *lab);
	char note[200], xlabel[160];
	int nl = 0, np = 0, rc = DBV_OK, valued = 0, maxns = 0, minns = S, bars = 0;

	if (!x || !by || !lines || !pt || !members || !ser || !xs || !lab) {
		rc = DBV_EIO;
		goto out;
	}
	/* What the figure needs. */
	if (o->y == Y_FRAG && !t->have_frag)
		rc = dbv_seterr(DBV_EUSAGE, "%s: --y fragmentation: the table has "
				"no \"fragmentation\" record (dbv-compare "
				"--fragmentation writes it)", t->file);
	else if ((o->y == Y_ERROR || o->y == Y_ACC || o->y == Y_ACC_TRUE) &&
		 !t->have_acc)
		rc = dbv_seterr(DBV_EUSAGE, "%s: --y %s: the table has no "
				"\"accuracy\" record (dbv-compare writes it for "
				"predictions over a data set, not over planes)",
				t->file, y_names[o->y]);
	else if (o->y == Y_AGREEMENT && !(t->dataset ? t->have_acc : t->have_pairs))
		rc = dbv_seterr(DBV_EUSAGE, "%s: --y agreement: the table has no "
				"\"%s\" record", t->file,
				t->dataset ? "accuracy" : "pairs");
	if (rc)
		goto out;
	for (int i = 0; i < S && !rc; i++) {
		rc = stream_x(t, i, o->x, &x[i]);
		if (!rc && o->by)
			rc = stream_by(t, i, o->by, &by[i]);
		if (!rc && o->logx && !(x[i] > 0))
			rc = dbv_seterr(DBV_EUSAGE, "--logx: %s %g of stream %d (%s) "
					"is not positive", o->x, x[i], i, t->sfile[i]);
	}
	if (rc)
		goto out;
	/* The lines: the distinct --by values, ascending (numbers before
	 * strings); without --by, one. */
	for (int i = 0; i < S; i++) {
		int k = 0;
		while (k < nl && byval_cmp(&lines[k], &by[i]))
			k++;
		if (k == nl)
			lines[nl++] = by[i];
	}
	for (int a = 1; a < nl; a++)
		for (int b = a; b > 0 && byval_cmp(&lines[b - 1], &lines[b]) > 0; b--) {
			struct byval tmp = lines[b];
			lines[b] = lines[b - 1];
			lines[b - 1] = tmp;
		}
	/* The points: a line's distinct x, ascending, each with its streams. */
	for (int l = 0; l < nl; l++) {
		int nx = 0;
		for (int i = 0; i < S; i++)
			if (!byval_cmp(&by[i], &lines[l]))
				xs[nx++] = x[i];
		qsort(xs, (size_t)nx, sizeof *xs, cmp_double_asc);
		for (int a = 0; a < nx; a++) {
			if (a && xs[a] == xs[a - 1])
				continue;
			struct point *p = &pt[np++];
			p->series = l;
			p->x = xs[a];
		}
	}
	/* Members: streams in point order (each stream in one point). */
	{
		int m = 0;
		for (int k = 0; k < np; k++) {
			pt[k].s = members + m;
			for (int i = 0; i < S; i++)
				if (x[i] == pt[k].x && !byval_cmp(&by[i], &lines[pt[k].series]))
					members[m++] = i;
			pt[k].ns = (int)(members + m - pt[k].s);
		}
	}
	for (int k = 0; k < np && !rc; k++) {
		rc = point_value(t, o, &pt[k]);
		if (!rc && isfinite(pt[k].y)) {
			valued++;
			maxns = pt[k].ns > maxns ? pt[k].ns : maxns;
			minns = pt[k].ns < minns ? pt[k].ns : minns;
			bars |= pt[k].nvals > 1;
		}
	}
	if (rc)
		goto out;
	if (!valued) {
		rc = dbv_seterr(DBV_EUSAGE, "%s: --y agreement: no two streams share "
				"%s%s%s, so no pair to compare (agreement is "
				"between streams of one setting, such as seeds)",
				t->file, o->x, o->by ? " and " : "", o->by ? o->by : "");
		goto out;
	}
	/* Series: arrays x, y, err of each line's points, in xs. */
	{
		double *px = xs, *py = xs + S, *pe = xs + 2 * S;
		for (int k = 0; k < np; k++) {
			px[k] = pt[k].x;
			py[k] = pt[k].y;
			pe[k] = pt[k].nvals > 1 ? pt[k].err : 0;
		}
		for (int l = 0, k = 0; l < nl; l++) {
			ser[l].x = px + k;
			ser[l].y = py + k;
			ser[l].err = pe + k;
			while (k < np && pt[k].series == l) {
				ser[l].n++;
				k++;
			}
			if (o->by) {
				snprintf(lab[l], sizeof lab[l], "%s = %s", o->by,
					 lines[l].s);
				ser[l].label = lab[l];
			}
		}
	}
	/* The note: what a point and a bar are. */
	{
		char of[64];
		if (minns == maxns)
			snprintf(of, sizeof of, "%d", maxns);
		else
			snprintf(of, sizeof of, "%d to %d", minns, maxns);
		if (o->y == Y_AGREEMENT)
			snprintf(note, sizeof note, "mean over the pairs of a point's %s "
				 "streams%s%s", of, t->dataset ? "" : " and over planes",
				 !bars ? "" : t->dataset ? "; bars: 1 std over pairs"
						       : "; bars: 1 std over planes");
		else
			snprintf(note, sizeof note, "mean of %s stream%s a point%s%s", of,
				 maxns == 1 ? "" : "s",
				 o->y == Y_FRAG ? ", over planes" : "",
				 !bars ? "" : o->y == Y_FRAG ? "; bars: 1 std over planes"
							   : "; bars: 1 std over streams");
	}
	snprintf(xlabel, sizeof xlabel, "%s%s", o->x, o->logx ? " (log scale)" : "");
	if (o->title)
		snprintf(title, cap, "%s", o->title);
	else
		snprintf(title, cap, "%s vs %s%s%s",
			 o->y == Y_FRAG ? "fragmentation"
			 : o->y == Y_AGREEMENT ? "reproducibility"
			 : o->y == Y_ERROR ? "error" : "accuracy",
			 o->x, o->by ? ", by " : "", o->by ? o->by : "");
	{
		struct dbv_linechart c;
		memset(&c, 0, sizeof c);
		c.nseries = nl;
		c.s = ser;
		c.title = title;
		c.note = o->title ? NULL : note;
		c.xlabel = xlabel;
		c.ylabel = y_label(o->y);
		c.logx = o->logx;
		c.w = o->size ? o->size : 600;
		c.h = (int)lround(c.w * 2.0 / 3);
		c.legend = o->legend;
		c.ts = chart_ts(o);
		rc = dbv_chart_lines(im, &c);
	}
out:
	free(x); free(by); free(lines); free(pt); free(members); free(ser);
	free(xs); free(lab);
	return rc;
}

/* A table stream whose header r has read: its chart to -o or stdout. */
static int run_chart(struct dbv_reader *r, const char *file,
		     const struct options *o)
{
	struct table t;
	struct dbv_image im;
	char title[512];
	int rc;

	memset(&t, 0, sizeof t);
	t.file = file && strcmp(file, "-") ? file : "standard input";
	if (o->plane_set || o->shade_set || o->thumbs || o->bare || out_is_dir(o->out)) {
		table_release(&t);
		return dbv_seterr(DBV_EUSAGE, "%s is a table stream: --plane, "
				  "--shade, --thumbs, --bare and -o DIR/ are for "
				  "pred streams of planes", t.file);
	}
	if (!(rc = table_read(r, &t))) {
		rc = o->chart == CHART_LINE ? draw_lines(&im, &t, o, title, sizeof title)
					    : draw_heatmap(&im, &t, o, title, sizeof title);
		if (!rc) {
			rc = write_one(&im, o->out, title);
			dbv_image_release(&im);
		}
	}
	table_release(&t);
	return rc;
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
static int run_single(const struct options *o)
{
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
	if (!(r = dbv_reader_new(fd, file ? file : "-"))) {
		if (fd > 0)
			close(fd);
		return DBV_EIO;
	}
	if ((rc = read_kind(r, file)))
		goto out;
	if (!strcmp(dbv_reader_kind(r), "table")) {
		rc = run_chart(r, file, o);
		goto out;
	}
	if (o->chart || o->value_set || o->scale_set) {
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
	rc = o.montage ? run_montage(&o) : run_single(&o);
	if (rc)
		dbv_tool_die(rc);
	free(o.row_labels);
	free(o.col_labels);
	return 0;
}
