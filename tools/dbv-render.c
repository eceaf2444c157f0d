/*
 * dbv-render - draw the decision regions of pred streams over planes as
 * PNG pictures, in the style of Figure 1 of Somepalli et al. (CVPR 2022).
 *
 *   dbv-render [FILE] [-o OUT.png] [--plane N] [options]     one plane
 *   dbv-render [FILE] -o DIR/ [options]                      a file per plane
 *   dbv-render --montage FILE... [--cols N] [--plane N] -o OUT.png
 *   dbv-render TABLE [chart options]                         dbv-chart's
 *
 * Outline: parse options; read the pred stream(s) through the pred kind
 * (every record checked before anything is drawn); a chosen plane becomes
 * the plain arrays of lib/draw/planeplot.c, which draws the picture; write
 * PNG.  A single picture goes through dbv_output_open (temporary file,
 * renamed when the whole input was good); with -o DIR/ each plane's file
 * is written (atomically) as soon as its record has been read.  Charts
 * of table streams are dbv-chart's: this program runs it (run_chart).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

#define MAX_COLS 64

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
	"Charts of a table stream are dbv-chart's: --chart, --value, --scale,\n"
	"--x, --y, --by and --logx as dbv-chart --help describes them.\n"
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
	"                          smallest multiple of res >= 500; montage 250)\n"
	"      --title TEXT        title (default: model and plane; '' for none)\n"
	"      --no-legend         leave the legend out\n"
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
			dbv_tool_check(dbv_parse_i64(optarg, 16, DBV_PLANEPLOT_MAX_SIDE, &v), "--size");
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


/* A pred stream of planes being read. */
struct src {
	const char *name;       /* in messages */
	int fd;
	struct dbv_reader *r;
	struct dbv_pred_header h;
	char model[96], seed[32]; /* "cnn5 w=16", "seed 0"; "" without */
};

static void src_close(struct src *s)
{
	dbv_pred_header_release(&s->h);
	dbv_reader_free(s->r);
	if (s->fd > 0)
		close(s->fd);
	s->r = NULL;
	s->fd = -1;
}

/* The input file (NULL or "-": standard input) and its reader; with
 * start, made rewindable first (rewindable). */
static int src_open(struct src *s, const char *file, off_t *start, int *copied)
{
	memset(s, 0, sizeof *s);
	s->name = file && strcmp(file, "-") ? file : "standard input";
	int rc = dbv_input_open(file, &s->fd);
	if (!rc && start)
		rc = rewindable(&s->fd, start, copied);
	if (!rc && !(s->r = dbv_reader_new(s->fd, file ? file : "-")))
		rc = DBV_EIO;
	return rc;
}

/* The header's meta, kind checked by the caller: a pred stream over
 * planes, and what the titles and labels say of its model. */
static int src_header(struct src *s)
{
	const struct dbv_pred_model *m = &s->h.model;
	int rc = dbv_pred_header_decode(s->r, &s->h);
	if (rc)
		return rc;
	if (!s->h.planes)
		return dbv_seterr(DBV_EINPUT, "%s: predictions over a data set, not "
				  "over planes: dbv-render draws planes (dbv-predict "
				  "with a planes stream)", s->name);
	if (m->arch) {
		int len = snprintf(s->model, sizeof s->model, "%.40s", m->arch);
		if (m->has_width)
			snprintf(s->model + len, sizeof s->model - (size_t)len,
				 " w=%lld", (long long)m->width);
	}
	if (m->has_seed)
		snprintf(s->seed, sizeof s->seed, "seed %lld", (long long)m->seed);
	return DBV_OK;
}

/* The next plane record (planes -1: any; else that one), or DBV_END. */
static int src_next(struct src *s, int64_t plane, struct dbv_pred_record *rec)
{
	int rc;
	while ((rc = dbv_pred_next(s->r, &s->h, rec)) == DBV_OK) {
		if (rec->type == DBV_PRED_PLANE && (plane < 0 || rec->plane.plane == plane))
			return DBV_OK;
		dbv_pred_record_release(rec);
	}
	return rc;
}

/* ---- drawing ------------------------------------------------------ */

/* The title text: --title, or "arch w=K seed=S, plane N"; none when bare. */
static void default_title(const struct options *o, const struct src *s,
			  int64_t plane, char *buf, size_t cap)
{
	if (o->bare)
		buf[0] = 0;
	else if (o->title)
		snprintf(buf, cap, "%s", o->title);
	else if (o->montage || !s->model[0])
		snprintf(buf, cap, "plane %lld", (long long)plane);
	else
		snprintf(buf, cap, "%s%s%s, plane %lld", s->model,
			 s->seed[0] ? " " : "", s->seed, (long long)plane);
}

/* A plane's plot: the plain arrays of lib/draw/planeplot.c. */
static void plot_of(const struct dbv_pred_plane *p, const struct options *o,
		    struct dbv_planeplot *pl)
{
	const struct dbv_tensor *a = &p->anchors;
	memset(pl, 0, sizeof *pl);
	pl->res = p->geom.res;
	pl->labels = p->labels;
	pl->conf = o->shade ? p->conf : NULL;
	for (int k = 0; k < 3; k++) {
		dbv_planeplot_place(p->geom.range, pl->res, p->geom.coords[k][0],
				    p->geom.coords[k][1], pl->at[k]);
		pl->y[k] = p->y[k];
		pl->y_true[k] = p->y_true[k];
		pl->idx[k] = p->idx[k];
	}
	if (o->thumbs) {
		pl->c = (int)a->shape[1];
		pl->h = (int)a->shape[2];
		pl->w = (int)a->shape[3];
		if (a->dtype == DBV_U8)
			pl->images = a->data;
		else
			pl->images_f32 = a->data;
	}
}

/* Draw n planes in cols columns (a montage, or one plane) with the
 * labels given, the classes and title of s. */
static int draw_picture(struct dbv_image *im, struct dbv_pred_record *const *recs,
			int n, int cols, char *const *rlab, char *const *clab,
			const struct src *s, const struct options *o,
			char *title, size_t cap)
{
	struct dbv_planeplot *pl = dbv_calloc((size_t)n, sizeof *pl);
	const struct dbv_planeplot **cells = dbv_calloc((size_t)n, sizeof *cells);
	struct dbv_planepic pic = {
		.cells = cells, .n = n, .cols = cols, .montage = o->montage,
		.row_labels = rlab, .col_labels = clab, .title = title,
		.classes = s->h.classes, .names = s->h.class_names,
		.size = o->size, .ts = o->text_scale, .legend = o->legend,
		.bare = o->bare,
	};
	int rc = DBV_EIO;

	if (pl && cells) {
		for (int q = 0; q < n; q++) {
			plot_of(&recs[q]->plane, o, &pl[q]);
			cells[q] = &pl[q];
		}
		default_title(o, s, recs[0]->plane.plane, title, cap);
		rc = dbv_planepic_draw(im, &pic);
	}
	free(pl);
	free(cells);
	return rc;
}

/* ---- output ------------------------------------------------------- */

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

/* The picture to -o FILE or standard output (path NULL), or to
 * DIR/plane-NNNN.png (dir set), atomically. */
static int write_png(const struct dbv_image *im, const char *path,
		     const char *dir, int64_t plane, const char *title)
{
	struct dbv_atomic a;
	char *buf = NULL;
	int fd, rc;

	if (dir) {
		const size_t n = strlen(dir);
		if (!(buf = dbv_malloc(n + 40)))
			return DBV_EIO;
		snprintf(buf, n + 40, "%s%splane-%04lld.png", dir,
			 n && dir[n - 1] == '/' ? "" : "/", (long long)plane);
		path = buf;
	}
	/* (main refused a terminal on standard output before reading.) */
	rc = dir ? dbv_atomic_open(&a, path, &fd) : dbv_output_open(path, 1, 0, &fd);
	if (!rc && (rc = dbv_image_write_png_fd(im, fd, path ? path : "standard output",
						title[0] ? title : NULL)) && dir)
		dbv_atomic_abort(&a);
	if (!rc)
		rc = dir ? dbv_atomic_commit(&a) : dbv_output_commit();
	free(buf);
	return rc;
}

/* ---- table streams: dbv-chart ------------------------------------- */

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

/* The header of a pred stream (pictures) or a table (charts). */
static int read_kind(struct src *s)
{
	const dbv_val *hdr;
	const char *tool = "?";
	size_t tn = 1;
	int rc = dbv_reader_header(s->r, NULL, &hdr);
	if (rc || !strcmp(dbv_reader_kind(s->r), "pred") ||
	    !strcmp(dbv_reader_kind(s->r), "table"))
		return rc;
	dbv_val_str(dbv_map_get(hdr, "tool"), &tool, &tn);
	return dbv_seterr(DBV_EINPUT, "%s: expected a pred stream (dbv-predict) or "
			  "a table stream (dbv-compare), got a %s stream (from "
			  "%.*s)", s->name, dbv_reader_kind(s->r),
			  (int)(tn > 64 ? 64 : tn), tool);
}

/* One stream: every plane into DIR/, or the one chosen to a file. */
static int run_single(const struct options *o, char **argv)
{
	const char *dir = out_is_dir(o->out) ? o->out : NULL;
	struct dbv_pred_record keep = {0}, rec, *one[1] = {&rec};
	struct dbv_image im;
	struct stat st;
	struct src s;
	char title[512], *none = "";
	off_t start = 0;
	int rc, eof, have = 0, copied = 0;
	int64_t drawn = 0;

	if ((rc = src_open(&s, o->nfiles ? o->files[0] : NULL, dir ? NULL : &start,
			   &copied)) || (rc = read_kind(&s)))
		goto out;
	if (!strcmp(dbv_reader_kind(s.r), "table")) {
		rc = run_chart(o, argv, s.name, s.fd, start, copied);
		goto out;
	}
	if (o->chart) {
		rc = dbv_seterr(DBV_EUSAGE, "%s is a pred stream: --chart, --x, "
				"--y, --by, --logx, --value and --scale draw table "
				"streams (dbv-compare)", s.name);
		goto out;
	}
	if ((rc = src_header(&s)))
		goto out;
	if (dir && stat(dir, &st) != 0 && mkdir(dir, 0777) != 0) {
		rc = dbv_seterr(DBV_EIO, "cannot make directory '%s': %s", dir,
				strerror(errno));
		goto out;
	}
	while ((rc = src_next(&s, o->plane_set ? o->plane : -1, &rec)) == DBV_OK) {
		if (have) {
			dbv_pred_record_release(&rec);
			rc = dbv_seterr(DBV_EUSAGE, "%s: the stream holds more than "
					"one plane: write one file per plane with "
					"-o DIR/, or choose one with --plane N", s.name);
			goto out;
		}
		if (!dir) {
			keep = rec;
			have = 1;
			continue;
		}
		rc = draw_picture(&im, one, 1, 1, &none, &none, &s, o, title,
				  sizeof title);
		if (!rc) {
			rc = write_png(&im, NULL, dir, rec.plane.plane, title);
			dbv_image_release(&im);
		}
		dbv_pred_record_release(&rec);
		if (rc)
			goto out;
		drawn++;
	}
	if (rc != DBV_END || (rc = dbv_reader_at_eof(s.r, &eof)))
		goto out;
	if (!eof)
		rc = dbv_seterr(DBV_EINPUT, "%s: another stream follows the "
				"first: give the streams as files (with --montage "
				"to put them in one picture)", s.name);
	else if (!have && !drawn)
		rc = o->plane_set ? dbv_seterr(DBV_EUSAGE, "%s: no plane %lld in "
					       "the stream", s.name, (long long)o->plane)
				  : dbv_seterr(DBV_EINPUT, "%s: no plane in the "
					       "stream", s.name);
	else if (have) {
		one[0] = &keep;
		rc = draw_picture(&im, one, 1, 1, &none, &none, &s, o, title,
				  sizeof title);
		if (!rc) {
			rc = write_png(&im, o->out, NULL, 0, title);
			dbv_image_release(&im);
		}
	}
out:
	dbv_pred_record_release(&keep);
	src_close(&s);
	return rc;
}

/* Does plane b show the same plane as a, of the same classes?  NULL
 * when it does, else what differs. */
static const char *differs(const struct src *sa, const struct dbv_plane *a,
			   const struct src *sb, const struct dbv_plane *b)
{
	if (a->res != b->res)
		return "res";
	if (memcmp(a->range, b->range, sizeof a->range))
		return "range";
	if (memcmp(a->coords, b->coords, sizeof a->coords))
		return "anchor coordinates";
	if (dbv_plane_fingerprint(a) != dbv_plane_fingerprint(b))
		return "origin or basis vectors";
	if (sa->h.classes != sb->h.classes || !sa->h.class_names != !sb->h.class_names)
		return "classes";
	for (int64_t k = 0; sa->h.class_names && k < sa->h.classes; k++)
		if (strcmp(sa->h.class_names[k], sb->h.class_names[k]))
			return "classes";
	return NULL;
}

/* Plane N of every FILE, in one picture. */
static int run_montage(const struct options *o)
{
	const int n = o->nfiles, cols = o->cols, rows = (n + cols - 1) / cols;
	struct src *s = dbv_calloc((size_t)n, sizeof *s);
	struct dbv_pred_record *rec = dbv_calloc((size_t)n, sizeof *rec);
	struct dbv_pred_record **pr = dbv_calloc((size_t)n, sizeof *pr);
	char **rlab = dbv_calloc((size_t)rows, sizeof *rlab);
	char **clab = dbv_calloc((size_t)cols, sizeof *clab);
	char title[512];
	struct dbv_image im;
	int rc = !s || !rec || !pr || !rlab || !clab ? DBV_EIO : DBV_OK;

	for (int q = 0; q < n && !rc; q++) {
		struct dbv_pred_record other;
		const char *what;
		pr[q] = &rec[q];
		if ((rc = src_open(&s[q], o->files[q], NULL, NULL)) ||
		    (rc = dbv_reader_header(s[q].r, "pred", NULL)) ||
		    (rc = src_header(&s[q])))
			break;
		rc = src_next(&s[q], o->plane, &rec[q]);
		if (rc == DBV_END)
			rc = dbv_seterr(DBV_EUSAGE, "%s: no plane %lld in the stream",
					s[q].name, (long long)o->plane);
		/* The rest is read (and checked) too. */
		while (!rc && (rc = dbv_pred_next(s[q].r, &s[q].h, &other)) == DBV_OK)
			dbv_pred_record_release(&other);
		if (rc != DBV_END)
			break;
		rc = DBV_OK;
		what = differs(&s[0], &rec[0].plane.geom, &s[q], &rec[q].plane.geom);
		if (what && !strcmp(what, "classes"))
			rc = dbv_seterr(DBV_EINPUT, "%s: its classes differ from "
					"those of %s", s[q].name, s[0].name);
		else if (what)
			rc = dbv_seterr(DBV_EINPUT, "%s: plane %lld is not the plane "
					"of the same number in %s (its %s differ): "
					"a montage shows one plane across runs",
					s[q].name, (long long)o->plane, s[0].name, what);
	}
	if (!rc) {
		/* Labels: given, or from the model meta of the first row's /
		 * first column's stream. */
		for (int r = 0; r < rows; r++)
			rlab[r] = o->row_labels ? o->row_labels[r] : s[r * cols].seed;
		for (int c = 0; c < cols; c++)
			clab[c] = o->col_labels ? o->col_labels[c] : s[c].model;
		rc = draw_picture(&im, pr, n, cols, rlab, clab, &s[0], o, title,
				  sizeof title);
		if (!rc) {
			rc = write_png(&im, o->out, NULL, 0, title);
			dbv_image_release(&im);
		}
	}
	for (int q = 0; s && rec && q < n; q++) {
		dbv_pred_record_release(&rec[q]);
		src_close(&s[q]);
	}
	free(s);
	free(rec);
	free(pr);
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
