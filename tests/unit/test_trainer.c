/*
 * test_trainer.c - the training loop (lib/nn/trainer.c): it learns a
 * separable set, repeats itself bit for bit, calls its hooks at the
 * documented moments with the documented state, resumes to the same bits,
 * and stops on a non-finite loss or parameter with DBV_ENONFINITE.
 */
#include <string.h>

#include "check.h"

#define N 64
#define SIDE 4
#define EPOCHS 5
#define BATCH 8 /* 8 batches an epoch */

/* Two classes of 1x4x4 images: class 0 dark, class 1 bright, the pixels
 * drawn around the class's grey; labels alternate. */
static void make_set(struct dbv_dataset *d, uint64_t seed)
{
	struct dbv_rng r;

	memset(d, 0, sizeof *d);
	dbv_rng_seed(&r, seed);
	d->n = N;
	d->c = 1;
	d->h = d->w = SIDE;
	d->nclasses = 2;
	d->x = malloc(N * SIDE * SIDE);
	d->y = malloc(N * sizeof *d->y);
	for (int i = 0; i < N; i++) {
		d->y[i] = i % 2;
		for (int k = 0; k < SIDE * SIDE; k++)
			d->x[i * SIDE * SIDE + k] = (uint8_t)((d->y[i] ? 180 : 30) +
							      dbv_rng_below(&r, 50));
	}
	d->mean[0] = 0.5;
	d->std[0] = 0.3;
}

static void cfg_small(struct dbv_train_cfg *c)
{
	dbv_train_cfg_default(c);
	c->epochs = EPOCHS;
	c->batch = BATCH;
	c->lr = 0.05;
	c->flip = 1;
	c->seed = 3;
	c->data_seed = 4;
}

static const struct dbv_arch mlp = {.name = "mlp", .width = 8, .depth = 1};

/* What the hooks saw. */
struct seen {
	int epochs, saves, progress, last_batches;
	int64_t log_epoch[EPOCHS];
	int64_t save_epoch[32], save_batch[32];
	int bad_state;       /* a saved state that breaks an invariant */
	struct dbv_trainer *t;
	int64_t nan_epoch;   /* poison a parameter at this epoch's end */
	/* A copy of the state at save number `keep` (from 1). */
	int keep;
	struct dbv_train_state copy;
};

static int on_epoch(void *arg, const struct dbv_train_log *l, int64_t trained)
{
	struct seen *s = arg;
	if (s->epochs < EPOCHS)
		s->log_epoch[s->epochs] = l->epoch;
	s->epochs++;
	CHECK(trained > 0 && trained <= N); /* less after a resume inside it */
	CHECK(dbv_model_log_check(l) == NULL);
	return 0;
}

static int on_progress(void *arg, const struct dbv_train_progress *p)
{
	struct seen *s = arg;
	s->progress++;
	CHECK(p->nbatches == N / BATCH && p->batch >= 1 && p->batch <= p->nbatches);
	if (p->batch == p->nbatches) {
		s->last_batches++;
		if (p->epoch == s->nan_epoch)
			s->t->model.p[0] = NAN;
	}
	return 0;
}

static void copy_state(struct dbv_train_state *dst, const struct dbv_train_state *st)
{
	size_t pb = st->total * sizeof(float);
	*dst = *st;
	dst->perm = malloc((size_t)st->n * sizeof *dst->perm);
	dst->logs = malloc(EPOCHS * sizeof *dst->logs);
	dst->p = malloc(pb);
	dst->m1 = malloc(pb);
	dst->m2 = st->m2 ? malloc(pb) : NULL;
	memcpy(dst->perm, st->perm, (size_t)st->n * sizeof *dst->perm);
	memcpy(dst->logs, st->logs, (size_t)st->epoch * sizeof *dst->logs);
	memcpy(dst->p, st->p, pb);
	memcpy(dst->m1, st->m1, pb);
	if (st->m2)
		memcpy(dst->m2, st->m2, pb);
}

static void free_state(struct dbv_train_state *st)
{
	free(st->perm);
	free(st->logs);
	free(st->p);
	free(st->m1);
	free(st->m2);
}

static int on_checkpoint(void *arg, const struct dbv_train_state *st)
{
	struct seen *s = arg;
	int64_t nb = N / BATCH, seen = st->batch * BATCH;
	if (s->saves < 32) {
		s->save_epoch[s->saves] = st->epoch;
		s->save_batch[s->saves] = st->batch;
	}
	s->saves++;
	if (st->step != st->epoch * nb + st->batch ||
	    st->seen != (seen < N ? seen : N) || st->correct > st->seen ||
	    st->n != N || st->total != s->t->model.total)
		s->bad_state++;
	if (s->saves == s->keep)
		copy_state(&s->copy, st);
	return 0;
}

static int train(struct dbv_trainer *t, const struct dbv_dataset *d,
		 const struct dbv_train_cfg *c, struct seen *s,
		 enum dbv_ckpt_unit unit, int64_t every)
{
	struct dbv_train_hooks h = {s, on_progress, on_epoch, on_checkpoint,
				    unit, every, NULL};
	CHECK_OK(dbv_trainer_init(t, &mlp, c, d, NULL));
	s->t = t;
	return dbv_trainer_run(t, &h);
}

/* It learns, and the same seeds give the same bits. */
static void test_learns_and_repeats(const struct dbv_dataset *d)
{
	struct dbv_train_cfg c;
	struct dbv_trainer a, b;
	struct seen sa = {0}, sb = {0};

	cfg_small(&c);
	CHECK_OK(train(&a, d, &c, &sa, DBV_CKPT_EPOCHS, 1000));
	CHECK_OK(train(&b, d, &c, &sb, DBV_CKPT_EPOCHS, 1000));
	CHECK(a.st.logs[EPOCHS - 1].train_loss < a.st.logs[0].train_loss);
	CHECK(a.st.logs[EPOCHS - 1].train_acc == 1);
	CHECK_EQ_INT(a.st.epoch, EPOCHS);
	CHECK_EQ_INT(a.optim.step, EPOCHS * N / BATCH);
	CHECK(!memcmp(a.model.p, b.model.p, a.model.total * sizeof(float)));
	CHECK_EQ_INT(sa.epochs, EPOCHS);
	for (int e = 0; e < EPOCHS; e++)
		CHECK_EQ_INT(sa.log_epoch[e], e + 1);
	CHECK_EQ_INT(sa.last_batches, EPOCHS);
	CHECK(sa.progress >= EPOCHS);
	CHECK_EQ_INT(sa.saves, 0); /* every 1000 epochs: never */
	/* Another data seed: another order, other bits. */
	c.data_seed = 5;
	dbv_trainer_release(&b);
	memset(&sb, 0, sizeof sb);
	CHECK_OK(train(&b, d, &c, &sb, DBV_CKPT_EPOCHS, 1000));
	CHECK(memcmp(a.model.p, b.model.p, a.model.total * sizeof(float)));
	dbv_trainer_release(&a);
	dbv_trainer_release(&b);
}

/*
 * Saves every 3 batches, counted across epochs (8 an epoch, 5 epochs): a
 * save inside an epoch names the next batch; one due at an epoch's last
 * batch comes at its end, as the next epoch's batch 0; none after the
 * last epoch.  Every 2 epochs: after epochs 2 and 4.
 */
static void test_checkpoint_moments(const struct dbv_dataset *d)
{
	static const int64_t want[][2] = {
		{0, 3}, {0, 6}, {1, 1}, {1, 4}, {1, 7}, {2, 2}, {2, 5}, {3, 0},
		{3, 3}, {3, 6}, {4, 1}, {4, 4}, {4, 7},
	};
	const int nwant = (int)(sizeof want / sizeof *want);
	struct dbv_train_cfg c;
	struct dbv_trainer t;
	struct seen s = {0};

	cfg_small(&c);
	CHECK_OK(train(&t, d, &c, &s, DBV_CKPT_BATCHES, 3));
	CHECK_EQ_INT(s.saves, nwant);
	for (int i = 0; i < nwant && i < s.saves; i++) {
		CHECK_EQ_INT(s.save_epoch[i], want[i][0]);
		CHECK_EQ_INT(s.save_batch[i], want[i][1]);
	}
	CHECK_EQ_INT(s.bad_state, 0);
	dbv_trainer_release(&t);

	memset(&s, 0, sizeof s);
	CHECK_OK(train(&t, d, &c, &s, DBV_CKPT_EPOCHS, 2));
	CHECK_EQ_INT(s.saves, 2);
	CHECK(s.save_epoch[0] == 2 && s.save_batch[0] == 0);
	CHECK(s.save_epoch[1] == 4 && s.save_batch[1] == 0);
	CHECK_EQ_INT(s.bad_state, 0);
	dbv_trainer_release(&t);
}

/* A run resumed from any saved state ends with the uninterrupted run's
 * parameters and logs but for seconds, bit for bit. */
static void test_resume(const struct dbv_dataset *d, const char *optim,
			int keep)
{
	struct dbv_train_cfg c;
	struct dbv_trainer full, res;
	struct seen s = {0}, s2 = {0};

	cfg_small(&c);
	strcpy(c.optim, optim);
	c.crop_pad = 1;
	s.keep = keep;
	CHECK_OK(train(&full, d, &c, &s, DBV_CKPT_BATCHES, 3));
	CHECK(s.copy.perm != NULL);
	CHECK_OK(dbv_trainer_init(&res, &mlp, &c, d, NULL));
	dbv_trainer_resume(&res, &s.copy);
	struct dbv_train_hooks h = {&s2, NULL, on_epoch, NULL, DBV_CKPT_EPOCHS, 1, NULL};
	CHECK_OK(dbv_trainer_run(&res, &h));
	CHECK_EQ_INT(s2.epochs, EPOCHS - s.copy.epoch);
	CHECK(!memcmp(full.model.p, res.model.p, full.model.total * sizeof(float)));
	CHECK(!memcmp(full.optim.m1, res.optim.m1, full.model.total * sizeof(float)));
	CHECK_EQ_INT(full.optim.step, res.optim.step);
	for (int e = 0; e < EPOCHS; e++) {
		const struct dbv_train_log *a = &full.st.logs[e], *b = &res.st.logs[e];
		CHECK(a->epoch == b->epoch && a->train_loss == b->train_loss &&
		      a->train_acc == b->train_acc && a->lr == b->lr);
	}
	free_state(&s.copy);
	dbv_trainer_release(&full);
	dbv_trainer_release(&res);
}

/* A NaN in the parameters: in the last layer's bias before the first
 * batch, the loss (a NaN in the first layer's weights may die in a ReLU);
 * set after an epoch's last update, the parameters at that epoch's end. */
static void test_nonfinite(const struct dbv_dataset *d)
{
	struct dbv_train_cfg c;
	struct dbv_trainer t;
	struct seen s = {0};
	struct dbv_train_hooks h = {&s, on_progress, on_epoch, NULL, DBV_CKPT_EPOCHS, 1, NULL};

	cfg_small(&c);
	CHECK_OK(dbv_trainer_init(&t, &mlp, &c, d, NULL));
	t.model.p[t.model.params[t.model.nparams - 1].offset] = NAN;
	s.t = &t;
	CHECK_RC(dbv_trainer_run(&t, &h), DBV_ENONFINITE);
	CHECK(!strcmp(dbv_errmsg(), "the loss is not finite at epoch 1, batch 1 (lower the learning rate?)"));
	CHECK_EQ_INT(s.epochs, 0);
	dbv_trainer_release(&t);

	memset(&s, 0, sizeof s);
	s.nan_epoch = 2;
	CHECK_OK(dbv_trainer_init(&t, &mlp, &c, d, NULL));
	s.t = &t;
	CHECK_RC(dbv_trainer_run(&t, &h), DBV_ENONFINITE);
	CHECK(!strcmp(dbv_errmsg(), "the parameters became non-finite in epoch 2 (lower the learning rate?)"));
	CHECK_EQ_INT(s.epochs, 1); /* epoch 1's hook, not epoch 2's */
	dbv_trainer_release(&t);
}

/* A hook's status stops the run. */
static int stop_at_2(void *arg, const struct dbv_train_log *l, int64_t trained)
{
	(void)arg;
	(void)trained;
	return l->epoch == 2 ? dbv_seterr(DBV_EIO, "stop") : 0;
}

/* The evaluation on a test set, refusals of init, a hook's status. */
static void test_eval_and_refusals(const struct dbv_dataset *d)
{
	struct dbv_train_cfg c;
	struct dbv_trainer t;
	struct dbv_dataset other = *d;
	struct dbv_arch cnn = {.name = "cnn5", .width = 2};

	cfg_small(&c);
	CHECK_OK(dbv_trainer_init(&t, &mlp, &c, d, d));
	struct dbv_train_hooks h = {NULL, NULL, stop_at_2, NULL, DBV_CKPT_EPOCHS, 1, NULL};
	CHECK_RC(dbv_trainer_run(&t, &h), DBV_EIO);
	CHECK_EQ_INT(t.st.epoch, 1);
	CHECK(t.st.logs[0].has_test && t.st.logs[1].has_test);
	CHECK(t.st.logs[1].test_acc == 1); /* separable, learnt by epoch 2 */
	CHECK(t.st.logs[0].test_loss > 0);
	dbv_trainer_release(&t);

	other.nclasses = 3;
	CHECK_RC(dbv_trainer_init(&t, &mlp, &c, d, &other), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "differ from the training set's") != NULL);
	CHECK_RC(dbv_trainer_init(&t, &cnn, &c, d, NULL), DBV_EUSAGE); /* 4x4 */
	other = *d;
	other.n = 0;
	CHECK_RC(dbv_trainer_init(&t, &mlp, &c, &other, NULL), DBV_EINPUT);
}

/* hooks->stop, set by the progress hook after an epoch's last batch (the
 * hardest point: that epoch's end comes after the resume). */
static volatile sig_atomic_t stop_flag;
static int64_t stop_epoch;

static int stop_after(void *arg, const struct dbv_train_progress *p)
{
	(void)arg;
	if (p->epoch == stop_epoch && p->batch == p->nbatches)
		stop_flag = 1;
	return 0;
}

/* Stopped, saved and resumed: the uninterrupted run's bits and logs;
 * where it stopped, as the logs count. */
static void test_stop(const struct dbv_dataset *d)
{
	struct dbv_train_cfg c;
	struct dbv_trainer full, part, res;
	struct seen s = {0}, sp = {.keep = 1};
	char where[96];

	cfg_small(&c);
	CHECK_OK(train(&full, d, &c, &s, DBV_CKPT_EPOCHS, 100));
	stop_flag = 0;
	stop_epoch = 2;
	struct dbv_train_hooks h = {&sp, stop_after, NULL, on_checkpoint,
				    DBV_CKPT_EPOCHS, 100, &stop_flag};
	CHECK_OK(dbv_trainer_init(&part, &mlp, &c, d, NULL));
	sp.t = &part;
	CHECK_RC(dbv_trainer_run(&part, &h), DBV_TRAIN_STOPPED);
	CHECK_EQ_INT(sp.saves, 1);
	CHECK_EQ_INT(sp.bad_state, 0);
	CHECK(sp.copy.epoch == 1 && sp.copy.batch == N / BATCH);
	CHECK(part.st.epoch == 1 && part.st.batch == N / BATCH);
	dbv_train_where(where, sizeof where, &part.st, EPOCHS, N / BATCH);
	CHECK(!strcmp(where, "after batch 8/8 of epoch 2/5"));

	CHECK_OK(dbv_trainer_init(&res, &mlp, &c, d, NULL));
	dbv_trainer_resume(&res, &sp.copy);
	struct dbv_train_hooks h2 = {NULL, NULL, NULL, NULL, DBV_CKPT_EPOCHS, 1, NULL};
	CHECK_OK(dbv_trainer_run(&res, &h2));
	CHECK(!memcmp(full.model.p, res.model.p, full.model.total * sizeof(float)));
	for (int e = 0; e < EPOCHS; e++) {
		const struct dbv_train_log *a = &full.st.logs[e], *b = &res.st.logs[e];
		CHECK(a->epoch == b->epoch && a->train_loss == b->train_loss &&
		      a->train_acc == b->train_acc && a->lr == b->lr);
	}
	dbv_train_where(where, sizeof where, &res.st, EPOCHS, N / BATCH);
	CHECK(!strcmp(where, "after the last epoch (5)"));
	res.st.epoch = 3;
	res.st.batch = 0;
	dbv_train_where(where, sizeof where, &res.st, EPOCHS, N / BATCH);
	CHECK(!strcmp(where, "at the start of epoch 4/5"));

	/* No checkpoint hook: stopped all the same, after the first batch. */
	stop_flag = 1;
	h.checkpoint = NULL;
	dbv_trainer_release(&part);
	CHECK_OK(dbv_trainer_init(&part, &mlp, &c, d, NULL));
	CHECK_RC(dbv_trainer_run(&part, &h), DBV_TRAIN_STOPPED);
	CHECK(part.st.epoch == 0 && part.st.batch == 1 && part.optim.step == 1);
	free_state(&sp.copy);
	dbv_trainer_release(&full);
	dbv_trainer_release(&part);
	dbv_trainer_release(&res);
}

int main(int argc, char **argv)
{
	struct dbv_dataset d;

	(void)argc;
	dbv_blas_fix_core(argv);
	dbv_threads_set(2);
	make_set(&d, 1);
	test_learns_and_repeats(&d);
	test_checkpoint_moments(&d);
	test_resume(&d, "sgd", 5);  /* inside epoch 1 */
	test_resume(&d, "adam", 8); /* epoch 3's start */
	test_stop(&d);
	test_nonfinite(&d);
	test_eval_and_refusals(&d);
	free(d.x);
	free(d.y);
	return check_done();
}
