/*
 * checkpoint.c - the checkpoint stream kind (dbv-stream(5), THE
 * CHECKPOINT STREAM): dbv-train's state, written at a save and read back
 * by a resume.  The only file that spells its keys; every field is
 * checked here, once, against the run that resumes.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kinds/checkpoint.h"
#include "kinds/model.h"

#define KIND "checkpoint"
#define STATE "state"
#define LOGS "logs"

/* Header meta. */
enum { H_CONFIG, N_HEADER_KEYS };
static const char *const header_key[N_HEADER_KEYS] = {
	[H_CONFIG] = "config",
};

/* The state record's keys, in the order written. */
enum { S_LOSS_SUM, S_CORRECT, S_SEEN, S_EPOCH, S_BATCH, S_STEP, S_ELAPSED,
       S_RNG, S_PERM, S_P, S_M1, S_M2, N_STATE_KEYS };
static const char *const state_key[N_STATE_KEYS] = {
	[S_LOSS_SUM] = "loss_sum", [S_CORRECT] = "correct", [S_SEEN] = "seen",
	[S_EPOCH] = "epoch", [S_BATCH] = "batch", [S_STEP] = "step",
	[S_ELAPSED] = "elapsed", [S_RNG] = "rng", [S_PERM] = "perm",
	[S_P] = "p", [S_M1] = "m1", [S_M2] = "m2",
};

/* The logs record: one key, rows of ROW_W numbers per finished epoch. */
enum { G_ROWS, N_LOGS_KEYS };
static const char *const logs_key[N_LOGS_KEYS] = { [G_ROWS] = "rows" };
enum { ROW_TRAIN_LOSS, ROW_TRAIN_ACC, ROW_TEST_LOSS, ROW_TEST_ACC, ROW_LR,
       ROW_SECONDS, ROW_HAS_TEST, ROW_W };

#define RNG_WORDS ((int64_t)(sizeof ((struct dbv_rng *)0)->s / sizeof(uint64_t)))

void dbv_checkpoint_config(char *buf, size_t n, const struct dbv_arch *a,
			   const struct dbv_train_cfg *c,
			   const struct dbv_dataset *d)
{
	uint32_t crc = dbv_crc32c(0, d->x, (size_t)d->n * (size_t)d->c *
					       (size_t)d->h * (size_t)d->w);
	crc = dbv_crc32c(crc, d->y, (size_t)d->n * sizeof *d->y);
	size_t k = (size_t)snprintf(buf, n,
		"arch=%s width=%d depth=%d in=%dx%dx%d classes=%d n=%lld data=%08x "
		"loss=%s optim=%s lr=%.17g mom=%.17g nest=%d wd=%.17g betas=%.17g,%.17g eps=%.17g "
		"sched=%s gamma=%.17g warmup=%.17g epochs=%d batch=%d crop=%d flip=%d "
		"seed=%llu dseed=%llu threads=%d ms=",
		a->name, a->width, a->depth, a->c, a->h, a->w, a->classes,
		(long long)d->n, crc, c->loss, c->optim, c->lr, c->momentum, c->nesterov,
		c->weight_decay, c->beta1, c->beta2, c->adam_eps, c->schedule,
		c->gamma, c->warmup, c->epochs, c->batch, c->crop_pad, c->flip,
		(unsigned long long)c->seed, (unsigned long long)c->data_seed,
		c->threads);
	for (int i = 0; i < c->nmilestones && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%lld,", (long long)c->milestones[i]);
	if (k < n) /* the token models' options (nothing for the others) */
		dbv_arch_options_str(a, buf + k, n - k);
}

/* ---- writing ---- */

static void write_state(struct dbv_writer *w, const struct dbv_train_state *st)
{
	int64_t rs[1] = {RNG_WORDS}, np[1] = {st->n}, nt[1] = {(int64_t)st->total};

	dbv_writer_record_begin(w, STATE, N_STATE_KEYS);
	for (int k = 0; k < N_STATE_KEYS; k++) {
		dbv_w_key(w, state_key[k]);
		switch (k) {
		case S_LOSS_SUM: dbv_w_f64(w, st->loss_sum); break;
		case S_CORRECT: dbv_w_i64(w, st->correct); break;
		case S_SEEN: dbv_w_i64(w, st->seen); break;
		case S_EPOCH: dbv_w_i64(w, st->epoch); break;
		case S_BATCH: dbv_w_i64(w, st->batch); break;
		case S_STEP: dbv_w_i64(w, st->step); break;
		case S_ELAPSED: dbv_w_f64(w, st->elapsed); break;
		/* The generator's u64 words as the i64 of the same bits. */
		case S_RNG: dbv_w_tensor_raw(w, DBV_I64, 1, rs, st->rng.s); break;
		case S_PERM: dbv_w_tensor_raw(w, DBV_I64, 1, np, st->perm); break;
		case S_P: dbv_w_tensor_raw(w, DBV_F32, 1, nt, st->p); break;
		case S_M1: dbv_w_tensor_raw(w, DBV_F32, 1, nt, st->m1); break;
		case S_M2:
			if (st->m2)
				dbv_w_tensor_raw(w, DBV_F32, 1, nt, st->m2);
			else
				dbv_w_nil(w);
			break;
		}
	}
	dbv_writer_record_end(w);
}

static int write_logs(struct dbv_writer *w, const struct dbv_train_state *st)
{
	const int64_t epochs = st->epoch > 0 ? st->epoch : 0;
	int64_t shape[1] = {epochs * ROW_W};
	double *rows = dbv_malloc((size_t)(epochs + 1) * ROW_W * sizeof *rows);

	if (!rows)
		return DBV_EIO;
	for (int64_t e = 0; e < epochs; e++) {
		const struct dbv_train_log *l = &st->logs[e];
		double *row = rows + e * ROW_W;
		row[ROW_TRAIN_LOSS] = l->train_loss;
		row[ROW_TRAIN_ACC] = l->train_acc;
		row[ROW_TEST_LOSS] = l->test_loss;
		row[ROW_TEST_ACC] = l->test_acc;
		row[ROW_LR] = l->lr;
		row[ROW_SECONDS] = l->seconds;
		row[ROW_HAS_TEST] = l->has_test;
	}
	dbv_writer_record_begin(w, LOGS, N_LOGS_KEYS);
	dbv_w_key(w, logs_key[G_ROWS]);
	dbv_w_tensor_raw(w, DBV_F64, 1, shape, rows);
	dbv_writer_record_end(w);
	free(rows);
	return DBV_OK;
}

int dbv_checkpoint_write(struct dbv_writer *w, const struct dbv_checkpoint *ck)
{
	/* The pipeline is dbv-train's alone: a checkpoint has no upstream. */
	static char self[] = "dbv-train";
	char *argv[] = {self, NULL};
	int rc;

	dbv_writer_header_begin(w, KIND, NULL, 1, argv, N_HEADER_KEYS);
	dbv_w_key(w, header_key[H_CONFIG]);
	dbv_w_str(w, ck->config);
	dbv_writer_header_end(w);
	write_state(w, &ck->st);
	if ((rc = write_logs(w, &ck->st)))
		return rc;
	return dbv_writer_finish(w);
}

/* ---- reading ---- */

/* A 1-D tensor key of rec, of dtype dt and len elements, into dst. */
static int read_array(struct dbv_reader *r, const dbv_val *rec, int key,
		      enum dbv_dtype dt, int64_t len, void *dst)
{
	const dbv_val *v = dbv_map_get(rec, state_key[key]);
	struct dbv_tensor t;
	int rc;

	if (!v || !dbv_val_is_tensor(v))
		goto bad;
	if ((rc = dbv_val_tensor(v, &t)))
		return rc == DBV_EINPUT ? dbv_reader_fail(r, rc, "state record: \"%s\": %s",
							   state_key[key], dbv_errmsg())
					: rc;
	if (t.dtype != dt || t.ndim != 1 || t.shape[0] != len) {
		dbv_tensor_release(&t);
		goto bad;
	}
	memcpy(dst, t.data, t.nbytes);
	dbv_tensor_release(&t);
	return DBV_OK;
bad:
	return dbv_reader_fail(r, DBV_EINPUT, "state record: \"%s\" must be %s [%lld]",
			       state_key[key], dbv_dtype_name(dt), (long long)len);
}

/* The scalars of the state record, each in range for the run. */
static int read_counts(struct dbv_reader *r, const dbv_val *rec,
		       const struct dbv_checkpoint *ck, struct dbv_train_state *st)
{
	const int64_t n = st->n, nb = (n + ck->batch - 1) / ck->batch;
	int64_t seen;

	if (dbv_get_i64(rec, state_key[S_EPOCH], &st->epoch) ||
	    dbv_get_i64(rec, state_key[S_BATCH], &st->batch) ||
	    dbv_get_i64(rec, state_key[S_STEP], &st->step) ||
	    dbv_get_double(rec, state_key[S_ELAPSED], &st->elapsed) ||
	    dbv_get_double(rec, state_key[S_LOSS_SUM], &st->loss_sum) ||
	    dbv_get_i64(rec, state_key[S_CORRECT], &st->correct) ||
	    dbv_get_i64(rec, state_key[S_SEEN], &st->seen))
		return dbv_reader_fail(r, DBV_EINPUT, "state record: %s", dbv_errmsg());
	if (st->epoch < 0 || st->epoch > ck->epochs || st->batch < 0 ||
	    st->batch > nb || (st->epoch == ck->epochs && st->batch != 0))
		return dbv_reader_fail(r, DBV_EINPUT,
				       "state record: epoch %lld, batch %lld is not a point of a run of %d epochs of %lld batches",
				       (long long)st->epoch, (long long)st->batch,
				       ck->epochs, (long long)nb);
	/* Every batch made one update. */
	if (st->step != st->epoch * nb + st->batch)
		return dbv_reader_fail(r, DBV_EINPUT,
				       "state record: \"%s\" is %lld, not the %lld updates before epoch %lld, batch %lld",
				       state_key[S_STEP], (long long)st->step,
				       (long long)(st->epoch * nb + st->batch),
				       (long long)st->epoch, (long long)st->batch);
	if (!(st->elapsed >= 0) || !dbv_finite(st->elapsed))
		return dbv_reader_fail(r, DBV_EINPUT, "state record: \"%s\" is out of range",
				       state_key[S_ELAPSED]);
	seen = st->batch * ck->batch < n ? st->batch * ck->batch : n;
	if (st->seen != seen)
		return dbv_reader_fail(r, DBV_EINPUT,
				       "state record: \"%s\" is %lld, not the %lld items of the epoch's first %lld batches",
				       state_key[S_SEEN], (long long)st->seen,
				       (long long)seen, (long long)st->batch);
	if (st->correct < 0 || st->correct > st->seen)
		return dbv_reader_fail(r, DBV_EINPUT, "state record: \"%s\" is out of range",
				       state_key[S_CORRECT]);
	if (!(st->loss_sum >= 0) || !dbv_finite(st->loss_sum))
		return dbv_reader_fail(r, DBV_EINPUT, "state record: \"%s\" is out of range",
				       state_key[S_LOSS_SUM]);
	return DBV_OK;
}

/* 1 when perm[0..n) holds each of 0..n-1 once; -1 without memory. */
static int is_permutation(const int64_t *perm, int64_t n)
{
	unsigned char *hit = dbv_calloc((size_t)(n > 0 ? n : 1), 1);
	int ok = 1;

	if (!hit)
		return -1;
	for (int64_t i = 0; i < n && ok; i++) {
		ok = perm[i] >= 0 && perm[i] < n && !hit[perm[i]];
		if (ok)
			hit[perm[i]] = 1;
	}
	free(hit);
	return ok;
}

/* The model and the optimizer's moments: finite (a run that met a
 * non-finite number stopped before saving), Adam's second moment >= 0. */
static int check_values(struct dbv_reader *r, const struct dbv_train_state *st)
{
	const float *const v[] = {st->p, st->m1, st->m2};
	const int key[] = {S_P, S_M1, S_M2};

	for (int k = 0; k < 3 && v[k]; k++) {
		size_t at = dbv_f32_nonfinite(v[k], st->total);
		if (at < st->total)
			return dbv_reader_fail(r, DBV_EINPUT, "state record: \"%s\" "
					       "holds a non-finite value (element %zu)",
					       state_key[key[k]], at);
	}
	for (size_t i = 0; st->m2 && i < st->total; i++)
		if (st->m2[i] < 0)
			return dbv_reader_fail(r, DBV_EINPUT, "state record: \"%s\" "
					       "holds a negative value (element %zu)",
					       state_key[S_M2], i);
	return DBV_OK;
}

static int read_state(struct dbv_reader *r, const dbv_val *rec,
		      struct dbv_checkpoint *ck)
{
	struct dbv_train_state *st = &ck->st;
	const dbv_val *m2 = dbv_map_get(rec, state_key[S_M2]);
	int rc, perm;

	if ((rc = read_counts(r, rec, ck, st)) ||
	    (rc = read_array(r, rec, S_RNG, DBV_I64, RNG_WORDS, st->rng.s)) ||
	    (rc = read_array(r, rec, S_PERM, DBV_I64, st->n, st->perm)) ||
	    (rc = read_array(r, rec, S_P, DBV_F32, (int64_t)st->total, st->p)) ||
	    (rc = read_array(r, rec, S_M1, DBV_F32, (int64_t)st->total, st->m1)))
		return rc;
	/* xoshiro's one state that only ever gives zeros. */
	if (!(st->rng.s[0] | st->rng.s[1] | st->rng.s[2] | st->rng.s[3]))
		return dbv_reader_fail(r, DBV_EINPUT, "state record: \"%s\" is all zero",
				       state_key[S_RNG]);
	if ((perm = is_permutation(st->perm, st->n)) < 0)
		return DBV_EIO;
	if (!perm)
		return dbv_reader_fail(r, DBV_EINPUT,
				       "state record: \"%s\" is not a permutation of the %lld items",
				       state_key[S_PERM], (long long)st->n);
	if (st->m2) {
		if ((rc = read_array(r, rec, S_M2, DBV_F32, (int64_t)st->total, st->m2)))
			return rc;
	} else if (!m2 || dbv_val_type(m2) != DBV_V_NIL) {
		return dbv_reader_fail(r, DBV_EINPUT,
				       "state record: \"%s\" must be nil for SGD",
				       state_key[S_M2]);
	}
	return check_values(r, st);
}

static int read_logs(struct dbv_reader *r, const dbv_val *rec,
		     struct dbv_train_state *st)
{
	struct dbv_tensor t;
	const double *rows;
	const char *bad;
	int rc;

	if ((rc = dbv_get_tensor(rec, logs_key[G_ROWS], &t)))
		return dbv_reader_fail(r, rc, "logs record: %s", dbv_errmsg());
	if (t.dtype != DBV_F64 || t.ndim != 1 || t.shape[0] != st->epoch * ROW_W) {
		dbv_tensor_release(&t);
		return dbv_reader_fail(r, DBV_EINPUT, "logs record: \"%s\" must be f64 [%lld]",
				       logs_key[G_ROWS], (long long)(st->epoch * ROW_W));
	}
	rows = t.data;
	for (int64_t e = 0; e < st->epoch; e++) {
		const double *row = rows + e * ROW_W;
		struct dbv_train_log *l = &st->logs[e];
		l->epoch = e + 1;
		l->train_loss = row[ROW_TRAIN_LOSS];
		l->train_acc = row[ROW_TRAIN_ACC];
		l->test_loss = row[ROW_TEST_LOSS];
		l->test_acc = row[ROW_TEST_ACC];
		l->lr = row[ROW_LR];
		l->seconds = row[ROW_SECONDS];
		l->has_test = row[ROW_HAS_TEST] == 1;
		bad = row[ROW_HAS_TEST] != 0 && row[ROW_HAS_TEST] != 1
			? "test flag" : dbv_model_log_check(l);
		if (bad) {
			dbv_tensor_release(&t);
			return dbv_reader_fail(r, DBV_EINPUT,
					       "logs record: epoch %lld: %s is out of range",
					       (long long)e + 1, bad);
		}
	}
	dbv_tensor_release(&t);
	return DBV_OK;
}

/* The record size limit: the state record's arrays, the logs record's
 * rows (one per epoch of the run at most: a long run's outgrow the
 * slack) and the slack. */
static size_t record_limit(const struct dbv_checkpoint *ck)
{
	const struct dbv_train_state *st = &ck->st;
	size_t p, perm, logs, all;

	if (dbv_mul_size(st->total, 3 * sizeof(float), &p) ||
	    dbv_mul_size((size_t)st->n, sizeof(int64_t), &perm) ||
	    dbv_mul_size((size_t)(ck->epochs > 0 ? ck->epochs : 0), ROW_W * sizeof(double), &logs) ||
	    dbv_add_size(p, perm, &all) || dbv_add_size(all, logs, &all) ||
	    dbv_add_size(all, DBV_CHECKPOINT_SLACK, &all))
		return SIZE_MAX;
	return all;
}

int dbv_checkpoint_read(struct dbv_reader *r, struct dbv_checkpoint *ck)
{
	const dbv_val *rec;
	const char *s;
	size_t n;
	int rc, got_state = 0, got_logs = 0;

	dbv_reader_set_limit(r, record_limit(ck));
	if ((rc = dbv_reader_header(r, KIND, NULL)))
		return rc;
	if (dbv_val_str(dbv_map_get(dbv_reader_meta(r), header_key[H_CONFIG]), &s, &n) ||
	    n != strlen(ck->config) || memcmp(s, ck->config, n))
		return dbv_seterr(DBV_EINPUT,
				  "checkpoint '%s' belongs to another configuration or data set (remove it or change --checkpoint)",
				  dbv_reader_name(r));
	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
		if (dbv_record_is(rec, STATE)) {
			if (got_state)
				return dbv_reader_fail(r, DBV_EINPUT, "a second state record");
			if ((rc = read_state(r, rec, ck)))
				return rc;
			got_state = 1;
		} else if (dbv_record_is(rec, LOGS)) {
			if (!got_state || got_logs)
				return dbv_reader_fail(r, DBV_EINPUT,
						       "a logs record %s",
						       got_logs ? "again" : "before the state record");
			if ((rc = read_logs(r, rec, &ck->st)))
				return rc;
			got_logs = 1;
		}
	}
	if (rc != DBV_END)
		return rc;
	if (!got_logs)
		return dbv_reader_fail(r, DBV_EINPUT, "the checkpoint is incomplete (no %s record)",
				       got_state ? LOGS : STATE);
	return dbv_reader_expect_end(r, "dbv-train");
}

int dbv_checkpoint_write_fd(int fd, void *arg)
{
	struct dbv_writer *w = dbv_writer_new(fd, "dbv-train");
	int rc = w ? dbv_checkpoint_write(w, arg) : DBV_EIO;
	dbv_writer_free(w);
	return rc;
}

int dbv_checkpoint_resume(struct dbv_trainer *t, const char *path,
			  const char *config)
{
	struct dbv_checkpoint ck = {config, t->cfg.epochs, t->cfg.batch, {0}};
	struct dbv_reader *r;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0)
		return dbv_seterr(DBV_EIO, "cannot read checkpoint '%s': %s", path,
				  strerror(errno));
	dbv_trainer_state(t, &ck.st); /* read into the trainer's arrays */
	if (!(r = dbv_reader_new(fd, path)))
		rc = DBV_EIO;
	else if ((rc = dbv_checkpoint_read(r, &ck)))
		dbv_preerr(rc, "resume");
	else
		dbv_trainer_resume(t, &ck.st);
	dbv_reader_free(r);
	close(fd);
	return rc;
}
