/*
 * layers.c - convolution and linear layer speed (lib/nn/layers.c) beside the
 * sgemm rate measured in the same run, on the OpenBLAS core that
 * dbv_blas_fix_core leaves in place.
 *
 * usage: layers [SECONDS [THREADS]]   minimum time per measurement
 *                                     (default 1), BLAS threads (2)
 *
 * One line per measurement on stdout, the rate and its fraction of the
 * sgemm 1024^3 rate measured in alternation with it (see job_time):
 *   sgemm 1024x1024x1024 threads=2 core=SkylakeX 300.1 GFLOP/s
 *   conv3x3 16->32 28x28 n=128 forward 240.0 GFLOP/s 0.80 of sgemm
 *     (16.000 ms; sgemm beside it 300.0)
 * "forward" is the forward pass as dbv runs it (the direct 3x3 kernels of
 * lib/nn/conv3.c, stride 1 and 2, where the CPU has AVX-512; the line is
 * left out where it would repeat the next), "forward im2col" the im2col +
 * sgemm path; so for "backward", and "backward dwt" is the weight
 * gradient alone, as dbv runs it (the products of one forward).
 * The layers are the large ones of the 5-layer CNN of width 16 on 28x28
 * inputs (conv 16->32 at 28x28, 32->64 at 14x14, 64->128 at 7x7), the
 * downsampling ones of ResNet-18 and WRN at small widths (3x3 stride 2
 * and the 1x1 stride-2 shortcut, 16->32 at 28x28 and 32->64 at 14x14:
 * "conv3x3/2 16->32 28x28->14x14") and a 784-256-10 MLP, batch 128.  A conv backward counts the products for dx
 * and dwt (twice the forward's); a linear backward likewise.
 *
 * The token models' matrix products at dbv-train(1)'s CPU setting (batch
 * 128, 28x28 inputs, patch 4: 49 tokens, 50 with the class token):
 * attention (lib/nn/attn.c; vit, 4 heads of 32: q k^T and P v forward,
 * four products backward, 2x the forward's), the qkv projection (linear
 * 128->384 over 128*50 rows) and the Mixer's token mixing (49->196 over
 * 128 features, tokmix; backward 2x); where the CPU has AVX-512, also
 * evaluation's attention and qkv linear (dbv_attn_forward_eval,
 * dbv_tlinear_forward_packed: the kernels the token models' evaluation
 * runs, each thread on its own chunks of items).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbv.h"
#include "nn/nn_internal.h"

#define BATCH 128

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *random_buf(struct dbv_rng *r, size_t n)
{
	float *p = dbv_amalloc((n ? n : 1) * sizeof *p);

	if (!p) {
		fprintf(stderr, "layers: %s\n", dbv_errmsg());
		exit(4);
	}
	for (size_t i = 0; i < n; i++)
		p[i] = dbv_rng_float(r) - 0.5f;
	return p;
}

/* What one measurement runs. */
struct job {
	int kind; /* 0 sgemm, 1 conv forward, 2 conv backward, 3/4 linear,
		     5/6 attention, 7/8 token mixing, 9 conv dwt alone,
		     10/11 evaluation's attention and token linear */
	int t, heads, dh, tout; /* attention, token mixing (m: features) */
	struct dbv_conv conv;
	int m, n, k; /* sgemm; linear: n = batch, k = in, m = out */
	float *a, *b, *c, *d, *e, *f, *scratch;
};

static void job_run(struct job *j)
{
	switch (j->kind) {
	case 0:
		dbv_sgemm(0, 0, j->m, j->n, j->k, 1.0f, j->a, j->k, j->b, j->n,
			  0.0f, j->c, j->n);
		break;
	case 1:
		dbv_conv_forward(&j->conv, BATCH, j->a, j->b, NULL, j->c,
				 j->scratch);
		break;
	case 2:
		/* x, wt, dy -> dx, dwt (gradients accumulate; values do
		 * not matter for speed). */
		dbv_conv_backward(&j->conv, BATCH, j->a, j->b, j->c, j->d,
				  j->e, NULL, j->scratch);
		break;
	case 9: /* dwt alone */
		dbv_conv_backward(&j->conv, BATCH, j->a, j->b, j->c, NULL,
				  j->e, NULL, j->scratch);
		break;
	case 3:
		dbv_linear_forward(j->n, j->k, j->m, j->a, j->b, j->f, j->c);
		break;
	case 4:
		dbv_linear_backward(j->n, j->k, j->m, j->a, j->b, j->c, j->d,
				    j->e, j->f);
		break;
	case 5: /* qkv a -> y c, P d */
		dbv_attn_forward(BATCH, j->t, j->heads, j->dh, j->a, j->c, j->d);
		break;
	case 6:
		dbv_attn_backward(BATCH, j->t, j->heads, j->dh, j->a, j->d, j->c,
				  j->e, j->scratch,
				  (size_t)dbv_threads() * dbv_attn_scratch(j->t));
		break;
	case 7:
		dbv_tokmix_forward(BATCH, j->t, j->tout, j->m, j->a, j->b, j->f,
				   j->c);
		break;
	case 8:
		dbv_tokmix_backward(BATCH, j->t, j->tout, j->m, j->a, j->b, j->c,
				    j->d, j->e, j->f, j->scratch);
		break;
	case 10: /* evaluation's attention: qkv a -> y c */
		dbv_attn_forward_eval(BATCH, j->t, j->heads, j->dh, j->a, j->c);
		break;
	case 11: /* evaluation's token linear: x a, packed weights e -> c */
		dbv_tlinear_forward_packed((size_t)j->n, j->k, j->m, j->a, j->e,
					   NULL, DBV_TL_NONE, NULL, j->c);
		break;
	}
}

/*
 * The fastest run of j and the fastest run of the sgemm reference g,
 * alternating between them for min_s (after one untimed run of each).
 * On a shared machine the fastest run is the one the others disturbed
 * least, and alternating gives the layer and its reference the same
 * weather, so the fraction holds up where the rates alone do not.
 */
static void job_time(struct job *j, struct job *g, double min_s, double *tj,
		     double *tg)
{
	double start = now();

	job_run(j);
	job_run(g);
	*tj = *tg = 1e30;
	do {
		double t0 = now(), t1, t2;

		job_run(j);
		t1 = now();
		job_run(g);
		t2 = now();
		if (t1 - t0 < *tj)
			*tj = t1 - t0;
		if (t2 - t1 < *tg)
			*tg = t2 - t1;
	} while (now() - start < min_s);
}

/* The reference: sgemm 1024^3. */
static struct job ref_job;
#define REF_FLOPS (2.0 * 1024 * 1024 * 1024)

static void report(const char *what, double flops, double t, double tg)
{
	double rate = flops / t * 1e-9, ref = REF_FLOPS / tg * 1e-9;

	printf("%s %.1f GFLOP/s %.2f of sgemm (%.3f ms; sgemm beside it "
	       "%.1f)\n", what, rate, rate / ref, t * 1e3, ref);
	fflush(stdout);
}

static void conv_bench(int cin, int cout, int k, int stride, int hw,
		       double min_s)
{
	struct dbv_rng r;
	struct job j;
	/* Each pass twice: as dbv runs it (a direct kernel where the CPU
	 * has AVX-512 and the shape has one) and as im2col + sgemm. */
	const char *what[] = { "forward", "forward im2col", "backward",
			       "backward im2col", "backward dwt" };
	const int kind[] = { 1, 1, 2, 2, 9 }, mode[] = { -1, 0, -1, 0, -1 };
	const double mult[] = { 1, 1, 2, 2, 1 };
	size_t xs = (size_t)cin * BATCH * hw * hw, ws = (size_t)cout * cin * k * k;
	double flops;

	memset(&j, 0, sizeof j);
	if (dbv_conv_init(&j.conv, cin, cout, k, stride, k / 2, hw, hw) !=
	    DBV_OK) {
		fprintf(stderr, "layers: %s\n", dbv_errmsg());
		exit(2);
	}
	dbv_rng_seed(&r, 2);
	j.a = random_buf(&r, xs);
	j.b = random_buf(&r, ws);
	j.c = random_buf(&r, (size_t)cout * BATCH * j.conv.oh * j.conv.ow);
	j.d = random_buf(&r, xs);
	j.e = random_buf(&r, ws);
	/* Enough for both paths (see dbv_conv_scratch). */
	j.scratch = random_buf(&r, dbv_conv_scratch(&j.conv, BATCH));
	flops = 2.0 * cout * cin * k * k * BATCH * j.conv.oh * j.conv.ow;
	for (int pass = 0; pass < 5; pass++) {
		double t, tg;
		char name[128];

		if (pass % 2 == 0 && !dbv_conv_has_direct(&j.conv))
			continue; /* the next line is the same path */
		j.kind = kind[pass];
		dbv_conv_direct_force(mode[pass]);
		job_time(&j, &ref_job, min_s, &t, &tg);
		dbv_conv_direct_force(-1);
		if (stride == 1)
			snprintf(name, sizeof name, "conv%dx%d %d->%d %dx%d n=%d %s",
				 k, k, cin, cout, hw, hw, BATCH, what[pass]);
		else
			snprintf(name, sizeof name,
				 "conv%dx%d/%d %d->%d %dx%d->%dx%d n=%d %s", k, k,
				 stride, cin, cout, hw, hw, j.conv.oh, j.conv.ow,
				 BATCH, what[pass]);
		report(name, flops * mult[pass], t, tg);
	}
	dbv_afree(j.a);
	dbv_afree(j.b);
	dbv_afree(j.c);
	dbv_afree(j.d);
	dbv_afree(j.e);
	dbv_afree(j.scratch);
}

static void linear_bench(int in, int out, double min_s)
{
	struct dbv_rng r;
	struct job j;
	const char *what[] = { "forward", "backward" };
	double flops = 2.0 * BATCH * in * out;

	memset(&j, 0, sizeof j);
	dbv_rng_seed(&r, 3);
	j.n = BATCH;
	j.k = in;
	j.m = out;
	j.a = random_buf(&r, (size_t)BATCH * in);
	j.b = random_buf(&r, (size_t)out * in);
	j.c = random_buf(&r, (size_t)BATCH * out);
	j.d = random_buf(&r, (size_t)BATCH * in);
	j.e = random_buf(&r, (size_t)out * in);
	j.f = random_buf(&r, (size_t)out);
	for (int pass = 0; pass < 2; pass++) {
		double t, tg;
		char name[128];

		j.kind = 3 + pass;
		job_time(&j, &ref_job, min_s, &t, &tg);
		snprintf(name, sizeof name, "linear %d->%d n=%d %s", in, out,
			 BATCH, what[pass]);
		report(name, flops * (pass + 1), t, tg);
	}
	dbv_afree(j.a);
	dbv_afree(j.b);
	dbv_afree(j.c);
	dbv_afree(j.d);
	dbv_afree(j.e);
	dbv_afree(j.f);
}

static void token_bench(int t, int heads, int dh, int tout, int d,
			double min_s)
{
	struct dbv_rng r;
	struct job j;
	size_t qkv = (size_t)BATCH * t * 3 * heads * dh;
	size_t pp = (size_t)BATCH * heads * t * t;
	size_t xs = (size_t)BATCH * t * d, ys = (size_t)BATCH * tout * d;
	double fa = 4.0 * BATCH * heads * (double)t * t * dh;
	char name[128];

	memset(&j, 0, sizeof j);
	dbv_rng_seed(&r, 4);
	j.t = t, j.heads = heads, j.dh = dh, j.tout = tout, j.m = d;
	j.a = random_buf(&r, qkv > xs ? qkv : xs);
	j.b = random_buf(&r, (size_t)tout * t);
	j.c = random_buf(&r, ys > qkv ? ys : qkv);
	j.d = random_buf(&r, pp > xs ? pp : xs);
	j.e = random_buf(&r, qkv > (size_t)tout * t ? qkv : (size_t)tout * t);
	j.f = random_buf(&r, (size_t)tout);
	j.scratch = random_buf(&r, (size_t)dbv_threads() * dbv_attn_scratch(t) +
				   dbv_tokmix_scratch(BATCH, t, tout, d));
	for (int kind = 5; kind <= 8; kind++) {
		double tj, tg;

		if (kind == 7 && t > 1) /* token mixing runs on t-1 patches */
			j.t = t - 1;
		j.kind = kind;
		job_time(&j, &ref_job, min_s, &tj, &tg);
		if (kind <= 6)
			snprintf(name, sizeof name, "attention T=%d %dx%d n=%d %s",
				 t, heads, dh, BATCH, kind == 5 ? "forward" : "backward");
		else
			snprintf(name, sizeof name, "tokmix %d->%d d=%d n=%d %s",
				 j.t, tout, d, BATCH, kind == 7 ? "forward" : "backward");
		report(name, kind <= 6 ? fa * (kind - 4)
				       : 2.0 * BATCH * (double)tout * j.t * d * (kind - 6),
		       tj, tg);
	}
	j.t = t;
	if (dbv_attn_eval_fast(t, dh)) {
		double tj, tg;

		j.kind = 10;
		job_time(&j, &ref_job, min_s, &tj, &tg);
		snprintf(name, sizeof name, "attention T=%d %dx%d n=%d eval (AVX-512)",
			 t, heads, dh, BATCH);
		report(name, fa, tj, tg);
	}
	dbv_afree(j.a), dbv_afree(j.b), dbv_afree(j.c), dbv_afree(j.d);
	dbv_afree(j.e), dbv_afree(j.f), dbv_afree(j.scratch);
	/* the qkv projection: a linear over BATCH * t rows */
	memset(&j, 0, sizeof j);
	j.n = BATCH * t, j.k = d, j.m = 3 * heads * dh;
	j.a = random_buf(&r, (size_t)j.n * j.k);
	j.b = random_buf(&r, (size_t)j.m * j.k);
	j.c = random_buf(&r, (size_t)j.n * j.m);
	j.d = random_buf(&r, (size_t)j.n * j.k);
	j.e = random_buf(&r, (size_t)j.m * j.k);
	for (int pass = 0; pass < 2; pass++) {
		double tj, tg;

		j.kind = 3 + pass;
		job_time(&j, &ref_job, min_s, &tj, &tg);
		snprintf(name, sizeof name, "qkv linear %d->%d rows=%d %s", d, j.m,
			 j.n, pass ? "backward" : "forward");
		report(name, 2.0 * j.n * j.k * j.m * (pass + 1), tj, tg);
	}
	if (dbv_tlinear_packable(j.k, j.m)) {
		double tj, tg;

		dbv_tlinear_pack(j.k, j.m, j.b, j.e);
		j.kind = 11;
		job_time(&j, &ref_job, min_s, &tj, &tg);
		snprintf(name, sizeof name, "qkv linear %d->%d rows=%d eval (AVX-512)",
			 d, j.m, j.n);
		report(name, 2.0 * j.n * j.k * j.m, tj, tg);
	}
	dbv_afree(j.a), dbv_afree(j.b), dbv_afree(j.c), dbv_afree(j.d);
	dbv_afree(j.e);
}

int main(int argc, char **argv)
{
	double min_s = 1.0, t, tg;
	int64_t threads = 2;
	struct dbv_rng r;
	struct job *g;

	dbv_blas_fix_core(argv);
	if ((argc > 1 && dbv_parse_double(argv[1], 0.0, 60.0, &min_s) != DBV_OK) ||
	    (argc > 2 && dbv_parse_i64(argv[2], 1, 256, &threads) != DBV_OK) ||
	    argc > 3) {
		fprintf(stderr, "usage: layers [SECONDS [THREADS]]\n");
		return 2;
	}
	dbv_blas_set_threads((int)threads);
	printf("# %s\n", dbv_blas_describe());

	dbv_rng_seed(&r, 1);
	g = &ref_job;
	g->m = g->n = g->k = 1024;
	g->a = random_buf(&r, (size_t)1024 * 1024);
	g->b = random_buf(&r, (size_t)1024 * 1024);
	g->c = random_buf(&r, (size_t)1024 * 1024);
	job_time(g, g, min_s, &t, &tg);
	printf("sgemm 1024x1024x1024 threads=%d core=%s %.1f GFLOP/s\n",
	       (int)threads, dbv_blas_corename(), REF_FLOPS / t * 1e-9);
	fflush(stdout);

	conv_bench(16, 32, 3, 1, 28, min_s);
	conv_bench(32, 64, 3, 1, 14, min_s);
	conv_bench(64, 128, 3, 1, 7, min_s);
	/* The downsampling convolutions of ResNet-18 and WRN at these
	 * widths: 3x3 stride 2 and the 1x1 stride-2 shortcut. */
	conv_bench(16, 32, 3, 2, 28, min_s);
	conv_bench(32, 64, 3, 2, 14, min_s);
	conv_bench(16, 32, 1, 2, 28, min_s);
	conv_bench(32, 64, 1, 2, 14, min_s);
	linear_bench(784, 256, min_s);
	linear_bench(256, 10, min_s);
	token_bench(50, 4, 32, 196, 128, min_s);
	dbv_afree(g->a);
	dbv_afree(g->b);
	dbv_afree(g->c);
	return 0;
}
