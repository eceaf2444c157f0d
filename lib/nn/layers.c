/*
 * layers.c - forward/backward pairs of the layers dbv's nets are built
 * from, and the naive references the tests hold the fast ones against.
 *
 * Layouts (see dbv.h): spatial activations are [C, N, H, W] ("CNHW"),
 * flat ones [N, F]; weights have PyTorch's layouts.  Backward functions
 * add into their gradients; a NULL gradient is not computed.
 *
 * A 3x3 convolution of stride 1 and padding 1 runs the direct kernels of
 * lib/nn/conv3.c instead, forward and backward (db aside), when the CPU has
 * AVX-512 (dbv_conv_is_direct3); so does a 3x3 of stride 2 and padding 1
 * (dbv_conv_is_direct_s2: on the even/odd phases of x); the rest of this comment is about the general path.
 *
 * Convolution is im2col + one gemm per chunk of images.  In CNHW the
 * columns of a chunk of nb images (n0 .. n0+nb-1) are a contiguous range
 * of every channel row, so the gemm reads and writes y/dy in place with a
 * leading dimension of n*oh*ow:
 *
 *              K = cin*k*k        nb*oh*ow             n*oh*ow
 *            +-------------+   +-----------+   +-----+-----------+-----+
 *   cout     |     wt      | x |    col    | = |     | y chunk   |     |
 *            +-------------+   |  (im2col  |   +-----+-----------+-----+
 *                            K |  of the   |          ^ column n0*oh*ow
 *                              |  chunk)   |
 *                              +-----------+
 *
 *   backward:  dwt  += dy_chunk * col^T           (gemm, beta = 1)
 *              dcol  = wt^T * dy_chunk            (gemm into col's buffer)
 *              dx   += col2im(dcol)
 *              db   += row sums of dy             (once, whole batch)
 *
 * The chunk holds as many images as fit COL_TARGET floats of columns (at
 * least one), so the buffer stays in the outer caches whatever n is; a
 * 1x1 convolution of stride 1 without padding needs no columns at all (x
 * is its own col).  The chunk size depends only on the layer's shape and
 * n, and OpenBLAS with a fixed thread count computes each element of C in
 * a fixed order, so results are bit-reproducible.
 *
 * Statistics (batch norm, pooled means, the loss) accumulate in double,
 * in a fixed order, with several independent accumulators so that the
 * loops are not bound by the latency of one addition chain.
 *
 * Threads (lib/base/par.h): every loop over a whole activation runs on up to
 * dbv_threads() threads of dbv's pool with a static split --
 * elementwise loops by ranges, batch norm and the pools by channels (a
 * channel's sums stay in one thread, in their one-thread order), the
 * convolutions as follows.  Forward: each thread takes a contiguous run
 * of images and its own nb/T images of the scratch, and does im2col and a
 * single-threaded gemm for them, so the two need no synchronisation.
 * Backward: the chunks of images are the same as in one thread and each
 * thread takes a range of the column matrix's rows (whole input channels
 * when dx is wanted, since col2im adds a channel's k*k rows into the same
 * dx): it builds those rows, adds their part of dwt (dwt[:, rows]) and
 * computes and scatters their part of dcol into its channels of dx.
 * Every dwt element is still summed over the chunks in order, and no
 * thread waits for another.
 */
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdint.h>
#include <string.h>

#include "nn/nn_internal.h"

/*
 * Columns per chunk, in floats (8 MiB).  Measured with 2 BLAS threads on
 * the machine this was written on (2 cores of an AVX-512 EPYC, OpenBLAS
 * 0.3.21 Haswell kernels): against 512 Ki floats, 2 Mi ran the 3x3
 * convolutions of bench/layers.sh 5-10% faster (fewer, larger gemm
 * calls, each of which wakes OpenBLAS's threads), 128 Ki 20-35% slower,
 * 8 Mi no faster.  With one thread the size made no difference.  With
 * dbv's own threads (each with its share of a chunk, OpenBLAS
 * single-threaded) 512 Ki to 2 Mi were within 3% of each other, 256 Ki
 * 3-8% and 4 Mi 5-15% slower; 2 Mi stayed.
 */
#define COL_TARGET ((size_t)2 * 1024 * 1024)

/* ---- helpers --------------------------------------------------------- */

/* Sum of x[0..m) in double with 8 accumulators, combined pairwise. */
static double sum_d(const float *restrict x, size_t m)
{
	double a[8] = { 0 };
	size_t i = 0;

	for (; i + 8 <= m; i += 8)
		for (int j = 0; j < 8; j++)
			a[j] += x[i + j];
	for (int j = 0; i < m; i++, j++)
		a[j] += x[i];
	return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

/*
 * Mean and biased variance of x[0..m) in one pass, in double: sums of
 * d = x - x[0] and of d*d (8 accumulators each, combined pairwise), then
 * var = E[d^2] - E[d]^2.  Shifting by a sample keeps the subtraction
 * from cancelling when the mean is large against the spread; a float's
 * square is exact in double.  One read of x instead of the two of a
 * two-pass variance: batch norm's forward reads the largest activations.
 */
static void mean_var_d(const float *restrict x, size_t m, double *mean,
		       double *var)
{
	double a[8] = { 0 }, c[8] = { 0 };
	const double s = x[0];
	size_t i = 0;

	for (; i + 8 <= m; i += 8)
		for (int j = 0; j < 8; j++) {
			double d = x[i + j] - s;

			a[j] += d;
			c[j] += d * d;
		}
	for (int j = 0; i < m; i++, j++) {
		double d = x[i] - s;

		a[j] += d;
		c[j] += d * d;
	}
	double sa = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
	double sc = ((c[0] + c[1]) + (c[2] + c[3])) + ((c[4] + c[5]) + (c[6] + c[7]));
	double md = sa / (double)m, v = sc / (double)m - md * md;

	*mean = s + md;
	*var = v > 0 ? v : 0;
}

/*
 * Accumulate y and y * (x - mu) over len elements into a[8], c[8] (double;
 * element i into accumulator i % 8 of the call, so a run split into
 * calls of multiples of 8 sums in the order of one call).
 */
static void acc_dot_dev(const float *restrict y, const float *restrict x,
			size_t len, double mu, double *restrict a,
			double *restrict c)
{
	size_t i = 0;

	for (; i + 8 <= len; i += 8)
		for (int j = 0; j < 8; j++) {
			a[j] += y[i + j];
			c[j] += y[i + j] * (x[i + j] - mu);
		}
	for (int j = 0; i < len; i++, j++) {
		a[j] += y[i];
		c[j] += y[i] * (x[i] - mu);
	}
}

/* The pairwise combination of 8 accumulators (the order of sum_d). */
static double combine8(const double *a)
{
	return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

/*
 * A fused ReLU's mask, in blocks: t = dy where ry > 0, else 0 (what
 * dbv_relu_backward_set would have written), BN_BLOCK elements at a time
 * into a buffer that stays in L1, so that the batch-norm loops run on
 * it unchanged (vectorised) and in the same order.
 */
enum { BN_BLOCK = 2048 };

static void relu_mask(float *restrict t, const float *restrict dy,
		      const float *restrict ry, size_t len)
{
	size_t i = 0;

	for (; i + 8 <= len; i += 8)
		for (int k = 0; k < 8; k++) {
			float g = dy[i + k];

			t[i + k] = ry[i + k] > 0.0f ? g : 0.0f;
		}
	for (; i < len; i++)
		t[i] = ry[i] > 0.0f ? dy[i] : 0.0f;
}

/*
 * *sy = sum of g and *syx = sum of g * (x - mu), in double, in one pass
 * (each with the accumulators and order of sum_d); g = dy, or with a ReLU
 * fused after the BN (ry, its output, non-NULL) dy masked by ry > 0.
 */
static void sum_dot_dev_d(const float *restrict dy, const float *restrict ry,
			  const float *restrict x, size_t m, double mu,
			  double *sy, double *syx)
{
	double a[8] = { 0 }, c[8] = { 0 };

	if (!ry) {
		acc_dot_dev(dy, x, m, mu, a, c);
	} else {
		float t[BN_BLOCK];

		for (size_t o = 0; o < m; o += BN_BLOCK) {
			size_t len = m - o < BN_BLOCK ? m - o : BN_BLOCK;

			relu_mask(t, dy + o, ry + o, len);
			acc_dot_dev(t, x + o, len, mu, a, c);
		}
	}
	*sy = combine8(a);
	*syx = combine8(c);
}

/*
 * y = (x - mu) * scale + shift over m elements; y may be x.  The loops in
 * this file that run over whole activations are written in blocks of 8
 * so that gcc's -O2 vectorises them (its cost model leaves loops with
 * an unknown count scalar); the block is loaded before it is stored, so
 * in-place use stays right.
 */
static void affine(float *y, const float *x, size_t m, float mu,
		   float scale, float shift)
{
	size_t i = 0;

	for (; i + 8 <= m; i += 8) {
		float t[8];

		for (int j = 0; j < 8; j++)
			t[j] = x[i + j];
		for (int j = 0; j < 8; j++)
			y[i + j] = (t[j] - mu) * scale + shift;
	}
	for (; i < m; i++)
		y[i] = (x[i] - mu) * scale + shift;
}

/* affine() followed by max(y, 0), in one pass: the same values as the
 * two passes. */
static void affine_relu(float *y, const float *x, size_t m, float mu,
			float scale, float shift)
{
	size_t i = 0;

	for (; i + 8 <= m; i += 8) {
		float t[8];

		for (int j = 0; j < 8; j++)
			t[j] = (x[i + j] - mu) * scale + shift;
		for (int j = 0; j < 8; j++)
			y[i + j] = t[j] > 0.0f ? t[j] : 0.0f;
	}
	for (; i < m; i++) {
		float t = (x[i] - mu) * scale + shift;

		y[i] = t > 0.0f ? t : 0.0f;
	}
}

/* ---- convolution ----------------------------------------------------- */

int dbv_conv_init(struct dbv_conv *c, int cin, int cout, int k, int stride,
		  int pad, int h, int w)
{
	long long oh, ow, kk;

	memset(c, 0, sizeof *c);
	if (cin < 1 || cout < 1 || k < 1 || stride < 1 || pad < 0 || h < 1 ||
	    w < 1)
		return dbv_seterr(DBV_EUSAGE,
				  "conv: bad parameters (cin %d, cout %d, k %d, "
				  "stride %d, pad %d, input %dx%d)",
				  cin, cout, k, stride, pad, h, w);
	if ((long long)h + 2LL * pad < k || (long long)w + 2LL * pad < k)
		return dbv_seterr(DBV_EUSAGE,
				  "conv: %dx%d kernel larger than the padded "
				  "%dx%d input", k, k, h, w);
	oh = ((long long)h + 2LL * pad - k) / stride + 1;
	ow = ((long long)w + 2LL * pad - k) / stride + 1;
	kk = (long long)cin * k * k;
	/* BLAS dimensions are ints. */
	if (kk > 0x7fffffff || oh * ow > 0x7fffffff ||
	    (long long)h * w > 0x7fffffff)
		return dbv_seterr(DBV_EUSAGE, "conv: layer too large");
	c->cin = cin;
	c->cout = cout;
	c->k = k;
	c->stride = stride;
	c->pad = pad;
	c->h = h;
	c->w = w;
	c->oh = (int)oh;
	c->ow = (int)ow;
	return DBV_OK;
}

/* x is its own column matrix: [cin, n*h*w] = [K, n*oh*ow]. */
static int conv_is_direct(const struct dbv_conv *c)
{
	return c->k == 1 && c->stride == 1 && c->pad == 0;
}

/* Images per chunk. */
static int conv_chunk(const struct dbv_conv *c, int n)
{
	size_t per = (size_t)c->cin * c->k * c->k * c->oh * c->ow;
	size_t nb = COL_TARGET / per;

	if (nb < 1)
		nb = 1;
	return nb < (size_t)n ? (int)nb : n;
}

/* The im2col columns of a chunk. */
static size_t conv_cols(const struct dbv_conv *c, int n)
{
	if (n < 1 || conv_is_direct(c))
		return 0;
	return (size_t)c->cin * c->k * c->k * c->oh * c->ow * conv_chunk(c, n);
}

/*
 * Scratch must serve whichever path runs, and dbv_conv_direct_force may
 * change that after the caller sized it: where the CPU could run the
 * direct kernels and the shape fits, the size is the larger of both
 * paths' (pages the running path never touches cost no memory).
 */
static int conv3_possible(const struct dbv_conv *c)
{
	return c->k == 3 && c->stride == 1 && c->pad == 1 &&
	       dbv_conv_direct_cpu();
}

static int conv_s2_possible(const struct dbv_conv *c)
{
	return c->k == 3 && c->stride == 2 && c->pad == 1 &&
	       dbv_conv_direct_cpu();
}

size_t dbv_conv_scratch_fwd(const struct dbv_conv *c, int n)
{
	size_t cols = conv_cols(c, n), pack;

	if (n < 1)
		return cols;
	if (conv_s2_possible(c)) {
		pack = dbv_conv_s2_scratch(c, n);
		return cols > pack ? cols : pack;
	}
	if (!conv3_possible(c))
		return cols;
	pack = dbv_conv3_scratch(c, 0);
	return cols > pack ? cols : pack;
}

size_t dbv_conv_scratch(const struct dbv_conv *c, int n)
{
	size_t most = dbv_conv_scratch_fwd(c, n);

	if (n >= 1 && conv3_possible(c) && dbv_conv3_scratch(c, 1) > most)
		most = dbv_conv3_scratch(c, 1);
	return most;
}

/*
 * The output columns ox whose input column ox*s - pad + kx lies inside
 * [0, w): [lo, hi) (empty when hi <= lo).
 */
static void conv_span(int w, int ow, int s, int pad, int kx, int *lo, int *hi)
{
	int a = pad - kx, b = w + pad - kx; /* need a <= ox*s < b */

	*lo = a > 0 ? (a + s - 1) / s : 0;
	*hi = b > 0 ? (b + s - 1) / s : 0;
	if (*hi > ow)
		*hi = ow;
	if (*lo > *hi)
		*lo = *hi;
}

/*
 * dst[0..len) += src[0..len).  Written in blocks of 8 so that gcc's -O2
 * (whose cost model leaves loops with an unknown count scalar) turns each
 * block into vector adds.
 */
static void add_to(float *restrict dst, const float *restrict src, size_t len)
{
	size_t i = 0;

	for (; i + 8 <= len; i += 8)
		for (int j = 0; j < 8; j++)
			dst[i + j] += src[i + j];
	for (; i < len; i++)
		dst[i] += src[i];
}

/*
 * Where kernel tap (ky, kx) reads real input: output rows [y0, y1) and
 * columns [lo, hi) of each image; the rest reads padding.
 *
 * A "same" convolution (stride 1, oh == h, ow == w) has a faster path.
 * There the tap's column row for a chunk of images is the chunk's input,
 * which is contiguous in CNHW, shifted by the constant
 * off = (ky - pad)*w + (kx - pad): col[j] = x[j + off].  So one memcpy
 * per channel and tap makes the row, and the positions that read padding
 * (which the shift filled with a neighbouring row's or image's values)
 * are zeroed after it.  col2im zeroes those positions of dcol instead and
 * then adds the whole row with one shifted add: adding +0 leaves a value
 * as it was.
 */
struct conv_tap {
	int y0, y1, lo, hi;
	ptrdiff_t off; /* same convolutions: the shift */
};

static int conv_is_same(const struct dbv_conv *c)
{
	return c->stride == 1 && c->oh == c->h && c->ow == c->w;
}

static void conv_tap(const struct dbv_conv *c, int ky, int kx,
		     struct conv_tap *t)
{
	conv_span(c->h, c->oh, c->stride, c->pad, ky, &t->y0, &t->y1);
	conv_span(c->w, c->ow, c->stride, c->pad, kx, &t->lo, &t->hi);
	if (t->y0 == t->y1 || t->lo == t->hi) {
		/* The tap sees only padding. */
		t->y0 = t->y1 = t->lo = t->hi = 0;
	}
	t->off = (ptrdiff_t)(ky - c->pad) * c->w + (kx - c->pad);
}

/*
 * Zero the positions of the tap's column row (nb images of oh x ow) that
 * read padding.
 */
static void zero_padding(float *d, int nb, int oh, int ow,
			 const struct conv_tap *t)
{
	enum { LIST = 1024 };
	const size_t ohw = (size_t)oh * ow;
	const size_t edges = (size_t)t->lo + (size_t)(ow - t->hi);
	const size_t cnt = (size_t)t->y0 * ow + (size_t)(oh - t->y1) * ow +
			   (size_t)(t->y1 - t->y0) * edges;
	uint32_t off[LIST];
	size_t q = 0;

	if (cnt == 0)
		return;
	if (cnt > LIST) {
		for (int i = 0; i < nb; i++) {
			float *di = d + i * ohw;

			memset(di, 0, (size_t)t->y0 * ow * sizeof *d);
			memset(di + (size_t)t->y1 * ow, 0,
			       (size_t)(oh - t->y1) * ow * sizeof *d);
			for (int oy = t->y0; oy < t->y1; oy++) {
				float *r = di + (size_t)oy * ow;

				for (int ox = 0; ox < t->lo; ox++)
					r[ox] = 0.0f;
				for (int ox = t->hi; ox < ow; ox++)
					r[ox] = 0.0f;
			}
		}
		return;
	}
	/*
	 * The usual case (a few rows and columns of a small map): the same
	 * positions in every image, listed once and then stored image by
	 * image.  Calling memset for a row of a few floats, and looping
	 * over every row for one float at each end, made this 15% of a
	 * ResNet-18 training step.
	 */
	for (int oy = 0; oy < oh; oy++) {
		if (oy < t->y0 || oy >= t->y1) {
			for (int ox = 0; ox < ow; ox++)
				off[q++] = (uint32_t)(oy * ow + ox);
			continue;
		}
		for (int ox = 0; ox < t->lo; ox++)
			off[q++] = (uint32_t)(oy * ow + ox);
		for (int ox = t->hi; ox < ow; ox++)
			off[q++] = (uint32_t)(oy * ow + ox);
	}
	for (int i = 0; i < nb; i++) {
		float *di = d + i * ohw;

		for (size_t k = 0; k < cnt; k++)
			di[off[k]] = 0.0f;
	}
}

/* The part [*j0, *j1) of a same convolution's column row of len
 * elements whose shifted source lies inside the chunk. */
static void same_range(ptrdiff_t off, size_t len, size_t *j0, size_t *j1)
{
	size_t a = off < 0 ? (size_t)-off : (size_t)off;

	if (a >= len) {
		*j0 = *j1 = 0;
		return;
	}
	*j0 = off < 0 ? a : 0;
	*j1 = off > 0 ? len - a : len;
}

/*
 * Rows [r0, r1) of col [cin*k*k, nb*oh*ow] (row r at col + r*ld, ld >=
 * nb*oh*ow) from images n0 .. n0+nb-1 of x [cin, n, h, w]:
 * col[(ci*k + ky)*k + kx][(i*oh + oy)*ow + ox] =
 *	x[ci][n0 + i][oy*s - pad + ky][ox*s - pad + kx]   (0 outside).
 */
static void im2col(const struct dbv_conv *c, int n, int n0, int nb, int r0,
		   int r1, const float *restrict x, float *restrict col,
		   size_t ld)
{
	const int k = c->k, s = c->stride, pad = c->pad, k2 = k * k;
	const int w = c->w, oh = c->oh, ow = c->ow;
	const size_t hw = (size_t)c->h * w, ohw = (size_t)oh * ow;
	const size_t len = nb * ohw;
	const int same = conv_is_same(c);

	for (int r = r0; r < r1; r++) {
		const int ci = r / k2, ky = r % k2 / k, kx = r % k;
		const float *xc = x + ((size_t)ci * n + n0) * hw;
		float *restrict d = col + (size_t)r * ld;
		struct conv_tap t;

		conv_tap(c, ky, kx, &t);
		if (same) {
			size_t j0, j1;

			same_range(t.off, len, &j0, &j1);
			memcpy(d + j0, xc + j0 + t.off, (j1 - j0) * sizeof *d);
			memset(d, 0, j0 * sizeof *d);
			memset(d + j1, 0, (len - j1) * sizeof *d);
			zero_padding(d, nb, oh, ow, &t);
			continue;
		}
		zero_padding(d, nb, oh, ow, &t);
		for (int i = 0; i < nb; i++)
			for (int oy = t.y0; oy < t.y1; oy++) {
				const float *src = xc + i * hw +
					(size_t)(oy * s - pad + ky) * w;
				float *dr = d + i * ohw + (size_t)oy * ow;

				if (s == 1) {
					memcpy(dr + t.lo, src + t.lo - pad + kx,
					       (size_t)(t.hi - t.lo) * sizeof *d);
					continue;
				}
				for (int ox = t.lo; ox < t.hi; ox++)
					dr[ox] = src[ox * s - pad + kx];
			}
	}
}

/*
 * Channels [ci0, ci1) of dx [cin, n, h, w] (images n0 .. n0+nb-1) += the
 * transpose of im2col applied to their rows of dcol [cin*k*k, nb*oh*ow]
 * (row r at dcol + r*ld), which are clobbered.  Each element of dx
 * receives its terms in the order of (ky, kx).
 */
static void col2im(const struct dbv_conv *c, int n, int n0, int nb, int ci0,
		   int ci1, float *restrict dcol, size_t ld, float *restrict dx)
{
	const int k = c->k, s = c->stride, pad = c->pad;
	const int w = c->w, oh = c->oh, ow = c->ow;
	const size_t hw = (size_t)c->h * w, ohw = (size_t)oh * ow;
	const size_t len = nb * ohw;
	const int same = conv_is_same(c);
	float *restrict d = dcol + (size_t)ci0 * k * k * ld;

	for (int ci = ci0; ci < ci1; ci++) {
		float *xc = dx + ((size_t)ci * n + n0) * hw;

		for (int ky = 0; ky < k; ky++)
			for (int kx = 0; kx < k; kx++, d += ld) {
				struct conv_tap t;

				conv_tap(c, ky, kx, &t);
				if (same) {
					size_t j0, j1;

					same_range(t.off, len, &j0, &j1);
					zero_padding(d, nb, oh, ow, &t);
					add_to(xc + j0 + t.off, d + j0, j1 - j0);
					continue;
				}
				for (int i = 0; i < nb; i++)
					for (int oy = t.y0; oy < t.y1; oy++) {
						float *dst = xc + i * hw +
							(size_t)(oy * s - pad + ky) * w;
						const float *dr = d + i * ohw + (size_t)oy * ow;

						if (s == 1) {
							add_to(dst + t.lo - pad + kx,
							       dr + t.lo,
							       (size_t)(t.hi - t.lo));
							continue;
						}
						for (int ox = t.lo; ox < t.hi; ox++)
							dst[ox * s - pad + kx] += dr[ox];
					}
			}
	}
}

/* Columns [j0, j1) of y [rows, ld] = b[r] on row r. */
static void fill_cols(int rows, size_t ld, size_t j0, size_t j1,
		      const float *b, float *y)
{
	for (int r = 0; r < rows; r++) {
		float v = b[r];
		float *yr = y + (size_t)r * ld;
		size_t j = j0;

		for (; j + 8 <= j1; j += 8)
			for (int t = 0; t < 8; t++)
				yr[j + t] = v;
		for (; j < j1; j++)
			yr[j] = v;
	}
}

/* What the threads of a convolution share. */
struct conv_job {
	const struct dbv_conv *c;
	int n, nb;
	const float *x, *wt, *b, *dy;
	float *y, *dx, *dwt, *db, *scratch;
	int set; /* backward: dx overwritten, not added into */
};

/* Bias: columns [lo, hi) of y [cout, n*oh*ow]. */
static void conv_bias_part(void *arg, size_t lo, size_t hi)
{
	const struct conv_job *j = arg;

	fill_cols(j->c->cout, (size_t)j->n * j->c->oh * j->c->ow, lo, hi,
		  j->b, j->y);
}

/* Forward, part t of nt: a contiguous run of images, in chunks of the
 * thread's own nb/nt images of the scratch. */
static void conv_fwd_part(void *arg, int t, int nt)
{
	const struct conv_job *j = arg;
	const struct dbv_conv *c = j->c;
	const int kk = c->cin * c->k * c->k, per = j->nb / nt;
	const size_t ohw = (size_t)c->oh * c->ow, ldy = ohw * j->n;
	float *mine = j->scratch + (size_t)t * per * kk * ohw;
	size_t lo, hi;

	par_range((size_t)j->n, t, nt, 1, &lo, &hi);
	for (size_t n0 = lo; n0 < hi; n0 += per) {
		int cnt = hi - n0 < (size_t)per ? (int)(hi - n0) : per;
		int cols = (int)(cnt * ohw);

		/* The bias just before the product that adds into it: the
		 * chunk's part of y is then still in cache. */
		if (j->b)
			fill_cols(c->cout, ldy, n0 * ohw, n0 * ohw + cols, j->b,
				  j->y);
		im2col(c, j->n, (int)n0, cnt, 0, kk, j->x, mine, (size_t)cols);
		dbv_sgemm1(0, 0, c->cout, cols, kk, 1.0f, j->wt, kk, mine, cols,
			   j->b ? 1.0f : 0.0f, j->y + n0 * ohw, (int)ldy);
	}
}

/*
 * x [cin, n, h, w], wt [cout, cin*k*k], b [cout] or NULL ->
 * y [cout, n, oh, ow]; scratch holds dbv_conv_scratch(c, n) floats (NULL
 * when that is 0).  n*h*w and n*oh*ow must fit in an int (BLAS sizes).
 */
void dbv_conv_forward(const struct dbv_conv *c, int n, const float *x,
		      const float *wt, const float *b, float *y, float *scratch)
{
	const int kk = c->cin * c->k * c->k;
	const size_t ohw = (size_t)c->oh * c->ow, ldy = ohw * n;
	const float beta = b ? 1.0f : 0.0f;
	struct conv_job j = { .c = c, .n = n, .x = x, .wt = wt, .b = b,
			      .y = y, .scratch = scratch };
	int nt;

	if (n < 1)
		return;
	if (dbv_conv_is_direct3(c)) {
		dbv_conv3_forward(c, n, x, wt, b, y, scratch);
		return;
	}
	if (dbv_conv_is_direct_s2(c)) {
		dbv_conv_s2_forward(c, n, x, wt, b, y, scratch);
		return;
	}
	if (conv_is_direct(c)) {
		if (b)
			par_for(par_threads((size_t)c->cout * ldy, PAR_MIN),
				ldy, 16, conv_bias_part, &j);
		dbv_sgemm(0, 0, c->cout, (int)ldy, kk, 1.0f, wt, kk, x,
			  (int)ldy, beta, y, (int)ldy);
		return;
	}
	j.nb = conv_chunk(c, n);
	/* Each thread needs at least one image of scratch. */
	nt = par_threads((size_t)kk * ldy, PAR_MIN);
	if (nt > j.nb)
		nt = j.nb;
	if (nt > 1) {
		par_run(nt, conv_fwd_part, &j);
		return;
	}
	/* One chunk at a time; dbv_sgemm may still split the products
	 * (when a chunk is a single large image). */
	for (int n0 = 0; n0 < n; n0 += j.nb) {
		int cnt = n - n0 < j.nb ? n - n0 : j.nb;
		int cols = (int)(cnt * ohw);

		if (b)
			fill_cols(c->cout, ldy, n0 * ohw, n0 * ohw + cols, b, y);
		im2col(c, n, n0, cnt, 0, kk, x, scratch, (size_t)cols);
		dbv_sgemm(0, 0, c->cout, cols, kk, 1.0f, wt, kk, scratch, cols,
			  beta, y + n0 * ohw, (int)ldy);
	}
}

/*
 * Backward, part t of nt: db for a range of output channels, and a range
 * of the rows of the column matrix (of x when direct) in units of `unit`
 * rows -- whole input channels when dx is wanted.
 */
static void conv_bwd_part(void *arg, int t, int nt)
{
	const struct conv_job *j = arg;
	const struct dbv_conv *c = j->c;
	const int n = j->n, k2 = c->k * c->k, kk = c->cin * k2;
	const int unit = j->dx ? k2 : 1;
	const size_t ohw = (size_t)c->oh * c->ow, ldy = ohw * n;
	const float *dy = j->dy;
	size_t lo, hi;
	int r0, r1;

	if (j->db) {
		par_range((size_t)c->cout, t, nt, 1, &lo, &hi);
		for (size_t co = lo; co < hi; co++)
			j->db[co] += (float)sum_d(dy + co * ldy, ldy);
	}
	par_range((size_t)(kk / unit), t, nt, 1, &lo, &hi);
	r0 = (int)lo * unit;
	r1 = (int)hi * unit;
	if (r1 <= r0 || (!j->dx && !j->dwt))
		return;
	if (conv_is_direct(c)) {
		if (j->dwt)
			dbv_sgemm1(0, 1, c->cout, r1 - r0, (int)ldy, 1.0f, dy,
				   (int)ldy, j->x + r0 * ldy, (int)ldy, 1.0f,
				   j->dwt + r0, kk);
		if (j->dx)
			dbv_sgemm1(1, 0, r1 - r0, (int)ldy, c->cout, 1.0f,
				   j->wt + r0, kk, dy, (int)ldy,
				   j->set ? 0.0f : 1.0f, j->dx + r0 * ldy,
				   (int)ldy);
		return;
	}
	/* Rows keep the stride of a full chunk, so that a thread on the
	 * short last chunk stays off the rows of one still on a full one. */
	const size_t ld = (size_t)j->nb * ohw;
	float *rows = j->scratch + (size_t)r0 * ld;

	for (int n0 = 0; n0 < n; n0 += j->nb) {
		int cnt = n - n0 < j->nb ? n - n0 : j->nb;
		int cols = (int)(cnt * ohw);
		const float *dyc = dy + n0 * ohw;

		if (j->dwt) {
			im2col(c, n, n0, cnt, r0, r1, j->x, j->scratch, ld);
			dbv_sgemm1(0, 1, c->cout, r1 - r0, cols, 1.0f, dyc,
				   (int)ldy, rows, (int)ld, 1.0f, j->dwt + r0,
				   kk);
		}
		if (j->dx) {
			dbv_sgemm1(1, 0, r1 - r0, cols, c->cout, 1.0f,
				   j->wt + r0, kk, dyc, (int)ldy, 0.0f, rows,
				   (int)ld);
			/* set: this chunk's part of dx is zeroed just before
			 * col2im adds into it, while it is in cache, instead
			 * of all of dx in a pass of its own beforehand. */
			if (j->set)
				for (int ci = r0 / k2; ci < r1 / k2; ci++)
					memset(j->dx + ((size_t)ci * n + n0) * c->h * c->w,
					       0, (size_t)cnt * c->h * c->w *
						  sizeof(float));
			col2im(c, n, n0, cnt, r0 / k2, r1 / k2, j->scratch, ld,
			       j->dx);
		}
	}
}

/*
 * x [cin, n, h, w], wt [cout, cin*k*k], dy [cout, n, oh, ow] ->
 * dx [cin, n, h, w] +=, dwt [cout, cin*k*k] +=, db [cout] +=.
 */
static void conv_backward(const struct dbv_conv *c, int n, const float *x,
			  const float *wt, const float *dy, float *dx,
			  float *dwt, float *db, float *scratch, int set)
{
	const int k2 = c->k * c->k, kk = c->cin * k2;
	const int units = dx ? c->cin : kk;
	struct conv_job j = { .c = c, .n = n, .x = x, .wt = wt, .dy = dy,
			      .dx = dx, .dwt = dwt, .db = db,
			      .scratch = scratch, .set = set };
	int nt;

	if (n < 1)
		return;
	if ((dx || dwt) && dbv_conv_is_direct3(c)) {
		if (db) /* db alone: the row sums of dy */
			conv_backward(c, n, x, wt, dy, NULL, NULL, db, scratch,
				      set);
		if (dwt)
			dbv_conv3_backward_dw(c, n, x, dy, dwt);
		if (dx)
			dbv_conv3_backward_dx(c, n, dy, wt, dx, scratch, set);
		return;
	}
	if ((dx || dwt) && dbv_conv_is_direct_s2(c)) {
		if (db)
			conv_backward(c, n, x, wt, dy, NULL, NULL, db, scratch,
				      set);
		dbv_conv_s2_backward(c, n, x, wt, dy, dx, dwt, scratch, set);
		return;
	}
	j.nb = conv_chunk(c, n);
	nt = par_threads((size_t)kk * c->oh * c->ow * n, PAR_MIN);
	if (nt > units)
		nt = units;
	par_run(nt, conv_bwd_part, &j);
}

void dbv_conv_backward(const struct dbv_conv *c, int n, const float *x,
		       const float *wt, const float *dy, float *dx, float *dwt,
		       float *db, float *scratch)
{
	conv_backward(c, n, x, wt, dy, dx, dwt, db, scratch, 0);
}

void dbv_conv_backward_set(const struct dbv_conv *c, int n, const float *x,
			   const float *wt, const float *dy, float *dx,
			   float *dwt, float *db, float *scratch)
{
	conv_backward(c, n, x, wt, dy, dx, dwt, db, scratch, 1);
}

/* The input row/column of output position o and kernel tap t; -1 when it
 * falls in the padding. */
static int conv_in(int o, int t, int s, int pad, int size)
{
	int i = o * s - pad + t;

	return i >= 0 && i < size ? i : -1;
}

/* Direct convolution, double accumulation.  Same shapes as the fast one. */
void dbv_conv_forward_ref(const struct dbv_conv *c, int n, const float *x,
			  const float *wt, const float *b, float *y)
{
	const int k = c->k;
	const size_t hw = (size_t)c->h * c->w, ohw = (size_t)c->oh * c->ow;

	for (int co = 0; co < c->cout; co++)
		for (int i = 0; i < n; i++)
			for (int oy = 0; oy < c->oh; oy++)
				for (int ox = 0; ox < c->ow; ox++) {
					double acc = b ? b[co] : 0.0;

					for (int ci = 0; ci < c->cin; ci++)
						for (int ky = 0; ky < k; ky++) {
							int iy = conv_in(oy, ky, c->stride, c->pad, c->h);

							if (iy < 0)
								continue;
							for (int kx = 0; kx < k; kx++) {
								int ix = conv_in(ox, kx, c->stride, c->pad, c->w);

								if (ix < 0)
									continue;
								acc += (double)wt[((size_t)co * c->cin + ci) * k * k + ky * k + kx] *
								       x[((size_t)ci * n + i) * hw + (size_t)iy * c->w + ix];
							}
						}
					y[((size_t)co * n + i) * ohw + (size_t)oy * c->ow + ox] = (float)acc;
				}
}

/*
 * Direct backward: each gradient element is gathered as one double sum
 * and added once.
 */
void dbv_conv_backward_ref(const struct dbv_conv *c, int n, const float *x,
			   const float *wt, const float *dy, float *dx,
			   float *dwt, float *db)
{
	const int k = c->k, s = c->stride, pad = c->pad;
	const size_t hw = (size_t)c->h * c->w, ohw = (size_t)c->oh * c->ow;

	if (db)
		for (int co = 0; co < c->cout; co++) {
			double acc = 0.0;

			for (size_t j = 0; j < (size_t)n * ohw; j++)
				acc += dy[co * n * ohw + j];
			db[co] += (float)acc;
		}
	if (dwt)
		for (int co = 0; co < c->cout; co++)
			for (int ci = 0; ci < c->cin; ci++)
				for (int ky = 0; ky < k; ky++)
					for (int kx = 0; kx < k; kx++) {
						double acc = 0.0;

						for (int i = 0; i < n; i++)
							for (int oy = 0; oy < c->oh; oy++) {
								int iy = conv_in(oy, ky, s, pad, c->h);

								if (iy < 0)
									continue;
								for (int ox = 0; ox < c->ow; ox++) {
									int ix = conv_in(ox, kx, s, pad, c->w);

									if (ix < 0)
										continue;
									acc += (double)dy[((size_t)co * n + i) * ohw + (size_t)oy * c->ow + ox] *
									       x[((size_t)ci * n + i) * hw + (size_t)iy * c->w + ix];
								}
							}
						dwt[((size_t)co * c->cin + ci) * k * k + ky * k + kx] += (float)acc;
					}
	if (dx)
		for (int ci = 0; ci < c->cin; ci++)
			for (int i = 0; i < n; i++)
				for (int iy = 0; iy < c->h; iy++)
					for (int ix = 0; ix < c->w; ix++) {
						double acc = 0.0;

						for (int co = 0; co < c->cout; co++)
							for (int ky = 0; ky < k; ky++) {
								int ty = iy + pad - ky, oy = ty / s;

								if (ty < 0 || ty % s || oy >= c->oh)
									continue;
								for (int kx = 0; kx < k; kx++) {
									int tx = ix + pad - kx, ox = tx / s;

									if (tx < 0 || tx % s || ox >= c->ow)
										continue;
									acc += (double)wt[((size_t)co * c->cin + ci) * k * k + ky * k + kx] *
									       dy[((size_t)co * n + i) * ohw + (size_t)oy * c->ow + ox];
								}
							}
						dx[((size_t)ci * n + i) * hw + (size_t)iy * c->w + ix] += (float)acc;
					}
}

/* ---- linear ---------------------------------------------------------- */

/* x [n, in], wt [out, in], b [out] or NULL -> y [n, out] = x wt^T + b. */
void dbv_linear_forward(int n, int in, int out, const float *x,
			const float *wt, const float *b, float *y)
{
	if (n < 1 || out < 1)
		return;
	if (b)
		for (int i = 0; i < n; i++)
			memcpy(y + (size_t)i * out, b, (size_t)out * sizeof *y);
	if (in < 1) {
		if (!b)
			memset(y, 0, (size_t)n * out * sizeof *y);
		return;
	}
	dbv_sgemm(0, 1, n, out, in, 1.0f, x, in, wt, in, b ? 1.0f : 0.0f, y,
		  out);
}

/* db [out] += the column sums of dy [n, out], in blocks of 64 columns
 * with the rows in order: each column's sum (in double) in the one
 * order, the rows read once per block (the token models' linears have
 * n*T rows), the block's columns side by side in vectors. */
DBV_VECTORIZE static void col_sums(int n, int out, const float *dy, float *db)
{
	for (int j0 = 0; j0 < out; j0 += 64) {
		int w = out - j0 < 64 ? out - j0 : 64;
		double acc[64] = {0};

		for (int i = 0; i < n; i++) {
			const float *r = dy + (size_t)i * out + j0;

			for (int j = 0; j < w; j++)
				acc[j] += r[j];
		}
		for (int j = 0; j < w; j++)
			db[j0 + j] += (float)acc[j];
	}
}

/*
 * dy [n, out] -> dx [n, in] += dy wt, dwt [out, in] += dy^T x,
 * db [out] += column sums of dy.
 */
void dbv_linear_backward(int n, int in, int out, const float *x,
			 const float *wt, const float *dy, float *dx,
			 float *dwt, float *db)
{
	if (n < 1 || out < 1)
		return;
	if (db)
		col_sums(n, out, dy, db);
	if (in < 1)
		return;
	if (dwt)
		dbv_sgemm(1, 0, out, in, n, 1.0f, dy, out, x, in, 1.0f, dwt, in);
	if (dx)
		dbv_sgemm(0, 0, n, in, out, 1.0f, dy, out, wt, in, 1.0f, dx, in);
}

/* ---- batch norm ------------------------------------------------------ */

/* What the threads of a batch norm share; each takes a range of
 * channels, and a channel's sums are computed by one thread in one
 * order. */
struct bn_job {
	size_t m;
	const float *x, *gamma, *beta, *dy;
	float *y, *dx, *dgamma, *dbeta;
	float *save_mean, *save_invstd, *run_mean, *run_var;
	const float *mean, *invstd; /* backward */
	const float *rmean, *rvar;  /* eval */
	float momentum, eps;
	const float *ry; /* backward: a fused ReLU's output (see relu_mask) */
	int set;  /* backward: dx = instead of dx += */
	int relu; /* forward: max(y, 0) in the same pass */
	double *stats; /* forward train: mean, var of each channel, shared */
	int fresh;     /* channels [0, fresh) compute theirs into stats */
};

static int bn_threads(int c, size_t m)
{
	int nt = par_threads((size_t)c * m, PAR_MIN);

	return nt > c ? c : nt;
}

static void bn_train_part(void *arg, size_t lo, size_t hi)
{
	const struct bn_job *j = arg;
	const size_t m = j->m;
	const double momentum = j->momentum;

	for (size_t ch = lo; ch < hi; ch++) {
		const float *xc = j->x + ch * m;
		float *yc = j->y + ch * m;
		double mu, var;

		if (j->stats && (int)ch >= j->fresh) {
			mu = j->stats[2 * ch];
			var = j->stats[2 * ch + 1];
		} else {
			mean_var_d(xc, m, &mu, &var);
			if (j->stats) {
				j->stats[2 * ch] = mu;
				j->stats[2 * ch + 1] = var;
			}
		}
		double invstd = 1.0 / sqrt(var + j->eps);
		const float fmu = (float)mu;
		const float scale = (float)(j->gamma[ch] * invstd);

		(j->relu ? affine_relu : affine)(yc, xc, m, fmu, scale,
						 j->beta[ch]);
		if (j->save_mean)
			j->save_mean[ch] = fmu;
		if (j->save_invstd)
			j->save_invstd[ch] = (float)invstd;
		if (j->run_mean)
			j->run_mean[ch] = (float)((1.0 - momentum) * j->run_mean[ch] +
						  momentum * mu);
		if (j->run_var) {
			double unb = m > 1 ? var * (double)m / (double)(m - 1)
					   : var;

			j->run_var[ch] = (float)((1.0 - momentum) * j->run_var[ch] +
						 momentum * unb);
		}
	}
}

/*
 * x [c, m] -> y [c, m]; save_mean, save_invstd [c] for backward (either
 * may be NULL when no backward follows); run_mean, run_var [c] updated
 * when non-NULL.  With m == 1 the unbiased variance is undefined; the
 * running variance then takes the biased one (0).
 */
static void bn_train(int c, size_t m, const float *x, const float *gamma,
		     const float *beta, float *y, float *save_mean,
		     float *save_invstd, float *run_mean, float *run_var,
		     float momentum, float eps, int relu, double *stats,
		     int fresh)
{
	struct bn_job j = { .m = m, .x = x, .gamma = gamma, .beta = beta,
			    .y = y, .save_mean = save_mean,
			    .save_invstd = save_invstd, .run_mean = run_mean,
			    .run_var = run_var, .momentum = momentum,
			    .eps = eps, .relu = relu, .stats = stats,
			    .fresh = fresh };

	if (m < 1 || c < 1)
		return;
	par_for(bn_threads(c, m), (size_t)c, 1, bn_train_part, &j);
}

void dbv_bn_forward_train(int c, size_t m, const float *x, const float *gamma,
			  const float *beta, float *y, float *save_mean,
			  float *save_invstd, float *run_mean, float *run_var,
			  float momentum, float eps)
{
	bn_train(c, m, x, gamma, beta, y, save_mean, save_invstd, run_mean,
		 run_var, momentum, eps, 0, NULL, 0);
}

void dbv_bn_relu_forward_train(int c, size_t m, const float *x,
			       const float *gamma, const float *beta, float *y,
			       float *save_mean, float *save_invstd,
			       float *run_mean, float *run_var, float momentum,
			       float eps)
{
	bn_train(c, m, x, gamma, beta, y, save_mean, save_invstd, run_mean,
		 run_var, momentum, eps, 1, NULL, 0);
}

void dbv_bn_forward_train_shared(int c, size_t m, const float *x,
				 const float *gamma, const float *beta,
				 float *y, float *save_mean, float *save_invstd,
				 float *run_mean, float *run_var,
				 float momentum, float eps, int relu,
				 double *stats, int fresh)
{
	bn_train(c, m, x, gamma, beta, y, save_mean, save_invstd, run_mean,
		 run_var, momentum, eps, relu, stats, fresh);
}

static void bn_eval_part(void *arg, size_t lo, size_t hi)
{
	const struct bn_job *j = arg;

	for (size_t ch = lo; ch < hi; ch++) {
		const float scale = (float)(j->gamma[ch] /
					    sqrt((double)j->rvar[ch] + j->eps));

		(j->relu ? affine_relu : affine)(j->y + ch * j->m,
						 j->x + ch * j->m, j->m,
						 j->rmean[ch], scale,
						 j->beta[ch]);
	}
}

static void bn_eval(int c, size_t m, const float *x, const float *gamma,
		    const float *beta, float *y, const float *run_mean,
		    const float *run_var, float eps, int relu)
{
	struct bn_job j = { .m = m, .x = x, .gamma = gamma, .beta = beta,
			    .y = y, .rmean = run_mean, .rvar = run_var,
			    .eps = eps, .relu = relu };

	if (m < 1 || c < 1)
		return;
	par_for(bn_threads(c, m), (size_t)c, 1, bn_eval_part, &j);
}

/* x [c, m] -> y [c, m] with the running statistics. */
void dbv_bn_forward_eval(int c, size_t m, const float *x, const float *gamma,
			 const float *beta, float *y, const float *run_mean,
			 const float *run_var, float eps)
{
	bn_eval(c, m, x, gamma, beta, y, run_mean, run_var, eps, 0);
}

void dbv_bn_relu_forward_eval(int c, size_t m, const float *x,
			      const float *gamma, const float *beta, float *y,
			      const float *run_mean, const float *run_var,
			      float eps)
{
	bn_eval(c, m, x, gamma, beta, y, run_mean, run_var, eps, 1);
}

/* dx += g * (dy - mdy - xhat * mdyx), xhat = (x - mu) * is; with set,
 * dx = that.  (Blocks of 8: see affine().) */
static void bn_dx(float *restrict dx, const float *restrict x,
		  const float *restrict dy, size_t m, float mu, float is,
		  float g, float mdy, float mdyx, int set)
{
	size_t i = 0;

	if (set) {
		for (; i + 8 <= m; i += 8)
			for (int j = 0; j < 8; j++) {
				float xhat = (x[i + j] - mu) * is;

				dx[i + j] = g * (dy[i + j] - mdy - xhat * mdyx);
			}
	} else {
		for (; i + 8 <= m; i += 8)
			for (int j = 0; j < 8; j++) {
				float xhat = (x[i + j] - mu) * is;

				dx[i + j] += g * (dy[i + j] - mdy - xhat * mdyx);
			}
	}
	for (; i < m; i++) {
		float xhat = (x[i] - mu) * is;
		float v = g * (dy[i] - mdy - xhat * mdyx);

		dx[i] = set ? v : dx[i] + v;
	}
}

/* bn_dx with dy masked by a fused ReLU's output ry (NULL: none). */
static void bn_back_dx(float *dxc, const float *xc, const float *dyc,
		       const float *ryc, size_t m, float mu, float is, float g,
		       float mdy, float mdyx, int set)
{
	float t[BN_BLOCK];

	if (!ryc) {
		bn_dx(dxc, xc, dyc, m, mu, is, g, mdy, mdyx, set);
		return;
	}
	for (size_t o = 0; o < m; o += BN_BLOCK) {
		size_t len = m - o < BN_BLOCK ? m - o : BN_BLOCK;

		relu_mask(t, dyc + o, ryc + o, len);
		bn_dx(dxc + o, xc + o, t, len, mu, is, g, mdy, mdyx, set);
	}
}

static void bn_backward_part(void *arg, size_t lo, size_t hi)
{
	const struct bn_job *j = arg;
	const size_t m = j->m;

	for (size_t ch = lo; ch < hi; ch++) {
		const float *xc = j->x + ch * m;
		const float *dyc = j->dy + ch * m;
		const float *ryc = j->ry ? j->ry + ch * m : NULL;
		const double invstd = j->invstd[ch];
		double sdy, sdyx;

		sum_dot_dev_d(dyc, ryc, xc, m, j->mean[ch], &sdy, &sdyx);
		sdyx *= invstd;

		if (j->dbeta)
			j->dbeta[ch] += (float)sdy;
		if (j->dgamma)
			j->dgamma[ch] += (float)sdyx;
		if (j->dx) {
			const float mu = j->mean[ch], is = (float)invstd;
			const float g = (float)(j->gamma[ch] * invstd);
			const float mdy = (float)(sdy / (double)m);
			const float mdyx = (float)(sdyx / (double)m);

			bn_back_dx(j->dx + ch * m, xc, dyc, ryc, m, mu, is, g,
				   mdy, mdyx, j->set);
		}
	}
}

/*
 * PyTorch's formula, with xhat = (x - mean) * invstd:
 *   dbeta  += sum(dy)            dgamma += sum(dy * xhat)
 *   dx     += gamma * invstd * (dy - sum(dy)/m - xhat * sum(dy * xhat)/m)
 * x, dy, dx [c, m]; the other arrays [c].
 */
static void bn_backward(int c, size_t m, const float *x, const float *gamma,
			const float *save_mean, const float *save_invstd,
			const float *ry, const float *dy, float *dx,
			float *dgamma, float *dbeta, int set)
{
	struct bn_job j = { .m = m, .x = x, .gamma = gamma, .dy = dy,
			    .dx = dx, .dgamma = dgamma, .dbeta = dbeta,
			    .mean = save_mean, .invstd = save_invstd,
			    .set = set, .ry = ry };

	if (m < 1 || c < 1)
		return;
	par_for(bn_threads(c, m), (size_t)c, 1, bn_backward_part, &j);
}

void dbv_bn_backward(int c, size_t m, const float *x, const float *gamma,
		     const float *save_mean, const float *save_invstd,
		     const float *dy, float *dx, float *dgamma, float *dbeta)
{
	bn_backward(c, m, x, gamma, save_mean, save_invstd, NULL, dy, dx,
		    dgamma, dbeta, 0);
}

void dbv_bn_backward_set(int c, size_t m, const float *x, const float *gamma,
			 const float *save_mean, const float *save_invstd,
			 const float *dy, float *dx, float *dgamma,
			 float *dbeta)
{
	bn_backward(c, m, x, gamma, save_mean, save_invstd, NULL, dy, dx,
		    dgamma, dbeta, 1);
}

void dbv_bn_relu_backward(int c, size_t m, const float *x,
			  const float *gamma, const float *save_mean,
			  const float *save_invstd, const float *y,
			  const float *dy, float *dx, float *dgamma,
			  float *dbeta, int set)
{
	bn_backward(c, m, x, gamma, save_mean, save_invstd, y, dy, dx, dgamma,
		    dbeta, set);
}

/* ---- activations and pools ------------------------------------------- */

/* What the threads of the loops below share. */
struct ew_job {
	const float *x, *y, *dy;
	float *out, *dx;
	int c, n, h, w, hw;
	int set; /* backward: dx = instead of dx += */
};

/* y = max(x, 0) over [i, n); y may be x.  (Blocks of 8: see affine().) */
static void relu_part(void *arg, size_t i, size_t n)
{
	const struct ew_job *j = arg;
	const float *x = j->x;
	float *y = j->out;

	for (; i + 8 <= n; i += 8) {
		float t[8];

		for (int k = 0; k < 8; k++)
			t[k] = x[i + k];
		for (int k = 0; k < 8; k++)
			y[i + k] = t[k] > 0.0f ? t[k] : 0.0f;
	}
	for (; i < n; i++)
		y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* x [n] -> y [n]; y may be x. */
void dbv_relu_forward(size_t n, const float *x, float *y)
{
	struct ew_job j = { .x = x, .out = y };

	par_for(par_threads(n, PAR_MIN), n, 16, relu_part, &j);
}

/* dx += dy where y > 0, over [i, n); with set, dx = dy there, else 0. */
static void relu_back_part(void *arg, size_t i, size_t n)
{
	const struct ew_job *j = arg;
	const float *restrict y = j->y, *restrict dy = j->dy;
	float *restrict dx = j->dx;

	if (j->set) {
		for (; i + 8 <= n; i += 8)
			for (int k = 0; k < 8; k++) {
				float g = dy[i + k];

				dx[i + k] = y[i + k] > 0.0f ? g : 0.0f;
			}
		for (; i < n; i++)
			dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
		return;
	}
	for (; i + 8 <= n; i += 8)
		for (int k = 0; k < 8; k++) {
			float g = dy[i + k];

			dx[i + k] += y[i + k] > 0.0f ? g : 0.0f;
		}
	for (; i < n; i++)
		dx[i] += y[i] > 0.0f ? dy[i] : 0.0f;
}

static void relu_backward(size_t n, const float *y, const float *dy,
			  float *dx, int set)
{
	struct ew_job j = { .y = y, .dy = dy, .dx = dx, .set = set };

	par_for(par_threads(n, PAR_MIN), n, 16, relu_back_part, &j);
}

/* y, dy, dx [n]: dx += dy where y > 0. */
void dbv_relu_backward(size_t n, const float *restrict y,
		       const float *restrict dy, float *restrict dx)
{
	relu_backward(n, y, dy, dx, 0);
}

void dbv_relu_backward_set(size_t n, const float *restrict y,
			   const float *restrict dy, float *restrict dx)
{
	relu_backward(n, y, dy, dx, 1);
}

/* PyTorch's comparison: a later value wins when larger or NaN. */
static inline int beats(float v, float best)
{
	return v > best || isnan(v);
}

/* Index (0..3, row-major) of the maximum of the window at p. */
static inline int window_argmax(const float *p, int w)
{
	int best = 0;
	float m = p[0];

	if (beats(p[1], m)) {
		m = p[1];
		best = 1;
	}
	if (beats(p[w], m)) {
		m = p[w];
		best = 2;
	}
	if (beats(p[w + 1], m))
		best = 3;
	return best;
}

#ifdef __SSE2__
/* Lane by lane, v where v beats best (greater, or NaN), else best; *won
 * gets the lanes where v won. */
static inline __m128 pick4(__m128 best, __m128 v, __m128 *won)
{
	__m128 w = _mm_or_ps(_mm_cmpgt_ps(v, best), _mm_cmpunord_ps(v, v));

	*won = w;
	return _mm_or_ps(_mm_and_ps(w, v), _mm_andnot_ps(w, best));
}

/*
 * Four windows at once: from the rows r0, r1 (8 floats each, from column
 * 2 * ox), the four maxima, and in sel[0..3] the lanes whose first
 * maximum is the window's position 0..3 (row-major), as window_argmax().
 */
static inline __m128 window4(const float *r0, const float *r1, __m128 sel[4])
{
	__m128 a = _mm_loadu_ps(r0), b = _mm_loadu_ps(r0 + 4);
	__m128 c = _mm_loadu_ps(r1), d = _mm_loadu_ps(r1 + 4);
	__m128 v[4] = {
		_mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
		_mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)),
		_mm_shuffle_ps(c, d, _MM_SHUFFLE(2, 0, 2, 0)),
		_mm_shuffle_ps(c, d, _MM_SHUFFLE(3, 1, 3, 1)),
	};
	__m128 m = v[0];

	sel[0] = _mm_castsi128_ps(_mm_set1_epi32(-1));
	for (int k = 1; k < 4; k++) {
		m = pick4(m, v[k], &sel[k]);
		for (int q = 0; q < k; q++)
			sel[q] = _mm_andnot_ps(sel[k], sel[q]);
	}
	return m;
}
#endif

/* Planes [lo, hi) of the forward max pool. */
static void maxpool_part(void *arg, size_t lo, size_t hi)
{
	const struct ew_job *j = arg;
	const int h = j->h, w = j->w, oh = h / 2, ow = w / 2;

	for (size_t p = lo; p < hi; p++) {
		const float *xp = j->x + p * h * w;
		float *yp = j->out + p * oh * ow;

		for (int oy = 0; oy < oh; oy++) {
			const float *r0 = xp + (size_t)2 * oy * w;
			float *yr = yp + (size_t)oy * ow;
			int ox = 0;

#ifdef __SSE2__
			for (; ox + 4 <= ow; ox += 4) {
				__m128 sel[4];

				_mm_storeu_ps(yr + ox, window4(r0 + 2 * ox,
							       r0 + w + 2 * ox,
							       sel));
			}
#endif
			for (; ox < ow; ox++) {
				const float *q = r0 + 2 * ox;
				int a = window_argmax(q, w);

				yr[ox] = q[(a >> 1) * w + (a & 1)];
			}
		}
	}
}

/* x [planes, h, w] -> y [planes, h/2, w/2]. */
void dbv_maxpool2_forward(size_t planes, int h, int w, const float *x,
			  float *y)
{
	struct ew_job j = { .x = x, .out = y, .h = h, .w = w };

	par_for(par_threads(planes * h * w, PAR_MIN), planes, 1, maxpool_part,
		&j);
}

/* What the threads of the fused evaluation BN + ReLU + max pool share. */
struct bnpool_job {
	const float *x, *gamma, *beta, *rmean, *rvar;
	float *y;
	float eps;
	int n, h, w;
};

/* relu((v - mu) * scale + shift), as affine_relu() computes it. */
static inline float bn_relu1(float v, float mu, float scale, float shift)
{
	float t = (v - mu) * scale + shift;

	return t > 0.0f ? t : 0.0f;
}

/* Planes [lo, hi) (plane p: channel p / n) of the fused pass. */
static void bnpool_part(void *arg, size_t lo, size_t hi)
{
	const struct bnpool_job *j = arg;
	const int h = j->h, w = j->w, oh = h / 2, ow = w / 2;

	for (size_t p = lo; p < hi; p++) {
		const size_t ch = p / (size_t)j->n;
		const float mu = j->rmean[ch], shift = j->beta[ch];
		const float scale = (float)(j->gamma[ch] /
					    sqrt((double)j->rvar[ch] + j->eps));
		const float *xp = j->x + p * h * w;
		float *yp = j->y + p * oh * ow;

		for (int oy = 0; oy < oh; oy++) {
			const float *r0 = xp + (size_t)2 * oy * w, *r1 = r0 + w;
			float *yr = yp + (size_t)oy * ow;
			int ox = 0;

#ifdef __SSE2__
			/* After the ReLU nothing is NaN and the order of the
			 * window no longer matters: a plain max. */
			const __m128 vmu = _mm_set1_ps(mu), vsc = _mm_set1_ps(scale);
			const __m128 vsh = _mm_set1_ps(shift), zero = _mm_setzero_ps();

			for (; ox + 4 <= ow; ox += 4) {
				__m128 v[4] = {
					_mm_loadu_ps(r0 + 2 * ox), _mm_loadu_ps(r0 + 2 * ox + 4),
					_mm_loadu_ps(r1 + 2 * ox), _mm_loadu_ps(r1 + 2 * ox + 4),
				};

				for (int k = 0; k < 4; k++) {
					__m128 t = _mm_add_ps(_mm_mul_ps(_mm_sub_ps(v[k], vmu),
									 vsc), vsh);

					v[k] = _mm_and_ps(_mm_cmpgt_ps(t, zero), t);
				}
				__m128 a = _mm_max_ps(v[0], v[2]), b = _mm_max_ps(v[1], v[3]);

				_mm_storeu_ps(yr + ox,
					      _mm_max_ps(_mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
							 _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))));
			}
#endif
			for (; ox < ow; ox++) {
				float m = bn_relu1(r0[2 * ox], mu, scale, shift);
				float q[3] = { bn_relu1(r0[2 * ox + 1], mu, scale, shift),
					       bn_relu1(r1[2 * ox], mu, scale, shift),
					       bn_relu1(r1[2 * ox + 1], mu, scale, shift) };

				for (int k = 0; k < 3; k++)
					if (q[k] > m)
						m = q[k];
				yr[ox] = m;
			}
		}
	}
}

/*
 * Evaluation batch norm, ReLU and 2x2 max pool in one pass: x [c, n, h,
 * w] -> y [c, n, h/2, w/2], the values of dbv_bn_relu_forward_eval
 * followed by dbv_maxpool2_forward, without the full-size intermediate.
 */
void dbv_bn_relu_maxpool2_forward_eval(int c, int n, int h, int w,
				       const float *x, const float *gamma,
				       const float *beta, float *y,
				       const float *run_mean,
				       const float *run_var, float eps)
{
	struct bnpool_job j = { .x = x, .gamma = gamma, .beta = beta,
				.rmean = run_mean, .rvar = run_var, .y = y,
				.eps = eps, .n = n, .h = h, .w = w };
	size_t planes = (size_t)c * (size_t)n;

	if (planes < 1 || h < 2 || w < 2)
		return;
	par_for(par_threads(planes * h * w, PAR_MIN), planes, 1, bnpool_part,
		&j);
}

/* Planes [lo, hi) of the backward max pool; with set, dx is written
 * whole (0 where no window's maximum is, the odd last row and column
 * included). */
static void maxpool_back_part(void *arg, size_t lo, size_t hi)
{
	const struct ew_job *j = arg;
	const int h = j->h, w = j->w, oh = h / 2, ow = w / 2, set = j->set;

	for (size_t p = lo; p < hi; p++) {
		const float *xp = j->x + p * h * w;
		const float *dyp = j->dy + p * oh * ow;
		float *dxp = j->dx + p * h * w;

		for (int oy = 0; oy < oh; oy++) {
			const float *r0 = xp + (size_t)2 * oy * w;
			const float *dyr = dyp + (size_t)oy * ow;
			float *d0 = dxp + (size_t)2 * oy * w, *d1 = d0 + w;
			int ox = 0;

#ifdef __SSE2__
			for (; ox + 4 <= ow; ox += 4) {
				__m128 sel[4], g = _mm_loadu_ps(dyr + ox);
				__m128 t[4];

				window4(r0 + 2 * ox, r0 + w + 2 * ox, sel);
				for (int k = 0; k < 4; k++)
					t[k] = _mm_and_ps(sel[k], g);
				__m128 o[4] = {
					_mm_unpacklo_ps(t[0], t[1]),
					_mm_unpackhi_ps(t[0], t[1]),
					_mm_unpacklo_ps(t[2], t[3]),
					_mm_unpackhi_ps(t[2], t[3]),
				};
				float *dst[4] = { d0 + 2 * ox, d0 + 2 * ox + 4,
						  d1 + 2 * ox, d1 + 2 * ox + 4 };

				for (int k = 0; k < 4; k++)
					_mm_storeu_ps(dst[k], set ? o[k] :
						      _mm_add_ps(_mm_loadu_ps(dst[k]), o[k]));
			}
#endif
			for (; ox < ow; ox++) {
				size_t o = (size_t)2 * ox;
				int a = window_argmax(r0 + o, w);
				float *t = dxp + (size_t)2 * oy * w + o;

				if (set)
					t[0] = t[1] = t[w] = t[w + 1] = 0.0f;
				t[(a >> 1) * w + (a & 1)] += dyr[ox];
			}
			if (set && (w & 1))
				d0[w - 1] = d1[w - 1] = 0.0f;
		}
		if (set && (h & 1))
			memset(dxp + (size_t)(h - 1) * w, 0, (size_t)w * sizeof(float));
	}
}

static void maxpool2_backward(size_t planes, int h, int w, const float *x,
			      const float *dy, float *dx, int set)
{
	struct ew_job j = { .x = x, .dy = dy, .dx = dx, .h = h, .w = w,
			    .set = set };

	par_for(par_threads(planes * h * w, PAR_MIN), planes, 1,
		maxpool_back_part, &j);
}

/* x, dx [planes, h, w], dy [planes, h/2, w/2]: the window's first
 * maximum gets dy. */
void dbv_maxpool2_backward(size_t planes, int h, int w, const float *x,
			   const float *dy, float *dx)
{
	maxpool2_backward(planes, h, w, x, dy, dx, 0);
}

void dbv_maxpool2_backward_set(size_t planes, int h, int w, const float *x,
			       const float *dy, float *dx)
{
	maxpool2_backward(planes, h, w, x, dy, dx, 1);
}

/* Index of the first maximum of p[0..len) (PyTorch's rule). */
static size_t argmax_first(const float *p, size_t len)
{
	size_t best = 0;

	for (size_t j = 1; j < len; j++)
		if (beats(p[j], p[best]))
			best = j;
	return best;
}

/* The global pools take ranges of channels. */
static int pool_threads(int c, int n, int hw)
{
	int nt = par_threads((size_t)c * n * hw, PAR_MIN);

	return nt > c ? c : nt;
}

static void gap_part(void *arg, size_t lo, size_t hi)
{
	const struct ew_job *j = arg;
	const int c = j->c, n = j->n, hw = j->hw;

	for (size_t ch = lo; ch < hi; ch++)
		for (int i = 0; i < n; i++)
			j->out[(size_t)i * c + ch] = (float)(
				sum_d(j->x + (ch * n + i) * hw, hw) / hw);
}

/* x [c, n, hw] -> y [n, c] (means). */
void dbv_gap_forward(int c, int n, int hw, const float *x, float *y)
{
	struct ew_job j = { .x = x, .out = y, .c = c, .n = n, .hw = hw };

	if (c > 0)
		par_for(pool_threads(c, n, hw), (size_t)c, 1, gap_part, &j);
}

static void gap_back_part(void *arg, size_t lo, size_t hi)
{
	const struct ew_job *j = arg;
	const int c = j->c, n = j->n, hw = j->hw;

	for (size_t ch = lo; ch < hi; ch++)
		for (int i = 0; i < n; i++) {
			float g = j->dy[(size_t)i * c + ch] / (float)hw;
			float *d = j->dx + (ch * n + i) * hw;

			for (int k = 0; k < hw; k++)
				d[k] += g;
		}
}

/* dy [n, c] -> dx [c, n, hw] += dy / hw. */
void dbv_gap_backward(int c, int n, int hw, const float *dy, float *dx)
{
	struct ew_job j = { .dy = dy, .dx = dx, .c = c, .n = n, .hw = hw };

	if (c > 0)
		par_for(pool_threads(c, n, hw), (size_t)c, 1, gap_back_part, &j);
}

static void gmp_part(void *arg, size_t lo, size_t hi)
{
	const struct ew_job *j = arg;
	const int c = j->c, n = j->n, hw = j->hw;

	for (size_t ch = lo; ch < hi; ch++)
		for (int i = 0; i < n; i++) {
			const float *p = j->x + (ch * n + i) * hw;

			j->out[(size_t)i * c + ch] = p[argmax_first(p, hw)];
		}
}

/* x [c, n, hw] -> y [n, c] (maxima). */
void dbv_gmp_forward(int c, int n, int hw, const float *x, float *y)
{
	struct ew_job j = { .x = x, .out = y, .c = c, .n = n, .hw = hw };

	if (c > 0)
		par_for(pool_threads(c, n, hw), (size_t)c, 1, gmp_part, &j);
}

static void gmp_back_part(void *arg, size_t lo, size_t hi)
{
	const struct ew_job *j = arg;
	const int c = j->c, n = j->n, hw = j->hw;

	for (size_t ch = lo; ch < hi; ch++)
		for (int i = 0; i < n; i++) {
			size_t o = (ch * n + i) * hw;

			j->dx[o + argmax_first(j->x + o, hw)] +=
				j->dy[(size_t)i * c + ch];
		}
}

/* x [c, n, hw], dy [n, c] -> dx [c, n, hw]: the first maximum gets dy. */
void dbv_gmp_backward(int c, int n, int hw, const float *x, const float *dy,
		      float *dx)
{
	struct ew_job j = { .x = x, .dy = dy, .dx = dx, .c = c, .n = n,
			    .hw = hw };

	if (c > 0)
		par_for(pool_threads(c, n, hw), (size_t)c, 1, gmp_back_part, &j);
}

/* Layouts: ranges of images (a channel per thread would leave the
 * grey-scale input to one thread). */
static void to_cnhw_part(void *arg, size_t lo, size_t hi)
{
	const struct ew_job *j = arg;
	const int c = j->c, n = j->n, hw = j->hw;

	for (size_t i = lo; i < hi; i++)
		for (int ch = 0; ch < c; ch++)
			memcpy(j->out + ((size_t)ch * n + i) * hw,
			       j->x + (i * c + ch) * hw, (size_t)hw * sizeof(float));
}

/* x [n, c, hw] -> y [c, n, hw]. */
void dbv_nchw_to_cnhw(int n, int c, int hw, const float *x, float *y)
{
	struct ew_job j = { .x = x, .out = y, .c = c, .n = n, .hw = hw };

	if (n > 0)
		par_for(par_threads((size_t)c * n * hw, PAR_MIN), (size_t)n, 1,
			to_cnhw_part, &j);
}

static void to_nchw_part(void *arg, size_t lo, size_t hi)
{
	const struct ew_job *j = arg;
	const int c = j->c, n = j->n, hw = j->hw;

	for (size_t i = lo; i < hi; i++)
		for (int ch = 0; ch < c; ch++)
			memcpy(j->out + (i * c + ch) * hw,
			       j->x + ((size_t)ch * n + i) * hw,
			       (size_t)hw * sizeof(float));
}

/* x [c, n, hw] -> y [n, c, hw]. */
void dbv_cnhw_to_nchw(int c, int n, int hw, const float *x, float *y)
{
	struct ew_job j = { .x = x, .out = y, .c = c, .n = n, .hw = hw };

	if (n > 0)
		par_for(par_threads((size_t)c * n * hw, PAR_MIN), (size_t)n, 1,
			to_nchw_part, &j);
}

/* ---- loss ------------------------------------------------------------ */

/*
 * logits [n, k], labels [n] -> mean over rows of logsumexp(row) -
 * row[label], computed as log(sum exp(row - max)) - (row[label] - max) in
 * double.  dlogits [n, k] (overwritten) = (softmax(row) - onehot) / n.
 * A label outside [0, k) makes the loss NaN (the caller's non-finite
 * check catches it) and contributes no one-hot term.
 */
double dbv_softmax_xent(int n, int k, const float *logits,
			const int32_t *labels, float *dlogits, int *correct)
{
	double loss = 0.0;
	int ok = 0;

	if (n < 1 || k < 1) {
		if (correct)
			*correct = 0;
		return 0.0;
	}
	for (int i = 0; i < n; i++) {
		const float *row = logits + (size_t)i * k;
		const int32_t lab = labels[i];
		size_t am = argmax_first(row, k);
		double mx = row[am], sum = 0.0;

		for (int j = 0; j < k; j++)
			sum += exp((double)row[j] - mx);
		if (lab >= 0 && lab < k)
			loss += log(sum) - ((double)row[lab] - mx);
		else
			loss += NAN;
		if ((int32_t)am == lab)
			ok++;
		if (dlogits) {
			float *d = dlogits + (size_t)i * k;

			for (int j = 0; j < k; j++) {
				double p = exp((double)row[j] - mx) / sum;

				d[j] = (float)((p - (j == lab)) / n);
			}
		}
	}
	if (correct)
		*correct = ok;
	return loss / n;
}

/*
 * logits [n, k], labels [n] -> sum over all n*k entries of (z - onehot)^2,
 * divided by n*k (PyTorch's MSELoss with reduction "mean" against
 * one_hot(labels).float()), accumulated in double.  dlogits [n, k]
 * (overwritten) = 2 (z - onehot) / (n k).  A label outside [0, k) makes
 * the loss NaN, as dbv_softmax_xent.
 */
double dbv_mse_onehot(int n, int k, const float *logits,
		      const int32_t *labels, float *dlogits, int *correct)
{
	double loss = 0.0, nk = (double)n * (double)k;
	int ok = 0;

	if (n < 1 || k < 1) {
		if (correct)
			*correct = 0;
		return 0.0;
	}
	for (int i = 0; i < n; i++) {
		const float *row = logits + (size_t)i * k;
		const int32_t lab = labels[i];

		if (lab < 0 || lab >= k)
			loss += NAN;
		if ((int32_t)argmax_first(row, k) == lab)
			ok++;
		for (int j = 0; j < k; j++) {
			double e = (double)row[j] - (j == lab);

			loss += e * e;
			if (dlogits)
				dlogits[(size_t)i * k + j] = (float)(2 * e / nk);
		}
	}
	if (correct)
		*correct = ok;
	return loss / nk;
}

double dbv_loss(const char *loss, int n, int k, const float *logits,
		const int32_t *labels, float *dlogits, int *correct)
{
	return (strcmp(loss, "mse") ? dbv_softmax_xent : dbv_mse_onehot)(
		n, k, logits, labels, dlogits, correct);
}
