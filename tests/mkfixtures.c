/*
 * mkfixtures - write small data-set files for the shell tests, and
 * extract bytes back out of them and out of dbv streams.
 *
 * An independent writer and reader: it uses zlib only, not libdbv, so that
 * a bug in the library cannot hide itself by being on both sides.
 *
 *   mkfixtures DIR                  write the fixtures below into DIR
 *   mkfixtures --idx-data FILE      the data bytes of an IDX file (plain or
 *                                   gzip), header stripped, to stdout
 *   mkfixtures --cifar-data LB FILE...   pixel bytes of CIFAR files (LB label
 *                                   bytes per record: 1 or 2), to stdout
 *   mkfixtures --cifar-labels LB FILE... the (fine) label bytes, to stdout
 *   mkfixtures --extract KEY FILE   the data of tensor KEY of every "batch"
 *                                   record of a dbv stream, back to back
 *
 * Fixtures (pixel patterns are fixed so that tests can recompute them):
 *
 *   fmnist/        train-{images-idx3,labels-idx1}-ubyte.gz: 60 images 28x28,
 *                  pixel(i,r,c) = (i*7 + r*3 + c) & 255, label i % 10;
 *                  t10k-*.gz: 30 images, pixel (i*11 + r*5 + c*2 + 100) & 255,
 *                  label (i*3 + 1) % 10
 *   fmnist-plain/  the same files uncompressed
 *   cifar10/       data_batch_1..5.bin (4 records each, global index i):
 *                  pixel(i,ch,r,c) = (i*13 + ch*50 + r*3 + c) & 255, label
 *                  i % 10; test_batch.bin: 10 records, pixel
 *                  (i*5 + ch*70 + r + c*3 + 7) & 255, label (i*7) % 10
 *   cifar100/      train.bin: 25 records, fine (i*37) % 100, coarse fine/5,
 *                  pixels as cifar10's train + 1; test.bin: 10 records, fine
 *                  (i*11 + 3) % 100, pixels as cifar10's test + 1
 *   bad/           broken files, one defect each (see write_bad())
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static const char *prog = "mkfixtures";

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory%s", "");
	return p;
}

static void mkdir_p(const char *path)
{
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		die("cannot create '%s'", path);
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static void write_plain(const char *dir, const char *name, const void *buf,
			size_t len)
{
	char *path = join(dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		die("cannot write '%s'", path);
	free(path);
}

static void write_gz(const char *dir, const char *name, const void *buf,
		     size_t len)
{
	char *path = join(dir, name);
	gzFile g = gzopen(path, "wb6");
	if (!g || (len && gzwrite(g, buf, (unsigned)len) != (int)len) ||
	    gzclose(g) != Z_OK)
		die("cannot write '%s'", path);
	free(path);
}

/* gzip buf in memory (for cutting and corrupting). */
static unsigned char *gz_mem(const void *buf, size_t len, size_t *outlen)
{
	z_stream s;
	size_t cap = len + len / 100 + 64;
	unsigned char *out = xmalloc(cap);
	memset(&s, 0, sizeof s);
	if (deflateInit2(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		die("deflateInit2 failed%s", "");
	s.next_in = (unsigned char *)buf;
	s.avail_in = (unsigned)len;
	s.next_out = out;
	s.avail_out = (unsigned)cap;
	if (deflate(&s, Z_FINISH) != Z_STREAM_END)
		die("deflate failed%s", "");
	*outlen = s.total_out;
	deflateEnd(&s);
	return out;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* An IDX image file in memory: header for n images of rows x cols, then
 * ndata images (ndata may differ from n for broken files). */
static unsigned char *idx_images(uint32_t magic, uint32_t n, uint32_t rows,
				 uint32_t cols, size_t ndata, int test,
				 size_t *len)
{
	size_t item = (size_t)rows * cols;
	unsigned char *b = xmalloc(16 + ndata * item);
	put_be32(b, magic);
	put_be32(b + 4, n);
	put_be32(b + 8, rows);
	put_be32(b + 12, cols);
	for (size_t i = 0; i < ndata; i++)
		for (size_t r = 0; r < rows; r++)
			for (size_t c = 0; c < cols; c++)
				b[16 + i * item + r * cols + c] = (unsigned char)(
					test ? (i * 11 + r * 5 + c * 2 + 100) & 255
					     : (i * 7 + r * 3 + c) & 255);
	*len = 16 + ndata * item;
	return b;
}

static unsigned char *idx_labels(uint32_t n, size_t ndata, int test,
				 size_t *len)
{
	unsigned char *b = xmalloc(8 + ndata);
	put_be32(b, 0x00000801);
	put_be32(b + 4, n);
	for (size_t i = 0; i < ndata; i++)
		b[8 + i] = (unsigned char)(test ? (i * 3 + 1) % 10 : i % 10);
	*len = 8 + ndata;
	return b;
}

static void write_fmnist(const char *dir)
{
	static const struct {
		const char *img, *lab;
		uint32_t n;
		int test;
	} split[2] = {
		{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60, 0},
		{"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 30, 1},
	};
	char *gzdir = join(dir, "fmnist"), *pdir = join(dir, "fmnist-plain");
	char name[64];

	mkdir_p(gzdir);
	mkdir_p(pdir);
	for (int s = 0; s < 2; s++) {
		size_t li, ll;
		unsigned char *img = idx_images(0x00000803, split[s].n, 28, 28,
						split[s].n, split[s].test, &li);
		unsigned char *lab = idx_labels(split[s].n, split[s].n,
						split[s].test, &ll);
		write_plain(pdir, split[s].img, img, li);
		write_plain(pdir, split[s].lab, lab, ll);
		snprintf(name, sizeof name, "%s.gz", split[s].img);
		write_gz(gzdir, name, img, li);
		snprintf(name, sizeof name, "%s.gz", split[s].lab);
		write_gz(gzdir, name, lab, ll);
		free(img);
		free(lab);
	}
	free(gzdir);
	free(pdir);
}

/* CIFAR records i0..i0+n-1; lb label bytes. */
static unsigned char *cifar_records(size_t i0, size_t n, int lb, int test,
				    size_t *len)
{
	size_t rec = (size_t)lb + 3072;
	unsigned char *b = xmalloc(n * rec);
	for (size_t k = 0; k < n; k++) {
		size_t i = i0 + k;
		unsigned char *p = b + k * rec;
		unsigned fine;
		if (lb == 1)
			fine = (unsigned)(test ? (i * 7) % 10 : i % 10);
		else
			fine = (unsigned)(test ? (i * 11 + 3) % 100 : (i * 37) % 100);
		if (lb == 2)
			*p++ = (unsigned char)(fine / 5);
		*p++ = (unsigned char)fine;
		for (size_t ch = 0; ch < 3; ch++)
			for (size_t r = 0; r < 32; r++)
				for (size_t c = 0; c < 32; c++)
					*p++ = (unsigned char)(
						(test ? i * 5 + ch * 70 + r + c * 3 + 7
						      : i * 13 + ch * 50 + r * 3 + c) +
						(lb == 2));
	}
	*len = n * rec;
	return b;
}

static void write_cifar(const char *dir)
{
	char *d10 = join(dir, "cifar10"), *d100 = join(dir, "cifar100");
	char name[32];
	unsigned char *b;
	size_t len;

	mkdir_p(d10);
	mkdir_p(d100);
	for (int k = 0; k < 5; k++) {
		snprintf(name, sizeof name, "data_batch_%d.bin", k + 1);
		b = cifar_records((size_t)k * 4, 4, 1, 0, &len);
		write_plain(d10, name, b, len);
		free(b);
	}
	b = cifar_records(0, 10, 1, 1, &len);
	write_plain(d10, "test_batch.bin", b, len);
	free(b);
	b = cifar_records(0, 25, 2, 0, &len);
	write_plain(d100, "train.bin", b, len);
	free(b);
	b = cifar_records(0, 10, 2, 1, &len);
	write_plain(d100, "test.bin", b, len);
	free(b);
	free(d10);
	free(d100);
}

/* Broken files, one defect each.  Images files pair with good-labels10 /
 * good-images10 (10 items) unless said otherwise. */
static void write_bad(const char *dir)
{
	char *bad = join(dir, "bad");
	unsigned char *b, *z;
	size_t len, zlen;

	mkdir_p(bad);
	/* Good 10-item files to pair the broken ones with. */
	b = idx_images(0x00000803, 10, 28, 28, 10, 0, &len);
	write_plain(bad, "good-images10", b, len);
	/* Extra bytes after the data. */
	b = realloc(b, len + 5);
	memset(b + len, 0xAA, 5);
	write_plain(bad, "extra-data", b, len + 5);
	/* Data cut in the middle of image 3 (3.5 images). */
	write_plain(bad, "trunc-data", b, 16 + 784 * 3 + 392);
	write_gz(bad, "trunc-data.gz", b, 16 + 784 * 3 + 392);
	/* A gzip stream that ends early, and one with damaged deflate data. */
	z = gz_mem(b, len, &zlen);
	write_plain(bad, "cut.gz", z, zlen / 2);
	for (size_t i = zlen / 3; i < zlen / 3 + 16; i++)
		z[i] ^= 0x55;
	write_plain(bad, "corrupt.gz", z, zlen);
	free(z);
	free(b);
	b = idx_labels(10, 10, 0, &len);
	write_plain(bad, "good-labels10", b, len);
	write_gz(bad, "good-labels10.gz", b, len);
	/* Label 10 at item 4 (10 classes: 0..9). */
	b[8 + 4] = 10;
	write_plain(bad, "label-range", b, len);
	free(b);
	/* 9 labels: count mismatch with 10 images. */
	b = idx_labels(9, 9, 0, &len);
	write_plain(bad, "labels9", b, len);
	free(b);
	/* Wrong magic / type / number of dimensions. */
	b = idx_images(0x47494638, 10, 28, 28, 10, 0, &len); /* "GIF8" */
	write_plain(bad, "bad-magic", b, len);
	free(b);
	b = idx_images(0x00000D03, 10, 28, 28, 10, 0, &len); /* float */
	write_plain(bad, "bad-type", b, len);
	free(b);
	b = idx_images(0x00000802, 10, 28, 28, 10, 0, &len);
	write_plain(bad, "bad-ndim", b, len);
	free(b);
	/* Header cut after the image count; an empty file. */
	b = idx_images(0x00000803, 10, 28, 28, 0, 0, &len);
	write_plain(bad, "short-header", b, 8);
	write_gz(bad, "short-header.gz", b, 8);
	write_plain(bad, "empty", b, 0);
	free(b);
	/* A zero dimension. */
	b = idx_images(0x00000803, 10, 0, 28, 0, 0, &len);
	write_plain(bad, "zero-dim", b, len);
	free(b);
	/* 0xFFFFFFFF images of 28x28: over 4 GiB. */
	b = idx_images(0x00000803, 0xFFFFFFFFu, 28, 28, 1, 0, &len);
	write_plain(bad, "huge-dims", b, len);
	write_gz(bad, "huge-dims.gz", b, len);
	free(b);
	/* 5,000,000 images of 28x28 (3.9 GB, under the 4 GiB limit) in a tiny
	 * gzip file: must fail as truncated without allocating 3.9 GB. */
	b = idx_images(0x00000803, 5000000, 28, 28, 2, 0, &len);
	write_gz(bad, "huge-declared.gz", b, len);
	free(b);
	b = idx_labels(5000000, 5000000, 0, &len);
	write_gz(bad, "labels5m.gz", b, len);
	free(b);
	/* CIFAR: size not a multiple of the record; label out of range; empty. */
	b = cifar_records(0, 3, 1, 0, &len);
	write_plain(bad, "cifar10-size.bin", b, len - 100);
	b[3073] = 10;
	write_plain(bad, "cifar10-label.bin", b, len);
	write_plain(bad, "cifar-empty.bin", b, 0);
	free(b);
	b = cifar_records(0, 3, 2, 0, &len);
	b[3074 + 1] = 100;
	write_plain(bad, "cifar100-label.bin", b, len);
	b[3074 + 1] = 7;
	b[3074] = 20;
	write_plain(bad, "cifar100-coarse.bin", b, len);
	free(b);
	free(bad);
}

/* ---- extraction ---- */

static unsigned char *slurp_gz(const char *path, size_t *len)
{
	gzFile g = gzopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	unsigned char *b = xmalloc(cap);
	int r;
	if (!g)
		die("cannot open '%s'", path);
	while ((r = gzread(g, b + n, (unsigned)(cap - n))) > 0) {
		n += (size_t)r;
		if (n == cap && !(b = realloc(b, cap *= 2)))
			die("out of memory%s", "");
	}
	if (r < 0)
		die("cannot read '%s'", path);
	gzclose(g);
	*len = n;
	return b;
}

static void put(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n)
		die("write error%s", "");
}

static void idx_data(const char *path)
{
	size_t len;
	unsigned char *b = slurp_gz(path, &len);
	size_t hdr;
	if (len < 4)
		die("'%s': too short", path);
	hdr = 4 + 4 * (size_t)b[3];
	if (len < hdr)
		die("'%s': too short", path);
	put(b + hdr, len - hdr);
	free(b);
}

static void cifar_data(int lb, int labels, char **files, int n)
{
	for (int f = 0; f < n; f++) {
		size_t len;
		unsigned char *b = slurp_gz(files[f], &len);
		size_t rec = (size_t)lb + 3072;
		for (size_t i = 0; i + rec <= len; i += rec) {
			if (labels)
				put(b + i + lb - 1, 1);
			else
				put(b + i + lb, 3072);
		}
		free(b);
	}
}

/* A minimal msgpack walker: enough to find tensors in a dbv stream. */
struct mp {
	const unsigned char *p, *end;
};

static uint64_t mp_be(struct mp *m, int n)
{
	uint64_t v = 0;
	if (m->end - m->p < n)
		die("truncated msgpack%s", "");
	for (int i = 0; i < n; i++)
		v = v << 8 | *m->p++;
	return v;
}

enum { MP_SCALAR, MP_STR, MP_BIN, MP_ARRAY, MP_MAP };

/* Read one object's head: kind and length (bytes for str/bin, entries for
 * array/map); str/bin payloads are skipped, *data points at them. */
static int mp_head(struct mp *m, uint64_t *len, const unsigned char **data)
{
	unsigned c;
	int kind = MP_SCALAR, lb = 0, sk = 0;

	if (m->p >= m->end)
		die("truncated msgpack%s", "");
	c = *m->p++;
	*len = 0;
	if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3)
		return MP_SCALAR;
	if (c >= 0x80 && c <= 0x8f) {
		*len = c & 15;
		return MP_MAP;
	}
	if (c >= 0x90 && c <= 0x9f) {
		*len = c & 15;
		return MP_ARRAY;
	}
	if (c >= 0xa0 && c <= 0xbf) {
		*len = c & 31;
		kind = MP_STR;
	} else {
		switch (c) {
		case 0xc4: kind = MP_BIN; lb = 1; break;
		case 0xc5: kind = MP_BIN; lb = 2; break;
		case 0xc6: kind = MP_BIN; lb = 4; break;
		case 0xd9: kind = MP_STR; lb = 1; break;
		case 0xda: kind = MP_STR; lb = 2; break;
		case 0xdb: kind = MP_STR; lb = 4; break;
		case 0xdc: *len = mp_be(m, 2); return MP_ARRAY;
		case 0xdd: *len = mp_be(m, 4); return MP_ARRAY;
		case 0xde: *len = mp_be(m, 2); return MP_MAP;
		case 0xdf: *len = mp_be(m, 4); return MP_MAP;
		case 0xca: case 0xce: case 0xd2: sk = 4; break;
		case 0xcb: case 0xcf: case 0xd3: sk = 8; break;
		case 0xcc: case 0xd0: sk = 1; break;
		case 0xcd: case 0xd1: sk = 2; break;
		case 0xd4: sk = 2; break;
		case 0xd5: sk = 3; break;
		case 0xd6: sk = 5; break;
		case 0xd7: sk = 9; break;
		case 0xd8: sk = 17; break;
		case 0xc7: sk = (int)mp_be(m, 1) + 1; break;
		case 0xc8: sk = (int)mp_be(m, 2) + 1; break;
		case 0xc9: sk = (int)mp_be(m, 4) + 1; break;
		default: die("bad msgpack byte%s", "");
		}
		if (sk) {
			if (m->end - m->p < sk)
				die("truncated msgpack%s", "");
			m->p += sk;
			return MP_SCALAR;
		}
		*len = mp_be(m, lb);
	}
	if ((uint64_t)(m->end - m->p) < *len)
		die("truncated msgpack%s", "");
	*data = m->p;
	m->p += *len;
	return kind;
}

static void mp_skip(struct mp *m)
{
	uint64_t len;
	const unsigned char *d;
	int k = mp_head(m, &len, &d);
	if (k == MP_ARRAY || k == MP_MAP)
		for (uint64_t i = 0; i < len * (k == MP_MAP ? 2 : 1); i++)
			mp_skip(m);
}

/* Read the next object: 1 with *s, *len when it is a str, else skip it
 * whole and return 0. */
static int mp_str(struct mp *m, const unsigned char **s, uint64_t *len)
{
	const unsigned char *save = m->p;
	if (mp_head(m, len, s) == MP_STR)
		return 1;
	m->p = save;
	mp_skip(m);
	return 0;
}

static int str_eq(const unsigned char *s, uint64_t len, const char *want)
{
	return len == strlen(want) && !memcmp(s, want, len);
}

/* A tensor map: return its "data" bin. */
static const unsigned char *mp_tensor_data(struct mp *m, uint64_t *dlen)
{
	uint64_t n, len;
	const unsigned char *d, *found = NULL;
	if (mp_head(m, &n, &d) != MP_MAP)
		die("tensor is not a map%s", "");
	for (uint64_t i = 0; i < n; i++) {
		if (mp_str(m, &d, &len) && str_eq(d, len, "data")) {
			if (mp_head(m, &len, &d) != MP_BIN)
				die("tensor data is not bin%s", "");
			found = d;
			*dlen = len;
		} else {
			mp_skip(m);
		}
	}
	if (!found)
		die("tensor without data%s", "");
	return found;
}

static void extract(const char *key, const char *path)
{
	size_t len;
	unsigned char *b = slurp_gz(path, &len);
	struct mp m = {b, b + len};
	int ended = 0;

	while (m.p < m.end) {
		uint64_t n, dlen = 0, kl, vl;
		const unsigned char *d, *k, *v, *data = NULL;
		int batch = 0;
		if (mp_head(&m, &n, &d) != MP_MAP)
			die("'%s': stream record is not a map", path);
		for (uint64_t i = 0; i < n; i++) {
			if (!mp_str(&m, &k, &kl))
				mp_skip(&m);
			else if (str_eq(k, kl, "t")) {
				if (mp_str(&m, &v, &vl)) {
					batch = str_eq(v, vl, "batch");
					ended |= str_eq(v, vl, "end");
				}
			} else if (str_eq(k, kl, key))
				data = mp_tensor_data(&m, &dlen);
			else
				mp_skip(&m);
		}
		if (batch) {
			if (!data)
				die("a batch record lacks '%s'", key);
			put(data, dlen);
		}
	}
	if (!ended)
		die("'%s': no end record", path);
	free(b);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--idx-data")) {
		idx_data(argv[2]);
	} else if (argc >= 4 && (!strcmp(argv[1], "--cifar-data") ||
				 !strcmp(argv[1], "--cifar-labels"))) {
		int lb = atoi(argv[2]);
		if (lb != 1 && lb != 2)
			die("label bytes must be 1 or 2, not '%s'", argv[2]);
		cifar_data(lb, !strcmp(argv[1], "--cifar-labels"), argv + 3,
			   argc - 3);
	} else if (argc == 4 && !strcmp(argv[1], "--extract")) {
		extract(argv[2], argv[3]);
	} else if (argc == 2 && argv[1][0] != '-') {
		mkdir_p(argv[1]);
		write_fmnist(argv[1]);
		write_cifar(argv[1]);
		write_bad(argv[1]);
	} else {
		fprintf(stderr, "usage: %s DIR | --idx-data FILE | --cifar-data LB "
			"FILE... | --cifar-labels LB FILE... | --extract KEY FILE\n",
			prog);
		return 2;
	}
	if (fflush(stdout) || ferror(stdout))
		die("write error%s", "");
	return 0;
}
