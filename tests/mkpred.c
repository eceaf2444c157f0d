/*
 * mkpred - synthetic "pred" streams with known pictures, and a PNG probe,
 * for the tests and the benchmark of dbv-render.
 *
 *   mkpred [options] >pred.dbv        write a pred stream (doc/planes.md)
 *   mkpred --size FILE.png            print "W H"
 *   mkpred --pixel FILE.png X Y       print "R G B" of pixel (X, Y), row 0 at the top
 *   mkpred --count FILE.png R G B [X0 Y0 X1 Y1]
 *                                     pixels of exactly that colour (in [X0,X1) x [Y0,Y1))
 *   mkpred --dark FILE.png X0 Y0 X1 Y1
 *                                     pixels with every channel below 96 there
 *   mkpred --find FILE.png R G B      bounding box "X0 Y0 X1 Y1" (inclusive) of that colour
 *
 * The stream's planes (plane p of --planes K):
 *   labels  row i (y index, row 0 = lowest y), column j:
 *             quadrant q = 2*(i >= res/2) + (j >= res/2), so bottom-left 0,
 *             bottom-right 1, top-left 2, top-right 3; label (q + shift + p)
 *             mod classes.  --pattern band: points with |i - j| <= res/10
 *             get label (4 + shift + p) mod classes instead.
 *             --pattern regions: irregular regions (see regions()) with
 *             confidence falling toward their boundaries.
 *             --flip-rows K (K < res/2): rows 0..K-1 get label
 *             (l + 5) mod classes, so two streams of K = a and K = b
 *             agree on exactly 1 - |a - b|/res of each plane.
 *             --dots K: plane p gets K + p isolated points of label
 *             (l + 5) mod classes in its top-left quadrant (point m at
 *             row res/2 + 1 + 2(m mod R), column 1 + 2(m div R), R =
 *             (res - res/2 - 2)/2 rows of them), so its fragmentation
 *             (8-connected regions) is 4 + K + p, plus 2 with --flip-rows.
 *   conf    by quadrant: bottom-left 1, bottom-right 0.5, top-left 0.75,
 *             top-right 0.25 (the band: 1).
 *   range   xmin, xmax, ymin, ymax = -1, 9, -2, 8 (--range A,B,C,D)
 *   coords  x1 (0,0), x2 (6,0), x3 (2,5): with res 51 these are grid
 *           points (column 5, 35, 15; row 10, 10, 35).
 *   anchors u8 [3,C,8,8] (--channels C, 1 or 3; --f32-anchors for f32)
 *           pixel (k, c, y, x) = 40 + 60k + 10x + 20c (k: anchor), so a
 *           thumbnail is a horizontal ramp, brighter for later anchors.
 *   y, y_true  8, 3, 5 (Bag, Dress, Sandal); --noisy: y of x2 is 4 (Coat).
 *   idx     30, 72, 42
 *   origin, u, v  f32 [C,8,8]: zeros, e_0, e_1 (--tilt T: u[1] = T too).
 * Header meta: fashion-mnist's, the planes meta, input "planes", model
 * {arch, width, depth, seed, ..., label_noise} (--arch, --width, --seed,
 * --label-noise; --no-model leaves it out), temp 1, logits false.
 * --input dataset writes a pred stream of a data set instead: --items N
 * items (default 4), y = y_true = item mod classes, predicted right but
 * for the first --wrong K (label + 1), in one pred record, and an
 * accuracy record (acc = acc_true = (N - K)/N); idx = item + --idx-offset
 * (default 0).
 * --i32 writes labels as i32; --bad-label puts label 99 at (0, 0);
 * --nan-conf puts NaN at (0, 0).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbv.h"

static const char *fm_names[10] = {
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

struct opts {
	int res, planes, classes, shift, channels, band, regions, f32_anchors, i32;
	int noisy, no_model, dataset_input, bad_label, nan_conf;
	int flip_rows, dots, items, wrong, idx_offset;
	double range[4], tilt, label_noise;
	const char *arch;
	int64_t width, seed;
};

static void die(const char *msg)
{
	fprintf(stderr, "mkpred: %s\n", msg);
	exit(2);
}

static long num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end)
		die("bad number");
	return v;
}

/* ---- PNG probes ---- */

static int probe(int argc, char **argv)
{
	struct dbv_image im;
	const char *mode = argv[1];
	if (argc < 3)
		die("usage: mkpred --size|--pixel|--count|--dark|--find FILE ...");
	if (dbv_image_read_png(&im, argv[2])) {
		fprintf(stderr, "mkpred: %s\n", dbv_errmsg());
		return 3;
	}
	if (!strcmp(mode, "--size")) {
		printf("%d %d\n", im.w, im.h);
	} else if (!strcmp(mode, "--pixel") && argc == 5) {
		int x = (int)num(argv[3]), y = (int)num(argv[4]);
		if (x < 0 || y < 0 || x >= im.w || y >= im.h)
			die("pixel outside the image");
		struct dbv_rgb c = dbv_image_get(&im, x, y);
		printf("%d %d %d\n", c.r, c.g, c.b);
	} else if ((!strcmp(mode, "--count") && (argc == 6 || argc == 10)) ||
		   (!strcmp(mode, "--dark") && argc == 7) ||
		   (!strcmp(mode, "--find") && argc == 6)) {
		int dark = !strcmp(mode, "--dark"), find = !strcmp(mode, "--find");
		int r = 0, g = 0, b = 0, x0 = 0, y0 = 0, x1 = im.w, y1 = im.h;
		int bx0 = im.w, by0 = im.h, bx1 = -1, by1 = -1;
		long n = 0;
		if (!dark) {
			r = (int)num(argv[3]);
			g = (int)num(argv[4]);
			b = (int)num(argv[5]);
		}
		if (argc >= 7) {
			int k = dark ? 3 : 6;
			x0 = (int)num(argv[k]);
			y0 = (int)num(argv[k + 1]);
			x1 = (int)num(argv[k + 2]);
			y1 = (int)num(argv[k + 3]);
		}
		for (int y = y0 < 0 ? 0 : y0; y < y1 && y < im.h; y++)
			for (int x = x0 < 0 ? 0 : x0; x < x1 && x < im.w; x++) {
				struct dbv_rgb c = dbv_image_get(&im, x, y);
				int hit = dark ? c.r < 96 && c.g < 96 && c.b < 96
					       : c.r == r && c.g == g && c.b == b;
				if (!hit)
					continue;
				n++;
				bx0 = x < bx0 ? x : bx0;
				by0 = y < by0 ? y : by0;
				bx1 = x > bx1 ? x : bx1;
				by1 = y > by1 ? y : by1;
			}
		if (find)
			printf("%d %d %d %d\n", bx0, by0, bx1, by1);
		else
			printf("%ld\n", n);
	} else {
		die("bad probe arguments");
	}
	dbv_image_release(&im);
	return 0;
}

/* ---- streams ---- */

static void meta_common(struct dbv_writer *w, const struct opts *o)
{
	const int64_t shape[3] = {o->channels, 8, 8};
	double mean[3] = {0.286, 0.286, 0.286}, std[3] = {0.353, 0.353, 0.353};
	char *names[256];
	char buf[256][16];

	for (int k = 0; k < o->classes; k++) {
		if (o->classes == 10) {
			names[k] = (char *)fm_names[k];
		} else {
			snprintf(buf[k], sizeof buf[k], "class%d", k);
			names[k] = buf[k];
		}
	}
	dbv_w_key(w, "dataset"); dbv_w_str(w, "fashion-mnist");
	dbv_w_key(w, "split"); dbv_w_str(w, "test");
	dbv_w_key(w, "shape"); dbv_w_i64_array(w, shape, 3);
	dbv_w_key(w, "classes"); dbv_w_i64(w, o->classes);
	dbv_w_key(w, "class_names"); dbv_w_str_array(w, names, (size_t)o->classes);
	dbv_w_key(w, "mean"); dbv_w_f64_array(w, mean, (size_t)o->channels);
	dbv_w_key(w, "std"); dbv_w_f64_array(w, std, (size_t)o->channels);
}
#define META_COMMON 7

static void meta_model(struct dbv_writer *w, const struct opts *o)
{
	dbv_w_key(w, "model");
	dbv_w_map(w, 10);
	dbv_w_key(w, "arch"); dbv_w_str(w, o->arch);
	dbv_w_key(w, "width"); dbv_w_i64(w, o->width);
	dbv_w_key(w, "depth"); dbv_w_i64(w, 0);
	dbv_w_key(w, "seed"); dbv_w_i64(w, o->seed);
	dbv_w_key(w, "data_seed"); dbv_w_i64(w, 0);
	dbv_w_key(w, "epochs"); dbv_w_i64(w, 10);
	dbv_w_key(w, "n_train"); dbv_w_i64(w, 60000);
	dbv_w_key(w, "dataset"); dbv_w_str(w, "fashion-mnist");
	dbv_w_key(w, "label_noise"); dbv_w_f64(w, o->label_noise);
	dbv_w_key(w, "file"); dbv_w_str(w, "model.dbv");
}

/*
 * --pattern regions: something like a trained net's picture.  Class c
 * (of min(classes, 8)) owns the points nearest to centre c, which move
 * with the plane number and --shift; the confidence is a softmax of
 * minus the distances (temperature 0.4 of the plane's unit).
 */
static void regions(const struct opts *o, int p, int i, int j, int *l,
		    float *cf)
{
	const int k = o->classes < 8 ? o->classes : 8;
	const double x = o->range[0] + (o->range[1] - o->range[0]) * j / (o->res - 1);
	const double y = o->range[2] + (o->range[3] - o->range[2]) * i / (o->res - 1);
	double d[8], best = 1e300, sum = 0;
	int arg = 0;
	for (int c = 0; c < k; c++) {
		const double a = 2.399963 * (c + 1) + 0.7 * (p + o->shift);
		const double r = 1.2 + 0.45 * c;
		const double cx = 3 + r * cos(a), cy = 2.5 + r * sin(a) * 0.9;
		d[c] = sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy));
		d[c] += 0.35 * sin(1.7 * x + c) * cos(1.3 * y - c);
		if (d[c] < best) {
			best = d[c];
			arg = c;
		}
	}
	for (int c = 0; c < k; c++)
		sum += exp(-(d[c] - best) / 0.4);
	*l = 4 + arg % o->classes;
	*cf = (float)(1 / sum);
}

static int write_planes(struct dbv_writer *w, const struct opts *o, int argc,
			char **argv)
{
	const int res = o->res, C = o->channels;
	const size_t n = (size_t)res * res, dim = (size_t)C * 64;
	uint8_t *lab8 = calloc(n, 1), *a8 = calloc(3 * dim, 1);
	int32_t *lab32 = calloc(n, sizeof *lab32);
	float *conf = calloc(n, sizeof *conf), *af = calloc(3 * dim, sizeof *af);
	float *origin = calloc(dim, sizeof *origin), *u = calloc(dim, sizeof *u);
	float *v = calloc(dim, sizeof *v);
	const double coords[6] = {0, 0, 6, 0, 2, 5};
	const int64_t idx[3] = {30, 72, 42};
	const int32_t y_true[3] = {8, 3, 5};
	int32_t y[3] = {8, 3, 5};
	int rc;

	if (!lab8 || !a8 || !lab32 || !conf || !af || !origin || !u || !v)
		die("out of memory");
	if (o->noisy)
		y[1] = 4;
	u[0] = 1;
	u[1] = (float)o->tilt;
	v[1] = 1;
	for (int k = 0; k < 3; k++)
		for (int c = 0; c < C; c++)
			for (int yy = 0; yy < 8; yy++)
				for (int x = 0; x < 8; x++) {
					size_t at = (size_t)k * dim + (size_t)c * 64 + (size_t)yy * 8 + (size_t)x;
					int val = 40 + 60 * k + 10 * x + 20 * c;
					a8[at] = (uint8_t)(val > 255 ? 255 : val);
					af[at] = (float)a8[at];
				}

	dbv_writer_header_begin(w, "pred", NULL, argc, argv,
				META_COMMON + 8 + 3 + (o->no_model ? 0 : 1));
	meta_common(w, o);
	dbv_w_key(w, "res"); dbv_w_i64(w, res);
	dbv_w_key(w, "range_l"); dbv_w_f64(w, 0.1);
	dbv_w_key(w, "range_r"); dbv_w_f64(w, 0.1);
	dbv_w_key(w, "triplet_seed"); dbv_w_i64(w, 0);
	dbv_w_key(w, "mode"); dbv_w_str(w, "random");
	dbv_w_key(w, "anchor_noise"); dbv_w_str(w, "none");
	dbv_w_key(w, "planes"); dbv_w_i64(w, o->planes);
	dbv_w_key(w, "input"); dbv_w_str(w, "planes");
	if (!o->no_model)
		meta_model(w, o);
	dbv_w_key(w, "temp"); dbv_w_f64(w, 1.0);
	dbv_w_key(w, "logits"); dbv_w_bool(w, 0);
	dbv_w_key(w, "mkpred"); dbv_w_bool(w, 1);
	if ((rc = dbv_writer_header_end(w)))
		return rc;

	for (int p = 0; p < o->planes; p++) {
		const int64_t sdim[3] = {C, 8, 8}, sa[4] = {3, C, 8, 8};
		const int64_t s3[1] = {3}, sc[2] = {3, 2}, sr[1] = {4};
		const int64_t sg[2] = {res, res};
		for (int i = 0; i < res; i++)
			for (int j = 0; j < res; j++) {
				const int q = 2 * (i >= res / 2) + (j >= res / 2);
				const float qc[4] = {1.0f, 0.5f, 0.75f, 0.25f};
				int l = q + 4;
				float cf = qc[q];
				if (o->band && abs(i - j) <= res / 10) {
					l = 4 + 4;
					cf = 1;
				}
				if (o->regions)
					regions(o, p, i, j, &l, &cf);
				if (!o->regions)
					l = (l - 4 + o->shift + p) % o->classes;
				else
					l = (l - 4) % o->classes;
				lab8[(size_t)i * res + j] = (uint8_t)l;
				lab32[(size_t)i * res + j] = l;
				conf[(size_t)i * res + j] = cf;
			}
		for (int i = 0; i < o->flip_rows; i++)
			for (int j = 0; j < res; j++) {
				const size_t at = (size_t)i * res + j;
				lab8[at] = (uint8_t)((lab8[at] + 5) % o->classes);
				lab32[at] = lab8[at];
			}
		{
			const int R = (res - res / 2 - 2) / 2;
			for (int m = 0; m < o->dots + p; m++) {
				const int i = res / 2 + 1 + 2 * (m % R), j = 1 + 2 * (m / R);
				const size_t at = (size_t)i * res + j;
				if (j >= res / 2 - 1)
					die("--dots: too many for the plane");
				lab8[at] = (uint8_t)((lab8[at] + 5) % o->classes);
				lab32[at] = lab8[at];
			}
		}
		if (o->bad_label) {
			lab8[0] = 99;
			lab32[0] = 99;
		}
		if (o->nan_conf)
			conf[0] = NAN;
		dbv_writer_record_begin(w, "pred", 13);
		dbv_w_key(w, "plane"); dbv_w_i64(w, p);
		dbv_w_key(w, "origin"); dbv_w_tensor_raw(w, DBV_F32, 3, sdim, origin);
		dbv_w_key(w, "u"); dbv_w_tensor_raw(w, DBV_F32, 3, sdim, u);
		dbv_w_key(w, "v"); dbv_w_tensor_raw(w, DBV_F32, 3, sdim, v);
		dbv_w_key(w, "anchors");
		if (o->f32_anchors)
			dbv_w_tensor_raw(w, DBV_F32, 4, sa, af);
		else
			dbv_w_tensor_raw(w, DBV_U8, 4, sa, a8);
		dbv_w_key(w, "idx"); dbv_w_tensor_raw(w, DBV_I64, 1, s3, idx);
		dbv_w_key(w, "y"); dbv_w_tensor_raw(w, DBV_I32, 1, s3, y);
		dbv_w_key(w, "y_true"); dbv_w_tensor_raw(w, DBV_I32, 1, s3, y_true);
		dbv_w_key(w, "coords"); dbv_w_tensor_raw(w, DBV_F64, 2, sc, coords);
		dbv_w_key(w, "res"); dbv_w_i64(w, res);
		dbv_w_key(w, "range"); dbv_w_tensor_raw(w, DBV_F64, 1, sr, o->range);
		dbv_w_key(w, "labels");
		if (o->i32)
			dbv_w_tensor_raw(w, DBV_I32, 2, sg, lab32);
		else
			dbv_w_tensor_raw(w, DBV_U8, 2, sg, lab8);
		dbv_w_key(w, "conf"); dbv_w_tensor_raw(w, DBV_F32, 2, sg, conf);
		if ((rc = dbv_writer_record_end(w)))
			return rc;
	}
	free(lab8); free(a8); free(lab32); free(conf); free(af);
	free(origin); free(u); free(v);
	return dbv_writer_finish(w);
}

static int write_dataset_pred(struct dbv_writer *w, const struct opts *o,
			      int argc, char **argv)
{
	const int N = o->items;
	const int64_t s[1] = {N};
	int32_t *lab = calloc((size_t)N, sizeof *lab), *y = calloc((size_t)N, sizeof *y);
	float *conf = calloc((size_t)N, sizeof *conf);
	int64_t *idx = calloc((size_t)N, sizeof *idx);
	int rc;

	if (!lab || !y || !conf || !idx)
		die("out of memory");
	for (int i = 0; i < N; i++) {
		y[i] = i % o->classes;
		lab[i] = i < o->wrong ? (y[i] + 1) % o->classes : y[i];
		conf[i] = 0.9f;
		idx[i] = i + o->idx_offset;
	}
	dbv_writer_header_begin(w, "pred", NULL, argc, argv,
				META_COMMON + 3 + (o->no_model ? 0 : 1));
	meta_common(w, o);
	dbv_w_key(w, "input"); dbv_w_str(w, "dataset");
	if (!o->no_model)
		meta_model(w, o);
	dbv_w_key(w, "temp"); dbv_w_f64(w, 1.0);
	dbv_w_key(w, "logits"); dbv_w_bool(w, 0);
	if ((rc = dbv_writer_header_end(w)))
		return rc;
	dbv_writer_record_begin(w, "pred", 5);
	dbv_w_key(w, "labels"); dbv_w_tensor_raw(w, DBV_I32, 1, s, lab);
	dbv_w_key(w, "conf"); dbv_w_tensor_raw(w, DBV_F32, 1, s, conf);
	dbv_w_key(w, "y"); dbv_w_tensor_raw(w, DBV_I32, 1, s, y);
	dbv_w_key(w, "y_true"); dbv_w_tensor_raw(w, DBV_I32, 1, s, y);
	dbv_w_key(w, "idx"); dbv_w_tensor_raw(w, DBV_I64, 1, s, idx);
	dbv_writer_record_end(w);
	dbv_writer_record_begin(w, "accuracy", 5);
	dbv_w_key(w, "n"); dbv_w_i64(w, N);
	dbv_w_key(w, "correct"); dbv_w_i64(w, N - o->wrong);
	dbv_w_key(w, "correct_true"); dbv_w_i64(w, N - o->wrong);
	dbv_w_key(w, "acc"); dbv_w_f64(w, (double)(N - o->wrong) / N);
	dbv_w_key(w, "acc_true"); dbv_w_f64(w, (double)(N - o->wrong) / N);
	dbv_writer_record_end(w);
	free(lab); free(y); free(conf); free(idx);
	return dbv_writer_finish(w);
}

int main(int argc, char **argv)
{
	struct opts o = {
		.res = 51, .planes = 1, .classes = 10, .channels = 1,
		.range = {-1, 9, -2, 8}, .arch = "cnn5", .width = 16, .items = 4,
	};
	struct dbv_writer *w;
	int rc;

	if (argc > 1 && (!strcmp(argv[1], "--size") || !strcmp(argv[1], "--pixel") ||
			 !strcmp(argv[1], "--count") || !strcmp(argv[1], "--dark") ||
			 !strcmp(argv[1], "--find")))
		return probe(argc, argv);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define VAL() (val ? (i++, val) : (die("option needs a value"), ""))
		if (!strcmp(a, "--res")) o.res = (int)num(VAL());
		else if (!strcmp(a, "--planes")) o.planes = (int)num(VAL());
		else if (!strcmp(a, "--classes")) o.classes = (int)num(VAL());
		else if (!strcmp(a, "--shift")) o.shift = (int)num(VAL());
		else if (!strcmp(a, "--channels")) o.channels = (int)num(VAL());
		else if (!strcmp(a, "--pattern")) {
			const char *s = VAL();
			o.band = !strcmp(s, "band");
			o.regions = !strcmp(s, "regions");
		}
		else if (!strcmp(a, "--f32-anchors")) o.f32_anchors = 1;
		else if (!strcmp(a, "--i32")) o.i32 = 1;
		else if (!strcmp(a, "--noisy")) o.noisy = 1;
		else if (!strcmp(a, "--no-model")) o.no_model = 1;
		else if (!strcmp(a, "--bad-label")) o.bad_label = 1;
		else if (!strcmp(a, "--nan-conf")) o.nan_conf = 1;
		else if (!strcmp(a, "--tilt")) o.tilt = atof(VAL());
		else if (!strcmp(a, "--label-noise")) o.label_noise = atof(VAL());
		else if (!strcmp(a, "--flip-rows")) o.flip_rows = (int)num(VAL());
		else if (!strcmp(a, "--dots")) o.dots = (int)num(VAL());
		else if (!strcmp(a, "--items")) o.items = (int)num(VAL());
		else if (!strcmp(a, "--wrong")) o.wrong = (int)num(VAL());
		else if (!strcmp(a, "--idx-offset")) o.idx_offset = (int)num(VAL());
		else if (!strcmp(a, "--arch")) o.arch = VAL();
		else if (!strcmp(a, "--width")) o.width = num(VAL());
		else if (!strcmp(a, "--seed")) o.seed = num(VAL());
		else if (!strcmp(a, "--input")) o.dataset_input = !strcmp(VAL(), "dataset");
		else if (!strcmp(a, "--range")) {
			const char *s = VAL();
			if (sscanf(s, "%lf,%lf,%lf,%lf", &o.range[0], &o.range[1],
				   &o.range[2], &o.range[3]) != 4)
				die("--range wants A,B,C,D");
		} else die("unknown option (see the comment at the top of tests/mkpred.c)");
#undef VAL
	}
	if (o.res < 2 || o.res > 20000 || o.planes < 0 || o.classes < 1 ||
	    o.classes > 256 || (o.channels != 1 && o.channels != 3) || o.shift < 0 ||
	    o.flip_rows < 0 || o.flip_rows >= o.res / 2 || o.dots < 0 ||
	    o.items < 1 || o.wrong < 0 || o.wrong > o.items)
		die("value out of range");
	if (!(w = dbv_writer_new(1, "mkpred")))
		die("out of memory");
	rc = o.dataset_input ? write_dataset_pred(w, &o, argc, argv)
			     : write_planes(w, &o, argc, argv);
	dbv_writer_free(w);
	if (rc) {
		fprintf(stderr, "mkpred: %s\n", dbv_errmsg());
		return 4;
	}
	return 0;
}
