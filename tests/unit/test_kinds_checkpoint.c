/*
 * test_kinds_checkpoint.c - the checkpoint stream kind
 * (lib/kinds/checkpoint.c): a state round-trips bit for bit; the reader
 * refuses another run's fingerprint and every field out of range, each
 * with the one message format "NAME: record N (byte B): ..."; the
 * fingerprint changes with the data and the settings.
 */
#include "check.h"
#include "check_stream.h"

/* The run: 10 items in batches of 3 (4 batches an epoch), 3 epochs, a
 * model of 5 floats. */
#define N 10
#define B 3
#define NB 4
#define EPOCHS 3
#define P 5

static const char config[] = "arch=test n=10";

/* A state with its arrays (owned). */
struct ck {
	struct dbv_checkpoint c;
	int64_t perm[N];
	float p[P], m1[P], m2[P];
	struct dbv_train_log logs[EPOCHS + 1]; /* one more: a state past the end */
};

/* A valid state inside epoch 1 (batch 2 next), Adam's two moments. */
static void good(struct ck *k)
{
	struct dbv_train_state *s = &k->c.st;

	memset(k, 0, sizeof *k);
	k->c.config = config;
	k->c.epochs = EPOCHS;
	k->c.batch = B;
	s->epoch = 1;
	s->batch = 2;
	s->step = 1 * NB + 2;
	s->elapsed = 1.25;
	s->loss_sum = 3.5;
	s->seen = 2 * B;
	s->correct = 4;
	dbv_rng_seed(&s->rng, 9);
	for (int i = 0; i < N; i++)
		k->perm[i] = i;
	dbv_rng_shuffle_i64(&s->rng, k->perm, N);
	for (int i = 0; i < P; i++) {
		k->p[i] = 0.5f * (float)i - 1;
		k->m1[i] = 0.25f * (float)i;
		k->m2[i] = 0.125f * (float)i;
	}
	k->logs[0] = (struct dbv_train_log){1, 2.25, 0.5, 1, 2.5, 0.25, 0.1, 7};
	s->n = N;
	s->total = P;
	s->perm = k->perm;
	s->p = k->p;
	s->m1 = k->m1;
	s->m2 = k->m2;
	s->logs = k->logs;
}

/* An empty state to read into, expecting the run of good(); sgd: no m2. */
static void empty(struct ck *k, int sgd)
{
	good(k);
	memset(k->perm, 0xff, sizeof k->perm);
	memset(k->p, 0, sizeof k->p);
	memset(k->m1, 0, sizeof k->m1);
	memset(k->m2, 0, sizeof k->m2);
	memset(k->logs, 0, sizeof k->logs);
	if (sgd)
		k->c.st.m2 = NULL;
}

/* Write c to the file `name` (write_file: ck.dbv); read_file reads
 * ck.dbv back into c. */
static void write_named(const char *name, const struct dbv_checkpoint *c)
{
	int fd;
	struct dbv_writer *w = wopen(name, &fd);
	CHECK_OK(dbv_checkpoint_write(w, c));
	dbv_writer_free(w);
	close(fd);
}

static void write_file(const struct dbv_checkpoint *c)
{
	write_named("ck.dbv", c);
}

static int read_file(struct dbv_checkpoint *c)
{
	int fd, rc;
	struct dbv_reader *r = ropen("ck.dbv", &fd);
	rc = dbv_checkpoint_read(r, c);
	dbv_reader_free(r);
	close(fd);
	return rc;
}

static void test_round_trip(void)
{
	struct ck a, b;

	good(&a);
	write_file(&a.c);
	empty(&b, 0);
	CHECK_OK(read_file(&b.c));
	CHECK(b.c.st.epoch == 1 && b.c.st.batch == 2 && b.c.st.step == 6);
	CHECK(b.c.st.elapsed == 1.25 && b.c.st.loss_sum == 3.5);
	CHECK(b.c.st.seen == 6 && b.c.st.correct == 4);
	CHECK(!memcmp(&a.c.st.rng, &b.c.st.rng, sizeof a.c.st.rng));
	CHECK(!memcmp(a.perm, b.perm, sizeof a.perm));
	CHECK(!memcmp(a.p, b.p, sizeof a.p) && !memcmp(a.m1, b.m1, sizeof a.m1) &&
	      !memcmp(a.m2, b.m2, sizeof a.m2));
	CHECK(b.logs[0].epoch == 1 && b.logs[0].train_loss == 2.25 &&
	      b.logs[0].has_test == 1 && b.logs[0].test_acc == 0.25 &&
	      b.logs[0].lr == 0.1 && b.logs[0].seconds == 7);

	/* SGD: m2 nil; an epoch's end: batch 0, no running figures. */
	good(&a);
	a.c.st.m2 = NULL;
	a.c.st.epoch = 3;
	a.c.st.batch = 0;
	a.c.st.step = 3 * NB;
	a.c.st.seen = a.c.st.correct = 0;
	a.c.st.loss_sum = 0;
	a.logs[1] = a.logs[2] = a.logs[0];
	a.logs[1].epoch = 2;
	a.logs[2].epoch = 3;
	a.logs[2].has_test = 0;
	a.logs[2].test_loss = a.logs[2].test_acc = 0;
	write_file(&a.c);
	empty(&b, 1);
	CHECK_OK(read_file(&b.c));
	CHECK(b.c.st.epoch == 3 && b.logs[2].epoch == 3 && !b.logs[2].has_test);
}

/* Another run's fingerprint: refused, naming the file (a header check,
 * without a record number). */
static void test_config(void)
{
	struct ck a, b;

	good(&a);
	write_file(&a.c);
	empty(&b, 0);
	b.c.config = "arch=test n=11";
	CHECK_RC(read_file(&b.c), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "belongs to another configuration") != NULL);
	CHECK(strstr(dbv_errmsg(), check_stream_path) != NULL);
}

/* Mutations of a good state, each one field out of range. */
static void m_epoch_neg(struct ck *k) { k->c.st.epoch = -1; }
static void m_epoch_big(struct ck *k) { k->c.st.epoch = EPOCHS + 1; k->c.st.step = (EPOCHS + 1) * NB + 2; }
static void m_epoch_end(struct ck *k) { k->c.st.epoch = EPOCHS; k->c.st.step = EPOCHS * NB + 2; }
static void m_batch_neg(struct ck *k) { k->c.st.batch = -1; }
static void m_batch_big(struct ck *k) { k->c.st.batch = NB + 1; }
static void m_step(struct ck *k) { k->c.st.step++; }
static void m_elapsed(struct ck *k) { k->c.st.elapsed = -1; }
static void m_elapsed_nan(struct ck *k) { k->c.st.elapsed = NAN; }
static void m_seen(struct ck *k) { k->c.st.seen = 5; }
static void m_correct(struct ck *k) { k->c.st.correct = 7; }
static void m_correct_neg(struct ck *k) { k->c.st.correct = -1; }
static void m_loss(struct ck *k) { k->c.st.loss_sum = -0.5; }
static void m_loss_inf(struct ck *k) { k->c.st.loss_sum = INFINITY; }
static void m_rng(struct ck *k) { memset(&k->c.st.rng, 0, sizeof k->c.st.rng); }
static void m_perm_dup(struct ck *k) { k->perm[0] = k->perm[1]; }
static void m_perm_range(struct ck *k) { k->perm[3] = N; }
static void m_perm_len(struct ck *k) { k->c.st.n = N - 1; }
static void m_p_len(struct ck *k) { k->c.st.total = P - 1; }
static void m_m2_nil(struct ck *k) { k->c.st.m2 = NULL; }
static void m_log_acc(struct ck *k) { k->logs[0].train_acc = 1.5; }
static void m_log_flag(struct ck *k) { k->logs[0].has_test = 2; }
static void m_log_test(struct ck *k) { k->logs[0].has_test = 0; }
static void m_log_lr(struct ck *k) { k->logs[0].lr = -0.1; }
static void m_log_loss(struct ck *k) { k->logs[0].train_loss = NAN; }
/* Issue #11 item 9: crafted checkpoints that resumed. */
static void m_batch_1e9(struct ck *k) { k->c.st.batch = 1000000000; k->c.st.step = NB + 1000000000; }
static void m_seen_neg(struct ck *k) { k->c.st.seen = -1; }
static void m_step_zero(struct ck *k) { k->c.st.step = 0; }
/* The end of the run (epoch == epochs), as a save after the last epoch. */
static void at_end(struct ck *k)
{
	k->c.st.epoch = EPOCHS;
	k->c.st.batch = 0;
	k->c.st.step = EPOCHS * NB;
	k->c.st.seen = k->c.st.correct = 0;
	k->c.st.loss_sum = 0;
	for (int e = 1; e < EPOCHS; e++) {
		k->logs[e] = k->logs[0];
		k->logs[e].epoch = e + 1;
	}
}
static void m_p_nan_end(struct ck *k) { at_end(k); k->p[2] = NAN; }
static void m_p_inf(struct ck *k) { k->p[4] = -INFINITY; }
static void m_m1_nan(struct ck *k) { k->m1[0] = NAN; }
static void m_m2_neg(struct ck *k) { at_end(k); k->m2[3] = -0.125f; }

static void test_refusals(void)
{
	static const struct {
		void (*mut)(struct ck *);
		unsigned long long rec; /* 1: the state record, 2: logs */
		const char *want;
	} cases[] = {
		{m_epoch_neg, 1, "is not a point of a run of 3 epochs of 4 batches"},
		{m_epoch_big, 1, "is not a point of a run"},
		{m_epoch_end, 1, "epoch 3, batch 2 is not a point"},
		{m_batch_neg, 1, "is not a point of a run"},
		{m_batch_big, 1, "is not a point of a run"},
		{m_step, 1, "\"step\" is 7, not the 6 updates"},
		{m_elapsed, 1, "\"elapsed\" is out of range"},
		{m_elapsed_nan, 1, "\"elapsed\" is out of range"},
		{m_seen, 1, "\"seen\" is 5, not the 6 items"},
		{m_correct, 1, "\"correct\" is out of range"},
		{m_correct_neg, 1, "\"correct\" is out of range"},
		{m_loss, 1, "\"loss_sum\" is out of range"},
		{m_loss_inf, 1, "\"loss_sum\" is out of range"},
		{m_rng, 1, "\"rng\" is all zero"},
		{m_perm_dup, 1, "\"perm\" is not a permutation"},
		{m_perm_range, 1, "\"perm\" is not a permutation"},
		{m_perm_len, 1, "\"perm\" must be i64 [10]"},
		{m_p_len, 1, "\"p\" must be f32 [5]"},
		{m_m2_nil, 1, "\"m2\" must be f32 [5]"},
		{m_log_acc, 2, "epoch 1: train_acc is out of range"},
		{m_log_flag, 2, "epoch 1: test flag is out of range"},
		{m_log_test, 2, "epoch 1: test_loss is out of range"},
		{m_log_lr, 2, "epoch 1: lr is out of range"},
		{m_log_loss, 2, "epoch 1: train_loss is out of range"},
		{m_batch_1e9, 1, "epoch 1, batch 1000000000 is not a point"},
		{m_seen_neg, 1, "\"seen\" is -1, not the 6 items"},
		{m_step_zero, 1, "\"step\" is 0, not the 6 updates"},
		{m_p_nan_end, 1, "\"p\" holds a non-finite value (element 2)"},
		{m_p_inf, 1, "\"p\" holds a non-finite value (element 4)"},
		{m_m1_nan, 1, "\"m1\" holds a non-finite value (element 0)"},
		{m_m2_neg, 1, "\"m2\" holds a negative value (element 3)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct ck a, b;
		good(&a);
		cases[i].mut(&a);
		write_file(&a.c);
		empty(&b, 0);
		CHECK_RC(read_file(&b.c), DBV_EINPUT);
		check_msg(cases[i].rec, cases[i].want);
	}

	/* Adam's m2 where the run has SGD. */
	struct ck a, b;
	good(&a);
	write_file(&a.c);
	empty(&b, 1);
	CHECK_RC(read_file(&b.c), DBV_EINPUT);
	check_msg(1, "\"m2\" must be nil for SGD");
}

/* The n-th record (from 1) of the checkpoint `name`, read by a reader
 * of its own (kept open: the record lives as long as it). */
static const dbv_val *nth(const char *name, int n, struct dbv_reader **r, int *fd)
{
	const dbv_val *rec = NULL;
	*r = ropen(name, fd);
	CHECK_OK(dbv_reader_header(*r, "checkpoint", NULL));
	for (int i = 0; i < n; i++)
		CHECK_OK(dbv_reader_next(*r, &rec));
	return rec;
}

/* The records out of order, twice or missing: streams of a good
 * checkpoint's records, copied in another order ('s' state, 'l' logs). */
static void test_records(void)
{
	static const struct {
		const char *order;
		unsigned long long rec;
		const char *want;
	} cases[] = {
		{"ls", 1, "a logs record before the state record"},
		{"sll", 3, "a logs record again"},
		{"ssl", 2, "a second state record"},
		{"s", 2, "the checkpoint is incomplete (no logs record)"},
		{"", 1, "the checkpoint is incomplete (no state record)"},
		{"sl", 0, NULL},
	};
	char *argv[] = {"t", NULL};
	struct ck a, b;

	good(&a);
	write_named("good.dbv", &a.c);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct dbv_reader *rs, *rl;
		int fs, fl, fd;
		const dbv_val *state = nth("good.dbv", 1, &rs, &fs);
		const dbv_val *logs = nth("good.dbv", 2, &rl, &fl);
		struct dbv_writer *w = wopen("ck.dbv", &fd);
		dbv_writer_header_begin(w, "checkpoint", NULL, 1, argv, 1);
		dbv_w_key(w, "config");
		dbv_w_str(w, config);
		dbv_writer_header_end(w);
		for (const char *o = cases[i].order; *o; o++)
			dbv_writer_copy_record(w, *o == 's' ? state : logs);
		wclose(w, fd);
		dbv_reader_free(rs);
		dbv_reader_free(rl);
		close(fs);
		close(fl);
		empty(&b, 0);
		if (!cases[i].want) {
			CHECK_OK(read_file(&b.c));
			continue;
		}
		CHECK_RC(read_file(&b.c), DBV_EINPUT);
		check_msg(cases[i].rec, cases[i].want);
	}
}

static void test_fingerprint(void)
{
	struct dbv_arch a = {.name = "mlp", .width = 8, .depth = 1, .c = 1,
			     .h = 2, .w = 2, .classes = 2};
	struct dbv_train_cfg c;
	struct dbv_dataset d = {0};
	uint8_t x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	int32_t y[2] = {0, 1};
	char f1[DBV_CHECKPOINT_CONFIG_MAX], f2[DBV_CHECKPOINT_CONFIG_MAX];

	dbv_train_cfg_default(&c);
	d.n = 2;
	d.c = 1;
	d.h = d.w = 2;
	d.nclasses = 2;
	d.x = x;
	d.y = y;
	dbv_checkpoint_config(f1, sizeof f1, &a, &c, &d);
	CHECK(!strncmp(f1, "arch=mlp width=8 depth=1 in=1x2x2 classes=2 n=2 data=", 53));
	dbv_checkpoint_config(f2, sizeof f2, &a, &c, &d);
	CHECK(!strcmp(f1, f2));
	x[7] = 9;
	dbv_checkpoint_config(f2, sizeof f2, &a, &c, &d);
	CHECK(strcmp(f1, f2));
	x[7] = 8;
	c.milestones[0] = 3;
	c.nmilestones = 1;
	dbv_checkpoint_config(f2, sizeof f2, &a, &c, &d);
	CHECK(strcmp(f1, f2) && strstr(f2, " ms=3,") != NULL);
}

/* A long run's logs (here 30,000 finished epochs of 40,000: 1.8 MB of
 * rows, past the slack) are read back: the reader's record limit counts
 * them. */
static void test_many_epochs(void)
{
	enum { E = 40000, DONE = 30000 };
	struct ck k, back;
	struct dbv_train_log *logs = calloc(E + 1, sizeof *logs);
	struct dbv_train_log *got = calloc(E + 1, sizeof *got);

	good(&k);
	k.c.epochs = E;
	k.c.st.epoch = DONE;
	k.c.st.step = (int64_t)DONE * NB + 2;
	for (int e = 0; e < DONE; e++)
		logs[e] = (struct dbv_train_log){e + 1, 2.25, 0.5, 1, 2.5, 0.25, 0.1, 7};
	k.c.st.logs = logs;
	write_file(&k.c);
	empty(&back, 0);
	back.c.epochs = E;
	back.c.st.logs = got;
	CHECK_OK(read_file(&back.c));
	CHECK_EQ_INT(back.c.st.epoch, DONE);
	CHECK(!memcmp(got, logs, DONE * sizeof *logs));
	free(logs);
	free(got);
}

int main(int argc, char **argv)
{
	(void)argc;
	dbv_blas_fix_core(argv);
	check_stream_dir = check_tmpdir();
	test_round_trip();
	test_config();
	test_refusals();
	test_records();
	test_fingerprint();
	test_many_epochs();
	return check_done();
}
