/*
 * lib/nn/tokens.h - the layers of the token models (ViT, MLP-Mixer):
 * lib/nn/tokens.c and lib/nn/attn.c.  Inside lib/nn and its unit tests
 * only (through nn_internal.h).
 *
 * Token activations are flat slots [n, T*D]: item i's token t's feature
 * d at (i*T + t)*D + d, so that a per-token linear map is one gemm over
 * n*T rows.  Like the other layers, every backward ADDS into dx and into
 * its parameter gradients (NULL: not wanted).
 */
#ifndef DBV_NN_TOKENS_H
#define DBV_NN_TOKENS_H

#include <stddef.h>
#include <stdint.h>

/*
 * GCC's -O2 vectorises loops only when that costs nothing; the
 * elementwise loops of these layers (exp, GELU, softmax) gain 4x from
 * vectors even with a remainder, so their functions ask for the full
 * cost model, and are compiled also for AVX2 and AVX-512, the CPU's best
 * chosen when the program loads (target_clones; a given CPU always runs
 * the same one, so results stay reproducible there).  Clang vectorises
 * at -O2 by itself.
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define DBV_VECTORIZE __attribute__((optimize("tree-vectorize", \
	"vect-cost-model=dynamic"), target_clones("avx512f", "avx2", "default")))
#elif defined(__GNUC__) && !defined(__clang__)
#define DBV_VECTORIZE __attribute__((optimize("tree-vectorize", \
	"vect-cost-model=dynamic")))
#else
#define DBV_VECTORIZE
#endif

/* PyTorch's LayerNorm eps. */
#define DBV_LN_EPS 1e-5f

/*
 * exp(x) for x <= 88 in float, within 2 ulp above -87 (tests/unit/
 * test_layers.c holds it against exp()), written so that compilers
 * vectorise loops of it (no libm call, no branch): x = k ln2 + r with
 * k = round(x / ln2) (the 1.5 * 2^23 trick), ln2 in two parts,
 * |r| <= ln2/2, exp(r) by Cephes' expf polynomial, times 2^k through the
 * exponent bits.  x below -87.3 is taken as -87.3 (exp 1.2e-38, where
 * softmax and GELU want 0).
 */
static inline float dbv_expf_poly(float x)
{
	union { float f; int32_t i; } u;
	float k, r, p;

	x += (float)(x < -87.3f) * (-87.3f - x); /* a clamp without a branch */
	k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
	r = x - k * 0.693359375f;
	r = r - k * -2.12194440e-4f;
	p = 1.9875691500e-4f;
	p = p * r + 1.3981999507e-3f;
	p = p * r + 8.3334519073e-3f;
	p = p * r + 4.1665795894e-2f;
	p = p * r + 1.6666665459e-1f;
	p = p * r + 5.0000001201e-1f;
	p = p * r * r + r + 1.0f;
	u.i = ((int32_t)k + 127) << 23;
	return p * u.f;
}

/*
 * dbv_expf_poly in 16 lanes of AVX-512 (the same steps, the products
 * fused), for the evaluation kernels of tokens.c and attn.c; compiled for
 * AVX-512F by target attribute, called only where the CPU has it.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#define DBV_HAVE_AVX512 1
#include <immintrin.h>

__attribute__((target("avx512f"))) static inline __m512 dbv_exp16(__m512 x)
{
	const __m512 c = _mm512_set1_ps(12582912.0f);
	__m512 k, r, p;

	x = _mm512_max_ps(x, _mm512_set1_ps(-87.3f));
	k = _mm512_sub_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), c), c);
	r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), x);
	r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
	p = _mm512_set1_ps(1.9875691500e-4f);
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
	p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
	return _mm512_mul_ps(p, _mm512_castsi512_ps(_mm512_slli_epi32(
		_mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(127)), 23)));
}
#else
#define DBV_HAVE_AVX512 0
#endif

/*
 * LayerNorm over the last axis: rows of d features, y = (x - mean) *
 * rstd * w + b with the biased variance, rstd = 1/sqrt(var + eps).  The
 * forward keeps mean and rstd of each row in stats [rows, 2] (NULL: not
 * kept); the backward needs them.
 */
void dbv_layernorm_forward(size_t rows, int d, const float *x, const float *w,
			   const float *b, float *y, float *stats);
void dbv_layernorm_backward(size_t rows, int d, const float *x,
			    const float *w, const float *stats,
			    const float *dy, float *dx, float *dw, float *db);
/* The same in double from the definition (reference for the tests). */
void dbv_layernorm_forward_ref(size_t rows, int d, const float *x,
			       const float *w, const float *b, float *y);

/* GELU, the erf form (not the tanh one): y = x * Phi(x) = x/2 (1 +
 * erf(x/sqrt 2)), Phi to 7.5e-8 (tokens.c); the backward uses x
 * (dx += dy (Phi(x) + x phi(x))). */
void dbv_gelu_forward(size_t n, const float *x, float *y);
void dbv_gelu_backward(size_t n, const float *x, const float *dy, float *dx);

/*
 * Patches: x [n, c, h, w] (NCHW) -> y [n, T, p*p*c], T = (h/p)(w/p), the
 * rearrangement `b c (h p1) (w p2) -> b (h w) (p1 p2 c)` (channel last
 * inside a patch).  p divides h and w.  Backward: the inverse, added.
 */
void dbv_patchify_forward(int n, int c, int h, int w, int p, const float *x,
			  float *y);
void dbv_patchify_backward(int n, int c, int h, int w, int p,
			   const float *dy, float *dx);

/* Class token and position embedding: x [n, T, D] -> y [n, T+1, D],
 * y[i,0] = cls + pos[0], y[i,t+1] = x[i,t] + pos[t+1]; cls [D],
 * pos [T+1, D]. */
void dbv_clspos_forward(int n, int t, int d, const float *x, const float *cls,
			const float *pos, float *y);
void dbv_clspos_backward(int n, int t, int d, const float *dy, float *dx,
			 float *dcls, float *dpos);

/* Token 0 of each item: x [n, T, D] -> y [n, D]. */
void dbv_token0_forward(int n, int t, int d, const float *x, float *y);
void dbv_token0_backward(int n, int t, int d, const float *dy, float *dx);
/* Mean over tokens: x [n, T, D] -> y [n, D]. */
void dbv_tokmean_forward(int n, int t, int d, const float *x, float *y);
void dbv_tokmean_backward(int n, int t, int d, const float *dy, float *dx);

/*
 * Token mixing (PyTorch's Conv1d(tin, tout, kernel 1) on [n, T, D], the
 * tokens as channels): y_i = wt x_i + b, x_i [tin, d], wt [tout, tin]
 * (Conv1d's [tout, tin, 1]), b [tout] broadcast along d, y_i [tout, d].
 */
void dbv_tokmix_forward(int n, int tin, int tout, int d, const float *x,
			const float *wt, const float *b, float *y);
/* The backward needs dbv_tokmix_scratch(n, tin, tout, d) floats of
 * scratch (for dwt and db: transposed copies of dy and x, so that dwt is
 * one product over all items). */
size_t dbv_tokmix_scratch(int n, int tin, int tout, int d);
void dbv_tokmix_backward(int n, int tin, int tout, int d, const float *x,
			 const float *wt, const float *dy, float *dx,
			 float *dwt, float *db, float *scratch);

/*
 * Dropout with probability p (0 <= p < 1), training only: element j of
 * the n floats of x is zeroed when dbv_dropout_u(seed, site, j) < p and
 * scaled by 1/(1 - p) otherwise.  The mask is a hash of the seed, the
 * dropout's site (its rank among the model's dropouts) and j, so the
 * backward makes it again, any thread computes any part, and a run with
 * the same seeds gives the same masks whatever the thread count.
 *
 *	mix(z): z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
 *	        z = (z ^ (z >> 27)) * 0x94d049bb133111eb
 *	        return z ^ (z >> 31)          (SplitMix64's finaliser)
 *	key  = mix(seed ^ mix(site + 1))
 *	u(j) = (mix(key + j * 0x9e3779b97f4a7c15) >> 40) * 2^-24
 */
float dbv_dropout_u(uint64_t seed, int site, uint64_t j);
void dbv_dropout_forward(size_t n, float p, uint64_t seed, int site,
			 const float *x, float *y);
void dbv_dropout_backward(size_t n, float p, uint64_t seed, int site,
			  const float *dy, float *dx);

/*
 * Multi-head self-attention after the qkv projection (lib/nn/attn.c):
 * qkv [n, T, 3*H*dh] (q, k, v in that order along the features, head h
 * at h*dh in each), per item and head P = softmax(q k^T * dh^-1/2) over
 * the keys, o = P v; y [n, T, H*dh] (head h at h*dh).  The forward keeps
 * P [n, H, T, T] for the backward.  The products are sgemms, one per
 * item and head, the pairs split across threads.  The backward needs
 * dbv_attn_scratch(t) floats of scratch per thread (threads, at most
 * dbv_threads(), are taken as scratch allows).
 */
void dbv_attn_forward(int n, int t, int heads, int dh, const float *qkv,
		      float *y, float *p);
size_t dbv_attn_scratch(int t);
void dbv_attn_backward(int n, int t, int heads, int dh, const float *qkv,
		       const float *p, const float *dy, float *dqkv,
		       float *scratch, size_t scratch_size);
/*
 * The forward in evaluation (P not kept), where dbv_attn_eval_fast(t, dh)
 * says: t <= 64 tokens, dh a multiple of 16 up to 64, a CPU with
 * AVX-512F.  Blocks of 4 query rows, their scores in registers from
 * q k^T through the softmax (the max subtracted, dbv_expf_poly's steps)
 * to P v; no sgemm call per item and head.
 */
int dbv_attn_eval_fast(int t, int dh);
void dbv_attn_forward_eval(int n, int t, int heads, int dh, const float *qkv,
			   float *y);
/* Naive reference (double accumulation, loops): y only. */
void dbv_attn_forward_ref(int n, int t, int heads, int dh, const float *qkv,
			  float *y);

/*
 * Evaluation's linear map of every token, without OpenBLAS's packing of
 * x and its separate pass for the bias: y [rows, out] = x [rows, in] w^T
 * + b (b NULL: none), each sum started from the bias and taken over k in
 * order in an AVX-512 block of 8 rows by 32 features, then the epilogue
 * ep: DBV_TL_GELU y = GELU(y) (dbv_gelu_forward's formula), DBV_TL_RES
 * y += res [rows, out] (the residual add), 0 nothing.  w [out, in] goes
 * in packed (dbv_tlinear_pack: in*out floats at wp).  Only where
 * dbv_tlinear_packable(in, out) says (the CPU has AVX-512F, out is a
 * multiple of 16); y shares memory with neither x nor res.
 */
enum { DBV_TL_NONE, DBV_TL_GELU, DBV_TL_RES };
int dbv_tlinear_packable(int in, int out);
void dbv_tlinear_pack(int in, int out, const float *w, float *wp);
void dbv_tlinear_forward_packed(size_t rows, int in, int out, const float *x,
				const float *wp, const float *b, int ep,
				const float *res, float *y);

#endif /* DBV_NN_TOKENS_H */
