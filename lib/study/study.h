/*
 * lib/study/study.h - the study layer: plane geometry, triplets and anchors
 * (study/triplets.h), metrics, comparisons (study/compare.h), margins and
 * class skips (study/margin.h).
 */
#ifndef DBV_STUDY_H
#define DBV_STUDY_H

#include "base/base.h"
#include "data/data.h"

/* Planes (see doc/planes.md)                                          */
/* ------------------------------------------------------------------ */
/* Points per axis at most: a pred record holds 5 bytes a grid point (u8
 * labels, f32 confidences), at 4096 points an axis 80 MiB, under the
 * readers' default record limit of 256 MiB. */
#define DBV_PLANE_MAX_RES 4096

struct dbv_plane {
	size_t dim;            /* C*H*W                                  */
	float *origin, *u, *v; /* dim each, normalised space, owned      */
	double coords[3][2];   /* anchor coordinates (x, y)              */
	int res;               /* points per axis                        */
	double range[4];       /* xmin, xmax, ymin, ymax                 */
};
/* Build the plane through normalised anchors a, b, c (dim floats each):
 * u = (b-a)/|b-a|, v = Gram-Schmidt of c-a, coordinates, grid widened by
 * range_l/range_r times each axis's extent.  DBV_EINPUT for duplicate or
 * collinear anchors, DBV_EUSAGE for res < 2. */
int dbv_plane_make(struct dbv_plane *p, const float *a, const float *b,
		   const float *c, size_t dim, double range_l, double range_r,
		   int res);
/* Grid coordinate of column j / row i (linspace over the range). */
double dbv_plane_x(const struct dbv_plane *p, int j);
double dbv_plane_y(const struct dbv_plane *p, int i);
/* n grid points from flat index k = i*res + j on: out [n, dim] =
 * origin + x_j*u + y_i*v (normalised space). */
void dbv_plane_points(const struct dbv_plane *p, size_t k, size_t n,
		      float *out);
void dbv_plane_release(struct dbv_plane *p);
/* out = (x/255 - mean[ch])/std[ch] for n items of c channels of hw
 * values; x is u8 or f32 in pixel units. */
void dbv_normalise(const void *x, enum dbv_dtype dt, size_t n, int c,
		   size_t hw, const double *mean, const double *std,
		   float *out);
/* The inverse, in place: x = (x*std[ch] + mean[ch])*255 (in double,
 * stored as float; not rounded, not clamped) for n items of c channels
 * of hw floats. */
void dbv_denormalise(float *x, size_t n, int c, size_t hw,
		     const double *mean, const double *std);

/* ------------------------------------------------------------------ */
/* Metrics                                                             */
/* ------------------------------------------------------------------ */
/* Fraction of the n labels where a and b agree (the paper's
 * reproducibility score of one plane). */
double dbv_agreement(const int32_t *a, const int32_t *b, size_t n);
/* Per-class intersection over union of the regions of a and b, averaged
 * over the classes present in a or b (k classes; labels in [0,k)). */
double dbv_class_iou(const int32_t *a, const int32_t *b, size_t n, int k);
/* Fragmentation: the number of 8-connected regions of equal label on a
 * rows x cols grid (summed over classes).  scratch: rows*cols int32. */
int64_t dbv_fragments(const int32_t *labels, int rows, int cols,
		      int32_t *scratch);
/* Mean and (n-1) standard deviation of v[0..n). */
void dbv_mean_std(const double *v, size_t n, double *mean, double *std);
/* Percentile bootstrap 95% interval of the mean of v[0..n): reps
 * resamples with replacement drawn by dbv_rng(seed); interval = the
 * 2.5th and 97.5th percentiles (nearest rank) of the resampled means;
 * NaN when n == 0 or reps < 1. */
int dbv_bootstrap_ci(const double *v, size_t n, int reps, uint64_t seed,
		     double *lo, double *hi);

/* ------------------------------------------------------------------ */
/* Triplets and anchors                                                */
/* ------------------------------------------------------------------ */
#include "study/triplets.h"

/* ------------------------------------------------------------------ */
/* Comparisons: pairs, groups, fragmentation, churn, chart points       */
/* ------------------------------------------------------------------ */
#include "study/compare.h"

/* ------------------------------------------------------------------ */
/* Margins and class skips along lines                                 */
/* ------------------------------------------------------------------ */
#include "study/margin.h"

#endif /* DBV_STUDY_H */
