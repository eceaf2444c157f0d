/*
 * test_finite.c - the finite-number tests of lib/base (dbv_finite,
 * dbv_nan, dbv_f32_nonfinite) tell NaN and the infinities from every
 * finite number, also inside code built with -ffast-math (issue #11 item
 * 8: whether a NaN is caught must not depend on the compiler or its
 * options; GCC folds isfinite() to 1 under -ffinite-math-only).
 */
#include <float.h>
#include <string.h>

#include "check.h"

/* A NaN the compiler cannot see as one. */
static volatile double vnan, vinf;

#if defined(__GNUC__) && !defined(__clang__)
#define FAST_MATH __attribute__((optimize("fast-math"), noinline))
#else
#define FAST_MATH __attribute__((noinline))
#endif

/* The tests as a -ffast-math caller sees them. */
FAST_MATH static int fast_finite(double x)
{
	return dbv_finite(x);
}

FAST_MATH static int fast_nan(double x)
{
	return dbv_nan(x);
}

FAST_MATH static size_t fast_f32(const float *v, size_t n)
{
	return dbv_f32_nonfinite(v, n);
}

static void test_scalars(void)
{
	const double finite[] = {0.0, -0.0, 1, -1, DBL_MAX, -DBL_MAX, DBL_MIN,
				 DBL_TRUE_MIN, FLT_MAX, 1e300};
	const double nan = vnan, inf = vinf;

	for (size_t i = 0; i < sizeof finite / sizeof *finite; i++) {
		CHECK(dbv_finite(finite[i]) && !dbv_nan(finite[i]));
		CHECK(fast_finite(finite[i]) && !fast_nan(finite[i]));
	}
	CHECK(!dbv_finite(nan) && dbv_nan(nan));
	CHECK(!dbv_finite(-nan) && dbv_nan(-nan));
	CHECK(!dbv_finite(inf) && !dbv_nan(inf));
	CHECK(!dbv_finite(-inf) && !dbv_nan(-inf));
	CHECK(!fast_finite(nan) && fast_nan(nan));
	CHECK(!fast_finite(inf) && !fast_nan(inf));
	CHECK(!fast_finite(-inf));
}

static void test_arrays(void)
{
	float v[67];

	for (size_t i = 0; i < 67; i++)
		v[i] = (float)i - 33.5f;
	v[5] = FLT_MAX;
	v[6] = -FLT_MIN;
	CHECK_EQ_INT(dbv_f32_nonfinite(v, 67), 67);
	CHECK_EQ_INT(fast_f32(v, 67), 67);
	CHECK_EQ_INT(dbv_f32_nonfinite(v, 0), 0);
	v[40] = (float)vnan;
	CHECK_EQ_INT(dbv_f32_nonfinite(v, 67), 40);
	CHECK_EQ_INT(fast_f32(v, 67), 40);
	CHECK_EQ_INT(dbv_f32_nonfinite(v, 40), 40);
	v[7] = -(float)vinf;
	CHECK_EQ_INT(dbv_f32_nonfinite(v, 67), 7);
	CHECK_EQ_INT(fast_f32(v, 67), 7);
}

int main(void)
{
	vnan = NAN;
	vinf = INFINITY;
	test_scalars();
	test_arrays();
	return check_done();
}
