/*
 * test_stream.c - stream format round trips and every reader check.
 *
 * Broken streams are built byte by byte with msgpack-c's own packer (not
 * dbv's writer), so the reader is tested against an independent writer.
 */
#include <fcntl.h>
#include <msgpack.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "base/base_internal.h"

static const char *tmp;

/* Write bytes to a file; return an fd open for reading. */
static int fd_of(const void *p, size_t n)
{
	char path[600];
	static int k;
	snprintf(path, sizeof path, "%s/s%d", tmp, k++);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		abort();
	return open(path, O_RDONLY);
}

/* Read a whole stream from bytes; return DBV_END on success, else the
 * failing code.  *nrec = records read. */
static int read_all(const void *p, size_t n, const char *kind, size_t limit,
		    uint64_t *nrec)
{
	int fd = fd_of(p, n), rc;
	struct dbv_reader *r = dbv_reader_new(fd, "test");
	const dbv_val *rec;
	uint64_t k = 0;
	if (limit)
		dbv_reader_set_limit(r, limit);
	rc = dbv_reader_header(r, kind, NULL);
	if (rc == DBV_OK) {
		while ((rc = dbv_reader_next(r, &rec)) == DBV_OK)
			k++;
	}
	if (nrec)
		*nrec = k;
	dbv_reader_free(r);
	close(fd);
	return rc;
}

/* Slurp a file into memory. */
static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long sz;
	if (!f)
		abort();
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)sz + 1);
	if (fread(buf, 1, (size_t)sz, f) != (size_t)sz)
		abort();
	fclose(f);
	*n = (size_t)sz;
	return buf;
}

/* A small valid stream written by dbv's writer: 3 batch records. */
static unsigned char *small_stream(size_t *n, const char *kind)
{
	char path[600];
	char *argv[] = {"test", "--x", NULL};
	snprintf(path, sizeof path, "%s/small", tmp);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct dbv_writer *w = dbv_writer_new(fd, "test-tool");
	dbv_writer_header_begin(w, kind, NULL, 2, argv, 1);
	dbv_w_key(w, "classes");
	dbv_w_i64(w, 10);
	dbv_writer_header_end(w);
	for (int i = 0; i < 3; i++) {
		uint8_t x[2 * 3];
		int32_t y[2] = {i, i + 1};
		int64_t sx[2] = {2, 3}, sy[1] = {2};
		for (int j = 0; j < 6; j++)
			x[j] = (uint8_t)(i * 10 + j);
		dbv_writer_record_begin(w, "batch", 2);
		dbv_w_key(w, "x");
		dbv_w_tensor_raw(w, DBV_U8, 2, sx, x);
		dbv_w_key(w, "y");
		dbv_w_tensor_raw(w, DBV_I32, 1, sy, y);
		dbv_writer_record_end(w);
	}
	CHECK_OK(dbv_writer_finish(w));
	dbv_writer_free(w);
	close(fd);
	return slurp(path, n);
}

static void test_crc(void)
{
	unsigned char buf[1000];
	CHECK_EQ_INT(dbv_crc32c(0, "123456789", 9), 0xE3069283u);
	CHECK_EQ_INT(dbv_crc32c_ref(0, "123456789", 9), 0xE3069283u);
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	for (size_t off = 0; off < 9; off++)
		for (size_t n = 0; n < 300; n += 7)
			CHECK_EQ_INT(dbv_crc32c(0, buf + off, n),
				     dbv_crc32c_ref(0, buf + off, n));
	/* Chaining equals one pass. */
	CHECK_EQ_INT(dbv_crc32c(dbv_crc32c(0, buf, 333), buf + 333, 667),
		     dbv_crc32c(0, buf, 1000));
}

static void test_roundtrip(void)
{
	char path[600];
	char *argv[] = {"roundtrip", NULL};
	snprintf(path, sizeof path, "%s/rt", tmp);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct dbv_writer *w = dbv_writer_new(fd, "rt");
	struct dbv_tensor src[DBV_NDTYPES][3];
	/* Shapes: a scalar, an empty tensor, an odd 3-d one. */
	int64_t shapes[3][3] = {{0}, {0, 5}, {3, 1, 7}};
	int ndims[3] = {0, 2, 3};

	dbv_writer_header_begin(w, "dataset", NULL, 1, argv, 0);
	dbv_writer_header_end(w);
	for (int d = 0; d < DBV_NDTYPES; d++) {
		dbv_writer_record_begin(w, "batch", 3);
		for (int s = 0; s < 3; s++) {
			CHECK_OK(dbv_tensor_alloc(&src[d][s], (enum dbv_dtype)d,
						  ndims[s], shapes[s]));
			unsigned char *p = src[d][s].data;
			for (size_t i = 0; i < src[d][s].nbytes; i++)
				p[i] = (unsigned char)(i * 37 + (size_t)d * 11 + 1);
			char key[8];
			snprintf(key, sizeof key, "k%d", s);
			dbv_w_key(w, key);
			dbv_w_tensor(w, &src[d][s]);
		}
		dbv_writer_record_end(w);
	}
	/* An unknown record type is carried like any other. */
	dbv_writer_record_begin(w, "custom", 1);
	dbv_w_key(w, "note");
	dbv_w_str(w, "hello");
	dbv_writer_record_end(w);
	CHECK_OK(dbv_writer_finish(w));
	CHECK_EQ_INT(dbv_writer_records(w), DBV_NDTYPES + 1);
	dbv_writer_free(w);
	close(fd);

	fd = open(path, O_RDONLY);
	struct dbv_reader *r = dbv_reader_new(fd, path);
	const dbv_val *h, *rec;
	CHECK_OK(dbv_reader_header(r, "dataset|model", &h));
	CHECK(!strcmp(dbv_reader_kind(r), "dataset"));
	CHECK(dbv_val_is(dbv_array_at(dbv_reader_pipeline(r), 0), "roundtrip"));
	for (int d = 0; d < DBV_NDTYPES; d++) {
		CHECK_OK(dbv_reader_next(r, &rec));
		CHECK(dbv_record_is(rec, "batch"));
		for (int s = 0; s < 3; s++) {
			struct dbv_tensor t;
			char key[8];
			snprintf(key, sizeof key, "k%d", s);
			CHECK_OK(dbv_get_tensor(rec, key, &t));
			CHECK_EQ_INT(t.dtype, d);
			CHECK_EQ_INT(t.ndim, ndims[s]);
			for (int i = 0; i < t.ndim; i++)
				CHECK_EQ_INT(t.shape[i], shapes[s][i]);
			CHECK_EQ_INT(t.nbytes, src[d][s].nbytes);
			CHECK(t.nbytes == 0 || !memcmp(t.data, src[d][s].data, t.nbytes));
			CHECK(((uintptr_t)t.data & 63) == 0);
			dbv_tensor_release(&t);
			dbv_tensor_release(&src[d][s]);
		}
	}
	CHECK_OK(dbv_reader_next(r, &rec));
	CHECK(dbv_record_is(rec, "custom"));
	CHECK(dbv_val_is(dbv_map_get(rec, "note"), "hello"));
	CHECK_RC(dbv_reader_next(r, &rec), DBV_END);
	int eof = -1;
	CHECK_OK(dbv_reader_at_eof(r, &eof));
	CHECK_EQ_INT(eof, 1);
	CHECK_OK(dbv_reader_expect_end(r, "test"));
	dbv_reader_free(r);
	close(fd);
}

/* Every proper prefix of a valid stream must be refused. */
static void test_truncation(void)
{
	size_t n;
	unsigned char *s = small_stream(&n, "dataset");
	uint64_t k;
	CHECK_RC(read_all(s, n, "dataset", 0, &k), DBV_END);
	CHECK_EQ_INT(k, 3);
	for (size_t len = 0; len < n; len++) {
		int rc = read_all(s, len, "dataset", 0, NULL);
		check_count_++;
		if (rc != DBV_EINPUT) {
			check_fails_++;
			fprintf(stderr, "prefix of %zu/%zu bytes: rc %d (%s)\n", len,
				n, rc, dbv_errmsg());
		}
	}
	/* Concatenated streams read one after the other. */
	unsigned char *two = malloc(2 * n);
	memcpy(two, s, n);
	memcpy(two + n, s, n);
	int fd = fd_of(two, 2 * n);
	struct dbv_reader *r = dbv_reader_new(fd, "two");
	const dbv_val *rec;
	for (int i = 0; i < 2; i++) {
		CHECK_OK(dbv_reader_header(r, "dataset", NULL));
		k = 0;
		while (dbv_reader_next(r, &rec) == DBV_OK)
			k++;
		CHECK_EQ_INT(k, 3);
		if (i == 0) {
			/* A second stream follows: a one-stream reader refuses it
			 * (status 3, never a negative code) naming the kind. */
			CHECK_RC(dbv_reader_expect_end(r, "test"), DBV_EINPUT);
			CHECK(strstr(dbv_errmsg(), "another stream follows the dataset stream (test reads one)") != NULL);
			continue; /* expect_end rewound to the next header */
		}
		int eof = -1;
		CHECK_OK(dbv_reader_at_eof(r, &eof));
		CHECK_EQ_INT(eof, 1);
	}
	dbv_reader_free(r);
	close(fd);
	free(two);
	free(s);
}

/* Flip each byte of every tensor payload: the CRC (or a structural
 * check) must catch every one. */
static void test_flips(void)
{
	size_t n;
	unsigned char *s = small_stream(&n, "dataset");
	size_t caught = 0, tried = 0;
	for (size_t i = 0; i < n; i++) {
		s[i] ^= 0x01;
		int rc = read_all(s, n, "dataset", 0, NULL);
		s[i] ^= 0x01;
		/* A flip inside a key name of "meta" may stay valid; count
		 * only the payload bytes, found by their known values. */
		tried++;
		if (rc != DBV_END)
			caught++;
	}
	/* Payload flips specifically: locate the first x payload. */
	unsigned char pat[6] = {0, 1, 2, 3, 4, 5};
	unsigned char *p = memmem(s, n, pat, 6);
	CHECK(p != NULL);
	for (int j = 0; p && j < 6; j++) {
		p[j] ^= 0x40;
		int rc = read_all(s, n, "dataset", 0, NULL);
		CHECK_RC(rc, DBV_EINPUT);
		CHECK(strstr(dbv_errmsg(), "CRC") != NULL);
		p[j] ^= 0x40;
	}
	CHECK(caught > tried / 2);
	/* Format 1.1: stream_crc covers every byte before the trailer, so
	 * every flip there is refused, in the header (the meta, the
	 * pipeline) and in record fields outside tensors alike. */
	static const unsigned char end_map[] = {0x86, 0xa1, 't', 0xa3, 'e', 'n', 'd'};
	unsigned char *e = memmem(s, n, end_map, sizeof end_map);
	CHECK(e != NULL);
	size_t before = e ? (size_t)(e - s) : 0, missed = 0;
	for (size_t i = 0; i < before; i++)
		for (int bit = 0; bit < 8; bit++) {
			s[i] ^= (unsigned char)(1 << bit);
			if (read_all(s, n, "dataset", 0, NULL) == DBV_END) {
				if (!missed++)
					fprintf(stderr, "flip of bit %d of byte %zu accepted\n",
						bit, i);
			}
			s[i] ^= (unsigned char)(1 << bit);
		}
	CHECK_EQ_INT(missed, 0);
	/* The header's bytes alone: a flip in the meta ("classes": 10 ->
	 * 11) parses, and only stream_crc tells. */
	unsigned char *cl = memmem(s, n, "classes", 7);
	CHECK(cl != NULL && cl[7] == 10);
	if (cl) {
		cl[7] = 11;
		CHECK_RC(read_all(s, n, "dataset", 0, NULL), DBV_EINPUT);
		CHECK(strstr(dbv_errmsg(), "stream CRC mismatch") != NULL);
		cl[7] = 10;
	}
	CHECK_RC(read_all(s, n, "dataset", 0, NULL), DBV_END);
	free(s);
}

/* Tensor statistics and a summary stacked over records, against values
 * worked out by hand. */
static void test_summary(void)
{
	struct dbv_tensor t;
	double mn, mx, sum;
	size_t n;
	float f[4] = {1.5f, -2, 4, 0.5f};
	int64_t shape[2] = {2, 2};

	dbv_tensor_wrap(&t, DBV_F32, 2, shape, f);
	dbv_tensor_stats(&t, &mn, &mx, &sum, &n);
	CHECK(mn == -2 && mx == 4 && sum == 4 && n == 4);
	f[2] = NAN;
	dbv_tensor_stats(&t, &mn, &mx, &sum, &n);
	CHECK(isnan(mn) && isnan(mx) && isnan(sum));
	shape[0] = 0;
	dbv_tensor_wrap(&t, DBV_F32, 2, shape, f);
	dbv_tensor_stats(&t, &mn, &mx, &sum, &n);
	CHECK(n == 0 && mn == INFINITY && mx == -INFINITY);

	/* small_stream: 3 batches of x u8 [2,3] (values 10i+j) and y i32
	 * [2] ({i, i+1}). */
	size_t len;
	unsigned char *s = small_stream(&len, "dataset");
	int fd = fd_of(s, len);
	struct dbv_reader *r = dbv_reader_new(fd, "sum");
	const dbv_val *rec;
	struct dbv_summary sm = {.n = 0};
	CHECK_OK(dbv_reader_header(r, "dataset", NULL));
	while (dbv_reader_next(r, &rec) == DBV_OK)
		dbv_summary_add(&sm, rec);
	CHECK_EQ_INT(sm.n, 2);
	CHECK(!strcmp(sm.s[0].key, "x") && sm.s[0].consistent);
	CHECK_EQ_INT(sm.s[0].shape[0], 6);
	CHECK_EQ_INT(sm.s[0].shape[1], 3);
	CHECK(sm.s[0].min == 0 && sm.s[0].max == 25 && sm.s[0].count == 18);
	CHECK(sm.s[0].sum == (0 + 15) + (60 + 15) + (120 + 15)); /* sum 10i+j */
	CHECK(!strcmp(sm.s[1].key, "y") && sm.s[1].shape[0] == 6);
	CHECK(sm.s[1].min == 0 && sm.s[1].max == 3 && sm.s[1].sum == 9);
	dbv_reader_free(r);
	close(fd);
	free(s);
}

/* Any number of record types: 40 of them, each counted in the trailer. */
static void test_many_types(void)
{
	char path[600], type[16];
	char *argv[] = {"test", NULL};
	size_t n;
	uint64_t k = 0;
	snprintf(path, sizeof path, "%s/types", tmp);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct dbv_writer *w = dbv_writer_new(fd, "test-tool");
	dbv_writer_header_begin(w, "custom", NULL, 1, argv, 0);
	dbv_writer_header_end(w);
	for (int i = 0; i < 80; i++) {
		snprintf(type, sizeof type, "type%d", i % 40);
		dbv_writer_record_begin(w, type, 0);
		dbv_writer_record_end(w);
	}
	CHECK_OK(dbv_writer_finish(w));
	dbv_writer_free(w);
	close(fd);
	unsigned char *s = slurp(path, &n);
	CHECK_RC(read_all(s, n, "custom", 0, &k), DBV_END);
	CHECK_EQ_INT(k, 80);
	CHECK(memmem(s, n, "type39", 6) != NULL);
	CHECK(memmem(s, n, "\xa1*", 2) == NULL); /* no lumped count */
	free(s);
}

/* ---- hand-built streams ---- */

static void pk_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void pk_header(msgpack_packer *pk, int major, const char *kind)
{
	msgpack_pack_map(pk, 6);
	pk_str(pk, "t");
	pk_str(pk, "dbv");
	pk_str(pk, "v");
	msgpack_pack_array(pk, 2);
	msgpack_pack_int(pk, major);
	msgpack_pack_int(pk, 0);
	pk_str(pk, "kind");
	pk_str(pk, kind);
	pk_str(pk, "tool");
	pk_str(pk, "hand");
	pk_str(pk, "pipeline");
	msgpack_pack_array(pk, 0);
	pk_str(pk, "meta");
	msgpack_pack_map(pk, 0);
}

/* A record holding one u8 tensor of `declared` elements with `actual`
 * payload bytes. */
static uint32_t pk_record(msgpack_packer *pk, int seq, size_t declared,
			  size_t actual)
{
	static unsigned char data[256];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)i;
	msgpack_pack_map(pk, 3);
	pk_str(pk, "t");
	pk_str(pk, "batch");
	pk_str(pk, "seq");
	msgpack_pack_int(pk, seq);
	pk_str(pk, "x");
	msgpack_pack_map(pk, 3);
	pk_str(pk, "dtype");
	pk_str(pk, "u8");
	pk_str(pk, "shape");
	msgpack_pack_array(pk, 1);
	msgpack_pack_uint64(pk, declared);
	pk_str(pk, "data");
	msgpack_pack_bin(pk, actual);
	msgpack_pack_bin_body(pk, data, actual);
	return dbv_crc32c_ref(0, data, actual);
}

static void pk_end_counts_array(msgpack_packer *pk, int records, uint32_t crc)
{
	msgpack_pack_map(pk, 5);
	pk_str(pk, "t");
	pk_str(pk, "end");
	pk_str(pk, "records");
	msgpack_pack_int(pk, records);
	pk_str(pk, "counts");
	msgpack_pack_array(pk, 1);
	msgpack_pack_int(pk, records);
	pk_str(pk, "crc");
	msgpack_pack_uint32(pk, crc);
	pk_str(pk, "status");
	pk_str(pk, "ok");
}

static void pk_end(msgpack_packer *pk, int records, uint32_t crc,
		   const char *status)
{
	msgpack_pack_map(pk, 5);
	pk_str(pk, "t");
	pk_str(pk, "end");
	pk_str(pk, "records");
	msgpack_pack_int(pk, records);
	pk_str(pk, "counts");
	msgpack_pack_map(pk, 1);
	pk_str(pk, "batch");
	msgpack_pack_int(pk, records);
	pk_str(pk, "crc");
	msgpack_pack_uint32(pk, crc);
	pk_str(pk, "status");
	pk_str(pk, status);
}

/* Expect the stream in sb to fail with code and a message containing
 * want. */
static void expect_fail(msgpack_sbuffer *sb, const char *kind, size_t limit,
			int code, const char *want, int line)
{
	int rc = read_all(sb->data, sb->size, kind, limit, NULL);
	check_count_++;
	if (rc != code || !strstr(dbv_errmsg(), want)) {
		check_fails_++;
		fprintf(stderr, "line %d: rc %d want %d, message '%s' lacks '%s'\n",
			line, rc, code, dbv_errmsg(), want);
	}
	msgpack_sbuffer_clear(sb);
}
#define EXPECT_FAIL(kind, limit, code, want) \
	expect_fail(&sb, kind, limit, code, want, __LINE__)

static void test_reader_checks(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	uint32_t crc;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);

	/* valid baseline */
	pk_header(&pk, 1, "dataset");
	crc = pk_record(&pk, 1, 4, 4);
	pk_end(&pk, 1, crc, "ok");
	CHECK_RC(read_all(sb.data, sb.size, "dataset", 0, NULL), DBV_END);
	msgpack_sbuffer_clear(&sb);

	/* A version 1.0 stream (no stream_crc) is read; counts must be a
	 * map, and a 1.1 stream must carry stream_crc. */
	pk_header(&pk, 1, "dataset");
	crc = pk_record(&pk, 1, 4, 4);
	pk_end_counts_array(&pk, 1, crc);
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "malformed end record");
	msgpack_pack_map(&pk, 6);
	pk_str(&pk, "t");
	pk_str(&pk, "dbv");
	pk_str(&pk, "v");
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 1);
	pk_str(&pk, "kind");
	pk_str(&pk, "dataset");
	pk_str(&pk, "tool");
	pk_str(&pk, "hand");
	pk_str(&pk, "pipeline");
	msgpack_pack_array(&pk, 0);
	pk_str(&pk, "meta");
	msgpack_pack_map(&pk, 0);
	crc = pk_record(&pk, 1, 4, 4);
	pk_end(&pk, 1, crc, "ok");
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "no stream_crc (a format 1.1 stream must)");

	/* empty input */
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "empty input");
	/* magic */
	msgpack_sbuffer_write(&sb, "\x89PNG\r\n\x1a\n0000", 12);
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "PNG");
	msgpack_sbuffer_write(&sb, "hello world\n", 12);
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "text");
	msgpack_pack_map(&pk, 1);
	pk_str(&pk, "x");
	pk_str(&pk, "dbv");
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "not a dbv stream");
	/* major version */
	pk_header(&pk, 2, "dataset");
	pk_end(&pk, 0, 0, "ok");
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "version 2.0");
	/* kind */
	pk_header(&pk, 1, "model");
	pk_end(&pk, 0, 0, "ok");
	EXPECT_FAIL("dataset|planes", 0, DBV_EINPUT, "expected a dataset|planes stream, got a model");
	/* record limit: a 200-byte tensor with a 128-byte limit */
	pk_header(&pk, 1, "dataset");
	crc = pk_record(&pk, 1, 200, 200);
	pk_end(&pk, 1, crc, "ok");
	EXPECT_FAIL("dataset", 128, DBV_EINPUT, "larger than the limit");
	/* a declared 4 GiB bin in a tiny input: refused at once */
	pk_header(&pk, 1, "dataset");
	msgpack_sbuffer_write(&sb, "\x83\xa1t\xa5" "batch\xa3seq\x01\xa1x\xc6\xff\xff\xff\xf0", 21);
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "larger than the limit");
	/* a declared 2^32-1 element array: no allocation, clear error */
	pk_header(&pk, 1, "dataset");
	msgpack_sbuffer_write(&sb, "\x83\xa1t\xa5" "batch\xa3seq\x01\xa1x\xdd\xff\xff\xff\xff", 21);
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "larger than the limit");
	/* tensor length vs dtype x shape */
	pk_header(&pk, 1, "dataset");
	crc = pk_record(&pk, 1, 5, 4);
	pk_end(&pk, 1, crc, "ok");
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "has 4 bytes but u8[5] needs 5");
	/* unknown dtype */
	pk_header(&pk, 1, "dataset");
	msgpack_pack_map(&pk, 3);
	pk_str(&pk, "t"); pk_str(&pk, "batch");
	pk_str(&pk, "seq"); msgpack_pack_int(&pk, 1);
	pk_str(&pk, "x");
	msgpack_pack_map(&pk, 3);
	pk_str(&pk, "dtype"); pk_str(&pk, "f16");
	pk_str(&pk, "shape"); msgpack_pack_array(&pk, 0);
	pk_str(&pk, "data"); msgpack_pack_bin(&pk, 2); msgpack_pack_bin_body(&pk, "ab", 2);
	pk_end(&pk, 1, 0, "ok");
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "unknown dtype");
	/* sequence gap */
	pk_header(&pk, 1, "dataset");
	crc = pk_record(&pk, 1, 4, 4);
	crc = dbv_crc32c(crc, "\0\1\2\3", 4);
	pk_record(&pk, 3, 4, 4);
	pk_end(&pk, 2, crc, "ok");
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "sequence gap");
	/* missing end */
	pk_header(&pk, 1, "dataset");
	pk_record(&pk, 1, 4, 4);
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "without an end record");
	/* upstream error */
	pk_header(&pk, 1, "dataset");
	pk_record(&pk, 1, 4, 4);
	msgpack_pack_map(&pk, 3);
	pk_str(&pk, "t"); pk_str(&pk, "error");
	pk_str(&pk, "tool"); pk_str(&pk, "dbv-train");
	pk_str(&pk, "msg"); pk_str(&pk, "loss is NaN");
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "dbv-train failed: loss is NaN");
	/* end counts */
	pk_header(&pk, 1, "dataset");
	crc = pk_record(&pk, 1, 4, 4);
	pk_end(&pk, 2, crc, "ok");
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "end record counts 2 records");
	/* crc */
	pk_header(&pk, 1, "dataset");
	crc = pk_record(&pk, 1, 4, 4);
	pk_end(&pk, 1, crc ^ 1, "ok");
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "CRC mismatch");
	/* invalid msgpack byte */
	pk_header(&pk, 1, "dataset");
	msgpack_sbuffer_write(&sb, "\xc1", 1);
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "0xc1");
	/* a record that is not a map with "t" first */
	pk_header(&pk, 1, "dataset");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_int(&pk, 1);
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "not a dbv record");
	/* nesting deeper than msgpack-c's stack */
	pk_header(&pk, 1, "dataset");
	for (int i = 0; i < 100; i++)
		msgpack_pack_array(&pk, 1);
	msgpack_pack_nil(&pk);
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "malformed");
	/* record types: NUL bytes and over 31 bytes are refused */
	pk_header(&pk, 1, "dataset");
	msgpack_pack_map(&pk, 2);
	pk_str(&pk, "t");
	msgpack_pack_str_with_body(&pk, "end\0", 4);
	pk_str(&pk, "seq"); msgpack_pack_int(&pk, 1);
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "holds a NUL byte");
	pk_header(&pk, 1, "dataset");
	msgpack_pack_map(&pk, 2);
	pk_str(&pk, "t");
	pk_str(&pk, "a_record_type_name_of_32_bytes__");
	pk_str(&pk, "seq"); msgpack_pack_int(&pk, 1);
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "longer than 31 bytes");
	msgpack_pack_map(&pk, 6);
	pk_str(&pk, "t"); pk_str(&pk, "dbv");
	pk_str(&pk, "v"); msgpack_pack_array(&pk, 2);
	msgpack_pack_int(&pk, 1); msgpack_pack_int(&pk, 0);
	pk_str(&pk, "kind"); msgpack_pack_str_with_body(&pk, "da\0", 3);
	pk_str(&pk, "tool"); pk_str(&pk, "hand");
	pk_str(&pk, "pipeline"); msgpack_pack_array(&pk, 0);
	pk_str(&pk, "meta"); msgpack_pack_map(&pk, 0);
	pk_end(&pk, 0, 0, "ok");
	EXPECT_FAIL(NULL, 0, DBV_EINPUT, "no valid \"kind\"");
	/* a record of two million nils: refused by count, not decoded */
	pk_header(&pk, 1, "dataset");
	msgpack_pack_map(&pk, 3);
	pk_str(&pk, "t"); pk_str(&pk, "batch");
	pk_str(&pk, "seq"); msgpack_pack_int(&pk, 1);
	pk_str(&pk, "x");
	msgpack_pack_array(&pk, 2000000);
	for (int i = 0; i < 2000000; i++)
		msgpack_pack_nil(&pk);
	EXPECT_FAIL("dataset", 0, DBV_EINPUT, "more than 1048576 msgpack objects");
	msgpack_sbuffer_destroy(&sb);
}

/* A filter: copy records through, including an unknown type. */
static void test_copy(void)
{
	size_t n;
	unsigned char *s = small_stream(&n, "dataset");
	char path[600];
	char *argv[] = {"filter", NULL};
	int in = fd_of(s, n);
	snprintf(path, sizeof path, "%s/copy", tmp);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct dbv_reader *r = dbv_reader_new(in, "in");
	struct dbv_writer *w = dbv_writer_new(out, "filter");
	const dbv_val *rec;
	CHECK_OK(dbv_reader_header(r, "dataset", NULL));
	dbv_writer_header_begin(w, "dataset", dbv_reader_pipeline(r), 1, argv, 1);
	dbv_w_key(w, "upstream");
	dbv_w_val(w, dbv_reader_meta(r));
	dbv_writer_header_end(w);
	while (dbv_reader_next(r, &rec) == DBV_OK)
		CHECK_OK(dbv_writer_copy_record(w, rec));
	CHECK_OK(dbv_writer_finish(w));
	dbv_writer_free(w);
	dbv_reader_free(r);
	close(in);
	close(out);
	size_t m;
	unsigned char *c = slurp(path, &m);
	uint64_t k;
	CHECK_RC(read_all(c, m, "dataset", 0, &k), DBV_END);
	CHECK_EQ_INT(k, 3);
	/* pipeline grew by one command line */
	int fd = fd_of(c, m);
	r = dbv_reader_new(fd, "c");
	CHECK_OK(dbv_reader_header(r, NULL, NULL));
	CHECK_EQ_INT(dbv_val_len(dbv_reader_pipeline(r)), 2);
	CHECK(dbv_val_is(dbv_array_at(dbv_reader_pipeline(r), 0), "test --x"));
	CHECK(dbv_map_get(dbv_map_get(dbv_reader_meta(r), "upstream"), "classes"));
	dbv_reader_free(r);
	close(fd);
	free(c);
	free(s);
}

static void test_parse(void)
{
	int64_t v;
	uint64_t u;
	double d;
	int64_t *list;
	size_t n;
	CHECK_OK(dbv_parse_i64("-12", -100, 100, &v));
	CHECK_EQ_INT(v, -12);
	CHECK_RC(dbv_parse_i64("12x", 0, 100, &v), DBV_EUSAGE);
	CHECK_RC(dbv_parse_i64("", 0, 100, &v), DBV_EUSAGE);
	CHECK_RC(dbv_parse_i64(" 1", 0, 100, &v), DBV_EUSAGE);
	CHECK_RC(dbv_parse_i64("101", 0, 100, &v), DBV_EUSAGE);
	CHECK_RC(dbv_parse_i64("99999999999999999999", 0, INT64_MAX, &v), DBV_EUSAGE);
	CHECK_OK(dbv_parse_u64("18446744073709551615", UINT64_MAX, &u));
	CHECK(u == UINT64_MAX);
	CHECK_RC(dbv_parse_u64("-1", UINT64_MAX, &u), DBV_EUSAGE);
	CHECK_OK(dbv_parse_double("0.25", 0, 1, &d));
	CHECK_NEAR(d, 0.25, 0);
	CHECK_RC(dbv_parse_double("nan", 0, 1, &d), DBV_EUSAGE);
	CHECK_RC(dbv_parse_double("1.5", 0, 1, &d), DBV_EUSAGE);
	CHECK_RC(dbv_parse_double("0.5.", 0, 1, &d), DBV_EUSAGE);
	/* Issue #11 item 11: underflow is not 0. */
	CHECK_RC(dbv_parse_double("1e-400", 0, 1, &d), DBV_EUSAGE);
	CHECK(strstr(dbv_errmsg(), "too close to 0") != NULL);
	CHECK_RC(dbv_parse_double("4e-324", 0, 1, &d), DBV_EUSAGE);
	CHECK_RC(dbv_parse_double("1e400", 0, 1e300, &d), DBV_EUSAGE);
	CHECK_OK(dbv_parse_double("0", 0, 1, &d));
	CHECK_OK(dbv_parse_double("-0.0", -1, 1, &d));
	CHECK_OK(dbv_parse_double("1e-300", 0, 1, &d));
	CHECK_OK(dbv_parse_i64_list("3,1,4", 0, 9, &list, &n));
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(list[2], 4);
	free(list);
	CHECK_RC(dbv_parse_i64_list("3,,4", 0, 9, &list, &n), DBV_EUSAGE);
	CHECK_RC(dbv_parse_i64_list("3,10", 0, 9, &list, &n), DBV_EUSAGE);
	size_t z;
	CHECK_RC(dbv_mul_size(SIZE_MAX / 2 + 1, 2, &z), DBV_EINPUT);
	CHECK_OK(dbv_mul_size(3, 5, &z));
	CHECK_EQ_INT(z, 15);
}

int main(void)
{
	tmp = check_tmpdir();
	test_crc();
	test_parse();
	test_roundtrip();
	test_truncation();
	test_flips();
	test_reader_checks();
	test_many_types();
	test_summary();
	test_copy();
	return check_done();
}
