/*
 * blas.c - single-precision gemm over OpenBLAS, its naive reference, and
 * the choice of OpenBLAS's kernels ("core type").
 *
 * Why the core matters: an OpenBLAS built with DYNAMIC_ARCH (Debian's is)
 * picks its kernels from the CPU model when the library loads, before
 * main().  A CPU newer than the library knows may get a poor fallback:
 * Debian's 0.3.21 takes a recent AVX-512 Xeon for "Prescott" and runs its
 * SSE3 kernels at about a fifth of the machine's sgemm speed (measured on
 * a Xeon of family 6 model 207: sgemm 2048^3 with 2 threads at 37 GFLOP/s
 * on Prescott, 218 on SkylakeX after dbv's re-exec; bench/gemm.sh).
 * OpenBLAS reads OPENBLAS_CORETYPE only at load time, so the only fix from
 * inside the program is to run it again:
 *
 *   dbv_blas_fix_core(argv), first thing in main():
 *     - OPENBLAS_CORETYPE set by the user: respect it, do nothing.
 *     - DBV_BLAS_REEXEC set: we are the re-executed copy.  Its value is the
 *       core the library had detected; remember it for dbv_blas_describe(),
 *       then unset both variables so that the environment children see is
 *       the one the user gave.  (DBV_BLAS_REEXEC set without
 *       OPENBLAS_CORETYPE only turns the re-exec off.)
 *     - otherwise, when the library is DYNAMIC_ARCH and its core is below
 *       what the CPU supports (dbv_blas_better_core()), set
 *       OPENBLAS_CORETYPE=<better> and DBV_BLAS_REEXEC=<detected> and
 *       execv("/proc/self/exe", argv) (execvp(argv[0]) as a fallback).  If
 *       both fail, undo the two variables and go on with the slow core;
 *       dbv_blas_describe() says so.
 *
 * Threads.  dbv computes with its own threads (a pool of dbv_threads()
 * threads, lib/base/par.c) and keeps OpenBLAS single-threaded:
 * dbv_sgemm splits a large product into parts along the columns (or rows)
 * of C, one per thread, and each thread calls cblas_sgemm on its part.
 * Debian's OpenBLAS is a pthreads build; its worker threads spin
 * (sched_yield) for about 2^28 cycles after every threaded call, and
 * while dbv's own loops ran between two products such a worker took the
 * second core from them (a third of the cycles of a cnn5 training step).
 * With one OpenBLAS thread its workers get no work and sleep.  Concurrent
 * calls of a single-threaded OpenBLAS from several threads are what
 * OpenBLAS's FAQ prescribes for threaded programs; a pthreads build
 * serialises only its threaded level-3 calls and guards its buffer pool
 * with a lock (tests/unit/test_blas.c checks concurrent products against
 * serial ones).  The parts are fixed by the shape and the thread count, so
 * a given thread count gives bit-identical results; another count may
 * round differently (OpenBLAS's Haswell kernels round a column
 * differently depending on the width of the call it is in).
 *
 * For tests only: DBV_BLAS_TEST_DETECTED=1 together with OPENBLAS_CORETYPE
 * makes dbv_blas_fix_core treat the user's core as if the library had
 * detected it, so that a machine that OpenBLAS knows can still exercise
 * the whole re-exec (tests/unit/test_blas.c runs itself that way with
 * OPENBLAS_CORETYPE=PRESCOTT).
 *
 * "Below" is judged by rank: 0 = pre-AVX cores (Prescott, Core2, Nehalem,
 * Atom, Opteron, ...), 1 = AVX (Sandybridge), 2 = AVX2+FMA (Haswell, Zen),
 * 3 = AVX-512 (SkylakeX, Cooperlake, SapphireRapids).  The CPU's rank comes
 * from __builtin_cpu_supports (which also checks that the OS saves the
 * wider registers): avx512f+bw+vl+dq -> SKYLAKEX, avx2+fma -> HASWELL,
 * avx -> SANDYBRIDGE.  Core names dbv does not know (a newer OpenBLAS) and
 * the AMD Bulldozer family are left alone.  The Haswell/Zen -> SkylakeX
 * step matters too: on the AVX-512 Zen 5 this was written on, sgemm 2048^3
 * with 2 threads ran at 182 GFLOP/s with the Haswell kernels and 355 with
 * the SkylakeX ones (bench/gemm.sh); newer OpenBLAS releases choose the
 * AVX-512 kernels for AVX-512 Zen CPUs themselves.
 */
#include <cblas.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "nn/nn_internal.h"

#define ENV_CORE "OPENBLAS_CORETYPE"
#define ENV_REEXEC "DBV_BLAS_REEXEC"
#define ENV_TEST "DBV_BLAS_TEST_DETECTED"

/* ---- threads --------------------------------------------------------- */

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void blas_single(void)
{
	openblas_set_num_threads(1);
}

void dbv_blas_set_threads(int n)
{
	dbv_threads_set(n);
}

/* ---- gemm ------------------------------------------------------------- */

/*
 * Contract (the caller's, as for any BLAS): m, n, k >= 0; the stored A is
 * m x k (k x m when ta) with lda >= its column count and >= 1, likewise B
 * (k x n, or n x k when tb) and C (m x n).  OpenBLAS's parameter check
 * would print to stderr and skip the call otherwise; dbv's layers compute
 * these from validated shapes.
 */
void dbv_sgemm1(int ta, int tb, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta,
		float *c, int ldc)
{
	pthread_once(&blas_once, blas_single);
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
		    tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b,
		    ldb, beta, c, ldc);
}

/*
 * Products of at least this many multiply-adds (m*n*k) are split across
 * the threads: about 10 microseconds of one core's work, ten times what
 * starting a region costs.
 */
#define GEMM_PAR_MIN ((double)(1 << 19))

struct gemm_job {
	int ta, tb, m, n, k, lda, ldb, ldc, by_cols;
	float alpha, beta;
	const float *a, *b;
	float *c;
};

static void gemm_part(void *arg, size_t lo, size_t hi)
{
	const struct gemm_job *j = arg;

	if (j->by_cols)
		dbv_sgemm1(j->ta, j->tb, j->m, (int)(hi - lo), j->k, j->alpha,
			   j->a, j->lda,
			   j->tb ? j->b + lo * (size_t)j->ldb : j->b + lo,
			   j->ldb, j->beta, j->c + lo, j->ldc);
	else
		dbv_sgemm1(j->ta, j->tb, (int)(hi - lo), j->n, j->k, j->alpha,
			   j->ta ? j->a + lo : j->a + lo * (size_t)j->lda,
			   j->lda, j->b, j->ldb, j->beta,
			   j->c + lo * (size_t)j->ldc, j->ldc);
}

/*
 * Split C along its columns when m <= n, else along its rows, in parts of
 * multiples of 16 (the kernels' unroll): each thread packs the whole of
 * the operand that is not split, so split the dimension that leaves the
 * smaller one (A is m x k, B is k x n).
 */
void dbv_sgemm(int ta, int tb, int m, int n, int k, float alpha,
	       const float *a, int lda, const float *b, int ldb, float beta,
	       float *c, int ldc)
{
	struct gemm_job j = { ta, tb, m, n, k, lda, ldb, ldc, m <= n,
			      alpha, beta, a, b, c };
	const size_t dim = (size_t)(j.by_cols ? n : m);
	int nt = 1;

	if ((double)m * n * k >= GEMM_PAR_MIN)
		nt = par_threads(dim, 16);
	if (nt <= 1) {
		dbv_sgemm1(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c,
			   ldc);
		return;
	}
	par_for(nt, dim, 16, gemm_part, &j);
}

/*
 * BLAS semantics, including the corner cases the tests compare: beta == 0
 * means C is not read (garbage and NaN in C are overwritten); alpha == 0
 * or k == 0 means A and B are not read.
 */
void dbv_sgemm_ref(int ta, int tb, int m, int n, int k, float alpha,
		   const float *a, int lda, const float *b, int ldb,
		   float beta, float *c, int ldc)
{
	for (int i = 0; i < m; i++) {
		for (int j = 0; j < n; j++) {
			double acc = 0.0, v;
			float *cij = &c[(size_t)i * ldc + j];

			if (alpha != 0.0f) {
				for (int p = 0; p < k; p++) {
					float x = ta ? a[(size_t)p * lda + i]
						     : a[(size_t)i * lda + p];
					float y = tb ? b[(size_t)j * ldb + p]
						     : b[(size_t)p * ldb + j];

					acc += (double)x * y;
				}
			}
			v = (double)alpha * acc;
			if (beta != 0.0f)
				v += (double)beta * *cij;
			*cij = (float)v;
		}
	}
}

const char *dbv_blas_corename(void)
{
	const char *s = openblas_get_corename();

	return s ? s : "unknown";
}

/* ---- core choice ---------------------------------------------------- */

static const struct {
	const char *name;
	int rank; /* -1: leave alone */
} core_ranks[] = {
	{ "Unknown", 0 },     { "Katmai", 0 },    { "Coppermine", 0 },
	{ "Northwood", 0 },   { "Prescott", 0 },  { "Banias", 0 },
	{ "Atom", 0 },        { "Core2", 0 },     { "Penryn", 0 },
	{ "Dunnington", 0 },  { "Nehalem", 0 },   { "Athlon", 0 },
	{ "Opteron", 0 },     { "Opteron_SSE3", 0 }, { "Barcelona", 0 },
	{ "Nano", 0 },        { "Bobcat", 0 },    { "Generic", 0 },
	{ "Sandybridge", 1 },
	{ "Bulldozer", -1 },  { "Piledriver", -1 }, { "Steamroller", -1 },
	{ "Excavator", -1 },
	{ "Haswell", 2 },     { "Zen", 2 },
	{ "SkylakeX", 3 },    { "Cooperlake", 3 }, { "SapphireRapids", 3 },
};

static int core_rank(const char *name)
{
	for (size_t i = 0; i < sizeof core_ranks / sizeof core_ranks[0]; i++)
		if (strcasecmp(name, core_ranks[i].name) == 0)
			return core_ranks[i].rank;
	return -1;
}

/* The best OPENBLAS_CORETYPE for this CPU and its rank; NULL, -1 when the
 * CPU has no AVX (nothing better than the generic kernels to offer). */
static const char *cpu_best_core(int *rank)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl") &&
	    __builtin_cpu_supports("avx512dq")) {
		*rank = 3;
		return "SKYLAKEX";
	}
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
		*rank = 2;
		return "HASWELL";
	}
	if (__builtin_cpu_supports("avx")) {
		*rank = 1;
		return "SANDYBRIDGE";
	}
#endif
	*rank = -1;
	return NULL;
}

const char *dbv_blas_better_core(const char *corename)
{
	int have, best_rank;
	const char *best;

	if (!corename)
		return NULL;
	have = core_rank(corename);
	best = cpu_best_core(&best_rank);
	if (have < 0 || !best || best_rank <= have)
		return NULL;
	return best;
}

/* OPENBLAS_CORETYPE is honoured only by DYNAMIC_ARCH builds. */
static int blas_is_dynamic(void)
{
	const char *cfg = openblas_get_config();

	return cfg && strstr(cfg, "DYNAMIC_ARCH") != NULL;
}

/* What dbv_blas_fix_core found and did, for dbv_blas_describe(). */
static struct {
	int called;
	int by_dbv;          /* we are the re-executed copy */
	char detected[64];   /* the core the library chose itself */
	char asked[64];      /* the OPENBLAS_CORETYPE we set */
	char user[64];       /* the OPENBLAS_CORETYPE the user set */
	int exec_errno;      /* re-exec failed with this (0: not tried) */
} fix;

static void copy_name(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

void dbv_blas_fix_core(char **argv)
{
	const char *user = getenv(ENV_CORE);
	const char *back = getenv(ENV_REEXEC);
	const char *have, *best;

	fix.called = 1;
	if (user && !*user)
		user = NULL; /* OpenBLAS ignores an empty value too */
	if (user && !back && getenv(ENV_TEST)) {
		/* Test hook (see the top of the file). */
		unsetenv(ENV_TEST);
		unsetenv(ENV_CORE);
		user = NULL;
	}
	if (back) {
		/* The re-executed copy, or a user who set DBV_BLAS_REEXEC to
		 * keep dbv from re-executing: either way, no (further)
		 * re-exec. */
		if (user) {
			fix.by_dbv = 1;
			copy_name(fix.detected, sizeof fix.detected, back);
			copy_name(fix.asked, sizeof fix.asked, user);
			unsetenv(ENV_CORE);
		}
		unsetenv(ENV_REEXEC);
		return;
	}
	if (user) {
		copy_name(fix.user, sizeof fix.user, user);
		return;
	}
	have = dbv_blas_corename();
	best = dbv_blas_better_core(have);
	if (!best || !blas_is_dynamic() || !argv || !argv[0])
		return;

	if (setenv(ENV_CORE, best, 1) != 0 || setenv(ENV_REEXEC, have, 1) != 0) {
		fix.exec_errno = errno;
		goto undo;
	}
	/* Output the caller buffered would be lost across exec. */
	fflush(NULL);
	execv("/proc/self/exe", argv);
	execvp(argv[0], argv);
	fix.exec_errno = errno;
undo:
	copy_name(fix.asked, sizeof fix.asked, best);
	unsetenv(ENV_CORE);
	unsetenv(ENV_REEXEC);
}

const char *dbv_blas_describe(void)
{
	static _Thread_local char buf[512];
	const char *cfg = openblas_get_config();
	const char *core = dbv_blas_corename();
	const char *env = getenv(ENV_CORE);
	const char *better = NULL;
	char how[256];

	if (fix.by_dbv) {
		if (strcasecmp(fix.asked, core) == 0)
			snprintf(how, sizeof how,
				 "set by dbv: the library detected %s",
				 fix.detected);
		else
			snprintf(how, sizeof how,
				 "dbv set OPENBLAS_CORETYPE=%s but the library "
				 "chose %s; it detected %s",
				 fix.asked, core, fix.detected);
	} else if (fix.user[0] || (!fix.called && env)) {
		snprintf(how, sizeof how, "OPENBLAS_CORETYPE=%s set by the user",
			 fix.user[0] ? fix.user : env);
	} else if (fix.exec_errno) {
		snprintf(how, sizeof how,
			 "detected; re-running with OPENBLAS_CORETYPE=%s "
			 "failed: %s", fix.asked, strerror(fix.exec_errno));
	} else if ((better = dbv_blas_better_core(core)) != NULL) {
		snprintf(how, sizeof how,
			 "detected; slow: the CPU supports %s, set "
			 "OPENBLAS_CORETYPE=%s%s", better, better,
			 blas_is_dynamic() ? "" : " in a DYNAMIC_ARCH build");
	} else {
		snprintf(how, sizeof how, "detected");
	}
	snprintf(buf, sizeof buf,
		 "%s; core %s (%s), %d thread%s (dbv's; OpenBLAS "
		 "single-threaded in each)",
		 cfg ? cfg : "OpenBLAS", core, how, dbv_threads(),
		 dbv_threads() == 1 ? "" : "s");
	return buf;
}
