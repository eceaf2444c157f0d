/*
 * lstsq.c - the minimum-norm least-squares fit of a random-features
 * model's last layer (dbv-train --optim lstsq): the point gradient
 * descent from zero on the squared loss converges to, computed directly.
 *
 * Why directly: near the interpolation threshold (features = training
 * items) the feature matrix's smallest singular values approach zero, so
 * gradient descent needs of the order of (s_max/s_min)^2 steps (10^6 and
 * more on 1,000 images) and, stopped early, acts as a ridge penalty that
 * hides the peak of the test error.  LAPACK's dgelsd (SVD, divide and
 * conquer, in OpenBLAS) solves it in double in seconds.
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

/* LAPACK (Fortran calling convention), as OpenBLAS exports it. */
void dgelsd_(const int *m, const int *n, const int *nrhs, double *a,
	     const int *lda, double *b, const int *ldb, double *s,
	     const double *rcond, int *rank, double *work, const int *lwork,
	     int *iwork, int *info);

int dbv_lstsq_minnorm(int n, int f, int k, double *a, double *b, int *rank)
{
	int ldb = n > f ? n : f, lwork = -1, info = 0, r = 0;
	int mn = n < f ? n : f;
	double q = 0, rcond = DBL_EPSILON * (double)ldb;
	int iq = 0;

	if (n < 1 || f < 1 || k < 1)
		return dbv_seterr(DBV_EUSAGE, "least squares of an empty system");
	double *s = malloc((size_t)mn * sizeof *s);
	if (!s)
		return dbv_seterr(DBV_EIO, "out of memory");
	dgelsd_(&n, &f, &k, a, &n, b, &ldb, s, &rcond, &r, &q, &lwork, &iq, &info);
	if (info || !(q >= 1 && q < 2147483647.0)) {
		free(s);
		return dbv_seterr(DBV_EUSAGE, "least squares of %dx%d: no workspace size LAPACK can take",
				  n, f);
	}
	lwork = (int)q;
	double *work = malloc((size_t)lwork * sizeof *work);
	int *iwork = iq > 0 ? malloc((size_t)iq * sizeof *iwork) : NULL;
	if (!work || !iwork) {
		free(s);
		free(work);
		free(iwork);
		return dbv_seterr(DBV_EIO, "out of memory (least squares of %dx%d)", n, f);
	}
	dgelsd_(&n, &f, &k, a, &n, b, &ldb, s, &rcond, &r, work, &lwork, iwork, &info);
	free(s);
	free(work);
	free(iwork);
	if (info)
		return dbv_seterr(DBV_ENONFINITE,
				  "least squares: the SVD did not converge (LAPACK info %d)", info);
	if (rank)
		*rank = r;
	return DBV_OK;
}

int dbv_rf_lstsq(struct dbv_model *m, const struct dbv_dataset *d,
		 float *xb, int64_t *idx, int batch, int *rank)
{
	struct dbv_param *w = dbv_model_param(m, "fc.weight");
	struct dbv_param *bias = dbv_model_param(m, "fc.bias");
	int64_t n = d->n;
	int k = m->arch.classes, rc;

	if (strcmp(m->arch.name, "rf") || !w || !bias)
		return dbv_seterr(DBV_EUSAGE, "--optim lstsq fits the last layer of a random-features model alone: it needs --arch rf");
	int f = (int)w->shape[1] + 1; /* the features and the bias's 1 */
	/* At most 2^28 doubles (2 GiB) for the features. */
	if (n > (1 << 20) || (size_t)n * (size_t)f > ((size_t)1 << 28))
		return dbv_seterr(DBV_EUSAGE, "least squares of %lld items x %d features is too large",
				  (long long)n, f - 1);
	int ldb = (int)n > f ? (int)n : f;
	double *a = malloc((size_t)n * (size_t)f * sizeof *a);
	double *b = calloc((size_t)ldb * (size_t)k, sizeof *b);
	if (!a || !b) {
		free(a);
		free(b);
		return dbv_seterr(DBV_EIO, "out of memory (least squares of %lld x %d)",
				  (long long)n, f);
	}
	/* A = [features, 1] and B = one-hot labels, column-major. */
	for (int64_t s = 0; s < n; s += batch) {
		int nb = (int)(n - s < batch ? n - s : batch);
		for (int i = 0; i < nb; i++)
			idx[i] = s + i;
		dbv_make_batch(d->x, (int)d->c, (int)d->h, (int)d->w, idx, nb,
			       d->mean, d->std, 0, 0, NULL, xb);
		dbv_model_forward(m, xb, nb, 0);
		const float *feat = m->act[m->nslots - 2];
		for (int i = 0; i < nb; i++) {
			for (int j = 0; j < f - 1; j++)
				a[(size_t)j * (size_t)n + (size_t)(s + i)] =
					feat[(size_t)i * (size_t)(f - 1) + (size_t)j];
			a[(size_t)(f - 1) * (size_t)n + (size_t)(s + i)] = 1;
		}
	}
	for (int64_t i = 0; i < n; i++) {
		if (d->y[i] < 0 || d->y[i] >= k) {
			free(a);
			free(b);
			return dbv_seterr(DBV_EINPUT, "label %d of item %lld is not a class",
					  (int)d->y[i], (long long)i);
		}
		b[(size_t)d->y[i] * (size_t)ldb + (size_t)i] = 1;
	}
	rc = dbv_lstsq_minnorm((int)n, f, k, a, b, rank);
	if (!rc) {
		float *pw = m->p + w->offset, *pb = m->p + bias->offset;
		for (int c = 0; c < k; c++) {
			const double *x = b + (size_t)c * (size_t)ldb;
			for (int j = 0; j < f - 1; j++)
				pw[(size_t)c * (size_t)(f - 1) + (size_t)j] = (float)x[j];
			pb[c] = (float)x[f - 1];
		}
	}
	free(a);
	free(b);
	return rc;
}
