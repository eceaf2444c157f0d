/*
 * triplets.c - random triplets of images and the anchors of their planes
 * (dbv-plane(1), TRIPLETS), over label arrays and struct dbv_dataset.
 */
#include <stdlib.h>
#include <string.h>

#include "study/study.h"

/*
 * Pools of positions to draw from.  Without a mislabeled rule one pool
 * (type 1) holds every labelled item (y >= 0) of the wanted classes; with
 * it, type 0 holds the mislabeled ones (y != y_true) and type 1 the
 * correctly labelled ones (y == y_true).  Anchor k draws from type 0 when
 * k < K, else from type 1.  Each pool is kept in position order (all) and
 * grouped by label y (bycls, offsets off[class]).
 */
struct pools {
	const int32_t *y;
	int64_t *all[2], nall[2];
	int64_t *bycls[2], *off[2];
	int64_t *cnt[2];     /* items per class (= off[c+1] - off[c]) */
	int64_t ncls[2];     /* classes with at least one item        */
	int64_t nunion;      /* classes with items in either pool     */
	int k;               /* anchors drawn from pool 0             */
};

static void pools_release(struct pools *p)
{
	for (int t = 0; t < 2; t++) {
		free(p->all[t]);
		free(p->bycls[t]);
		free(p->off[t]);
	}
}

/* want[c] = 1 for the classes to draw from (all without a list). */
static int wanted(const struct dbv_triplet_opts *o, int64_t nclasses,
		  uint8_t **want)
{
	*want = NULL;
	if (!o->classes)
		return DBV_OK;
	for (size_t i = 0; i < o->nclasses; i++)
		if (o->classes[i] < 0 || o->classes[i] >= nclasses)
			return dbv_seterr(DBV_EUSAGE, "--classes: class %lld is "
					  "out of range (the stream has %lld "
					  "classes)", (long long)o->classes[i],
					  (long long)nclasses);
	if (!(*want = dbv_calloc((size_t)nclasses, 1)))
		return DBV_EIO;
	for (size_t i = 0; i < o->nclasses; i++)
		(*want)[o->classes[i]] = 1;
	return DBV_OK;
}

static int pools_build(struct pools *p, const int32_t *y,
		       const int32_t *y_true, int64_t n, int64_t nclasses,
		       const struct dbv_triplet_opts *o)
{
	const size_t nc = (size_t)nclasses;
	uint8_t *want;
	int64_t *pos = NULL;
	int rc;

	memset(p, 0, sizeof *p);
	p->y = y;
	p->k = o->mislabeled > 0 ? o->mislabeled : 0;
	if ((rc = wanted(o, nclasses, &want)))
		return rc;
	rc = DBV_EIO;
	for (int t = 0; t < 2; t++) {
		p->all[t] = dbv_calloc((size_t)n, sizeof **p->all);
		p->bycls[t] = dbv_calloc((size_t)n, sizeof **p->bycls);
		p->off[t] = dbv_calloc(2 * nc + 1, sizeof **p->off);
		if (!p->all[t] || !p->bycls[t] || !p->off[t])
			goto out;
		p->cnt[t] = p->off[t] + nc + 1;
	}
	if (!(pos = dbv_calloc(nc, sizeof *pos)))
		goto out;
	for (int64_t i = 0; i < n; i++) {
		int t = 1;
		if (y[i] < 0 || (want && !want[y[i]]))
			continue;
		if (o->mislabeled >= 0) {
			if (y_true[i] < 0)
				continue;
			t = y[i] != y_true[i] ? 0 : 1;
		}
		p->all[t][p->nall[t]++] = i;
		p->cnt[t][y[i]]++;
	}
	for (int t = 0; t < 2; t++) {
		for (size_t c = 0; c < nc; c++) {
			p->off[t][c + 1] = p->off[t][c] + p->cnt[t][c];
			p->ncls[t] += p->cnt[t][c] > 0;
		}
		/* Counting sort of the pool by class, position order within. */
		memcpy(pos, p->off[t], nc * sizeof *pos);
		for (int64_t j = 0; j < p->nall[t]; j++) {
			const int64_t i = p->all[t][j];
			p->bycls[t][pos[y[i]]++] = i;
		}
	}
	for (size_t c = 0; c < nc; c++)
		p->nunion += p->cnt[0][c] > 0 || p->cnt[1][c] > 0;
	rc = DBV_OK;
out:
	free(pos);
	free(want);
	return rc;
}

/*
 * Can r0 anchors from pool 0 and r1 from pool 1 still get distinct
 * classes, none of the n taken ones?  Hall's condition for two kinds of
 * slots: each pool has enough classes left, and so do both together.
 */
static int feasible(const struct pools *p, int r0, int r1,
		    const int32_t *taken, int n)
{
	int64_t left[2] = {p->ncls[0], p->ncls[1]}, u = p->nunion;
	for (int i = 0; i < n; i++) {
		const int32_t c = taken[i];
		left[0] -= p->cnt[0][c] > 0;
		left[1] -= p->cnt[1][c] > 0;
		u -= p->cnt[0][c] > 0 || p->cnt[1][c] > 0;
	}
	return (r0 == 0 || left[0] >= r0) && (r1 == 0 || left[1] >= r1) &&
	       u >= r0 + r1;
}

/*
 * Three images of three distinct classes (by label y).  Anchor k = 0, 1,
 * 2 in turn: draw i = pool[below(size)] until i's class is not among the
 * anchors already drawn and the remaining anchors can still get distinct
 * classes.  Without a mislabeled rule (one pool) the second condition
 * always holds and this is the paper's procedure.
 */
static void draw_distinct(const struct pools *p, struct dbv_rng *rng,
			  int64_t *out)
{
	int32_t taken[3];
	for (int k = 0; k < 3; k++) {
		const int t = k < p->k ? 0 : 1;
		const int r0 = p->k > k + 1 ? p->k - k - 1 : 0, r1 = 2 - k - r0;
		for (;;) {
			const int64_t i = p->all[t][dbv_rng_below(rng, (uint64_t)p->nall[t])];
			int ok = 1;
			for (int j = 0; j < k; j++)
				ok &= p->y[i] != taken[j];
			if (!ok)
				continue;
			taken[k] = p->y[i];
			if (!feasible(p, r0, r1, taken, k + 1))
				continue;
			out[k] = i;
			break;
		}
	}
}

/*
 * Three images of class c: anchor k = 0, 1, 2: i = (pool of k, class
 * c)[below(size)], drawn again while i is an anchor already.
 */
static void draw_in_class(const struct pools *p, int64_t c,
			  struct dbv_rng *rng, int64_t *out)
{
	for (int k = 0; k < 3; k++) {
		const int t = k < p->k ? 0 : 1;
		const int64_t *list = p->bycls[t] + p->off[t][c];
		const uint64_t n = (uint64_t)p->cnt[t][c];
		for (;;) {
			const int64_t i = list[dbv_rng_below(rng, n)];
			if ((k > 0 && i == out[0]) || (k > 1 && i == out[1]))
				continue;
			out[k] = i;
			break;
		}
	}
}

/*
 * Three images of one class: the class c = eligible[below(n_eligible)],
 * eligible being the classes, ascending, with at least K mislabeled and
 * 3-K correctly labelled items (without the rule: 3 items); then its
 * images (draw_in_class).
 */
static void draw_same(const struct pools *p, const int64_t *elig,
		      int64_t nelig, struct dbv_rng *rng, int64_t *out)
{
	draw_in_class(p, elig[dbv_rng_below(rng, (uint64_t)nelig)], rng, out);
}

/* The classes a same-class triplet can come from, ascending. */
static int eligible(const struct pools *p, int64_t nclasses,
		    const struct dbv_triplet_opts *o, int64_t **elig,
		    int64_t *nelig)
{
	const int k = p->k;

	*nelig = 0;
	if (!(*elig = dbv_calloc((size_t)nclasses, sizeof **elig)))
		return DBV_EIO;
	for (int64_t c = 0; c < nclasses; c++)
		if (p->cnt[0][c] >= k && p->cnt[1][c] >= 3 - k)
			(*elig)[(*nelig)++] = c;
	if (*nelig)
		return DBV_OK;
	if (o->mislabeled < 0)
		return dbv_seterr(DBV_EUSAGE, "--same-class: no class has "
				  "three items to draw from");
	return dbv_seterr(DBV_EUSAGE, "--same-class --mislabeled %d: no class "
			  "has %d mislabeled and %d correctly labelled items",
			  k, k, 3 - k);
}

/* Refuse distinct-class triplets the pools cannot give. */
static int distinct_possible(const struct pools *p,
			     const struct dbv_triplet_opts *o)
{
	const int k = p->k;

	if (feasible(p, k, 3 - k, NULL, 0))
		return DBV_OK;
	if (o->mislabeled < 0)
		return dbv_seterr(DBV_EUSAGE, "fewer than three classes to draw "
				  "distinct-class triplets from (%lld)",
				  (long long)p->ncls[1]);
	return dbv_seterr(DBV_EUSAGE, "--mislabeled %d: too few items for %d "
			  "mislabeled and %d correctly labelled anchors of "
			  "distinct classes (%lld mislabeled items in %lld "
			  "classes, %lld correctly labelled in %lld)", k, k,
			  3 - k, (long long)p->nall[0], (long long)p->ncls[0],
			  (long long)p->nall[1], (long long)p->ncls[1]);
}

/* Triplet i (of class c when c >= 0) into out, redrawn while reject
 * drops it. */
static int draw_one(const struct pools *p, const struct dbv_triplet_opts *o,
		    const int64_t *elig, int64_t nelig, int64_t c, int64_t i,
		    struct dbv_rng *rng, dbv_triplet_reject reject, void *ctx,
		    int64_t *out)
{
	int bad = 1, rc;

	for (int tries = 0; bad; tries++) {
		if (tries == DBV_TRIPLETS_MAX_REDRAWS)
			return dbv_seterr(DBV_EINPUT, "triplet %lld: %d triplets in a "
					  "row were duplicates or collinear images",
					  (long long)i, DBV_TRIPLETS_MAX_REDRAWS);
		if (c >= 0)
			draw_in_class(p, c, rng, out);
		else if (o->same_class)
			draw_same(p, elig, nelig, rng, out);
		else
			draw_distinct(p, rng, out);
		bad = 0;
		if (reject && (rc = reject(ctx, out, &bad)))
			return rc;
	}
	return DBV_OK;
}

/* Both draws: o->count triplets (per_class 0), or o->count of each
 * eligible class in turn (*nout of them). */
static int draw(const int32_t *y, const int32_t *y_true, int64_t n,
		int64_t nclasses, const struct dbv_triplet_opts *o, int per_class,
		dbv_triplet_reject reject, void *ctx, int64_t *out, int64_t *nout)
{
	struct pools p;
	struct dbv_rng rng;
	int64_t *elig = NULL, nelig = 0, t = 0;
	int rc;

	*nout = 0;
	if (n < 0 || nclasses < 1 || o->count < 0 || o->mislabeled > 3 ||
	    (per_class && !o->same_class))
		return dbv_seterr(DBV_EUSAGE, "bad triplet request");
	if ((rc = pools_build(&p, y, y_true, n, nclasses, o)))
		goto out;
	rc = o->same_class ? eligible(&p, nclasses, o, &elig, &nelig)
			   : distinct_possible(&p, o);
	if (rc)
		goto out;
	dbv_rng_seed(&rng, o->seed);
	for (int64_t e = 0; e < (per_class ? nelig : 1) && !rc; e++)
		for (int64_t i = 0; i < o->count && !rc; i++, t++)
			rc = draw_one(&p, o, elig, nelig, per_class ? elig[e] : -1,
				      t, &rng, reject, ctx, out + 3 * t);
	*nout = t;
out:
	free(elig);
	pools_release(&p);
	return rc;
}

int dbv_triplets_draw(const int32_t *y, const int32_t *y_true, int64_t n,
		      int64_t nclasses, const struct dbv_triplet_opts *o,
		      dbv_triplet_reject reject, void *ctx, int64_t *out)
{
	int64_t nout;
	return draw(y, y_true, n, nclasses, o, 0, reject, ctx, out, &nout);
}

int dbv_triplets_per_class(const int32_t *y, const int32_t *y_true, int64_t n,
			   int64_t nclasses, const struct dbv_triplet_opts *o,
			   dbv_triplet_reject reject, void *ctx, int64_t *out,
			   int64_t *nout)
{
	return draw(y, y_true, n, nclasses, o, 1, reject, ctx, out, nout);
}

int dbv_triplet_degenerate(void *ctx, const int64_t pos[3], int *bad)
{
	const struct dbv_dataset *d = ctx;
	const size_t hw = (size_t)d->h * (size_t)d->w, item = (size_t)d->c * hw;
	const size_t es = dbv_dtype_size(d->dtype);
	struct dbv_plane pl;
	float *norm;
	int rc;

	if (!(norm = dbv_amalloc(3 * item * sizeof *norm)))
		return DBV_EIO;
	for (int k = 0; k < 3; k++)
		dbv_normalise(d->x + (size_t)pos[k] * item * es, d->dtype, 1,
			      (int)d->c, hw, d->mean, d->std, norm + k * item);
	rc = dbv_plane_make(&pl, norm, norm + item, norm + 2 * item, item, 0,
			    0, 2);
	dbv_afree(norm);
	*bad = rc == DBV_EINPUT;
	if (rc == DBV_OK)
		dbv_plane_release(&pl);
	return rc == DBV_EINPUT ? DBV_OK : rc;
}

int dbv_triplet_parse(const char *s, int64_t out[3])
{
	int64_t *v;
	size_t n;
	int rc;

	if ((rc = dbv_parse_i64_list(s, 0, INT64_MAX, &v, &n)))
		return rc;
	rc = n == 3 ? DBV_OK : dbv_seterr(DBV_EUSAGE, "'%s' is not a triplet "
					  "A,B,C", s);
	for (int i = 0; i < 3 && !rc; i++)
		for (int j = i + 1; j < 3 && !rc; j++)
			if (v[i] == v[j])
				rc = dbv_seterr(DBV_EUSAGE, "'%s' names item %lld "
						"twice", s, (long long)v[i]);
	if (!rc)
		memcpy(out, v, 3 * sizeof *v);
	free(v);
	return rc;
}

int dbv_triplets_check_ids(const int64_t *ids, size_t n, int64_t nitems)
{
	for (size_t i = 0; i < 3 * n; i++)
		if (ids[i] < 0 || ids[i] >= nitems)
			return dbv_seterr(DBV_EUSAGE, "triplet %zu: id %lld is "
					  "out of range (ids are stream "
					  "positions 0 to %lld)", i / 3,
					  (long long)ids[i],
					  (long long)nitems - 1);
	return DBV_OK;
}

/* ---- anchors ---- */

int dbv_anchors_init(struct dbv_anchors *a, const struct dbv_dataset *d,
		     enum dbv_anchor_noise noise)
{
	const size_t hw = (size_t)d->h * (size_t)d->w, item = (size_t)d->c * hw;

	memset(a, 0, sizeof *a);
	a->dtype = noise != DBV_ANCHOR_IMAGES ? DBV_F32 : d->dtype;
	a->px = dbv_amalloc(3 * item * dbv_dtype_size(a->dtype));
	a->norm = dbv_amalloc(3 * item * sizeof *a->norm);
	a->perm = dbv_malloc(hw * sizeof *a->perm);
	if (a->px && a->norm && a->perm)
		return DBV_OK;
	dbv_anchors_release(a);
	return DBV_EIO;
}

void dbv_anchors_release(struct dbv_anchors *a)
{
	dbv_afree(a->px);
	dbv_afree(a->norm);
	free(a->perm);
	memset(a, 0, sizeof *a);
}

/* Pixel q of item i of d, as a float. */
static float pixel(const struct dbv_dataset *d, int64_t i, size_t item,
		   size_t q)
{
	if (d->dtype == DBV_U8)
		return d->x[(size_t)i * item + q];
	return ((const float *)d->x)[(size_t)i * item + q];
}

void dbv_anchors_make(struct dbv_anchors *a, const struct dbv_dataset *d,
		      enum dbv_anchor_noise noise, const int64_t pos[3],
		      struct dbv_rng *rng)
{
	const size_t hw = (size_t)d->h * (size_t)d->w, item = (size_t)d->c * hw;

	for (int k = 0; k < 3; k++) {
		const int64_t i = pos[k];
		if (noise == DBV_ANCHOR_IMAGES) {
			const size_t es = dbv_dtype_size(d->dtype);
			memcpy((char *)a->px + k * item * es,
			       d->x + (size_t)i * item * es, item * es);
			a->idx[k] = d->idx[i];
			a->y[k] = d->y[i];
			a->y_true[k] = d->y_true[i];
			continue;
		}
		float *f = (float *)a->px + k * item;
		if (noise == DBV_ANCHOR_UNIFORM) {
			for (size_t q = 0; q < item; q++)
				f[q] = dbv_rng_float(rng) * 255.0f;
		} else {
			for (size_t q = 0; q < hw; q++)
				a->perm[q] = (int64_t)q;
			dbv_rng_shuffle_i64(rng, a->perm, hw);
			for (int64_t ch = 0; ch < d->c; ch++)
				for (size_t q = 0; q < hw; q++)
					f[ch * hw + q] = pixel(d, i, item, ch * hw +
							       (size_t)a->perm[q]);
		}
		a->idx[k] = -1;
		a->y[k] = a->y_true[k] = -1;
	}
	dbv_normalise(a->px, a->dtype, 3, (int)d->c, hw, d->mean, d->std,
		      a->norm);
}
