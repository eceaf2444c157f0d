/*
 * dbv-train - train an architecture on a dataset stream, write a model
 * stream.
 *
 *   dbv-load fashion-mnist | dbv-train --arch cnn5 --width 16 -o m.dbv
 *
 * Outline: parse and check options; read the whole dataset stream (and
 * --test); build and initialise the model (or restore a checkpoint); write
 * the model header; train, writing one "log" record per epoch; write the
 * "param" records and the trailer.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

static const char usage[] =
	"usage: dbv-train --arch NAME [options] [DATASET|-]\n"
	"Train a network on a dataset stream and write a model stream.\n"
	"\n"
	"Model:\n"
	"      --arch NAME        mlp, fcnet, cnn5, resnet18, vgg11\n"
	"      --width K          width dial (default 16)\n"
	"      --depth D          hidden layers of mlp (default 1)\n"
	"Optimisation:\n"
	"      --optim O          sgd (default), adam, adamw\n"
	"      --lr X             learning rate (default 0.1 for sgd, 0.001 for adam)\n"
	"      --momentum X       SGD momentum (default 0.9)\n"
	"      --nesterov         Nesterov momentum\n"
	"      --wd, --weight-decay X  weight decay (default 0)\n"
	"      --betas B1,B2      Adam betas (default 0.9,0.999)\n"
	"      --adam-eps X       Adam epsilon (default 1e-8)\n"
	"      --schedule S       constant (default), step, cosine\n"
	"      --milestones LIST  epochs where the step schedule multiplies by --gamma\n"
	"      --gamma X          step factor (default 0.1)\n"
	"      --warmup E         linear warm-up over E epochs (default 0)\n"
	"      --epochs N         (default 10)\n"
	"      --batch N          (default 128)\n"
	"      --augment SPEC     none (default) or crop:P,flip (either or both)\n"
	"      --seed S           initialisation seed (default 0)\n"
	"      --data-seed S      data order and augmentation seed (default 0)\n"
	"      --threads N        threads dbv computes with; OpenBLAS runs single-threaded\n"
	"                         in each (default 2)\n"
	"Evaluation and state:\n"
	"      --test FILE        dataset stream to evaluate after every epoch\n"
	"      --checkpoint FILE  save the whole training state to FILE\n"
	"      --checkpoint-every N[e|s|b]  every N epochs (e, default), seconds or batches\n"
	"      --resume           continue from --checkpoint FILE when it exists\n"
	"Output:\n"
	"  -o, --output FILE      write the model to FILE (atomically) instead of stdout\n"
	"  -f, --force            write the binary stream to a terminal anyway\n"
	"  -q, --quiet            no progress on stderr\n"
	"      --max-record B     refuse input records over B bytes\n"
	"  -h, --help             this text\n"
	"      --version          versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 ok, 2 usage, 3 bad input, 4 I/O error, 5 non-finite loss.\n";

struct options {
	struct dbv_arch arch;
	struct dbv_train_cfg cfg;
	int lr_set;
	const char *input, *test, *output, *ckpt;
	char ckpt_unit;
	int64_t ckpt_every;
	int resume, quiet, force;
	uint64_t max_record;
};

struct data {
	int64_t n;
	int c, h, w, classes;
	uint8_t *x;
	int32_t *y;
	double mean[4], std[4];
	char **names;
	char *dataset;
	double label_noise; /* of the training stream (0: none) */
};

/* One row of figures per epoch: */
enum { L_TRAIN_LOSS, L_TRAIN_ACC, L_TEST_LOSS, L_TEST_ACC, L_LR, L_SECONDS,
       L_HAS_TEST, LOGW };

static void parse_augment(struct options *o, const char *s)
{
	char buf[64], *tok, *save;
	if (!strcmp(s, "none"))
		return;
	if (strlen(s) >= sizeof buf)
		goto bad;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int64_t p;
		if (!strcmp(tok, "flip"))
			o->cfg.flip = 1;
		else if (!strncmp(tok, "crop:", 5) &&
			 !dbv_parse_i64(tok + 5, 1, 64, &p))
			o->cfg.crop_pad = (int)p;
		else
			goto bad;
	}
	return;
bad:
	dbv_seterr(DBV_EUSAGE, "'%s' is not an augmentation (none, or crop:P,flip)", s);
	dbv_tool_bad_value("--augment");
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { O_ARCH = 256, O_WIDTH, O_DEPTH, O_OPTIM, O_LR, O_MOM, O_NEST, O_WD,
	       O_BETAS, O_AEPS, O_SCHED, O_MILE, O_GAMMA, O_WARM, O_EPOCHS,
	       O_BATCH, O_AUG, O_SEED, O_DSEED, O_THREADS, O_TEST, O_CKPT,
	       O_CKEV, O_RESUME, O_MAXREC, O_VERSION };
	static const struct option lo[] = {
		{"arch", 1, NULL, O_ARCH}, {"width", 1, NULL, O_WIDTH},
		{"depth", 1, NULL, O_DEPTH}, {"optim", 1, NULL, O_OPTIM},
		{"lr", 1, NULL, O_LR}, {"momentum", 1, NULL, O_MOM},
		{"nesterov", 0, NULL, O_NEST}, {"wd", 1, NULL, O_WD},
		{"weight-decay", 1, NULL, O_WD}, {"betas", 1, NULL, O_BETAS},
		{"adam-eps", 1, NULL, O_AEPS}, {"schedule", 1, NULL, O_SCHED},
		{"milestones", 1, NULL, O_MILE}, {"gamma", 1, NULL, O_GAMMA},
		{"warmup", 1, NULL, O_WARM}, {"epochs", 1, NULL, O_EPOCHS},
		{"batch", 1, NULL, O_BATCH}, {"augment", 1, NULL, O_AUG},
		{"seed", 1, NULL, O_SEED}, {"data-seed", 1, NULL, O_DSEED},
		{"threads", 1, NULL, O_THREADS}, {"test", 1, NULL, O_TEST},
		{"checkpoint", 1, NULL, O_CKPT}, {"checkpoint-every", 1, NULL, O_CKEV},
		{"resume", 0, NULL, O_RESUME}, {"max-record", 1, NULL, O_MAXREC},
		{"output", 1, NULL, 'o'}, {"force", 0, NULL, 'f'},
		{"quiet", 0, NULL, 'q'}, {"help", 0, NULL, 'h'},
		{"version", 0, NULL, O_VERSION}, {NULL, 0, NULL, 0},
	};
	int c;
	int64_t v;
	int64_t *list;
	size_t n;

	memset(o, 0, sizeof *o);
	dbv_train_cfg_default(&o->cfg);
	o->arch.width = 16;
	o->arch.depth = 1;
	o->ckpt_every = 1;
	o->ckpt_unit = 'e';
	o->max_record = DBV_DEFAULT_RECORD_LIMIT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:fqh", lo, NULL)) != -1) {
		const char *opt = dbv_tool_optname(argv, optind, optarg);
		switch (c) {
		case O_ARCH:
			if (strlen(optarg) >= sizeof o->arch.name) {
				dbv_seterr(DBV_EUSAGE, "unknown architecture '%s'", optarg);
				dbv_tool_bad_value("--arch");
			}
			strcpy(o->arch.name, optarg);
			break;
		case O_WIDTH:
			if (dbv_parse_i64(optarg, 1, 65536, &v)) dbv_tool_bad_value(opt);
			o->arch.width = (int)v;
			break;
		case O_DEPTH:
			if (dbv_parse_i64(optarg, 1, 64, &v)) dbv_tool_bad_value(opt);
			o->arch.depth = (int)v;
			break;
		case O_OPTIM:
			if (strlen(optarg) >= sizeof o->cfg.optim) {
				dbv_seterr(DBV_EUSAGE, "unknown optimizer '%s'", optarg);
				dbv_tool_bad_value("--optim");
			}
			strcpy(o->cfg.optim, optarg);
			break;
		case O_LR:
			if (dbv_parse_double(optarg, 1e-12, 1e6, &o->cfg.lr)) dbv_tool_bad_value(opt);
			o->lr_set = 1;
			break;
		case O_MOM:
			if (dbv_parse_double(optarg, 0, 0.999999, &o->cfg.momentum)) dbv_tool_bad_value(opt);
			break;
		case O_NEST: o->cfg.nesterov = 1; break;
		case O_WD:
			if (dbv_parse_double(optarg, 0, 10, &o->cfg.weight_decay)) dbv_tool_bad_value(opt);
			break;
		case O_BETAS: {
			char b1[64];
			const char *comma = strchr(optarg, ',');
			if (!comma || (size_t)(comma - optarg) >= sizeof b1) {
				dbv_seterr(DBV_EUSAGE, "'%s' is not B1,B2", optarg);
				dbv_tool_bad_value(opt);
			}
			memcpy(b1, optarg, (size_t)(comma - optarg));
			b1[comma - optarg] = 0;
			if (dbv_parse_double(b1, 0, 0.999999, &o->cfg.beta1) ||
			    dbv_parse_double(comma + 1, 0, 0.999999999, &o->cfg.beta2))
				dbv_tool_bad_value(opt);
			break;
		}
		case O_AEPS:
			if (dbv_parse_double(optarg, 1e-30, 1, &o->cfg.adam_eps)) dbv_tool_bad_value(opt);
			break;
		case O_SCHED:
			if (strlen(optarg) >= sizeof o->cfg.schedule) {
				dbv_seterr(DBV_EUSAGE, "unknown schedule '%s'", optarg);
				dbv_tool_bad_value(opt);
			}
			strcpy(o->cfg.schedule, optarg);
			break;
		case O_MILE:
			if (dbv_parse_i64_list(optarg, 1, 1000000, &list, &n)) dbv_tool_bad_value(opt);
			if (n > DBV_MAX_MILESTONES) {
				free(list);
				dbv_seterr(DBV_EUSAGE, "at most %d milestones", DBV_MAX_MILESTONES);
				dbv_tool_bad_value(opt);
			}
			o->cfg.nmilestones = (int)n;
			memcpy(o->cfg.milestones, list, n * sizeof *list);
			free(list);
			break;
		case O_GAMMA:
			if (dbv_parse_double(optarg, 0, 1e6, &o->cfg.gamma)) dbv_tool_bad_value(opt);
			break;
		case O_WARM:
			if (dbv_parse_double(optarg, 0, 1e6, &o->cfg.warmup)) dbv_tool_bad_value(opt);
			break;
		case O_EPOCHS:
			if (dbv_parse_i64(optarg, 1, 1000000, &v)) dbv_tool_bad_value(opt);
			o->cfg.epochs = (int)v;
			break;
		case O_BATCH:
			if (dbv_parse_i64(optarg, 1, 65536, &v)) dbv_tool_bad_value(opt);
			o->cfg.batch = (int)v;
			break;
		case O_AUG: parse_augment(o, optarg); break;
		case O_SEED:
			if (dbv_parse_u64(optarg, UINT64_MAX, &o->cfg.seed)) dbv_tool_bad_value(opt);
			break;
		case O_DSEED:
			if (dbv_parse_u64(optarg, UINT64_MAX, &o->cfg.data_seed)) dbv_tool_bad_value(opt);
			break;
		case O_THREADS:
			if (dbv_parse_i64(optarg, 1, 256, &v)) dbv_tool_bad_value(opt);
			o->cfg.threads = (int)v;
			break;
		case O_TEST: o->test = optarg; break;
		case O_CKPT: o->ckpt = optarg; break;
		case O_CKEV: {
			char num[32];
			size_t l = strlen(optarg);
			char unit = l ? optarg[l - 1] : 0;
			if (unit == 'e' || unit == 's' || unit == 'b')
				l--;
			else
				unit = 'e';
			if (l == 0 || l >= sizeof num) {
				dbv_seterr(DBV_EUSAGE, "'%s' is not N[e|s|b]", optarg);
				dbv_tool_bad_value(opt);
			}
			memcpy(num, optarg, l);
			num[l] = 0;
			if (dbv_parse_i64(num, 1, INT64_MAX / 2, &o->ckpt_every)) dbv_tool_bad_value(opt);
			o->ckpt_unit = unit;
			break;
		}
		case O_RESUME: o->resume = 1; break;
		case O_MAXREC:
			if (dbv_parse_u64(optarg, SIZE_MAX, &o->max_record)) dbv_tool_bad_value(opt);
			break;
		case 'o': o->output = optarg; break;
		case 'f': o->force = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(usage, stdout); exit(0);
		case O_VERSION: dbv_tool_version(); exit(0);
		case ':':
			dbv_tool_error("option '%s' needs a value (see --help)", opt);
			exit(DBV_EUSAGE);
		default:
			dbv_tool_error("unknown option '%s' (see --help)", opt);
			exit(DBV_EUSAGE);
		}
	}
	if (optind < argc)
		o->input = argv[optind++];
	if (optind < argc) {
		dbv_tool_error("too many arguments (one input at most)");
		exit(DBV_EUSAGE);
	}
	if (!o->arch.name[0]) {
		dbv_tool_error("--arch is required (mlp, fcnet, cnn5, resnet18, vgg11)");
		exit(DBV_EUSAGE);
	}
	if (!o->lr_set && strcmp(o->cfg.optim, "sgd"))
		o->cfg.lr = 0.001;
	if (o->resume && !o->ckpt) {
		dbv_tool_error("--resume needs --checkpoint FILE");
		exit(DBV_EUSAGE);
	}
	if (dbv_train_cfg_check(&o->cfg)) {
		dbv_tool_error("%s", dbv_errmsg());
		exit(DBV_EUSAGE);
	}
}

/* Read a whole dataset stream into memory. */
static int read_data(const char *path, uint64_t limit, struct data *d,
		     const dbv_val **pipeline, struct dbv_reader **keep)
{
	int fd, rc;
	struct dbv_reader *r;
	const dbv_val *meta, *rec, *v;
	size_t cap = 0, item;
	int64_t cls, shp[3];

	memset(d, 0, sizeof *d);
	if ((rc = dbv_input_open(path, &fd)))
		return rc;
	r = dbv_reader_new(fd, path ? path : "-");
	if (!r)
		return DBV_EIO;
	dbv_reader_set_limit(r, (size_t)limit);
	*keep = r;
	if ((rc = dbv_reader_header(r, "dataset", NULL)))
		return rc;
	meta = dbv_reader_meta(r);
	if (pipeline)
		*pipeline = dbv_reader_pipeline(r);
	v = dbv_map_get(meta, "shape");
	if (dbv_get_i64(meta, "classes", &cls) || cls < 2 || cls > 100000 ||
	    dbv_val_len(v) != 3 || dbv_val_i64(dbv_array_at(v, 0), &shp[0]) ||
	    dbv_val_i64(dbv_array_at(v, 1), &shp[1]) ||
	    dbv_val_i64(dbv_array_at(v, 2), &shp[2]) || shp[0] < 1 || shp[0] > 4 ||
	    shp[1] < 1 || shp[1] > 4096 || shp[2] < 1 || shp[2] > 4096)
		return dbv_seterr(DBV_EINPUT,
				  "%s: dataset header lacks a valid \"shape\" [C,H,W] (C <= 4) or \"classes\"",
				  path ? path : "standard input");
	d->c = (int)shp[0];
	d->h = (int)shp[1];
	d->w = (int)shp[2];
	d->classes = (int)cls;
	item = (size_t)d->c * (size_t)d->h * (size_t)d->w;
	for (int i = 0; i < 4; i++)
		d->mean[i] = 0, d->std[i] = 1;
	for (int i = 0; i < d->c; i++) {
		if (dbv_val_double(dbv_array_at(dbv_map_get(meta, "mean"), (size_t)i), &d->mean[i]) ||
		    dbv_val_double(dbv_array_at(dbv_map_get(meta, "std"), (size_t)i), &d->std[i]) ||
		    !(d->std[i] > 0) || !isfinite(d->mean[i]))
			return dbv_seterr(DBV_EINPUT,
					  "dataset header lacks a valid per-channel \"mean\"/\"std\"");
	}
	v = dbv_map_get(meta, "class_names");
	if (dbv_val_len(v) == (size_t)cls) {
		d->names = dbv_calloc((size_t)cls, sizeof *d->names);
		if (!d->names)
			return DBV_EIO;
		for (int64_t i = 0; i < cls; i++)
			if (dbv_val_strdup(dbv_array_at(v, (size_t)i), &d->names[i]))
				d->names[i] = dbv_strdup("?");
	}
	if (dbv_val_strdup(dbv_map_get(meta, "dataset"), &d->dataset))
		d->dataset = dbv_strdup("?");
	if (dbv_val_double(dbv_map_get(meta, "label_noise"), &d->label_noise))
		d->label_noise = 0;
	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
		struct dbv_tensor x, y;
		if (!dbv_record_is(rec, "batch"))
			continue;
		if ((rc = dbv_get_tensor(rec, "x", &x)))
			return dbv_preerr(rc, "record %llu",
					  (unsigned long long)dbv_reader_record_no(r));
		if ((rc = dbv_get_tensor(rec, "y", &y))) {
			dbv_tensor_release(&x);
			return dbv_preerr(rc, "record %llu",
					  (unsigned long long)dbv_reader_record_no(r));
		}
		int64_t b = x.ndim == 4 ? x.shape[0] : -1;
		if (x.dtype != DBV_U8 || b < 0 || x.shape[1] != d->c ||
		    x.shape[2] != d->h || x.shape[3] != d->w || y.dtype != DBV_I32 ||
		    y.ndim != 1 || y.shape[0] != b) {
			dbv_tensor_release(&x);
			dbv_tensor_release(&y);
			return dbv_seterr(DBV_EINPUT,
					  "record %llu: batch needs x u8 [b,%d,%d,%d] and y i32 [b]",
					  (unsigned long long)dbv_reader_record_no(r), d->c, d->h, d->w);
		}
		if ((size_t)(d->n + b) > cap) {
			size_t nc = cap ? cap * 2 : 4096, bytes;
			while (nc < (size_t)(d->n + b))
				nc *= 2;
			if (dbv_mul_size(nc, item, &bytes))
				return DBV_EINPUT;
			uint8_t *nx = dbv_realloc(d->x, bytes);
			if (!nx)
				return DBV_EIO;
			d->x = nx;
			int32_t *ny = dbv_realloc(d->y, nc * sizeof *ny);
			if (!ny)
				return DBV_EIO;
			d->y = ny;
			cap = nc;
		}
		memcpy(d->x + (size_t)d->n * item, x.data, x.nbytes);
		const int32_t *yy = y.data;
		for (int64_t i = 0; i < b; i++) {
			if (yy[i] < 0 || yy[i] >= cls) {
				dbv_tensor_release(&x);
				dbv_tensor_release(&y);
				return dbv_seterr(DBV_EINPUT, "record %llu: label %d out of range",
						  (unsigned long long)dbv_reader_record_no(r), yy[i]);
			}
			d->y[d->n + i] = yy[i];
		}
		d->n += b;
		dbv_tensor_release(&x);
		dbv_tensor_release(&y);
	}
	if (rc != DBV_END)
		return rc;
	if (d->n == 0)
		return dbv_seterr(DBV_EINPUT, "%s: the dataset is empty",
				  path ? path : "standard input");
	return DBV_OK;
}

static void data_release(struct data *d)
{
	if (d->names)
		for (int i = 0; i < d->classes; i++)
			free(d->names[i]);
	free(d->names);
	free(d->dataset);
	free(d->x);
	free(d->y);
	memset(d, 0, sizeof *d);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Evaluate (BN in eval mode) over a whole data set. */
static int evaluate(struct dbv_model *m, const struct data *d, int batch,
		    float *xb, float *dl, double *loss, double *acc)
{
	int64_t *idx = dbv_malloc((size_t)batch * sizeof *idx);
	double tl = 0;
	int64_t correct = 0;
	if (!idx)
		return DBV_EIO;
	for (int64_t s = 0; s < d->n; s += batch) {
		int n = (int)(d->n - s < batch ? d->n - s : batch), cor = 0;
		for (int i = 0; i < n; i++)
			idx[i] = s + i;
		dbv_make_batch(d->x, d->c, d->h, d->w, idx, n, d->mean, d->std, 0, 0,
			       NULL, xb);
		const float *logits = dbv_model_forward(m, xb, n, 0);
		tl += dbv_softmax_xent(n, m->arch.classes, logits, d->y + s, dl, &cor) * n;
		correct += cor;
	}
	free(idx);
	*loss = tl / (double)d->n;
	*acc = (double)correct / (double)d->n;
	return DBV_OK;
}

/* ---- checkpoints ---- */

struct state {
	int64_t epoch, batch; /* next batch to run */
	struct dbv_rng rng;
	int64_t *perm;
	double *logs; /* LOGW per finished epoch */
	double elapsed;
	/* running figures of the current epoch */
	double loss_sum;
	int64_t correct, seen;
};

/* Everything that must match for a checkpoint to be resumed. */
static void fingerprint(const struct options *o, const struct data *d,
			char *buf, size_t n)
{
	const struct dbv_train_cfg *c = &o->cfg;
	uint32_t crc = dbv_crc32c(0, d->x, (size_t)d->n * (size_t)d->c * (size_t)d->h * (size_t)d->w);
	crc = dbv_crc32c(crc, d->y, (size_t)d->n * sizeof *d->y);
	size_t k = (size_t)snprintf(buf, n,
		"arch=%s width=%d depth=%d in=%dx%dx%d classes=%d n=%lld data=%08x "
		"optim=%s lr=%.17g mom=%.17g nest=%d wd=%.17g betas=%.17g,%.17g eps=%.17g "
		"sched=%s gamma=%.17g warmup=%.17g epochs=%d batch=%d crop=%d flip=%d "
		"seed=%llu dseed=%llu threads=%d ms=",
		o->arch.name, o->arch.width, o->arch.depth, d->c, d->h, d->w,
		d->classes, (long long)d->n, crc, c->optim, c->lr, c->momentum,
		c->nesterov, c->weight_decay, c->beta1, c->beta2, c->adam_eps,
		c->schedule, c->gamma, c->warmup, c->epochs, c->batch, c->crop_pad,
		c->flip, (unsigned long long)c->seed, (unsigned long long)c->data_seed,
		c->threads);
	for (int i = 0; i < c->nmilestones && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%lld,", (long long)c->milestones[i]);
}

static int ckpt_save(const char *path, const char *fp, const struct dbv_model *m,
		     const struct dbv_optim *op, const struct state *st,
		     const struct data *d)
{
	size_t n = strlen(path) + 32;
	char *tmp = dbv_malloc(n);
	int fd, rc;
	char *argv[] = {"dbv-train", NULL};
	int64_t one[1], rs[1] = {4};
	struct dbv_writer *w;

	if (!tmp)
		return DBV_EIO;
	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		free(tmp);
		return dbv_seterr(DBV_EIO, "cannot write checkpoint '%s'", path);
	}
	w = dbv_writer_new(fd, "dbv-train");
	if (!w) {
		close(fd);
		unlink(tmp);
		free(tmp);
		return DBV_EIO;
	}
	dbv_writer_header_begin(w, "checkpoint", NULL, 1, argv, 1);
	dbv_w_key(w, "config");
	dbv_w_str(w, fp);
	dbv_writer_header_end(w);
	dbv_writer_record_begin(w, "state", 12);
	dbv_w_key(w, "loss_sum");
	dbv_w_f64(w, st->loss_sum);
	dbv_w_key(w, "correct");
	dbv_w_i64(w, st->correct);
	dbv_w_key(w, "seen");
	dbv_w_i64(w, st->seen);
	dbv_w_key(w, "epoch");
	dbv_w_i64(w, st->epoch);
	dbv_w_key(w, "batch");
	dbv_w_i64(w, st->batch);
	dbv_w_key(w, "step");
	dbv_w_i64(w, op->step);
	dbv_w_key(w, "elapsed");
	dbv_w_f64(w, st->elapsed);
	dbv_w_key(w, "rng");
	dbv_w_tensor_raw(w, DBV_I64, 1, rs, st->rng.s); /* u64 bits */
	dbv_w_key(w, "perm");
	one[0] = d->n;
	dbv_w_tensor_raw(w, DBV_I64, 1, one, st->perm);
	dbv_w_key(w, "p");
	one[0] = (int64_t)m->total;
	dbv_w_tensor_raw(w, DBV_F32, 1, one, m->p);
	dbv_w_key(w, "m1");
	dbv_w_tensor_raw(w, DBV_F32, 1, one, op->m1);
	dbv_w_key(w, "m2");
	if (op->m2)
		dbv_w_tensor_raw(w, DBV_F32, 1, one, op->m2);
	else
		dbv_w_nil(w);
	dbv_writer_record_end(w);
	one[0] = st->epoch * LOGW;
	dbv_writer_record_begin(w, "logs", 1);
	dbv_w_key(w, "rows");
	dbv_w_tensor_raw(w, DBV_F64, 1, one, st->logs);
	dbv_writer_record_end(w);
	rc = dbv_writer_finish(w);
	dbv_writer_free(w);
	if (close(fd) && !rc)
		rc = dbv_seterr(DBV_EIO, "cannot write checkpoint '%s'", path);
	if (!rc && rename(tmp, path))
		rc = dbv_seterr(DBV_EIO, "cannot rename checkpoint to '%s'", path);
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* Restore a checkpoint; 1 when none exists at path. */
static int ckpt_load(const char *path, const char *fp, struct dbv_model *m,
		     struct dbv_optim *op, struct state *st,
		     const struct data *d, const struct options *o)
{
	int fd, rc;
	struct dbv_reader *r;
	const dbv_val *rec;
	const char *s;
	size_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0)
		return dbv_seterr(DBV_EIO, "cannot read checkpoint '%s': %s", path,
				  strerror(errno));
	r = dbv_reader_new(fd, path);
	if (!r) {
		close(fd);
		return DBV_EIO;
	}
	/* The state record holds parameters, moments and the permutation:
	 * allow what this configuration needs, whatever --max-record says. */
	dbv_reader_set_limit(r, 3 * m->total * sizeof(float) +
				     (size_t)d->n * sizeof(int64_t) + (1 << 20));
	if ((rc = dbv_reader_header(r, "checkpoint", NULL)))
		goto out;
	if (dbv_val_str(dbv_map_get(dbv_reader_meta(r), "config"), &s, &n) ||
	    n != strlen(fp) || memcmp(s, fp, n)) {
		rc = dbv_seterr(DBV_EINPUT,
				"checkpoint '%s' belongs to another configuration or data set (remove it or change --checkpoint)",
				path);
		goto out;
	}
	int got_state = 0, got_logs = 0;
	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
		struct dbv_tensor t;
		if (dbv_record_is(rec, "state")) {
			struct {
				const char *key;
				void *dst;
				size_t bytes;
				enum dbv_dtype dt;
			} parts[5] = {
				{"rng", st->rng.s, sizeof st->rng.s, DBV_I64},
				{"perm", st->perm, (size_t)d->n * sizeof *st->perm, DBV_I64},
				{"p", m->p, m->total * sizeof(float), DBV_F32},
				{"m1", op->m1, m->total * sizeof(float), DBV_F32},
				{"m2", op->m2, op->m2 ? m->total * sizeof(float) : 0, DBV_F32},
			};
			if (dbv_get_i64(rec, "epoch", &st->epoch) ||
			    dbv_get_i64(rec, "batch", &st->batch) ||
			    dbv_get_i64(rec, "step", &op->step) ||
			    dbv_get_double(rec, "elapsed", &st->elapsed) ||
			    dbv_get_double(rec, "loss_sum", &st->loss_sum) ||
			    dbv_get_i64(rec, "correct", &st->correct) ||
			    dbv_get_i64(rec, "seen", &st->seen) ||
			    st->epoch < 0 || st->epoch > o->cfg.epochs || st->batch < 0) {
				rc = dbv_seterr(DBV_EINPUT, "checkpoint '%s': bad state", path);
				goto out;
			}
			for (int i = 0; i < 5; i++) {
				if (!parts[i].dst)
					continue;
				if ((rc = dbv_get_tensor(rec, parts[i].key, &t)))
					goto out;
				if (t.dtype != parts[i].dt || t.nbytes != parts[i].bytes) {
					dbv_tensor_release(&t);
					rc = dbv_seterr(DBV_EINPUT, "checkpoint '%s': \"%s\" has the wrong size",
							path, parts[i].key);
					goto out;
				}
				memcpy(parts[i].dst, t.data, t.nbytes);
				dbv_tensor_release(&t);
			}
			for (int64_t i = 0; i < d->n; i++)
				if (st->perm[i] < 0 || st->perm[i] >= d->n) {
					rc = dbv_seterr(DBV_EINPUT, "checkpoint '%s': bad permutation", path);
					goto out;
				}
			got_state = 1;
		} else if (dbv_record_is(rec, "logs")) {
			if ((rc = dbv_get_tensor(rec, "rows", &t)))
				goto out;
			if (t.dtype != DBV_F64 || t.nbytes != (size_t)st->epoch * LOGW * sizeof(double)) {
				dbv_tensor_release(&t);
				rc = dbv_seterr(DBV_EINPUT, "checkpoint '%s': bad logs", path);
				goto out;
			}
			memcpy(st->logs, t.data, t.nbytes);
			dbv_tensor_release(&t);
			got_logs = 1;
		}
	}
	if (rc == DBV_END)
		rc = got_state && got_logs ? DBV_OK
					   : dbv_seterr(DBV_EINPUT, "checkpoint '%s' is incomplete", path);
out:
	if (rc && rc != 1)
		dbv_preerr(rc, "resume");
	dbv_reader_free(r);
	close(fd);
	return rc;
}

static void write_log(struct dbv_writer *w, int epoch, const double *row)
{
	dbv_writer_record_begin(w, "log", 7);
	dbv_w_key(w, "epoch");
	dbv_w_i64(w, epoch);
	dbv_w_key(w, "train_loss");
	dbv_w_f64(w, row[L_TRAIN_LOSS]);
	dbv_w_key(w, "train_acc");
	dbv_w_f64(w, row[L_TRAIN_ACC]);
	dbv_w_key(w, "test_loss");
	if (row[L_HAS_TEST])
		dbv_w_f64(w, row[L_TEST_LOSS]);
	else
		dbv_w_nil(w);
	dbv_w_key(w, "test_acc");
	if (row[L_HAS_TEST])
		dbv_w_f64(w, row[L_TEST_ACC]);
	else
		dbv_w_nil(w);
	dbv_w_key(w, "lr");
	dbv_w_f64(w, row[L_LR]);
	dbv_w_key(w, "seconds");
	dbv_w_f64(w, row[L_SECONDS]);
	dbv_writer_record_end(w);
}

static void write_header(struct dbv_writer *w, const struct options *o,
			 const struct dbv_model *m, const struct data *d,
			 const dbv_val *pipeline, int argc, char **argv)
{
	const struct dbv_train_cfg *c = &o->cfg;
	dbv_writer_header_begin(w, "model", pipeline, argc, argv,
				DBV_MODEL_META_PAIRS + 24);
	dbv_model_write_meta(w, m, d->names, d->mean, d->std);
	dbv_w_key(w, "dataset"); dbv_w_str(w, d->dataset);
	dbv_w_key(w, "n_train"); dbv_w_i64(w, d->n);
	dbv_w_key(w, "label_noise"); dbv_w_f64(w, d->label_noise);
	dbv_w_key(w, "optim"); dbv_w_str(w, c->optim);
	dbv_w_key(w, "lr"); dbv_w_f64(w, c->lr);
	dbv_w_key(w, "momentum"); dbv_w_f64(w, c->momentum);
	dbv_w_key(w, "nesterov"); dbv_w_bool(w, c->nesterov);
	dbv_w_key(w, "weight_decay"); dbv_w_f64(w, c->weight_decay);
	dbv_w_key(w, "betas");
	dbv_w_array(w, 2); dbv_w_f64(w, c->beta1); dbv_w_f64(w, c->beta2);
	dbv_w_key(w, "adam_eps"); dbv_w_f64(w, c->adam_eps);
	dbv_w_key(w, "schedule"); dbv_w_str(w, c->schedule);
	dbv_w_key(w, "milestones"); dbv_w_i64_array(w, c->milestones, (size_t)c->nmilestones);
	dbv_w_key(w, "gamma"); dbv_w_f64(w, c->gamma);
	dbv_w_key(w, "warmup"); dbv_w_f64(w, c->warmup);
	dbv_w_key(w, "epochs"); dbv_w_i64(w, c->epochs);
	dbv_w_key(w, "batch"); dbv_w_i64(w, c->batch);
	dbv_w_key(w, "crop_pad"); dbv_w_i64(w, c->crop_pad);
	dbv_w_key(w, "flip"); dbv_w_bool(w, c->flip);
	dbv_w_key(w, "seed"); dbv_w_u64(w, c->seed);
	dbv_w_key(w, "data_seed"); dbv_w_u64(w, c->data_seed);
	dbv_w_key(w, "threads"); dbv_w_i64(w, c->threads);
	dbv_w_key(w, "dbv_version"); dbv_w_str(w, DBV_VERSION);
	dbv_w_key(w, "blas"); dbv_w_str(w, dbv_blas_describe());
	dbv_w_key(w, "conv"); dbv_w_str(w, dbv_conv_describe());
	dbv_writer_header_end(w);
}

static void progress(const struct options *o, int tty, int epoch, int64_t b,
		     int64_t nb, double loss, double acc, double ips, double left)
{
	if (o->quiet || !tty)
		return;
	fprintf(stderr, "\r\033[Kepoch %d/%d  batch %lld/%lld  loss %.4f  acc %.2f%%  %.0f img/s  %.0fs left",
		epoch + 1, o->cfg.epochs, (long long)b, (long long)nb, loss,
		100 * acc, ips, left);
}

int main(int argc, char **argv)
{
	struct options o;
	struct data d, t;
	struct dbv_reader *rd = NULL, *rt = NULL;
	const dbv_val *pipeline = NULL;
	struct dbv_model m;
	struct dbv_optim op;
	struct state st;
	struct dbv_writer *w;
	char fp[1024];
	int rc, fd, tty;
	float *xb, *dl;
	int64_t *idx;
	int32_t *ybuf;

	dbv_tool_init("dbv-train", argv);
	parse_options(argc, argv, &o);
	dbv_blas_set_threads(o.cfg.threads);
	if ((rc = read_data(o.input, o.max_record, &d, &pipeline, &rd)))
		dbv_tool_die(rc);
	memset(&t, 0, sizeof t);
	if (o.test) {
		if ((rc = read_data(o.test, o.max_record, &t, NULL, &rt)))
			dbv_tool_die(rc);
		if (t.c != d.c || t.h != d.h || t.w != d.w || t.classes != d.classes)
			dbv_tool_error("the test set's items (%dx%dx%d, %d classes) differ from the training set's (%dx%dx%d, %d classes)",
				       t.c, t.h, t.w, t.classes, d.c, d.h, d.w, d.classes),
			exit(DBV_EINPUT);
	}
	o.arch.c = d.c;
	o.arch.h = d.h;
	o.arch.w = d.w;
	o.arch.classes = d.classes;
	if ((rc = dbv_model_build(&m, &o.arch)))
		dbv_tool_die(rc);
	dbv_model_init(&m, o.cfg.seed);
	if ((rc = dbv_model_reserve(&m, o.cfg.batch)) ||
	    (rc = dbv_optim_init(&op, &m, &o.cfg)))
		dbv_tool_die(rc);
	memset(&st, 0, sizeof st);
	st.perm = dbv_malloc((size_t)d.n * sizeof *st.perm);
	st.logs = dbv_calloc((size_t)o.cfg.epochs * LOGW, sizeof(double));
	xb = dbv_amalloc((size_t)o.cfg.batch * (size_t)d.c * (size_t)d.h * (size_t)d.w * sizeof(float));
	dl = dbv_amalloc((size_t)o.cfg.batch * (size_t)d.classes * sizeof(float));
	idx = dbv_malloc((size_t)o.cfg.batch * sizeof *idx);
	ybuf = dbv_malloc((size_t)o.cfg.batch * sizeof *ybuf);
	if (!st.perm || !st.logs || !xb || !dl || !idx || !ybuf)
		dbv_tool_die(DBV_EIO);
	dbv_rng_seed(&st.rng, o.cfg.data_seed);
	fingerprint(&o, &d, fp, sizeof fp);
	if (o.resume) {
		rc = ckpt_load(o.ckpt, fp, &m, &op, &st, &d, &o);
		if (rc == 1 && !o.quiet)
			dbv_tool_warn("no checkpoint at '%s': starting from the beginning", o.ckpt);
		else if (rc && rc != 1)
			dbv_tool_die(rc);
	}
	if ((rc = dbv_output_open(o.output, 1, o.force, &fd)))
		dbv_tool_die(rc);
	w = dbv_writer_new(fd, "dbv-train");
	if (!w)
		dbv_tool_die(DBV_EIO);
	write_header(w, &o, &m, &d, pipeline, argc, argv);
	for (int64_t e = 0; e < st.epoch; e++)
		write_log(w, (int)e + 1, st.logs + e * LOGW);

	tty = isatty(2);
	int64_t nb = (d.n + o.cfg.batch - 1) / o.cfg.batch;
	double t_start = now() - st.elapsed, t_ckpt = now();
	int64_t since_ckpt = 0;
	for (; st.epoch < o.cfg.epochs; st.epoch++, st.batch = 0) {
		double e0 = now(), last_print = 0;
		int64_t seen0 = st.seen; /* items before a resume point */
		if (st.batch == 0) {
			st.loss_sum = 0;
			st.correct = st.seen = 0;
			seen0 = 0;
			for (int64_t i = 0; i < d.n; i++)
				st.perm[i] = i;
			dbv_rng_shuffle_i64(&st.rng, st.perm, (size_t)d.n);
		}
		double lr = 0;
		for (; st.batch < nb; st.batch++) {
			int64_t s = st.batch * o.cfg.batch;
			int n = (int)(d.n - s < o.cfg.batch ? d.n - s : o.cfg.batch), cor = 0;
			memcpy(idx, st.perm + s, (size_t)n * sizeof *idx);
			dbv_make_batch(d.x, d.c, d.h, d.w, idx, n, d.mean, d.std,
				       o.cfg.crop_pad, o.cfg.flip, &st.rng, xb);
			const float *logits = dbv_model_forward(&m, xb, n, 1);
			for (int i = 0; i < n; i++)
				ybuf[i] = d.y[idx[i]];
			double loss = dbv_softmax_xent(n, d.classes, logits, ybuf, dl, &cor);
			if (!isfinite(loss)) {
				char msg[200];
				snprintf(msg, sizeof msg,
					 "the loss is not finite at epoch %lld, batch %lld (lower the learning rate?)",
					 (long long)st.epoch + 1, (long long)st.batch + 1);
				if (tty && !o.quiet)
					fputc('\n', stderr);
				dbv_writer_fail(w, msg);
				dbv_seterr(DBV_ENONFINITE, "%s", msg);
				dbv_tool_die(DBV_ENONFINITE);
			}
			dbv_model_zero_grad(&m);
			dbv_model_backward(&m, dl, n);
			lr = dbv_train_lr(&o.cfg, st.epoch, st.batch, nb);
			dbv_optim_step(&op, &m, &o.cfg, lr);
			st.loss_sum += loss * n;
			st.correct += cor;
			st.seen += n;
			since_ckpt++;
			double tn = now();
			if (tn - last_print > 0.2 || st.batch + 1 == nb) {
				double ips = (double)(st.seen - seen0) / (tn - e0 + 1e-9);
				double left = ips > 0 ? ((double)(o.cfg.epochs - st.epoch) * (double)d.n -
							 (double)(s + n)) / ips : 0;
				progress(&o, tty, (int)st.epoch, st.batch + 1, nb,
					 st.loss_sum / (double)st.seen, (double)st.correct / (double)st.seen,
					 ips, left);
				last_print = tn;
			}
			/* Batch and time checkpoints inside an epoch; one due at
			 * its last batch is taken after the epoch's log. */
			if (o.ckpt && st.batch + 1 < nb &&
			    ((o.ckpt_unit == 'b' && since_ckpt >= o.ckpt_every) ||
			     (o.ckpt_unit == 's' && tn - t_ckpt >= (double)o.ckpt_every))) {
				st.batch++;
				st.elapsed = tn - t_start;
				if ((rc = ckpt_save(o.ckpt, fp, &m, &op, &st, &d)))
					dbv_tool_die(rc);
				st.batch--;
				t_ckpt = tn;
				since_ckpt = 0;
			}
		}
		for (size_t i = 0; i < m.total; i++)
			if (!isfinite(m.p[i])) {
				char msg[200];
				snprintf(msg, sizeof msg,
					 "the parameters became non-finite in epoch %lld (lower the learning rate?)",
					 (long long)st.epoch + 1);
				dbv_writer_fail(w, msg);
				dbv_seterr(DBV_ENONFINITE, "%s", msg);
				dbv_tool_die(DBV_ENONFINITE);
			}
		double *row = st.logs + st.epoch * LOGW;
		row[L_TRAIN_LOSS] = st.seen ? st.loss_sum / (double)st.seen : 0;
		row[L_TRAIN_ACC] = st.seen ? (double)st.correct / (double)st.seen : 0;
		row[L_LR] = lr;
		if (o.test) {
			row[L_HAS_TEST] = 1;
			if ((rc = evaluate(&m, &t, o.cfg.batch, xb, dl, &row[L_TEST_LOSS],
					   &row[L_TEST_ACC])))
				dbv_tool_die(rc);
		}
		row[L_SECONDS] = now() - e0;
		write_log(w, (int)st.epoch + 1, row);
		dbv_writer_flush(w); /* downstream sees progress */
		if (!o.quiet) {
			if (tty)
				fputs("\r\033[K", stderr);
			fprintf(stderr, "epoch %lld/%d  loss %.4f  acc %.2f%%",
				(long long)st.epoch + 1, o.cfg.epochs, row[L_TRAIN_LOSS],
				100 * row[L_TRAIN_ACC]);
			if (o.test)
				fprintf(stderr, "  test loss %.4f  test acc %.2f%%",
					row[L_TEST_LOSS], 100 * row[L_TEST_ACC]);
			fprintf(stderr, "  lr %.4g  %.0f img/s  %.1fs\n", lr,
				(double)(st.seen - seen0) / row[L_SECONDS], row[L_SECONDS]);
		}
		double tn = now();
		int due = o.ckpt_unit == 'e' ? (st.epoch + 1) % o.ckpt_every == 0
			: o.ckpt_unit == 'b' ? since_ckpt >= o.ckpt_every
					     : tn - t_ckpt >= (double)o.ckpt_every;
		if (o.ckpt && due && st.epoch + 1 < o.cfg.epochs) {
			struct state s2 = st;
			s2.epoch = st.epoch + 1;
			s2.batch = 0;
			s2.elapsed = now() - t_start;
			s2.loss_sum = 0;
			s2.correct = s2.seen = 0;
			if ((rc = ckpt_save(o.ckpt, fp, &m, &op, &s2, &d)))
				dbv_tool_die(rc);
			t_ckpt = tn;
			since_ckpt = 0;
		}
	}
	dbv_model_write_params(w, &m);
	if ((rc = dbv_writer_finish(w)) || (rc = dbv_output_commit()))
		dbv_tool_die(rc);
	dbv_writer_free(w);
	dbv_reader_free(rd);
	dbv_reader_free(rt);
	dbv_model_release(&m);
	dbv_optim_release(&op);
	data_release(&d);
	data_release(&t);
	free(st.perm);
	free(st.logs);
	dbv_afree(xb);
	dbv_afree(dl);
	free(idx);
	free(ybuf);
	return 0;
}
