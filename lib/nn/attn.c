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
