/*
 * test_kinds_pred.c - the pred stream kind (lib/kinds/pred.c): round trips
 * through its writers and reader, over planes (u8 and i32 labels) and over
 * a data set; the model map; the plane fingerprint; and every refusal of
 * the reader with the one message format "NAME: record N (byte B): ...".
 *
 * The streams the refusals read are written field by field with the
 * stream layer's value writers, not with the writers under test.
 */
#include "check.h"

#include "stream_files.h"

static char *argv0[] = {"test", "--arg", NULL};

/* ---- hand-written streams ------------------------------------------ */

static const int64_t shape3[3] = {1, 2, 2};
static const float origin0[4] = {0, 0, 0, 0}, e0[4] = {1, 0, 0, 0}, e1[4] = {0, 1, 0, 0};
static const double coords0[6] = {0, 0, 1, 0, 0, 1}, range0[4] = {-1, 2, -1, 2};

/* The input's meta (a planes or dataset stream's): 8 pairs. */
static void input_meta(struct dbv_writer *w, int K)
{
	double mean[1] = {0.5}, sd[1] = {0.25};
	char *names[300];
	char buf[300][8];
	for (int k = 0; k < K; k++) {
		snprintf(buf[k], sizeof buf[k], "c%d", k);
		names[k] = buf[k];
	}
	dbv_w_key(w, "dataset"); dbv_w_str(w, "test");
	dbv_w_key(w, "shape"); dbv_w_i64_array(w, shape3, 3);
	dbv_w_key(w, "classes"); dbv_w_i64(w, K);
	dbv_w_key(w, "class_names"); dbv_w_str_array(w, names, (size_t)K);
	dbv_w_key(w, "mean"); dbv_w_f64_array(w, mean, 1);
	dbv_w_key(w, "std"); dbv_w_f64_array(w, sd, 1);
	dbv_w_key(w, "res"); dbv_w_i64(w, 3);
	dbv_w_key(w, "mode"); dbv_w_str(w, "ids");
}

/* The 11 keys of a plane record; u is e0 turned by `turn` in its plane. */
static void plane_keys(struct dbv_writer *w, int64_t plane, int res, float turn)
{
	const int64_t sa[4] = {3, 1, 2, 2}, s3[1] = {3}, sc[2] = {3, 2}, sr[1] = {4};
	uint8_t anchors[12];
	const int32_t y[3] = {2, 0, 1}, yt[3] = {2, 1, 1};
	const int64_t idx[3] = {10, 11, 12};
	float u[4] = {1, turn, 0, 0};
	for (int i = 0; i < 12; i++)
		anchors[i] = (uint8_t)(20 * i);
	dbv_w_key(w, "plane"); dbv_w_i64(w, plane);
	dbv_w_key(w, "origin"); dbv_w_tensor_raw(w, DBV_F32, 3, shape3, origin0);
	dbv_w_key(w, "u"); dbv_w_tensor_raw(w, DBV_F32, 3, shape3, u);
	dbv_w_key(w, "v"); dbv_w_tensor_raw(w, DBV_F32, 3, shape3, e1);
	dbv_w_key(w, "anchors"); dbv_w_tensor_raw(w, DBV_U8, 4, sa, anchors);
	dbv_w_key(w, "idx"); dbv_w_tensor_raw(w, DBV_I64, 1, s3, idx);
	dbv_w_key(w, "y"); dbv_w_tensor_raw(w, DBV_I32, 1, s3, y);
	dbv_w_key(w, "y_true"); dbv_w_tensor_raw(w, DBV_I32, 1, s3, yt);
	dbv_w_key(w, "coords"); dbv_w_tensor_raw(w, DBV_F64, 2, sc, coords0);
	dbv_w_key(w, "res"); dbv_w_i64(w, res);
	dbv_w_key(w, "range"); dbv_w_tensor_raw(w, DBV_F64, 1, sr, range0);
}

/* A planes stream of K classes: plane 0, a "note" record, plane 1. */
static void write_planes(const char *name, int K)
{
	struct dbv_writer *w = wopen(name);
	dbv_writer_header_begin(w, "planes", NULL, 2, argv0, 9);
	input_meta(w, K);
	dbv_w_key(w, "planes"); dbv_w_i64(w, 2);
	dbv_writer_header_end(w);
	dbv_writer_record_begin(w, "plane", 11);
	plane_keys(w, 0, 3, 0);
	dbv_writer_record_end(w);
	dbv_writer_record_begin(w, "note", 1);
	dbv_w_key(w, "text"); dbv_w_str(w, "passed through");
	dbv_writer_record_end(w);
	dbv_writer_record_begin(w, "plane", 11);
	plane_keys(w, 1, 3, 0.5f);
	dbv_writer_record_end(w);
	wclose(w);
}

/* A model stream's header: the meta dbv-predict picks its map from. */
static void write_model(const char *name)
{
	struct dbv_writer *w = wopen(name);
	const double betas[2] = {0.9, 0.999};
	dbv_writer_header_begin(w, "model", NULL, 1, argv0, 9);
	dbv_w_key(w, "arch"); dbv_w_str(w, "cnn5");
	dbv_w_key(w, "width"); dbv_w_i64(w, 16);
	dbv_w_key(w, "depth"); dbv_w_i64(w, -1);
	dbv_w_key(w, "betas"); dbv_w_f64_array(w, betas, 2); /* not copied */
	dbv_w_key(w, "seed"); dbv_w_u64(w, UINT64_MAX - 1);
	dbv_w_key(w, "optim"); dbv_w_str(w, "sgd");
	dbv_w_key(w, "lr"); dbv_w_f64(w, 0.05);
	dbv_w_key(w, "nesterov"); dbv_w_bool(w, 1);           /* not copied */
	dbv_w_key(w, "label_noise"); dbv_w_f64(w, 0.25);
	dbv_writer_header_end(w);
	wclose(w);
}

/* ---- round trip over planes ----------------------------------------- */

static int label_at(int p, int i, int j, int K)
{
	return (i * 7 + j * 3 + p * 5) % K;
}

/* Predictions of the planes of `in` written with pred.c's writers. */
static void predict_planes(const char *in, const char *out, int K)
{
	struct rd rd, md;
	struct dbv_pred_header h;
	struct dbv_writer *w = wopen(out);
	const dbv_val *rec;
	int rc;

	memset(&h, 0, sizeof h);
	CHECK_OK(dbv_reader_header(ropen(&md, "model.dbv"), "model", NULL));
	CHECK_OK(dbv_pred_model_from_meta(&h.model, dbv_reader_meta(md.r), "m.dbv"));
	CHECK_OK(dbv_reader_header(ropen(&rd, in), "planes", NULL));
	h.planes = 1;
	h.temp = 2;
	h.logits = 1;
	CHECK_OK(dbv_pred_write_header(w, dbv_reader_meta(rd.r), dbv_reader_pipeline(rd.r),
				       2, argv0, &h));
	while ((rc = dbv_reader_next(rd.r, &rec)) == DBV_OK) {
		int64_t p = -1;
		uint8_t l8[9];
		int32_t l32[9];
		float conf[9], logits[9 * 300];
		if (!dbv_record_is(rec, "plane")) {
			CHECK_OK(dbv_writer_copy_record(w, rec));
			continue;
		}
		dbv_get_i64(rec, "plane", &p);
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 3; j++) {
				l8[3 * i + j] = (uint8_t)label_at((int)p, i, j, K);
				l32[3 * i + j] = label_at((int)p, i, j, K);
				conf[3 * i + j] = 0.25f * (float)(1 + (i + j) % 4);
			}
		for (int k = 0; k < 9 * K; k++)
			logits[k] = (float)k;
		CHECK_OK(dbv_pred_write_plane(w, rec, 3, K, K <= 256 ? l8 : NULL,
					      K <= 256 ? NULL : l32, conf,
					      p == 1 ? logits : NULL));
	}
	CHECK_RC(rc, DBV_END);
	wclose(w);
	rclose(&rd);
	rclose(&md);
	dbv_pred_model_release(&h.model);
}

static void check_plane(const struct dbv_pred_plane *p, int64_t n, int K)
{
	CHECK_EQ_INT(p->plane, n);
	CHECK_EQ_INT(p->geom.res, 3);
	CHECK_EQ_INT(p->geom.dim, 4);
	CHECK(!memcmp(p->geom.range, range0, sizeof range0));
	CHECK(!memcmp(p->geom.coords, coords0, sizeof coords0));
	CHECK(p->geom.u[0] == 1 && p->geom.u[1] == (n ? 0.5f : 0) && p->geom.v[1] == 1);
	CHECK_EQ_INT(p->anchors.dtype, DBV_U8);
	CHECK_EQ_INT(p->anchors.ndim, 4);
	CHECK_EQ_INT(((uint8_t *)p->anchors.data)[11], 220);
	CHECK(p->y[0] == 2 && p->y[1] == 0 && p->y[2] == 1);
	CHECK(p->y_true[0] == 2 && p->y_true[1] == 1 && p->y_true[2] == 1);
	CHECK(p->idx[0] == 10 && p->idx[1] == 11 && p->idx[2] == 12);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			CHECK_EQ_INT(p->labels[3 * i + j], label_at((int)n, i, j, K));
			CHECK(p->conf[3 * i + j] == 0.25f * (float)(1 + (i + j) % 4));
		}
}

static void test_planes_round_trip(int K)
{
	struct rd rd;
	struct dbv_pred_header h;
	struct dbv_pred_record rec;
	struct dbv_pred_labels l;
	struct dbv_plane g;
	const dbv_val *v;
	char desc[160];
	uint32_t fp0 = 0, fp1 = 0;

	write_model("model.dbv");
	write_planes("planes.dbv", K);
	predict_planes("planes.dbv", "pred.dbv", K);

	CHECK_OK(dbv_pred_header_read(ropen(&rd, "pred.dbv"), &h));
	CHECK_EQ_INT(h.planes, 1);
	CHECK_EQ_INT(h.classes, K);
	CHECK(h.class_names && !strcmp(h.class_names[K - 1], K == 3 ? "c2" : "c299"));
	CHECK(h.c == 1 && h.h == 2 && h.w == 2);
	CHECK(h.temp == 2);
	CHECK_EQ_INT(h.logits, 1);
	/* The input's meta travels on; the pipeline grows by one stage. */
	CHECK_OK(dbv_get_i64(dbv_reader_meta(rd.r), "res", &(int64_t){0}));
	CHECK(dbv_val_is(dbv_map_get(dbv_reader_meta(rd.r), "mode"), "ids"));
	CHECK_EQ_INT(dbv_val_len(dbv_reader_pipeline(rd.r)), 2);
	/* The model map: the documented keys the model has, then file. */
	const char *keys[] = {"arch", "width", "depth", "seed", "optim", "lr",
			      "label_noise", "file"};
	CHECK(h.model.present);
	CHECK_EQ_INT(h.model.n, 8);
	for (size_t k = 0; k < 8 && k < h.model.n; k++)
		CHECK(!strcmp(h.model.kv[k].key, keys[k]));
	CHECK(h.model.arch && !strcmp(h.model.arch, "cnn5"));
	CHECK(h.model.has_width && h.model.width == 16);
	CHECK(!h.model.has_seed);
	CHECK(dbv_pred_model_get(&h.model, "seed")->type == DBV_KV_UINT);
	CHECK(dbv_pred_model_get(&h.model, "seed")->u == UINT64_MAX - 1);
	CHECK(dbv_pred_model_get(&h.model, "depth")->i == -1);
	CHECK(!strcmp(dbv_pred_model_get(&h.model, "file")->s, "m.dbv"));
	CHECK(dbv_pred_model_get(&h.model, "betas") == NULL);
	CHECK_NEAR(h.model.label_noise, 0.25, 0);
	double x = 0;
	CHECK_OK(dbv_pred_kv_number(dbv_pred_model_get(&h.model, "lr"), &x));
	CHECK(x == 0.05);
	CHECK_RC(dbv_pred_kv_number(dbv_pred_model_get(&h.model, "arch"), &x), DBV_EINPUT);
	dbv_pred_model_desc(&h.model, desc, sizeof desc);
	CHECK(!strcmp(desc, "cnn5 w=16 seed=-1 noise=0.25"));

	CHECK_OK(dbv_pred_next(rd.r, &h, &rec));
	CHECK_EQ_INT(rec.type, DBV_PRED_PLANE);
	check_plane(&rec.plane, 0, K);
	fp0 = dbv_plane_fingerprint(&rec.plane.geom);
	dbv_pred_record_release(&rec);
	CHECK_OK(dbv_pred_next(rd.r, &h, &rec));
	CHECK_EQ_INT(rec.type, DBV_PRED_OTHER);
	CHECK(dbv_record_is(rec.raw, "note"));
	dbv_pred_record_release(&rec);
	CHECK_OK(dbv_pred_next(rd.r, &h, &rec));
	CHECK_EQ_INT(rec.type, DBV_PRED_PLANE);
	check_plane(&rec.plane, 1, K);
	fp1 = dbv_plane_fingerprint(&rec.plane.geom);
	v = dbv_map_get(rec.raw, "labels");
	CHECK(dbv_val_is(dbv_map_get(v, "dtype"), K <= 256 ? "u8" : "i32"));
	CHECK(dbv_map_get(rec.raw, "logits") != NULL);
	dbv_pred_record_release(&rec);
	CHECK_RC(dbv_pred_next(rd.r, &h, &rec), DBV_END);
	CHECK(fp0 != fp1);
	dbv_pred_header_release(&h);
	rclose(&rd);

	/* The fingerprint is of the geometry: the planes stream's plane 0
	 * has the pred stream's. */
	ropen(&rd, "planes.dbv");
	CHECK_OK(dbv_reader_header(rd.r, "planes", NULL));
	CHECK_OK(dbv_reader_next(rd.r, &v));
	CHECK_OK(dbv_plane_from_record(&g, v, 1, 2, 2));
	CHECK_EQ_INT(dbv_plane_fingerprint(&g), fp0);
	dbv_plane_release(&g);
	rclose(&rd);

	/* Every label at once. */
	ropen(&rd, "pred.dbv");
	CHECK_OK(dbv_pred_header_read(rd.r, &h));
	CHECK_OK(dbv_pred_read_labels(rd.r, &h, &l, "test"));
	CHECK_EQ_INT(l.n, 2);
	CHECK_EQ_INT(l.res, 3);
	CHECK(l.fingerprint[0] == fp0 && l.fingerprint[1] == fp1);
	for (int p = 0; p < 2; p++)
		for (int i = 0; i < 9; i++)
			CHECK_EQ_INT(l.labels[9 * p + i], label_at(p, i / 3, i % 3, K));
	CHECK(l.y == NULL && l.idx == NULL);
	dbv_pred_labels_release(&l);
	dbv_pred_header_release(&h);
	CHECK(h.class_names == NULL && h.model.kv == NULL);
	rclose(&rd);
}

/* ---- round trip over a data set ------------------------------------- */

static void test_items_round_trip(void)
{
	struct rd rd;
	struct dbv_pred_header h;
	struct dbv_pred_record rec;
	struct dbv_pred_labels l;
	struct dbv_writer *w;
	int32_t lab[4] = {0, 1, 2, 1}, y[4] = {0, 1, 1, 1}, yt[4] = {0, 2, 2, 1};
	float conf[4] = {0.5f, 1, 0.75f, 0.25f}, logits[12] = {0};
	int64_t idx[4] = {7, 8, 9, 10};
	struct dbv_pred_items a = {4, lab, conf, y, yt, idx};
	struct dbv_pred_items b = {2, lab + 2, conf + 2, y + 2, yt + 2, NULL};
	struct dbv_pred_accuracy acc = {6, 4, 3, 0, 0};

	/* The dataset stream's meta: written, read back, passed on. */
	w = wopen("data.dbv");
	dbv_writer_header_begin(w, "dataset", NULL, 1, argv0, 8);
	input_meta(w, 3);
	dbv_writer_header_end(w);
	wclose(w);
	memset(&h, 0, sizeof h);
	h.temp = 1;
	CHECK_OK(dbv_reader_header(ropen(&rd, "data.dbv"), "dataset", NULL));
	w = wopen("dpred.dbv");
	CHECK_OK(dbv_pred_write_header(w, dbv_reader_meta(rd.r), NULL, 1, argv0, &h));
	CHECK_OK(dbv_pred_write_items(w, &a, 3, logits));
	CHECK_OK(dbv_pred_write_items(w, &b, 3, NULL));
	CHECK_OK(dbv_pred_write_accuracy(w, &acc));
	wclose(w);
	rclose(&rd);

	CHECK_OK(dbv_pred_header_read(ropen(&rd, "dpred.dbv"), &h));
	CHECK_EQ_INT(h.planes, 0);
	CHECK(!h.model.present);
	CHECK_OK(dbv_pred_next(rd.r, &h, &rec));
	CHECK_EQ_INT(rec.type, DBV_PRED_ITEMS);
	CHECK_EQ_INT(rec.items.k, 4);
	CHECK(!memcmp(rec.items.labels, lab, sizeof lab) && !memcmp(rec.items.y, y, sizeof y) &&
	      !memcmp(rec.items.y_true, yt, sizeof yt) && !memcmp(rec.items.idx, idx, sizeof idx) &&
	      !memcmp(rec.items.conf, conf, sizeof conf));
	dbv_pred_record_release(&rec);
	CHECK_OK(dbv_pred_next(rd.r, &h, &rec));
	CHECK_EQ_INT(rec.items.k, 2);
	CHECK(rec.items.idx == NULL && rec.items.labels[0] == 2);
	dbv_pred_record_release(&rec);
	CHECK_OK(dbv_pred_next(rd.r, &h, &rec));
	CHECK_EQ_INT(rec.type, DBV_PRED_ACCURACY);
	CHECK(rec.accuracy.n == 6 && rec.accuracy.correct == 4 && rec.accuracy.correct_true == 3);
	CHECK(rec.accuracy.acc == 4.0 / 6 && rec.accuracy.acc_true == 0.5);
	CHECK_RC(dbv_pred_next(rd.r, &h, &rec), DBV_END);
	dbv_pred_header_release(&h);
	rclose(&rd);

	/* All the labels: idx NULL, as the second record had none. */
	CHECK_OK(dbv_pred_header_read(ropen(&rd, "dpred.dbv"), &h));
	CHECK_OK(dbv_pred_read_labels(rd.r, &h, &l, "test"));
	CHECK_EQ_INT(l.n, 6);
	CHECK(l.idx == NULL && l.fingerprint == NULL);
	CHECK(l.labels[5] == 1 && l.y[4] == 1 && l.y_true[5] == 1 && l.labels[4] == 2);
	dbv_pred_labels_release(&l);
	dbv_pred_header_release(&h);
	rclose(&rd);
}

/* ---- refusals --------------------------------------------------------- */

enum bad {
	B_NONE, B_NO_INPUT, B_CLASSES_0, B_CLASSES_BIG, B_NO_SHAPE, B_SHAPE_C,
	B_NAME, B_MODEL,
	B_NO_PLANE, B_RES_BIG, B_LABELS_SHAPE, B_LABEL_BIG, B_CONF_NAN,
	B_CONF_BIG, B_ANCHORS, B_Y, B_IDX, B_NO_CONF, B_TWO_RES, B_RANGE_NAN,
	B_HDR_RES_BIG, B_HDR_RES_OTHER,
	B_COORDS_INF,
	B_ITEMS_2D, B_ITEM_LABEL, B_ITEM_Y, B_ITEM_IDX, B_ITEM_CONF,
	B_ACC_COUNT, B_ACC_MISSING,
};

/* The header; over planes with "res" (the planes' keys but that one
 * are not a pred reader's concern). */
static void bad_header(struct dbv_writer *w, int planes, int res, enum bad b)
{
	const char *names[3] = {"a", "b", "c"};
	const int64_t sh[3] = {b == B_SHAPE_C ? 5 : 1, 2, 2};
	const double mean[1] = {0.5}, std[1] = {0.25};
	dbv_writer_header_begin(w, "pred", NULL, 1, argv0,
				8 - (b == B_NO_INPUT) - (b == B_NO_SHAPE) + !!planes);
	if (planes) {
		dbv_w_key(w, "res");
		dbv_w_i64(w, b == B_HDR_RES_BIG ? DBV_PRED_MAX_RES + 1 :
			     b == B_HDR_RES_OTHER ? res + 1 : res);
	}
	/* The input's data set keys (dbv-predict copies them). */
	dbv_w_key(w, "mean");
	dbv_w_f64_array(w, mean, 1);
	dbv_w_key(w, "std");
	dbv_w_f64_array(w, std, 1);
	if (b != B_NO_INPUT) {
		dbv_w_key(w, "input");
		dbv_w_str(w, planes ? "planes" : "dataset");
	}
	dbv_w_key(w, "classes");
	dbv_w_i64(w, b == B_CLASSES_0 ? 0 : b == B_CLASSES_BIG ? DBV_PRED_MAX_CLASSES + 1 : 3);
	if (b != B_NO_SHAPE) {
		dbv_w_key(w, "shape");
		dbv_w_i64_array(w, sh, 3);
	}
	dbv_w_key(w, "class_names");
	dbv_w_array(w, 3);
	for (int k = 0; k < 3; k++)
		if (b == B_NAME && k == 1)
			dbv_w_i64(w, 1);
		else
			dbv_w_str(w, names[k]);
	dbv_w_key(w, "model");
	if (b == B_MODEL) {
		dbv_w_str(w, "mlp");
	} else {
		dbv_w_map(w, 1);
		dbv_w_key(w, "arch");
		dbv_w_str(w, "mlp");
	}
	dbv_w_key(w, "temp");
	dbv_w_f64(w, 1);
	dbv_writer_header_end(w);
}

static void bad_plane(struct dbv_writer *w, int64_t n, int res, enum bad b)
{
	uint8_t lab[25] = {0};
	float conf[25];
	const int64_t sg[2] = {res, b == B_LABELS_SHAPE ? res - 1 : res};

	for (int i = 0; i < 25; i++)
		conf[i] = 0.5f;
	if (b == B_LABEL_BIG)
		lab[res + 2] = 3; /* row 1, column 2 */
	if (b == B_CONF_NAN)
		conf[1] = NAN;
	if (b == B_CONF_BIG)
		conf[2] = 1.5f;
	dbv_writer_record_begin(w, "pred", 13 - (b == B_NO_CONF));
	plane_keys(w, n, b == B_RES_BIG ? 5000 : res, 0);
	dbv_w_key(w, "labels");
	dbv_w_tensor_raw(w, DBV_U8, 2, sg, lab);
	if (b != B_NO_CONF) {
		dbv_w_key(w, "conf");
		dbv_w_tensor_raw(w, DBV_F32, 2, (int64_t[2]){res, res}, conf);
	}
	dbv_writer_record_end(w);
}

/* A plane record, with its keys written here so that one may be bad. */
static void bad_plane_keys(struct dbv_writer *w, enum bad b)
{
	const int64_t sa[4] = {3, 1, 2, b == B_ANCHORS ? 3 : 2}, s3[1] = {3};
	const int64_t sc[2] = {3, 2}, sr[1] = {4}, sg[2] = {3, 3};
	const int64_t s_idx[1] = {b == B_IDX ? 2 : 3};
	uint8_t anchors[18] = {0}, lab[9] = {0};
	const int32_t y[3] = {0, 1, 2};
	const float yf[3] = {0, 1, 2}, conf[9] = {0.5f};
	const int64_t idx[3] = {1, 2, 3};
	const double range_nan[4] = {-1, NAN, -1, 2}, coords_inf[6] = {0, 0, INFINITY, 0, 0, 1};

	dbv_writer_record_begin(w, "pred", 13 - (b == B_NO_PLANE));
	if (b != B_NO_PLANE) {
		dbv_w_key(w, "plane");
		dbv_w_i64(w, 0);
	}
	dbv_w_key(w, "origin"); dbv_w_tensor_raw(w, DBV_F32, 3, shape3, origin0);
	dbv_w_key(w, "u"); dbv_w_tensor_raw(w, DBV_F32, 3, shape3, e0);
	dbv_w_key(w, "v"); dbv_w_tensor_raw(w, DBV_F32, 3, shape3, e1);
	dbv_w_key(w, "anchors"); dbv_w_tensor_raw(w, DBV_U8, 4, sa, anchors);
	dbv_w_key(w, "idx"); dbv_w_tensor_raw(w, DBV_I64, 1, s_idx, idx);
	dbv_w_key(w, "y");
	if (b == B_Y)
		dbv_w_tensor_raw(w, DBV_F32, 1, s3, yf);
	else
		dbv_w_tensor_raw(w, DBV_I32, 1, s3, y);
	dbv_w_key(w, "y_true"); dbv_w_tensor_raw(w, DBV_I32, 1, s3, y);
	dbv_w_key(w, "coords");
	dbv_w_tensor_raw(w, DBV_F64, 2, sc, b == B_COORDS_INF ? coords_inf : coords0);
	dbv_w_key(w, "res"); dbv_w_i64(w, 3);
	dbv_w_key(w, "range");
	dbv_w_tensor_raw(w, DBV_F64, 1, sr, b == B_RANGE_NAN ? range_nan : range0);
	dbv_w_key(w, "labels"); dbv_w_tensor_raw(w, DBV_U8, 2, sg, lab);
	dbv_w_key(w, "conf"); dbv_w_tensor_raw(w, DBV_F32, 2, sg, conf);
	dbv_writer_record_end(w);
}

static void bad_items(struct dbv_writer *w, enum bad b)
{
	const int32_t lab[4] = {0, 1, b == B_ITEM_LABEL ? 3 : 2, 0}, y[4] = {0, 1, 2, 0};
	const float conf[4] = {0.5f, 0.5f, 0.5f, b == B_ITEM_CONF ? -0.5f : 0.5f};
	const int32_t idx32[4] = {0, 1, 2, 3};
	const int64_t idx[4] = {0, 1, 2, 3};
	const int64_t s4[1] = {4}, s22[2] = {2, 2}, s3[1] = {3};

	dbv_writer_record_begin(w, "pred", 5);
	dbv_w_key(w, "labels");
	dbv_w_tensor_raw(w, DBV_I32, b == B_ITEMS_2D ? 2 : 1, b == B_ITEMS_2D ? s22 : s4, lab);
	dbv_w_key(w, "conf"); dbv_w_tensor_raw(w, DBV_F32, 1, s4, conf);
	dbv_w_key(w, "y"); dbv_w_tensor_raw(w, DBV_I32, 1, b == B_ITEM_Y ? s3 : s4, y);
	dbv_w_key(w, "y_true"); dbv_w_tensor_raw(w, DBV_I32, 1, s4, y);
	dbv_w_key(w, "idx");
	if (b == B_ITEM_IDX)
		dbv_w_tensor_raw(w, DBV_I32, 1, s4, idx32);
	else
		dbv_w_tensor_raw(w, DBV_I64, 1, s4, idx);
	dbv_writer_record_end(w);
	dbv_writer_record_begin(w, "accuracy", 5 - (b == B_ACC_MISSING));
	dbv_w_key(w, "n"); dbv_w_i64(w, 4);
	dbv_w_key(w, "correct"); dbv_w_i64(w, b == B_ACC_COUNT ? 5 : 4);
	dbv_w_key(w, "correct_true"); dbv_w_i64(w, 4);
	dbv_w_key(w, "acc"); dbv_w_f64(w, 1);
	if (b != B_ACC_MISSING) {
		dbv_w_key(w, "acc_true");
		dbv_w_f64(w, 1);
	}
	dbv_writer_record_end(w);
}

/* Read the stream to its end; the status. */
static int read_bad(const char *name, int labels)
{
	struct rd rd;
	struct dbv_pred_header h;
	struct dbv_pred_record rec;
	struct dbv_pred_labels l;
	int rc = dbv_pred_header_read(ropen(&rd, name), &h);

	if (!rc && labels) {
		rc = dbv_pred_read_labels(rd.r, &h, &l, "test");
		dbv_pred_labels_release(&l);
	} else if (!rc) {
		while ((rc = dbv_pred_next(rd.r, &h, &rec)) == DBV_OK)
			dbv_pred_record_release(&rec);
		rc = rc == DBV_END ? DBV_OK : rc;
	}
	dbv_pred_header_release(&h);
	rclose(&rd);
	return rc;
}

static void test_refusals(void)
{
	static const struct {
		enum bad b;
		int planes, record, code;
		const char *msg;
	} cases[] = {
		{B_NONE, 1, 0, DBV_OK, ""},
		{B_NONE, 0, 0, DBV_OK, ""},
		{B_NO_INPUT, 1, 0, DBV_EINPUT, "the header's meta has no \"input\" of \"planes\" or \"dataset\""},
		{B_CLASSES_0, 1, 0, DBV_EINPUT, "the header lacks a valid \"classes\" (an integer from 1 to 100000)"},
		{B_CLASSES_BIG, 0, 0, DBV_EINPUT, "the header lacks a valid \"classes\" (an integer from 1 to 100000)"},
		{B_NO_SHAPE, 1, 0, DBV_EINPUT, "the header lacks a valid \"shape\" [C,H,W] (C 1 to 4, H and W 1 to 4096)"},
		{B_SHAPE_C, 0, 0, DBV_EINPUT, "the header lacks a valid \"shape\""},
		{B_NAME, 1, 0, DBV_EINPUT, "\"class_names\" must be an array of 3 strings"},
		{B_MODEL, 1, 0, DBV_EINPUT, "\"model\" is not a map"},
		{B_NO_PLANE, 1, 1, DBV_EINPUT, "\"plane\" is missing or not an integer from 0"},
		{B_RES_BIG, 1, 1, DBV_EINPUT, "\"res\" 5000 is not 2 to 4096"},
		{B_LABELS_SHAPE, 1, 1, DBV_EINPUT, "\"labels\" is not u8 or i32 [4,4] (res)"},
		{B_LABEL_BIG, 1, 1, DBV_EINPUT, "label 3 at row 1, column 2 is not a class (0..2)"},
		{B_CONF_NAN, 1, 1, DBV_ENONFINITE, "confidence nan at row 0, column 1"},
		{B_CONF_BIG, 1, 1, DBV_EINPUT, "confidence 1.5 at row 0, column 2 is outside [0, 1]"},
		{B_NO_CONF, 1, 1, DBV_EINPUT, "missing tensor \"conf\""},
		{B_ANCHORS, 1, 1, DBV_EINPUT, "\"anchors\" is not u8 or f32 [3,1,2,2]"},
		{B_Y, 1, 1, DBV_EINPUT, "\"y\" is not i32 or i64 [3]"},
		{B_IDX, 1, 1, DBV_EINPUT, "\"idx\" is not i32 or i64 [3]"},
		{B_RANGE_NAN, 1, 1, DBV_ENONFINITE, "\"range\" holds a non-finite number"},
		{B_COORDS_INF, 1, 1, DBV_ENONFINITE, "\"coords\" holds a non-finite number"},
		{B_TWO_RES, 1, 2, DBV_EINPUT, "\"res\" is 5, the header's is 4 (every plane of a stream has its header's)"},
		{B_HDR_RES_BIG, 1, 0, DBV_EINPUT, "the planes header lacks a valid \"res\""},
		{B_HDR_RES_OTHER, 1, 1, DBV_EINPUT, "\"res\" is 4, the header's is 5"},
		{B_ITEMS_2D, 0, 1, DBV_EINPUT, "\"labels\" is not u8 or i32 [k]"},
		{B_ITEM_LABEL, 0, 1, DBV_EINPUT, "label 3 of item 2 is not a class (0..2)"},
		{B_ITEM_CONF, 0, 1, DBV_EINPUT, "confidence -0.5 of item 3 is outside [0, 1]"},
		{B_ITEM_Y, 0, 1, DBV_EINPUT, "\"y\" is not i32 [4] (the items of \"labels\")"},
		{B_ITEM_IDX, 0, 1, DBV_EINPUT, "\"idx\" is not i64 [4] (the items of \"labels\")"},
		{B_ACC_COUNT, 0, 2, DBV_EINPUT, "the accuracy record counts 5 and 4 correct of 4 items"},
		{B_ACC_MISSING, 0, 2, DBV_EINPUT, "\"acc_true\" is missing or not a number"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const enum bad b = cases[i].b;
		struct dbv_writer *w = wopen("bad.dbv");
		const int keys = b == B_NO_PLANE || b == B_ANCHORS || b == B_Y ||
				 b == B_IDX || b == B_RANGE_NAN || b == B_COORDS_INF;
		bad_header(w, cases[i].planes, keys ? 3 : 4, b);
		if (!cases[i].planes)
			bad_items(w, b);
		else if (keys)
			bad_plane_keys(w, b);
		else
			bad_plane(w, 0, 4, b);
		if (b == B_TWO_RES)
			bad_plane(w, 1, 5, B_NONE);
		wclose(w);
		int rc = read_bad("bad.dbv", b == B_TWO_RES);
		if (rc != cases[i].code)
			fprintf(stderr, "case %zu: %s\n", i, dbv_errmsg());
		CHECK_EQ_INT(rc, cases[i].code);
		if (cases[i].code)
			CHECK(msg_is("bad.dbv", cases[i].record, cases[i].msg));
	}
	/* Another kind is refused by the stream layer, before the meta. */
	struct dbv_writer *w = wopen("bad.dbv");
	dbv_writer_header_begin(w, "planes", NULL, 1, argv0, 0);
	dbv_writer_header_end(w);
	wclose(w);
	CHECK_RC(read_bad("bad.dbv", 0), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "expected a pred stream, got a planes stream"));
}

int main(void)
{
	files_dir = check_tmpdir();
	test_planes_round_trip(3);
	test_planes_round_trip(300);
	test_items_round_trip();
	test_refusals();
	return check_done();
}
