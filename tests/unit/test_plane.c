/*
 * test_plane.c - plane geometry (lib/study/plane.c) against values worked out
 * by hand and against naive double-precision recomputation; refusals;
 * a plane record round trip; normalisation.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static double ddot(const float *x, const float *y, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)x[i] * y[i];
	return s;
}

/*
 * a = (1,1,1), b = (1,4,5), c = (2,1,8): b-a = (0,3,4), |b-a| = 5,
 * u = (0, .6, .8); c-a = (1,0,7), <c-a,u> = 5.6; w = (1, -3.36, 2.52),
 * |w|^2 = 18.64.  Coordinates (0,0), (5,0), (5.6, sqrt(18.64)).
 */
static void test_hand_3d(void)
{
	const float a[3] = {1, 1, 1}, b[3] = {1, 4, 5}, c[3] = {2, 1, 8};
	const double nw = sqrt(18.64);
	struct dbv_plane p;

	CHECK_OK(dbv_plane_make(&p, a, b, c, 3, 0.1, 0.2, 11));
	CHECK_EQ_INT(p.dim, 3);
	CHECK_EQ_INT(p.res, 11);
	CHECK(p.origin[0] == 1 && p.origin[1] == 1 && p.origin[2] == 1);
	CHECK_NEAR(p.u[0], 0, 1e-7);
	CHECK_NEAR(p.u[1], 0.6, 1e-7);
	CHECK_NEAR(p.u[2], 0.8, 1e-7);
	CHECK_NEAR(p.v[0], 1 / nw, 1e-7);
	CHECK_NEAR(p.v[1], -3.36 / nw, 1e-7);
	CHECK_NEAR(p.v[2], 2.52 / nw, 1e-7);
	CHECK_NEAR(p.coords[0][0], 0, 0);
	CHECK_NEAR(p.coords[0][1], 0, 0);
	CHECK_NEAR(p.coords[1][0], 5, 1e-12);
	CHECK_NEAR(p.coords[1][1], 0, 0);
	CHECK_NEAR(p.coords[2][0], 5.6, 1e-12);
	CHECK_NEAR(p.coords[2][1], nw, 1e-12);
	/* x: [0, 5.6] widened by 0.1*5.6 below, 0.2*5.6 above; y: [0, nw]. */
	CHECK_NEAR(p.range[0], -0.56, 1e-12);
	CHECK_NEAR(p.range[1], 6.72, 1e-12);
	CHECK_NEAR(p.range[2], -0.1 * nw, 1e-12);
	CHECK_NEAR(p.range[3], 1.2 * nw, 1e-12);
	/* linspace over the range, both ends included exactly. */
	CHECK(dbv_plane_x(&p, 0) == p.range[0]);
	CHECK(dbv_plane_x(&p, 10) == p.range[1]);
	CHECK(dbv_plane_y(&p, 0) == p.range[2]);
	CHECK(dbv_plane_y(&p, 10) == p.range[3]);
	CHECK_NEAR(dbv_plane_x(&p, 5), (-0.56 + 6.72) / 2, 1e-12);
	CHECK_NEAR(dbv_plane_y(&p, 1), -0.1 * nw + 1.3 * nw / 10, 1e-12);
	dbv_plane_release(&p);
	CHECK(p.origin == NULL && p.u == NULL && p.v == NULL);
}

/*
 * 4-D, the third anchor left of the first: a = 0, b = (2,0,0,0),
 * c = (-1,0,0,3): u = e1, v = e4, coordinates (0,0), (2,0), (-1,3).
 * x spans [-1, 2] (extent 3), y [0, 3] (extent 3); range 0.1 each:
 * x in [-1.3, 2.3], y in [-0.3, 3.3]; res 4: x = -1.3, -0.1, 1.1, 2.3.
 */
static void test_hand_4d(void)
{
	const float a[4] = {0, 0, 0, 0}, b[4] = {2, 0, 0, 0}, c[4] = {-1, 0, 0, 3};
	struct dbv_plane p;
	float pts[16 * 4];

	CHECK_OK(dbv_plane_make(&p, a, b, c, 4, 0.1, 0.1, 4));
	CHECK(p.u[0] == 1 && p.u[1] == 0 && p.u[2] == 0 && p.u[3] == 0);
	CHECK(p.v[0] == 0 && p.v[1] == 0 && p.v[2] == 0 && p.v[3] == 1);
	CHECK_NEAR(p.coords[1][0], 2, 0);
	CHECK_NEAR(p.coords[2][0], -1, 0);
	CHECK_NEAR(p.coords[2][1], 3, 0);
	CHECK_NEAR(p.range[0], -1.3, 1e-12);
	CHECK_NEAR(p.range[1], 2.3, 1e-12);
	CHECK_NEAR(p.range[2], -0.3, 1e-12);
	CHECK_NEAR(p.range[3], 3.3, 1e-12);
	CHECK_NEAR(dbv_plane_x(&p, 1), -0.1, 1e-12);
	CHECK_NEAR(dbv_plane_x(&p, 2), 1.1, 1e-12);
	/* Point (i, j) = (y_i in the 4th value, x_j in the 1st). */
	dbv_plane_points(&p, 0, 16, pts);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++) {
			const float *q = pts + (i * 4 + j) * 4;
			CHECK_NEAR(q[0], -1.3 + 1.2 * j, 1e-6);
			CHECK(q[1] == 0 && q[2] == 0);
			CHECK_NEAR(q[3], -0.3 + 1.2 * i, 1e-6);
		}
	dbv_plane_release(&p);
}

static void fill_normal(struct dbv_rng *r, float *x, size_t n, double scale)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(scale * dbv_rng_normal(r));
}

/* Random high-dimensional anchors: orthonormal basis, anchors on their
 * coordinates, the grid from the coordinates, points against naive. */
static void test_random(size_t dim, uint64_t seed, int res)
{
	struct dbv_rng r;
	struct dbv_plane p;
	float *x = malloc(3 * dim * sizeof *x), *pts, *pts2;
	const size_t npts = (size_t)res * (size_t)res;

	dbv_rng_seed(&r, seed);
	fill_normal(&r, x, 3 * dim, 1.0);
	CHECK_OK(dbv_plane_make(&p, x, x + dim, x + 2 * dim, dim, 0.5, 0.25, res));
	CHECK_NEAR(ddot(p.u, p.u, dim), 1, 1e-6);
	CHECK_NEAR(ddot(p.v, p.v, dim), 1, 1e-6);
	CHECK_NEAR(ddot(p.u, p.v, dim), 0, 1e-6);
	CHECK(memcmp(p.origin, x, dim * sizeof *x) == 0);

	/* Each anchor: origin + x*u + y*v reproduces it. */
	for (int k = 0; k < 3; k++) {
		double err = 0, norm = 0;
		for (size_t i = 0; i < dim; i++) {
			const double q = (double)p.origin[i] + p.coords[k][0] * p.u[i] +
					 p.coords[k][1] * p.v[i];
			err += (q - x[k * dim + i]) * (q - x[k * dim + i]);
			norm += (double)x[k * dim + i] * x[k * dim + i];
		}
		CHECK(sqrt(err) <= 1e-5 * sqrt(norm));
	}
	/* Coordinates as defined, recomputed with the stored basis. */
	{
		double ab = 0, cu = 0, cv = 0;
		for (size_t i = 0; i < dim; i++) {
			const double d1 = (double)x[dim + i] - x[i];
			const double d2 = (double)x[2 * dim + i] - x[i];
			ab += d1 * d1;
			cu += d2 * p.u[i];
			cv += d2 * p.v[i];
		}
		CHECK_NEAR(p.coords[1][0], sqrt(ab), 1e-6 * sqrt(ab));
		CHECK_NEAR(p.coords[2][0], cu, 1e-5);
		CHECK_NEAR(p.coords[2][1], cv, 1e-5);
		CHECK(p.coords[2][1] > 0);
	}
	/* The grid: bounding box of the coordinates widened by 0.5 / 0.25
	 * of its extent. */
	for (int axis = 0; axis < 2; axis++) {
		double lo = fmin(fmin(p.coords[0][axis], p.coords[1][axis]), p.coords[2][axis]);
		double hi = fmax(fmax(p.coords[0][axis], p.coords[1][axis]), p.coords[2][axis]);
		CHECK_NEAR(p.range[2 * axis], lo - 0.5 * (hi - lo), 1e-12 * (1 + hi - lo));
		CHECK_NEAR(p.range[2 * axis + 1], hi + 0.25 * (hi - lo), 1e-12 * (1 + hi - lo));
	}
	for (int j = 0; j < res; j++) {
		const double want = p.range[0] + j * (p.range[1] - p.range[0]) / (res - 1);
		CHECK_NEAR(dbv_plane_x(&p, j), want, 1e-12 * (1 + fabs(want)));
		CHECK_NEAR(dbv_plane_y(&p, j),
			   p.range[2] + j * (p.range[3] - p.range[2]) / (res - 1),
			   1e-12 * (1 + fabs(p.range[3])));
	}

	/* dbv_plane_points against a naive per-point double computation,
	 * all points at once and in uneven chunks that cross rows. */
	pts = malloc(npts * dim * sizeof *pts);
	pts2 = malloc(npts * dim * sizeof *pts2);
	dbv_plane_points(&p, 0, npts, pts);
	double maxerr = 0;
	for (size_t t = 0; t < npts; t++) {
		const int i = (int)(t / (size_t)res), j = (int)(t % (size_t)res);
		const double xj = p.range[0] + j * (p.range[1] - p.range[0]) / (res - 1);
		const double yi = p.range[2] + i * (p.range[3] - p.range[2]) / (res - 1);
		for (size_t d = 0; d < dim; d++) {
			const double q = (double)p.origin[d] + xj * p.u[d] + yi * p.v[d];
			const double e = fabs(q - pts[t * dim + d]);
			if (e > maxerr)
				maxerr = e;
		}
	}
	CHECK(maxerr < 1e-5);
	/* The same float operations as a plain scalar loop. */
	maxerr = 0;
	for (size_t t = 0; t < npts; t++) {
		const float xj = (float)dbv_plane_x(&p, (int)(t % (size_t)res));
		const float yi = (float)dbv_plane_y(&p, (int)(t / (size_t)res));
		for (size_t d = 0; d < dim; d++) {
			const float q = p.origin[d] + xj * p.u[d] + yi * p.v[d];
			const double e = fabs((double)q - pts[t * dim + d]) /
					 (1 + fabs(p.origin[d]) + fabs(xj * p.u[d]) +
					  fabs(yi * p.v[d]));
			if (e > maxerr)
				maxerr = e;
		}
	}
	CHECK(maxerr < 1e-6);
	for (size_t k = 0, n = 1; k < npts; k += n, n = n * 2 + 1) {
		if (n > npts - k)
			n = npts - k;
		dbv_plane_points(&p, k, n, pts2 + k * dim);
	}
	CHECK(memcmp(pts, pts2, npts * dim * sizeof *pts) == 0);

	free(pts);
	free(pts2);
	dbv_plane_release(&p);
	free(x);
}

static void test_refusals(void)
{
	const float a[3] = {1, 2, 3}, b[3] = {2, 2, 3}, far[3] = {5, 2, 3};
	const float off[3] = {1, 5, 3};
	float c[3];
	struct dbv_plane p;

	/* Duplicates. */
	CHECK_RC(dbv_plane_make(&p, a, a, off, 3, 0.1, 0.1, 10), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "duplicates") != NULL);
	CHECK(p.origin == NULL);
	CHECK_RC(dbv_plane_make(&p, a, off, a, 3, 0.1, 0.1, 10), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "1 and 3 are duplicates") != NULL);
	CHECK_RC(dbv_plane_make(&p, a, off, off, 3, 0.1, 0.1, 10), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "2 and 3 are duplicates") != NULL);
	/* Collinear: c = a + 4 (b - a), and c between a and b. */
	CHECK_RC(dbv_plane_make(&p, a, b, far, 3, 0.1, 0.1, 10), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "collinear") != NULL);
	c[0] = 1.5f, c[1] = 2, c[2] = 3;
	CHECK_RC(dbv_plane_make(&p, a, b, c, 3, 0.1, 0.1, 10), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "collinear") != NULL);
	/* Nearly collinear but above the threshold: accepted. */
	c[0] = 5, c[1] = 2.001f, c[2] = 3;
	CHECK_OK(dbv_plane_make(&p, a, b, c, 3, 0.1, 0.1, 10));
	dbv_plane_release(&p);
	/* Images that differ by a constant shift, normalised to floats: the
	 * residual w is rounding only, above 1e-6 |c - a| when b - a is
	 * short; refused all the same. */
	{
		enum { N = 784 };
		uint8_t img[3 * N];
		float nrm[3 * N];
		const int shift[3] = {42, 45, 77};
		const double mean = 0.5, sd = 0.26;
		for (int k = 0; k < 3; k++)
			for (int i = 0; i < N; i++)
				img[k * N + i] = (uint8_t)((i / 28) * 3 + i % 28 + shift[k]);
		dbv_normalise(img, DBV_U8, 3, 1, N, &mean, &sd, nrm);
		CHECK_RC(dbv_plane_make(&p, nrm, nrm + N, nrm + 2 * N, N, 0.1, 0.1, 10),
			 DBV_EINPUT);
		CHECK(strstr(dbv_errmsg(), "collinear") != NULL);
		/* One pixel off the line: a plane. */
		img[2 * N + 400] = (uint8_t)(img[2 * N + 400] + 1);
		dbv_normalise(img, DBV_U8, 3, 1, N, &mean, &sd, nrm);
		CHECK_OK(dbv_plane_make(&p, nrm, nrm + N, nrm + 2 * N, N, 0.1, 0.1, 10));
		dbv_plane_release(&p);
	}
	/* Grid parameters. */
	CHECK_RC(dbv_plane_make(&p, a, b, off, 3, 0.1, 0.1, 1), DBV_EUSAGE);
	CHECK_RC(dbv_plane_make(&p, a, b, off, 3, 0.1, 0.1, 0), DBV_EUSAGE);
	CHECK_RC(dbv_plane_make(&p, a, b, off, 3, 0.1, 0.1, -5), DBV_EUSAGE);
	CHECK_RC(dbv_plane_make(&p, a, b, off, 3, 0.1, 0.1, 100000), DBV_EUSAGE);
	CHECK_RC(dbv_plane_make(&p, a, b, off, 3, -0.1, 0.1, 10), DBV_EUSAGE);
	CHECK_RC(dbv_plane_make(&p, a, b, off, 3, 0.1, NAN, 10), DBV_EUSAGE);
	CHECK_OK(dbv_plane_make(&p, a, b, off, 3, 0, 0, 2));
	CHECK_NEAR(dbv_plane_x(&p, 0), 0, 0);
	CHECK_NEAR(dbv_plane_x(&p, 1), 1, 1e-12);
	dbv_plane_release(&p);
	/* Non-finite anchors. */
	c[0] = NAN;
	CHECK_RC(dbv_plane_make(&p, a, b, c, 3, 0.1, 0.1, 10), DBV_ENONFINITE);
}

/* Write a plane record with dbv's writer, read it back. */
static void test_record(const char *tmp)
{
	const size_t dim = 2 * 3 * 4;
	const int64_t item[3] = {2, 3, 4}, cs[2] = {3, 2}, rs[1] = {4};
	char path[600], *argv[] = {"test", NULL};
	struct dbv_rng r;
	struct dbv_plane p, q;
	float x[3 * 24];
	const dbv_val *rec;
	int fd;

	dbv_rng_seed(&r, 7);
	fill_normal(&r, x, 3 * dim, 2.0);
	CHECK_OK(dbv_plane_make(&p, x, x + dim, x + 2 * dim, dim, 0.1, 0.1, 9));
	snprintf(path, sizeof path, "%s/plane.dbv", tmp);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct dbv_writer *w = dbv_writer_new(fd, "test");
	dbv_writer_header_begin(w, "planes", NULL, 1, argv, 0);
	dbv_writer_header_end(w);
	for (int bad = 0; bad < 3; bad++) {
		dbv_writer_record_begin(w, "plane", 6);
		dbv_w_key(w, "origin"); dbv_w_tensor_raw(w, DBV_F32, 3, item, p.origin);
		dbv_w_key(w, "u"); dbv_w_tensor_raw(w, DBV_F32, 3, item, p.u);
		/* bad 1: v of the wrong shape; bad 2: res out of range. */
		dbv_w_key(w, "v");
		dbv_w_tensor_raw(w, DBV_F32, bad == 1 ? 2 : 3, item, p.v);
		dbv_w_key(w, "coords"); dbv_w_tensor_raw(w, DBV_F64, 2, cs, p.coords);
		dbv_w_key(w, "res"); dbv_w_i64(w, bad == 2 ? 1 : p.res);
		dbv_w_key(w, "range"); dbv_w_tensor_raw(w, DBV_F64, 1, rs, p.range);
		dbv_writer_record_end(w);
	}
	CHECK_OK(dbv_writer_finish(w));
	dbv_writer_free(w);
	close(fd);

	fd = open(path, O_RDONLY);
	struct dbv_reader *rd = dbv_reader_new(fd, path);
	CHECK_OK(dbv_reader_header(rd, "planes", NULL));
	CHECK_OK(dbv_reader_next(rd, &rec));
	CHECK_RC(dbv_plane_from_record(&q, rec, 2, 4, 3), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "origin") != NULL);
	CHECK_OK(dbv_plane_from_record(&q, rec, 2, 3, 4));
	CHECK_EQ_INT(q.dim, dim);
	CHECK_EQ_INT(q.res, 9);
	CHECK(memcmp(q.origin, p.origin, dim * sizeof(float)) == 0);
	CHECK(memcmp(q.u, p.u, dim * sizeof(float)) == 0);
	CHECK(memcmp(q.v, p.v, dim * sizeof(float)) == 0);
	CHECK(memcmp(q.coords, p.coords, sizeof p.coords) == 0);
	CHECK(memcmp(q.range, p.range, sizeof p.range) == 0);
	{
		float a1[81 * 24], a2[81 * 24];
		dbv_plane_points(&p, 0, 81, a1);
		dbv_plane_points(&q, 0, 81, a2);
		CHECK(memcmp(a1, a2, sizeof a1) == 0);
	}
	dbv_plane_release(&q);
	CHECK_OK(dbv_reader_next(rd, &rec));
	CHECK_RC(dbv_plane_from_record(&q, rec, 2, 3, 4), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "\"v\"") != NULL);
	CHECK(q.origin == NULL);
	CHECK_OK(dbv_reader_next(rd, &rec));
	CHECK_RC(dbv_plane_from_record(&q, rec, 2, 3, 4), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "res") != NULL);
	CHECK_RC(dbv_reader_next(rd, &rec), DBV_END);
	dbv_reader_free(rd);
	close(fd);
	dbv_plane_release(&p);
}

static void test_normalise(void)
{
	enum { C = 3, HW = 5, N = 2 };
	const double mean[C] = {0.5, 0.25, 0.75}, sd[C] = {0.2, 0.3, 0.4};
	uint8_t x8[N * C * HW];
	float xf[N * C * HW], o8[N * C * HW], of[N * C * HW], ob[N * C * HW];
	int64_t idx[N] = {0, 1};

	for (int i = 0; i < N * C * HW; i++) {
		x8[i] = (uint8_t)(i * 37 + 11);
		xf[i] = x8[i];
	}
	dbv_normalise(x8, DBV_U8, N, C, HW, mean, sd, o8);
	dbv_normalise(xf, DBV_F32, N, C, HW, mean, sd, of);
	for (int n = 0; n < N; n++)
		for (int c = 0; c < C; c++)
			for (int q = 0; q < HW; q++) {
				const int i = (n * C + c) * HW + q;
				CHECK_NEAR(o8[i], (x8[i] / 255.0 - mean[c]) / sd[c], 1e-5);
			}
	CHECK(memcmp(o8, of, sizeof o8) == 0);
	/* The same bits as training's batches (1x5 images, no augmentation). */
	dbv_make_batch(x8, C, 1, HW, idx, N, mean, sd, 0, 0, NULL, ob);
	CHECK(memcmp(o8, ob, sizeof o8) == 0);
}

int main(void)
{
	const char *tmp = check_tmpdir();
	test_hand_3d();
	test_hand_4d();
	test_random(784, 1, 13);
	test_random(3072, 2, 7);
	test_random(5, 3, 2);
	test_refusals();
	test_record(tmp);
	test_normalise();
	return check_done();
}
