/*
 * check.h - the unit tests' tiny harness.
 *
 *   CHECK(cond)                 record a failure with file:line
 *   CHECK_EQ_INT(a, b)          integers, printed on failure
 *   CHECK_NEAR(a, b, tol)       |a-b| <= tol
 *   CHECK_OK(expr)              expr returns DBV_OK (prints dbv_errmsg)
 *   CHECK_RC(expr, code)        expr returns code
 *   return check_done();        in main: prints a summary, exit status
 */
#ifndef DBV_CHECK_H
#define DBV_CHECK_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "dbv.h"

static int check_fails_, check_count_;

#define CHECK(c)                                                              \
	do {                                                                  \
		check_count_++;                                               \
		if (!(c)) {                                                   \
			check_fails_++;                                       \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #c);                                \
		}                                                             \
	} while (0)
#define CHECK_EQ_INT(a, b)                                                    \
	do {                                                                  \
		long long a_ = (long long)(a), b_ = (long long)(b);           \
		check_count_++;                                               \
		if (a_ != b_) {                                               \
			check_fails_++;                                       \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
				__FILE__, __LINE__, #a, #b, a_, b_);          \
		}                                                             \
	} while (0)
#define CHECK_NEAR(a, b, tol)                                                 \
	do {                                                                  \
		double a_ = (double)(a), b_ = (double)(b);                    \
		check_count_++;                                               \
		if (!(fabs(a_ - b_) <= (tol))) {                              \
			check_fails_++;                                       \
			fprintf(stderr, "%s:%d: %s ~ %s failed: %.9g vs %.9g\n", \
				__FILE__, __LINE__, #a, #b, a_, b_);          \
		}                                                             \
	} while (0)
#define CHECK_RC(expr, code)                                                  \
	do {                                                                  \
		int rc_ = (expr);                                             \
		check_count_++;                                               \
		if (rc_ != (code)) {                                          \
			check_fails_++;                                       \
			fprintf(stderr, "%s:%d: %s returned %d, want %d (%s)\n", \
				__FILE__, __LINE__, #expr, rc_, (int)(code),  \
				dbv_errmsg());                                \
		}                                                             \
	} while (0)
#define CHECK_OK(expr) CHECK_RC(expr, DBV_OK)

static inline int check_done(void)
{
	fprintf(stderr, "%d checks, %d failed\n", check_count_, check_fails_);
	return check_fails_ ? 1 : 0;
}

/* A fresh scratch directory for the test's files. */
static inline const char *check_tmpdir(void)
{
	static char dir[512];
	const char *base = getenv("DBV_TEST_TMP");
	char cmd[600];
	if (!base)
		base = "/tmp";
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", base);
	if (system(cmd) != 0)
		abort();
	snprintf(dir, sizeof dir, "%s/t.XXXXXX", base);
	if (!mkdtemp(dir))
		abort();
	return dir;
}
#endif
