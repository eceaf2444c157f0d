/*
 * planes.c - the planes stream kind: header meta and plane records
 * (dbv-stream(5), THE PLANES STREAM), and the "same plane" fingerprint.
 *
 * The keys of the kind are spelled here only, in the tables below; the
 * writers loop over a table, so a record's key count is its table's size.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kinds/planes.h"

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* Header meta after the data set's keys, in the order written.  The grid
 * points as a data set (dbv-plane --expand, dbv-stream(5), "Grid points
 * as a data set") have the last two too. */
enum meta_key {
	P_RES, P_RANGE_L, P_RANGE_R, P_TRIPLET_SEED, P_MODE, P_ANCHOR_NOISE,
	P_ANCHOR_NOISE_SEED, P_MISLABELED, P_TRIPLET_CLASSES, P_PLANES,
	P_N, P_EXPANDED_FROM,
};
#define N_PLANES_META P_N /* the keys of a planes header */
static const char *const meta_keys[] = {
	[P_RES] = "res", [P_RANGE_L] = "range_l", [P_RANGE_R] = "range_r",
	[P_TRIPLET_SEED] = "triplet_seed", [P_MODE] = "mode",
	[P_ANCHOR_NOISE] = "anchor_noise",
	[P_ANCHOR_NOISE_SEED] = "anchor_noise_seed",
	[P_MISLABELED] = "mislabeled", [P_TRIPLET_CLASSES] = "triplet_classes",
	[P_PLANES] = "planes", [P_N] = "n", [P_EXPANDED_FROM] = "expanded_from",
};

/* The plane record, in the order written. */
enum rec_key {
	R_PLANE, R_ORIGIN, R_U, R_V, R_ANCHORS, R_IDX, R_Y, R_Y_TRUE, R_COORDS,
	R_RES, R_RANGE,
};
static const char *const rec_keys[] = {
	[R_PLANE] = "plane", [R_ORIGIN] = "origin", [R_U] = "u", [R_V] = "v",
	[R_ANCHORS] = "anchors", [R_IDX] = "idx", [R_Y] = "y",
	[R_Y_TRUE] = "y_true", [R_COORDS] = "coords", [R_RES] = "res",
	[R_RANGE] = "range",
};
static const char plane_type[] = "plane";

int dbv_planes_is_plane(const dbv_val *rec)
{
	return dbv_record_is(rec, plane_type);
}

static const char *const noise_names[] = {
	[DBV_ANCHOR_IMAGES] = "none", [DBV_ANCHOR_UNIFORM] = "uniform",
	[DBV_ANCHOR_SHUFFLE] = "shuffle",
};
static const char *const mode_names[] = {
	[DBV_PLANES_IDS] = "ids", [DBV_PLANES_RANDOM] = "random",
	[DBV_PLANES_SAME_CLASS] = "same-class",
};

const char *dbv_anchor_noise_name(enum dbv_anchor_noise n)
{
	return noise_names[n];
}

const char *dbv_planes_mode_name(enum dbv_planes_mode m)
{
	return mode_names[m];
}

/* The index of the name that the string value v (or, when from_value is
 * 0, the C string s) holds; -1 for none, a missing value among them. */
static int name_index(const char *const *names, size_t n, const dbv_val *v,
		      const char *s, int from_value)
{
	for (size_t i = 0; i < n; i++)
		if (from_value ? dbv_val_is(v, names[i]) : s && !strcmp(s, names[i]))
			return (int)i;
	return -1;
}

int dbv_anchor_noise_from_name(const char *s)
{
	return name_index(noise_names, COUNT(noise_names), NULL, s, 0);
}

/* ---- writing ---- */

static void write_meta_value(struct dbv_writer *w, enum meta_key k,
			     const struct dbv_planes_meta *m)
{
	switch (k) {
	case P_RES: dbv_w_i64(w, m->res); break;
	case P_RANGE_L: dbv_w_f64(w, m->range_l); break;
	case P_RANGE_R: dbv_w_f64(w, m->range_r); break;
	case P_TRIPLET_SEED:
		m->mode != DBV_PLANES_IDS ? dbv_w_u64(w, m->triplet_seed)
					  : dbv_w_nil(w);
		break;
	case P_MODE: dbv_w_str(w, mode_names[m->mode]); break;
	case P_ANCHOR_NOISE: dbv_w_str(w, noise_names[m->noise]); break;
	case P_ANCHOR_NOISE_SEED:
		m->noise != DBV_ANCHOR_IMAGES ? dbv_w_u64(w, m->noise_seed)
					      : dbv_w_nil(w);
		break;
	case P_MISLABELED:
		m->mislabeled >= 0 ? dbv_w_i64(w, m->mislabeled) : dbv_w_nil(w);
		break;
	case P_TRIPLET_CLASSES:
		m->classes ? dbv_w_i64_array(w, m->classes, m->nclasses)
			   : dbv_w_nil(w);
		break;
	case P_PLANES: dbv_w_u64(w, m->planes); break;
	case P_N: dbv_w_i64(w, (int64_t)m->planes * m->res * m->res); break;
	case P_EXPANDED_FROM: dbv_w_str(w, "planes"); break;
	}
}

/* Whether key is one of the first n meta keys (written by this kind). */
static int own_key(const dbv_val *key, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (dbv_val_is(key, meta_keys[i]))
			return 1;
	return 0;
}

int dbv_planes_write_header(struct dbv_writer *w,
			    const struct dbv_reader *in,
			    const struct dbv_planes_meta *m, int expanded,
			    int argc, char *const *argv)
{
	const dbv_val *meta = dbv_reader_meta(in);
	const size_t nkeys = expanded ? COUNT(meta_keys) : N_PLANES_META;
	size_t ncopy = 0;

	for (size_t i = 0; i < dbv_val_len(meta); i++)
		ncopy += !own_key(dbv_map_key(meta, i), nkeys);
	dbv_writer_header_begin(w, expanded ? "dataset" : "planes",
				dbv_reader_pipeline(in), argc, argv,
				ncopy + nkeys);
	for (size_t i = 0; i < dbv_val_len(meta); i++) {
		if (own_key(dbv_map_key(meta, i), nkeys))
			continue;
		dbv_w_val(w, dbv_map_key(meta, i));
		dbv_w_val(w, dbv_map_value(meta, i));
	}
	for (size_t k = 0; k < nkeys; k++) {
		dbv_w_key(w, meta_keys[k]);
		write_meta_value(w, (enum meta_key)k, m);
	}
	return dbv_writer_header_end(w);
}

int dbv_planes_write_plane(struct dbv_writer *w, uint64_t plane,
			   const struct dbv_plane *pl,
			   const struct dbv_anchors *a,
			   const struct dbv_dataset *d)
{
	const int64_t item[3] = {d->c, d->h, d->w};
	const int64_t three[4] = {3, d->c, d->h, d->w}, cs[2] = {3, 2}, rs[1] = {4};

	dbv_writer_record_begin(w, plane_type, COUNT(rec_keys));
	for (size_t k = 0; k < COUNT(rec_keys); k++) {
		dbv_w_key(w, rec_keys[k]);
		switch ((enum rec_key)k) {
		case R_PLANE: dbv_w_u64(w, plane); break;
		case R_ORIGIN: dbv_w_tensor_raw(w, DBV_F32, 3, item, pl->origin); break;
		case R_U: dbv_w_tensor_raw(w, DBV_F32, 3, item, pl->u); break;
		case R_V: dbv_w_tensor_raw(w, DBV_F32, 3, item, pl->v); break;
		case R_ANCHORS: dbv_w_tensor_raw(w, a->dtype, 4, three, a->px); break;
		case R_IDX: dbv_w_tensor_raw(w, DBV_I64, 1, three, a->idx); break;
		case R_Y: dbv_w_tensor_raw(w, DBV_I32, 1, three, a->y); break;
		case R_Y_TRUE: dbv_w_tensor_raw(w, DBV_I32, 1, three, a->y_true); break;
		case R_COORDS: dbv_w_tensor_raw(w, DBV_F64, 2, cs, pl->coords); break;
		case R_RES: dbv_w_i64(w, pl->res); break;
		case R_RANGE: dbv_w_tensor_raw(w, DBV_F64, 1, rs, pl->range); break;
		}
	}
	return dbv_writer_record_end(w);
}

int dbv_planes_points_init(struct dbv_dataset *pts,
			   const struct dbv_dataset *d)
{
	const size_t item = (size_t)(d->c * d->h * d->w);
	size_t per = DBV_DATASET_BATCH_BYTES / (item * sizeof(float));

	if (per == 0)
		per = 1;
	memset(pts, 0, sizeof *pts);
	pts->n = (int64_t)per;
	pts->c = d->c;
	pts->h = d->h;
	pts->w = d->w;
	pts->dtype = DBV_F32;
	pts->x = dbv_malloc(per * item * sizeof(float));
	pts->y = dbv_malloc(per * sizeof *pts->y);
	pts->y_true = dbv_malloc(per * sizeof *pts->y_true);
	pts->idx = dbv_malloc(per * sizeof *pts->idx);
	if (!pts->x || !pts->y || !pts->y_true || !pts->idx) {
		dbv_dataset_release(pts);
		return DBV_EIO;
	}
	for (size_t t = 0; t < per; t++)
		pts->y[t] = pts->y_true[t] = -1;
	return DBV_OK;
}

int dbv_planes_write_points(struct dbv_writer *w, const struct dbv_plane *pl,
			    const struct dbv_dataset *d, uint64_t plane,
			    struct dbv_dataset *pts)
{
	const size_t total = (size_t)pl->res * (size_t)pl->res;
	const size_t hw = (size_t)d->h * (size_t)d->w, per = (size_t)pts->n;
	float *x = (float *)(void *)pts->x;
	int rc;

	for (size_t k = 0; k < total; k += per) {
		const size_t b = total - k < per ? total - k : per;
		dbv_plane_points(pl, k, b, x);
		dbv_denormalise(x, b, (int)d->c, hw, d->mean, d->std);
		for (size_t t = 0; t < b; t++)
			pts->idx[t] = (int64_t)(plane * total + k + t);
		if ((rc = dbv_dataset_write_batch(w, pts, 0, b)))
			return rc;
	}
	return DBV_OK;
}

/* ---- reading ---- */

static int bad_meta(struct dbv_reader *r, enum meta_key k)
{
	return dbv_reader_fail(r, DBV_EINPUT, "the planes header lacks a valid "
			       "\"%s\"", meta_keys[k]);
}

/* Meta key k: NULL when absent or nil. */
static const dbv_val *meta_get(struct dbv_reader *r, enum meta_key k)
{
	const dbv_val *v = dbv_map_get(dbv_reader_meta(r), meta_keys[k]);
	return v && dbv_val_type(v) != DBV_V_NIL ? v : NULL;
}

static int read_classes(struct dbv_reader *r, struct dbv_planes_meta *m)
{
	const dbv_val *v = meta_get(r, P_TRIPLET_CLASSES);

	if (!v)
		return DBV_OK;
	if (dbv_val_type(v) != DBV_V_ARRAY)
		return bad_meta(r, P_TRIPLET_CLASSES);
	m->nclasses = dbv_val_len(v);
	if (!(m->classes = dbv_calloc(m->nclasses + 1, sizeof *m->classes)))
		return DBV_EIO;
	for (size_t i = 0; i < m->nclasses; i++)
		if (dbv_val_i64(dbv_array_at(v, i), &m->classes[i]) ||
		    m->classes[i] < 0)
			return bad_meta(r, P_TRIPLET_CLASSES);
	return DBV_OK;
}

int dbv_planes_header_res(struct dbv_reader *r, int *res)
{
	int64_t i;

	if (dbv_val_i64(meta_get(r, P_RES), &i) || i < 2 || i > DBV_PLANE_MAX_RES)
		return bad_meta(r, P_RES);
	*res = (int)i;
	return DBV_OK;
}

int dbv_planes_read_meta(struct dbv_reader *r, struct dbv_planes_meta *m)
{
	const dbv_val *v;
	int64_t i;
	int rc;

	memset(m, 0, sizeof *m);
	m->mislabeled = -1;
	if ((rc = dbv_planes_header_res(r, &m->res)))
		return rc;
	if (dbv_val_double(meta_get(r, P_RANGE_L), &m->range_l) ||
	    !dbv_finite(m->range_l) || m->range_l < 0)
		return bad_meta(r, P_RANGE_L);
	if (dbv_val_double(meta_get(r, P_RANGE_R), &m->range_r) ||
	    !dbv_finite(m->range_r) || m->range_r < 0)
		return bad_meta(r, P_RANGE_R);
	if ((i = name_index(mode_names, COUNT(mode_names), meta_get(r, P_MODE), NULL, 1)) < 0)
		return bad_meta(r, P_MODE);
	m->mode = (enum dbv_planes_mode)i;
	if ((v = meta_get(r, P_TRIPLET_SEED)) && dbv_val_u64(v, &m->triplet_seed))
		return bad_meta(r, P_TRIPLET_SEED);
	if ((i = name_index(noise_names, COUNT(noise_names), meta_get(r, P_ANCHOR_NOISE), NULL, 1)) < 0)
		return bad_meta(r, P_ANCHOR_NOISE);
	m->noise = (enum dbv_anchor_noise)i;
	if ((v = meta_get(r, P_ANCHOR_NOISE_SEED)) &&
	    dbv_val_u64(v, &m->noise_seed))
		return bad_meta(r, P_ANCHOR_NOISE_SEED);
	if ((v = meta_get(r, P_MISLABELED))) {
		if (dbv_val_i64(v, &i) || i < 0 || i > 3)
			return bad_meta(r, P_MISLABELED);
		m->mislabeled = (int)i;
	}
	if (dbv_val_u64(meta_get(r, P_PLANES), &m->planes))
		return bad_meta(r, P_PLANES);
	if ((rc = read_classes(r, m)))
		dbv_planes_meta_release(m);
	return rc;
}

void dbv_planes_meta_release(struct dbv_planes_meta *m)
{
	free(m->classes);
	m->classes = NULL;
	m->nclasses = 0;
}

int dbv_planes_read_header(struct dbv_reader *r, struct dbv_dataset *d,
			   struct dbv_planes_meta *m,
			   const struct dbv_dataset_read_opts *opt)
{
	int rc;

	memset(d, 0, sizeof *d);
	memset(m, 0, sizeof *m);
	if ((rc = dbv_reader_header(r, "planes", NULL)) ||
	    (rc = dbv_dataset_read_meta(r, d, opt)))
		return rc;
	if ((rc = dbv_planes_read_meta(r, m)))
		dbv_dataset_release(d);
	return rc;
}

/* A tensor of the record: dtype and shape as given (ndim dims). */
static int get_exact(const dbv_val *rec, enum rec_key k, enum dbv_dtype dt,
		     int ndim, const int64_t *shape, struct dbv_tensor *t)
{
	const char *key = rec_keys[k];
	int rc = dbv_get_tensor(rec, key, t);
	if (rc)
		return rc;
	int ok = t->dtype == dt && t->ndim == ndim;
	for (int i = 0; ok && i < ndim; i++)
		ok = t->shape[i] == shape[i];
	if (!ok) {
		char want[64];
		int n = 0;
		for (int i = 0; i < ndim; i++)
			n += snprintf(want + n, sizeof want - (size_t)n, "%s%lld",
				      i ? "," : "", (long long)shape[i]);
		dbv_tensor_release(t);
		return dbv_seterr(DBV_EINPUT, "\"%s\" must be %s [%s]", key,
				  dbv_dtype_name(dt), want);
	}
	return DBV_OK;
}

int dbv_plane_from_record(struct dbv_plane *p, const dbv_val *rec, int c,
			  int h, int w)
{
	const int64_t shape[3] = {c, h, w}, cs[2] = {3, 2}, rs[1] = {4};
	const enum rec_key vec[3] = {R_ORIGIN, R_U, R_V};
	struct dbv_tensor t[5];
	float **dst[3];
	int64_t res;
	size_t dim;
	int rc;

	memset(p, 0, sizeof *p);
	memset(t, 0, sizeof t);
	if (c < 1 || h < 1 || w < 1 ||
	    dbv_shape_numel(shape, 3, &dim))
		return dbv_seterr(DBV_EINPUT, "bad item shape %dx%dx%d", c, h, w);
	if (dbv_get_i64(rec, rec_keys[R_RES], &res))
		return DBV_EINPUT;
	if (res < 2 || res > DBV_PLANE_MAX_RES)
		return dbv_seterr(DBV_EINPUT, "\"%s\" %lld is not 2 to %d",
				  rec_keys[R_RES], (long long)res,
				  DBV_PLANE_MAX_RES);
	if ((rc = get_exact(rec, R_ORIGIN, DBV_F32, 3, shape, &t[0])) ||
	    (rc = get_exact(rec, R_U, DBV_F32, 3, shape, &t[1])) ||
	    (rc = get_exact(rec, R_V, DBV_F32, 3, shape, &t[2])) ||
	    (rc = get_exact(rec, R_COORDS, DBV_F64, 2, cs, &t[3])) ||
	    (rc = get_exact(rec, R_RANGE, DBV_F64, 1, rs, &t[4])))
		goto fail;
	p->dim = dim;
	p->res = (int)res;
	memcpy(p->coords, t[3].data, sizeof p->coords);
	memcpy(p->range, t[4].data, sizeof p->range);
	for (int k = 0; k < 3; k++)
		for (int a = 0; a < 2; a++)
			if (!dbv_finite(p->coords[k][a])) {
				rc = dbv_seterr(DBV_EINPUT, "\"%s\" holds non-finite "
						"values", rec_keys[R_COORDS]);
				goto fail;
			}
	if (!dbv_finite(p->range[0]) || !dbv_finite(p->range[1]) ||
	    !dbv_finite(p->range[2]) || !dbv_finite(p->range[3]) ||
	    !(p->range[0] < p->range[1]) || !(p->range[2] < p->range[3])) {
		rc = dbv_seterr(DBV_EINPUT, "\"%s\" must be finite xmin < xmax, "
				"ymin < ymax", rec_keys[R_RANGE]);
		goto fail;
	}
	for (int k = 0; k < 3; k++)
		if (dbv_f32_nonfinite(t[k].data, dim) < dim) {
			rc = dbv_seterr(DBV_EINPUT, "\"%s\" holds non-finite "
					"values", rec_keys[vec[k]]);
			goto fail;
		}
	/* Take the decoded (aligned, owned) buffers over. */
	dst[0] = &p->origin;
	dst[1] = &p->u;
	dst[2] = &p->v;
	for (int k = 0; k < 3; k++) {
		*dst[k] = t[k].data;
		t[k].owned = 0;
	}
	dbv_tensor_release(&t[3]);
	dbv_tensor_release(&t[4]);
	return DBV_OK;
fail:
	for (int k = 0; k < 5; k++)
		dbv_tensor_release(&t[k]);
	memset(p, 0, sizeof *p);
	return rc;
}

int dbv_planes_read_geometry(struct dbv_reader *r, const dbv_val *rec,
			     const struct dbv_dataset *d,
			     struct dbv_plane *p)
{
	int rc = dbv_plane_from_record(p, rec, (int)d->c, (int)d->h, (int)d->w);
	int res;

	if (rc)
		return dbv_reader_fail(r, rc, "%s", dbv_errmsg());
	if (!(rc = dbv_planes_header_res(r, &res)))
		rc = dbv_planes_check_res(r, p->res, res);
	if (rc)
		dbv_plane_release(p);
	return rc;
}

int dbv_planes_check_res(struct dbv_reader *r, int res, int header_res)
{
	if (res == header_res)
		return DBV_OK;
	return dbv_reader_fail(r, DBV_EINPUT, "\"%s\" is %d, the header's is %d "
			       "(every plane of a stream has its header's)",
			       rec_keys[R_RES], res, header_res);
}

/* The anchors, idx, y and y_true of a plane record into a. */
static int read_anchors(const dbv_val *rec, const struct dbv_dataset *d,
			struct dbv_anchors *a)
{
	const int64_t three[4] = {3, d->c, d->h, d->w};
	struct dbv_tensor t[4];
	int rc;

	memset(t, 0, sizeof t);
	if ((rc = dbv_get_tensor(rec, rec_keys[R_ANCHORS], &t[0])))
		goto out;
	if ((t[0].dtype != DBV_U8 && t[0].dtype != DBV_F32) || t[0].ndim != 4 ||
	    memcmp(t[0].shape, three, sizeof three)) {
		rc = dbv_seterr(DBV_EINPUT, "\"%s\" must be u8 or f32 [3,%lld,%lld,"
				"%lld]", rec_keys[R_ANCHORS], (long long)d->c,
				(long long)d->h, (long long)d->w);
		goto out;
	}
	if ((rc = get_exact(rec, R_IDX, DBV_I64, 1, three, &t[1])) ||
	    (rc = get_exact(rec, R_Y, DBV_I32, 1, three, &t[2])) ||
	    (rc = get_exact(rec, R_Y_TRUE, DBV_I32, 1, three, &t[3])))
		goto out;
	a->dtype = t[0].dtype;
	a->px = t[0].data;
	t[0].owned = 0;
	memcpy(a->idx, t[1].data, sizeof a->idx);
	memcpy(a->y, t[2].data, sizeof a->y);
	memcpy(a->y_true, t[3].data, sizeof a->y_true);
out:
	for (int k = 0; k < 4; k++)
		dbv_tensor_release(&t[k]);
	return rc;
}

int dbv_planes_read_plane(struct dbv_reader *r, const dbv_val *rec,
			  const struct dbv_dataset *d,
			  struct dbv_planes_plane *p)
{
	int64_t plane;
	int rc;

	memset(p, 0, sizeof *p);
	if ((rc = dbv_planes_read_geometry(r, rec, d, &p->geom)))
		return rc;
	if (dbv_get_i64(rec, rec_keys[R_PLANE], &plane) || plane < 0)
		rc = dbv_reader_fail(r, DBV_EINPUT, "\"%s\" must be an integer "
				     ">= 0", rec_keys[R_PLANE]);
	else if ((rc = read_anchors(rec, d, &p->anchors)))
		rc = dbv_reader_fail(r, rc, "%s", dbv_errmsg());
	if (rc) {
		dbv_planes_plane_release(p);
		return rc;
	}
	p->plane = (uint64_t)plane;
	return DBV_OK;
}

void dbv_planes_plane_release(struct dbv_planes_plane *p)
{
	dbv_plane_release(&p->geom);
	dbv_anchors_release(&p->anchors);
}

uint32_t dbv_plane_fingerprint(const struct dbv_plane *p)
{
	const uint64_t dim = p->dim;
	const int64_t res = p->res;
	const size_t bytes = p->dim * sizeof(float);
	uint32_t crc = dbv_crc32c(0, &dim, sizeof dim);

	crc = dbv_crc32c(crc, &res, sizeof res);
	crc = dbv_crc32c(crc, p->origin, bytes);
	crc = dbv_crc32c(crc, p->u, bytes);
	crc = dbv_crc32c(crc, p->v, bytes);
	crc = dbv_crc32c(crc, p->range, sizeof p->range);
	return dbv_crc32c(crc, p->coords, sizeof p->coords);
}

const char *dbv_plane_differs(const struct dbv_plane *a, const struct dbv_plane *b)
{
	if (a->res != b->res)
		return "res";
	if (memcmp(a->range, b->range, sizeof a->range))
		return "range";
	if (memcmp(a->coords, b->coords, sizeof a->coords))
		return "anchor coordinates";
	if (dbv_plane_fingerprint(a) != dbv_plane_fingerprint(b))
		return "origin or basis vectors";
	return NULL;
}
