/*
 * table.c - the table stream kind: dbv-compare's figures as a stream
 * (dbv-stream(5), THE TABLE STREAM), and as TSV and JSON text
 * (dbv-compare(1)).
 *
 * Each record's tensors are listed once, in rec_fields(): the writer
 * writes (and counts) that list, the reader reads and checks it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kinds/table.h"
#include "base/json.h"

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* The header's meta, and the map of each of its streams. */
enum { M_INPUT, M_PLANES, M_RES, M_CLASSES, M_GROUPS, M_STREAMS, M_NKEYS };
static const char *const meta_keys[M_NKEYS] = {
	"input", "planes", "res", "classes", "groups", "streams",
};
enum { S_FILE, S_GROUP, S_DESC, S_MODEL, S_NKEYS };
static const char *const stream_keys[S_NKEYS] = {"file", "group", "desc", "model"};

/* The records, in the order they are written. */
enum { REC_ACC, REC_PAIRS, REC_GROUPS, REC_FRAG, REC_MARGINS, REC_SKIPS, REC_N };
static const char *const rec_types[REC_N] = {
	"accuracy", "pairs", "groups", "fragmentation", "margins", "skips",
};
/* Records over a data set (the others are over planes). */
#define REC_OVER_DATA(rec) ((rec) == REC_ACC || (rec) == REC_MARGINS || (rec) == REC_SKIPS)
/* Fields of a record at most. */
#define TF_MAX 24

/* One value of a record and where it lives in a table. */
struct tfield {
	const char *key;
	int names;              /* the group names (an array of G strings) */
	enum dbv_dtype dtype;   /* else a tensor: DBV_F64 or DBV_I64 */
	int64_t d0, d1;         /* of shape [d0] (d1 < 0) or [d0, d1] */
	int nan_ok;             /* NaN may mark a missing figure */
	void **data;
	int sidx;               /* the stream of each row of a margins or
				 * skips record (the rows' count n is its
				 * d0, read from its shape) */
};

/* The fields of record rec of t (shapes from t's S, G, P and pairs.n). */
static size_t rec_fields(struct dbv_table *t, int rec, struct tfield *f)
{
	const int64_t S = t->S, G = t->G, P = t->planes, n = t->pairs.n;
	size_t k = 0;
#define F(key, dt, d0, d1, nan, ptr) \
	f[k++] = (struct tfield){key, 0, dt, d0, d1, nan, (void **)&(ptr), 0}
#define R(key, dt, n, nan, ptr) \
	f[k++] = (struct tfield){key, 0, dt, n, -1, nan, (void **)&(ptr), 0}

	switch (rec) {
	case REC_ACC:
		F("acc", DBV_F64, S, -1, 0, t->acc.acc);
		F("acc_true", DBV_F64, S, -1, 0, t->acc.acc_true);
		F("churn", DBV_F64, S, S, 0, t->acc.churn);
		break;
	case REC_PAIRS:
		F("pair", DBV_I64, n, 2, 0, t->pairs.pair);
		F("agreement", DBV_F64, n, -1, 0, t->pairs.agreement);
		F("std", DBV_F64, n, -1, 0, t->pairs.std);
		F("ci95_lo", DBV_F64, n, -1, 1, t->pairs.ci95_lo);
		F("ci95_hi", DBV_F64, n, -1, 1, t->pairs.ci95_hi);
		F("iou", DBV_F64, n, -1, 0, t->pairs.iou);
		F("per_plane", DBV_F64, n, P, 0, t->pairs.per_plane);
		break;
	case REC_GROUPS:
		f[k++] = (struct tfield){"names", 1, DBV_F64, G, -1, 0, (void **)&t->groups, 0};
		F("agreement", DBV_F64, G, G, 1, t->grp.agreement);
		F("std", DBV_F64, G, G, 1, t->grp.std);
		F("ci95_lo", DBV_F64, G, G, 1, t->grp.ci95_lo);
		F("ci95_hi", DBV_F64, G, G, 1, t->grp.ci95_hi);
		F("iou", DBV_F64, G, G, 1, t->grp.iou);
		F("pairs", DBV_I64, G, G, 0, t->grp.pairs);
		break;
	case REC_FRAG:
		F("mean", DBV_F64, S, -1, 0, t->frag.mean);
		F("std", DBV_F64, S, -1, 0, t->frag.std);
		F("per_plane", DBV_F64, S, P, 0, t->frag.per_plane);
		break;
	case REC_MARGINS:
		R("stream", DBV_I64, t->mg.n, 0, t->mg.stream);
		f[k - 1].sidx = 1;
		R("idx", DBV_I64, t->mg.n, 0, t->mg.idx);
		R("y", DBV_I64, t->mg.n, 0, t->mg.y);
		R("y_true", DBV_I64, t->mg.n, 0, t->mg.y_true);
		R("label", DBV_I64, t->mg.n, 0, t->mg.label);
		R("hits", DBV_I64, t->mg.n, 0, t->mg.hits);
		R("margin", DBV_F64, t->mg.n, 1, t->mg.margin);
		F("mean", DBV_F64, S, 3, 1, t->mg.mean);
		F("std", DBV_F64, S, 3, 1, t->mg.std);
		F("ci95_lo", DBV_F64, S, 3, 1, t->mg.ci95_lo);
		F("ci95_hi", DBV_F64, S, 3, 1, t->mg.ci95_hi);
		F("points", DBV_I64, S, 3, 0, t->mg.points);
		F("range", DBV_F64, S, -1, 0, t->mg.range);
		F("step", DBV_F64, S, -1, 0, t->mg.step);
		F("tol", DBV_F64, S, -1, 0, t->mg.tol);
		F("ladder", DBV_I64, S, -1, 0, t->mg.ladder);
		F("directions", DBV_I64, S, -1, 0, t->mg.directions);
		F("min_hits", DBV_I64, S, -1, 0, t->mg.min_hits);
		F("passes", DBV_I64, S, -1, 0, t->mg.passes);
		break;
	default:
		R("stream", DBV_I64, t->sk.n, 0, t->sk.stream);
		f[k - 1].sidx = 1;
		R("a", DBV_I64, t->sk.n, 0, t->sk.a);
		R("b", DBV_I64, t->sk.n, 0, t->sk.b);
		R("class", DBV_I64, t->sk.n, 0, t->sk.cls);
		R("changes", DBV_I64, t->sk.n, 0, t->sk.changes);
		R("classes", DBV_I64, t->sk.n, 0, t->sk.classes);
		F("mean", DBV_F64, S, -1, 1, t->sk.mean);
		F("std", DBV_F64, S, -1, 1, t->sk.std);
		F("ci95_lo", DBV_F64, S, -1, 1, t->sk.ci95_lo);
		F("ci95_hi", DBV_F64, S, -1, 1, t->sk.ci95_hi);
		F("classes_mean", DBV_F64, S, -1, 1, t->sk.classes_mean);
		F("res", DBV_I64, S, -1, 0, t->sk.res);
		break;
	}
#undef F
#undef R
	return k;
}

static int *have_of(struct dbv_table *t, int rec)
{
	int *const have[REC_N] = {&t->have_acc, &t->have_pairs, &t->have_groups,
				  &t->have_frag, &t->have_margins, &t->have_skips};
	return have[rec];
}

void dbv_table_release(struct dbv_table *t)
{
	struct tfield f[TF_MAX];

	for (int i = 0; t->streams && i < t->S; i++) {
		free(t->streams[i].file);
		free(t->streams[i].group);
		free(t->streams[i].desc);
		dbv_pred_model_release(&t->streams[i].model);
	}
	free(t->streams);
	for (int g = 0; t->groups && g < t->G; g++)
		free(t->groups[g]);
	free(t->groups);
	t->groups = NULL;
	for (int rec = 0; rec < REC_N; rec++) {
		size_t n = rec_fields(t, rec, f);
		for (size_t k = 0; k < n; k++)
			if (!f[k].names) {
				free(*f[k].data);
				*f[k].data = NULL;
			}
	}
	memset(t, 0, sizeof *t);
}

/* The values of field f: d0 rows of d1 (or 1). */
static size_t field_numel(const struct tfield *f)
{
	return (size_t)f->d0 * (size_t)(f->d1 < 0 ? 1 : f->d1);
}

int dbv_table_alloc_record(struct dbv_table *t, const char *type)
{
	struct tfield f[TF_MAX];
	int rec = -1;

	for (int k = 0; k < REC_N; k++)
		if (!strcmp(type, rec_types[k]))
			rec = k;
	if (rec < 0)
		return dbv_seterr(DBV_EUSAGE, "no table record \"%s\"", type);
	const size_t n = rec_fields(t, rec, f);
	for (size_t k = 0; k < n; k++)
		if (!f[k].names && !(*f[k].data = dbv_calloc(field_numel(&f[k]) + 1, 8)))
			return DBV_EIO;
	return DBV_OK;
}

void dbv_table_concat_release(struct dbv_table *out)
{
	struct tfield f[TF_MAX];

	for (int rec = REC_MARGINS; rec <= REC_SKIPS; rec++) {
		size_t n = rec_fields(out, rec, f);
		for (size_t k = 0; k < n; k++)
			free(*f[k].data);
	}
	free(out->streams);
	memset(out, 0, sizeof *out);
}

int dbv_table_concat(const struct dbv_table *in, int n,
		     const char *const *names, struct dbv_table *out)
{
	struct tfield of[TF_MAX], inf[TF_MAX];
	int64_t S = 0;

	memset(out, 0, sizeof *out);
	for (int i = 0; i < n; i++) {
		const struct dbv_table *t = &in[i];
		if (t->planes_input || t->have_acc || t->have_pairs || t->have_groups ||
		    t->have_frag || !(t->have_margins || t->have_skips))
			return dbv_seterr(DBV_EUSAGE, "%s: not a table of margins or "
					  "class skips (dbv-margin)", names[i]);
		if (t->have_margins != in[0].have_margins ||
		    t->have_skips != in[0].have_skips)
			return dbv_seterr(DBV_EUSAGE, "%s: has %s but %s has %s", names[i],
					  t->have_margins ? t->have_skips ? "margins and skips"
						  : "margins only" : "skips only", names[0],
					  in[0].have_margins ? in[0].have_skips ?
						  "margins and skips" : "margins only"
						  : "skips only");
		if (t->classes != in[0].classes)
			return dbv_seterr(DBV_EUSAGE, "%s: %lld classes, but %s has %lld",
					  names[i], (long long)t->classes, names[0],
					  (long long)in[0].classes);
		S += t->S;
		out->mg.n += t->mg.n;
		out->sk.n += t->sk.n;
	}
	if (n < 1 || S > DBV_TABLE_MAX_STREAMS)
		return dbv_seterr(DBV_EUSAGE, "%lld streams: 1 to %d can go into a "
				  "table", (long long)S, DBV_TABLE_MAX_STREAMS);
	out->S = (int)S;
	out->classes = in[0].classes;
	out->have_margins = in[0].have_margins;
	out->have_skips = in[0].have_skips;
	if (!(out->streams = dbv_calloc((size_t)S, sizeof *out->streams)))
		return DBV_EIO;
	for (int i = 0, s = 0; i < n; s += in[i++].S)
		memcpy(out->streams + s, in[i].streams, (size_t)in[i].S * sizeof *out->streams);
	for (int rec = REC_MARGINS; rec <= REC_SKIPS; rec++) {
		if (!*have_of(out, rec))
			continue;
		const size_t nf = rec_fields(out, rec, of);
		for (size_t k = 0; k < nf; k++) {
			const size_t es = dbv_dtype_size(of[k].dtype);
			char *dst = dbv_malloc(field_numel(&of[k]) * es + 1);
			int64_t base = 0;
			if (!(*of[k].data = dst))
				return DBV_EIO;
			for (int i = 0; i < n; base += in[i++].S) {
				rec_fields((struct dbv_table *)&in[i], rec, inf);
				const size_t m = field_numel(&inf[k]);
				memcpy(dst, *inf[k].data, m * es);
				for (size_t q = 0; of[k].sidx && q < m; q++)
					((int64_t *)dst)[q] += base;
				dst += m * es;
			}
		}
	}
	return DBV_OK;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

static void write_stream(struct dbv_writer *w, const struct dbv_table_stream *s)
{
	dbv_w_map(w, S_NKEYS);
	for (int k = 0; k < S_NKEYS; k++) {
		const char *str = k == S_FILE ? s->file : k == S_GROUP ? s->group : s->desc;
		dbv_w_key(w, stream_keys[k]);
		if (k == S_MODEL)
			dbv_pred_model_write(w, &s->model);
		else if (str)
			dbv_w_str(w, str);
		else
			dbv_w_nil(w);
	}
}

static void write_header(struct dbv_writer *w, const struct dbv_table *t,
			 int argc, char *const *argv)
{
	dbv_writer_header_begin(w, "table", NULL, argc, argv, M_NKEYS);
	for (int k = 0; k < M_NKEYS; k++) {
		dbv_w_key(w, meta_keys[k]);
		switch (k) {
		case M_INPUT: dbv_w_str(w, t->planes_input ? "planes" : "dataset"); break;
		case M_PLANES: dbv_w_i64(w, t->planes); break;
		case M_RES: dbv_w_i64(w, t->res); break;
		case M_CLASSES: dbv_w_i64(w, t->classes); break;
		case M_GROUPS: dbv_w_str_array(w, t->groups, (size_t)t->G); break;
		default:
			dbv_w_array(w, (size_t)t->S);
			for (int i = 0; i < t->S; i++)
				write_stream(w, &t->streams[i]);
			break;
		}
	}
	dbv_writer_header_end(w);
}

int dbv_table_write(struct dbv_writer *w, const struct dbv_table *t, int argc,
		    char *const *argv)
{
	/* rec_fields takes the addresses of t's arrays; it changes nothing. */
	struct dbv_table *tt = (struct dbv_table *)t;
	struct tfield tf[TF_MAX];
	struct dbv_field f[TF_MAX];

	write_header(w, t, argc, argv);
	for (int rec = 0; rec < REC_N; rec++) {
		if (!*have_of(tt, rec))
			continue;
		size_t n = rec_fields(tt, rec, tf);
		for (size_t k = 0; k < n; k++) {
			f[k] = (struct dbv_field){tf[k].key, tf[k].dtype, tf[k].d1 < 0 ? 1 : 2,
						  {tf[k].d0, tf[k].d1 < 0 ? 0 : tf[k].d1},
						  NULL, NULL, 0};
			if (tf[k].names) {
				f[k].strs = t->groups;
				f[k].nstrs = (size_t)t->G;
			} else {
				f[k].data = *tf[k].data;
			}
		}
		dbv_writer_record_begin(w, rec_types[rec], dbv_fields_count(f, n));
		dbv_fields_write(w, f, n);
		dbv_writer_record_end(w);
	}
	return dbv_writer_status(w);
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

/* A string or nil (absent: nil) into a new string or NULL. */
static int str_or_nil(const dbv_val *v, char **out)
{
	*out = NULL;
	if (!v || dbv_val_type(v) == DBV_V_NIL)
		return DBV_OK;
	return dbv_val_strdup(v, out);
}

static int read_stream(struct dbv_reader *r, const dbv_val *s, int i,
		       struct dbv_table_stream *ts)
{
	int rc;

	if (dbv_val_type(s) != DBV_V_MAP ||
	    (rc = dbv_val_strdup(dbv_map_get(s, stream_keys[S_FILE]), &ts->file)))
		return dbv_reader_fail(r, DBV_EINPUT, "streams[%d] is not a map with "
				       "a \"file\"", i);
	if (str_or_nil(dbv_map_get(s, stream_keys[S_GROUP]), &ts->group) ||
	    str_or_nil(dbv_map_get(s, stream_keys[S_DESC]), &ts->desc))
		return dbv_reader_fail(r, DBV_EINPUT, "streams[%d]: \"group\" or "
				       "\"desc\" is not a string or nil", i);
	if ((rc = dbv_pred_model_decode(dbv_map_get(s, stream_keys[S_MODEL]), &ts->model)))
		return dbv_reader_fail(r, rc, "streams[%d]: %s", i, dbv_errmsg());
	return DBV_OK;
}

/* An array of n strings (n given, or taken when *n < 0) into *out. */
static int read_names(const dbv_val *v, int *n, char ***out)
{
	if (dbv_val_type(v) != DBV_V_ARRAY || dbv_val_len(v) > DBV_TABLE_MAX_STREAMS)
		return DBV_EINPUT;
	if (*n < 0)
		*n = (int)dbv_val_len(v);
	if (dbv_val_len(v) != (size_t)*n || !(*out = dbv_calloc((size_t)*n + 1, sizeof **out)))
		return DBV_EINPUT;
	for (int g = 0; g < *n; g++)
		if (dbv_val_strdup(dbv_array_at(v, (size_t)g), &(*out)[g]))
			return DBV_EINPUT;
	return DBV_OK;
}

int dbv_table_read_header(struct dbv_reader *r, struct dbv_table *t)
{
	const dbv_val *meta = dbv_reader_meta(r), *v;
	int rc, G = -1;

	v = dbv_map_get(meta, meta_keys[M_INPUT]);
	if (dbv_val_is(v, "planes"))
		t->planes_input = 1;
	else if (!dbv_val_is(v, "dataset"))
		return dbv_reader_fail(r, DBV_EINPUT, "the table's meta has no "
				       "\"input\" of \"planes\" or \"dataset\"");
	if (dbv_get_i64(meta, meta_keys[M_PLANES], &t->planes) ||
	    dbv_get_i64(meta, meta_keys[M_RES], &t->res) ||
	    (t->planes_input ? t->planes < 1 || t->planes > DBV_TABLE_MAX_PLANES ||
				       t->res < 2 || t->res > DBV_PRED_MAX_RES
			     : t->planes != 0 || t->res != 0))
		return dbv_reader_fail(r, DBV_EINPUT, "the table's meta has no valid "
				       "\"planes\" and \"res\" (over planes 1 to %d "
				       "planes of 2 to %d points a side; 0 and 0 "
				       "over a data set)", DBV_TABLE_MAX_PLANES,
				       DBV_PRED_MAX_RES);
	if (dbv_get_i64(meta, meta_keys[M_CLASSES], &t->classes) || t->classes < 1 ||
	    t->classes > DBV_PRED_MAX_CLASSES)
		return dbv_reader_fail(r, DBV_EINPUT, "the table's meta has no valid "
				       "\"classes\" (1 to %d)", DBV_PRED_MAX_CLASSES);
	v = dbv_map_get(meta, meta_keys[M_STREAMS]);
	if (dbv_val_type(v) != DBV_V_ARRAY || dbv_val_len(v) < 1 ||
	    dbv_val_len(v) > DBV_TABLE_MAX_STREAMS)
		return dbv_reader_fail(r, DBV_EINPUT, "the table's meta has no "
				       "\"streams\" (1 to %d)", DBV_TABLE_MAX_STREAMS);
	if (!(t->streams = dbv_calloc(dbv_val_len(v), sizeof *t->streams)))
		return dbv_reader_fail(r, DBV_EIO, "%s", dbv_errmsg());
	for (; t->S < (int)dbv_val_len(v); t->S++)
		if ((rc = read_stream(r, dbv_array_at(v, (size_t)t->S), t->S,
				      &t->streams[t->S]))) {
			t->S++;
			return rc;
		}
	rc = read_names(dbv_map_get(meta, meta_keys[M_GROUPS]), &G, &t->groups);
	t->G = G < 0 ? 0 : G;
	if (rc || t->G > t->S)
		return dbv_reader_fail(r, DBV_EINPUT, "the table's meta has no "
				       "\"groups\" array of at most %d names", t->S);
	return DBV_OK;
}

/* The f64 or i64 tensor of f into a new array, its shape and numbers
 * checked. */
static int read_tensor(struct dbv_reader *r, const dbv_val *rec,
		       const struct tfield *f)
{
	const int ndim = f->d1 < 0 ? 1 : 2;
	struct dbv_tensor t;
	int rc = dbv_get_tensor(rec, f->key, &t);
	size_t n;

	if (rc)
		return dbv_reader_fail(r, rc, "%s", dbv_errmsg());
	if (t.dtype != f->dtype || t.ndim != ndim || t.shape[0] != f->d0 ||
	    (ndim == 2 && t.shape[1] != f->d1)) {
		dbv_tensor_release(&t);
		if (ndim == 1)
			return dbv_reader_fail(r, DBV_EINPUT, "\"%s\" is not %s [%lld]",
					       f->key, dbv_dtype_name(f->dtype),
					       (long long)f->d0);
		return dbv_reader_fail(r, DBV_EINPUT, "\"%s\" is not %s [%lld,%lld]",
				       f->key, dbv_dtype_name(f->dtype),
				       (long long)f->d0, (long long)f->d1);
	}
	n = dbv_tensor_numel(&t);
	if (!(*f->data = dbv_malloc(t.nbytes ? t.nbytes : 1))) {
		dbv_tensor_release(&t);
		return dbv_reader_fail(r, DBV_EIO, "%s", dbv_errmsg());
	}
	memcpy(*f->data, t.data, t.nbytes);
	dbv_tensor_release(&t);
	for (size_t i = 0; f->dtype == DBV_F64 && i < n; i++) {
		const double x = ((const double *)*f->data)[i];
		if (!dbv_finite(x) && !(f->nan_ok && dbv_nan(x)))
			return dbv_reader_fail(r, DBV_ENONFINITE, "\"%s\" holds a "
					       "non-finite number", f->key);
	}
	for (size_t i = 0; f->dtype == DBV_I64 && i < n; i++)
		if (((const int64_t *)*f->data)[i] < 0)
			return dbv_reader_fail(r, DBV_EINPUT, "\"%s\" holds a "
					       "negative number", f->key);
	return DBV_OK;
}

/* "pair": the number of pairs, and each pair two distinct streams. */
static int read_pair(struct dbv_reader *r, const dbv_val *rec, struct dbv_table *t,
		     const struct tfield *f)
{
	struct tfield pf = *f;
	const dbv_val *v = dbv_map_get(rec, f->key);
	const dbv_val *shape = dbv_map_get(v, "shape");
	int64_t n = -1;
	int rc;

	/* n from the tensor's own shape, then checked as every field */
	dbv_val_i64(dbv_array_at(shape, 0), &n);
	if (n < 1 || n > (int64_t)t->S * t->S)
		return dbv_reader_fail(r, DBV_EINPUT, "\"pair\" is not i64 [n,2] "
				       "with 1 to S^2 pairs");
	pf.d0 = t->pairs.n = n;
	if ((rc = read_tensor(r, rec, &pf)))
		return rc;
	for (int64_t k = 0; k < n; k++) {
		const int64_t a = t->pairs.pair[2 * k], b = t->pairs.pair[2 * k + 1];
		if (a >= t->S || b >= t->S || a == b)
			return dbv_reader_fail(r, DBV_EINPUT, "pair %lld (%lld, %lld) is "
					       "not two of the %d streams", (long long)k,
					       (long long)a, (long long)b, t->S);
	}
	return DBV_OK;
}

/* The stream numbers of a margins or skips record: their number n of
 * rows from the tensor's own shape, each a stream of the table. */
static int read_rows(struct dbv_reader *r, const dbv_val *rec, struct dbv_table *t,
		     int rec_type, const struct tfield *f)
{
	struct tfield sf = *f;
	const dbv_val *shape = dbv_map_get(dbv_map_get(rec, f->key), "shape");
	int64_t n = -1, *rows;
	int rc;

	dbv_val_i64(dbv_array_at(shape, 0), &n);
	if (n < 0 || n > INT32_MAX)
		return dbv_reader_fail(r, DBV_EINPUT, "\"%s\" is not i64 [n] with "
				       "0 to %d rows", f->key, INT32_MAX);
	*(rec_type == REC_MARGINS ? &t->mg.n : &t->sk.n) = sf.d0 = n;
	if ((rc = read_tensor(r, rec, &sf)))
		return rc;
	rows = *sf.data;
	for (int64_t k = 0; k < n; k++)
		if (rows[k] >= t->S)
			return dbv_reader_fail(r, DBV_EINPUT, "\"%s\" row %lld names "
					       "stream %lld of %d", f->key, (long long)k,
					       (long long)rows[k], t->S);
	return DBV_OK;
}

/* The group names of the groups record: the header's. */
static int read_group_names(struct dbv_reader *r, const dbv_val *rec,
			    struct dbv_table *t, const struct tfield *f)
{
	char **names = NULL;
	int G = -1, rc = read_names(dbv_map_get(rec, f->key), &G, &names);

	for (int g = 0; !rc && g < t->G; g++)
		rc = strcmp(names[g], t->groups[g]) != 0;
	if (!rc && (G != t->G || G < 1))
		rc = DBV_EINPUT;
	for (int g = 0; names && g < G; g++)
		free(names[g]);
	free(names);
	return rc ? dbv_reader_fail(r, DBV_EINPUT, "\"%s\" are not the header's "
				    "\"groups\"", f->key) : DBV_OK;
}

static int read_record(struct dbv_reader *r, const dbv_val *rec, struct dbv_table *t)
{
	struct tfield f[TF_MAX];
	int rec_type = -1, rc;
	size_t n;

	for (int k = 0; k < REC_N; k++)
		if (dbv_record_is(rec, rec_types[k]))
			rec_type = k;
	if (rec_type < 0)
		return DBV_OK; /* another type: skipped */
	if ((*have_of(t, rec_type))++)
		return dbv_reader_fail(r, DBV_EINPUT, "a second \"%s\" record",
				       rec_types[rec_type]);
	if (REC_OVER_DATA(rec_type) == t->planes_input)
		return dbv_reader_fail(r, DBV_EINPUT, "a table over %s has no \"%s\" "
				       "record", t->planes_input ? "planes" : "a data set",
				       rec_types[rec_type]);
	n = rec_fields(t, rec_type, f);
	for (size_t k = 0; k < n; k++) {
		if (f[k].names)
			rc = read_group_names(r, rec, t, &f[k]);
		else if (rec_type == REC_PAIRS && k == 0)
			rc = read_pair(r, rec, t, &f[k]);
		else if (f[k].sidx)
			rc = read_rows(r, rec, t, rec_type, &f[k]);
		else
			rc = read_tensor(r, rec, &f[k]);
		if (rc)
			return rc;
		if ((rec_type == REC_PAIRS && k == 0) || f[k].sidx)
			n = rec_fields(t, rec_type, f); /* shapes of n rows */
	}
	return DBV_OK;
}

int dbv_table_read_body(struct dbv_reader *r, struct dbv_table *t)
{
	const dbv_val *rec;
	int rc;

	memset(t, 0, sizeof *t);
	if ((rc = dbv_table_read_header(r, t)))
		return rc;
	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK)
		if ((rc = read_record(r, rec, t)))
			return rc;
	return rc == DBV_END ? DBV_OK : rc;
}

int dbv_table_read(struct dbv_reader *r, struct dbv_table *t)
{
	int rc = dbv_reader_header(r, "table", NULL);
	if (rc) {
		memset(t, 0, sizeof *t);
		return rc;
	}
	return dbv_table_read_body(r, t);
}

/* ------------------------------------------------------------------ */
/* Text                                                                */
/* ------------------------------------------------------------------ */

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

/* The margins record as text: each stream's groups, its search, then
 * every point. */
static void tsv_margins(FILE *f, const struct dbv_table *t)
{
	static const char *const group[3] = {"mislabeled", "correct", "all"};
	const struct dbv_table_margins *m = &t->mg;

	if (!t->have_margins)
		return;
	fprintf(f, "\n# margins (mean distance to the first change of class "
		"over a point's directions)\nstream\tgroup\tpoints\tmean\tstd\t"
		"ci95_lo\tci95_hi\n");
	for (int i = 0; i < t->S; i++)
		for (int g = 0; g < 3; g++)
			fprintf(f, "%d\t%s\t%lld\t%.6f\t%.6f\t%.6f\t%.6f\n", i,
				group[g], (long long)m->points[3 * i + g],
				m->mean[3 * i + g], m->std[3 * i + g],
				m->ci95_lo[3 * i + g], m->ci95_hi[3 * i + g]);
	fprintf(f, "\n# margin search\nstream\trange\tstep\ttol\tladder\t"
		"directions\tmin_hits\tpasses\n");
	for (int i = 0; i < t->S; i++)
		fprintf(f, "%d\t%g\t%g\t%g\t%lld\t%lld\t%lld\t%lld\n", i,
			m->range[i], m->step[i], m->tol[i], (long long)m->ladder[i],
			(long long)m->directions[i], (long long)m->min_hits[i],
			(long long)m->passes[i]);
	fprintf(f, "\n# margins per point\nstream\tidx\ty\ty_true\tlabel\t"
		"hits\tmargin\n");
	for (int64_t k = 0; k < m->n; k++)
		fprintf(f, "%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%.9g\n",
			(long long)m->stream[k], (long long)m->idx[k],
			(long long)m->y[k], (long long)m->y_true[k],
			(long long)m->label[k], (long long)m->hits[k], m->margin[k]);
}

/* The skips record as text. */
static void tsv_skips(FILE *f, const struct dbv_table *t)
{
	const struct dbv_table_skips *s = &t->sk;

	if (!t->have_skips)
		return;
	fprintf(f, "\n# class skips (changes of class along a segment)\nstream\t"
		"res\tmean\tstd\tci95_lo\tci95_hi\tclasses_mean\n");
	for (int i = 0; i < t->S; i++)
		fprintf(f, "%d\t%lld\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\n", i,
			(long long)s->res[i], s->mean[i], s->std[i], s->ci95_lo[i],
			s->ci95_hi[i], s->classes_mean[i]);
	fprintf(f, "\n# class skips per pair\nstream\ta\tb\tclass\tchanges\t"
		"classes\n");
	for (int64_t k = 0; k < s->n; k++)
		fprintf(f, "%lld\t%lld\t%lld\t%lld\t%lld\t%lld\n",
			(long long)s->stream[k], (long long)s->a[k], (long long)s->b[k],
			(long long)s->cls[k], (long long)s->changes[k],
			(long long)s->classes[k]);
}

int dbv_table_write_tsv(FILE *f, const struct dbv_table *t)
{
	const int S = t->S, G = t->G;
	const struct dbv_table_pairs *p = &t->pairs;
	const struct dbv_table_groups *g = &t->grp;

	fprintf(f, "# streams\nstream\tfile\tgroup\tmodel\n");
	for (int i = 0; i < S; i++)
		fprintf(f, "%d\t%s\t%s\t%s\n", i, t->streams[i].file,
			or_dash(t->streams[i].group), or_dash(t->streams[i].desc));
	if (!t->planes_input && !t->have_acc) {
		tsv_margins(f, t);
		tsv_skips(f, t);
		return ferror(f) ? dbv_seterr(DBV_EIO, "write error") : DBV_OK;
	}
	if (!t->planes_input) {
		fprintf(f, "\n# accuracy over %lld items\nstream\tacc\tacc_true\n",
			(long long)t->items);
		for (int i = 0; i < S; i++)
			fprintf(f, "%d\t%.6f\t%.6f\n", i, t->acc.acc[i], t->acc.acc_true[i]);
		fprintf(f, "\n# churn (fraction of items labelled differently)\n");
		for (int j = 0; j < S; j++)
			fprintf(f, "\t%d", j);
		fputc('\n', f);
		for (int i = 0; i < S; i++) {
			fprintf(f, "%d", i);
			for (int j = 0; j < S; j++)
				fprintf(f, "\t%.6f", t->acc.churn[i * S + j]);
			fputc('\n', f);
		}
		tsv_margins(f, t);
		tsv_skips(f, t);
		return ferror(f) ? dbv_seterr(DBV_EIO, "write error") : DBV_OK;
	}
	fprintf(f, "\n# agreement over %lld planes of %lldx%lld points\n",
		(long long)t->planes, (long long)t->res, (long long)t->res);
	fprintf(f, "a\tb\tagreement\tstd\tci95_lo\tci95_hi\tiou\n");
	for (int64_t k = 0; t->have_pairs && k < p->n; k++)
		fprintf(f, "%d\t%d\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\n", (int)p->pair[2 * k],
			(int)p->pair[2 * k + 1], p->agreement[k], p->std[k], p->ci95_lo[k],
			p->ci95_hi[k], p->iou[k]);
	if (t->have_groups) {
		fprintf(f, "\n# group agreement (mean over planes of the mean over model pairs)\ngroup");
		for (int j = 0; j < G; j++)
			fprintf(f, "\t%s", t->groups[j]);
		fputc('\n', f);
		for (int i = 0; i < G; i++) {
			fprintf(f, "%s", t->groups[i]);
			for (int j = 0; j < G; j++)
				fprintf(f, "\t%.6f", g->agreement[i * G + j]);
			fputc('\n', f);
		}
		fprintf(f, "\n# group agreement with 95%% intervals\ngroup_a\tgroup_b\tpairs\tagreement\tstd\tci95_lo\tci95_hi\tiou\n");
		for (int i = 0; i < G; i++)
			for (int j = i; j < G; j++) {
				size_t e = (size_t)i * G + j;
				fprintf(f, "%s\t%s\t%lld\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\n", t->groups[i],
					t->groups[j], (long long)g->pairs[e], g->agreement[e], g->std[e],
					g->ci95_lo[e], g->ci95_hi[e], g->iou[e]);
			}
	}
	if (t->have_frag) {
		fprintf(f, "\n# fragmentation (8-connected regions per plane)\nstream\tmean\tstd\n");
		for (int i = 0; i < S; i++)
			fprintf(f, "%d\t%.4f\t%.4f\n", i, t->frag.mean[i], t->frag.std[i]);
	}
	return ferror(f) ? dbv_seterr(DBV_EIO, "write error") : DBV_OK;
}

int dbv_table_write_text(int fd, const struct dbv_table *t, int json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f)
		return dbv_seterr(DBV_EIO, "out of memory");
	rc = json ? dbv_table_write_json(f, t) : dbv_table_write_tsv(f, t);
	if (fclose(f) && !rc)
		rc = dbv_seterr(DBV_EIO, "out of memory");
	if (!rc)
		rc = dbv_write_all(fd, text, len);
	free(text);
	return rc;
}

/* An [n, m] array as n JSON arrays of m. */
static void json_rows(struct dbv_json *j, const double *v, size_t n, size_t m)
{
	dbv_json_arr(j);
	for (size_t i = 0; i < n; i++)
		dbv_json_doubles(j, v + i * m, m);
	dbv_json_arr_end(j);
}

int dbv_table_write_json(FILE *f, const struct dbv_table *t)
{
	const int S = t->S, G = t->G;
	const size_t P = (size_t)t->planes;
	const struct dbv_table_pairs *p = &t->pairs;
	struct dbv_json j;

	dbv_json_init(&j, f);
	dbv_json_obj(&j);
	dbv_json_key(&j, "input");
	dbv_json_str(&j, t->planes_input ? "planes" : "dataset");
	dbv_json_key(&j, "streams");
	dbv_json_arr(&j);
	for (int i = 0; i < S; i++) {
		dbv_json_obj(&j);
		dbv_json_key(&j, "file");
		dbv_json_str(&j, t->streams[i].file);
		dbv_json_key(&j, "group");
		dbv_json_str(&j, t->streams[i].group);
		dbv_json_key(&j, "model");
		dbv_json_str(&j, t->streams[i].desc);
		dbv_json_obj_end(&j);
	}
	dbv_json_arr_end(&j);
	if (!t->planes_input && t->have_acc) {
		dbv_json_key(&j, "items");
		dbv_json_i64(&j, t->items);
		dbv_json_key(&j, "acc");
		dbv_json_doubles(&j, t->acc.acc, (size_t)S);
		dbv_json_key(&j, "acc_true");
		dbv_json_doubles(&j, t->acc.acc_true, (size_t)S);
		dbv_json_key(&j, "churn");
		json_rows(&j, t->acc.churn, (size_t)S, (size_t)S);
	}
	if (!t->planes_input) {
		dbv_json_obj_end(&j);
		fputc('\n', f);
		return ferror(f) ? dbv_seterr(DBV_EIO, "write error") : DBV_OK;
	}
	dbv_json_key(&j, "planes");
	dbv_json_i64(&j, t->planes);
	dbv_json_key(&j, "res");
	dbv_json_i64(&j, t->res);
	dbv_json_key(&j, "pairs");
	dbv_json_arr(&j);
	for (int64_t k = 0; t->have_pairs && k < p->n; k++) {
		dbv_json_obj(&j);
		dbv_json_key(&j, "a");
		dbv_json_i64(&j, p->pair[2 * k]);
		dbv_json_key(&j, "b");
		dbv_json_i64(&j, p->pair[2 * k + 1]);
		dbv_json_key(&j, "agreement");
		dbv_json_double(&j, p->agreement[k]);
		dbv_json_key(&j, "std");
		dbv_json_double(&j, p->std[k]);
		dbv_json_key(&j, "ci95");
		dbv_json_arr(&j);
		dbv_json_double(&j, p->ci95_lo[k]);
		dbv_json_double(&j, p->ci95_hi[k]);
		dbv_json_arr_end(&j);
		dbv_json_key(&j, "iou");
		dbv_json_double(&j, p->iou[k]);
		dbv_json_key(&j, "per_plane");
		dbv_json_doubles(&j, p->per_plane + (size_t)k * P, P);
		dbv_json_obj_end(&j);
	}
	dbv_json_arr_end(&j);
	if (t->have_groups) {
		const struct {
			const char *k;
			const double *v;
		} mats[] = {{"agreement", t->grp.agreement}, {"std", t->grp.std},
			    {"ci95_lo", t->grp.ci95_lo}, {"ci95_hi", t->grp.ci95_hi},
			    {"iou", t->grp.iou}};
		dbv_json_key(&j, "groups");
		dbv_json_obj(&j);
		dbv_json_key(&j, "names");
		dbv_json_arr(&j);
		for (int i = 0; i < G; i++)
			dbv_json_str(&j, t->groups[i]);
		dbv_json_arr_end(&j);
		for (size_t m = 0; m < COUNT(mats); m++) {
			dbv_json_key(&j, mats[m].k);
			json_rows(&j, mats[m].v, (size_t)G, (size_t)G);
		}
		dbv_json_obj_end(&j);
	}
	if (t->have_frag) {
		dbv_json_key(&j, "fragmentation");
		dbv_json_obj(&j);
		dbv_json_key(&j, "mean");
		dbv_json_doubles(&j, t->frag.mean, (size_t)S);
		dbv_json_key(&j, "std");
		dbv_json_doubles(&j, t->frag.std, (size_t)S);
		dbv_json_key(&j, "per_plane");
		json_rows(&j, t->frag.per_plane, (size_t)S, P);
		dbv_json_obj_end(&j);
	}
	dbv_json_obj_end(&j);
	fputc('\n', f);
	return ferror(f) ? dbv_seterr(DBV_EIO, "write error") : DBV_OK;
}

/* ------------------------------------------------------------------ */
/* Charts of a table                                                   */
/* ------------------------------------------------------------------ */

void dbv_table_stream_labels(const struct dbv_table *t, char **label)
{
	int files = 0;
	for (int i = 0; i < t->S; i++) {
		const struct dbv_table_stream *s = &t->streams[i];
		label[i] = s->model.present && s->desc ? s->desc : NULL;
		for (int j = 0; j < i && label[i]; j++)
			files |= label[j] && !strcmp(label[i], label[j]);
		files |= !label[i];
	}
	for (int i = 0; i < t->S && files; i++)
		label[i] = t->streams[i].file;
}

void dbv_table_matrix_release(struct dbv_table_matrix *m)
{
	free(m->v);
	free(m->labels);
	memset(m, 0, sizeof *m);
}

int dbv_table_matrix(const struct dbv_table *t, int iou, const char *name,
		     struct dbv_table_matrix *m)
{
	const int n = t->have_groups ? t->G : t->S;
	const size_t nn = (size_t)n * (size_t)n;
	double *v;

	memset(m, 0, sizeof *m);
	if (!t->have_groups && !t->have_pairs && !(!t->planes_input && t->have_acc))
		return dbv_seterr(DBV_EUSAGE, "%s: the table has no \"%s\" or \"%s\" "
				  "record to draw as a heat map (dbv-compare writes "
				  "them for two or more streams)%s", name,
				  rec_types[REC_GROUPS], rec_types[REC_PAIRS],
				  t->have_frag || t->have_acc
					  ? "; --chart line draws its other figures" : "");
	if (!t->have_groups && !t->planes_input && iou)
		return dbv_seterr(DBV_EUSAGE, "%s: --value iou: a table of "
				  "predictions over a data set has no IoU (it is a "
				  "figure of planes)", name);
	if (!(m->v = v = dbv_malloc(nn * sizeof *v)) ||
	    !(m->labels = dbv_calloc((size_t)n, sizeof *m->labels)))
		return DBV_EIO;
	m->n = n;
	m->title = iou ? "reproducibility (class IoU)" : "reproducibility (agreement)";
	m->bar_label = iou ? "class IoU" : "agreement";
	if (t->have_groups) {
		/* The group matrix. */
		memcpy(v, iou ? t->grp.iou : t->grp.agreement, nn * sizeof *v);
		memcpy(m->labels, t->groups, (size_t)n * sizeof *m->labels);
		snprintf(m->note, sizeof m->note, "%d streams in %d groups; %lld "
			 "plane%s of %lldx%lld points", t->S, n, (long long)t->planes,
			 t->planes == 1 ? "" : "s", (long long)t->res,
			 (long long)t->res);
		return DBV_OK;
	}
	/* Stream x stream: the pairs (both halves), or the agreement 1 -
	 * churn of predictions over a data set. */
	for (size_t i = 0; i < nn; i++)
		v[i] = t->have_pairs || i / n == i % n ? NAN : 1 - t->acc.churn[i];
	for (int64_t k = 0; t->have_pairs && k < t->pairs.n; k++) {
		const int64_t a = t->pairs.pair[2 * k], b = t->pairs.pair[2 * k + 1];
		v[a * n + b] = v[b * n + a] = iou ? t->pairs.iou[k] : t->pairs.agreement[k];
	}
	if (t->have_pairs)
		snprintf(m->note, sizeof m->note, "%d streams; %lld plane%s of "
			 "%lldx%lld points", n, (long long)t->planes,
			 t->planes == 1 ? "" : "s", (long long)t->res,
			 (long long)t->res);
	else
		snprintf(m->note, sizeof m->note, "%d streams; the share of the data "
			 "set's items labelled alike", n);
	dbv_table_stream_labels(t, m->labels);
	m->blank_diagonal = 1;
	return DBV_OK;
}

/* The figures of a line chart: --y's name, the y axis label, the
 * title's word. */
static const struct {
	const char *name, *label, *word;
} figures[] = {
	[DBV_CURVE_FRAG] = {"fragmentation", "fragmentation (regions per plane)",
			    "fragmentation"},
	[DBV_CURVE_ERROR] = {"error", "error (vs true labels)", "error"},
	[DBV_CURVE_ACC] = {"acc", "accuracy (vs labels y)", "accuracy"},
	[DBV_CURVE_ACC_TRUE] = {"acc_true", "accuracy (vs true labels)", "accuracy"},
	[DBV_CURVE_AGREEMENT] = {"agreement", "agreement", "reproducibility"},
	[DBV_CURVE_MARGIN] = {"margin", "margin (all points)", "margin"},
	[DBV_CURVE_MARGIN_CORRECT] = {"margin_correct",
				      "margin (correctly labelled points)", "margin"},
	[DBV_CURVE_MARGIN_MISLABELED] = {"margin_mislabeled",
					 "margin (mislabeled points)", "margin"},
	[DBV_CURVE_SKIPS] = {"skips", "class skips a segment", "class skips"},
	[DBV_CURVE_ERROR_Y] = {"error_y", "error (vs labels y)", "error"},
};

int dbv_table_figure(const char *name)
{
	for (int k = DBV_CURVE_FRAG; k < (int)COUNT(figures); k++)
		if (!strcmp(name, figures[k].name))
			return k;
	return 0;
}

/* The record figure fig needs: a usage error when t lacks it. */
static int curve_needs(const struct dbv_table *t, enum dbv_curve_fig fig,
		       const char *name)
{
	if (fig == DBV_CURVE_FRAG && !t->have_frag)
		return dbv_seterr(DBV_EUSAGE, "%s: --y fragmentation: the table has "
				  "no \"%s\" record (dbv-compare --fragmentation "
				  "writes it)", name, rec_types[REC_FRAG]);
	if ((fig == DBV_CURVE_ERROR || fig == DBV_CURVE_ACC ||
	     fig == DBV_CURVE_ACC_TRUE || fig == DBV_CURVE_ERROR_Y) && !t->have_acc)
		return dbv_seterr(DBV_EUSAGE, "%s: --y %s: the table has no \"%s\" "
				  "record (dbv-compare writes it for predictions "
				  "over a data set, not over planes)", name,
				  figures[fig].name, rec_types[REC_ACC]);
	if ((fig == DBV_CURVE_MARGIN || fig == DBV_CURVE_MARGIN_CORRECT ||
	     fig == DBV_CURVE_MARGIN_MISLABELED) && !t->have_margins)
		return dbv_seterr(DBV_EUSAGE, "%s: --y %s: the table has no \"%s\" "
				  "record (dbv-margin writes it)", name,
				  figures[fig].name, rec_types[REC_MARGINS]);
	if (fig == DBV_CURVE_SKIPS && !t->have_skips)
		return dbv_seterr(DBV_EUSAGE, "%s: --y skips: the table has no "
				  "\"%s\" record (dbv-margin --skips writes it)",
				  name, rec_types[REC_SKIPS]);
	if (fig == DBV_CURVE_AGREEMENT &&
	    !(t->planes_input ? t->have_pairs : t->have_acc))
		return dbv_seterr(DBV_EUSAGE, "%s: --y agreement: the table has no "
				  "\"%s\" record", name,
				  rec_types[t->planes_input ? REC_PAIRS : REC_ACC]);
	return DBV_OK;
}

/* model[key] of stream i: its entry, or a usage error naming the keys of
 * the first model map ("arch, width, ..."). */
static int model_get(const struct dbv_table *t, int i, const char *key,
		     const char *opt, const struct dbv_pred_kv **e)
{
	char keys[400] = "";
	size_t len = 0;

	if (!t->streams[i].model.present)
		return dbv_seterr(DBV_EUSAGE, "%s %s: stream %d (%s) has no model "
				  "meta", opt, key, i, t->streams[i].file);
	*e = dbv_pred_model_get(&t->streams[i].model, key);
	if (*e && (*e)->type != DBV_KV_NIL)
		return DBV_OK;
	for (int j = 0; j < t->S; j++) {
		const struct dbv_pred_model *m = &t->streams[j].model;
		for (size_t k = 0; m->present && k < m->n && len + 1 < sizeof keys; k++)
			len += (size_t)snprintf(keys + len, sizeof keys - len, "%s%s",
						len ? ", " : "", m->kv[k].key);
		if (m->present)
			break;
	}
	return dbv_seterr(DBV_EUSAGE, "%s %s: the model of stream %d (%s) has "
			  "no such key (its keys: %s)", opt, key, i,
			  t->streams[i].file, keys);
}

/* The x of stream i, and its by value: a number, or a string (a boolean
 * as a string). */
static int curve_key(const struct dbv_table *t, int i, const char *xkey,
		     const char *by, int logx, double *x, struct dbv_chart_key *b)
{
	const struct dbv_pred_kv *e;
	int rc = model_get(t, i, xkey, "--x", &e);
	if (rc)
		return rc;
	if (dbv_pred_kv_number(e, x) || !isfinite(*x))
		return dbv_seterr(DBV_EUSAGE, "--x %s: the value in stream %d (%s) "
				  "is not a number: --x wants a numeric key such as "
				  "width (--by takes any)", xkey, i, t->streams[i].file);
	if (logx && !(*x > 0))
		return dbv_seterr(DBV_EUSAGE, "--logx: %s %g of stream %d (%s) is "
				  "not positive", xkey, *x, i, t->streams[i].file);
	if (!by || (rc = model_get(t, i, by, "--by", &e)))
		return rc;
	if (!dbv_pred_kv_number(e, &b->d) && isfinite(b->d)) {
		b->num = 1;
		snprintf(b->s, sizeof b->s, "%g", b->d);
	} else if (e->type == DBV_KV_STR) {
		snprintf(b->s, sizeof b->s, "%.63s", e->s);
	} else if (e->type == DBV_KV_BOOL) {
		snprintf(b->s, sizeof b->s, "%s", e->i ? "true" : "false");
	} else {
		return dbv_seterr(DBV_EUSAGE, "--by %s: the value in stream %d (%s) "
				  "is not a number, string or boolean", by, i,
				  t->streams[i].file);
	}
	return DBV_OK;
}

/* The note of c: what a point and a bar are. */
static void curve_note(const struct dbv_table *t, enum dbv_curve_fig fig,
		       struct dbv_table_curve *c)
{
	const struct dbv_curve_stats *st = &c->st;
	char of[64];

	if (st->minns == st->maxns)
		snprintf(of, sizeof of, "%d", st->maxns);
	else
		snprintf(of, sizeof of, "%d to %d", st->minns, st->maxns);
	if (fig == DBV_CURVE_AGREEMENT)
		snprintf(c->note, sizeof c->note, "mean over the pairs of a point's "
			 "%s streams%s%s", of, t->planes_input ? " and over planes" : "",
			 !st->bars ? "" : t->planes_input ? "; bars: 1 std over planes"
							  : "; bars: 1 std over pairs");
	else
		snprintf(c->note, sizeof c->note, "mean of %s stream%s a point%s%s", of,
			 st->maxns == 1 ? "" : "s",
			 fig == DBV_CURVE_FRAG ? ", over planes" : "",
			 !st->bars ? "" : fig == DBV_CURVE_FRAG ? "; bars: 1 std over planes"
								: "; bars: 1 std over streams");
}

void dbv_table_curve_release(struct dbv_table_curve *c)
{
	dbv_chart_points_release(&c->pts);
	free(c->x);
	free(c->key);
	free(c->y);
	memset(c, 0, sizeof *c);
}

int dbv_table_curve(const struct dbv_table *t, enum dbv_curve_fig fig,
		    const char *x, const char *by, int logx, const char *name,
		    struct dbv_table_curve *c)
{
	const size_t S = (size_t)t->S;
	const struct dbv_curve_data d = {
		.S = t->S, .planes = t->planes_input, .P = (size_t)t->planes,
		.frag = t->frag.per_plane, .pair = t->pairs.pair,
		.npairs = (size_t)t->pairs.n, .agree = t->pairs.per_plane,
		.acc = t->acc.acc, .acc_true = t->acc.acc_true, .churn = t->acc.churn,
		.margin = t->mg.mean, .skips = t->sk.mean,
	};
	int rc;

	memset(c, 0, sizeof *c);
	c->x = dbv_malloc(S * sizeof *c->x);
	c->key = dbv_calloc(S, sizeof *c->key);
	c->y = dbv_malloc(S * 2 * sizeof *c->y);
	if ((rc = curve_needs(t, fig, name)))
		return rc;
	if (!c->x || !c->key || !c->y)
		return DBV_EIO;
	c->err = c->y + S;
	for (int i = 0; i < t->S && !rc; i++)
		rc = curve_key(t, i, x, by, logx, &c->x[i], &c->key[i]);
	/* A line per by value, a point per x of it. */
	if (rc || (rc = dbv_chart_points(t->S, c->x, c->key, &c->pts)) ||
	    (rc = dbv_curve_values(&d, fig, c->pts.npoints, c->pts.start,
				   c->pts.items, c->y, c->err, &c->st)))
		return rc;
	if (!c->st.valued && fig != DBV_CURVE_AGREEMENT)
		return dbv_seterr(DBV_EUSAGE, "%s: --y %s: no stream has a value "
				  "(no point of the group has a margin)", name,
				  figures[fig].name);
	if (!c->st.valued)
		return dbv_seterr(DBV_EUSAGE, "%s: --y agreement: no two streams share "
				  "%s%s%s, so no pair to compare (agreement is "
				  "between streams of one setting, such as seeds)",
				  name, x, by ? " and " : "", by ? by : "");
	curve_note(t, fig, c);
	snprintf(c->xlabel, sizeof c->xlabel, "%s%s", x, logx ? " (log scale)" : "");
	snprintf(c->title, sizeof c->title, "%s vs %s%s%s", figures[fig].word, x,
		 by ? ", by " : "", by ? by : "");
	c->ylabel = figures[fig].label;
	return DBV_OK;
}
