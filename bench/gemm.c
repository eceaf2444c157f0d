/*
 * gemm.c - sgemm speed through dbv_sgemm, on the OpenBLAS core that
 * dbv_blas_fix_core leaves in place (bench/gemm.sh also runs it on the
 * generic core for comparison).
 *
 * usage: gemm [SECONDS]     minimum time per measurement (default 1)
 *
 * One line per measurement on stdout:
 *   sgemm 2048x2048x2048 threads=2 core=SkylakeX 354.9 GFLOP/s
 * Shapes: a square 2048^3 product and the conv-shaped 64x32768x576 one
 * (64 filters of 64*3*3 taps over a 128x256 image in im2col form).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dbv.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *random_matrix(struct dbv_rng *r, size_t n)
{
	float *p = dbv_amalloc(n * sizeof *p);

	if (!p) {
		fprintf(stderr, "gemm: %s\n", dbv_errmsg());
		exit(4);
	}
	for (size_t i = 0; i < n; i++)
		p[i] = dbv_rng_float(r) - 0.5f;
	return p;
}

static void measure(int m, int n, int k, int threads, double min_s)
{
	struct dbv_rng r;
	float *a, *b, *c;
	double t0, t;
	long reps = 0;

	dbv_rng_seed(&r, 1);
	a = random_matrix(&r, (size_t)m * k);
	b = random_matrix(&r, (size_t)k * n);
	c = random_matrix(&r, (size_t)m * n);
	dbv_blas_set_threads(threads);
	/* One untimed call: thread start-up and first touch of C. */
	dbv_sgemm(0, 0, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
	t0 = now();
	do {
		dbv_sgemm(0, 0, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
		reps++;
		t = now() - t0;
	} while (t < min_s);
	printf("sgemm %dx%dx%d threads=%d core=%s %.1f GFLOP/s\n", m, n, k,
	       threads, dbv_blas_corename(),
	       2.0 * m * n * k * (double)reps / t * 1e-9);
	fflush(stdout);
	dbv_afree(a);
	dbv_afree(b);
	dbv_afree(c);
}

int main(int argc, char **argv)
{
	double min_s = 1.0;

	dbv_blas_fix_core(argv);
	if (argc > 1 && dbv_parse_double(argv[1], 0.0, 60.0, &min_s) != DBV_OK) {
		fprintf(stderr, "usage: gemm [SECONDS]\n");
		return 2;
	}
	printf("# %s\n", dbv_blas_describe());
	for (int threads = 1; threads <= 2; threads++) {
		measure(2048, 2048, 2048, threads, min_s);
		measure(64, 32768, 576, threads, min_s);
	}
	return 0;
}
