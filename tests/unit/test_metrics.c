/*
 * test_metrics.c - agreement, IoU and fragmentation against brute-force
 * references and hand-made grids; the bootstrap interval's behaviour.
 */
#include <string.h>

#include "check.h"

/* Reference fragmentation: union-find over 8-neighbour pairs. */
static int find(int *p, int x)
{
	while (p[x] != x)
		x = p[x] = p[p[x]];
	return x;
}

static int64_t ref_fragments(const int32_t *g, int rows, int cols)
{
	int n = rows * cols, *p = malloc((size_t)n * sizeof *p);
	int64_t count = 0;
	for (int i = 0; i < n; i++)
		p[i] = i;
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++)
			for (int dr = 0; dr <= 1; dr++)
				for (int dc = -1; dc <= 1; dc++) {
					if (dr == 0 && dc <= 0)
						continue; /* each pair once */
					int rr = r + dr, cc = c + dc;
					if (rr >= rows || cc < 0 || cc >= cols)
						continue;
					if (g[r * cols + c] == g[rr * cols + cc])
						p[find(p, r * cols + c)] = find(p, rr * cols + cc);
				}
	for (int i = 0; i < n; i++)
		count += find(p, i) == i;
	free(p);
	return count;
}

static int64_t frag(const int32_t *g, int rows, int cols)
{
	int32_t *s = malloc((size_t)rows * cols * sizeof *s);
	int64_t k = dbv_fragments(g, rows, cols, s);
	free(s);
	return k;
}

static void test_hand_made(void)
{
	int32_t g[64];
	/* a single region */
	for (int i = 0; i < 64; i++)
		g[i] = 3;
	CHECK_EQ_INT(frag(g, 8, 8), 1);
	/* checkerboard: diagonal neighbours connect each colour */
	for (int r = 0; r < 8; r++)
		for (int c = 0; c < 8; c++)
			g[r * 8 + c] = (r + c) & 1;
	CHECK_EQ_INT(frag(g, 8, 8), 2);
	/* one-pixel islands two apart in a sea */
	for (int i = 0; i < 64; i++)
		g[i] = 0;
	g[1 * 8 + 1] = 1;
	g[1 * 8 + 4] = 1;
	g[5 * 8 + 2] = 2;
	g[6 * 8 + 6] = 1;
	CHECK_EQ_INT(frag(g, 8, 8), 5);
	/* a diagonal line: itself one region, and the background crosses
	 * it diagonally, so 2 in all */
	for (int i = 0; i < 64; i++)
		g[i] = i / 8 == i % 8;
	CHECK_EQ_INT(frag(g, 8, 8), 2);
	/* a full-width bar splits the background in two */
	for (int i = 0; i < 64; i++)
		g[i] = i / 8 == 3;
	CHECK_EQ_INT(frag(g, 8, 8), 3);
	/* stripes of 4 classes */
	for (int i = 0; i < 64; i++)
		g[i] = (i % 8) / 2;
	CHECK_EQ_INT(frag(g, 8, 8), 4);
	/* 1 x n and n x 1 grids */
	int32_t row[5] = {0, 0, 1, 0, 1};
	CHECK_EQ_INT(frag(row, 1, 5), 4);
	CHECK_EQ_INT(frag(row, 5, 1), 4);
}

static void test_random(void)
{
	struct dbv_rng r;
	dbv_rng_seed(&r, 5);
	for (int t = 0; t < 200; t++) {
		int rows = 1 + (int)dbv_rng_below(&r, 30), cols = 1 + (int)dbv_rng_below(&r, 30);
		int k = 1 + (int)dbv_rng_below(&r, 4);
		int32_t *a = malloc((size_t)rows * cols * sizeof *a);
		int32_t *b = malloc((size_t)rows * cols * sizeof *b);
		size_t n = (size_t)rows * cols, same = 0;
		for (size_t i = 0; i < n; i++) {
			a[i] = (int32_t)dbv_rng_below(&r, (uint64_t)k);
			b[i] = dbv_rng_below(&r, 3) ? a[i] : (int32_t)dbv_rng_below(&r, (uint64_t)k);
			same += a[i] == b[i];
		}
		CHECK_EQ_INT(frag(a, rows, cols), ref_fragments(a, rows, cols));
		CHECK_NEAR(dbv_agreement(a, b, n), (double)same / (double)n, 1e-15);
		/* IoU brute force: per class, count over the grid */
		double sum = 0;
		int present = 0;
		for (int c = 0; c < k; c++) {
			size_t in = 0, un = 0;
			for (size_t i = 0; i < n; i++) {
				in += a[i] == c && b[i] == c;
				un += a[i] == c || b[i] == c;
			}
			if (un) {
				sum += (double)in / (double)un;
				present++;
			}
		}
		CHECK_NEAR(dbv_class_iou(a, b, n, k), sum / present, 1e-12);
		free(a);
		free(b);
	}
	/* identical grids: agreement and IoU 1 */
	int32_t g[4] = {0, 1, 1, 2};
	CHECK_NEAR(dbv_agreement(g, g, 4), 1, 0);
	CHECK_NEAR(dbv_class_iou(g, g, 4, 3), 1, 0);
}

static void test_stats(void)
{
	double v[5] = {1, 2, 3, 4, 5}, m, s, lo, hi;
	dbv_mean_std(v, 5, &m, &s);
	CHECK_NEAR(m, 3, 1e-15);
	CHECK_NEAR(s, sqrt(2.5), 1e-15);
	CHECK_OK(dbv_bootstrap_ci(v, 5, 2000, 1, &lo, &hi));
	CHECK(lo < m && m < hi && lo >= 1 && hi <= 5);
	double lo2, hi2;
	CHECK_OK(dbv_bootstrap_ci(v, 5, 2000, 1, &lo2, &hi2));
	CHECK(lo == lo2 && hi == hi2); /* seeded */
	/* constant data: a zero-width interval */
	double c[4] = {0.7, 0.7, 0.7, 0.7};
	CHECK_OK(dbv_bootstrap_ci(c, 4, 100, 3, &lo, &hi));
	CHECK(lo == 0.7 && hi == 0.7);
	/* more planes, narrower interval (same spread) */
	double big[400];
	for (int i = 0; i < 400; i++)
		big[i] = v[i % 5];
	double bl, bh;
	CHECK_OK(dbv_bootstrap_ci(big, 400, 2000, 1, &bl, &bh));
	CHECK(bh - bl < (hi2 - lo2) / 3);
}

int main(void)
{
	test_hand_made();
	test_random();
	test_stats();
	return check_done();
}
