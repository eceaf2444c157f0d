/*
 * values.c - the values of a stream's tensors as JSON numbers
 * (dbv-inspect --values KEY[A:B]).
 *
 * The tensors at one top-level key of the records are taken as stacked
 * along their first dimension, in record order, so that row i is item i
 * of a data set however it was cut into batches; a selection is rows
 * [a, b) of that stack.  Each record holding selected rows prints as the
 * default output does, with that tensor's summary replaced by its
 * values, nested as its shape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"
#include "base/json.h"

int dbv_values_parse(const char *spec, struct dbv_values *v)
{
	const char *br = strchr(spec, '[');
	size_t kl = br ? (size_t)(br - spec) : strlen(spec);

	memset(v, 0, sizeof *v);
	v->b = -1;
	snprintf(v->spec, sizeof v->spec, "%s", spec);
	if (kl == 0 || kl >= sizeof v->key)
		return dbv_seterr(DBV_EUSAGE, "--values '%s': a key of 1 to %zu "
				  "bytes, then [I], [A:B], [A:] or [:B] for rows",
				  spec, sizeof v->key - 1);
	memcpy(v->key, spec, kl);
	if (!br)
		return DBV_OK;
	/* [I], [A:B], [A:], [:B], [:]: row numbers from 0, B excluded. */
	const char *end = spec + strlen(spec) - 1, *colon = strchr(br, ':');
	char num[32];
	if (*end != ']' || end - br - 1 >= (long)sizeof num)
		goto bad;
	v->sliced = 1;
	if (!colon || colon > end) {
		memcpy(num, br + 1, (size_t)(end - br - 1));
		num[end - br - 1] = 0;
		if (dbv_parse_i64(num, 0, INT64_MAX - 1, &v->a))
			goto bad;
		v->b = v->a + 1;
		return DBV_OK;
	}
	if (colon > br + 1) {
		memcpy(num, br + 1, (size_t)(colon - br - 1));
		num[colon - br - 1] = 0;
		if (dbv_parse_i64(num, 0, INT64_MAX, &v->a))
			goto bad;
	}
	if (end > colon + 1) {
		memcpy(num, colon + 1, (size_t)(end - colon - 1));
		num[end - colon - 1] = 0;
		if (dbv_parse_i64(num, 0, INT64_MAX, &v->b))
			goto bad;
		if (v->b <= v->a)
			return dbv_seterr(DBV_EUSAGE, "--values '%s': an empty "
					  "range of rows (B must exceed A)", spec);
	}
	return DBV_OK;
bad:
	return dbv_seterr(DBV_EUSAGE, "--values '%s': rows are [I], [A:B], [A:] "
			  "or [:B], with decimal numbers from 0", spec);
}

void dbv_values_start(struct dbv_values *v)
{
	v->rows = 0;
	v->records = 0;
}

/* Element i of t as a JSON number ("NaN" and infinities as strings). */
static void json_elem(struct dbv_json *j, const struct dbv_tensor *t, size_t i)
{
	switch (t->dtype) {
	case DBV_U8: dbv_json_i64(j, ((const uint8_t *)t->data)[i]); break;
	case DBV_I8: dbv_json_i64(j, ((const int8_t *)t->data)[i]); break;
	case DBV_U16: dbv_json_i64(j, ((const uint16_t *)t->data)[i]); break;
	case DBV_I16: dbv_json_i64(j, ((const int16_t *)t->data)[i]); break;
	case DBV_U32: dbv_json_i64(j, ((const uint32_t *)t->data)[i]); break;
	case DBV_I32: dbv_json_i64(j, ((const int32_t *)t->data)[i]); break;
	case DBV_I64: dbv_json_i64(j, ((const int64_t *)t->data)[i]); break;
	case DBV_F32: dbv_json_float(j, ((const float *)t->data)[i]); break;
	default: dbv_json_double(j, ((const double *)t->data)[i]); break;
	}
}

/* The elements from *at on, nested as dimensions d.. of t. */
static void json_nested(struct dbv_json *j, const struct dbv_tensor *t, int d,
			size_t *at)
{
	if (d == t->ndim) {
		json_elem(j, t, (*at)++);
		return;
	}
	dbv_json_arr(j);
	for (int64_t k = 0; k < t->shape[d]; k++)
		json_nested(j, t, d + 1, at);
	dbv_json_arr_end(j);
}

/* {"dtype","shape","rows":[A,B],"values":[...]}: rows r0..r1 of t (the
 * record's own numbering; the shape printed is theirs), first the stack's
 * row number of r0.  A scalar: no rows, its value. */
static void json_values(struct dbv_json *j, const struct dbv_tensor *t,
			int64_t r0, int64_t r1, int64_t first)
{
	size_t row = 1, at;
	for (int d = 1; d < t->ndim; d++)
		row *= (size_t)t->shape[d];
	dbv_json_obj(j);
	dbv_json_key(j, "dtype");
	dbv_json_str(j, dbv_dtype_name(t->dtype));
	/* The shape of what is printed: r1 - r0 rows. */
	int64_t shape[DBV_MAX_DIMS];
	memcpy(shape, t->shape, sizeof shape);
	shape[0] = r1 - r0;
	dbv_json_key(j, "shape");
	dbv_json_shape(j, shape, t->ndim);
	if (t->ndim > 0) {
		dbv_json_key(j, "rows");
		dbv_json_arr(j);
		dbv_json_i64(j, first);
		dbv_json_i64(j, first + r1 - r0);
		dbv_json_arr_end(j);
	}
	dbv_json_key(j, "values");
	at = (size_t)r0 * row;
	if (t->ndim == 0) {
		json_elem(j, t, 0);
	} else {
		dbv_json_arr(j);
		for (int64_t r = r0; r < r1; r++)
			json_nested(j, t, 1, &at);
		dbv_json_arr_end(j);
	}
	dbv_json_obj_end(j);
}

int dbv_values_record(struct dbv_json *j, struct dbv_values *v, int64_t no,
		      const dbv_val *rec)
{
	const dbv_val *x = dbv_map_get(rec, v->key);
	struct dbv_tensor t;
	int64_t n, r0, r1;
	int rc;

	if (!x)
		return DBV_OK;
	if (!dbv_val_is_tensor(x))
		return dbv_seterr(DBV_EUSAGE, "--values '%s': record %lld holds a "
				  "%s that is not a tensor", v->spec, (long long)no,
				  v->key);
	if ((rc = dbv_val_tensor(x, &t)))
		return rc;
	v->records++;
	if (t.ndim == 0 && v->sliced) {
		dbv_tensor_release(&t);
		return dbv_seterr(DBV_EUSAGE, "--values '%s': record %lld holds a "
				  "scalar %s: it has no rows to select (give "
				  "the key alone)", v->spec, (long long)no, v->key);
	}
	/* This record's rows of the stack: [v->rows, v->rows + n). */
	n = t.ndim ? t.shape[0] : 1;
	r0 = v->a > v->rows ? v->a - v->rows : 0;
	r1 = v->b < 0 || v->b - v->rows > n ? n : v->b - v->rows;
	if (r0 < r1 || (n == 0 && !v->sliced)) {
		dbv_json_obj(j);
		dbv_json_key(j, "record");
		dbv_json_i64(j, no);
		for (size_t k = 0; k < dbv_val_len(rec); k++) {
			const dbv_val *val = dbv_map_value(rec, k);
			dbv_json_mapkey(j, dbv_map_key(rec, k));
			if (val == x)
				json_values(j, &t, r0, r1 > r0 ? r1 : r0,
					    v->rows + r0);
			else
				dbv_json_val(j, val);
		}
		dbv_json_obj_end(j);
		fputc('\n', j->f);
	}
	v->rows += n;
	dbv_tensor_release(&t);
	return DBV_OK;
}

int dbv_values_end(const struct dbv_values *v)
{
	if (!v->records)
		return dbv_seterr(DBV_EUSAGE, "--values '%s': no record holds a "
				  "tensor %s", v->spec, v->key);
	if (v->sliced && (v->a >= v->rows || v->b > v->rows))
		return dbv_seterr(DBV_EUSAGE, "--values '%s': the stream holds %lld "
				  "rows of %s, numbered from 0", v->spec,
				  (long long)v->rows, v->key);
	return DBV_OK;
}
