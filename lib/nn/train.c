/*
 * train.c - what a training loop needs besides the model: configuration,
 * learning-rate schedules, optimizers, batch making with augmentation,
 * and model streams.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

void dbv_train_cfg_default(struct dbv_train_cfg *c)
{
	memset(c, 0, sizeof *c);
	strcpy(c->optim, "sgd");
	c->lr = 0.1;
	c->momentum = 0.9;
	c->beta1 = 0.9;
	c->beta2 = 0.999;
	c->adam_eps = 1e-8;
	strcpy(c->schedule, "constant");
	c->gamma = 0.1;
	c->epochs = 10;
	c->batch = 128;
	c->threads = 2;
}

int dbv_train_cfg_check(const struct dbv_train_cfg *c)
{
	if (strcmp(c->optim, "sgd") && strcmp(c->optim, "adam") &&
	    strcmp(c->optim, "adamw"))
		return dbv_seterr(DBV_EUSAGE,
				  "unknown optimizer '%s' (sgd, adam, adamw)", c->optim);
	if (strcmp(c->schedule, "constant") && strcmp(c->schedule, "step") &&
	    strcmp(c->schedule, "cosine"))
		return dbv_seterr(DBV_EUSAGE,
				  "unknown schedule '%s' (constant, step, cosine)",
				  c->schedule);
	if (!(c->lr > 0) || !isfinite(c->lr))
		return dbv_seterr(DBV_EUSAGE, "the learning rate must be > 0");
	if (c->momentum < 0 || c->momentum >= 1)
		return dbv_seterr(DBV_EUSAGE, "momentum must be in [0, 1)");
	if (c->nesterov && (strcmp(c->optim, "sgd") || c->momentum == 0))
		return dbv_seterr(DBV_EUSAGE, "--nesterov needs sgd with momentum > 0");
	if (c->weight_decay < 0)
		return dbv_seterr(DBV_EUSAGE, "weight decay must be >= 0");
	if (c->beta1 < 0 || c->beta1 >= 1 || c->beta2 < 0 || c->beta2 >= 1 ||
	    !(c->adam_eps > 0))
		return dbv_seterr(DBV_EUSAGE, "Adam betas must be in [0,1) and eps > 0");
	if (c->epochs < 1 || c->batch < 1)
		return dbv_seterr(DBV_EUSAGE, "epochs and batch must be >= 1");
	if (!strcmp(c->schedule, "step") && c->nmilestones == 0)
		return dbv_seterr(DBV_EUSAGE, "the step schedule needs --milestones");
	for (int i = 1; i < c->nmilestones; i++)
		if (c->milestones[i] <= c->milestones[i - 1])
			return dbv_seterr(DBV_EUSAGE, "milestones must increase");
	if (c->warmup < 0 || c->warmup > c->epochs)
		return dbv_seterr(DBV_EUSAGE, "warm-up must be within the epochs");
	if (c->crop_pad < 0 || c->crop_pad > 64)
		return dbv_seterr(DBV_EUSAGE, "crop padding must be in [0, 64]");
	if (c->threads < 1 || c->threads > 256)
		return dbv_seterr(DBV_EUSAGE, "threads must be in [1, 256]");
	return DBV_OK;
}

/*
 * The rate of the update after batch b (0-based) of epoch e (0-based), N
 * batches per epoch, as PyTorch's schedulers stepped at the usual places:
 *   constant: lr
 *   step:     lr * gamma^(number of milestones m <= e)   (MultiStepLR
 *             stepped after every epoch: epoch m+1, counting from 1, is
 *             the first at the lower rate)
 *   cosine:   lr * (1 + cos(pi * t / epochs)) / 2, t = e + b/N
 *             (CosineAnnealingLR with T_max = epochs*N stepped after
 *             every batch: the first update has lr, none has 0)
 * then, during warm-up, times min(1, (e*N + b + 1) / (warmup*N)): the
 * first update has 1/(warmup*N) of the rate, not 0.
 */
double dbv_train_lr(const struct dbv_train_cfg *c, int64_t e, int64_t b,
		    int64_t nb)
{
	double lr = c->lr, t = (double)e + (double)b / (double)nb;
	if (!strcmp(c->schedule, "step")) {
		for (int i = 0; i < c->nmilestones; i++)
			if (c->milestones[i] <= e)
				lr *= c->gamma;
	} else if (!strcmp(c->schedule, "cosine")) {
		lr *= 0.5 * (1 + cos(M_PI * t / c->epochs));
	}
	if (c->warmup > 0) {
		double f = ((double)e * (double)nb + (double)b + 1) /
			   (c->warmup * (double)nb);
		if (f < 1)
			lr *= f;
	}
	return lr;
}

int dbv_optim_init(struct dbv_optim *o, const struct dbv_model *m,
		   const struct dbv_train_cfg *c)
{
	size_t bytes = m->total * sizeof(float);
	memset(o, 0, sizeof *o);
	o->m1 = dbv_amalloc(bytes);
	if (!o->m1)
		return DBV_EIO;
	memset(o->m1, 0, bytes);
	if (strcmp(c->optim, "sgd")) {
		o->m2 = dbv_amalloc(bytes);
		if (!o->m2) {
			dbv_afree(o->m1);
			return DBV_EIO;
		}
		memset(o->m2, 0, bytes);
	}
	return DBV_OK;
}

void dbv_optim_release(struct dbv_optim *o)
{
	dbv_afree(o->m1);
	dbv_afree(o->m2);
	memset(o, 0, sizeof *o);
}

struct optim_job {
	struct dbv_optim *o;
	struct dbv_model *m;
	const struct dbv_train_cfg *c;
	float flr, wd, mu, step_size, bc2s, b1, b2, eps;
	int sgd, adamw;
};

/* Part t of nt: its range of every trainable parameter (elementwise). */
static void optim_part(void *arg, int t, int nt)
{
	const struct optim_job *q = arg;
	const struct dbv_optim *o = q->o;
	const struct dbv_model *m = q->m;
	const float flr = q->flr, wd = q->wd, mu = q->mu;
	const float step_size = q->step_size, bc2s = q->bc2s;
	const float b1 = q->b1, b2 = q->b2, eps = q->eps;

	for (size_t i = 0; i < m->nparams; i++) {
		const struct dbv_param *pp = &m->params[i];
		if (pp->kind > DBV_P_BN_BIAS)
			continue;
		size_t lo, hi;
		par_range(pp->numel, t, nt, 16, &lo, &hi);
		float *p = m->p + pp->offset + lo, *g = m->g + pp->offset + lo;
		float *m1 = o->m1 + pp->offset + lo;
		size_t n = hi - lo;
		if (q->sgd) {
			for (size_t j = 0; j < n; j++) {
				float d = g[j] + wd * p[j];
				if (mu != 0) {
					m1[j] = o->step > 1 ? mu * m1[j] + d : d;
					d = q->c->nesterov ? d + mu * m1[j] : m1[j];
				}
				p[j] -= flr * d;
			}
		} else {
			float *m2 = o->m2 + pp->offset + lo;
			for (size_t j = 0; j < n; j++) {
				float d = g[j];
				if (q->adamw)
					p[j] *= 1 - flr * wd;
				else
					d += wd * p[j];
				m1[j] = b1 * m1[j] + (1 - b1) * d;
				m2[j] = b2 * m2[j] + (float)(1 - q->c->beta2) * d * d;
				p[j] -= step_size * m1[j] / (sqrtf(m2[j]) / bc2s + eps);
			}
		}
	}
}

/* PyTorch's update rules (torch.optim, single-tensor, foreach=False):
 * SGD:   g += wd*p; b = step>1 ? mu*b + g : g; g = nesterov ? g + mu*b : b;
 *        p -= lr*g
 * Adam:  g += wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
 *        p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 * AdamW: p *= 1 - lr*wd; then Adam without the L2 term.
 * Elementwise, so the threads (each its range of every parameter) give
 * the one-thread result. */
void dbv_optim_step(struct dbv_optim *o, struct dbv_model *m,
		    const struct dbv_train_cfg *c, double lr)
{
	struct optim_job q;

	o->step++;
	double bc1 = 1 - pow(c->beta1, (double)o->step);
	double bc2 = 1 - pow(c->beta2, (double)o->step);
	q.o = o;
	q.m = m;
	q.c = c;
	q.flr = (float)lr;
	q.wd = (float)c->weight_decay;
	q.mu = (float)c->momentum;
	q.sgd = !strcmp(c->optim, "sgd");
	q.adamw = !strcmp(c->optim, "adamw");
	q.step_size = (float)(lr / bc1);
	q.bc2s = (float)sqrt(bc2);
	q.b1 = (float)c->beta1;
	q.b2 = (float)c->beta2;
	q.eps = (float)c->adam_eps;
	par_run(par_threads(m->total, PAR_MIN), optim_part, &q);
}

/* One item of dbv_make_batch with its crop offsets and flip. */
static void make_item(const uint8_t *x, int c, int h, int w, int oy, int ox,
		      int fl, const float *scale, const float *shift, float *y)
{
	for (int ch = 0; ch < c; ch++) {
		int k = ch < 4 ? ch : 3;
		/* Zero padding is zero in pixel space, normalised. */
		float pad = shift[k];
		for (int r = 0; r < h; r++) {
			int sr = r + oy;
			float *yr = y + ((size_t)ch * h + r) * w;
			if (sr < 0 || sr >= h) {
				for (int q = 0; q < w; q++)
					yr[q] = pad;
				continue;
			}
			const uint8_t *xr = x + ((size_t)ch * h + sr) * w;
			for (int q = 0; q < w; q++) {
				int sq = (fl ? w - 1 - q : q) + ox;
				yr[q] = (sq < 0 || sq >= w) ? pad
							    : xr[sq] * scale[k] + shift[k];
			}
		}
	}
}

struct batch_job {
	const uint8_t *src;
	const int64_t *idx;
	int c, h, w;
	const int *dy, *dx, *fl;
	const float *scale, *shift;
	float *out;
};

static void batch_part(void *arg, size_t lo, size_t hi)
{
	const struct batch_job *q = arg;
	const size_t item = (size_t)q->c * (size_t)q->h * (size_t)q->w;

	for (size_t i = lo; i < hi; i++)
		make_item(q->src + (size_t)q->idx[i] * item, q->c, q->h, q->w,
			  q->dy[i], q->dx[i], q->fl[i], q->scale, q->shift,
			  q->out + i * item);
}

/* Items per block: the draws of a block are made first, in item order,
 * then its items are made in parallel. */
#define BATCH_BLOCK 256

void dbv_make_batch(const uint8_t *src, int c, int h, int w,
		    const int64_t *idx, int n, const double *mean,
		    const double *std, int crop_pad, int flip,
		    struct dbv_rng *rng, float *out)
{
	size_t item = (size_t)c * (size_t)h * (size_t)w;
	float scale[4], shift[4];
	int dy[BATCH_BLOCK], dx[BATCH_BLOCK], fl[BATCH_BLOCK];
	for (int ch = 0; ch < c && ch < 4; ch++) {
		/* (v/255 - mean)/std = v*scale + shift */
		scale[ch] = (float)(1.0 / (255.0 * std[ch]));
		shift[ch] = (float)(-mean[ch] / std[ch]);
	}
	for (int i0 = 0; i0 < n; i0 += BATCH_BLOCK) {
		int cnt = n - i0 < BATCH_BLOCK ? n - i0 : BATCH_BLOCK;
		for (int i = 0; i < cnt; i++) {
			dy[i] = dx[i] = fl[i] = 0;
			if (rng && crop_pad) {
				dy[i] = (int)dbv_rng_below(rng, 2 * (uint64_t)crop_pad + 1) - crop_pad;
				dx[i] = (int)dbv_rng_below(rng, 2 * (uint64_t)crop_pad + 1) - crop_pad;
			}
			if (rng && flip)
				fl[i] = (int)dbv_rng_below(rng, 2);
		}
		struct batch_job q = { src, idx + i0, c, h, w, dy, dx, fl,
				       scale, shift, out + (size_t)i0 * item };
		par_for(par_threads((size_t)cnt * item, PAR_MIN), (size_t)cnt, 1,
			batch_part, &q);
	}
}

/* ---- model streams ---- */

int dbv_model_write_meta(struct dbv_writer *w, const struct dbv_model *m,
			 char *const *class_names, const double *mean,
			 const double *std)
{
	const struct dbv_arch *a = &m->arch;
	int64_t shape[3] = {a->c, a->h, a->w};
	dbv_w_key(w, "arch");
	dbv_w_str(w, a->name);
	dbv_w_key(w, "width");
	dbv_w_i64(w, a->width);
	dbv_w_key(w, "depth");
	dbv_w_i64(w, a->depth);
	dbv_w_key(w, "shape");
	dbv_w_i64_array(w, shape, 3);
	dbv_w_key(w, "classes");
	dbv_w_i64(w, a->classes);
	dbv_w_key(w, "class_names");
	if (class_names)
		dbv_w_str_array(w, class_names, (size_t)a->classes);
	else
		dbv_w_nil(w);
	dbv_w_key(w, "mean");
	dbv_w_f64_array(w, mean, (size_t)a->c);
	dbv_w_key(w, "std");
	dbv_w_f64_array(w, std, (size_t)a->c);
	dbv_w_key(w, "params");
	dbv_w_u64(w, dbv_model_count(m, 1));
	/* Batch norm's constants (PyTorch's defaults), so that a reader
	 * need not assume them. */
	dbv_w_key(w, "bn_eps");
	dbv_w_f64(w, DBV_BN_EPS);
	dbv_w_key(w, "bn_momentum");
	dbv_w_f64(w, DBV_BN_MOMENTUM);
	return dbv_writer_status(w);
}

int dbv_model_write_params(struct dbv_writer *w, const struct dbv_model *m)
{
	for (size_t i = 0; i < m->nparams; i++) {
		const struct dbv_param *p = &m->params[i];
		dbv_writer_record_begin(w, "param", 2);
		dbv_w_key(w, "name");
		dbv_w_str(w, p->name);
		dbv_w_key(w, "value");
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

int dbv_arch_from_meta(const dbv_val *meta, struct dbv_arch *a)
{
	const char *s;
	size_t n;
	int64_t v[6];
	const dbv_val *sh = dbv_map_get(meta, "shape");

	memset(a, 0, sizeof *a);
	if (dbv_val_str(dbv_map_get(meta, "arch"), &s, &n) || n == 0 ||
	    n >= sizeof a->name)
		return dbv_seterr(DBV_EINPUT, "model header has no valid \"arch\"");
	memcpy(a->name, s, n);
	if (dbv_get_i64(meta, "width", &v[0]) || dbv_get_i64(meta, "depth", &v[1]) ||
	    dbv_get_i64(meta, "classes", &v[2]) || dbv_val_len(sh) != 3 ||
	    dbv_val_i64(dbv_array_at(sh, 0), &v[3]) ||
	    dbv_val_i64(dbv_array_at(sh, 1), &v[4]) ||
	    dbv_val_i64(dbv_array_at(sh, 2), &v[5]))
		return dbv_seterr(DBV_EINPUT,
				  "model header lacks width, depth, classes or shape");
	for (int i = 0; i < 6; i++)
		if (v[i] < 0 || v[i] > 1 << 20)
			return dbv_seterr(DBV_EINPUT, "model header has out-of-range sizes");
	if (v[3] > 4)
		return dbv_seterr(DBV_EINPUT, "model input has %lld channels (at most 4)",
				  (long long)v[3]);
	a->width = (int)v[0];
	a->depth = (int)v[1];
	a->classes = (int)v[2];
	a->c = (int)v[3];
	a->h = (int)v[4];
	a->w = (int)v[5];
	return DBV_OK;
}

int dbv_model_set_param(struct dbv_model *m, const char *name, size_t nlen,
			const struct dbv_tensor *t)
{
	for (size_t i = 0; i < m->nparams; i++) {
		struct dbv_param *p = &m->params[i];
		if (strlen(p->name) != nlen || memcmp(p->name, name, nlen))
			continue;
		if (p->kind == DBV_P_COUNTER) {
			if (t->dtype != DBV_I64 || t->nbytes != 8)
				return dbv_seterr(DBV_EINPUT,
						  "parameter '%s' must be an i64 scalar", p->name);
			int64_t v;
			memcpy(&v, t->data, 8);
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
		memcpy(m->p + p->offset, t->data, p->numel * sizeof(float));
		return DBV_OK;
	}
	return dbv_seterr(DBV_EINPUT, "unknown parameter '%.*s'",
			  (int)(nlen > 64 ? 64 : nlen), name);
}

static int read_norm(const dbv_val *meta, const char *key, int c, double *out)
{
	const dbv_val *v = dbv_map_get(meta, key);
	if (dbv_val_len(v) != (size_t)c)
		return dbv_seterr(DBV_EINPUT, "model header \"%s\" must have %d entries",
				  key, c);
	for (int i = 0; i < c; i++)
		if (dbv_val_double(dbv_array_at(v, (size_t)i), &out[i]) ||
		    !isfinite(out[i]))
			return dbv_seterr(DBV_EINPUT, "model header \"%s\" is not numeric", key);
	return DBV_OK;
}

int dbv_model_read(struct dbv_reader *r, struct dbv_model *m, double *mean,
		   double *std)
{
	struct dbv_arch a;
	const dbv_val *rec;
	unsigned char *seen;
	int rc;

	if ((rc = dbv_reader_header(r, "model", NULL)))
		return rc;
	if ((rc = dbv_arch_from_meta(dbv_reader_meta(r), &a)))
		return rc;
	for (int i = 0; i < 4; i++)
		mean[i] = 0, std[i] = 1;
	if ((rc = read_norm(dbv_reader_meta(r), "mean", a.c, mean)) ||
	    (rc = read_norm(dbv_reader_meta(r), "std", a.c, std)))
		return rc;
	for (int i = 0; i < a.c; i++)
		if (!(std[i] > 0))
			return dbv_seterr(DBV_EINPUT, "model header std must be > 0");
	if ((rc = dbv_model_build(m, &a)))
		return rc == DBV_EUSAGE ? dbv_preerr(DBV_EINPUT, "model header") : rc;
	seen = dbv_calloc(m->nparams, 1);
	if (!seen)
		return DBV_EIO;
	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
		const char *name;
		size_t nl;
		struct dbv_tensor t;
		if (!dbv_record_is(rec, "param"))
			continue;
		if (dbv_val_str(dbv_map_get(rec, "name"), &name, &nl)) {
			rc = dbv_seterr(DBV_EINPUT, "param record without a name");
			break;
		}
		if ((rc = dbv_get_tensor(rec, "value", &t)))
			break;
		rc = dbv_model_set_param(m, name, nl, &t);
		dbv_tensor_release(&t);
		if (rc)
			break;
		for (size_t i = 0; i < m->nparams; i++)
			if (strlen(m->params[i].name) == nl &&
			    !memcmp(m->params[i].name, name, nl))
				seen[i] = 1;
	}
	if (rc == DBV_END) {
		rc = DBV_OK;
		for (size_t i = 0; i < m->nparams; i++)
			if (!seen[i]) {
				rc = dbv_seterr(DBV_EINPUT, "model stream lacks parameter '%s'",
						m->params[i].name);
				break;
			}
	}
	free(seen);
	if (rc)
		dbv_model_release(m);
	return rc;
}
