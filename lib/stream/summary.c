/*
 * summary.c - what a stream holds, tensor by tensor: the statistics of a
 * tensor's elements, and tensors of one key stacked along their first
 * dimension over the records (dbv-inspect --summary).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stream/stream.h"
#include "base/json.h"

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

/* ---- JSON (dbv-inspect) ---- */

void dbv_json_shape(struct dbv_json *j, const int64_t *shape, int ndim)
{
	dbv_json_arr(j);
	for (int i = 0; i < ndim; i++)
		dbv_json_i64(j, shape[i]);
	dbv_json_arr_end(j);
}

/* "min", "max", "mean" of cnt elements (none when cnt is 0). */
static void json_stats(struct dbv_json *j, double mn, double mx, double sum,
		       size_t cnt)
{
	if (!cnt)
		return;
	dbv_json_key(j, "min");
	dbv_json_float(j, mn);
	dbv_json_key(j, "max");
	dbv_json_float(j, mx);
	dbv_json_key(j, "mean");
	dbv_json_float(j, sum / (double)cnt);
}


static int json_tensor(struct dbv_json *j, const dbv_val *v)
{
	struct dbv_tensor t;
	double mn, mx, sum;
	size_t cnt;
	int rc = dbv_val_tensor(v, &t);
	if (rc)
		return rc;
	dbv_tensor_stats(&t, &mn, &mx, &sum, &cnt);
	dbv_json_obj(j);
	dbv_json_key(j, "dtype");
	dbv_json_str(j, dbv_dtype_name(t.dtype));
	dbv_json_key(j, "shape");
	dbv_json_shape(j, t.shape, t.ndim);
	json_stats(j, mn, mx, sum, cnt);
	/* Equal CRCs: (almost surely) equal bytes, e.g. two models. */
	char crc[16];
	snprintf(crc, sizeof crc, "%08x", dbv_crc32c(0, t.data, t.nbytes));
	dbv_json_key(j, "crc32c");
	dbv_json_str(j, crc);
	dbv_json_obj_end(j);
	dbv_tensor_release(&t);
	return DBV_OK;
}

void dbv_json_mapkey(struct dbv_json *j, const dbv_val *key)
{
	const char *s;
	size_t n;
	int64_t i;
	char num[32];

	/* JSON keys are strings: quote other keys. */
	if (dbv_val_type(key) == DBV_V_STR) {
		dbv_val_str(key, &s, &n);
		dbv_json_keyn(j, s, n);
		return;
	}
	if (dbv_val_i64(key, &i) == DBV_OK)
		snprintf(num, sizeof num, "%lld", (long long)i);
	else
		strcpy(num, "?");
	dbv_json_key(j, num);
}

void dbv_json_members(struct dbv_json *j, const dbv_val *v)
{
	for (size_t k = 0; k < dbv_val_len(v); k++) {
		dbv_json_mapkey(j, dbv_map_key(v, k));
		dbv_json_val(j, dbv_map_value(v, k));
	}
}

void dbv_json_val(struct dbv_json *j, const dbv_val *v)
{
	const char *s;
	size_t n;
	int64_t i;
	double d;
	int b;

	switch (dbv_val_type(v)) {
	case DBV_V_NIL: dbv_json_null(j); break;
	case DBV_V_BOOL: dbv_val_bool(v, &b); dbv_json_bool(j, b); break;
	case DBV_V_INT:
		if (dbv_val_i64(v, &i) == DBV_OK) {
			dbv_json_i64(j, i);
		} else {
			uint64_t u = 0;
			dbv_val_u64(v, &u);
			dbv_json_u64(j, u);
		}
		break;
	case DBV_V_FLOAT: dbv_val_double(v, &d); dbv_json_float(j, d); break;
	case DBV_V_STR: dbv_val_str(v, &s, &n); dbv_json_strn(j, s, n); break;
	case DBV_V_BIN:
		dbv_json_obj(j);
		dbv_json_key(j, "bin");
		dbv_json_u64(j, dbv_val_len(v));
		dbv_json_obj_end(j);
		break;
	case DBV_V_ARRAY:
		dbv_json_arr(j);
		for (size_t k = 0; k < dbv_val_len(v); k++)
			dbv_json_val(j, dbv_array_at(v, k));
		dbv_json_arr_end(j);
		break;
	case DBV_V_MAP:
		if (dbv_val_is_tensor(v))
			{
			json_tensor(j, v);
			break;
		}
		dbv_json_obj(j);
		dbv_json_members(j, v);
		dbv_json_obj_end(j);
		break;
	default:
		dbv_json_obj(j);
		dbv_json_key(j, "ext");
		dbv_json_bool(j, 1);
		dbv_json_obj_end(j);
		break;
	}

}


void dbv_summary_keys_json(struct dbv_json *j, const struct dbv_summary *sm)
{
	dbv_json_obj(j);
	for (size_t k = 0; k < sm->n; k++) {
		const struct dbv_summary_key *st = &sm->s[k];
		dbv_json_key(j, st->key);
		dbv_json_obj(j);
		dbv_json_key(j, "dtype");
		dbv_json_str(j, dbv_dtype_name(st->dtype));
		if (st->consistent) {
			dbv_json_key(j, "shape");
			dbv_json_shape(j, st->shape, st->ndim);
		}
		json_stats(j, st->min, st->max, st->sum, st->count);
		dbv_json_obj_end(j);
	}
	dbv_json_obj_end(j);
}
