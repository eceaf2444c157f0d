/*
 * par.c - dbv's thread pool: persistent workers that run one job at a
 * time, each worker its fixed part of it (see par.h).
 *
 * Why not OpenMP (dbv's loops were OpenMP regions first): libgomp's idle
 * threads spin for 300,000 pause instructions (milliseconds) before they
 * sleep, a count read from the environment when the library loads.  On a
 * machine where more threads want to run than there are cores (a shared
 * 2-core machine running someone else's tests), a spinning waiter keeps
 * its core while the thread it waits for sits in the run queue, and a
 * region can cost a scheduler time slice: linear 784->256 backward took
 * 15-20 ms instead of 0.6 ms for whole seconds at a time.  Here waiting is
 * bounded: a waiter spins for SPIN_NS and then sleeps on a futex, whatever
 * the environment says.  A job costs about 0.5 us while the workers spin
 * (2 threads on 2 idle cores), 80-160 us with 3-4 threads on 2 cores.
 *
 * Protocol.  The caller (thread 0) publishes fn, arg and a job word
 * (generation << 16 | thread count) and bumps `wake`; worker w (1..) waits
 * for the job word to change, runs fn(arg, w, nt) when w < nt and counts
 * itself in `done`; the caller runs part 0 and waits until done == nt - 1.
 * A worker that does not take part in a job only notes its generation, so
 * jobs of few threads do not involve the others.  Futex waits are guarded
 * by sleeper counts and sequentially consistent atomics, so that a wake-up
 * is never lost: either the waker sees the sleeper, or the sleeper sees
 * the new value before it sleeps.
 *
 * One job at a time: a mutex serialises callers from different threads,
 * and a call from inside a job (a part that calls another parallel
 * function) runs inline as a job of one thread.  Workers block every
 * signal, so that signals reach the program's own threads as before.  The
 * child of a fork() starts without workers (and starts its own when it
 * needs them).
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "base/par.h"

/*
 * How long a waiter spins before it sleeps: longer than the gaps between
 * the jobs of a training step.  On an idle 2-core machine 20 us, 50 us,
 * 200 us and 1 ms trained resnet18 K=8 equally fast (within 3%; at 50 us
 * the worker slept before 5% of the jobs).  With another process busy on
 * the machine, 1 ms of spinning trained it at 255 images/s, 50 us at 805.
 */
#define SPIN_NS 50000

static struct {
	pthread_mutex_t lock; /* one job at a time */
	int nworkers;         /* started (guarded by lock) */
	par_fn *fn;
	void *arg;
	uint64_t job;         /* generation << 16 | threads (atomic) */
	uint32_t wake;        /* futex word: bumped with every job */
	uint32_t sleepers;    /* workers asleep or about to be */
	uint32_t done;        /* workers finished with the current job */
	uint32_t caller_asleep;
	uint64_t job_at_start; /* the job word when workers were started */
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Set while this thread runs a part of a job. */
static _Thread_local int in_job;

int par_inside(void)
{
	return in_job;
}

static long futex(uint32_t *addr, int op, uint32_t val)
{
	return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)

/* After spin i of a wait that began its clock at *t0 (0: not yet):
 * whether the wait has spun SPIN_NS and should sleep.  The clock is read
 * every 64 spins. */
static int spun_out(unsigned i, uint64_t *t0)
{
	uint64_t t;

	if ((i & 63) != 63)
		return 0;
	t = now_ns();
	if (!*t0)
		*t0 = t;
	return t - *t0 > SPIN_NS;
}

/* Wait until the job word differs from `seen`; return it. */
static uint64_t wait_job(uint64_t seen)
{
	uint64_t j, t0 = 0;

	for (unsigned i = 0;; i++) {
		if ((j = LOAD(&pool.job)) != seen)
			return j;
		cpu_relax();
		if (spun_out(i, &t0))
			break;
	}
	for (;;) {
		uint32_t w;

		ADD(&pool.sleepers, 1);
		w = LOAD(&pool.wake);
		if ((j = LOAD(&pool.job)) == seen)
			futex(&pool.wake, FUTEX_WAIT_PRIVATE, w);
		ADD(&pool.sleepers, (uint32_t)-1);
		if ((j = LOAD(&pool.job)) != seen)
			return j;
	}
}

static void *worker(void *p)
{
	const int w = (int)(intptr_t)p;
	/* Not pool.job: the job this worker was started for may have been
	 * published before it runs. */
	uint64_t seen = LOAD(&pool.job_at_start);

	for (;;) {
		uint64_t j = wait_job(seen);
		const int nt = (int)(j & 0xffff);

		seen = j;
		if (w >= nt)
			continue;
		in_job = 1;
		pool.fn(pool.arg, w, nt);
		in_job = 0;
		if (ADD(&pool.done, 1) == (uint32_t)nt - 1 &&
		    LOAD(&pool.caller_asleep))
			futex(&pool.done, FUTEX_WAKE_PRIVATE, 1);
	}
	return NULL;
}

/* In the child of a fork(): the workers are the parent's. */
static void forget_workers(void)
{
	pthread_mutex_init(&pool.lock, NULL);
	pool.nworkers = 0;
	STORE(&pool.sleepers, 0);
	STORE(&pool.caller_asleep, 0);
}

/* Start workers up to n (lock held); returns how many there are. */
static int start_workers(int n)
{
	static int at_fork;
	sigset_t all, old;

	if (pool.nworkers >= n)
		return pool.nworkers;
	if (!at_fork && pthread_atfork(NULL, NULL, forget_workers) == 0)
		at_fork = 1;
	STORE(&pool.job_at_start, LOAD(&pool.job));
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (pool.nworkers < n) {
		pthread_t t;
		pthread_attr_t a;
		int rc;

		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&t, &a, worker,
				    (void *)(intptr_t)(pool.nworkers + 1));
		pthread_attr_destroy(&a);
		if (rc)
			break;
		pool.nworkers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pool.nworkers;
}

void par_run(int nt, par_fn *fn, void *arg)
{
	uint64_t j, t0 = 0;
	uint32_t d;

	if (nt > DBV_THREADS_MAX)
		nt = DBV_THREADS_MAX;
	if (nt <= 1 || in_job) {
		int was = in_job;

		in_job = 1;
		fn(arg, 0, 1);
		in_job = was;
		return;
	}
	pthread_mutex_lock(&pool.lock);
	if (start_workers(nt - 1) < nt - 1)
		nt = pool.nworkers + 1; /* could not start them all */
	pool.fn = fn;
	pool.arg = arg;
	STORE(&pool.done, 0);
	j = LOAD(&pool.job);
	STORE(&pool.job, ((j >> 16) + 1) << 16 | (uint64_t)nt);
	ADD(&pool.wake, 1);
	if (LOAD(&pool.sleepers))
		futex(&pool.wake, FUTEX_WAKE_PRIVATE, INT32_MAX);
	in_job = 1;
	fn(arg, 0, nt);
	in_job = 0;
	for (unsigned i = 0; (d = LOAD(&pool.done)) != (uint32_t)nt - 1; i++) {
		cpu_relax();
		if (spun_out(i, &t0))
			break;
	}
	while (d != (uint32_t)nt - 1) {
		STORE(&pool.caller_asleep, 1);
		if ((d = LOAD(&pool.done)) != (uint32_t)nt - 1)
			futex(&pool.done, FUTEX_WAIT_PRIVATE, d);
		STORE(&pool.caller_asleep, 0);
		d = LOAD(&pool.done);
	}
	pthread_mutex_unlock(&pool.lock);
}

struct par_for_job {
	size_t n, align;
	par_range_fn *fn;
	void *arg;
};

static void par_for_part(void *arg, int t, int nt)
{
	const struct par_for_job *j = arg;
	size_t lo, hi;

	par_range(j->n, t, nt, j->align, &lo, &hi);
	if (hi > lo)
		j->fn(j->arg, lo, hi);
}

void par_for(int nt, size_t n, size_t align, par_range_fn *fn, void *arg)
{
	struct par_for_job j = { n, align, fn, arg };

	if (nt <= 1) {
		if (n)
			fn(arg, 0, n);
		return;
	}
	par_run(nt, par_for_part, &j);
}

/* ---- thread count ----------------------------------------------------- */

static int nthreads; /* 0: not set yet */

/* The CPUs this process may run on, within [1, DBV_THREADS_MAX]. */
static int default_threads(void)
{
	cpu_set_t set;
	long n = 1;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		n = CPU_COUNT(&set);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > DBV_THREADS_MAX ? DBV_THREADS_MAX : (int)n;
}

int dbv_threads(void)
{
	int n = __atomic_load_n(&nthreads, __ATOMIC_RELAXED), zero = 0;

	if (n > 0)
		return n;
	n = default_threads();
	/* First use: settle the default once (a concurrent dbv_threads_set
	 * wins). */
	__atomic_compare_exchange_n(&nthreads, &zero, n, 0, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
	return __atomic_load_n(&nthreads, __ATOMIC_RELAXED);
}

void dbv_threads_set(int n)
{
	if (n < 1)
		n = 1;
	if (n > DBV_THREADS_MAX)
		n = DBV_THREADS_MAX;
	__atomic_store_n(&nthreads, n, __ATOMIC_RELAXED);
}

