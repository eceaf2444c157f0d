/*
 * dataset.c - the dataset stream kind: one reader (whole or batch by
 * batch) and one writer for dbv-stream(5), THE DATASET STREAM.
 *
 * The keys of the kind are spelled here only, in the tables below; the
 * writers loop over a table, so a record's key count is its table's size.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kinds/dataset.h"

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* Header meta, in the order dbv-load writes it. */
enum meta_key {
	M_DATASET, M_SPLIT, M_N, M_SHAPE, M_CLASSES, M_CLASS_NAMES, M_MEAN,
	M_STD, M_LABEL_NOISE, M_NOISE_SEED, M_SHUFFLE_SEED, M_SOURCE,
};
static const char *const meta_keys[] = {
	[M_DATASET] = "dataset", [M_SPLIT] = "split", [M_N] = "n",
	[M_SHAPE] = "shape", [M_CLASSES] = "classes",
	[M_CLASS_NAMES] = "class_names", [M_MEAN] = "mean", [M_STD] = "std",
	[M_LABEL_NOISE] = "label_noise", [M_NOISE_SEED] = "noise_seed",
	[M_SHUFFLE_SEED] = "shuffle_seed", [M_SOURCE] = "source",
};

/* The batch record. */
enum batch_key { B_X, B_Y, B_Y_TRUE, B_IDX };
static const char *const batch_keys[] = {
	[B_X] = "x", [B_Y] = "y", [B_Y_TRUE] = "y_true", [B_IDX] = "idx",
};
static const char batch_type[] = "batch";

const char *dbv_dataset_items_key(void)
{
	return batch_keys[B_X];
}

int dbv_dataset_is_batch(const dbv_val *rec)
{
	return dbv_record_is(rec, batch_type);
}

static const dbv_val *meta_get(struct dbv_reader *r, enum meta_key k)
{
	const dbv_val *v = dbv_map_get(dbv_reader_meta(r), meta_keys[k]);
	return v && dbv_val_type(v) != DBV_V_NIL ? v : NULL;
}

/* An optional string key into *out (NULL when absent or nil). */
static int meta_str(struct dbv_reader *r, enum meta_key k, char **out)
{
	const dbv_val *v = meta_get(r, k);
	int rc;

	*out = NULL;
	if (!v)
		return DBV_OK;
	if (dbv_val_type(v) != DBV_V_STR)
		return dbv_reader_fail(r, DBV_EINPUT, "\"%s\" must be a string",
				       meta_keys[k]);
	if ((rc = dbv_val_strdup(v, out)))
		return rc;
	return DBV_OK;
}

static int read_shape(struct dbv_reader *r, struct dbv_dataset *d)
{
	const dbv_val *v = meta_get(r, M_SHAPE);
	const int64_t max[3] = {DBV_DATASET_MAX_C, DBV_DATASET_MAX_HW,
				DBV_DATASET_MAX_HW};
	int64_t s[3];

	for (int i = 0; i < 3; i++)
		if (!v || dbv_val_type(v) != DBV_V_ARRAY || dbv_val_len(v) != 3 ||
		    dbv_val_i64(dbv_array_at(v, (size_t)i), &s[i]) || s[i] < 1 ||
		    s[i] > max[i])
			return dbv_reader_fail(r, DBV_EINPUT, "the header lacks a "
					       "valid \"shape\" [C,H,W] (C 1 to %d, "
					       "H and W 1 to %d)", DBV_DATASET_MAX_C,
					       DBV_DATASET_MAX_HW);
	d->c = s[0];
	d->h = s[1];
	d->w = s[2];
	return DBV_OK;
}

static int read_classes(struct dbv_reader *r, struct dbv_dataset *d,
			int min)
{
	const dbv_val *v = meta_get(r, M_CLASSES);
	int64_t k;

	if (dbv_val_i64(v, &k) || k < min || k > DBV_DATASET_MAX_CLASSES)
		return dbv_reader_fail(r, DBV_EINPUT, "the header lacks a valid "
				       "\"classes\" (an integer from %d to %d)",
				       min, DBV_DATASET_MAX_CLASSES);
	d->nclasses = (int)k;
	v = meta_get(r, M_CLASS_NAMES);
	if (!v)
		return DBV_OK;
	if (dbv_val_type(v) != DBV_V_ARRAY || dbv_val_len(v) != (size_t)k)
		return dbv_reader_fail(r, DBV_EINPUT, "\"%s\" must be an array of "
				       "%d strings", meta_keys[M_CLASS_NAMES],
				       d->nclasses);
	if (!(d->class_names = dbv_calloc((size_t)k, sizeof *d->class_names)))
		return DBV_EIO;
	for (size_t i = 0; i < (size_t)k; i++) {
		const dbv_val *s = dbv_array_at(v, i);
		if (dbv_val_type(s) != DBV_V_STR)
			return dbv_reader_fail(r, DBV_EINPUT, "\"%s\" must be an "
					       "array of %d strings",
					       meta_keys[M_CLASS_NAMES], d->nclasses);
		if (dbv_val_strdup(s, &d->class_names[i]))
			return DBV_EIO;
	}
	return DBV_OK;
}

static int read_stats(struct dbv_reader *r, struct dbv_dataset *d)
{
	const dbv_val *mean = meta_get(r, M_MEAN), *std = meta_get(r, M_STD);

	for (int i = 0; i < 4; i++) {
		d->mean[i] = 0;
		d->std[i] = 1;
	}
	for (size_t i = 0; i < (size_t)d->c; i++)
		if (dbv_val_len(mean) != (size_t)d->c ||
		    dbv_val_len(std) != (size_t)d->c ||
		    dbv_val_double(dbv_array_at(mean, i), &d->mean[i]) ||
		    dbv_val_double(dbv_array_at(std, i), &d->std[i]) ||
		    !dbv_finite(d->mean[i]) || !dbv_finite(d->std[i]) ||
		    !(d->std[i] > 0))
			return dbv_reader_fail(r, DBV_EINPUT, "the header lacks a "
					       "valid per-channel \"mean\" and "
					       "\"std\" (C finite numbers each, "
					       "std > 0)");
	return DBV_OK;
}

int dbv_dataset_read_meta(struct dbv_reader *r, struct dbv_dataset *d,
			  const struct dbv_dataset_read_opts *opt)
{
	const int min = opt && opt->min_classes > 1 ? opt->min_classes : 1;
	const dbv_val *v;
	int rc;

	memset(d, 0, sizeof *d);
	if ((rc = read_shape(r, d)) || (rc = read_classes(r, d, min)) ||
	    (rc = read_stats(r, d)) || (rc = meta_str(r, M_DATASET, &d->name)) ||
	    (rc = meta_str(r, M_SPLIT, &d->split)))
		goto fail;
	if ((v = meta_get(r, M_LABEL_NOISE)) &&
	    (dbv_val_double(v, &d->label_noise) || !dbv_finite(d->label_noise) ||
	     !(d->label_noise >= 0) ||
	     !(d->label_noise <= 1))) {
		rc = dbv_reader_fail(r, DBV_EINPUT, "\"%s\" must be a fraction "
				     "from 0 to 1", meta_keys[M_LABEL_NOISE]);
		goto fail;
	}
	return DBV_OK;
fail:
	dbv_dataset_release(d);
	return rc;
}

int dbv_dataset_read_header(struct dbv_reader *r, struct dbv_dataset *d,
			    const struct dbv_dataset_read_opts *opt)
{
	int rc;

	memset(d, 0, sizeof *d);
	if ((rc = dbv_reader_header(r, "dataset", NULL)))
		return rc;
	return dbv_dataset_read_meta(r, d, opt);
}

void dbv_dataset_batch_release(struct dbv_dataset_batch *b)
{
	dbv_tensor_release(&b->x);
	dbv_tensor_release(&b->y);
	dbv_tensor_release(&b->y_true);
	dbv_tensor_release(&b->idx);
	b->n = 0;
}

/* Tensor key k of rec into t; absent optional keys leave t empty. */
static int batch_tensor(struct dbv_reader *r, const dbv_val *rec,
			enum batch_key k, struct dbv_tensor *t)
{
	const dbv_val *v = dbv_map_get(rec, batch_keys[k]);
	int rc;

	if (!v) {
		if (k == B_X || k == B_Y)
			return dbv_reader_fail(r, DBV_EINPUT, "the batch lacks "
					       "\"%s\"", batch_keys[k]);
		return DBV_OK;
	}
	if ((rc = dbv_val_tensor(v, t)))
		return dbv_reader_fail(r, rc, "\"%s\": %s", batch_keys[k],
				       dbv_errmsg());
	return DBV_OK;
}

static int check_x(struct dbv_reader *r, const struct dbv_dataset *d,
		   unsigned accept, const struct dbv_tensor *x)
{
	const int f32 = accept & DBV_DATASET_F32;

	if ((x->dtype != DBV_U8 && !(f32 && x->dtype == DBV_F32)) ||
	    x->ndim != 4 || x->shape[1] != d->c || x->shape[2] != d->h ||
	    x->shape[3] != d->w)
		return dbv_reader_fail(r, DBV_EINPUT, "\"%s\" must be %s "
				       "[b,%lld,%lld,%lld]", batch_keys[B_X],
				       f32 ? "u8 or f32" : "u8", (long long)d->c,
				       (long long)d->h, (long long)d->w);
	if (x->dtype == DBV_F32 &&
	    dbv_f32_nonfinite(x->data, x->nbytes / sizeof(float)) <
	    x->nbytes / sizeof(float))
		return dbv_reader_fail(r, DBV_EINPUT, "\"%s\" holds a "
				       "non-finite value", batch_keys[B_X]);
	return DBV_OK;
}

/* y, y_true and idx: the types, k items each; labels in range. */
static int check_labels(struct dbv_reader *r, const struct dbv_dataset *d,
			unsigned accept, struct dbv_dataset_batch *b)
{
	const int32_t lo = accept & DBV_DATASET_UNLABELLED ? -1 : 0;
	struct dbv_tensor *t[] = {[B_Y] = &b->y, [B_Y_TRUE] = &b->y_true,
				  [B_IDX] = &b->idx};

	for (int k = B_Y; k <= B_IDX; k++) {
		const enum dbv_dtype want = k == B_IDX ? DBV_I64 : DBV_I32;
		if (t[k]->data && (t[k]->dtype != want || t[k]->ndim != 1 ||
				   t[k]->shape[0] != b->n))
			return dbv_reader_fail(r, DBV_EINPUT, "\"%s\" must be %s "
					       "[%lld]", batch_keys[k],
					       dbv_dtype_name(want), (long long)b->n);
	}
	if (accept & DBV_DATASET_ANY_LABEL)
		return DBV_OK;
	for (int k = B_Y; k <= B_Y_TRUE; k++) {
		const int32_t *l = t[k]->data;
		for (int64_t i = 0; l && i < b->n; i++)
			if (l[i] < lo || l[i] >= d->nclasses)
				return dbv_reader_fail(r, DBV_EINPUT, "label %d is "
						       "out of range (%d to %d)",
						       l[i], lo, d->nclasses - 1);
	}
	return DBV_OK;
}

/* y_true = y and idx = first, first+1, ... where the record has none. */
static int fill_defaults(struct dbv_dataset_batch *b, int64_t first)
{
	int rc;

	if (!b->y_true.data) {
		if ((rc = dbv_tensor_alloc(&b->y_true, DBV_I32, 1, b->y.shape)))
			return rc;
		memcpy(b->y_true.data, b->y.data, b->y.nbytes);
	}
	if (!b->idx.data) {
		if ((rc = dbv_tensor_alloc(&b->idx, DBV_I64, 1, b->y.shape)))
			return rc;
		int64_t *idx = b->idx.data;
		for (int64_t i = 0; i < b->n; i++)
			idx[i] = first + i;
	}
	return DBV_OK;
}

int dbv_dataset_read_batch(struct dbv_reader *r, const dbv_val *rec,
			   const struct dbv_dataset *d,
			   const struct dbv_dataset_read_opts *opt,
			   int64_t first, struct dbv_dataset_batch *b)
{
	const unsigned accept = opt ? opt->accept : 0;
	int rc;

	memset(b, 0, sizeof *b);
	if ((rc = batch_tensor(r, rec, B_X, &b->x)) ||
	    (rc = check_x(r, d, accept, &b->x)) ||
	    (rc = batch_tensor(r, rec, B_Y, &b->y)) ||
	    (rc = batch_tensor(r, rec, B_Y_TRUE, &b->y_true)) ||
	    (rc = batch_tensor(r, rec, B_IDX, &b->idx)))
		goto fail;
	b->n = b->x.shape[0];
	if ((rc = check_labels(r, d, accept, b)) ||
	    (rc = fill_defaults(b, first)))
		goto fail;
	return DBV_OK;
fail:
	dbv_dataset_batch_release(b);
	return rc;
}

/* Grow d's item arrays to hold at least need items. */
static int grow(struct dbv_dataset *d, size_t *cap, size_t need)
{
	const size_t item = (size_t)(d->c * d->h * d->w) * dbv_dtype_size(d->dtype);
	size_t nc = *cap ? *cap : 1024, bytes;
	void *p;

	if (need <= *cap)
		return DBV_OK;
	while (nc < need)
		if (dbv_mul_size(nc, 2, &nc))
			return DBV_EINPUT;
	if (dbv_mul_size(nc, item, &bytes))
		return DBV_EINPUT;
	if (!(p = dbv_realloc(d->x, bytes)))
		return DBV_EIO;
	d->x = p;
	if (!(p = dbv_realloc(d->y, nc * sizeof *d->y)))
		return DBV_EIO;
	d->y = p;
	if (!(p = dbv_realloc(d->y_true, nc * sizeof *d->y_true)))
		return DBV_EIO;
	d->y_true = p;
	if (!(p = dbv_realloc(d->idx, nc * sizeof *d->idx)))
		return DBV_EIO;
	d->idx = p;
	*cap = nc;
	return DBV_OK;
}

/* Append batch b (of d->dtype) to d's items. */
static int append(struct dbv_dataset *d, size_t *cap,
		  const struct dbv_dataset_batch *b)
{
	const size_t n = (size_t)d->n, k = (size_t)b->n;
	int rc;

	if (k == 0)
		return DBV_OK;
	if ((rc = grow(d, cap, n + k)))
		return rc;
	memcpy(d->x + n * (b->x.nbytes / k), b->x.data, b->x.nbytes);
	memcpy(d->y + n, b->y.data, b->y.nbytes);
	memcpy(d->y_true + n, b->y_true.data, b->y_true.nbytes);
	memcpy(d->idx + n, b->idx.data, b->idx.nbytes);
	d->n += b->n;
	return DBV_OK;
}

int dbv_dataset_read(struct dbv_reader *r, struct dbv_dataset *d,
		     const struct dbv_dataset_read_opts *opt)
{
	struct dbv_dataset_batch b;
	const dbv_val *rec;
	size_t cap = 0;
	int rc, typed = 0;

	if ((rc = dbv_dataset_read_header(r, d, opt)))
		return rc;
	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
		if (!dbv_record_is(rec, batch_type))
			continue;
		if ((rc = dbv_dataset_read_batch(r, rec, d, opt, d->n, &b)))
			goto fail;
		if (typed && b.x.dtype != d->dtype)
			rc = dbv_reader_fail(r, DBV_EINPUT, "\"%s\" is %s here but "
					     "%s before", batch_keys[B_X],
					     dbv_dtype_name(b.x.dtype),
					     dbv_dtype_name(d->dtype));
		else {
			d->dtype = b.x.dtype;
			typed = 1;
			rc = append(d, &cap, &b);
		}
		dbv_dataset_batch_release(&b);
		if (rc)
			goto fail;
	}
	if (rc != DBV_END ||
	    (rc = dbv_reader_expect_end(r, opt ? opt->program : NULL)))
		goto fail;
	if (d->n == 0) {
		rc = dbv_reader_fail(r, DBV_EINPUT, "the dataset is empty");
		goto fail;
	}
	return DBV_OK;
fail:
	dbv_dataset_release(d);
	return rc;
}

/* ---- writing ---- */

static void write_meta_value(struct dbv_writer *w, enum meta_key k,
			     const struct dbv_dataset *d,
			     const struct dbv_dataset_origin *o)
{
	const int64_t shape[3] = {d->c, d->h, d->w};

	switch (k) {
	case M_DATASET: d->name ? dbv_w_str(w, d->name) : dbv_w_nil(w); break;
	case M_SPLIT: d->split ? dbv_w_str(w, d->split) : dbv_w_nil(w); break;
	case M_N: dbv_w_i64(w, d->n); break;
	case M_SHAPE: dbv_w_i64_array(w, shape, 3); break;
	case M_CLASSES: dbv_w_i64(w, d->nclasses); break;
	case M_CLASS_NAMES:
		d->class_names ? dbv_w_str_array(w, d->class_names,
						 (size_t)d->nclasses)
			       : dbv_w_nil(w);
		break;
	case M_MEAN: dbv_w_f64_array(w, d->mean, (size_t)d->c); break;
	case M_STD: dbv_w_f64_array(w, d->std, (size_t)d->c); break;
	case M_LABEL_NOISE: dbv_w_f64(w, d->label_noise); break;
	case M_NOISE_SEED:
		o->noise_seed ? dbv_w_u64(w, *o->noise_seed) : dbv_w_nil(w);
		break;
	case M_SHUFFLE_SEED:
		o->shuffle_seed ? dbv_w_u64(w, *o->shuffle_seed) : dbv_w_nil(w);
		break;
	case M_SOURCE: dbv_w_str_array(w, o->source, o->nsource); break;
	}
}

int dbv_dataset_write_header(struct dbv_writer *w,
			     const struct dbv_dataset *d,
			     const struct dbv_dataset_origin *o,
			     const dbv_val *pipeline, int argc,
			     char *const *argv)
{
	dbv_writer_header_begin(w, "dataset", pipeline, argc, argv,
				COUNT(meta_keys));
	for (size_t k = 0; k < COUNT(meta_keys); k++) {
		dbv_w_key(w, meta_keys[k]);
		write_meta_value(w, (enum meta_key)k, d, o);
	}
	return dbv_writer_header_end(w);
}

int dbv_dataset_write_batch(struct dbv_writer *w, const struct dbv_dataset *d,
			    size_t first, size_t k)
{
	const size_t item = (size_t)(d->c * d->h * d->w) * dbv_dtype_size(d->dtype);
	const int64_t xs[4] = {(int64_t)k, d->c, d->h, d->w}, ys[1] = {(int64_t)k};

	dbv_writer_record_begin(w, batch_type, COUNT(batch_keys));
	for (size_t key = 0; key < COUNT(batch_keys); key++) {
		dbv_w_key(w, batch_keys[key]);
		switch ((enum batch_key)key) {
		case B_X:
			dbv_w_tensor_raw(w, d->dtype, 4, xs, d->x + first * item);
			break;
		case B_Y: dbv_w_tensor_raw(w, DBV_I32, 1, ys, d->y + first); break;
		case B_Y_TRUE:
			dbv_w_tensor_raw(w, DBV_I32, 1, ys, d->y_true + first);
			break;
		case B_IDX:
			dbv_w_tensor_raw(w, DBV_I64, 1, ys, d->idx + first);
			break;
		}
	}
	return dbv_writer_record_end(w);
}

int dbv_dataset_batch_items(const struct dbv_dataset *d, size_t batch,
			    size_t *items)
{
	const size_t item = (size_t)(d->c * d->h * d->w) * dbv_dtype_size(d->dtype);
	size_t k = batch ? batch : DBV_DATASET_BATCH_BYTES / item;

	if (k == 0)
		k = 1;
	if (k > (size_t)d->n)
		k = (size_t)d->n;
	*items = k;
	if (k > DBV_DATASET_MAX_RECORD_PIXELS / item)
		return dbv_seterr(DBV_EUSAGE, "records of %zu items would hold "
				  "over %zu MiB of pixels", k,
				  DBV_DATASET_MAX_RECORD_PIXELS >> 20);
	return DBV_OK;
}

int dbv_dataset_write(struct dbv_writer *w, const struct dbv_dataset *d,
		      const struct dbv_dataset_origin *o, size_t items,
		      int argc, char *const *argv)
{
	int rc;

	if ((rc = dbv_dataset_write_header(w, d, o, NULL, argc, argv)))
		return rc;
	for (size_t i = 0; i < (size_t)d->n; i += items) {
		const size_t k = (size_t)d->n - i < items ? (size_t)d->n - i : items;
		if ((rc = dbv_dataset_write_batch(w, d, i, k)))
			return rc;
	}
	return DBV_OK;
}
