/*
 * dbv-plane - cut 2-D planes through triplets of images of a dataset
 * stream and write them as a "planes" stream (doc/planes.md).
 *
 *   dbv-plane --ids 3,17,42 [--ids a,b,c ...] [options] [DATASET|-]
 *   dbv-plane --ids-file FILE [options] [DATASET|-]
 *   dbv-plane --triplets N [--seed S] [--same-class [--per-class]]
 *             [--classes LIST] [--mislabeled K] [options] [DATASET|-]
 *
 * Outline: parse options; read the whole dataset into memory; choose the
 * triplets (explicit positions, or drawn by the triplet generator); check
 * every plane's geometry (a refused run writes nothing); then write the
 * header and one "plane" record per triplet -- or, with --expand, the grid
 * points of every plane as a dataset stream.  The geometry lives in
 * lib/study/plane.c, the triplets and anchors in lib/study/triplets.c,
 * the streams in lib/kinds/dataset.c and planes.c.
 *
 * Ids are positions in the input stream (0-based), not the items' idx
 * (their index in the original split, which the plane records carry).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define MAX_RANGE 1000.0

static const char usage[] =
	"usage: dbv-plane (--ids A,B,C | --ids-file FILE | --triplets N) [options] [DATASET|-]\n"
	"Cut planes through triplets of images of a dataset stream; write a\n"
	"\"planes\" stream (or, with --expand, the grid points as a dataset stream).\n"
	"\n"
	"Triplets:\n"
	"      --ids A,B,C        one triplet of stream positions (0-based); repeatable\n"
	"      --ids-file FILE    one triplet \"A,B,C\" a line (# comments, blank lines)\n"
	"      --triplets N       N random triplets of three distinct classes\n"
	"      --seed S           triplet seed (default 0)\n"
	"      --same-class       random triplets of three images of one class\n"
	"      --per-class        with --same-class: N triplets of each class\n"
	"      --classes LIST     draw only images of these classes (by label y)\n"
	"      --mislabeled K     K anchors (0-3) whose label y differs from y_true\n"
	"      --list             print the triplets as A,B,C lines, write no stream\n"
	"Anchors:\n"
	"      --noise MODE       none (default), uniform or shuffle\n"
	"      --noise-seed S     seed of the noise anchors (default 0)\n"
	"Grid:\n"
	"      --res R            points per axis, 2 to 4096 (default 50)\n"
	"      --range X          widen both ends of each axis by X times its extent\n"
	"      --range-l X        ... the low end (default 0.1)\n"
	"      --range-r X        ... the high end (default 0.1)\n"
	"      --expand           write the grid points as a dataset stream\n"
	"Output:\n"
	"  -o, --output FILE      write to FILE (atomically) instead of stdout\n"
	"  -f, --force            write the binary stream to a terminal anyway\n"
	"      --max-record B     refuse input records over B bytes\n"
	"  -h, --help             this text\n"
	"      --version          versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 ok, 2 usage, 3 bad input, 4 I/O error, 5 non-finite numbers.\n";

struct options {
	int64_t *ids;          /* explicit triplets, 3 positions each */
	size_t nids, capids;   /* in triplets                          */
	struct dbv_triplet_opts t; /* t.count 0: explicit ids          */
	int64_t *classes;      /* t.classes, owned                     */
	uint64_t noise_seed;
	int seed_set, noise_seed_set, list, expand, force, per_class;
	enum dbv_anchor_noise noise;
	double range_l, range_r;
	int64_t res;
	const char *input, *out, *ids_file;
	uint64_t max_record;
};

enum {
	OPT_IDS = 256, OPT_IDS_FILE, OPT_TRIPLETS, OPT_SEED, OPT_SAME_CLASS,
	OPT_CLASSES, OPT_MISLABELED, OPT_LIST, OPT_NOISE, OPT_NOISE_SEED,
	OPT_RES, OPT_RANGE, OPT_RANGE_L, OPT_RANGE_R, OPT_EXPAND, OPT_MAXREC,
	OPT_VERSION, OPT_PER_CLASS,
};

/* Append one triplet "a,b,c" (where: the option or file:line). */
static void add_triplet(struct options *o, const char *s, const char *where)
{
	int64_t v[3];

	if (dbv_triplet_parse(s, v))
		dbv_tool_usage("%s: %s", where, dbv_errmsg());
	if (o->nids == o->capids) {
		size_t cap = o->capids ? 2 * o->capids : 16;
		int64_t *p = dbv_realloc(o->ids, cap * 3 * sizeof *p);
		if (!p)
			dbv_tool_die(DBV_EIO);
		o->ids = p;
		o->capids = cap;
	}
	memcpy(o->ids + 3 * o->nids++, v, sizeof v);
}

static void read_ids_file(struct options *o, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL, where[600];
	size_t cap = 0, lineno = 0;
	ssize_t len;

	if (!f) {
		dbv_seterr(DBV_EIO, "--ids-file: cannot open '%s': %s", path,
			   strerror(errno));
		dbv_tool_die(DBV_EIO);
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *s = line, *e = line + len;
		lineno++;
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
				 e[-1] == '\t'))
			*--e = 0;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		snprintf(where, sizeof where, "--ids-file %s:%zu", path, lineno);
		add_triplet(o, s, where);
	}
	if (ferror(f)) {
		dbv_seterr(DBV_EIO, "--ids-file: cannot read '%s'", path);
		dbv_tool_die(DBV_EIO);
	}
	if (f != stdin)
		fclose(f);
	free(line);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"ids", required_argument, NULL, OPT_IDS},
		{"ids-file", required_argument, NULL, OPT_IDS_FILE},
		{"triplets", required_argument, NULL, OPT_TRIPLETS},
		{"seed", required_argument, NULL, OPT_SEED},
		{"same-class", no_argument, NULL, OPT_SAME_CLASS},
		{"per-class", no_argument, NULL, OPT_PER_CLASS},
		{"classes", required_argument, NULL, OPT_CLASSES},
		{"mislabeled", required_argument, NULL, OPT_MISLABELED},
		{"list", no_argument, NULL, OPT_LIST},
		{"noise", required_argument, NULL, OPT_NOISE},
		{"noise-seed", required_argument, NULL, OPT_NOISE_SEED},
		{"res", required_argument, NULL, OPT_RES},
		{"range", required_argument, NULL, OPT_RANGE},
		{"range-l", required_argument, NULL, OPT_RANGE_L},
		{"range-r", required_argument, NULL, OPT_RANGE_R},
		{"expand", no_argument, NULL, OPT_EXPAND},
		{"max-record", required_argument, NULL, OPT_MAXREC},
		{"output", required_argument, NULL, 'o'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{NULL, 0, NULL, 0},
	};
	const char *ids_stdin = NULL;
	int c, have_ids = 0;
	int64_t k;

	memset(o, 0, sizeof *o);
	o->t.mislabeled = -1;
	o->range_l = o->range_r = 0.1;
	o->res = 50;
	o->max_record = DBV_DEFAULT_RECORD_LIMIT;
	while ((c = dbv_tool_getopt(argc, argv, ":o:fh", longopts)) != -1) {
		switch (c) {
		case OPT_IDS: add_triplet(o, optarg, "--ids"); have_ids = 1; break;
		case OPT_IDS_FILE:
			if (!strcmp(optarg, "-"))
				ids_stdin = optarg;
			o->ids_file = optarg;
			read_ids_file(o, optarg);
			have_ids = 1;
			break;
		case OPT_TRIPLETS:
			dbv_tool_check(dbv_parse_i64(optarg, 1, DBV_TRIPLETS_MAX,
						  &o->t.count), "--triplets");
			break;
		case OPT_SEED:
			dbv_tool_check(dbv_parse_u64(optarg, UINT64_MAX, &o->t.seed), "--seed");
			o->seed_set = 1;
			break;
		case OPT_SAME_CLASS: o->t.same_class = 1; break;
		case OPT_PER_CLASS: o->per_class = 1; break;
		case OPT_CLASSES:
			free(o->classes);
			dbv_tool_check(dbv_parse_i64_list(optarg, 0, INT32_MAX,
						       &o->classes, &o->t.nclasses),
				    "--classes");
			o->t.classes = o->classes;
			for (size_t i = 0; i < o->t.nclasses; i++)
				for (size_t j = i + 1; j < o->t.nclasses; j++)
					if (o->classes[i] == o->classes[j])
						dbv_tool_usage("--classes: class %lld is listed twice",
							    (long long)o->classes[i]);
			break;
		case OPT_MISLABELED:
			dbv_tool_check(dbv_parse_i64(optarg, 0, 3, &k), "--mislabeled");
			o->t.mislabeled = (int)k;
			break;
		case OPT_LIST: o->list = 1; break;
		case OPT_NOISE:
			if ((c = dbv_anchor_noise_from_name(optarg)) < 0)
				dbv_tool_usage("--noise: '%s' is not none, uniform or "
					    "shuffle", optarg);
			o->noise = (enum dbv_anchor_noise)c;
			break;
		case OPT_NOISE_SEED:
			dbv_tool_check(dbv_parse_u64(optarg, UINT64_MAX, &o->noise_seed),
				    "--noise-seed");
			o->noise_seed_set = 1;
			break;
		case OPT_RES:
			dbv_tool_check(dbv_parse_i64(optarg, INT64_MIN, INT64_MAX, &o->res),
				    "--res");
			if (o->res < 2)
				dbv_tool_usage("--res %s: a plane needs at least 2 points "
					    "per axis", optarg);
			if (o->res > DBV_PLANE_MAX_RES)
				dbv_tool_usage("--res %s: over %d points per axis (a plane's "
					    "predictions would not fit a record)", optarg,
					    DBV_PLANE_MAX_RES);
			break;
		case OPT_RANGE:
			dbv_tool_check(dbv_parse_double(optarg, 0, MAX_RANGE, &o->range_l),
				    "--range");
			o->range_r = o->range_l;
			break;
		case OPT_RANGE_L:
			dbv_tool_check(dbv_parse_double(optarg, 0, MAX_RANGE, &o->range_l),
				    "--range-l");
			break;
		case OPT_RANGE_R:
			dbv_tool_check(dbv_parse_double(optarg, 0, MAX_RANGE, &o->range_r),
				    "--range-r");
			break;
		case OPT_EXPAND: o->expand = 1; break;
		case OPT_MAXREC:
			dbv_tool_check(dbv_parse_u64(optarg, SIZE_MAX, &o->max_record),
				    "--max-record");
			break;
		case 'o': o->out = optarg; break;
		case 'f': o->force = 1; break;
		case 'h': dbv_tool_help(usage);
		case OPT_VERSION: dbv_tool_version(); dbv_tool_exit_ok();
		}
	}
	if (optind < argc)
		o->input = argv[optind++];
	if (optind < argc)
		dbv_tool_usage("too many arguments: '%s' (one dataset stream)",
			    argv[optind]);

	if (have_ids && o->t.count)
		dbv_tool_usage("--ids/--ids-file and --triplets exclude each other");
	if (!have_ids && !o->t.count)
		dbv_tool_usage("no triplets: give --ids, --ids-file or --triplets N "
			    "(see --help)");
	if (have_ids && o->nids == 0)
		dbv_tool_usage("--ids-file: no triplets in the file");
	if (!o->t.count) {
		const char *need = o->seed_set ? "--seed" :
				   o->t.same_class ? "--same-class" :
				   o->per_class ? "--per-class" :
				   o->classes ? "--classes" :
				   o->t.mislabeled >= 0 ? "--mislabeled" : NULL;
		if (need)
			dbv_tool_usage("%s needs --triplets N", need);
	}
	if (o->per_class && o->t.count && !o->t.same_class)
		dbv_tool_usage("--per-class needs --same-class");
	if (o->noise_seed_set && o->noise == DBV_ANCHOR_IMAGES)
		dbv_tool_usage("--noise-seed needs --noise uniform or shuffle");
	if (o->list && o->expand)
		dbv_tool_usage("--list and --expand exclude each other");
	if (ids_stdin && (!o->input || !strcmp(o->input, "-")))
		dbv_tool_usage("--ids-file - and the dataset cannot both be standard input");
	const char *named[] = {"the input", o->input ? o->input : "-",
			       "--ids-file", o->ids_file};
	dbv_tool_apart("-o", o->out, named, 2);
}

/* The triplets: positions [n][3], *n of them (*out may be o->ids). */
static int choose(const struct options *o, const struct dbv_dataset *d,
		  int64_t **out, size_t *n)
{
	if (!o->t.count) {
		*out = o->ids;
		*n = o->nids;
		return dbv_triplets_check_ids(o->ids, o->nids, d->n);
	}
	if (o->per_class) {
		/* o->t.count of each class: count x classes at most. */
		int64_t nout;
		int rc;
		if (o->t.count > DBV_TRIPLETS_MAX / d->nclasses)
			return dbv_seterr(DBV_EUSAGE, "--per-class: %lld triplets of "
					  "each of %d classes are over %d", (long long)o->t.count,
					  d->nclasses, DBV_TRIPLETS_MAX);
		if (!(*out = dbv_calloc((size_t)(o->t.count * d->nclasses) * 3, sizeof **out)))
			return DBV_EIO;
		rc = dbv_triplets_per_class(d->y, d->y_true, d->n, d->nclasses, &o->t,
					    dbv_triplet_degenerate, (void *)d, *out, &nout);
		*n = (size_t)nout;
		return rc;
	}
	if (!(*out = dbv_calloc((size_t)o->t.count * 3, sizeof **out)))
		return DBV_EIO;
	*n = (size_t)o->t.count;
	return dbv_triplets_draw(d->y, d->y_true, d->n, d->nclasses, &o->t,
				 dbv_triplet_degenerate, (void *)d, *out);
}

static int make_plane(struct dbv_plane *pl, struct dbv_anchors *a,
		      const struct dbv_dataset *d, const struct options *o,
		      const int64_t *pos, size_t plane, struct dbv_rng *rng)
{
	const size_t item = (size_t)(d->c * d->h * d->w);
	int rc;

	dbv_anchors_make(a, d, o->noise, pos, rng);
	rc = dbv_plane_make(pl, a->norm, a->norm + item, a->norm + 2 * item,
			    item, o->range_l, o->range_r, (int)o->res);
	if (rc)
		return dbv_preerr(rc, "plane %zu (stream positions %lld,%lld,%lld%s)",
				  plane, (long long)pos[0], (long long)pos[1],
				  (long long)pos[2],
				  o->noise == DBV_ANCHOR_UNIFORM ? ", uniform noise" :
				  o->noise == DBV_ANCHOR_SHUFFLE ? ", shuffled" : "");
	return DBV_OK;
}

/* --list: "a,b,c" lines. */
static int list_triplets(const struct options *o, const int64_t *t, size_t n)
{
	char line[80];
	int fd, rc;
	if ((rc = dbv_output_open(o->out, 0, 0, &fd)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(line, sizeof line, "%lld,%lld,%lld\n",
				   (long long)t[3 * i], (long long)t[3 * i + 1],
				   (long long)t[3 * i + 2]);
		if ((rc = dbv_write_all(fd, line, (size_t)len)))
			return rc;
	}
	return dbv_output_commit();
}

int main(int argc, char **argv)
{
	static const struct dbv_dataset_read_opts ropt = {
		.accept = DBV_DATASET_F32 | DBV_DATASET_UNLABELLED,
		.min_classes = 1, .program = "dbv-plane",
	};
	struct options o;
	struct dbv_dataset d, pts = {0};
	struct dbv_reader *r;
	struct dbv_writer *w;
	struct dbv_planes_meta pm;
	struct dbv_plane pl;
	struct dbv_anchors a;
	struct dbv_rng nrng;
	int64_t *trip = NULL;
	size_t ntrip = 0;
	int fd, rc;

	dbv_tool_init("dbv-plane", argv);
	parse_options(argc, argv, &o);

	if ((rc = dbv_input_open(o.input, &fd)))
		dbv_tool_die(rc);
	if (!(r = dbv_reader_new(fd, o.input ? o.input : "-")))
		dbv_tool_die(DBV_EIO);
	dbv_reader_set_limit(r, (size_t)o.max_record);
	if ((rc = dbv_dataset_read(r, &d, &ropt)) ||
	    (rc = choose(&o, &d, &trip, &ntrip)))
		dbv_tool_die(rc);
	if (o.list) {
		if ((rc = list_triplets(&o, trip, ntrip)))
			dbv_tool_die(rc);
		goto done;
	}

	/* Check every plane before writing anything. */
	if ((rc = dbv_anchors_init(&a, &d, o.noise)))
		dbv_tool_die(rc);
	dbv_rng_seed(&nrng, o.noise_seed);
	for (size_t i = 0; i < ntrip; i++) {
		if ((rc = make_plane(&pl, &a, &d, &o, trip + 3 * i, i, &nrng)))
			dbv_tool_die(rc);
		dbv_plane_release(&pl);
	}
	if (o.expand && (rc = dbv_planes_points_init(&pts, &d)))
		dbv_tool_die(rc);

	if ((rc = dbv_output_open(o.out, 1, o.force, &fd)))
		dbv_tool_die(rc);
	dbv_pipe_grow(fd);
	if (!(w = dbv_writer_new(fd, "dbv-plane")))
		dbv_tool_die(DBV_EIO);
	pm = (struct dbv_planes_meta){
		.res = (int)o.res, .range_l = o.range_l, .range_r = o.range_r,
		.mode = !o.t.count ? DBV_PLANES_IDS : o.t.same_class ?
			DBV_PLANES_SAME_CLASS : DBV_PLANES_RANDOM,
		.triplet_seed = o.t.seed, .noise = o.noise,
		.noise_seed = o.noise_seed, .mislabeled = o.t.mislabeled,
		.classes = o.classes, .nclasses = o.t.nclasses, .planes = ntrip,
	};
	if ((rc = dbv_planes_write_header(w, r, &pm, o.expand, dbv_tool_argc(), dbv_tool_argv())))
		dbv_tool_die(rc);
	dbv_rng_seed(&nrng, o.noise_seed);
	for (size_t i = 0; i < ntrip; i++) {
		if ((rc = make_plane(&pl, &a, &d, &o, trip + 3 * i, i, &nrng)))
			dbv_tool_die(rc);
		rc = o.expand ? dbv_planes_write_points(w, &pl, &d, i, &pts)
			      : dbv_planes_write_plane(w, i, &pl, &a, &d);
		dbv_plane_release(&pl);
		if (rc)
			dbv_tool_die(rc);
	}
	if ((rc = dbv_writer_finish(w)) || (rc = dbv_output_commit()))
		dbv_tool_die(rc);
	dbv_writer_free(w);
	dbv_anchors_release(&a);
	dbv_dataset_release(&pts);
done:
	dbv_reader_free(r);
	if (trip != o.ids)
		free(trip);
	free(o.ids);
	free(o.classes);
	dbv_dataset_release(&d);
	return 0;
}
