/*
 * test_data.c - data sets: IDX and CIFAR parsing (good and broken files),
 * named sets and their directories, statistics, select, class filter and
 * the exactness of label noise.  The test writes its own small files.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "check.h"

static const char *tmp;

static char *path_of(const char *name)
{
	static char buf[8][1024];
	static int k;
	char *p = buf[k++ & 7];
	snprintf(p, sizeof buf[0], "%s/%s", tmp, name);
	return p;
}

static void write_file(const char *name, const void *buf, size_t len)
{
	FILE *f = fopen(path_of(name), "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		abort();
}

static void write_gz(const char *name, const void *buf, size_t len)
{
	gzFile g = gzopen(path_of(name), "wb");
	if (!g || (len && gzwrite(g, buf, (unsigned)len) != (int)len) ||
	    gzclose(g) != Z_OK)
		abort();
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint8_t pixel(uint32_t i, uint32_t r, uint32_t c, uint32_t salt)
{
	return (uint8_t)((i * 7 + r * 3 + c + salt) * 2654435761u >> 24);
}

/* An IDX image file image: header for n images, ndata images of data. */
static uint8_t *idx_images(uint32_t magic, uint32_t n, uint32_t rows,
			   uint32_t cols, uint32_t ndata, uint32_t salt,
			   size_t *len)
{
	size_t item = (size_t)rows * cols;
	uint8_t *b = malloc(16 + ndata * item);
	be32(b, magic);
	be32(b + 4, n);
	be32(b + 8, rows);
	be32(b + 12, cols);
	for (uint32_t i = 0; i < ndata; i++)
		for (uint32_t r = 0; r < rows; r++)
			for (uint32_t c = 0; c < cols; c++)
				b[16 + i * item + r * cols + c] = pixel(i, r, c, salt);
	*len = 16 + ndata * item;
	return b;
}

static uint8_t *idx_labels(uint32_t n, uint32_t ndata, uint32_t salt,
			   size_t *len)
{
	uint8_t *b = malloc(8 + ndata);
	be32(b, 0x801);
	be32(b + 4, n);
	for (uint32_t i = 0; i < ndata; i++)
		b[8 + i] = (uint8_t)((i * 3 + salt) % 10);
	*len = 8 + ndata;
	return b;
}

/* Population mean and std of a buffer of bytes, directly, in /255 units. */
static void direct_stats(const uint8_t *x, size_t n, size_t stride,
			 size_t run, double *mean, double *std)
{
	double s = 0, v = 0, cnt = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < run; k++) {
			s += x[i * stride + k] / 255.0;
			cnt++;
		}
	*mean = s / cnt;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < run; k++) {
			double d = x[i * stride + k] / 255.0 - *mean;
			v += d * d;
		}
	*std = sqrt(v / cnt);
}

static void check_idx_content(const struct dbv_dataset *d, uint32_t n,
			      uint32_t rows, uint32_t cols, uint32_t salt,
			      uint32_t lsalt)
{
	int ok = 1;
	CHECK_EQ_INT(d->n, n);
	CHECK_EQ_INT(d->c, 1);
	CHECK_EQ_INT(d->h, rows);
	CHECK_EQ_INT(d->w, cols);
	CHECK_EQ_INT(d->nclasses, 10);
	if (d->n != n)
		return;
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t r = 0; r < rows; r++)
			for (uint32_t c = 0; c < cols; c++)
				ok &= d->x[(i * rows + r) * cols + c] == pixel(i, r, c, salt);
		ok &= d->y[i] == (int32_t)((i * 3 + lsalt) % 10);
		ok &= d->y_true[i] == d->y[i];
		ok &= d->idx[i] == i;
	}
	CHECK(ok);
}

static void test_idx(void)
{
	struct dbv_dataset d;
	size_t li, ll;
	uint8_t *img = idx_images(0x803, 23, 5, 4, 23, 1, &li);
	uint8_t *lab = idx_labels(23, 23, 2, &ll);
	double m, s;

	write_file("img", img, li);
	write_file("lab", lab, ll);
	write_gz("img.gz", img, li);
	write_gz("lab.gz", lab, ll);

	CHECK_OK(dbv_dataset_load_idx(&d, path_of("img"), path_of("lab")));
	check_idx_content(&d, 23, 5, 4, 1, 2);
	CHECK(d.name && !strcmp(d.name, "idx"));
	CHECK(d.split && !strcmp(d.split, "files"));
	CHECK(d.class_names && !strcmp(d.class_names[0], "0") &&
	      !strcmp(d.class_names[9], "9"));
	direct_stats(img + 16, 23, 20, 20, &m, &s);
	CHECK_NEAR(d.mean[0], m, 1e-12);
	CHECK_NEAR(d.std[0], s, 1e-12);
	dbv_dataset_release(&d);
	CHECK(d.x == NULL && d.n == 0);
	dbv_dataset_release(&d); /* twice is harmless */

	CHECK_OK(dbv_dataset_load_idx(&d, path_of("img.gz"), path_of("lab.gz")));
	check_idx_content(&d, 23, 5, 4, 1, 2);
	dbv_dataset_release(&d);
	/* Mixed forms. */
	CHECK_OK(dbv_dataset_load_idx(&d, path_of("img.gz"), path_of("lab")));
	check_idx_content(&d, 23, 5, 4, 1, 2);
	dbv_dataset_release(&d);

	/* Big enough to make the gzip buffer grow several times (1 MiB
	 * first, then doubling): 300 images of 64x64 = 1.2 MB. */
	free(img);
	free(lab);
	img = idx_images(0x803, 300, 64, 64, 300, 5, &li);
	lab = idx_labels(300, 300, 0, &ll);
	write_gz("big.gz", img, li);
	write_gz("biglab.gz", lab, ll);
	CHECK_OK(dbv_dataset_load_idx(&d, path_of("big.gz"), path_of("biglab.gz")));
	check_idx_content(&d, 300, 64, 64, 5, 0);
	dbv_dataset_release(&d);
	free(img);
	free(lab);
}

/* Load must fail with code and a message naming the file. */
static void expect_idx_fail(const char *img, const char *lab, int code,
			    const char *needle)
{
	struct dbv_dataset d;
	int rc = dbv_dataset_load_idx(&d, path_of(img), path_of(lab));
	CHECK_EQ_INT(rc, code);
	CHECK(d.x == NULL && d.y == NULL && d.n == 0);
	if (!strstr(dbv_errmsg(), needle)) {
		fprintf(stderr, "message '%s' lacks '%s'\n", dbv_errmsg(), needle);
		CHECK(0);
	}
	CHECK(strchr(dbv_errmsg(), '\n') == NULL);
	if (rc == DBV_OK)
		dbv_dataset_release(&d);
}

static void test_idx_broken(void)
{
	size_t li, ll, zl;
	uint8_t *img = idx_images(0x803, 10, 28, 28, 10, 0, &li);
	uint8_t *lab = idx_labels(10, 10, 0, &ll);
	uint8_t *b, *z;
	z_stream zs;

	write_file("g-img", img, li);
	write_file("g-lab", lab, ll);

	b = idx_images(0x47494638, 10, 28, 28, 10, 0, &li);
	write_file("b-magic", b, li);
	free(b);
	expect_idx_fail("b-magic", "g-lab", DBV_EINPUT, "not an IDX file");
	b = idx_images(0x0D03, 10, 28, 28, 10, 0, &li);
	write_file("b-type", b, li);
	free(b);
	expect_idx_fail("b-type", "g-lab", DBV_EINPUT, "element type 0x0d");
	b = idx_images(0x0802, 10, 28, 28, 10, 0, &li);
	write_file("b-ndim", b, li);
	free(b);
	expect_idx_fail("b-ndim", "g-lab", DBV_EINPUT, "2 dimensions");
	expect_idx_fail("g-lab", "g-lab", DBV_EINPUT, "label file, not an image");
	expect_idx_fail("g-img", "g-img", DBV_EINPUT, "image file, not a label");
	write_file("b-short", img, 10);
	expect_idx_fail("b-short", "g-lab", DBV_EINPUT, "truncated IDX header");
	write_file("b-short2", img, 3);
	expect_idx_fail("b-short2", "g-lab", DBV_EINPUT, "truncated IDX header");
	write_gz("b-short.gz", img, 12);
	expect_idx_fail("b-short.gz", "g-lab", DBV_EINPUT, "truncated IDX header");
	write_file("b-empty", img, 0);
	expect_idx_fail("b-empty", "g-lab", DBV_EINPUT, "is empty");
	write_gz("b-empty.gz", img, 0);
	expect_idx_fail("b-empty.gz", "g-lab", DBV_EINPUT, "is empty");
	b = idx_images(0x803, 10, 28, 0, 0, 0, &li);
	write_file("b-zero", b, li);
	free(b);
	expect_idx_fail("b-zero", "g-lab", DBV_EINPUT, "zero dimension");
	b = idx_images(0x803, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0, 0, &li);
	write_file("b-huge", b, li);
	write_gz("b-huge.gz", b, li);
	free(b);
	expect_idx_fail("b-huge", "g-lab", DBV_EINPUT, "4 GiB");
	expect_idx_fail("b-huge.gz", "g-lab", DBV_EINPUT, "4 GiB");
	/* 5e6 images of 28x28 declared (under 4 GiB), 2 present. */
	b = idx_images(0x803, 5000000, 28, 28, 2, 0, &li);
	write_gz("b-decl.gz", b, li);
	free(b);
	b = idx_labels(5000000, 5000000, 0, &ll);
	write_gz("b-decl-lab.gz", b, ll);
	free(b);
	expect_idx_fail("b-decl.gz", "b-decl-lab.gz", DBV_EINPUT,
			"declares 5000000 images of 28x28 but the file ends after 2 images");
	/* Truncated data, plain and gzip. */
	ll = 8 + 10;
	write_file("b-trunc", img, 16 + 784 * 3 + 100);
	write_gz("b-trunc.gz", img, 16 + 784 * 3 + 100);
	expect_idx_fail("b-trunc", "g-lab", DBV_EINPUT, "ends after 3 images");
	expect_idx_fail("b-trunc.gz", "g-lab", DBV_EINPUT, "ends after 3 images");
	write_file("b-ltrunc", lab, 8 + 4);
	expect_idx_fail("g-img", "b-ltrunc", DBV_EINPUT,
			"declares 10 labels but the file ends after 4 labels");
	/* Extra data, plain and inside the gzip stream. */
	b = malloc(li = 16 + 784 * 10 + 3);
	memcpy(b, img, 16 + 784 * 10);
	memset(b + 16 + 784 * 10, 1, 3);
	write_file("b-extra", b, li);
	write_gz("b-extra.gz", b, li);
	expect_idx_fail("b-extra", "g-lab", DBV_EINPUT, "unexpected data");
	expect_idx_fail("b-extra.gz", "g-lab", DBV_EINPUT, "unexpected data");
	free(b);
	/* A gzip stream cut short, and one with damaged deflate data. */
	z = malloc(li + 1024);
	memset(&zs, 0, sizeof zs);
	CHECK(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	zs.next_in = img;
	zs.avail_in = (unsigned)(16 + 784 * 10);
	zs.next_out = z;
	zs.avail_out = (unsigned)(li + 1024);
	CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	zl = zs.total_out;
	deflateEnd(&zs);
	write_file("b-cut.gz", z, zl / 2);
	expect_idx_fail("b-cut.gz", "g-lab", DBV_EINPUT, "truncated");
	for (size_t i = zl / 3; i < zl / 3 + 16; i++)
		z[i] ^= 0x55;
	write_file("b-corrupt.gz", z, zl);
	expect_idx_fail("b-corrupt.gz", "g-lab", DBV_EINPUT, "b-corrupt.gz");
	free(z);
	/* Counts that disagree; a label out of range. */
	b = idx_labels(9, 9, 0, &ll);
	write_file("b-lab9", b, ll);
	free(b);
	expect_idx_fail("g-img", "b-lab9", DBV_EINPUT, "holds 9 labels");
	lab[8 + 6] = 10;
	write_file("b-labrange", lab, 8 + 10);
	expect_idx_fail("g-img", "b-labrange", DBV_EINPUT, "label 10 of item 6");
	/* Missing files and directories are I/O errors. */
	expect_idx_fail("nonexistent", "g-lab", DBV_EIO, "nonexistent");
	expect_idx_fail("g-img", "nonexistent", DBV_EIO, "nonexistent");
	expect_idx_fail(".", "g-lab", DBV_EIO, "directory");
	free(img);
	free(lab);
}

/* CIFAR records; lb label bytes; fine label = (i*37+salt) % ncls. */
static uint8_t *cifar_records(size_t i0, size_t n, int lb, uint32_t salt,
			      size_t *len)
{
	size_t rec = (size_t)lb + 3072;
	uint8_t *b = malloc(n * rec);
	for (size_t k = 0; k < n; k++) {
		size_t i = i0 + k;
		uint8_t *p = b + k * rec;
		unsigned fine = (unsigned)((i * 37 + salt) % (lb == 1 ? 10 : 100));
		if (lb == 2)
			*p++ = (uint8_t)(fine / 5);
		*p++ = (uint8_t)fine;
		for (uint32_t ch = 0; ch < 3; ch++)
			for (uint32_t j = 0; j < 1024; j++)
				*p++ = pixel((uint32_t)i, ch, j, salt + ch * 1000);
	}
	*len = n * rec;
	return b;
}

static void check_cifar(const struct dbv_dataset *d, size_t n, int lb,
			uint32_t salt)
{
	int ok = 1;
	CHECK_EQ_INT(d->n, n);
	CHECK_EQ_INT(d->c, 3);
	CHECK_EQ_INT(d->h, 32);
	CHECK_EQ_INT(d->w, 32);
	CHECK_EQ_INT(d->nclasses, lb == 1 ? 10 : 100);
	if ((size_t)d->n != n)
		return;
	for (size_t i = 0; i < n; i++) {
		for (uint32_t ch = 0; ch < 3; ch++)
			for (uint32_t j = 0; j < 1024; j++)
				ok &= d->x[(i * 3 + ch) * 1024 + j] ==
				      pixel((uint32_t)i, ch, j, salt + ch * 1000);
		ok &= d->y[i] == (int32_t)((i * 37 + salt) % (lb == 1 ? 10 : 100));
		ok &= d->y_true[i] == d->y[i] && d->idx[i] == (int64_t)i;
	}
	CHECK(ok);
}

static void test_cifar(void)
{
	struct dbv_dataset d;
	size_t l1, l2;
	uint8_t *a = cifar_records(0, 3, 1, 0, &l1);
	uint8_t *b = cifar_records(3, 4, 1, 0, &l2);
	char *files[2];
	double m, s;

	write_file("c10-a.bin", a, l1);
	write_file("c10-b.bin", b, l2);
	files[0] = path_of("c10-a.bin");
	files[1] = path_of("c10-b.bin");
	CHECK_OK(dbv_dataset_load_cifar(&d, files, 2, 1));
	check_cifar(&d, 7, 1, 0);
	CHECK(d.name && !strcmp(d.name, "cifar10"));
	CHECK(!strcmp(d.class_names[0], "airplane") &&
	      !strcmp(d.class_names[9], "truck"));
	/* Per-channel statistics: channel 2 of items 0..6 (file a then b). */
	{
		uint8_t *all = malloc(7 * 3072);
		for (size_t i = 0; i < 7; i++)
			memcpy(all + i * 3072,
			       (i < 3 ? a + i * 3073 : b + (i - 3) * 3073) + 1, 3072);
		for (int ch = 0; ch < 3; ch++) {
			direct_stats(all + ch * 1024, 7, 3072, 1024, &m, &s);
			CHECK_NEAR(d.mean[ch], m, 1e-12);
			CHECK_NEAR(d.std[ch], s, 1e-12);
		}
		free(all);
	}
	dbv_dataset_release(&d);
	free(a);
	free(b);

	a = cifar_records(0, 5, 2, 11, &l1);
	write_file("c100.bin", a, l1);
	files[0] = path_of("c100.bin");
	CHECK_OK(dbv_dataset_load_cifar(&d, files, 1, 2));
	check_cifar(&d, 5, 2, 11);
	CHECK(d.name && !strcmp(d.name, "cifar100"));
	CHECK(!strcmp(d.class_names[0], "apple") &&
	      !strcmp(d.class_names[1], "aquarium_fish") &&
	      !strcmp(d.class_names[58], "pickup_truck") &&
	      !strcmp(d.class_names[99], "worm"));
	dbv_dataset_release(&d);

	/* Broken: size not a multiple, labels out of range, empty, missing. */
	write_file("c100-cut.bin", a, l1 - 1);
	files[0] = path_of("c100-cut.bin");
	CHECK_RC(dbv_dataset_load_cifar(&d, files, 1, 2), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "not a multiple") != NULL);
	files[0] = path_of("c100.bin");
	CHECK_RC(dbv_dataset_load_cifar(&d, files, 1, 1), DBV_EINPUT);
	a[3074 * 2 + 1] = 100;
	write_file("c100-lab.bin", a, l1);
	files[0] = path_of("c100-lab.bin");
	CHECK_RC(dbv_dataset_load_cifar(&d, files, 1, 2), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "record 2 has label 100") != NULL);
	a[3074 * 2 + 1] = 3;
	a[3074 * 4] = 20;
	write_file("c100-coarse.bin", a, l1);
	files[0] = path_of("c100-coarse.bin");
	CHECK_RC(dbv_dataset_load_cifar(&d, files, 1, 2), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "coarse label 20") != NULL);
	free(a);
	a = cifar_records(0, 2, 1, 0, &l1);
	a[3073] = 10;
	write_file("c10-lab.bin", a, l1);
	files[0] = path_of("c10-lab.bin");
	CHECK_RC(dbv_dataset_load_cifar(&d, files, 1, 1), DBV_EINPUT);
	CHECK(strstr(dbv_errmsg(), "label 10") != NULL);
	write_file("c-empty.bin", a, 0);
	files[0] = path_of("c-empty.bin");
	CHECK_RC(dbv_dataset_load_cifar(&d, files, 1, 1), DBV_EINPUT);
	files[0] = path_of("c-missing.bin");
	CHECK_RC(dbv_dataset_load_cifar(&d, files, 1, 1), DBV_EIO);
	CHECK_RC(dbv_dataset_load_cifar(&d, files, 0, 1), DBV_EUSAGE);
	CHECK_RC(dbv_dataset_load_cifar(&d, files, 1, 3), DBV_EUSAGE);
	CHECK(d.x == NULL && d.n == 0);
	free(a);
}

static void mkdir_in(const char *name)
{
	mkdir(path_of(name), 0777);
}

static void test_named(void)
{
	struct dbv_dataset d, t;
	char **files;
	size_t nfiles, li, ll;
	uint8_t *img, *lab;
	double m, s;
	char want[1100];

	CHECK(dbv_dataset_known("fashion-mnist") && dbv_dataset_known("mnist") &&
	      dbv_dataset_known("cifar10") && dbv_dataset_known("cifar100"));
	CHECK(!dbv_dataset_known("svhn") && !dbv_dataset_known(""));

	unsetenv("DBV_DATA_DIR");
	CHECK(!strcmp(dbv_dataset_default_dir("fashion-mnist"),
		      "/usr/share/datasets/fashion-mnist"));
	CHECK(dbv_dataset_default_dir("svhn") == NULL);
	setenv("DBV_DATA_DIR", tmp, 1);
	snprintf(want, sizeof want, "%s/cifar10", tmp);
	CHECK(!strcmp(dbv_dataset_default_dir("cifar10"), want));

	/* fashion-mnist: gzip files; train 40 items, test 15. */
	mkdir_in("fashion-mnist");
	img = idx_images(0x803, 40, 28, 28, 40, 3, &li);
	lab = idx_labels(40, 40, 1, &ll);
	write_gz("fashion-mnist/train-images-idx3-ubyte.gz", img, li);
	write_gz("fashion-mnist/train-labels-idx1-ubyte.gz", lab, ll);
	direct_stats(img + 16, 40, 784, 784, &m, &s);
	free(img);
	free(lab);
	img = idx_images(0x803, 15, 28, 28, 15, 9, &li);
	lab = idx_labels(15, 15, 4, &ll);
	write_gz("fashion-mnist/t10k-images-idx3-ubyte.gz", img, li);
	write_gz("fashion-mnist/t10k-labels-idx1-ubyte.gz", lab, ll);
	/* A plain file beside the gzip one: the gzip one wins. */
	write_file("fashion-mnist/t10k-labels-idx1-ubyte", lab, 9);
	free(img);
	free(lab);

	CHECK_OK(dbv_dataset_files("fashion-mnist", NULL, "test", &files, &nfiles));
	CHECK_EQ_INT(nfiles, 2);
	if (nfiles == 2) {
		snprintf(want, sizeof want,
			 "%s/fashion-mnist/t10k-labels-idx1-ubyte.gz", tmp);
		CHECK(!strcmp(files[1], want));
	}
	free(files);

	CHECK_OK(dbv_dataset_load(&d, "fashion-mnist", NULL, "test"));
	check_idx_content(&d, 15, 28, 28, 9, 4);
	CHECK(!strcmp(d.name, "fashion-mnist") && !strcmp(d.split, "test"));
	CHECK(!strcmp(d.class_names[0], "T-shirt/top") &&
	      !strcmp(d.class_names[9], "Ankle boot"));
	/* Normalisation from the train split, whatever split is loaded. */
	CHECK_NEAR(d.mean[0], m, 1e-12);
	CHECK_NEAR(d.std[0], s, 1e-12);
	CHECK_OK(dbv_dataset_load(&t, "fashion-mnist", NULL, "train"));
	check_idx_content(&t, 40, 28, 28, 3, 1);
	CHECK(d.mean[0] == t.mean[0] && d.std[0] == t.std[0]);
	dbv_dataset_release(&t);
	dbv_dataset_release(&d);

	/* mnist: plain files in an explicit directory. */
	mkdir_in("mn");
	img = idx_images(0x803, 12, 28, 28, 12, 2, &li);
	lab = idx_labels(12, 12, 0, &ll);
	write_file("mn/train-images-idx3-ubyte", img, li);
	write_file("mn/train-labels-idx1-ubyte", lab, ll);
	free(img);
	free(lab);
	CHECK_OK(dbv_dataset_load(&d, "mnist", path_of("mn"), "train"));
	check_idx_content(&d, 12, 28, 28, 2, 0);
	CHECK(!strcmp(d.class_names[3], "3"));
	dbv_dataset_release(&d);
	/* Test split missing: says which files. */
	CHECK_RC(dbv_dataset_load(&d, "mnist", path_of("mn"), "test"), DBV_EIO);
	CHECK(strstr(dbv_errmsg(), "t10k-images-idx3-ubyte") != NULL);

	/* cifar10 and cifar100 directories. */
	mkdir_in("cifar10");
	for (int k = 0; k < 5; k++) {
		char name[64];
		uint8_t *b = cifar_records((size_t)k * 2, 2, 1, 0, &li);
		snprintf(name, sizeof name, "cifar10/data_batch_%d.bin", k + 1);
		write_file(name, b, li);
		free(b);
	}
	img = cifar_records(0, 3, 1, 5, &li);
	write_file("cifar10/test_batch.bin", img, li);
	free(img);
	CHECK_OK(dbv_dataset_load(&d, "cifar10", NULL, "train"));
	check_cifar(&d, 10, 1, 0);
	CHECK(!strcmp(d.split, "train"));
	CHECK_OK(dbv_dataset_load(&t, "cifar10", NULL, "test"));
	check_cifar(&t, 3, 1, 5);
	for (int ch = 0; ch < 3; ch++)
		CHECK(t.mean[ch] == d.mean[ch] && t.std[ch] == d.std[ch]);
	dbv_dataset_release(&t);
	dbv_dataset_release(&d);
	mkdir_in("cifar100");
	img = cifar_records(0, 6, 2, 1, &li);
	write_file("cifar100/train.bin", img, li);
	free(img);
	img = cifar_records(0, 2, 2, 2, &li);
	write_file("cifar100/test.bin", img, li);
	free(img);
	CHECK_OK(dbv_dataset_load(&d, "cifar100", NULL, "test"));
	check_cifar(&d, 2, 2, 2);
	dbv_dataset_release(&d);

	/* Errors. */
	CHECK_RC(dbv_dataset_load(&d, "svhn", NULL, "train"), DBV_EUSAGE);
	CHECK_RC(dbv_dataset_load(&d, "mnist", NULL, "valid"), DBV_EUSAGE);
	CHECK_RC(dbv_dataset_load(&d, "fashion-mnist", path_of("nope"), "train"),
		 DBV_EIO);
	CHECK(strstr(dbv_errmsg(), "apt-get install dataset-fashion-mnist") != NULL);
	CHECK(strstr(dbv_errmsg(), "nope") != NULL);
	CHECK_RC(dbv_dataset_load(&d, "cifar100", path_of("mn"), "train"), DBV_EIO);
	CHECK(strstr(dbv_errmsg(), "train.bin") != NULL);
	CHECK(d.x == NULL && d.n == 0);
	unsetenv("DBV_DATA_DIR");
}

/* A synthetic data set: labels from lab[], pixel i*3+k per item. */
static void make_set(struct dbv_dataset *d, const int32_t *lab, size_t n,
		     int nclasses)
{
	memset(d, 0, sizeof *d);
	d->n = (int64_t)n;
	d->c = 1;
	d->h = 1;
	d->w = 3;
	d->nclasses = nclasses;
	d->x = malloc(n * 3 + 1);
	d->y = malloc(n * 4 + 4);
	d->y_true = malloc(n * 4 + 4);
	d->idx = malloc(n * 8 + 8);
	d->class_names = calloc((size_t)nclasses, sizeof(char *));
	for (int k = 0; k < nclasses; k++) {
		d->class_names[k] = malloc(8);
		snprintf(d->class_names[k], 8, "c%d", k);
	}
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 3; k++)
			d->x[i * 3 + k] = (uint8_t)(i * 3 + k);
		d->y[i] = d->y_true[i] = lab[i];
		d->idx[i] = (int64_t)i + 100;
	}
}

static void test_select_filter(void)
{
	struct dbv_dataset d;
	int32_t lab[12] = {0, 1, 2, 3, 1, 3, 0, 3, 2, 1, 3, 0};
	int64_t keep[3] = {5, 0, 5}, bad[1] = {12}, cls[2] = {3, 1};
	int ok = 1;

	make_set(&d, lab, 12, 4);
	CHECK_RC(dbv_dataset_select(&d, bad, 1), DBV_EUSAGE);
	CHECK_EQ_INT(d.n, 12);
	bad[0] = -1;
	CHECK_RC(dbv_dataset_select(&d, bad, 1), DBV_EUSAGE);
	CHECK_OK(dbv_dataset_select(&d, keep, 3));
	CHECK_EQ_INT(d.n, 3);
	CHECK(d.idx[0] == 105 && d.idx[1] == 100 && d.idx[2] == 105);
	CHECK(d.x[0] == 15 && d.x[2] == 17 && d.x[3] == 0 && d.x[6] == 15);
	CHECK(d.y[0] == 3 && d.y_true[1] == 0);
	dbv_dataset_release(&d);

	make_set(&d, lab, 12, 4);
	/* Refusals leave the set as it was. */
	cls[0] = 4;
	CHECK_RC(dbv_dataset_filter_classes(&d, cls, 2), DBV_EUSAGE);
	cls[0] = 1;
	CHECK_RC(dbv_dataset_filter_classes(&d, cls, 2), DBV_EUSAGE);
	CHECK(strstr(dbv_errmsg(), "twice") != NULL);
	CHECK_RC(dbv_dataset_filter_classes(&d, cls, 0), DBV_EUSAGE);
	CHECK_EQ_INT(d.n, 12);
	CHECK_EQ_INT(d.nclasses, 4);
	cls[0] = 3;
	CHECK_OK(dbv_dataset_filter_classes(&d, cls, 2));
	/* Items 1,3,4,5,7,9,10 in order; 3 -> 0, 1 -> 1. */
	CHECK_EQ_INT(d.n, 7);
	CHECK_EQ_INT(d.nclasses, 2);
	CHECK(!strcmp(d.class_names[0], "c3") && !strcmp(d.class_names[1], "c1"));
	{
		const int64_t want_idx[7] = {101, 103, 104, 105, 107, 109, 110};
		const int32_t want_y[7] = {1, 0, 1, 0, 0, 1, 0};
		for (int i = 0; i < 7 && d.n == 7; i++) {
			ok &= d.idx[i] == want_idx[i] && d.y[i] == want_y[i] &&
			      d.y_true[i] == want_y[i] &&
			      d.x[i * 3] == (uint8_t)((want_idx[i] - 100) * 3);
		}
	}
	CHECK(ok);
	dbv_dataset_release(&d);

	/* Filtering after noise moved a kept item out: refused. */
	make_set(&d, lab, 12, 4);
	d.y[1] = 2; /* class 1 item relabelled to 2 */
	cls[0] = 1;
	cls[1] = 3;
	CHECK_RC(dbv_dataset_filter_classes(&d, cls, 2), DBV_EUSAGE);
	CHECK_EQ_INT(d.n, 12);
	dbv_dataset_release(&d);
}

static void test_noise(void)
{
	/* Class sizes 7, 13, 1, 40, 0, 3 interleaved: 64 items, 6 classes. */
	static const int sizes[6] = {7, 13, 1, 40, 0, 3};
	static const double ps[] = {0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999};
	int32_t lab[64], *y1 = malloc(64 * 4), *yt = malloc(64 * 4);
	struct dbv_dataset d;
	size_t n = 0;

	for (int round = 0; n < 64; round++)
		for (int c = 0; c < 6; c++)
			if (round < sizes[c])
				lab[n++] = c;
	make_set(&d, lab, 64, 6);
	memcpy(yt, d.y_true, 64 * 4);
	for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
		int changed[6] = {0}, ok = 1, differs = 0;
		CHECK_OK(dbv_dataset_label_noise(&d, ps[k], 42));
		for (int i = 0; i < 64; i++) {
			ok &= d.y[i] >= 0 && d.y[i] < 6;
			if (d.y[i] != d.y_true[i])
				changed[d.y_true[i]]++;
		}
		CHECK(ok);
		CHECK(!memcmp(yt, d.y_true, 64 * 4));
		for (int c = 0; c < 6; c++)
			CHECK_EQ_INT(changed[c], llround(ps[k] * sizes[c]));
		/* Same seed: same labels (noise restarts from y_true). */
		memcpy(y1, d.y, 64 * 4);
		CHECK_OK(dbv_dataset_label_noise(&d, ps[k], 42));
		CHECK(!memcmp(y1, d.y, 64 * 4));
		/* Another seed: other labels (when anything moves). */
		CHECK_OK(dbv_dataset_label_noise(&d, ps[k], 43));
		differs = memcmp(y1, d.y, 64 * 4) != 0;
		if (ps[k] >= 0.25)
			CHECK(differs);
		if (ps[k] == 0)
			CHECK(!memcmp(d.y, d.y_true, 64 * 4));
	}
	CHECK_RC(dbv_dataset_label_noise(&d, 1.0, 1), DBV_EUSAGE);
	CHECK_RC(dbv_dataset_label_noise(&d, -0.1, 1), DBV_EUSAGE);
	CHECK_RC(dbv_dataset_label_noise(&d, NAN, 1), DBV_EUSAGE);
	dbv_dataset_release(&d);

	/* One class: nowhere to move a label. */
	make_set(&d, lab, 1, 1);
	d.y[0] = d.y_true[0] = 0;
	CHECK_RC(dbv_dataset_label_noise(&d, 0.5, 1), DBV_EUSAGE);
	dbv_dataset_release(&d);

	/* New labels spread uniformly over the other classes: 3 classes, 3000
	 * items of class 0, half moved; each of classes 1, 2 gets ~750. */
	{
		int32_t *big = calloc(3001, sizeof *big);
		int to[3] = {0};
		big[3000] = 2;
		make_set(&d, big, 3001, 3);
		CHECK_OK(dbv_dataset_label_noise(&d, 0.5, 7));
		for (int i = 0; i < 3000; i++)
			to[d.y[i]]++;
		CHECK_EQ_INT(to[0], 1500);
		CHECK(abs(to[1] - 750) < 100 && abs(to[2] - 750) < 100);
		dbv_dataset_release(&d);
		free(big);
	}
	free(y1);
	free(yt);
}

static void test_stats(void)
{
	/* Two channels of 2x2, 3 items: compare with the direct formula. */
	struct dbv_dataset d;
	int32_t lab[3] = {0, 1, 0};
	make_set(&d, lab, 3, 2);
	free(d.x);
	d.c = 2;
	d.h = 2;
	d.w = 2;
	d.x = malloc(24);
	for (int i = 0; i < 24; i++)
		d.x[i] = (uint8_t)(i * 37 % 251);
	dbv_dataset_stats(&d);
	for (int ch = 0; ch < 2; ch++) {
		double m, s;
		direct_stats(d.x + ch * 4, 3, 8, 4, &m, &s);
		CHECK_NEAR(d.mean[ch], m, 1e-14);
		CHECK_NEAR(d.std[ch], s, 1e-14);
	}
	CHECK(d.mean[2] == 0 && d.std[3] == 0);
	/* Constant pixels: std exactly 0. */
	memset(d.x, 200, 24);
	dbv_dataset_stats(&d);
	CHECK_NEAR(d.mean[0], 200 / 255.0, 1e-15);
	CHECK(d.std[0] == 0 && d.std[1] == 0);
	dbv_dataset_release(&d);
}

int main(void)
{
	tmp = check_tmpdir();
	test_idx();
	test_idx_broken();
	test_cifar();
	test_named();
	test_select_filter();
	test_noise();
	test_stats();
	return check_done();
}
