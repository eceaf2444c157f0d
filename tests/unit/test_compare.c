/*
 * test_compare.c - comparisons of label sets (lib/study/compare.c) on
 * small cases worked out by hand: pairs, per-plane agreement and class
 * IoU, the figures of pairs and of the group matrix, the rows and chart
 * points over planes, fragmentation and churn, and the values of a line
 * chart's points.
 */
#include <string.h>

#include "check.h"

/*
 * Three streams A, B, C of two planes of four points, 3 classes:
 *
 *   plane 0   A 0 0 1 1   B 0 1 1 1   C 2 2 2 2
 *   plane 1   A 1 1 1 1   B 1 1 1 1   C 1 2 1 2
 *
 * A-B: plane 0 agree 3/4; IoU class 0 = |{0}|/|{0,1}| = 1/2, class 1 =
 * |{2,3}|/|{1,2,3}| = 2/3, mean 7/12; plane 1 agree 1, IoU 1.
 * A-C and B-C: plane 0 agree 0, IoU 0 (classes 0, 1, 2 each 0); plane 1
 * agree 1/2, IoU class 1 = 2/4, class 2 = 0/2, mean 1/4.
 */
static const int32_t la[8] = {0, 0, 1, 1, 1, 1, 1, 1};
static const int32_t lb[8] = {0, 1, 1, 1, 1, 1, 1, 1};
static const int32_t lc[8] = {2, 2, 2, 2, 1, 2, 1, 2};
static const int32_t *const labels[3] = {la, lb, lc};

static void test_pairs(void)
{
	int64_t ij[12];
	CHECK_EQ_INT(dbv_pairs(1, NULL), 0);
	CHECK_EQ_INT(dbv_pairs(3, NULL), 3);
	CHECK_EQ_INT(dbv_pairs(4, ij), 6);
	const int64_t want[12] = {0, 1, 0, 2, 0, 3, 1, 2, 1, 3, 2, 3};
	CHECK(!memcmp(ij, want, sizeof want));
}

static void test_pair_planes_and_figures(void)
{
	int64_t ij[6];
	double agree[6], iou[6], mean[3], sd[3], lo[3], hi[3], miou[3];
	const struct dbv_figures f = {mean, sd, lo, hi, miou};

	dbv_pairs(3, ij);
	dbv_pair_planes(labels, ij, 3, 2, 4, 3, agree, iou);
	const double wa[6] = {0.75, 1, 0, 0.5, 0, 0.5};
	const double wi[6] = {7.0 / 12, 1, 0, 0.25, 0, 0.25};
	for (int k = 0; k < 6; k++) {
		CHECK_NEAR(agree[k], wa[k], 1e-15);
		CHECK_NEAR(iou[k], wi[k], 1e-15);
	}
	/* Over the two planes: A-B mean 7/8, std sqrt(2 (1/8)^2 / 1). */
	CHECK_OK(dbv_pair_figures(agree, iou, 3, 2, 0, 0, &f));
	CHECK_NEAR(mean[0], 0.875, 1e-15);
	CHECK_NEAR(sd[0], sqrt(2) / 8, 1e-15);
	CHECK_NEAR(miou[0], 19.0 / 24, 1e-15);
	CHECK_NEAR(mean[1], 0.25, 1e-15);
	CHECK_NEAR(sd[2], sqrt(2) / 4, 1e-15);
	CHECK_NEAR(miou[2], 0.125, 1e-15);
	CHECK(isnan(lo[0]) && isnan(hi[2])); /* no resamples: no interval */
	/* With resamples: each row's interval is that of its own generator
	 * from the seed, and holds means of the values drawn. */
	CHECK_OK(dbv_pair_figures(agree, iou, 3, 2, 200, 9, &f));
	for (int k = 0; k < 3; k++) {
		double l, h;
		CHECK_OK(dbv_bootstrap_ci(agree + 2 * k, 2, 200, 9, &l, &h));
		CHECK(l == lo[k] && h == hi[k]);
		CHECK(lo[k] <= mean[k] && mean[k] <= hi[k]);
	}
	CHECK(lo[0] == 0.75 && hi[0] == 1); /* 200 draws of two: both ends */
}

/*
 * Groups: A and B in group 0, C in group 1.  (0,0) is the pair A-B alone;
 * (0,1) and (1,0) the pairs A-C and B-C: per plane (0+0)/2 and
 * (1/2+1/2)/2, so mean 1/4, std sqrt(2) / 4, IoU per plane 0 and 1/4,
 * mean 1/8; (1,1) has no pair (C alone): NaN, 0 pairs.
 */
static void test_groups(void)
{
	int64_t ij[6], np[4];
	double agree[6], iou[6], m[4], s[4], lo[4], hi[4], gi[4];
	const struct dbv_figures f = {m, s, lo, hi, gi};
	const int group[3] = {0, 0, 1};

	dbv_pairs(3, ij);
	dbv_pair_planes(labels, ij, 3, 2, 4, 3, agree, iou);
	CHECK_OK(dbv_group_figures(agree, iou, ij, 3, 2, group, 2, 50, 3, &f, np));
	CHECK(np[0] == 1 && np[1] == 2 && np[2] == 2 && np[3] == 0);
	CHECK_NEAR(m[0], 0.875, 1e-15);
	CHECK_NEAR(s[0], sqrt(2) / 8, 1e-15);
	CHECK_NEAR(gi[0], 19.0 / 24, 1e-15);
	for (int e = 1; e <= 2; e++) {
		CHECK_NEAR(m[e], 0.25, 1e-15);
		CHECK_NEAR(s[e], sqrt(2) / 4, 1e-15);
		CHECK_NEAR(gi[e], 0.125, 1e-15);
		CHECK(lo[e] >= 0 && hi[e] <= 0.5 && lo[e] <= hi[e]);
	}
	CHECK(isnan(m[3]) && isnan(s[3]) && isnan(lo[3]) && isnan(hi[3]) && isnan(gi[3]));
	/* A group's pair within itself: the same figures as that pair's. */
	double pm[3], ps[3], pl[3], ph[3], pi[3];
	const struct dbv_figures pf = {pm, ps, pl, ph, pi};
	CHECK_OK(dbv_pair_figures(agree, iou, 3, 2, 50, 3, &pf));
	CHECK(pm[0] == m[0] && ps[0] == s[0] && pl[0] == lo[0] && ph[0] == hi[0] &&
	      pi[0] == gi[0]);
}

/* Selections and chart points, on the per-plane rows above. */
static void test_rows_and_points(void)
{
	int64_t ij[6];
	double agree[6], iou[6], per[2], mean, sd;
	unsigned char sel[3];
	const int group[3] = {0, 0, 1};

	dbv_pairs(3, ij);
	dbv_pair_planes(labels, ij, 3, 2, 4, 3, agree, iou);
	dbv_pairs_between(ij, 3, group, 1, 0, sel);
	CHECK(!sel[0] && sel[1] && sel[2]);
	dbv_pairs_between(ij, 3, group, 0, 0, sel);
	CHECK(sel[0] && !sel[1] && !sel[2]);
	/* A point of streams {A, C}: the pair A-C. */
	const unsigned char in_ac[3] = {1, 0, 1}, in_c[3] = {0, 0, 1}, all[3] = {1, 1, 1};
	dbv_pairs_within(ij, 3, in_ac, sel);
	CHECK(!sel[0] && sel[1] && !sel[2]);
	CHECK_EQ_INT(dbv_point_over_planes(agree, 3, 2, sel, per, &mean, &sd), 1);
	CHECK(per[0] == 0 && per[1] == 0.5);
	CHECK_NEAR(mean, 0.25, 1e-15);
	CHECK_NEAR(sd, sqrt(2) / 4, 1e-15);
	/* All three: per plane (3/4 + 0 + 0)/3 and (1 + 1/2 + 1/2)/3. */
	dbv_pairs_within(ij, 3, all, sel);
	CHECK_EQ_INT(dbv_rows_mean(agree, 3, 2, sel, per), 3);
	CHECK_NEAR(per[0], 0.25, 1e-15);
	CHECK_NEAR(per[1], 2.0 / 3, 1e-15);
	/* One stream has no pair: no point. */
	dbv_pairs_within(ij, 3, in_c, sel);
	CHECK_EQ_INT(dbv_point_over_planes(agree, 3, 2, sel, per, &mean, &sd), 0);
	CHECK(isnan(mean) && isnan(sd) && per[0] == 0 && per[1] == 0);
	/* Rows of streams (fragmentation [S, P]): the mean of streams 0, 2. */
	const double frag[6] = {4, 6, 100, 100, 6, 10};
	CHECK_EQ_INT(dbv_point_over_planes(frag, 3, 2, in_ac, per, &mean, &sd), 2);
	CHECK(per[0] == 5 && per[1] == 8);
	CHECK_NEAR(mean, 6.5, 1e-15);
	CHECK_NEAR(sd, sqrt(4.5), 1e-15);
}

/*
 * Three planes of 3 x 3:
 *   0 0 1      0 1 0      5 5 5
 *   1 0 1      1 0 1      5 5 5
 *   1 1 2      0 1 0      5 5 5
 * Plane 0: the 0s are one region, the 1s one (the right column touches
 * the bottom row at a corner), the 2 one: 3.  Plane 1: a checkerboard,
 * every colour one region through the corners: 2.  Plane 2: 1.
 */
static void test_fragmentation(void)
{
	const int32_t l[27] = {0, 0, 1, 1, 0, 1, 1, 1, 2, 0, 1, 0, 1, 0, 1, 0, 1, 0,
			       5, 5, 5, 5, 5, 5, 5, 5, 5};
	double per[3];
	CHECK_OK(dbv_fragmentation(l, 3, 3, per));
	CHECK(per[0] == 3 && per[1] == 2 && per[2] == 1);
}

/* Four items: 0 1 2 0 / 0 1 1 0 / 1 1 1 1 differ in 1, 3 and 2 places. */
static void test_churn(void)
{
	const int32_t a[4] = {0, 1, 2, 0}, b[4] = {0, 1, 1, 0}, c[4] = {1, 1, 1, 1};
	const int32_t *const l[3] = {a, b, c};
	const double want[9] = {0, 0.25, 0.75, 0.25, 0, 0.5, 0.75, 0.5, 0};
	double churn[9];
	dbv_churn(l, 3, 4, churn);
	for (int k = 0; k < 9; k++)
		CHECK(churn[k] == want[k]);
}

/*
 * A line chart's points: three streams over two planes (regions 1 3,
 * 2 2, 5 9; pairs (0,1) .5 .7, (0,2) .2 .2, (1,2) .9 .1), and over a data
 * set (acc .9 .5 .7, acc_true .8 .4 .6; churn .1, .4, .3).  Points {0,1},
 * {0,2}, {2}.
 */
static void test_curve_points(void)
{
	const double frag[6] = {1, 3, 2, 2, 5, 9}, agree[6] = {.5, .7, .2, .2, .9, .1};
	const double acc[3] = {.9, .5, .7}, acc_true[3] = {.8, .4, .6};
	const double churn[9] = {0, .1, .4, .1, 0, .3, .4, .3, 0};
	const int start[4] = {0, 2, 4, 5}, items[5] = {0, 1, 0, 2, 2}, all[3] = {0, 1, 2};
	int64_t ij[6];
	struct dbv_curve_data d = {.S = 3, .planes = 1, .P = 2, .frag = frag,
				   .pair = ij, .npairs = 3, .agree = agree};
	struct dbv_curve_stats st;
	double y[3], err[3], v, e;
	int nv;

	dbv_pairs(3, ij);
	/* Fragmentation: per plane the mean over the streams, then over
	 * planes; every point a bar (two planes). */
	CHECK_OK(dbv_curve_values(&d, DBV_CURVE_FRAG, 3, start, items, y, err, &st));
	CHECK_NEAR(y[0], 2, 1e-15);
	CHECK_NEAR(err[0], sqrt(0.5), 1e-15);
	CHECK_NEAR(y[1], 4.5, 1e-15);
	CHECK_NEAR(err[1], sqrt(4.5), 1e-15);
	CHECK_NEAR(y[2], 7, 1e-15);
	CHECK_NEAR(err[2], sqrt(8), 1e-15);
	CHECK(st.valued == 3 && st.minns == 1 && st.maxns == 2 && st.bars);
	/* Agreement: over the pairs within; one stream has none. */
	CHECK_OK(dbv_curve_values(&d, DBV_CURVE_AGREEMENT, 3, start, items, y, err, &st));
	CHECK_NEAR(y[0], 0.6, 1e-15);
	CHECK_NEAR(err[0], sqrt(0.02), 1e-15);
	CHECK_NEAR(y[1], 0.2, 1e-15);
	CHECK(err[1] == 0 && isnan(y[2]) && err[2] == 0);
	CHECK(st.valued == 2 && st.minns == 2 && st.maxns == 2 && st.bars);
	CHECK_OK(dbv_curve_point(&d, DBV_CURVE_AGREEMENT, items + 4, 1, &v, &e, &nv));
	CHECK(isnan(v) && isnan(e) && nv == 0);
	/* One plane: no bars. */
	d.P = 1;
	const double frag1[3] = {1, 2, 5};
	d.frag = frag1;
	CHECK_OK(dbv_curve_point(&d, DBV_CURVE_FRAG, all, 3, &v, &e, &nv));
	CHECK_NEAR(v, 8.0 / 3, 1e-15);
	CHECK_EQ_INT(nv, 0);
	/* Over a data set: each stream's figure, or each pair's 1 - churn. */
	d = (struct dbv_curve_data){.S = 3, .acc = acc, .acc_true = acc_true,
				    .churn = churn};
	CHECK_OK(dbv_curve_point(&d, DBV_CURVE_ACC, all, 3, &v, &e, &nv));
	CHECK_NEAR(v, 0.7, 1e-15);
	CHECK_NEAR(e, 0.2, 1e-15);
	CHECK_EQ_INT(nv, 3);
	CHECK_OK(dbv_curve_point(&d, DBV_CURVE_ACC_TRUE, all, 3, &v, &e, &nv));
	CHECK_NEAR(v, 0.6, 1e-15);
	CHECK_OK(dbv_curve_point(&d, DBV_CURVE_ERROR, all, 3, &v, &e, &nv));
	CHECK_NEAR(v, 0.4, 1e-15);
	CHECK_NEAR(e, 0.2, 1e-15);
	CHECK_OK(dbv_curve_point(&d, DBV_CURVE_AGREEMENT, all, 3, &v, &e, &nv));
	CHECK_NEAR(v, 2.2 / 3, 1e-15);
	CHECK_NEAR(e, sqrt(0.07 / 3), 1e-12); /* .9, .6, .7: squares 0.14/3 */
	CHECK_EQ_INT(nv, 3);
	CHECK_OK(dbv_curve_point(&d, DBV_CURVE_AGREEMENT, all + 1, 1, &v, &e, &nv));
	CHECK(isnan(v) && nv == 0);
	CHECK_OK(dbv_curve_values(&d, DBV_CURVE_ACC, 3, start, items, y, err, &st));
	CHECK_NEAR(y[2], 0.7, 1e-15);
	CHECK(err[2] == 0 && st.valued == 3 && st.minns == 1 && st.bars);
	/* Margins (groups mislabeled, correct, all) and skips of each
	 * stream: the mean over the streams that have a value. */
	const double mg[9] = {NAN, 2, 3, 4, 5, 6, 8, 7, 9}, sk[3] = {1, 2, 6};
	d = (struct dbv_curve_data){.S = 3, .margin = mg, .skips = sk};
	CHECK_OK(dbv_curve_point(&d, DBV_CURVE_MARGIN, all, 3, &v, &e, &nv));
	CHECK_NEAR(v, 6, 1e-15);
	CHECK_NEAR(e, 3, 1e-15);
	CHECK_EQ_INT(nv, 3);
	CHECK_OK(dbv_curve_point(&d, DBV_CURVE_MARGIN_CORRECT, all, 3, &v, &e, &nv));
	CHECK_NEAR(v, 14.0 / 3, 1e-15);
	CHECK_OK(dbv_curve_point(&d, DBV_CURVE_MARGIN_MISLABELED, all, 3, &v, &e, &nv));
	CHECK_NEAR(v, 6, 1e-15);
	CHECK_NEAR(e, sqrt(8), 1e-12);
	CHECK_EQ_INT(nv, 2);
	CHECK_OK(dbv_curve_point(&d, DBV_CURVE_MARGIN_MISLABELED, all, 1, &v, &e, &nv));
	CHECK(isnan(v) && nv == 0);
	CHECK_OK(dbv_curve_point(&d, DBV_CURVE_SKIPS, all, 3, &v, &e, &nv));
	CHECK_NEAR(v, 3, 1e-15);
}

int main(void)
{
	test_pairs();
	test_pair_planes_and_figures();
	test_groups();
	test_rows_and_points();
	test_fragmentation();
	test_churn();
	test_curve_points();
	return check_done();
}
