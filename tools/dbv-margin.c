/*
 * dbv-margin - the decision boundary along lines through training
 * points: margins (the distance along a direction towards another point
 * to the first change of the model's class) and class skips (the changes
 * of class along the segment between two images of a class), as a table
 * stream; or several such tables merged into one for dbv-chart.
 *
 *   dbv-margin --model m.dbv [--points N] [--skips N] train.dbv >t.dbv
 *   dbv-margin --merge t1.dbv t2.dbv ... >all.dbv
 *
 * Outline: read the model and the whole data set (the model's training
 * stream), normalise every image; draw the points and their directions
 * (lib/study/margin.c), search every ray by a coarse scan and bisection,
 * batched across rays; the points' margins and the group figures; the
 * class skips of pairs of images per class; write one table (one stream:
 * the model) through lib/kinds/table.c.  --merge reads tables and writes
 * their streams one after the other (dbv_table_concat).
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

static const char usage[] =
	"usage: dbv-margin --model FILE [options] [DATASET|-]\n"
	"       dbv-margin --merge [--tsv] [-o FILE] TABLE...\n"
	"Margins of training points and class skips between images of a class,\n"
	"as a table stream (or TSV); --merge puts such tables into one.\n"
	"\n"
	"  -m, --model FILE       the model stream (from dbv-train)\n"
	"      --points N         points to measure, drawn at random (default:\n"
	"                         every labelled item)\n"
	"      --seed S           seed of the draws and intervals (default 0)\n"
	"      --directions D     directions a point, towards other items (10)\n"
	"      --min-hits H       directions that must find a change (5)\n"
	"      --range R          search [0, R] along a direction (default 32)\n"
	"      --step H           the coarse scan's step (default 0.5)\n"
	"      --tol T            bisect to a bracket of width T (default 0.001)\n"
	"      --ladder N         a fixed ladder of N points over [0, R] instead\n"
	"      --skips N          also class skips of N pairs of each class\n"
	"      --skip-res S       points a segment, ends included (default 100)\n"
	"      --no-margins       class skips only\n"
	"      --bootstrap N      resamples of the 95% intervals (default 1000)\n"
	"      --batch N          points a forward pass (default 256)\n"
	"      --threads N        threads (default 2)\n"
	"  -v, --verbose          the search's forward passes and speed on stderr\n"
	"      --estimate         time forward passes, print the run's cost (JSON), exit\n"
	"      --merge            merge the tables given\n"
	"      --tsv              tab-separated text instead of a table stream\n"
	"  -o, --output FILE      write to FILE (atomically) instead of stdout\n"
	"  -f, --force            write the binary stream to a terminal anyway\n"
	"      --max-record B     refuse input records over B bytes\n"
	"  -h, --help             this text\n"
	"      --version          versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 ok, 2 usage, 3 bad or mismatched input, 4 I/O error,\n"
	"5 non-finite outputs.\n";

struct options {
	const char *model, *input, *output;
	char **inputs;          /* --merge: the tables */
	int ninputs;
	int64_t points, skips;
	uint64_t seed, max_record;
	int directions, min_hits, skip_res, margins, bootstrap, batch, threads;
	int verbose, merge, tsv, force, estimate;
	struct dbv_margin_opts m;
};

static double num_opt(const char *opt, double lo, double hi)
{
	double v;
	if (dbv_parse_double(optarg, lo, hi, &v))
		dbv_tool_usage("%s: '%s' is not a number from %g to %g", opt, optarg,
			       lo, hi);
	return v;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum {
		O_POINTS = 256, O_SEED, O_DIRS, O_HITS, O_RANGE, O_STEP, O_TOL,
		O_LADDER, O_SKIPS, O_SKIPRES, O_BOOT, O_BATCH, O_THREADS, O_MAXREC,
		O_VERSION,
	};
	const struct option lo[] = {
		{"model", 1, NULL, 'm'}, {"points", 1, NULL, O_POINTS},
		{"seed", 1, NULL, O_SEED}, {"directions", 1, NULL, O_DIRS},
		{"min-hits", 1, NULL, O_HITS}, {"range", 1, NULL, O_RANGE},
		{"step", 1, NULL, O_STEP}, {"tol", 1, NULL, O_TOL},
		{"ladder", 1, NULL, O_LADDER}, {"skips", 1, NULL, O_SKIPS},
		{"skip-res", 1, NULL, O_SKIPRES}, {"no-margins", 0, &o->margins, 0},
		{"bootstrap", 1, NULL, O_BOOT}, {"batch", 1, NULL, O_BATCH},
		{"threads", 1, NULL, O_THREADS}, {"verbose", 0, NULL, 'v'},
		{"merge", 0, &o->merge, 1}, {"tsv", 0, &o->tsv, 1},
		{"output", 1, NULL, 'o'}, {"force", 0, NULL, 'f'},
		{"max-record", 1, NULL, O_MAXREC}, {"help", 0, NULL, 'h'},
		{"version", 0, NULL, O_VERSION}, {"estimate", 0, &o->estimate, 1},
		{NULL, 0, NULL, 0},
	};
	int c, step_set = 0, tol_set = 0;

	memset(o, 0, sizeof *o);
	o->directions = 10;
	o->min_hits = 5;
	o->skip_res = 100;
	o->margins = 1;
	o->bootstrap = 1000;
	o->batch = 256;
	o->threads = 2;
	o->max_record = DBV_DEFAULT_RECORD_LIMIT;
	o->m = (struct dbv_margin_opts){.range = 32, .step = 0.5, .tol = 1e-3};
	while ((c = dbv_tool_getopt(argc, argv, ":m:o:fvh", lo)) != -1) {
		switch (c) {
		case 'm': o->model = optarg; break;
		case O_POINTS: o->points = dbv_tool_num("--points", 1, INT32_MAX); break;
		case O_SEED: dbv_tool_check(dbv_parse_u64(optarg, UINT64_MAX, &o->seed), "--seed"); break;
		case O_DIRS: o->directions = (int)dbv_tool_num("--directions", 1, 10000); break;
		case O_HITS: o->min_hits = (int)dbv_tool_num("--min-hits", 1, 10000); break;
		case O_RANGE: o->m.range = num_opt("--range", 1e-6, 1e9); break;
		case O_STEP: o->m.step = num_opt("--step", 1e-9, 1e9); step_set = 1; break;
		case O_TOL: o->m.tol = num_opt("--tol", 1e-9, 1e9); tol_set = 1; break;
		case O_LADDER: o->m.ladder = (int)dbv_tool_num("--ladder", 1, 1000000); break;
		case O_SKIPS: o->skips = dbv_tool_num("--skips", 1, 1000000); break;
		case O_SKIPRES: o->skip_res = (int)dbv_tool_num("--skip-res", 2, 100000); break;
		case O_BOOT: o->bootstrap = (int)dbv_tool_num("--bootstrap", 0, 1000000); break;
		case O_BATCH: o->batch = (int)dbv_tool_num("--batch", 1, 65536); break;
		case O_THREADS: o->threads = (int)dbv_tool_num("--threads", 1, 256); break;
		case O_MAXREC:
			dbv_tool_check(dbv_parse_u64(optarg, SIZE_MAX, &o->max_record), "--max-record");
			break;
		case 'v': o->verbose = 1; break;
		case 'o': o->output = optarg; break;
		case 'f': o->force = 1; break;
		case 'h': dbv_tool_help(usage);
		case O_VERSION: dbv_tool_version(); dbv_tool_exit_ok();
		}
	}
	if (o->merge) {
		if (o->model || o->estimate)
			dbv_tool_usage("--merge takes tables, not --model nor --estimate");
		if (optind == argc)
			dbv_tool_usage("--merge: no tables given");
		o->inputs = argv + optind;
		o->ninputs = argc - optind;
		for (int i = 0; i < o->ninputs; i++) {
			const char *in[] = {"an input", o->inputs[i]};
			dbv_tool_apart("-o", o->output, in, 1);
		}
		return;
	}
	if (optind < argc)
		o->input = argv[optind++];
	if (optind < argc)
		dbv_tool_usage("too many arguments: '%s' (one dataset stream; "
			       "--merge for tables)", argv[optind]);
	if (!o->model)
		dbv_tool_usage("--model FILE is required");
	if (!strcmp(o->model, "-") && (!o->input || !strcmp(o->input, "-")))
		dbv_tool_usage("--model - reads the model from standard input: give the dataset as a FILE");
	if (!o->margins && !o->skips)
		dbv_tool_usage("--no-margins needs --skips N");
	if (o->min_hits > o->directions)
		dbv_tool_usage("--min-hits %d: more than the %d directions", o->min_hits,
			       o->directions);
	if (o->m.ladder && (step_set || tol_set))
		dbv_tool_usage("--ladder and --step/--tol exclude each other");
	if (o->m.ladder)
		o->m.step = o->m.tol = 0;
	else if (o->m.step > o->m.range || o->m.tol > o->m.step)
		dbv_tool_usage("--step %g, --tol %g, --range %g: the tolerance may not "
			       "pass the step, nor the step the range", o->m.step,
			       o->m.tol, o->m.range);
	const char *named[] = {"the input", o->input ? o->input : "-",
			       "--model", o->model};
	dbv_tool_apart("-o", o->output, named, 2);
}

/* Release: what main holds, static so that a refusal's exit leaves it
 * reachable (no leak reports under LeakSanitizer). */
static struct dbv_model model;
static struct dbv_dataset data;
static struct dbv_table tab;
static float *xn;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The margins of the points into the table's margins record. */
static int margins(const struct options *o, struct dbv_classifier *c)
{
	struct dbv_table_margins *m = &tab.mg;
	const size_t D = (size_t)o->directions;
	const size_t max = o->points && o->points < data.n ? (size_t)o->points
							   : (size_t)data.n;
	int64_t *pts = dbv_malloc(max * sizeof *pts + 1);
	int64_t *tgt = dbv_malloc(max * D * sizeof *tgt + 1), np = 0;
	int32_t *lab = dbv_malloc(max * sizeof *lab + 1);
	int32_t *y = dbv_malloc(max * sizeof *y + 1);
	int32_t *yt = dbv_malloc(max * sizeof *yt + 1);
	struct dbv_group_fig g[DBV_MARGIN_GROUPS];
	int fail = !pts || !tgt || !lab || !y || !yt, rc = DBV_EIO;
	const double t0 = now();

	m->n = (int64_t)max;
	if (!fail)
		fail = dbv_table_alloc_record(&tab, "margins") != DBV_OK;
	if (fail ||
	    (rc = dbv_margin_targets(xn, c->dim, data.y, data.n, o->points,
				     o->directions, o->seed, pts, &np, tgt)) ||
	    (rc = dbv_margins(c, xn, pts, (size_t)np, tgt, o->directions,
			      o->min_hits, &o->m, lab, m->margin, m->hits)))
		goto out;
	m->n = np;
	for (int64_t p = 0; p < np; p++) {
		const int64_t i = pts[p];
		y[p] = data.y[i];
		yt[p] = data.y_true[i];
		m->idx[p] = data.idx[i];
		m->y[p] = y[p];
		m->y_true[p] = yt[p] >= 0 ? yt[p] : y[p];
		m->label[p] = lab[p];
	}
	if ((rc = dbv_margin_groups(m->margin, y, yt, (size_t)np, o->bootstrap,
				    o->seed, g)))
		goto out;
	for (int k = 0; k < DBV_MARGIN_GROUPS; k++) {
		m->mean[k] = g[k].mean;
		m->std[k] = g[k].std;
		m->ci95_lo[k] = g[k].lo;
		m->ci95_hi[k] = g[k].hi;
		m->points[k] = g[k].count;
	}
	m->range[0] = o->m.range;
	m->step[0] = o->m.step;
	m->tol[0] = o->m.tol;
	m->ladder[0] = o->m.ladder;
	m->directions[0] = o->directions;
	m->min_hits[0] = o->min_hits;
	m->passes[0] = c->points;
	tab.have_margins = 1;
	if (o->verbose) {
		const double s = now() - t0;
		fprintf(stderr, "dbv-margin: margins: %lld points x %d directions: "
			"%lld forward passes (%.1f a point, %.1f a direction) in "
			"%lld calls, %.3f s: %.1f points/s\n", (long long)np,
			o->directions, (long long)c->points,
			(double)c->points / (double)np,
			(double)c->points / (double)np / o->directions,
			(long long)c->calls, s, (double)np / s);
	}
out:
	free(pts);
	free(tgt);
	free(lab);
	free(y);
	free(yt);
	return rc;
}

/* The class skips of pairs of each class into the skips record. */
static int skips(const struct options *o, struct dbv_classifier *c)
{
	struct dbv_table_skips *s = &tab.sk;
	const size_t room = (size_t)data.nclasses * (size_t)o->skips;
	int64_t *pair = dbv_malloc(3 * room * sizeof *pair + 1), np;
	double *v = NULL;
	struct dbv_group_fig g, gc;
	int fail = !pair, rc = DBV_EIO;

	if (room > 10000000 || room * (size_t)o->skip_res > ((size_t)1 << 28))
		return dbv_seterr(DBV_EUSAGE, "--skips %lld: %zu pairs of %d points "
				  "(10000000 pairs and 2^28 points at most)",
				  (long long)o->skips, room, o->skip_res);
	if (fail || (rc = dbv_skip_pairs(data.y, data.n, data.nclasses, o->skips,
					 o->seed, pair, &np)))
		goto out;
	s->n = np;
	if (!fail)
		fail = dbv_table_alloc_record(&tab, "skips") != DBV_OK;
	v = dbv_calloc(2 * (size_t)np + 1, sizeof *v);
	rc = DBV_EIO;
	if (fail || !v || (rc = dbv_skips(c, xn, pair, np, o->skip_res, s->changes,
				    s->classes)))
		goto out;
	for (int64_t p = 0; p < np; p++) {
		s->a[p] = data.idx[pair[3 * p]];
		s->b[p] = data.idx[pair[3 * p + 1]];
		s->cls[p] = pair[3 * p + 2];
		v[p] = (double)s->changes[p];
		v[np + p] = (double)s->classes[p];
	}
	if ((rc = dbv_group_figures1(v, (size_t)np, o->bootstrap, o->seed, &g)) ||
	    (rc = dbv_group_figures1(v + np, (size_t)np, 0, o->seed, &gc)))
		goto out;
	s->mean[0] = g.mean;
	s->std[0] = g.std;
	s->ci95_lo[0] = g.lo;
	s->ci95_hi[0] = g.hi;
	s->classes_mean[0] = gc.mean;
	s->res[0] = o->skip_res;
	tab.have_skips = 1;
out:
	free(pair);
	free(v);
	return rc;
}

/* Model and data set: the table of one stream. */
static int measure(const struct options *o)
{
	static const struct dbv_dataset_read_opts ropt = {
		.accept = DBV_DATASET_F32 | DBV_DATASET_UNLABELLED,
		.min_classes = 1, .program = "dbv-margin",
	};
	struct dbv_reader *mr = NULL, *r = NULL;
	double mean[4], std[4];
	char desc[160];
	int fd, rc;

	if ((rc = dbv_input_open(o->model, &fd)))
		return rc;
	if (!(mr = dbv_reader_new(fd, o->model)))
		return DBV_EIO;
	if ((rc = dbv_model_read(mr, &model, mean, std)) ||
	    (rc = dbv_reader_expect_end(mr, "dbv-margin")))
		goto out;
	tab.S = 1;
	tab.classes = model.arch.classes;
	if (!(tab.streams = dbv_calloc(1, sizeof *tab.streams)) ||
	    (rc = dbv_pred_model_from_meta(&tab.streams[0].model, dbv_reader_meta(mr),
					   o->model)))
		goto out;
	dbv_pred_model_desc(&tab.streams[0].model, desc, sizeof desc);
	tab.streams[0].file = dbv_strdup(o->model);
	tab.streams[0].desc = dbv_strdup(desc);
	if ((rc = dbv_input_open(o->input, &fd)))
		goto out;
	rc = DBV_EIO;
	if (!(r = dbv_reader_new(fd, o->input ? o->input : "-")) ||
	    !tab.streams[0].file || !tab.streams[0].desc)
		goto out;
	dbv_reader_set_limit(r, (size_t)o->max_record);
	if ((rc = dbv_dataset_read(r, &data, &ropt)) ||
	    (rc = dbv_model_check_data(&model.arch, mean, std, &data, "dataset")))
		goto out;
	const size_t hw = (size_t)data.h * (size_t)data.w, dim = (size_t)data.c * hw;
	rc = DBV_EIO;
	if (!(xn = dbv_amalloc((size_t)data.n * dim * sizeof *xn)) ||
	    (rc = dbv_model_reserve_eval(&model, o->batch)))
		goto out;
	dbv_normalise(data.x, data.dtype, (size_t)data.n, (int)data.c, hw, mean, std, xn);
	struct dbv_classifier c = {dbv_model_classify, &model, dim, o->batch,
				   model.arch.classes, 0, 0};
	struct dbv_margin_job j = {o->margins, o->points, o->directions, o->min_hits,
				   o->seed, o->m, o->skips, o->skip_res};
	struct dbv_estimate e = {.threads = o->threads};
	if (o->estimate && !(rc = dbv_margin_estimate(&c, &model, &data, xn, &j,
						      dbv_tool_estimate_seconds(), &e)))
		dbv_tool_estimate_exit(&e); /* its cost only */
	if (o->estimate)
		goto out;
	if (o->margins && (rc = margins(o, &c)))
		goto out;
	c.points = c.calls = 0;
	if (o->skips)
		rc = skips(o, &c);
out:
	dbv_reader_free(mr);
	dbv_reader_free(r);
	return rc;
}

/* The table to -o or standard output, as a stream or TSV. */
static int write_table(const struct options *o, const struct dbv_table *t)
{
	struct dbv_writer *w;
	int fd, rc;

	if ((rc = dbv_output_open(o->output, !o->tsv, o->force, &fd)))
		return rc;
	if (o->tsv) {
		rc = dbv_table_write_text(fd, t, 0);
	} else {
		if (!(w = dbv_writer_new(fd, "dbv-margin")))
			return DBV_EIO;
		if (!(rc = dbv_table_write(w, t, dbv_tool_argc(), dbv_tool_argv())))
			rc = dbv_writer_finish(w);
		dbv_writer_free(w);
	}
	return rc ? rc : dbv_output_commit();
}

/* --merge: the tables, one after the other. */
static int merge(const struct options *o, struct dbv_table *all)
{
	struct dbv_table *in = dbv_calloc((size_t)o->ninputs, sizeof *in);
	int rc = in ? DBV_OK : DBV_EIO;

	for (int i = 0; i < o->ninputs && !rc; i++) {
		struct dbv_reader *r = NULL;
		int fd = -1;
		if (!(rc = dbv_tool_open_reader(o->inputs[i], NULL, NULL, &fd, &r)) &&
		    !(rc = dbv_table_read(r, &in[i])))
			rc = dbv_reader_expect_end(r, "dbv-margin");
		dbv_reader_free(r);
		if (fd > 0)
			close(fd);
	}
	if (!rc)
		rc = dbv_table_concat(in, o->ninputs, (const char *const *)o->inputs, all);
	if (!rc)
		rc = write_table(o, all);
	dbv_table_concat_release(all);
	for (int i = 0; in && i < o->ninputs; i++)
		dbv_table_release(&in[i]);
	free(in);
	return rc;
}

int main(int argc, char **argv)
{
	static struct options o; /* static: reachable at a refusal's exit */
	int rc;

	dbv_tool_init("dbv-margin", argv);
	parse_options(argc, argv, &o);
	dbv_blas_set_threads(o.threads);
	if (o.merge) {
		struct dbv_table all;
		rc = merge(&o, &all);
	} else if (!(rc = measure(&o))) {
		rc = write_table(&o, &tab);
	}
	if (rc)
		dbv_tool_die(rc);
	dbv_table_release(&tab);
	dbv_dataset_release(&data);
	dbv_model_release(&model);
	dbv_afree(xn);
	return 0;
}
