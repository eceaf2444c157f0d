/*
 * model.c - the model stream kind: header meta, "log" and "param" records
 * (dbv-stream(5), THE MODEL STREAM).  The only file that spells its keys.
 *
 * Each writer walks its key table and writes the value of each key in
 * turn, so the pair count it announces is the table's length.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kinds/model.h"
#include "kinds/dataset.h"

/* The model's own meta keys, in the order written. */
enum { K_ARCH, K_WIDTH, K_DEPTH, K_SHAPE, K_CLASSES, K_CLASS_NAMES, K_MEAN,
       K_STD, K_PARAMS, K_BN_EPS, K_BN_MOMENTUM, K_ARCH_OPTIONS,
       N_MODEL_KEYS };
static const char *const model_key[N_MODEL_KEYS] = {
	[K_ARCH] = "arch", [K_WIDTH] = "width", [K_DEPTH] = "depth",
	[K_SHAPE] = "shape", [K_CLASSES] = "classes",
	[K_CLASS_NAMES] = "class_names", [K_MEAN] = "mean", [K_STD] = "std",
	[K_PARAMS] = "params", [K_BN_EPS] = "bn_eps",
	[K_BN_MOMENTUM] = "bn_momentum", [K_ARCH_OPTIONS] = "arch_options",
};
_Static_assert(N_MODEL_KEYS == DBV_MODEL_META_PAIRS,
	       "DBV_MODEL_META_PAIRS counts model_key");

/* The keys that record the run, after the model's. */
enum { R_DATASET, R_N_TRAIN, R_LABEL_NOISE, R_LOSS, R_OPTIM, R_LR, R_MOMENTUM,
       R_NESTEROV, R_WEIGHT_DECAY, R_BETAS, R_ADAM_EPS, R_SCHEDULE,
       R_MILESTONES, R_GAMMA, R_WARMUP, R_EPOCHS, R_BATCH, R_CROP_PAD,
       R_FLIP, R_SEED, R_DATA_SEED, R_THREADS, R_DBV_VERSION, R_BLAS,
       R_CONV, N_RUN_KEYS };
static const char *const run_key[N_RUN_KEYS] = {
	[R_DATASET] = "dataset", [R_N_TRAIN] = "n_train",
	[R_LABEL_NOISE] = "label_noise", [R_LOSS] = "loss", [R_OPTIM] = "optim", [R_LR] = "lr",
	[R_MOMENTUM] = "momentum", [R_NESTEROV] = "nesterov",
	[R_WEIGHT_DECAY] = "weight_decay", [R_BETAS] = "betas",
	[R_ADAM_EPS] = "adam_eps", [R_SCHEDULE] = "schedule",
	[R_MILESTONES] = "milestones", [R_GAMMA] = "gamma",
	[R_WARMUP] = "warmup", [R_EPOCHS] = "epochs", [R_BATCH] = "batch",
	[R_CROP_PAD] = "crop_pad", [R_FLIP] = "flip", [R_SEED] = "seed",
	[R_DATA_SEED] = "data_seed", [R_THREADS] = "threads",
	[R_DBV_VERSION] = "dbv_version", [R_BLAS] = "blas", [R_CONV] = "conv",
};

/* The "log" record's keys. */
enum { L_EPOCH, L_TRAIN_LOSS, L_TRAIN_ACC, L_TEST_LOSS, L_TEST_ACC, L_LR,
       L_SECONDS, N_LOG_KEYS };
static const char *const log_key[N_LOG_KEYS] = {
	[L_EPOCH] = "epoch", [L_TRAIN_LOSS] = "train_loss",
	[L_TRAIN_ACC] = "train_acc", [L_TEST_LOSS] = "test_loss",
	[L_TEST_ACC] = "test_acc", [L_LR] = "lr", [L_SECONDS] = "seconds",
};

/* The "param" record's keys. */
enum { P_NAME, P_VALUE, N_PARAM_KEYS };
static const char *const param_key[N_PARAM_KEYS] = {
	[P_NAME] = "name", [P_VALUE] = "value",
};

#define KIND "model"
#define LOG "log"
#define PARAM "param"

/* The options the architecture has (lib/nn/archopt.c), a map of
 * integers and floats; empty for the architectures without any. */
static void write_arch_options(struct dbv_writer *w, const struct dbv_arch *a)
{
	size_t n = 0;
	const char *key;

	for (int i = 0; dbv_arch_option_name(i); i++)
		n += (size_t)dbv_arch_option_used(a, i);
	dbv_w_map(w, n);
	for (int i = 0; (key = dbv_arch_option_name(i)); i++) {
		if (!dbv_arch_option_used(a, i))
			continue;
		dbv_w_key(w, key);
		if (dbv_arch_option_is_int(i))
			dbv_w_i64(w, (int64_t)dbv_arch_option_get(a, i));
		else
			dbv_w_f64(w, dbv_arch_option_get(a, i));
	}
}

/* Read "arch_options" (absent in streams older than the token models:
 * the defaults then). */
static int read_arch_options(const dbv_val *meta, struct dbv_arch *a)
{
	const dbv_val *o = dbv_map_get(meta, model_key[K_ARCH_OPTIONS]);
	int rc;

	if (!o)
		return DBV_OK;
	if (dbv_val_type(o) != DBV_V_MAP)
		return dbv_seterr(DBV_EINPUT, "model header's \"%s\" is not a map",
				  model_key[K_ARCH_OPTIONS]);
	for (size_t k = 0; k < dbv_val_len(o); k++) {
		const char *s;
		size_t n;
		double v;
		int i;

		if (dbv_val_str(dbv_map_key(o, k), &s, &n))
			return dbv_seterr(DBV_EINPUT, "model header's \"%s\" has a key that is not a string",
					  model_key[K_ARCH_OPTIONS]);
		for (i = 0; dbv_arch_option_name(i); i++)
			if (strlen(dbv_arch_option_name(i)) == n &&
			    !memcmp(dbv_arch_option_name(i), s, n))
				break;
		if (!dbv_arch_option_name(i) || !dbv_arch_option_used(a, i))
			return dbv_seterr(DBV_EINPUT, "model header's \"%s\" has '%.*s', not an option of %s",
					  model_key[K_ARCH_OPTIONS], (int)(n < 64 ? n : 64), s,
					  a->name);
		if (dbv_val_double(dbv_map_value(o, k), &v))
			return dbv_seterr(DBV_EINPUT, "model header's \"%s\" has '%.*s' not a number",
					  model_key[K_ARCH_OPTIONS], (int)n, s);
		if ((rc = dbv_arch_option_set(a, i, v)))
			return rc;
	}
	return DBV_OK;
}

int dbv_model_write_meta(struct dbv_writer *w, const struct dbv_model *m,
			 char *const *class_names, const double *mean,
			 const double *std)
{
	const struct dbv_arch *a = &m->arch;
	int64_t shape[3] = {a->c, a->h, a->w};

	for (int k = 0; k < N_MODEL_KEYS; k++) {
		dbv_w_key(w, model_key[k]);
		switch (k) {
		case K_ARCH: dbv_w_str(w, a->name); break;
		case K_WIDTH: dbv_w_i64(w, a->width); break;
		case K_DEPTH: dbv_w_i64(w, a->depth); break;
		case K_SHAPE: dbv_w_i64_array(w, shape, 3); break;
		case K_CLASSES: dbv_w_i64(w, a->classes); break;
		case K_CLASS_NAMES:
			if (class_names)
				dbv_w_str_array(w, class_names, (size_t)a->classes);
			else
				dbv_w_nil(w);
			break;
		case K_MEAN: dbv_w_f64_array(w, mean, (size_t)a->c); break;
		case K_STD: dbv_w_f64_array(w, std, (size_t)a->c); break;
		case K_PARAMS: dbv_w_u64(w, dbv_model_count(m, 1)); break;
		/* Batch norm's constants (PyTorch's defaults), so that a
		 * reader need not assume them. */
		case K_BN_EPS: dbv_w_f64(w, DBV_BN_EPS); break;
		case K_BN_MOMENTUM: dbv_w_f64(w, DBV_BN_MOMENTUM); break;
		case K_ARCH_OPTIONS: write_arch_options(w, a); break;
		}
	}
	return dbv_writer_status(w);
}

static void write_run(struct dbv_writer *w, const struct dbv_model_header *h)
{
	const struct dbv_train_cfg *c = h->cfg;

	for (int k = 0; k < N_RUN_KEYS; k++) {
		dbv_w_key(w, run_key[k]);
		switch (k) {
		case R_DATASET: dbv_w_str(w, h->dataset); break;
		case R_N_TRAIN: dbv_w_i64(w, h->n_train); break;
		case R_LABEL_NOISE: dbv_w_f64(w, h->label_noise); break;
		case R_LOSS: dbv_w_str(w, c->loss); break;
		case R_OPTIM: dbv_w_str(w, c->optim); break;
		case R_LR: dbv_w_f64(w, c->lr); break;
		case R_MOMENTUM: dbv_w_f64(w, c->momentum); break;
		case R_NESTEROV: dbv_w_bool(w, c->nesterov); break;
		case R_WEIGHT_DECAY: dbv_w_f64(w, c->weight_decay); break;
		case R_BETAS:
			dbv_w_array(w, 2);
			dbv_w_f64(w, c->beta1);
			dbv_w_f64(w, c->beta2);
			break;
		case R_ADAM_EPS: dbv_w_f64(w, c->adam_eps); break;
		case R_SCHEDULE: dbv_w_str(w, c->schedule); break;
		case R_MILESTONES:
			dbv_w_i64_array(w, c->milestones, (size_t)c->nmilestones);
			break;
		case R_GAMMA: dbv_w_f64(w, c->gamma); break;
		case R_WARMUP: dbv_w_f64(w, c->warmup); break;
		case R_EPOCHS: dbv_w_i64(w, c->epochs); break;
		case R_BATCH: dbv_w_i64(w, c->batch); break;
		case R_CROP_PAD: dbv_w_i64(w, c->crop_pad); break;
		case R_FLIP: dbv_w_bool(w, c->flip); break;
		case R_SEED: dbv_w_u64(w, c->seed); break;
		case R_DATA_SEED: dbv_w_u64(w, c->data_seed); break;
		case R_THREADS: dbv_w_i64(w, c->threads); break;
		case R_DBV_VERSION: dbv_w_str(w, DBV_VERSION); break;
		case R_BLAS: dbv_w_str(w, dbv_blas_describe()); break;
		case R_CONV: dbv_w_str(w, dbv_conv_describe()); break;
		}
	}
}

int dbv_model_write_header(struct dbv_writer *w, const dbv_val *pipeline,
			   int argc, char *const *argv,
			   const struct dbv_model_header *h)
{
	dbv_writer_header_begin(w, KIND, pipeline, argc, argv,
				N_MODEL_KEYS + N_RUN_KEYS);
	dbv_model_write_meta(w, h->model, h->class_names, h->mean, h->std);
	write_run(w, h);
	return dbv_writer_header_end(w);
}

int dbv_model_write_log(struct dbv_writer *w, const struct dbv_train_log *l)
{
	dbv_writer_record_begin(w, LOG, N_LOG_KEYS);
	for (int k = 0; k < N_LOG_KEYS; k++) {
		dbv_w_key(w, log_key[k]);
		switch (k) {
		case L_EPOCH: dbv_w_i64(w, l->epoch); break;
		case L_TRAIN_LOSS: dbv_w_f64(w, l->train_loss); break;
		case L_TRAIN_ACC: dbv_w_f64(w, l->train_acc); break;
		case L_TEST_LOSS:
			if (l->has_test)
				dbv_w_f64(w, l->test_loss);
			else
				dbv_w_nil(w);
			break;
		case L_TEST_ACC:
			if (l->has_test)
				dbv_w_f64(w, l->test_acc);
			else
				dbv_w_nil(w);
			break;
		case L_LR: dbv_w_f64(w, l->lr); break;
		case L_SECONDS: dbv_w_f64(w, l->seconds); break;
		}
	}
	return dbv_writer_record_end(w);
}

int dbv_model_write_params(struct dbv_writer *w, const struct dbv_model *m)
{
	for (size_t i = 0; i < m->nparams; i++) {
		const struct dbv_param *p = &m->params[i];
		dbv_writer_record_begin(w, PARAM, N_PARAM_KEYS);
		dbv_w_key(w, param_key[P_NAME]);
		dbv_w_str(w, p->name);
		dbv_w_key(w, param_key[P_VALUE]);
		if (p->kind == DBV_P_COUNTER) {
			int64_t v = (int64_t)m->p[p->offset];
			dbv_w_tensor_raw(w, DBV_I64, 0, p->shape, &v);
		} else {
			dbv_w_tensor_raw(w, DBV_F32, p->ndim, p->shape,
					 m->p + p->offset);
		}
		dbv_writer_record_end(w);
	}
	return dbv_writer_status(w);
}

/* ---- reading ---- */

int dbv_arch_from_meta(const dbv_val *meta, struct dbv_arch *a)
{
	const char *s;
	size_t n;
	int64_t v[6];
	const dbv_val *sh = dbv_map_get(meta, model_key[K_SHAPE]);

	memset(a, 0, sizeof *a);
	if (dbv_val_str(dbv_map_get(meta, model_key[K_ARCH]), &s, &n) || n == 0 ||
	    n >= sizeof a->name)
		return dbv_seterr(DBV_EINPUT, "model header has no valid \"%s\"",
				  model_key[K_ARCH]);
	memcpy(a->name, s, n);
	if (dbv_get_i64(meta, model_key[K_WIDTH], &v[0]) ||
	    dbv_get_i64(meta, model_key[K_DEPTH], &v[1]) ||
	    dbv_get_i64(meta, model_key[K_CLASSES], &v[2]) || dbv_val_len(sh) != 3 ||
	    dbv_val_i64(dbv_array_at(sh, 0), &v[3]) ||
	    dbv_val_i64(dbv_array_at(sh, 1), &v[4]) ||
	    dbv_val_i64(dbv_array_at(sh, 2), &v[5]))
		return dbv_seterr(DBV_EINPUT,
				  "model header lacks width, depth, classes or shape");
	for (int i = 0; i < 6; i++)
		if (v[i] < 0 || v[i] > DBV_MODEL_MAX_SIZE)
			return dbv_seterr(DBV_EINPUT, "model header has out-of-range sizes");
	if (v[3] > DBV_MODEL_MAX_CHANNELS)
		return dbv_seterr(DBV_EINPUT, "model input has %lld channels (at most %d)",
				  (long long)v[3], DBV_MODEL_MAX_CHANNELS);
	if (v[2] > DBV_DATASET_MAX_CLASSES || v[4] > DBV_DATASET_MAX_HW ||
	    v[5] > DBV_DATASET_MAX_HW)
		return dbv_seterr(DBV_EINPUT,
				  "model has %lld classes or items of %lldx%lld (at most %d classes of %dx%d)",
				  (long long)v[2], (long long)v[4], (long long)v[5],
				  DBV_DATASET_MAX_CLASSES, DBV_DATASET_MAX_HW,
				  DBV_DATASET_MAX_HW);
	a->width = (int)v[0];
	a->depth = (int)v[1];
	a->classes = (int)v[2];
	a->c = (int)v[3];
	a->h = (int)v[4];
	a->w = (int)v[5];
	return read_arch_options(meta, a);
}

int dbv_model_set_param(struct dbv_model *m, const char *name, size_t nlen,
			const struct dbv_tensor *t)
{
	for (size_t i = 0; i < m->nparams; i++) {
		struct dbv_param *p = &m->params[i];
		if (strlen(p->name) != nlen || memcmp(p->name, name, nlen))
			continue;
		if (p->kind == DBV_P_COUNTER) {
			int64_t v;
			if (t->dtype != DBV_I64 || t->ndim != 0)
				return dbv_seterr(DBV_EINPUT,
						  "parameter '%s' must be an i64 scalar", p->name);
			memcpy(&v, t->data, 8);
			if (v < 0)
				return dbv_seterr(DBV_EINPUT,
						  "parameter '%s' is negative", p->name);
			m->p[p->offset] = (float)v;
			return DBV_OK;
		}
		if (t->dtype != DBV_F32 || t->ndim != p->ndim)
			return dbv_seterr(DBV_EINPUT, "parameter '%s' has the wrong dtype or rank",
					  p->name);
		for (int d = 0; d < p->ndim; d++)
			if (t->shape[d] != p->shape[d])
				return dbv_seterr(DBV_EINPUT,
						  "parameter '%s' has the wrong shape", p->name);
		/* What ReLU and batch norm would hide or spread: any NaN or
		 * infinity, a negative variance (sqrt of it is NaN). */
		const float *v = t->data;
		size_t at = dbv_f32_nonfinite(v, p->numel);
		if (at < p->numel)
			return dbv_seterr(DBV_ENONFINITE, "parameter '%s' holds a "
					  "non-finite value (element %zu)", p->name, at);
		for (at = 0; p->kind == DBV_P_BN_VAR && at < p->numel; at++)
			if (v[at] < 0)
				return dbv_seterr(DBV_ENONFINITE, "parameter '%s' holds "
						  "a negative variance (element %zu)",
						  p->name, at);
		memcpy(m->p + p->offset, v, p->numel * sizeof(float));
		return DBV_OK;
	}
	return dbv_seterr(DBV_EINPUT, "unknown parameter '%.*s'",
			  (int)(nlen > 64 ? 64 : nlen), name);
}

/* C finite numbers of the header's mean or std into out. */
static int read_norm(const dbv_val *meta, int key, int c, double *out)
{
	const dbv_val *v = dbv_map_get(meta, model_key[key]);
	if (dbv_val_len(v) != (size_t)c)
		return dbv_seterr(DBV_EINPUT, "model header \"%s\" must have %d entries",
				  model_key[key], c);
	for (int i = 0; i < c; i++)
		if (dbv_val_double(dbv_array_at(v, (size_t)i), &out[i]) ||
		    !dbv_finite(out[i]))
			return dbv_seterr(DBV_EINPUT, "model header \"%s\" is not numeric",
					  model_key[key]);
	return DBV_OK;
}

/* The header: architecture and normalisation. */
static int read_header(const dbv_val *meta, struct dbv_arch *a, double *mean,
		       double *std)
{
	int rc;

	if ((rc = dbv_arch_from_meta(meta, a)))
		return rc;
	for (int i = 0; i < 4; i++)
		mean[i] = 0, std[i] = 1;
	if ((rc = read_norm(meta, K_MEAN, a->c, mean)) ||
	    (rc = read_norm(meta, K_STD, a->c, std)))
		return rc;
	for (int i = 0; i < a->c; i++)
		if (!(std[i] > 0))
			return dbv_seterr(DBV_EINPUT, "model header \"%s\" must be > 0",
					  model_key[K_STD]);
	return DBV_OK;
}

/* One "param" record into m; marks the parameter in seen. */
static int read_param(struct dbv_model *m, const dbv_val *rec,
		      unsigned char *seen)
{
	const char *name;
	size_t nl;
	struct dbv_tensor t;
	int rc;

	if (dbv_val_str(dbv_map_get(rec, param_key[P_NAME]), &name, &nl))
		return dbv_seterr(DBV_EINPUT, "param record without a name");
	/* Twice would be "the last wins": the stream is not what it says. */
	for (size_t i = 0; i < m->nparams; i++)
		if (seen[i] && strlen(m->params[i].name) == nl &&
		    !memcmp(m->params[i].name, name, nl))
			return dbv_seterr(DBV_EINPUT, "parameter '%s' appears twice",
					  m->params[i].name);
	if ((rc = dbv_get_tensor(rec, param_key[P_VALUE], &t)))
		return rc;
	rc = dbv_model_set_param(m, name, nl, &t);
	dbv_tensor_release(&t);
	for (size_t i = 0; !rc && i < m->nparams; i++)
		if (strlen(m->params[i].name) == nl &&
		    !memcmp(m->params[i].name, name, nl))
			seen[i] = 1;
	return rc;
}

int dbv_model_read(struct dbv_reader *r, struct dbv_model *m, double *mean,
		   double *std)
{
	struct dbv_arch a;
	const dbv_val *rec;
	unsigned char *seen;
	int rc;

	if ((rc = dbv_reader_header(r, KIND, NULL)))
		return rc;
	if ((rc = read_header(dbv_reader_meta(r), &a, mean, std)))
		return dbv_reader_fail(r, rc, "%s", dbv_errmsg());
	if ((rc = dbv_model_build(m, &a)))
		return dbv_reader_fail(r, rc == DBV_EUSAGE ? DBV_EINPUT : rc,
				       "model header: %s", dbv_errmsg());
	seen = dbv_calloc(m->nparams, 1);
	if (!seen) {
		dbv_model_release(m);
		return DBV_EIO;
	}
	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
		if (dbv_record_is(rec, PARAM) && (rc = read_param(m, rec, seen))) {
			rc = dbv_reader_fail(r, rc, "%s", dbv_errmsg());
			break;
		}
	}
	if (rc == DBV_END) {
		rc = DBV_OK;
		for (size_t i = 0; i < m->nparams && !rc; i++)
			if (!seen[i])
				rc = dbv_reader_fail(r, DBV_EINPUT,
						     "the model stream lacks parameter '%s'",
						     m->params[i].name);
	}
	free(seen);
	if (rc)
		dbv_model_release(m);
	return rc;
}

const char *dbv_model_log_check(const struct dbv_train_log *l)
{
	if (l->epoch < 1 || l->epoch > DBV_MAX_EPOCHS)
		return log_key[L_EPOCH];
	if (!(l->train_loss >= 0) || !dbv_finite(l->train_loss))
		return log_key[L_TRAIN_LOSS];
	if (!dbv_finite(l->train_acc) || !(l->train_acc >= 0 && l->train_acc <= 1))
		return log_key[L_TRAIN_ACC];
	if (l->has_test ? !(l->test_loss >= 0) || !dbv_finite(l->test_loss)
			: l->test_loss != 0)
		return log_key[L_TEST_LOSS];
	if (l->has_test ? !dbv_finite(l->test_acc) ||
			  !(l->test_acc >= 0 && l->test_acc <= 1)
			: l->test_acc != 0)
		return log_key[L_TEST_ACC];
	if (!(l->lr >= 0) || !dbv_finite(l->lr))
		return log_key[L_LR];
	if (!(l->seconds >= 0) || !dbv_finite(l->seconds))
		return log_key[L_SECONDS];
	return NULL;
}

int dbv_model_read_log(struct dbv_reader *r, const dbv_val *rec,
		       struct dbv_train_log *l)
{
	const dbv_val *tl = dbv_map_get(rec, log_key[L_TEST_LOSS]);
	const dbv_val *ta = dbv_map_get(rec, log_key[L_TEST_ACC]);
	const char *bad;

	memset(l, 0, sizeof *l);
	if (!tl || !ta)
		return dbv_reader_fail(r, DBV_EINPUT, "log record lacks \"%s\" or \"%s\"",
				       log_key[L_TEST_LOSS], log_key[L_TEST_ACC]);
	l->has_test = dbv_val_type(tl) != DBV_V_NIL;
	if (dbv_get_i64(rec, log_key[L_EPOCH], &l->epoch) ||
	    dbv_get_double(rec, log_key[L_TRAIN_LOSS], &l->train_loss) ||
	    dbv_get_double(rec, log_key[L_TRAIN_ACC], &l->train_acc) ||
	    dbv_get_double(rec, log_key[L_LR], &l->lr) ||
	    dbv_get_double(rec, log_key[L_SECONDS], &l->seconds))
		return dbv_reader_fail(r, DBV_EINPUT, "log record: %s", dbv_errmsg());
	if (l->has_test ? dbv_val_double(tl, &l->test_loss) ||
				  dbv_val_double(ta, &l->test_acc)
			: dbv_val_type(ta) != DBV_V_NIL)
		return dbv_reader_fail(r, DBV_EINPUT,
				       "log record: \"%s\" and \"%s\" must be numbers, or both nil",
				       log_key[L_TEST_LOSS], log_key[L_TEST_ACC]);
	if ((bad = dbv_model_log_check(l)))
		return dbv_reader_fail(r, DBV_EINPUT, "log record: \"%s\" is out of range",
				       bad);
	return DBV_OK;
}

int dbv_model_check_data(const struct dbv_arch *a, const double *mean,
			 const double *std, const struct dbv_dataset *d,
			 const char *what)
{
	if (d->c != a->c || d->h != a->h || d->w != a->w)
		return dbv_seterr(DBV_EINPUT,
				  "the %s's items are %lldx%lldx%lld but the model takes %dx%dx%d",
				  what, (long long)d->c, (long long)d->h, (long long)d->w,
				  a->c, a->h, a->w);
	if (d->nclasses != a->classes)
		return dbv_seterr(DBV_EINPUT,
				  "the %s has %d classes but the model has %d",
				  what, d->nclasses, a->classes);
	for (int ch = 0; ch < a->c; ch++) {
		double mu = d->mean[ch], sd = d->std[ch];
		if (fabs(mu - mean[ch]) > 1e-6 * (1 + fabs(mean[ch])) ||
		    fabs(sd - std[ch]) > 1e-6 * (1 + fabs(std[ch])))
			return dbv_seterr(DBV_EINPUT,
					  "the %s's normalisation (channel %d: mean %.6g, std %.6g) differs from the model's (mean %.6g, std %.6g)",
					  what, ch, mu, sd, mean[ch], std[ch]);
	}
	return DBV_OK;
}
