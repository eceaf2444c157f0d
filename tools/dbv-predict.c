/*
 * dbv-predict - a model's predictions over planes or a dataset.
 *
 *   ... | dbv-plane --triplets 4 --seed 1 | dbv-predict --model m.dbv | ...
 *
 * Outline: parse options; read the model; read the input header and check
 * that shape, classes and normalisation match the model; write the pred
 * header; then per plane make the grid points batch by batch inside this
 * process (memory bounded whatever the resolution), run the forward pass
 * in evaluation mode and write one "pred" record per plane; per dataset
 * batch write one "pred" record and at the end an "accuracy" record.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const char usage[] =
	"usage: dbv-predict --model FILE [options] [INPUT|-]\n"
	"Predict a class at every grid point of each plane of a planes stream,\n"
	"or for every item of a dataset stream, and write a pred stream.\n"
	"\n"
	"  -m, --model FILE       the model stream (from dbv-train)\n"
	"      --temp T           softmax temperature of the confidence (default 1)\n"
	"      --logits           also write all logits\n"
	"      --batch N          points per forward pass (default 256)\n"
	"      --threads N        threads (default 2)\n"
	"      --estimate         time a few batches, print the run's cost (JSON), exit\n"
	"  -o, --output FILE      write to FILE (atomically) instead of stdout\n"
	"  -f, --force            write the binary stream to a terminal anyway\n"
	"      --max-record B     refuse input records over B bytes\n"
	"  -h, --help             this text\n"
	"      --version          versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 ok, 2 usage, 3 bad or mismatched input, 4 I/O error,\n"
	"5 non-finite outputs.\n";

/* A pred record may not be larger than readers accept by default. */
#define MAX_PRED_BYTES ((double)DBV_DEFAULT_RECORD_LIMIT)

struct options {
	const char *model, *input, *output;
	double temp;
	int logits, batch, threads, force, estimate;
	uint64_t max_record;
};

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { O_TEMP = 256, O_LOGITS, O_BATCH, O_THREADS, O_MAXREC, O_VERSION, O_EST };
	static const struct option lo[] = {
		{"model", 1, NULL, 'm'}, {"temp", 1, NULL, O_TEMP},
		{"logits", 0, NULL, O_LOGITS}, {"batch", 1, NULL, O_BATCH},
		{"threads", 1, NULL, O_THREADS}, {"output", 1, NULL, 'o'},
		{"force", 0, NULL, 'f'}, {"max-record", 1, NULL, O_MAXREC},
		{"help", 0, NULL, 'h'}, {"version", 0, NULL, O_VERSION},
		{"estimate", 0, NULL, O_EST},
		{NULL, 0, NULL, 0},
	};
	int c;
	int64_t v;

	memset(o, 0, sizeof *o);
	o->temp = 1;
	o->batch = 256;
	o->threads = 2;
	o->max_record = DBV_DEFAULT_RECORD_LIMIT;
	while ((c = dbv_tool_getopt(argc, argv, ":m:o:fh", lo)) != -1) {
		const char *opt = dbv_tool_optname(argv, optind, optarg);
		switch (c) {
		case 'm': o->model = optarg; break;
		case O_TEMP:
			if (dbv_parse_double(optarg, 1e-6, 1e6, &o->temp)) dbv_tool_bad_value(opt);
			break;
		case O_LOGITS: o->logits = 1; break;
		case O_EST: o->estimate = 1; break;
		case O_BATCH:
			if (dbv_parse_i64(optarg, 1, 65536, &v)) dbv_tool_bad_value(opt);
			o->batch = (int)v;
			break;
		case O_THREADS:
			if (dbv_parse_i64(optarg, 1, 256, &v)) dbv_tool_bad_value(opt);
			o->threads = (int)v;
			break;
		case O_MAXREC:
			if (dbv_parse_u64(optarg, SIZE_MAX, &o->max_record)) dbv_tool_bad_value(opt);
			break;
		case 'o': o->output = optarg; break;
		case 'f': o->force = 1; break;
		case 'h': dbv_tool_help(usage);
		case O_VERSION: dbv_tool_version(); dbv_tool_exit_ok();
		}
	}
	if (optind < argc)
		o->input = argv[optind++];
	if (optind < argc)
		dbv_tool_usage("too many arguments (one input at most)");
	if (!o->model)
		dbv_tool_usage("--model FILE is required");
	if (!strcmp(o->model, "-") && (!o->input || !strcmp(o->input, "-")))
		dbv_tool_usage("--model - reads the model from standard input: give the planes or dataset as a FILE");
	const char *named[] = {"the input", o->input ? o->input : "-",
			       "--model", o->model};
	dbv_tool_apart("-o", o->output, named, 2);
}

struct predictor {
	struct dbv_model m;
	double mean[4], std[4];
	const dbv_val *mmeta; /* the model header's meta */
	int k;                /* classes */
	int batch;
	double temp;
	float *xb;            /* [batch, dim] */
};

/* What dbv-predict reads: planes, or data sets of u8 images or f32
 * points (dbv-plane --expand), whatever their labels (they are only
 * compared with the predictions). */
static const struct dbv_dataset_read_opts read_opts = {
	.accept = DBV_DATASET_F32 | DBV_DATASET_ANY_LABEL,
	.program = "dbv-predict",
};

/* Labels, confidences (and logits) of n normalised points in p->xb. */
static int run(struct predictor *p, int n, int32_t *lab, uint8_t *lab8,
	       float *conf, float *logits)
{
	const float *z = dbv_model_forward(&p->m, p->xb, n, 0);
	for (int i = 0; i < n; i++) {
		const float *zi = z + (size_t)i * p->k;
		int best = 0;
		for (int c = 1; c < p->k; c++)
			if (zi[c] > zi[best])
				best = c;
		/* max softmax(z/T) = 1 / sum_c exp((z_c - z_max)/T) */
		double s = 0;
		for (int c = 0; c < p->k; c++)
			s += exp(((double)zi[c] - zi[best]) / p->temp);
		if (!dbv_finite(zi[best]) || !dbv_finite(s))
			return dbv_seterr(DBV_ENONFINITE,
					  "the model's outputs are not finite");
		if (lab)
			lab[i] = best;
		if (lab8)
			lab8[i] = (uint8_t)best;
		conf[i] = (float)(1.0 / s);
		if (logits)
			memcpy(logits + (size_t)i * p->k, zi, (size_t)p->k * sizeof *zi);
	}
	return DBV_OK;
}

static int predict_plane(struct predictor *p, struct dbv_writer *w,
			 struct dbv_reader *r, const struct dbv_dataset *d,
			 const dbv_val *rec, const struct options *o)
{
	struct dbv_plane pl;
	size_t pts, done;
	int rc, small = p->k <= 256;
	int32_t *lab = NULL;
	uint8_t *lab8 = NULL;
	float *conf = NULL, *logits = NULL;

	if ((rc = dbv_planes_read_geometry(r, rec, d, &pl)))
		return rc;
	pts = (size_t)pl.res * (size_t)pl.res;
	/* Refuse before allocating what no reader would accept: labels (1
	 * or 4 bytes), confidence (4), logits (4k) per point, plus the
	 * plane's own keys copied on (3 basis vectors, anchors: < 1 MiB
	 * for images up to 3x256x256 ... bounded by the input record). */
	double per = (small ? 1 : 4) + 4 + (o->logits ? 4.0 * p->k : 0);
	if ((double)pts * per + (1 << 20) > MAX_PRED_BYTES) {
		int res = pl.res;
		dbv_plane_release(&pl);
		return dbv_seterr(DBV_EINPUT,
				  "a plane of %dx%d points%s would make a record over %.0f MiB: lower --res",
				  res, res, o->logits ? " with logits" : "",
				  MAX_PRED_BYTES / (1 << 20));
	}
	if (small)
		lab8 = dbv_malloc(pts);
	else
		lab = dbv_malloc(pts * sizeof *lab);
	conf = dbv_malloc(pts * sizeof *conf);
	if (o->logits)
		logits = dbv_malloc(pts * (size_t)p->k * sizeof *logits);
	if ((!lab8 && !lab) || !conf || (o->logits && !logits)) {
		rc = DBV_EIO;
		goto out;
	}
	for (done = 0; done < pts; done += (size_t)p->batch) {
		int n = (int)(pts - done < (size_t)p->batch ? pts - done : (size_t)p->batch);
		dbv_plane_points(&pl, done, (size_t)n, p->xb);
		if ((rc = run(p, n, lab ? lab + done : NULL, lab8 ? lab8 + done : NULL,
			      conf + done, logits ? logits + done * (size_t)p->k : NULL)))
			goto out;
	}
	rc = dbv_pred_write_plane(w, rec, pl.res, p->k, lab8, lab, conf, logits);
out:
	free(lab);
	free(lab8);
	free(conf);
	free(logits);
	dbv_plane_release(&pl);
	return rc;
}

struct acc {
	int64_t n, correct, correct_true;
};

static int predict_batch(struct predictor *p, struct dbv_writer *w,
			 struct dbv_reader *r, const struct dbv_dataset *d,
			 const dbv_val *rec, const struct options *o,
			 struct acc *acc)
{
	struct dbv_dataset_batch bt;
	const struct dbv_arch *a = &p->m.arch;
	size_t hw = (size_t)a->h * (size_t)a->w, dim = (size_t)a->c * hw;
	int rc;
	int32_t *lab = NULL;
	float *conf = NULL, *logits = NULL;

	if ((rc = dbv_dataset_read_batch(r, rec, d, &read_opts, acc->n, &bt)))
		return rc;
	int64_t b = bt.n;
	lab = dbv_malloc((size_t)b * sizeof *lab);
	conf = dbv_malloc((size_t)b * sizeof *conf);
	if (o->logits)
		logits = dbv_malloc((size_t)b * (size_t)p->k * sizeof *logits);
	if (!lab || !conf || (o->logits && !logits)) {
		rc = DBV_EIO;
		goto out;
	}
	for (int64_t s = 0; s < b; s += p->batch) {
		int n = (int)(b - s < p->batch ? b - s : p->batch);
		const char *src = (const char *)bt.x.data +
				  (size_t)s * dim * dbv_dtype_size(bt.x.dtype);
		dbv_normalise(src, bt.x.dtype, (size_t)n, a->c, hw, p->mean, p->std, p->xb);
		if ((rc = run(p, n, lab + s, NULL, conf + s,
			      logits ? logits + (size_t)s * (size_t)p->k : NULL)))
			goto out;
	}
	const int32_t *yy = bt.y.data, *ty = bt.y_true.data;
	for (int64_t i = 0; i < b; i++) {
		acc->correct += lab[i] == yy[i];
		acc->correct_true += lab[i] == ty[i];
	}
	acc->n += b;
	struct dbv_pred_items it = {(size_t)b, lab, conf, bt.y.data, bt.y_true.data,
				    bt.idx.data};
	rc = dbv_pred_write_items(w, &it, p->k, logits);
out:
	free(lab);
	free(conf);
	free(logits);
	dbv_dataset_batch_release(&bt);
	return rc;
}

/*
 * --estimate: time forward passes of full batches (of constant points:
 * the time does not depend on the values) and print the cost of the
 * input's points: planes x res^2 of a planes stream, the header's n of
 * a dataset.  Memory: the model with its activations, the batch, and
 * one plane's (or record's) outputs.
 */
static void estimate(struct predictor *p, const dbv_val *meta,
		     const struct dbv_planes_meta *pm, const struct options *o)
{
	const struct dbv_arch *a = &p->m.arch;
	size_t dim = (size_t)a->c * (size_t)a->h * (size_t)a->w;
	struct dbv_estimate e = {.epochs = 1, .threads = o->threads};
	int64_t n = 0, per = (p->k <= 256 ? 1 : 4) + 4 + (o->logits ? 4 * (int64_t)p->k : 0);

	if (pm)
		e.items = (int64_t)pm->planes * pm->res * pm->res;
	else if (!dbv_get_i64(meta, "n", &n) && n >= 0)
		e.items = n;
	for (size_t i = 0; i < (size_t)p->batch * dim; i++)
		p->xb[i] = 0.5f;
	double cpu_rate;
	e.rate = dbv_model_eval_rate(&p->m, p->xb, p->batch, dbv_tool_estimate_seconds(),
				     &cpu_rate);
	e.seconds = dbv_estimate_seconds(1, e.items, e.rate, 0, 0);
	e.cpu_seconds = dbv_estimate_seconds(1, e.items, cpu_rate, 0, 0);
	/* A dataset record: about DBV_DATASET_BATCH_BYTES of pixels (and
	 * 4-byte labels) in, per item outputs out. */
	uint64_t out = pm ? (uint64_t)pm->res * (uint64_t)pm->res * (uint64_t)per
		       : DBV_DATASET_BATCH_BYTES + (DBV_DATASET_BATCH_BYTES / dim + 1) * (uint64_t)(per + 8);
	e.memory = dbv_model_bytes(&p->m) + (uint64_t)p->batch * dim * sizeof(float) + out;
	dbv_tool_estimate_exit(&e);
}

/* What main holds, static so that what a refusal leaves allocated on its
 * way to exit is still reachable (no leak reports under LeakSanitizer). */
static struct predictor p;
static struct dbv_reader *mr, *r;
static struct dbv_dataset d;

int main(int argc, char **argv)
{
	struct options o;
	const dbv_val *rec;
	struct dbv_writer *w;
	int rc, fd, mfd, planes;
	struct acc acc = {0, 0, 0};

	dbv_tool_init("dbv-predict", argv);
	parse_options(argc, argv, &o);
	dbv_blas_set_threads(o.threads);
	memset(&p, 0, sizeof p);
	if ((rc = dbv_input_open(o.model, &mfd)))
		dbv_tool_die(rc);
	mr = dbv_reader_new(mfd, o.model);
	if (!mr)
		dbv_tool_die(DBV_EIO);
	if ((rc = dbv_model_read(mr, &p.m, p.mean, p.std)) ||
	    (rc = dbv_reader_expect_end(mr, "dbv-predict")))
		dbv_tool_die(rc);
	p.mmeta = dbv_reader_meta(mr);
	p.k = p.m.arch.classes;
	p.batch = o.batch;
	p.temp = o.temp;
	if ((rc = dbv_model_reserve_eval(&p.m, p.batch)))
		dbv_tool_die(rc);
	p.xb = dbv_amalloc((size_t)p.batch * (size_t)p.m.arch.c * (size_t)p.m.arch.h *
			   (size_t)p.m.arch.w * sizeof(float));
	if (!p.xb)
		dbv_tool_die(DBV_EIO);

	if ((rc = dbv_input_open(o.input, &fd)))
		dbv_tool_die(rc);
	r = dbv_reader_new(fd, o.input ? o.input : "-");
	if (!r)
		dbv_tool_die(DBV_EIO);
	dbv_reader_set_limit(r, (size_t)o.max_record);
	if ((rc = dbv_reader_header(r, "planes|dataset", NULL)))
		dbv_tool_die(rc);
	planes = !strcmp(dbv_reader_kind(r), "planes");
	struct dbv_planes_meta pm = {0};
	if ((rc = dbv_dataset_read_meta(r, &d, &read_opts)) ||
	    (planes && (rc = dbv_planes_read_meta(r, &pm))) ||
	    (rc = dbv_model_check_data(&p.m.arch, p.mean, p.std, &d,
					  planes ? "planes stream" : "dataset")))
		dbv_tool_die(rc);
	if (o.estimate)
		estimate(&p, dbv_reader_meta(r), planes ? &pm : NULL, &o);
	dbv_planes_meta_release(&pm);

	if ((rc = dbv_output_open(o.output, 1, o.force, &fd)))
		dbv_tool_die(rc);
	w = dbv_writer_new(fd, "dbv-predict");
	if (!w)
		dbv_tool_die(DBV_EIO);
	/* Header: the input's meta, then input/model/temp/logits. */
	struct dbv_pred_header h = {.planes = planes, .temp = o.temp, .logits = o.logits};
	if ((rc = dbv_pred_model_from_meta(&h.model, p.mmeta, o.model)))
		dbv_tool_die(rc);
	dbv_pred_write_header(w, dbv_reader_meta(r), dbv_reader_pipeline(r),
			      dbv_tool_argc(), dbv_tool_argv(), &h);
	dbv_pred_model_release(&h.model);

	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
		if (planes && dbv_planes_is_plane(rec))
			rc = predict_plane(&p, w, r, &d, rec, &o);
		else if (!planes && dbv_dataset_is_batch(rec))
			rc = predict_batch(&p, w, r, &d, rec, &o, &acc);
		else
			rc = dbv_writer_copy_record(w, rec);
		if (rc)
			break;
	}
	if (rc == DBV_END)
		rc = dbv_reader_expect_end(r, "dbv-predict");
	if (rc != DBV_END && rc != DBV_OK) {
		dbv_writer_fail(w, dbv_errmsg());
		dbv_tool_die(rc);
	}
	if (!planes) {
		struct dbv_pred_accuracy ac = {acc.n, acc.correct, acc.correct_true, 0, 0};
		dbv_pred_write_accuracy(w, &ac);
	}
	if ((rc = dbv_writer_finish(w)) || (rc = dbv_output_commit()))
		dbv_tool_die(rc);
	dbv_writer_free(w);
	dbv_reader_free(r);
	dbv_reader_free(mr);
	dbv_dataset_release(&d);
	dbv_model_release(&p.m);
	dbv_afree(p.xb);
	return 0;
}
