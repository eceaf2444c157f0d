/*
 * predict_fwd.c - the bare forward pass that dbv-predict runs, for
 * bench/predict.sh to set beside the whole `dbv-plane | dbv-predict`
 * pipeline: the same model file, the same grid points (the planes of a
 * planes stream), the same batch and thread count, forward in evaluation
 * mode, and nothing else timed.
 *
 * usage: predict_fwd MODEL PLANES [THREADS [BATCH [PASSES]]]
 *        (threads 2, batch 256 -- dbv-predict's defaults -- passes 1)
 *
 * MODEL is a dbv-train model stream (dbv_model_read), PLANES a dbv-plane
 * stream (a file or "-").  Each pass makes the points of every plane batch
 * by batch with dbv_plane_points, as dbv-predict does, but outside the
 * clock; only dbv_model_forward(train = 0) is timed (a monotonic clock
 * around each call, summed).  One untimed forward pass of one batch runs
 * first (first touch of the activations, threads started).
 *
 * Prints one line of key=value pairs: points (per pass) passes batch
 * threads fwd_s (forward seconds, best pass) pts_s (points/s, best pass)
 * pts_s_all (every pass, comma-separated) gen_s (seconds making the
 * points, best pass: what dbv-predict adds for them) cpu_ms_pt (the
 * process's CPU time over the forward calls, all threads, per point and
 * pass: the work done, which a shared machine's load does not change
 * much, where the wall-clock rate may halve from one run to the next).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool.h"

static double clock_s(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static void die(const char *what)
{
	fprintf(stderr, "predict_fwd: %s: %s\n", what, dbv_errmsg());
	exit(4);
}

static struct dbv_reader *open_stream(const char *path, const char *kind)
{
	struct dbv_reader *r;
	int fd;

	if (dbv_input_open(path, &fd) != DBV_OK)
		die(path);
	r = dbv_reader_new(fd, path);
	if (!r)
		die(path);
	if (kind && dbv_reader_header(r, kind, NULL) != DBV_OK)
		die(path);
	return r;
}

int main(int argc, char **argv)
{
	struct dbv_model m;
	struct dbv_reader *mr, *r;
	struct dbv_plane *pl = NULL;
	const dbv_val *rec;
	double mean[4], std[4], best_fwd = 1e30, best_gen = 1e30, cpu = 0;
	int64_t threads = 2, batch = 256, passes = 1;
	size_t np = 0, cap = 0, points = 0, dim;
	float *x;
	char *all;
	int rc;

	dbv_blas_fix_core(argv);
	if (argc < 3 || argc > 6 ||
	    (argc > 3 && dbv_parse_i64(argv[3], 1, DBV_THREADS_MAX, &threads) != DBV_OK) ||
	    (argc > 4 && dbv_parse_i64(argv[4], 1, 65536, &batch) != DBV_OK) ||
	    (argc > 5 && dbv_parse_i64(argv[5], 1, 1000, &passes) != DBV_OK)) {
		fprintf(stderr, "usage: predict_fwd MODEL PLANES [THREADS [BATCH [PASSES]]]\n");
		return 2;
	}
	dbv_blas_set_threads((int)threads);

	mr = open_stream(argv[1], NULL);
	if (dbv_model_read(mr, &m, mean, std) != DBV_OK)
		die(argv[1]);
	if (dbv_model_reserve_eval(&m, (int)batch) != DBV_OK)
		die("reserve");
	dim = (size_t)m.arch.c * (size_t)m.arch.h * (size_t)m.arch.w;

	r = open_stream(argv[2], "planes");
	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
		if (!dbv_record_is(rec, "plane"))
			continue;
		if (np == cap) {
			cap = cap ? 2 * cap : 16;
			pl = realloc(pl, cap * sizeof *pl);
			if (!pl)
				die("realloc");
		}
		if (dbv_plane_from_record(&pl[np], rec, m.arch.c, m.arch.h,
					  m.arch.w) != DBV_OK)
			die(argv[2]);
		points += (size_t)pl[np].res * (size_t)pl[np].res;
		np++;
	}
	if (rc != DBV_END)
		die(argv[2]);
	if (!np) {
		fprintf(stderr, "predict_fwd: %s holds no plane\n", argv[2]);
		return 3;
	}

	x = dbv_amalloc((size_t)batch * dim * sizeof *x);
	all = malloc(16 * (size_t)passes + 1);
	if (!x || !all)
		die("alloc");
	all[0] = 0;
	/* Untimed warm-up: the first batch of the first plane. */
	{
		size_t pts0 = (size_t)pl[0].res * (size_t)pl[0].res;
		size_t n0 = pts0 < (size_t)batch ? pts0 : (size_t)batch;

		dbv_plane_points(&pl[0], 0, n0, x);
		(void)dbv_model_forward(&m, x, (int)n0, 0);
	}

	for (int64_t ps = 0; ps < passes; ps++) {
		double fwd = 0, gen = 0;

		for (size_t k = 0; k < np; k++) {
			size_t pts = (size_t)pl[k].res * (size_t)pl[k].res;

			for (size_t done = 0; done < pts; done += (size_t)batch) {
				size_t n = pts - done < (size_t)batch ? pts - done : (size_t)batch;
				double t0 = now(), t1, t2;

				dbv_plane_points(&pl[k], done, n, x);
				t1 = now();
				cpu -= clock_s(CLOCK_PROCESS_CPUTIME_ID);
				(void)dbv_model_forward(&m, x, (int)n, 0);
				cpu += clock_s(CLOCK_PROCESS_CPUTIME_ID);
				t2 = now();
				gen += t1 - t0;
				fwd += t2 - t1;
			}
		}
		if (fwd < best_fwd)
			best_fwd = fwd;
		if (gen < best_gen)
			best_gen = gen;
		snprintf(all + strlen(all), 16, "%s%.1f", ps ? "," : "",
			 (double)points / fwd);
	}
	printf("points=%zu passes=%lld batch=%lld threads=%lld fwd_s=%.3f "
	       "pts_s=%.1f pts_s_all=%s gen_s=%.3f cpu_ms_pt=%.4f arch=%s "
	       "width=%d\n",
	       points, (long long)passes, (long long)batch, (long long)threads,
	       best_fwd, (double)points / best_fwd, all, best_gen,
	       1e3 * cpu / ((double)points * (double)passes), m.arch.name,
	       m.arch.width);
	for (size_t k = 0; k < np; k++)
		dbv_plane_release(&pl[k]);
	free(pl);
	free(all);
	dbv_afree(x);
	dbv_reader_free(r);
	dbv_reader_free(mr);
	dbv_model_release(&m);
	return 0;
}
