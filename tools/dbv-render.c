/*
 * dbv-render - draw the decision regions of pred streams over planes as
 * PNG pictures, in the style of Figure 1 of Somepalli et al. (CVPR 2022):
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
	"usage: dbv-render [FILE] [-o OUT.png | -o DIR/] [options]\n"
	"       dbv-render --montage FILE... [--cols N] [--plane N] [-o OUT.png]\n"
	"       dbv-render TABLE [chart options]      (see dbv-chart --help)\n"
	"Draw the decision regions of a pred stream (over planes) as PNG, or a\n"
	"chart of a table stream (dbv-compare) with dbv-chart, which takes the\n"
	"chart options --chart, --value, --scale, --x, --y, --by and --logx.\n"
	"FILE defaults to standard input; the PNG goes to standard output\n"
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
	"  -o, --output PATH       OUT.png, or DIR/ (or an existing directory)\n"
	"  -h, --help              this text\n"
	"      --version           versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 ok, 2 usage, 3 bad or mismatched input, 4 I/O error, 5\n"
	"non-finite numbers.\n";

struct options {
	const char *out, *title;
	char **files;
	int nfiles;
	int64_t plane;
	int plane_set, size, shade, shade_set, thumbs, legend, bare, text_scale;
	int montage, cols, chart; /* chart: a chart option (dbv-chart's) */
	char **row_labels, **col_labels;
	size_t nrow_labels, ncol_labels;
};

/* ---- process helpers (tools/tool.c could serve every tool) -------- */

/* Split "a,b,,c" at its commas (empty strings kept), in one allocation. */
static char **split_list(const char *s, size_t *n)
{
	size_t k = 1, len = strlen(s);
	for (const char *p = s; *p; p++)
		k += *p == ',';
	char **v = dbv_malloc(k * sizeof *v + len + 1);
	if (!v)
		dbv_tool_die(DBV_EIO);
	char *buf = memcpy(v + k, s, len + 1);
	for (size_t i = 0; i < k; i++, buf += strlen(buf) + 1) {
		v[i] = buf;
		buf[strcspn(buf, ",")] = 0;
	}
	*n = k;
	return v;
}

/* The value of the option being parsed: an integer lo..hi. */
static int64_t num(const char *opt, int64_t lo, int64_t hi)
{
	int64_t v;
	dbv_tool_check(dbv_parse_i64(optarg, lo, hi, &v), opt);
	return v;
}

/* -o names a directory: "DIR/" or an existing one. */
static int out_is_dir(const char *out)
{
	struct stat st;
	size_t n = out ? strlen(out) : 0;
	if (!out || !strcmp(out, "-"))
		return 0;
	return (n && out[n - 1] == '/') || (stat(out, &st) == 0 && S_ISDIR(st.st_mode));
}

/*
 * The input from where it starts, so that dbv-chart can read a table
 * stream whole: its offset, or for a pipe (which cannot be rewound) a
 * temporary copy of it (*copied).  A single picture waits for the whole
 * input anyway.
 */
static int rewindable(int *fd, off_t *start, int *copied)
{
	char buf[1 << 16];
	ssize_t k = 1;
	FILE *t;

	if ((*start = lseek(*fd, 0, SEEK_CUR)) >= 0)
		return DBV_OK;
	if ((t = tmpfile()))
		while ((k = read(*fd, buf, sizeof buf)) > 0 || (k < 0 && errno == EINTR))
			if (k > 0 && fwrite(buf, 1, (size_t)k, t) != (size_t)k)
				break;
	if (!t || k || fflush(t) || lseek(fileno(t), 0, SEEK_SET) < 0)
		return dbv_seterr(DBV_EIO, "cannot copy the input to a temporary "
				  "file: %s", strerror(errno));
	if (*fd > 0)
		close(*fd);
	*fd = fileno(t); /* t stays open while the process lives */
	*start = 0;
	*copied = 1;
	return DBV_OK;
}

/* Replace this process by the dbv tool `name` (the one beside this
 * program, else the one on PATH) with argv; returns only on failure. */
static int exec_tool(const char *name, char **argv)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 32);
	if (n > 0) {
		exe[n] = 0;
		snprintf(strrchr(exe, '/') + 1, 32, "%s", name);
		execv(exe, argv);
	}
	execvp(name, argv);
	return dbv_seterr(DBV_EIO, "cannot run %s: %s", name, strerror(errno));
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum {
		O_PLANE = 256, O_SIZE, O_SHADE, O_THUMBS, O_TITLE, O_NO_LEGEND,
		O_BARE, O_TS, O_MONTAGE, O_COLS, O_ROWL, O_COLL, O_VERSION, O_CHART,
	};
	static const struct option lo[] = {
		{"plane", 1, NULL, O_PLANE}, {"size", 1, NULL, O_SIZE},
		{"shade", 1, NULL, O_SHADE}, {"thumbs", 0, NULL, O_THUMBS},
		{"title", 1, NULL, O_TITLE}, {"no-legend", 0, NULL, O_NO_LEGEND},
		{"bare", 0, NULL, O_BARE}, {"text-scale", 1, NULL, O_TS},
		{"montage", 0, NULL, O_MONTAGE}, {"cols", 1, NULL, O_COLS},
		{"row-labels", 1, NULL, O_ROWL}, {"col-labels", 1, NULL, O_COLL},
		{"chart", 1, NULL, O_CHART}, {"value", 1, NULL, O_CHART},
		{"scale", 1, NULL, O_CHART}, {"x", 1, NULL, O_CHART},
		{"y", 1, NULL, O_CHART}, {"by", 1, NULL, O_CHART},
		{"logx", 0, NULL, O_CHART}, {"output", 1, NULL, 'o'},
		{"help", 0, NULL, 'h'}, {"version", 0, NULL, O_VERSION},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof *o);
	o->shade = o->legend = 1;
	while ((c = dbv_tool_getopt(argc, argv, ":o:h", lo)) != -1) {
		switch (c) {
		case O_PLANE: o->plane = num("--plane", 0, INT64_MAX); o->plane_set = 1; break;
		case O_SIZE: o->size = (int)num("--size", 16, DBV_PLANEPLOT_MAX_SIDE); break;
		case O_TS: o->text_scale = (int)num("--text-scale", 1, 8); break;
		case O_COLS: o->cols = (int)num("--cols", 1, MAX_COLS); break;
		case O_SHADE:
			if (strcmp(optarg, "conf") && strcmp(optarg, "none"))
				dbv_tool_usage("--shade: '%s' is not conf or none", optarg);
			o->shade = !strcmp(optarg, "conf");
			o->shade_set = 1;
			break;
		case O_ROWL:
			free(o->row_labels);
			o->row_labels = split_list(optarg, &o->nrow_labels);
			break;
		case O_COLL:
			free(o->col_labels);
			o->col_labels = split_list(optarg, &o->ncol_labels);
			break;
		case O_THUMBS: o->thumbs = 1; break;
		case O_TITLE: o->title = optarg; break;
		case O_NO_LEGEND: o->legend = 0; break;
		case O_BARE: o->bare = 1; break;
		case O_MONTAGE: o->montage = 1; break;
		case O_CHART: o->chart = 1; break; /* dbv-chart checks them */
		case 'o': o->out = optarg; break;
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
 * start, made rewindable first. */
static int src_open(struct src *s, const char *file, off_t *start, int *copied)
{
	s->name = file && strcmp(file, "-") ? file : "standard input";
	int rc = dbv_input_open(file, &s->fd);
	if (!rc && start)
		rc = rewindable(&s->fd, start, copied);
	if (!rc && !(s->r = dbv_reader_new(s->fd, file ? file : "-")))
		rc = DBV_EIO;
	return rc;
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
	const struct dbv_pred_model *m = &s->h.model;
	int rc = dbv_pred_header_decode(s->r, &s->h);
	if (!rc && !s->h.planes)
		rc = dbv_seterr(DBV_EINPUT, "%s: predictions over a data set, not "
				"over planes: dbv-render draws planes (dbv-predict "
				"with a planes stream)", s->name);
	if (!rc && m->arch && m->has_width)
		snprintf(s->model, sizeof s->model, "%.40s w=%lld", m->arch,
			 (long long)m->width);
	else if (!rc && m->arch)
		snprintf(s->model, sizeof s->model, "%.40s", m->arch);
	if (!rc && m->has_seed)
		snprintf(s->seed, sizeof s->seed, "seed %lld", (long long)m->seed);
	return rc;
}

/* The next record of a plane (plane < 0: any; else that one) into
 * s->rec, DBV_END after the last. */
static int src_next(struct src *s, int64_t plane)
{
	int rc;
	dbv_pred_record_release(&s->rec);
	while ((rc = dbv_pred_next(s->r, &s->h, &s->rec)) == DBV_OK) {
		if (s->rec.type == DBV_PRED_PLANE &&
		    (plane < 0 || s->rec.plane.plane == plane))
			return DBV_OK;
		dbv_pred_record_release(&s->rec);
	}
	return rc;
}

static int no_plane(const struct src *s, int64_t plane)
{
	if (plane < 0)
		return dbv_seterr(DBV_EINPUT, "%s: no plane in the stream", s->name);
	return dbv_seterr(DBV_EUSAGE, "%s: no plane %lld in the stream", s->name,
			  (long long)plane);
}

/* Plane `plane` of the stream (< 0: its only plane) into s->rec, the
 * rest of the stream read (and checked) too. */
static int find_plane(struct src *s, int64_t plane)
{
	struct dbv_pred_record other;
	int rc = src_next(s, plane);
	if (rc == DBV_END)
		return no_plane(s, plane);
	while (!rc && (rc = dbv_pred_next(s->r, &s->h, &other)) == DBV_OK) {
		if (plane < 0 && other.type == DBV_PRED_PLANE)
			rc = dbv_seterr(DBV_EUSAGE, "%s: the stream holds more than "
					"one plane: write one file per plane with "
					"-o DIR/, or choose one with --plane N", s->name);
		dbv_pred_record_release(&other);
	}
	return rc == DBV_END ? DBV_OK : rc;
}

/* ---- drawing and writing ------------------------------------------ */

/* The plane of s: the plain arrays of lib/draw/planeplot.c. */
static void plot_of(const struct src *s, const struct options *o,
		    struct dbv_planeplot *pl)
{
	const struct dbv_pred_plane *p = &s->rec.plane;
	const struct dbv_tensor *a = &p->anchors;
	*pl = (struct dbv_planeplot){
		.res = p->geom.res, .labels = p->labels,
		.conf = o->shade ? p->conf : NULL, .model = s->model,
		.seed = s->seed, .plane = p->plane,
	};
	for (int k = 0; k < 3; k++)
		dbv_planeplot_place(p->geom.range, pl->res, p->geom.coords[k][0],
				    p->geom.coords[k][1], pl->at[k]);
	memcpy(pl->y, p->y, sizeof pl->y);
	memcpy(pl->y_true, p->y_true, sizeof pl->y_true);
	memcpy(pl->idx, p->idx, sizeof pl->idx);
	if (o->thumbs) {
		pl->c = (int)a->shape[1];
		pl->h = (int)a->shape[2];
		pl->w = (int)a->shape[3];
		pl->images = a->dtype == DBV_U8 ? a->data : NULL;
		pl->images_f32 = a->dtype == DBV_F32 ? a->data : NULL;
	}
}

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
	struct dbv_planepic pic = {
		.cells = cells, .n = n, .cols = o->montage ? o->cols : 1,
		.montage = o->montage, .row_labels = o->row_labels,
		.col_labels = o->col_labels, .title = o->title,
		.classes = s->h.classes, .names = s->h.class_names, .size = o->size,
		.ts = o->text_scale, .legend = o->legend, .bare = o->bare,
	};
	struct dbv_image im = {0};
	struct dbv_atomic a;
	char title[512], path[4096];
	int fd, rc = pl && cells ? DBV_OK : DBV_EIO;

	for (int q = 0; q < n && !rc; q++) {
		plot_of(&s[q], o, &pl[q]);
		cells[q] = &pl[q];
	}
	if (dir)
		snprintf(path, sizeof path, "%s%splane-%04lld.png", dir,
			 dir[strlen(dir) - 1] == '/' ? "" : "/",
			 (long long)s->rec.plane.plane);
	/* (main refused a terminal on standard output before reading.) */
	if (!rc && !(rc = dbv_planepic_draw(&im, &pic)) &&
	    !(rc = dir ? dbv_atomic_open(&a, path, &fd)
		       : dbv_output_open(o->out, 1, 0, &fd))) {
		dbv_planepic_title(&pic, title, sizeof title);
		rc = dbv_image_write_png_fd(&im, fd, dir ? path : o->out ? o->out
					    : "standard output", title[0] ? title : NULL);
		if (rc && dir)
			dbv_atomic_abort(&a);
		else if (!rc)
			rc = dir ? dbv_atomic_commit(&a) : dbv_output_commit();
	}
	dbv_image_release(&im);
	free(pl);
	free(cells);
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
	return exec_tool("dbv-chart", argv);
}

/* ---- reading the streams ------------------------------------------ */

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
			   &copied)) || (rc = read_kind(s)))
		return rc;
	if (!strcmp(dbv_reader_kind(s->r), "table"))
		return run_chart(o, argv, s->name, s->fd, start, copied);
	if (o->chart)
		return dbv_seterr(DBV_EUSAGE, "%s is a pred stream: --chart, --x, "
				  "--y, --by, --logx, --value and --scale draw table "
				  "streams (dbv-compare)", s->name);
	if ((rc = src_header(s)))
		return rc;
	if (dir && stat(dir, &st) && mkdir(dir, 0777))
		return dbv_seterr(DBV_EIO, "cannot make directory '%s': %s", dir,
				  strerror(errno));
	for (; dir && (rc = src_next(s, plane)) == DBV_OK; drawn++)
		if ((rc = picture(s, 1, o, dir)))
			return rc;
	if (dir && rc != DBV_END)
		return rc;
	if (dir && !drawn)
		return no_plane(s, plane);
	if (!dir && (rc = find_plane(s, plane)))
		return rc;
	if ((rc = dbv_reader_at_eof(s->r, &eof)) || eof)
		return rc;
	return dbv_seterr(DBV_EINPUT, "%s: another stream follows the first: "
			  "give the streams as files (with --montage to put them "
			  "in one picture)", s->name);
}

/* Does the plane of b show the plane of a, of the same classes?  NULL
 * when it does, else what differs. */
static const char *differs(const struct src *a, const struct src *b)
{
	const struct dbv_plane *pa = &a->rec.plane.geom, *pb = &b->rec.plane.geom;
	if (pa->res != pb->res)
		return "res";
	if (memcmp(pa->range, pb->range, sizeof pa->range))
		return "range";
	if (memcmp(pa->coords, pb->coords, sizeof pa->coords))
		return "anchor coordinates";
	if (dbv_plane_fingerprint(pa) != dbv_plane_fingerprint(pb))
		return "origin or basis vectors";
	if (a->h.classes != b->h.classes || !a->h.class_names != !b->h.class_names)
		return "classes";
	for (int64_t k = 0; a->h.class_names && k < a->h.classes; k++)
		if (strcmp(a->h.class_names[k], b->h.class_names[k]))
			return "classes";
	return NULL;
}

/* Stream q of a montage: plane N, the same plane as stream 0's. */
static int open_cell(const struct options *o, struct src *s, int q)
{
	const char *what;
	int rc;

	if ((rc = src_open(&s[q], o->files[q], NULL, NULL)) ||
	    (rc = dbv_reader_header(s[q].r, "pred", NULL)) ||
	    (rc = src_header(&s[q])) || (rc = find_plane(&s[q], o->plane)))
		return rc;
	if (!(what = differs(&s[0], &s[q])))
		return DBV_OK;
	if (!strcmp(what, "classes"))
		return dbv_seterr(DBV_EINPUT, "%s: its classes differ from those of "
				  "%s", s[q].name, s[0].name);
	return dbv_seterr(DBV_EINPUT, "%s: plane %lld is not the plane of the "
			  "same number in %s (its %s differ): a montage shows one "
			  "plane across runs", s[q].name, (long long)o->plane,
			  s[0].name, what);
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
		dbv_tool_die(run_chart(&o, argv, NULL, -1, 0, 0));
	/* One picture of a plane of each stream, or (-o DIR/) files. */
	const int n = o.montage ? o.nfiles : 1, dir = out_is_dir(o.out);
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
