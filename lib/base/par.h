/*
 * par.h - dbv's own threads, for lib/ only (not installed, not public).
 *
 * dbv computes with a pool of dbv_threads() threads (lib/base/par.c) and runs
 * OpenBLAS single-threaded inside them (see "BLAS" in dbv.h and
 * lib/nn/blas.c).  A parallel loop is a function that does part t of nt of
 * the work, run by par_run on nt threads at once.  Every part is fixed by
 * the shapes and the thread count, never by timing, so results are
 * bit-identical from run to run for a given thread count.  Sums keep the
 * order they have in one thread (a channel's batch-norm statistics are
 * computed by one thread; work is split across channels, rows or images,
 * not within a sum).
 *
 * The pattern:
 *
 *	struct job { size_t n; const float *x; float *y; };
 *	static void part(void *arg, int t, int nt)
 *	{
 *		struct job *j = arg;
 *		size_t lo, hi;
 *
 *		par_range(j->n, t, nt, 16, &lo, &hi);
 *		... items [lo, hi) ...
 *	}
 *	...
 *	par_run(par_threads(n, PAR_MIN), part, &job);
 *
 * Partitions use the nt a part is given: par_run may run fewer threads
 * than asked (inside another job: one), and all the work is still done.
 */
#ifndef DBV_PAR_H
#define DBV_PAR_H

#include <stddef.h>

#include "base/base.h"

typedef void par_fn(void *arg, int t, int nt);

/* Run fn(arg, t, nt) for t = 0 .. nt-1 at once, part 0 in the calling
 * thread, and return when all are done.  nt <= 1, or a call from inside a
 * part, runs fn(arg, 0, 1) in the calling thread. */
void par_run(int nt, par_fn *fn, void *arg);
/* 1 while the calling thread runs a part of a job. */
int par_inside(void);
/* The common case: fn(arg, lo, hi) on the parts [lo, hi) of [0, n) that
 * par_range gives (empty parts are skipped), on nt threads. */
typedef void par_range_fn(void *arg, size_t lo, size_t hi);
void par_for(int nt, size_t n, size_t align, par_range_fn *fn, void *arg);

/*
 * Elements (floats) of a streaming loop worth a thread: below that,
 * waking a worker (about a microsecond while it spins, tens of
 * microseconds once it sleeps) costs more than it saves.
 */
#define PAR_MIN ((size_t)16384)

/* Threads for `work` units when each thread should get at least `min`:
 * between 1 and dbv_threads(); 1 inside a job (no nesting). */
static inline int par_threads(size_t work, size_t min)
{
	int t = dbv_threads();
	size_t most = min ? work / min : work;

	if (most < 2 || par_inside())
		return 1;
	return most < (size_t)t ? (int)most : t;
}

/*
 * Part t of T of the items [0, n): [*lo, *hi), boundaries at multiples of
 * align (>= 1) except n itself, so that neighbouring threads' floats share
 * no cache line when align is 16.  Parts may be empty.
 */
static inline void par_range(size_t n, int t, int T, size_t align,
			     size_t *lo, size_t *hi)
{
	size_t units = (n + align - 1) / align;
	size_t a = units * (size_t)t / (size_t)T;
	size_t b = units * (size_t)(t + 1) / (size_t)T;

	*lo = a * align < n ? a * align : n;
	*hi = b * align < n ? b * align : n;
}

#endif /* DBV_PAR_H */
