/*
 * lib/study/margin.h - the decision boundary along lines (dbv-margin(1)):
 * margins of training points (the distance along a direction to the
 * first change of the predicted class, by a coarse scan and bisection)
 * and class skips (the changes of the predicted class along the segment
 * between two images).  Included by study/study.h.
 *
 * A line is searched through a classifier callback, so that the search
 * can be tested on models whose answer is known (a linear one) and runs
 * many lines per forward pass.
 */
#ifndef DBV_MARGIN_H
#define DBV_MARGIN_H

#include "base/base.h"
#include "nn/nn.h"

/* labels[i] = the predicted class of point i of x [n, dim] (normalised
 * space), n <= the classifier's batch. */
typedef int (*dbv_classify_fn)(void *ctx, const float *x, int n,
			       int32_t *labels);

struct dbv_classifier {
	dbv_classify_fn fn;
	void *ctx;
	size_t dim;          /* floats a point */
	int batch;           /* points a call at most */
	int classes;
	int64_t points;      /* points classified so far (counted here) */
	int64_t calls;       /* calls of fn so far */
};

/* A dbv_classify_fn for ctx a struct dbv_model reserved for batches of
 * the classifier's batch (dbv_model_reserve_eval): the argmax of the
 * logits (the first maximum); DBV_ENONFINITE when a logit is not
 * finite. */
int dbv_model_classify(void *ctx, const float *x, int n, int32_t *labels);

/* The ray from a towards b: the point at distance t is
 * a + (t * inv) (b - a), inv = 1 / |b - a| (1 with b = a + a unit
 * direction). */
struct dbv_ray {
	const float *a, *b;
	double inv;
};

/* How a ray is searched. */
struct dbv_margin_opts {
	double range;        /* R: the search covers [0, R]                */
	double step;         /* h: the coarse scan's step, 0 < h <= R      */
	double tol;          /* bisect the first bracket to width <= tol   */
	int ladder;          /* > 0: instead, a fixed ladder of this many
			      * points t_k = k R / ladder, k = 1..ladder,
			      * every one classified (the reference code's
			      * way, for comparison)                       */
};

/*
 * The first change of the predicted class along each of n rays, from
 * label0[i] (the class at t = 0) within [0, R]: the coarse scan
 * classifies t = h, 2h, ... (the last capped at R) until the class
 * differs from label0 at some t_k, then bisects [t_(k-1), t_k] (t_0 = 0)
 * keeping the class label0 at the low end and another at the high end,
 * until its width is at most tol; dist[i] = the bracket's midpoint, or
 * NaN when no point of the scan up to R differs.  A region of another
 * class thinner than h along the ray can be stepped over.  With a
 * ladder, dist = the midpoint between the last ladder point of class
 * label0 before the first that differs and that one.  Every round
 * classifies the next point of every unfinished ray, the classifier's
 * batch at a time.  DBV_EUSAGE for bad options, else the classifier's
 * status.
 */
int dbv_margin_rays(struct dbv_classifier *c, const struct dbv_ray *rays,
		    const int32_t *label0, size_t n,
		    const struct dbv_margin_opts *o, double *dist);

/* The classes of the n points of x [n, dim], c's batch at a time. */
int dbv_classify_all(struct dbv_classifier *c, const float *x, size_t n,
		     int32_t *labels);

/*
 * The margins of npts points of x [n, dim] (normalised items): point
 * pts[p] searched along D rays towards the items tgt[p*D .. p*D+D-1]
 * (dbv_margin_targets); label0 = the point's own predicted class, into
 * label[p].  margin[p] = the mean of the distances of the rays that
 * found a change, hits[p] their number; margin NaN when hits < min_hits.
 */
int dbv_margins(struct dbv_classifier *c, const float *x, const int64_t *pts,
		size_t npts, const int64_t *tgt, int D, int min_hits,
		const struct dbv_margin_opts *o, int32_t *label, double *margin,
		int64_t *hits);

/*
 * The points and the targets of their directions, drawn by dbv_rng(seed)
 * from the n items of x [n, dim] whose label y >= 0: pts = all of them in
 * order when npts >= their number (*npts_out = that number), else npts of
 * them without replacement (a partial Fisher-Yates shuffle of the
 * eligible positions: position j swapped with j + below(m - j)); then for
 * each point in turn D targets, each eligible[below(m)] drawn again while
 * it is the point itself or an item at distance 0 from it.  DBV_EINPUT
 * when fewer than 2 items are labelled or 1000 draws in a row fail.
 */
int dbv_margin_targets(const float *x, size_t dim, const int32_t *y,
		       int64_t n, int64_t npts, int D, uint64_t seed,
		       int64_t *pts, int64_t *npts_out, int64_t *tgt);

/* The figures of the margins of a group of points: mean, std (n-1), the
 * percentile bootstrap 95% interval (dbv_bootstrap_ci) and the count of
 * the points with a margin (not NaN); NaN without any. */
struct dbv_group_fig {
	double mean, std, lo, hi;
	int64_t count;
};
/* The margin groups, in this order: mislabeled (y != y_true), correctly
 * labelled (y == y_true), all. */
enum { DBV_MARGIN_MISLABELED, DBV_MARGIN_CORRECT, DBV_MARGIN_ALL,
       DBV_MARGIN_GROUPS };
/* g[DBV_MARGIN_GROUPS] of the n points' margins; resampled with reps
 * and seed, the same seed for every group. */
int dbv_margin_groups(const double *margin, const int32_t *y,
		      const int32_t *y_true, size_t n, int reps, uint64_t seed,
		      struct dbv_group_fig *g);
/* The same over the n values v (NaN values left out). */
int dbv_group_figures1(const double *v, size_t n, int reps, uint64_t seed,
		       struct dbv_group_fig *g);

/* ------------------------------------------------------------------ */
/* Class skips                                                         */
/* ------------------------------------------------------------------ */

/* Of a sequence of n labels in [0, k): *changes = the number of i with
 * lab[i] != lab[i + 1], *classes = the number of distinct labels
 * (seen: k bytes of scratch). */
void dbv_skips_count(const int32_t *lab, size_t n, int k, unsigned char *seen,
		     int64_t *changes, int64_t *classes);

/*
 * Pairs of images per class: for each class c = 0..k-1 (by label y) with
 * at least two items, per items in turn: a = items[below(m)], then b =
 * items[below(m)] drawn again while b == a (items: the positions of
 * class c in order, m of them); the generator dbv_rng(seed) runs through
 * the classes in order.  out [*npairs, 3]: a, b, c; room for k * per.
 */
int dbv_skip_pairs(const int32_t *y, int64_t n, int k, int64_t per,
		   uint64_t seed, int64_t *out, int64_t *npairs);

/* The class skips of the segments between x[pair[3i]] and x[pair[3i+1]]
 * (npairs of them): res points t_j = j / (res - 1), j = 0..res-1, at
 * a + t_j (b - a); changes and classes of each (dbv_skips_count). */
int dbv_skips(struct dbv_classifier *c, const float *x, const int64_t *pair,
	      int64_t npairs, int res, int64_t *changes, int64_t *classes);

/* ------------------------------------------------------------------ */
/* The cost of a run (dbv-margin --estimate)                           */
/* ------------------------------------------------------------------ */

/* What dbv-margin measures: npts points (0: every labelled item) along
 * D directions each, searched as o says (margins = 0: none), and skips
 * pairs of each class at skip_res points a segment (0: none). */
struct dbv_margin_job {
	int margins;
	int64_t npts;
	int D, min_hits;
	uint64_t seed;
	struct dbv_margin_opts o;
	int64_t skips;
	int skip_res;
};
/* The points such a run classifies, *points: the margins' counted by
 * running the search for real on `sample` of its points (the first of
 * those dbv_margin_targets draws; at least 1), a point's own class plus
 * the mean points of a ray, scaled to all the points; the skips' exact
 * (pairs x skip_res).  *bytes: the arrays of the search and of the
 * table (not the model, the data set or its normalised copy).  The
 * classifier's counters are changed. */
int dbv_margin_cost(struct dbv_classifier *c, const float *x, const int32_t *y,
		    int64_t n, int nclasses, const struct dbv_margin_job *j,
		    int64_t sample, double *points, uint64_t *bytes);

/* The estimate of such a run (dbv-margin --estimate, its man page):
 * the points of dbv_margin_cost (the search run on 8 of its points) at
 * the rate of evaluation-mode forward passes of full batches of d's
 * items (xn: d normalised, c: a dbv_model_classify classifier of m),
 * timed for min_seconds; memory: the model with its batch, the data set
 * and xn, the search's arrays.  Fills every field of e but threads. */
int dbv_margin_estimate(struct dbv_classifier *c, struct dbv_model *m,
			const struct dbv_dataset *d, const float *xn,
			const struct dbv_margin_job *j, double min_seconds,
			struct dbv_estimate *e);

#endif /* DBV_MARGIN_H */
