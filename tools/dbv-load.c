/*
 * dbv-load - read a labelled image set from disk and write it as a
 * "dataset" stream.
 *
 *   dbv-load NAME [--dir DIR] [--split train|test] [options]
 *   dbv-load --images FILE --labels FILE [options]       (IDX, plain or .gz)
 *   dbv-load --cifar10 FILE... | --cifar100 FILE... [options]
 *
 * Order of operations: load the split, keep --classes (relabelled 0..k-1
 * in list order), --shuffle with --seed, cut --offset/--limit, add
 * --label-noise with --noise-seed to that subset, write.  Everything is
 * checked before the first byte goes out, so a refused run writes
 * nothing.  The loading, statistics and noise live in lib/data/data.c,
 * the stream's header and records in lib/kinds/dataset.c.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const char usage[] =
	"usage: dbv-load NAME [--dir DIR] [--split train|test] [options]\n"
	"       dbv-load --images FILE --labels FILE [options]\n"
	"       dbv-load --cifar10 FILE... | --cifar100 FILE... [options]\n"
	"Read a labelled image set and write it as a dbv \"dataset\" stream.\n"
	"NAME: fashion-mnist, mnist, cifar10, cifar100; DIR defaults to\n"
	"$DBV_DATA_DIR/NAME, else /usr/share/datasets/NAME.\n"
	"\n"
	"      --dir DIR          directory of the named data set\n"
	"      --split S          train (default) or test\n"
	"      --images FILE      IDX image file (plain or .gz)\n"
	"      --labels FILE      IDX label file (plain or .gz)\n"
	"      --cifar10          the arguments are CIFAR-10 binary files\n"
	"      --cifar100         the arguments are CIFAR-100 binary files\n"
	"      --classes LIST     keep these class ids (e.g. 0,3,5), relabelled 0..k-1\n"
	"      --shuffle          permute the items (seeded by --seed, default 0)\n"
	"      --seed S           shuffle seed\n"
	"      --offset N         skip the first N items (after --shuffle)\n"
	"      --limit N          keep N items (after --offset)\n"
	"      --label-noise P    move round(P*n_c) labels of each class c, 0 <= P < 1\n"
	"      --noise-seed S     label noise seed (default 0)\n"
	"      --batch N          items per record (default: about 1 MiB of pixels)\n"
	"  -o, --output FILE      write to FILE (atomically) instead of stdout\n"
	"  -f, --force            write the binary stream to a terminal anyway\n"
	"  -h, --help             this text\n"
	"      --version          versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 ok, 2 usage, 3 bad or truncated input, 4 I/O error.\n";

struct options {
	const char *name, *dir, *split, *images, *labels, *out;
	int cifar;             /* label bytes: 1 CIFAR-10, 2 CIFAR-100 */
	char **files;          /* CIFAR files (argv entries)           */
	size_t nfiles;
	int64_t *classes;
	size_t nclasses;
	int shuffle, seed_set, noise_set, noise_seed_set, force;
	uint64_t seed, noise_seed;
	double noise;
	int64_t offset, limit; /* limit -1: to the end                 */
	int64_t batch;         /* 0: default                           */
};

enum {
	OPT_DIR = 256, OPT_SPLIT, OPT_IMAGES, OPT_LABELS, OPT_CIFAR10,
	OPT_CIFAR100, OPT_CLASSES, OPT_SHUFFLE, OPT_SEED, OPT_OFFSET, OPT_LIMIT,
	OPT_NOISE, OPT_NOISE_SEED, OPT_BATCH, OPT_VERSION,
};

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"dir", required_argument, NULL, OPT_DIR},
		{"split", required_argument, NULL, OPT_SPLIT},
		{"images", required_argument, NULL, OPT_IMAGES},
		{"labels", required_argument, NULL, OPT_LABELS},
		{"cifar10", no_argument, NULL, OPT_CIFAR10},
		{"cifar100", no_argument, NULL, OPT_CIFAR100},
		{"classes", required_argument, NULL, OPT_CLASSES},
		{"shuffle", no_argument, NULL, OPT_SHUFFLE},
		{"seed", required_argument, NULL, OPT_SEED},
		{"offset", required_argument, NULL, OPT_OFFSET},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"label-noise", required_argument, NULL, OPT_NOISE},
		{"noise-seed", required_argument, NULL, OPT_NOISE_SEED},
		{"batch", required_argument, NULL, OPT_BATCH},
		{"output", required_argument, NULL, 'o'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof *o);
	o->limit = -1;
	while ((c = dbv_tool_getopt(argc, argv, ":o:fh", longopts)) != -1) {
		switch (c) {
		case OPT_DIR: o->dir = optarg; break;
		case OPT_SPLIT: o->split = optarg; break;
		case OPT_IMAGES: o->images = optarg; break;
		case OPT_LABELS: o->labels = optarg; break;
		case OPT_CIFAR10:
		case OPT_CIFAR100:
			if (o->cifar && o->cifar != (c == OPT_CIFAR10 ? 1 : 2))
				dbv_tool_usage("--cifar10 and --cifar100 exclude each other");
			o->cifar = c == OPT_CIFAR10 ? 1 : 2;
			break;
		case OPT_CLASSES:
			free(o->classes);
			dbv_tool_check(dbv_parse_i64_list(optarg, 0, INT32_MAX,
						       &o->classes, &o->nclasses),
				    "--classes");
			break;
		case OPT_SHUFFLE: o->shuffle = 1; break;
		case OPT_SEED:
			dbv_tool_check(dbv_parse_u64(optarg, UINT64_MAX, &o->seed), "--seed");
			o->seed_set = 1;
			break;
		case OPT_OFFSET:
			dbv_tool_check(dbv_parse_i64(optarg, 0, INT64_MAX, &o->offset),
				    "--offset");
			break;
		case OPT_LIMIT:
			dbv_tool_check(dbv_parse_i64(optarg, 1, INT64_MAX, &o->limit),
				    "--limit");
			break;
		case OPT_NOISE:
			dbv_tool_check(dbv_parse_double(optarg, 0, 1, &o->noise),
				    "--label-noise");
			if (o->noise >= 1)
				dbv_tool_usage("--label-noise: '%s' must be below 1", optarg);
			o->noise_set = 1;
			break;
		case OPT_NOISE_SEED:
			dbv_tool_check(dbv_parse_u64(optarg, UINT64_MAX, &o->noise_seed),
				    "--noise-seed");
			o->noise_seed_set = 1;
			break;
		case OPT_BATCH:
			dbv_tool_check(dbv_parse_i64(optarg, 1, INT32_MAX, &o->batch),
				    "--batch");
			break;
		case 'o': o->out = optarg; break;
		case 'f': o->force = 1; break;
		case 'h': dbv_tool_help(usage);
		case OPT_VERSION: dbv_tool_version(); dbv_tool_exit_ok();
		}
	}

	if (o->seed_set && !o->shuffle)
		dbv_tool_usage("--seed needs --shuffle");
	if (o->noise_seed_set && !o->noise_set)
		dbv_tool_usage("--noise-seed needs --label-noise");
	if (o->cifar || o->images || o->labels) {
		if (o->dir || o->split)
			dbv_tool_usage("--dir and --split apply to named data sets only");
		if (o->cifar && (o->images || o->labels))
			dbv_tool_usage("--images/--labels and --cifar10/--cifar100 exclude each other");
	}
	if (o->cifar) {
		if (optind == argc)
			dbv_tool_usage("--cifar%s needs one or more files",
				    o->cifar == 1 ? "10" : "100");
		o->files = argv + optind;
		o->nfiles = (size_t)(argc - optind);
		return;
	}
	if (o->images || o->labels) {
		if (!o->images || !o->labels)
			dbv_tool_usage("--images and --labels go together");
		if (optind < argc)
			dbv_tool_usage("unexpected argument '%s' with --images/--labels",
				    argv[optind]);
		return;
	}
	if (optind == argc)
		dbv_tool_usage("no data set named (see --help)");
	if (argc - optind > 1)
		dbv_tool_usage("too many arguments: '%s' (one data set name)",
			    argv[optind + 1]);
	o->name = argv[optind];
	if (!dbv_dataset_known(o->name))
		dbv_tool_usage("unknown data set '%s' (known: fashion-mnist, mnist, "
			    "cifar10, cifar100)", o->name);
	if (!o->split)
		o->split = "train";
	if (strcmp(o->split, "train") && strcmp(o->split, "test"))
		dbv_tool_usage("--split: '%s' is not train or test", o->split);
}

static int load(const struct options *o, struct dbv_dataset *d)
{
	if (o->name)
		return dbv_dataset_load(d, o->name, o->dir, o->split);
	if (o->cifar)
		return dbv_dataset_load_cifar(d, o->files, o->nfiles, o->cifar);
	return dbv_dataset_load_idx(d, o->images, o->labels);
}

/* --classes, --shuffle, --offset/--limit, --label-noise, in that order. */
static int transform(const struct options *o, struct dbv_dataset *d)
{
	struct dbv_rng rng;
	int64_t *perm, count;
	int rc;

	if (o->classes) {
		if ((rc = dbv_dataset_filter_classes(d, o->classes, o->nclasses)))
			return dbv_preerr(rc, "--classes");
		if (d->n == 0)
			return dbv_seterr(DBV_EUSAGE, "--classes: no items of "
					  "these classes in the data");
	}
	if (o->offset >= d->n)
		return dbv_seterr(DBV_EUSAGE, "--offset %lld is past the end "
				  "(%lld items)", (long long)o->offset,
				  (long long)d->n);
	count = d->n - o->offset;
	if (o->limit >= 0) {
		if (o->limit > count)
			return dbv_seterr(DBV_EUSAGE, "--limit %lld goes past the "
					  "end (%lld items after --offset %lld)",
					  (long long)o->limit, (long long)count,
					  (long long)o->offset);
		count = o->limit;
	}
	if (o->shuffle || count != d->n) {
		if (!(perm = dbv_calloc((size_t)d->n, sizeof *perm)))
			return DBV_EIO;
		for (int64_t i = 0; i < d->n; i++)
			perm[i] = i;
		if (o->shuffle) {
			dbv_rng_seed(&rng, o->seed);
			dbv_rng_shuffle_i64(&rng, perm, (size_t)d->n);
		}
		rc = dbv_dataset_select(d, perm + o->offset, (size_t)count);
		free(perm);
		if (rc)
			return rc;
	}
	if (o->noise_set &&
	    (rc = dbv_dataset_label_noise(d, o->noise, o->noise_seed)))
		return dbv_preerr(rc, "--label-noise");
	return DBV_OK;
}

int main(int argc, char **argv)
{
	struct options o;
	struct dbv_dataset d;
	struct dbv_writer *w;
	char **named = NULL, *pair[2];
	struct dbv_dataset_origin orig = {0};
	size_t batch;
	int fd, rc;

	dbv_tool_init("dbv-load", argv);
	parse_options(argc, argv, &o);

	/* "source" in the header: the files read. */
	if (o.name) {
		if ((rc = dbv_dataset_files(o.name, o.dir, o.split, &named,
					    &orig.nsource)))
			dbv_tool_die(rc);
		orig.source = named;
	} else if (o.cifar) {
		orig.source = o.files;
		orig.nsource = o.nfiles;
	} else {
		pair[0] = (char *)o.images;
		pair[1] = (char *)o.labels;
		orig.source = pair;
		orig.nsource = 2;
	}
	for (size_t i = 0; i < orig.nsource; i++) {
		const char *in[] = {"the input", orig.source[i]};
		dbv_tool_apart("-o", o.out, in, 1);
	}
	if (o.noise_set)
		orig.noise_seed = &o.noise_seed;
	if (o.shuffle)
		orig.shuffle_seed = &o.seed;
	if ((rc = load(&o, &d)) || (rc = transform(&o, &d)))
		dbv_tool_die(rc);
	if (dbv_dataset_batch_items(&d, (size_t)o.batch, &batch))
		dbv_tool_usage("--batch %lld makes records over %zu MiB of pixels",
			    (long long)o.batch, DBV_DATASET_MAX_RECORD_PIXELS >> 20);

	if ((rc = dbv_output_open(o.out, 1, o.force, &fd)))
		dbv_tool_die(rc);
	dbv_pipe_grow(fd);
	if (!(w = dbv_writer_new(fd, "dbv-load")))
		dbv_tool_die(DBV_EIO);
	if ((rc = dbv_dataset_write(w, &d, &orig, batch, dbv_tool_argc(), dbv_tool_argv())) ||
	    (rc = dbv_writer_finish(w)) || (rc = dbv_output_commit()))
		dbv_tool_die(rc);
	dbv_writer_free(w);
	dbv_dataset_release(&d);
	free(named);
	free(o.classes);
	return 0;
}
