/*
 * metrics.c - the paper's numbers over label grids: agreement
 * (reproducibility), per-class IoU, fragmentation (8-connected regions),
 * and the statistics reported with them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study/study.h"

double dbv_agreement(const int32_t *a, const int32_t *b, size_t n)
{
	size_t same = 0;
	for (size_t i = 0; i < n; i++)
		same += a[i] == b[i];
	return n ? (double)same / (double)n : 0;
}

double dbv_class_iou(const int32_t *a, const int32_t *b, size_t n, int k)
{
	size_t *inter = calloc((size_t)k, sizeof *inter);
	size_t *uni = calloc((size_t)k, sizeof *uni);
	double sum = 0;
	int present = 0;
	if (!inter || !uni) {
		free(inter);
		free(uni);
		return NAN;
	}
	for (size_t i = 0; i < n; i++) {
		/* |A ∪ B| per class = |A| + |B| - |A ∩ B| */
		if (a[i] == b[i]) {
			inter[a[i]]++;
			uni[a[i]]++;
		} else {
			uni[a[i]]++;
			uni[b[i]]++;
		}
	}
	for (int c = 0; c < k; c++)
		if (uni[c]) {
			sum += (double)inter[c] / (double)uni[c];
			present++;
		}
	free(inter);
	free(uni);
	return present ? sum / present : 0;
}

/*
 * Flood fill with an explicit stack (no recursion: a 500x500 grid of one
 * class would be 250,000 frames deep).  scratch holds the stack; the
 * visited marks are kept in a byte map allocated here.
 */
int64_t dbv_fragments(const int32_t *labels, int rows, int cols,
		      int32_t *scratch)
{
	size_t n = (size_t)rows * (size_t)cols;
	unsigned char *seen = calloc(n ? n : 1, 1);
	int64_t regions = 0;
	if (!seen)
		return -1;
	for (size_t s = 0; s < n; s++) {
		if (seen[s])
			continue;
		regions++;
		size_t top = 0;
		scratch[top++] = (int32_t)s;
		seen[s] = 1;
		while (top) {
			int32_t p = scratch[--top];
			int r = p / cols, c = p % cols;
			for (int dr = -1; dr <= 1; dr++)
				for (int dc = -1; dc <= 1; dc++) {
					int rr = r + dr, cc = c + dc;
					if ((!dr && !dc) || rr < 0 || rr >= rows || cc < 0 ||
					    cc >= cols)
						continue;
					size_t q = (size_t)rr * (size_t)cols + (size_t)cc;
					if (!seen[q] && labels[q] == labels[p]) {
						seen[q] = 1;
						scratch[top++] = (int32_t)q;
					}
				}
		}
	}
	free(seen);
	return regions;
}

void dbv_mean_std(const double *v, size_t n, double *mean, double *std)
{
	double m = 0, s = 0;
	for (size_t i = 0; i < n; i++)
		m += v[i];
	m = n ? m / (double)n : 0;
	for (size_t i = 0; i < n; i++)
		s += (v[i] - m) * (v[i] - m);
	*mean = m;
	*std = n > 1 ? sqrt(s / (double)(n - 1)) : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int dbv_bootstrap_ci(const double *v, size_t n, int reps, uint64_t seed,
		     double *lo, double *hi)
{
	struct dbv_rng r;
	double *means;
	if (n == 0 || reps < 1) {
		/* no interval without resamples (or data) */
		*lo = *hi = NAN;
		return DBV_OK;
	}
	means = dbv_malloc((size_t)reps * sizeof *means);
	if (!means)
		return DBV_EIO;
	dbv_rng_seed(&r, seed);
	for (int k = 0; k < reps; k++) {
		double s = 0;
		for (size_t i = 0; i < n; i++)
			s += v[dbv_rng_below(&r, n)];
		means[k] = s / (double)n;
	}
	qsort(means, (size_t)reps, sizeof *means, cmp_double);
	/* nearest rank: ceil(p*reps) - 1, clamped */
	size_t l = (size_t)ceil(0.025 * reps), h = (size_t)ceil(0.975 * reps);
	*lo = means[l ? l - 1 : 0];
	*hi = means[h ? h - 1 : 0];
	free(means);
	return DBV_OK;
}
