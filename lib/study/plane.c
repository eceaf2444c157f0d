/*
 * plane.c - 2-D planes through triplets of images (doc/planes.md).
 *
 * For normalised anchors a, b, c (dim floats each), in double:
 *
 *	u = (b - a) / |b - a|
 *	w = (c - a) - <c - a, u> u;   v = w / |w|
 *	coordinates: a -> (0, 0), b -> (|b - a|, 0), c -> (<c - a, u>, <c - a, v>)
 *
 * Refused: |b - a| < 1e-6 (1 + |a|) (duplicates), |c - a| = 0, or
 * |w| < 1e-6 |c - a| (collinear), or |w| no larger than the rounding of
 * the float anchors can make it (see below; also collinear).  The grid spans, on each axis, the
 * anchors' [lo, hi] widened by range_l (hi - lo) below and range_r (hi - lo)
 * above, with res points per axis including both ends (numpy's linspace:
 * t_k = lo' + k (hi' - lo') / (res - 1), and exactly hi' at k = res - 1).
 * Point (i, j) -- row i, column j -- is origin + x_j u + y_i v.
 *
 * origin, u and v are stored as f32 (what travels in the stream); the
 * points are made from those stored vectors, so a plane read back from a
 * record gives bit-identical points.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study/study.h"

static double dot_f(const float *x, const float *y, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)x[i] * y[i];
	return s;
}

static double dot(const double *x, const double *y, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[i] * y[i];
	return s;
}

void dbv_plane_release(struct dbv_plane *p)
{
	dbv_afree(p->origin);
	dbv_afree(p->u);
	dbv_afree(p->v);
	memset(p, 0, sizeof *p);
}

static int plane_alloc(struct dbv_plane *p, size_t dim)
{
	size_t bytes;
	memset(p, 0, sizeof *p);
	if (dbv_mul_size(dim, sizeof(float), &bytes))
		return DBV_EINPUT;
	p->dim = dim;
	p->origin = dbv_amalloc(bytes);
	p->u = dbv_amalloc(bytes);
	p->v = dbv_amalloc(bytes);
	if (!p->origin || !p->u || !p->v) {
		dbv_plane_release(p);
		return DBV_EIO;
	}
	return DBV_OK;
}

/* range[0..1] from the x coordinates, range[2..3] from the y. */
static void plane_grid(struct dbv_plane *p, double range_l, double range_r)
{
	for (int axis = 0; axis < 2; axis++) {
		double lo = p->coords[0][axis], hi = lo;
		for (int k = 1; k < 3; k++) {
			if (p->coords[k][axis] < lo)
				lo = p->coords[k][axis];
			if (p->coords[k][axis] > hi)
				hi = p->coords[k][axis];
		}
		const double len = hi - lo;
		p->range[2 * axis] = lo - range_l * len;
		p->range[2 * axis + 1] = hi + range_r * len;
	}
}

int dbv_plane_make(struct dbv_plane *p, const float *a, const float *b,
		   const float *c, size_t dim, double range_l, double range_r,
		   int res)
{
	double *u, *w, *e, na = 0, nab, nca, nw, ecu;
	size_t bytes;
	int rc;

	memset(p, 0, sizeof *p);
	if (res < 2 || res > DBV_PLANE_MAX_RES)
		return dbv_seterr(DBV_EUSAGE, "a plane needs 2 to %d points per "
				  "axis, not %d", DBV_PLANE_MAX_RES, res);
	if (!dbv_finite(range_l) || !dbv_finite(range_r) || range_l < 0 ||
	    range_r < 0)
		return dbv_seterr(DBV_EUSAGE, "the grid ranges must be finite "
				  "and >= 0");
	if (dim == 0)
		return dbv_seterr(DBV_EINPUT, "anchors of 0 values");
	if (dbv_mul_size(dim, 3 * sizeof(double), &bytes))
		return DBV_EINPUT;
	if (!(u = dbv_malloc(bytes)))
		return DBV_EIO;
	w = u + dim;
	e = w + dim;

	for (size_t i = 0; i < dim; i++) {
		if (!dbv_finite(a[i]) || !dbv_finite(b[i]) || !dbv_finite(c[i])) {
			free(u);
			return dbv_seterr(DBV_ENONFINITE,
					  "the anchors hold non-finite values");
		}
		na += (double)a[i] * a[i];
		u[i] = (double)b[i] - a[i];
		e[i] = (double)c[i] - a[i];
	}
	na = sqrt(na);
	nab = sqrt(dot(u, u, dim));
	nca = sqrt(dot(e, e, dim));
	if (nab < 1e-6 * (1 + na)) {
		free(u);
		return dbv_seterr(DBV_EINPUT, "anchors 1 and 2 are duplicates "
				  "(|x2 - x1| = %.3g)", nab);
	}
	if (nca == 0) {
		free(u);
		return dbv_seterr(DBV_EINPUT, "anchors 1 and 3 are duplicates");
	}
	for (size_t i = 0; i < dim; i++)
		u[i] /= nab;
	/* Gram-Schmidt, twice ("twice is enough"): the second pass removes
	 * what rounding left of u in w, so u.v is 0 to double precision. */
	ecu = dot(e, u, dim);
	for (size_t i = 0; i < dim; i++)
		w[i] = e[i] - ecu * u[i];
	const double r2 = dot(w, u, dim);
	for (size_t i = 0; i < dim; i++)
		w[i] -= r2 * u[i];
	nw = sqrt(dot(w, w, dim));
	/* The anchors are floats: rounding them (half an ulp, relative
	 * FLT_EPSILON/2 a value) moves w by up to about FLT_EPSILON (|a| +
	 * |b| + |c|), times |c - a| / |b - a| through the direction of u.
	 * A w no larger than that cannot be told from 0: exactly collinear
	 * images with a short b - a land there, above 1e-6 |c - a|. */
	const double nb = sqrt(dot_f(b, b, dim));
	const double rounding = FLT_EPSILON *
				(na + nb + sqrt(dot_f(c, c, dim))) *
				(1 + nca / nab);
	if (nw < 1e-6 * nca || nw <= rounding) {
		double d23 = 0;
		for (size_t i = 0; i < dim; i++)
			d23 += ((double)c[i] - b[i]) * ((double)c[i] - b[i]);
		free(u);
		if (sqrt(d23) < 1e-6 * (1 + nb))
			return dbv_seterr(DBV_EINPUT, "anchors 2 and 3 are duplicates");
		return dbv_seterr(DBV_EINPUT, "anchors are collinear (the third "
				  "lies on the line through the first two)");
	}
	for (size_t i = 0; i < dim; i++)
		w[i] /= nw;

	if ((rc = plane_alloc(p, dim))) {
		free(u);
		return rc;
	}
	for (size_t i = 0; i < dim; i++) {
		p->origin[i] = a[i];
		p->u[i] = (float)u[i];
		p->v[i] = (float)w[i];
	}
	p->coords[0][0] = 0;
	p->coords[0][1] = 0;
	p->coords[1][0] = nab;
	p->coords[1][1] = 0;
	p->coords[2][0] = ecu;
	p->coords[2][1] = dot(e, w, dim);
	free(u);
	p->res = res;
	plane_grid(p, range_l, range_r);
	return DBV_OK;
}

/* linspace(lo, hi, res)[k], as numpy computes it. */
static double linspace(double lo, double hi, int res, int k)
{
	if (k >= res - 1)
		return hi;
	return lo + k * ((hi - lo) / (res - 1));
}

double dbv_plane_x(const struct dbv_plane *p, int j)
{
	return linspace(p->range[0], p->range[1], p->res, j);
}

double dbv_plane_y(const struct dbv_plane *p, int i)
{
	return linspace(p->range[2], p->range[3], p->res, i);
}

/* q = o + x u + y v over n floats; (o + x*u) + y*v in float, element by
 * element, so the result does not depend on the vector width.  GCC's -O2
 * leaves the plain loop scalar (its cheap vectoriser skips loops that need
 * a remainder), hence the vector extension: 4 floats a step, twice. */
typedef float v4sf __attribute__((vector_size(16)));

static void axpy3(float *restrict q, const float *restrict o,
		  const float *restrict u, const float *restrict v, float x,
		  float y, size_t n)
{
	const v4sf xv = {x, x, x, x}, yv = {y, y, y, y};
	size_t d = 0;
	for (; d + 8 <= n; d += 8) {
		v4sf o0, o1, u0, u1, v0, v1, r0, r1;
		memcpy(&o0, o + d, 16);
		memcpy(&o1, o + d + 4, 16);
		memcpy(&u0, u + d, 16);
		memcpy(&u1, u + d + 4, 16);
		memcpy(&v0, v + d, 16);
		memcpy(&v1, v + d + 4, 16);
		r0 = o0 + xv * u0 + yv * v0;
		r1 = o1 + xv * u1 + yv * v1;
		memcpy(q + d, &r0, 16);
		memcpy(q + d + 4, &r1, 16);
	}
	for (; d < n; d++)
		q[d] = o[d] + x * u[d] + y * v[d];
}

/*
 * The inner loop of dbv-predict: one fused pass per point, reading
 * origin, u and v and writing the point.  No allocation; the row's y is
 * recomputed only when the row changes.
 */
void dbv_plane_points(const struct dbv_plane *p, size_t k, size_t n,
		      float *out)
{
	const size_t dim = p->dim, res = (size_t)p->res;
	size_t i = k / res, j = k % res;
	float y = (float)dbv_plane_y(p, (int)i);

	for (size_t t = 0; t < n; t++) {
		axpy3(out + t * dim, p->origin, p->u, p->v,
		      (float)dbv_plane_x(p, (int)j), y, dim);
		if (++j == res) {
			j = 0;
			y = (float)dbv_plane_y(p, (int)++i);
		}
	}
}

void dbv_normalise(const void *x, enum dbv_dtype dt, size_t n, int c,
		   size_t hw, const double *mean, const double *std,
		   float *out)
{
	/* The same float arithmetic as dbv_make_batch, so that u8 images are
	 * normalised bit for bit as in training: v * scale + shift. */
	for (size_t i = 0; i < n; i++) {
		for (int ch = 0; ch < c; ch++) {
			const float scale = (float)(1.0 / (255.0 * std[ch]));
			const float shift = (float)(-mean[ch] / std[ch]);
			const size_t off = (i * (size_t)c + (size_t)ch) * hw;
			float *restrict y = out + off;
			if (dt == DBV_U8) {
				const uint8_t *s = (const uint8_t *)x + off;
				for (size_t q = 0; q < hw; q++)
					y[q] = s[q] * scale + shift;
			} else {
				const float *s = (const float *)x + off;
				for (size_t q = 0; q < hw; q++)
					y[q] = s[q] * scale + shift;
			}
		}
	}
}

void dbv_denormalise(float *x, size_t n, int c, size_t hw,
		     const double *mean, const double *std)
{
	for (size_t i = 0; i < n; i++)
		for (int ch = 0; ch < c; ch++) {
			float *p = x + (i * (size_t)c + (size_t)ch) * hw;
			for (size_t q = 0; q < hw; q++)
				p[q] = (float)(((double)p[q] * std[ch] + mean[ch]) *
					       255.0);
		}
}
