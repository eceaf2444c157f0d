/*
 * lib/study/compare.h - comparisons of label sets over plain arrays: the
 * figures of dbv-compare (dbv-compare(1), DEFINITIONS) and the per-plane
 * means dbv-render's charts draw.  S streams of P planes of `cells`
 * points each (or of n items); pairs (i, j), i < j, in the order (0,1),
 * (0,2), ..., (1,2), ...; [A, B] arrays row-major.
 */
#ifndef DBV_STUDY_COMPARE_H
#define DBV_STUDY_COMPARE_H

#include "base/base.h"

/* The pairs of S streams into ij [n, 2] (when not NULL); returns n =
 * S(S-1)/2. */
size_t dbv_pairs(int S, int64_t *ij);

/* agree and iou [n, P]: the agreement and class IoU (dbv_agreement,
 * dbv_class_iou) of each pair of ij on each plane; labels[s] holds the P
 * planes of stream s back to back, each label in [0, k). */
void dbv_pair_planes(const int32_t *const *labels, const int64_t *ij,
		     size_t n, size_t P, size_t cells, int k, double *agree,
		     double *iou);

/* Where the figures of entries go (pairs, group entries): arrays of one
 * value an entry. */
struct dbv_figures {
	double *mean, *std; /* of the per-plane agreement, over planes (n-1) */
	double *lo, *hi;    /* its percentile bootstrap 95% interval */
	double *iou;        /* the mean over planes of the per-plane IoU */
};
/* The figures of each of the n rows of agree and iou [n, P] into entry
 * k of f; the interval: dbv_bootstrap_ci with reps and seed (a generator
 * of its own for each row, so all are resampled alike). */
int dbv_pair_figures(const double *agree, const double *iou, size_t n,
		     size_t P, int reps, uint64_t seed,
		     const struct dbv_figures *f);
/* The G x G group matrix: entry (g, h) over the pairs of ij with one
 * stream in group g and the other in group h (group[s] of each stream);
 * on each plane the mean over those pairs, then the figures as for one
 * pair; npairs [G, G] counts them.  Entries without pairs are NaN. */
int dbv_group_figures(const double *agree, const double *iou,
		      const int64_t *ij, size_t n, size_t P, const int *group,
		      int G, int reps, uint64_t seed,
		      const struct dbv_figures *f, int64_t *npairs);

/* sel[k] = 1 for the pairs of ij [n, 2] with one stream in group g and
 * the other in group h, else 0. */
void dbv_pairs_between(const int64_t *ij, size_t n, const int *group, int g,
		       int h, unsigned char *sel);
/* sel[k] = 1 for the pairs with both streams picked (in[s] != 0). */
void dbv_pairs_within(const int64_t *ij, size_t n, const unsigned char *in,
		      unsigned char *sel);
/* out [P]: on each plane the mean of the rows of m [n, P] that sel picks
 * (summed in row order); returns how many it picks (out is then 0s when
 * none). */
size_t dbv_rows_mean(const double *m, size_t n, size_t P,
		     const unsigned char *sel, double *out);
/* A chart's point over planes: per [P] = dbv_rows_mean, then the mean
 * and std (n-1) over the P planes of per.  Returns the rows picked; mean
 * and std are NaN when none. */
size_t dbv_point_over_planes(const double *m, size_t n, size_t P,
			     const unsigned char *sel, double *per,
			     double *mean, double *std);

/* per [P]: the regions (dbv_fragments) of each of P planes of res x res
 * labels.  DBV_EIO when out of memory. */
int dbv_fragmentation(const int32_t *labels, size_t P, int res, double *per);
/* churn [S, S]: the fraction of the n items streams i and j label
 * differently (0 on the diagonal). */
void dbv_churn(const int32_t *const *labels, int S, size_t n, double *churn);

/* ------------------------------------------------------------------ */
/* The points of a line chart of such figures (dbv-chart --chart line)  */
/* ------------------------------------------------------------------ */

/* The figures a line chart draws for a point of streams: over planes
 * per plane, then the mean over planes; over a data set over its
 * streams (or pairs of them). */
enum dbv_curve_fig {
	DBV_CURVE_FRAG = 1,     /* the streams' regions per plane */
	DBV_CURVE_ERROR,        /* 1 - accuracy vs the true labels */
	DBV_CURVE_ACC,          /* accuracy vs the labels y */
	DBV_CURVE_ACC_TRUE,     /* accuracy vs the true labels */
	DBV_CURVE_AGREEMENT,    /* of the pairs of the streams: their
				 * agreement, over a data set 1 - churn */
	DBV_CURVE_MARGIN,       /* a stream's mean margin (dbv-margin) of
				 * all points, */
	DBV_CURVE_MARGIN_CORRECT,    /* of correctly labelled points, */
	DBV_CURVE_MARGIN_MISLABELED, /* of mislabeled points */
	DBV_CURVE_SKIPS,        /* a stream's mean class skips a segment */
	DBV_CURVE_ERROR_Y,      /* 1 - accuracy vs the labels y (on a
				 * training set: the training error) */
};
/* The figures of S streams, as a table holds them. */
struct dbv_curve_data {
	int S;
	int planes;             /* over P planes, else over a data set */
	size_t P;
	const double *frag;     /* [S, P]: regions on each plane */
	const int64_t *pair;    /* [npairs, 2]: the pairs (dbv_pairs) */
	size_t npairs;
	const double *agree;    /* [npairs, P]: a pair's agreement a plane */
	const double *acc, *acc_true; /* [S] (over a data set) */
	const double *churn;    /* [S, S] (over a data set) */
	const double *margin;   /* [S, 3]: mean margins of the groups
				 * mislabeled, correct, all (NaN: none) */
	const double *skips;    /* [S]: mean class skips */
};
/* What the valued points of a line chart share, for its note. */
struct dbv_curve_stats {
	int valued;             /* points with a finite value */
	int minns, maxns;       /* the fewest and most streams of such one */
	int bars;               /* some point has an error bar */
};
/* The value y of figure fig of the point of the ns streams s, and err
 * its std (n-1) over the *nvals values it is the mean of (0 of them: no
 * bar): over planes the mean over planes of the per-plane mean over the
 * streams (fragmentation) or over their pairs (agreement); over a data
 * set the mean over the streams (of those with a value: a margin group
 * may have none), or over their pairs (1 - churn).  y is NaN without a
 * value (agreement of one stream).  DBV_EIO without memory. */
int dbv_curve_point(const struct dbv_curve_data *d, enum dbv_curve_fig fig,
		    const int *s, int ns, double *y, double *err, int *nvals);
/* y and err [npoints] of the points of a line chart, point k over the
 * streams items[start[k] .. start[k + 1] - 1] (dbv_curve_point; err 0
 * where there is no bar), and what the valued ones share. */
int dbv_curve_values(const struct dbv_curve_data *d, enum dbv_curve_fig fig,
		     int npoints, const int *start, const int *items, double *y,
		     double *err, struct dbv_curve_stats *st);

#endif /* DBV_STUDY_COMPARE_H */
