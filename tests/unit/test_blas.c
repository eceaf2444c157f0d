/*
 * test_blas.c - dbv_sgemm (OpenBLAS) against dbv_sgemm_ref, and the
 * choice of OpenBLAS core by dbv_blas_fix_core.
 *
 * The program runs the gemm checks on the core it got, then runs itself
 * twice more as a child ("--child"):
 *   1. with OPENBLAS_CORETYPE=PRESCOTT and DBV_BLAS_TEST_DETECTED=1, which
 *      makes dbv_blas_fix_core treat Prescott as the library's own choice:
 *      on a CPU with AVX the child must re-execute itself and come back on
 *      the better core, report it in dbv_blas_describe(), leave no dbv
 *      variables in its environment, and pass the gemm checks there;
 *   2. without OPENBLAS_CORETYPE: whatever the library detects, after
 *      dbv_blas_fix_core the core must be as good as the CPU allows.
 * So the fast kernels are checked against the naive gemm even when the
 * environment pins OPENBLAS_CORETYPE.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "nn/nn_internal.h"

static const int dims[] = { 1, 2, 3, 7, 17, 33, 64, 65, 127, 257 };
#define NDIMS ((int)(sizeof dims / sizeof dims[0]))

static float *fill(struct dbv_rng *r, size_t n)
{
	float *p = dbv_malloc(n * sizeof *p);

	if (!p)
		abort();
	for (size_t i = 0; i < n; i++)
		p[i] = 2.0f * dbv_rng_float(r) - 1.0f;
	return p;
}

/*
 * One product C = alpha op(A) op(B) + beta C with padded leading
 * dimensions.  Returns the number of bad elements (printed).  With
 * beta == 0, C starts as NaN: BLAS must not read it.
 */
static int one_case(struct dbv_rng *r, int ta, int tb, int m, int n, int k,
		    float alpha, float beta)
{
	/* op(A) is m x k: A is m x k, or k x m when transposed. */
	const int arows = ta ? k : m, acols = ta ? m : k;
	const int brows = tb ? n : k, bcols = tb ? k : n;
	const int lda = acols + 1 + (int)dbv_rng_below(r, 5);
	const int ldb = bcols + 1 + (int)dbv_rng_below(r, 5);
	const int ldc = n + 1 + (int)dbv_rng_below(r, 5);
	const float pad = 12345.0f;
	float *a = fill(r, (size_t)arows * lda);
	float *b = fill(r, (size_t)brows * ldb);
	float *c0 = fill(r, (size_t)m * ldc);
	float *c = dbv_malloc((size_t)m * ldc * sizeof *c);
	float *cref = dbv_malloc((size_t)m * ldc * sizeof *c);
	float *bound = dbv_malloc((size_t)m * ldc * sizeof *c);
	float *aa = dbv_malloc((size_t)arows * lda * sizeof *a);
	float *ab = dbv_malloc((size_t)brows * ldb * sizeof *b);
	int bad = 0;

	if (!c || !cref || !bound || !aa || !ab)
		abort();
	for (int i = 0; i < m; i++)
		for (int j = 0; j < ldc; j++) {
			float *v = &c0[(size_t)i * ldc + j];

			if (j >= n)
				*v = pad;
			else if (beta == 0.0f)
				*v = NAN;
		}
	memcpy(c, c0, (size_t)m * ldc * sizeof *c);
	memcpy(cref, c0, (size_t)m * ldc * sizeof *c);
	dbv_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
	dbv_sgemm_ref(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, cref, ldc);

	/* The error scale of each element: |alpha| sum |a||b| + |beta c|. */
	for (size_t i = 0; i < (size_t)arows * lda; i++)
		aa[i] = fabsf(a[i]);
	for (size_t i = 0; i < (size_t)brows * ldb; i++)
		ab[i] = fabsf(b[i]);
	for (size_t i = 0; i < (size_t)m * ldc; i++)
		bound[i] = beta == 0.0f ? 0.0f : fabsf(c0[i]);
	dbv_sgemm_ref(ta, tb, m, n, k, fabsf(alpha), aa, lda, ab, ldb,
		      fabsf(beta), bound, ldc);

	for (int i = 0; i < m; i++) {
		for (int j = 0; j < ldc; j++) {
			size_t at = (size_t)i * ldc + j;
			double tol = 1e-5 * sqrt(k) * bound[at] + 1e-30;

			if (j >= n ? c[at] == pad
				   : fabs((double)c[at] - cref[at]) <= tol)
				continue;
			if (bad++ < 3)
				fprintf(stderr,
					"sgemm ta=%d tb=%d m=%d n=%d k=%d "
					"lda=%d ldb=%d ldc=%d alpha=%g "
					"beta=%g: C[%d][%d] = %.9g, ref %.9g%s\n",
					ta, tb, m, n, k, lda, ldb, ldc, alpha,
					beta, i, j, c[at], cref[at],
					j >= n ? " (padding written)" : "");
		}
	}
	free(a);
	free(b);
	free(c0);
	free(c);
	free(cref);
	free(bound);
	free(aa);
	free(ab);
	return bad;
}

static void test_gemm(void)
{
	static const float alphas[] = { 0.75f, -1.5f, 1.0f, 2.0f };
	static const float betas[] = { 0.5f, -0.25f, 0.0f, 1.0f };
	struct dbv_rng r;
	int ncase = 0, nbad = 0;

	dbv_rng_seed(&r, 20220601);
	/* Fixed corners, then seeded random shapes from the awkward list
	 * (limited in size so that the naive gemm stays quick, also under
	 * the sanitizers). */
	static const int corners[][3] = {
		{ 1, 1, 1 },     { 257, 1, 1 },   { 1, 257, 1 },
		{ 1, 1, 257 },   { 257, 257, 1 }, { 1, 257, 257 },
		{ 257, 1, 257 }, { 64, 64, 64 },  { 65, 65, 65 },
		{ 127, 33, 257 },
	};
	for (int t = 0; t < 50; t++) {
		int m, n, k;

		if (t < (int)(sizeof corners / sizeof corners[0])) {
			m = corners[t][0], n = corners[t][1], k = corners[t][2];
		} else {
			do {
				m = dims[dbv_rng_below(&r, NDIMS)];
				n = dims[dbv_rng_below(&r, NDIMS)];
				k = dims[dbv_rng_below(&r, NDIMS)];
			} while ((double)m * n * k > 257.0 * 257 * 33);
		}
		for (int tr = 0; tr < 4; tr++) {
			float alpha = alphas[dbv_rng_below(&r, 4)];
			float beta = betas[dbv_rng_below(&r, 4)];

			/* Run some cases single-threaded: OpenBLAS takes
			 * other code paths there. */
			dbv_blas_set_threads(t % 3 == 0 ? 1 : 2);
			nbad += one_case(&r, tr & 1, tr >> 1, m, n, k, alpha,
					 beta) != 0;
			ncase++;
		}
	}
	dbv_blas_set_threads(2);
	CHECK_EQ_INT(nbad, 0);
	fprintf(stderr, "sgemm on core %s: %d cases, %d bad\n",
		dbv_blas_corename(), ncase, nbad);
}

/* The reference itself, on a product small enough to write out. */
static void test_ref(void)
{
	/* A = [1 2 3; 4 5 6] (2x3), B = [1 0; 0 1; 1 1] (3x2). */
	const float a[] = { 1, 2, 3, 4, 5, 6 };
	const float at[] = { 1, 4, 2, 5, 3, 6 };
	const float b[] = { 1, 0, 0, 1, 1, 1 };
	const float bt[] = { 1, 0, 1, 0, 1, 1 };
	const float want[] = { 4, 5, 10, 11 };

	for (int tr = 0; tr < 4; tr++) {
		float c[4] = { 1, 1, 1, 1 };
		int ta = tr & 1, tb = tr >> 1;

		dbv_sgemm_ref(ta, tb, 2, 2, 3, 2.0f, ta ? at : a, ta ? 2 : 3,
			      tb ? bt : b, tb ? 3 : 2, -1.0f, c, 2);
		for (int i = 0; i < 4; i++)
			CHECK_NEAR(c[i], 2 * want[i] - 1, 0);
	}
}

static void test_better_core(void)
{
	const char *best = dbv_blas_better_core("Prescott");

	CHECK(dbv_blas_better_core(NULL) == NULL);
	CHECK(dbv_blas_better_core("no such core") == NULL);
	CHECK(dbv_blas_better_core("Excavator") == NULL);
	CHECK(dbv_blas_better_core("SkylakeX") == NULL);
	CHECK(dbv_blas_better_core("COOPERLAKE") == NULL);
	CHECK(dbv_blas_better_core("prescott") == best);
	CHECK(dbv_blas_better_core("Core2") == best);
	CHECK(dbv_blas_better_core("Nehalem") == best);
	if (best && strcmp(best, "SKYLAKEX") == 0) {
		CHECK(dbv_blas_better_core("Haswell") == best);
		CHECK(dbv_blas_better_core("Zen") == best);
		CHECK(dbv_blas_better_core("Sandybridge") == best);
	}
	if (best && strcmp(best, "HASWELL") == 0)
		CHECK(dbv_blas_better_core("Haswell") == NULL);
}

/* Child mode: report the core and the environment on stdout. */
static void child_report(void)
{
	const char *env = getenv("OPENBLAS_CORETYPE");
	const char *back = getenv("DBV_BLAS_REEXEC");
	const char *test = getenv("DBV_BLAS_TEST_DETECTED");

	printf("core=%s\n", dbv_blas_corename());
	printf("describe=%s\n", dbv_blas_describe());
	printf("env=%s\n", env ? env : "-");
	printf("leftover=%s\n", back || test ? "yes" : "no");
	fflush(stdout);
}

/* Run this program with "--child" and the environment changes given;
 * its stdout goes to out.  Returns its exit status (-1: did not run). */
static int run_child(const char *core, int test_hook, char *out, size_t size)
{
	int fd[2], status;
	size_t len = 0;
	ssize_t got;
	pid_t pid;

	fflush(NULL);
	if (pipe(fd) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char self[] = "/proc/self/exe", flag[] = "--child";
		char *args[] = { self, flag, NULL };

		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		if (core)
			setenv("OPENBLAS_CORETYPE", core, 1);
		else
			unsetenv("OPENBLAS_CORETYPE");
		unsetenv("DBV_BLAS_REEXEC");
		if (test_hook)
			setenv("DBV_BLAS_TEST_DETECTED", "1", 1);
		execv(self, args);
		_exit(127);
	}
	close(fd[1]);
	while (len + 1 < size &&
	       ((got = read(fd[0], out + len, size - 1 - len)) > 0 ||
		(got < 0 && errno == EINTR)))
		if (got > 0)
			len += (size_t)got;
	out[len] = '\0';
	close(fd[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The value of "key=" in a child's report ("" when absent). */
static const char *field(const char *out, const char *key, char *buf,
			 size_t size)
{
	const char *p = strstr(out, key);
	size_t n = 0;

	if (p) {
		p += strlen(key);
		while (p[n] && p[n] != '\n')
			n++;
	}
	snprintf(buf, size, "%.*s", (int)n, p ? p : "");
	return buf;
}

static void test_reexec(void)
{
	const char *best = dbv_blas_better_core("Prescott");
	char out[4096], core[128], desc[1024], env[128], left[16];
	int st;

	/* 1. Pretend the library detected Prescott. */
	st = run_child("PRESCOTT", 1, out, sizeof out);
	CHECK_EQ_INT(st, 0);
	field(out, "core=", core, sizeof core);
	field(out, "describe=", desc, sizeof desc);
	field(out, "env=", env, sizeof env);
	field(out, "leftover=", left, sizeof left);
	fprintf(stderr, "as if Prescott were detected: %s\n", desc);
	CHECK(strcmp(left, "no") == 0);
	if (!best) {
		fprintf(stderr, "skip: this CPU has no AVX, Prescott stays\n");
		CHECK(strcasecmp(core, "Prescott") == 0);
	} else {
		CHECK(strcasecmp(core, best) == 0);
		CHECK(strstr(desc, "set by dbv: the library detected Prescott")
		      != NULL);
		/* The re-executed copy restored the user's environment. */
		CHECK(strcmp(env, "-") == 0);
	}

	/* 2. A clean environment: the core must be the best there is. */
	st = run_child(NULL, 0, out, sizeof out);
	CHECK_EQ_INT(st, 0);
	field(out, "core=", core, sizeof core);
	field(out, "describe=", desc, sizeof desc);
	fprintf(stderr, "without OPENBLAS_CORETYPE: %s\n", desc);
	CHECK(dbv_blas_better_core(core) == NULL);
	if (best && strcmp(best, "SANDYBRIDGE") != 0)
		CHECK(strcasecmp(core, "Sandybridge") != 0 &&
		      dbv_blas_better_core(core) == NULL);
	else
		fprintf(stderr, "skip: this CPU has no AVX2\n");

	/* 3. A user's choice is kept. */
	st = run_child("Haswell", 0, out, sizeof out);
	CHECK_EQ_INT(st, 0);
	field(out, "describe=", desc, sizeof desc);
	CHECK(strstr(desc, "OPENBLAS_CORETYPE=Haswell set by the user")
	      != NULL);
}

int main(int argc, char **argv)
{
	int child = argc > 1 && strcmp(argv[1], "--child") == 0;

	dbv_blas_fix_core(argv);
	if (child) {
		child_report();
		test_gemm();
		return check_done();
	}
	fprintf(stderr, "%s\n", dbv_blas_describe());
	test_ref();
	test_better_core();
	test_gemm();
	test_reexec();
	return check_done();
}
