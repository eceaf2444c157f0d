/*
 * dbv-chart - draw a chart of a table stream (dbv-compare) as PNG or SVG: a
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
 * Outline: parse options; read the table whole (struct dbv_table); turn
 * the chart it asks for into plain arrays (dbv_table_matrix for a heat
 * map, dbv_table_curve for a line chart: lib/kinds/table.c), which
 * lib/draw/chart.c draws; write the PNG or SVG through dbv_output_open
 * (temporary file, renamed when all went well).  CHARTS in
 * man/dbv-render.1 gives the formulas.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static const char usage[] =
	"usage: dbv-chart [TABLE] [--chart heatmap] [--value agreement|iou] [-o OUT.png]\n"
	"       dbv-chart [TABLE] --chart line --x KEY --y FIGURE [--by KEY] [--logx]\n"
	"Draw a chart of a table stream (dbv-compare) as PNG or SVG.  TABLE\n"
	"defaults to standard input; the picture goes to standard output unless\n"
	"-o names a file.  dbv-render draws a table stream with this program.\n"
	"\n"
	"      --chart heatmap     the group x group matrix (or stream x stream)\n"
	"                          of agreement (the default chart)\n"
	"      --value V           agreement (default) or iou\n"
	"      --scale LO,HI|auto  ends of the colour scale (default 0,1; auto:\n"
	"                          the values' range, widened to tenths)\n"
	"      --chart line        one point per model setting (implied by --x/--y)\n"
	"      --x KEY             numeric key of the streams' model map (width)\n"
	"      --y FIGURE          fragmentation, error, error_y, acc, acc_true,\n"
	"                          agreement, margin, margin_correct,\n"
	"                          margin_mislabeled, skips\n"
	"      --by KEY            one line per value of this model key\n"
	"      --logx              x on a log scale\n"
	"      --size PX           16..8192: a line chart's plot width (600), a\n"
	"                          heat map's matrix side\n"
	"      --title TEXT        title (default: the chart's; '' for none)\n"
	"      --no-legend         leave the legend (a heat map's colour bar) out\n"
	"      --text-scale N      text size factor 1..8 (default 2)\n"
	"  -o, --output PATH       OUT.png or OUT.svg\n"
	"      --format png|svg    the format (default: -o's extension, else PNG)\n"
	"  -h, --help              this text\n"
	"      --version           versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 ok, 2 usage (also: a chart the table has no data for), 3 bad\n"
	"or mismatched input, 4 I/O error, 5 non-finite numbers.\n";

enum { CHART_HEATMAP, CHART_LINE };
static int as_render; /* run by dbv-render (its name in argv[0]) */

struct options {
	const char *out, *title, *file, *name; /* name: FILE in messages */
	const char *format;
	int size, legend, text_scale, svg;
	int chart, chart_set, y, logx, iou, scale_set, value_set, autoscale;
	const char *x, *by;
	double scale[2];
};

/* --scale LO,HI or auto */
static void parse_scale(const char *s, struct options *o)
{
	double *v = o->scale;
	if (!strcmp(s, "auto")) {
		o->autoscale = 1;
		return;
	}
	o->autoscale = 0;
	char *lo = dbv_strdup(s), *hi = lo ? strchr(lo, ',') : NULL;
	if (hi)
		*hi++ = 0;
	if (!hi || strchr(hi, ',') || dbv_parse_double(lo, -1e300, 1e300, &v[0]) ||
	    dbv_parse_double(hi, -1e300, 1e300, &v[1]) || !(v[0] < v[1]))
		dbv_tool_usage("--scale: '%s' is not LO,HI with LO < HI, nor auto", s);
	free(lo);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum {
		O_SIZE = 256, O_TITLE, O_TS, O_VERSION, O_CHART, O_VALUE, O_SCALE,
		O_X, O_Y, O_BY, O_FORMAT,
	};
	const struct option lo[] = {
		{"size", 1, NULL, O_SIZE}, {"title", 1, NULL, O_TITLE},
		{"no-legend", 0, &o->legend, 0}, {"text-scale", 1, NULL, O_TS},
		{"chart", 1, NULL, O_CHART}, {"value", 1, NULL, O_VALUE},
		{"scale", 1, NULL, O_SCALE}, {"x", 1, NULL, O_X},
		{"y", 1, NULL, O_Y}, {"by", 1, NULL, O_BY},
		{"logx", 0, &o->logx, 1}, {"output", 1, NULL, 'o'},
		{"format", 1, NULL, O_FORMAT},
		{"help", 0, NULL, 'h'}, {"version", 0, NULL, O_VERSION},
		{NULL, 0, NULL, 0},
	};
	static const char *const charts[] = {"heatmap", "line"};
	static const char *const values[] = {"agreement", "iou"};
	int c;

	memset(o, 0, sizeof *o);
	o->legend = 1;
	/* A fixed scale by default, so that heat maps compare (issue #12). */
	o->scale[1] = 1;
	while ((c = dbv_tool_getopt(argc, argv, ":o:h", lo)) != -1) {
		switch (c) {
		case O_SIZE: o->size = (int)dbv_tool_num("--size", 16, 8192); break;
		case O_TS: o->text_scale = (int)dbv_tool_num("--text-scale", 1, 8); break;
		case O_CHART:
			o->chart = dbv_tool_pick("--chart", charts, 2, "heatmap or line");
			o->chart_set = 1;
			break;
		case O_VALUE:
			o->iou = dbv_tool_pick("--value", values, 2, "agreement or iou");
			o->value_set = 1;
			break;
		case O_SCALE:
			parse_scale(optarg, o);
			o->scale_set = 1;
			break;
		case O_Y:
			if (!(o->y = dbv_table_figure(optarg)))
				dbv_tool_usage("--y: '%s' is not fragmentation, error, error_y, acc, "
					       "acc_true, agreement, margin, margin_correct, "
					       "margin_mislabeled or skips", optarg);
			break;
		case O_TITLE: o->title = optarg; break;
		case O_X: o->x = optarg; break;
		case O_BY: o->by = optarg; break;
		case 'o': o->out = optarg; break;
		case O_FORMAT: o->format = optarg; break;
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

/* ---- the charts --------------------------------------------------- */

/* The heat map of the table's groups or streams (dbv_table_matrix). */
static int draw_heatmap(struct dbv_canvas *cv, const struct dbv_table *t,
			const struct options *o, char *title, size_t cap)
{
	struct dbv_table_matrix m;
	int rc = dbv_table_matrix(t, o->iou, o->name, &m);
	if (!rc) {
		struct dbv_heatmap h = {
			.n = m.n, .labels = m.labels, .v = m.v,
			.blank_diagonal = m.blank_diagonal, .lo = o->scale[0],
			.hi = o->scale[1], .title = title,
			.note = o->title ? NULL : m.note, .bar_label = m.bar_label,
			.colour_bar = o->legend, .ts = o->text_scale ? o->text_scale : 2,
		};
		if (o->autoscale)
			dbv_heatmap_autoscale(&h);
		if (o->size)
			h.cell = o->size / m.n > h.ts + 1 ? o->size / m.n : h.ts + 1;
		snprintf(title, cap, "%s", o->title ? o->title : m.title);
		rc = dbv_chart_heatmap_on(cv, &h);
	}
	dbv_table_matrix_release(&m);
	return rc;
}

/* The line chart of a figure of each model setting (dbv_table_curve). */
static int draw_lines(struct dbv_canvas *cv, const struct dbv_table *t,
		      const struct options *o, char *title, size_t cap)
{
	struct dbv_table_curve c;
	int rc = dbv_table_curve(t, o->y, o->x, o->by, o->logx, o->name, &c);
	if (!rc) {
		const int w = o->size ? o->size : 600;
		const struct dbv_linechart lc = {
			.title = title, .note = o->title ? NULL : c.note,
			.xlabel = c.xlabel, .ylabel = c.ylabel, .logx = o->logx,
			.w = w, .h = (int)lround(w * 2.0 / 3), .legend = o->legend,
			.ts = o->text_scale ? o->text_scale : 2,
		};
		snprintf(title, cap, "%s", o->title ? o->title : c.title);
		rc = dbv_chart_point_lines_on(cv, &lc, &c.pts, c.y, c.err, o->by,
					      c.key);
	}
	dbv_table_curve_release(&c);
	return rc;
}

/* Read the table whole, draw its chart, write it to -o or standard
 * output (main refused a terminal there before reading). */
static int run(const struct options *o)
{
	struct dbv_table t = {0};
	struct dbv_reader *r = NULL;
	struct dbv_canvas cv = {.vector = o->svg};
	char title[512];
	int fd, rc;

	if (!(rc = dbv_tool_open_reader(o->file, NULL, NULL, &fd, &r)) &&
	    !(rc = dbv_tool_read_pred_table(r, o->name, as_render, 1)) &&
	    !(rc = dbv_table_read_body(r, &t)) &&
	    !(rc = dbv_reader_expect_end(r, dbv_tool_name())) &&
	    !(rc = o->chart == CHART_LINE ? draw_lines(&cv, &t, o, title, sizeof title)
					  : draw_heatmap(&cv, &t, o, title, sizeof title)))
		rc = dbv_tool_write_picture(&cv, NULL, o->out, title);
	dbv_canvas_release(&cv);
	dbv_table_release(&t);
	dbv_reader_free(r);
	if (fd > 0)
		close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	int rc;

	/* Run by dbv-render for charts: its name in messages. */
	const char *base = strrchr(argv[0], '/');
	as_render = !strcmp(base ? base + 1 : argv[0], "dbv-render");
	dbv_tool_init(as_render ? "dbv-render" : "dbv-chart", argv);
	parse_options(argc, argv, &o);
	const char *in[] = {"the input", o.file ? o.file : "-"};
	dbv_tool_apart("-o", o.out, in, 1);
	if (dbv_tool_out_is_dir(o.out))
		dbv_tool_usage("-o: '%s' is a directory: a chart is one file", o.out);
	o.svg = dbv_tool_picture_format(o.out, o.format) == DBV_PICTURE_SVG;
	if (!o.svg)
		dbv_tool_png_tty(o.out);
	if ((rc = run(&o)))
		dbv_tool_die(rc);
	return 0;
}
