/*
 * test_kinds_planes.c - the planes stream kind (lib/kinds/planes.c):
 * header and plane record round trips, the grid points as a data set,
 * the "same plane" fingerprint, and the reader's refusals with their
 * "NAME: record N (byte B): ..." messages.
 */
#include "check.h"
#include "check_stream.h"

/* A u8 data set of 6 random 2x3x4 images, 3 classes, in ds.dbv. */
static void make_dataset(struct dbv_dataset *d)
{
	static char *names[3] = {"a", "b", "c"};
	struct dbv_dataset_origin o = {0};
	struct dbv_rng r;
	char *argv[] = {"load", NULL};
	int fd;

	memset(d, 0, sizeof *d);
	d->n = 6;
	d->c = 2;
	d->h = 3;
	d->w = 4;
	d->nclasses = 3;
	d->class_names = names;
	d->x = dbv_malloc(6 * 24);
	d->y = dbv_malloc(6 * sizeof *d->y);
	d->y_true = dbv_malloc(6 * sizeof *d->y_true);
	d->idx = dbv_malloc(6 * sizeof *d->idx);
	dbv_rng_seed(&r, 3);
	for (int i = 0; i < 6 * 24; i++)
		d->x[i] = (uint8_t)dbv_rng_below(&r, 256);
	for (int i = 0; i < 6; i++) {
		d->y[i] = d->y_true[i] = i % 3;
		d->idx[i] = 50 + i;
	}
	d->mean[0] = 0.4;
	d->mean[1] = 0.6;
	d->std[0] = 0.2;
	d->std[1] = 0.3;
	struct dbv_writer *w = wopen("ds.dbv", &fd);
	CHECK_OK(dbv_dataset_write(w, d, &o, 6, 1, argv));
	wclose(w, fd);
	d->class_names = NULL;
}

static const struct dbv_planes_meta meta_random = {
	.res = 7, .range_l = 0.25, .range_r = 0.5, .mode = DBV_PLANES_RANDOM,
	.triplet_seed = 99, .noise = DBV_ANCHOR_SHUFFLE, .noise_seed = 5,
	.mislabeled = 1, .planes = 2,
};

/* Header and plane records: written, read back the same. */
static void test_round_trip(void)
{
	struct dbv_dataset d, e;
	struct dbv_planes_meta m = meta_random, q;
	struct dbv_anchors a;
	struct dbv_plane pl[2];
	struct dbv_planes_plane got;
	struct dbv_rng rng;
	int64_t classes[3] = {2, 0, 1}, pos[2][3] = {{0, 1, 2}, {5, 3, 4}};
	const dbv_val *rec;
	char *argv[] = {"plane", "--x", NULL};
	int fd, rfd;

	make_dataset(&d);
	m.classes = classes;
	m.nclasses = 3;
	struct dbv_reader *in = ropen("ds.dbv", &rfd);
	CHECK_OK(dbv_dataset_read(in, &e, NULL));
	CHECK_OK(dbv_anchors_init(&a, &e, DBV_ANCHOR_IMAGES));
	dbv_rng_seed(&rng, 1);
	struct dbv_writer *w = wopen("planes.dbv", &fd);
	CHECK_OK(dbv_planes_write_header(w, in, &m, 0, 2, argv));
	for (int i = 0; i < 2; i++) {
		dbv_anchors_make(&a, &e, DBV_ANCHOR_IMAGES, pos[i], &rng);
		CHECK_OK(dbv_plane_make(&pl[i], a.norm, a.norm + 24, a.norm + 48,
					24, m.range_l, m.range_r, m.res));
		CHECK_OK(dbv_planes_write_plane(w, (uint64_t)i, &pl[i], &a, &e));
	}
	wclose(w, fd);
	dbv_reader_free(in);
	close(rfd);
	dbv_dataset_release(&e);

	struct dbv_reader *r = ropen("planes.dbv", &fd);
	CHECK_OK(dbv_planes_read_header(r, &e, &q, NULL));
	CHECK(!strcmp(dbv_reader_kind(r), "planes"));
	CHECK(e.c == 2 && e.h == 3 && e.w == 4 && e.nclasses == 3);
	CHECK(!strcmp(e.class_names[1], "b") && e.mean[1] == 0.6);
	CHECK(q.res == 7 && q.range_l == 0.25 && q.range_r == 0.5);
	CHECK(q.mode == DBV_PLANES_RANDOM && q.triplet_seed == 99);
	CHECK(q.noise == DBV_ANCHOR_SHUFFLE && q.noise_seed == 5);
	CHECK(q.mislabeled == 1 && q.planes == 2 && q.nclasses == 3);
	CHECK(q.classes && q.classes[0] == 2 && q.classes[2] == 1);
	/* The input's 12 keys and this kind's 10, "n" of the input kept. */
	CHECK_EQ_INT(dbv_val_len(dbv_reader_meta(r)), 22);
	CHECK(dbv_val_is(dbv_array_at(dbv_reader_pipeline(r), 1), "plane --x"));
	for (int i = 0; i < 2; i++) {
		CHECK_OK(dbv_reader_next(r, &rec));
		CHECK_OK(dbv_planes_read_plane(r, rec, &e, &got));
		CHECK_EQ_INT(got.plane, i);
		CHECK_EQ_INT(got.geom.res, 7);
		CHECK(memcmp(got.geom.origin, pl[i].origin, 24 * sizeof(float)) == 0);
		CHECK(memcmp(got.geom.u, pl[i].u, 24 * sizeof(float)) == 0);
		CHECK(memcmp(got.geom.v, pl[i].v, 24 * sizeof(float)) == 0);
		CHECK(memcmp(got.geom.coords, pl[i].coords, sizeof pl[i].coords) == 0);
		CHECK(memcmp(got.geom.range, pl[i].range, sizeof pl[i].range) == 0);
		CHECK_EQ_INT(dbv_plane_fingerprint(&got.geom),
			     dbv_plane_fingerprint(&pl[i]));
		CHECK(got.anchors.dtype == DBV_U8);
		for (int k = 0; k < 3; k++) {
			CHECK(memcmp((uint8_t *)got.anchors.px + 24 * k,
				     d.x + 24 * pos[i][k], 24) == 0);
			CHECK_EQ_INT(got.anchors.idx[k], 50 + pos[i][k]);
			CHECK_EQ_INT(got.anchors.y[k], pos[i][k] % 3);
			CHECK_EQ_INT(got.anchors.y_true[k], pos[i][k] % 3);
		}
		dbv_planes_plane_release(&got);
	}
	CHECK(dbv_plane_fingerprint(&pl[0]) != dbv_plane_fingerprint(&pl[1]));
	CHECK_RC(dbv_reader_next(r, &rec), DBV_END);
	dbv_planes_meta_release(&q);
	dbv_dataset_release(&e);
	dbv_reader_free(r);
	close(fd);

	/* A planes header written from a planes stream replaces its keys. */
	m = (struct dbv_planes_meta){.res = 2, .mode = DBV_PLANES_IDS,
				     .mislabeled = -1, .planes = 1};
	in = ropen("planes.dbv", &rfd);
	CHECK_OK(dbv_planes_read_header(in, &e, &q, NULL));
	w = wopen("again.dbv", &fd);
	CHECK_OK(dbv_planes_write_header(w, in, &m, 0, 1, argv));
	wclose(w, fd);
	dbv_planes_meta_release(&q);
	dbv_dataset_release(&e);
	dbv_reader_free(in);
	close(rfd);
	r = ropen("again.dbv", &fd);
	CHECK_OK(dbv_planes_read_header(r, &e, &q, NULL));
	CHECK_EQ_INT(dbv_val_len(dbv_reader_meta(r)), 22);
	CHECK(q.res == 2 && q.mode == DBV_PLANES_IDS && q.classes == NULL);
	CHECK(q.noise == DBV_ANCHOR_IMAGES && q.mislabeled == -1);
	CHECK(dbv_val_type(dbv_map_get(dbv_reader_meta(r), "triplet_seed")) ==
	      DBV_V_NIL);
	dbv_planes_meta_release(&q);
	dbv_dataset_release(&e);
	dbv_reader_free(r);
	close(fd);

	dbv_plane_release(&pl[0]);
	dbv_plane_release(&pl[1]);
	dbv_anchors_release(&a);
	dbv_dataset_release(&d);
}

/* The grid points as a data set (dbv-plane --expand), read back by the
 * dataset reader that takes f32. */
static void test_points(void)
{
	struct dbv_dataset d, e, pts;
	struct dbv_planes_meta m = meta_random;
	struct dbv_anchors a;
	struct dbv_plane pl;
	struct dbv_rng rng;
	const int64_t pos[3] = {4, 0, 2};
	char *argv[] = {"plane", NULL};
	float want[49 * 24];
	int fd, rfd;

	make_dataset(&d);
	m.planes = 2;
	struct dbv_reader *in = ropen("ds.dbv", &rfd);
	CHECK_OK(dbv_dataset_read(in, &e, NULL));
	CHECK_OK(dbv_anchors_init(&a, &e, DBV_ANCHOR_IMAGES));
	dbv_rng_seed(&rng, 1);
	dbv_anchors_make(&a, &e, DBV_ANCHOR_IMAGES, pos, &rng);
	CHECK_OK(dbv_plane_make(&pl, a.norm, a.norm + 24, a.norm + 48, 24, 0.1,
				0.1, 7));
	CHECK_OK(dbv_planes_points_init(&pts, &e));
	pts.n = 10; /* records of 10 points: 5 a plane */
	struct dbv_writer *w = wopen("pts.dbv", &fd);
	CHECK_OK(dbv_planes_write_header(w, in, &m, 1, 1, argv));
	for (uint64_t i = 0; i < 2; i++)
		CHECK_OK(dbv_planes_write_points(w, &pl, &e, i, &pts));
	wclose(w, fd);
	dbv_reader_free(in);
	close(rfd);

	const struct dbv_dataset_read_opts opt = {
		DBV_DATASET_F32 | DBV_DATASET_UNLABELLED, 1, "test"};
	struct dbv_reader *r = ropen("pts.dbv", &fd);
	struct dbv_dataset got;
	CHECK_OK(dbv_dataset_read(r, &got, &opt));
	int64_t n = 0, rec = 0;
	CHECK_OK(dbv_get_i64(dbv_reader_meta(r), "n", &n));
	CHECK_EQ_INT(n, 98);
	CHECK(dbv_val_is(dbv_map_get(dbv_reader_meta(r), "expanded_from"), "planes"));
	CHECK_OK(dbv_get_i64(dbv_reader_trailer(r), "records", &rec));
	CHECK_EQ_INT(rec, 10);
	CHECK_EQ_INT(got.n, 98);
	CHECK(got.dtype == DBV_F32 && got.nclasses == 3);
	dbv_plane_points(&pl, 0, 49, want);
	dbv_denormalise(want, 49, 2, 12, e.mean, e.std);
	CHECK(memcmp(got.x, want, sizeof want) == 0);
	CHECK(memcmp(got.x + sizeof want, want, sizeof want) == 0);
	for (int64_t i = 0; i < 98; i++) {
		CHECK_EQ_INT(got.idx[i], i);
		CHECK(got.y[i] == -1 && got.y_true[i] == -1);
	}
	/* Point (0, 0) in pixel units is the plane's corner. */
	for (int q = 0; q < 12; q++)
		CHECK_NEAR(((float *)got.x)[q],
			   ((pl.origin[q] + pl.range[0] * pl.u[q] +
			     pl.range[2] * pl.v[q]) * e.std[0] + e.mean[0]) * 255,
			   1e-3);
	dbv_dataset_release(&got);
	dbv_reader_free(r);
	close(fd);
	dbv_dataset_release(&pts);
	dbv_plane_release(&pl);
	dbv_anchors_release(&a);
	dbv_dataset_release(&e);
	dbv_dataset_release(&d);
}

/* The fingerprint is one CRC-32C over dim (u64), res (i64), origin, u,
 * v, range and coords, in this order; nothing else. */
static void test_fingerprint(void)
{
	float o[4] = {1, 2, 3, 4}, u[4] = {0, 1, 0, 0}, v[4] = {0, 0, 1, 0};
	struct dbv_plane p = {.dim = 4, .origin = o, .u = u, .v = v, .res = 5,
			      .range = {-1, 2, -3, 4},
			      .coords = {{0, 0}, {1, 0}, {0.5, 1}}};
	unsigned char bytes[8 + 8 + 3 * 16 + 32 + 48];
	const uint64_t dim = 4;
	const int64_t res = 5;

	memcpy(bytes, &dim, 8);
	memcpy(bytes + 8, &res, 8);
	memcpy(bytes + 16, o, 16);
	memcpy(bytes + 32, u, 16);
	memcpy(bytes + 48, v, 16);
	memcpy(bytes + 64, p.range, 32);
	memcpy(bytes + 96, p.coords, 48);
	const uint32_t f = dbv_plane_fingerprint(&p);
	CHECK_EQ_INT(f, dbv_crc32c(0, bytes, sizeof bytes));
	p.res = 9;
	CHECK(dbv_plane_fingerprint(&p) != f);
	p.res = 5;
	p.coords[2][1] = 7;
	CHECK(dbv_plane_fingerprint(&p) != f);
	p.coords[2][1] = 1;
	CHECK_EQ_INT(dbv_plane_fingerprint(&p), f);
	p.range[3] = 4.5;
	CHECK(dbv_plane_fingerprint(&p) != f);
	p.range[3] = 4;
	v[3] = 1e-7f;
	CHECK(dbv_plane_fingerprint(&p) != f);
	v[3] = 0;
	o[0] = 1.5f;
	CHECK(dbv_plane_fingerprint(&p) != f);
}

static void test_names(void)
{
	for (int n = DBV_ANCHOR_IMAGES; n <= DBV_ANCHOR_SHUFFLE; n++)
		CHECK_EQ_INT(dbv_anchor_noise_from_name(dbv_anchor_noise_name(n)), n);
	CHECK(!strcmp(dbv_anchor_noise_name(DBV_ANCHOR_IMAGES), "none"));
	CHECK_EQ_INT(dbv_anchor_noise_from_name("gauss"), -1);
	CHECK(!strcmp(dbv_planes_mode_name(DBV_PLANES_SAME_CLASS), "same-class"));
}

/* Header mutations of a planes stream. */
enum hmut { H_RES_1, H_RES_BIG, H_NO_RANGE, H_RANGE_NEG, H_MODE, H_NOISE,
	    H_SEED_NEG, H_MISLABELED_4, H_CLASSES, H_NO_PLANES, H_SHAPE, H_OK };

static void planes_header(struct dbv_writer *w, enum hmut m)
{
	const int64_t shape[3] = {2, 3, m == H_SHAPE ? 5000 : 4}, cls[2] = {0, -1};
	const double mean[2] = {0.4, 0.6}, std[2] = {0.2, 0.3};
	char *argv[] = {"t", NULL};

	dbv_writer_header_begin(w, "planes", NULL, 1, argv,
				14 - (m == H_NO_RANGE) - (m == H_NO_PLANES));
	dbv_w_key(w, "shape"); dbv_w_i64_array(w, shape, 3);
	dbv_w_key(w, "classes"); dbv_w_i64(w, 3);
	dbv_w_key(w, "mean"); dbv_w_f64_array(w, mean, 2);
	dbv_w_key(w, "std"); dbv_w_f64_array(w, std, 2);
	dbv_w_key(w, "res");
	dbv_w_i64(w, m == H_RES_1 ? 1 : m == H_RES_BIG ? DBV_PLANE_MAX_RES + 1 : 5);
	if (m != H_NO_RANGE) {
		dbv_w_key(w, "range_l"); dbv_w_f64(w, 0.1);
	}
	dbv_w_key(w, "range_r"); dbv_w_f64(w, m == H_RANGE_NEG ? -0.1 : 0.1);
	dbv_w_key(w, "triplet_seed");
	m == H_SEED_NEG ? dbv_w_i64(w, -3) : dbv_w_u64(w, 3);
	dbv_w_key(w, "mode"); dbv_w_str(w, m == H_MODE ? "any" : "random");
	dbv_w_key(w, "anchor_noise"); dbv_w_str(w, m == H_NOISE ? "gauss" : "none");
	dbv_w_key(w, "anchor_noise_seed"); dbv_w_nil(w);
	dbv_w_key(w, "mislabeled");
	m == H_MISLABELED_4 ? dbv_w_i64(w, 4) : dbv_w_nil(w);
	dbv_w_key(w, "triplet_classes");
	m == H_CLASSES ? dbv_w_i64_array(w, cls, 2) : dbv_w_nil(w);
	if (m != H_NO_PLANES) {
		dbv_w_key(w, "planes"); dbv_w_u64(w, 1);
	}
	dbv_writer_header_end(w);
}

static void test_header_refusals(void)
{
	static const struct {
		enum hmut m;
		const char *want;
	} cases[] = {
		{H_RES_1, "the planes header lacks a valid \"res\""},
		{H_RES_BIG, "the planes header lacks a valid \"res\""},
		{H_NO_RANGE, "the planes header lacks a valid \"range_l\""},
		{H_RANGE_NEG, "the planes header lacks a valid \"range_r\""},
		{H_MODE, "the planes header lacks a valid \"mode\""},
		{H_NOISE, "the planes header lacks a valid \"anchor_noise\""},
		{H_SEED_NEG, "the planes header lacks a valid \"triplet_seed\""},
		{H_MISLABELED_4, "the planes header lacks a valid \"mislabeled\""},
		{H_CLASSES, "the planes header lacks a valid \"triplet_classes\""},
		{H_NO_PLANES, "the planes header lacks a valid \"planes\""},
		{H_SHAPE, "the header lacks a valid \"shape\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct dbv_dataset d;
		struct dbv_planes_meta m;
		int fd;
		struct dbv_writer *w = wopen("bad.dbv", &fd);
		planes_header(w, cases[i].m);
		wclose(w, fd);
		struct dbv_reader *r = ropen("bad.dbv", &fd);
		CHECK_RC(dbv_planes_read_header(r, &d, &m, NULL), DBV_EINPUT);
		check_msg(0, cases[i].want);
		CHECK(d.class_names == NULL && m.classes == NULL);
		dbv_reader_free(r);
		close(fd);
	}
}

/* Record mutations of a plane record. */
enum rmut { R_ORIGIN_SHAPE, R_U_F64, R_RES_1, R_RANGE_ORDER, R_V_NAN,
	    R_ANCHORS_I32, R_ANCHORS_SHAPE, R_IDX_LEN, R_Y_I64, R_PLANE_NEG,
	    R_NO_COORDS, R_RES_OTHER };

static void test_record_refusals(void)
{
	static const struct {
		enum rmut m;
		int geometry; /* refused by dbv_planes_read_geometry too */
		const char *want;
	} cases[] = {
		{R_ORIGIN_SHAPE, 1, "\"origin\" must be f32 [2,3,4]"},
		{R_U_F64, 1, "\"u\" must be f32 [2,3,4]"},
		{R_RES_1, 1, "\"res\" 1 is not 2 to 4096"},
		{R_RANGE_ORDER, 1, "\"range\" must be finite xmin < xmax, ymin < ymax"},
		{R_V_NAN, 1, "\"v\" holds non-finite values"},
		{R_NO_COORDS, 1, "missing tensor \"coords\""},
		/* Issue #11 item 11: every plane has its header's res. */
		{R_RES_OTHER, 1, "\"res\" is 6, the header's is 5 (every plane of a stream has its header's)"},
		{R_ANCHORS_I32, 0, "\"anchors\" must be u8 or f32 [3,2,3,4]"},
		{R_ANCHORS_SHAPE, 0, "\"anchors\" must be u8 or f32 [3,2,3,4]"},
		{R_IDX_LEN, 0, "\"idx\" must be i64 [3]"},
		{R_Y_I64, 0, "\"y\" must be i32 [3]"},
		{R_PLANE_NEG, 0, "\"plane\" must be an integer >= 0"},
	};
	const int64_t item[3] = {2, 3, 4}, wrong[3] = {2, 4, 3}, cs[2] = {3, 2},
		      rs[1] = {4}, three[4] = {3, 2, 3, 4}, a2[4] = {2, 2, 3, 4},
		      n3[1] = {3}, n2[1] = {2};
	float vec[24] = {0}, nan[24] = {0};
	double dvec[24] = {0}, coords[6] = {0, 0, 1, 0, 0, 1};
	double range[4] = {-1, 2, -1, 2}, bad_range[4] = {2, -1, -1, 2};
	uint8_t px[72] = {0};
	int64_t idx[3] = {1, 2, 3};
	int32_t y[3] = {0, 1, 2};

	nan[7] = NAN;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const enum rmut m = cases[i].m;
		struct dbv_dataset d;
		struct dbv_planes_meta pm;
		struct dbv_planes_plane p;
		struct dbv_plane g;
		const dbv_val *rec;
		int fd;

		struct dbv_writer *w = wopen("rec.dbv", &fd);
		planes_header(w, H_OK);
		dbv_writer_record_begin(w, "plane", 11 - (m == R_NO_COORDS));
		dbv_w_key(w, "plane"); dbv_w_i64(w, m == R_PLANE_NEG ? -1 : 0);
		dbv_w_key(w, "origin");
		dbv_w_tensor_raw(w, DBV_F32, 3, m == R_ORIGIN_SHAPE ? wrong : item, vec);
		dbv_w_key(w, "u");
		if (m == R_U_F64)
			dbv_w_tensor_raw(w, DBV_F64, 3, item, dvec);
		else
			dbv_w_tensor_raw(w, DBV_F32, 3, item, vec);
		dbv_w_key(w, "v");
		dbv_w_tensor_raw(w, DBV_F32, 3, item, m == R_V_NAN ? nan : vec);
		dbv_w_key(w, "anchors");
		if (m == R_ANCHORS_I32)
			dbv_w_tensor_raw(w, DBV_I32, 1, n3, y);
		else
			dbv_w_tensor_raw(w, DBV_U8, 4, m == R_ANCHORS_SHAPE ? a2 : three, px);
		dbv_w_key(w, "idx");
		dbv_w_tensor_raw(w, DBV_I64, 1, m == R_IDX_LEN ? n2 : n3, idx);
		dbv_w_key(w, "y");
		dbv_w_tensor_raw(w, m == R_Y_I64 ? DBV_I64 : DBV_I32, 1, n3,
				 m == R_Y_I64 ? (void *)idx : y);
		dbv_w_key(w, "y_true"); dbv_w_tensor_raw(w, DBV_I32, 1, n3, y);
		if (m != R_NO_COORDS) {
			dbv_w_key(w, "coords"); dbv_w_tensor_raw(w, DBV_F64, 2, cs, coords);
		}
		dbv_w_key(w, "res");
		dbv_w_i64(w, m == R_RES_1 ? 1 : m == R_RES_OTHER ? 6 : 5);
		dbv_w_key(w, "range");
		dbv_w_tensor_raw(w, DBV_F64, 1, rs, m == R_RANGE_ORDER ? bad_range : range);
		dbv_writer_record_end(w);
		wclose(w, fd);

		struct dbv_reader *r = ropen("rec.dbv", &fd);
		CHECK_OK(dbv_planes_read_header(r, &d, &pm, NULL));
		CHECK_OK(dbv_reader_next(r, &rec));
		CHECK_RC(dbv_planes_read_plane(r, rec, &d, &p), DBV_EINPUT);
		check_msg(1, cases[i].want);
		CHECK(p.geom.origin == NULL && p.anchors.px == NULL);
		if (cases[i].geometry) {
			CHECK_RC(dbv_planes_read_geometry(r, rec, &d, &g), DBV_EINPUT);
			check_msg(1, cases[i].want);
		} else {
			CHECK_OK(dbv_planes_read_geometry(r, rec, &d, &g));
			dbv_plane_release(&g);
		}
		dbv_planes_meta_release(&pm);
		dbv_dataset_release(&d);
		dbv_reader_free(r);
		close(fd);
	}
}

int main(void)
{
	check_stream_dir = check_tmpdir();
	test_round_trip();
	test_points();
	test_fingerprint();
	test_names();
	test_header_refusals();
	test_record_refusals();
	return check_done();
}
