/*
 * test_kinds_model.c - the model stream kind (lib/kinds/model.c): a
 * trained model's header, log and param records round-trip, and the
 * reader refuses what dbv-stream(5) forbids, in the one message format
 * "NAME: record N (byte B): ...".
 */
#include "check.h"
#include "check_stream.h"

static int same_log(const struct dbv_train_log *a, const struct dbv_train_log *b)
{
	return a->epoch == b->epoch && a->train_loss == b->train_loss &&
	       a->train_acc == b->train_acc && a->has_test == b->has_test &&
	       a->test_loss == b->test_loss && a->test_acc == b->test_acc &&
	       a->lr == b->lr && a->seconds == b->seconds;
}

static void test_round_trip(void)
{
	struct dbv_arch a = {.name = "mlp", .width = 5, .depth = 2, .c = 2,
			     .h = 3, .w = 3, .classes = 3};
	char *names[] = {"a", "b", "c"};
	double mean[4] = {0.25, 0.5}, std[4] = {0.5, 0.125}, mean2[4], std2[4];
	struct dbv_train_cfg cfg;
	struct dbv_model m, m2;
	struct dbv_train_log logs[2] = {
		{1, 2.5, 0.25, 0, 0, 0, 0.1, 3.5},
		{2, 1.5, 0.5, 1, 1.75, 0.375, 0.05, 2},
	};
	char *argv[] = {"t", NULL};
	const dbv_val *rec;
	int fd, nlog = 0;

	dbv_train_cfg_default(&cfg);
	cfg.epochs = 2;
	CHECK_OK(dbv_model_build(&m, &a));
	dbv_model_init(&m, 7);
	struct dbv_writer *w = wopen("round.dbv", &fd);
	struct dbv_model_header h = {&m, names, mean, std, &cfg, "set", 60, 0.2};
	CHECK_OK(dbv_model_write_header(w, NULL, 1, argv, &h));
	for (int i = 0; i < 2; i++)
		CHECK_OK(dbv_model_write_log(w, &logs[i]));
	CHECK_OK(dbv_model_write_params(w, &m));
	wclose(w, fd);

	struct dbv_reader *r = ropen("round.dbv", &fd);
	CHECK_OK(dbv_model_read(r, &m2, mean2, std2));
	CHECK(!strcmp(m2.arch.name, "mlp") && m2.arch.width == 5 &&
	      m2.arch.depth == 2 && m2.arch.c == 2 && m2.arch.classes == 3);
	CHECK(m2.total == m.total && !memcmp(m.p, m2.p, m.total * sizeof(float)));
	CHECK(mean2[1] == 0.5 && std2[1] == 0.125 && mean2[2] == 0 && std2[3] == 1);
	/* The model's keys and the run's, each once. */
	CHECK(dbv_val_len(dbv_reader_meta(r)) > DBV_MODEL_META_PAIRS);
	dbv_reader_free(r);
	close(fd);

	r = ropen("round.dbv", &fd);
	CHECK_OK(dbv_reader_header(r, "model", NULL));
	while (dbv_reader_next(r, &rec) == DBV_OK) {
		struct dbv_train_log l;
		if (!dbv_record_is(rec, "log"))
			continue;
		CHECK_OK(dbv_model_read_log(r, rec, &l));
		CHECK(nlog < 2 && same_log(&l, &logs[nlog]));
		nlog++;
	}
	CHECK_EQ_INT(nlog, 2);
	dbv_reader_free(r);
	close(fd);
	dbv_model_release(&m);
	dbv_model_release(&m2);
}

/* The classes and the side (H = W) write_header writes. */
static int64_t hdr_classes = 3, hdr_side = 3;

/* A header of the model's keys alone, one value replaced: width w,
 * channels c, first std s, architecture name arch (NULL: none); classes
 * and sides from hdr_classes and hdr_side. */
static void write_header(struct dbv_writer *w, const char *arch, int64_t width,
			 int64_t c, double s)
{
	char *argv[] = {"t", NULL};
	int64_t shape[3] = {c, hdr_side, hdr_side};
	double mean[5] = {0}, std[5] = {s, 1, 1, 1, 1};

	dbv_writer_header_begin(w, "model", NULL, 1, argv, arch ? 7 : 6);
	if (arch) {
		dbv_w_key(w, "arch");
		dbv_w_str(w, arch);
	}
	dbv_w_key(w, "width");
	dbv_w_i64(w, width);
	dbv_w_key(w, "depth");
	dbv_w_i64(w, 1);
	dbv_w_key(w, "shape");
	dbv_w_i64_array(w, shape, 3);
	dbv_w_key(w, "classes");
	dbv_w_i64(w, hdr_classes);
	dbv_w_key(w, "mean");
	dbv_w_f64_array(w, mean, (size_t)(c < 5 ? c : 5));
	dbv_w_key(w, "std");
	dbv_w_f64_array(w, std, (size_t)(c < 5 ? c : 5));
	dbv_writer_header_end(w);
}

/* Read the stream last written as a model: DBV_EINPUT, the message at
 * record rec with `want` in it. */
static void refused(const char *name, unsigned long long rec, const char *want)
{
	struct dbv_model m;
	double mean[4], std[4];
	int fd;
	struct dbv_reader *r = ropen(name, &fd);

	CHECK_RC(dbv_model_read(r, &m, mean, std), DBV_EINPUT);
	check_msg(rec, want);
	dbv_reader_free(r);
	close(fd);
}

static void test_header_refusals(void)
{
	static const struct {
		const char *arch;
		int64_t width, c;
		double std;
		const char *want;
		int64_t classes, side; /* 0: 3 */
	} cases[] = {
		{NULL, 2, 1, 1, "no valid \"arch\"", 0, 0},
		/* within DBV_MODEL_MAX_SIZE, beyond the data sets' bounds */
		{"mlp", 2, 1, 1, "100000 classes", DBV_DATASET_MAX_CLASSES + 1, 0},
		{"mlp", 2, 1, 1, "100000 classes", 0, DBV_DATASET_MAX_HW + 1},
		{"mlp", DBV_MODEL_MAX_SIZE + 1, 1, 1, "out-of-range sizes", 0, 0},
		{"mlp", -1, 1, 1, "out-of-range sizes", 0, 0},
		{"mlp", 2, DBV_MODEL_MAX_CHANNELS + 1, 1, "at most 4", 0, 0},
		{"mlp", 2, 1, 0, "\"std\" must be > 0", 0, 0},
		{"mlp", 2, 1, NAN, "\"std\" is not numeric", 0, 0},
		{"lenet", 2, 1, 1, "model header: ", 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int fd;
		struct dbv_writer *w = wopen("header.dbv", &fd);
		hdr_classes = cases[i].classes ? cases[i].classes : 3;
		hdr_side = cases[i].side ? cases[i].side : 3;
		write_header(w, cases[i].arch, cases[i].width, cases[i].c, cases[i].std);
		wclose(w, fd);
		refused("header.dbv", 0, cases[i].want);
	}
	hdr_classes = hdr_side = 3;
}

/* One param record: name, and a f32 tensor of shape [n] (or an i64 scalar
 * when n < 0). */
static void write_param(struct dbv_writer *w, const char *name, int64_t n)
{
	float v[64] = {0};
	int64_t shape[1] = {n}, one = 1;

	dbv_writer_record_begin(w, "param", 2);
	dbv_w_key(w, "name");
	dbv_w_str(w, name);
	dbv_w_key(w, "value");
	if (n < 0)
		dbv_w_tensor_raw(w, DBV_I64, 0, shape, &one);
	else
		dbv_w_tensor_raw(w, DBV_F32, 1, shape, v);
	dbv_writer_record_end(w);
}

/* Param records refused: an unknown name, a wrong shape or dtype, and
 * (the last bias alone, right) the tensors missing. */
static void test_param_refusals(void)
{
	struct dbv_arch a = {.name = "mlp", .width = 2, .depth = 1, .c = 1,
			     .h = 3, .w = 3, .classes = 3};
	struct dbv_model m;
	const char *bias = NULL;

	CHECK_OK(dbv_model_build(&m, &a));
	for (size_t i = 0; i < m.nparams; i++)
		if (m.params[i].ndim == 1)
			bias = m.params[i].name; /* the output layer's, [3] */
	CHECK(bias != NULL);
	const struct {
		const char *name;
		int64_t n;
		unsigned long long rec;
		const char *want;
	} cases[] = {
		{"no.such.tensor", 3, 1, "unknown parameter 'no.such.tensor'"},
		{bias, 4, 1, "has the wrong shape"},
		{bias, -1, 1, "has the wrong dtype or rank"},
		{bias, 3, 2, "lacks parameter"}, /* at the trailer */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int fd;
		struct dbv_writer *w = wopen("param.dbv", &fd);
		write_header(w, "mlp", 2, 1, 1);
		write_param(w, cases[i].name, cases[i].n);
		wclose(w, fd);
		refused("param.dbv", cases[i].rec, cases[i].want);
	}
	/* Issue #11 item 11: a tensor twice (the last would win). */
	int fd;
	struct dbv_writer *w = wopen("param.dbv", &fd);
	write_header(w, "mlp", 2, 1, 1);
	write_param(w, bias, 3);
	write_param(w, bias, 3);
	wclose(w, fd);
	refused("param.dbv", 2, "parameter '");
	CHECK(strstr(dbv_errmsg(), "' appears twice") != NULL);
	dbv_model_release(&m);
}

/* Issue #11 item 11: num_batches_tracked is an i64 scalar, shape [], not
 * [1], and not negative. */
static void test_counter(void)
{
	struct dbv_arch a = {.name = "cnn5", .width = 2, .c = 1, .h = 8, .w = 8,
			     .classes = 3};
	const int64_t one[1] = {1}, neg = -3;
	struct dbv_model m;
	double mean[4] = {0}, std[4] = {1};
	char *argv[] = {"t", NULL};
	struct dbv_train_cfg cfg;

	dbv_train_cfg_default(&cfg);
	CHECK_OK(dbv_model_build(&m, &a));
	for (int k = 0; k < 2; k++) {
		int fd;
		struct dbv_writer *w = wopen("counter.dbv", &fd);
		struct dbv_model_header h = {&m, NULL, mean, std, &cfg, "set", 6, 0};
		CHECK_OK(dbv_model_write_header(w, NULL, 1, argv, &h));
		dbv_writer_record_begin(w, "param", 2);
		dbv_w_key(w, "name");
		dbv_w_str(w, "bn1.num_batches_tracked");
		dbv_w_key(w, "value");
		dbv_w_tensor_raw(w, DBV_I64, k ? 0 : 1, one, k ? &neg : one);
		dbv_writer_record_end(w);
		wclose(w, fd);
		refused("counter.dbv", 1, k ? "parameter 'bn1.num_batches_tracked' is negative"
					    : "parameter 'bn1.num_batches_tracked' must be an i64 scalar");
	}
	dbv_model_release(&m);
}

/* A log record with a figure out of range or mistyped. */
static void test_log_refusals(void)
{
	static const struct {
		int64_t epoch;
		double acc, lr;
		int nil_loss, nil_acc;
		const char *want;
	} cases[] = {
		{0, 0.5, 0.1, 1, 1, "\"epoch\" is out of range"},
		{1, 1.5, 0.1, 1, 1, "\"train_acc\" is out of range"},
		{1, 0.5, -1, 1, 1, "\"lr\" is out of range"},
		{1, 0.5, 0.1, 1, 0, "must be numbers, or both nil"},
		{1, 0.5, 0.1, 0, 1, "must be numbers, or both nil"},
		{1, 0.5, 0.1, 1, 1, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct dbv_train_log l;
		const dbv_val *rec;
		int fd;
		struct dbv_writer *w = wopen("log.dbv", &fd);
		write_header(w, "mlp", 2, 1, 1);
		dbv_writer_record_begin(w, "log", 7);
		dbv_w_key(w, "epoch");
		dbv_w_i64(w, cases[i].epoch);
		dbv_w_key(w, "train_loss");
		dbv_w_f64(w, 1);
		dbv_w_key(w, "train_acc");
		dbv_w_f64(w, cases[i].acc);
		dbv_w_key(w, "test_loss");
		cases[i].nil_loss ? dbv_w_nil(w) : dbv_w_f64(w, 1);
		dbv_w_key(w, "test_acc");
		cases[i].nil_acc ? dbv_w_nil(w) : dbv_w_f64(w, 0.5);
		dbv_w_key(w, "lr");
		dbv_w_f64(w, cases[i].lr);
		dbv_w_key(w, "seconds");
		dbv_w_f64(w, 1);
		dbv_writer_record_end(w);
		wclose(w, fd);
		struct dbv_reader *r = ropen("log.dbv", &fd);
		CHECK_OK(dbv_reader_header(r, "model", NULL));
		CHECK_OK(dbv_reader_next(r, &rec));
		if (cases[i].want) {
			CHECK_RC(dbv_model_read_log(r, rec, &l), DBV_EINPUT);
			check_msg(1, cases[i].want);
		} else {
			CHECK_OK(dbv_model_read_log(r, rec, &l));
			CHECK(!l.has_test && l.epoch == 1 && l.train_acc == 0.5);
		}
		dbv_reader_free(r);
		close(fd);
	}
}

/* Issue #11 item 8: a model with NaN or an infinity in any tensor, or a
 * negative running variance, is refused as it is read (DBV_ENONFINITE,
 * the tool's exit 5), naming the tensor and the element; a variance of 0
 * is a variance. */
static void test_nonfinite(void)
{
	struct dbv_arch a = {.name = "cnn5", .width = 2, .c = 1, .h = 8, .w = 8,
			     .classes = 3};
	static const struct {
		const char *name;
		size_t at;
		float v;
		int rc;
		const char *want;
	} cases[] = {
		{"conv1.weight", 4, NAN, DBV_ENONFINITE,
		 "parameter 'conv1.weight' holds a non-finite value (element 4)"},
		{"conv2.bias", 1, INFINITY, DBV_ENONFINITE,
		 "parameter 'conv2.bias' holds a non-finite value (element 1)"},
		{"fc.weight", 0, -INFINITY, DBV_ENONFINITE,
		 "parameter 'fc.weight' holds a non-finite value (element 0)"},
		{"bn1.running_mean", 1, NAN, DBV_ENONFINITE,
		 "parameter 'bn1.running_mean' holds a non-finite value (element 1)"},
		{"bn2.running_var", 3, -0.5f, DBV_ENONFINITE,
		 "parameter 'bn2.running_var' holds a negative variance (element 3)"},
		{"bn2.running_var", 3, 0, DBV_OK, NULL},
	};
	double mean[4] = {0.5}, std[4] = {0.25};
	struct dbv_train_cfg cfg;
	char *argv[] = {"t", NULL};
	struct dbv_model m, m2;

	dbv_train_cfg_default(&cfg);
	CHECK_OK(dbv_model_build(&m, &a));
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct dbv_param *p = dbv_model_param(&m, cases[i].name);
		size_t rec = 0;
		int fd;

		CHECK(p != NULL);
		if (!p)
			continue;
		rec = (size_t)(p - m.params) + 1;
		dbv_model_init(&m, 3);
		m.p[p->offset + cases[i].at] = cases[i].v;
		struct dbv_writer *w = wopen("nonfinite.dbv", &fd);
		struct dbv_model_header h = {&m, NULL, mean, std, &cfg, "set", 6, 0};
		CHECK_OK(dbv_model_write_header(w, NULL, 1, argv, &h));
		CHECK_OK(dbv_model_write_params(w, &m));
		wclose(w, fd);
		struct dbv_reader *r = ropen("nonfinite.dbv", &fd);
		double mean2[4], std2[4];
		CHECK_RC(dbv_model_read(r, &m2, mean2, std2), cases[i].rc);
		if (cases[i].want)
			check_msg(rec, cases[i].want);
		else
			dbv_model_release(&m2);
		dbv_reader_free(r);
		close(fd);
	}
	dbv_model_release(&m);
}

int main(int argc, char **argv)
{
	(void)argc;
	dbv_blas_fix_core(argv);
	check_stream_dir = check_tmpdir();
	test_round_trip();
	test_header_refusals();
	test_param_refusals();
	test_log_refusals();
	test_nonfinite();
	test_counter();
	return check_done();
}
