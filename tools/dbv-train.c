/*
 * dbv-train - train an architecture on a dataset stream, write a model
 * stream.
 *
 *   dbv-load fashion-mnist | dbv-train --arch cnn5 --width 16 -o m.dbv
 *
 * Outline: parse and check options; read the whole dataset stream (and
 * --test); make the trainer (lib/nn/trainer.c) and restore a checkpoint;
 * write the model header; train, the hooks writing one "log" record per
 * epoch, progress lines and checkpoint files (and, with --checkpoint,
 * one after the batch under way on SIGINT or SIGTERM, then the signal's
 * death); write the "param" records and the trailer.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static const char usage[] =
	"usage: dbv-train --arch NAME [options] [DATASET|-]\n"
	"Train a network on a dataset stream and write a model stream.\n"
	"\n"
	"Model:\n"
	"      --arch NAME        mlp, fcnet, cnn5, resnet18, vgg11, vgg, wrn, densenet,\n"
	"                         vit, mixer, rf\n"
	"      --width K          width dial (default 16; vit, mixer: 512; rf: features)\n"
	"      --depth D          layers of mlp (1), vit (6), mixer (12); wrn (6n+4, 28),\n"
	"                         vgg (11, 13, 16 or 19; 19)\n"
	"      --patch P, --heads H, --dim-head D, --mlp-dim M, --expansion E,\n"
	"      --dropout X, --emb-dropout X  vit and mixer (see dbv-train(1))\n"
	"Optimisation:\n"
	"      --loss L           xent (softmax cross-entropy, default), mse (squared\n"
	"                         error on one-hot targets)\n"
	"      --optim O          sgd (default), adam, adamw, lstsq (rf, mse: the\n"
	"                         minimum-norm least-squares fit, 1 epoch)\n"
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
	"      --estimate         time a few batches, print the run's cost (JSON), exit\n"
	"Output:\n"
	"  -o, --output FILE      write the model to FILE (atomically) instead of stdout\n"
	"  -f, --force            write the binary stream to a terminal anyway\n"
	"  -q, --quiet            no progress on stderr\n"
	"      --max-record B     refuse input records over B bytes\n"
	"  -h, --help             this text\n"
	"      --version          versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 ok, 2 usage, 3 bad input, 4 I/O error, 5 non-finite loss;\n"
	"with --checkpoint, SIGINT and SIGTERM save it first (then 130, 143).\n";

struct options {
	struct dbv_arch arch;
	struct dbv_train_cfg cfg;
	int lr_set, epochs_set;
	const char *input, *test, *output, *ckpt;
	enum dbv_ckpt_unit ckpt_unit;
	int64_t ckpt_every;
	int resume, quiet, force, estimate;
	uint64_t max_record;
};

/* A name option into dst (size n): refused as `what` when too long. */
static void parse_name(char *dst, size_t n, const char *s, const char *what,
		       const char *opt)
{
	if (strlen(s) >= n) {
		dbv_seterr(DBV_EUSAGE, "unknown %s '%s'", what, s);
		dbv_tool_bad_value(opt);
	}
	strcpy(dst, s);
}

/* N[e|s|b]: every N epochs (the default unit), seconds or batches. */
static void parse_every(struct options *o, const char *s, const char *opt)
{
	char num[32];
	size_t l = strlen(s);
	char unit = l ? s[l - 1] : 0;
	if (unit == 'e' || unit == 's' || unit == 'b')
		l--;
	else
		unit = 'e';
	if (l == 0 || l >= sizeof num) {
		dbv_seterr(DBV_EUSAGE, "'%s' is not N[e|s|b]", s);
		dbv_tool_bad_value(opt);
	}
	memcpy(num, s, l);
	num[l] = 0;
	if (dbv_parse_i64(num, 1, INT64_MAX / 2, &o->ckpt_every))
		dbv_tool_bad_value(opt);
	o->ckpt_unit = unit == 'e' ? DBV_CKPT_EPOCHS
		: unit == 'b' ? DBV_CKPT_BATCHES : DBV_CKPT_SECONDS;
}

/* An integer option in [lo, hi] into an int. */
static void parse_int(const char *s, int64_t lo, int64_t hi, int *dst,
		      const char *opt)
{
	int64_t v;
	if (dbv_parse_i64(s, lo, hi, &v))
		dbv_tool_bad_value(opt);
	*dst = (int)v;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { O_ARCH = 256, O_WIDTH, O_DEPTH, O_OPTIM, O_LR, O_MOM, O_NEST, O_WD,
	       O_BETAS, O_AEPS, O_SCHED, O_MILE, O_GAMMA, O_WARM, O_EPOCHS,
	       O_BATCH, O_AUG, O_SEED, O_DSEED, O_THREADS, O_TEST, O_CKPT,
	       O_CKEV, O_RESUME, O_MAXREC, O_VERSION, O_LOSS, O_EST, O_ARCHOPT };
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
		{"estimate", 0, NULL, O_EST},
		{"output", 1, NULL, 'o'}, {"force", 0, NULL, 'f'},
		{"quiet", 0, NULL, 'q'}, {"help", 0, NULL, 'h'},
		{"version", 0, NULL, O_VERSION}, {"loss", 1, NULL, O_LOSS},
	};
	/* then the architecture options of lib/nn/archopt.c's table */
	struct option all[sizeof lo / sizeof lo[0] + 16] = {{0}};
	struct dbv_train_cfg *c = &o->cfg;
	int ch, na = 0;

	memcpy(all, lo, sizeof lo);
	for (; dbv_arch_option_flag(na) && na < 15; na++)
		all[sizeof lo / sizeof lo[0] + na] =
			(struct option){dbv_arch_option_flag(na), 1, NULL, O_ARCHOPT + na};

	memset(o, 0, sizeof *o);
	dbv_train_cfg_default(c);
	dbv_arch_init(&o->arch); /* the architecture's defaults */
	o->ckpt_every = 1;
	o->ckpt_unit = DBV_CKPT_EPOCHS;
	o->max_record = DBV_DEFAULT_RECORD_LIMIT;
	while ((ch = dbv_tool_getopt(argc, argv, ":o:fqh", all)) != -1) {
		const char *opt = dbv_tool_optname(argv, optind, optarg);
		switch (ch) {
		case O_ARCH:
			parse_name(o->arch.name, sizeof o->arch.name, optarg,
				   "architecture", "--arch");
			break;
		case O_WIDTH: parse_int(optarg, 1, 65536, &o->arch.width, opt); break;
		case O_DEPTH: parse_int(optarg, 1, 64, &o->arch.depth, opt); break;
		case O_OPTIM:
			parse_name(c->optim, sizeof c->optim, optarg, "optimizer", "--optim");
			break;
		case O_LOSS:
			parse_name(c->loss, sizeof c->loss, optarg, "loss", opt);
			break;
		case O_LR:
			dbv_tool_check(dbv_parse_double(optarg, 1e-12, 1e6, &c->lr), opt);
			o->lr_set = 1;
			break;
		case O_MOM:
			dbv_tool_check(dbv_parse_double(optarg, 0, 0.999999, &c->momentum), opt);
			break;
		case O_NEST: c->nesterov = 1; break;
		case O_WD:
			dbv_tool_check(dbv_parse_double(optarg, 0, 10, &c->weight_decay), opt);
			break;
		case O_BETAS:
			if (dbv_parse_betas(optarg, &c->beta1, &c->beta2))
				dbv_tool_bad_value(opt);
			break;
		case O_AEPS:
			dbv_tool_check(dbv_parse_double(optarg, 1e-30, 1, &c->adam_eps), opt);
			break;
		case O_SCHED:
			parse_name(c->schedule, sizeof c->schedule, optarg, "schedule", opt);
			break;
		case O_MILE:
			if (dbv_parse_milestones(optarg, c))
				dbv_tool_bad_value(opt);
			break;
		case O_GAMMA:
			dbv_tool_check(dbv_parse_double(optarg, 0, 1e6, &c->gamma), opt);
			break;
		case O_WARM:
			dbv_tool_check(dbv_parse_double(optarg, 0, 1e6, &c->warmup), opt);
			break;
		case O_EPOCHS:
			parse_int(optarg, 1, DBV_MAX_EPOCHS, &c->epochs, opt);
			o->epochs_set = 1;
			break;
		case O_BATCH: parse_int(optarg, 1, 65536, &c->batch, opt); break;
		case O_AUG:
			if (dbv_parse_augment(optarg, &c->crop_pad, &c->flip))
				dbv_tool_bad_value(opt);
			break;
		case O_SEED:
			dbv_tool_check(dbv_parse_u64(optarg, UINT64_MAX, &c->seed), opt);
			break;
		case O_DSEED:
			dbv_tool_check(dbv_parse_u64(optarg, UINT64_MAX, &c->data_seed), opt);
			break;
		case O_THREADS: parse_int(optarg, 1, 256, &c->threads, opt); break;
		case O_TEST: o->test = optarg; break;
		case O_CKPT: o->ckpt = optarg; break;
		case O_CKEV: parse_every(o, optarg, opt); break;
		case O_RESUME: o->resume = 1; break;
		case O_EST: o->estimate = 1; break;
		case O_MAXREC:
			dbv_tool_check(dbv_parse_u64(optarg, SIZE_MAX, &o->max_record), opt);
			break;
		case 'o': o->output = optarg; break;
		case 'f': o->force = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': dbv_tool_help(usage);
		case O_VERSION: dbv_tool_version(); dbv_tool_exit_ok();
		default:
			if (ch >= O_ARCHOPT && ch < O_ARCHOPT + na)
				dbv_tool_check(dbv_arch_option(&o->arch,
					dbv_arch_option_name(ch - O_ARCHOPT), optarg), opt);
		}
	}
	if (optind < argc)
		o->input = argv[optind++];
	if (optind < argc)
		dbv_tool_usage("too many arguments (one input at most)");
	if (!o->arch.name[0])
		dbv_tool_usage("--arch is required (mlp, fcnet, cnn5, resnet18, vgg11, vgg, wrn, "
			       "densenet, vit, mixer, rf)");
	if (!o->arch.depth)
		o->arch.depth = dbv_arch_default_depth(o->arch.name);
	if (!o->lr_set && strcmp(c->optim, "sgd"))
		c->lr = 0.001;
	if (!o->epochs_set && !strcmp(c->optim, "lstsq"))
		c->epochs = 1;
	if (o->resume && !o->ckpt)
		dbv_tool_usage("--resume needs --checkpoint FILE");
	if (dbv_train_cfg_check(c))
		dbv_tool_usage("%s", dbv_errmsg());
	const char *named[] = {"the input", o->input ? o->input : "-", "--test",
			       o->test, "--checkpoint", o->ckpt};
	dbv_tool_apart("-o", o->output, named, 3);
	dbv_tool_apart("--checkpoint", o->ckpt, named, 2);
}

/* Read a whole dataset stream (path; NULL: standard input) into d
 * through the reader *keep (the header's pipeline lives as long). */
static int read_data(const char *path, uint64_t limit, struct dbv_dataset *d,
		     struct dbv_reader **keep)
{
	static const struct dbv_dataset_read_opts opt = {
		.min_classes = 2, .program = "dbv-train",
	};
	int fd, rc;

	if ((rc = dbv_input_open(path, &fd)))
		return rc;
	if (!(*keep = dbv_reader_new(fd, path ? path : "-")))
		return DBV_EIO;
	dbv_reader_set_limit(*keep, (size_t)limit);
	return dbv_dataset_read(*keep, d, &opt);
}

/* What the trainer's hooks need. */
struct run {
	const struct options *o;
	struct dbv_writer *w;
	const char *fp; /* the checkpoint fingerprint */
	int tty;
};

/* The status line, rewritten in place on a terminal. */
static int on_progress(void *arg, const struct dbv_train_progress *p)
{
	const struct run *r = arg;
	fprintf(stderr, "\r\033[Kepoch %lld/%d  batch %lld/%lld  loss %.4f  acc %.2f%%  %.0f img/s  %.0fs left",
		(long long)p->epoch, r->o->cfg.epochs, (long long)p->batch,
		(long long)p->nbatches, p->loss, 100 * p->acc, p->rate, p->left);
	return 0;
}

/* The epoch's log record, pushed downstream, and its line. */
static int on_epoch(void *arg, const struct dbv_train_log *l, int64_t trained)
{
	const struct run *r = arg;
	dbv_model_write_log(r->w, l);
	dbv_writer_flush(r->w); /* downstream sees progress */
	if (r->o->quiet)
		return 0;
	if (r->tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "epoch %lld/%d  loss %.4f  acc %.2f%%", (long long)l->epoch,
		r->o->cfg.epochs, l->train_loss, 100 * l->train_acc);
	if (l->has_test)
		fprintf(stderr, "  test loss %.4f  test acc %.2f%%", l->test_loss,
			100 * l->test_acc);
	fprintf(stderr, "  lr %.4g  %.0f img/s  %.1fs\n", l->lr,
		(double)trained / l->seconds, l->seconds);
	return 0;
}

/* Save the state to the checkpoint file, atomically: a kill at any
 * moment leaves the last one whole. */
static int on_checkpoint(void *arg, const struct dbv_train_state *st)
{
	const struct run *r = arg;
	struct dbv_checkpoint ck = {r->fp, r->o->cfg.epochs, r->o->cfg.batch, *st};
	int rc = dbv_write_file_atomic(r->o->ckpt, dbv_checkpoint_write_fd, &ck);
	return rc ? dbv_preerr(rc, "checkpoint '%s'", r->o->ckpt) : DBV_OK;
}

/* Where the trainer is, as the logs count. */
static const char *where(const struct dbv_trainer *t, char *buf, size_t n)
{
	dbv_train_where(buf, n, &t->st, t->cfg.epochs, dbv_trainer_batches(t));
	return buf;
}

static volatile sig_atomic_t interrupted; /* the signal, once one came */

int main(int argc, char **argv)
{
	struct options o;
	struct dbv_dataset d, t = {0};
	struct dbv_reader *rd = NULL, *rt = NULL;
	struct dbv_trainer tr;
	char fp[DBV_CHECKPOINT_CONFIG_MAX], where_buf[96];
	int rc, fd;

	dbv_tool_init("dbv-train", argv);
	parse_options(argc, argv, &o);
	dbv_blas_set_threads(o.cfg.threads);
	if ((rc = read_data(o.input, o.max_record, &d, &rd)) ||
	    (o.test && (rc = read_data(o.test, o.max_record, &t, &rt))) ||
	    (rc = dbv_trainer_init(&tr, &o.arch, &o.cfg, &d, o.test ? &t : NULL)))
		dbv_tool_die(rc);
	struct dbv_estimate est; /* --estimate: batches timed, no model */
	if (o.estimate && !(rc = dbv_trainer_measure(&tr, dbv_tool_estimate_seconds(), &est)))
		dbv_tool_estimate_exit(&est);
	else if (rc)
		dbv_tool_die(rc);
	dbv_checkpoint_config(fp, sizeof fp, &tr.model.arch, &o.cfg, &d);
	if (o.resume) {
		rc = dbv_checkpoint_resume(&tr, o.ckpt, fp);
		if (rc == 1 && !o.quiet)
			dbv_tool_warn("no checkpoint at '%s': starting from the beginning", o.ckpt);
		else if (rc && rc != 1)
			dbv_tool_die(rc);
		else if (!rc && !o.quiet)
			fprintf(stderr, "dbv-train: resuming from %s %s\n", o.ckpt,
				where(&tr, where_buf, sizeof where_buf));
	}
	if ((rc = dbv_output_open(o.output, 1, o.force, &fd)))
		dbv_tool_die(rc);
	struct run run = {&o, dbv_writer_new(fd, "dbv-train"), fp, isatty(2)};
	if (!run.w)
		dbv_tool_die(DBV_EIO);
	struct dbv_model_header h = {&tr.model, d.class_names, d.mean, d.std,
				     &o.cfg, d.name ? d.name : "?", d.n,
				     d.label_noise};
	dbv_model_write_header(run.w, dbv_reader_pipeline(rd), dbv_tool_argc(),
			       dbv_tool_argv(), &h);
	for (int64_t e = 0; e < tr.st.epoch; e++)
		dbv_model_write_log(run.w, &tr.st.logs[e]);

	struct dbv_train_hooks hooks = {
		&run, o.quiet || !run.tty ? NULL : on_progress, on_epoch,
		o.ckpt ? on_checkpoint : NULL, o.ckpt_unit, o.ckpt_every, &interrupted,
	};
	if (o.ckpt) /* SIGINT, SIGTERM: a checkpoint after the batch under way */
		dbv_tool_on_interrupt(&interrupted);
	if ((rc = dbv_trainer_run(&tr, &hooks)) == DBV_TRAIN_STOPPED) {
		if (run.tty && !o.quiet)
			fputc('\n', stderr);
		fprintf(stderr, "dbv-train: interrupted: checkpoint written to %s %s; --resume continues\n",
			o.ckpt, where(&tr, where_buf, sizeof where_buf));
		dbv_writer_fail(run.w, "interrupted");
		dbv_tool_exit_signal(interrupted);
	} else if (rc) {
		/* End the stream with the error (a non-finite loss, a
		 * checkpoint that could not be saved), so that the next stage
		 * of a pipeline fails too, naming the cause. */
		char msg[256];
		snprintf(msg, sizeof msg, "%s", dbv_errmsg());
		if (run.tty && !o.quiet)
			fputc('\n', stderr);
		dbv_writer_fail(run.w, msg);
		dbv_seterr(rc, "%s", msg);
		dbv_tool_die(rc);
	}
	dbv_model_write_params(run.w, &tr.model);
	if ((rc = dbv_writer_finish(run.w)) || (rc = dbv_output_commit()))
		dbv_tool_die(rc);
	dbv_writer_free(run.w);
	dbv_reader_free(rd);
	dbv_reader_free(rt);
	dbv_trainer_release(&tr);
	dbv_dataset_release(&d);
	dbv_dataset_release(&t);
	return 0;
}
