/*
 * compare.c - comparisons of label sets (dbv-compare(1), DEFINITIONS):
 * per-plane agreement and class IoU of pairs, their figures over planes,
 * the group matrix, fragmentation, churn; and the per-plane means over a
 * selection of rows that both the group matrix and dbv-render's chart
 * points are made of.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study/study.h"

size_t dbv_pairs(int S, int64_t *ij)
{
	size_t k = 0;
	for (int i = 0; i < S; i++)
		for (int j = i + 1; j < S; j++, k++)
			if (ij) {
				ij[2 * k] = i;
				ij[2 * k + 1] = j;
			}
	return k;
}

void dbv_pair_planes(const int32_t *const *labels, const int64_t *ij,
		     size_t n, size_t P, size_t cells, int k, double *agree,
		     double *iou)
{
	for (size_t q = 0; q < n; q++)
		for (size_t p = 0; p < P; p++) {
			const int32_t *la = labels[ij[2 * q]] + p * cells;
			const int32_t *lb = labels[ij[2 * q + 1]] + p * cells;
			agree[q * P + p] = dbv_agreement(la, lb, cells);
			iou[q * P + p] = dbv_class_iou(la, lb, cells, k);
		}
}

/* Entry e of f from one row of per-plane agreement and IoU. */
static int figures_of(const double *agree, const double *iou, size_t P,
		      int reps, uint64_t seed, const struct dbv_figures *f,
		      size_t e)
{
	double sd;
	dbv_mean_std(agree, P, &f->mean[e], &f->std[e]);
	dbv_mean_std(iou, P, &f->iou[e], &sd);
	return dbv_bootstrap_ci(agree, P, reps, seed, &f->lo[e], &f->hi[e]);
}

int dbv_pair_figures(const double *agree, const double *iou, size_t n,
		     size_t P, int reps, uint64_t seed,
		     const struct dbv_figures *f)
{
	int rc;
	for (size_t k = 0; k < n; k++)
		if ((rc = figures_of(agree + k * P, iou + k * P, P, reps, seed, f, k)))
			return rc;
	return DBV_OK;
}

void dbv_pairs_between(const int64_t *ij, size_t n, const int *group, int g,
		       int h, unsigned char *sel)
{
	for (size_t k = 0; k < n; k++) {
		const int a = group[ij[2 * k]], b = group[ij[2 * k + 1]];
		sel[k] = (a == g && b == h) || (a == h && b == g);
	}
}

void dbv_pairs_within(const int64_t *ij, size_t n, const unsigned char *in,
		      unsigned char *sel)
{
	for (size_t k = 0; k < n; k++)
		sel[k] = in[ij[2 * k]] && in[ij[2 * k + 1]];
}

size_t dbv_rows_mean(const double *m, size_t n, size_t P,
		     const unsigned char *sel, double *out)
{
	size_t cnt = 0;
	memset(out, 0, P * sizeof *out);
	for (size_t k = 0; k < n; k++) {
		if (!sel[k])
			continue;
		cnt++;
		for (size_t p = 0; p < P; p++)
			out[p] += m[k * P + p];
	}
	for (size_t p = 0; cnt && p < P; p++)
		out[p] /= (double)cnt;
	return cnt;
}

size_t dbv_point_over_planes(const double *m, size_t n, size_t P,
			     const unsigned char *sel, double *per,
			     double *mean, double *std)
{
	size_t cnt = dbv_rows_mean(m, n, P, sel, per);
	*mean = *std = NAN;
	if (cnt)
		dbv_mean_std(per, P, mean, std);
	return cnt;
}

int dbv_group_figures(const double *agree, const double *iou,
		      const int64_t *ij, size_t n, size_t P, const int *group,
		      int G, int reps, uint64_t seed,
		      const struct dbv_figures *f, int64_t *npairs)
{
	unsigned char *sel = dbv_malloc(n + 1);
	double *per = dbv_calloc(P + 1, sizeof *per);
	double *peri = dbv_calloc(P + 1, sizeof *peri);
	int rc = sel && per && peri ? DBV_OK : DBV_EIO;

	/* All pairs of models of group g x group h, a model never against
	 * itself; per plane the mean over those pairs, then figures over
	 * planes. */
	for (int g = 0; g < G && !rc; g++)
		for (int h = 0; h < G && !rc; h++) {
			const size_t e = (size_t)g * (size_t)G + (size_t)h;
			dbv_pairs_between(ij, n, group, g, h, sel);
			npairs[e] = (int64_t)dbv_rows_mean(agree, n, P, sel, per);
			dbv_rows_mean(iou, n, P, sel, peri);
			if (npairs[e])
				rc = figures_of(per, peri, P, reps, seed, f, e);
			else
				f->mean[e] = f->std[e] = f->lo[e] = f->hi[e] =
					f->iou[e] = NAN;
		}
	free(sel);
	free(per);
	free(peri);
	return rc;
}

int dbv_fragmentation(const int32_t *labels, size_t P, int res, double *per)
{
	const size_t cells = (size_t)res * (size_t)res;
	int32_t *scratch = dbv_malloc((cells ? cells : 1) * sizeof *scratch);
	int rc = DBV_OK;

	if (!scratch)
		return DBV_EIO;
	for (size_t p = 0; p < P && !rc; p++) {
		int64_t r = dbv_fragments(labels + p * cells, res, res, scratch);
		if (r < 0)
			rc = dbv_seterr(DBV_EIO, "out of memory");
		per[p] = (double)r;
	}
	free(scratch);
	return rc;
}

void dbv_churn(const int32_t *const *labels, int S, size_t n, double *churn)
{
	for (int i = 0; i < S; i++)
		for (int j = 0; j < S; j++)
			churn[i * S + j] = 1 - dbv_agreement(labels[i], labels[j], n);
}

/* The figure of one stream over a data set (not agreement). */
static double stream_value(const struct dbv_curve_data *d,
			   enum dbv_curve_fig fig, int s)
{
	switch (fig) {
	case DBV_CURVE_ACC: return d->acc[s];
	case DBV_CURVE_ACC_TRUE: return d->acc_true[s];
	case DBV_CURVE_ERROR_Y: return 1 - d->acc[s];
	case DBV_CURVE_MARGIN: return d->margin[3 * s + 2];
	case DBV_CURVE_MARGIN_CORRECT: return d->margin[3 * s + 1];
	case DBV_CURVE_MARGIN_MISLABELED: return d->margin[3 * s];
	case DBV_CURVE_SKIPS: return d->skips[s];
	default: return 1 - d->acc_true[s];
	}
}

int dbv_curve_point(const struct dbv_curve_data *d, enum dbv_curve_fig fig,
		    const int *s, int ns, double *y, double *err, int *nvals)
{
	const size_t S = (size_t)d->S, P = d->P;
	double *v = dbv_calloc((size_t)ns * ns + P + 1, sizeof *v);
	unsigned char *in = dbv_calloc(S + d->npairs + 1, 1);
	int m = 0;

	*y = *err = NAN;
	*nvals = 0;
	if (!v || !in) {
		free(v);
		free(in);
		return DBV_EIO;
	}
	if (fig == DBV_CURVE_FRAG || (fig == DBV_CURVE_AGREEMENT && d->planes)) {
		/* Per plane the mean over the point's streams (fragmentation)
		 * or the pairs of them (agreement); then over planes. */
		unsigned char *sel = in + S;
		for (int a = 0; a < ns; a++)
			in[s[a]] = 1;
		if (fig == DBV_CURVE_AGREEMENT)
			dbv_pairs_within(d->pair, d->npairs, in, sel);
		if (fig == DBV_CURVE_FRAG ? dbv_point_over_planes(d->frag, S, P, in, v, y, err)
					  : dbv_point_over_planes(d->agree, d->npairs, P,
								  sel, v, y, err))
			*nvals = P > 1 ? (int)P : 0;
	} else {
		/* Over a data set: 1 - churn of each pair of the point's
		 * streams, or an accuracy figure of each stream. */
		for (int a = 0; a < ns; a++) {
			for (int b = a + 1; fig == DBV_CURVE_AGREEMENT && b < ns; b++)
				v[m++] = 1 - d->churn[(size_t)s[a] * S + s[b]];
			if (fig != DBV_CURVE_AGREEMENT)
				v[m] = stream_value(d, fig, s[a]);
			m += fig != DBV_CURVE_AGREEMENT && !isnan(v[m]);
		}
		if (m)
			dbv_mean_std(v, (size_t)m, y, err);
		*nvals = m > 1 ? m : 0;
	}
	free(v);
	free(in);
	return DBV_OK;
}

int dbv_curve_values(const struct dbv_curve_data *d, enum dbv_curve_fig fig,
		     int npoints, const int *start, const int *items, double *y,
		     double *err, struct dbv_curve_stats *st)
{
	int rc = DBV_OK;

	*st = (struct dbv_curve_stats){.minns = d->S};
	for (int k = 0; k < npoints && !rc; k++) {
		const int ns = start[k + 1] - start[k];
		int nvals;
		rc = dbv_curve_point(d, fig, items + start[k], ns, &y[k], &err[k],
				     &nvals);
		if (!rc && isfinite(y[k])) {
			st->valued++;
			st->maxns = ns > st->maxns ? ns : st->maxns;
			st->minns = ns < st->minns ? ns : st->minns;
			st->bars |= nvals > 1;
		}
		err[k] = nvals > 1 ? err[k] : 0;
	}
	return rc;
}
