/*
 * data.c - labelled image sets: IDX files (MNIST, Fashion-MNIST) and CIFAR
 * binary files, the named data sets, normalisation statistics, subsets,
 * class filtering and label noise.
 *
 * IDX file, plain or gzip (one or more gzip members, each with its CRC and
 * size trailer, nothing after them), big-endian header:
 *
 *   +--------+--------+--------+--------+
 *   |  0x00  |  0x00  |  type  |  ndim  |  magic; type 0x08 = unsigned byte
 *   +--------+--------+--------+--------+
 *   |         dim 0 (u32, big-endian)   |  images: n, rows, cols (ndim 3)
 *   |         ...                       |  labels: n             (ndim 1)
 *   +-----------------------------------+
 *   |  prod(dims) bytes of data, C order (row-major, one image after
 *   |  the other); nothing after it
 *   +-----------------------------------+
 *
 * CIFAR binary file: fixed-size records back to back, no header:
 *
 *   CIFAR-10:  | label u8  |          | 3072 pixels: R 32x32, G 32x32, B 32x32 |
 *   CIFAR-100: | coarse u8 | fine u8  | 3072 pixels, same layout               |
 *
 * The pixels are already channel-major (CHW), which is the NCHW layout of
 * struct dbv_dataset, so a record's pixels are copied as they are.
 *
 * Every size read from a file is checked before anything is allocated
 * from it.  A gzip file's declared size cannot be checked against the
 * file, so its buffer grows as data arrives: a small file that declares
 * huge dimensions fails at its real end, having allocated about twice
 * what it held.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data/data.h"

/* Data larger than this is refused (both formats). */
#define DATA_MAX_BYTES ((size_t)4 << 30)
/* First buffer for data whose size comes from a header. */
#define GROW_FIRST ((size_t)1 << 20)
#define IDX_NCLASSES 10
#define CIFAR_C 3
#define CIFAR_H 32
#define CIFAR_W 32
#define CIFAR_PIXELS (CIFAR_C * CIFAR_H * CIFAR_W)
#define DEFAULT_ROOT "/usr/share/datasets"

/* ------------------------------------------------------------------ */
/* Built-in class names                                                */
/* ------------------------------------------------------------------ */

static const char *const digit_names[10] = {
	"0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
};

static const char *const fashion_names[10] = {
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

static const char *const cifar10_names[10] = {
	"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck",
};

/* CIFAR-100 fine labels, in the order of the data set's label ids. */
static const char *const cifar100_names[100] = {
	"apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee",
	"beetle", "bicycle", "bottle", "bowl", "boy", "bridge", "bus",
	"butterfly", "camel", "can", "castle", "caterpillar", "cattle",
	"chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab",
	"crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish",
	"forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
	"lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man",
	"maple_tree", "motorcycle", "mountain", "mouse", "mushroom",
	"oak_tree", "orange", "orchid", "otter", "palm_tree", "pear",
	"pickup_truck", "pine_tree", "plain", "plate", "poppy", "porcupine",
	"possum", "rabbit", "raccoon", "ray", "road", "rocket", "rose", "sea",
	"seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake",
	"spider", "squirrel", "streetcar", "sunflower", "sweet_pepper",
	"table", "tank", "telephone", "television", "tiger", "tractor",
	"train", "trout", "tulip", "turtle", "wardrobe", "whale",
	"willow_tree", "wolf", "woman", "worm",
};

/* ------------------------------------------------------------------ */
/* Named data sets                                                     */
/* ------------------------------------------------------------------ */

enum set_format { FMT_IDX, FMT_CIFAR10, FMT_CIFAR100 };

struct named_set {
	const char *name;
	enum set_format fmt;
	const char *const *class_names;
	int nclasses;
	/* Appended to "data set directory 'D' does not exist". */
	const char *hint;
};

static const struct named_set named_sets[] = {
	{"fashion-mnist", FMT_IDX, fashion_names, 10,
	 "install it with `apt-get install dataset-fashion-mnist`, "
	 "or set DBV_DATA_DIR"},
	{"mnist", FMT_IDX, digit_names, 10,
	 "put the MNIST IDX files there, or set DBV_DATA_DIR"},
	{"cifar10", FMT_CIFAR10, cifar10_names, 10,
	 "put the CIFAR-10 binary version's *.bin files there, "
	 "or set DBV_DATA_DIR"},
	{"cifar100", FMT_CIFAR100, cifar100_names, 100,
	 "put the CIFAR-100 binary version's train.bin and test.bin there, "
	 "or set DBV_DATA_DIR"},
};

static const struct named_set *find_set(const char *name)
{
	for (size_t i = 0; i < sizeof named_sets / sizeof named_sets[0]; i++)
		if (name && !strcmp(named_sets[i].name, name))
			return &named_sets[i];
	return NULL;
}

static int unknown_set(const char *name)
{
	return dbv_seterr(DBV_EUSAGE,
			  "unknown data set '%s' (known: fashion-mnist, mnist, "
			  "cifar10, cifar100)", name ? name : "");
}

int dbv_dataset_known(const char *name)
{
	return find_set(name) != NULL;
}

/*
 * $DBV_DATA_DIR/<name> when DBV_DATA_DIR is set and not empty, else
 * /usr/share/datasets/<name>.  The string lives in a per-thread buffer
 * until the next call.  NULL for an unknown name (or a path too long).
 */
const char *dbv_dataset_default_dir(const char *name)
{
	static _Thread_local char buf[PATH_MAX];
	const char *root = getenv("DBV_DATA_DIR");
	int len;

	if (!find_set(name))
		return NULL;
	if (!root || !*root)
		root = DEFAULT_ROOT;
	len = snprintf(buf, sizeof buf, "%s/%s", root, name);
	if (len < 0 || (size_t)len >= sizeof buf)
		return NULL;
	return buf;
}

static int file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/*
 * Pack n strings into one allocation: the pointer array, then the
 * strings, so that the caller releases everything with one free().
 */
static int pack_strings(char *const *s, size_t n, char ***out)
{
	size_t total = n * sizeof(char *), len;
	char **v, *p;

	for (size_t i = 0; i < n; i++) {
		len = strlen(s[i]) + 1;
		if (dbv_add_size(total, len, &total))
			return DBV_EIO;
	}
	v = dbv_malloc(total);
	if (!v)
		return DBV_EIO;
	p = (char *)(v + n);
	for (size_t i = 0; i < n; i++) {
		len = strlen(s[i]) + 1;
		memcpy(p, s[i], len);
		v[i] = p;
		p += len;
	}
	*out = v;
	return DBV_OK;
}

int dbv_dataset_files(const char *name, const char *dir, const char *split,
		      char ***files, size_t *nfiles)
{
	static const char *const cifar10_train[] = {
		"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
		"data_batch_4.bin", "data_batch_5.bin",
	};
	static const char *const cifar10_test[] = {"test_batch.bin"};
	static const char *const cifar100_train[] = {"train.bin"};
	static const char *const cifar100_test[] = {"test.bin"};
	const struct named_set *set = find_set(name);
	char paths[5][PATH_MAX], *pp[5];
	const char *const *bases;
	size_t n = 0, nbases;
	struct stat st;
	int train, len;

	*files = NULL;
	*nfiles = 0;
	if (!set)
		return unknown_set(name);
	if (!split || (strcmp(split, "train") && strcmp(split, "test")))
		return dbv_seterr(DBV_EUSAGE,
				  "unknown split '%s' (train or test)",
				  split ? split : "");
	train = !strcmp(split, "train");
	if (!dir && !(dir = dbv_dataset_default_dir(name)))
		return dbv_seterr(DBV_EUSAGE, "DBV_DATA_DIR is too long");
	if (stat(dir, &st) != 0) {
		if (errno == ENOENT)
			return dbv_seterr(DBV_EIO,
					  "data set directory '%s' does not exist (%s)",
					  dir, set->hint);
		return dbv_seterr(DBV_EIO, "cannot use '%s': %s", dir,
				  strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return dbv_seterr(DBV_EIO, "'%s' is not a directory", dir);

	if (set->fmt == FMT_IDX) {
		static const char *const idx_train[] = {
			"train-images-idx3-ubyte", "train-labels-idx1-ubyte"};
		static const char *const idx_test[] = {
			"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
		bases = train ? idx_train : idx_test;
		for (n = 0; n < 2; n++) {
			/* The gzip form first: that is how the files ship. */
			len = snprintf(paths[n], PATH_MAX, "%s/%s.gz", dir, bases[n]);
			if (len < 0 || len >= PATH_MAX)
				return dbv_seterr(DBV_EUSAGE, "path too long: '%s'", dir);
			if (file_exists(paths[n]))
				continue;
			paths[n][len - 3] = 0;
			if (!file_exists(paths[n]))
				return dbv_seterr(DBV_EIO,
						  "%s: neither '%s.gz' nor '%s' is in '%s'",
						  set->name, bases[n], bases[n], dir);
		}
	} else {
		if (set->fmt == FMT_CIFAR10) {
			bases = train ? cifar10_train : cifar10_test;
			nbases = train ? 5 : 1;
		} else {
			bases = train ? cifar100_train : cifar100_test;
			nbases = 1;
		}
		for (n = 0; n < nbases; n++) {
			len = snprintf(paths[n], PATH_MAX, "%s/%s", dir, bases[n]);
			if (len < 0 || len >= PATH_MAX)
				return dbv_seterr(DBV_EUSAGE, "path too long: '%s'", dir);
			if (!file_exists(paths[n]))
				return dbv_seterr(DBV_EIO, "%s: '%s' is not in '%s'",
						  set->name, bases[n], dir);
		}
	}
	for (size_t i = 0; i < n; i++)
		pp[i] = paths[i];
	if (pack_strings(pp, n, files))
		return DBV_EIO;
	*nfiles = n;
	return DBV_OK;
}

/* ------------------------------------------------------------------ */
/* Building and releasing a dataset                                    */
/* ------------------------------------------------------------------ */

void dbv_dataset_release(struct dbv_dataset *d)
{
	if (d->class_names) {
		for (int i = 0; i < d->nclasses; i++)
			free(d->class_names[i]);
		free(d->class_names);
	}
	free(d->name);
	free(d->split);
	free(d->x);
	free(d->y);
	free(d->y_true);
	free(d->idx);
	memset(d, 0, sizeof *d);
}

static int set_string(char **dst, const char *s)
{
	char *p = dbv_strdup(s);
	if (!p)
		return DBV_EIO;
	free(*dst);
	*dst = p;
	return DBV_OK;
}

/*
 * Fill d (zeroed by the caller) around pixels x (taken over, even on
 * failure) and labels lab[0..n) (each < nclasses, checked by the caller):
 * y = y_true = lab, idx = 0..n-1, stats of x.
 */
static int dataset_build(struct dbv_dataset *d, const char *name,
			 const char *split, size_t n, int c, int h, int w,
			 uint8_t *x, const uint8_t *lab,
			 const char *const *names, int nclasses)
{
	d->x = x;
	d->n = (int64_t)n;
	d->c = c;
	d->h = h;
	d->w = w;
	d->y = dbv_calloc(n, sizeof *d->y);
	d->y_true = dbv_calloc(n, sizeof *d->y_true);
	d->idx = dbv_calloc(n, sizeof *d->idx);
	d->class_names = dbv_calloc((size_t)nclasses, sizeof(char *));
	if (!d->y || !d->y_true || !d->idx || !d->class_names ||
	    set_string(&d->name, name) || set_string(&d->split, split))
		goto fail;
	d->nclasses = nclasses;
	for (int i = 0; i < nclasses; i++)
		if (!(d->class_names[i] = dbv_strdup(names[i])))
			goto fail;
	for (size_t i = 0; i < n; i++) {
		d->y[i] = d->y_true[i] = lab[i];
		d->idx[i] = (int64_t)i;
	}
	dbv_dataset_stats(d);
	return DBV_OK;
fail:
	dbv_dataset_release(d);
	return DBV_EIO;
}

/* ------------------------------------------------------------------ */
/* IDX                                                                 */
/* ------------------------------------------------------------------ */

/* Bytes of the file read at a time. */
#define IDX_IN ((size_t)1 << 17)

struct idx_file {
	const char *path;
	const char *what;  /* "images" or "labels" */
	int fd;            /* -1: closed                            */
	int direct;        /* plain file (not gzip)                 */
	int regular;       /* regular file: fsize is its size       */
	off_t fsize;
	unsigned char *in; /* IDX_IN bytes of the file: in[pos, len) */
	size_t in_pos, in_len;
	int eof;           /* the file has no more bytes            */
	z_stream zs;       /* gzip: the inflater (zinit: set up)    */
	int zinit, zend;   /* zend: a member ended, trailer checked */
	int cut;           /* the gzip data ended inside a member   */
	size_t hdr;        /* header bytes                          */
	uint32_t dims[3];  /* n[, rows, cols]                       */
	size_t n;          /* items                                 */
	size_t item;       /* bytes per item                        */
	size_t total;      /* n * item                              */
};

static int read_full(int fd, const char *path, void *buf, size_t len,
		     size_t *got);

static void idx_close(struct idx_file *f)
{
	if (f->zinit)
		inflateEnd(&f->zs);
	f->zinit = 0;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->in);
	f->in = NULL;
}

/* More of the file into f->in, after what is left unread there. */
static int idx_fill(struct idx_file *f)
{
	size_t got, want;
	int rc;

	memmove(f->in, f->in + f->in_pos, f->in_len - f->in_pos);
	f->in_len -= f->in_pos;
	f->in_pos = 0;
	want = IDX_IN - f->in_len;
	if ((rc = read_full(f->fd, f->path, f->in + f->in_len, want, &got)))
		return rc;
	f->in_len += got;
	f->eof = got < want;
	return DBV_OK;
}

/* Inflate up to len bytes into buf (*got of them).  After a member's end
 * comes the end of the file or another member; anything else, a member
 * cut short (f->cut: the caller tells a truncation) and corrupt data
 * are refused here or there. */
static int idx_inflate(struct idx_file *f, unsigned char *buf, size_t len,
		       size_t *got)
{
	int rc, z;

	while (*got < len) {
		if (f->in_len - f->in_pos < 2 && !f->eof && (rc = idx_fill(f)))
			return rc;
		if (f->zend) {
			if (f->in_pos == f->in_len)
				return DBV_OK; /* the end of the file */
			if (f->in_len - f->in_pos < 2 || f->in[f->in_pos] != 0x1f ||
			    f->in[f->in_pos + 1] != 0x8b)
				return dbv_seterr(DBV_EINPUT, "'%s': unexpected data "
						  "after the gzip data", f->path);
			inflateReset(&f->zs);
			f->zend = 0;
		}
		size_t want = len - *got > UINT_MAX ? UINT_MAX : len - *got;
		f->zs.next_in = f->in + f->in_pos;
		f->zs.avail_in = (unsigned)(f->in_len - f->in_pos);
		f->zs.next_out = buf + *got;
		f->zs.avail_out = (unsigned)want;
		z = inflate(&f->zs, Z_NO_FLUSH);
		f->in_pos = f->in_len - f->zs.avail_in;
		*got += want - f->zs.avail_out;
		if (z == Z_STREAM_END)
			f->zend = 1;
		else if (z == Z_BUF_ERROR && f->eof && f->in_pos == f->in_len) {
			f->cut = 1; /* no more input: the member is cut short */
			return DBV_OK;
		} else if (z == Z_MEM_ERROR) {
			return dbv_seterr(DBV_EIO, "'%s': out of memory", f->path);
		} else if (z != Z_OK && z != Z_BUF_ERROR) {
			return dbv_seterr(DBV_EINPUT, "'%s': corrupt gzip data (%s)",
					  f->path, f->zs.msg ? f->zs.msg : "bad data");
		}
	}
	return DBV_OK;
}

/*
 * Read up to len bytes; *got < len only at the end of the data.  A gzip
 * stream cut short reads as an early end (the caller reports the
 * truncation; f->cut tells it); corrupt gzip data, data after it and
 * system errors are failures.
 */
static int idx_read(struct idx_file *f, void *buf, size_t len, size_t *got)
{
	size_t k = f->in_len - f->in_pos, n = 0;
	int rc = DBV_OK;

	*got = 0;
	if (!f->direct)
		return idx_inflate(f, buf, len, got);
	if (k > len)
		k = len;
	memcpy(buf, f->in + f->in_pos, k);
	f->in_pos += k;
	*got = k;
	if (k < len && !f->eof)
		rc = read_full(f->fd, f->path, (unsigned char *)buf + k, len - k, &n);
	*got += n;
	return rc;
}

/* "10000 images of 28x28" / "10000 labels" */
static const char *idx_count(const struct idx_file *f, size_t n, char *buf,
			     size_t size)
{
	if (f->hdr == 16)
		snprintf(buf, size, "%zu images of %ux%u", n,
			 (unsigned)f->dims[1], (unsigned)f->dims[2]);
	else
		snprintf(buf, size, "%zu labels", n);
	return buf;
}

static int idx_truncated(const struct idx_file *f, size_t got_bytes)
{
	char decl[64];
	return dbv_seterr(DBV_EINPUT,
			  "'%s': truncated: header declares %s but the file "
			  "ends after %zu %s", f->path,
			  idx_count(f, f->n, decl, sizeof decl),
			  got_bytes / f->item, f->what);
}

/*
 * Open an IDX file and check its header: magic, element type, number of
 * dimensions (3 for images, 1 for labels), nonzero dimensions, total
 * size at most 4 GiB and, for a plain regular file, its exact size.
 */
static int idx_open(struct idx_file *f, const char *path, int ndim)
{
	unsigned char h[16];
	struct stat st;
	size_t got, hgot;
	int fd, rc;

	memset(f, 0, sizeof *f);
	f->fd = -1;
	f->path = path;
	f->what = ndim == 3 ? "images" : "labels";
	f->hdr = 4 + 4 * (size_t)ndim;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dbv_seterr(DBV_EIO, "cannot open '%s': %s", path,
				  strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = dbv_seterr(DBV_EIO, "cannot stat '%s': %s", path,
				strerror(errno));
		close(fd);
		return rc;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return dbv_seterr(DBV_EIO, "'%s' is a directory", path);
	}
	f->regular = S_ISREG(st.st_mode);
	f->fsize = st.st_size;
	f->fd = fd;
	/* gzip when it starts with gzip's magic (as zlib's gzread would
	 * take it), else plain. */
	rc = DBV_EIO;
	if (!(f->in = dbv_malloc(IDX_IN)) || (rc = idx_fill(f)))
		goto fail;
	f->direct = f->in_len < 2 || f->in[0] != 0x1f || f->in[1] != 0x8b;
	if (!f->direct) {
		if (inflateInit2(&f->zs, 15 + 16) != Z_OK) {
			rc = dbv_seterr(DBV_EIO, "'%s': out of memory", path);
			goto fail;
		}
		f->zinit = 1;
	}

	if ((rc = idx_read(f, h, 4, &got)))
		goto fail;
	if (got == 0) {
		rc = dbv_seterr(DBV_EINPUT, "'%s' is empty", path);
		goto fail;
	}
	hgot = got;
	if (got < 4)
		goto short_header;
	if (h[0] || h[1]) {
		rc = dbv_seterr(DBV_EINPUT,
				"'%s' is not an IDX file (magic 0x%02x%02x%02x%02x)",
				path, h[0], h[1], h[2], h[3]);
		goto fail;
	}
	if (h[2] != 0x08) {
		rc = dbv_seterr(DBV_EINPUT,
				"'%s': IDX element type 0x%02x is not supported "
				"(only unsigned bytes, 0x08)", path, h[2]);
		goto fail;
	}
	if (h[3] != ndim) {
		if (ndim == 3 && h[3] == 1)
			rc = dbv_seterr(DBV_EINPUT,
					"'%s' is an IDX label file, not an image file",
					path);
		else if (ndim == 1 && h[3] == 3)
			rc = dbv_seterr(DBV_EINPUT,
					"'%s' is an IDX image file, not a label file",
					path);
		else
			rc = dbv_seterr(DBV_EINPUT,
					"'%s': IDX header has %u dimensions; %s "
					"files have %d", path, h[3],
					ndim == 3 ? "image" : "label", ndim);
		goto fail;
	}
	if ((rc = idx_read(f, h + 4, f->hdr - 4, &got)))
		goto fail;
	hgot = 4 + got;
	if (hgot < f->hdr)
		goto short_header;
	for (int i = 0; i < ndim; i++)
		f->dims[i] = (uint32_t)h[4 + 4 * i] << 24 |
			     (uint32_t)h[5 + 4 * i] << 16 |
			     (uint32_t)h[6 + 4 * i] << 8 | h[7 + 4 * i];
	f->n = f->dims[0];
	f->item = 1;
	for (int i = 0; i < ndim; i++) {
		if (f->dims[i] == 0) {
			rc = dbv_seterr(DBV_EINPUT,
					"'%s': header declares a zero dimension",
					path);
			goto fail;
		}
		if (i > 0)
			f->item *= f->dims[i]; /* < 2^64: two u32 factors */
	}
	if (dbv_mul_size(f->n, f->item, &f->total) ||
	    f->total > DATA_MAX_BYTES) {
		char decl[64];
		rc = dbv_seterr(DBV_EINPUT,
				"'%s': header declares %s, more than the 4 GiB "
				"this reader accepts", path,
				idx_count(f, f->n, decl, sizeof decl));
		goto fail;
	}
	if (f->direct && f->regular) {
		/* hdr + total <= 4 GiB + 16: no overflow in off_t. */
		off_t want = (off_t)(f->hdr + f->total);
		if (f->fsize < want) {
			rc = idx_truncated(f, (size_t)(f->fsize - (off_t)f->hdr));
			goto fail;
		}
		if (f->fsize > want) {
			char decl[64];
			rc = dbv_seterr(DBV_EINPUT,
					"'%s': %lld bytes of unexpected data after "
					"the declared %s", path,
					(long long)(f->fsize - want),
					idx_count(f, f->n, decl, sizeof decl));
			goto fail;
		}
	}
	return DBV_OK;

short_header:
	rc = dbv_seterr(DBV_EINPUT, "'%s': truncated IDX header (%zu of %zu "
			"bytes)", path, hgot, f->hdr);
fail:
	idx_close(f);
	return rc;
}

/*
 * Read the data of an opened IDX file into a new malloc'ed buffer of
 * f->total bytes.  The buffer starts at 1 MiB and doubles as data
 * arrives, so that a gzip file's header alone never decides how much is
 * allocated.  Data after the declared size is an error.
 */
static int idx_data(struct idx_file *f, uint8_t **out)
{
	size_t cap = f->total < GROW_FIRST ? f->total : GROW_FIRST;
	size_t got = 0, n;
	uint8_t *buf = dbv_malloc(cap), *nb, extra;
	int rc;

	if (!buf)
		return dbv_preerr(DBV_EIO, "'%s'", f->path);
	while (got < f->total) {
		if (got == cap) {
			size_t ncap = cap > f->total / 2 ? f->total : cap * 2;
			if (!(nb = dbv_realloc(buf, ncap))) {
				free(buf);
				return dbv_preerr(DBV_EIO, "'%s'", f->path);
			}
			buf = nb;
			cap = ncap;
		}
		if ((rc = idx_read(f, buf + got, cap - got, &n))) {
			free(buf);
			return rc;
		}
		got += n;
		if (got < cap)
			break; /* end of data */
	}
	if (got < f->total) {
		free(buf);
		return idx_truncated(f, got);
	}
	if ((rc = idx_read(f, &extra, 1, &n))) {
		free(buf);
		return rc;
	}
	if (n) {
		char decl[64];
		free(buf);
		return dbv_seterr(DBV_EINPUT,
				  "'%s': unexpected data after the declared %s",
				  f->path, idx_count(f, f->n, decl, sizeof decl));
	}
	if (f->cut) {
		free(buf);
		return dbv_seterr(DBV_EINPUT, "'%s': truncated gzip file (the "
				  "data is whole but its CRC and size trailer is "
				  "missing or cut short)", f->path);
	}
	*out = buf;
	return DBV_OK;
}

int dbv_dataset_load_idx(struct dbv_dataset *d, const char *images,
			 const char *labels)
{
	struct idx_file fi, fl;
	uint8_t *x = NULL, *lab = NULL;
	int rc;

	memset(d, 0, sizeof *d);
	if ((rc = idx_open(&fi, images, 3)))
		return rc;
	if ((rc = idx_open(&fl, labels, 1))) {
		idx_close(&fi);
		return rc;
	}
	if (fi.n != fl.n) {
		rc = dbv_seterr(DBV_EINPUT, "'%s' holds %zu images but '%s' "
				"holds %zu labels", images, fi.n, labels, fl.n);
		goto out;
	}
	if (fi.dims[1] > INT_MAX || fi.dims[2] > INT_MAX) {
		rc = dbv_seterr(DBV_EINPUT, "'%s': images of %ux%u are too large",
				images, (unsigned)fi.dims[1], (unsigned)fi.dims[2]);
		goto out;
	}
	/* Labels first: they are small and may spare reading the images. */
	if ((rc = idx_data(&fl, &lab)))
		goto out;
	for (size_t i = 0; i < fl.n; i++) {
		if (lab[i] >= IDX_NCLASSES) {
			rc = dbv_seterr(DBV_EINPUT,
					"'%s': label %u of item %zu is out of "
					"range (0..%d)", labels, lab[i], i,
					IDX_NCLASSES - 1);
			goto out;
		}
	}
	if ((rc = idx_data(&fi, &x)))
		goto out;
	rc = dataset_build(d, "idx", "files", fi.n, 1, (int)fi.dims[1],
			   (int)fi.dims[2], x, lab, digit_names, IDX_NCLASSES);
	x = NULL; /* taken over */
out:
	free(x);
	free(lab);
	idx_close(&fi);
	idx_close(&fl);
	return rc;
}

/* ------------------------------------------------------------------ */
/* CIFAR                                                               */
/* ------------------------------------------------------------------ */

/* read(2) until len bytes or end of file. */
static int read_full(int fd, const char *path, void *buf, size_t len,
		     size_t *got)
{
	unsigned char *p = buf;
	*got = 0;
	while (*got < len) {
		ssize_t r = read(fd, p + *got, len - *got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return dbv_seterr(DBV_EIO, "cannot read '%s': %s", path,
					  strerror(errno));
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return DBV_OK;
}

/* Records per read: about 1.5 MiB. */
#define CIFAR_CHUNK 512

static int cifar_read_file(const char *path, int label_bytes, size_t nrec,
			   uint8_t *x, uint8_t *lab, uint8_t *buf)
{
	const size_t rec = (size_t)label_bytes + CIFAR_PIXELS;
	const unsigned maxlab = label_bytes == 1 ? 10 : 100;
	size_t done = 0, got, k;
	int fd, rc = DBV_OK;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dbv_seterr(DBV_EIO, "cannot open '%s': %s", path,
				  strerror(errno));
	while (done < nrec) {
		k = nrec - done < CIFAR_CHUNK ? nrec - done : CIFAR_CHUNK;
		if ((rc = read_full(fd, path, buf, k * rec, &got)))
			break;
		if (got < k * rec) {
			rc = dbv_seterr(DBV_EINPUT,
					"'%s': truncated: the file shrank while "
					"being read (%zu of %zu records)", path,
					done + got / rec, nrec);
			break;
		}
		for (size_t j = 0; j < k; j++) {
			const uint8_t *r = buf + j * rec;
			/* CIFAR-100: coarse label, then the fine one. */
			unsigned l = r[label_bytes - 1];
			if (label_bytes == 2 && r[0] >= 20) {
				rc = dbv_seterr(DBV_EINPUT,
						"'%s': record %zu has coarse label "
						"%u, out of range (0..19)", path,
						done + j, r[0]);
				goto out;
			}
			if (l >= maxlab) {
				rc = dbv_seterr(DBV_EINPUT,
						"'%s': record %zu has label %u, out "
						"of range (0..%u)", path, done + j,
						l, maxlab - 1);
				goto out;
			}
			lab[done + j] = (uint8_t)l;
			memcpy(x + (done + j) * CIFAR_PIXELS, r + label_bytes,
			       CIFAR_PIXELS);
		}
		done += k;
	}
out:
	close(fd);
	return rc;
}

int dbv_dataset_load_cifar(struct dbv_dataset *d, char *const *files,
			   size_t nfiles, int label_bytes)
{
	size_t rec, n = 0, total, *nrec = NULL;
	uint8_t *x = NULL, *lab = NULL, *buf = NULL;
	struct stat st;
	int rc = DBV_OK;

	memset(d, 0, sizeof *d);
	if (label_bytes != 1 && label_bytes != 2)
		return dbv_seterr(DBV_EUSAGE, "CIFAR records have 1 or 2 label "
				  "bytes, not %d", label_bytes);
	if (nfiles == 0)
		return dbv_seterr(DBV_EUSAGE, "no CIFAR files given");
	rec = (size_t)label_bytes + CIFAR_PIXELS;
	if (!(nrec = dbv_calloc(nfiles, sizeof *nrec)))
		return DBV_EIO;
	/* Sizes first, so that everything is checked before allocating. */
	for (size_t i = 0; i < nfiles; i++) {
		if (stat(files[i], &st) != 0) {
			rc = dbv_seterr(DBV_EIO, "cannot open '%s': %s", files[i],
					strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			rc = dbv_seterr(DBV_EIO, "'%s' is not a regular file",
					files[i]);
			goto out;
		}
		if (st.st_size == 0) {
			rc = dbv_seterr(DBV_EINPUT, "'%s' is empty", files[i]);
			goto out;
		}
		if ((uint64_t)st.st_size % rec) {
			/* The other format's record size fits: say so. */
			const size_t other = label_bytes == 1 ? rec + 1 : rec - 1;
			const int hint = (uint64_t)st.st_size % other == 0;
			rc = dbv_seterr(DBV_EINPUT,
					"'%s': size %lld is not a multiple of the "
					"%s record size %zu%s", files[i],
					(long long)st.st_size,
					label_bytes == 1 ? "CIFAR-10" : "CIFAR-100",
					rec, !hint ? "" : label_bytes == 1 ?
					" (a CIFAR-100 file?)" : " (a CIFAR-10 file?)");
			goto out;
		}
		nrec[i] = (size_t)((uint64_t)st.st_size / rec);
		if ((uint64_t)st.st_size > DATA_MAX_BYTES ||
		    dbv_add_size(n, nrec[i], &n)) {
			rc = dbv_seterr(DBV_EINPUT, "'%s' is too large", files[i]);
			goto out;
		}
	}
	if (dbv_mul_size(n, CIFAR_PIXELS, &total) || total > DATA_MAX_BYTES) {
		rc = dbv_seterr(DBV_EINPUT, "the CIFAR files hold %zu images, "
				"more than the 4 GiB this reader accepts", n);
		goto out;
	}
	x = dbv_malloc(total);
	lab = dbv_malloc(n);
	buf = dbv_malloc(CIFAR_CHUNK * rec);
	if (!x || !lab || !buf) {
		rc = DBV_EIO;
		goto out;
	}
	for (size_t i = 0, at = 0; i < nfiles; at += nrec[i], i++)
		if ((rc = cifar_read_file(files[i], label_bytes, nrec[i],
					  x + at * CIFAR_PIXELS, lab + at, buf)))
			goto out;
	if (label_bytes == 1)
		rc = dataset_build(d, "cifar10", "files", n, CIFAR_C, CIFAR_H,
				   CIFAR_W, x, lab, cifar10_names, 10);
	else
		rc = dataset_build(d, "cifar100", "files", n, CIFAR_C, CIFAR_H,
				   CIFAR_W, x, lab, cifar100_names, 100);
	x = NULL; /* taken over */
out:
	free(x);
	free(lab);
	free(buf);
	free(nrec);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Named data sets                                                     */
/* ------------------------------------------------------------------ */

static int load_files(struct dbv_dataset *d, const struct named_set *set,
		      const char *dir, const char *split)
{
	char **files;
	size_t nfiles;
	int rc;

	if ((rc = dbv_dataset_files(set->name, dir, split, &files, &nfiles)))
		return rc;
	if (set->fmt == FMT_IDX)
		rc = dbv_dataset_load_idx(d, files[0], files[1]);
	else
		rc = dbv_dataset_load_cifar(d, files, nfiles,
					    set->fmt == FMT_CIFAR10 ? 1 : 2);
	free(files);
	if (rc)
		return rc;
	if (set_string(&d->name, set->name) || set_string(&d->split, split))
		goto fail;
	/* Same number of classes as the loader's table (10 or 100). */
	for (int i = 0; i < d->nclasses; i++)
		if (set_string(&d->class_names[i], set->class_names[i]))
			goto fail;
	return DBV_OK;
fail:
	dbv_dataset_release(d);
	return DBV_EIO;
}

/*
 * The mean and std always come from the train split, so that a test
 * split is normalised exactly as the model's training data was.
 */
int dbv_dataset_load(struct dbv_dataset *d, const char *name,
		     const char *dir, const char *split)
{
	const struct named_set *set = find_set(name);
	struct dbv_dataset train;
	int rc;

	memset(d, 0, sizeof *d);
	if (!set)
		return unknown_set(name);
	if ((rc = load_files(d, set, dir, split)))
		return rc;
	if (!strcmp(split, "train"))
		return DBV_OK;
	if ((rc = load_files(&train, set, dir, "train"))) {
		dbv_dataset_release(d);
		return dbv_preerr(rc, "the train split (for the normalisation "
				  "of the %s split)", split);
	}
	memcpy(d->mean, train.mean, sizeof d->mean);
	memcpy(d->std, train.std, sizeof d->std);
	dbv_dataset_release(&train);
	return DBV_OK;
}

/* ------------------------------------------------------------------ */
/* Statistics                                                          */
/* ------------------------------------------------------------------ */

/*
 * Population mean and std per channel (first 4 channels), in pixel/255
 * units.  Exact histograms of the byte values first, then double sums
 * over 256 bins: no rounding grows with the number of pixels and no
 * cancellation (the variance sums squared deviations from the mean).
 * A data set without items gets mean 0 and std 0.
 */
void dbv_dataset_stats(struct dbv_dataset *d)
{
	static const int nch = (int)(sizeof d->mean / sizeof d->mean[0]);
	uint64_t hist[4][256];
	size_t hw = (size_t)d->h * (size_t)d->w;
	double cnt;

	memset(d->mean, 0, sizeof d->mean);
	memset(d->std, 0, sizeof d->std);
	memset(hist, 0, sizeof hist);
	if (d->n <= 0 || d->c <= 0 || hw == 0 || !d->x)
		return;
	for (int64_t i = 0; i < d->n; i++) {
		for (int64_t ch = 0; ch < d->c; ch++) {
			const uint8_t *p = d->x + ((size_t)i * (size_t)d->c +
						   (size_t)ch) * hw;
			uint64_t *hh;
			if (ch >= nch)
				break;
			hh = hist[ch];
			for (size_t k = 0; k < hw; k++)
				hh[p[k]]++;
		}
	}
	cnt = (double)d->n * (double)hw;
	for (int ch = 0; ch < nch && ch < d->c; ch++) {
		double s = 0, v = 0, m;
		for (int b = 0; b < 256; b++)
			s += (double)hist[ch][b] * b;
		m = s / cnt;
		for (int b = 0; b < 256; b++)
			v += (double)hist[ch][b] * (b - m) * (b - m);
		d->mean[ch] = m / 255.0;
		d->std[ch] = sqrt(v / cnt) / 255.0;
	}
}

/* ------------------------------------------------------------------ */
/* Subsets, classes, label noise                                       */
/* ------------------------------------------------------------------ */

static int item_bytes(const struct dbv_dataset *d, size_t *out)
{
	size_t a;
	if (d->c < 0 || d->h < 0 || d->w < 0)
		return dbv_seterr(DBV_EINPUT, "negative data set shape");
	if (dbv_mul_size((size_t)d->c, (size_t)d->h, &a) ||
	    dbv_mul_size(a, (size_t)d->w, &a) ||
	    dbv_mul_size(a, dbv_dtype_size(d->dtype), out))
		return DBV_EINPUT;
	return DBV_OK;
}

/* Gather keep[] (each in range) into new arrays; d unchanged on failure. */
static int gather(struct dbv_dataset *d, const int64_t *keep, size_t nkeep)
{
	size_t item, xb;
	uint8_t *x;
	int32_t *y, *yt;
	int64_t *idx;
	int rc;

	if ((rc = item_bytes(d, &item)) || (rc = dbv_mul_size(nkeep, item, &xb)))
		return rc;
	x = dbv_malloc(xb);
	y = dbv_calloc(nkeep, sizeof *y);
	yt = dbv_calloc(nkeep, sizeof *yt);
	idx = dbv_calloc(nkeep, sizeof *idx);
	if (!x || !y || !yt || !idx) {
		free(x);
		free(y);
		free(yt);
		free(idx);
		return DBV_EIO;
	}
	for (size_t i = 0; i < nkeep; i++) {
		size_t k = (size_t)keep[i];
		memcpy(x + i * item, d->x + k * item, item);
		y[i] = d->y[k];
		yt[i] = d->y_true[k];
		idx[i] = d->idx[k];
	}
	free(d->x);
	free(d->y);
	free(d->y_true);
	free(d->idx);
	d->x = x;
	d->y = y;
	d->y_true = yt;
	d->idx = idx;
	d->n = (int64_t)nkeep;
	return DBV_OK;
}

/*
 * keep[i] in [0, n); an index may repeat (the item is then copied).
 * On failure d is unchanged.  Statistics (mean, std) are kept as they
 * are: they describe the split, not the subset.
 */
int dbv_dataset_select(struct dbv_dataset *d, const int64_t *keep,
		       size_t nkeep)
{
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] < 0 || keep[i] >= d->n)
			return dbv_seterr(DBV_EUSAGE,
					  "item %lld is out of range (the data "
					  "set holds %lld items)",
					  (long long)keep[i], (long long)d->n);
	return gather(d, keep, nkeep);
}

/*
 * Items are chosen by their true label.  cls lists distinct class ids in
 * [0, nclasses); class cls[j] becomes class j in y, y_true and
 * class_names.  Refused after label noise moved a kept item's label to
 * a dropped class (filter first, then add noise).  On failure d is
 * unchanged.
 */
int dbv_dataset_filter_classes(struct dbv_dataset *d, const int64_t *cls,
			       size_t ncls)
{
	int *map = NULL;
	int64_t *keep = NULL;
	char **names = NULL;
	size_t nkeep = 0;
	int rc;

	if (ncls == 0)
		return dbv_seterr(DBV_EUSAGE, "no classes to keep");
	if (d->nclasses <= 0)
		return dbv_seterr(DBV_EINPUT, "the data set has no classes");
	if (!(map = dbv_malloc((size_t)d->nclasses * sizeof *map)))
		return DBV_EIO;
	for (int k = 0; k < d->nclasses; k++)
		map[k] = -1;
	for (size_t j = 0; j < ncls; j++) {
		if (cls[j] < 0 || cls[j] >= d->nclasses) {
			rc = dbv_seterr(DBV_EUSAGE,
					"class %lld is out of range (the data set "
					"has %d classes, 0..%d)", (long long)cls[j],
					d->nclasses, d->nclasses - 1);
			goto out;
		}
		if (map[cls[j]] >= 0) {
			rc = dbv_seterr(DBV_EUSAGE, "class %lld is listed twice",
					(long long)cls[j]);
			goto out;
		}
		map[cls[j]] = (int)j;
	}
	keep = dbv_calloc((size_t)(d->n > 0 ? d->n : 0), sizeof *keep);
	names = dbv_calloc(ncls, sizeof *names);
	if (!keep || !names) {
		rc = DBV_EIO;
		goto out;
	}
	for (int64_t i = 0; i < d->n; i++) {
		int32_t t = d->y_true[i], y = d->y[i];
		if (t < 0 || t >= d->nclasses || y < 0 || y >= d->nclasses) {
			rc = dbv_seterr(DBV_EINPUT, "item %lld has a label out of "
					"range", (long long)i);
			goto out;
		}
		if (map[t] < 0)
			continue;
		if (map[y] < 0) {
			rc = dbv_seterr(DBV_EUSAGE,
					"label noise moved item %lld to a class "
					"that is not kept; filter classes before "
					"adding label noise", (long long)i);
			goto out;
		}
		keep[nkeep++] = i;
	}
	if ((rc = gather(d, keep, nkeep)))
		goto out;
	/* Committed from here on: nothing below can fail. */
	for (size_t i = 0; i < nkeep; i++) {
		d->y[i] = map[d->y[i]];
		d->y_true[i] = map[d->y_true[i]];
	}
	if (d->class_names) {
		for (size_t j = 0; j < ncls; j++) {
			names[j] = d->class_names[cls[j]];
			d->class_names[cls[j]] = NULL;
		}
		for (int k = 0; k < d->nclasses; k++)
			free(d->class_names[k]);
		free(d->class_names);
		d->class_names = names;
		names = NULL;
	}
	d->nclasses = (int)ncls;
	rc = DBV_OK;
out:
	free(map);
	free(keep);
	free(names);
	return rc;
}

/*
 * y is reset to y_true, then, with one generator seeded by seed, for
 * each class c = 0, 1, ... in turn: the positions of class c's items (by
 * y_true, in the current order) are shuffled with dbv_rng_shuffle_i64,
 * the first round(p*n_c) of them are picked, and each picked item gets
 * dbv_rng_below(nclasses-1) mapped over c (values >= c shift up by one)
 * as its label.  So: exactly round(p*n_c) items of each class change,
 * none to its own class, and the result depends only on the labels in
 * their order, p and seed.
 */
int dbv_dataset_label_noise(struct dbv_dataset *d, double p, uint64_t seed)
{
	struct dbv_rng rng;
	size_t *start;
	int64_t *pos;
	size_t n = d->n > 0 ? (size_t)d->n : 0;
	int k = d->nclasses;

	if (!(p >= 0 && p < 1))
		return dbv_seterr(DBV_EUSAGE, "label noise %g is out of range "
				  "[0, 1)", p);
	if (k < 2)
		return dbv_seterr(DBV_EUSAGE, "label noise needs at least 2 "
				  "classes (the data set has %d)", k);
	for (size_t i = 0; i < n; i++)
		if (d->y_true[i] < 0 || d->y_true[i] >= k)
			return dbv_seterr(DBV_EINPUT, "item %zu has label %d, out "
					  "of range (0..%d)", i,
					  (int)d->y_true[i], k - 1);
	start = dbv_calloc((size_t)k + 1, sizeof *start);
	pos = dbv_calloc(n, sizeof *pos);
	if (!start || !pos) {
		free(start);
		free(pos);
		return DBV_EIO;
	}
	/* Counting sort of positions by class, stable. */
	for (size_t i = 0; i < n; i++)
		start[d->y_true[i] + 1]++;
	for (int c = 0; c < k; c++)
		start[c + 1] += start[c];
	{
		size_t *fill = dbv_calloc((size_t)k, sizeof *fill);
		if (!fill) {
			free(start);
			free(pos);
			return DBV_EIO;
		}
		for (size_t i = 0; i < n; i++) {
			int c = d->y_true[i];
			pos[start[c] + fill[c]++] = (int64_t)i;
		}
		free(fill);
	}
	memcpy(d->y, d->y_true, n * sizeof *d->y);
	dbv_rng_seed(&rng, seed);
	for (int c = 0; c < k; c++) {
		size_t nc = start[c + 1] - start[c];
		size_t m = (size_t)llround(p * (double)nc);
		int64_t *seg = pos + start[c];
		if (m == 0)
			continue;
		dbv_rng_shuffle_i64(&rng, seg, nc);
		for (size_t j = 0; j < m; j++) {
			int32_t l = (int32_t)dbv_rng_below(&rng, (uint64_t)k - 1);
			d->y[seg[j]] = l >= c ? l + 1 : l;
		}
	}
	free(start);
	free(pos);
	d->label_noise = p;
	return DBV_OK;
}
