/*
 * margin.c - the decision boundary along lines: margins by a coarse scan
 * and bisection, the fixed ladder they are compared with, class skips
 * along segments, and the draws of points, directions and pairs
 * (dbv-margin(1), DEFINITIONS).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study/study.h"

int dbv_model_classify(void *ctx, const float *x, int n, int32_t *labels)
{
	struct dbv_model *m = ctx;
	const int k = m->arch.classes;
	const float *z = dbv_model_forward(m, x, n, 0);

	for (int i = 0; i < n; i++) {
		const float *zi = z + (size_t)i * k;
		int best = 0;
		for (int c = 1; c < k; c++)
			if (zi[c] > zi[best])
				best = c;
		if (!dbv_finite(zi[best]))
			return dbv_seterr(DBV_ENONFINITE, "the model's outputs are "
					  "not finite");
		labels[i] = best;
	}
	return DBV_OK;
}

/* One call of the classifier, counted. */
static int classify(struct dbv_classifier *c, const float *x, int n,
		    int32_t *labels)
{
	c->points += n;
	c->calls++;
	return c->fn(c->ctx, x, n, labels);
}

/* The classes of rows idx[0..n) of x (rows 0..n-1 when idx is NULL). */
static int classify_rows(struct dbv_classifier *c, const float *x,
			 const int64_t *idx, size_t n, int32_t *labels)
{
	const size_t B = (size_t)c->batch, dim = c->dim;
	float *buf = idx ? dbv_amalloc(B * dim * sizeof *buf) : NULL;
	int rc = DBV_OK;

	if (idx && !buf)
		return DBV_EIO;
	for (size_t s = 0; s < n && !rc; s += B) {
		const size_t m = n - s < B ? n - s : B;
		for (size_t q = 0; idx && q < m; q++)
			memcpy(buf + q * dim, x + (size_t)idx[s + q] * dim,
			       dim * sizeof *buf);
		rc = classify(c, idx ? buf : x + s * dim, (int)m, labels + s);
	}
	dbv_afree(buf);
	return rc;
}

int dbv_classify_all(struct dbv_classifier *c, const float *x, size_t n,
		     int32_t *labels)
{
	return classify_rows(c, x, NULL, n, labels);
}

/* The search state of a ray: [lo, hi] brackets the first change once
 * hi >= 0; k points of the scan (or ladder) classified so far. */
struct rstate {
	double lo, hi;
	int64_t k;
};

static double next_t(const struct rstate *s, const struct dbv_margin_opts *o)
{
	if (o->ladder > 0)
		return (double)(s->k + 1) * o->range / o->ladder;
	if (s->hi >= 0)
		return 0.5 * (s->lo + s->hi);
	const double t = (double)(s->k + 1) * o->step;
	return t < o->range ? t : o->range;
}

/* Take the class at t into the state; 1 when the ray is finished (its
 * distance in *dist). */
static int update(struct rstate *s, double t, int changed,
		  const struct dbv_margin_opts *o, double *dist)
{
	if (o->ladder > 0) {
		if (s->hi < 0) {
			if (changed)
				s->hi = t;
			else
				s->lo = t;
		}
		if (++s->k < o->ladder)
			return 0;
		*dist = s->hi < 0 ? NAN : 0.5 * (s->lo + s->hi);
		return 1;
	}
	if (s->hi < 0) {
		s->k++;
		if (changed) {
			s->hi = t;
		} else {
			s->lo = t;
			if (t >= o->range) {
				*dist = NAN;
				return 1;
			}
			return 0;
		}
	} else if (changed) {
		s->hi = t;
	} else {
		s->lo = t;
	}
	if (s->hi - s->lo > o->tol)
		return 0;
	*dist = 0.5 * (s->lo + s->hi);
	return 1;
}

static void ray_point(const struct dbv_ray *r, double t, size_t dim, float *p)
{
	const float s = (float)(t * r->inv);
	for (size_t j = 0; j < dim; j++)
		p[j] = r->a[j] + s * (r->b[j] - r->a[j]);
}

static int check_opts(const struct dbv_margin_opts *o)
{
	if (!(o->range > 0) || !isfinite(o->range) || o->ladder < 0 ||
	    (o->ladder == 0 && (!(o->step > 0) || o->step > o->range ||
				!(o->tol > 0) || !(o->tol >= 1e-12 * o->range))))
		return dbv_seterr(DBV_EUSAGE, "bad margin search: range %g, step "
				  "%g, tol %g, ladder %d", o->range, o->step,
				  o->tol, o->ladder);
	return DBV_OK;
}

int dbv_margin_rays(struct dbv_classifier *c, const struct dbv_ray *rays,
		    const int32_t *label0, size_t n,
		    const struct dbv_margin_opts *o, double *dist)
{
	const size_t B = (size_t)c->batch, dim = c->dim;
	struct rstate *st = dbv_calloc(n ? n : 1, sizeof *st);
	size_t *act = dbv_malloc((n ? n : 1) * sizeof *act), nact = n;
	float *buf = dbv_amalloc(B * dim * sizeof *buf);
	double *ts = dbv_malloc(B * sizeof *ts);
	int32_t *lab = dbv_malloc(B * sizeof *lab);
	int rc = check_opts(o);

	if (!rc && (!st || !act || !buf || !ts || !lab))
		rc = DBV_EIO;
	for (size_t i = 0; i < n; i++) {
		st[i] = (struct rstate){0, -1, 0};
		act[i] = i;
	}
	/* Rounds: the next point of every unfinished ray, B at a time. */
	while (!rc && nact) {
		size_t keep = 0;
		for (size_t s = 0; s < nact && !rc; s += B) {
			const size_t m = nact - s < B ? nact - s : B;
			for (size_t q = 0; q < m; q++) {
				ts[q] = next_t(&st[act[s + q]], o);
				ray_point(&rays[act[s + q]], ts[q], dim, buf + q * dim);
			}
			if ((rc = classify(c, buf, (int)m, lab)))
				break;
			for (size_t q = 0; q < m; q++) {
				const size_t i = act[s + q];
				if (!update(&st[i], ts[q], lab[q] != label0[i], o, &dist[i]))
					act[keep++] = i;
			}
		}
		nact = keep;
	}
	free(st);
	free(act);
	dbv_afree(buf);
	free(ts);
	free(lab);
	return rc;
}

int dbv_margins(struct dbv_classifier *c, const float *x, const int64_t *pts,
		size_t npts, const int64_t *tgt, int D, int min_hits,
		const struct dbv_margin_opts *o, int32_t *label, double *margin,
		int64_t *hits)
{
	const size_t nr = npts * (size_t)D, dim = c->dim;
	struct dbv_ray *rays = dbv_malloc((nr ? nr : 1) * sizeof *rays);
	int32_t *l0 = dbv_malloc((nr ? nr : 1) * sizeof *l0);
	double *dist = dbv_malloc((nr ? nr : 1) * sizeof *dist);
	int rc = DBV_EIO;

	if (!rays || !l0 || !dist ||
	    (rc = classify_rows(c, x, pts, npts, label)))
		goto out;
	for (size_t p = 0; p < npts; p++)
		for (int d = 0; d < D; d++) {
			const size_t r = p * (size_t)D + (size_t)d;
			const float *a = x + (size_t)pts[p] * dim;
			const float *b = x + (size_t)tgt[r] * dim;
			double s = 0;
			for (size_t j = 0; j < dim; j++)
				s += ((double)b[j] - a[j]) * ((double)b[j] - a[j]);
			rays[r] = (struct dbv_ray){a, b, 1 / sqrt(s)};
			l0[r] = label[p];
		}
	if ((rc = dbv_margin_rays(c, rays, l0, nr, o, dist)))
		goto out;
	for (size_t p = 0; p < npts; p++) {
		double sum = 0;
		int64_t h = 0;
		for (int d = 0; d < D; d++) {
			const double v = dist[p * (size_t)D + (size_t)d];
			if (!isnan(v)) {
				sum += v;
				h++;
			}
		}
		hits[p] = h;
		margin[p] = h >= min_hits && h > 0 ? sum / (double)h : NAN;
	}
out:
	free(rays);
	free(l0);
	free(dist);
	return rc;
}

int dbv_margin_targets(const float *x, size_t dim, const int32_t *y,
		       int64_t n, int64_t npts, int D, uint64_t seed,
		       int64_t *pts, int64_t *npts_out, int64_t *tgt)
{
	int64_t *elig = dbv_malloc((size_t)(n > 0 ? n : 1) * sizeof *elig), m = 0;
	struct dbv_rng r;
	int rc = DBV_OK;

	if (!elig)
		return DBV_EIO;
	for (int64_t i = 0; i < n; i++)
		if (y[i] >= 0)
			elig[m++] = i;
	if (m < 2) {
		free(elig);
		return dbv_seterr(DBV_EINPUT, "%lld labelled items: margins need "
				  "two at least", (long long)m);
	}
	dbv_rng_seed(&r, seed);
	if (npts <= 0 || npts >= m) {
		npts = m;
		memcpy(pts, elig, (size_t)m * sizeof *pts);
	} else {
		/* A partial Fisher-Yates shuffle of a copy. */
		int64_t *e = dbv_malloc((size_t)m * sizeof *e);
		if (!e) {
			free(elig);
			return DBV_EIO;
		}
		memcpy(e, elig, (size_t)m * sizeof *e);
		for (int64_t j = 0; j < npts; j++) {
			const int64_t k = j + (int64_t)dbv_rng_below(&r, (uint64_t)(m - j));
			const int64_t t = e[j];
			e[j] = e[k];
			e[k] = t;
			pts[j] = e[j];
		}
		free(e);
	}
	*npts_out = npts;
	for (int64_t p = 0; p < npts && !rc; p++)
		for (int d = 0; d < D && !rc; d++) {
			const float *a = x + (size_t)pts[p] * dim;
			int tries = 0;
			int64_t j;
			do {
				if (tries++ == 1000) {
					rc = dbv_seterr(DBV_EINPUT, "item %lld: 1000 "
							"directions in a row led to "
							"itself or a copy of it",
							(long long)pts[p]);
					break;
				}
				j = elig[dbv_rng_below(&r, (uint64_t)m)];
			} while (j == pts[p] ||
				 !memcmp(a, x + (size_t)j * dim, dim * sizeof *a));
			tgt[p * D + d] = j;
		}
	free(elig);
	return rc;
}

int dbv_group_figures1(const double *v, size_t n, int reps, uint64_t seed,
		       struct dbv_group_fig *g)
{
	double *w = dbv_malloc((n ? n : 1) * sizeof *w);
	size_t m = 0;
	int rc;

	if (!w)
		return DBV_EIO;
	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			w[m++] = v[i];
	g->count = (int64_t)m;
	g->mean = g->std = NAN;
	if (m)
		dbv_mean_std(w, m, &g->mean, &g->std);
	rc = dbv_bootstrap_ci(w, m, reps, seed, &g->lo, &g->hi);
	free(w);
	return rc;
}

int dbv_margin_groups(const double *margin, const int32_t *y,
		      const int32_t *y_true, size_t n, int reps, uint64_t seed,
		      struct dbv_group_fig *g)
{
	double *v = dbv_malloc((n ? n : 1) * sizeof *v);
	int rc = DBV_OK;

	if (!v)
		return DBV_EIO;
	for (int k = 0; k < DBV_MARGIN_GROUPS && !rc; k++) {
		for (size_t i = 0; i < n; i++) {
			const int mis = y[i] != y_true[i];
			const int in = k == DBV_MARGIN_ALL ||
				       (k == DBV_MARGIN_MISLABELED) == mis;
			v[i] = in ? margin[i] : NAN;
		}
		rc = dbv_group_figures1(v, n, reps, seed, &g[k]);
	}
	free(v);
	return rc;
}

/* ---- class skips ---- */

void dbv_skips_count(const int32_t *lab, size_t n, int k, unsigned char *seen,
		     int64_t *changes, int64_t *classes)
{
	memset(seen, 0, (size_t)k);
	*changes = *classes = 0;
	for (size_t i = 0; i < n; i++) {
		*changes += i > 0 && lab[i] != lab[i - 1];
		*classes += !seen[lab[i]];
		seen[lab[i]] = 1;
	}
}

int dbv_skip_pairs(const int32_t *y, int64_t n, int k, int64_t per,
		   uint64_t seed, int64_t *out, int64_t *npairs)
{
	int64_t *off = dbv_calloc((size_t)k + 1, sizeof *off);
	int64_t *items = dbv_malloc((size_t)(n > 0 ? n : 1) * sizeof *items);
	int64_t *pos = dbv_calloc((size_t)k + 1, sizeof *pos);
	struct dbv_rng r;

	*npairs = 0;
	if (!off || !items || !pos) {
		free(off);
		free(items);
		free(pos);
		return DBV_EIO;
	}
	/* The items of each class in position order (a counting sort). */
	for (int64_t i = 0; i < n; i++)
		if (y[i] >= 0 && y[i] < k)
			off[y[i] + 1]++;
	for (int c = 0; c < k; c++)
		off[c + 1] += off[c];
	memcpy(pos, off, (size_t)k * sizeof *pos);
	for (int64_t i = 0; i < n; i++)
		if (y[i] >= 0 && y[i] < k)
			items[pos[y[i]]++] = i;
	dbv_rng_seed(&r, seed);
	for (int c = 0; c < k; c++) {
		const int64_t *it = items + off[c];
		const uint64_t m = (uint64_t)(off[c + 1] - off[c]);
		for (int64_t p = 0; m >= 2 && p < per; p++) {
			int64_t *o = out + 3 * *npairs;
			o[0] = it[dbv_rng_below(&r, m)];
			do
				o[1] = it[dbv_rng_below(&r, m)];
			while (o[1] == o[0]);
			o[2] = c;
			++*npairs;
		}
	}
	free(off);
	free(items);
	free(pos);
	return DBV_OK;
}

int dbv_skips(struct dbv_classifier *c, const float *x, const int64_t *pair,
	      int64_t npairs, int res, int64_t *changes, int64_t *classes)
{
	const size_t B = (size_t)c->batch, dim = c->dim;
	const size_t total = (size_t)npairs * (size_t)res;
	int32_t *lab = dbv_malloc((total ? total : 1) * sizeof *lab);
	float *buf = dbv_amalloc(B * dim * sizeof *buf);
	unsigned char *seen = dbv_malloc((size_t)c->classes);
	int rc = DBV_OK;

	if (res < 2)
		rc = dbv_seterr(DBV_EUSAGE, "class skips need 2 points a segment");
	else if (!lab || !buf || !seen)
		rc = DBV_EIO;
	for (size_t s = 0; s < total && !rc; s += B) {
		const size_t m = total - s < B ? total - s : B;
		for (size_t q = 0; q < m; q++) {
			const size_t g = s + q, p = g / (size_t)res, j = g % (size_t)res;
			const struct dbv_ray ray = {x + (size_t)pair[3 * p] * dim,
						    x + (size_t)pair[3 * p + 1] * dim, 1};
			ray_point(&ray, (double)j / (res - 1), dim, buf + q * dim);
		}
		rc = classify(c, buf, (int)m, lab + s);
	}
	for (int64_t p = 0; p < npairs && !rc; p++)
		dbv_skips_count(lab + (size_t)p * res, (size_t)res, c->classes, seen,
				&changes[p], &classes[p]);
	free(lab);
	dbv_afree(buf);
	free(seen);
	return rc;
}

/* ---- the cost of a run ---- */

int dbv_margin_cost(struct dbv_classifier *c, const float *x, const int32_t *y,
		    int64_t n, int nclasses, const struct dbv_margin_job *j,
		    int64_t sample, double *points, uint64_t *bytes)
{
	const size_t D = (size_t)j->D;
	const size_t max = j->npts > 0 && j->npts < n ? (size_t)j->npts : (size_t)n;
	int64_t np = 0, pairs = 0, *cnt = NULL;
	int rc = DBV_OK;

	*points = 0;
	*bytes = 0;
	if (j->margins) {
		int64_t *pts = dbv_malloc(max * sizeof *pts + 1);
		int64_t *tgt = dbv_malloc(max * D * sizeof *tgt + 1);
		int64_t *hits = dbv_malloc(max * sizeof *hits + 1);
		int32_t *lab = dbv_malloc(max * sizeof *lab + 1);
		double *mg = dbv_malloc(max * sizeof *mg + 1);

		rc = pts && tgt && hits && lab && mg ? DBV_OK : DBV_EIO;
		if (!rc)
			rc = dbv_margin_targets(x, c->dim, y, n, j->npts, j->D, j->seed,
						pts, &np, tgt);
		/* The search of the first `sample` points, for real. */
		const int64_t s = sample < 1 ? 1 : sample < np ? sample : np;
		c->points = c->calls = 0;
		if (!rc && s > 0)
			rc = dbv_margins(c, x, pts, (size_t)s, tgt, j->D, j->min_hits,
					 &j->o, lab, mg, hits);
		if (!rc && s > 0)
			*points += (double)np * (double)c->points / (double)s;
		free(pts);
		free(tgt);
		free(hits);
		free(lab);
		free(mg);
		/* dbv_margins' rays, targets and distances, the table's
		 * per-point columns (idx, y, y_true, label, margin, hits),
		 * the tool's own copies of labels and the search's batch. */
		*bytes += (uint64_t)max * D * (sizeof(struct dbv_ray) + 4 + 8 + 8) +
			  (uint64_t)max * (8 + 4 + 4 + 4 + 8 + 8 + 8 + 3 * 4) +
			  (uint64_t)c->batch * c->dim * sizeof(float);
	}
	if (!rc && j->skips > 0) {
		/* Classes with at least two items give skips pairs each. */
		if (!(cnt = dbv_calloc((size_t)nclasses + 1, sizeof *cnt)))
			return DBV_EIO;
		for (int64_t i = 0; i < n; i++)
			if (y[i] >= 0 && y[i] < nclasses)
				cnt[y[i]]++;
		for (int k = 0; k < nclasses; k++)
			pairs += cnt[k] >= 2 ? j->skips : 0;
		free(cnt);
		*points += (double)pairs * (double)j->skip_res;
		/* The pairs, their labels, the table's columns, the batch. */
		*bytes += (uint64_t)nclasses * (uint64_t)j->skips * 3 * 8 +
			  (uint64_t)pairs * ((uint64_t)j->skip_res * 4 + 5 * 8 + 16) +
			  (uint64_t)c->batch * c->dim * sizeof(float);
	}
	return rc;
}

int dbv_margin_estimate(struct dbv_classifier *c, struct dbv_model *m,
			const struct dbv_dataset *d, const float *xn,
			const struct dbv_margin_job *j, double min_seconds,
			struct dbv_estimate *e)
{
	const size_t dim = c->dim, B = (size_t)c->batch;
	float *xb = dbv_amalloc(B * dim * sizeof *xb);
	double pts, cpu_rate;
	uint64_t bytes;
	int rc = xb ? DBV_OK : DBV_EIO;

	if (rc || (rc = dbv_margin_cost(c, xn, d->y, d->n, d->nclasses, j, 8,
					&pts, &bytes))) {
		dbv_afree(xb);
		return rc;
	}
	for (size_t i = 0; i < B; i++)
		memcpy(xb + i * dim, xn + (i % (size_t)d->n) * dim, dim * sizeof *xb);
	e->train = 0;
	e->epochs = 1;
	e->eval_rate = 0;
	e->eval_items = 0;
	e->rate = dbv_model_eval_rate(m, xb, c->batch, min_seconds, &cpu_rate);
	e->items = (int64_t)ceil(pts);
	e->seconds = dbv_estimate_seconds(1, e->items, e->rate, 0, 0);
	e->cpu_seconds = dbv_estimate_seconds(1, e->items, cpu_rate, 0, 0);
	e->memory = dbv_model_bytes(m) + dbv_dataset_bytes(d) +
		    (uint64_t)d->n * dim * sizeof(float) + bytes;
	dbv_afree(xb);
	return DBV_OK;
}
