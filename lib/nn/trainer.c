/*
 * trainer.c - the training loop: epochs of shuffled, augmented batches,
 * an optimizer update per batch, evaluation after each epoch, the
 * non-finite checks, and hooks at the moments dbv-train(1) documents for
 * progress, logs and checkpoints.
 *
 * The order of the draws is part of the results: at an epoch's start (and
 * not when resuming inside it) the data generator shuffles the identity
 * order; then each batch draws its augmentation (dbv_make_batch).  A
 * resume restores the generator with the rest of the state, so the
 * parameters come out the same, bit for bit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/nn.h"

/* Seconds between two calls of the progress hook, at the most often. */
#define PROGRESS_EVERY 0.2

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int dbv_trainer_init(struct dbv_trainer *t, const struct dbv_arch *arch,
		     const struct dbv_train_cfg *cfg,
		     const struct dbv_dataset *train,
		     const struct dbv_dataset *test)
{
	const struct dbv_dataset *d = train;
	struct dbv_arch a = *arch;
	size_t b = (size_t)cfg->batch, item;
	int rc;

	memset(t, 0, sizeof *t);
	if (d->n < 1 || d->c < 1 || d->c > 4 || d->h < 1 || d->w < 1 ||
	    d->dtype != DBV_U8 || (test && (test->n < 1 || test->dtype != DBV_U8)))
		return dbv_seterr(DBV_EINPUT, "a training or test set is empty, or its items are not u8 images of 1 to 4 channels");
	if (test && (test->c != d->c || test->h != d->h || test->w != d->w ||
		     test->nclasses != d->nclasses))
		return dbv_seterr(DBV_EINPUT,
				  "the test set's items (%dx%dx%d, %d classes) differ from the training set's (%dx%dx%d, %d classes)",
				  (int)test->c, (int)test->h, (int)test->w, test->nclasses,
				  (int)d->c, (int)d->h, (int)d->w, d->nclasses);
	a.c = (int)d->c;
	a.h = (int)d->h;
	a.w = (int)d->w;
	a.classes = d->nclasses;
	t->cfg = *cfg;
	t->train = train;
	t->test = test;
	if ((rc = dbv_model_build(&t->model, &a)))
		return rc;
	dbv_model_init(&t->model, cfg->seed);
	if ((rc = dbv_model_reserve(&t->model, cfg->batch)) ||
	    (rc = dbv_optim_init(&t->optim, &t->model, cfg))) {
		dbv_model_release(&t->model);
		return rc;
	}
	item = (size_t)a.c * (size_t)a.h * (size_t)a.w;
	t->st.n = d->n;
	t->st.total = t->model.total;
	t->st.p = t->model.p;
	t->st.m1 = t->optim.m1;
	t->st.m2 = t->optim.m2;
	t->st.perm = dbv_malloc((size_t)d->n * sizeof *t->st.perm);
	t->st.logs = dbv_calloc((size_t)cfg->epochs, sizeof *t->st.logs);
	t->xb = dbv_amalloc(b * item * sizeof(float));
	t->dl = dbv_amalloc(b * (size_t)a.classes * sizeof(float));
	t->idx = dbv_malloc(b * sizeof *t->idx);
	t->ybuf = dbv_malloc(b * sizeof *t->ybuf);
	if (!t->st.perm || !t->st.logs || !t->xb || !t->dl || !t->idx || !t->ybuf) {
		dbv_trainer_release(t);
		return DBV_EIO;
	}
	dbv_rng_seed(&t->st.rng, cfg->data_seed);
	return DBV_OK;
}

void dbv_trainer_release(struct dbv_trainer *t)
{
	dbv_model_release(&t->model);
	dbv_optim_release(&t->optim);
	free(t->st.perm);
	free(t->st.logs);
	dbv_afree(t->xb);
	dbv_afree(t->dl);
	free(t->idx);
	free(t->ybuf);
	memset(t, 0, sizeof *t);
}

int64_t dbv_trainer_batches(const struct dbv_trainer *t)
{
	return (t->train->n + t->cfg.batch - 1) / t->cfg.batch;
}

void dbv_trainer_state(const struct dbv_trainer *t, struct dbv_train_state *st)
{
	*st = t->st;
	st->step = t->optim.step;
}

void dbv_trainer_resume(struct dbv_trainer *t, const struct dbv_train_state *st)
{
	struct dbv_train_state *my = &t->st;
	size_t pb = my->total * sizeof(float);

	if (st->perm != my->perm)
		memcpy(my->perm, st->perm, (size_t)my->n * sizeof *my->perm);
	if (st->logs != my->logs)
		memcpy(my->logs, st->logs, (size_t)st->epoch * sizeof *my->logs);
	if (st->p != my->p)
		memcpy(my->p, st->p, pb);
	if (st->m1 != my->m1)
		memcpy(my->m1, st->m1, pb);
	if (my->m2 && st->m2 != my->m2)
		memcpy(my->m2, st->m2, pb);
	my->epoch = st->epoch;
	my->batch = st->batch;
	my->elapsed = st->elapsed;
	my->loss_sum = st->loss_sum;
	my->correct = st->correct;
	my->seen = st->seen;
	my->rng = st->rng;
	t->optim.step = st->step;
}

/* Evaluate (BN in eval mode) over a whole data set, with the trainer's
 * batch buffers. */
static void evaluate(struct dbv_trainer *t, const struct dbv_dataset *d,
		     double *loss, double *acc)
{
	int batch = t->cfg.batch;
	double tl = 0;
	int64_t correct = 0;

	for (int64_t s = 0; s < d->n; s += batch) {
		int n = (int)(d->n - s < batch ? d->n - s : batch), cor = 0;
		for (int i = 0; i < n; i++)
			t->idx[i] = s + i;
		dbv_make_batch(d->x, (int)d->c, (int)d->h, (int)d->w, t->idx, n,
			       d->mean, d->std, 0, 0, NULL, t->xb);
		const float *logits = dbv_model_forward(&t->model, t->xb, n, 0);
		tl += dbv_loss(t->cfg.loss, n, t->model.arch.classes, logits,
			       d->y + s, t->dl, &cor) * n;
		correct += cor;
	}
	*loss = tl / (double)d->n;
	*acc = (double)correct / (double)d->n;
}

/* Run batch st->batch of the epoch under way: forward, loss, backward,
 * update at rate *lr.  Returns the batch's items, or -1 when its loss is
 * not finite (the model then untouched by this batch's update). */
static int train_batch(struct dbv_trainer *t, int64_t nb, double *lr)
{
	const struct dbv_train_cfg *c = &t->cfg;
	const struct dbv_dataset *d = t->train;
	struct dbv_train_state *st = &t->st;
	int64_t s = st->batch * c->batch;
	int n = (int)(d->n - s < c->batch ? d->n - s : c->batch), cor = 0;

	memcpy(t->idx, st->perm + s, (size_t)n * sizeof *t->idx);
	dbv_make_batch(d->x, (int)d->c, (int)d->h, (int)d->w, t->idx, n, d->mean,
		       d->std, c->crop_pad, c->flip, &st->rng, t->xb);
	/* dropout's masks: from the data seed and the step, so that a
	 * resume draws the same */
	t->model.drop_seed = dbv_dropout_seed(c->data_seed, t->optim.step);
	const float *logits = dbv_model_forward(&t->model, t->xb, n, 1);
	for (int i = 0; i < n; i++)
		t->ybuf[i] = d->y[t->idx[i]];
	double loss = dbv_loss(c->loss, n, d->nclasses, logits, t->ybuf, t->dl, &cor);
	if (!dbv_finite(loss))
		return -1;
	dbv_model_zero_grad(&t->model);
	dbv_model_backward(&t->model, t->dl, n);
	*lr = dbv_train_lr(c, st->epoch, st->batch, nb);
	dbv_optim_step(&t->optim, &t->model, c, *lr);
	st->loss_sum += loss * n;
	st->correct += cor;
	st->seen += n;
	return n;
}

/* Call the checkpoint hook with the state at (epoch, batch), the running
 * figures kept for a batch inside the epoch and cleared at its start. */
static int save(const struct dbv_trainer *t, const struct dbv_train_hooks *h,
		int64_t epoch, int64_t batch, double elapsed)
{
	struct dbv_train_state st;

	dbv_trainer_state(t, &st);
	st.epoch = epoch;
	st.batch = batch;
	st.elapsed = elapsed;
	if (batch == 0) {
		st.loss_sum = 0;
		st.correct = st.seen = 0;
	}
	return h->checkpoint(h->arg, &st);
}

/* Whether a save is due, by the hooks' unit, after `batches` batches and
 * `secs` seconds since the last (at an epoch's end: end = 1). */
static int due(const struct dbv_train_hooks *h, int64_t batches, double secs,
	       int64_t epoch, int end)
{
	if (!h->checkpoint)
		return 0;
	switch (h->ckpt_unit) {
	case DBV_CKPT_EPOCHS: return end && (epoch + 1) % h->ckpt_every == 0;
	case DBV_CKPT_BATCHES: return batches >= h->ckpt_every;
	case DBV_CKPT_SECONDS: return secs >= (double)h->ckpt_every;
	}
	return 0;
}

static int params_finite(const struct dbv_model *m)
{
	return dbv_f32_nonfinite(m->p, m->total) == m->total;
}

/* The end of epoch st->epoch: the parameter check, its log row (with the
 * evaluation), the epoch hook. */
static int end_epoch(struct dbv_trainer *t, const struct dbv_train_hooks *h,
		     double e0, double lr, int64_t trained)
{
	struct dbv_train_state *st = &t->st;
	struct dbv_train_log *row = &st->logs[st->epoch];

	if (!params_finite(&t->model))
		return dbv_seterr(DBV_ENONFINITE,
				  "the parameters became non-finite in epoch %lld (lower the learning rate?)",
				  (long long)st->epoch + 1);
	memset(row, 0, sizeof *row);
	row->epoch = st->epoch + 1;
	row->train_loss = st->seen ? st->loss_sum / (double)st->seen : 0;
	row->train_acc = st->seen ? (double)st->correct / (double)st->seen : 0;
	row->lr = lr;
	if (t->test) {
		row->has_test = 1;
		evaluate(t, t->test, &row->test_loss, &row->test_acc);
	}
	row->seconds = now() - e0;
	return h->epoch ? h->epoch(h->arg, row, trained) : DBV_OK;
}

/* --optim lstsq: the one "epoch" is the least-squares fit (lstsq.c),
 * its figures those of the fitted model on the training set. */
static int solve_run(struct dbv_trainer *t, const struct dbv_train_hooks *h)
{
	struct dbv_train_state *st = &t->st;
	double e0 = now(), loss, acc;
	int rc;

	if (st->epoch >= 1)
		return DBV_OK;
	if ((rc = dbv_rf_lstsq(&t->model, t->train, t->xb, t->idx, t->cfg.batch, NULL)))
		return rc;
	evaluate(t, t->train, &loss, &acc);
	st->seen = t->train->n;
	st->loss_sum = loss * (double)st->seen;
	st->correct = (int64_t)(acc * (double)st->seen + 0.5);
	st->batch = dbv_trainer_batches(t);
	if ((rc = end_epoch(t, h, e0, 0, st->seen)))
		return rc;
	st->epoch = 1;
	st->batch = 0;
	return DBV_OK;
}

int dbv_trainer_run(struct dbv_trainer *t, const struct dbv_train_hooks *h)
{
	const struct dbv_train_cfg *c = &t->cfg;
	struct dbv_train_state *st = &t->st;
	const int64_t n_all = t->train->n, nb = dbv_trainer_batches(t);
	double t_start = now() - st->elapsed, t_ckpt = now();
	int64_t since_ckpt = 0;
	int rc;

	if (!strcmp(c->optim, "lstsq"))
		return solve_run(t, h);
	for (; st->epoch < c->epochs; st->epoch++, st->batch = 0) {
		double e0 = now(), last_print = 0, lr = 0;
		if (st->batch > 0) /* resumed: the last batch's, for the log */
			lr = dbv_train_lr(c, st->epoch, st->batch - 1, nb);
		int64_t seen0 = st->seen; /* items before a resume point */
		if (st->batch == 0) {
			st->loss_sum = 0;
			st->correct = st->seen = 0;
			seen0 = 0;
			for (int64_t i = 0; i < n_all; i++)
				st->perm[i] = i;
			dbv_rng_shuffle_i64(&st->rng, st->perm, (size_t)n_all);
		}
		for (; st->batch < nb; st->batch++) {
			if (train_batch(t, nb, &lr) < 0)
				return dbv_seterr(DBV_ENONFINITE,
						  "the loss is not finite at epoch %lld, batch %lld (lower the learning rate?)",
						  (long long)st->epoch + 1, (long long)st->batch + 1);
			since_ckpt++;
			double tn = now();
			if (h->progress && (tn - last_print > PROGRESS_EVERY || st->batch + 1 == nb)) {
				struct dbv_train_progress p;
				p.epoch = st->epoch + 1;
				p.batch = st->batch + 1;
				p.nbatches = nb;
				p.loss = st->loss_sum / (double)st->seen;
				p.acc = (double)st->correct / (double)st->seen;
				p.rate = (double)(st->seen - seen0) / (tn - e0 + 1e-9);
				/* Items left: this and the later epochs' less
				 * this epoch's batches so far. */
				int64_t done = (st->batch + 1) * c->batch;
				done = done < n_all ? done : n_all;
				p.left = p.rate > 0 ? ((double)(c->epochs - st->epoch) * (double)n_all -
						       (double)done) / p.rate : 0;
				if ((rc = h->progress(h->arg, &p)))
					return rc;
				last_print = tn;
			}
			/* Batch and time saves inside an epoch; one due at its
			 * last batch waits for the epoch's end. */
			if (st->batch + 1 < nb && due(h, since_ckpt, tn - t_ckpt, st->epoch, 0)) {
				if ((rc = save(t, h, st->epoch, st->batch + 1, tn - t_start)))
					return rc;
				t_ckpt = tn;
				since_ckpt = 0;
			}
			/* Stopped: saved where the next batch starts (even after
			 * an epoch's last: its end comes on resuming). */
			if (h->stop && *h->stop) {
				st->batch++;
				if (h->checkpoint &&
				    (rc = save(t, h, st->epoch, st->batch, now() - t_start)))
					return rc;
				return DBV_TRAIN_STOPPED;
			}
		}
		if ((rc = end_epoch(t, h, e0, lr, st->seen - seen0)))
			return rc;
		double tn = now();
		if (st->epoch + 1 < c->epochs && due(h, since_ckpt, tn - t_ckpt, st->epoch, 1)) {
			if ((rc = save(t, h, st->epoch + 1, 0, now() - t_start)))
				return rc;
			t_ckpt = tn;
			since_ckpt = 0;
		}
	}
	return DBV_OK;
}

void dbv_train_where(char *buf, size_t n, const struct dbv_train_state *st,
		     int epochs, int64_t nb)
{
	if (st->batch > 0)
		snprintf(buf, n, "after batch %lld/%lld of epoch %lld/%d",
			 (long long)st->batch, (long long)nb,
			 (long long)st->epoch + 1, epochs);
	else if (st->epoch < epochs)
		snprintf(buf, n, "at the start of epoch %lld/%d",
			 (long long)st->epoch + 1, epochs);
	else
		snprintf(buf, n, "after the last epoch (%d)", epochs);
}

/* Timing passes for --estimate: the first a warm-up, then at least two
 * timed, until min_s of wall-clock time have passed; the rates in items
 * per wall-clock second and per second of the process's CPU time. */
struct timing {
	double t0, c0, min_s;
	int timed;
	int64_t items;
};

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* After a pass of n items: 1 when the timing is done (rates set). */
static int timing_step(struct timing *tm, int n, double *rate, double *cpu_rate)
{
	double tn = now(), cn = cpu_now();

	if (tm->timed++ == 0) { /* the warm-up ends */
		tm->t0 = tn;
		tm->c0 = cn;
		return 0;
	}
	tm->items += n;
	if (tm->timed < 3 || tn - tm->t0 < tm->min_s)
		return 0;
	*rate = (double)tm->items / (tn - tm->t0);
	*cpu_rate = (double)tm->items / (cn - tm->c0 > 1e-9 ? cn - tm->c0 : 1e-9);
	return 1;
}

/* Evaluation passes over batches of d in order (cycling), as evaluate()
 * runs them, for min_s. */
static void eval_rate(struct dbv_trainer *t, const struct dbv_dataset *d,
		      double min_s, double *rate, double *cpu_rate)
{
	struct timing tm = {.min_s = min_s};
	int64_t s = 0;
	int n;

	do {
		n = (int)(d->n - s < t->cfg.batch ? d->n - s : t->cfg.batch);
		for (int i = 0; i < n; i++)
			t->idx[i] = s + i;
		dbv_make_batch(d->x, (int)d->c, (int)d->h, (int)d->w, t->idx, n,
			       d->mean, d->std, 0, 0, NULL, t->xb);
		dbv_model_forward(&t->model, t->xb, n, 0);
		s = s + n < d->n ? s + n : 0;
	} while (!timing_step(&tm, n, rate, cpu_rate));
}

double dbv_model_eval_rate(struct dbv_model *m, const float *x, int n,
			   double min_seconds, double *cpu_rate)
{
	struct timing tm = {.min_s = min_seconds};
	double rate;

	do
		dbv_model_forward(m, x, n, 0);
	while (!timing_step(&tm, n, &rate, cpu_rate));
	return rate;
}

int dbv_trainer_measure(struct dbv_trainer *t, double min_seconds,
			struct dbv_estimate *e)
{
	struct dbv_train_state *st = &t->st;
	const int64_t n_all = t->train->n, nb = dbv_trainer_batches(t);
	struct timing tm = {.min_s = min_seconds};
	double lr, rate, cpu_rate, eval, eval_cpu;
	int n;

	for (int64_t i = 0; i < n_all; i++)
		st->perm[i] = i;
	dbv_rng_shuffle_i64(&st->rng, st->perm, (size_t)n_all);
	st->batch = 0;
	int fresh = 1; /* the parameters as initialised */
	do {
		while ((n = train_batch(t, nb, &lr)) < 0) {
			/* From the initial parameters: the run itself would
			 * fail.  Later: the passes (as many as min_seconds
			 * allows, over a data set as small as one batch) trained
			 * further than a run's first epoch; start again from the
			 * initial state (a faster machine makes more passes). */
			if (fresh)
				return dbv_seterr(DBV_ENONFINITE,
						  "the loss is not finite in the first batches (lower the learning rate?)");
			dbv_model_init(&t->model, t->cfg.seed);
			memset(t->optim.m1, 0, t->model.total * sizeof(float));
			if (t->optim.m2)
				memset(t->optim.m2, 0, t->model.total * sizeof(float));
			t->optim.step = 0;
			st->batch = 0;
			fresh = 1;
		}
		fresh = 0;
		st->batch = (st->batch + 1) % nb;
	} while (!timing_step(&tm, n, &rate, &cpu_rate));
	eval_rate(t, t->test ? t->test : t->train, min_seconds / 2, &eval, &eval_cpu);
	memset(e, 0, sizeof *e);
	e->train = 1;
	e->rate = rate;
	e->items = n_all;
	e->epochs = t->cfg.epochs;
	e->eval_rate = eval;
	e->eval_items = t->test ? t->test->n : 0;
	e->seconds = dbv_estimate_seconds(e->epochs, e->items, rate, e->eval_items, eval);
	e->cpu_seconds = dbv_estimate_seconds(e->epochs, e->items, cpu_rate,
					      e->eval_items, eval_cpu);
	e->threads = t->cfg.threads;
	e->memory = dbv_trainer_bytes(t);
	return DBV_OK;
}
