/*
 * dbv-render - draw the decision regions of pred streams over planes as
 * PNG or SVG pictures, in the style of Figure 1 of Somepalli et al. (CVPR 2022):
 * one plane, a file per plane (-o DIR/), or a montage of one plane across
 * streams.  The pred kind reads and checks every record before anything
 * is drawn; lib/draw/planeplot.c draws from the plain arrays of a plane.
 * A single picture goes through dbv_output_open (a temporary file renamed
 * when the whole input was good); -o DIR/ writes each plane's file
 * (atomically) as soon as its record has been read.  Charts of table
 * streams are dbv-chart's: this program runs it (run_chart).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

#define MAX_COLS 64

static const char usage[] =
	"usage: dbv-render [FILE] [-o OUT.png | -o OUT.svg | -o DIR/] [options]\n"
	"       dbv-render --montage FILE... [--cols N] [--plane N] [-o OUT.png]\n"
	"       dbv-render TABLE [chart options]      (see dbv-chart --help)\n"
	"Draw the decision regions of a pred stream (over planes) as PNG or SVG,\n"
	"or a chart of a table stream (dbv-compare) with dbv-chart, which takes\n"
	"the chart options --chart, --value, --scale, --x, --y, --by and --logx.\n"
	"FILE defaults to standard input; the picture goes to standard output\n"
	"unless -o names a file or a directory (one plane-NNNN.png per plane).\n"
	"\n"
	"      --plane N           draw only plane N (montage: default 0)\n"
	"      --shade conf|none   paler where less confident (default conf)\n"
	"      --thumbs            draw the anchor images beside their markers\n"
	"      --bare              the plot alone: S x S pixels, markers only\n"
	"      --montage           one picture of plane N of every FILE, in a grid\n"
	"      --cols N            montage columns (default: all FILEs in one row)\n"
	"      --row-labels LIST   montage row labels, comma-separated\n"
	"      --col-labels LIST   montage column labels, comma-separated\n"
	"      --size PX           16..8192: the plot side (default: the smallest\n"
	"                          multiple of res >= 500; montage 250)\n"
	"      --title TEXT        title (default: model and plane; '' for none)\n"
	"      --no-legend         leave the legend out\n"
	"      --text-scale N      text size factor 1..8 (default 2; 1 below 200 px)\n"
	"  -o, --output PATH       OUT.png or OUT.svg, or DIR/ (or an existing\n"
	"                          directory)\n"
	"      --format png|svg    the picture's format (default: -o's extension;\n"
	"                          PNG to standard output and DIR/)\n"
	"  -h, --help              this text\n"
	"      --version           versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 ok, 2 usage, 3 bad or mismatched input, 4 I/O error, 5\n"
	"non-finite numbers.\n";

struct options {
	const char *out, *title, *format;
	char **files;
	int nfiles;
	int64_t plane;
	int plane_set, size, shade, shade_set, thumbs, legend, bare, text_scale;
	int montage, cols, chart; /* chart: a chart option (dbv-chart's) */
	int svg;                  /* the picture's format is SVG */
	char **row_labels, **col_labels;
	size_t nrow_labels, ncol_labels;
};

static void parse_options(int argc, char **argv, struct options *o)
{
	enum {
		O_PLANE = 256, O_SIZE, O_SHADE, O_TITLE, O_TS, O_COLS, O_ROWL,
		O_COLL, O_VERSION, O_FORMAT,
	};
	/* Flags set o's fields; a chart option sets o->chart (its value is
	 * dbv-chart's to check). */
	const struct option lo[] = {
		{"plane", 1, NULL, O_PLANE}, {"size", 1, NULL, O_SIZE},
		{"shade", 1, NULL, O_SHADE}, {"thumbs", 0, &o->thumbs, 1},
		{"title", 1, NULL, O_TITLE}, {"no-legend", 0, &o->legend, 0},
		{"bare", 0, &o->bare, 1}, {"text-scale", 1, NULL, O_TS},
		{"montage", 0, &o->montage, 1}, {"cols", 1, NULL, O_COLS},
		{"row-labels", 1, NULL, O_ROWL}, {"col-labels", 1, NULL, O_COLL},
		{"chart", 1, &o->chart, 1}, {"value", 1, &o->chart, 1},
		{"scale", 1, &o->chart, 1}, {"x", 1, &o->chart, 1},
		{"y", 1, &o->chart, 1}, {"by", 1, &o->chart, 1},
		{"logx", 0, &o->chart, 1}, {"output", 1, NULL, 'o'},
		{"format", 1, NULL, O_FORMAT},
		{"help", 0, NULL, 'h'}, {"version", 0, NULL, O_VERSION},
		{NULL, 0, NULL, 0},
	};
	static const char *const shades[] = {"none", "conf"};
	int c;

	memset(o, 0, sizeof *o);
	o->shade = o->legend = 1;
	while ((c = dbv_tool_getopt(argc, argv, ":o:h", lo)) != -1) {
		switch (c) {
		case O_PLANE: o->plane = dbv_tool_num("--plane", 0, INT64_MAX); o->plane_set = 1; break;
		case O_SIZE: o->size = (int)dbv_tool_num("--size", 16, DBV_PLANEPLOT_MAX_SIDE); break;
		case O_TS: o->text_scale = (int)dbv_tool_num("--text-scale", 1, 8); break;
		case O_COLS: o->cols = (int)dbv_tool_num("--cols", 1, MAX_COLS); break;
		case O_SHADE:
			o->shade = dbv_tool_pick("--shade", shades, 2, "conf or none");
			o->shade_set = 1;
			break;
		case O_ROWL:
			o->row_labels = dbv_tool_split_list(o->row_labels, optarg,
							    &o->nrow_labels);
			break;
		case O_COLL:
			o->col_labels = dbv_tool_split_list(o->col_labels, optarg,
							    &o->ncol_labels);
			break;
		case O_TITLE: o->title = optarg; break;
		case 'o': o->out = optarg; break;
		case O_FORMAT: o->format = optarg; break;
		case 'h': dbv_tool_help(usage);
		case O_VERSION: dbv_tool_version(); dbv_tool_exit_ok();
		}
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
	if (o->chart && o->montage)
		dbv_tool_usage("--montage draws pred streams, not charts");
	if (!o->montage && o->nfiles > 1)
		dbv_tool_usage("too many arguments: '%s' (one FILE; several go into "
			       "one picture with --montage)", argv[optind + 1]);
	if (!o->montage && (o->cols || o->row_labels || o->col_labels))
		dbv_tool_usage("--cols, --row-labels and --col-labels need --montage");
	if (!o->montage)
		return;
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
	if (dbv_tool_out_is_dir(o->out))
		dbv_tool_usage("--montage draws one picture: -o FILE.png (or .svg), "
			       "not a directory");
}

/* ---- reading ------------------------------------------------------ */

/* A pred stream of planes being read. */
struct src {
	const char *name;       /* in messages */
	int fd;
	struct dbv_reader *r;
	struct dbv_pred_header h;
	struct dbv_pred_record rec; /* its plane drawn */
	char model[96], seed[32]; /* "cnn5 w=16", "seed 0"; "" without */
};

/* The input file (NULL or "-": standard input) and its reader; with
 * start, made rewindable first (for dbv-chart). */
static int src_open(struct src *s, const char *file, off_t *start, int *copied)
{
	s->name = file && strcmp(file, "-") ? file : "standard input";
	return dbv_tool_open_reader(file, start, copied, &s->fd, &s->r);
}

static void src_close(struct src *s)
{
	dbv_pred_record_release(&s->rec);
	dbv_pred_header_release(&s->h);
	dbv_reader_free(s->r);
	if (s->fd > 0)
		close(s->fd);
}

/* The meta of the header read (kind checked by the caller): predictions
 * over planes, and what titles and labels say of their model. */
static int src_header(struct src *s)
{
	int rc = dbv_pred_header_decode(s->r, &s->h);
	if (!rc && !s->h.planes)
		rc = dbv_seterr(DBV_EINPUT, "%s: predictions over a data set, not "
				"over planes: dbv-render draws planes (dbv-predict "
				"with a planes stream)", s->name);
	if (!rc)
		dbv_pred_model_labels(&s->h.model, s->model, sizeof s->model,
				      s->seed, sizeof s->seed);
	return rc;
}

/* ---- drawing and writing ------------------------------------------ */

/*
 * The picture of the planes of n streams in o->cols columns (a montage,
 * or one plane) to -o FILE or standard output (dir NULL), or atomically
 * to DIR/plane-NNNN.png.
 */
static int picture(const struct src *s, int n, const struct options *o,
		   const char *dir)
{
	struct dbv_planeplot *pl = dbv_calloc((size_t)n, sizeof *pl);
	const struct dbv_planeplot **cells = dbv_calloc((size_t)n, sizeof *cells);
	/* The points' data set and split name the picture (else the data
	 * set the model was trained on). */
	const struct dbv_pred_kv *ds = dbv_pred_model_get(&s->h.model, "dataset");
	struct dbv_planepic pic = {
		.cells = cells, .n = n, .cols = o->montage ? o->cols : 1,
		.montage = o->montage, .row_labels = o->row_labels,
		.col_labels = o->col_labels, .title = o->title,
		.data = s->h.data ? s->h.data
			: ds && ds->type == DBV_KV_STR ? ds->s : NULL,
		.classes = s->h.classes, .names = s->h.class_names, .size = o->size,
		.ts = o->text_scale, .legend = o->legend, .bare = o->bare,
	};
	struct dbv_canvas cv = {.vector = o->svg};
	char title[512], path[4096];
	int rc = pl && cells ? DBV_OK : DBV_EIO;

	for (int q = 0; q < n && !rc; q++) {
		dbv_pred_plane_plot(&s[q].rec.plane, o->shade, o->thumbs, s[q].model,
				    s[q].seed, &pl[q]);
		cells[q] = &pl[q];
	}
	if (dir)
		snprintf(path, sizeof path, "%s%splane-%04lld.%s", dir,
			 dir[strlen(dir) - 1] == '/' ? "" : "/",
			 (long long)s->rec.plane.plane, o->svg ? "svg" : "png");
	/* (main refused a terminal on standard output before reading.) */
	if (!rc && !(rc = dbv_planepic_draw_on(&cv, &pic))) {
		dbv_planepic_title(&pic, title, sizeof title);
		rc = dbv_tool_write_picture(&cv, dir ? path : NULL, o->out, title);
	}
	dbv_canvas_release(&cv);
	free(pl);
	free(cells);
	return rc;
}

/* ---- table streams: dbv-chart ------------------------------------- */

/* Options of pictures, which a table stream refuses. */
static int plane_opts(const struct options *o)
{
	return o->plane_set || o->shade_set || o->thumbs || o->bare ||
	       dbv_tool_out_is_dir(o->out);
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
	if (fd >= 0 && plane_opts(o))
		return dbv_seterr(DBV_EUSAGE, "%s is a table stream: --plane, "
				  "--shade, --thumbs, --bare and -o DIR/ are for "
				  "pred streams of planes", name);
	/* Standard input, or the copy in its place, becomes dbv-chart's
	 * (rewound); a file it opens again. */
	if (fd >= 0 && !copied && o->nfiles && strcmp(o->files[0], "-"))
		fd = -1;
	else if (fd >= 0 && o->nfiles)
		o->files[0] = "-";
	argv[0] = "dbv-render";
	return dbv_tool_exec("dbv-chart", argv, fd, start, name);
}

/* ---- reading the streams ------------------------------------------ */

/* One stream (a table goes to dbv-chart): the plane asked for, or every
 * plane into DIR/ as it is read. */
static int open_single(const struct options *o, char **argv, struct src *s,
		       const char *dir)
{
	const int64_t plane = o->plane_set ? o->plane : -1;
	struct stat st;
	off_t start = 0;
	int rc, eof, copied = 0, drawn = 0;

	if ((rc = src_open(s, o->nfiles ? o->files[0] : NULL, dir ? NULL : &start,
			   &copied)) ||
	    (rc = dbv_tool_read_pred_table(s->r, s->name, 1, o->chart)))
		return rc;
	if (!strcmp(dbv_reader_kind(s->r), "table"))
		return run_chart(o, argv, s->name, s->fd, start, copied);
	if ((rc = src_header(s)))
		return rc;
	/* Made by another run meanwhile (EEXIST) is as good as made. */
	if (dir && mkdir(dir, 0777) && (errno != EEXIST || stat(dir, &st) ||
					 !S_ISDIR(st.st_mode)))
		return dbv_seterr(DBV_EIO, "cannot make directory '%s': %s", dir,
				  strerror(errno == EEXIST ? ENOTDIR : errno));
	for (; dir && (rc = dbv_pred_next_plane(s->r, &s->h, plane, &s->rec)) == DBV_OK;
	     drawn++)
		if ((rc = picture(s, 1, o, dir)))
			return rc;
	if (dir && rc != DBV_END)
		return rc;
	if (dir && !drawn)
		return dbv_pred_no_plane(s->name, plane);
	if (!dir && (rc = dbv_pred_find_plane(s->r, &s->h, plane, &s->rec)))
		return rc;
	if ((rc = dbv_reader_at_eof(s->r, &eof)) || eof)
		return rc;
	return dbv_seterr(DBV_EINPUT, "%s: another stream follows the first: "
			  "give the streams as files (with --montage to put them "
			  "in one picture)", s->name);
}

/* Stream q of a montage: plane N, the same plane as stream 0's. */
static int open_cell(const struct options *o, struct src *s, int q)
{
	int rc;
	if ((rc = src_open(&s[q], o->files[q], NULL, NULL)) ||
	    (rc = dbv_reader_header(s[q].r, "pred", NULL)) ||
	    (rc = src_header(&s[q])) ||
	    (rc = dbv_pred_find_plane(s[q].r, &s[q].h, o->plane, &s[q].rec)))
		return rc;
	return dbv_pred_same_plane(s[0].name, &s[0].h, &s[0].rec.plane, s[q].name,
				   &s[q].h, &s[q].rec.plane, o->plane);
}

int main(int argc, char **argv)
{
	struct options o;
	int rc;

	dbv_tool_init("dbv-render", argv);
	parse_options(argc, argv, &o);
	for (int i = 0; i < (o.nfiles ? o.nfiles : 1); i++) {
		const char *in[] = {"the input", o.nfiles ? o.files[i] : "-"};
		dbv_tool_apart("-o", o.out, in, 1);
	}
	/* (After the refusals of -o naming an input, which say more.) */
	o.svg = dbv_tool_picture_format(o.out, o.format) == DBV_PICTURE_SVG;
	if (!o.svg)
		dbv_tool_png_tty(o.out);
	if (o.chart && !o.montage && !plane_opts(&o))
		dbv_tool_die(run_chart(&o, argv, NULL, -1, 0, 0));
	/* One picture of a plane of each stream, or (-o DIR/) files. */
	const int n = o.montage ? o.nfiles : 1, dir = dbv_tool_out_is_dir(o.out);
	struct src *s = dbv_calloc((size_t)n, sizeof *s);
	rc = s ? DBV_OK : DBV_EIO;
	for (int q = 0; q < n && !rc; q++)
		rc = o.montage ? open_cell(&o, s, q) : open_single(&o, argv, s,
								 dir ? o.out : NULL);
	if (!rc && !dir)
		rc = picture(s, n, &o, NULL);
	for (int q = 0; s && q < n; q++)
		src_close(&s[q]);
	if (rc)
		dbv_tool_die(rc);
	free(s);
	free(o.row_labels);
	free(o.col_labels);
	return 0;
}
