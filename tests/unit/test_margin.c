/*
 * test_margin.c - margins and class skips (lib/study/margin.c): the
 * bisection against the closed form of a linear classifier (whose class
 * region along a ray is an interval from 0, so the first change is
 * t* = min over classes c of (z_l0 - z_c)(x) / ((w_c - w_l0) . d)) and
 * its exact count of classified points; the ladder; the bisection
 * against a fine scan on a nonlinear net; the hit rule; the draws; class
 * skips against direct counts on hand-made label sequences.
 */
#include <string.h>

#include "check.h"

#define DIM 6
#define K 4

/* A linear classifier: argmax of W x + b. */
struct linear {
	double w[K][DIM], b[K];
};

static void logits(const struct linear *l, const float *x, double *z)
{
	for (int c = 0; c < K; c++) {
		z[c] = l->b[c];
		for (int j = 0; j < DIM; j++)
			z[c] += l->w[c][j] * x[j];
	}
}

static int lin_classify(void *ctx, const float *x, int n, int32_t *lab)
{
	for (int i = 0; i < n; i++) {
		double z[K];
		int best = 0;
		logits(ctx, x + (size_t)i * DIM, z);
		for (int c = 1; c < K; c++)
			if (z[c] > z[best])
				best = c;
		lab[i] = best;
	}
	return DBV_OK;
}

/* The closed form: the first t >= 0 where another class overtakes. */
static double lin_first(const struct linear *l, const float *x, const float *d,
			int l0)
{
	double z[K], best = INFINITY;
	logits(l, x, z);
	for (int c = 0; c < K; c++) {
		double den = 0;
		for (int j = 0; j < DIM; j++)
			den += (l->w[c][j] - l->w[l0][j]) * d[j];
		if (c != l0 && den > 0 && (z[l0] - z[c]) / den < best)
			best = (z[l0] - z[c]) / den;
	}
	return best;
}

static void make_linear(struct linear *l, struct dbv_rng *r)
{
	for (int c = 0; c < K; c++) {
		l->b[c] = dbv_rng_normal(r);
		for (int j = 0; j < DIM; j++)
			l->w[c][j] = dbv_rng_normal(r);
	}
}

#define NR 200

static void test_linear(void)
{
	static float x[NR][DIM], e[NR][DIM];
	struct dbv_ray rays[NR];
	int32_t l0[NR];
	double dist[NR], want[NR];
	struct linear l;
	struct dbv_rng r;
	struct dbv_classifier c = {lin_classify, &l, DIM, 37, K, 0, 0};
	const struct dbv_margin_opts o = {.range = 3, .step = 0.25, .tol = 1e-4};
	int64_t expect = 0;
	int hits = 0, miss = 0;

	dbv_rng_seed(&r, 5);
	make_linear(&l, &r);
	for (int i = 0; i < NR; i++) {
		double s = 0;
		float d[DIM];
		for (int j = 0; j < DIM; j++) {
			x[i][j] = (float)dbv_rng_normal(&r);
			d[j] = (float)dbv_rng_normal(&r);
			s += (double)d[j] * d[j];
		}
		for (int j = 0; j < DIM; j++) {
			d[j] = (float)(d[j] / sqrt(s));
			e[i][j] = x[i][j] + d[j];
		}
		rays[i] = (struct dbv_ray){x[i], e[i], 1};
		CHECK_OK(lin_classify(&l, x[i], 1, &l0[i]));
		want[i] = lin_first(&l, x[i], d, l0[i]);
		/* points classified: the scan's steps up to the bracket, then
		 * the halvings of a bracket of width h (or R - (k-1)h) */
		if (want[i] < o.range) {
			const double k = ceil(want[i] / o.step);
			const double w = fmin(o.step, o.range - (k - 1) * o.step);
			expect += (int64_t)k + (int64_t)ceil(log2(w / o.tol) - 1e-9);
		} else {
			expect += (int64_t)ceil(o.range / o.step);
		}
	}
	CHECK_OK(dbv_margin_rays(&c, rays, l0, NR, &o, dist));
	for (int i = 0; i < NR; i++) {
		if (want[i] < o.range * 0.999) {
			CHECK_NEAR(dist[i], want[i], o.tol / 2 + 1e-5);
			hits++;
		} else if (want[i] > o.range * 1.001) {
			CHECK(isnan(dist[i]));
			miss++;
		}
	}
	CHECK(hits > 50 && miss > 10);
	CHECK_EQ_INT(c.points, expect);
	/* The ladder: every point classified, the bracket's midpoint. */
	const struct dbv_margin_opts lad = {.range = 3, .ladder = 200};
	c.points = 0;
	CHECK_OK(dbv_margin_rays(&c, rays, l0, NR, &lad, dist));
	CHECK_EQ_INT(c.points, NR * 200);
	for (int i = 0; i < NR; i++)
		if (want[i] < lad.range * 0.999)
			CHECK_NEAR(dist[i], want[i], 0.5 * lad.range / 200 + 1e-5);
		else if (want[i] > lad.range * 1.001)
			CHECK(isnan(dist[i]));
	/* Bad options are refused. */
	const struct dbv_margin_opts bad[] = {
		{.range = 0, .step = 1, .tol = 0.1}, {.range = 1, .step = 2, .tol = 0.1},
		{.range = 1, .step = 0.5, .tol = 0}, {.range = NAN, .ladder = 5},
	};
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
		CHECK_RC(dbv_margin_rays(&c, rays, l0, NR, &bad[k], dist), DBV_EUSAGE);
}

/* A nonlinear net: the bisection's distance against a fine scan of
 * step tol / 4 over [0, R] (the first scan point of another class). */
static void test_fine_scan(void)
{
	enum { N = 60, D = 16, B = 64 };
	struct dbv_arch a = {.name = "mlp", .width = 24, .depth = 2, .c = 1, .h = 4,
			     .w = 4, .classes = 5};
	struct dbv_model m;
	static float x[N * D], pts[B * D];
	struct dbv_ray rays[N];
	int32_t l0[N], lab[B];
	double dist[N];
	struct dbv_rng r;
	const struct dbv_margin_opts o = {.range = 40, .step = 0.5, .tol = 1e-3};
	const double fine = o.tol / 4;
	int agree = 0, found = 0;

	CHECK_OK(dbv_model_build(&m, &a));
	dbv_model_init(&m, 3);
	CHECK_OK(dbv_model_reserve_eval(&m, B));
	struct dbv_classifier c = {dbv_model_classify, &m, D, B, 5, 0, 0};
	dbv_rng_seed(&r, 11);
	for (int i = 0; i < N * D; i++)
		x[i] = (float)(3 * dbv_rng_normal(&r));
	CHECK_OK(dbv_classify_all(&c, x, N, l0));
	for (int i = 0; i < N; i++) {
		const float *b = x + (size_t)((i + 1 + i % 7) % N) * D;
		double s = 0;
		for (int j = 0; j < D; j++)
			s += ((double)b[j] - x[i * D + j]) * ((double)b[j] - x[i * D + j]);
		rays[i] = (struct dbv_ray){x + i * D, b, 1 / sqrt(s)};
	}
	CHECK_OK(dbv_margin_rays(&c, rays, l0, N, &o, dist));
	for (int i = 0; i < N; i++) {
		/* the fine scan, B points a call */
		double first = NAN;
		const int steps = (int)(o.range / fine);
		for (int k0 = 1; k0 <= steps && isnan(first); k0 += B) {
			int n = steps - k0 + 1 < B ? steps - k0 + 1 : B;
			for (int q = 0; q < n; q++) {
				const float sc = (float)((k0 + q) * fine * rays[i].inv);
				for (int j = 0; j < D; j++)
					pts[q * D + j] = rays[i].a[j] +
							 sc * (rays[i].b[j] - rays[i].a[j]);
			}
			CHECK_OK(dbv_model_classify(&m, pts, n, lab));
			for (int q = 0; q < n && isnan(first); q++)
				if (lab[q] != l0[i])
					first = (k0 + q) * fine;
		}
		found += !isnan(first);
		if (isnan(first))
			agree += isnan(dist[i]);
		else
			agree += fabs(dist[i] - first) <= o.tol / 2 + fine + 1e-9;
	}
	CHECK(found > N / 2);
	CHECK_EQ_INT(agree, N);
	dbv_model_release(&m);
}

/* Margins of points: the mean over the rays that hit, NaN under the
 * minimum; the groups. */
static void test_margins(void)
{
	enum { N = 40, D = 10 };
	static float x[N * DIM];
	int64_t pts[N], tgt[N * D], hits[N], np;
	int32_t lab[N], y[N], yt[N];
	double mg[N];
	struct linear l;
	struct dbv_rng r;
	struct dbv_classifier c = {lin_classify, &l, DIM, 50, K, 0, 0};
	const struct dbv_margin_opts o = {.range = 1.5, .step = 0.1, .tol = 1e-5};
	int checked = 0, nans = 0;

	dbv_rng_seed(&r, 9);
	make_linear(&l, &r);
	for (int i = 0; i < N * DIM; i++)
		x[i] = (float)dbv_rng_normal(&r);
	for (int i = 0; i < N; i++)
		y[i] = yt[i] = i % K;
	y[3] = -1;
	CHECK_OK(dbv_margin_targets(x, DIM, y, N, 0, D, 4, pts, &np, tgt));
	CHECK_EQ_INT(np, N - 1);
	CHECK_OK(dbv_margins(&c, x, pts, (size_t)np, tgt, D, 5, &o, lab, mg, hits));
	for (int p = 0; p < np; p++) {
		const float *a = x + pts[p] * DIM;
		double sum = 0;
		int h = 0, near = 0;
		for (int d = 0; d < D; d++) {
			const float *b = x + tgt[p * D + d] * DIM;
			float dir[DIM];
			double s = 0;
			CHECK(tgt[p * D + d] != pts[p] && tgt[p * D + d] != 3);
			for (int j = 0; j < DIM; j++)
				s += ((double)b[j] - a[j]) * ((double)b[j] - a[j]);
			for (int j = 0; j < DIM; j++)
				dir[j] = (float)((b[j] - a[j]) / sqrt(s));
			const double t = lin_first(&l, a, dir, lab[p]);
			near |= fabs(t - o.range) < 1e-3;
			if (t < o.range) {
				sum += t;
				h++;
			}
		}
		if (near)
			continue;
		checked++;
		CHECK_EQ_INT(hits[p], h);
		if (h >= 5) {
			CHECK_NEAR(mg[p], sum / h, 1e-4);
		} else {
			CHECK(isnan(mg[p]));
			nans++;
		}
	}
	CHECK(checked > 30 && nans > 0 && nans < checked);

	/* Groups: mislabeled, correct, all, against plain sums. */
	double v[8] = {1, 2, NAN, 4, 5, 6, 7, NAN};
	int32_t gy[8] = {0, 1, 2, 3, 0, 1, 2, 3}, gt[8] = {0, 0, 2, 3, 1, 1, 0, 3};
	struct dbv_group_fig g[DBV_MARGIN_GROUPS];
	CHECK_OK(dbv_margin_groups(v, gy, gt, 8, 200, 1, g));
	/* mislabeled: items 1, 4, 6 -> 2, 5, 7; correct: 0, 2, 3, 5, 7 ->
	 * 1, 4, 6 (NaNs left out); all: 1, 2, 4, 5, 6, 7 */
	CHECK_EQ_INT(g[DBV_MARGIN_MISLABELED].count, 3);
	CHECK_NEAR(g[DBV_MARGIN_MISLABELED].mean, 14.0 / 3, 1e-12);
	CHECK_EQ_INT(g[DBV_MARGIN_CORRECT].count, 3);
	CHECK_NEAR(g[DBV_MARGIN_CORRECT].mean, 11.0 / 3, 1e-12);
	CHECK_NEAR(g[DBV_MARGIN_CORRECT].std, sqrt(((1 - 11.0 / 3) * (1 - 11.0 / 3) +
						    (4 - 11.0 / 3) * (4 - 11.0 / 3) +
						    (6 - 11.0 / 3) * (6 - 11.0 / 3)) / 2), 1e-12);
	CHECK_EQ_INT(g[DBV_MARGIN_ALL].count, 6);
	CHECK_NEAR(g[DBV_MARGIN_ALL].mean, 25.0 / 6, 1e-12);
	for (int k = 0; k < DBV_MARGIN_GROUPS; k++)
		CHECK(g[k].lo <= g[k].mean && g[k].mean <= g[k].hi);
	double none[2] = {NAN, NAN};
	CHECK_OK(dbv_group_figures1(none, 2, 100, 1, g));
	CHECK(g[0].count == 0 && isnan(g[0].mean) && isnan(g[0].lo));
}

/* The draws of points and targets against the documented procedure. */
static void test_targets(void)
{
	enum { N = 30, D = 3 };
	static float x[N * 2];
	int32_t y[N];
	int64_t pts[N], tgt[N * D], np, e[N], m = 0, wp[N], wt[N * D];
	struct dbv_rng r;

	for (int i = 0; i < N; i++) {
		x[2 * i] = (float)i;
		x[2 * i + 1] = 0;
		y[i] = i % 5 == 0 ? -1 : i % 3;
	}
	x[2 * 7] = 8; /* item 7 is a copy of item 8 */
	CHECK_OK(dbv_margin_targets(x, 2, y, N, 10, D, 77, pts, &np, tgt));
	CHECK_EQ_INT(np, 10);
	for (int i = 0; i < N; i++)
		if (y[i] >= 0)
			e[m++] = i;
	dbv_rng_seed(&r, 77);
	for (int64_t j = 0; j < 10; j++) {
		const int64_t k = j + (int64_t)dbv_rng_below(&r, (uint64_t)(m - j)), t = e[j];
		e[j] = e[k];
		e[k] = t;
		wp[j] = e[j];
	}
	/* targets: eligible[below(m)] (in position order), again while the
	 * point itself or a copy of it */
	m = 0;
	for (int i = 0; i < N; i++)
		if (y[i] >= 0)
			e[m++] = i;
	for (int p = 0; p < 10; p++)
		for (int d = 0; d < D; d++) {
			int64_t j;
			do
				j = e[dbv_rng_below(&r, (uint64_t)m)];
			while (j == wp[p] || (x[2 * j] == x[2 * wp[p]]));
			wt[p * D + d] = j;
		}
	CHECK(memcmp(tgt, wt, 10 * D * sizeof *wt) == 0);
	CHECK(memcmp(pts, wp, 10 * sizeof *pts) == 0);
	for (int p = 0; p < 10; p++)
		for (int d = 0; d < D; d++) {
			const int64_t j = tgt[p * D + d];
			CHECK(j != pts[p] && y[j] >= 0);
			CHECK(!(pts[p] == 7 && j == 8) && !(pts[p] == 8 && j == 7));
		}
	int64_t pts2[N], tgt2[N * D], np2;
	CHECK_OK(dbv_margin_targets(x, 2, y, N, 10, D, 77, pts2, &np2, tgt2));
	CHECK(memcmp(tgt, tgt2, sizeof tgt2[0] * 10 * D) == 0);
	int32_t one[N];
	for (int i = 0; i < N; i++)
		one[i] = i == 4 ? 0 : -1;
	CHECK_RC(dbv_margin_targets(x, 2, one, N, 0, D, 1, pts, &np, tgt), DBV_EINPUT);
}

/* Class skips: counts on hand-made sequences; segments against points
 * classified one at a time; the pairs. */
static void test_skips(void)
{
	static const struct {
		int32_t lab[8];
		size_t n;
		int64_t changes, classes;
	} seq[] = {
		{{0}, 1, 0, 1},
		{{2, 2, 2}, 3, 0, 1},
		{{0, 0, 1, 1, 2, 0}, 6, 3, 3},
		{{0, 1, 0, 1, 0, 1}, 6, 5, 2},
		{{3, 1, 1, 2, 2, 2, 0, 3}, 8, 4, 4},
	};
	unsigned char seen[K];
	int64_t ch, cl;

	for (size_t s = 0; s < sizeof seq / sizeof *seq; s++) {
		dbv_skips_count(seq[s].lab, seq[s].n, K, seen, &ch, &cl);
		CHECK_EQ_INT(ch, seq[s].changes);
		CHECK_EQ_INT(cl, seq[s].classes);
	}

	enum { N = 24, RES = 41 };
	static float x[N * DIM];
	int32_t y[N];
	int64_t pair[3 * N * K], np, changes[N * K], classes[N * K];
	struct linear l;
	struct dbv_rng r;
	struct dbv_classifier c = {lin_classify, &l, DIM, 29, K, 0, 0};
	int any = 0;

	dbv_rng_seed(&r, 2);
	make_linear(&l, &r);
	for (int i = 0; i < N * DIM; i++)
		x[i] = (float)(2 * dbv_rng_normal(&r));
	for (int i = 0; i < N; i++)
		y[i] = i % K;
	y[1] = 3; /* class 1 keeps 5 items, class 3 7 */
	CHECK_OK(dbv_skip_pairs(y, N, K, 5, 8, pair, &np));
	CHECK_EQ_INT(np, 4 * 5);
	for (int64_t p = 0; p < np; p++) {
		CHECK_EQ_INT(pair[3 * p + 2], p / 5);
		CHECK(pair[3 * p] != pair[3 * p + 1]);
		CHECK(y[pair[3 * p]] == pair[3 * p + 2] && y[pair[3 * p + 1]] == pair[3 * p + 2]);
	}
	CHECK_OK(dbv_skips(&c, x, pair, np, RES, changes, classes));
	CHECK_EQ_INT(c.points, np * RES);
	for (int64_t p = 0; p < np; p++) {
		const float *a = x + pair[3 * p] * DIM, *b = x + pair[3 * p + 1] * DIM;
		int32_t prev = -1, lab;
		int64_t n_ch = 0, n_cl = 0;
		int had[K] = {0};
		for (int j = 0; j < RES; j++) {
			float pt[DIM];
			const float t = (float)((double)j / (RES - 1));
			for (int q = 0; q < DIM; q++)
				pt[q] = a[q] + t * (b[q] - a[q]);
			lin_classify(&l, pt, 1, &lab);
			n_ch += j > 0 && lab != prev;
			n_cl += !had[lab]++;
			prev = lab;
		}
		CHECK_EQ_INT(changes[p], n_ch);
		CHECK_EQ_INT(classes[p], n_cl);
		any |= n_ch > 0;
	}
	CHECK(any);
}

int main(void)
{
	test_linear();
	test_fine_scan();
	test_margins();
	test_targets();
	test_skips();
	return check_done();
}
