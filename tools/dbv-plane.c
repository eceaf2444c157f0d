/*
 * dbv-plane - cut 2-D planes through triplets of images of a dataset
 * stream and write them as a "planes" stream (doc/planes.md).
 *
 *   dbv-plane --ids 3,17,42 [--ids a,b,c ...] [options] [DATASET|-]
 *   dbv-plane --ids-file FILE [options] [DATASET|-]
 *   dbv-plane --triplets N [--seed S] [--same-class] [--classes LIST]
 *             [--mislabeled K] [options] [DATASET|-]
 *
 * Outline: parse options; read the whole dataset into memory; choose the
 * triplets (explicit positions, or drawn by the triplet generator); check
 * every plane's geometry (a refused run writes nothing); then write the
 * header and one "plane" record per triplet -- or, with --expand, the grid
 * points of every plane as a dataset stream.  The geometry lives in
 * lib/study/plane.c.
 *
 * Ids are positions in the input stream (0-based), not the items' "idx"
 * (their index in the original split, which the plane records carry).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

/* Keep equal to lib/study/plane.c (see there for why 4096). */
#ifndef DBV_PLANE_MAX_RES
#define DBV_PLANE_MAX_RES 4096
#endif
#define MAX_TRIPLETS 1000000
#define MAX_RANGE 1000.0
/* Degenerate random triplets drawn in a row before giving up. */
#define MAX_REDRAWS 1000
/* Points per --expand record: about 1 MiB of f32 pixels. */
#define EXPAND_BYTES ((size_t)1 << 20)

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

enum noise { NOISE_NONE, NOISE_UNIFORM, NOISE_SHUFFLE };
static const char *const noise_names[] = {"none", "uniform", "shuffle"};

struct options {
	int64_t *ids;          /* explicit triplets, 3 positions each */
	size_t nids, capids;   /* in triplets                          */
	int64_t ntriplets;     /* --triplets (0: explicit ids)         */
	uint64_t seed, noise_seed;
	int seed_set, noise_seed_set, same_class, list, expand, force;
	int64_t *classes;
	size_t nclasses;
	int mislabeled;        /* -1: not given                        */
	enum noise noise;
	double range_l, range_r;
	int64_t res;
	const char *input, *out;
	uint64_t max_record;
};

/* The input, whole. */
struct data {
	int64_t n, classes;
	int c, h, w;
	size_t item;           /* c*h*w */
	enum dbv_dtype dt;     /* of x: u8 or f32, pixel units */
	int dt_set;            /* dt comes from the first batch  */
	void *x;
	int32_t *y, *y_true;
	int64_t *idx;
	double mean[4], std[4];
};

enum {
	OPT_IDS = 256, OPT_IDS_FILE, OPT_TRIPLETS, OPT_SEED, OPT_SAME_CLASS,
	OPT_CLASSES, OPT_MISLABELED, OPT_LIST, OPT_NOISE, OPT_NOISE_SEED,
	OPT_RES, OPT_RANGE, OPT_RANGE_L, OPT_RANGE_R, OPT_EXPAND, OPT_MAXREC,
	OPT_VERSION,
};

/* Append one triplet "a,b,c" (where: the option or file:line). */
static void add_triplet(struct options *o, const char *s, const char *where)
{
	int64_t *v;
	size_t n;

	if (dbv_parse_i64_list(s, 0, INT64_MAX, &v, &n))
		dbv_tool_usage("%s: %s", where, dbv_errmsg());
	if (n != 3)
		dbv_tool_usage("%s: '%s' is not a triplet A,B,C", where, s);
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (v[i] == v[j])
				dbv_tool_usage("%s: '%s' names item %lld twice", where, s,
					    (long long)v[i]);
	if (o->nids == o->capids) {
		size_t cap = o->capids ? 2 * o->capids : 16;
		int64_t *p = dbv_realloc(o->ids, cap * 3 * sizeof *p);
		if (!p)
			dbv_tool_die(DBV_EIO);
		o->ids = p;
		o->capids = cap;
	}
	memcpy(o->ids + 3 * o->nids++, v, 3 * sizeof *v);
	free(v);
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
	o->mislabeled = -1;
	o->range_l = o->range_r = 0.1;
	o->res = 50;
	o->max_record = DBV_DEFAULT_RECORD_LIMIT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:fh", longopts, NULL)) != -1) {
		const char *opt = argv[optind - 1];
		switch (c) {
		case OPT_IDS: add_triplet(o, optarg, "--ids"); have_ids = 1; break;
		case OPT_IDS_FILE:
			if (!strcmp(optarg, "-"))
				ids_stdin = optarg;
			read_ids_file(o, optarg);
			have_ids = 1;
			break;
		case OPT_TRIPLETS:
			dbv_tool_check(dbv_parse_i64(optarg, 1, MAX_TRIPLETS,
						  &o->ntriplets), "--triplets");
			break;
		case OPT_SEED:
			dbv_tool_check(dbv_parse_u64(optarg, UINT64_MAX, &o->seed), "--seed");
			o->seed_set = 1;
			break;
		case OPT_SAME_CLASS: o->same_class = 1; break;
		case OPT_CLASSES:
			free(o->classes);
			dbv_tool_check(dbv_parse_i64_list(optarg, 0, INT32_MAX,
						       &o->classes, &o->nclasses),
				    "--classes");
			for (size_t i = 0; i < o->nclasses; i++)
				for (size_t j = i + 1; j < o->nclasses; j++)
					if (o->classes[i] == o->classes[j])
						dbv_tool_usage("--classes: class %lld is listed twice",
							    (long long)o->classes[i]);
			break;
		case OPT_MISLABELED:
			dbv_tool_check(dbv_parse_i64(optarg, 0, 3, &k), "--mislabeled");
			o->mislabeled = (int)k;
			break;
		case OPT_LIST: o->list = 1; break;
		case OPT_NOISE:
			if (!strcmp(optarg, "none")) o->noise = NOISE_NONE;
			else if (!strcmp(optarg, "uniform")) o->noise = NOISE_UNIFORM;
			else if (!strcmp(optarg, "shuffle")) o->noise = NOISE_SHUFFLE;
			else dbv_tool_usage("--noise: '%s' is not none, uniform or shuffle",
					 optarg);
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
		case 'h': fputs(usage, stdout); exit(0);
		case OPT_VERSION: dbv_tool_version(); exit(0);
		case ':': dbv_tool_usage("option '%s' needs a value (see --help)", opt);
		default: dbv_tool_usage("unknown option '%s' (see --help)", opt);
		}
	}
	if (optind < argc)
		o->input = argv[optind++];
	if (optind < argc)
		dbv_tool_usage("too many arguments: '%s' (one dataset stream)",
			    argv[optind]);

	if (have_ids && o->ntriplets)
		dbv_tool_usage("--ids/--ids-file and --triplets exclude each other");
	if (!have_ids && !o->ntriplets)
		dbv_tool_usage("no triplets: give --ids, --ids-file or --triplets N "
			    "(see --help)");
	if (have_ids && o->nids == 0)
		dbv_tool_usage("--ids-file: no triplets in the file");
	if (!o->ntriplets) {
		const char *need = o->seed_set ? "--seed" : o->same_class ? "--same-class" :
				   o->classes ? "--classes" :
				   o->mislabeled >= 0 ? "--mislabeled" : NULL;
		if (need)
			dbv_tool_usage("%s needs --triplets N", need);
	}
	if (o->noise_seed_set && o->noise == NOISE_NONE)
		dbv_tool_usage("--noise-seed needs --noise uniform or shuffle");
	if (o->list && o->expand)
		dbv_tool_usage("--list and --expand exclude each other");
	if (ids_stdin && (!o->input || !strcmp(o->input, "-")))
		dbv_tool_usage("--ids-file - and the dataset cannot both be standard input");
}

/* ---- input ---- */

static int read_header(struct dbv_reader *r, struct data *d)
{
	const dbv_val *meta = dbv_reader_meta(r), *v;
	int64_t shp[3];

	v = dbv_map_get(meta, "shape");
	if (dbv_get_i64(meta, "classes", &d->classes) || d->classes < 1 ||
	    d->classes > 100000 || dbv_val_len(v) != 3 ||
	    dbv_val_i64(dbv_array_at(v, 0), &shp[0]) ||
	    dbv_val_i64(dbv_array_at(v, 1), &shp[1]) ||
	    dbv_val_i64(dbv_array_at(v, 2), &shp[2]) || shp[0] < 1 ||
	    shp[0] > 4 || shp[1] < 1 || shp[1] > 4096 || shp[2] < 1 ||
	    shp[2] > 4096)
		return dbv_seterr(DBV_EINPUT, "%s: the dataset header lacks a "
				  "valid \"shape\" [C,H,W] (C <= 4, H, W <= 4096) "
				  "or \"classes\"", dbv_reader_name(r));
	d->c = (int)shp[0];
	d->h = (int)shp[1];
	d->w = (int)shp[2];
	d->item = (size_t)d->c * (size_t)d->h * (size_t)d->w;
	for (int i = 0; i < d->c; i++) {
		if (dbv_val_double(dbv_array_at(dbv_map_get(meta, "mean"), (size_t)i),
				   &d->mean[i]) ||
		    dbv_val_double(dbv_array_at(dbv_map_get(meta, "std"), (size_t)i),
				   &d->std[i]) ||
		    !isfinite(d->mean[i]) || !isfinite(d->std[i]) || !(d->std[i] > 0))
			return dbv_seterr(DBV_EINPUT, "%s: the dataset header lacks a "
					  "valid per-channel \"mean\" and \"std\"",
					  dbv_reader_name(r));
	}
	return DBV_OK;
}

/* Grow the item arrays of d to hold at least need items. */
static int grow(struct data *d, size_t *cap, size_t need)
{
	size_t nc = *cap ? *cap : 1024, bytes;
	void *p;

	if (need <= *cap)
		return DBV_OK;
	while (nc < need)
		if (dbv_mul_size(nc, 2, &nc))
			return DBV_EINPUT;
	if (dbv_mul_size(nc, d->item * dbv_dtype_size(d->dt), &bytes))
		return DBV_EINPUT;
	if (!(p = dbv_realloc(d->x, bytes)))
		return DBV_EIO;
	d->x = p;
	if (!(p = dbv_realloc(d->y, nc * sizeof *d->y)))
		return DBV_EIO;
	d->y = p;
	if (!(p = dbv_realloc(d->y_true, nc * sizeof *d->y_true)))
		return DBV_EIO;
	d->y_true = p;
	if (!(p = dbv_realloc(d->idx, nc * sizeof *d->idx)))
		return DBV_EIO;
	d->idx = p;
	*cap = nc;
	return DBV_OK;
}

/* One "batch" record: x u8|f32 [b,C,H,W], y i32 [b], optional y_true i32
 * [b] and idx i64 [b] (defaults: y and the stream position). */
static int read_batch(struct data *d, const dbv_val *rec, size_t *cap)
{
	struct dbv_tensor t[4];
	const char *keys[4] = {"x", "y", "y_true", "idx"};
	int64_t b;
	int rc = DBV_OK;

	memset(t, 0, sizeof t);
	for (int k = 0; k < 4; k++) {
		if (k >= 2 && !dbv_map_get(rec, keys[k]))
			continue;
		if ((rc = dbv_get_tensor(rec, keys[k], &t[k])))
			goto out;
	}
	b = t[0].ndim == 4 ? t[0].shape[0] : -1;
	if ((t[0].dtype != DBV_U8 && t[0].dtype != DBV_F32) || b < 0 ||
	    t[0].shape[1] != d->c || t[0].shape[2] != d->h ||
	    t[0].shape[3] != d->w) {
		rc = dbv_seterr(DBV_EINPUT, "\"x\" must be u8 or f32 [b,%d,%d,%d]",
				d->c, d->h, d->w);
		goto out;
	}
	if (!d->dt_set) {
		d->dt = t[0].dtype;
		d->dt_set = 1;
	} else if (t[0].dtype != d->dt) {
		rc = dbv_seterr(DBV_EINPUT, "\"x\" is %s here but %s before",
				dbv_dtype_name(t[0].dtype), dbv_dtype_name(d->dt));
		goto out;
	}
	for (int k = 1; k < 4; k++) {
		enum dbv_dtype want = k == 3 ? DBV_I64 : DBV_I32;
		if (t[k].data && (t[k].dtype != want || t[k].ndim != 1 ||
				  t[k].shape[0] != b)) {
			rc = dbv_seterr(DBV_EINPUT, "\"%s\" must be %s [%lld]", keys[k],
					dbv_dtype_name(want), (long long)b);
			goto out;
		}
	}
	if (b == 0)
		goto out;
	if ((rc = grow(d, cap, (size_t)d->n + (size_t)b)))
		goto out;
	const size_t es = dbv_dtype_size(d->dt);
	if (d->dt == DBV_F32) {
		const float *f = t[0].data;
		for (size_t i = 0; i < (size_t)b * d->item; i++)
			if (!isfinite(f[i])) {
				rc = dbv_seterr(DBV_EINPUT, "\"x\" holds a non-finite value");
				goto out;
			}
	}
	memcpy((char *)d->x + (size_t)d->n * d->item * es, t[0].data, t[0].nbytes);
	for (int64_t i = 0; i < b; i++) {
		const int32_t y = ((const int32_t *)t[1].data)[i];
		const int32_t yt = t[2].data ? ((const int32_t *)t[2].data)[i] : y;
		if (y < -1 || y >= d->classes || yt < -1 || yt >= d->classes) {
			rc = dbv_seterr(DBV_EINPUT, "label %d is out of range "
					"(-1 to %lld)", y < -1 || y >= d->classes ? y : yt,
					(long long)d->classes - 1);
			goto out;
		}
		d->y[d->n + i] = y;
		d->y_true[d->n + i] = yt;
		d->idx[d->n + i] = t[3].data ? ((const int64_t *)t[3].data)[i]
					     : d->n + i;
	}
	d->n += b;
out:
	for (int k = 0; k < 4; k++)
		dbv_tensor_release(&t[k]);
	return rc;
}

static int read_data(struct dbv_reader *r, struct data *d)
{
	const dbv_val *rec;
	size_t cap = 0;
	int rc;

	memset(d, 0, sizeof *d);
	if ((rc = dbv_reader_header(r, "dataset", NULL)) ||
	    (rc = read_header(r, d)))
		return rc;
	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
		if (!dbv_record_is(rec, "batch"))
			continue;
		if ((rc = read_batch(d, rec, &cap)))
			return dbv_preerr(rc, "%s: record %llu", dbv_reader_name(r),
					  (unsigned long long)dbv_reader_record_no(r));
	}
	if (rc != DBV_END)
		return rc;
	if ((rc = dbv_reader_expect_end(r, "dbv-plane")))
		return rc;
	if (d->n == 0)
		return dbv_seterr(DBV_EINPUT, "%s: the dataset is empty",
				  dbv_reader_name(r));
	return DBV_OK;
}

/* ---- triplets ---- */

/*
 * Pools of stream positions to draw from.  Without --mislabeled one pool
 * (type 1) holds every labelled item (y >= 0) of the --classes; with it,
 * type 0 holds the mislabeled ones (y != y_true) and type 1 the correctly
 * labelled ones (y == y_true).  Anchor k draws from type 0 when k < K,
 * else from type 1.  Each pool is kept in stream order (all) and grouped
 * by label y (bycls, offsets off[class]).
 */
struct pools {
	int64_t *all[2], nall[2];
	int64_t *bycls[2], *off[2];
	int64_t *cnt[2];     /* items per class (= off[c+1] - off[c]) */
	int64_t ncls[2];     /* classes with at least one item        */
	int64_t nunion;      /* classes with items in either pool     */
	int k;               /* anchors drawn from pool 0             */
};

static void pools_release(struct pools *p)
{
	for (int t = 0; t < 2; t++) {
		free(p->all[t]);
		free(p->bycls[t]);
		free(p->off[t]);
	}
}

static int pools_build(struct pools *p, const struct data *d,
		       const struct options *o)
{
	uint8_t *want = NULL;
	const size_t nc = (size_t)d->classes;

	memset(p, 0, sizeof *p);
	p->k = o->mislabeled > 0 ? o->mislabeled : 0;
	if (o->classes) {
		if (!(want = dbv_calloc(nc, 1)))
			return DBV_EIO;
		for (size_t i = 0; i < o->nclasses; i++) {
			if (o->classes[i] >= d->classes) {
				free(want);
				return dbv_seterr(DBV_EUSAGE, "--classes: class %lld is "
						  "out of range (the stream has %lld "
						  "classes)", (long long)o->classes[i],
						  (long long)d->classes);
			}
			want[o->classes[i]] = 1;
		}
	}
	for (int t = 0; t < 2; t++) {
		p->all[t] = dbv_calloc((size_t)d->n, sizeof **p->all);
		p->bycls[t] = dbv_calloc((size_t)d->n, sizeof **p->bycls);
		p->off[t] = dbv_calloc(2 * nc + 1, sizeof **p->off);
		if (!p->all[t] || !p->bycls[t] || !p->off[t]) {
			free(want);
			return DBV_EIO;
		}
		p->cnt[t] = p->off[t] + nc + 1;
	}
	for (int64_t i = 0; i < d->n; i++) {
		const int32_t y = d->y[i];
		int t = 1;
		if (y < 0 || (want && !want[y]))
			continue;
		if (o->mislabeled >= 0) {
			if (d->y_true[i] < 0)
				continue;
			t = y != d->y_true[i] ? 0 : 1;
		}
		p->all[t][p->nall[t]++] = i;
		p->cnt[t][y]++;
	}
	for (int t = 0; t < 2; t++) {
		int64_t *fill = p->off[t];
		for (size_t c = 0; c < nc; c++) {
			p->off[t][c + 1] = p->off[t][c] + p->cnt[t][c];
			p->ncls[t] += p->cnt[t][c] > 0;
		}
		/* Counting sort of the pool by class, stream order within. */
		int64_t *pos = dbv_calloc(nc, sizeof *pos);
		if (!pos) {
			free(want);
			return DBV_EIO;
		}
		memcpy(pos, fill, nc * sizeof *pos);
		for (int64_t j = 0; j < p->nall[t]; j++) {
			const int64_t i = p->all[t][j];
			p->bycls[t][pos[d->y[i]]++] = i;
		}
		free(pos);
	}
	for (size_t c = 0; c < nc; c++)
		p->nunion += p->cnt[0][c] > 0 || p->cnt[1][c] > 0;
	free(want);
	return DBV_OK;
}

/*
 * Can r0 anchors from pool 0 and r1 from pool 1 still get distinct
 * classes, none of the n taken ones?  Hall's condition for two kinds of
 * slots: each pool has enough classes left, and so do both together.
 */
static int feasible(const struct pools *p, int r0, int r1,
		    const int32_t *taken, int n)
{
	int64_t left[2] = {p->ncls[0], p->ncls[1]}, u = p->nunion;
	for (int i = 0; i < n; i++) {
		const int32_t c = taken[i];
		left[0] -= p->cnt[0][c] > 0;
		left[1] -= p->cnt[1][c] > 0;
		u -= p->cnt[0][c] > 0 || p->cnt[1][c] > 0;
	}
	return (r0 == 0 || left[0] >= r0) && (r1 == 0 || left[1] >= r1) &&
	       u >= r0 + r1;
}

/*
 * Three images of three distinct classes (by label y).  Anchor k = 0, 1,
 * 2 in turn: draw i = pool[below(size)] until i's class is not among the
 * anchors already drawn and the remaining anchors can still get distinct
 * classes.  Without --mislabeled (one pool) the second condition always
 * holds and this is the paper's procedure.
 */
static void draw_distinct(const struct pools *p, const struct data *d,
			  struct dbv_rng *rng, int64_t *out)
{
	int32_t taken[3];
	for (int k = 0; k < 3; k++) {
		const int t = k < p->k ? 0 : 1;
		const int r0 = p->k > k + 1 ? p->k - k - 1 : 0, r1 = 2 - k - r0;
		for (;;) {
			const int64_t i = p->all[t][dbv_rng_below(rng, (uint64_t)p->nall[t])];
			int ok = 1;
			for (int j = 0; j < k; j++)
				ok &= d->y[i] != taken[j];
			if (!ok)
				continue;
			taken[k] = d->y[i];
			if (!feasible(p, r0, r1, taken, k + 1))
				continue;
			out[k] = i;
			break;
		}
	}
}

/*
 * Three images of one class: the class c = eligible[below(n_eligible)],
 * eligible being the classes, ascending, with at least K mislabeled and
 * 3-K correctly labelled items (without --mislabeled: 3 items); then
 * anchor k = 0, 1, 2: i = (pool of k, class c)[below(size)], drawn again
 * while i is an anchor already.
 */
static void draw_same(const struct pools *p, const int64_t *elig,
		      int64_t nelig, struct dbv_rng *rng, int64_t *out)
{
	const int64_t c = elig[dbv_rng_below(rng, (uint64_t)nelig)];
	for (int k = 0; k < 3; k++) {
		const int t = k < p->k ? 0 : 1;
		const int64_t *list = p->bycls[t] + p->off[t][c];
		const uint64_t n = (uint64_t)p->cnt[t][c];
		for (;;) {
			const int64_t i = list[dbv_rng_below(rng, n)];
			if ((k > 0 && i == out[0]) || (k > 1 && i == out[1]))
				continue;
			out[k] = i;
			break;
		}
	}
}

/*
 * Whether the images at pos are duplicates or collinear once normalised,
 * as dbv_plane_make decides (norm: scratch of 3 items).
 */
static int degenerate(const struct data *d, const int64_t *pos, float *norm,
		      int *bad)
{
	const size_t es = dbv_dtype_size(d->dt), hw = (size_t)d->h * (size_t)d->w;
	struct dbv_plane pl;
	int rc;

	for (int k = 0; k < 3; k++)
		dbv_normalise((const char *)d->x + (size_t)pos[k] * d->item * es,
			      d->dt, 1, d->c, hw, d->mean, d->std,
			      norm + k * d->item);
	rc = dbv_plane_make(&pl, norm, norm + d->item, norm + 2 * d->item,
			    d->item, 0, 0, 2);
	*bad = rc == DBV_EINPUT;
	if (rc == DBV_OK)
		dbv_plane_release(&pl);
	return rc == DBV_EINPUT ? DBV_OK : rc;
}

/*
 * The triplets: positions [n][3], *n of them.  Random triplets whose
 * images are duplicates or collinear are drawn again (from the same
 * generator); MAX_REDRAWS in a row end the run.
 */
static int choose(const struct options *o, const struct data *d,
		  int64_t **out, size_t *n)
{
	struct pools p;
	struct dbv_rng rng;
	int64_t *t = NULL, *elig = NULL, nelig = 0;
	float *norm = NULL;
	int rc;

	if (!o->ntriplets) {
		for (size_t i = 0; i < 3 * o->nids; i++)
			if (o->ids[i] >= d->n)
				return dbv_seterr(DBV_EUSAGE, "triplet %zu: id %lld is "
						  "out of range (ids are stream "
						  "positions 0 to %lld)", i / 3,
						  (long long)o->ids[i],
						  (long long)d->n - 1);
		*out = o->ids;
		*n = o->nids;
		return DBV_OK;
	}
	if ((rc = pools_build(&p, d, o)))
		goto fail;
	const int k = p.k;
	if (o->same_class) {
		if (!(elig = dbv_calloc((size_t)d->classes, sizeof *elig))) {
			rc = DBV_EIO;
			goto fail;
		}
		for (int64_t c = 0; c < d->classes; c++)
			if (p.cnt[0][c] >= k && p.cnt[1][c] >= 3 - k)
				elig[nelig++] = c;
		if (nelig == 0) {
			rc = o->mislabeled < 0 ?
				dbv_seterr(DBV_EUSAGE, "--same-class: no class has "
					   "three items to draw from") :
				dbv_seterr(DBV_EUSAGE, "--same-class --mislabeled %d: "
					   "no class has %d mislabeled and %d correctly "
					   "labelled items", k, k, 3 - k);
			goto fail;
		}
	} else if (!feasible(&p, k, 3 - k, NULL, 0)) {
		if (o->mislabeled < 0)
			rc = dbv_seterr(DBV_EUSAGE, "fewer than three classes to draw "
					"distinct-class triplets from (%lld)",
					(long long)p.ncls[1]);
		else
			rc = dbv_seterr(DBV_EUSAGE, "--mislabeled %d: too few items "
					"for %d mislabeled and %d correctly labelled "
					"anchors of distinct classes (%lld mislabeled "
					"items in %lld classes, %lld correctly labelled "
					"in %lld)", k, k, 3 - k, (long long)p.nall[0],
					(long long)p.ncls[0], (long long)p.nall[1],
					(long long)p.ncls[1]);
		goto fail;
	}
	t = dbv_calloc((size_t)o->ntriplets * 3, sizeof *t);
	norm = dbv_amalloc(3 * d->item * sizeof *norm);
	if (!t || !norm) {
		rc = DBV_EIO;
		goto fail;
	}
	dbv_rng_seed(&rng, o->seed);
	for (int64_t i = 0; i < o->ntriplets; i++) {
		int bad = 1;
		for (int tries = 0; bad; tries++) {
			if (tries == MAX_REDRAWS) {
				rc = dbv_seterr(DBV_EINPUT, "triplet %lld: %d triplets "
						"in a row were duplicates or collinear "
						"images", (long long)i, MAX_REDRAWS);
				goto fail;
			}
			if (o->same_class)
				draw_same(&p, elig, nelig, &rng, t + 3 * i);
			else
				draw_distinct(&p, d, &rng, t + 3 * i);
			if ((rc = degenerate(d, t + 3 * i, norm, &bad)))
				goto fail;
		}
	}
	*out = t;
	t = NULL;
	*n = (size_t)o->ntriplets;
	rc = DBV_OK;
fail:
	free(t);
	dbv_afree(norm);
	free(elig);
	pools_release(&p);
	return rc;
}

/* ---- anchors and planes ---- */

struct anchors {
	enum dbv_dtype dt;  /* of px: the data's, f32 with --noise */
	void *px;           /* [3, item], pixel units                */
	float *norm;        /* [3, item], normalised                 */
	int64_t *perm;      /* [h*w], for --noise shuffle            */
	int64_t idx[3];
	int32_t y[3], y_true[3];
};

static int anchors_init(struct anchors *a, const struct data *d,
			const struct options *o)
{
	memset(a, 0, sizeof *a);
	a->dt = o->noise != NOISE_NONE ? DBV_F32 : d->dt;
	a->px = dbv_amalloc(3 * d->item * dbv_dtype_size(a->dt));
	a->norm = dbv_amalloc(3 * d->item * sizeof *a->norm);
	a->perm = dbv_malloc((size_t)d->h * (size_t)d->w * sizeof *a->perm);
	return a->px && a->norm && a->perm ? DBV_OK : DBV_EIO;
}

static void anchors_release(struct anchors *a)
{
	dbv_afree(a->px);
	dbv_afree(a->norm);
	free(a->perm);
}

static float pixel(const struct data *d, int64_t i, size_t q)
{
	if (d->dt == DBV_U8)
		return ((const uint8_t *)d->x)[(size_t)i * d->item + q];
	return ((const float *)d->x)[(size_t)i * d->item + q];
}

/*
 * The anchors of one triplet, in pixel units and normalised.  Noise
 * anchors draw from rng, anchor by anchor: uniform: item values
 * 255*float() in C order; shuffle: one permutation of the h*w pixel
 * positions (shuffle() of 0..h*w-1), the same for every channel, and
 * value (ch, q) = image (ch, perm[q]).  Noise anchors have idx, y and
 * y_true -1.
 */
static void make_anchors(struct anchors *a, const struct data *d,
			 const struct options *o, const int64_t *pos,
			 struct dbv_rng *rng)
{
	const size_t hw = (size_t)d->h * (size_t)d->w;
	for (int k = 0; k < 3; k++) {
		const int64_t i = pos[k];
		if (o->noise == NOISE_NONE) {
			const size_t es = dbv_dtype_size(d->dt);
			memcpy((char *)a->px + k * d->item * es,
			       (const char *)d->x + (size_t)i * d->item * es,
			       d->item * es);
			a->idx[k] = d->idx[i];
			a->y[k] = d->y[i];
			a->y_true[k] = d->y_true[i];
			continue;
		}
		float *f = (float *)a->px + k * d->item;
		if (o->noise == NOISE_UNIFORM) {
			for (size_t q = 0; q < d->item; q++)
				f[q] = dbv_rng_float(rng) * 255.0f;
		} else {
			for (size_t q = 0; q < hw; q++)
				a->perm[q] = (int64_t)q;
			dbv_rng_shuffle_i64(rng, a->perm, hw);
			for (int ch = 0; ch < d->c; ch++)
				for (size_t q = 0; q < hw; q++)
					f[ch * hw + q] = pixel(d, i, ch * hw +
							       (size_t)a->perm[q]);
		}
		a->idx[k] = -1;
		a->y[k] = a->y_true[k] = -1;
	}
	dbv_normalise(a->px, a->dt, 3, d->c, hw, d->mean, d->std, a->norm);
}

static int make_plane(struct dbv_plane *pl, struct anchors *a,
		      const struct data *d, const struct options *o,
		      const int64_t *pos, size_t plane, struct dbv_rng *rng)
{
	int rc;
	make_anchors(a, d, o, pos, rng);
	rc = dbv_plane_make(pl, a->norm, a->norm + d->item, a->norm + 2 * d->item,
			    d->item, o->range_l, o->range_r, (int)o->res);
	if (rc)
		return dbv_preerr(rc, "plane %zu (stream positions %lld,%lld,%lld%s)",
				  plane, (long long)pos[0], (long long)pos[1],
				  (long long)pos[2],
				  o->noise == NOISE_UNIFORM ? ", uniform noise" :
				  o->noise == NOISE_SHUFFLE ? ", shuffled" : "");
	return DBV_OK;
}

/* ---- output ---- */

/* Keys this tool writes into the header meta; input keys of these names
 * are not copied. */
static const char *const own_keys[] = {
	"res", "range_l", "range_r", "triplet_seed", "mode", "anchor_noise",
	"anchor_noise_seed", "mislabeled", "triplet_classes", "planes",
	"n", "expanded_from",
};
#define N_PLANE_KEYS 10 /* the first ten; --expand adds "n", "expanded_from" */

static int is_own(const dbv_val *key, int nkeys)
{
	for (int i = 0; i < nkeys; i++)
		if (dbv_val_is(key, own_keys[i]))
			return 1;
	return 0;
}

static int write_header(struct dbv_writer *w, struct dbv_reader *r,
			const struct options *o, size_t nplanes, int argc,
			char **argv)
{
	const dbv_val *meta = dbv_reader_meta(r);
	const int nkeys = o->expand ? N_PLANE_KEYS + 2 : N_PLANE_KEYS;
	size_t ncopy = 0;

	for (size_t i = 0; i < dbv_val_len(meta); i++)
		ncopy += !is_own(dbv_map_key(meta, i), nkeys);
	dbv_writer_header_begin(w, o->expand ? "dataset" : "planes",
				dbv_reader_pipeline(r), argc, argv,
				ncopy + (size_t)nkeys);
	for (size_t i = 0; i < dbv_val_len(meta); i++) {
		if (is_own(dbv_map_key(meta, i), nkeys))
			continue;
		dbv_w_val(w, dbv_map_key(meta, i));
		dbv_w_val(w, dbv_map_value(meta, i));
	}
	dbv_w_key(w, "res"); dbv_w_i64(w, o->res);
	dbv_w_key(w, "range_l"); dbv_w_f64(w, o->range_l);
	dbv_w_key(w, "range_r"); dbv_w_f64(w, o->range_r);
	dbv_w_key(w, "triplet_seed");
	o->ntriplets ? dbv_w_u64(w, o->seed) : dbv_w_nil(w);
	dbv_w_key(w, "mode");
	dbv_w_str(w, !o->ntriplets ? "ids" : o->same_class ? "same-class" : "random");
	dbv_w_key(w, "anchor_noise"); dbv_w_str(w, noise_names[o->noise]);
	dbv_w_key(w, "anchor_noise_seed");
	o->noise != NOISE_NONE ? dbv_w_u64(w, o->noise_seed) : dbv_w_nil(w);
	dbv_w_key(w, "mislabeled");
	o->mislabeled >= 0 ? dbv_w_i64(w, o->mislabeled) : dbv_w_nil(w);
	dbv_w_key(w, "triplet_classes");
	o->classes ? dbv_w_i64_array(w, o->classes, o->nclasses) : dbv_w_nil(w);
	dbv_w_key(w, "planes"); dbv_w_u64(w, nplanes);
	if (o->expand) {
		dbv_w_key(w, "n");
		dbv_w_i64(w, (int64_t)nplanes * o->res * o->res);
		dbv_w_key(w, "expanded_from"); dbv_w_str(w, "planes");
	}
	return dbv_writer_header_end(w);
}

static int write_plane(struct dbv_writer *w, const struct dbv_plane *pl,
		       const struct anchors *a, const struct data *d,
		       size_t plane)
{
	const int64_t item[3] = {d->c, d->h, d->w};
	const int64_t three[4] = {3, d->c, d->h, d->w}, cs[2] = {3, 2}, rs[1] = {4};

	dbv_writer_record_begin(w, "plane", 11);
	dbv_w_key(w, "plane"); dbv_w_u64(w, plane);
	dbv_w_key(w, "origin"); dbv_w_tensor_raw(w, DBV_F32, 3, item, pl->origin);
	dbv_w_key(w, "u"); dbv_w_tensor_raw(w, DBV_F32, 3, item, pl->u);
	dbv_w_key(w, "v"); dbv_w_tensor_raw(w, DBV_F32, 3, item, pl->v);
	dbv_w_key(w, "anchors"); dbv_w_tensor_raw(w, a->dt, 4, three, a->px);
	dbv_w_key(w, "idx"); dbv_w_tensor_raw(w, DBV_I64, 1, three, a->idx);
	dbv_w_key(w, "y"); dbv_w_tensor_raw(w, DBV_I32, 1, three, a->y);
	dbv_w_key(w, "y_true"); dbv_w_tensor_raw(w, DBV_I32, 1, three, a->y_true);
	dbv_w_key(w, "coords"); dbv_w_tensor_raw(w, DBV_F64, 2, cs, pl->coords);
	dbv_w_key(w, "res"); dbv_w_i64(w, pl->res);
	dbv_w_key(w, "range"); dbv_w_tensor_raw(w, DBV_F64, 1, rs, pl->range);
	return dbv_writer_record_end(w);
}

/* --expand: the plane's res*res points, in pixel units, records of about
 * 1 MiB; buf holds [per, item] floats, lab and idx per entries. */
static int write_points(struct dbv_writer *w, const struct dbv_plane *pl,
			const struct data *d, size_t plane, size_t per,
			float *buf, int32_t *lab, int64_t *idx)
{
	const size_t total = (size_t)pl->res * (size_t)pl->res;
	const size_t hw = (size_t)d->h * (size_t)d->w;
	int rc;

	for (size_t k = 0; k < total; k += per) {
		const size_t b = total - k < per ? total - k : per;
		const int64_t xs[4] = {(int64_t)b, d->c, d->h, d->w}, ys[1] = {(int64_t)b};
		dbv_plane_points(pl, k, b, buf);
		for (size_t t = 0; t < b; t++) {
			for (int ch = 0; ch < d->c; ch++) {
				float *p = buf + t * d->item + ch * hw;
				for (size_t q = 0; q < hw; q++)
					p[q] = (float)(((double)p[q] * d->std[ch] +
							d->mean[ch]) * 255.0);
			}
			lab[t] = -1;
			idx[t] = (int64_t)(plane * total + k + t);
		}
		dbv_writer_record_begin(w, "batch", 4);
		dbv_w_key(w, "x"); dbv_w_tensor_raw(w, DBV_F32, 4, xs, buf);
		dbv_w_key(w, "y"); dbv_w_tensor_raw(w, DBV_I32, 1, ys, lab);
		dbv_w_key(w, "y_true"); dbv_w_tensor_raw(w, DBV_I32, 1, ys, lab);
		dbv_w_key(w, "idx"); dbv_w_tensor_raw(w, DBV_I64, 1, ys, idx);
		if ((rc = dbv_writer_record_end(w)))
			return rc;
	}
	return DBV_OK;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t k = write(fd, s, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return dbv_seterr(DBV_EIO, "write error: %s", strerror(errno));
		s += k;
		n -= (size_t)k;
	}
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
		if ((rc = write_all(fd, line, (size_t)len)))
			return rc;
	}
	return dbv_output_commit();
}

int main(int argc, char **argv)
{
	struct options o;
	struct data d;
	struct dbv_reader *r;
	struct dbv_writer *w;
	struct dbv_plane pl;
	struct anchors a;
	struct dbv_rng nrng;
	int64_t *trip = NULL;
	size_t ntrip = 0, per = 0;
	float *buf = NULL;
	int32_t *lab = NULL;
	int64_t *eidx = NULL;
	char **args;
	int fd, rc;

	dbv_tool_init("dbv-plane", argv);
	/* getopt_long permutes argv; the header records the command as typed. */
	if (!(args = dbv_calloc((size_t)argc + 1, sizeof *args)))
		dbv_tool_die(DBV_EIO);
	memcpy(args, argv, (size_t)argc * sizeof *args);
	parse_options(argc, argv, &o);

	if ((rc = dbv_input_open(o.input, &fd)))
		dbv_tool_die(rc);
	if (!(r = dbv_reader_new(fd, o.input ? o.input : "-")))
		dbv_tool_die(DBV_EIO);
	dbv_reader_set_limit(r, (size_t)o.max_record);
	if ((rc = read_data(r, &d)) || (rc = choose(&o, &d, &trip, &ntrip)))
		dbv_tool_die(rc);
	if (o.list) {
		if ((rc = list_triplets(&o, trip, ntrip)))
			dbv_tool_die(rc);
		goto done;
	}

	/* Check every plane before writing anything. */
	if ((rc = anchors_init(&a, &d, &o)))
		dbv_tool_die(rc);
	dbv_rng_seed(&nrng, o.noise_seed);
	for (size_t i = 0; i < ntrip; i++) {
		if ((rc = make_plane(&pl, &a, &d, &o, trip + 3 * i, i, &nrng)))
			dbv_tool_die(rc);
		dbv_plane_release(&pl);
	}
	if (o.expand) {
		per = EXPAND_BYTES / (d.item * sizeof(float));
		if (per == 0)
			per = 1;
		buf = dbv_amalloc(per * d.item * sizeof *buf);
		lab = dbv_malloc(per * sizeof *lab);
		eidx = dbv_malloc(per * sizeof *eidx);
		if (!buf || !lab || !eidx)
			dbv_tool_die(DBV_EIO);
	}

	if ((rc = dbv_output_open(o.out, 1, o.force, &fd)))
		dbv_tool_die(rc);
	dbv_pipe_grow(fd);
	if (!(w = dbv_writer_new(fd, "dbv-plane")))
		dbv_tool_die(DBV_EIO);
	if ((rc = write_header(w, r, &o, ntrip, argc, args)))
		dbv_tool_die(rc);
	dbv_rng_seed(&nrng, o.noise_seed);
	for (size_t i = 0; i < ntrip; i++) {
		if ((rc = make_plane(&pl, &a, &d, &o, trip + 3 * i, i, &nrng)))
			dbv_tool_die(rc);
		rc = o.expand ? write_points(w, &pl, &d, i, per, buf, lab, eidx)
			      : write_plane(w, &pl, &a, &d, i);
		dbv_plane_release(&pl);
		if (rc)
			dbv_tool_die(rc);
	}
	if ((rc = dbv_writer_finish(w)) || (rc = dbv_output_commit()))
		dbv_tool_die(rc);
	dbv_writer_free(w);
	anchors_release(&a);
	dbv_afree(buf);
	free(lab);
	free(eidx);
done:
	dbv_reader_free(r);
	if (trip != o.ids)
		free(trip);
	free(o.ids);
	free(o.classes);
	free(d.x);
	free(d.y);
	free(d.y_true);
	free(d.idx);
	free(args);
	return 0;
}
