/*
 * attn.c - multi-head self-attention after the qkv projection (tokens.h):
 *
 *   qkv [n, T, 3*H*dh]:   | q: head 0 .. H-1 | k: ... | v: ... |
 *   per item i and head h (each [T, dh], leading dimension 3*H*dh):
 *	S = q k^T * dh^-1/2          sgemm into P's [T, T] block
 *	P = softmax(S) over keys     in place, row by row (max subtracted)
 *	o = P v                      sgemm into y [n, T, H*dh] at column h*dh
 *
 *   backward, with do the gradient of o:
 *	dv += P^T do                 sgemm
 *	dP  = do v^T                 sgemm into the thread's scratch
 *	dS  = P .* (dP - rowsum(dP .* P))
 *	dq += dS k * dh^-1/2,  dk += dS^T q * dh^-1/2
 *
 * The (item, head) pairs are split across threads in ranges, each pair's
 * products single-threaded sgemms (dbv_sgemm1), so results are bit-identical
 * whatever the thread count: each pair is computed whole by
 * one thread, and the split changes no sum.
 */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

struct attn_job {
	int t, heads, dh;
	const float *qkv, *p, *dy;
	float *y, *pp, *dqkv, *scratch;
	float scale;
};

DBV_VECTORIZE static void attn_fwd_part(void *arg, size_t lo, size_t hi)
{
	const struct attn_job *a = arg;
	const int t = a->t, hd = a->heads * a->dh, ld = 3 * hd;

	for (size_t ih = lo; ih < hi; ih++) {
		size_t i = ih / (size_t)a->heads;
		int h = (int)(ih % (size_t)a->heads);
		const float *q = a->qkv + i * t * ld + h * a->dh;
		float *p = a->pp + ih * t * t;

		dbv_sgemm1(0, 1, t, t, a->dh, a->scale, q, ld, q + hd, ld, 0.0f,
			   p, t);
		for (int r = 0; r < t; r++) {
			float *row = p + (size_t)r * t, mx = row[0], s = 0;

			for (int c = 1; c < t; c++)
				mx = row[c] > mx ? row[c] : mx;
			for (int c = 0; c < t; c++)
				row[c] = dbv_expf_poly(row[c] - mx);
			for (int c = 0; c < t; c++)
				s += row[c];
			s = 1.0f / s;
			for (int c = 0; c < t; c++)
				row[c] *= s;
		}
		dbv_sgemm1(0, 0, t, a->dh, t, 1.0f, p, t, q + 2 * hd, ld, 0.0f,
			   a->y + i * t * hd + h * a->dh, hd);
	}
}

void dbv_attn_forward(int n, int t, int heads, int dh, const float *qkv,
		      float *y, float *p)
{
	struct attn_job a = { .t = t, .heads = heads, .dh = dh, .qkv = qkv,
			      .y = y, .pp = p,
			      .scale = (float)(1.0 / sqrt((double)dh)) };
	size_t pairs = (size_t)n * heads;
	size_t work = pairs * t * t * dh;

	par_for(par_threads(work, PAR_MIN * 4), pairs, 1, attn_fwd_part, &a);
}

size_t dbv_attn_scratch(int t)
{
	return (size_t)t * t;
}

struct attn_bwd {
	struct attn_job a;
	size_t pairs;
};

/* Thread th of nt: its range of the pairs, with its own [T, T] scratch. */
DBV_VECTORIZE static void attn_bwd_run(void *arg, int th, int nt)
{
	const struct attn_bwd *b = arg;
	const struct attn_job *a = &b->a;
	const int t = a->t, hd = a->heads * a->dh, ld = 3 * hd;
	float *dp = a->scratch + (size_t)th * t * t;
	size_t lo, hi;

	par_range(b->pairs, th, nt, 1, &lo, &hi);
	for (size_t ih = lo; ih < hi; ih++) {
		size_t i = ih / (size_t)a->heads;
		int h = (int)(ih % (size_t)a->heads);
		size_t off = i * t * ld + h * a->dh;
		const float *q = a->qkv + off, *k = q + hd, *v = q + 2 * hd;
		float *dq = a->dqkv + off, *dk = dq + hd, *dv = dq + 2 * hd;
		const float *p = a->p + ih * t * t;
		const float *dout = a->dy + i * t * hd + h * a->dh;

		dbv_sgemm1(1, 0, t, a->dh, t, 1.0f, p, t, dout, hd, 1.0f, dv, ld);
		dbv_sgemm1(0, 1, t, t, a->dh, 1.0f, dout, hd, v, ld, 0.0f, dp, t);
		for (int r = 0; r < t; r++) {
			const float *pr = p + (size_t)r * t;
			float *dr = dp + (size_t)r * t, s = 0;

			for (int c = 0; c < t; c++)
				s += dr[c] * pr[c];
			for (int c = 0; c < t; c++)
				dr[c] = pr[c] * (dr[c] - s);
		}
		dbv_sgemm1(0, 0, t, a->dh, t, a->scale, dp, t, k, ld, 1.0f, dq, ld);
		dbv_sgemm1(1, 0, t, a->dh, t, a->scale, dp, t, q, ld, 1.0f, dk, ld);
	}
}

void dbv_attn_backward(int n, int t, int heads, int dh, const float *qkv,
		       const float *p, const float *dy, float *dqkv,
		       float *scratch, size_t scratch_size)
{
	struct attn_bwd b = {
		.a = { .t = t, .heads = heads, .dh = dh, .qkv = qkv, .p = p,
		       .dy = dy, .dqkv = dqkv, .scratch = scratch,
		       .scale = (float)(1.0 / sqrt((double)dh)) },
		.pairs = (size_t)n * heads,
	};
	size_t work = b.pairs * t * t * dh, fit = scratch_size / dbv_attn_scratch(t);
	int nt = par_threads(work, PAR_MIN * 4);

	if ((size_t)nt > fit)
		nt = fit ? (int)fit : 1;
	if ((size_t)nt > b.pairs)
		nt = (int)b.pairs;
	par_run(nt, attn_bwd_run, &b);
}

void dbv_attn_forward_ref(int n, int t, int heads, int dh, const float *qkv,
			  float *y)
{
	const int hd = heads * dh, ld = 3 * hd;
	const double scale = 1.0 / sqrt((double)dh);
	double s[t > 0 ? t : 1];

	for (int i = 0; i < n; i++)
		for (int h = 0; h < heads; h++)
			for (int r = 0; r < t; r++) {
				const float *q = qkv + ((size_t)i * t + r) * ld + h * dh;
				double mx = -INFINITY, sum = 0;

				for (int c = 0; c < t; c++) {
					const float *k = qkv + ((size_t)i * t + c) * ld + hd + h * dh;
					double d = 0;

					for (int e = 0; e < dh; e++)
						d += (double)q[e] * k[e];
					s[c] = d * scale;
					mx = s[c] > mx ? s[c] : mx;
				}
				for (int c = 0; c < t; c++)
					sum += s[c] = exp(s[c] - mx);
				for (int e = 0; e < dh; e++) {
					double o = 0;

					for (int c = 0; c < t; c++)
						o += s[c] / sum *
						     qkv[((size_t)i * t + c) * ld + 2 * hd + h * dh + e];
					y[((size_t)i * t + r) * hd + h * dh + e] = (float)o;
				}
			}
}

/* ---- evaluation: one AVX-512 pass per row block, P not kept ------------- */

#define HAVE_AT512 DBV_HAVE_AVX512

#define AT_ROWS 4  /* query rows a block */
#define AT_MAXV 4  /* vectors of 16 a row: t and dh up to 64 */

int dbv_attn_eval_fast(int t, int dh)
{
#if HAVE_AT512
	__builtin_cpu_init();
	return t >= 1 && t <= 16 * AT_MAXV && dh >= 16 && dh % 16 == 0 &&
	       dh <= 16 * AT_MAXV && __builtin_cpu_supports("avx512f");
#else
	(void)t, (void)dh;
	return 0;
#endif
}

#if HAVE_AT512
/*
 * a[r][j] = the sum over i < len of ar[r][i] b[i*ldb + 16j ..] for the
 * AT_ROWS rows and nvec vectors of 16: the product of both of at_rows's
 * steps (S = q k^T from q's rows and k transposed, o = P v).
 */
__attribute__((target("avx512f"), always_inline)) static inline void
at_mac(__m512 a[AT_ROWS][AT_MAXV], int nvec, int len,
       const float *const ar[AT_ROWS], const float *b, size_t ldb)
{
#pragma GCC unroll 4
	for (int r = 0; r < AT_ROWS; r++)
#pragma GCC unroll 4
		for (int j = 0; j < AT_MAXV; j++)
			a[r][j] = _mm512_setzero_ps();
	for (int i = 0; i < len; i++) {
		__m512 bv[AT_MAXV];

#pragma GCC unroll 4
		for (int j = 0; j < AT_MAXV; j++)
			if (j < nvec)
				bv[j] = _mm512_loadu_ps(b + (size_t)i * ldb + 16 * j);
#pragma GCC unroll 4
		for (int r = 0; r < AT_ROWS; r++) {
			__m512 x = _mm512_set1_ps(ar[r][i]);

#pragma GCC unroll 4
			for (int j = 0; j < AT_MAXV; j++)
				if (j < nvec)
					a[r][j] = _mm512_fmadd_ps(x, bv[j], a[r][j]);
		}
	}
}

/*
 * Rows [r0, r0+nr) of one (item, head): q, v at leading dimension ld, kt
 * the keys transposed [dh][16*nv] (zero past t), y at leading dimension
 * hd.  S's rows stay in registers from the product through the softmax;
 * P's rows go through pr (broadcast from memory for P v).
 */
__attribute__((target("avx512f"), always_inline)) static inline void
at_rows(int t, int nv, int dv, int nr, const float *q, const float *kt,
	const float *v, int ld, float scale, float *y, int hd)
{
	float pr[AT_ROWS][16 * AT_MAXV] __attribute__((aligned(64)));
	const int tp = 16 * nv, dh = 16 * dv;
	const __mmask16 last = (__mmask16)(t % 16 ? (1u << (t % 16)) - 1 : 0xffff);
	__m512 a[AT_ROWS][AT_MAXV];
	const float *qr[AT_ROWS], *prr[AT_ROWS];

#pragma GCC unroll 4
	for (int r = 0; r < AT_ROWS; r++) {
		qr[r] = q + (size_t)(r < nr ? r : nr - 1) * ld;
		prr[r] = pr[r];
	}
	at_mac(a, nv, dh, qr, kt, tp);
	/* softmax over the keys, row by row (lanes past t out) */
#pragma GCC unroll 4
	for (int r = 0; r < AT_ROWS; r++) {
		__m512 mx = _mm512_set1_ps(-INFINITY), sum = _mm512_setzero_ps();
		float inv;

#pragma GCC unroll 4
		for (int j = 0; j < AT_MAXV; j++)
			if (j < nv) {
				a[r][j] = _mm512_mul_ps(a[r][j], _mm512_set1_ps(scale));
				mx = _mm512_mask_max_ps(mx, j == nv - 1 ? last : 0xffff,
							mx, a[r][j]);
			}
		mx = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
#pragma GCC unroll 4
		for (int j = 0; j < AT_MAXV; j++)
			if (j < nv) {
				a[r][j] = _mm512_maskz_mov_ps(j == nv - 1 ? last : 0xffff,
					dbv_exp16(_mm512_sub_ps(a[r][j], mx)));
				sum = _mm512_add_ps(sum, a[r][j]);
			}
		inv = 1.0f / _mm512_reduce_add_ps(sum);
#pragma GCC unroll 4
		for (int j = 0; j < AT_MAXV; j++)
			if (j < nv)
				_mm512_store_ps(pr[r] + 16 * j,
						_mm512_mul_ps(a[r][j], _mm512_set1_ps(inv)));
	}
	/* o = P v */
	at_mac(a, dv, t, prr, v, ld);
	for (int r = 0; r < nr; r++)
#pragma GCC unroll 4
		for (int j = 0; j < AT_MAXV; j++)
			if (j < dv)
				_mm512_storeu_ps(y + (size_t)r * hd + 16 * j, a[r][j]);
}

/*
 * dst[j*ldd + i] = src[i*lds + j] for i, j < 16 (rows i >= nr taken as
 * zeros): a 16x16 transpose in registers, pairs of rows interleaved
 * (unpack), then pairs of pairs (shuffle), then 128-bit quarters twice.
 */
__attribute__((target("avx512f"), always_inline)) static inline void
at_transpose16(const float *src, size_t lds, int nr, float *dst, int ldd)
{
	__m512 r[16], u[16];

#pragma GCC unroll 16
	for (int i = 0; i < 16; i++)
		r[i] = i < nr ? _mm512_loadu_ps(src + (size_t)i * lds)
			      : _mm512_setzero_ps();
#pragma GCC unroll 8
	for (int i = 0; i < 16; i += 2) {
		u[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
		u[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
	}
	/* r[4g + m]: rows 4g..4g+3 at columns m, m+4, m+8, m+12 */
#pragma GCC unroll 4
	for (int g = 0; g < 16; g += 4) {
		r[g] = _mm512_shuffle_ps(u[g], u[g + 2], 0x44);
		r[g + 1] = _mm512_shuffle_ps(u[g], u[g + 2], 0xee);
		r[g + 2] = _mm512_shuffle_ps(u[g + 1], u[g + 3], 0x44);
		r[g + 3] = _mm512_shuffle_ps(u[g + 1], u[g + 3], 0xee);
	}
#pragma GCC unroll 4
	for (int m = 0; m < 4; m++) {
		u[m] = _mm512_shuffle_f32x4(r[m], r[m + 4], 0x88);
		u[m + 4] = _mm512_shuffle_f32x4(r[m], r[m + 4], 0xdd);
		u[m + 8] = _mm512_shuffle_f32x4(r[m + 8], r[m + 12], 0x88);
		u[m + 12] = _mm512_shuffle_f32x4(r[m + 8], r[m + 12], 0xdd);
	}
#pragma GCC unroll 8
	for (int j = 0; j < 8; j++) {
		_mm512_store_ps(dst + (size_t)j * ldd,
				_mm512_shuffle_f32x4(u[j], u[j + 8], 0x88));
		_mm512_store_ps(dst + (size_t)(j + 8) * ldd,
				_mm512_shuffle_f32x4(u[j], u[j + 8], 0xdd));
	}
}

/* Pairs [lo, hi) for NV vectors of keys and DV of features (constants
 * here, so that at_rows's loops and guards fold): k transposed into the
 * thread's stack by 16x16 blocks, then the rows. */
#define AT_PAIRS(NV, DV)						\
__attribute__((target("avx512f"))) static void				\
at_pairs_##NV##DV(const struct attn_job *a, size_t lo, size_t hi)	\
{									\
	const int t = a->t, hd = a->heads * 16 * DV, ld = 3 * hd;	\
	float kt[16 * DV * 16 * NV] __attribute__((aligned(64)));	\
									\
	for (size_t ih = lo; ih < hi; ih++) {				\
		size_t i = ih / (size_t)a->heads;			\
		int h = (int)(ih % (size_t)a->heads);			\
		const float *q = a->qkv + i * t * ld + h * 16 * DV;	\
		const float *k = q + hd;				\
									\
		for (int c = 0; c < 16 * NV; c += 16)			\
			for (int e = 0; e < 16 * DV; e += 16)		\
				at_transpose16(k + (size_t)c * ld + e, ld,	\
					       t - c, kt + e * 16 * NV + c, \
					       16 * NV);		\
		for (int r0 = 0; r0 < t; r0 += AT_ROWS)			\
			at_rows(t, NV, DV, t - r0 < AT_ROWS ? t - r0 : AT_ROWS, \
				q + (size_t)r0 * ld, kt, q + 2 * hd, ld,	\
				a->scale, a->y + (i * t + r0) * hd + h * 16 * DV, \
				hd);					\
	}								\
}
#define AT_PAIRS4(NV) AT_PAIRS(NV, 1) AT_PAIRS(NV, 2) AT_PAIRS(NV, 3) AT_PAIRS(NV, 4)
AT_PAIRS4(1)
AT_PAIRS4(2)
AT_PAIRS4(3)
AT_PAIRS4(4)

static void attn_eval_part(void *arg, size_t lo, size_t hi)
{
	typedef void pairs_fn(const struct attn_job *, size_t, size_t);
	static pairs_fn *const fn[AT_MAXV][AT_MAXV] = {
		{ at_pairs_11, at_pairs_12, at_pairs_13, at_pairs_14 },
		{ at_pairs_21, at_pairs_22, at_pairs_23, at_pairs_24 },
		{ at_pairs_31, at_pairs_32, at_pairs_33, at_pairs_34 },
		{ at_pairs_41, at_pairs_42, at_pairs_43, at_pairs_44 },
	};
	const struct attn_job *a = arg;

	fn[(a->t + 15) / 16 - 1][a->dh / 16 - 1](a, lo, hi);
}
#endif

void dbv_attn_forward_eval(int n, int t, int heads, int dh, const float *qkv,
			   float *y)
{
#if HAVE_AT512
	struct attn_job a = { .t = t, .heads = heads, .dh = dh, .qkv = qkv,
			      .y = y, .scale = (float)(1.0 / sqrt((double)dh)) };
	size_t pairs = (size_t)n * heads;

	par_for(par_threads(pairs * t * t * dh, PAR_MIN * 4), pairs, 1,
		attn_eval_part, &a);
#else
	(void)n, (void)t, (void)heads, (void)dh, (void)qkv, (void)y;
#endif
}
