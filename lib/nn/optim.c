/*
 * optim.c - what a training loop needs besides the model: configuration,
 * learning-rate schedules, optimizers, batch making with augmentation.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

void dbv_train_cfg_default(struct dbv_train_cfg *c)
{
	memset(c, 0, sizeof *c);
	strcpy(c->optim, "sgd");
	strcpy(c->loss, "xent");
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
	    strcmp(c->optim, "adamw") && strcmp(c->optim, "lstsq"))
		return dbv_seterr(DBV_EUSAGE,
				  "unknown optimizer '%s' (sgd, adam, adamw, lstsq)", c->optim);
	if (!strcmp(c->optim, "lstsq") && (strcmp(c->loss, "mse") || c->epochs != 1))
		return dbv_seterr(DBV_EUSAGE,
				  "--optim lstsq solves the squared loss once: it needs --loss mse and 1 epoch");
	if (strcmp(c->loss, "xent") && strcmp(c->loss, "mse"))
		return dbv_seterr(DBV_EUSAGE, "unknown loss '%s' (xent, mse)", c->loss);
	if (strcmp(c->schedule, "constant") && strcmp(c->schedule, "step") &&
	    strcmp(c->schedule, "cosine"))
		return dbv_seterr(DBV_EUSAGE,
				  "unknown schedule '%s' (constant, step, cosine)",
				  c->schedule);
	if (!(c->lr > 0) || !dbv_finite(c->lr))
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

/* ---- the training options' text forms ---- */

int dbv_parse_augment(const char *s, int *crop_pad, int *flip)
{
	char buf[64], *tok, *rest = buf;
	int64_t p;
	unsigned seen = 0; /* 1 flip, 2 crop */
	int pad = 0, fl = 0;

	if (!strcmp(s, "none")) {
		*crop_pad = *flip = 0;
		return DBV_OK;
	}
	if (!*s || strlen(s) >= sizeof buf)
		goto bad;
	strcpy(buf, s);
	while ((tok = strsep(&rest, ","))) {
		if (!strcmp(tok, "flip") && !(seen & 1))
			seen |= 1, fl = 1;
		else if (!strncmp(tok, "crop:", 5) && !(seen & 2) &&
			 !dbv_parse_i64(tok + 5, 1, 64, &p))
			seen |= 2, pad = (int)p;
		else
			goto bad;
	}
	*crop_pad = pad;
	*flip = fl;
	return DBV_OK;
bad:
	return dbv_seterr(DBV_EUSAGE, "'%s' is not an augmentation (none, or "
			  "crop:P,flip, each at most once)", s);
}

int dbv_parse_betas(const char *s, double *beta1, double *beta2)
{
	char b1[64];
	const char *comma = strchr(s, ',');
	double v1, v2;

	if (!comma || (size_t)(comma - s) >= sizeof b1)
		return dbv_seterr(DBV_EUSAGE, "'%s' is not B1,B2", s);
	memcpy(b1, s, (size_t)(comma - s));
	b1[comma - s] = 0;
	if (dbv_parse_double(b1, 0, 0.999999, &v1) ||
	    dbv_parse_double(comma + 1, 0, 0.999999999, &v2))
		return DBV_EUSAGE;
	*beta1 = v1;
	*beta2 = v2;
	return DBV_OK;
}

int dbv_parse_milestones(const char *s, struct dbv_train_cfg *c)
{
	int64_t *list;
	size_t n;

	if (dbv_parse_i64_list(s, 1, 1000000, &list, &n))
		return DBV_EUSAGE;
	if (n > DBV_MAX_MILESTONES) {
		free(list);
		return dbv_seterr(DBV_EUSAGE, "at most %d milestones", DBV_MAX_MILESTONES);
	}
	c->nmilestones = (int)n;
	memcpy(c->milestones, list, n * sizeof *list);
	free(list);
	return DBV_OK;
}
