/*
 * test_kinds_dataset.c - the dataset stream kind (lib/kinds/dataset.c):
 * write -> read round trips (whole and batch by batch, u8 and f32,
 * defaults of y_true and idx), and every refusal of the reader with its
 * "NAME: record N (byte B): ..." message.
 */
#include "check.h"
#include "check_stream.h"

/* A data set of n items of 2x3x2 pixels, 3 classes. */
static void make_set(struct dbv_dataset *d, int64_t n)
{
	static const char *names[3] = {"cat", "dog", "eel"};

	memset(d, 0, sizeof *d);
	d->name = dbv_strdup("toy");
	d->split = dbv_strdup("train");
	d->n = n;
	d->c = 2;
	d->h = 3;
	d->w = 2;
	d->nclasses = 3;
	d->class_names = dbv_calloc(3, sizeof *d->class_names);
	for (int k = 0; k < 3; k++)
		d->class_names[k] = dbv_strdup(names[k]);
	d->x = dbv_malloc((size_t)n * 12);
	d->y = dbv_calloc((size_t)n, sizeof *d->y);
	d->y_true = dbv_calloc((size_t)n, sizeof *d->y_true);
	d->idx = dbv_calloc((size_t)n, sizeof *d->idx);
	for (int64_t i = 0; i < n * 12; i++)
		d->x[i] = (uint8_t)(7 * i + 3);
	for (int64_t i = 0; i < n; i++) {
		d->y_true[i] = (int32_t)(i % 3);
		d->y[i] = (int32_t)((i * 2) % 3);
		d->idx[i] = 100 + 3 * i;
	}
	d->mean[0] = 0.25;
	d->mean[1] = 0.5;
	d->std[0] = 0.125;
	d->std[1] = 0.3;
	d->label_noise = 0.2;
}

static void check_same(const struct dbv_dataset *a, const struct dbv_dataset *b)
{
	CHECK(!strcmp(a->name, b->name) && !strcmp(a->split, b->split));
	CHECK_EQ_INT(a->n, b->n);
	CHECK(a->c == b->c && a->h == b->h && a->w == b->w);
	CHECK_EQ_INT(a->nclasses, b->nclasses);
	for (int k = 0; k < a->nclasses; k++)
		CHECK(!strcmp(a->class_names[k], b->class_names[k]));
	CHECK_EQ_INT(a->dtype, b->dtype);
	CHECK(memcmp(a->x, b->x, (size_t)(a->n * a->c * a->h * a->w) *
		     dbv_dtype_size(a->dtype)) == 0);
	CHECK(memcmp(a->y, b->y, (size_t)a->n * sizeof *a->y) == 0);
	CHECK(memcmp(a->y_true, b->y_true, (size_t)a->n * sizeof *a->y) == 0);
	CHECK(memcmp(a->idx, b->idx, (size_t)a->n * sizeof *a->idx) == 0);
	for (int ch = 0; ch < a->c; ch++)
		CHECK(a->mean[ch] == b->mean[ch] && a->std[ch] == b->std[ch]);
	CHECK(a->label_noise == b->label_noise);
}

/* dbv-load's writer, dbv-plane's reader. */
static void test_round_trip(void)
{
	struct dbv_dataset d, e;
	struct dbv_dataset_origin o = {0};
	const uint64_t seed = 42;
	char *src[2] = {"a.idx", "b.idx"}, *argv[] = {"load", "x", NULL};
	struct dbv_reader *r;
	size_t items;
	int fd;

	make_set(&d, 5);
	o.noise_seed = &seed;
	o.source = src;
	o.nsource = 2;
	CHECK_OK(dbv_dataset_batch_items(&d, 2, &items));
	CHECK_EQ_INT(items, 2);
	struct dbv_writer *w = wopen("rt.dbv", &fd);
	CHECK_OK(dbv_dataset_write(w, &d, &o, items, 2, argv));
	wclose(w, fd);

	r = ropen("rt.dbv", &fd);
	const struct dbv_dataset_read_opts opt = {0, 2, "test"};
	CHECK_OK(dbv_dataset_read(r, &e, &opt));
	check_same(&d, &e);
	/* The header facts that are not in the struct. */
	const dbv_val *meta = dbv_reader_meta(r);
	uint64_t u = 0;
	int64_t n = 0;
	CHECK_OK(dbv_val_u64(dbv_map_get(meta, "noise_seed"), &u));
	CHECK_EQ_INT(u, 42);
	CHECK(dbv_val_type(dbv_map_get(meta, "shuffle_seed")) == DBV_V_NIL);
	CHECK(dbv_val_is(dbv_array_at(dbv_map_get(meta, "source"), 1), "b.idx"));
	CHECK_OK(dbv_get_i64(meta, "n", &n));
	CHECK_EQ_INT(n, 5);
	CHECK_EQ_INT(dbv_val_len(meta), 12);
	CHECK(dbv_val_is(dbv_array_at(dbv_reader_pipeline(r), 0), "load x"));
	/* 5 items, 2 a record: 3 batch records. */
	int64_t records = 0;
	CHECK_OK(dbv_get_i64(dbv_reader_trailer(r), "records", &records));
	CHECK_EQ_INT(records, 3);
	dbv_reader_free(r);
	close(fd);
	dbv_dataset_release(&e);

	/* Default record size: about 1 MiB of pixels, at most n. */
	CHECK_OK(dbv_dataset_batch_items(&d, 0, &items));
	CHECK_EQ_INT(items, 5);
	d.n = 1000000;
	CHECK_OK(dbv_dataset_batch_items(&d, 0, &items));
	CHECK_EQ_INT(items, DBV_DATASET_BATCH_BYTES / 12);
	d.n = (int64_t)1 << 30;
	CHECK_RC(dbv_dataset_batch_items(&d, (size_t)12 << 20, &items), DBV_EUSAGE);
	d.n = 5;
	dbv_dataset_release(&d);
}

/* f32 items (the grid points of dbv-plane --expand) and the reader that
 * takes them; dbv-train's reader refuses them. */
static void test_f32(void)
{
	struct dbv_dataset d, e;
	struct dbv_dataset_origin o = {0};
	char *argv[] = {"t", NULL};
	struct dbv_reader *r;
	float *f;
	int fd;

	make_set(&d, 3);
	f = dbv_malloc(3 * 12 * sizeof *f);
	for (int i = 0; i < 36; i++)
		f[i] = 0.5f * (float)i - 3;
	free(d.x);
	d.x = (uint8_t *)f;
	d.dtype = DBV_F32;
	d.y[1] = d.y_true[1] = -1;
	struct dbv_writer *w = wopen("f32.dbv", &fd);
	CHECK_OK(dbv_dataset_write(w, &d, &o, 2, 1, argv));
	wclose(w, fd);

	const struct dbv_dataset_read_opts plane = {
		DBV_DATASET_F32 | DBV_DATASET_UNLABELLED, 1, "dbv-plane"};
	r = ropen("f32.dbv", &fd);
	CHECK_OK(dbv_dataset_read(r, &e, &plane));
	check_same(&d, &e);
	dbv_reader_free(r);
	close(fd);
	dbv_dataset_release(&e);

	const struct dbv_dataset_read_opts train = {0, 2, "dbv-train"};
	r = ropen("f32.dbv", &fd);
	CHECK_RC(dbv_dataset_read(r, &e, &train), DBV_EINPUT);
	check_msg(1, "\"x\" must be u8 [b,2,3,2]");
	CHECK(e.x == NULL && e.n == 0);
	dbv_reader_free(r);
	close(fd);
	/* Labels -1 need DBV_DATASET_UNLABELLED. */
	const struct dbv_dataset_read_opts f32only = {DBV_DATASET_F32, 1, NULL};
	r = ropen("f32.dbv", &fd);
	CHECK_RC(dbv_dataset_read(r, &e, &f32only), DBV_EINPUT);
	check_msg(1, "label -1 is out of range (0 to 2)");
	dbv_reader_free(r);
	close(fd);
	dbv_dataset_release(&d);
}

/* ---- hand-made streams ---- */

/* Header mutations: one key made bad or left out. */
enum hmut {
	H_OK, H_NO_SHAPE, H_SHAPE_C5, H_SHAPE_H4097, H_SHAPE_2D, H_SHAPE_STR,
	H_SHAPE_0, H_NO_CLASSES, H_CLASSES_0, H_CLASSES_BIG, H_CLASSES_STR,
	H_NO_MEAN, H_MEAN_SHORT, H_STD_0, H_MEAN_NAN, H_NAMES_SHORT,
	H_NAMES_INT, H_NOISE_2, H_DATASET_INT, H_CLASSES_1,
};

static void header(struct dbv_writer *w, enum hmut m)
{
	const int64_t shape[3] = {2, m == H_SHAPE_H4097 ? 4097 : 3, 2},
		      c5[3] = {5, 3, 2}, z[3] = {2, 0, 2};
	const double mean[2] = {0.5, m == H_MEAN_NAN ? NAN : 0.25};
	const double std[2] = {0.25, m == H_STD_0 ? 0 : 0.5};
	char *names[3] = {"a", "b", "c"}, *argv[] = {"t", NULL};
	const size_t n = 7 - (m == H_NO_SHAPE) - (m == H_NO_CLASSES) -
			 (m == H_NO_MEAN);

	dbv_writer_header_begin(w, "dataset", NULL, 1, argv, n);
	dbv_w_key(w, "dataset");
	m == H_DATASET_INT ? dbv_w_i64(w, 1) : dbv_w_str(w, "hand");
	if (m != H_NO_SHAPE) {
		dbv_w_key(w, "shape");
		if (m == H_SHAPE_C5)
			dbv_w_i64_array(w, c5, 3);
		else if (m == H_SHAPE_0)
			dbv_w_i64_array(w, z, 3);
		else if (m == H_SHAPE_STR)
			dbv_w_str(w, "2x3x2");
		else
			dbv_w_i64_array(w, shape, m == H_SHAPE_2D ? 2 : 3);
	}
	if (m != H_NO_CLASSES) {
		dbv_w_key(w, "classes");
		if (m == H_CLASSES_STR)
			dbv_w_str(w, "3");
		else
			dbv_w_i64(w, m == H_CLASSES_0 ? 0 : m == H_CLASSES_BIG ?
				  DBV_DATASET_MAX_CLASSES + 1 : m == H_CLASSES_1 ? 1 : 3);
	}
	dbv_w_key(w, "class_names");
	if (m == H_NAMES_INT)
		dbv_w_i64_array(w, shape, 3);
	else
		dbv_w_str_array(w, names, m == H_NAMES_SHORT || m == H_CLASSES_1 ?
				(m == H_CLASSES_1 ? 1 : 2) : 3);
	if (m != H_NO_MEAN) {
		dbv_w_key(w, "mean");
		dbv_w_f64_array(w, mean, m == H_MEAN_SHORT ? 1 : 2);
	}
	dbv_w_key(w, "std");
	dbv_w_f64_array(w, std, 2);
	dbv_w_key(w, "label_noise");
	dbv_w_f64(w, m == H_NOISE_2 ? 2 : 0);
	dbv_writer_header_end(w);
}

/* Batch mutations. */
enum bmut {
	B_OK, B_BARE, B_X_I32, B_X_SHAPE, B_X_3D, B_NO_X, B_NO_Y, B_Y_I64,
	B_YT_LEN, B_IDX_I32, B_Y_HIGH, B_Y_NEG, B_YT_HIGH, B_X_F32, B_X_NAN,
};

/* A batch of k items; bare: x and y only. */
static void batch(struct dbv_writer *w, enum bmut m, int k, int32_t label)
{
	uint8_t x[4 * 12];
	float f[4 * 12];
	int32_t y[4], yt[4];
	int64_t idx[4];
	const int64_t xs[4] = {k, 2, 3, 2}, xbad[4] = {k, 2, 2, 3}, ys[1] = {k},
		      ybad[1] = {k - 1};
	const int bare = m == B_BARE;
	const size_t n = 4 - (m == B_NO_X) - (m == B_NO_Y) - 2 * bare;

	for (int i = 0; i < 4 * 12; i++) {
		x[i] = (uint8_t)(label * 16 + i);
		f[i] = m == B_X_NAN && i == 5 ? NAN : (float)i;
	}
	for (int i = 0; i < 4; i++) {
		y[i] = m == B_Y_HIGH && i == 1 ? 3 : m == B_Y_NEG ? -1 : label;
		yt[i] = m == B_YT_HIGH ? 5 : (label + 1) % 3;
		idx[i] = 10 * label + i;
	}
	dbv_writer_record_begin(w, "batch", n);
	if (m != B_NO_X) {
		dbv_w_key(w, "x");
		if (m == B_X_I32)
			dbv_w_tensor_raw(w, DBV_I32, 4, xs, f);
		else if (m == B_X_F32 || m == B_X_NAN)
			dbv_w_tensor_raw(w, DBV_F32, 4, xs, f);
		else
			dbv_w_tensor_raw(w, DBV_U8, m == B_X_3D ? 3 : 4,
					 m == B_X_SHAPE ? xbad : xs, x);
	}
	if (m != B_NO_Y) {
		dbv_w_key(w, "y");
		dbv_w_tensor_raw(w, m == B_Y_I64 ? DBV_I64 : DBV_I32, 1, ys,
				 m == B_Y_I64 ? (void *)idx : y);
	}
	if (!bare) {
		dbv_w_key(w, "y_true");
		dbv_w_tensor_raw(w, DBV_I32, 1, m == B_YT_LEN ? ybad : ys, yt);
		dbv_w_key(w, "idx");
		dbv_w_tensor_raw(w, m == B_IDX_I32 ? DBV_I32 : DBV_I64, 1, ys, idx);
	}
	dbv_writer_record_end(w);
}

/* A stream: header m, a good batch, then batch b (unless B_OK). */
static void write_case(enum hmut m, enum bmut b)
{
	int fd;
	struct dbv_writer *w = wopen("case.dbv", &fd);
	header(w, m);
	batch(w, B_OK, 2, 0);
	if (b != B_OK)
		batch(w, b, 3, 1);
	wclose(w, fd);
}

static int read_case(const struct dbv_dataset_read_opts *opt)
{
	struct dbv_dataset d;
	int fd, rc;
	struct dbv_reader *r = ropen("case.dbv", &fd);
	rc = dbv_dataset_read(r, &d, opt);
	CHECK(rc != DBV_OK || d.n == 2 || d.n == 5);
	CHECK(rc == DBV_OK || (d.n == 0 && d.x == NULL));
	dbv_dataset_release(&d);
	dbv_reader_free(r);
	close(fd);
	return rc;
}

static void test_header_refusals(void)
{
	static const struct {
		enum hmut m;
		const char *want;
	} cases[] = {
		{H_NO_SHAPE, "the header lacks a valid \"shape\" [C,H,W] (C 1 to 4, H and W 1 to 4096)"},
		{H_SHAPE_C5, "lacks a valid \"shape\""},
		{H_SHAPE_H4097, "lacks a valid \"shape\""},
		{H_SHAPE_2D, "lacks a valid \"shape\""},
		{H_SHAPE_STR, "lacks a valid \"shape\""},
		{H_SHAPE_0, "lacks a valid \"shape\""},
		{H_NO_CLASSES, "the header lacks a valid \"classes\" (an integer from 1 to 100000)"},
		{H_CLASSES_0, "lacks a valid \"classes\""},
		{H_CLASSES_BIG, "lacks a valid \"classes\""},
		{H_CLASSES_STR, "lacks a valid \"classes\""},
		{H_NO_MEAN, "the header lacks a valid per-channel \"mean\" and \"std\""},
		{H_MEAN_SHORT, "per-channel \"mean\" and \"std\""},
		{H_STD_0, "per-channel \"mean\" and \"std\""},
		{H_MEAN_NAN, "per-channel \"mean\" and \"std\""},
		{H_NAMES_SHORT, "\"class_names\" must be an array of 3 strings"},
		{H_NAMES_INT, "\"class_names\" must be an array of 3 strings"},
		{H_NOISE_2, "\"label_noise\" must be a fraction from 0 to 1"},
		{H_DATASET_INT, "\"dataset\" must be a string"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		write_case(cases[i].m, B_OK);
		CHECK_RC(read_case(NULL), DBV_EINPUT);
		check_msg(0, cases[i].want);
	}
	/* One class: enough for dbv-plane, not for training. */
	write_case(H_CLASSES_1, B_BARE);
	const struct dbv_dataset_read_opts any = {DBV_DATASET_ANY_LABEL, 0, NULL};
	const struct dbv_dataset_read_opts two = {DBV_DATASET_ANY_LABEL, 2, NULL};
	CHECK_OK(read_case(&any));
	CHECK_RC(read_case(&two), DBV_EINPUT);
	check_msg(0, "\"classes\" (an integer from 2 to 100000)");
}

static void test_batch_refusals(void)
{
	static const struct {
		enum bmut m;
		unsigned accept;
		const char *want;
	} cases[] = {
		{B_X_I32, 0, "\"x\" must be u8 [b,2,3,2]"},
		{B_X_I32, DBV_DATASET_F32, "\"x\" must be u8 or f32 [b,2,3,2]"},
		{B_X_SHAPE, 0, "\"x\" must be u8 [b,2,3,2]"},
		{B_X_3D, 0, "\"x\" must be u8 [b,2,3,2]"},
		{B_NO_X, 0, "the batch lacks \"x\""},
		{B_NO_Y, 0, "the batch lacks \"y\""},
		{B_Y_I64, 0, "\"y\" must be i32 [3]"},
		{B_YT_LEN, 0, "\"y_true\" must be i32 [3]"},
		{B_IDX_I32, 0, "\"idx\" must be i64 [3]"},
		{B_Y_HIGH, 0, "label 3 is out of range (0 to 2)"},
		{B_Y_HIGH, DBV_DATASET_UNLABELLED, "label 3 is out of range (-1 to 2)"},
		{B_Y_NEG, 0, "label -1 is out of range (0 to 2)"},
		{B_YT_HIGH, DBV_DATASET_UNLABELLED, "label 5 is out of range (-1 to 2)"},
		{B_X_F32, 0, "\"x\" must be u8 [b,2,3,2]"},
		{B_X_F32, DBV_DATASET_F32, "\"x\" is f32 here but u8 before"},
		{B_X_NAN, DBV_DATASET_F32, "\"x\" holds a non-finite value"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct dbv_dataset_read_opts opt = {cases[i].accept, 0, NULL};
		write_case(H_OK, cases[i].m);
		CHECK_RC(read_case(&opt), DBV_EINPUT);
		check_msg(2, cases[i].want);
	}
	/* What the flags let through. */
	const struct dbv_dataset_read_opts unl = {DBV_DATASET_UNLABELLED, 0, NULL};
	const struct dbv_dataset_read_opts any = {DBV_DATASET_ANY_LABEL, 0, NULL};
	write_case(H_OK, B_Y_NEG);
	CHECK_OK(read_case(&unl));
	write_case(H_OK, B_YT_HIGH);
	CHECK_OK(read_case(&any));
	write_case(H_OK, B_OK);
	CHECK_OK(read_case(NULL));
}

/* Records of other types are skipped; no batch at all is refused; so is
 * a second stream, and a stream of another kind. */
static void test_stream_refusals(void)
{
	struct dbv_dataset d;
	char *argv[] = {"t", NULL};
	struct dbv_reader *r;
	int fd;

	struct dbv_writer *w = wopen("case.dbv", &fd);
	header(w, H_OK);
	dbv_writer_record_begin(w, "note", 0);
	dbv_writer_record_end(w);
	wclose(w, fd);
	CHECK_RC(read_case(NULL), DBV_EINPUT);
	check_msg(2, "the dataset is empty");

	w = wopen("case.dbv", &fd);
	header(w, H_OK);
	dbv_writer_record_begin(w, "note", 0);
	dbv_writer_record_end(w);
	batch(w, B_OK, 2, 0);
	batch(w, B_OK, 3, 1);
	CHECK_OK(dbv_writer_finish(w));
	dbv_writer_free(w);
	w = dbv_writer_new(fd, "test");
	header(w, H_OK);
	wclose(w, fd);
	const struct dbv_dataset_read_opts opt = {0, 0, "dbv-x"};
	r = ropen("case.dbv", &fd);
	CHECK_RC(dbv_dataset_read(r, &d, &opt), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "another stream follows the dataset stream "
		     "(dbv-x reads one)") != NULL);
	dbv_reader_free(r);
	close(fd);

	w = wopen("case.dbv", &fd);
	dbv_writer_header_begin(w, "planes", NULL, 1, argv, 0);
	dbv_writer_header_end(w);
	wclose(w, fd);
	CHECK_RC(read_case(NULL), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "expected a dataset stream") != NULL);
}

/* dbv-predict's way: the header, then batch by batch; y_true and idx
 * default to y and the stream position. */
static void test_batch_by_batch(void)
{
	struct dbv_dataset d;
	struct dbv_dataset_batch b;
	const dbv_val *rec;
	int64_t first = 0;
	int fd, rc, nb = 0;

	struct dbv_writer *w = wopen("bare.dbv", &fd);
	header(w, H_OK);
	batch(w, B_BARE, 2, 1);
	batch(w, B_OK, 3, 2);
	batch(w, B_BARE, 4, 0);
	wclose(w, fd);

	struct dbv_reader *r = ropen("bare.dbv", &fd);
	CHECK_OK(dbv_dataset_read_header(r, &d, NULL));
	CHECK(!strcmp(d.name, "hand") && d.split == NULL && d.n == 0);
	CHECK(d.c == 2 && d.h == 3 && d.w == 2 && d.nclasses == 3);
	CHECK(!strcmp(d.class_names[2], "c"));
	CHECK(d.mean[1] == 0.25 && d.std[1] == 0.5 && d.label_noise == 0);
	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
		CHECK_OK(dbv_dataset_read_batch(r, rec, &d, NULL, first, &b));
		const int32_t *y = b.y.data, *yt = b.y_true.data;
		const int64_t *idx = b.idx.data;
		CHECK_EQ_INT(b.n, nb == 0 ? 2 : nb == 1 ? 3 : 4);
		CHECK(b.x.dtype == DBV_U8 && b.x.shape[0] == b.n);
		for (int64_t i = 0; i < b.n; i++) {
			CHECK_EQ_INT(yt[i], nb == 1 ? 0 : y[i]);
			CHECK_EQ_INT(idx[i], nb == 1 ? 20 + i : first + i);
		}
		first += b.n;
		nb++;
		dbv_dataset_batch_release(&b);
		CHECK(b.x.data == NULL && b.y_true.data == NULL);
	}
	CHECK_EQ_INT(rc, DBV_END);
	CHECK_EQ_INT(nb, 3);
	dbv_dataset_release(&d);
	dbv_reader_free(r);
	close(fd);

	/* The whole reader fills the same defaults. */
	r = ropen("bare.dbv", &fd);
	CHECK_OK(dbv_dataset_read(r, &d, NULL));
	CHECK_EQ_INT(d.n, 9);
	CHECK_EQ_INT(d.idx[0], 0);
	CHECK_EQ_INT(d.idx[2], 20);
	CHECK_EQ_INT(d.idx[5], 5);
	CHECK_EQ_INT(d.y_true[8], d.y[8]);
	CHECK_EQ_INT(d.x[5 * 12], 0);
	dbv_dataset_release(&d);
	dbv_reader_free(r);
	close(fd);
}

int main(void)
{
	check_stream_dir = check_tmpdir();
	test_round_trip();
	test_f32();
	test_header_refusals();
	test_batch_refusals();
	test_stream_refusals();
	test_batch_by_batch();
	return check_done();
}
