/*
 * conv3.c - a 3x3 convolution of stride 1 and padding 1 computed
 * directly with AVX-512, without im2col or sgemm: the forward pass, the
 * input gradient dx (the same kernel) and the weight gradient dwt (a
 * kernel of its own, described above dbv_conv3_backward_dw).
 *
 * In CNHW (see dbv.h) each input channel is one contiguous row of
 * n*h*w floats, and so is each output channel.  Number the positions of
 * that row q = (image*h + y)*w + x.  The tap (ky, kx) of output q reads
 * input q + (ky-1)*w + (kx-1) of every channel: a fixed offset, so sixteen
 * consecutive outputs read sixteen consecutive inputs, whatever rows or
 * images they straddle.  The lanes whose tap falls outside their own
 * image (the padding) are masked off: a zero-masking load reads 0.0 there
 * and never touches (nor faults on) that memory.  (The address of such a
 * load may lie before or past the array: outside what ISO C defines for
 * pointer arithmetic, but the lanes that would read there are masked, as
 * the instruction set guarantees; the tests put the input against
 * inaccessible pages.)  So the whole batch is a
 * single run of positions, with no padded copy and no waste at the image
 * edges: a 7x7 map costs 49 positions, not 81.
 *
 * Blocking: a block is BLK = 16*NV consecutive positions by CO output
 * channels, CO*NV accumulators in registers (24 of the 32).  For every
 * input channel and tap the block loads NV input vectors and does CO*NV
 * FMAs with the CO weights broadcast from the packed weights
 * [cout/CO][cin][9][CO] (zero rows pad cout to a multiple of CO).  A
 * thread takes a run of position blocks and, for each, sweeps every
 * channel block, so the block's inputs (cin rows of BLK + 2w + 2 floats)
 * stay in L1 while the weights stream from L2.
 *
 * Each output is the sum of its cin*9 products, added in the order ci,
 * ky, kx, plus the bias (last, as sgemm with beta 1 adds it), whatever
 * the batch, the thread count or the block's place: results are
 * bit-reproducible and a point's value does not depend on the other
 * points of its batch.
 *
 * dx is the convolution of dy with the kernels transposed and turned by
 * 180 degrees (pack_weights), run by the same blocks, adding into dx or
 * overwriting it.
 *
 * The kernels are compiled for AVX-512F with a target attribute and used
 * only when the CPU and OS support it (__builtin_cpu_supports), whatever
 * the rest of dbv was compiled for.  DBV_CONV=gemm in the environment
 * turns it off (im2col + sgemm then, as for every other shape).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_CONV3 1
#include <immintrin.h>
#else
#define HAVE_CONV3 0
#endif

#ifndef CO
#define CO 8                 /* output channels per block */
#endif
#ifndef NV
#define NV 3                 /* vectors of 16 positions per block */
#endif
#define BLK (16 * NV)        /* positions per block */

/* Atomic: the first convolutions of two threads may both fill cached. */
static _Atomic int forced = -1; /* dbv_conv_direct_force */

void dbv_conv_direct_force(int mode)
{
	forced = mode < 0 ? -1 : !!mode;
}

/* The CPU can run the kernel, and DBV_CONV does not forbid it. */
static int direct_wanted(void)
{
	static _Atomic int cached = -1;

	if (forced >= 0)
		return forced && HAVE_CONV3 && dbv_conv_direct_cpu();
	if (cached < 0) {
		const char *e = getenv("DBV_CONV");

		cached = dbv_conv_direct_cpu() &&
			 !(e && strcmp(e, "gemm") == 0);
	}
	return cached;
}

int dbv_conv_direct_cpu(void)
{
#if HAVE_CONV3
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") != 0;
#else
	return 0;
#endif
}

int dbv_conv_is_direct3(const struct dbv_conv *c)
{
	return c->k == 3 && c->stride == 1 && c->pad == 1 && c->oh == c->h &&
	       c->ow == c->w && direct_wanted();
}

size_t dbv_conv3_scratch(const struct dbv_conv *c, int dx)
{
	if (dx)
		return (size_t)(c->cin + CO - 1) / CO * CO * c->cout * 9;
	return (size_t)(c->cout + CO - 1) / CO * CO * c->cin * 9;
}

const char *dbv_conv_describe(void)
{
	if (direct_wanted())
		return "3x3 stride 1: direct, AVX-512, forward and backward "
		       "(DBV_CONV=gemm: im2col + sgemm); the rest: im2col + "
		       "sgemm";
	if (dbv_conv_direct_cpu())
		return "im2col + sgemm (direct 3x3 kernel turned off by "
		       "DBV_CONV)";
	return "im2col + sgemm (the direct 3x3 kernel needs AVX-512)";
}

#if HAVE_CONV3

struct conv3_job {
	int cin, cout, h, w; /* of this pass (the dx pass swaps cin, cout) */
	size_t total;        /* n*h*w */
	const float *x, *wp, *b;
	float *y;
	int add;             /* y += instead of y = */
	ptrdiff_t off[9];    /* input offset of each tap */
};

/*
 * The lanes of vector v (of nv from position q0) whose tap t lies in
 * their image (and q < total), into m[t*st + v*sv]; the centre tap's
 * mask (t = 4) is just q < total.
 */
static void lane_masks(int h, int w, size_t total, size_t q0, int nv,
		       __mmask16 *m, int st, int sv)
{
	const size_t hw = (size_t)h * w;
	size_t p = q0 % hw;
	int yy = (int)(p / (size_t)w), xx = (int)(p % (size_t)w);

	for (int v = 0; v < nv; v++) {
		unsigned in = 0, l = 0, r = 0, t = 0, b = 0;

		for (int i = 0; i < 16; i++) {
			unsigned bit = 1u << i;

			if (q0 + 16 * (size_t)v + i < total)
				in |= bit;
			l |= xx > 0 ? bit : 0;
			r |= xx < w - 1 ? bit : 0;
			t |= yy > 0 ? bit : 0;
			b |= yy < h - 1 ? bit : 0;
			if (++xx == w) {
				xx = 0;
				if (++yy == h)
					yy = 0;
			}
		}
		const unsigned row[3] = { in & t, in, in & b };
		const unsigned col[3] = { l, 0xffffu, r };

		for (int ky = 0; ky < 3; ky++)
			for (int kx = 0; kx < 3; kx++)
				m[(ky * 3 + kx) * st + v * sv] =
					(__mmask16)(row[ky] & col[kx]);
	}
}

/* m[t][v] for the NV vectors of the block at q0. */
static void block_masks(const struct conv3_job *j, size_t q0,
			__mmask16 m[9][NV])
{
	lane_masks(j->h, j->w, j->total, q0, NV, &m[0][0], NV, 1);
}

/*
 * One block: outputs q0 .. q0+BLK-1 of the CO channels whose packed
 * weights are wp ([cin][9][CO]); x points at input q0 of channel 0, y at
 * output q0 of the block's first channel; nco (<= CO) channels are real.
 */
__attribute__((target("avx512f"))) static void
conv3_block(const float *x, size_t ld, const ptrdiff_t off[9],
	    const __mmask16 m[9][NV], const float *wp, int cin,
	    const float *bias, float *y, int nco, int add)
{
	__m512 a[CO][NV];

#pragma GCC unroll 16
	for (int co = 0; co < CO; co++)
#pragma GCC unroll 16
		for (int v = 0; v < NV; v++)
			a[co][v] = _mm512_setzero_ps();
	for (int ci = 0; ci < cin; ci++, x += ld) {
#pragma GCC unroll 9
		for (int t = 0; t < 9; t++, wp += CO) {
			const float *xt = x + off[t];
			__m512 in[NV];

#pragma GCC unroll 16
			for (int v = 0; v < NV; v++)
				in[v] = _mm512_maskz_loadu_ps(m[t][v],
							      xt + 16 * v);
#pragma GCC unroll 16
			for (int co = 0; co < CO; co++) {
				__m512 wv = _mm512_set1_ps(wp[co]);
#pragma GCC unroll 16
				for (int v = 0; v < NV; v++)
					a[co][v] = _mm512_fmadd_ps(in[v], wv,
								   a[co][v]);
			}
		}
	}
#pragma GCC unroll 16
	for (int co = 0; co < CO; co++) {
		if (co >= nco)
			break;
		__m512 b = _mm512_set1_ps(bias ? bias[co] : 0.0f);
#pragma GCC unroll 16
		for (int v = 0; v < NV; v++) {
			float *yv = y + co * ld + 16 * v;

			__m512 r = _mm512_add_ps(a[co][v], b);

			if (add)
				r = _mm512_add_ps(
					_mm512_maskz_loadu_ps(m[4][v], yv), r);
			_mm512_mask_storeu_ps(yv, m[4][v], r);
		}
	}
}

static void conv3_part(void *arg, size_t lo, size_t hi)
{
	const struct conv3_job *j = arg;
	const size_t ld = j->total, per = (size_t)j->cin * 9 * CO;
	__mmask16 m[9][NV];

	for (size_t blk = lo; blk < hi; blk++) {
		size_t q0 = blk * BLK;

		block_masks(j, q0, m);
		for (int co0 = 0; co0 < j->cout; co0 += CO) {
			int nco = j->cout - co0 < CO ? j->cout - co0 : CO;

			conv3_block(j->x + q0, ld, j->off,
				    (const __mmask16(*)[NV])m,
				    j->wp + (size_t)(co0 / CO) * per, j->cin,
				    j->b ? j->b + co0 : NULL,
				    j->y + (size_t)co0 * ld + q0, nco, j->add);
		}
	}
}

/*
 * The weight gradient: dwt[co][ci][t] += sum over q of dy[co][q] times
 * x[ci][q + off[t]] (tap t inside the image).  Positions go in chunks of
 * WCH; for each chunk, each (block of CO output channels, input channel)
 * pair and each kernel row ky, CO x 3 accumulators (the row's three taps)
 * sum over the chunk's vectors lane by lane, then each is reduced across
 * its lanes and added into dwt.  So dwt gets the chunks' sums in chunk
 * order, each summed in a fixed order: the bits do not depend on the
 * thread count (threads take ranges of pairs, and every thread walks all
 * the chunks).  A chunk's dy rows of a channel block are packed (pack_dy,
 * CO * WCH floats on the stack) and stay in cache across the input
 * channels, and its x row across the three kernel rows.
 */
#define WCH 1024 /* positions per chunk */

struct conv3w_job {
	const struct dbv_conv *c;
	size_t total;
	const float *x, *dy;
	float *dwt;
	ptrdiff_t off[9];
};

/*
 * A chunk's dy rows of one channel block, packed vector by vector:
 * pk[v][co][16] (zeros past total and past nco).  Read in place, the CO
 * rows lie n*h*w floats apart -- often a multiple of 4 KiB, so that they
 * all fall into the same L1 sets.
 */
__attribute__((target("avx512f"))) static void
pack_dy(const float *dy, size_t ld, int nco, int nv,
	const __mmask16 (*m)[9], float *pk)
{
	for (int v = 0; v < nv; v++)
		for (int co = 0; co < CO; co++)
			_mm512_store_ps(pk + ((size_t)v * CO + co) * 16,
					co < nco ? _mm512_maskz_loadu_ps(
							   m[v][4], dy + co * ld + 16 * v)
						 : _mm512_setzero_ps());
}

__attribute__((target("avx512f"))) static void
conv3w_row(const float *x, const float *pk, int nco, const ptrdiff_t off[3],
	   const __mmask16 (*m)[9], int ky, int nv, float *dw, size_t dwld)
{
	__m512 a[CO][3];

#pragma GCC unroll 16
	for (int co = 0; co < CO; co++)
		for (int k = 0; k < 3; k++)
			a[co][k] = _mm512_setzero_ps();
	for (int v = 0; v < nv; v++) {
		const float *xv = x + 16 * v;
		__m512 in[3];

#pragma GCC unroll 3
		for (int k = 0; k < 3; k++)
			in[k] = _mm512_maskz_loadu_ps(m[v][ky * 3 + k],
						      xv + off[k]);
#pragma GCC unroll 16
		for (int co = 0; co < CO; co++) {
			__m512 d = _mm512_load_ps(pk + ((size_t)v * CO + co) * 16);
#pragma GCC unroll 3
			for (int k = 0; k < 3; k++)
				a[co][k] = _mm512_fmadd_ps(d, in[k], a[co][k]);
		}
	}
	/* Constant indices only: an a[co] indexed at run time would keep
	 * the accumulators in memory. */
#pragma GCC unroll 16
	for (int co = 0; co < CO; co++)
#pragma GCC unroll 3
		for (int k = 0; k < 3; k++)
			if (co < nco)
				dw[co * dwld + k] +=
					_mm512_reduce_add_ps(a[co][k]);
}

/* Pairs [lo, hi) of (channel block, input channel), block-major. */
static void conv3w_part(void *arg, size_t lo, size_t hi)
{
	const struct conv3w_job *j = arg;
	const struct dbv_conv *c = j->c;
	const size_t ld = j->total, dwld = (size_t)c->cin * 9;
	__mmask16 m[WCH / 16][9];
	float pk[WCH * CO] __attribute__((aligned(64)));

	for (size_t q0 = 0; q0 < j->total; q0 += WCH) {
		size_t left = j->total - q0;
		int nv = left < WCH ? (int)((left + 15) / 16) : WCH / 16;
		int packed = -1;

		lane_masks(c->h, c->w, j->total, q0, nv, &m[0][0], 1, 9);
		for (size_t p = lo; p < hi; p++) {
			int cb = (int)(p / (size_t)c->cin), co0 = cb * CO;
			int ci = (int)(p % (size_t)c->cin);
			int nco = c->cout - co0 < CO ? c->cout - co0 : CO;

			if (cb != packed) {
				pack_dy(j->dy + (size_t)co0 * ld + q0, ld, nco,
					nv, (const __mmask16(*)[9])m, pk);
				packed = cb;
			}
			for (int ky = 0; ky < 3; ky++)
				conv3w_row(j->x + (size_t)ci * ld + q0, pk, nco,
					   j->off + 3 * ky,
					   (const __mmask16(*)[9])m, ky, nv,
					   j->dwt + (size_t)co0 * dwld +
						   (size_t)ci * 9 + 3 * ky,
					   dwld);
		}
	}
}

void dbv_conv3_backward_dw(const struct dbv_conv *c, int n, const float *x,
			   const float *dy, float *dwt)
{
	struct conv3w_job j = { .c = c, .x = x, .dy = dy, .dwt = dwt };
	size_t pairs = (size_t)(c->cout + CO - 1) / CO * c->cin;

	if (n < 1)
		return;
	j.total = (size_t)n * c->h * c->w;
	for (int t = 0; t < 9; t++)
		j.off[t] = (ptrdiff_t)(t / 3 - 1) * c->w + (t % 3 - 1);
	par_for(par_threads(j.total * (size_t)c->cin * c->cout, 1u << 16),
		pairs, 1, conv3w_part, &j);
}

/*
 * Packed weights [cout'/CO][cin'][9][CO] of a pass from cin' to cout'
 * channels, zero-padded.  Forward: cin' = cin, cout' = cout and
 * wp[o][i][t] = wt[o][i][t].  dx: cin' = cout, cout' = cin and
 * wp[o][i][t] = wt[i][o][8 - t] -- dx is the 3x3 convolution of dy with
 * the kernels transposed and turned by 180 degrees.
 */
static void pack_weights(const struct dbv_conv *c, const float *wt,
			 float *wp, int dx)
{
	const int ci_n = dx ? c->cout : c->cin, co_n = dx ? c->cin : c->cout;

	for (int co0 = 0; co0 < co_n; co0 += CO)
		for (int ci = 0; ci < ci_n; ci++)
			for (int t = 0; t < 9; t++)
				for (int co = 0; co < CO; co++) {
					int o = co0 + co;
					size_t at = dx ? ((size_t)ci * c->cin + o) * 9 + 8 - t
						       : ((size_t)o * c->cin + ci) * 9 + t;

					*wp++ = o < co_n ? wt[at] : 0.0f;
				}
}

static void conv3_run(const struct dbv_conv *c, int n, const float *x,
		      const float *wt, const float *b, float *y,
		      float *scratch, int dx, int add)
{
	struct conv3_job j = { .cin = dx ? c->cout : c->cin,
			       .cout = dx ? c->cin : c->cout, .h = c->h,
			       .w = c->w, .x = x, .wp = scratch, .b = b,
			       .y = y, .add = add };
	size_t nblk;

	if (n < 1)
		return;
	j.total = (size_t)n * c->h * c->w;
	for (int t = 0; t < 9; t++)
		j.off[t] = (ptrdiff_t)(t / 3 - 1) * c->w + (t % 3 - 1);
	pack_weights(c, wt, scratch, dx);
	nblk = (j.total + BLK - 1) / BLK;
	par_for(par_threads(j.total * (size_t)c->cin * c->cout, 1u << 16),
		nblk, 1, conv3_part, &j);
}

void dbv_conv3_forward(const struct dbv_conv *c, int n, const float *x,
		       const float *wt, const float *b, float *y,
		       float *scratch)
{
	conv3_run(c, n, x, wt, b, y, scratch, 0, 0);
}

void dbv_conv3_backward_dx(const struct dbv_conv *c, int n, const float *dy,
			   const float *wt, float *dx, float *scratch,
			   int set)
{
	conv3_run(c, n, dy, wt, NULL, dx, scratch, 1, !set);
}

#else

void dbv_conv3_forward(const struct dbv_conv *c, int n, const float *x,
		       const float *wt, const float *b, float *y,
		       float *scratch)
{
	(void)c, (void)n, (void)x, (void)wt, (void)b, (void)y, (void)scratch;
	abort(); /* dbv_conv_is_direct3 is never true here */
}

void dbv_conv3_backward_dx(const struct dbv_conv *c, int n, const float *dy,
			   const float *wt, float *dx, float *scratch,
			   int set)
{
	(void)c, (void)n, (void)dy, (void)wt, (void)dx, (void)scratch,
		(void)set;
	abort();
}

void dbv_conv3_backward_dw(const struct dbv_conv *c, int n, const float *x,
			   const float *dy, float *dwt)
{
	(void)c, (void)n, (void)x, (void)dy, (void)dwt;
	abort();
}

#endif
