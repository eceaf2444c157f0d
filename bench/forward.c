/*
 * forward.c - forward-only (eval mode) throughput of dbv's models, what
 * dbv-predict runs: batches of random normalised 1x28x28 inputs through
 * dbv_model_forward(train = 0), 10 classes.
 *
 * usage: forward [SECONDS [THREADS [BATCH]]]   minimum time per case
 *                                              (default 2), threads (2),
 *                                              batch (256, dbv-predict's)
 *
 * One line per model: the best batch's images/s with THREADS threads and
 * with one, measured in alternation (batch by batch) so that both meet the
 * same weather on a shared machine, and their ratio:
 *   cnn5 K=16 batch=256 threads=2 4210 img/s; threads=1 2230 img/s; x1.89
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbv.h"

/* dbv_blas_set_threads, not dbv_threads_set: the same call here, and this
 * file then also builds against an older libdbv for before/after runs. */
#ifndef DBV_THREADS_MAX
#define DBV_THREADS_MAX 256
#endif

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void die(void)
{
	fprintf(stderr, "forward: %s\n", dbv_errmsg());
	exit(4);
}

static void run_case(const char *label, const char *arch, int width,
		     int depth, int threads, int batch, double min_s)
{
	struct dbv_arch a;
	struct dbv_model m;
	struct dbv_rng r;
	const int counts[2] = { threads, 1 };
	double best[2] = { 1e30, 1e30 }, start;
	float *x;

	memset(&a, 0, sizeof a);
	snprintf(a.name, sizeof a.name, "%s", arch);
	a.width = width;
	a.depth = depth;
	a.c = 1;
	a.h = a.w = 28;
	a.classes = 10;
	if (dbv_model_build(&m, &a) != DBV_OK)
		die();
	dbv_model_init(&m, 1);
	if (dbv_model_reserve_eval(&m, batch) != DBV_OK)
		die();
	x = dbv_amalloc((size_t)batch * 784 * sizeof *x);
	if (!x)
		die();
	dbv_rng_seed(&r, 2);
	for (size_t i = 0; i < (size_t)batch * 784; i++)
		x[i] = 2.0f * dbv_rng_float(&r) - 1.0f;
	/* Untimed: first touch of the activations, threads started. */
	for (int k = 0; k < 2; k++) {
		dbv_blas_set_threads(counts[k]);
		dbv_model_forward(&m, x, batch, 0);
	}
	start = now();
	do {
		for (int k = 0; k < 2; k++) {
			double t0;

			dbv_blas_set_threads(counts[k]);
			t0 = now();
			dbv_model_forward(&m, x, batch, 0);
			t0 = now() - t0;
			if (t0 < best[k])
				best[k] = t0;
		}
	} while (now() - start < min_s);
	printf("%s batch=%d threads=%d %.0f img/s; threads=1 %.0f img/s; "
	       "x%.2f\n", label, batch, threads, batch / best[0],
	       batch / best[1], best[1] / best[0]);
	fflush(stdout);
	dbv_afree(x);
	dbv_model_release(&m);
}

int main(int argc, char **argv)
{
	double min_s = 2.0;
	int64_t threads = 2, batch = 256;

	dbv_blas_fix_core(argv);
	if ((argc > 1 && dbv_parse_double(argv[1], 0.0, 600.0, &min_s) != DBV_OK) ||
	    (argc > 2 && dbv_parse_i64(argv[2], 1, DBV_THREADS_MAX, &threads) != DBV_OK) ||
	    (argc > 3 && dbv_parse_i64(argv[3], 1, 65536, &batch) != DBV_OK) ||
	    argc > 4) {
		fprintf(stderr, "usage: forward [SECONDS [THREADS [BATCH]]]\n");
		return 2;
	}
	dbv_blas_set_threads((int)threads);
	printf("# %s\n", dbv_blas_describe());
	run_case("cnn5 K=16", "cnn5", 16, 1, (int)threads, (int)batch, min_s);
	run_case("resnet18 K=8", "resnet18", 8, 1, (int)threads, (int)batch,
		 min_s);
	run_case("mlp 784-256-10", "mlp", 256, 1, (int)threads, (int)batch,
		 min_s);
	return 0;
}
