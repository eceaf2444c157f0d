/*
 * test_par.c - dbv's thread pool (lib/base/par.c) and the thread count.
 *
 * Jobs of every size up to more threads than cores, thousands of them in
 * a row (the workers spin between most, sleep between some): every part
 * runs exactly once, with its own t and the job's nt; a job started from
 * inside a part runs inline; two program threads may start jobs at once;
 * single-threaded OpenBLAS products run concurrently by the pool's threads
 * equal the same products run one after the other; the child of a fork
 * gets workers of its own.
 */
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "nn/nn_internal.h"

#define MAXT 9

struct count_job {
	int nt;
	int hits[MAXT];     /* parts seen, by t */
	int bad;            /* a part saw the wrong nt */
	int nested_ok;      /* nested jobs that ran inline */
	int nest;
};

static void count_part(void *arg, int t, int nt)
{
	struct count_job *j = arg;

	if (nt != j->nt || t < 0 || t >= nt)
		__atomic_add_fetch(&j->bad, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&j->hits[t], 1, __ATOMIC_RELAXED);
}

static void inner_part(void *arg, int t, int nt)
{
	int *ok = arg;

	/* Inline: one part, in the calling thread. */
	*ok += t == 0 && nt == 1 && par_inside();
}

static void nest_part(void *arg, int t, int nt)
{
	struct count_job *j = arg;
	int ok = 0;

	count_part(arg, t, nt);
	par_run(4, inner_part, &ok);
	/* No nesting: a part gets one thread for any work. */
	if (ok == 1 && par_threads((size_t)1 << 30, 1) == 1)
		__atomic_add_fetch(&j->nested_ok, 1, __ATOMIC_RELAXED);
}

static void sleep_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

static void test_jobs(void)
{
	int nbad = 0;

	CHECK(!par_inside());
	for (int it = 0; it < 3000; it++) {
		struct count_job j;
		int nt = 1 + it % MAXT;

		memset(&j, 0, sizeof j);
		j.nt = nt;
		/* Now and then a pause long enough for the workers to go to
		 * sleep, so that waking them is tested too. */
		if (it % 250 == 249)
			sleep_us(300);
		par_run(nt, count_part, &j);
		for (int t = 0; t < MAXT; t++)
			nbad += j.hits[t] != (t < nt);
		nbad += j.bad;
	}
	CHECK_EQ_INT(nbad, 0);
	for (int nt = 1; nt <= 4; nt++) {
		struct count_job j;

		memset(&j, 0, sizeof j);
		j.nt = nt;
		par_run(nt, nest_part, &j);
		CHECK_EQ_INT(j.nested_ok, nt);
		CHECK_EQ_INT(j.bad, 0);
	}
	CHECK(!par_inside());
}

/* Two program threads starting jobs at the same time. */
static void *caller(void *arg)
{
	int *bad = arg;

	for (int it = 0; it < 1500; it++) {
		struct count_job j;
		int nt = 2 + it % 3;

		memset(&j, 0, sizeof j);
		j.nt = nt;
		par_run(nt, count_part, &j);
		for (int t = 0; t < MAXT; t++)
			*bad += j.hits[t] != (t < nt);
		*bad += j.bad;
	}
	return NULL;
}

static void test_callers(void)
{
	pthread_t th;
	int bad1 = 0, bad2 = 0;

	CHECK(pthread_create(&th, NULL, caller, &bad1) == 0);
	caller(&bad2);
	pthread_join(th, NULL);
	CHECK_EQ_INT(bad1, 0);
	CHECK_EQ_INT(bad2, 0);
}

static void test_range(void)
{
	static const size_t ns[] = { 0, 1, 15, 16, 17, 100, 1000, 4097 };
	static const size_t aligns[] = { 1, 16 };
	int nbad = 0;

	for (size_t a = 0; a < 2; a++)
		for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
			for (int T = 1; T <= 7; T++) {
				size_t next = 0;

				for (int t = 0; t < T; t++) {
					size_t lo, hi;

					par_range(ns[i], t, T, aligns[a], &lo, &hi);
					nbad += lo != next || hi < lo || hi > ns[i];
					nbad += hi != ns[i] && hi % aligns[a] != 0;
					next = hi;
				}
				nbad += next != ns[i];
			}
	CHECK_EQ_INT(nbad, 0);
}

static void test_threads(void)
{
	dbv_threads_set(0);
	CHECK_EQ_INT(dbv_threads(), 1);
	dbv_threads_set(100000);
	CHECK_EQ_INT(dbv_threads(), DBV_THREADS_MAX);
	dbv_threads_set(3);
	CHECK_EQ_INT(dbv_threads(), 3);
	CHECK_EQ_INT(par_threads(100, 10), 3);
	CHECK_EQ_INT(par_threads(25, 10), 2);
	CHECK_EQ_INT(par_threads(19, 10), 1);
	dbv_blas_set_threads(2);
	CHECK_EQ_INT(dbv_threads(), 2);
}

/* Products by the pool's threads at once against the same products one
 * after the other. */
#define NG 24
struct gemm_job {
	int m[NG], n[NG], k[NG];
	float *a[NG], *b[NG], *c[NG];
};

static void gemm_part(void *arg, int t, int nt)
{
	struct gemm_job *j = arg;

	for (int i = t; i < NG; i += nt)
		dbv_sgemm1(i & 1, (i >> 1) & 1, j->m[i], j->n[i], j->k[i], 1.0f,
			   j->a[i], (i & 1) ? j->m[i] : j->k[i], j->b[i],
			   ((i >> 1) & 1) ? j->k[i] : j->n[i], 0.0f, j->c[i],
			   j->n[i]);
}

static void test_concurrent_gemm(void)
{
	struct gemm_job j;
	struct dbv_rng r;
	float *want[NG];
	int nbad = 0;

	dbv_rng_seed(&r, 9);
	for (int i = 0; i < NG; i++) {
		size_t as, bs, cs;

		j.m[i] = 16 + (int)dbv_rng_below(&r, 200);
		j.n[i] = 16 + (int)dbv_rng_below(&r, 300);
		j.k[i] = 1 + (int)dbv_rng_below(&r, 300);
		as = (size_t)j.m[i] * j.k[i];
		bs = (size_t)j.k[i] * j.n[i];
		cs = (size_t)j.m[i] * j.n[i];
		j.a[i] = malloc(as * sizeof(float));
		j.b[i] = malloc(bs * sizeof(float));
		j.c[i] = malloc(cs * sizeof(float));
		want[i] = malloc(cs * sizeof(float));
		if (!j.a[i] || !j.b[i] || !j.c[i] || !want[i])
			abort();
		for (size_t q = 0; q < as; q++)
			j.a[i][q] = dbv_rng_float(&r) - 0.5f;
		for (size_t q = 0; q < bs; q++)
			j.b[i][q] = dbv_rng_float(&r) - 0.5f;
	}
	par_run(1, gemm_part, &j);
	for (int i = 0; i < NG; i++)
		memcpy(want[i], j.c[i], (size_t)j.m[i] * j.n[i] * sizeof(float));
	for (int rep = 0; rep < 20; rep++) {
		for (int i = 0; i < NG; i++)
			memset(j.c[i], 0, (size_t)j.m[i] * j.n[i] * sizeof(float));
		par_run(2 + rep % 3, gemm_part, &j);
		for (int i = 0; i < NG; i++)
			nbad += memcmp(want[i], j.c[i],
				       (size_t)j.m[i] * j.n[i] * sizeof(float)) != 0;
	}
	CHECK_EQ_INT(nbad, 0);
	for (int i = 0; i < NG; i++)
		free(j.a[i]), free(j.b[i]), free(j.c[i]), free(want[i]);
}

static void test_fork(void)
{
	pid_t pid;
	int st = -1;

	pid = fork();
	if (pid == 0) {
		int bad = 0;

		for (int it = 0; it < 200; it++) {
			struct count_job j;

			memset(&j, 0, sizeof j);
			j.nt = 2 + it % 2;
			par_run(j.nt, count_part, &j);
			for (int t = 0; t < MAXT; t++)
				bad += j.hits[t] != (t < j.nt);
			bad += j.bad;
		}
		_exit(bad ? 1 : 0);
	}
	CHECK(pid > 0);
	if (pid > 0)
		waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	dbv_blas_fix_core(argv);
	test_threads();
	test_range();
	test_jobs();
	test_callers();
	test_concurrent_gemm();
	test_fork();
	return check_done();
}
