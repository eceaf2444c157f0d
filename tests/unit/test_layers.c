/*
 * test_layers.c - the layers of lib/nn/layers.c:
 *   - the im2col convolution against the direct reference on awkward
 *     shapes (forward, dx, dwt, db; gradients that add into what is
 *     there; a batch large enough to be split into chunks; bit-identical
 *     reruns);
 *   - central finite differences of every backward, with the loss
 *     L = sum(y * r) for a fixed random r (so dL/dy = r), accumulated in
 *     double; the softmax cross-entropy is its own loss;
 *   - batch norm's running statistics against values computed here, and
 *     its eval mode;
 *   - the loss against a direct computation, with large logits;
 *   - pools, ReLU and layout changes on hand-made cases;
 *   - the token layers of lib/nn/tokens.c and attn.c: finite differences
 *     of each, LayerNorm and attention against double references,
 *     dropout's mask and scale, GELU at known points.
 */
#include <float.h>
#include <sys/mman.h>
#include <unistd.h>
#include <string.h>

#include "check.h"
#include "nn/nn_internal.h"

static float *alloc_f(size_t n)
{
	float *p = dbv_malloc((n ? n : 1) * sizeof *p);

	if (!p)
		abort();
	return p;
}

/* n floats uniform in [lo, hi). */
static float *rand_f(struct dbv_rng *r, size_t n, float lo, float hi)
{
	float *p = alloc_f(n);

	for (size_t i = 0; i < n; i++)
		p[i] = lo + (hi - lo) * dbv_rng_float(r);
	return p;
}

static float *copy_f(const float *a, size_t n)
{
	float *p = alloc_f(n);

	memcpy(p, a, n * sizeof *p);
	return p;
}

static float *abs_f(const float *a, size_t n)
{
	float *p = alloc_f(n);

	for (size_t i = 0; i < n; i++)
		p[i] = fabsf(a[i]);
	return p;
}

static double dot_fd(const float *a, const float *b, size_t n)
{
	double s = 0.0;

	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

/*
 * Elements of got that differ from want by more than
 * tol = ulps * FLT_EPSILON * scale[i] (scale: the sum of the absolute
 * values of the terms).  Prints the first few.
 */
static int compare(const char *what, const float *got, const float *want,
		   const float *scale, size_t n, double ulps)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		double tol = ulps * FLT_EPSILON * scale[i] + 1e-30;

		if (fabs((double)got[i] - want[i]) <= tol)
			continue;
		if (bad++ < 3)
			fprintf(stderr, "%s[%zu] = %.9g, want %.9g (tol %.3g)\n",
				what, i, got[i], want[i], tol);
	}
	return bad;
}

/* ---- convolution: fast against direct -------------------------------- */

/*
 * One shape.  Gradients start from random values (backward adds); y and
 * the scratch start as NaN (neither may be read before it is written).
 * Returns the number of bad elements.
 */
static int conv_case(struct dbv_rng *r, int cin, int cout, int h, int w,
		     int k, int s, int p, int n, int bias)
{
	struct dbv_conv c;
	size_t xs, ws, ys, ss;
	float *x, *wt, *b, *dy, *y, *yref, *ax, *aw, *ab, *ady, *scale;
	float *dx0, *dw0, *db0, *dx, *dw, *db, *dxr, *dwr, *dbr;
	float *sdx, *sdw, *sdb, *scratch;
	int bad = 0, rc;
	double ulps;
	char what[160];

	rc = dbv_conv_init(&c, cin, cout, k, s, p, h, w);
	if (h + 2 * p < k || w + 2 * p < k) {
		CHECK_RC(rc, DBV_EUSAGE);
		return 0;
	}
	CHECK_OK(rc);
	CHECK_EQ_INT(c.oh, (h + 2 * p - k) / s + 1);
	CHECK_EQ_INT(c.ow, (w + 2 * p - k) / s + 1);
	xs = (size_t)cin * n * h * w;
	ws = (size_t)cout * cin * k * k;
	ys = (size_t)cout * n * c.oh * c.ow;
	ss = dbv_conv_scratch(&c, n);
	x = rand_f(r, xs, -1, 1);
	wt = rand_f(r, ws, -1, 1);
	b = bias ? rand_f(r, cout, -1, 1) : NULL;
	dy = rand_f(r, ys, -1, 1);
	dx0 = rand_f(r, xs, -1, 1);
	dw0 = rand_f(r, ws, -1, 1);
	db0 = rand_f(r, cout, -1, 1);
	y = alloc_f(ys);
	yref = alloc_f(ys);
	/* No scratch needed: pass none. */
	scratch = ss ? alloc_f(ss) : NULL;
	for (size_t i = 0; i < ys; i++)
		y[i] = NAN;
	for (size_t i = 0; i < ss; i++)
		scratch[i] = NAN;
	snprintf(what, sizeof what,
		 "conv cin=%d cout=%d %dx%d k=%d s=%d p=%d n=%d bias=%d", cin,
		 cout, h, w, k, s, p, n, bias);

	/* Forward; the scale of each output is the same conv of |.|. */
	dbv_conv_forward(&c, n, x, wt, b, y, scratch);
	dbv_conv_forward_ref(&c, n, x, wt, b, yref);
	ax = abs_f(x, xs);
	aw = abs_f(wt, ws);
	ab = b ? abs_f(b, cout) : NULL;
	ady = abs_f(dy, ys);
	scale = alloc_f(ys);
	dbv_conv_forward_ref(&c, n, ax, aw, ab, scale);
	/* A float sum of K terms is within K eps of the exact one. */
	ulps = 4.0 + cin * k * k;
	bad += compare(what, y, yref, scale, ys, ulps);

	/* Backward, into gradients that already hold something. */
	dx = copy_f(dx0, xs);
	dw = copy_f(dw0, ws);
	db = copy_f(db0, cout);
	dxr = copy_f(dx0, xs);
	dwr = copy_f(dw0, ws);
	dbr = copy_f(db0, cout);
	dbv_conv_backward(&c, n, x, wt, dy, dx, dw, db, scratch);
	dbv_conv_backward_ref(&c, n, x, wt, dy, dxr, dwr, dbr);
	sdx = abs_f(dx0, xs);
	sdw = abs_f(dw0, ws);
	sdb = abs_f(db0, cout);
	dbv_conv_backward_ref(&c, n, ax, aw, ady, sdx, sdw, sdb);
	ulps = 4.0 + cout * k * k + (double)n * c.oh * c.ow;
	bad += compare("dx", dx, dxr, sdx, xs, ulps);
	bad += compare("dwt", dw, dwr, sdw, ws, ulps);
	bad += compare("db", db, dbr, sdb, cout, ulps);

	/* NULL gradients are skipped, the others still computed. */
	memcpy(dx, dx0, xs * sizeof *dx);
	dbv_conv_backward(&c, n, x, wt, dy, dx, NULL, NULL, scratch);
	bad += compare("dx alone", dx, dxr, sdx, xs, ulps);
	memcpy(dw, dw0, ws * sizeof *dw);
	dbv_conv_backward(&c, n, x, wt, dy, NULL, dw, NULL, scratch);
	bad += compare("dwt alone", dw, dwr, sdw, ws, ulps);

	if (bad)
		fprintf(stderr, "  in %s\n", what);
	free(x), free(wt), free(b), free(dy), free(y), free(yref);
	free(ax), free(aw), free(ab), free(ady), free(scale);
	free(dx0), free(dw0), free(db0), free(dx), free(dw), free(db);
	free(dxr), free(dwr), free(dbr), free(sdx), free(sdw), free(sdb);
	free(scratch);
	return bad;
}

static void test_conv_shapes(void)
{
	static const int chans[][2] = {
		{ 1, 1 }, { 1, 5 }, { 3, 3 }, { 5, 1 }, { 5, 3 }, { 3, 5 },
	};
	static const int sizes[][2] = {
		{ 1, 1 }, { 5, 7 }, { 7, 8 }, { 8, 5 }, { 1, 7 }, { 8, 1 },
		{ 8, 8 },
	};
	struct dbv_rng r;
	int ncase = 0, nbad = 0;

	/* The im2col forward here (the 3x3 direct kernel has its own test,
	 * test_conv_direct); the backward is the same either way. */
	dbv_conv_direct_force(0);
	dbv_rng_seed(&r, 1);
	for (int ci = 0; ci < 6; ci++)
		for (int si = 0; si < 7; si++)
			for (int k = 1; k <= 3; k += 2)
				for (int s = 1; s <= 2; s++)
					for (int p = 0; p <= 1; p++)
						for (int v = 0; v < 2; v++) {
							/* Batch and bias vary
							 * together with the
							 * shape. */
							int n = (ci + si + v) % 2 ? 3 : 1;
							int bias = (k + s + p + v) % 2;

							nbad += conv_case(&r, chans[ci][0], chans[ci][1],
									  sizes[si][0], sizes[si][1],
									  k, s, p, n, bias) != 0;
							ncase++;
						}
	/* Larger kernels, odd and even, and padding wider than half. */
	nbad += conv_case(&r, 2, 3, 9, 8, 5, 1, 2, 2, 1) != 0;
	nbad += conv_case(&r, 2, 3, 9, 8, 5, 2, 1, 2, 0) != 0;
	nbad += conv_case(&r, 3, 2, 6, 7, 2, 1, 0, 2, 1) != 0;
	nbad += conv_case(&r, 3, 2, 4, 4, 3, 1, 2, 1, 1) != 0;
	nbad += conv_case(&r, 2, 2, 5, 5, 1, 3, 0, 3, 1) != 0;
	ncase += 5;
	CHECK_EQ_INT(nbad, 0);
	fprintf(stderr, "conv against direct: %d cases, %d bad\n", ncase,
		nbad);
	dbv_conv_direct_force(-1);
}

/*
 * x of xs floats placed flush against an inaccessible page, before it
 * (end = 0) or after it (end = 1): a load of any float outside x faults.
 */
static float *guarded(size_t xs, int end, void **map, size_t *len)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (xs * sizeof(float) + pg - 1) / pg * pg;
	char *p;

	*len = body + 2 * pg;
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	mprotect(p, pg, PROT_NONE);
	mprotect(p + pg + body, pg, PROT_NONE);
	*map = p;
	if (end)
		return (float *)(p + pg + body) - xs;
	return (float *)(p + pg);
}

/*
 * The backward pass of a direct 3x3 convolution (dx and dwt by
 * lib/nn/conv3.c): added into gradients that hold something, against the
 * naive reference; dx alone and dwt alone; the _set form over NaN bit for
 * bit as the adding form over zeros; 2 threads as 1.  Bad elements.
 */
static int direct_backward(struct dbv_rng *r, const struct dbv_conv *c,
			   int n, const float *x, const float *wt,
			   float *scratch, int end)
{
	size_t xs = (size_t)c->cin * n * c->h * c->w;
	size_t ws = (size_t)c->cout * c->cin * 9;
	size_t ys = (size_t)c->cout * n * c->h * c->w;
	void *map;
	size_t len;
	/* dy, read by masked loads, against a guard page too. */
	float *dy = guarded(ys, !end, &map, &len), *dx0 = rand_f(r, xs, -1, 1);
	float *dw0 = rand_f(r, ws, -1, 1), *db0 = rand_f(r, c->cout, -1, 1);
	float *dx = copy_f(dx0, xs), *dw = copy_f(dw0, ws);
	float *db = copy_f(db0, c->cout), *dxr = copy_f(dx0, xs);
	float *dwr = copy_f(dw0, ws), *dbr = copy_f(db0, c->cout);
	float *sdx = abs_f(dx0, xs), *sdw = abs_f(dw0, ws);
	float *sdb = abs_f(db0, c->cout), *ax = abs_f(x, xs);
	float *aw = abs_f(wt, ws), *ady;
	float *z = alloc_f(xs), *s1 = alloc_f(xs), *s2 = alloc_f(xs);
	double ulps = 4.0 + c->cout * 9 + (double)n * c->h * c->w;
	int bad = 0;

	CHECK(dy != NULL);
	if (!dy)
		return 1;
	for (size_t i = 0; i < ys; i++)
		dy[i] = (float)dbv_rng_double(r) * 2 - 1;
	ady = abs_f(dy, ys);
	dbv_threads_set(1);
	dbv_conv_backward(c, n, x, wt, dy, dx, dw, db, scratch);
	dbv_conv_backward_ref(c, n, x, wt, dy, dxr, dwr, dbr);
	dbv_conv_backward_ref(c, n, ax, aw, ady, sdx, sdw, sdb);
	bad += compare("direct dx", dx, dxr, sdx, xs, ulps);
	bad += compare("direct dwt", dw, dwr, sdw, ws, ulps);
	bad += compare("direct db", db, dbr, sdb, c->cout, ulps);
	/* dx alone, over zeros; then set over NaN; then 2 threads. */
	memset(z, 0, xs * sizeof *z);
	dbv_conv_backward(c, n, x, wt, dy, z, NULL, NULL, scratch);
	for (size_t i = 0; i < xs; i++)
		s1[i] = s2[i] = NAN;
	dbv_conv_backward_set(c, n, x, wt, dy, s1, NULL, NULL, scratch);
	dbv_threads_set(2);
	dbv_conv_backward_set(c, n, x, wt, dy, s2, NULL, NULL, scratch);
	if (memcmp(z, s1, xs * sizeof *z) || memcmp(s1, s2, xs * sizeof *z))
		bad++;
	memcpy(dx, dx0, xs * sizeof *dx);
	dbv_conv_backward(c, n, x, wt, dy, dx, NULL, NULL, scratch);
	bad += compare("direct dx alone", dx, dxr, sdx, xs, ulps);
	/* dwt alone with 2 threads: the same bits as with 1. */
	float *dw2 = copy_f(dw0, ws);
	dbv_conv_backward(c, n, x, wt, dy, NULL, dw2, NULL, scratch);
	if (memcmp(dw2, dw, ws * sizeof *dw))
		bad++;
	free(dw2);
	munmap(map, len);
	free(dx0), free(dw0), free(db0), free(dx), free(dw);
	free(db), free(dxr), free(dwr), free(dbr), free(sdx), free(sdw);
	free(sdb), free(ax), free(aw), free(ady), free(z), free(s1), free(s2);
	return bad;
}

/*
 * The direct 3x3 kernel (lib/nn/conv3.c) against the naive reference, over
 * channel counts around its block of 8 output channels, maps from 1x1 to
 * 28x28 and batches whose runs of positions end inside a block of 48; with
 * 1 and 2 threads.  Also: its input is read only inside x (x sits against
 * inaccessible pages, so a stray read of a masked lane would fault),
 * nothing is written outside y, the result is the same bits whatever the
 * thread count, and each image's outputs are the same bits whether it is
 * computed alone or inside the batch.  Then the backward pass
 * (direct_backward).
 */
/* One case of test_conv_direct; 1 when anything is off. */
static int direct_case(struct dbv_rng *r, int cin, int cout, int h, int w,
		       int n, int bias, int end)
{
	size_t xs = (size_t)cin * n * h * w, ws = (size_t)cout * cin * 9;
	size_t ys = (size_t)cout * n * h * w, hw = (size_t)h * w;
	struct dbv_conv c;
	void *map, *smap[2];
	size_t len, slen[2];
	float *x, *wt, *b, *y, *y2, *y1, *yref, *ax, *aw, *ab, *scale;
	float *x1, *sc[2];
	char what[128];
	int bad = 0;

	CHECK_OK(dbv_conv_init(&c, cin, cout, 3, 1, 1, h, w));
	CHECK(dbv_conv_is_direct3(&c));
	CHECK(dbv_conv3_scratch(&c, 0) == (size_t)(cout + 7) / 8 * 8 * cin * 9);
	CHECK(dbv_conv3_scratch(&c, 1) == (size_t)(cin + 7) / 8 * 8 * cout * 9);
	CHECK(dbv_conv_scratch_fwd(&c, n) >= dbv_conv3_scratch(&c, 0));
	CHECK(dbv_conv_scratch(&c, n) >= dbv_conv_scratch_fwd(&c, n));
	CHECK(dbv_conv_scratch(&c, n) >= dbv_conv3_scratch(&c, 1));
	x = guarded(xs, end, &map, &len);
	/* Each kernel's scratch at its exact size, against a guard page. */
	for (int k = 0; k < 2; k++)
		sc[k] = guarded(dbv_conv3_scratch(&c, k), 1, &smap[k], &slen[k]);
	CHECK(x && sc[0] && sc[1]);
	if (!x || !sc[0] || !sc[1])
		return 1;
	for (size_t i = 0; i < xs; i++)
		x[i] = (float)dbv_rng_double(r) * 2 - 1;
	wt = rand_f(r, ws, -1, 1);
	b = bias ? rand_f(r, cout, -1, 1) : NULL;
	/* y with a guard of NaN-free sentinels on both sides. */
	y = alloc_f(ys + 64);
	for (size_t i = 0; i < ys + 64; i++)
		y[i] = NAN;
	for (size_t i = 0; i < 32; i++)
		y[i] = y[ys + 32 + i] = 12345.0f;
	yref = alloc_f(ys);
	y2 = alloc_f(ys);
	snprintf(what, sizeof what,
		 "direct conv cin=%d cout=%d %dx%d n=%d bias=%d", cin, cout,
		 h, w, n, bias);
	dbv_threads_set(1);
	dbv_conv3_forward(&c, n, x, wt, b, y + 32, sc[0]);
	dbv_conv_forward_ref(&c, n, x, wt, b, yref);
	ax = abs_f(x, xs);
	aw = abs_f(wt, ws);
	ab = b ? abs_f(b, cout) : NULL;
	scale = alloc_f(ys);
	dbv_conv_forward_ref(&c, n, ax, aw, ab, scale);
	bad += compare(what, y + 32, yref, scale, ys, 4.0 + cin * 9);
	for (size_t i = 0; i < 32; i++)
		if (y[i] != 12345.0f || y[ys + 32 + i] != 12345.0f)
			bad++;
	/* Two threads, through dbv_conv_forward: the same bits. */
	dbv_threads_set(2);
	dbv_conv_forward(&c, n, x, wt, b, y2, sc[0]);
	if (memcmp(y2, y + 32, ys * sizeof *y2))
		bad++;
	/* The last image alone: the same bits as in the batch. */
	x1 = alloc_f((size_t)cin * hw);
	y1 = alloc_f((size_t)cout * hw);
	for (int k = 0; k < cin; k++)
		memcpy(x1 + k * hw, x + ((size_t)k * n + n - 1) * hw,
		       hw * sizeof *x1);
	dbv_conv_forward(&c, 1, x1, wt, b, y1, sc[0]);
	for (int k = 0; k < cout; k++)
		if (memcmp(y1 + k * hw, y + 32 + ((size_t)k * n + n - 1) * hw,
			   hw * sizeof *y1))
			bad++;
	bad += direct_backward(r, &c, n, x, wt, sc[1], end);
	if (bad)
		fprintf(stderr, "  in %s\n", what);
	munmap(map, len);
	munmap(smap[0], slen[0]);
	munmap(smap[1], slen[1]);
	free(wt), free(b), free(y), free(y2), free(yref);
	free(ax), free(aw), free(ab), free(scale);
	free(x1), free(y1);
	return bad != 0;
}

static void test_conv_direct(void)
{
	static const int chans[][2] = {
		{ 1, 16 }, { 3, 5 }, { 16, 8 }, { 5, 9 }, { 17, 24 }, { 8, 1 },
	};
	static const int sizes[][2] = {
		{ 1, 1 }, { 1, 7 }, { 8, 1 }, { 2, 3 }, { 7, 7 }, { 5, 17 },
		{ 14, 14 }, { 28, 28 },
	};
	static const int batch[] = { 1, 2, 3, 7 };
	/* Large enough for two threads (cin*cout*n*h*w >= 2^17), rows wider
	 * than a block of 48, long thin maps, runs of several dwt chunks. */
	static const int extra[][5] = {
		/* cin, cout, h, w, n */
		{ 64, 64, 8, 8, 5 }, { 32, 16, 3, 61, 7 }, { 3, 8, 1, 100, 3 },
		{ 16, 16, 100, 1, 11 }, { 24, 40, 14, 14, 9 },
	};
	struct dbv_rng r;
	int ncase = 0, nbad = 0;

	dbv_conv_direct_force(1);
	if (!dbv_conv_direct_cpu()) {
		fprintf(stderr, "conv direct 3x3: skipped, no AVX-512 here\n");
		dbv_conv_direct_force(-1);
		return;
	}
	dbv_rng_seed(&r, 5);
	for (int ci = 0; ci < 6; ci++)
		for (int si = 0; si < 8; si++, ncase++)
			nbad += direct_case(&r, chans[ci][0], chans[ci][1],
					    sizes[si][0], sizes[si][1],
					    batch[(ci + si) % 4], (ci + si) % 2,
					    (ci + si) % 2);
	for (int e = 0; e < 5; e++, ncase++)
		nbad += direct_case(&r, extra[e][0], extra[e][1], extra[e][2],
				    extra[e][3], extra[e][4], e % 2, e % 2);
	dbv_threads_set(2);
	dbv_conv_direct_force(-1);
	CHECK_EQ_INT(nbad, 0);
	fprintf(stderr, "conv direct 3x3 against naive: %d cases, %d bad\n",
		ncase, nbad);
}

/*
 * The 3x3 stride-2 kernel of lib/nn/conv3.c (on the phases of x), one
 * shape: conv_case's checks against the
 * naive reference (forward, dx, dwt, db adding into what is there, each
 * gradient alone); then with x, dy and the scratch (at its exact size)
 * against inaccessible pages: the forward and both gradients against the
 * im2col + sgemm path (DBV_CONV=gemm), the _set form over NaN bit for bit
 * as the adding form over zeros, and 2 threads bit for bit as 1.
 * 1 when anything is off.
 */
static int s2_case(struct dbv_rng *r, int cin, int cout, int h, int w, int n,
		   int end)
{
	const int k = 3;
	struct dbv_conv c;
	size_t xs, ws, ys, ss, len[3];
	void *map[3];
	float *x, *dy, *sc, *wt, *b, *y1, *y2, *yg, *scale, *ax, *aw, *ab;
	float *dx1, *dx2, *dxg, *dxs, *dw1, *dw2, *dwg, *sdx, *sdw, *ady;
	int bad;
	char what[128];

	CHECK_OK(dbv_conv_init(&c, cin, cout, k, 2, 1, h, w));
	dbv_conv_direct_force(1);
	CHECK(dbv_conv_is_direct_s2(&c) && dbv_conv_has_direct(&c));
	bad = conv_case(r, cin, cout, h, w, k, 2, 1, n, (h + w) % 2);
	xs = (size_t)cin * n * h * w;
	ws = (size_t)cout * cin * k * k;
	ys = (size_t)cout * n * c.oh * c.ow;
	ss = dbv_conv_s2_scratch(&c, n);
	CHECK(dbv_conv_scratch_fwd(&c, n) >= ss);
	x = guarded(xs, end, &map[0], &len[0]);
	dy = guarded(ys, !end, &map[1], &len[1]);
	sc = guarded(ss, 1, &map[2], &len[2]);
	CHECK(x && dy && sc);
	if (!x || !dy || !sc)
		return 1;
	for (size_t i = 0; i < xs; i++)
		x[i] = (float)dbv_rng_double(r) * 2 - 1;
	for (size_t i = 0; i < ys; i++)
		dy[i] = (float)dbv_rng_double(r) * 2 - 1;
	wt = rand_f(r, ws, -1, 1);
	b = rand_f(r, cout, -1, 1);
	y1 = alloc_f(ys), y2 = alloc_f(ys), yg = alloc_f(ys);
	scale = alloc_f(ys);
	dx1 = calloc(xs, sizeof *dx1), dx2 = alloc_f(xs);
	dxg = calloc(xs, sizeof *dxg), dxs = alloc_f(xs);
	dw1 = calloc(ws, sizeof *dw1), dw2 = calloc(ws, sizeof *dw2);
	dwg = calloc(ws, sizeof *dwg);
	sdx = calloc(xs, sizeof *sdx), sdw = calloc(ws, sizeof *sdw);
	ax = abs_f(x, xs), aw = abs_f(wt, ws), ab = abs_f(b, cout);
	ady = abs_f(dy, ys);
	snprintf(what, sizeof what, "stride-2 conv cin=%d cout=%d %dx%d n=%d, "
		 "guarded", cin, cout, h, w, n);

	/* One thread, the direct path, exact-size scratch. */
	dbv_threads_set(1);
	dbv_conv_s2_forward(&c, n, x, wt, b, y1, sc);
	dbv_conv_s2_backward(&c, n, x, wt, dy, dx1, dw1, sc, 0);
	for (size_t i = 0; i < xs; i++)
		dxs[i] = NAN;
	dbv_conv_s2_backward(&c, n, x, wt, dy, dxs, NULL, sc, 1);
	if (memcmp(dx1, dxs, xs * sizeof *dx1))
		bad++;
	/* Two threads, through the layer functions: the same bits. */
	dbv_threads_set(2);
	for (size_t i = 0; i < xs; i++)
		dx2[i] = NAN;
	dbv_conv_forward(&c, n, x, wt, b, y2, sc);
	dbv_conv_backward_set(&c, n, x, wt, dy, dx2, dw2, NULL, sc);
	if (memcmp(y1, y2, ys * sizeof *y1) ||
	    memcmp(dx1, dx2, xs * sizeof *dx1) ||
	    memcmp(dw1, dw2, ws * sizeof *dw1))
		bad++;
	/* The im2col + sgemm path, within float rounding. */
	dbv_conv_direct_force(0);
	float *sg = alloc_f(dbv_conv_scratch(&c, n) + 1);

	dbv_conv_forward(&c, n, x, wt, b, yg, sg);
	dbv_conv_backward(&c, n, x, wt, dy, dxg, dwg, NULL, sg);
	free(sg);
	dbv_conv_forward_ref(&c, n, ax, aw, ab, scale);
	dbv_conv_backward_ref(&c, n, ax, aw, ady, sdx, sdw, NULL);
	bad += compare(what, y1, yg, scale, ys, 4.0 + 2 * cin * k * k);
	bad += compare("against gemm: dx", dx1, dxg, sdx, xs,
		       4.0 + 2 * cout * k * k);
	bad += compare("against gemm: dwt", dw1, dwg, sdw, ws,
		       4.0 + 2.0 * n * c.oh * c.ow);
	dbv_conv_direct_force(-1);
	if (bad)
		fprintf(stderr, "  in %s\n", what);
	for (int i = 0; i < 3; i++)
		munmap(map[i], len[i]);
	free(wt), free(b), free(y1), free(y2), free(yg), free(scale);
	free(dx1), free(dx2), free(dxg), free(dxs), free(dw1), free(dw2);
	free(dwg), free(sdx), free(sdw), free(ax), free(aw), free(ab);
	free(ady);
	return bad != 0;
}

/*
 * test_conv_s2: s2_case over 1, 2 and 3 input channels and channel
 * counts around the kernel's block of 8 outputs, odd and even maps from
 * 1x1 to 28x28, batches 1 to 7; ResNet/WRN's shapes (16->32 at 28x28,
 * 32->64 at 14x14), large enough for two threads; and a batch that goes
 * in three chunks of images.
 */
static void test_conv_s2(void)
{
	static const int chans[][2] = {
		{ 1, 1 }, { 2, 3 }, { 3, 8 }, { 3, 17 }, { 16, 9 }, { 5, 24 },
	};
	static const int sizes[][2] = {
		{ 1, 1 }, { 2, 2 }, { 3, 3 }, { 4, 5 }, { 7, 6 }, { 8, 8 },
		{ 5, 1 }, { 1, 9 }, { 13, 14 }, { 28, 28 },
	};
	static const int batch[] = { 1, 2, 3, 7 };
	struct dbv_rng r;
	int ncase = 0, nbad = 0;

	if (!dbv_conv_direct_cpu()) {
		fprintf(stderr, "conv stride 2: skipped, no AVX-512 here\n");
		return;
	}
	dbv_rng_seed(&r, 41);
	for (int ci = 0; ci < 6; ci++)
		for (int si = 0; si < 10; si++, ncase++)
			nbad += s2_case(&r, chans[ci][0], chans[ci][1],
					sizes[si][0], sizes[si][1],
					batch[(ci + si) % 4], (ci + si) % 2);
	nbad += s2_case(&r, 16, 32, 28, 28, 5, 0);
	nbad += s2_case(&r, 32, 64, 14, 14, 9, 1);
	/* Images in chunks: the scratch holds the phases of at most 41 of
	 * them, so 83 go as 41 + 41 + 1. */
	struct dbv_conv c;

	CHECK_OK(dbv_conv_init(&c, 64, 8, 3, 2, 1, 28, 28));
	CHECK(dbv_conv_s2_scratch(&c, 83) < (size_t)4 * 64 * 42 * 14 * 14);
	nbad += s2_case(&r, 64, 8, 28, 28, 83, 0);
	ncase += 3;
	dbv_threads_set(2);
	CHECK_EQ_INT(nbad, 0);
	fprintf(stderr, "conv stride 2 direct against naive and gemm: %d "
		"cases, %d bad\n", ncase, nbad);
}

/*
 * Batches big enough that the column buffer holds fewer images than the
 * batch, so the chunk loop runs several times with a short last chunk.
 * The batch is sized from what dbv_conv_scratch says a chunk holds.
 */
static void test_conv_chunks(void)
{
	static const int cases[][4] = {
		/* cin, cout, hw, stride */
		{ 16, 3, 28, 1 },
		{ 16, 2, 28, 2 },
		{ 32, 2, 14, 1 },
		{ 3, 2, 32, 1 },
	};
	struct dbv_rng r;

	dbv_conv_direct_force(0); /* the im2col path's chunks */
	dbv_rng_seed(&r, 2);
	for (int t = 0; t < 4; t++) {
		struct dbv_conv c;
		int cin = cases[t][0], hw = cases[t][2], n;
		size_t per, nb;

		CHECK_OK(dbv_conv_init(&c, cin, cases[t][1], 3, cases[t][3], 1,
				       hw, hw));
		/* Scratch is one chunk's columns. */
		per = (size_t)cin * 9 * c.oh * c.ow;
		nb = dbv_conv_scratch(&c, 1 << 20) / per;
		CHECK(nb >= 1 && nb < 100);
		n = nb < 100 ? 2 * (int)nb + 1 : 201;
		/* Chunked: three chunks, the last one image long. */
		CHECK(dbv_conv_scratch(&c, n) == nb * per);
		CHECK_EQ_INT(conv_case(&r, cin, cases[t][1], hw, hw, 3,
				       cases[t][3], 1, n, t != 1), 0);
	}
	dbv_conv_direct_force(-1);
}

/*
 * dbv_conv_backward_set over a dx full of NaN against dbv_conv_backward
 * into zeros, bit for bit: a same convolution over several chunks, a
 * strided one and a direct 1x1, with 1 and 2 threads; on the im2col path,
 * then on the path dbv picks.
 */
static void test_conv_set(void)
{
	static const int shapes[][4] = {
		{ 16, 3, 1, 1 }, { 8, 3, 2, 1 }, { 16, 1, 1, 0 },
	};
	const int n = 37;
	struct dbv_rng r;

	dbv_rng_seed(&r, 31);
	/* im2col first, then as dbv runs it (direct where it can). */
	for (int s = 0; s < 6; s++)
		for (int T = 1; T <= 2; T++) {
			const int *sh = shapes[s % 3];
			struct dbv_conv c;
			size_t xs, ws, ys, ss;
			float *x, *wt, *dy, *scratch, *dx0, *dx1, *dw0, *dw1;

			dbv_conv_direct_force(s < 3 ? 0 : -1);
			dbv_threads_set(T);
			CHECK_OK(dbv_conv_init(&c, sh[0], 8, sh[1], sh[2], sh[3],
					       28, 28));
			xs = (size_t)c.cin * n * 28 * 28;
			ws = (size_t)8 * c.cin * c.k * c.k;
			ys = (size_t)8 * n * c.oh * c.ow;
			ss = dbv_conv_scratch(&c, n);
			x = rand_f(&r, xs, -1, 1);
			wt = rand_f(&r, ws, -1, 1);
			dy = rand_f(&r, ys, -1, 1);
			scratch = alloc_f(ss ? ss : 1);
			dx0 = calloc(xs, sizeof *dx0);
			dx1 = alloc_f(xs);
			dw0 = calloc(ws, sizeof *dw0);
			dw1 = calloc(ws, sizeof *dw1);
			for (size_t i = 0; i < xs; i++)
				dx1[i] = NAN;
			dbv_conv_backward(&c, n, x, wt, dy, dx0, dw0, NULL, scratch);
			dbv_conv_backward_set(&c, n, x, wt, dy, dx1, dw1, NULL,
					      scratch);
			CHECK(memcmp(dx0, dx1, xs * sizeof *dx0) == 0);
			CHECK(memcmp(dw0, dw1, ws * sizeof *dw0) == 0);
			free(x), free(wt), free(dy), free(scratch), free(dx0),
				free(dx1), free(dw0), free(dw1);
		}
	dbv_threads_set(2);
	dbv_conv_direct_force(-1);
}

/*
 * Same inputs, same thread count: bit-identical outputs and gradients,
 * run after run (the threads' parts are fixed, whatever the timing).
 * Thread counts 1-4, more than this machine may have cores, on a chunked
 * 3x3 convolution, a strided one and a 1x1 one; each count close to one
 * thread (another count may round differently).  Each shape on the
 * im2col path and then on the path dbv picks (the direct kernels for the
 * 3x3 one where the CPU has AVX-512).
 */
static void test_conv_repeat(void)
{
	static const int shapes[][4] = {
		/* cin, k, stride, pad; 16 out, 28x28 */
		{ 16, 3, 1, 1 }, { 16, 3, 2, 1 }, { 16, 1, 1, 0 },
	};
	const int n = 37; /* more than one chunk of the first shape */
	struct dbv_rng r;

	dbv_rng_seed(&r, 3);
	/* im2col first, then as dbv runs it (direct where it can). */
	for (int s = 0; s < 6; s++) {
		const int *sh = shapes[s % 3];
		struct dbv_conv c;
		size_t xs, ws, ys, ss;
		float *x, *wt, *b, *dy, *scratch, *one[4];
		int bad = 0, far = 0;

		dbv_conv_direct_force(s < 3 ? 0 : -1);
		CHECK_OK(dbv_conv_init(&c, sh[0], 16, sh[1], sh[2], sh[3], 28,
				       28));
		xs = (size_t)c.cin * n * 28 * 28;
		ws = (size_t)16 * c.cin * c.k * c.k;
		ys = (size_t)16 * n * c.oh * c.ow;
		ss = dbv_conv_scratch(&c, n);
		x = rand_f(&r, xs, -1, 1);
		wt = rand_f(&r, ws, -1, 1);
		b = rand_f(&r, 16, -1, 1);
		dy = rand_f(&r, ys, -1, 1);
		scratch = alloc_f(ss ? ss : 1);
		memset(one, 0, sizeof one);
		for (int T = 1; T <= 4; T++) {
			float *got[3][4];
			const size_t sz[4] = { ys, xs, ws, 16 };

			dbv_threads_set(T);
			for (int rep = 0; rep < 3; rep++) {
				got[rep][0] = alloc_f(ys);
				got[rep][1] = calloc(xs, sizeof(float));
				got[rep][2] = calloc(ws, sizeof(float));
				got[rep][3] = calloc(16, sizeof(float));
				dbv_conv_forward(&c, n, x, wt, b, got[rep][0],
						 scratch);
				dbv_conv_backward(&c, n, x, wt, dy, got[rep][1],
						  got[rep][2], got[rep][3],
						  scratch);
			}
			for (int q = 0; q < 4; q++) {
				for (int rep = 1; rep < 3; rep++)
					bad += memcmp(got[0][q], got[rep][q],
						      sz[q] * sizeof(float)) != 0;
				if (T == 1) {
					one[q] = got[0][q];
					got[0][q] = NULL;
					continue;
				}
				for (size_t i = 0; i < sz[q]; i++)
					far += !(fabsf(got[0][q][i] - one[q][i]) <=
						 1e-4f * (1.0f + fabsf(one[q][i])));
			}
			for (int rep = 0; rep < 3; rep++)
				for (int q = 0; q < 4; q++)
					free(got[rep][q]);
		}
		CHECK_EQ_INT(bad, 0);
		CHECK_EQ_INT(far, 0);
		for (int q = 0; q < 4; q++)
			free(one[q]);
		free(x), free(wt), free(b), free(dy), free(scratch);
	}
	dbv_threads_set(2);
	dbv_conv_direct_force(-1);
}

/*
 * The other layers split their work across channels, planes or ranges
 * and keep every sum in one thread: any thread count gives the one-thread
 * bits.
 */
static void test_threads_bitwise(void)
{
	const int c = 6, n = 40, h = 14, w = 14;
	const size_t m = (size_t)n * h * w, all = (size_t)c * m;
	struct dbv_rng r;
	float *x, *dy, *gamma, *beta, *gdy, *ref[12] = { 0 };
	int bad = 0;

	dbv_rng_seed(&r, 11);
	x = rand_f(&r, all, -2, 2);
	dy = rand_f(&r, all, -1, 1);
	gdy = rand_f(&r, (size_t)n * c, -1, 1);
	gamma = rand_f(&r, c, 0.5f, 1.5f);
	beta = rand_f(&r, c, -0.5f, 0.5f);
	for (int T = 1; T <= 4; T++) {
		float *o[12];
		const size_t sz[12] = { all, c, c, c, c, all, all, c, c,
					all / 4, all, (size_t)n * c };

		dbv_threads_set(T);
		o[0] = alloc_f(all);
		o[1] = alloc_f(c), o[2] = alloc_f(c);
		o[3] = alloc_f(c), o[4] = alloc_f(c);
		for (int i = 0; i < c; i++)
			o[3][i] = 0.0f, o[4][i] = 1.0f;
		dbv_bn_forward_train(c, m, x, gamma, beta, o[0], o[1], o[2],
				     o[3], o[4], 0.1f, 1e-5f);
		o[5] = calloc(all, sizeof(float));
		o[7] = calloc(c, sizeof(float));
		o[8] = calloc(c, sizeof(float));
		dbv_bn_backward(c, m, x, gamma, o[1], o[2], dy, o[5], o[7],
				o[8]);
		o[6] = alloc_f(all);
		dbv_relu_forward(all, x, o[6]);
		dbv_relu_backward(all, o[6], dy, o[5]);
		o[9] = alloc_f(all / 4);
		dbv_maxpool2_forward((size_t)c * n, h, w, x, o[9]);
		o[10] = calloc(all, sizeof(float));
		dbv_maxpool2_backward((size_t)c * n, h, w, x, o[9], o[10]);
		dbv_gap_backward(c, n, h * w, gdy, o[10]);
		dbv_gmp_backward(c, n, h * w, x, gdy, o[10]);
		o[11] = alloc_f((size_t)n * c);
		dbv_gap_forward(c, n, h * w, x, o[11]);
		dbv_gmp_forward(c, n, h * w, o[10], o[11]);
		for (int q = 0; q < 12; q++) {
			if (T == 1) {
				ref[q] = o[q];
				continue;
			}
			bad += memcmp(ref[q], o[q], sz[q] * sizeof(float)) != 0;
			free(o[q]);
		}
	}
	CHECK_EQ_INT(bad, 0);
	for (int q = 0; q < 12; q++)
		free(ref[q]);
	free(x), free(dy), free(gdy), free(gamma), free(beta);
	dbv_threads_set(2);
}

static void test_conv_init(void)
{
	struct dbv_conv c;

	CHECK_RC(dbv_conv_init(&c, 0, 1, 3, 1, 1, 5, 5), DBV_EUSAGE);
	CHECK_RC(dbv_conv_init(&c, 1, 0, 3, 1, 1, 5, 5), DBV_EUSAGE);
	CHECK_RC(dbv_conv_init(&c, 1, 1, 0, 1, 1, 5, 5), DBV_EUSAGE);
	CHECK_RC(dbv_conv_init(&c, 1, 1, 3, 0, 1, 5, 5), DBV_EUSAGE);
	CHECK_RC(dbv_conv_init(&c, 1, 1, 3, 1, -1, 5, 5), DBV_EUSAGE);
	CHECK_RC(dbv_conv_init(&c, 1, 1, 3, 1, 0, 2, 5), DBV_EUSAGE);
	CHECK_RC(dbv_conv_init(&c, 1, 1, 3, 1, 0, 5, 0), DBV_EUSAGE);
	CHECK_OK(dbv_conv_init(&c, 1, 1, 3, 2, 1, 28, 28));
	CHECK_EQ_INT(c.oh, 14);
	CHECK_EQ_INT(c.ow, 14);
	CHECK_OK(dbv_conv_init(&c, 1, 1, 3, 1, 0, 3, 4));
	CHECK_EQ_INT(c.oh, 1);
	CHECK_EQ_INT(c.ow, 2);
	/* x is the column matrix of a 1x1 stride-1 conv: no scratch. */
	CHECK_OK(dbv_conv_init(&c, 4, 4, 1, 1, 0, 5, 5));
	CHECK_EQ_INT(dbv_conv_scratch(&c, 8), 0);
}

/* A 1-channel 3x3 image, an all-ones 3x3 kernel with padding 1: each
 * output is the sum of the neighbourhood; worked by hand. */
static void test_conv_known(void)
{
	const float x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	const float want[9] = { 12, 21, 16, 27, 45, 33, 24, 39, 28 };
	float wt[9], y[9], scratch[81], b = 0.5f;
	struct dbv_conv c;

	for (int i = 0; i < 9; i++)
		wt[i] = 1.0f;
	CHECK_OK(dbv_conv_init(&c, 1, 1, 3, 1, 1, 3, 3));
	CHECK(dbv_conv_scratch(&c, 1) <= 81);
	dbv_conv_forward(&c, 1, x, wt, &b, y, scratch);
	for (int i = 0; i < 9; i++)
		CHECK_NEAR(y[i], want[i] + 0.5f, 0);
}

/* ---- finite differences ---------------------------------------------- */

/*
 * Central differences of loss() in every element of p[0..n), against the
 * analytic gradient ana[]: |num - ana| <= atol + rtol |ana|.  The step is
 * the float one actually taken.  Returns the number of bad elements.
 */
static int fd_check(const char *what, float *p, size_t n, const float *ana,
		    double (*loss)(void *), void *ctx, float eps, double atol,
		    double rtol)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		float keep = p[i], hi, lo;
		double lp, lm, num;

		p[i] = hi = keep + eps;
		lp = loss(ctx);
		p[i] = lo = keep - eps;
		lm = loss(ctx);
		p[i] = keep;
		num = (lp - lm) / ((double)hi - lo);
		if (fabs(num - ana[i]) <= atol + rtol * fabs(ana[i]))
			continue;
		if (bad++ < 3)
			fprintf(stderr, "%s: d/d[%zu] = %.7g, numeric %.7g\n",
				what, i, ana[i], num);
	}
	return bad;
}

struct conv_fd {
	struct dbv_conv c;
	int n;
	float *x, *wt, *b, *y, *r, *scratch;
};

static double conv_loss(void *v)
{
	struct conv_fd *f = v;
	size_t ys = (size_t)f->c.cout * f->n * f->c.oh * f->c.ow;

	dbv_conv_forward(&f->c, f->n, f->x, f->wt, f->b, f->y, f->scratch);
	return dot_fd(f->y, f->r, ys);
}

static void test_conv_fd(void)
{
	static const int cases[][4] = {
		/* k, stride, pad, bias */
		{ 3, 1, 1, 1 }, { 3, 2, 0, 1 }, { 3, 2, 1, 0 },
		{ 1, 1, 0, 1 }, { 1, 2, 1, 1 },
	};
	struct dbv_rng r;

	dbv_rng_seed(&r, 4);
	for (int t = 0; t < 5; t++) {
		struct conv_fd f;
		const int cin = 2, cout = 3, h = 5, w = 6;
		size_t xs, ws, ys;
		float *dx, *dw, *db;

		f.n = 2;
		CHECK_OK(dbv_conv_init(&f.c, cin, cout, cases[t][0],
				       cases[t][1], cases[t][2], h, w));
		xs = (size_t)cin * f.n * h * w;
		ws = (size_t)cout * cin * f.c.k * f.c.k;
		ys = (size_t)cout * f.n * f.c.oh * f.c.ow;
		f.x = rand_f(&r, xs, -1, 1);
		f.wt = rand_f(&r, ws, -1, 1);
		f.b = cases[t][3] ? rand_f(&r, cout, -1, 1) : NULL;
		f.r = rand_f(&r, ys, -1, 1);
		f.y = alloc_f(ys);
		f.scratch = alloc_f(dbv_conv_scratch(&f.c, f.n));
		dx = calloc(xs, sizeof *dx);
		dw = calloc(ws, sizeof *dw);
		db = calloc(cout, sizeof *db);
		dbv_conv_backward(&f.c, f.n, f.x, f.wt, f.r, dx, dw, db,
				  f.scratch);
		/* L is linear in each parameter: the differences are
		 * exact but for the rounding of y. */
		CHECK_EQ_INT(fd_check("conv dx", f.x, xs, dx, conv_loss, &f,
				      1e-2f, 2e-4, 2e-4), 0);
		CHECK_EQ_INT(fd_check("conv dwt", f.wt, ws, dw, conv_loss, &f,
				      1e-2f, 2e-4, 2e-4), 0);
		if (f.b)
			CHECK_EQ_INT(fd_check("conv db", f.b, cout, db,
					      conv_loss, &f, 1e-2f, 2e-4, 2e-4),
				     0);
		free(f.x), free(f.wt), free(f.b), free(f.r), free(f.y);
		free(f.scratch), free(dx), free(dw), free(db);
	}
}

struct linear_fd {
	int n, in, out;
	float *x, *wt, *b, *y, *r;
};

static double linear_loss(void *v)
{
	struct linear_fd *f = v;

	dbv_linear_forward(f->n, f->in, f->out, f->x, f->wt, f->b, f->y);
	return dot_fd(f->y, f->r, (size_t)f->n * f->out);
}

static void test_linear_fd(void)
{
	struct dbv_rng r;
	struct linear_fd f = { .n = 3, .in = 7, .out = 4 };
	float *dx, *dw, *db;

	dbv_rng_seed(&r, 5);
	f.x = rand_f(&r, (size_t)f.n * f.in, -1, 1);
	f.wt = rand_f(&r, (size_t)f.out * f.in, -1, 1);
	f.b = rand_f(&r, f.out, -1, 1);
	f.r = rand_f(&r, (size_t)f.n * f.out, -1, 1);
	f.y = alloc_f((size_t)f.n * f.out);
	dx = calloc((size_t)f.n * f.in, sizeof *dx);
	dw = calloc((size_t)f.out * f.in, sizeof *dw);
	db = calloc(f.out, sizeof *db);
	dbv_linear_backward(f.n, f.in, f.out, f.x, f.wt, f.r, dx, dw, db);
	CHECK_EQ_INT(fd_check("linear dx", f.x, (size_t)f.n * f.in, dx,
			      linear_loss, &f, 1e-2f, 2e-4, 2e-4), 0);
	CHECK_EQ_INT(fd_check("linear dwt", f.wt, (size_t)f.out * f.in, dw,
			      linear_loss, &f, 1e-2f, 2e-4, 2e-4), 0);
	CHECK_EQ_INT(fd_check("linear db", f.b, f.out, db, linear_loss, &f,
			      1e-2f, 2e-4, 2e-4), 0);
	free(f.x), free(f.wt), free(f.b), free(f.r), free(f.y);
	free(dx), free(dw), free(db);
}

struct bn_fd {
	int c;
	size_t m;
	float *x, *gamma, *beta, *y, *r;
};

static double bn_loss(void *v)
{
	struct bn_fd *f = v;
	float mean[8], invstd[8], rm[8] = { 0 }, rv[8] = { 0 };

	dbv_bn_forward_train(f->c, f->m, f->x, f->gamma, f->beta, f->y, mean,
			     invstd, rm, rv, 0.1f, 1e-5f);
	return dot_fd(f->y, f->r, (size_t)f->c * f->m);
}

static void test_bn_fd(void)
{
	struct dbv_rng r;
	struct bn_fd f = { .c = 3, .m = 10 };
	size_t n = (size_t)f.c * f.m;
	float mean[3], invstd[3], rm[3] = { 0 }, rv[3] = { 1, 1, 1 };
	float *dx, *dg, *dbeta;

	dbv_rng_seed(&r, 6);
	f.x = rand_f(&r, n, -2, 2);
	f.gamma = rand_f(&r, f.c, 0.5f, 1.5f);
	f.beta = rand_f(&r, f.c, -1, 1);
	f.r = rand_f(&r, n, -1, 1);
	f.y = alloc_f(n);
	dx = calloc(n, sizeof *dx);
	dg = calloc(f.c, sizeof *dg);
	dbeta = calloc(f.c, sizeof *dbeta);
	dbv_bn_forward_train(f.c, f.m, f.x, f.gamma, f.beta, f.y, mean, invstd,
			     rm, rv, 0.1f, 1e-5f);
	dbv_bn_backward(f.c, f.m, f.x, f.gamma, mean, invstd, f.r, dx, dg,
			dbeta);
	/* Normalisation is not linear: eps 1e-2 leaves O(eps^2) terms. */
	CHECK_EQ_INT(fd_check("bn dx", f.x, n, dx, bn_loss, &f, 1e-2f, 5e-4,
			      5e-4), 0);
	CHECK_EQ_INT(fd_check("bn dgamma", f.gamma, f.c, dg, bn_loss, &f,
			      1e-2f, 5e-4, 5e-4), 0);
	CHECK_EQ_INT(fd_check("bn dbeta", f.beta, f.c, dbeta, bn_loss, &f,
			      1e-2f, 5e-4, 5e-4), 0);
	free(f.x), free(f.gamma), free(f.beta), free(f.r), free(f.y);
	free(dx), free(dg), free(dbeta);
}

/* One elementwise or pooling layer: y = fwd(x), L = sum(y * r). */
struct pool_fd {
	int kind; /* 0 relu, 1 maxpool2, 2 gap, 3 gmp */
	int c, n, h, w;
	size_t xs, ys;
	float *x, *y, *r;
};

static void pool_forward(struct pool_fd *f)
{
	switch (f->kind) {
	case 0:
		dbv_relu_forward(f->xs, f->x, f->y);
		break;
	case 1:
		dbv_maxpool2_forward((size_t)f->c * f->n, f->h, f->w, f->x,
				     f->y);
		break;
	case 2:
		dbv_gap_forward(f->c, f->n, f->h * f->w, f->x, f->y);
		break;
	case 3:
		dbv_gmp_forward(f->c, f->n, f->h * f->w, f->x, f->y);
		break;
	}
}

static double pool_loss(void *v)
{
	struct pool_fd *f = v;

	pool_forward(f);
	return dot_fd(f->y, f->r, f->ys);
}

/*
 * x holds distinct values at least 0.1 apart, none within 0.05 of 0, so
 * that no step of 1e-2 crosses a kink (ReLU's 0, a change of maximum).
 */
static void test_pool_fd(void)
{
	static const char *names[] = { "relu", "maxpool2", "gap", "gmp" };
	struct dbv_rng r;

	dbv_rng_seed(&r, 7);
	for (int kind = 0; kind < 4; kind++) {
		struct pool_fd f = { .kind = kind, .c = 2, .n = 3, .h = 5,
				     .w = 7 };
		int64_t *perm;
		float *dx;

		f.xs = (size_t)f.c * f.n * f.h * f.w;
		f.ys = kind == 0 ? f.xs
		     : kind == 1 ? (size_t)f.c * f.n * (f.h / 2) * (f.w / 2)
				 : (size_t)f.c * f.n;
		perm = dbv_malloc(f.xs * sizeof *perm);
		f.x = alloc_f(f.xs);
		for (size_t i = 0; i < f.xs; i++)
			perm[i] = (int64_t)i;
		dbv_rng_shuffle_i64(&r, perm, f.xs);
		for (size_t i = 0; i < f.xs; i++)
			f.x[i] = 0.1f * ((float)perm[i] - (float)f.xs / 2) + 0.05f;
		f.r = rand_f(&r, f.ys, -1, 1);
		f.y = alloc_f(f.ys);
		dx = calloc(f.xs, sizeof *dx);
		pool_forward(&f);
		switch (kind) {
		case 0:
			dbv_relu_backward(f.xs, f.y, f.r, dx);
			break;
		case 1:
			dbv_maxpool2_backward((size_t)f.c * f.n, f.h, f.w,
					      f.x, f.r, dx);
			break;
		case 2:
			dbv_gap_backward(f.c, f.n, f.h * f.w, f.r, dx);
			break;
		case 3:
			dbv_gmp_backward(f.c, f.n, f.h * f.w, f.x, f.r, dx);
			break;
		}
		CHECK_EQ_INT(fd_check(names[kind], f.x, f.xs, dx, pool_loss,
				      &f, 1e-2f, 1e-4, 1e-3), 0);
		free(perm), free(f.x), free(f.r), free(f.y), free(dx);
	}
}

struct xent_fd {
	int n, k;
	float *logits;
	int32_t *labels;
};

static double xent_loss(void *v)
{
	struct xent_fd *f = v;

	return dbv_softmax_xent(f->n, f->k, f->logits, f->labels, NULL, NULL);
}

static void test_xent_fd(void)
{
	struct dbv_rng r;
	struct xent_fd f = { .n = 4, .k = 5 };
	int32_t labels[4];
	float *d;

	dbv_rng_seed(&r, 8);
	f.logits = rand_f(&r, (size_t)f.n * f.k, -3, 3);
	for (int i = 0; i < f.n; i++)
		labels[i] = (int32_t)dbv_rng_below(&r, f.k);
	f.labels = labels;
	d = alloc_f((size_t)f.n * f.k);
	dbv_softmax_xent(f.n, f.k, f.logits, labels, d, NULL);
	/* Gradients are of the order 1/n: tolerances to match. */
	CHECK_EQ_INT(fd_check("softmax xent", f.logits, (size_t)f.n * f.k, d,
			      xent_loss, &f, 1e-2f, 2e-6, 2e-4), 0);
	free(f.logits), free(d);
}

/* ---- batch norm statistics and modes ---------------------------------- */

static void test_bn_stats(void)
{
	struct dbv_rng r;
	const int c = 3;
	const size_t m = 50;
	const float mom = 0.1f, eps = 1e-5f;
	float *x, *y, gamma[3], beta[3], mean[3], invstd[3];
	float rm[3] = { 0.5f, -1.0f, 2.0f }, rv[3] = { 1.0f, 2.0f, 0.25f };
	double erm[3], erv[3];

	dbv_rng_seed(&r, 9);
	x = alloc_f((size_t)c * m);
	y = alloc_f((size_t)c * m);
	for (int ch = 0; ch < c; ch++) {
		gamma[ch] = 0.5f + ch;
		beta[ch] = 0.25f * ch - 0.5f;
		erm[ch] = rm[ch];
		erv[ch] = rv[ch];
	}
	/* Two steps; channel 2 sits far from 0 (a one-pass float variance
	 * would lose it). */
	for (int step = 0; step < 2; step++) {
		for (int ch = 0; ch < c; ch++)
			for (size_t j = 0; j < m; j++)
				x[ch * m + j] = (float)((ch == 2 ? 1000.0 : ch) +
					(1.0 + ch) * dbv_rng_normal(&r));
		dbv_bn_forward_train(c, m, x, gamma, beta, y, mean, invstd, rm,
				     rv, mom, eps);
		for (int ch = 0; ch < c; ch++) {
			double s = 0, ss = 0, my = 0, vy = 0, var;

			for (size_t j = 0; j < m; j++)
				s += x[ch * m + j];
			s /= m;
			for (size_t j = 0; j < m; j++)
				ss += (x[ch * m + j] - s) * (x[ch * m + j] - s);
			var = ss / m;
			erm[ch] = (1 - mom) * erm[ch] + mom * s;
			erv[ch] = (1 - mom) * erv[ch] + mom * ss / (m - 1);
			CHECK_NEAR(mean[ch], s, 1e-6 * (1 + fabs(s)));
			CHECK_NEAR(invstd[ch], 1 / sqrt(var + eps),
				   1e-6 / sqrt(var + eps));
			CHECK_NEAR(rm[ch], erm[ch], 1e-6 * (1 + fabs(erm[ch])));
			CHECK_NEAR(rv[ch], erv[ch], 1e-6 * (1 + fabs(erv[ch])));
			/* The output has mean beta, variance about gamma^2. */
			for (size_t j = 0; j < m; j++)
				my += y[ch * m + j];
			my /= m;
			for (size_t j = 0; j < m; j++)
				vy += (y[ch * m + j] - my) * (y[ch * m + j] - my);
			vy /= m;
			/* (x - mean) rounds at |x|'s ulp: 1000 * 2^-24. */
			CHECK_NEAR(my, beta[ch], 1e-6 + 2 * FLT_EPSILON *
				   (1 + fabs(s)) * gamma[ch] / sqrt(var));
			CHECK_NEAR(vy, gamma[ch] * gamma[ch] * var / (var + eps),
				   1e-4 * gamma[ch] * gamma[ch]);
		}
	}
	/* Eval mode: the running statistics, nothing from the batch. */
	dbv_bn_forward_eval(c, m, x, gamma, beta, y, rm, rv, eps);
	for (int ch = 0; ch < c; ch++)
		for (size_t j = 0; j < m; j += 7) {
			double want = (x[ch * m + j] - (double)rm[ch]) /
				      sqrt((double)rv[ch] + eps) * gamma[ch] +
				      beta[ch];

			CHECK_NEAR(y[ch * m + j], want, 1e-5 * (1 + fabs(want)));
		}
	/* In place (y == x) gives the same output. */
	{
		float *y2 = copy_f(x, (size_t)c * m);

		dbv_bn_forward_eval(c, m, x, gamma, beta, y, rm, rv, eps);
		dbv_bn_forward_eval(c, m, y2, gamma, beta, y2, rm, rv, eps);
		CHECK(memcmp(y, y2, (size_t)c * m * sizeof *y) == 0);
		memcpy(y2, x, (size_t)c * m * sizeof *y);
		dbv_bn_forward_train(c, m, x, gamma, beta, y, NULL, NULL, NULL,
				     NULL, mom, eps);
		dbv_bn_forward_train(c, m, y2, gamma, beta, y2, NULL, NULL,
				     NULL, NULL, mom, eps);
		CHECK(memcmp(y, y2, (size_t)c * m * sizeof *y) == 0);
		free(y2);
	}
	/* NULL running statistics are left alone (a forward for gradient
	 * checks), and the output is the same. */
	{
		float *y2 = alloc_f((size_t)c * m);

		dbv_bn_forward_train(c, m, x, gamma, beta, y, mean, invstd, rm,
				     rv, mom, eps);
		dbv_bn_forward_train(c, m, x, gamma, beta, y2, NULL, NULL, NULL,
				     NULL, mom, eps);
		CHECK(memcmp(y, y2, (size_t)c * m * sizeof *y) == 0);
		free(y2);
	}
	free(x), free(y);
}

/* Backward adds into its gradients. */
static void test_bn_accumulates(void)
{
	struct dbv_rng r;
	const int c = 2;
	const size_t m = 9;
	float *x, *y, *dy, *dx, *dx2, g[2] = { 1.5f, 0.5f }, b[2] = { 0, 1 };
	float mean[2], invstd[2], dg[2] = { 0 }, db[2] = { 0 };
	float dg2[2] = { 1, 2 }, db2[2] = { 3, 4 };

	dbv_rng_seed(&r, 10);
	x = rand_f(&r, c * m, -1, 1);
	dy = rand_f(&r, c * m, -1, 1);
	y = alloc_f(c * m);
	dx = calloc(c * m, sizeof *dx);
	dx2 = alloc_f(c * m);
	for (size_t i = 0; i < c * m; i++)
		dx2[i] = 0.5f;
	dbv_bn_forward_train(c, m, x, g, b, y, mean, invstd, NULL, NULL, 0.1f,
			     1e-5f);
	dbv_bn_backward(c, m, x, g, mean, invstd, dy, dx, dg, db);
	dbv_bn_backward(c, m, x, g, mean, invstd, dy, dx2, dg2, db2);
	for (size_t i = 0; i < c * m; i++)
		CHECK_NEAR(dx2[i], dx[i] + 0.5f, 1e-6);
	for (int ch = 0; ch < c; ch++) {
		CHECK_NEAR(dg2[ch], dg[ch] + 1 + ch, 1e-6);
		CHECK_NEAR(db2[ch], db[ch] + 3 + ch, 1e-6);
	}
	free(x), free(y), free(dy), free(dx), free(dx2);
}

/*
 * The vectorised max pool against a plain loop over every window, with
 * ties and NaNs mixed in, for shapes with odd sides and widths on both
 * sides of the 8-float vector step; the backward pass both adding into dx
 * and, in the _set form, overwriting a dx full of garbage.  The forward
 * values and the argmax (who gets dy) must agree exactly.
 */
static void test_maxpool_vs_loop(void)
{
	static const int shapes[][2] = { { 2, 2 }, { 3, 5 }, { 4, 8 }, { 5, 9 },
					 { 6, 16 }, { 7, 7 }, { 8, 17 },
					 { 9, 24 }, { 28, 28 }, { 1, 10 } };
	struct dbv_rng r;
	int bad = 0, cases = 0;

	dbv_rng_seed(&r, 77);
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		const int h = shapes[s][0], w = shapes[s][1], planes = 3;
		const int oh = h / 2, ow = w / 2;
		const size_t nx = (size_t)planes * h * w;
		const size_t ny = (size_t)planes * (oh > 0 ? oh : 0) * ow;
		float *x = alloc_f(nx), *y = alloc_f(ny + 1), *dy = alloc_f(ny + 1);
		float *dxa = alloc_f(nx), *dxs = alloc_f(nx), *want = alloc_f(nx);
		float *wy = alloc_f(ny + 1);

		for (size_t i = 0; i < nx; i++) {
			/* few distinct values: many ties; a NaN now and then */
			float u = dbv_rng_float(&r);

			x[i] = u < 0.03f ? NAN : (float)(int)(u * 4) - 1.0f;
			dxa[i] = 0.25f;
			dxs[i] = 1e30f;
			want[i] = 0.25f;
		}
		for (size_t i = 0; i < ny; i++)
			dy[i] = (float)(i % 13) + 1.0f;
		for (int p = 0; p < planes; p++)
			for (int oy = 0; oy < oh; oy++)
				for (int ox = 0; ox < ow; ox++) {
					size_t base = (size_t)p * h * w;
					size_t o = (size_t)p * oh * ow + (size_t)oy * ow + ox;
					size_t bi = base + (size_t)2 * oy * w + 2 * ox;
					float m = x[bi];

					for (int k = 1; k < 4; k++) {
						size_t q = base + (size_t)(2 * oy + k / 2) * w +
							   2 * ox + k % 2;

						if (x[q] > m || isnan(x[q])) {
							m = x[q];
							bi = q;
						}
					}
					wy[o] = m;
					want[bi] += dy[o];
				}
		dbv_maxpool2_forward(planes, h, w, x, y);
		dbv_maxpool2_backward(planes, h, w, x, dy, dxa);
		dbv_maxpool2_backward_set(planes, h, w, x, dy, dxs);
		for (size_t i = 0; i < ny; i++)
			if (!(y[i] == wy[i] || (isnan(y[i]) && isnan(wy[i]))))
				bad++;
		for (size_t i = 0; i < nx; i++) {
			if (dxa[i] != want[i])
				bad++;
			if (dxs[i] != want[i] - 0.25f)
				bad++;
		}
		cases++;
		free(x), free(y), free(dy), free(dxa), free(dxs), free(want),
			free(wy);
	}
	CHECK(cases == 10);
	if (bad)
		fprintf(stderr, "maxpool against the loop: %d values differ\n", bad);
	CHECK(bad == 0);
}

/* The _set backward forms against the adding ones from zero, bit for
 * bit, over garbage; the fused evaluation BN + ReLU against the two
 * passes. */
static void test_set_forms(void)
{
	struct dbv_rng r;
	const int c = 3;
	const size_t m = 37;
	float g[3] = { 1.5f, -0.5f, 2 }, b[3] = { 0, 1, -0.25f };
	float mean[3], invstd[3], dg[3] = { 0 }, db[3] = { 0 };
	float dg2[3] = { 0 }, db2[3] = { 0 };
	float rm[3] = { 0.1f, -0.2f, 0.3f }, rv[3] = { 0.5f, 1.5f, 2.0f };
	float *x, *y, *y2, *dy, *dx, *dx2;

	dbv_rng_seed(&r, 11);
	x = rand_f(&r, c * m, -2, 2);
	dy = rand_f(&r, c * m, -1, 1);
	y = alloc_f(c * m);
	y2 = alloc_f(c * m);
	dx = calloc(c * m, sizeof *dx);
	dx2 = alloc_f(c * m);
	for (size_t i = 0; i < c * m; i++)
		dx2[i] = NAN;
	dbv_bn_forward_train(c, m, x, g, b, y, mean, invstd, NULL, NULL, 0.1f,
			     1e-5f);
	dbv_bn_backward(c, m, x, g, mean, invstd, dy, dx, dg, db);
	dbv_bn_backward_set(c, m, x, g, mean, invstd, dy, dx2, dg2, db2);
	CHECK(memcmp(dx, dx2, c * m * sizeof *dx) == 0);
	CHECK(memcmp(dg, dg2, sizeof dg) == 0 && memcmp(db, db2, sizeof db) == 0);

	for (size_t i = 0; i < c * m; i++) {
		dx[i] = 0;
		dx2[i] = NAN;
	}
	dbv_relu_forward(c * m, x, y);
	dbv_relu_backward(c * m, y, dy, dx);
	dbv_relu_backward_set(c * m, y, dy, dx2);
	CHECK(memcmp(dx, dx2, c * m * sizeof *dx) == 0);

	dbv_bn_forward_eval(c, m, x, g, b, y, rm, rv, 1e-5f);
	dbv_relu_forward(c * m, y, y);
	dbv_bn_relu_forward_eval(c, m, x, g, b, y2, rm, rv, 1e-5f);
	CHECK(memcmp(y, y2, c * m * sizeof *y) == 0);

	/* Evaluation BN + ReLU + max pool in one pass against the ops, on
	 * odd and even maps, a plane width past the vector step. */
	{
		static const int hw[][2] = { { 5, 9 }, { 8, 16 }, { 7, 7 }, { 2, 2 } };

		for (int k = 0; k < 4; k++) {
			const int n = 2, h = hw[k][0], w = hw[k][1];
			const size_t all = (size_t)c * n * h * w;
			const size_t part = (size_t)c * n * (h / 2) * (w / 2);
			float *xx = rand_f(&r, all, -2, 2), *t = alloc_f(all);
			float *p1 = alloc_f(part), *p2 = alloc_f(part);

			dbv_bn_relu_forward_eval(c, (size_t)n * h * w, xx, g, b, t,
						 rm, rv, 1e-5f);
			dbv_maxpool2_forward((size_t)c * n, h, w, t, p1);
			dbv_bn_relu_maxpool2_forward_eval(c, n, h, w, xx, g, b, p2,
							  rm, rv, 1e-5f);
			CHECK(memcmp(p1, p2, part * sizeof *p1) == 0);
			free(xx), free(t), free(p1), free(p2);
		}
	}

	/* Training BN + ReLU fused against the two ops, forward (output,
	 * saved and running statistics) and backward (adding and set). */
	{
		float rm2[3], rv2[3], mean2[3], invstd2[3], *t = alloc_f(c * m);
		float *dxb = alloc_f(c * m), dg3[3] = { 0.5f, 0, 0 }, db3[3] = { 0 };
		float dg4[3] = { 0.5f, 0, 0 }, db4[3] = { 0 };

		memcpy(rm2, rm, sizeof rm);
		memcpy(rv2, rv, sizeof rv);
		dbv_bn_forward_train(c, m, x, g, b, t, mean, invstd, rm, rv, 0.1f,
				     1e-5f);
		dbv_relu_forward(c * m, t, y);
		dbv_bn_relu_forward_train(c, m, x, g, b, y2, mean2, invstd2, rm2,
					  rv2, 0.1f, 1e-5f);
		CHECK(memcmp(y, y2, c * m * sizeof *y) == 0);
		CHECK(memcmp(mean, mean2, sizeof mean) == 0 &&
		      memcmp(invstd, invstd2, sizeof invstd) == 0 &&
		      memcmp(rm, rm2, sizeof rm) == 0 && memcmp(rv, rv2, sizeof rv) == 0);
		for (int set = 0; set < 2; set++) {
			for (size_t i = 0; i < c * m; i++)
				dx[i] = dxb[i] = set ? NAN : 0.125f * (float)i;
			dbv_relu_backward_set(c * m, y, dy, t);
			(set ? dbv_bn_backward_set : dbv_bn_backward)(
				c, m, x, g, mean, invstd, t, dx, dg3, db3);
			dbv_bn_relu_backward(c, m, x, g, mean, invstd, y, dy, dxb,
					     dg4, db4, set);
			CHECK(memcmp(dx, dxb, c * m * sizeof *dx) == 0);
			CHECK(memcmp(dg3, dg4, sizeof dg3) == 0 &&
			      memcmp(db3, db4, sizeof db3) == 0);
		}
		free(t), free(dxb);
	}
	free(x), free(y), free(y2), free(dy), free(dx), free(dx2);
}

/* ---- loss ------------------------------------------------------------ */

static void test_xent_values(void)
{
	struct dbv_rng r;
	const int n = 6, k = 7;
	float *logits, *d;
	int32_t labels[6];
	int correct, want_correct = 0;
	double want = 0.0, loss;

	dbv_rng_seed(&r, 11);
	logits = rand_f(&r, (size_t)n * k, -5, 5);
	d = alloc_f((size_t)n * k);
	for (int i = 0; i < n; i++)
		labels[i] = (int32_t)dbv_rng_below(&r, k);
	/* Make row 0 right and row 1 wrong for certain. */
	labels[0] = 2;
	logits[2] = 50.0f;
	labels[1] = 3;
	logits[k + 4] = 60.0f;
	for (int i = 0; i < n; i++) {
		const float *row = logits + (size_t)i * k;
		long double s = 0;
		int am = 0;

		for (int j = 0; j < k; j++) {
			s += expl((long double)row[j]);
			if (row[j] > row[am])
				am = j;
		}
		want += (double)(logl(s) - row[labels[i]]);
		want_correct += am == labels[i];
	}
	want /= n;
	loss = dbv_softmax_xent(n, k, logits, labels, d, &correct);
	CHECK_NEAR(loss, want, 1e-12 * (1 + fabs(want)));
	CHECK_EQ_INT(correct, want_correct);
	CHECK(correct >= 1 && correct <= n - 1);
	/* Gradient rows sum to 0; the label's entry is (p - 1)/n < 0 (0
	 * in row 0, where p rounds to 1). */
	for (int i = 0; i < n; i++) {
		double s = 0;

		for (int j = 0; j < k; j++)
			s += d[(size_t)i * k + j];
		CHECK_NEAR(s, 0, 1e-7);
		CHECK(i == 0 ? d[(size_t)i * k + labels[i]] == 0
			     : d[(size_t)i * k + labels[i]] < 0);
	}
	free(logits), free(d);
}

/* Large logits: no overflow, no NaN, the exact answers. */
static void test_xent_large(void)
{
	const float logits[4][3] = {
		{ 1000.0f, 0.0f, -1000.0f },
		{ 1e30f, 1e30f, -1e30f },
		{ -1e4f, -1e4f + 1.0f, -1e4f + 2.0f },
		{ 88.0f, 89.0f, 90.0f },
	};
	const int32_t labels[4] = { 1, 0, 2, 0 };
	float d[12];
	int correct;
	double loss, l2 = log(1 + exp(-1.0) + exp(-2.0));
	/* Row 0: 1000; row 1: log 2; rows 2, 3: log(1+e^-1+e^-2) (+2). */
	double want = (1000.0 + log(2.0) + l2 + (l2 + 2.0)) / 4;

	loss = dbv_softmax_xent(4, 3, &logits[0][0], labels, d, &correct);
	CHECK(isfinite(loss));
	CHECK_NEAR(loss, want, 1e-12 * want);
	/* Row 0 wrong; row 1 ties go to the first maximum (label 0); row 2
	 * right; row 3 wrong. */
	CHECK_EQ_INT(correct, 2);
	for (int i = 0; i < 12; i++)
		CHECK(isfinite(d[i]));
	CHECK_NEAR(d[0], 0.25, 1e-7);
	CHECK_NEAR(d[1], -0.25, 1e-7);
	CHECK_NEAR(d[3], -0.125, 1e-7);
	CHECK_NEAR(d[4], 0.125, 1e-7);
	CHECK_NEAR(d[5], 0, 0);
	/* Without outputs. */
	CHECK_NEAR(dbv_softmax_xent(4, 3, &logits[0][0], labels, NULL, NULL),
		   loss, 0);
	/* A label out of range makes the loss NaN, not a wild read. */
	{
		const int32_t bad[4] = { 1, 3, 2, 0 };

		CHECK(isnan(dbv_softmax_xent(4, 3, &logits[0][0], bad, d,
					     NULL)));
	}
}

/* ---- pools, ReLU, layouts ------------------------------------------------ */

static void test_pools_known(void)
{
	/* One 3x5 plane (odd: the last row and column are dropped). */
	const float x[15] = {
		1, 3, 2, 2, 9,
		3, 0, 2, -1, 9,
		9, 9, 9, 9, 9,
	};
	const float dy[2] = { 10, 20 };
	float y[2], dx[15] = { 0 };

	dbv_maxpool2_forward(1, 3, 5, x, y);
	CHECK_NEAR(y[0], 3, 0);
	CHECK_NEAR(y[1], 2, 0);
	dbv_maxpool2_backward(1, 3, 5, x, dy, dx);
	/* Ties: the first in row-major order gets the gradient. */
	CHECK_NEAR(dx[1], 10, 0);
	CHECK_NEAR(dx[5], 0, 0);
	CHECK_NEAR(dx[2], 20, 0);
	CHECK_NEAR(dx[3], 0, 0);
	CHECK_NEAR(dx[7], 0, 0);
	for (int i = 0; i < 15; i++)
		if (i != 1 && i != 2)
			CHECK_NEAR(dx[i], 0, 0);
	/* NaN wins, as in PyTorch. */
	{
		const float xn[4] = { 1, NAN, 5, 2 };
		float yn;

		dbv_maxpool2_forward(1, 2, 2, xn, &yn);
		CHECK(isnan(yn));
	}

	/* Global pools: c = 2, n = 2, hw = 3; y is [n, c]. */
	{
		const float xg[12] = {
			1, 2, 3,    4, 4, -1,  /* channel 0: images 0, 1 */
			-5, -6, -7, 0, 9, 9,   /* channel 1 */
		};
		const float dyg[4] = { 1, 2, 3, 4 };
		float yg[4], dxg[12];

		dbv_gap_forward(2, 2, 3, xg, yg);
		CHECK_NEAR(yg[0], 2, 1e-7);
		CHECK_NEAR(yg[1], -6, 1e-7);
		CHECK_NEAR(yg[2], 7.0 / 3, 1e-6);
		CHECK_NEAR(yg[3], 6, 1e-7);
		dbv_gmp_forward(2, 2, 3, xg, yg);
		CHECK_NEAR(yg[0], 3, 0);
		CHECK_NEAR(yg[1], -5, 0);
		CHECK_NEAR(yg[2], 4, 0);
		CHECK_NEAR(yg[3], 9, 0);
		for (int i = 0; i < 12; i++)
			dxg[i] = 1;
		dbv_gmp_backward(2, 2, 3, xg, dyg, dxg);
		{
			const float want[12] = { 1, 1, 2, 4, 1, 1,
						 3, 1, 1, 1, 5, 1 };

			for (int i = 0; i < 12; i++)
				CHECK_NEAR(dxg[i], want[i], 0);
		}
		for (int i = 0; i < 12; i++)
			dxg[i] = 0;
		dbv_gap_backward(2, 2, 3, dyg, dxg);
		CHECK_NEAR(dxg[0], 1.0 / 3, 1e-7);
		CHECK_NEAR(dxg[5], 3.0 / 3, 1e-7);
		CHECK_NEAR(dxg[6], 2.0 / 3, 1e-7);
		CHECK_NEAR(dxg[11], 4.0 / 3, 1e-7);
	}
}

static void test_relu_known(void)
{
	const float x[5] = { -1, 0, 2, -0.0f, 3 };
	const float dy[5] = { 1, 2, 3, 4, 5 };
	float y[5], dx[5] = { 1, 1, 1, 1, 1 };

	dbv_relu_forward(5, x, y);
	CHECK_NEAR(y[0], 0, 0);
	CHECK_NEAR(y[1], 0, 0);
	CHECK_NEAR(y[2], 2, 0);
	CHECK_NEAR(y[4], 3, 0);
	dbv_relu_backward(5, y, dy, dx);
	CHECK_NEAR(dx[0], 1, 0);
	CHECK_NEAR(dx[1], 1, 0);
	CHECK_NEAR(dx[2], 4, 0);
	CHECK_NEAR(dx[3], 1, 0);
	CHECK_NEAR(dx[4], 6, 0);
	/* In place, past one block of 8. */
	{
		float z[19], want[19];

		for (int i = 0; i < 19; i++) {
			z[i] = (float)(i % 3) - 1.0f;
			want[i] = z[i] > 0 ? z[i] : 0;
		}
		dbv_relu_forward(19, z, z);
		CHECK(memcmp(z, want, sizeof z) == 0);
	}
}

static void test_layouts(void)
{
	const int n = 3, c = 4, hw = 5;
	float x[60], y[60], z[60];

	for (int i = 0; i < 60; i++)
		x[i] = (float)i;
	dbv_nchw_to_cnhw(n, c, hw, x, y);
	for (int i = 0; i < n; i++)
		for (int ch = 0; ch < c; ch++)
			for (int j = 0; j < hw; j++)
				CHECK_NEAR(y[(ch * n + i) * hw + j],
					   x[(i * c + ch) * hw + j], 0);
	dbv_cnhw_to_nchw(c, n, hw, y, z);
	CHECK(memcmp(x, z, sizeof x) == 0);
}

/* ---- linear: fast against direct -------------------------------------- */

static void test_linear_shapes(void)
{
	static const int ns[] = { 1, 3, 7 }, ins[] = { 1, 5, 17 },
			 outs[] = { 1, 4, 10 };
	struct dbv_rng r;
	int nbad = 0;

	dbv_rng_seed(&r, 12);
	for (int a = 0; a < 3; a++)
		for (int bi = 0; bi < 3; bi++)
			for (int o = 0; o < 3; o++)
				for (int bias = 0; bias < 2; bias++) {
					int n = ns[a], in = ins[bi], out = outs[o];
					float *x = rand_f(&r, (size_t)n * in, -1, 1);
					float *w = rand_f(&r, (size_t)out * in, -1, 1);
					float *b = bias ? rand_f(&r, out, -1, 1) : NULL;
					float *dy = rand_f(&r, (size_t)n * out, -1, 1);
					float *y = alloc_f((size_t)n * out);
					float *dx = rand_f(&r, (size_t)n * in, -1, 1);
					float *dw = rand_f(&r, (size_t)out * in, -1, 1);
					float *db = rand_f(&r, out, -1, 1);
					float *dx0 = copy_f(dx, (size_t)n * in);
					float *dw0 = copy_f(dw, (size_t)out * in);
					float *db0 = copy_f(db, out);
					double tol = 1e-5 * (1 + n + in + out);

					for (int i = 0; i < n * out; i++)
						y[i] = NAN;
					dbv_linear_forward(n, in, out, x, w, b, y);
					dbv_linear_backward(n, in, out, x, w, dy, dx, dw, db);
					for (int i = 0; i < n; i++)
						for (int j = 0; j < out; j++) {
							double s = b ? b[j] : 0;

							for (int p = 0; p < in; p++)
								s += (double)x[i * in + p] * w[j * in + p];
							nbad += !(fabs(y[i * out + j] - s) <= tol);
						}
					for (int i = 0; i < n; i++)
						for (int p = 0; p < in; p++) {
							double s = dx0[i * in + p];

							for (int j = 0; j < out; j++)
								s += (double)dy[i * out + j] * w[j * in + p];
							nbad += !(fabs(dx[i * in + p] - s) <= tol);
						}
					for (int j = 0; j < out; j++) {
						double sb = db0[j];

						for (int p = 0; p < in; p++) {
							double s = dw0[j * in + p];

							for (int i = 0; i < n; i++)
								s += (double)dy[i * out + j] * x[i * in + p];
							nbad += !(fabs(dw[j * in + p] - s) <= tol);
						}
						for (int i = 0; i < n; i++)
							sb += dy[i * out + j];
						nbad += !(fabs(db[j] - sb) <= tol);
					}
					free(x), free(w), free(b), free(dy), free(y);
					free(dx), free(dw), free(db);
					free(dx0), free(dw0), free(db0);
				}
	CHECK_EQ_INT(nbad, 0);
}

/* ---- the token layers (lib/nn/tokens.c, attn.c) ------------------------- */

enum { T_LN, T_GELU, T_DROP, T_PATCH, T_CLSPOS, T_TOKEN0, T_TOKMEAN,
       T_TOKMIX, T_ATTN, T_NLAYERS };

/* A token layer under test: x (and w, b where it has them) -> y.  Sizes:
 * n items of t tokens of d features; tout for token mixing; heads of dh
 * for attention (then d = 3*heads*dh); c, h, w, p for patches. */
struct tok_fd {
	int kind, n, t, d, tout, heads, dh, c, h, w, p;
	size_t xs, ws, bs, ys;
	float *x, *wt, *b, *y, *r, *aux;
};

static void tok_forward(struct tok_fd *f)
{
	switch (f->kind) {
	case T_LN:
		dbv_layernorm_forward((size_t)f->n * f->t, f->d, f->x, f->wt, f->b,
				      f->y, f->aux);
		break;
	case T_GELU: dbv_gelu_forward(f->xs, f->x, f->y); break;
	case T_DROP: dbv_dropout_forward(f->xs, 0.3f, 77, 2, f->x, f->y); break;
	case T_PATCH:
		dbv_patchify_forward(f->n, f->c, f->h, f->w, f->p, f->x, f->y);
		break;
	case T_CLSPOS:
		dbv_clspos_forward(f->n, f->t, f->d, f->x, f->wt, f->b, f->y);
		break;
	case T_TOKEN0: dbv_token0_forward(f->n, f->t, f->d, f->x, f->y); break;
	case T_TOKMEAN: dbv_tokmean_forward(f->n, f->t, f->d, f->x, f->y); break;
	case T_TOKMIX:
		dbv_tokmix_forward(f->n, f->t, f->tout, f->d, f->x, f->wt, f->b,
				   f->y);
		break;
	case T_ATTN:
		dbv_attn_forward(f->n, f->t, f->heads, f->dh, f->x, f->y, f->aux);
		break;
	}
}

static void tok_backward(struct tok_fd *f, float *dx, float *dw, float *db)
{
	size_t ss = dbv_attn_scratch(f->t) * 3 +
		    dbv_tokmix_scratch(f->n, f->t, f->tout, f->d);
	float *scratch = alloc_f(ss);

	switch (f->kind) {
	case T_LN:
		dbv_layernorm_backward((size_t)f->n * f->t, f->d, f->x, f->wt,
				       f->aux, f->r, dx, dw, db);
		break;
	case T_GELU: dbv_gelu_backward(f->xs, f->x, f->r, dx); break;
	case T_DROP: dbv_dropout_backward(f->xs, 0.3f, 77, 2, f->r, dx); break;
	case T_PATCH:
		dbv_patchify_backward(f->n, f->c, f->h, f->w, f->p, f->r, dx);
		break;
	case T_CLSPOS:
		dbv_clspos_backward(f->n, f->t, f->d, f->r, dx, dw, db);
		break;
	case T_TOKEN0: dbv_token0_backward(f->n, f->t, f->d, f->r, dx); break;
	case T_TOKMEAN: dbv_tokmean_backward(f->n, f->t, f->d, f->r, dx); break;
	case T_TOKMIX:
		dbv_tokmix_backward(f->n, f->t, f->tout, f->d, f->x, f->wt, f->r,
				    dx, dw, db, scratch);
		break;
	case T_ATTN:
		dbv_attn_backward(f->n, f->t, f->heads, f->dh, f->x, f->aux, f->r,
				  dx, scratch, ss);
		break;
	}
	free(scratch);
}

static double tok_loss(void *v)
{
	struct tok_fd *f = v;

	tok_forward(f);
	return dot_fd(f->y, f->r, f->ys);
}

/* Finite differences of every token layer, with gradients that start
 * nonzero (backward adds). */
static void test_token_fd(void)
{
	static const char *const names[T_NLAYERS] = {
		"layernorm", "gelu", "dropout", "patches", "clspos", "token0",
		"tokmean", "tokmix", "attention"};
	struct dbv_rng r;

	dbv_rng_seed(&r, 31);
	for (int k = 0; k < T_NLAYERS; k++) {
		struct tok_fd f = { .kind = k, .n = 2, .t = 5, .d = 6, .tout = 7,
				    .heads = 2, .dh = 3, .c = 2, .h = 4, .w = 6,
				    .p = 2 };
		float *dx, *dw = NULL, *db = NULL, *gx, *gw = NULL, *gb = NULL;
		char what[64];

		if (k == T_ATTN)
			f.d = 3 * f.heads * f.dh;
		f.xs = (size_t)f.n * f.t * f.d;
		f.ys = f.xs;
		if (k == T_PATCH)
			f.xs = f.ys = (size_t)f.n * f.c * f.h * f.w;
		if (k == T_LN)
			f.ws = f.bs = f.d;
		if (k == T_CLSPOS)
			f.ws = f.d, f.bs = (size_t)(f.t + 1) * f.d,
			f.ys = (size_t)f.n * (f.t + 1) * f.d;
		if (k == T_TOKEN0 || k == T_TOKMEAN)
			f.ys = (size_t)f.n * f.d;
		if (k == T_TOKMIX)
			f.ws = (size_t)f.tout * f.t, f.bs = f.tout,
			f.ys = (size_t)f.n * f.tout * f.d;
		if (k == T_ATTN)
			f.ys = (size_t)f.n * f.t * f.heads * f.dh;
		f.x = rand_f(&r, f.xs, -2, 2);
		f.wt = f.ws ? rand_f(&r, f.ws, -1, 1) : NULL;
		f.b = f.bs ? rand_f(&r, f.bs, -1, 1) : NULL;
		f.r = rand_f(&r, f.ys, -1, 1);
		f.y = alloc_f(f.ys);
		f.aux = alloc_f((size_t)f.n * f.t * f.t * f.heads + 2 * f.xs);
		tok_forward(&f);
		dx = rand_f(&r, f.xs, -1, 1);
		gx = copy_f(dx, f.xs);
		if (f.ws)
			dw = rand_f(&r, f.ws, -1, 1), gw = copy_f(dw, f.ws);
		if (f.bs)
			db = rand_f(&r, f.bs, -1, 1), gb = copy_f(db, f.bs);
		tok_backward(&f, dx, dw, db);
		/* what backward added */
		for (size_t i = 0; i < f.xs; i++)
			dx[i] -= gx[i];
		for (size_t i = 0; i < f.ws; i++)
			dw[i] -= gw[i];
		for (size_t i = 0; i < f.bs; i++)
			db[i] -= gb[i];
		snprintf(what, sizeof what, "%s dx", names[k]);
		CHECK_EQ_INT(fd_check(what, f.x, f.xs, dx, tok_loss, &f, 1e-3f,
				      2e-3, 2e-3), 0);
		snprintf(what, sizeof what, "%s dw", names[k]);
		if (f.ws)
			CHECK_EQ_INT(fd_check(what, f.wt, f.ws, dw, tok_loss, &f,
					      1e-3f, 2e-3, 2e-3), 0);
		snprintf(what, sizeof what, "%s db", names[k]);
		if (f.bs)
			CHECK_EQ_INT(fd_check(what, f.b, f.bs, db, tok_loss, &f,
					      1e-3f, 2e-3, 2e-3), 0);
		free(f.x), free(f.wt), free(f.b), free(f.r), free(f.y), free(f.aux);
		free(dx), free(dw), free(db), free(gx), free(gw), free(gb);
	}
}

/* LayerNorm and attention against their double references, on shapes
 * big enough for several threads; the fast ones rerun bit-identically. */
static void test_token_refs(void)
{
	struct dbv_rng r;
	const int n = 9, t = 17, heads = 3, dh = 20, d = 96;
	const size_t as = (size_t)n * t * 3 * heads * dh, ys = (size_t)n * t * heads * dh;
	float *qkv, *y, *y2, *yr, *p, *x, *w, *b, *ly, *lr, *st;
	int bad = 0;

	dbv_rng_seed(&r, 32);
	qkv = rand_f(&r, as, -2, 2);
	y = alloc_f(ys), y2 = alloc_f(ys), yr = alloc_f(ys);
	p = alloc_f((size_t)n * heads * t * t);
	dbv_attn_forward(n, t, heads, dh, qkv, y, p);
	dbv_attn_forward(n, t, heads, dh, qkv, y2, p);
	dbv_attn_forward_ref(n, t, heads, dh, qkv, yr);
	CHECK(!memcmp(y, y2, ys * sizeof *y));
	for (size_t i = 0; i < ys; i++)
		bad += fabsf(y[i] - yr[i]) > 1e-5f * (1 + fabsf(yr[i]));
	CHECK_EQ_INT(bad, 0);

	x = rand_f(&r, (size_t)n * t * d, -3, 5);
	w = rand_f(&r, d, 0.5f, 1.5f);
	b = rand_f(&r, d, -1, 1);
	ly = alloc_f((size_t)n * t * d), lr = alloc_f((size_t)n * t * d);
	st = alloc_f((size_t)n * t * 2);
	dbv_layernorm_forward((size_t)n * t, d, x, w, b, ly, st);
	dbv_layernorm_forward_ref((size_t)n * t, d, x, w, b, lr);
	bad = 0;
	for (size_t i = 0; i < (size_t)n * t * d; i++)
		bad += fabsf(ly[i] - lr[i]) > 1e-5f * (1 + fabsf(lr[i]));
	CHECK_EQ_INT(bad, 0);
	free(qkv), free(y), free(y2), free(yr), free(p);
	free(x), free(w), free(b), free(ly), free(lr), free(st);
}

/* Dropout: the kept fraction near 1 - p, kept values scaled by
 * 1/(1 - p) exactly, the mask a function of (seed, site, index) alone,
 * eval-free (p = 0 keeps everything), GELU at known points. */
static void test_token_known(void)
{
	const size_t n = 100000;
	float *x = alloc_f(n), *y = alloc_f(n), *y2 = alloc_f(n);
	size_t kept = 0;
	float g[3], gx[3] = {-1, 0, 2};

	for (size_t i = 0; i < n; i++)
		x[i] = 1.0f + (float)(i % 7);
	dbv_dropout_forward(n, 0.25f, 5, 0, x, y);
	for (size_t i = 0; i < n; i++) {
		if (y[i] != 0) {
			kept++;
			CHECK(y[i] == x[i] * (float)(1.0 / 0.75));
		}
		CHECK((y[i] == 0) == (dbv_dropout_u(5, 0, i) < 0.25f));
	}
	CHECK(kept > 74000 && kept < 76000);
	dbv_dropout_forward(n, 0.25f, 5, 1, x, y2);
	CHECK(memcmp(y, y2, n * sizeof *y) != 0); /* another site */
	dbv_dropout_forward(n, 0.25f, 6, 0, x, y2);
	CHECK(memcmp(y, y2, n * sizeof *y) != 0); /* another seed */
	dbv_blas_set_threads(1);
	dbv_dropout_forward(n, 0.25f, 5, 0, x, y2);
	dbv_blas_set_threads(2);
	CHECK(!memcmp(y, y2, n * sizeof *y)); /* any thread count */
	/* GELU(x) = x Phi(x): Phi(-1) = 0.158655254, Phi(2) = 0.977249868 */
	dbv_gelu_forward(3, gx, g);
	CHECK(fabsf(g[0] + 0.158655254f) < 2e-7f);
	CHECK(g[1] == 0);
	CHECK(fabsf(g[2] - 2 * 0.977249868f) < 3e-7f);
	free(x), free(y), free(y2);
	/* GELU against erf() in double over [-9, 9]; exp within 2 ulp
	 * (plus FLT_MIN near the clamp) over [-87.3, 88] */
	{
		float v[1801], gv[1801];
		int bad = 0;

		for (int i = 0; i < 1801; i++)
			v[i] = (float)(i - 900) / 100;
		dbv_gelu_forward(1801, v, gv);
		for (int i = 0; i < 1801; i++) {
			double want = v[i] * 0.5 * (1 + erf(v[i] / sqrt(2.0)));

			bad += fabs(gv[i] - want) > 1e-7 * fabs(v[i]) + 2e-7 * fabs(want);
		}
		CHECK_EQ_INT(bad, 0);
		bad = 0;
		for (double e = -87.3; e <= 88; e += 0.0137) {
			double want = exp((float)e);

			bad += fabs(dbv_expf_poly((float)e) - want) >
			       2 * FLT_EPSILON * want + FLT_MIN;
		}
		CHECK_EQ_INT(bad, 0);
		CHECK(dbv_expf_poly(-100) < 2e-38f && dbv_expf_poly(0) == 1);
	}
}

/*
 * Evaluation's token linear (dbv_tlinear_forward_packed) against sums in
 * double from the definition: y = x w^T + b, then GELU (x Phi(x) with
 * erf) or + res; shapes with partial row blocks (rows not a multiple of
 * 8), a last panel of 16 features, in = 1 and no bias.  Within 2e-6 of
 * the sum of |terms| (float products, sums over at most 300 terms) plus
 * Phi's 7.5e-8.
 */
static void test_tlinear_packed(void)
{
	static const int sh[][3] = { /* rows, in, out */
		{ 1, 1, 16 }, { 7, 16, 32 }, { 8, 33, 48 }, { 13, 128, 80 },
		{ 50, 128, 384 }, { 29, 256, 128 }, { 3, 300, 16 },
	};
	struct dbv_rng r;
	int bad = 0, cases = 0;

	if (!dbv_tlinear_packable(16, 16)) {
		printf("tlinear packed: SKIPPED (no AVX-512F)\n");
		return;
	}
	CHECK(!dbv_tlinear_packable(16, 24) && !dbv_tlinear_packable(0, 16));
	dbv_rng_seed(&r, 41);
	for (size_t c = 0; c < sizeof sh / sizeof sh[0]; c++)
		for (int ep = DBV_TL_NONE; ep <= DBV_TL_RES; ep++)
			for (int hasb = 0; hasb < 2; hasb++) {
				const int rows = sh[c][0], in = sh[c][1], out = sh[c][2];
				const size_t ny = (size_t)rows * out;
				float *x = rand_f(&r, (size_t)rows * in, -2, 2);
				float *w = rand_f(&r, (size_t)out * in, -0.3f, 0.3f);
				float *b = rand_f(&r, out, -1, 1);
				float *res = rand_f(&r, ny, -1, 1);
				float *wp = alloc_f((size_t)in * out), *y = alloc_f(ny);

				dbv_tlinear_pack(in, out, w, wp);
				dbv_tlinear_forward_packed(rows, in, out, x, wp,
							   hasb ? b : NULL, ep,
							   ep == DBV_TL_RES ? res : NULL, y);
				for (int i = 0; i < rows; i++)
					for (int j = 0; j < out; j++) {
						double s = hasb ? b[j] : 0, a = fabs(s), e;

						for (int k = 0; k < in; k++) {
							double t = (double)x[(size_t)i * in + k] *
								   w[(size_t)j * in + k];
							s += t, a += fabs(t);
						}
						if (ep == DBV_TL_GELU) {
							e = 2e-6 * a * 1.5 + 1e-7 * fabs(s);
							s = s * 0.5 * (1 + erf(s * M_SQRT1_2));
						} else {
							if (ep == DBV_TL_RES)
								s += res[(size_t)i * out + j],
								a += fabs(res[(size_t)i * out + j]);
							e = 2e-6 * a;
						}
						bad += fabs(y[(size_t)i * out + j] - s) > e + 1e-7;
					}
				cases++;
				free(x), free(w), free(b), free(res), free(wp), free(y);
			}
	CHECK_EQ_INT(bad, 0);
	printf("tlinear packed against double sums: %d cases, %d bad\n", cases, bad);
}

/*
 * Evaluation's attention (dbv_attn_forward_eval: scores in registers, P
 * not kept) against the double reference, as test_token_refs holds the
 * sgemm forward: token counts that fill 1 to 4 vectors of 16 and leave
 * parts (1, 17, 33, 50, 64), dh 16 to 64, partial row blocks of 4.
 */
static void test_attn_eval(void)
{
	static const int sh[][4] = { /* n, t, heads, dh */
		{ 3, 50, 4, 32 }, { 2, 17, 3, 16 }, { 1, 64, 1, 64 },
		{ 2, 1, 2, 16 }, { 2, 33, 2, 48 },
	};
	struct dbv_rng r;
	int bad = 0;

	if (!dbv_attn_eval_fast(50, 32)) {
		printf("attention eval: SKIPPED (no AVX-512F)\n");
		return;
	}
	CHECK(!dbv_attn_eval_fast(65, 32) && !dbv_attn_eval_fast(50, 24) &&
	      !dbv_attn_eval_fast(50, 80));
	dbv_rng_seed(&r, 43);
	for (size_t c = 0; c < sizeof sh / sizeof sh[0]; c++) {
		const int n = sh[c][0], t = sh[c][1], heads = sh[c][2], dh = sh[c][3];
		const size_t ys = (size_t)n * t * heads * dh;
		float *qkv = rand_f(&r, ys * 3, -2, 2);
		float *y = alloc_f(ys), *yr = alloc_f(ys);

		dbv_attn_forward_eval(n, t, heads, dh, qkv, y);
		dbv_attn_forward_ref(n, t, heads, dh, qkv, yr);
		for (size_t i = 0; i < ys; i++)
			bad += !(fabsf(y[i] - yr[i]) <= 1e-5f * (1 + fabsf(yr[i])));
		free(qkv), free(y), free(yr);
	}
	CHECK_EQ_INT(bad, 0);
	printf("attention eval against the reference: %zu shapes, %d bad\n",
	       sizeof sh / sizeof sh[0], bad);
}

int main(int argc, char **argv)
{
	(void)argc;
	dbv_blas_fix_core(argv);
	dbv_blas_set_threads(2);
	test_conv_init();
	test_conv_known();
	test_conv_shapes();
	test_conv_direct();
	test_conv_s2();
	test_conv_chunks();
	test_conv_repeat();
	test_conv_set();
	test_threads_bitwise();
	test_conv_fd();
	test_linear_shapes();
	test_linear_fd();
	test_bn_fd();
	test_bn_stats();
	test_bn_accumulates();
	test_pool_fd();
	test_xent_fd();
	test_xent_values();
	test_xent_large();
	test_pools_known();
	test_maxpool_vs_loop();
	test_set_forms();
	test_relu_known();
	test_layouts();
	test_token_fd();
	test_token_refs();
	test_token_known();
	test_tlinear_packed();
	test_attn_eval();
	return check_done();
}
