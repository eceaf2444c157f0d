/*
 * dbv-compare - the paper's numbers from two or more pred streams of the
 * same planes (or the same dataset): reproducibility (agreement) per pair
 * and per group, per-class IoU, fragmentation, accuracy and churn.
 *
 *   dbv-compare --group cnn=a1.dbv,a2.dbv --group mlp=b1.dbv,b2.dbv --tsv
 *
 * Outline: parse options; read every stream fully (labels only, plus a
 * fingerprint of each plane's geometry: dbv_pred_read_labels) and check
 * that they cover the same planes; compute the figures (lib/study/
 * compare.c) into a struct dbv_table; write it as a table stream, or as
 * TSV/JSON text (lib/kinds/table.c).  Exit 0 when it computed:
 * disagreement between models is a result, not an error.
 */
#include <getopt.h>
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
	"      --bootstrap N       resamples for the 95% intervals (default 1000)\n"
	"      --seed S            bootstrap seed (default 0)\n"
	"      --tsv               tab-separated text instead of a table stream\n"
	"      --json              one JSON object instead of a table stream\n"
	"  -o, --output FILE       write to FILE (atomically) instead of stdout\n"
	"  -f, --force             write the binary stream to a terminal anyway\n"
	"      --max-record B      refuse input records over B bytes\n"
	"  -h, --help              this text\n"
	"      --version           versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 computed, 2 usage, 3 bad or mismatched input, 4 I/O error,\n"
	"5 non-finite numbers in the input.\n";

struct options {
	int fragmentation, tsv, json, force, bootstrap;
	uint64_t seed, max_record;
	const char *output;
	struct dbv_table t;     /* the streams' files and groups, the group
				 * names; then the figures */
	int *group;             /* each stream's group, -1 without groups */
};

/* One pred stream's header and labels. */
struct input {
	struct dbv_pred_header h;
	struct dbv_pred_labels l;
};

static void add_stream(struct options *o, const char *file, const char *group,
		       int gi)
{
	const int S = o->t.S;
	struct dbv_table_stream *s = dbv_realloc(o->t.streams, (size_t)(S + 1) * sizeof *s);
	int *g = dbv_realloc(o->group, (size_t)(S + 1) * sizeof *g);
	if (!s || !g)
		dbv_tool_die(DBV_EIO);
	o->t.streams = s;
	o->group = g;
	memset(&s[S], 0, sizeof *s);
	s[S].file = dbv_strdup(file);
	s[S].group = group ? dbv_strdup(group) : NULL;
	if (!s[S].file || (group && !s[S].group))
		dbv_tool_die(DBV_EIO);
	g[S] = gi;
	o->t.S++;
}

static void parse_group(struct options *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *name, *files, *tok, *rest;
	if (!eq || eq == arg || !eq[1])
		dbv_tool_usage("--group: '%s' is not NAME=FILE,FILE...", arg);
	name = strndup(arg, (size_t)(eq - arg));
	files = dbv_strdup(eq + 1);
	char **g = dbv_realloc(o->t.groups, (size_t)(o->t.G + 1) * sizeof *g);
	if (!name || !files || !g)
		dbv_tool_die(DBV_EIO);
	o->t.groups = g;
	for (int i = 0; i < o->t.G; i++)
		if (!strcmp(g[i], name))
			dbv_tool_usage("--group: the name '%s' is used twice", name);
	g[o->t.G] = name;
	int before = o->t.S;
	for (rest = files; (tok = strsep(&rest, ","));) {
		if (!*tok)
			dbv_tool_usage("--group: '%s' has an empty file name", arg);
		add_stream(o, tok, name, o->t.G);
	}
	if (o->t.S == before)
		dbv_tool_usage("--group: '%s' names no streams", arg);
	o->t.G++;
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
	while ((c = dbv_tool_getopt(argc, argv, ":g:o:fh", lo)) != -1) {
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
		case 'h': dbv_tool_help(usage);
		case O_VERSION: dbv_tool_version(); dbv_tool_exit_ok();
		}
	}
	if (o->t.G && optind < argc)
		dbv_tool_usage("give streams either as --group or as arguments, not both");
	for (; optind < argc; optind++)
		add_stream(o, argv[optind], NULL, -1);
	for (int i = 0, stdin_ = 0; i < o->t.S; i++)
		if (!strcmp(o->t.streams[i].file, "-") && stdin_++)
			dbv_tool_usage("standard input ('-') is named twice: it holds one stream");
	if (o->t.S < 2 && !(o->t.S == 1 && o->fragmentation))
		dbv_tool_usage("give two or more pred streams (one is enough with --fragmentation)");
	if (o->tsv && o->json)
		dbv_tool_usage("--tsv and --json exclude each other");
	for (int i = 0; i < o->t.S; i++) {
		const char *named[] = {"the input", o->t.streams[i].file};
		dbv_tool_apart("-o", o->output, named, 1);
	}
}

/* Read stream i whole into in[i]; check its kind of input, classes and
 * grid against the first stream's.  Its description and model map go to
 * the table. */
static int read_input(struct options *o, struct input *in, int i)
{
	struct dbv_table_stream *s = &o->t.streams[i];
	struct input *a = &in[0], *b = &in[i];
	struct dbv_reader *r;
	char desc[160];
	int fd, rc;

	if ((rc = dbv_input_open(s->file, &fd)))
		return rc;
	if (!(r = dbv_reader_new(fd, s->file))) {
		rc = DBV_EIO;
		goto out;
	}
	dbv_reader_set_limit(r, (size_t)o->max_record);
	if ((rc = dbv_pred_header_read(r, &b->h)))
		goto out;
	if (b->h.planes != a->h.planes) {
		rc = dbv_seterr(DBV_EINPUT, "%s: predictions over %s, the first stream's are over %s",
				s->file, b->h.planes ? "planes" : "a dataset",
				a->h.planes ? "planes" : "a dataset");
		goto out;
	}
	if (b->h.classes != a->h.classes) {
		rc = dbv_seterr(DBV_EINPUT, "%s: %lld classes, the first stream has %lld", s->file,
				(long long)b->h.classes, (long long)a->h.classes);
		goto out;
	}
	if ((rc = dbv_pred_read_labels(r, &b->h, &b->l, "dbv-compare")))
		goto out;
	if (b->l.n == 0)
		rc = dbv_seterr(DBV_EINPUT, "%s: no predictions in the stream", s->file);
	else if (b->h.planes && b->l.res != a->l.res)
		rc = dbv_seterr(DBV_EINPUT, "%s: its planes have a %dx%d grid, those of %s %dx%d: "
				"grids of different sizes cannot be compared", s->file,
				b->l.res, b->l.res, o->t.streams[0].file, a->l.res, a->l.res);
	dbv_pred_model_desc(&b->h.model, desc, sizeof desc);
	if (!rc && !(s->desc = dbv_strdup(desc)))
		rc = DBV_EIO;
	/* The table takes the model map over. */
	s->model = b->h.model;
	memset(&b->h.model, 0, sizeof b->h.model);
out:
	dbv_reader_free(r);
	if (fd > 0)
		close(fd);
	return rc;
}

/* Do all streams cover the planes (or items) of the first? */
static int check_same(const struct options *o, const struct input *in)
{
	const struct input *a = &in[0];
	const char *fa = o->t.streams[0].file;
	const int planes = a->h.planes;

	for (int k = 1; k < o->t.S; k++) {
		const struct input *b = &in[k];
		const char *fb = o->t.streams[k].file;
		if (b->l.n != a->l.n)
			return dbv_seterr(DBV_EINPUT, "%s has %lld %s, %s has %lld: they are not the same %s",
					  fb, (long long)b->l.n, planes ? "planes" : "items",
					  fa, (long long)a->l.n, planes ? "planes" : "dataset");
		if (planes) {
			for (int64_t p = 0; p < a->l.n; p++)
				if (a->l.fingerprint[p] != b->l.fingerprint[p])
					return dbv_seterr(DBV_EINPUT,
							  "plane %lld of %s differs from plane %lld of %s (other anchors or grid): compare predictions of the same planes",
							  (long long)p, fb, (long long)p, fa);
		} else if (memcmp(a->l.y_true, b->l.y_true, (size_t)a->l.n * sizeof(int32_t)) ||
			   (a->l.idx && b->l.idx &&
			    memcmp(a->l.idx, b->l.idx, (size_t)a->l.n * sizeof(int64_t)))) {
			return dbv_seterr(DBV_EINPUT, "%s and %s are predictions over different items",
					  fa, fb);
		}
	}
	return DBV_OK;
}

/* n doubles (and one more, so that none is a NULL of an empty tensor). */
static double *f64s(size_t n, int *fail)
{
	double *v = dbv_calloc(n + 1, sizeof *v);
	*fail |= !v;
	return v;
}

/* Accuracy and churn of predictions over a data set. */
static int compute_items(struct options *o, const struct input *in,
			 const int32_t **labels)
{
	struct dbv_table *t = &o->t;
	const size_t S = (size_t)t->S, n = (size_t)in[0].l.n;
	int fail = 0;

	t->items = in[0].l.n;
	t->acc.acc = f64s(S, &fail);
	t->acc.acc_true = f64s(S, &fail);
	t->acc.churn = f64s(S * S, &fail);
	if (fail)
		return DBV_EIO;
	for (size_t i = 0; i < S; i++) {
		t->acc.acc[i] = dbv_agreement(labels[i], in[i].l.y, n);
		t->acc.acc_true[i] = dbv_agreement(labels[i], in[i].l.y_true, n);
	}
	dbv_churn(labels, t->S, n, t->acc.churn);
	t->have_acc = 1;
	return DBV_OK;
}

/* Pairs, groups and fragmentation of predictions over planes. */
static int compute_planes(struct options *o, const struct input *in,
			  const int32_t **labels)
{
	struct dbv_table *t = &o->t;
	struct dbv_table_pairs *pr = &t->pairs;
	struct dbv_table_groups *g = &t->grp;
	const size_t S = (size_t)t->S, G = (size_t)t->G, P = (size_t)in[0].l.n;
	const size_t n = dbv_pairs(t->S, NULL), cells = (size_t)in[0].l.res * (size_t)in[0].l.res;
	double *iou;
	int fail = 0, rc;

	t->planes = in[0].l.n;
	t->res = in[0].l.res;
	pr->n = (int64_t)n;
	pr->pair = dbv_calloc(2 * n + 1, sizeof *pr->pair);
	pr->agreement = f64s(n, &fail);
	pr->std = f64s(n, &fail);
	pr->ci95_lo = f64s(n, &fail);
	pr->ci95_hi = f64s(n, &fail);
	pr->iou = f64s(n, &fail);
	pr->per_plane = f64s(n * P, &fail);
	iou = f64s(n * P, &fail);
	if (fail || !pr->pair) {
		free(iou);
		return DBV_EIO;
	}
	dbv_pairs(t->S, pr->pair);
	dbv_pair_planes(labels, pr->pair, n, P, cells, (int)t->classes, pr->per_plane, iou);
	const struct dbv_figures pf = {pr->agreement, pr->std, pr->ci95_lo, pr->ci95_hi, pr->iou};
	rc = dbv_pair_figures(pr->per_plane, iou, n, P, o->bootstrap, o->seed, &pf);
	t->have_pairs = n > 0;
	if (!rc && G) {
		g->agreement = f64s(G * G, &fail);
		g->std = f64s(G * G, &fail);
		g->ci95_lo = f64s(G * G, &fail);
		g->ci95_hi = f64s(G * G, &fail);
		g->iou = f64s(G * G, &fail);
		g->pairs = dbv_calloc(G * G, sizeof *g->pairs);
		const struct dbv_figures gf = {g->agreement, g->std, g->ci95_lo, g->ci95_hi, g->iou};
		rc = fail || !g->pairs ? DBV_EIO
				       : dbv_group_figures(pr->per_plane, iou, pr->pair, n, P, o->group,
							   t->G, o->bootstrap, o->seed, &gf, g->pairs);
		t->have_groups = 1;
	}
	free(iou);
	if (rc || !o->fragmentation)
		return rc;
	t->frag.mean = f64s(S, &fail);
	t->frag.std = f64s(S, &fail);
	t->frag.per_plane = f64s(S * P, &fail);
	if (fail)
		return DBV_EIO;
	for (size_t i = 0; i < S && !rc; i++) {
		double *per = t->frag.per_plane + i * P;
		rc = dbv_fragmentation(labels[i], P, (int)t->res, per);
		dbv_mean_std(per, P, &t->frag.mean[i], &t->frag.std[i]);
	}
	t->have_frag = 1;
	return rc;
}

static int compute(struct options *o, const struct input *in)
{
	const int32_t **labels = dbv_malloc((size_t)o->t.S * sizeof *labels);
	int rc;

	if (!labels)
		return DBV_EIO;
	for (int i = 0; i < o->t.S; i++)
		labels[i] = in[i].l.labels;
	o->t.planes_input = in[0].h.planes;
	o->t.classes = in[0].h.classes;
	rc = o->t.planes_input ? compute_planes(o, in, labels) : compute_items(o, in, labels);
	free(labels);
	return rc;
}

/* The output's name in a message of a failed write. */
static const char *out_name(const struct options *o)
{
	return o->output && strcmp(o->output, "-") ? o->output : "standard output";
}

int main(int argc, char **argv)
{
	static struct options o; /* static: reachable at a refusal's exit */
	static struct input *in; /* static: reachable at a refusal's exit */
	int rc, fd;

	dbv_tool_init("dbv-compare", argv);
	parse_options(argc, argv, &o);
	if (!(in = dbv_calloc((size_t)o.t.S, sizeof *in)))
		dbv_tool_die(DBV_EIO);
	for (int i = 0; i < o.t.S; i++)
		if ((rc = read_input(&o, in, i)))
			dbv_tool_die(rc);
	if ((rc = check_same(&o, in)) || (rc = compute(&o, in)))
		dbv_tool_die(rc);
	if ((rc = dbv_output_open(o.output, !(o.tsv || o.json), o.force, &fd)))
		dbv_tool_die(rc);
	if (o.tsv || o.json) {
		if ((rc = dbv_table_write_text(fd, &o.t, o.json)))
			dbv_preerr(rc, "%s", out_name(&o));
	} else {
		struct dbv_writer *w = dbv_writer_new(fd, "dbv-compare");
		if (!w)
			dbv_tool_die(DBV_EIO);
		if (!(rc = dbv_table_write(w, &o.t, dbv_tool_argc(), dbv_tool_argv())))
			rc = dbv_writer_finish(w);
		if (rc == DBV_EIO) /* a write error */
			dbv_preerr(rc, "%s", out_name(&o));
		dbv_writer_free(w);
	}
	if (rc || (rc = dbv_output_commit()))
		dbv_tool_die(rc);
	for (int i = 0; i < o.t.S; i++) {
		dbv_pred_header_release(&in[i].h);
		dbv_pred_labels_release(&in[i].l);
	}
	free(in);
	free(o.group);
	dbv_table_release(&o.t);
	return 0;
}
