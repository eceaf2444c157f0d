/*
 * tokens.c - the per-token layers of the ViT and the MLP-Mixer:
 * LayerNorm, GELU, patches, class token and position embedding, token
 * mixing, the token pools and dropout (attention is in attn.c).
 *
 * Layout (tokens.h): a token activation is a flat slot [n, T*D], item i's
 * token t at row i*T + t of an [n*T, D] matrix, so the per-token linear
 * maps (qkv, the feed-forward, the Mixer's channel mixing) are plain
 * dbv_linear_* calls over n*T rows, and LayerNorm and GELU see rows and
 * elements.  Token mixing works on each item's [T, D] block as a matrix
 * (the tokens are Conv1d's channels): one sgemm per item.
 *
 * Threads (lib/base/par.h): elementwise loops and LayerNorm's rows split
 * by ranges; LayerNorm's dw and db by feature ranges (each feature's sum
 * over the rows in one thread, in row order); the token mixing by items
 * (forward, dx) and by output tokens (dwt, db: summed over the items in
 * item order).  A fixed thread count gives bit-identical results.
 */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

/* ---- LayerNorm --------------------------------------------------------- */

struct ln_job {
	size_t rows;
	int d;
	const float *x, *w, *b, *stats, *dy;
	float *y, *st, *dx, *dw, *db;
};

/* The mean and 1/sqrt(var + eps) of a row: double sums in 8 lanes
 * (element j into lane j % 8, the lanes added in order at the end), a
 * fixed order that vectorises. */
DBV_VECTORIZE static void ln_stats(const float *x, int d, float *mu, float *rs)
{
	double s[8] = {0}, q[8] = {0}, m, ss = 0, qq = 0;
	int j = 0;

	for (; j + 8 <= d; j += 8)
		for (int k = 0; k < 8; k++)
			s[k] += x[j + k];
	for (; j < d; j++)
		s[j % 8] += x[j];
	for (int k = 0; k < 8; k++)
		ss += s[k];
	m = ss / d;
	for (j = 0; j + 8 <= d; j += 8)
		for (int k = 0; k < 8; k++)
			q[k] += ((double)x[j + k] - m) * ((double)x[j + k] - m);
	for (; j < d; j++)
		q[j % 8] += ((double)x[j] - m) * ((double)x[j] - m);
	for (int k = 0; k < 8; k++)
		qq += q[k];
	*mu = (float)m;
	*rs = (float)(1.0 / sqrt(qq / d + (double)DBV_LN_EPS));
}

DBV_VECTORIZE static void ln_fwd_part(void *arg, size_t lo, size_t hi)
{
	const struct ln_job *q = arg;
	const int d = q->d;

	for (size_t r = lo; r < hi; r++) {
		const float *x = q->x + r * d;
		float *y = q->y + r * d, mu, rs;

		ln_stats(x, d, &mu, &rs);
		if (q->st)
			q->st[2 * r] = mu, q->st[2 * r + 1] = rs;
		for (int j = 0; j < d; j++)
			y[j] = (x[j] - mu) * rs * q->w[j] + q->b[j];
	}
}

void dbv_layernorm_forward(size_t rows, int d, const float *x, const float *w,
			   const float *b, float *y, float *stats)
{
	struct ln_job q = { .rows = rows, .d = d, .x = x, .w = w, .b = b,
			    .y = y, .st = stats };

	par_for(par_threads(rows * (size_t)d, PAR_MIN), rows, 1, ln_fwd_part, &q);
}

void dbv_layernorm_forward_ref(size_t rows, int d, const float *x,
			       const float *w, const float *b, float *y)
{
	for (size_t r = 0; r < rows; r++) {
		double s = 0, v = 0;

		for (int j = 0; j < d; j++)
			s += x[r * d + j];
		s /= d;
		for (int j = 0; j < d; j++)
			v += (x[r * d + j] - s) * (x[r * d + j] - s);
		v /= d;
		for (int j = 0; j < d; j++)
			y[r * d + j] = (float)((x[r * d + j] - s) /
					       sqrt(v + DBV_LN_EPS) * w[j] + b[j]);
	}
}

/*
 * dx = rs (g - mean(g) - xh mean(g xh)), g = dy w, xh = (x - mu) rs:
 * the gradient through the normalisation of one row.
 */
DBV_VECTORIZE static void ln_bwd_dx_part(void *arg, size_t lo, size_t hi)
{
	const struct ln_job *q = arg;
	const int d = q->d;

	for (size_t r = lo; r < hi; r++) {
		const float *x = q->x + r * d, *dy = q->dy + r * d;
		const float mu = q->stats[2 * r], rs = q->stats[2 * r + 1];
		float *dx = q->dx + r * d;
		double sg = 0, sgx = 0;
		float mg, mgx;

		for (int j = 0; j < d; j++) {
			float g = dy[j] * q->w[j];

			sg += g;
			sgx += g * ((x[j] - mu) * rs);
		}
		mg = (float)(sg / d);
		mgx = (float)(sgx / d);
		for (int j = 0; j < d; j++)
			dx[j] += rs * (dy[j] * q->w[j] - mg - (x[j] - mu) * rs * mgx);
	}
}

/* dw[j] += sum over rows of dy xh, db[j] += sum of dy, for features
 * [lo, hi), in blocks of 64 features (double sums on the stack). */
DBV_VECTORIZE static void ln_bwd_dw_part(void *arg, size_t lo, size_t hi)
{
	const struct ln_job *q = arg;
	const size_t d = (size_t)q->d;

	for (size_t j0 = lo; j0 < hi; j0 += 64) {
		size_t j1 = j0 + 64 < hi ? j0 + 64 : hi;
		double sw[64] = {0}, sb[64] = {0};

		for (size_t r = 0; r < q->rows; r++) {
			const float *x = q->x + r * d, *dy = q->dy + r * d;
			const float mu = q->stats[2 * r], rs = q->stats[2 * r + 1];

			for (size_t j = j0; j < j1; j++) {
				sw[j - j0] += dy[j] * ((x[j] - mu) * rs);
				sb[j - j0] += dy[j];
			}
		}
		for (size_t j = j0; j < j1; j++) {
			if (q->dw)
				q->dw[j] += (float)sw[j - j0];
			if (q->db)
				q->db[j] += (float)sb[j - j0];
		}
	}
}

void dbv_layernorm_backward(size_t rows, int d, const float *x,
			    const float *w, const float *stats,
			    const float *dy, float *dx, float *dw, float *db)
{
	struct ln_job q = { .rows = rows, .d = d, .x = x, .w = w,
			    .stats = stats, .dy = dy, .dx = dx, .dw = dw,
			    .db = db };
	size_t work = rows * (size_t)d;

	if (dx)
		par_for(par_threads(work, PAR_MIN), rows, 1, ln_bwd_dx_part, &q);
	if (dw || db)
		par_for(par_threads(work, PAR_MIN), (size_t)d, 16,
			ln_bwd_dw_part, &q);
}

/* ---- GELU ---------------------------------------------------------------- */

struct ew {
	const float *x, *dy;
	float *y, *dx;
	float p, scale;
	uint64_t seed;
	int site;
};

/*
 * Phi(x), the standard normal CDF, as erfc by Abramowitz and Stegun's
 * 7.1.26 (|error| <= 1.5e-7 in erf, so <= 7.5e-8 in Phi, float rounding's
 * size), with e = exp(-x^2/2) given: with z = |x|/sqrt 2 and
 * t = 1/(1 + 0.3275911 z), erfc(z) = t (a1 + t (a2 + ... a5)) e; no
 * cancellation in either tail.  Loops of it vectorise (dbv_expf_poly).
 */
static inline float phi_cdf(float x, float e)
{
	float z = fabsf(x) * (float)M_SQRT1_2;
	float t = 1.0f / (1.0f + 0.3275911f * z);
	float q = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f +
		  t * (-1.453152027f + t * 1.061405429f))));
	float h = 0.5f * q * e;          /* Phi(-|x|) */
	float pos = (float)(x >= 0.0f); /* 1: Phi(x) = 1 - h (no branch) */

	return h + pos * (1.0f - 2.0f * h);
}

DBV_VECTORIZE static void gelu_part(void *arg, size_t lo, size_t hi)
{
	const struct ew *q = arg;
	const float *x = q->x;
	float *y = q->y;

	for (size_t i = lo; i < hi; i++)
		y[i] = x[i] * phi_cdf(x[i], dbv_expf_poly(-0.5f * x[i] * x[i]));
}

void dbv_gelu_forward(size_t n, const float *x, float *y)
{
	struct ew q = { .x = x, .y = y };

	par_for(par_threads(n, PAR_MIN / 4), n, 16, gelu_part, &q);
}

/* d/dx x Phi(x) = Phi(x) + x phi(x), phi(x) = exp(-x^2/2) / sqrt(2 pi). */
DBV_VECTORIZE static void gelu_back_part(void *arg, size_t lo, size_t hi)
{
	const struct ew *q = arg;
	const float k = (float)(0.5 * M_2_SQRTPI * M_SQRT1_2); /* 1/sqrt(2 pi) */
	const float *x = q->x, *dy = q->dy;
	float *dx = q->dx;

	for (size_t i = lo; i < hi; i++) {
		float e = dbv_expf_poly(-0.5f * x[i] * x[i]);

		dx[i] += dy[i] * (phi_cdf(x[i], e) + x[i] * k * e);
	}
}

void dbv_gelu_backward(size_t n, const float *x, const float *dy, float *dx)
{
	struct ew q = { .x = x, .dy = dy, .dx = dx };

	par_for(par_threads(n, PAR_MIN / 4), n, 16, gelu_back_part, &q);
}

/* ---- dropout ------------------------------------------------------------- */

static inline uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t drop_key(uint64_t seed, int site)
{
	return mix(seed ^ mix((uint64_t)site + 1));
}

static inline float drop_u(uint64_t key, uint64_t j)
{
	return (float)(mix(key + j * 0x9e3779b97f4a7c15ULL) >> 40) * 0x1p-24f;
}

float dbv_dropout_u(uint64_t seed, int site, uint64_t j)
{
	return drop_u(drop_key(seed, site), j);
}

uint64_t dbv_dropout_seed(uint64_t data_seed, int64_t step)
{
	return mix(data_seed ^ mix((uint64_t)step ^ 0x64726f70ULL));
}

/* dx (forward: y) from dy (x) through the mask, over [lo, hi). */
DBV_VECTORIZE static void drop_part(void *arg, size_t lo, size_t hi)
{
	const struct ew *q = arg;
	const uint64_t key = drop_key(q->seed, q->site);

	for (size_t i = lo; i < hi; i++) {
		float v = drop_u(key, i) < q->p ? 0.0f : q->scale;

		if (q->y)
			q->y[i] = q->x[i] * v;
		else
			q->dx[i] += q->dy[i] * v;
	}
}

static float drop_scale(float p)
{
	return (float)(1.0 / (1.0 - (double)p));
}

void dbv_dropout_forward(size_t n, float p, uint64_t seed, int site,
			 const float *x, float *y)
{
	struct ew q = { .x = x, .y = y, .p = p, .scale = drop_scale(p),
			.seed = seed, .site = site };

	par_for(par_threads(n, PAR_MIN / 4), n, 16, drop_part, &q);
}

void dbv_dropout_backward(size_t n, float p, uint64_t seed, int site,
			  const float *dy, float *dx)
{
	struct ew q = { .dy = dy, .dx = dx, .p = p, .scale = drop_scale(p),
			.seed = seed, .site = site };

	par_for(par_threads(n, PAR_MIN / 4), n, 16, drop_part, &q);
}

/* ---- patches, class token, token pools ------------------------------------ */

/* Copy between x [n,c,h,w] and y [n,T,p*p*c] one item at a time; back:
 * x += y instead of y = x. */
static void patch_move(int n, int c, int h, int w, int p, float *x, float *y,
		       int back)
{
	const int gw = w / p, per = p * p * c;
	const size_t item = (size_t)c * h * w;

	for (int i = 0; i < n; i++)
		for (int ch = 0; ch < c; ch++)
			for (int r = 0; r < h; r++)
				for (int col = 0; col < w; col++) {
					size_t t = (size_t)(r / p) * gw + col / p;
					size_t k = ((size_t)(r % p) * p + col % p) * c + ch;
					float *yy = y + i * item + t * per + k;
					float *xx = x + i * item + ((size_t)ch * h + r) * w + col;

					if (back)
						*xx += *yy;
					else
						*yy = *xx;
				}
}

void dbv_patchify_forward(int n, int c, int h, int w, int p, const float *x,
			  float *y)
{
	patch_move(n, c, h, w, p, (float *)x, y, 0);
}

void dbv_patchify_backward(int n, int c, int h, int w, int p,
			   const float *dy, float *dx)
{
	patch_move(n, c, h, w, p, dx, (float *)dy, 1);
}

void dbv_clspos_forward(int n, int t, int d, const float *x, const float *cls,
			const float *pos, float *y)
{
	for (int i = 0; i < n; i++) {
		float *yi = y + (size_t)i * (t + 1) * d;
		const float *xi = x + (size_t)i * t * d;

		for (int j = 0; j < d; j++)
			yi[j] = cls[j] + pos[j];
		for (size_t j = 0; j < (size_t)t * d; j++)
			yi[d + j] = xi[j] + pos[d + j];
	}
}

void dbv_clspos_backward(int n, int t, int d, const float *dy, float *dx,
			 float *dcls, float *dpos)
{
	const size_t len = (size_t)(t + 1) * d;

	for (size_t j = 0; j < len; j++) {
		double s = 0;

		for (int i = 0; i < n; i++)
			s += dy[i * len + j];
		if (dpos)
			dpos[j] += (float)s;
		if (dcls && j < (size_t)d)
			dcls[j] += (float)s;
	}
	if (dx)
		for (int i = 0; i < n; i++)
			for (size_t j = 0; j < (size_t)t * d; j++)
				dx[i * (len - d) + j] += dy[i * len + d + j];
}

void dbv_token0_forward(int n, int t, int d, const float *x, float *y)
{
	for (int i = 0; i < n; i++)
		memcpy(y + (size_t)i * d, x + (size_t)i * t * d, d * sizeof *y);
}

void dbv_token0_backward(int n, int t, int d, const float *dy, float *dx)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < d; j++)
			dx[(size_t)i * t * d + j] += dy[(size_t)i * d + j];
}

void dbv_tokmean_forward(int n, int t, int d, const float *x, float *y)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < d; j++) {
			double s = 0;

			for (int k = 0; k < t; k++)
				s += x[((size_t)i * t + k) * d + j];
			y[(size_t)i * d + j] = (float)(s / t);
		}
}

void dbv_tokmean_backward(int n, int t, int d, const float *dy, float *dx)
{
	const float inv = 1.0f / (float)t;

	for (int i = 0; i < n; i++)
		for (int k = 0; k < t; k++)
			for (int j = 0; j < d; j++)
				dx[((size_t)i * t + k) * d + j] += dy[(size_t)i * d + j] * inv;
}

/* ---- token mixing -------------------------------------------------------- */

struct mix_job {
	int tin, tout, d;
	size_t n;
	const float *x, *wt, *b, *dy;
	float *y, *dx, *dwt, *db;
	float *dyt, *xt; /* backward: the transposed copies */
};

static void mix_fwd_part(void *arg, size_t lo, size_t hi)
{
	const struct mix_job *q = arg;
	const size_t xs = (size_t)q->tin * q->d, ys = (size_t)q->tout * q->d;

	for (size_t i = lo; i < hi; i++) {
		float *y = q->y + i * ys;

		if (q->b)
			for (int o = 0; o < q->tout; o++)
				for (int j = 0; j < q->d; j++)
					y[(size_t)o * q->d + j] = q->b[o];
		dbv_sgemm1(0, 0, q->tout, q->d, q->tin, 1.0f, q->wt, q->tin,
			   q->x + i * xs, q->d, q->b ? 1.0f : 0.0f, y, q->d);
	}
}

void dbv_tokmix_forward(int n, int tin, int tout, int d, const float *x,
			const float *wt, const float *b, float *y)
{
	struct mix_job q = { .tin = tin, .tout = tout, .d = d, .n = (size_t)n,
			     .x = x, .wt = wt, .b = b, .y = y };
	size_t work = (size_t)n * tin * tout * d;

	par_for(par_threads(work, PAR_MIN * 4), (size_t)n, 1, mix_fwd_part, &q);
}

static void mix_dx_part(void *arg, size_t lo, size_t hi)
{
	const struct mix_job *q = arg;
	const size_t xs = (size_t)q->tin * q->d, ys = (size_t)q->tout * q->d;

	for (size_t i = lo; i < hi; i++)
		dbv_sgemm1(1, 0, q->tin, q->d, q->tout, 1.0f, q->wt, q->tin,
			   q->dy + i * ys, q->d, 1.0f, q->dx + i * xs, q->d);
}

/* Rows [lo, hi) of the transposed copies: dyt [tout, n*d] (token o of
 * every item side by side), xt [tin, n*d]; dyt's rows [lo, hi) summed
 * into db (each in one order). */
static void mix_pack_part(void *arg, size_t lo, size_t hi)
{
	const struct mix_job *q = arg;
	const size_t d = (size_t)q->d, xs = (size_t)q->tin * d;
	const size_t ys = (size_t)q->tout * d, row = q->n * d;

	for (size_t r = lo; r < hi; r++) {
		/* rows [0, tout) are dyt's, [tout, tout + tin) xt's */
		int isy = r < (size_t)q->tout;
		size_t o = isy ? r : r - (size_t)q->tout;
		float *dst = (isy ? q->dyt : q->xt) + o * row;
		double s = 0;

		for (size_t i = 0; i < q->n; i++)
			memcpy(dst + i * d, (isy ? q->dy + i * ys : q->x + i * xs) + o * d,
			       d * sizeof *dst);
		if (isy && q->db) {
			for (size_t j = 0; j < row; j++)
				s += dst[j];
			q->db[o] += (float)s;
		}
	}
}

size_t dbv_tokmix_scratch(int n, int tin, int tout, int d)
{
	return (size_t)n * (size_t)(tin + tout) * (size_t)d;
}

void dbv_tokmix_backward(int n, int tin, int tout, int d, const float *x,
			 const float *wt, const float *dy, float *dx,
			 float *dwt, float *db, float *scratch)
{
	struct mix_job q = { .tin = tin, .tout = tout, .d = d, .n = (size_t)n,
			     .x = x, .wt = wt, .dy = dy, .dx = dx };
	size_t work = (size_t)n * tin * tout * d, row = (size_t)n * d;

	if (dx)
		par_for(par_threads(work, PAR_MIN * 4), (size_t)n, 1, mix_dx_part, &q);
	if (!dwt && !db)
		return;
	/* dwt = dyt xt^T, one product of depth n*d over the transposed
	 * copies (per item it would be n products of depth d) */
	q.dyt = scratch;
	q.xt = scratch + (size_t)tout * row;
	q.db = db;
	par_for(par_threads(work, PAR_MIN * 4), (size_t)(tout + tin), 1,
		mix_pack_part, &q);
	if (dwt)
		dbv_sgemm(0, 1, tout, tin, (int)row, 1.0f, q.dyt, (int)row, q.xt,
			  (int)row, 1.0f, dwt, tin);
}

/* ---- evaluation's linear map of every token (AVX-512) ------------------- */

#define HAVE_TL512 DBV_HAVE_AVX512

#define TL_ROWS 8 /* rows of a block: 8 x 2 vectors of sums in registers */

int dbv_tlinear_packable(int in, int out)
{
#if HAVE_TL512
	__builtin_cpu_init();
	return in >= 1 && out >= 16 && out % 16 == 0 &&
	       __builtin_cpu_supports("avx512f");
#else
	(void)in, (void)out;
	return 0;
#endif
}

/* Panels of 32 output features (the last one 16 when out % 32 is 16):
 * panel j0 holds w[j0 .. j0+pw-1][k] at wp[j0*in + k*pw + j - j0]. */
void dbv_tlinear_pack(int in, int out, const float *w, float *wp)
{
	for (int j0 = 0; j0 < out; j0 += 32) {
		int pw = out - j0 < 32 ? out - j0 : 32;
		float *p = wp + (size_t)j0 * in;

		for (int k = 0; k < in; k++)
			for (int j = 0; j < pw; j++)
				p[(size_t)k * pw + j] = w[(size_t)(j0 + j) * in + k];
	}
}

#if HAVE_TL512
/* x Phi(x), GELU's erf form, as gelu_part. */
__attribute__((target("avx512f"))) static inline __m512 gelu16(__m512 x)
{
	const __m512 one = _mm512_set1_ps(1.0f);
	__m512 z = _mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps((float)M_SQRT1_2));
	__m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(z, _mm512_set1_ps(0.3275911f), one));
	__m512 q = _mm512_set1_ps(1.061405429f);
	__m512 e = dbv_exp16(_mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(-0.5f), x), x));
	__m512 h;

	q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(-1.453152027f));
	q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(1.421413741f));
	q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(-0.284496736f));
	q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(0.254829592f));
	q = _mm512_mul_ps(q, t);
	h = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), q), e); /* Phi(-|x|) */
	/* Phi(x) = h for x < 0, 1 - h otherwise */
	h = _mm512_mask_sub_ps(h, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ),
			       one, h);
	return _mm512_mul_ps(x, h);
}

/*
 * One block: rows [0, nr) (nr <= TL_ROWS) of x (leading dimension in)
 * times panel wp (PW = 16 or 32 features), sums started from the bias,
 * then the epilogue: GELU, or + res.  Rows past nr repeat row nr-1 and
 * are not stored (the loop stays whole).
 */
#define TL_BLOCK(NAME, NV)						\
__attribute__((target("avx512f"))) static void				\
NAME(const float *x, int in, int nr, const float *wp, const float *b,	\
     float *y, int ldy, const float *res, int ep)			\
{									\
	__m512 a[TL_ROWS][NV];						\
	const float *xr[TL_ROWS];					\
									\
	_Pragma("GCC unroll 8")						\
	for (int r = 0; r < TL_ROWS; r++) {				\
		xr[r] = x + (size_t)(r < nr ? r : nr - 1) * in;		\
		_Pragma("GCC unroll 2")					\
		for (int v = 0; v < NV; v++)				\
			a[r][v] = b ? _mm512_loadu_ps(b + 16 * v)	\
				    : _mm512_setzero_ps();		\
	}								\
	for (int k = 0; k < in; k++, wp += 16 * NV) {			\
		__m512 w[NV];						\
									\
		_Pragma("GCC unroll 2")					\
		for (int v = 0; v < NV; v++)				\
			w[v] = _mm512_loadu_ps(wp + 16 * v);		\
		_Pragma("GCC unroll 8")					\
		for (int r = 0; r < TL_ROWS; r++) {			\
			__m512 xv = _mm512_set1_ps(xr[r][k]);		\
									\
			_Pragma("GCC unroll 2")				\
			for (int v = 0; v < NV; v++)			\
				a[r][v] = _mm512_fmadd_ps(xv, w[v], a[r][v]); \
		}							\
	}								\
	for (int r = 0; r < nr; r++)					\
		_Pragma("GCC unroll 2")					\
		for (int v = 0; v < NV; v++) {				\
			__m512 o = a[r][v];				\
									\
			if (ep == DBV_TL_GELU)				\
				o = gelu16(o);				\
			else if (ep == DBV_TL_RES)			\
				o = _mm512_add_ps(o, _mm512_loadu_ps(	\
					res + (size_t)r * ldy + 16 * v)); \
			_mm512_storeu_ps(y + (size_t)r * ldy + 16 * v, o); \
		}							\
}
TL_BLOCK(tl_block32, 2)
TL_BLOCK(tl_block16, 1)
#endif

struct tl_job {
	size_t rows;
	int in, out, ep;
	const float *x, *wp, *b, *res;
	float *y;
};

#if HAVE_TL512
/* Row blocks [lo, hi): each block's rows (in L1) through every panel. */
static void tl_part(void *arg, size_t lo, size_t hi)
{
	const struct tl_job *q = arg;

	for (size_t blk = lo; blk < hi; blk++) {
		size_t r0 = blk * TL_ROWS;
		int nr = q->rows - r0 < TL_ROWS ? (int)(q->rows - r0) : TL_ROWS;
		const float *x = q->x + r0 * q->in;
		size_t at = r0 * q->out;

		for (int j0 = 0; j0 < q->out; j0 += 32)
			(q->out - j0 >= 32 ? tl_block32 : tl_block16)(
				x, q->in, nr, q->wp + (size_t)j0 * q->in,
				q->b ? q->b + j0 : NULL, q->y + at + j0, q->out,
				q->res ? q->res + at + j0 : NULL, q->ep);
	}
}
#endif

void dbv_tlinear_forward_packed(size_t rows, int in, int out, const float *x,
				const float *wp, const float *b, int ep,
				const float *res, float *y)
{
#if HAVE_TL512
	struct tl_job q = { .rows = rows, .in = in, .out = out, .ep = ep,
			    .x = x, .wp = wp, .b = b, .res = res, .y = y };
	size_t blocks = (rows + TL_ROWS - 1) / TL_ROWS;

	par_for(par_threads(rows * (size_t)in * out, PAR_MIN * 4), blocks, 1,
		tl_part, &q);
#else
	(void)rows, (void)in, (void)out, (void)x, (void)wp, (void)b, (void)ep;
	(void)res, (void)y;
#endif
}
