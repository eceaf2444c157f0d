/*
 * rng.c - dbv's pseudo-random numbers: xoshiro256** seeded by SplitMix64.
 *
 * Every random choice in dbv (initial weights, data order, augmentation,
 * triplets, label noise) draws from a struct dbv_rng seeded by a recorded
 * 64-bit seed.  The definitions below are exact, so that another language
 * can reproduce a run; tests/gen/rng_kat.py is such an implementation in
 * Python and tests/unit/test_rng.c holds its known answers.  dbv.7 quotes
 * this comment.
 *
 * All arithmetic is on unsigned 64-bit integers modulo 2^64; ">>" is a
 * logical shift, rotl(x, k) = (x << k) | (x >> (64 - k)).
 *
 * Seeding (SplitMix64, Steele, Lea and Flood 2014, as Vigna recommends for
 * xoshiro):
 *
 *	x = seed
 *	splitmix64():  x += 0x9e3779b97f4a7c15
 *	               z = x
 *	               z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
 *	               z = (z ^ (z >> 27)) * 0x94d049bb133111eb
 *	               return z ^ (z >> 31)
 *	s[0] = splitmix64(); s[1] = splitmix64();
 *	s[2] = splitmix64(); s[3] = splitmix64()
 *
 *   (Seed 0 gives s = e220a8397b1dcdaf 6e789e6aa1b965f4 06c45d188009454f
 *   f88bb8a8724c81ec.  The four outputs come from consecutive counter
 *   values of a bijection, so they are never all zero.)
 *
 * next() (xoshiro256** 1.0, Blackman and Vigna 2018):
 *
 *	result = rotl(s[1] * 5, 7) * 9
 *	t = s[1] << 17
 *	s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]
 *	s[2] ^= t
 *	s[3] = rotl(s[3], 45)
 *	return result
 *
 * below(n), n >= 1: a uniform integer in [0, n), by Lemire's
 * multiply-and-reject (ACM TOMACS 2019), which is exact (no modulo bias):
 *
 *	m = next() * n               (the full 128-bit product)
 *	if (m mod 2^64) < n:
 *		t = (2^64 - n) mod n     (= 2^64 mod n)
 *		while (m mod 2^64) < t:
 *			m = next() * n
 *	return m >> 64               (floor(m / 2^64))
 *
 *   It consumes one next() per attempt, at least one even for n = 1
 *   (which always returns 0).  n = 0 is a caller error; it returns 0 and
 *   draws nothing.
 *
 * float():  (next() >> 40) * 2^-24   a float in [0, 1), 24 random bits
 * double(): (next() >> 11) * 2^-53   a double in [0, 1), 53 random bits
 *   Both products are exact.
 *
 * normal(): a standard normal by the Box-Muller transform, one value per
 * call (the second value of the pair is discarded, so the generator has no
 * hidden cache and its state is just s):
 *
 *	u1 = double(); u2 = double()          (in this order)
 *	return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * pi * u2)
 *
 *   in IEEE double arithmetic, evaluated left to right: 2.0 * pi is the
 *   double nearest pi times 2 (exact), then times u2.  1.0 - u1 is exact and
 *   lies in (0, 1], so the logarithm is finite.  sqrt is correctly rounded;
 *   log and cos come from the C library (or Python's math module, which
 *   calls the same library), so results agree bit for bit where the
 *   libraries agree and within a few ulp elsewhere.
 *
 * shuffle(a, n): Fisher-Yates from the top:
 *
 *	for i = n-1 down to 1:
 *		j = below(i + 1)
 *		swap a[i], a[j]
 *
 *   n - 1 draws of below(); none when n <= 1.
 */
#include <math.h>

#include "base/base.h"

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void dbv_rng_seed(struct dbv_rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

uint64_t dbv_rng_next(struct dbv_rng *r)
{
	uint64_t *s = r->s;
	const uint64_t result = rotl(s[1] * 5, 7) * 9;
	const uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* The 128-bit product x * n as its high and low 64-bit halves. */
static inline uint64_t mul128(uint64_t x, uint64_t n, uint64_t *lo)
{
#ifdef __SIZEOF_INT128__
	unsigned __int128 m = (unsigned __int128)x * n;

	*lo = (uint64_t)m;
	return (uint64_t)(m >> 64);
#else
	/* Schoolbook on 32-bit halves, for compilers without __int128. */
	uint64_t xl = x & 0xffffffff, xh = x >> 32;
	uint64_t nl = n & 0xffffffff, nh = n >> 32;
	uint64_t ll = xl * nl, lh = xl * nh, hl = xh * nl, hh = xh * nh;
	uint64_t mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);

	*lo = (mid << 32) | (ll & 0xffffffff);
	return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
#endif
}

uint64_t dbv_rng_below(struct dbv_rng *r, uint64_t n)
{
	uint64_t hi, lo;

	if (n == 0)
		return 0;
	hi = mul128(dbv_rng_next(r), n, &lo);
	if (lo < n) {
		/* -n mod n in 64-bit unsigned arithmetic is 2^64 mod n: the
		 * count of low halves that would over-represent some results. */
		const uint64_t t = -n % n;

		while (lo < t)
			hi = mul128(dbv_rng_next(r), n, &lo);
	}
	return hi;
}

float dbv_rng_float(struct dbv_rng *r)
{
	return (float)(dbv_rng_next(r) >> 40) * 0x1.0p-24f;
}

double dbv_rng_double(struct dbv_rng *r)
{
	return (double)(dbv_rng_next(r) >> 11) * 0x1.0p-53;
}

double dbv_rng_normal(struct dbv_rng *r)
{
	/* The order of the two draws and of the operations is part of the
	 * contract above; do not "simplify" it. */
	const double u1 = dbv_rng_double(r);
	const double u2 = dbv_rng_double(r);
	const double two_pi = 2.0 * M_PI;

	return sqrt(-2.0 * log(1.0 - u1)) * cos(two_pi * u2);
}

void dbv_rng_shuffle_i64(struct dbv_rng *r, int64_t *a, size_t n)
{
	for (size_t i = n; i-- > 1;) {
		const size_t j = (size_t)dbv_rng_below(r, (uint64_t)i + 1);
		const int64_t tmp = a[i];

		a[i] = a[j];
		a[j] = tmp;
	}
}
