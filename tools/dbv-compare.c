/*
 * dbv-compare - the paper's numbers from two or more pred streams of the
 * same planes (or the same dataset): reproducibility (agreement) per pair
 * and per group, per-class IoU, fragmentation, accuracy and churn.
 *
 *   dbv-compare --group cnn=a1.dbv,a2.dbv --group mlp=b1.dbv,b2.dbv --tsv
 *
 * Outline: parse options; read every stream fully (labels only, plus a
 * fingerprint of each plane's geometry) and check that they cover the same
 * planes; compute; write a table stream, or TSV/JSON text.  Exit 0 when it
 * computed: disagreement between models is a result, not an error.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static const char usage[] =
	"usage: dbv-compare [options] FILE FILE...\n"
	"       dbv-compare [options] --group NAME=FILE,FILE... [--group ...]\n"
	"Compare pred streams of the same planes (or the same dataset).\n"
	"\n"
	"  -g, --group NAME=FILES  a group of streams (e.g. one architecture's seeds);\n"
	"                          gives the group x group agreement matrix\n"
	"      --fragmentation     count the regions of every plane\n"
	"      --bootstrap N       resamples for the 95%% intervals (default 1000)\n"
	"      --seed S            bootstrap seed (default 0)\n"
	"      --tsv               tab-separated text instead of a table stream\n"
	"      --json              one JSON object instead of a table stream\n"
	"  -o, --output FILE       write to FILE (atomically) instead of stdout\n"
	"  -f, --force             write the binary stream to a terminal anyway\n"
	"      --max-record B      refuse input records over B bytes\n"
	"  -h, --help              this text\n"
	"      --version           versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 computed, 2 usage, 3 bad or mismatched input, 4 I/O error.\n";

struct stream {
	char *file, *group;
	int gi;                 /* group index */
	char *desc;             /* "arch w=K seed=S" */
	const dbv_val *model;   /* the header's "model" map (reader kept) */
	struct dbv_reader *r;
	int fd;
	int64_t n;              /* planes, or items */
	int32_t *labels;        /* planes: n*res*res; dataset: n */
	int32_t *y, *y_true;    /* dataset only */
	int64_t *idx;           /* dataset: the items' indices (when given) */
	int no_idx;             /* some record had no idx */
	uint32_t *geom;         /* planes: a fingerprint per plane */
};

struct options {
	int fragmentation, tsv, json, force, bootstrap;
	uint64_t seed, max_record;
	const char *output;
	int ngroups;
	char **gnames;
	int nstreams;
	struct stream *s;
};

struct results {
	int planes_input;
	int64_t nplanes, res, classes, items;
	int npairs;
	int *pi, *pj;
	double *agree;          /* [npairs, nplanes] (planes) */
	double *pmean, *pstd, *plo, *phi, *piou;
	double *gmean, *gstd, *glo, *ghi, *giou; /* [G,G] */
	int64_t *gpairs;
	double *frag;           /* [S, nplanes] */
	double *fmean, *fstd;
	double *acc, *acc_true, *churn; /* dataset */
};

static void add_stream(struct options *o, const char *file, const char *group,
		       int gi)
{
	struct stream *s = dbv_realloc(o->s, (size_t)(o->nstreams + 1) * sizeof *s);
	if (!s)
		dbv_tool_die(DBV_EIO);
	o->s = s;
	s = &o->s[o->nstreams++];
	memset(s, 0, sizeof *s);
	s->file = dbv_strdup(file);
	s->group = group ? dbv_strdup(group) : NULL;
	s->gi = gi;
}

static void parse_group(struct options *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *name, *files, *tok, *save;
	if (!eq || eq == arg || !eq[1]) {
		dbv_tool_error("--group: '%s' is not NAME=FILE,FILE...", arg);
		exit(DBV_EUSAGE);
	}
	name = strndup(arg, (size_t)(eq - arg));
	files = dbv_strdup(eq + 1);
	char **g = dbv_realloc(o->gnames, (size_t)(o->ngroups + 1) * sizeof *g);
	if (!name || !files || !g)
		dbv_tool_die(DBV_EIO);
	o->gnames = g;
	for (int i = 0; i < o->ngroups; i++)
		if (!strcmp(g[i], name)) {
			dbv_tool_error("--group: the name '%s' is used twice", name);
			exit(DBV_EUSAGE);
		}
	g[o->ngroups] = name;
	int before = o->nstreams;
	for (tok = strtok_r(files, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		add_stream(o, tok, name, o->ngroups);
	if (o->nstreams == before) {
		dbv_tool_error("--group: '%s' names no streams", arg);
		exit(DBV_EUSAGE);
	}
	o->ngroups++;
	free(files);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { O_FRAG = 256, O_BOOT, O_SEED, O_TSV, O_JSON, O_MAXREC, O_VERSION };
	static const struct option lo[] = {
		{"group", 1, NULL, 'g'}, {"fragmentation", 0, NULL, O_FRAG},
		{"bootstrap", 1, NULL, O_BOOT}, {"seed", 1, NULL, O_SEED},
		{"tsv", 0, NULL, O_TSV}, {"json", 0, NULL, O_JSON},
		{"output", 1, NULL, 'o'}, {"force", 0, NULL, 'f'},
		{"max-record", 1, NULL, O_MAXREC}, {"help", 0, NULL, 'h'},
		{"version", 0, NULL, O_VERSION}, {NULL, 0, NULL, 0},
	};
	int c;
	int64_t v;

	memset(o, 0, sizeof *o);
	o->bootstrap = 1000;
	o->max_record = DBV_DEFAULT_RECORD_LIMIT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":g:o:fh", lo, NULL)) != -1) {
		const char *opt = dbv_tool_optname(argv, optind, optarg);
		switch (c) {
		case 'g': parse_group(o, optarg); break;
		case O_FRAG: o->fragmentation = 1; break;
		case O_BOOT:
			if (dbv_parse_i64(optarg, 0, 1000000, &v)) dbv_tool_bad_value(opt);
			o->bootstrap = (int)v;
			break;
		case O_SEED:
			if (dbv_parse_u64(optarg, UINT64_MAX, &o->seed)) dbv_tool_bad_value(opt);
			break;
		case O_TSV: o->tsv = 1; break;
		case O_JSON: o->json = 1; break;
		case O_MAXREC:
			if (dbv_parse_u64(optarg, SIZE_MAX, &o->max_record)) dbv_tool_bad_value(opt);
			break;
		case 'o': o->output = optarg; break;
		case 'f': o->force = 1; break;
		case 'h': fputs(usage, stdout); exit(0);
		case O_VERSION: dbv_tool_version(); exit(0);
		case ':':
			dbv_tool_error("option '%s' needs a value (see --help)", opt);
			exit(DBV_EUSAGE);
		default:
			dbv_tool_error("unknown option '%s' (see --help)", opt);
			exit(DBV_EUSAGE);
		}
	}
	if (o->ngroups && optind < argc) {
		dbv_tool_error("give streams either as --group or as arguments, not both");
		exit(DBV_EUSAGE);
	}
	for (; optind < argc; optind++)
		add_stream(o, argv[optind], NULL, -1);
	if (o->nstreams < 2 && !(o->nstreams == 1 && o->fragmentation)) {
		dbv_tool_error("give two or more pred streams (one is enough with --fragmentation)");
		exit(DBV_EUSAGE);
	}
	if (o->tsv && o->json) {
		dbv_tool_error("--tsv and --json exclude each other");
		exit(DBV_EUSAGE);
	}
}

static uint32_t tensor_crc(const dbv_val *rec, const char *key, uint32_t crc)
{
	const void *p;
	size_t n;
	const dbv_val *t = dbv_map_get(rec, key);
	if (dbv_val_bin(dbv_map_get(t, "data"), &p, &n))
		return crc ^ 0xdeadbeef;
	return dbv_crc32c(crc, p, n);
}

/* Read one pred stream into s. */
static int read_stream(struct stream *s, uint64_t limit, struct results *res,
		       int first)
{
	const dbv_val *meta, *rec;
	int rc, planes;
	size_t cap = 0;
	int64_t classes = -1;

	if ((rc = dbv_input_open(s->file, &s->fd)))
		return rc;
	s->r = dbv_reader_new(s->fd, s->file);
	if (!s->r)
		return DBV_EIO;
	dbv_reader_set_limit(s->r, (size_t)limit);
	if ((rc = dbv_reader_header(s->r, "pred", NULL)))
		return rc;
	meta = dbv_reader_meta(s->r);
	planes = dbv_val_is(dbv_map_get(meta, "input"), "planes");
	dbv_get_i64(meta, "classes", &classes);
	s->model = dbv_map_get(meta, "model");
	{
		char buf[160];
		const char *a = "?";
		size_t al = 1;
		int64_t wd = -1, sd = -1;
		double noise = 0;
		dbv_val_str(dbv_map_get(s->model, "arch"), &a, &al);
		dbv_get_i64(s->model, "width", &wd);
		dbv_get_i64(s->model, "seed", &sd);
		if (dbv_get_double(s->model, "label_noise", &noise))
			noise = 0;
		int k = snprintf(buf, sizeof buf, "%.*s w=%lld seed=%lld", (int)(al > 32 ? 32 : al),
				 a, (long long)wd, (long long)sd);
		if (noise > 0 && k > 0 && (size_t)k < sizeof buf)
			snprintf(buf + k, sizeof buf - (size_t)k, " noise=%g", noise);
		s->desc = dbv_strdup(buf);
	}
	if (first) {
		res->planes_input = planes;
		res->classes = classes;
		res->res = -1;
	} else if (planes != res->planes_input) {
		return dbv_seterr(DBV_EINPUT, "%s: predictions over %s, the first stream's are over %s",
				  s->file, planes ? "planes" : "a dataset",
				  res->planes_input ? "planes" : "a dataset");
	} else if (classes != res->classes) {
		return dbv_seterr(DBV_EINPUT, "%s: %lld classes, the first stream has %lld",
				  s->file, (long long)classes, (long long)res->classes);
	}
	if (classes < 1 || classes > 1 << 20)
		return dbv_seterr(DBV_EINPUT, "%s: the header has no valid \"classes\"", s->file);
	while ((rc = dbv_reader_next(s->r, &rec)) == DBV_OK) {
		struct dbv_tensor t;
		if (!dbv_record_is(rec, "pred"))
			continue;
		if ((rc = dbv_get_tensor(rec, "labels", &t)))
			return dbv_preerr(rc, "%s: record %llu", s->file,
					  (unsigned long long)dbv_reader_record_no(s->r));
		size_t n = dbv_tensor_numel(&t), per;
		if (planes) {
			int64_t r = t.ndim == 2 ? t.shape[0] : -1;
			if (r < 2 || t.shape[1] != r) {
				dbv_tensor_release(&t);
				return dbv_seterr(DBV_EINPUT, "%s: a pred record's labels are not a square grid",
						  s->file);
			}
			if (res->res < 0)
				res->res = r;
			if (r != res->res) {
				dbv_tensor_release(&t);
				return dbv_seterr(DBV_EINPUT,
						  "%s: plane %lld has a %lldx%lld grid, but others have %lldx%lld: grids of different sizes cannot be compared",
						  s->file, (long long)s->n, (long long)r, (long long)r,
						  (long long)res->res, (long long)res->res);
			}
			per = n;
		} else {
			per = n;
		}
		if (t.dtype != DBV_U8 && t.dtype != DBV_I32) {
			dbv_tensor_release(&t);
			return dbv_seterr(DBV_EINPUT, "%s: labels must be u8 or i32", s->file);
		}
		size_t have = (size_t)(planes ? s->n * res->res * res->res : s->n);
		if (have + per > cap) {
			size_t nc = cap ? cap * 2 : per * 16;
			while (nc < have + per)
				nc *= 2;
			int32_t *l = dbv_realloc(s->labels, nc * sizeof *l);
			if (!l)
				return DBV_EIO;
			s->labels = l;
			if (!planes) {
				int32_t *a = dbv_realloc(s->y, nc * sizeof *a);
				int32_t *b = a ? dbv_realloc(s->y_true, nc * sizeof *b) : NULL;
				int64_t *c = b ? dbv_realloc(s->idx, nc * sizeof *c) : NULL;
				if (!a || !b || !c)
					return DBV_EIO;
				s->y = a;
				s->y_true = b;
				s->idx = c;
			}
			cap = nc;
		}
		for (size_t i = 0; i < per; i++) {
			int32_t v = t.dtype == DBV_U8 ? ((uint8_t *)t.data)[i] : ((int32_t *)t.data)[i];
			if (v < 0 || v >= classes) {
				dbv_tensor_release(&t);
				return dbv_seterr(DBV_EINPUT, "%s: label %d out of range", s->file, v);
			}
			s->labels[have + i] = v;
		}
		dbv_tensor_release(&t);
		if (planes) {
			uint32_t crc = tensor_crc(rec, "origin", 0);
			crc = tensor_crc(rec, "u", crc);
			crc = tensor_crc(rec, "v", crc);
			crc = tensor_crc(rec, "range", crc);
			uint32_t *g = dbv_realloc(s->geom, (size_t)(s->n + 1) * sizeof *g);
			if (!g)
				return DBV_EIO;
			s->geom = g;
			g[s->n] = crc;
			s->n++;
		} else {
			struct dbv_tensor y, yt;
			if ((rc = dbv_get_tensor(rec, "y", &y)))
				return rc;
			if ((rc = dbv_get_tensor(rec, "y_true", &yt))) {
				dbv_tensor_release(&y);
				return rc;
			}
			if (y.dtype != DBV_I32 || yt.dtype != DBV_I32 ||
			    dbv_tensor_numel(&y) != per || dbv_tensor_numel(&yt) != per) {
				dbv_tensor_release(&y);
				dbv_tensor_release(&yt);
				return dbv_seterr(DBV_EINPUT, "%s: pred record without matching y/y_true",
						  s->file);
			}
			memcpy(s->y + have, y.data, per * sizeof(int32_t));
			memcpy(s->y_true + have, yt.data, per * sizeof(int32_t));
			dbv_tensor_release(&y);
			dbv_tensor_release(&yt);
			/* idx (dbv-predict writes it) says which items these
			 * are; without it only the true labels can tell. */
			if (dbv_map_get(rec, "idx")) {
				struct dbv_tensor ix;
				if ((rc = dbv_get_tensor(rec, "idx", &ix)))
					return rc;
				if (ix.dtype != DBV_I64 || dbv_tensor_numel(&ix) != per) {
					dbv_tensor_release(&ix);
					return dbv_seterr(DBV_EINPUT, "%s: pred record whose idx is not %zu i64 values",
							  s->file, per);
				}
				memcpy(s->idx + have, ix.data, per * sizeof(int64_t));
				dbv_tensor_release(&ix);
			} else {
				s->no_idx = 1;
			}
			s->n += (int64_t)per;
		}
	}
	if (rc != DBV_END)
		return rc;
	if (s->n == 0)
		return dbv_seterr(DBV_EINPUT, "%s: no predictions in the stream", s->file);
	return DBV_OK;
}

static int check_same(const struct options *o, struct results *res)
{
	const struct stream *a = &o->s[0];
	for (int k = 1; k < o->nstreams; k++) {
		const struct stream *b = &o->s[k];
		if (b->n != a->n)
			return dbv_seterr(DBV_EINPUT, "%s has %lld %s, %s has %lld: they are not the same %s",
					  b->file, (long long)b->n, res->planes_input ? "planes" : "items",
					  a->file, (long long)a->n,
					  res->planes_input ? "planes" : "dataset");
		if (res->planes_input) {
			for (int64_t p = 0; p < a->n; p++)
				if (a->geom[p] != b->geom[p])
					return dbv_seterr(DBV_EINPUT,
							  "plane %lld of %s differs from plane %lld of %s (other anchors or grid): compare predictions of the same planes",
							  (long long)p, b->file, (long long)p, a->file);
		} else if (memcmp(a->y_true, b->y_true, (size_t)a->n * sizeof(int32_t)) ||
			   (!a->no_idx && !b->no_idx &&
			    memcmp(a->idx, b->idx, (size_t)a->n * sizeof(int64_t)))) {
			return dbv_seterr(DBV_EINPUT, "%s and %s are predictions over different items",
					  a->file, b->file);
		}
	}
	if (res->planes_input)
		res->nplanes = a->n;
	else
		res->items = a->n;
	return DBV_OK;
}

static int compute(const struct options *o, struct results *res)
{
	int S = o->nstreams, G = o->ngroups, rc;
	int64_t P = res->nplanes;
	size_t cells = res->planes_input ? (size_t)(res->res * res->res) : 0;

	res->npairs = S * (S - 1) / 2;
	res->pi = dbv_calloc((size_t)res->npairs + 1, sizeof(int));
	res->pj = dbv_calloc((size_t)res->npairs + 1, sizeof(int));
	if (!res->pi || !res->pj)
		return DBV_EIO;
	for (int i = 0, k = 0; i < S; i++)
		for (int j = i + 1; j < S; j++, k++) {
			res->pi[k] = i;
			res->pj[k] = j;
		}
	if (!res->planes_input) {
		res->acc = dbv_calloc((size_t)S, sizeof(double));
		res->acc_true = dbv_calloc((size_t)S, sizeof(double));
		res->churn = dbv_calloc((size_t)S * S, sizeof(double));
		if (!res->acc || !res->acc_true || !res->churn)
			return DBV_EIO;
		for (int i = 0; i < S; i++) {
			const struct stream *s = &o->s[i];
			res->acc[i] = dbv_agreement(s->labels, s->y, (size_t)s->n);
			res->acc_true[i] = dbv_agreement(s->labels, s->y_true, (size_t)s->n);
			for (int j = 0; j < S; j++)
				res->churn[i * S + j] = 1 - dbv_agreement(s->labels, o->s[j].labels,
									   (size_t)s->n);
		}
		return DBV_OK;
	}
	size_t np = (size_t)res->npairs;
	res->agree = dbv_calloc(np * (size_t)P + 1, sizeof(double));
	res->pmean = dbv_calloc(np + 1, sizeof(double));
	res->pstd = dbv_calloc(np + 1, sizeof(double));
	res->plo = dbv_calloc(np + 1, sizeof(double));
	res->phi = dbv_calloc(np + 1, sizeof(double));
	res->piou = dbv_calloc(np + 1, sizeof(double));
	double *iou = dbv_calloc(np * (size_t)P + 1, sizeof(double));
	if (!res->agree || !res->pmean || !res->pstd || !res->plo || !res->phi ||
	    !res->piou || !iou)
		return DBV_EIO;
	for (size_t k = 0; k < np; k++) {
		const struct stream *a = &o->s[res->pi[k]], *b = &o->s[res->pj[k]];
		for (int64_t p = 0; p < P; p++) {
			const int32_t *la = a->labels + (size_t)p * cells;
			const int32_t *lb = b->labels + (size_t)p * cells;
			res->agree[k * (size_t)P + (size_t)p] = dbv_agreement(la, lb, cells);
			iou[k * (size_t)P + (size_t)p] = dbv_class_iou(la, lb, cells, (int)res->classes);
		}
		double sd;
		dbv_mean_std(res->agree + k * (size_t)P, (size_t)P, &res->pmean[k], &res->pstd[k]);
		dbv_mean_std(iou + k * (size_t)P, (size_t)P, &res->piou[k], &sd);
		if ((rc = dbv_bootstrap_ci(res->agree + k * (size_t)P, (size_t)P, o->bootstrap,
					   o->seed, &res->plo[k], &res->phi[k])))
			return rc;
	}
	if (G) {
		size_t gg = (size_t)G * (size_t)G;
		res->gmean = dbv_calloc(gg, sizeof(double));
		res->gstd = dbv_calloc(gg, sizeof(double));
		res->glo = dbv_calloc(gg, sizeof(double));
		res->ghi = dbv_calloc(gg, sizeof(double));
		res->giou = dbv_calloc(gg, sizeof(double));
		res->gpairs = dbv_calloc(gg, sizeof(int64_t));
		double *per = dbv_calloc((size_t)P, sizeof(double));
		double *peri = dbv_calloc((size_t)P, sizeof(double));
		if (!res->gmean || !res->gstd || !res->glo || !res->ghi || !res->giou ||
		    !res->gpairs || !per || !peri)
			return DBV_EIO;
		for (int gi = 0; gi < G; gi++)
			for (int gj = 0; gj < G; gj++) {
				/* All pairs of models of group gi x group gj, a
				 * model never against itself; per plane the mean
				 * over those pairs, then statistics over planes. */
				int64_t cnt = 0;
				memset(per, 0, (size_t)P * sizeof *per);
				memset(peri, 0, (size_t)P * sizeof *peri);
				for (size_t k = 0; k < np; k++) {
					int a = o->s[res->pi[k]].gi, b = o->s[res->pj[k]].gi;
					if (!((a == gi && b == gj) || (a == gj && b == gi)))
						continue;
					cnt++;
					for (int64_t p = 0; p < P; p++) {
						per[p] += res->agree[k * (size_t)P + (size_t)p];
						peri[p] += iou[k * (size_t)P + (size_t)p];
					}
				}
				size_t e = (size_t)gi * (size_t)G + (size_t)gj;
				res->gpairs[e] = cnt;
				if (!cnt) {
					res->gmean[e] = res->gstd[e] = res->glo[e] = res->ghi[e] =
						res->giou[e] = NAN;
					continue;
				}
				for (int64_t p = 0; p < P; p++) {
					per[p] /= (double)cnt;
					peri[p] /= (double)cnt;
				}
				double sd;
				dbv_mean_std(per, (size_t)P, &res->gmean[e], &res->gstd[e]);
				dbv_mean_std(peri, (size_t)P, &res->giou[e], &sd);
				if ((rc = dbv_bootstrap_ci(per, (size_t)P, o->bootstrap, o->seed,
							   &res->glo[e], &res->ghi[e])))
					return rc;
			}
		free(per);
		free(peri);
	}
	free(iou);
	if (o->fragmentation) {
		int32_t *scratch = dbv_malloc(cells * sizeof *scratch);
		res->frag = dbv_calloc((size_t)S * (size_t)P, sizeof(double));
		res->fmean = dbv_calloc((size_t)S, sizeof(double));
		res->fstd = dbv_calloc((size_t)S, sizeof(double));
		if (!scratch || !res->frag || !res->fmean || !res->fstd)
			return DBV_EIO;
		for (int i = 0; i < S; i++) {
			for (int64_t p = 0; p < P; p++) {
				int64_t f = dbv_fragments(o->s[i].labels + (size_t)p * cells,
							  (int)res->res, (int)res->res, scratch);
				if (f < 0)
					return dbv_seterr(DBV_EIO, "out of memory");
				res->frag[(size_t)i * (size_t)P + (size_t)p] = (double)f;
			}
			dbv_mean_std(res->frag + (size_t)i * (size_t)P, (size_t)P, &res->fmean[i],
				     &res->fstd[i]);
		}
		free(scratch);
	}
	return DBV_OK;
}

/* ---- output ---- */

static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.17g", v);
	else
		fputs("null", f);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void write_tsv(FILE *f, const struct options *o, const struct results *r)
{
	int S = o->nstreams, G = o->ngroups;
	fprintf(f, "# streams\nstream\tfile\tgroup\tmodel\n");
	for (int i = 0; i < S; i++)
		fprintf(f, "%d\t%s\t%s\t%s\n", i, o->s[i].file, o->s[i].group ? o->s[i].group : "-",
			o->s[i].desc);
	if (!r->planes_input) {
		fprintf(f, "\n# accuracy over %lld items\nstream\tacc\tacc_true\n", (long long)r->items);
		for (int i = 0; i < S; i++)
			fprintf(f, "%d\t%.6f\t%.6f\n", i, r->acc[i], r->acc_true[i]);
		fprintf(f, "\n# churn (fraction of items labelled differently)\n");
		for (int j = 0; j < S; j++)
			fprintf(f, "\t%d", j);
		fputc('\n', f);
		for (int i = 0; i < S; i++) {
			fprintf(f, "%d", i);
			for (int j = 0; j < S; j++)
				fprintf(f, "\t%.6f", r->churn[i * S + j]);
			fputc('\n', f);
		}
		return;
	}
	fprintf(f, "\n# agreement over %lld planes of %lldx%lld points\n",
		(long long)r->nplanes, (long long)r->res, (long long)r->res);
	fprintf(f, "a\tb\tagreement\tstd\tci95_lo\tci95_hi\tiou\n");
	for (int k = 0; k < r->npairs; k++)
		fprintf(f, "%d\t%d\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\n", r->pi[k], r->pj[k],
			r->pmean[k], r->pstd[k], r->plo[k], r->phi[k], r->piou[k]);
	if (G) {
		fprintf(f, "\n# group agreement (mean over planes of the mean over model pairs)\ngroup");
		for (int j = 0; j < G; j++)
			fprintf(f, "\t%s", o->gnames[j]);
		fputc('\n', f);
		for (int i = 0; i < G; i++) {
			fprintf(f, "%s", o->gnames[i]);
			for (int j = 0; j < G; j++)
				fprintf(f, "\t%.6f", r->gmean[i * G + j]);
			fputc('\n', f);
		}
		fprintf(f, "\n# group agreement with 95%% intervals\ngroup_a\tgroup_b\tpairs\tagreement\tstd\tci95_lo\tci95_hi\tiou\n");
		for (int i = 0; i < G; i++)
			for (int j = i; j < G; j++) {
				size_t e = (size_t)i * G + j;
				fprintf(f, "%s\t%s\t%lld\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\n", o->gnames[i],
					o->gnames[j], (long long)r->gpairs[e], r->gmean[e], r->gstd[e],
					r->glo[e], r->ghi[e], r->giou[e]);
			}
	}
	if (r->frag) {
		fprintf(f, "\n# fragmentation (8-connected regions per plane)\nstream\tmean\tstd\n");
		for (int i = 0; i < S; i++)
			fprintf(f, "%d\t%.4f\t%.4f\n", i, r->fmean[i], r->fstd[i]);
	}
}

static void json_array(FILE *f, const double *v, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		json_num(f, v[i]);
	}
	fputc(']', f);
}

static void write_json(FILE *f, const struct options *o, const struct results *r)
{
	int S = o->nstreams, G = o->ngroups;
	fprintf(f, "{\"input\":\"%s\",\"streams\":[", r->planes_input ? "planes" : "dataset");
	for (int i = 0; i < S; i++) {
		fprintf(f, "%s{\"file\":", i ? "," : "");
		json_str(f, o->s[i].file);
		fprintf(f, ",\"group\":");
		if (o->s[i].group)
			json_str(f, o->s[i].group);
		else
			fputs("null", f);
		fprintf(f, ",\"model\":");
		json_str(f, o->s[i].desc);
		fputc('}', f);
	}
	fputc(']', f);
	if (!r->planes_input) {
		fprintf(f, ",\"items\":%lld,\"acc\":", (long long)r->items);
		json_array(f, r->acc, (size_t)S);
		fprintf(f, ",\"acc_true\":");
		json_array(f, r->acc_true, (size_t)S);
		fprintf(f, ",\"churn\":[");
		for (int i = 0; i < S; i++) {
			if (i)
				fputc(',', f);
			json_array(f, r->churn + (size_t)i * S, (size_t)S);
		}
		fprintf(f, "]}\n");
		return;
	}
	fprintf(f, ",\"planes\":%lld,\"res\":%lld,\"pairs\":[", (long long)r->nplanes,
		(long long)r->res);
	for (int k = 0; k < r->npairs; k++) {
		fprintf(f, "%s{\"a\":%d,\"b\":%d,\"agreement\":", k ? "," : "", r->pi[k], r->pj[k]);
		json_num(f, r->pmean[k]);
		fprintf(f, ",\"std\":");
		json_num(f, r->pstd[k]);
		fprintf(f, ",\"ci95\":[");
		json_num(f, r->plo[k]);
		fputc(',', f);
		json_num(f, r->phi[k]);
		fprintf(f, "],\"iou\":");
		json_num(f, r->piou[k]);
		fprintf(f, ",\"per_plane\":");
		json_array(f, r->agree + (size_t)k * (size_t)r->nplanes, (size_t)r->nplanes);
		fputc('}', f);
	}
	fputc(']', f);
	if (G) {
		fprintf(f, ",\"groups\":{\"names\":[");
		for (int i = 0; i < G; i++) {
			if (i)
				fputc(',', f);
			json_str(f, o->gnames[i]);
		}
		const struct {
			const char *k;
			const double *v;
		} mats[] = {{"agreement", r->gmean}, {"std", r->gstd}, {"ci95_lo", r->glo},
			    {"ci95_hi", r->ghi}, {"iou", r->giou}};
		fputc(']', f);
		for (size_t m = 0; m < sizeof mats / sizeof *mats; m++) {
			fprintf(f, ",\"%s\":[", mats[m].k);
			for (int i = 0; i < G; i++) {
				if (i)
					fputc(',', f);
				json_array(f, mats[m].v + (size_t)i * G, (size_t)G);
			}
			fputc(']', f);
		}
		fputc('}', f);
	}
	if (r->frag) {
		fprintf(f, ",\"fragmentation\":{\"mean\":");
		json_array(f, r->fmean, (size_t)S);
		fprintf(f, ",\"std\":");
		json_array(f, r->fstd, (size_t)S);
		fprintf(f, ",\"per_plane\":[");
		for (int i = 0; i < S; i++) {
			if (i)
				fputc(',', f);
			json_array(f, r->frag + (size_t)i * (size_t)r->nplanes, (size_t)r->nplanes);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "}\n");
}

static void w_f64_tensor(struct dbv_writer *w, const char *key, const double *v,
			 int ndim, int64_t d0, int64_t d1)
{
	int64_t sh[2] = {d0, d1};
	dbv_w_key(w, key);
	dbv_w_tensor_raw(w, DBV_F64, ndim, sh, v);
}

static int write_table(struct dbv_writer *w, const struct options *o,
		       const struct results *r, int argc, char **argv)
{
	int S = o->nstreams, G = o->ngroups;
	dbv_writer_header_begin(w, "table", NULL, argc, argv, 6);
	dbv_w_key(w, "input");
	dbv_w_str(w, r->planes_input ? "planes" : "dataset");
	dbv_w_key(w, "planes");
	dbv_w_i64(w, r->planes_input ? r->nplanes : 0);
	dbv_w_key(w, "res");
	dbv_w_i64(w, r->planes_input ? r->res : 0);
	dbv_w_key(w, "classes");
	dbv_w_i64(w, r->classes);
	dbv_w_key(w, "groups");
	dbv_w_str_array(w, o->gnames, (size_t)G);
	dbv_w_key(w, "streams");
	dbv_w_array(w, (size_t)S);
	for (int i = 0; i < S; i++) {
		dbv_w_map(w, 4);
		dbv_w_key(w, "file");
		dbv_w_str(w, o->s[i].file);
		dbv_w_key(w, "group");
		if (o->s[i].group)
			dbv_w_str(w, o->s[i].group);
		else
			dbv_w_nil(w);
		dbv_w_key(w, "desc");
		dbv_w_str(w, o->s[i].desc);
		dbv_w_key(w, "model");
		if (o->s[i].model)
			dbv_w_val(w, o->s[i].model);
		else
			dbv_w_nil(w);
	}
	dbv_writer_header_end(w);
	if (!r->planes_input) {
		dbv_writer_record_begin(w, "accuracy", 3);
		w_f64_tensor(w, "acc", r->acc, 1, S, 0);
		w_f64_tensor(w, "acc_true", r->acc_true, 1, S, 0);
		w_f64_tensor(w, "churn", r->churn, 2, S, S);
		dbv_writer_record_end(w);
		return dbv_writer_status(w);
	}
	if (r->npairs) {
		int64_t *ij = dbv_malloc((size_t)r->npairs * 2 * sizeof *ij);
		int64_t sh[2] = {r->npairs, 2};
		if (!ij)
			return DBV_EIO;
		for (int k = 0; k < r->npairs; k++) {
			ij[2 * k] = r->pi[k];
			ij[2 * k + 1] = r->pj[k];
		}
		dbv_writer_record_begin(w, "pairs", 7);
		dbv_w_key(w, "pair");
		dbv_w_tensor_raw(w, DBV_I64, 2, sh, ij);
		w_f64_tensor(w, "agreement", r->pmean, 1, r->npairs, 0);
		w_f64_tensor(w, "std", r->pstd, 1, r->npairs, 0);
		w_f64_tensor(w, "ci95_lo", r->plo, 1, r->npairs, 0);
		w_f64_tensor(w, "ci95_hi", r->phi, 1, r->npairs, 0);
		w_f64_tensor(w, "iou", r->piou, 1, r->npairs, 0);
		w_f64_tensor(w, "per_plane", r->agree, 2, r->npairs, r->nplanes);
		dbv_writer_record_end(w);
		free(ij);
	}
	if (G) {
		dbv_writer_record_begin(w, "groups", 7);
		dbv_w_key(w, "names");
		dbv_w_str_array(w, o->gnames, (size_t)G);
		w_f64_tensor(w, "agreement", r->gmean, 2, G, G);
		w_f64_tensor(w, "std", r->gstd, 2, G, G);
		w_f64_tensor(w, "ci95_lo", r->glo, 2, G, G);
		w_f64_tensor(w, "ci95_hi", r->ghi, 2, G, G);
		w_f64_tensor(w, "iou", r->giou, 2, G, G);
		int64_t sh[2] = {G, G};
		dbv_w_key(w, "pairs");
		dbv_w_tensor_raw(w, DBV_I64, 2, sh, r->gpairs);
		dbv_writer_record_end(w);
	}
	if (r->frag) {
		dbv_writer_record_begin(w, "fragmentation", 3);
		w_f64_tensor(w, "mean", r->fmean, 1, S, 0);
		w_f64_tensor(w, "std", r->fstd, 1, S, 0);
		w_f64_tensor(w, "per_plane", r->frag, 2, S, r->nplanes);
		dbv_writer_record_end(w);
	}
	return dbv_writer_status(w);
}

static void release(struct options *o, struct results *r)
{
	for (int i = 0; i < o->nstreams; i++) {
		struct stream *s = &o->s[i];
		dbv_reader_free(s->r);
		if (s->fd > 0)
			close(s->fd);
		free(s->file);
		free(s->group);
		free(s->desc);
		free(s->labels);
		free(s->y);
		free(s->y_true);
		free(s->idx);
		free(s->geom);
	}
	free(o->s);
	for (int i = 0; i < o->ngroups; i++)
		free(o->gnames[i]);
	free(o->gnames);
	free(r->pi);
	free(r->pj);
	free(r->agree);
	free(r->pmean);
	free(r->pstd);
	free(r->plo);
	free(r->phi);
	free(r->piou);
	free(r->gmean);
	free(r->gstd);
	free(r->glo);
	free(r->ghi);
	free(r->giou);
	free(r->gpairs);
	free(r->frag);
	free(r->fmean);
	free(r->fstd);
	free(r->acc);
	free(r->acc_true);
	free(r->churn);
}

int main(int argc, char **argv)
{
	struct options o;
	struct results r;
	int rc, fd;

	dbv_tool_init("dbv-compare", argv);
	parse_options(argc, argv, &o);
	memset(&r, 0, sizeof r);
	for (int i = 0; i < o.nstreams; i++)
		if ((rc = read_stream(&o.s[i], o.max_record, &r, i == 0)))
			dbv_tool_die(rc);
	if ((rc = check_same(&o, &r)) || (rc = compute(&o, &r)))
		dbv_tool_die(rc);
	if ((rc = dbv_output_open(o.output, !(o.tsv || o.json), o.force, &fd)))
		dbv_tool_die(rc);
	if (o.tsv || o.json) {
		/* Build the text in memory, then one checked write. */
		char *text = NULL;
		size_t len = 0, off = 0;
		FILE *f = open_memstream(&text, &len);
		if (!f)
			dbv_tool_die(dbv_seterr(DBV_EIO, "out of memory"));
		if (o.tsv)
			write_tsv(f, &o, &r);
		else
			write_json(f, &o, &r);
		if (fclose(f))
			dbv_tool_die(dbv_seterr(DBV_EIO, "out of memory"));
		while (off < len) {
			ssize_t k = write(fd, text + off, len - off);
			if (k <= 0)
				dbv_tool_die(dbv_seterr(DBV_EIO, "write error"));
			off += (size_t)k;
		}
		free(text);
	} else {
		struct dbv_writer *w = dbv_writer_new(fd, "dbv-compare");
		if (!w)
			dbv_tool_die(DBV_EIO);
		if ((rc = write_table(w, &o, &r, argc, argv)) || (rc = dbv_writer_finish(w)))
			dbv_tool_die(rc);
		dbv_writer_free(w);
	}
	if ((rc = dbv_output_commit()))
		dbv_tool_die(rc);
	release(&o, &r);
	return 0;
}
