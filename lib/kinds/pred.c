/*
 * pred.c - the pred stream kind: header, records over planes and over a
 * data set, the accuracy record (dbv-stream(5), THE PRED STREAM).
 *
 * The reader checks a record whole, once, against the bounds of pred.h;
 * a failure names the input, record and byte (dbv_reader_fail).  The
 * writers count the pairs of a record from the table that lists its
 * keys.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kinds/pred.h"

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* Fail with the message a lower layer left, prefixed as a record error. */
static int fail_here(struct dbv_reader *r, int rc)
{
	return dbv_reader_fail(r, rc, "%s", dbv_errmsg());
}

/* ------------------------------------------------------------------ */
/* The model map                                                       */
/* ------------------------------------------------------------------ */

/* The value v of an entry into e (its key set by the caller). */
static int kv_value(const dbv_val *v, struct dbv_pred_kv *e)
{
	const char *s;
	int b;

	switch (dbv_val_type(v)) {
	case DBV_V_NIL:
		e->type = DBV_KV_NIL;
		break;
	case DBV_V_INT:
		e->type = DBV_KV_INT;
		if (dbv_val_i64(v, &e->i)) {
			e->type = DBV_KV_UINT;
			dbv_val_u64(v, &e->u);
		}
		break;
	case DBV_V_FLOAT:
		e->type = DBV_KV_FLOAT;
		dbv_val_double(v, &e->f);
		break;
	case DBV_V_BOOL:
		e->type = DBV_KV_BOOL;
		dbv_val_bool(v, &b);
		e->i = b;
		break;
	case DBV_V_STR:
		e->type = DBV_KV_STR;
		dbv_val_str(v, &s, &e->len);
		if (!(e->s = dbv_malloc(e->len + 1)))
			return DBV_EIO;
		memcpy(e->s, s, e->len);
		e->s[e->len] = 0;
		break;
	default:
		e->type = DBV_KV_OTHER;
		break;
	}
	return DBV_OK;
}

const struct dbv_pred_kv *dbv_pred_model_get(const struct dbv_pred_model *m,
					     const char *key)
{
	for (size_t i = 0; m && i < m->n; i++)
		if (!strcmp(m->kv[i].key, key))
			return &m->kv[i];
	return NULL;
}

int dbv_pred_kv_number(const struct dbv_pred_kv *e, double *x)
{
	switch (e ? e->type : DBV_KV_NIL) {
	case DBV_KV_INT: *x = (double)e->i; return DBV_OK;
	case DBV_KV_UINT: *x = (double)e->u; return DBV_OK;
	case DBV_KV_FLOAT: *x = e->f; return DBV_OK;
	default: return dbv_seterr(DBV_EINPUT, "expected a number");
	}
}

/* The documented entries dbv's tools use, from the entries. */
static void model_fields(struct dbv_pred_model *m)
{
	const struct dbv_pred_kv *e;

	if ((e = dbv_pred_model_get(m, "arch")) && e->type == DBV_KV_STR)
		m->arch = e->s;
	if ((e = dbv_pred_model_get(m, "width")) && e->type == DBV_KV_INT) {
		m->has_width = 1;
		m->width = e->i;
	}
	if ((e = dbv_pred_model_get(m, "seed")) && e->type == DBV_KV_INT) {
		m->has_seed = 1;
		m->seed = e->i;
	}
	if (dbv_pred_kv_number(dbv_pred_model_get(m, "label_noise"), &m->label_noise))
		m->label_noise = 0;
}

void dbv_pred_model_release(struct dbv_pred_model *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->kv[i].key);
		free(m->kv[i].s);
	}
	free(m->kv);
	memset(m, 0, sizeof *m);
}

int dbv_pred_model_decode(const dbv_val *v, struct dbv_pred_model *m)
{
	int rc;

	memset(m, 0, sizeof *m);
	if (!v || dbv_val_type(v) == DBV_V_NIL)
		return DBV_OK;
	if (dbv_val_type(v) != DBV_V_MAP)
		return dbv_seterr(DBV_EINPUT, "\"model\" is not a map");
	m->present = 1;
	if (!(m->kv = dbv_calloc(dbv_val_len(v) + 1, sizeof *m->kv)))
		return DBV_EIO;
	for (size_t i = 0; i < dbv_val_len(v); i++) {
		struct dbv_pred_kv *e = &m->kv[m->n++];
		if ((rc = dbv_val_strdup(dbv_map_key(v, i), &e->key)) ||
		    (rc = kv_value(dbv_map_value(v, i), e))) {
			dbv_pred_model_release(m);
			return rc == DBV_EIO ? rc : dbv_seterr(rc, "\"model\" has a "
							       "key that is not a string");
		}
	}
	model_fields(m);
	return DBV_OK;
}

int dbv_pred_model_from_meta(struct dbv_pred_model *m,
			     const dbv_val *model_meta, const char *file)
{
	static const char *const keys[] = {
		"arch", "width", "depth", "seed", "data_seed", "epochs",
		"n_train", "dataset", "optim", "lr", "label_noise",
	};
	struct dbv_pred_kv *e;
	int rc;

	memset(m, 0, sizeof *m);
	m->present = 1;
	if (!(m->kv = dbv_calloc(COUNT(keys) + 1, sizeof *m->kv)))
		return DBV_EIO;
	for (size_t k = 0; k < COUNT(keys); k++) {
		const dbv_val *v = dbv_map_get(model_meta, keys[k]);
		if (!v)
			continue;
		e = &m->kv[m->n++];
		if (!(e->key = dbv_strdup(keys[k])) || kv_value(v, e)) {
			rc = DBV_EIO;
			goto fail;
		}
	}
	e = &m->kv[m->n++];
	e->type = DBV_KV_STR;
	e->len = strlen(file);
	if (!(e->key = dbv_strdup("file")) || !(e->s = dbv_strdup(file))) {
		rc = DBV_EIO;
		goto fail;
	}
	model_fields(m);
	return DBV_OK;
fail:
	dbv_pred_model_release(m);
	return rc;
}

static int kv_write(struct dbv_writer *w, const struct dbv_pred_kv *e)
{
	dbv_w_key(w, e->key);
	switch (e->type) {
	case DBV_KV_INT: return dbv_w_i64(w, e->i);
	case DBV_KV_UINT: return dbv_w_u64(w, e->u);
	case DBV_KV_FLOAT: return dbv_w_f64(w, e->f);
	case DBV_KV_BOOL: return dbv_w_bool(w, (int)e->i);
	case DBV_KV_STR: return dbv_w_strn(w, e->s, e->len);
	default: return dbv_w_nil(w);
	}
}

int dbv_pred_model_write(struct dbv_writer *w, const struct dbv_pred_model *m)
{
	if (!m->present)
		return dbv_w_nil(w);
	dbv_w_map(w, m->n);
	for (size_t i = 0; i < m->n; i++)
		kv_write(w, &m->kv[i]);
	return dbv_writer_status(w);
}

void dbv_pred_model_desc(const struct dbv_pred_model *m, char *buf, size_t cap)
{
	const char *a = m->arch ? m->arch : "?";
	size_t al = strlen(a);
	int k = snprintf(buf, cap, "%.*s w=%lld seed=%lld", (int)(al > 32 ? 32 : al), a,
			 (long long)(m->has_width ? m->width : -1),
			 (long long)(m->has_seed ? m->seed : -1));
	if (m->label_noise > 0 && k > 0 && (size_t)k < cap)
		snprintf(buf + k, cap - (size_t)k, " noise=%g", m->label_noise);
}

/* ------------------------------------------------------------------ */
/* The header                                                          */
/* ------------------------------------------------------------------ */

/* The keys a pred header sets over those of its input's meta. */
enum { H_INPUT, H_MODEL, H_TEMP, H_LOGITS, H_NKEYS };
static const char *const header_keys[H_NKEYS] = {"input", "model", "temp", "logits"};

static int is_header_key(const dbv_val *k)
{
	for (int i = 0; i < H_NKEYS; i++)
		if (dbv_val_is(k, header_keys[i]))
			return 1;
	return 0;
}


int dbv_pred_header_decode(struct dbv_reader *r, struct dbv_pred_header *h)
{
	const dbv_val *meta = dbv_reader_meta(r), *v;
	int rc;

	memset(h, 0, sizeof *h);
	h->temp = NAN;
	v = dbv_map_get(meta, header_keys[H_INPUT]);
	if (dbv_val_is(v, "planes"))
		h->planes = 1;
	else if (!dbv_val_is(v, "dataset"))
		return dbv_reader_fail(r, DBV_EINPUT, "the header's meta has no "
				       "\"input\" of \"planes\" or \"dataset\"");
	/* The data set's keys, carried over from the input: the dataset
	 * kind owns them. */
	struct dbv_dataset d;
	if ((rc = dbv_dataset_read_meta(r, &d, NULL)))
		return rc;
	h->classes = d.nclasses;
	h->c = (int)d.c;
	h->h = (int)d.h;
	h->w = (int)d.w;
	h->class_names = d.class_names; /* K strings, or NULL */
	d.class_names = NULL;
	if (d.name) {
		size_t n = strlen(d.name) + (d.split ? strlen(d.split) : 0) + 2;
		if ((h->data = dbv_malloc(n)))
			snprintf(h->data, n, "%s%s%s", d.name, d.split ? " " : "",
				 d.split ? d.split : "");
	}
	dbv_dataset_release(&d);
	if (h->planes && (rc = dbv_planes_header_res(r, &h->res))) {
		dbv_pred_header_release(h);
		return rc;
	}
	if ((rc = dbv_pred_model_decode(dbv_map_get(meta, header_keys[H_MODEL]),
					&h->model))) {
		dbv_pred_header_release(h);
		return fail_here(r, rc);
	}
	if ((v = dbv_map_get(meta, header_keys[H_TEMP])) && dbv_val_double(v, &h->temp))
		h->temp = NAN;
	if ((v = dbv_map_get(meta, header_keys[H_LOGITS])) && dbv_val_bool(v, &h->logits))
		h->logits = 0;
	return DBV_OK;
}

int dbv_pred_header_read(struct dbv_reader *r, struct dbv_pred_header *h)
{
	int rc = dbv_reader_header(r, "pred", NULL);
	if (rc) {
		memset(h, 0, sizeof *h);
		return rc;
	}
	return dbv_pred_header_decode(r, h);
}

void dbv_pred_header_release(struct dbv_pred_header *h)
{
	if (h->class_names)
		for (int64_t k = 0; k < h->classes; k++)
			free(h->class_names[k]);
	free(h->class_names);
	free(h->data);
	dbv_pred_model_release(&h->model);
	memset(h, 0, sizeof *h);
}

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

/* Keys of a pred record of its own (the others are the plane's). */
enum { R_LABELS, R_CONF, R_LOGITS, R_Y, R_Y_TRUE, R_IDX, R_NKEYS };
static const char *const rec_keys[R_NKEYS] = {
	"labels", "conf", "logits", "y", "y_true", "idx",
};
/* The accuracy record: three counts, then two fractions. */
enum { A_N, A_CORRECT, A_CORRECT_TRUE, A_ACC, A_ACC_TRUE, A_NKEYS };
static const char *const acc_keys[A_NKEYS] = {
	"n", "correct", "correct_true", "acc", "acc_true",
};

static int get_tensor(struct dbv_reader *r, const dbv_val *rec, int key,
		      struct dbv_tensor *t)
{
	int rc = dbv_get_tensor(rec, rec_keys[key], t);
	return rc ? fail_here(r, rc) : DBV_OK;
}

/* Where label or confidence i is, for messages. */
static void where(char *buf, size_t cap, size_t i, int res)
{
	if (res)
		snprintf(buf, cap, "at row %zu, column %zu", i / (size_t)res,
			 i % (size_t)res);
	else
		snprintf(buf, cap, "of item %zu", i);
}

/* t (u8 or i32, n elements) into new int32s, each a class in [0, K).
 * res > 0: a grid, for messages. */
static int take_labels(struct dbv_reader *r, const struct dbv_tensor *t,
		       int64_t K, int res, int32_t **out)
{
	const size_t n = dbv_tensor_numel(t);
	char at[64];

	if (!(*out = dbv_malloc((n ? n : 1) * sizeof **out)))
		return fail_here(r, DBV_EIO);
	for (size_t i = 0; i < n; i++) {
		int32_t l = t->dtype == DBV_U8 ? ((const uint8_t *)t->data)[i]
					       : ((const int32_t *)t->data)[i];
		if (l < 0 || l >= K) {
			where(at, sizeof at, i, res);
			return dbv_reader_fail(r, DBV_EINPUT, "label %d %s is not a "
					       "class (0..%lld)", l, at, (long long)K - 1);
		}
		(*out)[i] = l;
	}
	return DBV_OK;
}

/* "conf": f32 of n values (shape checked by the caller), finite, 0..1. */
static int take_conf(struct dbv_reader *r, const struct dbv_tensor *t, int res,
		     float **out)
{
	const size_t n = dbv_tensor_numel(t);
	char at[64];

	if (!(*out = dbv_malloc((n ? n : 1) * sizeof **out)))
		return fail_here(r, DBV_EIO);
	memcpy(*out, t->data, n * sizeof **out);
	for (size_t i = 0; i < n; i++) {
		const float c = (*out)[i];
		if (dbv_finite(c) && c >= 0 && c <= DBV_PRED_MAX_CONF)
			continue;
		where(at, sizeof at, i, res);
		if (!dbv_finite(c))
			return dbv_reader_fail(r, DBV_ENONFINITE, "confidence %g %s", c, at);
		return dbv_reader_fail(r, DBV_EINPUT, "confidence %g %s is outside "
				       "[0, 1]", c, at);
	}
	return DBV_OK;
}

/* An i32 or i64 [3] into out; absent: -1s when optional. */
static int take_three(struct dbv_reader *r, const dbv_val *rec, int key,
		      int optional, int64_t *out)
{
	struct dbv_tensor t;
	int rc, ok;

	if (optional && !dbv_map_get(rec, rec_keys[key])) {
		out[0] = out[1] = out[2] = -1;
		return DBV_OK;
	}
	if ((rc = get_tensor(r, rec, key, &t)))
		return rc;
	ok = t.ndim == 1 && t.shape[0] == 3 && (t.dtype == DBV_I32 || t.dtype == DBV_I64);
	for (int k = 0; ok && k < 3; k++)
		out[k] = t.dtype == DBV_I32 ? ((int32_t *)t.data)[k] : ((int64_t *)t.data)[k];
	dbv_tensor_release(&t);
	return ok ? DBV_OK : dbv_reader_fail(r, DBV_EINPUT, "\"%s\" is not i32 or i64 [3]",
					     rec_keys[key]);
}

/* A non-finite number in the plane's geometry is refused with
 * DBV_ENONFINITE, as dbv-stream(5) has it for every number a tool cannot
 * use; the shapes and the rest dbv_plane_from_record checks. */
static int geometry_finite(struct dbv_reader *r, const dbv_val *rec)
{
	static const char *const keys[] = {"origin", "u", "v", "coords", "range"};
	struct dbv_tensor t;

	for (size_t k = 0; k < COUNT(keys); k++) {
		int ok = 1;
		if (dbv_get_tensor(rec, keys[k], &t))
			continue;
		if (t.dtype == DBV_F32)
			ok = dbv_f32_nonfinite(t.data, dbv_tensor_numel(&t)) ==
			     dbv_tensor_numel(&t);
		for (size_t i = 0; t.dtype == DBV_F64 && ok && i < dbv_tensor_numel(&t); i++)
			ok = dbv_finite(((const double *)t.data)[i]);
		dbv_tensor_release(&t);
		if (!ok)
			return dbv_reader_fail(r, DBV_ENONFINITE, "\"%s\" holds a "
					       "non-finite number", keys[k]);
	}
	return DBV_OK;
}

static int read_plane(struct dbv_reader *r, const struct dbv_pred_header *h,
		      const dbv_val *rec, struct dbv_pred_plane *p)
{
	const struct dbv_tensor *a = &p->anchors;
	struct dbv_tensor t;
	int64_t three[3];
	int rc, res;

	if (dbv_get_i64(rec, "plane", &p->plane) || p->plane < 0)
		return dbv_reader_fail(r, DBV_EINPUT, "\"plane\" is missing or not "
				       "an integer from 0");
	if ((rc = geometry_finite(r, rec)))
		return rc;
	if ((rc = dbv_plane_from_record(&p->geom, rec, h->c, h->h, h->w)))
		return fail_here(r, rc);
	res = p->geom.res;
	if ((rc = dbv_planes_check_res(r, res, h->res)))
		return rc;
	if ((rc = dbv_get_tensor(rec, "anchors", &p->anchors)))
		return fail_here(r, rc);
	if ((a->dtype != DBV_U8 && a->dtype != DBV_F32) || a->ndim != 4 ||
	    a->shape[0] != 3 || a->shape[1] != h->c || a->shape[2] != h->h ||
	    a->shape[3] != h->w)
		return dbv_reader_fail(r, DBV_EINPUT, "\"anchors\" is not u8 or f32 "
				       "[3,%d,%d,%d]", h->c, h->h, h->w);
	if ((rc = take_three(r, rec, R_Y, 0, three)))
		return rc;
	for (int k = 0; k < 3; k++)
		p->y[k] = (int32_t)three[k];
	if ((rc = take_three(r, rec, R_Y_TRUE, 0, three)))
		return rc;
	for (int k = 0; k < 3; k++)
		p->y_true[k] = (int32_t)three[k];
	if ((rc = take_three(r, rec, R_IDX, 1, p->idx)))
		return rc;

	if ((rc = get_tensor(r, rec, R_LABELS, &t)))
		return rc;
	if ((t.dtype != DBV_U8 && t.dtype != DBV_I32) || t.ndim != 2 ||
	    t.shape[0] != res || t.shape[1] != res)
		rc = dbv_reader_fail(r, DBV_EINPUT, "\"labels\" is not u8 or i32 "
				     "[%d,%d] (res)", res, res);
	else
		rc = take_labels(r, &t, h->classes, res, &p->labels);
	dbv_tensor_release(&t);
	if (rc || (rc = get_tensor(r, rec, R_CONF, &t)))
		return rc;
	if (t.dtype != DBV_F32 || t.ndim != 2 || t.shape[0] != res || t.shape[1] != res)
		rc = dbv_reader_fail(r, DBV_EINPUT, "\"conf\" is not f32 [%d,%d] "
				     "(res)", res, res);
	else
		rc = take_conf(r, &t, res, &p->conf);
	dbv_tensor_release(&t);
	return rc;
}

/* A 1-D tensor of k values of dtype dt, copied into *out. */
static int take_items(struct dbv_reader *r, const dbv_val *rec, int key,
		      enum dbv_dtype dt, size_t k, void **out)
{
	struct dbv_tensor t;
	int rc;

	if ((rc = get_tensor(r, rec, key, &t)))
		return rc;
	if (t.dtype != dt || t.ndim != 1 || (size_t)t.shape[0] != k)
		rc = dbv_reader_fail(r, DBV_EINPUT, "\"%s\" is not %s [%zu] (the "
				     "items of \"labels\")", rec_keys[key],
				     dbv_dtype_name(dt), k);
	else if (!(*out = dbv_malloc(t.nbytes ? t.nbytes : 1)))
		rc = fail_here(r, DBV_EIO);
	else
		memcpy(*out, t.data, t.nbytes);
	dbv_tensor_release(&t);
	return rc;
}

static int read_items(struct dbv_reader *r, const struct dbv_pred_header *h,
		      const dbv_val *rec, struct dbv_pred_items *it)
{
	struct dbv_tensor t;
	int rc;

	if ((rc = get_tensor(r, rec, R_LABELS, &t)))
		return rc;
	if ((t.dtype != DBV_U8 && t.dtype != DBV_I32) || t.ndim != 1)
		rc = dbv_reader_fail(r, DBV_EINPUT, "\"labels\" is not u8 or i32 [k]");
	else
		rc = take_labels(r, &t, h->classes, 0, &it->labels);
	it->k = t.ndim == 1 ? (size_t)t.shape[0] : 0;
	dbv_tensor_release(&t);
	if (rc || (rc = get_tensor(r, rec, R_CONF, &t)))
		return rc;
	if (t.dtype != DBV_F32 || t.ndim != 1 || (size_t)t.shape[0] != it->k)
		rc = dbv_reader_fail(r, DBV_EINPUT, "\"conf\" is not f32 [%zu] (the "
				     "items of \"labels\")", it->k);
	else
		rc = take_conf(r, &t, 0, &it->conf);
	dbv_tensor_release(&t);
	if (rc || (rc = take_items(r, rec, R_Y, DBV_I32, it->k, (void **)&it->y)) ||
	    (rc = take_items(r, rec, R_Y_TRUE, DBV_I32, it->k, (void **)&it->y_true)))
		return rc;
	/* idx (dbv-predict writes it) says which items these are; without
	 * it only the true labels can tell. */
	if (dbv_map_get(rec, rec_keys[R_IDX]))
		return take_items(r, rec, R_IDX, DBV_I64, it->k, (void **)&it->idx);
	return DBV_OK;
}

static int read_accuracy(struct dbv_reader *r, const dbv_val *rec,
			 struct dbv_pred_accuracy *a)
{
	int64_t *const count[] = {&a->n, &a->correct, &a->correct_true};
	double *const frac[] = {&a->acc, &a->acc_true};

	for (int k = 0; k < A_NKEYS; k++) {
		int rc = k < A_ACC ? dbv_get_i64(rec, acc_keys[k], count[k])
				   : dbv_get_double(rec, acc_keys[k], frac[k - A_ACC]);
		if (rc)
			return fail_here(r, rc);
	}
	if (a->n < 0 || a->correct < 0 || a->correct > a->n ||
	    a->correct_true < 0 || a->correct_true > a->n)
		return dbv_reader_fail(r, DBV_EINPUT, "the accuracy record counts "
				       "%lld and %lld correct of %lld items",
				       (long long)a->correct,
				       (long long)a->correct_true, (long long)a->n);
	return DBV_OK;
}

void dbv_pred_record_release(struct dbv_pred_record *rec)
{
	dbv_plane_release(&rec->plane.geom);
	dbv_tensor_release(&rec->plane.anchors);
	free(rec->plane.labels);
	free(rec->plane.conf);
	free(rec->items.labels);
	free(rec->items.conf);
	free(rec->items.y);
	free(rec->items.y_true);
	free(rec->items.idx);
	memset(rec, 0, sizeof *rec);
}

int dbv_pred_next(struct dbv_reader *r, const struct dbv_pred_header *h,
		  struct dbv_pred_record *rec)
{
	const dbv_val *v;
	int rc;

	memset(rec, 0, sizeof *rec);
	if ((rc = dbv_reader_next(r, &v)))
		return rc;
	rec->raw = v;
	if (dbv_record_is(v, "pred")) {
		rec->type = h->planes ? DBV_PRED_PLANE : DBV_PRED_ITEMS;
		rc = h->planes ? read_plane(r, h, v, &rec->plane)
			       : read_items(r, h, v, &rec->items);
	} else if (dbv_record_is(v, "accuracy")) {
		rec->type = DBV_PRED_ACCURACY;
		rc = read_accuracy(r, v, &rec->accuracy);
	} else {
		rec->type = DBV_PRED_OTHER;
	}
	if (rc)
		dbv_pred_record_release(rec);
	return rc;
}


/* ------------------------------------------------------------------ */
/* Every label of a stream                                             */
/* ------------------------------------------------------------------ */

/* The capacity, doubled from cap (16 at first), that holds need. */
static size_t next_cap(size_t cap, size_t need)
{
	cap = cap ? cap : 16;
	while (cap < need)
		cap *= 2;
	return cap;
}

/* Reallocate *pp to cap elements of elem bytes. */
static int resize(void *pp, size_t elem, size_t cap)
{
	void **p = pp, *q;
	size_t bytes;

	if (dbv_mul_size(cap, elem, &bytes) || !(q = dbv_realloc(*p, bytes)))
		return DBV_EIO;
	*p = q;
	return DBV_OK;
}

/* Capacities in elements: of labels, and of the planes' fingerprints. */
struct caps {
	size_t labels, planes;
	int no_idx;
};

static int add_plane(struct dbv_reader *r, struct dbv_pred_labels *l,
		     const struct dbv_pred_plane *p, struct caps *c)
{
	const size_t cells = (size_t)p->geom.res * (size_t)p->geom.res;
	const size_t have = (size_t)l->n * cells;
	size_t cl = next_cap(c->labels, have + cells);
	size_t cp = next_cap(c->planes, (size_t)l->n + 1);

	if (l->n == 0)
		l->res = p->geom.res;
	if (p->geom.res != l->res)
		return dbv_reader_fail(r, DBV_EINPUT, "plane %lld has a %dx%d grid, "
				       "but the first has %dx%d: grids of different "
				       "sizes cannot be compared", (long long)p->plane,
				       p->geom.res, p->geom.res, l->res, l->res);
	if ((cl != c->labels && resize(&l->labels, sizeof *l->labels, cl)) ||
	    (cp != c->planes && resize(&l->fingerprint, sizeof *l->fingerprint, cp)))
		return fail_here(r, DBV_EIO);
	c->labels = cl;
	c->planes = cp;
	memcpy(l->labels + have, p->labels, cells * sizeof *l->labels);
	l->fingerprint[l->n++] = dbv_plane_fingerprint(&p->geom);
	return DBV_OK;
}

static int add_items(struct dbv_reader *r, struct dbv_pred_labels *l,
		     const struct dbv_pred_items *it, struct caps *c)
{
	const size_t have = (size_t)l->n, cap = next_cap(c->labels, have + it->k);

	if (cap != c->labels &&
	    (resize(&l->labels, sizeof *l->labels, cap) ||
	     resize(&l->y, sizeof *l->y, cap) ||
	     resize(&l->y_true, sizeof *l->y_true, cap) ||
	     resize(&l->idx, sizeof *l->idx, cap)))
		return fail_here(r, DBV_EIO);
	c->labels = cap;
	memcpy(l->labels + have, it->labels, it->k * sizeof *l->labels);
	memcpy(l->y + have, it->y, it->k * sizeof *l->y);
	memcpy(l->y_true + have, it->y_true, it->k * sizeof *l->y_true);
	if (it->idx)
		memcpy(l->idx + have, it->idx, it->k * sizeof *l->idx);
	else
		c->no_idx = 1;
	l->n += (int64_t)it->k;
	return DBV_OK;
}

int dbv_pred_read_labels(struct dbv_reader *r, const struct dbv_pred_header *h,
			 struct dbv_pred_labels *l, const char *program)
{
	struct dbv_pred_record rec;
	struct caps c = {0, 0, 0};
	int rc;

	memset(l, 0, sizeof *l);
	while ((rc = dbv_pred_next(r, h, &rec)) == DBV_OK) {
		if (rec.type == DBV_PRED_PLANE)
			rc = add_plane(r, l, &rec.plane, &c);
		else if (rec.type == DBV_PRED_ITEMS)
			rc = add_items(r, l, &rec.items, &c);
		dbv_pred_record_release(&rec);
		if (rc)
			return rc;
	}
	if (rc != DBV_END || (rc = dbv_reader_expect_end(r, program)))
		return rc;
	if (c.no_idx) {
		free(l->idx);
		l->idx = NULL;
	}
	return DBV_OK;
}

void dbv_pred_labels_release(struct dbv_pred_labels *l)
{
	free(l->labels);
	free(l->fingerprint);
	free(l->y);
	free(l->y_true);
	free(l->idx);
	memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

size_t dbv_fields_count(const struct dbv_field *f, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += f[i].data || f[i].strs;
	return k;
}

int dbv_fields_write(struct dbv_writer *w, const struct dbv_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i].data) {
			dbv_w_key(w, f[i].key);
			dbv_w_tensor_raw(w, f[i].dtype, f[i].ndim, f[i].shape, f[i].data);
		} else if (f[i].strs) {
			dbv_w_key(w, f[i].key);
			dbv_w_str_array(w, f[i].strs, f[i].nstrs);
		}
	}
	return dbv_writer_status(w);
}

int dbv_pred_write_header(struct dbv_writer *w, const dbv_val *input_meta,
			  const dbv_val *pipeline, int argc, char *const *argv,
			  const struct dbv_pred_header *h)
{
	size_t nm = 0;

	for (size_t i = 0; i < dbv_val_len(input_meta); i++)
		nm += !is_header_key(dbv_map_key(input_meta, i));
	dbv_writer_header_begin(w, "pred", pipeline, argc, argv, nm + H_NKEYS);
	for (size_t i = 0; i < dbv_val_len(input_meta); i++) {
		const dbv_val *k = dbv_map_key(input_meta, i);
		if (is_header_key(k))
			continue;
		dbv_w_val(w, k);
		dbv_w_val(w, dbv_map_value(input_meta, i));
	}
	for (int k = 0; k < H_NKEYS; k++) {
		dbv_w_key(w, header_keys[k]);
		switch (k) {
		case H_INPUT: dbv_w_str(w, h->planes ? "planes" : "dataset"); break;
		case H_MODEL: dbv_pred_model_write(w, &h->model); break;
		case H_TEMP: dbv_w_f64(w, h->temp); break;
		default: dbv_w_bool(w, h->logits); break;
		}
	}
	return dbv_writer_header_end(w);
}

/* The keys of a plane record copied into its pred record. */
static int is_copied(const dbv_val *k)
{
	return !dbv_val_is(k, "t") && !dbv_val_is(k, "seq") &&
	       !dbv_val_is(k, rec_keys[R_LABELS]) && !dbv_val_is(k, rec_keys[R_CONF]) &&
	       !dbv_val_is(k, rec_keys[R_LOGITS]);
}

int dbv_pred_write_plane(struct dbv_writer *w, const dbv_val *plane_rec,
			 int res, int classes, const uint8_t *labels8,
			 const int32_t *labels32, const float *conf,
			 const float *logits)
{
	const int small = classes <= DBV_PRED_U8_CLASSES;
	const struct dbv_field f[] = {
		{rec_keys[R_LABELS], small ? DBV_U8 : DBV_I32, 2, {res, res},
		 small ? (const void *)labels8 : (const void *)labels32, NULL, 0},
		{rec_keys[R_CONF], DBV_F32, 2, {res, res}, conf, NULL, 0},
		{rec_keys[R_LOGITS], DBV_F32, 3, {res, res, classes}, logits, NULL, 0},
	};
	size_t nc = 0;

	for (size_t i = 0; i < dbv_val_len(plane_rec); i++)
		nc += is_copied(dbv_map_key(plane_rec, i));
	dbv_writer_record_begin(w, "pred", nc + dbv_fields_count(f, COUNT(f)));
	for (size_t i = 0; i < dbv_val_len(plane_rec); i++) {
		const dbv_val *k = dbv_map_key(plane_rec, i);
		if (!is_copied(k))
			continue;
		dbv_w_val(w, k);
		dbv_w_val(w, dbv_map_value(plane_rec, i));
	}
	dbv_fields_write(w, f, COUNT(f));
	return dbv_writer_record_end(w);
}

int dbv_pred_write_items(struct dbv_writer *w, const struct dbv_pred_items *it,
			 int classes, const float *logits)
{
	const int64_t k = (int64_t)it->k;
	const struct dbv_field f[R_NKEYS] = {
		[R_LABELS] = {rec_keys[R_LABELS], DBV_I32, 1, {k}, it->labels, NULL, 0},
		[R_CONF] = {rec_keys[R_CONF], DBV_F32, 1, {k}, it->conf, NULL, 0},
		[R_LOGITS] = {rec_keys[R_LOGITS], DBV_F32, 2, {k, classes}, logits, NULL, 0},
		[R_Y] = {rec_keys[R_Y], DBV_I32, 1, {k}, it->y, NULL, 0},
		[R_Y_TRUE] = {rec_keys[R_Y_TRUE], DBV_I32, 1, {k}, it->y_true, NULL, 0},
		[R_IDX] = {rec_keys[R_IDX], DBV_I64, 1, {k}, it->idx, NULL, 0},
	};

	dbv_writer_record_begin(w, "pred", dbv_fields_count(f, R_NKEYS));
	dbv_fields_write(w, f, R_NKEYS);
	return dbv_writer_record_end(w);
}

int dbv_pred_write_accuracy(struct dbv_writer *w, const struct dbv_pred_accuracy *a)
{
	const int64_t count[] = {a->n, a->correct, a->correct_true};
	const double frac[] = {
		a->n ? (double)a->correct / (double)a->n : 0,
		a->n ? (double)a->correct_true / (double)a->n : 0,
	};

	dbv_writer_record_begin(w, "accuracy", A_NKEYS);
	for (int k = 0; k < A_NKEYS; k++) {
		dbv_w_key(w, acc_keys[k]);
		if (k < A_ACC)
			dbv_w_i64(w, count[k]);
		else
			dbv_w_f64(w, frac[k - A_ACC]);
	}
	return dbv_writer_record_end(w);
}

/* ------------------------------------------------------------------ */
/* Pictures of planes                                                  */
/* ------------------------------------------------------------------ */

void dbv_pred_model_labels(const struct dbv_pred_model *m, char *model,
			   size_t mcap, char *seed, size_t scap)
{
	model[0] = seed[0] = 0;
	if (m->arch && m->has_width)
		snprintf(model, mcap, "%.40s w=%lld", m->arch, (long long)m->width);
	else if (m->arch)
		snprintf(model, mcap, "%.40s", m->arch);
	if (m->has_seed)
		snprintf(seed, scap, "seed %lld", (long long)m->seed);
}

int dbv_pred_next_plane(struct dbv_reader *r, const struct dbv_pred_header *h,
			int64_t plane, struct dbv_pred_record *rec)
{
	int rc;
	dbv_pred_record_release(rec);
	while ((rc = dbv_pred_next(r, h, rec)) == DBV_OK) {
		if (rec->type == DBV_PRED_PLANE && (plane < 0 || rec->plane.plane == plane))
			return DBV_OK;
		dbv_pred_record_release(rec);
	}
	return rc;
}

int dbv_pred_no_plane(const char *name, int64_t plane)
{
	if (plane < 0)
		return dbv_seterr(DBV_EINPUT, "%s: no plane in the stream", name);
	return dbv_seterr(DBV_EUSAGE, "%s: no plane %lld in the stream", name,
			  (long long)plane);
}

int dbv_pred_find_plane(struct dbv_reader *r, const struct dbv_pred_header *h,
			int64_t plane, struct dbv_pred_record *rec)
{
	const char *name = strcmp(dbv_reader_name(r), "-") ? dbv_reader_name(r)
							    : "standard input";
	struct dbv_pred_record other;
	int rc = dbv_pred_next_plane(r, h, plane, rec);
	if (rc == DBV_END)
		return dbv_pred_no_plane(name, plane);
	while (!rc && (rc = dbv_pred_next(r, h, &other)) == DBV_OK) {
		if (plane < 0 && other.type == DBV_PRED_PLANE)
			rc = dbv_seterr(DBV_EUSAGE, "%s: the stream holds more than "
					"one plane: write one file per plane with "
					"-o DIR/, or choose one with --plane N", name);
		dbv_pred_record_release(&other);
	}
	return rc == DBV_END ? DBV_OK : rc;
}

const char *dbv_pred_plane_differs(const struct dbv_pred_header *ha,
				   const struct dbv_pred_plane *a,
				   const struct dbv_pred_header *hb,
				   const struct dbv_pred_plane *b)
{
	const char *what = dbv_plane_differs(&a->geom, &b->geom);
	if (what)
		return what;
	if (ha->classes != hb->classes || !ha->class_names != !hb->class_names)
		return "classes";
	for (int64_t k = 0; ha->class_names && k < ha->classes; k++)
		if (strcmp(ha->class_names[k], hb->class_names[k]))
			return "classes";
	return NULL;
}

int dbv_pred_same_plane(const char *na, const struct dbv_pred_header *ha,
			const struct dbv_pred_plane *a, const char *nb,
			const struct dbv_pred_header *hb,
			const struct dbv_pred_plane *b, int64_t plane)
{
	const char *what = dbv_pred_plane_differs(ha, a, hb, b);
	if (!what)
		return DBV_OK;
	if (!strcmp(what, "classes"))
		return dbv_seterr(DBV_EINPUT, "%s: its classes differ from those of "
				  "%s", nb, na);
	return dbv_seterr(DBV_EINPUT, "%s: plane %lld is not the plane of the "
			  "same number in %s (its %s differ): a montage shows one "
			  "plane across runs", nb, (long long)plane, na, what);
}

void dbv_pred_plane_plot(const struct dbv_pred_plane *p, int shade,
			 int thumbs, const char *model, const char *seed,
			 struct dbv_planeplot *pl)
{
	const struct dbv_tensor *a = &p->anchors;
	*pl = (struct dbv_planeplot){
		.res = p->geom.res, .labels = p->labels,
		.conf = shade ? p->conf : NULL, .model = model, .seed = seed,
		.plane = p->plane,
	};
	for (int k = 0; k < 3; k++)
		dbv_planeplot_place(p->geom.range, pl->res, p->geom.coords[k][0],
				    p->geom.coords[k][1], pl->at[k]);
	memcpy(pl->y, p->y, sizeof pl->y);
	memcpy(pl->y_true, p->y_true, sizeof pl->y_true);
	memcpy(pl->idx, p->idx, sizeof pl->idx);
	if (thumbs) {
		pl->c = (int)a->shape[1];
		pl->h = (int)a->shape[2];
		pl->w = (int)a->shape[3];
		pl->images = a->dtype == DBV_U8 ? a->data : NULL;
		pl->images_f32 = a->dtype == DBV_F32 ? a->data : NULL;
	}
}
