/*
 * summary.c - what a stream holds, tensor by tensor: the statistics of a
 * tensor's elements, and tensors of one key stacked along their first
 * dimension over the records (dbv-inspect --summary).
 */
#include <math.h>
#include <string.h>

#include "stream/stream.h"

void dbv_tensor_stats(const struct dbv_tensor *t, double *mn, double *mx,
			 double *sum, size_t *cnt)
{
	size_t n = dbv_tensor_numel(t);
	double lo = INFINITY, hi = -INFINITY, s = 0;
	for (size_t i = 0; i < n; i++) {
		double v;
		switch (t->dtype) {
		case DBV_U8: v = ((const uint8_t *)t->data)[i]; break;
		case DBV_I8: v = ((const int8_t *)t->data)[i]; break;
		case DBV_U16: v = ((const uint16_t *)t->data)[i]; break;
		case DBV_I16: v = ((const int16_t *)t->data)[i]; break;
		case DBV_U32: v = ((const uint32_t *)t->data)[i]; break;
		case DBV_I32: v = ((const int32_t *)t->data)[i]; break;
		case DBV_I64: v = (double)((const int64_t *)t->data)[i]; break;
		case DBV_F32: v = ((const float *)t->data)[i]; break;
		default: v = ((const double *)t->data)[i]; break;
		}
		/* NaN propagates into min/max/sum so it shows. */
		if (v < lo || dbv_nan(v))
			lo = v;
		if (v > hi || dbv_nan(v))
			hi = v;
		s += v;
	}
	*mn = lo;
	*mx = hi;
	*sum = s;
	*cnt = n;
}

void dbv_summary_add(struct dbv_summary *sm, const dbv_val *rec)
{
	for (size_t k = 0; k < dbv_val_len(rec); k++) {
		const dbv_val *v = dbv_map_value(rec, k);
		const char *key;
		size_t kl;
		struct dbv_tensor t;
		struct dbv_summary_key *st = NULL;
		double mn, mx, sum;
		size_t cnt;

		if (!dbv_val_is_tensor(v) ||
		    dbv_val_str(dbv_map_key(rec, k), &key, &kl) || kl >= sizeof sm->s[0].key)
			continue;
		if (dbv_val_tensor(v, &t))
			continue; /* the reader has checked it already */
		for (size_t j = 0; j < sm->n; j++)
			if (strlen(sm->s[j].key) == kl && !memcmp(sm->s[j].key, key, kl))
				st = &sm->s[j];
		if (!st && sm->n < DBV_SUMMARY_KEYS) {
			st = &sm->s[sm->n++];
			memset(st, 0, sizeof *st);
			memcpy(st->key, key, kl);
			st->dtype = t.dtype;
			st->ndim = t.ndim;
			memcpy(st->shape, t.shape, sizeof t.shape);
			st->shape[0] = 0;
			st->consistent = t.ndim > 0;
			st->min = INFINITY;
			st->max = -INFINITY;
		}
		if (st) {
			if (st->dtype != t.dtype || st->ndim != t.ndim ||
			    (t.ndim > 1 && memcmp(st->shape + 1, t.shape + 1,
						  sizeof(int64_t) * (size_t)(t.ndim - 1))))
				st->consistent = 0;
			else if (t.ndim > 0)
				st->shape[0] += t.shape[0];
			dbv_tensor_stats(&t, &mn, &mx, &sum, &cnt);
			if (mn < st->min || dbv_nan(mn))
				st->min = mn;
			if (mx > st->max || dbv_nan(mx))
				st->max = mx;
			st->sum += sum;
			st->count += cnt;
		}
		dbv_tensor_release(&t);
	}
}
