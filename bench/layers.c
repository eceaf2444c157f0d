/*
 * layers.c - convolution and linear layer speed (lib/layers.c) beside the
 * sgemm rate measured in the same run, on the OpenBLAS core that
 * dbv_blas_fix_core leaves in place.
 *
 * usage: layers [SECONDS [THREADS]]   minimum time per measurement
 *                                     (default 1), BLAS threads (2)
 *
 * One line per measurement on stdout, the rate and its fraction of the
 * sgemm rate:
 *   sgemm 1024x1024x1024 threads=2 core=SkylakeX 300.1 GFLOP/s
 *   conv3x3 16->32 28x28 n=128 forward 240.0 GFLOP/s 0.80 of sgemm
 * The layers are the large ones of the 5-layer CNN of width 16 on 28x28
 * inputs (conv 16->32 at 28x28, 32->64 at 14x14, 64->128 at 7x7) and a
 * 784-256-10 MLP, batch 128.  A conv backward counts the products for dx
 * and dwt (twice the forward's); a linear backward likewise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbv.h"

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
	int kind; /* 0 sgemm, 1 conv forward, 2 conv backward, 3/4 linear */
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
	case 3:
		dbv_linear_forward(j->n, j->k, j->m, j->a, j->b, j->f, j->c);
		break;
	case 4:
		dbv_linear_backward(j->n, j->k, j->m, j->a, j->b, j->c, j->d,
				    j->e, j->f);
		break;
	}
}

/*
 * Seconds of the fastest of the runs of j made in min_s (after one
 * untimed run): on a shared machine the fastest run is the one the
 * others disturbed least, for the sgemm reference as for the layers.
 */
static double job_time(struct job *j, double min_s)
{
	double start, t0, t1, best = 1e30;

	job_run(j);
	start = t0 = now();
	do {
		job_run(j);
		t1 = now();
		if (t1 - t0 < best)
			best = t1 - t0;
		t0 = t1;
	} while (t1 - start < min_s);
	return best;
}

static void conv_bench(int cin, int cout, int hw, double min_s, double ref)
{
	struct dbv_rng r;
	struct job j;
	const char *what[] = { "forward", "backward" };
	size_t xs = (size_t)cin * BATCH * hw * hw, ws = (size_t)cout * cin * 9;
	double flops;

	memset(&j, 0, sizeof j);
	if (dbv_conv_init(&j.conv, cin, cout, 3, 1, 1, hw, hw) != DBV_OK) {
		fprintf(stderr, "layers: %s\n", dbv_errmsg());
		exit(2);
	}
	dbv_rng_seed(&r, 2);
	j.a = random_buf(&r, xs);
	j.b = random_buf(&r, ws);
	j.c = random_buf(&r, (size_t)cout * BATCH * j.conv.oh * j.conv.ow);
	j.d = random_buf(&r, xs);
	j.e = random_buf(&r, ws);
	j.scratch = random_buf(&r, dbv_conv_scratch(&j.conv, BATCH));
	flops = 2.0 * cout * cin * 9 * BATCH * j.conv.oh * j.conv.ow;
	for (int pass = 0; pass < 2; pass++) {
		double t, rate;

		j.kind = 1 + pass;
		t = job_time(&j, min_s);
		rate = flops * (pass + 1) / t * 1e-9;
		printf("conv3x3 %d->%d %dx%d n=%d %s %.1f GFLOP/s %.2f of sgemm "
		       "(%.2f ms)\n", cin, cout, hw, hw, BATCH, what[pass], rate,
		       rate / ref, t * 1e3);
		fflush(stdout);
	}
	dbv_afree(j.a);
	dbv_afree(j.b);
	dbv_afree(j.c);
	dbv_afree(j.d);
	dbv_afree(j.e);
	dbv_afree(j.scratch);
}

static void linear_bench(int in, int out, double min_s, double ref)
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
		double t, rate;

		j.kind = 3 + pass;
		t = job_time(&j, min_s);
		rate = flops * (pass + 1) / t * 1e-9;
		printf("linear %d->%d n=%d %s %.1f GFLOP/s %.2f of sgemm "
		       "(%.3f ms)\n", in, out, BATCH, what[pass], rate,
		       rate / ref, t * 1e3);
		fflush(stdout);
	}
	dbv_afree(j.a);
	dbv_afree(j.b);
	dbv_afree(j.c);
	dbv_afree(j.d);
	dbv_afree(j.e);
	dbv_afree(j.f);
}

int main(int argc, char **argv)
{
	double min_s = 1.0, ref;
	int64_t threads = 2;
	struct dbv_rng r;
	struct job g;

	dbv_blas_fix_core(argv);
	if ((argc > 1 && dbv_parse_double(argv[1], 0.0, 60.0, &min_s) != DBV_OK) ||
	    (argc > 2 && dbv_parse_i64(argv[2], 1, 256, &threads) != DBV_OK) ||
	    argc > 3) {
		fprintf(stderr, "usage: layers [SECONDS [THREADS]]\n");
		return 2;
	}
	dbv_blas_set_threads((int)threads);
	printf("# %s\n", dbv_blas_describe());

	memset(&g, 0, sizeof g);
	dbv_rng_seed(&r, 1);
	g.m = g.n = g.k = 1024;
	g.a = random_buf(&r, (size_t)1024 * 1024);
	g.b = random_buf(&r, (size_t)1024 * 1024);
	g.c = random_buf(&r, (size_t)1024 * 1024);
	ref = 2.0 * 1024 * 1024 * 1024 / job_time(&g, min_s) * 1e-9;
	printf("sgemm 1024x1024x1024 threads=%d core=%s %.1f GFLOP/s\n",
	       (int)threads, dbv_blas_corename(), ref);
	fflush(stdout);
	dbv_afree(g.a);
	dbv_afree(g.b);
	dbv_afree(g.c);

	conv_bench(16, 32, 28, min_s, ref);
	conv_bench(32, 64, 14, min_s, ref);
	conv_bench(64, 128, 7, min_s, ref);
	linear_bench(784, 256, min_s, ref);
	linear_bench(256, 10, min_s, ref);
	return 0;
}
