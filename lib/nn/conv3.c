/*
 * conv3.c - a 3x3 convolution of stride 1 and padding 1 computed
 * directly with AVX-512, without im2col or sgemm: the forward pass, the
 * input gradient dx (the same kernel) and the weight gradient dwt (a
 * kernel of its own, described above dbv_conv3_backward_dw); and the 3x3
 * convolution of stride 2 on the same kernels (see "stride 2" below).
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
 * thread claims runs of position blocks (par_claim) and, for each block,
 * sweeps every channel block, so the block's inputs (cin rows of BLK +
 * 2w + 2 floats) stay in L1 while the weights stream from L2.
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
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
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
		return "3x3 stride 1 and 2: direct, AVX-512, forward and "
		       "backward (DBV_CONV=gemm: im2col + sgemm); the rest: "
		       "im2col + sgemm";
	if (dbv_conv_direct_cpu())
		return "im2col + sgemm (direct 3x3 kernel turned off by "
		       "DBV_CONV)";
	return "im2col + sgemm (the direct 3x3 kernel needs AVX-512)";
}

#if HAVE_CONV3

/*
 * Items [0, n) claimed `grain` at a time from a shared counter by nt
 * threads, instead of par_for's fixed shares: on a shared machine a
 * thread that other programs hold back then takes fewer items, where
 * with fixed shares the others would wait for it at the end.  Every
 * item is computed the same whichever thread takes it (no sum spans two
 * items), so the bits still do not depend on the timing.
 */
struct claim_job {
	_Atomic size_t next;
	size_t n, grain;
	par_range_fn *fn;
	void *arg;
};

static void claim_part(void *arg, int t, int nt)
{
	struct claim_job *c = arg;

	(void)t, (void)nt;
	for (;;) {
		size_t lo = atomic_fetch_add_explicit(&c->next, c->grain,
						      memory_order_relaxed);

		if (lo >= c->n)
			break;
		c->fn(c->arg, lo, c->n - lo < c->grain ? c->n : lo + c->grain);
	}
}

static void par_claim(int nt, size_t n, size_t grain, par_range_fn *fn,
		      void *arg)
{
	struct claim_job c = { .n = n, .grain = grain ? grain : 1, .fn = fn,
			       .arg = arg };

	if (nt <= 1 || n <= c.grain) {
		fn(arg, 0, n);
		return;
	}
	atomic_init(&c.next, 0);
	par_run(nt, claim_part, &c);
}

/*
 * Where the taps of a pass read: a map of h x w per image (total = n*h*w
 * positions, one row per channel), and per tap its row and column shift
 * in that map (-1, 0 or 1), whose lanes outside the map are masked.
 */
struct conv3_geom {
	int h, w, nt;
	size_t total;
	signed char sy[9], sx[9];
};

#define IN 9 /* the mask index of "q < total": the store mask */

/* Of one vector of 16 positions, the lanes with q < total, and those
 * whose row above / row below / column left / column right is in their
 * image, as masks by shift: row[sy + 1] (in & above, in, in & below) and
 * col[sx + 1] (left, all, right). */
struct lane_edges {
	unsigned row[3], col[3];
};

/*
 * (xx, yy) of each lane back inside the w x h map: xx may have run past
 * w (by several rows where w < 16) and yy past h (several images).
 */
__attribute__((target("avx512f"))) static inline void
wrap(__m512i *xx, __m512i *yy, __m512i w, __m512i h)
{
	const __m512i one = _mm512_set1_epi32(1);
	__mmask16 k;

	while ((k = _mm512_cmpge_epi32_mask(*xx, w))) {
		*xx = _mm512_mask_sub_epi32(*xx, k, *xx, w);
		*yy = _mm512_mask_add_epi32(*yy, k, *yy, one);
	}
	while ((k = _mm512_cmpge_epi32_mask(*yy, h)))
		*yy = _mm512_mask_sub_epi32(*yy, k, *yy, h);
}

/*
 * The edges of the nv vectors from position q0 of the map g, 16 lanes at
 * a time: each lane's column xx and row yy advance by 16 positions a
 * vector and wrap (a lane-by-lane loop here was 2% of a WRN step once
 * dwt's claims, several a thread, each recomputed its chunks' masks).
 */
__attribute__((target("avx512f"))) static void
lane_edges(const struct conv3_geom *g, size_t q0, int nv,
	   struct lane_edges *e)
{
	const __m512i w = _mm512_set1_epi32(g->w), h = _mm512_set1_epi32(g->h);
	const __m512i w1 = _mm512_set1_epi32(g->w - 1);
	const __m512i h1 = _mm512_set1_epi32(g->h - 1);
	const __m512i zero = _mm512_setzero_si512();
	const __m512i sixteen = _mm512_set1_epi32(16);
	const size_t p = q0 % ((size_t)g->h * g->w);
	__m512i xx = _mm512_add_epi32(
		_mm512_set1_epi32((int)(p % (size_t)g->w)),
		_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
				 1, 0));
	__m512i yy = _mm512_set1_epi32((int)(p / (size_t)g->w));

	wrap(&xx, &yy, w, h);
	for (int v = 0; v < nv; v++) {
		size_t q = q0 + 16 * (size_t)v;
		size_t left = q < g->total ? g->total - q : 0;
		unsigned in = left >= 16 ? 0xffffu : (1u << left) - 1;
		unsigned l = _mm512_cmpgt_epi32_mask(xx, zero);
		unsigned r = _mm512_cmplt_epi32_mask(xx, w1);
		unsigned t = _mm512_cmpgt_epi32_mask(yy, zero);
		unsigned b = _mm512_cmplt_epi32_mask(yy, h1);

		e[v] = (struct lane_edges){ { in & t, in, in & b },
					    { l, 0xffffu, r } };
		xx = _mm512_add_epi32(xx, sixteen);
		wrap(&xx, &yy, w, h);
	}
}

/*
 * The lanes of vector v (of nv) whose tap t lies in their image (and
 * q < total), into m[t*st + v*sv] for t < nt, and the lanes with
 * q < total into m[IN*st + v*sv].
 */
static void tap_masks(const struct conv3_geom *g, const struct lane_edges *e,
		      int nv, __mmask16 *m, int st, int sv)
{
	for (int v = 0; v < nv; v++) {
		for (int k = 0; k < g->nt; k++)
			m[k * st + v * sv] = (__mmask16)(e[v].row[g->sy[k] + 1] &
							 e[v].col[g->sx[k] + 1]);
		m[IN * st + v * sv] = (__mmask16)e[v].row[1];
	}
}

/*
 * One block: outputs q0 .. q0+BLK-1 of the CO channels whose packed
 * weights are wp ([cin][nt][CO]); x points at input q0 of channel 0
 * (channels ldx apart), y at output q0 of the block's first channel
 * (channels ldy apart); nco (<= CO) channels are real.  Inlined into one
 * function per tap count, so that the taps' loop unrolls.
 */
__attribute__((target("avx512f"), always_inline)) static inline void
conv3_block(const float *x, size_t ldx, const ptrdiff_t *off,
	    const __mmask16 m[IN + 1][NV], const int nt, const float *wp,
	    int cin, const float *bias, float *y, size_t ldy, int nco, int add)
{
	__m512 a[CO][NV];

#pragma GCC unroll 16
	for (int co = 0; co < CO; co++)
#pragma GCC unroll 16
		for (int v = 0; v < NV; v++)
			a[co][v] = _mm512_setzero_ps();
	for (int ci = 0; ci < cin; ci++, x += ldx) {
#pragma GCC unroll 9
		for (int t = 0; t < nt; t++, wp += CO) {
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
			float *yv = y + co * ldy + 16 * v;

			__m512 r = _mm512_add_ps(a[co][v], b);

			if (add)
				r = _mm512_add_ps(
					_mm512_maskz_loadu_ps(m[IN][v], yv), r);
			_mm512_mask_storeu_ps(yv, m[IN][v], r);
		}
	}
}

typedef void block_fn(const float *x, size_t ldx, const ptrdiff_t *off,
		      const __mmask16 m[IN + 1][NV], const float *wp, int cin,
		      const float *bias, float *y, size_t ldy, int nco,
		      int add);

#define BLOCK_NT(T)                                                          \
	__attribute__((target("avx512f"))) static void conv3_block##T(        \
		const float *x, size_t ldx, const ptrdiff_t *off,             \
		const __mmask16 m[IN + 1][NV], const float *wp, int cin,      \
		const float *bias, float *y, size_t ldy, int nco, int add)    \
	{                                                                     \
		conv3_block(x, ldx, off, m, T, wp, cin, bias, y, ldy, nco,    \
			    add);                                             \
	}
BLOCK_NT(1)
BLOCK_NT(2)
BLOCK_NT(4)
BLOCK_NT(9)

static block_fn *block_for(int nt)
{
	return nt == 9 ? conv3_block9 : nt == 4 ? conv3_block4 :
	       nt == 2 ? conv3_block2 : conv3_block1;
}

/*
 * One pass of a direct convolution: cout outputs channels of the map g
 * from cin input channels, each output the sum over input channels and
 * the nt taps of g.  The dx of a stride-2 convolution runs four passes
 * (one per input phase) as one job.
 */
struct conv3_pass {
	struct conv3_geom g;
	ptrdiff_t off[9];   /* input offset of each tap */
	const float *x, *wp, *b;
	float *y;
};

struct conv3_job {
	int cin, cout;       /* of this pass (the dx pass swaps cin, cout) */
	size_t ldx, ldy;     /* floats between channel rows of x, y */
	int add;             /* y += instead of y = */
	int npass;
	size_t nblk;         /* blocks of BLK positions per pass */
	struct conv3_pass pass[4];
};

/* Items [lo, hi) of the passes' blocks, block-major: a block's passes one
 * after the other, while its inputs are in cache (pass-major, the four
 * 1- to 4-tap passes of a stride-2 dx each streamed all of dy from the
 * outer caches and ran at a third of the speed). */
static void conv3_part(void *arg, size_t lo, size_t hi)
{
	const struct conv3_job *j = arg;
	const size_t per = (size_t)j->cin * CO;
	__mmask16 m[IN + 1][NV];
	struct lane_edges e[NV];
	size_t at = SIZE_MAX; /* the block e is of */

	for (size_t it = lo; it < hi; it++) {
		const struct conv3_pass *p = &j->pass[it % j->npass];
		const size_t q0 = it / j->npass * BLK;
		block_fn *fn = block_for(p->g.nt);

		/* The passes share their map: a block's edges once. */
		if (q0 != at)
			lane_edges(&p->g, q0, NV, e);
		at = q0;
		tap_masks(&p->g, e, NV, &m[0][0], NV, 1);
		for (int co0 = 0; co0 < j->cout; co0 += CO) {
			int nco = j->cout - co0 < CO ? j->cout - co0 : CO;

			fn(p->x + q0, j->ldx, p->off,
			   (const __mmask16(*)[NV])m,
			   p->wp + (size_t)(co0 / CO) * per * p->g.nt, j->cin,
			   p->b ? p->b + co0 : NULL,
			   p->y + (size_t)co0 * j->ldy + q0, j->ldy, nco,
			   j->add);
		}
	}
}

static void conv3_go(struct conv3_job *j, size_t flops)
{
	const int nt = par_threads(flops, 1u << 16);
	size_t items;

	j->nblk = (j->pass[0].g.total + BLK - 1) / BLK;
	items = j->nblk * (size_t)j->npass;
	/* About 16 claims a thread. */
	par_claim(nt, items, items / (16 * (size_t)nt), conv3_part, j);
}

/*
 * The weight gradient: dwt[co][ci][t] += sum over q of dy[co][q] times
 * x[ci][q + off[t]] (tap t inside the image).  Positions go in chunks of
 * WCH; for each chunk, each (block of CO output channels, input channel)
 * pair and each kernel row ky, CO x 3 accumulators (the row's three taps)
 * sum over the chunk's vectors lane by lane, then each is reduced across
 * its lanes and added into dwt.  So dwt gets the chunks' sums in chunk
 * order, each summed in a fixed order: the bits do not depend on the
 * thread count (threads claim ranges of pairs, and walk all the chunks
 * for each).  A chunk's dy rows of a channel block are packed (pack_dy,
 * CO * WCH floats on the stack) and stay in cache across the input
 * channels, and its x row across the three kernel rows.  A stride-2
 * convolution runs the same on the phases of x (its taps then read
 * different phase rows: off[] holds that too).
 */
#define WCH 1024 /* positions per chunk (512 and 256 were slower) */

struct conv3w_job {
	const struct dbv_conv *c;
	struct conv3_geom g;
	size_t ldx, ldy;     /* floats between the channel rows of x, dy */
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
	const __mmask16 (*m)[IN + 1], float *pk)
{
	for (int v = 0; v < nv; v++)
		for (int co = 0; co < CO; co++)
			_mm512_store_ps(pk + ((size_t)v * CO + co) * 16,
					co < nco ? _mm512_maskz_loadu_ps(
							   m[v][IN], dy + co * ld + 16 * v)
						 : _mm512_setzero_ps());
}

__attribute__((target("avx512f"))) static void
conv3w_row(const float *x, const float *pk, int nco, const ptrdiff_t off[3],
	   const __mmask16 (*m)[IN + 1], int ky, int nv, float *dw, size_t dwld)
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

			/* Once, into a register: gcc folds the load into
			 * each of the three FMAs, and three 512-bit loads
			 * per three FMAs bound the loop (measured 1.3x
			 * slower, bench/layers "backward dwt"). */
			__asm__("" : "+v"(d));
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
	const size_t ld = j->g.total, dwld = (size_t)c->cin * 9;
	const size_t ldy = j->ldy;
	__mmask16 m[WCH / 16][IN + 1];
	struct lane_edges e[WCH / 16];
	float pk[WCH * CO] __attribute__((aligned(64)));

	for (size_t q0 = 0; q0 < ld; q0 += WCH) {
		size_t left = ld - q0;
		int nv = left < WCH ? (int)((left + 15) / 16) : WCH / 16;
		int packed = -1;

		lane_edges(&j->g, q0, nv, e);
		tap_masks(&j->g, e, nv, &m[0][0], 1, IN + 1);
		for (size_t p = lo; p < hi; p++) {
			int cb = (int)(p / (size_t)c->cin), co0 = cb * CO;
			int ci = (int)(p % (size_t)c->cin);
			int nco = c->cout - co0 < CO ? c->cout - co0 : CO;

			if (cb != packed) {
				pack_dy(j->dy + (size_t)co0 * ldy + q0, ldy, nco,
					nv, (const __mmask16(*)[IN + 1])m, pk);
				packed = cb;
			}
			for (int ky = 0; ky < 3; ky++)
				conv3w_row(j->x + (size_t)ci * j->ldx + q0, pk,
					   nco, j->off + 3 * ky,
					   (const __mmask16(*)[IN + 1])m, ky,
					   nv,
					   j->dwt + (size_t)co0 * dwld +
						   (size_t)ci * 9 + 3 * ky,
					   dwld);
		}
	}
}

static void conv3w_go(struct conv3w_job *j)
{
	const struct dbv_conv *c = j->c;
	const size_t blocks = (size_t)(c->cout + CO - 1) / CO;
	const size_t pairs = blocks * c->cin;
	const int nt = par_threads(j->g.total * (size_t)c->cin * c->cout,
				   1u << 16);

	/* A claim takes a whole channel block (whose dy it packs once a
	 * chunk: smaller claims each packed it again, 1.3% of a WRN step)
	 * where there are enough of them for 2 claims a thread, else about
	 * 4 claims a thread of its pairs. */
	par_claim(nt, pairs,
		  blocks >= 2 * (size_t)nt ? (size_t)c->cin
					   : pairs / (4 * (size_t)nt),
		  conv3w_part, j);
}

/* The stride-1 geometry of c over n images. */
static void geom_same(const struct dbv_conv *c, int n, struct conv3_geom *g,
		      ptrdiff_t off[9])
{
	g->h = c->h;
	g->w = c->w;
	g->nt = 9;
	g->total = (size_t)n * c->h * c->w;
	for (int t = 0; t < 9; t++) {
		g->sy[t] = (signed char)(t / 3 - 1);
		g->sx[t] = (signed char)(t % 3 - 1);
		off[t] = (ptrdiff_t)g->sy[t] * c->w + g->sx[t];
	}
}

void dbv_conv3_backward_dw(const struct dbv_conv *c, int n, const float *x,
			   const float *dy, float *dwt)
{
	struct conv3w_job j = { .c = c, .x = x, .dy = dy, .dwt = dwt };

	if (n < 1)
		return;
	geom_same(c, n, &j.g, j.off);
	j.ldx = j.ldy = j.g.total;
	conv3w_go(&j);
}

/*
 * Packed weights [cout'/CO][cin'][nt][CO] of a pass from cin' to cout'
 * channels, zero-padded, for the taps tap[0..nt) of the kernel.
 * Forward: cin' = cin, cout' = cout and wp[o][i][k] = wt[o][i][tap[k]].
 * dx: cin' = cout, cout' = cin and wp[o][i][k] = wt[i][o][tap[k]] -- dx
 * is the convolution of dy with the kernels transposed (and, at stride 1,
 * turned by 180 degrees: tap[k] = 8 - k).  Returns the end of wp.
 */
static float *pack_weights(const struct dbv_conv *c, const float *wt,
			   float *wp, int dx, int nt, const int *tap)
{
	const int ci_n = dx ? c->cout : c->cin, co_n = dx ? c->cin : c->cout;

	for (int co0 = 0; co0 < co_n; co0 += CO)
		for (int ci = 0; ci < ci_n; ci++)
			for (int k = 0; k < nt; k++)
				for (int co = 0; co < CO; co++) {
					int o = co0 + co;
					size_t at = dx ? ((size_t)ci * c->cin + o) * 9 + tap[k]
						       : ((size_t)o * c->cin + ci) * 9 + tap[k];

					*wp++ = o < co_n ? wt[at] : 0.0f;
				}
	return wp;
}

static void conv3_run(const struct dbv_conv *c, int n, const float *x,
		      const float *wt, const float *b, float *y,
		      float *scratch, int dx, int add)
{
	static const int fwd[9] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };
	static const int turned[9] = { 8, 7, 6, 5, 4, 3, 2, 1, 0 };
	struct conv3_job j = { .cin = dx ? c->cout : c->cin,
			       .cout = dx ? c->cin : c->cout, .add = add,
			       .npass = 1 };
	struct conv3_pass *p = &j.pass[0];

	if (n < 1)
		return;
	geom_same(c, n, &p->g, p->off);
	j.ldx = j.ldy = p->g.total;
	p->x = x;
	p->wp = scratch;
	p->b = b;
	p->y = y;
	pack_weights(c, wt, scratch, dx, 9, dx ? turned : fwd);
	conv3_go(&j, p->g.total * (size_t)c->cin * c->cout);
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

/* ---- stride 2 ------------------------------------------------------- */

/*
 * A 3x3 convolution of stride 2 and padding 1 reads, for output (oy, ox),
 * inputs (2oy - 1 + ky, 2ox - 1 + kx).  Split x into its four phases
 * P[a][b][i][j] = x[2i + a][2j + b], each an oh x ow map (zero where
 * 2i + a or 2j + b falls outside x, at the far edge of an odd size): then
 * kernel row ky reads phase row a = (ky != 1), shifted by -1 for ky = 0
 * and by 0 otherwise (rows 2oy - 1 = 2(oy - 1) + 1, 2oy, 2oy + 1), and so
 * for the columns.  So every tap is a fixed-offset read in one phase map:
 * the stride-1 kernel's masked-offset block, with oh x ow as its map.
 * The phases of a chunk of images are laid out [cin][4][nb*oh*ow] (a
 * channel's four phases one after the other, so that a tap's offset also
 * names its phase), and the forward pass is one 9-tap pass over them.
 * dx is the transpose: phase (a, b) of dx gets the 1, 2 or 4 taps that
 * read that phase, from dy shifted the other way (+1 where the forward
 * had -1): four passes of one job, into the phases of dx, which are then
 * interleaved into dx.  dwt is the stride-1 kernel's, on the phases.
 *
 * The images go in chunks of S2_TARGET floats of phases (at least one
 * image), so the scratch stays bounded whatever the batch, like im2col's
 * columns.  The chunk size depends only on the shape and n, so dwt's
 * chunked sums (and everything else) stay bit-reproducible.  (Chunks of
 * 256 Ki floats, whose phases would stay in a core's outer cache between
 * being written and read, made the forward and dx no faster.)
 *
 * (A 1x1 convolution of stride 2 needs phase (0, 0) only, and im2col
 * already is that gather, done per thread beside its sgemm; gathering
 * it first and running one threaded sgemm was 0.55-1.1x as fast in
 * bench/layers, so it stays on the im2col path.)
 */
#define S2_TARGET ((size_t)2 * 1024 * 1024)

/* Tap t of a 3x3 stride-2 kernel: its phase (a*2 + b), and the shift of
 * kernel row (or column) k in the phase map. */
static int tap_phase(int t)
{
	return (t / 3 != 1) * 2 + (t % 3 != 1);
}

static int tap_shift(int k)
{
	return k == 0 ? -1 : 0;
}

/* Images per chunk. */
static int s2_chunk(const struct dbv_conv *c, int n)
{
	size_t per = (size_t)4 * c->cin * c->oh * c->ow;
	size_t nb = S2_TARGET / per;

	if (nb < 1)
		nb = 1;
	return nb < (size_t)n ? (int)nb : n;
}

struct phase_job {
	const struct dbv_conv *c;
	int n, n0, nb;       /* images n0 .. n0+nb-1 of n */
	float *x;            /* [cin][n][h][w] */
	float *ph;           /* [cin][4][nb][oh][ow] */
	int merge;           /* phases -> x instead of x -> phases */
	int set;             /* merge: dx = instead of += */
};

/* The lanes below k (0 <= k, at most 16). */
static __mmask16 first(int k)
{
	return k >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << k) - 1);
}

/*
 * Row xr (w floats) -> its even columns e and odd columns o (ow floats
 * each, zero past the row's end), 32 columns at a time: two loads (zero
 * past w) and two permutes.
 */
__attribute__((target("avx512f"))) static void
split_row(const float *xr, int w, int ow, float *e, float *o)
{
	const __m512i ie = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14,
					    12, 10, 8, 6, 4, 2, 0);
	const __m512i io = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15,
					    13, 11, 9, 7, 5, 3, 1);

	for (int c0 = 0, j0 = 0; j0 < ow; c0 += 32, j0 += 16) {
		__m512 lo = _mm512_maskz_loadu_ps(first(w - c0), xr + c0);
		__m512 hi = _mm512_maskz_loadu_ps(
			w - c0 > 16 ? first(w - c0 - 16) : 0, xr + c0 + 16);
		__mmask16 m = first(ow - j0);

		_mm512_mask_storeu_ps(e + j0, m,
				      _mm512_permutex2var_ps(lo, ie, hi));
		_mm512_mask_storeu_ps(o + j0, m,
				      _mm512_permutex2var_ps(lo, io, hi));
	}
}

/* The inverse: row xr (w floats) = (or += when add) the interleave of e
 * and o. */
__attribute__((target("avx512f"))) static void
merge_row(float *xr, int w, int ow, const float *e, const float *o, int add)
{
	const __m512i il = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3,
					    18, 2, 17, 1, 16, 0);
	const __m512i ih = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27,
					    11, 26, 10, 25, 9, 24, 8);

	for (int c0 = 0, j0 = 0; j0 < ow; c0 += 32, j0 += 16) {
		__mmask16 m = first(ow - j0);
		__mmask16 ml = first(w - c0);
		__mmask16 mh = w - c0 > 16 ? first(w - c0 - 16) : 0;
		__m512 ev = _mm512_maskz_loadu_ps(m, e + j0);
		__m512 od = _mm512_maskz_loadu_ps(m, o + j0);
		__m512 lo = _mm512_permutex2var_ps(ev, il, od);
		__m512 hi = _mm512_permutex2var_ps(ev, ih, od);

		if (add) {
			lo = _mm512_add_ps(lo, _mm512_maskz_loadu_ps(ml, xr + c0));
			hi = _mm512_add_ps(hi, _mm512_maskz_loadu_ps(mh, xr + c0 + 16));
		}
		_mm512_mask_storeu_ps(xr + c0, ml, lo);
		_mm512_mask_storeu_ps(xr + c0 + 16, mh, hi);
	}
}

/*
 * The (channel, image) pairs [lo, hi) of the chunk: x -> phases (split),
 * or phases -> x (merge: += unless set; the phases cover every pixel).
 */
static void phase_part(void *arg, size_t lo, size_t hi)
{
	const struct phase_job *j = arg;
	const struct dbv_conv *c = j->c;
	const int h = c->h, w = c->w, oh = c->oh, ow = c->ow;
	const size_t hw = (size_t)h * w, ohw = (size_t)oh * ow;
	const size_t tot = ohw * j->nb;

	for (size_t r = lo; r < hi; r++) {
		const size_t ci = r / j->nb, img = r % j->nb;
		float *xi = j->x + (ci * j->n + j->n0 + img) * hw;
		float *d = j->ph + ci * 4 * tot + img * ohw; /* phase (0, 0) */

		for (int i = 0; i < oh; i++, d += ow)
			for (int a = 0; a < 2; a++) {
				float *e = d + (size_t)2 * a * tot, *o = e + tot;
				float *xr = xi + (size_t)(2 * i + a) * w;

				if (2 * i + a >= h) { /* past an odd height */
					if (!j->merge) {
						memset(e, 0, ow * sizeof *e);
						memset(o, 0, ow * sizeof *o);
					}
				} else if (j->merge) {
					merge_row(xr, w, ow, e, o, !j->set);
				} else {
					split_row(xr, w, ow, e, o);
				}
			}
	}
}

static void phases(struct phase_job *j, int merge)
{
	size_t rows = (size_t)j->c->cin * j->nb;

	j->merge = merge;
	par_for(par_threads(rows * j->c->h * j->c->w, PAR_MIN), rows, 1,
		phase_part, j);
}

int dbv_conv_is_direct_s2(const struct dbv_conv *c)
{
	return c->k == 3 && c->stride == 2 && c->pad == 1 && direct_wanted();
}

int dbv_conv_has_direct(const struct dbv_conv *c)
{
	return dbv_conv_is_direct3(c) || dbv_conv_is_direct_s2(c);
}

/* Floats of packed weights (either pass), rounded up to a cache line. */
static size_t s2_pack(const struct dbv_conv *c)
{
	size_t a = dbv_conv3_scratch(c, 0), b = dbv_conv3_scratch(c, 1);

	return ((a > b ? a : b) + 15) / 16 * 16;
}

size_t dbv_conv_s2_scratch(const struct dbv_conv *c, int n)
{
	if (n < 1)
		return 0;
	return s2_pack(c) + (size_t)4 * c->cin * s2_chunk(c, n) * c->oh * c->ow;
}

/*
 * The passes of the forward (dx = 0: the phases ph of a chunk of nb
 * images -> y) or of dx (dy -> the phases ph of dx), with the weights
 * packed at wp; in and out point at the chunk's first image, whose
 * channel rows are ld = n*oh*ow floats apart.
 */
static void s2_job(const struct dbv_conv *c, int nb, size_t ld, int dx,
		   const float *wt, float *wp, struct conv3_job *j)
{
	const size_t tot = (size_t)nb * c->oh * c->ow;

	memset(j, 0, sizeof *j);
	j->cin = dx ? c->cout : c->cin;
	j->cout = dx ? c->cin : c->cout;
	j->npass = dx ? 4 : 1;
	j->ldx = dx ? ld : 4 * tot;
	j->ldy = dx ? 4 * tot : ld;
	for (int p = 0; p < j->npass; p++) {
		struct conv3_pass *ps = &j->pass[p];
		int tap[9], nt = 0;

		ps->g.h = c->oh;
		ps->g.w = c->ow;
		ps->g.total = tot;
		for (int t = 0; t < 9; t++) {
			int sy = tap_shift(t / 3), sx = tap_shift(t % 3);

			if (dx && tap_phase(t) != p)
				continue;
			/* dx reads dy the other way round. */
			ps->g.sy[nt] = (signed char)(dx ? -sy : sy);
			ps->g.sx[nt] = (signed char)(dx ? -sx : sx);
			ps->off[nt] = (dx ? 0 : (ptrdiff_t)tap_phase(t) * tot) +
				      (ptrdiff_t)ps->g.sy[nt] * c->ow + ps->g.sx[nt];
			tap[nt++] = t;
		}
		ps->g.nt = nt;
		ps->wp = wp;
		wp = pack_weights(c, wt, wp, dx, nt, tap);
	}
}

void dbv_conv_s2_forward(const struct dbv_conv *c, int n, const float *x,
			 const float *wt, const float *b, float *y,
			 float *scratch)
{
	const size_t ohw = (size_t)c->oh * c->ow, ld = ohw * n;
	float *ph = scratch + s2_pack(c);
	struct phase_job pj = { .c = c, .n = n, .x = (float *)x, .ph = ph };
	struct conv3_job j;

	if (n < 1)
		return;
	pj.nb = s2_chunk(c, n);
	s2_job(c, pj.nb, ld, 0, wt, scratch, &j);
	for (pj.n0 = 0; pj.n0 < n; pj.n0 += pj.nb) {
		if (n - pj.n0 < pj.nb) {
			/* The short last chunk: shorter phases. */
			pj.nb = n - pj.n0;
			s2_job(c, pj.nb, ld, 0, wt, scratch, &j);
		}
		phases(&pj, 0);
		j.pass[0].x = ph;
		j.pass[0].b = b;
		j.pass[0].y = y + pj.n0 * ohw;
		conv3_go(&j, (size_t)pj.nb * ohw * c->cin * c->cout);
	}
}

void dbv_conv_s2_backward(const struct dbv_conv *c, int n, const float *x,
			  const float *wt, const float *dy, float *dx,
			  float *dwt, float *scratch, int set)
{
	const size_t ohw = (size_t)c->oh * c->ow, ld = ohw * n;
	float *ph = scratch + s2_pack(c);
	struct phase_job pj = { .c = c, .n = n, .ph = ph, .set = set };
	struct conv3_job j;
	const int nb = s2_chunk(c, n);

	if (n < 1)
		return;
	if (dx)
		s2_job(c, nb, ld, 1, wt, scratch, &j);
	for (pj.n0 = 0; pj.n0 < n; pj.n0 += pj.nb) {
		size_t tot;

		pj.nb = n - pj.n0 < nb ? n - pj.n0 : nb;
		tot = (size_t)pj.nb * ohw;
		if (dwt) {
			struct conv3w_job w = { .c = c, .x = ph, .dy = dy + pj.n0 * ohw,
						.dwt = dwt, .ldx = 4 * tot,
						.ldy = ld };

			pj.x = (float *)x;
			phases(&pj, 0);
			w.g.h = c->oh;
			w.g.w = c->ow;
			w.g.nt = 9;
			w.g.total = tot;
			for (int t = 0; t < 9; t++) {
				w.g.sy[t] = (signed char)tap_shift(t / 3);
				w.g.sx[t] = (signed char)tap_shift(t % 3);
				w.off[t] = (ptrdiff_t)tap_phase(t) * tot +
					   (ptrdiff_t)w.g.sy[t] * c->ow + w.g.sx[t];
			}
			conv3w_go(&w);
		}
		if (!dx)
			continue;
		for (int p = 0; p < 4; p++) {
			j.pass[p].g.total = tot;
			j.pass[p].x = dy + pj.n0 * ohw;
			j.pass[p].y = ph + p * tot;
		}
		j.ldy = 4 * tot;
		conv3_go(&j, tot * c->cin * c->cout);
		pj.x = dx;
		phases(&pj, 1);
	}
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

int dbv_conv_is_direct_s2(const struct dbv_conv *c)
{
	(void)c;
	return 0;
}

int dbv_conv_has_direct(const struct dbv_conv *c)
{
	(void)c;
	return 0;
}

size_t dbv_conv_s2_scratch(const struct dbv_conv *c, int n)
{
	(void)c, (void)n;
	return 0;
}

void dbv_conv_s2_forward(const struct dbv_conv *c, int n, const float *x,
			 const float *wt, const float *b, float *y,
			 float *scratch)
{
	(void)c, (void)n, (void)x, (void)wt, (void)b, (void)y, (void)scratch;
	abort(); /* dbv_conv_is_direct_s2 is never true here */
}

void dbv_conv_s2_backward(const struct dbv_conv *c, int n, const float *x,
			  const float *wt, const float *dy, float *dx,
			  float *dwt, float *scratch, int set)
{
	(void)c, (void)n, (void)x, (void)wt, (void)dy, (void)dx, (void)dwt,
		(void)scratch, (void)set;
	abort();
}

#endif
