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
enum { Y_FRAG = 1, Y_ERROR, Y_ACC, Y_ACC_TRUE, Y_AGREEMENT };
static const char *const y_names[] = {
	"", "fragmentation", "error", "acc", "acc_true", "agreement",
};
static const char *const y_labels[] = {
	"", "fragmentation (regions per plane)", "error (vs true labels)",
	"accuracy (vs labels y)", "accuracy (vs true labels)", "agreement",
};
static int as_render; /* run by dbv-render (its name in argv[0]) */

struct options {
	const char *out, *title, *file, *name; /* name: FILE in messages */
	int size, legend, text_scale;
	int chart, chart_set, y, logx, iou, scale_set, value_set;
	const char *x, *by;
	double scale[2];
};

/* The value of the option being parsed: the index of one of the n names
 * (from `from`), or a usage error that lists them (`list`). */
static int pick(const char *opt, const char *const *names, int from, int n,
		const char *list)
{
	for (int k = from; k < n; k++)
		if (!strcmp(optarg, names[k]))
			return k;
	dbv_tool_usage("%s: '%s' is not %s", opt, optarg, list);
}

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
	enum {
		O_SIZE = 256, O_TITLE, O_NO_LEGEND, O_TS, O_VERSION, O_CHART,
		O_VALUE, O_SCALE, O_X, O_Y, O_BY, O_LOGX,
	};
	static const struct option lo[] = {
		{"size", 1, NULL, O_SIZE}, {"title", 1, NULL, O_TITLE},
		{"no-legend", 0, NULL, O_NO_LEGEND}, {"text-scale", 1, NULL, O_TS},
		{"chart", 1, NULL, O_CHART}, {"value", 1, NULL, O_VALUE},
		{"scale", 1, NULL, O_SCALE}, {"x", 1, NULL, O_X},
		{"y", 1, NULL, O_Y}, {"by", 1, NULL, O_BY},
		{"logx", 0, NULL, O_LOGX}, {"output", 1, NULL, 'o'},
		{"help", 0, NULL, 'h'}, {"version", 0, NULL, O_VERSION},
		{NULL, 0, NULL, 0},
	};
	static const char *const charts[] = {"heatmap", "line"};
	static const char *const values[] = {"agreement", "iou"};
	int64_t v;
	int c;

	memset(o, 0, sizeof *o);
	o->legend = 1;
	while ((c = dbv_tool_getopt(argc, argv, ":o:h", lo)) != -1) {
		switch (c) {
		case O_SIZE:
			dbv_tool_check(dbv_parse_i64(optarg, 16, 8192, &v), "--size");
			o->size = (int)v;
			break;
		case O_TS:
			dbv_tool_check(dbv_parse_i64(optarg, 1, 8, &v), "--text-scale");
			o->text_scale = (int)v;
			break;
		case O_CHART:
			o->chart = pick("--chart", charts, 0, 2, "heatmap or line");
			o->chart_set = 1;
			break;
		case O_VALUE:
			o->iou = pick("--value", values, 0, 2, "agreement or iou");
			o->value_set = 1;
			break;
		case O_SCALE:
			parse_scale(optarg, o->scale);
			o->scale_set = 1;
			break;
		case O_Y:
			o->y = pick("--y", y_names, 1, 6, "fragmentation, error, acc, "
				    "acc_true or agreement");
			break;
		case O_TITLE: o->title = optarg; break;
		case O_NO_LEGEND: o->legend = 0; break;
		case O_X: o->x = optarg; break;
		case O_BY: o->by = optarg; break;
		case O_LOGX: o->logx = 1; break;
		case 'o': o->out = optarg; break;
		case 'h': dbv_tool_help(usage);
		case O_VERSION: dbv_tool_version(); dbv_tool_exit_ok();
		}
	}
	if (argc - optind > 1)
		dbv_tool_usage("too many arguments: '%s' (one TABLE)", argv[optind + 1]);
	o->file = optind < argc ? argv[optind] : NULL;
	o->name = o->file && strcmp(o->file, "-") ? o->file : "standard input";
	/* --x/--y/--by/--logx ask for a line chart, --value and --scale for
	 * a heat map. */
	const int line_opts = o->x || o->y || o->by || o->logx;
	if (!o->chart_set && line_opts)
		o->chart = CHART_LINE;
	if (o->chart == CHART_HEATMAP && line_opts)
		dbv_tool_usage("--x, --y, --by and --logx are for --chart line");
	if (o->chart == CHART_LINE && (o->value_set || o->scale_set))
		dbv_tool_usage("--value and --scale are for --chart heatmap");
	if (o->chart == CHART_LINE && (!o->x || !o->y))
		dbv_tool_usage("--chart line needs --x KEY (a number of the "
			       "models, such as width) and --y FIGURE");
}

/* ---- heat map ----------------------------------------------------- */

/* The label of each stream: its desc, or (where one would be missing or
 * ambiguous) the file names. */
static void stream_labels(const struct dbv_table *t, char **label)
{
	int files = 0;
	for (int i = 0; i < t->S; i++) {
		const struct dbv_table_stream *s = &t->streams[i];
		label[i] = s->model.present && s->desc ? s->desc : NULL;
		for (int j = 0; j < i && label[i]; j++)
			files |= label[j] && !strcmp(label[i], label[j]);
		files |= !label[i];
	}
	for (int i = 0; i < t->S && files; i++)
		label[i] = t->streams[i].file;
}

static int draw_heatmap(struct dbv_image *im, const struct dbv_table *t,
			const struct options *o, char *title, size_t cap)
{
	const int S = t->S, G = t->G;
	struct dbv_heatmap h = {0};
	char note[200];
	double *v = NULL;
	char **label = NULL;
	int n = t->have_groups ? G : S, rc;

	if (!t->have_groups && !t->have_pairs && !(!t->planes_input && t->have_acc))
		return dbv_seterr(DBV_EUSAGE, "%s: the table has no \"groups\" or "
				  "\"pairs\" record to draw as a heat map (dbv-compare "
				  "writes them for two or more streams)%s", o->name,
				  t->have_frag || t->have_acc
					  ? "; --chart line draws its other figures"
					  : "");
	if (!t->have_groups && !t->planes_input && o->iou)
		return dbv_seterr(DBV_EUSAGE, "%s: --value iou: a table of "
				  "predictions over a data set has no IoU (it is a "
				  "figure of planes)", o->name);
	if (!(v = dbv_malloc((size_t)n * n * sizeof *v)) ||
	    !(label = dbv_calloc((size_t)S, sizeof *label))) {
		free(v);
		return DBV_EIO;
	}
	if (t->have_groups) {
		/* The group matrix. */
		memcpy(v, o->iou ? t->grp.iou : t->grp.agreement, (size_t)n * n * sizeof *v);
		h.labels = t->groups;
		snprintf(note, sizeof note, "%d streams in %d groups; %lld plane%s "
			 "of %lldx%lld points", S, n, (long long)t->planes,
			 t->planes == 1 ? "" : "s", (long long)t->res,
			 (long long)t->res);
	} else {
		/* Stream x stream: the pairs (both halves), or the agreement
		 * 1 - churn of predictions over a data set. */
		for (size_t i = 0; i < (size_t)n * n; i++)
			v[i] = t->have_pairs || i / n == i % n ? NAN : 1 - t->acc.churn[i];
		for (int64_t k = 0; t->have_pairs && k < t->pairs.n; k++) {
			const int64_t a = t->pairs.pair[2 * k], b = t->pairs.pair[2 * k + 1];
			v[a * n + b] = v[b * n + a] = o->iou ? t->pairs.iou[k]
							     : t->pairs.agreement[k];
		}
		if (t->have_pairs)
			snprintf(note, sizeof note, "%d streams; %lld plane%s of "
				 "%lldx%lld points", n, (long long)t->planes,
				 t->planes == 1 ? "" : "s", (long long)t->res,
				 (long long)t->res);
		else
			snprintf(note, sizeof note, "%d streams; the share of the data "
				 "set's items labelled alike", n);
		stream_labels(t, label);
		h.labels = label;
		h.blank_diagonal = 1;
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
	h.ts = o->text_scale ? o->text_scale : 2;
	if (o->size)
		h.cell = o->size / n > h.ts + 1 ? o->size / n : h.ts + 1;
	rc = dbv_chart_heatmap(im, &h);
	free(v);
	free(label);
	return rc;
}

/* ---- line chart ---------------------------------------------------- */

/* model[key] of stream i: its entry, or a usage error naming the keys of
 * the first model map ("arch, width, ..."). */
static int model_get(const struct dbv_table *t, int i, const char *key,
		     const char *opt, const struct dbv_pred_kv **e)
{
	char keys[400] = "";
	size_t len = 0;

	if (!t->streams[i].model.present)
		return dbv_seterr(DBV_EUSAGE, "%s %s: stream %d (%s) has no model "
				  "meta", opt, key, i, t->streams[i].file);
	*e = dbv_pred_model_get(&t->streams[i].model, key);
	if (*e && (*e)->type != DBV_KV_NIL)
		return DBV_OK;
	for (int j = 0; j < t->S; j++) {
		const struct dbv_pred_model *m = &t->streams[j].model;
		for (size_t k = 0; m->present && k < m->n && len + 1 < sizeof keys; k++)
			len += (size_t)snprintf(keys + len, sizeof keys - len, "%s%s",
						len ? ", " : "", m->kv[k].key);
		if (m->present)
			break;
	}
	return dbv_seterr(DBV_EUSAGE, "%s %s: the model of stream %d (%s) has "
			  "no such key (its keys: %s)", opt, key, i,
			  t->streams[i].file, keys);
}

/* The x of stream i, and its --by value: a number, or a string (a
 * boolean as a string). */
static int stream_xby(const struct dbv_table *t, int i, const struct options *o,
		      double *x, struct dbv_chart_key *b)
{
	const struct dbv_pred_kv *e;
	int rc = model_get(t, i, o->x, "--x", &e);
	if (rc)
		return rc;
	if (dbv_pred_kv_number(e, x) || !isfinite(*x))
		return dbv_seterr(DBV_EUSAGE, "--x %s: the value in stream %d (%s) "
				  "is not a number: --x wants a numeric key such as "
				  "width (--by takes any)", o->x, i, t->streams[i].file);
	if (o->logx && !(*x > 0))
		return dbv_seterr(DBV_EUSAGE, "--logx: %s %g of stream %d (%s) is "
				  "not positive", o->x, *x, i, t->streams[i].file);
	if (!o->by || (rc = model_get(t, i, o->by, "--by", &e)))
		return rc;
	if (!dbv_pred_kv_number(e, &b->d) && isfinite(b->d)) {
		b->num = 1;
		snprintf(b->s, sizeof b->s, "%g", b->d);
	} else if (e->type == DBV_KV_STR) {
		snprintf(b->s, sizeof b->s, "%.63s", e->s);
	} else if (e->type == DBV_KV_BOOL) {
		snprintf(b->s, sizeof b->s, "%s", e->i ? "true" : "false");
	} else {
		return dbv_seterr(DBV_EUSAGE, "--by %s: the value in stream %d (%s) "
				  "is not a number, string or boolean", o->by, i,
				  t->streams[i].file);
	}
	return DBV_OK;
}

/* y and err of the point of the ns streams s (NaN y: no value); *nvals:
 * the values its error bar is over (0: no bar). */
static int point_value(const struct dbv_table *t, const struct options *o,
		       const int *s, int ns, double *y, double *err, int *nvals)
{
	const size_t S = (size_t)t->S, P = (size_t)t->planes;
	double *v = dbv_calloc((size_t)ns * ns + P + 1, sizeof *v);
	unsigned char *in = dbv_calloc(S + (size_t)t->pairs.n + 1, 1);
	int m = 0;

	*y = *err = NAN;
	*nvals = 0;
	if (!v || !in) {
		free(v);
		free(in);
		return DBV_EIO;
	}
	if (o->y == Y_FRAG || (o->y == Y_AGREEMENT && t->planes_input)) {
		/* Per plane the mean over the point's streams (fragmentation)
		 * or the pairs of them (agreement); then over planes. */
		unsigned char *sel = in + S;
		for (int a = 0; a < ns; a++)
			in[s[a]] = 1;
		if (o->y == Y_AGREEMENT)
			dbv_pairs_within(t->pairs.pair, (size_t)t->pairs.n, in, sel);
		if (o->y == Y_FRAG ? dbv_point_over_planes(t->frag.per_plane, S, P, in,
							  v, y, err)
				   : dbv_point_over_planes(t->pairs.per_plane,
							  (size_t)t->pairs.n, P, sel,
							  v, y, err))
			*nvals = P > 1 ? (int)P : 0;
	} else {
		/* Over a data set: 1 - churn of each pair of the point's
		 * streams, or an accuracy figure of each stream. */
		for (int a = 0; a < ns; a++) {
			for (int b = a + 1; o->y == Y_AGREEMENT && b < ns; b++)
				v[m++] = 1 - t->acc.churn[(size_t)s[a] * S + s[b]];
			if (o->y != Y_AGREEMENT)
				v[m++] = o->y == Y_ACC ? t->acc.acc[s[a]]
					 : o->y == Y_ACC_TRUE ? t->acc.acc_true[s[a]]
							      : 1 - t->acc.acc_true[s[a]];
		}
		if (m)
			dbv_mean_std(v, (size_t)m, y, err);
		*nvals = m > 1 ? m : 0;
	}
	free(v);
	free(in);
	return DBV_OK;
}

/* The record the figure needs: a usage error when the table lacks it. */
static int needs(const struct dbv_table *t, const struct options *o)
{
	if (o->y == Y_FRAG && !t->have_frag)
		return dbv_seterr(DBV_EUSAGE, "%s: --y fragmentation: the table has "
				  "no \"fragmentation\" record (dbv-compare "
				  "--fragmentation writes it)", o->name);
	if ((o->y == Y_ERROR || o->y == Y_ACC || o->y == Y_ACC_TRUE) && !t->have_acc)
		return dbv_seterr(DBV_EUSAGE, "%s: --y %s: the table has no "
				  "\"accuracy\" record (dbv-compare writes it for "
				  "predictions over a data set, not over planes)",
				  o->name, y_names[o->y]);
	if (o->y == Y_AGREEMENT && !(t->planes_input ? t->have_pairs : t->have_acc))
		return dbv_seterr(DBV_EUSAGE, "%s: --y agreement: the table has no "
				  "\"%s\" record", o->name,
				  t->planes_input ? "pairs" : "accuracy");
	return DBV_OK;
}

static int draw_lines(struct dbv_image *im, const struct dbv_table *t,
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
	int rc = needs(t, o), valued = 0, maxns = 0, minns = S, bars = 0;

	if (!rc && (!x || !by || !py || !ser || !lab))
		rc = DBV_EIO;
	if (rc)
		goto out;
	pe = py + S;
	for (int i = 0; i < S && !rc; i++)
		rc = stream_xby(t, i, o, &x[i], &by[i]);
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
				o->name, o->x, o->by ? " and " : "", o->by ? o->by : "");
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
				 "streams%s%s", of, t->planes_input ? " and over planes" : "",
				 !bars ? "" : t->planes_input ? "; bars: 1 std over planes"
							    : "; bars: 1 std over pairs");
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
	const int w = o->size ? o->size : 600;
	const struct dbv_linechart c = {
		.nseries = pts.nlines, .s = ser, .title = title,
		.note = o->title ? NULL : note, .xlabel = xlabel,
		.ylabel = y_labels[o->y], .logx = o->logx, .w = w,
		.h = (int)lround(w * 2.0 / 3), .legend = o->legend,
		.ts = o->text_scale ? o->text_scale : 2,
	};
	rc = dbv_chart_lines(im, &c);
out:
	dbv_chart_points_release(&pts);
	free(x);
	free(by);
	free(py);
	free(ser);
	free(lab);
	return rc;
}

/* ---- the chart --------------------------------------------------- */

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

/* Read the table whole, draw its chart, write it to -o or standard
 * output (main refused a terminal there before reading). */
static int run(const struct options *o)
{
	struct dbv_table t = {0};
	struct dbv_reader *r = NULL;
	struct dbv_image im;
	char title[512];
	int fd, rc;

	if ((rc = dbv_input_open(o->file, &fd)))
		return rc;
	if (!(r = dbv_reader_new(fd, o->file ? o->file : "-")))
		rc = DBV_EIO;
	if (!rc && !(rc = read_kind(r, o->name)) && !(rc = dbv_table_read_body(r, &t)) &&
	    !(rc = dbv_reader_expect_end(r, dbv_tool_name())) &&
	    !(rc = o->chart == CHART_LINE ? draw_lines(&im, &t, o, title, sizeof title)
					  : draw_heatmap(&im, &t, o, title, sizeof title))) {
		if (!(rc = dbv_output_open(o->out, 1, 0, &fd)) &&
		    !(rc = dbv_image_write_png_fd(&im, fd, o->out ? o->out : "standard output",
						  title[0] ? title : NULL)))
			rc = dbv_output_commit();
		dbv_image_release(&im);
	}
	dbv_table_release(&t);
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
