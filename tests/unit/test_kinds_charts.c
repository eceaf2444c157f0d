/*
 * test_kinds_charts.c - what the kinds give dbv-render and dbv-chart as
 * plain arrays: a model's labels, what differs between two planes and the
 * montage's messages, a pred plane as a plot, finding a plane in a pred
 * stream (lib/kinds/pred.c, planes.c); a table's stream labels, heat-map matrix, figures and line
 * chart points, values, texts and refusals (lib/kinds/table.c), on
 * tables built in memory with values worked out by hand.
 */
#include <string.h>

#include "check.h"
#include "check_stream.h"

/* ---- pred streams: labels, planes, plots ---------------------------- */

static void test_model_labels(void)
{
	struct dbv_pred_model m = {.arch = "cnn5", .has_width = 1, .width = 16,
				   .has_seed = 1, .seed = -3};
	char model[96], seed[32];

	dbv_pred_model_labels(&m, model, sizeof model, seed, sizeof seed);
	CHECK(!strcmp(model, "cnn5 w=16") && !strcmp(seed, "seed -3"));
	m.has_width = m.has_seed = 0;
	dbv_pred_model_labels(&m, model, sizeof model, seed, sizeof seed);
	CHECK(!strcmp(model, "cnn5") && !strcmp(seed, ""));
	m.arch = NULL;
	m.has_width = 1;
	dbv_pred_model_labels(&m, model, sizeof model, seed, sizeof seed);
	CHECK(!strcmp(model, "") && !strcmp(seed, ""));
	/* The architecture is cut at 40 bytes. */
	m.arch = "abcdefghijabcdefghijabcdefghijabcdefghijXYZ";
	dbv_pred_model_labels(&m, model, sizeof model, seed, sizeof seed);
	CHECK(!strcmp(model, "abcdefghijabcdefghijabcdefghijabcdefghij w=16"));
}

static float org[4] = {0, 0, 0, 0}, eu[4] = {1, 0, 0, 0}, ev[4] = {0, 1, 0, 0};
static float eu2[4] = {1, 0, 0, 0};

/* Plane p of res 4 over range (-1, 3, -2, 2), its anchors at (0, 0),
 * (2, 0), (0, 1). */
static void plane_of(struct dbv_pred_plane *p, int64_t number)
{
	static int32_t labels[16];
	static float conf[16];
	static uint8_t px[12];
	memset(p, 0, sizeof *p);
	for (int i = 0; i < 16; i++) {
		labels[i] = i % 3;
		conf[i] = (float)i / 16;
	}
	for (int i = 0; i < 12; i++)
		px[i] = (uint8_t)(10 * i);
	p->plane = number;
	p->geom = (struct dbv_plane){
		.dim = 4, .origin = org, .u = eu, .v = ev,
		.coords = {{0, 0}, {2, 0}, {0, 1}}, .res = 4,
		.range = {-1, 3, -2, 2},
	};
	p->anchors = (struct dbv_tensor){.dtype = DBV_U8, .ndim = 4,
					 .shape = {3, 1, 2, 2}, .data = px,
					 .nbytes = 12};
	for (int k = 0; k < 3; k++) {
		p->y[k] = k;
		p->y_true[k] = 2 - k;
		p->idx[k] = 100 + k;
	}
	p->labels = labels;
	p->conf = conf;
}

static void test_plane_differs(void)
{
	struct dbv_pred_plane a, b;
	char *na[2] = {"cat", "dog"}, *nb[2] = {"cat", "cow"};
	struct dbv_pred_header ha = {.planes = 1, .classes = 2, .class_names = na};
	struct dbv_pred_header hb = ha;

	plane_of(&a, 0);
	plane_of(&b, 0);
	CHECK(dbv_plane_differs(&a.geom, &b.geom) == NULL);
	CHECK(dbv_pred_plane_differs(&ha, &a, &hb, &b) == NULL);
	CHECK_OK(dbv_pred_same_plane("A", &ha, &a, "B", &hb, &b, 0));
	/* In the order checked. */
	b.geom.res = 5;
	CHECK(!strcmp(dbv_plane_differs(&a.geom, &b.geom), "res"));
	b.geom.range[3] = 3;
	CHECK(!strcmp(dbv_plane_differs(&a.geom, &b.geom), "res"));
	b.geom.res = 4;
	CHECK(!strcmp(dbv_plane_differs(&a.geom, &b.geom), "range"));
	b.geom.range[3] = 2;
	b.geom.coords[2][1] = 1.5;
	CHECK(!strcmp(dbv_plane_differs(&a.geom, &b.geom), "anchor coordinates"));
	b.geom.coords[2][1] = 1;
	eu2[1] = 0.5f;
	b.geom.u = eu2;
	CHECK(!strcmp(dbv_plane_differs(&a.geom, &b.geom), "origin or basis vectors"));
	CHECK(!strcmp(dbv_pred_plane_differs(&ha, &a, &hb, &b),
		      "origin or basis vectors"));
	CHECK_RC(dbv_pred_same_plane("A", &ha, &a, "B", &hb, &b, 7), DBV_EINPUT);
	CHECK(!strcmp(dbv_errmsg(), "B: plane 7 is not the plane of the same number "
		      "in A (its origin or basis vectors differ): a montage shows "
		      "one plane across runs"));
	b.geom.u = eu;
	/* The classes: their number, names or no names, each name. */
	hb.class_names = nb;
	CHECK(!strcmp(dbv_pred_plane_differs(&ha, &a, &hb, &b), "classes"));
	CHECK_RC(dbv_pred_same_plane("A", &ha, &a, "B", &hb, &b, 0), DBV_EINPUT);
	CHECK(!strcmp(dbv_errmsg(), "B: its classes differ from those of A"));
	hb.class_names = NULL;
	CHECK(!strcmp(dbv_pred_plane_differs(&ha, &a, &hb, &b), "classes"));
	ha.class_names = NULL;
	CHECK(dbv_pred_plane_differs(&ha, &a, &hb, &b) == NULL);
	hb.classes = 3;
	CHECK(!strcmp(dbv_pred_plane_differs(&ha, &a, &hb, &b), "classes"));
}

static void test_plane_plot(void)
{
	struct dbv_pred_plane p;
	struct dbv_planeplot pl;
	double at[2];
	float f32[12] = {0};

	plane_of(&p, 3);
	dbv_pred_plane_plot(&p, 1, 0, "m", "s", &pl);
	CHECK(pl.res == 4 && pl.labels == p.labels && pl.conf == p.conf);
	CHECK(!strcmp(pl.model, "m") && !strcmp(pl.seed, "s") && pl.plane == 3);
	for (int k = 0; k < 3; k++) {
		dbv_planeplot_place(p.geom.range, 4, p.geom.coords[k][0],
				    p.geom.coords[k][1], at);
		CHECK(pl.at[k][0] == at[0] && pl.at[k][1] == at[1]);
		CHECK(pl.y[k] == k && pl.y_true[k] == 2 - k && pl.idx[k] == 100 + k);
	}
	/* (0, 0) of x in [-1, 3], y in [-2, 2] on 4 points: (1.25, 2.0). */
	CHECK_NEAR(pl.at[0][0], 1.25, 1e-12);
	CHECK_NEAR(pl.at[0][1], 2.0, 1e-12);
	CHECK(!pl.images && !pl.images_f32 && !pl.c);
	/* Unshaded, with thumbnails: u8, then f32 anchors. */
	dbv_pred_plane_plot(&p, 0, 1, NULL, NULL, &pl);
	CHECK(pl.conf == NULL && pl.images == p.anchors.data && !pl.images_f32);
	CHECK(pl.c == 1 && pl.h == 2 && pl.w == 2);
	p.anchors.dtype = DBV_F32;
	p.anchors.data = f32;
	dbv_pred_plane_plot(&p, 0, 1, NULL, NULL, &pl);
	CHECK(pl.images == NULL && pl.images_f32 == f32);
}

/* A pred stream in NAME of n planes numbered num[0..n) (of a data set of
 * 1 x 2 x 2 images, 3 classes), made by the kinds' writers alone: a
 * dataset header, a planes stream of it, the pred stream of its planes. */
static void write_pred(const char *name, const int64_t *num, int n)
{
	static uint8_t px[12];
	static float o4[4], u4[4] = {1, 0, 0, 0}, v4[4] = {0, 1, 0, 0};
	static const uint8_t labels[9] = {0, 1, 2, 0, 1, 2, 2, 2, 2};
	static const float conf[9] = {1, 1, 1, 0.5f, 0.5f, 0.5f, 1, 1, 1};
	const struct dbv_dataset d = {.n = 3, .c = 1, .h = 2, .w = 2,
				      .nclasses = 3, .mean = {0.5}, .std = {0.25}};
	const struct dbv_dataset_origin origin = {0};
	const struct dbv_planes_meta m = {.res = 3, .mode = DBV_PLANES_IDS,
					  .mislabeled = -1, .planes = (uint64_t)n};
	const struct dbv_anchors a = {.dtype = DBV_U8, .px = px, .idx = {0, 1, 2},
				      .y = {0, 1, 2}, .y_true = {0, 1, 2}};
	const struct dbv_plane pl = {.dim = 4, .origin = o4, .u = u4, .v = v4,
				     .coords = {{0, 0}, {1, 0}, {0, 1}}, .res = 3,
				     .range = {-1, 2, -1, 2}};
	const struct dbv_pred_header h = {.planes = 1, .temp = 1};
	char *argv[] = {"test", NULL};
	const dbv_val *rec;
	int fd, dfd, pfd;

	struct dbv_writer *w = wopen("ds.dbv", &fd);
	CHECK_OK(dbv_dataset_write_header(w, &d, &origin, NULL, 1, argv));
	wclose(w, fd);
	struct dbv_reader *in = ropen("ds.dbv", &dfd);
	CHECK_OK(dbv_reader_header(in, "dataset", NULL));
	w = wopen("planes.dbv", &fd);
	CHECK_OK(dbv_planes_write_header(w, in, &m, 0, 1, argv));
	for (int k = 0; k < n; k++)
		CHECK_OK(dbv_planes_write_plane(w, (uint64_t)num[k], &pl, &a, &d));
	wclose(w, fd);
	struct dbv_reader *pr = ropen("planes.dbv", &pfd);
	CHECK_OK(dbv_reader_header(pr, "planes", NULL));
	w = wopen(name, &fd);
	/* The planes stream's meta: its data set's keys and res. */
	CHECK_OK(dbv_pred_write_header(w, dbv_reader_meta(pr), NULL, 1, argv, &h));
	while (dbv_reader_next(pr, &rec) == DBV_OK)
		CHECK_OK(dbv_pred_write_plane(w, rec, 3, 3, labels, NULL, conf, NULL));
	wclose(w, fd);
	dbv_reader_free(pr);
	dbv_reader_free(in);
	close(pfd);
	close(dfd);
}

/* dbv_pred_find_plane of plane in NAME (a reader named by its path):
 * the status, the plane number found, whether the input is at its end. */
static int find(const char *name, int64_t plane, int64_t *got, int *eof)
{
	struct dbv_pred_header h;
	struct dbv_pred_record rec = {0};
	int fd, rc;
	struct dbv_reader *r = ropen(name, &fd);

	*got = -1;
	*eof = 0;
	if (!(rc = dbv_pred_header_read(r, &h)) &&
	    !(rc = dbv_pred_find_plane(r, &h, plane, &rec))) {
		*got = rec.plane.plane;
		CHECK_OK(dbv_reader_at_eof(r, eof));
	}
	dbv_pred_record_release(&rec);
	dbv_pred_header_release(&h);
	dbv_reader_free(r);
	close(fd);
	return rc;
}

static void test_find_plane(void)
{
	const int64_t three[3] = {0, 2, 0}, one[1] = {4};
	struct dbv_pred_header h;
	struct dbv_pred_record rec = {0};
	char want[900];
	int64_t got;
	int fd, eof;

	check_stream_dir = check_tmpdir();
	write_pred("three.dbv", three, 3);
	write_pred("one.dbv", one, 1);
	write_pred("none.dbv", NULL, 0);
	/* The next plane of a number, or any. */
	struct dbv_reader *r = ropen("three.dbv", &fd);
	CHECK_OK(dbv_pred_header_read(r, &h));
	CHECK_OK(dbv_pred_next_plane(r, &h, 0, &rec));
	CHECK(rec.type == DBV_PRED_PLANE && rec.plane.plane == 0);
	CHECK(rec.plane.geom.res == 3 && rec.plane.labels[8] == 2);
	CHECK_OK(dbv_pred_next_plane(r, &h, 0, &rec));
	CHECK(rec.plane.plane == 0);
	CHECK_RC(dbv_pred_next_plane(r, &h, 0, &rec), DBV_END);
	dbv_pred_record_release(&rec);
	dbv_pred_header_release(&h);
	dbv_reader_free(r);
	close(fd);
	/* One plane: found, and the stream read to its end. */
	CHECK_OK(find("three.dbv", 2, &got, &eof));
	CHECK(got == 2 && eof);
	CHECK_OK(find("one.dbv", -1, &got, &eof));
	CHECK(got == 4 && eof);
	CHECK_OK(find("one.dbv", 4, &got, &eof));
	CHECK(got == 4);
	/* No such plane, no plane, more than one. */
	CHECK_RC(find("three.dbv", 1, &got, &eof), DBV_EUSAGE);
	snprintf(want, sizeof want, "%s: no plane 1 in the stream", check_stream_path);
	CHECK(!strcmp(dbv_errmsg(), want));
	CHECK_RC(find("none.dbv", -1, &got, &eof), DBV_EINPUT);
	snprintf(want, sizeof want, "%s: no plane in the stream", check_stream_path);
	CHECK(!strcmp(dbv_errmsg(), want));
	CHECK_RC(find("three.dbv", -1, &got, &eof), DBV_EUSAGE);
	snprintf(want, sizeof want, "%s: the stream holds more than one plane: "
		 "write one file per plane with -o DIR/, or choose one with "
		 "--plane N", check_stream_path);
	CHECK(!strcmp(dbv_errmsg(), want));
	CHECK_RC(dbv_pred_no_plane("X", 7), DBV_EUSAGE);
	CHECK(!strcmp(dbv_errmsg(), "X: no plane 7 in the stream"));
}

/* ---- tables ------------------------------------------------------- */

/* Four models over two planes of 5 x 5 points (cnn w=1 seeds 0, 1; cnn
 * w=2; mlp w=2), in groups A (0, 1) and B (2, 3). */
#define KV_STR(k, v) {.key = k, .type = DBV_KV_STR, .s = v, .len = sizeof(v) - 1}
#define KV_INT(k, v) {.key = k, .type = DBV_KV_INT, .i = v}
#define KV_BOOL(k, v) {.key = k, .type = DBV_KV_BOOL, .i = v}
static struct dbv_pred_kv kv[4][6] = {
	{KV_STR("arch", "cnn"), KV_INT("width", 1), KV_INT("seed", 0),
	 KV_BOOL("flag", 1), KV_INT("id", 0), {.key = "odd", .type = DBV_KV_OTHER}},
	{KV_STR("arch", "cnn"), KV_INT("width", 1), KV_INT("seed", 1),
	 KV_BOOL("flag", 0), KV_INT("id", 1), {.key = "odd", .type = DBV_KV_OTHER}},
	{KV_STR("arch", "cnn"), KV_INT("width", 2), KV_INT("seed", 0),
	 KV_BOOL("flag", 1), KV_INT("id", 2), {.key = "odd", .type = DBV_KV_OTHER}},
	{KV_STR("arch", "mlp"), KV_INT("width", 2), KV_INT("seed", 0),
	 KV_BOOL("flag", 1), KV_INT("id", 3), {.key = "odd", .type = DBV_KV_OTHER}},
};
static struct dbv_table_stream streams[4] = {
	{"a0", "A", "cnn w=1 seed=0", {.present = 1, .n = 6, .kv = kv[0]}},
	{"a1", "A", "cnn w=1 seed=1", {.present = 1, .n = 6, .kv = kv[1]}},
	{"b0", "B", "cnn w=2 seed=0", {.present = 1, .n = 6, .kv = kv[2]}},
	{"m0", "B", "mlp w=2 seed=0", {.present = 1, .n = 6, .kv = kv[3]}},
};
static char *groups[2] = {"A", "B"};
static int64_t pair[12] = {0, 1, 0, 2, 0, 3, 1, 2, 1, 3, 2, 3};
static double agreement[6] = {0.7, 0.5, 0.3, 0.8, 0.2, 0.4};
static double iou[6] = {0.6, 0.4, 0.2, 0.7, 0.1, 0.3};
static double per_plane[12] = {0.8, 0.6, 0.5, 0.5, 0.2, 0.4,
			       0.9, 0.7, 0.1, 0.3, 0.6, 0.2};
static double gagree[4] = {0.7, 0.35, 0.35, 0.4}, giou[4] = {0.6, 0.3, 0.3, 0.3};
static double frag[8] = {4, 6, 6, 8, 10, 10, 3, 5};

static struct dbv_table planes_table(void)
{
	return (struct dbv_table){
		.planes_input = 1, .planes = 2, .res = 5, .classes = 3, .S = 4,
		.streams = streams, .G = 2, .groups = groups, .have_pairs = 1,
		.have_groups = 1, .have_frag = 1,
		.pairs = {.n = 6, .pair = pair, .agreement = agreement, .iou = iou,
			  .per_plane = per_plane},
		.grp = {.agreement = gagree, .iou = giou},
		.frag = {.per_plane = frag},
	};
}

/* Three models over a data set (widths 1, 1, 2). */
static double acc[3] = {0.9, 0.8, 0.7}, acc_true[3] = {0.85, 0.75, 0.65};
static double churn[9] = {0, 0.1, 0.3, 0.1, 0, 0.2, 0.3, 0.2, 0};

static struct dbv_table data_table(void)
{
	return (struct dbv_table){
		.classes = 3, .S = 3, .streams = streams, .have_acc = 1,
		.acc = {.acc = acc, .acc_true = acc_true, .churn = churn},
	};
}

static void test_stream_labels(void)
{
	struct dbv_table t = planes_table();
	char *label[4];

	dbv_table_stream_labels(&t, label);
	CHECK(label[0] == streams[0].desc && label[3] == streams[3].desc);
	/* Two alike, or one without a model: the file names. */
	streams[1].desc = "cnn w=1 seed=0";
	dbv_table_stream_labels(&t, label);
	CHECK(label[0] == streams[0].file && label[1] == streams[1].file &&
	      label[3] == streams[3].file);
	streams[1].desc = "cnn w=1 seed=1";
	streams[2].model.present = 0;
	dbv_table_stream_labels(&t, label);
	CHECK(label[0] == streams[0].file && label[2] == streams[2].file);
	streams[2].model.present = 1;
}

static int same(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

static void test_matrix(void)
{
	struct dbv_table t = planes_table();
	struct dbv_table_matrix m;

	/* The group matrix. */
	CHECK_OK(dbv_table_matrix(&t, 0, "T", &m));
	CHECK(m.n == 2 && !m.blank_diagonal && !memcmp(m.v, gagree, sizeof gagree));
	CHECK(m.labels[0] == groups[0] && m.labels[1] == groups[1]);
	CHECK(!strcmp(m.title, "reproducibility (agreement)"));
	CHECK(!strcmp(m.bar_label, "agreement"));
	CHECK(!strcmp(m.note, "4 streams in 2 groups; 2 planes of 5x5 points"));
	dbv_table_matrix_release(&m);
	CHECK_OK(dbv_table_matrix(&t, 1, "T", &m));
	CHECK(!memcmp(m.v, giou, sizeof giou));
	CHECK(!strcmp(m.title, "reproducibility (class IoU)"));
	CHECK(!strcmp(m.bar_label, "class IoU"));
	dbv_table_matrix_release(&m);
	/* Stream x stream from the pairs, both halves. */
	t.have_groups = 0;
	t.planes = 1;
	CHECK_OK(dbv_table_matrix(&t, 1, "T", &m));
	CHECK(m.n == 4 && m.blank_diagonal && m.labels[2] == streams[2].desc);
	CHECK(isnan(m.v[0]) && isnan(m.v[15]));
	CHECK(m.v[1] == 0.6 && m.v[4] == 0.6 && m.v[2 * 4 + 3] == 0.3 &&
	      m.v[3 * 4 + 2] == 0.3 && m.v[1 * 4 + 3] == 0.1);
	CHECK(!strcmp(m.note, "4 streams; 1 plane of 5x5 points"));
	dbv_table_matrix_release(&m);
	/* Neither record. */
	t.have_pairs = 0;
	CHECK_RC(dbv_table_matrix(&t, 0, "T", &m), DBV_EUSAGE);
	CHECK(!strcmp(dbv_errmsg(), "T: the table has no \"groups\" or \"pairs\" "
		      "record to draw as a heat map (dbv-compare writes them for "
		      "two or more streams); --chart line draws its other figures"));
	dbv_table_matrix_release(&m);
	t.have_frag = 0;
	CHECK_RC(dbv_table_matrix(&t, 0, "T", &m), DBV_EUSAGE);
	CHECK(strstr(dbv_errmsg(), "two or more streams)") &&
	      !strstr(dbv_errmsg(), "--chart line"));
	dbv_table_matrix_release(&m);
	/* Over a data set: 1 - churn, no IoU. */
	t = data_table();
	CHECK_OK(dbv_table_matrix(&t, 0, "T", &m));
	const double want[9] = {NAN, 0.9, 0.7, 0.9, NAN, 0.8, 0.7, 0.8, NAN};
	for (int i = 0; i < 9; i++)
		CHECK(same(m.v[i], want[i]));
	CHECK(m.blank_diagonal);
	CHECK(!strcmp(m.note, "3 streams; the share of the data set's items "
		      "labelled alike"));
	dbv_table_matrix_release(&m);
	CHECK_RC(dbv_table_matrix(&t, 1, "T", &m), DBV_EUSAGE);
	CHECK(!strcmp(dbv_errmsg(), "T: --value iou: a table of predictions over a "
		      "data set has no IoU (it is a figure of planes)"));
	dbv_table_matrix_release(&m);
}

static void test_figures(void)
{
	CHECK_EQ_INT(dbv_table_figure("fragmentation"), DBV_CURVE_FRAG);
	CHECK_EQ_INT(dbv_table_figure("error"), DBV_CURVE_ERROR);
	CHECK_EQ_INT(dbv_table_figure("acc"), DBV_CURVE_ACC);
	CHECK_EQ_INT(dbv_table_figure("acc_true"), DBV_CURVE_ACC_TRUE);
	CHECK_EQ_INT(dbv_table_figure("agreement"), DBV_CURVE_AGREEMENT);
	CHECK_EQ_INT(dbv_table_figure("accuracy"), 0);
	CHECK_EQ_INT(dbv_table_figure(""), 0);
}

static void test_curves(void)
{
	struct dbv_table t = planes_table();
	struct dbv_table_curve c;

	/* Fragmentation by arch: cnn at widths 1 (a0, a1: planes 5, 7) and
	 * 2 (b0: 10, 10); mlp at width 2 (3, 5). */
	CHECK_OK(dbv_table_curve(&t, DBV_CURVE_FRAG, "width", "arch", 0, "T", &c));
	CHECK(c.pts.nlines == 2 && c.pts.npoints == 3);
	CHECK(c.pts.line_item[0] == 0 && c.pts.line_item[1] == 3);
	CHECK(c.pts.x[0] == 1 && c.pts.x[1] == 2 && c.pts.x[2] == 2);
	CHECK(!strcmp(c.key[3].s, "mlp") && !c.key[3].num);
	CHECK_NEAR(c.y[0], 6, 1e-12);
	CHECK_NEAR(c.err[0], sqrt(2), 1e-12);
	CHECK_NEAR(c.y[1], 10, 1e-12);
	CHECK_NEAR(c.err[1], 0, 1e-12);
	CHECK_NEAR(c.y[2], 4, 1e-12);
	CHECK(c.st.valued == 3 && c.st.minns == 1 && c.st.maxns == 2 && c.st.bars);
	CHECK(!strcmp(c.title, "fragmentation vs width, by arch"));
	CHECK(!strcmp(c.note, "mean of 1 to 2 streams a point, over planes; bars: "
		      "1 std over planes"));
	CHECK(!strcmp(c.xlabel, "width"));
	CHECK(!strcmp(c.ylabel, "fragmentation (regions per plane)"));
	dbv_table_curve_release(&c);
	/* Agreement, one line: (a0, a1) 0.8, 0.6; (b0, m0) 0.6, 0.2. */
	CHECK_OK(dbv_table_curve(&t, DBV_CURVE_AGREEMENT, "width", NULL, 1, "T", &c));
	CHECK(c.pts.nlines == 1 && c.pts.npoints == 2);
	CHECK_NEAR(c.y[0], 0.7, 1e-12);
	CHECK_NEAR(c.err[0], sqrt(0.02), 1e-12);
	CHECK_NEAR(c.y[1], 0.4, 1e-12);
	CHECK_NEAR(c.err[1], sqrt(0.08), 1e-12);
	CHECK(!strcmp(c.title, "reproducibility vs width"));
	CHECK(!strcmp(c.xlabel, "width (log scale)"));
	CHECK(!strcmp(c.note, "mean over the pairs of a point's 2 streams and over "
		      "planes; bars: 1 std over planes"));
	CHECK(!strcmp(c.ylabel, "agreement"));
	dbv_table_curve_release(&c);
	/* Numbers and booleans as line keys. */
	CHECK_OK(dbv_table_curve(&t, DBV_CURVE_FRAG, "seed", "width", 0, "T", &c));
	CHECK(c.key[2].num && c.key[2].d == 2 && !strcmp(c.key[2].s, "2"));
	dbv_table_curve_release(&c);
	CHECK_OK(dbv_table_curve(&t, DBV_CURVE_FRAG, "width", "flag", 0, "T", &c));
	CHECK(!c.key[0].num && !strcmp(c.key[0].s, "true") &&
	      !strcmp(c.key[1].s, "false") && c.pts.line_item[0] == 1);
	dbv_table_curve_release(&c);
}

/* dbv_table_curve's refusal: status and message. */
static void refused(const struct dbv_table *t, enum dbv_curve_fig fig,
		    const char *x, const char *by, int logx, const char *msg)
{
	struct dbv_table_curve c;
	CHECK_RC(dbv_table_curve(t, fig, x, by, logx, "T", &c), DBV_EUSAGE);
	CHECK(!strcmp(dbv_errmsg(), msg));
	if (strcmp(dbv_errmsg(), msg))
		fprintf(stderr, "  message: %s\n  wanted:  %s\n", dbv_errmsg(), msg);
	dbv_table_curve_release(&c);
}

static void test_curve_refusals(void)
{
	struct dbv_table t = planes_table();

	refused(&t, DBV_CURVE_FRAG, "depth", NULL, 0, "--x depth: the model of "
		"stream 0 (a0) has no such key (its keys: arch, width, seed, flag, "
		"id, odd)");
	refused(&t, DBV_CURVE_FRAG, "arch", NULL, 0, "--x arch: the value in "
		"stream 0 (a0) is not a number: --x wants a numeric key such as "
		"width (--by takes any)");
	refused(&t, DBV_CURVE_FRAG, "seed", NULL, 1, "--logx: seed 0 of stream 0 "
		"(a0) is not positive");
	refused(&t, DBV_CURVE_FRAG, "width", "odd", 0, "--by odd: the value in "
		"stream 0 (a0) is not a number, string or boolean");
	refused(&t, DBV_CURVE_FRAG, "width", "depth", 0, "--by depth: the model of "
		"stream 0 (a0) has no such key (its keys: arch, width, seed, flag, "
		"id, odd)");
	refused(&t, DBV_CURVE_AGREEMENT, "id", NULL, 0, "T: --y agreement: no two "
		"streams share id, so no pair to compare (agreement is between "
		"streams of one setting, such as seeds)");
	refused(&t, DBV_CURVE_AGREEMENT, "id", "arch", 0, "T: --y agreement: no two "
		"streams share id and arch, so no pair to compare (agreement is "
		"between streams of one setting, such as seeds)");
	refused(&t, DBV_CURVE_ACC, "width", NULL, 0, "T: --y acc: the table has no "
		"\"accuracy\" record (dbv-compare writes it for predictions over a "
		"data set, not over planes)");
	streams[1].model.present = 0;
	refused(&t, DBV_CURVE_FRAG, "width", NULL, 0, "--x width: stream 1 (a1) "
		"has no model meta");
	streams[1].model.present = 1;
	t.have_frag = t.have_pairs = 0;
	refused(&t, DBV_CURVE_FRAG, "width", NULL, 0, "T: --y fragmentation: the "
		"table has no \"fragmentation\" record (dbv-compare --fragmentation "
		"writes it)");
	refused(&t, DBV_CURVE_AGREEMENT, "width", NULL, 0, "T: --y agreement: the "
		"table has no \"pairs\" record");
	t = data_table();
	t.have_acc = 0;
	refused(&t, DBV_CURVE_AGREEMENT, "width", NULL, 0, "T: --y agreement: the "
		"table has no \"accuracy\" record");
}

/* Over a data set: accuracy figures per stream, agreement per pair. */
static void test_data_curves(void)
{
	struct dbv_table t = data_table();
	struct dbv_table_curve c;

	CHECK_OK(dbv_table_curve(&t, DBV_CURVE_ERROR, "width", NULL, 0, "T", &c));
	CHECK(c.pts.npoints == 2);
	CHECK_NEAR(c.y[0], 0.2, 1e-12);
	CHECK_NEAR(c.err[0], sqrt(0.005), 1e-12);
	CHECK_NEAR(c.y[1], 0.35, 1e-12);
	CHECK(c.err[1] == 0);
	CHECK(!strcmp(c.title, "error vs width"));
	CHECK(!strcmp(c.ylabel, "error (vs true labels)"));
	CHECK(!strcmp(c.note, "mean of 1 to 2 streams a point; bars: 1 std over "
		      "streams"));
	dbv_table_curve_release(&c);
	CHECK_OK(dbv_table_curve(&t, DBV_CURVE_ACC, "width", NULL, 0, "T", &c));
	CHECK_NEAR(c.y[0], 0.85, 1e-12);
	CHECK(!strcmp(c.title, "accuracy vs width"));
	CHECK(!strcmp(c.ylabel, "accuracy (vs labels y)"));
	dbv_table_curve_release(&c);
	CHECK_OK(dbv_table_curve(&t, DBV_CURVE_ACC_TRUE, "width", NULL, 0, "T", &c));
	CHECK_NEAR(c.y[1], 0.65, 1e-12);
	CHECK(!strcmp(c.ylabel, "accuracy (vs true labels)"));
	dbv_table_curve_release(&c);
	/* One pair at width 1 (1 - 0.1), none at width 2. */
	CHECK_OK(dbv_table_curve(&t, DBV_CURVE_AGREEMENT, "width", NULL, 0, "T", &c));
	CHECK_NEAR(c.y[0], 0.9, 1e-12);
	CHECK(c.err[0] == 0 && isnan(c.y[1]));
	CHECK(c.st.valued == 1 && c.st.minns == 2 && c.st.maxns == 2 && !c.st.bars);
	CHECK(!strcmp(c.note, "mean over the pairs of a point's 2 streams"));
	dbv_table_curve_release(&c);
}

int main(void)
{
	test_model_labels();
	test_plane_differs();
	test_plane_plot();
	test_find_plane();
	test_stream_labels();
	test_matrix();
	test_figures();
	test_curves();
	test_curve_refusals();
	test_data_curves();
	return check_done();
}
