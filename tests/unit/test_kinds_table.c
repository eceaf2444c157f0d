/*
 * test_kinds_table.c - the table stream kind (lib/kinds/table.c): round
 * trips of tables over planes and over a data set (struct, and bytes
 * written again), the TSV and JSON text, and every refusal of the reader
 * with the one message format "NAME: record N (byte B): ...".
 *
 * The broken tables are written field by field with the stream layer's
 * value writers, not with the writer under test.
 */
#include "check.h"

#include "stream_files.h"

static char *argv0[] = {"dbv-compare", "--x", NULL};

/* Read a table from a file; the status. */
static int read_table(const char *name, struct dbv_table *t)
{
	struct rd rd;
	int rc = dbv_table_read(ropen(&rd, name), t);
	if (!rc)
		rc = dbv_reader_expect_end(rd.r, "test");
	rclose(&rd);
	return rc;
}

static unsigned char *slurp(const char *name, size_t *n)
{
	FILE *f = fopen(path_of(name), "rb");
	unsigned char *buf = malloc(1 << 20);
	if (!f || !buf)
		abort();
	*n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static double *dup_d(const double *v, size_t n)
{
	double *p = malloc(n * sizeof *p);
	memcpy(p, v, n * sizeof *p);
	return p;
}

static int64_t *dup_i(const int64_t *v, size_t n)
{
	int64_t *p = malloc(n * sizeof *p);
	memcpy(p, v, n * sizeof *p);
	return p;
}

/* A model map of two entries, one of each kind the tests look at. */
static void model_of(struct dbv_pred_model *m, const char *arch, uint64_t seed)
{
	memset(m, 0, sizeof *m);
	m->present = 1;
	m->n = 3;
	m->kv = calloc(3, sizeof *m->kv);
	m->kv[0] = (struct dbv_pred_kv){strdup("arch"), DBV_KV_STR, 0, 0, 0, strdup(arch), strlen(arch)};
	m->kv[1] = (struct dbv_pred_kv){strdup("seed"), seed > INT64_MAX ? DBV_KV_UINT : DBV_KV_INT,
					(int64_t)seed, seed, 0, NULL, 0};
	m->kv[2] = (struct dbv_pred_kv){strdup("lr"), DBV_KV_FLOAT, 0, 0, 0.125, NULL, 0};
}

/* Three streams in groups A, A, B over 2 planes of 4x4 points. */
static void planes_table(struct dbv_table *t)
{
	static const int64_t pair[6] = {0, 1, 0, 2, 1, 2}, gp[4] = {1, 2, 2, 0};
	static const double agree[3] = {0.5, 0.25, 0.75}, sd[3] = {0.1, 0, 0.2};
	static const double lo[3] = {NAN, 0.125, 0.5}, hi[3] = {NAN, 0.375, 1};
	static const double iou[3] = {0.4, 0.2, 0.6}, per[6] = {0.4, 0.6, 0.25, 0.25, 0.5, 1};
	static const double ga[4] = {0.5, 0.5, 0.5, NAN}, fm[3] = {4, 5.5, 6}, fs[3] = {0, 0.5, 1};
	static const double fp[6] = {4, 4, 5, 6, 5, 7};
	const char *files[3] = {"a.dbv", "b.dbv", "c.dbv"}, *groups[2] = {"A", "B"};

	memset(t, 0, sizeof *t);
	t->planes_input = 1;
	t->planes = 2;
	t->res = 4;
	t->classes = 10;
	t->S = 3;
	t->streams = calloc(3, sizeof *t->streams);
	for (int i = 0; i < 3; i++) {
		t->streams[i].file = strdup(files[i]);
		t->streams[i].group = strdup(groups[i / 2]);
	}
	t->streams[0].desc = strdup("mlp w=8 seed=0");
	t->streams[1].desc = strdup("mlp w=8 seed=1");
	model_of(&t->streams[0].model, "mlp", 0);
	model_of(&t->streams[2].model, "cnn5", UINT64_MAX);
	t->G = 2;
	t->groups = calloc(2, sizeof *t->groups);
	t->groups[0] = strdup("A");
	t->groups[1] = strdup("B");
	t->have_pairs = t->have_groups = t->have_frag = 1;
	t->pairs.n = 3;
	t->pairs.pair = dup_i(pair, 6);
	t->pairs.agreement = dup_d(agree, 3);
	t->pairs.std = dup_d(sd, 3);
	t->pairs.ci95_lo = dup_d(lo, 3);
	t->pairs.ci95_hi = dup_d(hi, 3);
	t->pairs.iou = dup_d(iou, 3);
	t->pairs.per_plane = dup_d(per, 6);
	t->grp.agreement = dup_d(ga, 4);
	t->grp.std = dup_d(ga, 4);
	t->grp.ci95_lo = dup_d(ga, 4);
	t->grp.ci95_hi = dup_d(ga, 4);
	t->grp.iou = dup_d(ga, 4);
	t->grp.pairs = dup_i(gp, 4);
	t->frag.mean = dup_d(fm, 3);
	t->frag.std = dup_d(fs, 3);
	t->frag.per_plane = dup_d(fp, 6);
}

static void dataset_table(struct dbv_table *t)
{
	static const double acc[2] = {1, 0.8}, at[2] = {0.9, 0.7}, churn[4] = {0, 0.25, 0.25, 0};
	memset(t, 0, sizeof *t);
	t->classes = 3;
	t->items = 4;
	t->S = 2;
	t->streams = calloc(2, sizeof *t->streams);
	t->streams[0].file = strdup("d0.dbv");
	t->streams[1].file = strdup("d\"1\t.dbv");
	t->streams[0].desc = strdup("? w=-1 seed=-1");
	t->have_acc = 1;
	t->acc.acc = dup_d(acc, 2);
	t->acc.acc_true = dup_d(at, 2);
	t->acc.churn = dup_d(churn, 4);
}

static int same_d(const double *a, const double *b, size_t n)
{
	return a && b && !memcmp(a, b, n * sizeof *a); /* NaN bits too */
}

static void write_table(const char *name, const struct dbv_table *t)
{
	struct dbv_writer *w = wopen(name);
	CHECK_OK(dbv_table_write(w, t, 2, argv0));
	wclose(w);
}

static void test_round_trip(void)
{
	struct dbv_table t, u;
	unsigned char *a, *b;
	size_t na, nb;

	planes_table(&t);
	write_table("t.dbv", &t);
	CHECK_OK(read_table("t.dbv", &u));
	CHECK(u.planes_input == 1 && u.planes == 2 && u.res == 4 && u.classes == 10);
	CHECK(u.S == 3 && u.G == 2 && !strcmp(u.groups[1], "B"));
	CHECK(!strcmp(u.streams[2].file, "c.dbv") && !strcmp(u.streams[2].group, "B"));
	CHECK(!strcmp(u.streams[1].desc, "mlp w=8 seed=1") && u.streams[2].desc == NULL);
	CHECK(u.streams[0].model.present && !u.streams[1].model.present);
	CHECK(u.streams[0].model.has_seed && u.streams[0].model.seed == 0);
	CHECK(!strcmp(u.streams[2].model.arch, "cnn5") && !u.streams[2].model.has_seed);
	CHECK(dbv_pred_model_get(&u.streams[2].model, "seed")->u == UINT64_MAX);
	CHECK(dbv_pred_model_get(&u.streams[2].model, "lr")->f == 0.125);
	CHECK(u.have_pairs && u.have_groups && u.have_frag && !u.have_acc);
	CHECK_EQ_INT(u.pairs.n, 3);
	CHECK(!memcmp(u.pairs.pair, t.pairs.pair, 6 * sizeof(int64_t)));
	CHECK(same_d(u.pairs.agreement, t.pairs.agreement, 3) && same_d(u.pairs.std, t.pairs.std, 3) &&
	      same_d(u.pairs.ci95_lo, t.pairs.ci95_lo, 3) && same_d(u.pairs.ci95_hi, t.pairs.ci95_hi, 3) &&
	      same_d(u.pairs.iou, t.pairs.iou, 3) && same_d(u.pairs.per_plane, t.pairs.per_plane, 6));
	CHECK(same_d(u.grp.agreement, t.grp.agreement, 4) && same_d(u.grp.iou, t.grp.iou, 4) &&
	      same_d(u.grp.std, t.grp.std, 4) && same_d(u.grp.ci95_hi, t.grp.ci95_hi, 4) &&
	      !memcmp(u.grp.pairs, t.grp.pairs, 4 * sizeof(int64_t)));
	CHECK(same_d(u.frag.mean, t.frag.mean, 3) && same_d(u.frag.std, t.frag.std, 3) &&
	      same_d(u.frag.per_plane, t.frag.per_plane, 6));
	/* What was read writes the same bytes again. */
	write_table("u.dbv", &u);
	a = slurp("t.dbv", &na);
	b = slurp("u.dbv", &nb);
	CHECK(na == nb && !memcmp(a, b, na));
	free(a);
	free(b);
	dbv_table_release(&u);
	dbv_table_release(&t);
	CHECK(t.streams == NULL && t.pairs.pair == NULL && t.frag.mean == NULL);

	dataset_table(&t);
	write_table("d.dbv", &t);
	CHECK_OK(read_table("d.dbv", &u));
	CHECK(u.planes_input == 0 && u.planes == 0 && u.res == 0 && u.classes == 3);
	CHECK(u.items == 0 && u.G == 0 && u.have_acc && !u.have_pairs && !u.have_frag);
	CHECK(u.streams[1].group == NULL && !strcmp(u.streams[1].file, "d\"1\t.dbv"));
	CHECK(same_d(u.acc.acc, t.acc.acc, 2) && same_d(u.acc.acc_true, t.acc.acc_true, 2) &&
	      same_d(u.acc.churn, t.acc.churn, 4));
	dbv_table_release(&u);
	dbv_table_release(&t);
}

static char *text_of(const struct dbv_table *t, int json)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	CHECK_OK(json ? dbv_table_write_json(f, t) : dbv_table_write_tsv(f, t));
	fclose(f);
	return s;
}

static void test_text(void)
{
	struct dbv_table t;
	char *s;

	dataset_table(&t);
	s = text_of(&t, 0);
	CHECK(!strcmp(s, "# streams\nstream\tfile\tgroup\tmodel\n"
			 "0\td0.dbv\t-\t? w=-1 seed=-1\n1\td\"1\t.dbv\t-\t-\n"
			 "\n# accuracy over 4 items\nstream\tacc\tacc_true\n"
			 "0\t1.000000\t0.900000\n1\t0.800000\t0.700000\n"
			 "\n# churn (fraction of items labelled differently)\n\t0\t1\n"
			 "0\t0.000000\t0.250000\n1\t0.250000\t0.000000\n"));
	free(s);
	s = text_of(&t, 1);
	CHECK(!strcmp(s, "{\"input\":\"dataset\",\"streams\":[{\"file\":\"d0.dbv\","
			 "\"group\":null,\"model\":\"? w=-1 seed=-1\"},{\"file\":"
			 "\"d\\\"1\\t.dbv\",\"group\":null,\"model\":null}],"
			 "\"items\":4,\"acc\":[1,0.80000000000000004],\"acc_true\":"
			 "[0.90000000000000002,0.69999999999999996],\"churn\":"
			 "[[0,0.25],[0.25,0]]}\n"));
	free(s);
	dbv_table_release(&t);

	planes_table(&t);
	s = text_of(&t, 0);
	CHECK(strstr(s, "\n# agreement over 2 planes of 4x4 points\n"
			"a\tb\tagreement\tstd\tci95_lo\tci95_hi\tiou\n"
			"0\t1\t0.500000\t0.100000\tnan\tnan\t0.400000\n"
			"0\t2\t0.250000\t0.000000\t0.125000\t0.375000\t0.200000\n"));
	CHECK(strstr(s, "\n# group agreement (mean over planes of the mean over model pairs)\n"
			"group\tA\tB\nA\t0.500000\t0.500000\nB\t0.500000\tnan\n"));
	CHECK(strstr(s, "group_a\tgroup_b\tpairs\tagreement\tstd\tci95_lo\tci95_hi\tiou\n"
			"A\tA\t1\t0.500000\t0.500000\t0.500000\t0.500000\t0.500000\n"
			"A\tB\t2\t0.500000"));
	CHECK(strstr(s, "B\tB\t0\tnan\tnan\tnan\tnan\tnan\n\n# fragmentation (8-connected "
			"regions per plane)\nstream\tmean\tstd\n0\t4.0000\t0.0000\n"
			"1\t5.5000\t0.5000\n2\t6.0000\t1.0000\n"));
	CHECK(strstr(s, "2\tc.dbv\tB\t-\n"));
	free(s);
	s = text_of(&t, 1);
	CHECK(strstr(s, "\"pairs\":[{\"a\":0,\"b\":1,\"agreement\":0.5,\"std\":"
			"0.10000000000000001,\"ci95\":[\"NaN\",\"NaN\"],\"iou\":"
			"0.40000000000000002,\"per_plane\":[0.40000000000000002,"
			"0.59999999999999998]},"));
	CHECK(strstr(s, ",\"groups\":{\"names\":[\"A\",\"B\"],\"agreement\":"
			"[[0.5,0.5],[0.5,\"NaN\"]],\"std\":"));
	CHECK(strstr(s, ",\"fragmentation\":{\"mean\":[4,5.5,6],\"std\":[0,0.5,1],"
			"\"per_plane\":[[4,4],[5,6],[5,7]]}}\n"));
	free(s);
	dbv_table_release(&t);
}

/* ---- refusals --------------------------------------------------------- */

enum bad {
	B_NONE, B_NO_INPUT, B_PLANES_0, B_DATASET_RES, B_CLASSES, B_NO_STREAMS,
	B_STREAM, B_MODEL, B_GROUPS, B_PAIRS_TWICE, B_PAIR_RANGE, B_PAIR_SHAPE,
	B_AGREE_SHAPE, B_AGREE_INF, B_STD_NAN, B_PER_PLANE, B_NO_IOU, B_NAMES,
	B_GPAIRS, B_ACC_IN_PLANES, B_PAIRS_IN_DATASET, B_DATASET,
};

static void f64(struct dbv_writer *w, const char *key, const double *v, int ndim,
		int64_t d0, int64_t d1)
{
	const int64_t sh[2] = {d0, d1};
	dbv_w_key(w, key);
	dbv_w_tensor_raw(w, DBV_F64, ndim, sh, v);
}

static void bad_pairs(struct dbv_writer *w, enum bad b)
{
	const int64_t pair[3] = {0, b == B_PAIR_RANGE ? 2 : 1, 1};
	const double one[3] = {b == B_AGREE_INF ? INFINITY : 0.5, 0.5, 0.5};
	const double nan1[1] = {NAN};
	dbv_writer_record_begin(w, "pairs", 7 - (b == B_NO_IOU));
	dbv_w_key(w, "pair");
	dbv_w_tensor_raw(w, DBV_I64, 2, (int64_t[2]){1, b == B_PAIR_SHAPE ? 3 : 2}, pair);
	f64(w, "agreement", one, 1, b == B_AGREE_SHAPE ? 2 : 1, 0);
	f64(w, "std", b == B_STD_NAN ? nan1 : one, 1, 1, 0);
	f64(w, "ci95_lo", nan1, 1, 1, 0);
	f64(w, "ci95_hi", nan1, 1, 1, 0);
	if (b != B_NO_IOU)
		f64(w, "iou", one, 1, 1, 0);
	f64(w, "per_plane", one, 2, 1, b == B_PER_PLANE ? 3 : 2);
	dbv_writer_record_end(w);
}

static void write_bad(const char *name, enum bad b)
{
	const int dataset = b == B_DATASET || b == B_DATASET_RES || b == B_PAIRS_IN_DATASET;
	char *groups[2] = {"A", "B"}, *names[2] = {"A", b == B_NAMES ? "C" : "B"};
	const double four[4] = {0.5, 0.5, 0.5, NAN};
	const int64_t gp[4] = {1, b == B_GPAIRS ? -1 : 0, 0, 0};
	struct dbv_writer *w = wopen(name);

	dbv_writer_header_begin(w, "table", NULL, 1, argv0, 6 - (b == B_NO_INPUT));
	if (b != B_NO_INPUT) {
		dbv_w_key(w, "input");
		dbv_w_str(w, dataset ? "dataset" : "planes");
	}
	dbv_w_key(w, "planes"); dbv_w_i64(w, dataset || b == B_PLANES_0 ? 0 : 2);
	dbv_w_key(w, "res"); dbv_w_i64(w, dataset && b != B_DATASET_RES ? 0 : 4);
	dbv_w_key(w, "classes"); dbv_w_i64(w, b == B_CLASSES ? 0 : 10);
	dbv_w_key(w, "groups");
	if (b == B_GROUPS)
		dbv_w_i64(w, 3);
	else
		dbv_w_str_array(w, groups, 2);
	dbv_w_key(w, "streams");
	dbv_w_array(w, b == B_NO_STREAMS ? 0 : 2);
	for (int i = 0; i < (b == B_NO_STREAMS ? 0 : 2); i++) {
		if (b == B_STREAM && i == 1) {
			dbv_w_str(w, "x");
			continue;
		}
		dbv_w_map(w, 2);
		dbv_w_key(w, "file"); dbv_w_str(w, "f.dbv");
		dbv_w_key(w, "model");
		if (b == B_MODEL)
			dbv_w_i64(w, 5);
		else
			dbv_w_nil(w);
	}
	dbv_writer_header_end(w);
	if (dataset) {
		const double two[4] = {1, 1, 0, 0};
		if (b == B_PAIRS_IN_DATASET)
			bad_pairs(w, b);
		dbv_writer_record_begin(w, "accuracy", 3);
		f64(w, "acc", two, 1, 2, 0);
		f64(w, "acc_true", two, 1, 2, 0);
		f64(w, "churn", two, 2, 2, 2);
		dbv_writer_record_end(w);
		wclose(w);
		return;
	}
	bad_pairs(w, b);
	if (b == B_PAIRS_TWICE)
		bad_pairs(w, b);
	dbv_writer_record_begin(w, "groups", 7);
	dbv_w_key(w, "names"); dbv_w_str_array(w, names, 2);
	f64(w, "agreement", four, 2, 2, 2);
	f64(w, "std", four, 2, 2, 2);
	f64(w, "ci95_lo", four, 2, 2, 2);
	f64(w, "ci95_hi", four, 2, 2, 2);
	f64(w, "iou", four, 2, 2, 2);
	dbv_w_key(w, "pairs");
	dbv_w_tensor_raw(w, DBV_I64, 2, (int64_t[2]){2, 2}, gp);
	dbv_writer_record_end(w);
	if (b == B_ACC_IN_PLANES) {
		dbv_writer_record_begin(w, "accuracy", 0);
		dbv_writer_record_end(w);
	}
	dbv_writer_record_begin(w, "other", 0);
	dbv_writer_record_end(w);
	wclose(w);
}

static void test_refusals(void)
{
	static const struct {
		enum bad b;
		int record, code;
		const char *msg;
	} cases[] = {
		{B_NONE, 0, DBV_OK, ""},
		{B_DATASET, 0, DBV_OK, ""},
		{B_NO_INPUT, 0, DBV_EINPUT, "the table's meta has no \"input\" of \"planes\" or \"dataset\""},
		{B_PLANES_0, 0, DBV_EINPUT, "the table's meta has no valid \"planes\" and \"res\" (over planes 1 to 2147483647 planes of 2 to 4096 points a side; 0 and 0 over a data set)"},
		{B_DATASET_RES, 0, DBV_EINPUT, "the table's meta has no valid \"planes\" and \"res\""},
		{B_CLASSES, 0, DBV_EINPUT, "the table's meta has no valid \"classes\" (1 to 100000)"},
		{B_NO_STREAMS, 0, DBV_EINPUT, "the table's meta has no \"streams\" (1 to 100000)"},
		{B_STREAM, 0, DBV_EINPUT, "streams[1] is not a map with a \"file\""},
		{B_MODEL, 0, DBV_EINPUT, "streams[0]: \"model\" is not a map"},
		{B_GROUPS, 0, DBV_EINPUT, "the table's meta has no \"groups\" array of at most 2 names"},
		{B_PAIRS_TWICE, 2, DBV_EINPUT, "a second \"pairs\" record"},
		{B_PAIR_RANGE, 1, DBV_EINPUT, "pair 0 (0, 2) is not two of the 2 streams"},
		{B_PAIR_SHAPE, 1, DBV_EINPUT, "\"pair\" is not i64 [1,2]"},
		{B_AGREE_SHAPE, 1, DBV_EINPUT, "\"agreement\" is not f64 [1]"},
		{B_AGREE_INF, 1, DBV_ENONFINITE, "\"agreement\" holds a non-finite number"},
		{B_STD_NAN, 1, DBV_ENONFINITE, "\"std\" holds a non-finite number"},
		{B_PER_PLANE, 1, DBV_EINPUT, "\"per_plane\" is not f64 [1,2]"},
		{B_NO_IOU, 1, DBV_EINPUT, "missing tensor \"iou\""},
		{B_NAMES, 2, DBV_EINPUT, "\"names\" are not the header's \"groups\""},
		{B_GPAIRS, 2, DBV_EINPUT, "\"pairs\" holds a negative number"},
		{B_ACC_IN_PLANES, 3, DBV_EINPUT, "a table over planes has no \"accuracy\" record"},
		{B_PAIRS_IN_DATASET, 1, DBV_EINPUT, "a table over a data set has no \"pairs\" record"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct dbv_table t;
		write_bad("bad.dbv", cases[i].b);
		int rc = read_table("bad.dbv", &t);
		if (rc != cases[i].code)
			fprintf(stderr, "case %zu: %s\n", i, dbv_errmsg());
		CHECK_EQ_INT(rc, cases[i].code);
		if (cases[i].code) {
			CHECK(msg_is("bad.dbv", cases[i].record, cases[i].msg));
		} else {
			CHECK(t.pairs.n == (cases[i].b == B_NONE) && t.have_groups == (cases[i].b == B_NONE));
		}
		dbv_table_release(&t);
	}
}

/* A table of dbv-margin: S streams, margins of n points (point k of
 * stream k % S), skips of n - 1 pairs; values from base. */
static void margin_table(struct dbv_table *t, int S, int64_t n, double base)
{
	memset(t, 0, sizeof *t);
	t->classes = 10;
	t->S = S;
	t->streams = calloc((size_t)S, sizeof *t->streams);
	for (int i = 0; i < S; i++) {
		char f[32];
		snprintf(f, sizeof f, "m%g-%d.dbv", base, i);
		t->streams[i].file = strdup(f);
	}
	t->mg.n = n;
	t->sk.n = n - 1;
	CHECK_OK(dbv_table_alloc_record(t, "margins"));
	CHECK_OK(dbv_table_alloc_record(t, "skips"));
	t->have_margins = t->have_skips = 1;
	for (int64_t k = 0; k < n; k++) {
		t->mg.stream[k] = k % S;
		t->mg.idx[k] = 100 + k;
		t->mg.y[k] = k % 10;
		t->mg.y_true[k] = (k + (k == 1)) % 10;
		t->mg.label[k] = 9 - k % 10;
		t->mg.hits[k] = k % 11;
		t->mg.margin[k] = k == 2 ? NAN : base + 0.5 * (double)k;
	}
	for (int i = 0; i < 3 * S; i++) {
		t->mg.mean[i] = i == 0 ? NAN : base + i;
		t->mg.std[i] = t->mg.ci95_lo[i] = t->mg.ci95_hi[i] = base - i;
		t->mg.points[i] = i;
	}
	for (int i = 0; i < S; i++) {
		t->mg.range[i] = 32;
		t->mg.step[i] = 0.5;
		t->mg.tol[i] = 1e-3;
		t->mg.directions[i] = 10;
		t->mg.min_hits[i] = 5;
		t->mg.passes[i] = 1000 + i;
		t->sk.mean[i] = base * i;
		t->sk.std[i] = t->sk.ci95_lo[i] = t->sk.ci95_hi[i] = 1;
		t->sk.classes_mean[i] = 2;
		t->sk.res[i] = 100;
	}
	for (int64_t k = 0; k < n - 1; k++) {
		t->sk.stream[k] = (k + 1) % S;
		t->sk.a[k] = k;
		t->sk.b[k] = k + 7;
		t->sk.cls[k] = k % 10;
		t->sk.changes[k] = k;
		t->sk.classes[k] = k + 1;
	}
}

#define SAME_I(a, b, n) (!memcmp((a), (b), (size_t)(n) * sizeof(int64_t)))

/* Margins and skips: round trip, the text, concatenation, refusals. */
static void test_margins(void)
{
	struct dbv_table t, u, w, all, in[2];
	const char *names[2] = {"one", "two"};
	unsigned char *a, *b;
	size_t na, nb;
	char *s;

	margin_table(&t, 2, 5, 1);
	write_table("m.dbv", &t);
	CHECK_OK(read_table("m.dbv", &u));
	CHECK(!u.planes_input && u.have_margins && u.have_skips && !u.have_acc);
	CHECK(u.mg.n == 5 && u.sk.n == 4);
	CHECK(SAME_I(u.mg.stream, t.mg.stream, 5) && SAME_I(u.mg.idx, t.mg.idx, 5) &&
	      SAME_I(u.mg.y_true, t.mg.y_true, 5) && SAME_I(u.mg.hits, t.mg.hits, 5) &&
	      SAME_I(u.mg.points, t.mg.points, 6) && SAME_I(u.mg.passes, t.mg.passes, 2));
	CHECK(same_d(u.mg.margin, t.mg.margin, 5) && same_d(u.mg.mean, t.mg.mean, 6) &&
	      same_d(u.mg.ci95_hi, t.mg.ci95_hi, 6) && same_d(u.mg.tol, t.mg.tol, 2));
	CHECK(SAME_I(u.sk.stream, t.sk.stream, 4) && SAME_I(u.sk.b, t.sk.b, 4) &&
	      SAME_I(u.sk.classes, t.sk.classes, 4) && SAME_I(u.sk.res, t.sk.res, 2));
	CHECK(same_d(u.sk.mean, t.sk.mean, 2) && same_d(u.sk.classes_mean, t.sk.classes_mean, 2));
	write_table("m2.dbv", &u);
	a = slurp("m.dbv", &na);
	b = slurp("m2.dbv", &nb);
	CHECK(na == nb && !memcmp(a, b, na));
	free(a);
	free(b);
	s = text_of(&u, 0);
	CHECK(strstr(s, "\n# margins (mean distance to the first change of class over a "
		     "point's directions)\nstream\tgroup\tpoints\tmean\tstd\tci95_lo\tci95_hi\n"
		     "0\tmislabeled\t0\tnan\t1.000000\t1.000000\t1.000000\n") != NULL);
	CHECK(strstr(s, "\n# margins per point\nstream\tidx\ty\ty_true\tlabel\thits\tmargin\n"
		     "0\t100\t0\t0\t9\t0\t1\n1\t101\t1\t2\t8\t1\t1.5\n0\t102\t2\t2\t7\t2\tnan\n") != NULL);
	CHECK(strstr(s, "\n# class skips per pair\nstream\ta\tb\tclass\tchanges\tclasses\n"
		     "1\t0\t7\t0\t0\t1\n") != NULL);
	CHECK(strstr(s, "# accuracy") == NULL);
	free(s);
	dbv_table_release(&t);

	/* Concatenated: streams and rows one table after the other, the
	 * rows' stream numbers moved on. */
	margin_table(&w, 1, 3, 7);
	in[0] = u;
	in[1] = w;
	CHECK_OK(dbv_table_concat(in, 2, names, &all));
	CHECK(all.S == 3 && all.mg.n == 8 && all.sk.n == 6 && all.classes == 10);
	CHECK(!strcmp(all.streams[2].file, "m7-0.dbv"));
	const int64_t st[8] = {0, 1, 0, 1, 0, 2, 2, 2}, sst[6] = {1, 0, 1, 0, 2, 2};
	CHECK(SAME_I(all.mg.stream, st, 8) && SAME_I(all.sk.stream, sst, 6));
	CHECK(same_d(all.mg.mean, u.mg.mean, 6) && same_d(all.mg.mean + 6, w.mg.mean, 3));
	CHECK(same_d(all.mg.margin + 5, w.mg.margin, 3) && SAME_I(all.mg.passes + 2, w.mg.passes, 1));
	write_table("all.dbv", &all);
	dbv_table_concat_release(&all);
	CHECK_OK(read_table("all.dbv", &t));
	CHECK(t.S == 3 && t.mg.n == 8);
	dbv_table_release(&t);
	/* Refused: a table of other figures; unlike records. */
	dataset_table(&in[1]);
	CHECK_RC(dbv_table_concat(in, 2, names, &all), DBV_EUSAGE);
	CHECK(!strcmp(dbv_errmsg(), "two: not a table of margins or class skips (dbv-margin)"));
	dbv_table_concat_release(&all);
	dbv_table_release(&in[1]);
	w.have_skips = 0;
	in[1] = w;
	CHECK_RC(dbv_table_concat(in, 2, names, &all), DBV_EUSAGE);
	CHECK(!strcmp(dbv_errmsg(), "two: has margins only but one has margins and skips"));
	dbv_table_concat_release(&all);
	w.have_skips = 1;

	/* The reader: a row naming no stream; margins over planes. */
	u.mg.stream[3] = 2;
	write_table("bad.dbv", &u);
	CHECK_RC(read_table("bad.dbv", &t), DBV_EINPUT);
	CHECK(msg_is("bad.dbv", 1, "\"stream\" row 3 names stream 2 of 2"));
	dbv_table_release(&t);
	u.mg.stream[3] = 1;
	u.mg.margin[0] = INFINITY;
	write_table("bad.dbv", &u);
	CHECK_RC(read_table("bad.dbv", &t), DBV_ENONFINITE);
	CHECK(msg_is("bad.dbv", 1, "\"margin\" holds a non-finite number"));
	dbv_table_release(&t);
	u.mg.margin[0] = 1;
	u.planes_input = 1;
	u.planes = 1;
	u.res = 2;
	write_table("bad.dbv", &u);
	CHECK_RC(read_table("bad.dbv", &t), DBV_EINPUT);
	CHECK(msg_is("bad.dbv", 1, "a table over planes has no \"margins\" record"));
	dbv_table_release(&t);
	dbv_table_release(&u);
	dbv_table_release(&w);
	CHECK_RC(dbv_table_alloc_record(&w, "nothing"), DBV_EUSAGE);
}

int main(void)
{
	files_dir = check_tmpdir();
	test_margins();
	test_round_trip();
	test_text();
	test_refusals();
	return check_done();
}
