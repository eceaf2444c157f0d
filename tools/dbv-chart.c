/*
 * dbv-chart - draw a chart of a table stream (dbv-compare) as a PNG: a
 * heat map of the reproducibility of groups of models (or of every pair
 * of streams), or a line chart of a figure of each model setting against
 * a number of the models (the paper's double descent).
 *
 *   dbv-chart [TABLE] [--chart heatmap] [--value agreement|iou]
 *   dbv-chart [TABLE] --chart line --x KEY --y FIGURE [--by KEY] [--logx]
 *
 * dbv-render runs this program for a table stream (with its arguments,
 * under its name), so "dbv-render TABLE --chart ..." works as documented.
 *
 * Outline: parse options; read the table whole into struct table; turn
 * the chart it asks for into the plain arrays of lib/draw/chart.c
 * (struct dbv_heatmap, struct dbv_linechart), which does all the drawing;
 * write the PNG through dbv_output_open (temporary file, renamed when all
 * went well).  CHARTS in man/dbv-render.1 gives the formulas.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

static const char usage[] =
	"usage: dbv-chart [TABLE] [--chart heatmap] [--value agreement|iou] [-o OUT.png]\n"
	"       dbv-chart [TABLE] --chart line --x KEY --y FIGURE [--by KEY] [--logx]\n"
	"Draw a chart of a table stream (dbv-compare) as PNG.  TABLE defaults\n"
	"to standard input; the PNG goes to standard output unless -o names a\n"
	"file.  dbv-render draws a table stream with this program.\n"
	"\n"
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
	"      --size PX           16..8192: a line chart's plot width (600), a\n"
	"                          heat map's matrix side\n"
	"      --title TEXT        title (default: the chart's; '' for none)\n"
	"      --no-legend         leave the legend (a heat map's colour bar) out\n"
	"      --text-scale N      text size factor 1..8 (default 2)\n"
	"  -o, --output PATH       OUT.png\n"
	"  -h, --help              this text\n"
	"      --version           versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 ok, 2 usage (also: a chart the table has no data for), 3 bad\n"
	"or mismatched input, 4 I/O error, 5 non-finite numbers.\n";

enum { CHART_HEATMAP, CHART_LINE };
static int as_render; /* run by dbv-render (argv[0]) */
enum { Y_NONE, Y_FRAG, Y_ERROR, Y_ACC, Y_ACC_TRUE, Y_AGREEMENT };
static const char *const y_names[] = {
	"", "fragmentation", "error", "acc", "acc_true", "agreement",
};

struct options {
	const char *out, *title, *file;
	int size, legend, text_scale;
	int chart, chart_set, y, logx, iou, scale_set, value_set;
	const char *x, *by;
	double scale[2];
};

enum {
	OPT_SIZE = 256, OPT_TITLE, OPT_NO_LEGEND, OPT_TEXT_SCALE, OPT_VERSION,
	OPT_CHART, OPT_VALUE, OPT_SCALE, OPT_X, OPT_Y, OPT_BY, OPT_LOGX,
};

/* --scale LO,HI */
static void parse_scale(const char *s, double *v)
{
	char *lo = dbv_strdup(s), *hi = lo ? strchr(lo, ',') : NULL;
	if (hi)
		*hi++ = 0;
	if (!hi || strchr(hi, ',') || dbv_parse_double(lo, -1e300, 1e300, &v[0]) ||
	    dbv_parse_double(hi, -1e300, 1e300, &v[1]) || !(v[0] < v[1]))
		dbv_tool_usage("--scale: '%s' is not LO,HI with LO < HI", s);
	free(lo);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"size", required_argument, NULL, OPT_SIZE},
		{"title", required_argument, NULL, OPT_TITLE},
		{"no-legend", no_argument, NULL, OPT_NO_LEGEND},
		{"text-scale", required_argument, NULL, OPT_TEXT_SCALE},
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
	o->legend = 1;
	while ((c = dbv_tool_getopt(argc, argv, ":o:h", longopts)) != -1) {
		switch (c) {
		case OPT_SIZE:
			dbv_tool_check(dbv_parse_i64(optarg, 16, 8192, &v), "--size");
			o->size = (int)v;
			break;
		case OPT_TITLE: o->title = optarg; break;
		case OPT_NO_LEGEND: o->legend = 0; break;
		case OPT_TEXT_SCALE:
			dbv_tool_check(dbv_parse_i64(optarg, 1, 8, &v), "--text-scale");
			o->text_scale = (int)v;
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
			if (strcmp(optarg, "agreement") && strcmp(optarg, "iou"))
				dbv_tool_usage("--value: '%s' is not agreement or iou", optarg);
			o->iou = !strcmp(optarg, "iou");
			o->value_set = 1;
			break;
		case OPT_SCALE:
			parse_scale(optarg, o->scale);
			o->scale_set = 1;
			break;
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
		case 'h': dbv_tool_help(usage);
		case OPT_VERSION: dbv_tool_version(); dbv_tool_exit_ok();
		}
	}
	if (argc - optind > 1)
		dbv_tool_usage("too many arguments: '%s' (one TABLE)", argv[optind + 1]);
	o->file = optind < argc ? argv[optind] : NULL;
	/* --x/--y/--by/--logx ask for a line chart, --value and --scale for
	 * a heat map. */
	const int line_opts = o->x || o->y || o->by || o->logx;
	const int heat_opts = o->value_set || o->scale_set;
	if (!o->chart_set && line_opts)
		o->chart = CHART_LINE;
	if (o->chart == CHART_HEATMAP && line_opts)
		dbv_tool_usage("--x, --y, --by and --logx are for --chart line");
	if (o->chart == CHART_LINE && heat_opts)
		dbv_tool_usage("--value and --scale are for --chart heatmap");
	if (o->chart == CHART_LINE && (!o->x || !o->y))
		dbv_tool_usage("--chart line needs --x KEY (a number of the "
			    "models, such as width) and --y FIGURE");
}

/* ---- reading ------------------------------------------------------ */

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
	if ((rc = dbv_reader_expect_end(r, dbv_tool_name())))
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
	double *v = NULL;
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
	h.n = n;
	h.v = v;
	if (o->scale_set) {
		h.lo = o->scale[0];
		h.hi = o->scale[1];
	} else {
		dbv_heatmap_autoscale(&h);
	}
	snprintf(title, cap, "%s", o->title ? o->title
			   : o->iou ? "reproducibility (class IoU)"
				    : "reproducibility (agreement)");
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

/* A --by value: a number, or a string (a boolean as a string). */
static int stream_by(const struct table *t, int i, const char *key,
		     struct dbv_chart_key *b)
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

/* y and err of the point of the ns streams s (NaN y: no value); *nvals:
 * the values its error bar is over (0: no bar). */
static int point_value(const struct table *t, const struct options *o,
		       const int *s, int ns, double *y, double *err, int *nvals)
{
	const int64_t PL = t->planes;
	double *per;

	*y = *err = NAN;
	*nvals = 0;
	switch (o->y) {
	case Y_FRAG:
	case Y_AGREEMENT:
		if (o->y == Y_AGREEMENT && t->dataset) {
			/* 1 - churn of each pair of the point's streams. */
			int m = 0;
			per = dbv_malloc(((size_t)ns * ns + 1) * sizeof *per);
			if (!per)
				return DBV_EIO;
			for (int a = 0; a < ns; a++)
				for (int b = a + 1; b < ns; b++)
					per[m++] = 1 - t->churn[(size_t)s[a] * t->S + s[b]];
			if (m)
				dbv_mean_std(per, (size_t)m, y, err);
			*nvals = m > 1 ? m : 0;
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
			for (int a = 0; a < ns; a++, m++)
				for (int64_t q = 0; q < PL; q++)
					per[q] += t->f_per[(size_t)s[a] * PL + q];
		} else {
			for (int64_t k = 0; k < t->P; k++) {
				int ina = 0, inb = 0;
				for (int a = 0; a < ns; a++) {
					ina |= s[a] == t->pair[2 * k];
					inb |= s[a] == t->pair[2 * k + 1];
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
			dbv_mean_std(per, (size_t)PL, y, err);
			*nvals = PL > 1 ? (int)PL : 0;
		}
		free(per);
		return DBV_OK;
	default: {
		/* Accuracy figures: mean and std over the point's streams. */
		double *v = dbv_malloc((size_t)ns * sizeof *v);
		if (!v)
			return DBV_EIO;
		for (int a = 0; a < ns; a++) {
			const int k = s[a];
			v[a] = o->y == Y_ACC ? t->acc[k] : o->y == Y_ACC_TRUE
								? t->acc_true[k]
								: 1 - t->acc_true[k];
		}
		dbv_mean_std(v, (size_t)ns, y, err);
		*nvals = ns > 1 ? ns : 0;
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
	struct dbv_chart_key *by = dbv_calloc((size_t)S, sizeof *by);
	double *py = dbv_malloc((size_t)S * 2 * sizeof *py), *pe;
	struct dbv_series *ser = dbv_calloc((size_t)S, sizeof *ser);
	char (*lab)[160] = dbv_calloc((size_t)S, sizeof *lab);
	struct dbv_chart_points pts = {0};
	char note[200], xlabel[160];
	int rc = DBV_OK, valued = 0, maxns = 0, minns = S, bars = 0;

	if (!x || !by || !py || !ser || !lab) {
		rc = DBV_EIO;
		goto out;
	}
	pe = py + S;
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
	for (int i = 0; i < S && !rc; i++) {
		rc = stream_x(t, i, o->x, &x[i]);
		if (!rc && o->by)
			rc = stream_by(t, i, o->by, &by[i]);
		if (!rc && o->logx && !(x[i] > 0))
			rc = dbv_seterr(DBV_EUSAGE, "--logx: %s %g of stream %d (%s) "
					"is not positive", o->x, x[i], i, t->sfile[i]);
	}
	/* A line per --by value, a point per x of it. */
	if (rc || (rc = dbv_chart_points(S, x, by, &pts)))
		goto out;
	for (int k = 0; k < pts.npoints && !rc; k++) {
		const int ns = pts.start[k + 1] - pts.start[k];
		int nvals;
		rc = point_value(t, o, pts.items + pts.start[k], ns, &py[k], &pe[k],
				 &nvals);
		if (!rc && isfinite(py[k])) {
			valued++;
			maxns = ns > maxns ? ns : maxns;
			minns = ns < minns ? ns : minns;
			bars |= nvals > 1;
		}
		pe[k] = nvals > 1 ? pe[k] : 0;
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
	for (int l = 0; l < pts.nlines; l++) {
		const int k = pts.first[l];
		ser[l].x = pts.x + k;
		ser[l].y = py + k;
		ser[l].err = pe + k;
		ser[l].n = pts.first[l + 1] - k;
		if (o->by) {
			snprintf(lab[l], sizeof lab[l], "%s = %s", o->by,
				 by[pts.line_item[l]].s);
			ser[l].label = lab[l];
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
		c.nseries = pts.nlines;
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
	dbv_chart_points_release(&pts);
	free(x);
	free(by);
	free(py);
	free(ser);
	free(lab);
	return rc;
}

/* ---- output ------------------------------------------------------- */

/* The chart to -o FILE or standard output. */
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

/* A table stream; the messages of dbv-render where it runs this. */
static int read_kind(struct dbv_reader *r, const char *name)
{
	const dbv_val *hdr;
	const char *tool = "?";
	size_t tn = 1;
	int rc = dbv_reader_header(r, NULL, &hdr);
	if (rc || !strcmp(dbv_reader_kind(r), "table"))
		return rc;
	if (as_render && !strcmp(dbv_reader_kind(r), "pred"))
		return dbv_seterr(DBV_EUSAGE, "%s is a pred stream: --chart, --x, "
				  "--y, --by, --logx, --value and --scale draw table "
				  "streams (dbv-compare)", name);
	dbv_val_str(dbv_map_get(hdr, "tool"), &tool, &tn);
	return dbv_seterr(DBV_EINPUT, "%s: expected %sa table stream (dbv-compare), "
			  "got a %s stream (from %.*s)", name,
			  as_render ? "a pred stream (dbv-predict) or " : "",
			  dbv_reader_kind(r), (int)(tn > 64 ? 64 : tn), tool);
}

static int run(const struct options *o)
{
	struct table t;
	struct dbv_reader *r;
	struct dbv_image im;
	char title[512];
	int fd, rc;

	memset(&t, 0, sizeof t);
	t.file = o->file && strcmp(o->file, "-") ? o->file : "standard input";
	if ((rc = dbv_input_open(o->file, &fd)))
		return rc;
	if (!(r = dbv_reader_new(fd, o->file ? o->file : "-"))) {
		if (fd > 0)
			close(fd);
		return DBV_EIO;
	}
	if (!(rc = read_kind(r, t.file)) && !(rc = table_read(r, &t))) {
		rc = o->chart == CHART_LINE ? draw_lines(&im, &t, o, title, sizeof title)
					    : draw_heatmap(&im, &t, o, title, sizeof title);
		if (!rc) {
			rc = write_one(&im, o->out, title);
			dbv_image_release(&im);
		}
	}
	table_release(&t);
	dbv_reader_free(r);
	if (fd > 0)
		close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	struct stat st;
	int rc;

	/* Run by dbv-render for charts: its name in messages. */
	const char *base = strrchr(argv[0], '/');
	as_render = !strcmp(base ? base + 1 : argv[0], "dbv-render");
	dbv_tool_init(as_render ? "dbv-render" : "dbv-chart", argv);
	parse_options(argc, argv, &o);
	if (o.out && strcmp(o.out, "-") &&
	    (o.out[strlen(o.out) - 1] == '/' || (!stat(o.out, &st) && S_ISDIR(st.st_mode))))
		dbv_tool_usage("-o: '%s' is a directory: a chart is one file", o.out);
	if ((!o.out || !strcmp(o.out, "-")) && isatty(1))
		dbv_tool_usage("refusing to write PNG to a terminal: use -o "
			    "FILE.png or redirect standard output");
	if ((rc = run(&o)))
		dbv_tool_die(rc);
	return 0;
}
