/*
 * mkstream - write special dbv streams for the shell tests with libdbv's
 * writer: the cases no tool produces on purpose.
 *
 * A small dataset stream (1x2x2 items, 2 classes; a batch of 3 items),
 * whole or broken:
 *
 *   mkstream empty-dataset    a valid dataset stream with no items
 *   mkstream upstream-error   a dataset header, one batch, an error record
 *                             (MSG: its message; default "something broke
 *                             upstream")
 *   mkstream no-end           a dataset header and one batch, no trailer
 *   mkstream label-range      a batch whose second label is 7
 *   mkstream empty-batch      a batch of no items, then one of three
 *   mkstream f32-nan          f32 pixels, one of them NaN
 *   mkstream y-k1             labels y of shape [3,1]
 *   mkstream std-inf          a header "std" of +Inf
 *   mkstream mean-long        a header "mean" of 3 entries for 1 channel
 *   mkstream big-record MIB [STREAM]
 *                             a header (the dataset's, or that of the
 *                             stream file STREAM), then a record of MIB
 *                             MiB (a "blob" record holding one bin),
 *                             written as it goes, never held; no trailer
 *                             (a reader must give up at the record)
 *
 * Other things:
 *
 *   mkstream model ARCH WIDTH C H W K
 *                             a model stream of an untrained ARCH of
 *                             WIDTH for items C x H x W, K classes
 *   mkstream idx-gz images|labels N
 *                             a gzip IDX file of N zero images of 32x32
 *                             (N zero labels), made without compressing
 *                             them: one compressed MiB of zeros repeated
 *
 * Filters: a stream on standard input, changed, on standard output (the
 * trailer rewritten to match):
 *
 *   mkstream set-meta KEY INT        the header meta's KEY set to INT
 *   mkstream set-rec TYPE KEY INT    KEY of every TYPE record set to INT
 *   mkstream set-param NAME X [I]    element I (default 0) of the f32
 *                                    param NAME set to X (strtod: nan, inf)
 *   mkstream dup-param NAME          the param record NAME twice, the
 *                                    second with element 0 changed
 *   mkstream scalar-shape1           every i64 scalar param as shape [1]
 *   mkstream counts-array            the same bytes, but the trailer's
 *                                    counts an array [type, n, ...]
 */
#include <fcntl.h>
#include <math.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "dbv.h"

enum { H_PLAIN, H_STD_INF, H_MEAN_LONG };

static void header(struct dbv_writer *w, char **argv, int variant)
{
	int64_t shape[3] = {1, 2, 2};
	double mean[3] = {0.5, 0.5, 0.5}, std[1] = {0.25};
	char *names[2] = {"a", "b"};
	if (variant == H_STD_INF)
		std[0] = INFINITY;
	dbv_writer_header_begin(w, "dataset", NULL, 2, argv, 7);
	dbv_w_key(w, "dataset"); dbv_w_str(w, "mkstream");
	dbv_w_key(w, "n"); dbv_w_i64(w, 0);
	dbv_w_key(w, "shape"); dbv_w_i64_array(w, shape, 3);
	dbv_w_key(w, "classes"); dbv_w_i64(w, 2);
	dbv_w_key(w, "class_names"); dbv_w_str_array(w, names, 2);
	dbv_w_key(w, "mean"); dbv_w_f64_array(w, mean, variant == H_MEAN_LONG ? 3 : 1);
	dbv_w_key(w, "std"); dbv_w_f64_array(w, std, 1);
	dbv_writer_header_end(w);
}

/* A batch of k (0 to 3) items; y of shape [k] or [k,1]; label 1 or 7 for
 * the second item; f32 pixels with a NaN. */
struct batch_opts {
	int k, y_k1, label, f32_nan;
};

static void batch(struct dbv_writer *w, const struct batch_opts *o)
{
	uint8_t x[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 11};
	float xf[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 11};
	int32_t y[3] = {0, o->label ? o->label : 1, 0};
	int64_t sx[4] = {o->k, 1, 2, 2}, sy[2] = {o->k, 1};
	if (o->f32_nan)
		xf[5] = NAN;
	dbv_writer_record_begin(w, "batch", 2);
	dbv_w_key(w, "x");
	if (o->f32_nan)
		dbv_w_tensor_raw(w, DBV_F32, 4, sx, xf);
	else
		dbv_w_tensor_raw(w, DBV_U8, 4, sx, x);
	dbv_w_key(w, "y"); dbv_w_tensor_raw(w, DBV_I32, o->y_k1 ? 2 : 1, sy, y);
	dbv_writer_record_end(w);
}

/* A header (the dataset's, or that of the stream file `from`), then one
 * "blob" record of mib MiB written in pieces: raw msgpack after the
 * writer's header. */
static int big_record(char **argv, const char *arg, const char *from)
{
	const int64_t mib = atoll(arg);
	struct dbv_writer *w = dbv_writer_new(1, "mkstream");
	if (mib < 1 || mib > 4000 || !w) {
		fprintf(stderr, "mkstream: big-record MIB (1 to 4000)\n");
		return 2;
	}
	if (from) {
		int fd = open(from, O_RDONLY);
		struct dbv_reader *r = fd < 0 ? NULL : dbv_reader_new(fd, from);
		const dbv_val *meta;
		if (!r || dbv_reader_header(r, NULL, NULL)) {
			fprintf(stderr, "mkstream: %s: %s\n", from, dbv_errmsg());
			return 3;
		}
		meta = dbv_reader_meta(r);
		dbv_writer_header_begin(w, dbv_reader_kind(r), dbv_reader_pipeline(r),
					2, argv, dbv_val_len(meta));
		for (size_t i = 0; i < dbv_val_len(meta); i++) {
			dbv_w_val(w, dbv_map_key(meta, i));
			dbv_w_val(w, dbv_map_value(meta, i));
		}
		dbv_writer_header_end(w);
		dbv_reader_free(r);
		close(fd);
	} else {
		header(w, argv, H_PLAIN);
	}
	dbv_writer_flush(w);
	unsigned char h[32];
	size_t n = 0;
	const uint32_t len = (uint32_t)(mib << 20);
	/* {"t":"blob","seq":1,"b":bin32} */
	h[n++] = 0x83;
	h[n++] = 0xa1; h[n++] = 't';
	h[n++] = 0xa4; memcpy(h + n, "blob", 4); n += 4;
	h[n++] = 0xa3; memcpy(h + n, "seq", 3); n += 3;
	h[n++] = 0x01;
	h[n++] = 0xa1; h[n++] = 'b';
	h[n++] = 0xc6;
	h[n++] = (unsigned char)(len >> 24); h[n++] = (unsigned char)(len >> 16);
	h[n++] = (unsigned char)(len >> 8); h[n++] = (unsigned char)len;
	if (dbv_write_all(1, h, n))
		return 4;
	static unsigned char zero[1 << 16];
	for (uint64_t left = len; left > 0;) {
		size_t k = left < sizeof zero ? (size_t)left : sizeof zero;
		if (dbv_write_all(1, zero, k))
			return 0; /* the reader gave up: that is the point */
		left -= k;
	}
	dbv_writer_free(w);
	return 0;
}

/* An untrained model: the header (a default run) and its params. */
static int model(char **argv)
{
	struct dbv_arch a = {.width = atoi(argv[3]), .depth = 1, .c = atoi(argv[4]),
			     .h = atoi(argv[5]), .w = atoi(argv[6]),
			     .classes = atoi(argv[7])};
	double mean[4] = {0.5, 0.5, 0.5, 0.5}, std[4] = {0.25, 0.25, 0.25, 0.25};
	struct dbv_train_cfg cfg;
	struct dbv_model m;
	struct dbv_writer *w = dbv_writer_new(1, "mkstream");
	int rc;

	snprintf(a.name, sizeof a.name, "%s", argv[2]);
	dbv_train_cfg_default(&cfg);
	if (!w || dbv_model_build(&m, &a)) {
		fprintf(stderr, "mkstream: %s\n", dbv_errmsg());
		return 2;
	}
	dbv_model_init(&m, 1);
	struct dbv_model_header h = {&m, NULL, mean, std, &cfg, "mkstream", 1, 0};
	rc = dbv_model_write_header(w, NULL, 2, argv, &h) ||
	     dbv_model_write_params(w, &m) || dbv_writer_finish(w) ? 4 : 0;
	dbv_model_release(&m);
	dbv_writer_free(w);
	return rc;
}

/* Raw deflate of n zero bytes (or of the n bytes at p), ended by a full
 * flush: byte-aligned, referring to nothing before it, so that it can be
 * repeated. *out is malloc'ed. */
static size_t deflate_chunk(const void *p, size_t n, unsigned char **out)
{
	z_stream z;
	unsigned char *in = p ? (unsigned char *)p : calloc(n ? n : 1, 1);
	size_t cap = compressBound((uLong)n) + 64;

	memset(&z, 0, sizeof z);
	*out = malloc(cap);
	if (!in || !*out || deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY))
		exit(4);
	z.next_in = in;
	z.avail_in = (uInt)n;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FULL_FLUSH) != Z_OK || z.avail_in)
		exit(4);
	deflateEnd(&z);
	if (!p)
		free(in);
	return cap - z.avail_out;
}

/* A gzip IDX file of n zero items: header, then the zeros as a chunk of
 * one compressed MiB repeated, a final empty block and the trailer. */
static int idx_gz(const char *what, int64_t n)
{
	const int images = !strcmp(what, "images");
	const size_t MiB = (size_t)1 << 20;
	unsigned char hdr[16] = {0, 0, 8, images ? 3 : 1}, *c0, *c1, *c2;
	const size_t hl = images ? 16 : 8;
	const uint64_t total = (uint64_t)n * (images ? 1024 : 1);
	static const unsigned char gz[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
	static const unsigned char final[2] = {3, 0};

	if (n < 1 || n > (images ? 4000000 : 4000000000LL) || (!images && strcmp(what, "labels"))) {
		fprintf(stderr, "mkstream: idx-gz images|labels N\n");
		return 2;
	}
	for (int i = 0; i < 4; i++)
		hdr[4 + i] = (unsigned char)(n >> (24 - 8 * i));
	if (images)
		hdr[11] = hdr[15] = 32; /* rows, cols */
	size_t l0 = deflate_chunk(hdr, hl, &c0), l1 = deflate_chunk(NULL, MiB, &c1);
	size_t l2 = deflate_chunk(NULL, (size_t)(total % MiB), &c2);
	uLong crc = crc32(0, hdr, (uInt)hl), zc = crc32(0, Z_NULL, 0);
	unsigned char *zero = calloc(MiB, 1);
	if (!zero)
		return 4;
	uLong crc_mib = crc32(zc, zero, (uInt)MiB);
	if (dbv_write_all(1, gz, sizeof gz) || dbv_write_all(1, c0, l0))
		return 4;
	for (uint64_t k = 0; k < total / MiB; k++) {
		if (dbv_write_all(1, c1, l1))
			return 4;
		crc = crc32_combine(crc, crc_mib, (z_off_t)MiB);
	}
	crc = crc32_combine(crc, crc32(zc, zero, (uInt)(total % MiB)), (z_off_t)(total % MiB));
	const uint32_t isize = (uint32_t)(hl + total);
	const unsigned char trailer[8] = {
		(unsigned char)crc, (unsigned char)(crc >> 8), (unsigned char)(crc >> 16),
		(unsigned char)(crc >> 24), (unsigned char)isize, (unsigned char)(isize >> 8),
		(unsigned char)(isize >> 16), (unsigned char)(isize >> 24),
	};
	if (dbv_write_all(1, c2, l2) || dbv_write_all(1, final, sizeof final) ||
	    dbv_write_all(1, trailer, sizeof trailer))
		return 4;
	free(zero);
	free(c0);
	free(c1);
	free(c2);
	return 0;
}

/* ---- filters ---- */

static int is_key(const dbv_val *k, const char *s)
{
	return dbv_val_is(k, s);
}

/* The f32 or i64 tensor v copied into t (owned). */
static int tensor_of(const dbv_val *v, struct dbv_tensor *t)
{
	return dbv_val_tensor(v, t);
}

static int filter(int argc, char **argv)
{
	const char *op = argv[1];
	struct dbv_reader *r = dbv_reader_new(0, "-");
	struct dbv_writer *w = dbv_writer_new(1, "mkstream");
	const dbv_val *meta, *rec;
	int rc;

	if (!r || !w || dbv_reader_header(r, NULL, NULL)) {
		fprintf(stderr, "mkstream: %s\n", dbv_errmsg());
		return 3;
	}
	meta = dbv_reader_meta(r);
	dbv_writer_header_begin(w, dbv_reader_kind(r), dbv_reader_pipeline(r),
				argc, argv, dbv_val_len(meta));
	for (size_t i = 0; i < dbv_val_len(meta); i++) {
		dbv_w_val(w, dbv_map_key(meta, i));
		if (!strcmp(op, "set-meta") && is_key(dbv_map_key(meta, i), argv[2]))
			dbv_w_i64(w, atoll(argv[3]));
		else
			dbv_w_val(w, dbv_map_value(meta, i));
	}
	dbv_writer_header_end(w);
	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
		const dbv_val *name = dbv_map_get(rec, "name");
		const dbv_val *value = dbv_map_get(rec, "value");
		int param = dbv_record_is(rec, "param");
		if (!strcmp(op, "set-rec") && dbv_record_is(rec, argv[2])) {
			size_t n = dbv_val_len(rec);
			dbv_writer_record_begin(w, argv[2], n - 2);
			for (size_t i = 2; i < n; i++) {
				dbv_w_val(w, dbv_map_key(rec, i));
				if (is_key(dbv_map_key(rec, i), argv[3]))
					dbv_w_i64(w, atoll(argv[4]));
				else
					dbv_w_val(w, dbv_map_value(rec, i));
			}
			dbv_writer_record_end(w);
			continue;
		}
		if (param && (!strcmp(op, "set-param") || !strcmp(op, "dup-param")) &&
		    dbv_val_is(name, argv[2])) {
			struct dbv_tensor t;
			size_t at = argc > 4 ? (size_t)atoll(argv[4]) : 0;
			if (tensor_of(value, &t) || t.dtype != DBV_F32 ||
			    at >= dbv_tensor_numel(&t)) {
				fprintf(stderr, "mkstream: param %s is not f32 or too short\n", argv[2]);
				return 2;
			}
			if (!strcmp(op, "dup-param"))
				dbv_writer_copy_record(w, rec);
			((float *)t.data)[at] = !strcmp(op, "dup-param") ? 42.0f
					       : (float)strtod(argv[3], NULL);
			dbv_writer_record_begin(w, "param", 2);
			dbv_w_key(w, "name"); dbv_w_val(w, name);
			dbv_w_key(w, "value"); dbv_w_tensor(w, &t);
			dbv_writer_record_end(w);
			dbv_tensor_release(&t);
			continue;
		}
		if (param && !strcmp(op, "scalar-shape1")) {
			struct dbv_tensor t;
			if (!tensor_of(value, &t) && t.dtype == DBV_I64 && t.ndim == 0) {
				int64_t one[1] = {1};
				dbv_writer_record_begin(w, "param", 2);
				dbv_w_key(w, "name"); dbv_w_val(w, name);
				dbv_w_key(w, "value");
				dbv_w_tensor_raw(w, DBV_I64, 1, one, t.data);
				dbv_writer_record_end(w);
				dbv_tensor_release(&t);
				continue;
			}
			dbv_tensor_release(&t);
		}
		dbv_writer_copy_record(w, rec);
	}
	if (rc != DBV_END) {
		fprintf(stderr, "mkstream: %s\n", dbv_errmsg());
		return 3;
	}
	rc = dbv_writer_finish(w) ? 4 : 0;
	dbv_writer_free(w);
	dbv_reader_free(r);
	return rc;
}

/* The stream on standard input with its trailer's "counts" map written
 * as an array of its keys and values: every other byte as it was. */
static int counts_array(void)
{
	static char buf[1 << 22];
	size_t len = 0, off = 0, last = 0;
	ssize_t k;
	msgpack_unpacked u;
	msgpack_sbuffer sb;
	msgpack_packer pk;

	while ((k = read(0, buf + len, sizeof buf - len)) > 0)
		len += (size_t)k;
	msgpack_unpacked_init(&u);
	while (off < len) {
		last = off;
		if (msgpack_unpack_next(&u, buf, len, &off) != MSGPACK_UNPACK_SUCCESS)
			return 3;
	}
	if (dbv_write_all(1, buf, last))
		return 4;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_object e = u.data;
	msgpack_pack_map(&pk, e.via.map.size);
	for (uint32_t i = 0; i < e.via.map.size; i++) {
		msgpack_object key = e.via.map.ptr[i].key, val = e.via.map.ptr[i].val;
		msgpack_pack_object(&pk, key);
		if (key.type == MSGPACK_OBJECT_STR && key.via.str.size == 6 &&
		    !memcmp(key.via.str.ptr, "counts", 6) && val.type == MSGPACK_OBJECT_MAP) {
			msgpack_pack_array(&pk, 2 * val.via.map.size);
			for (uint32_t j = 0; j < val.via.map.size; j++) {
				msgpack_pack_object(&pk, val.via.map.ptr[j].key);
				msgpack_pack_object(&pk, val.via.map.ptr[j].val);
			}
		} else {
			msgpack_pack_object(&pk, val);
		}
	}
	k = dbv_write_all(1, sb.data, sb.size) ? 4 : 0;
	msgpack_sbuffer_destroy(&sb);
	msgpack_unpacked_destroy(&u);
	return (int)k;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int header;
		struct batch_opts b[2];
		int nb, end; /* end: 0 trailer, 1 error record, 2 none */
	} cases[] = {
		{"empty-dataset", H_PLAIN, {{0}}, 0, 0},
		{"upstream-error", H_PLAIN, {{3, 0, 0, 0}}, 1, 1},
		{"no-end", H_PLAIN, {{3, 0, 0, 0}}, 1, 2},
		{"label-range", H_PLAIN, {{3, 0, 7, 0}}, 1, 0},
		{"empty-batch", H_PLAIN, {{0, 0, 0, 0}, {3, 0, 0, 0}}, 2, 0},
		{"f32-nan", H_PLAIN, {{3, 0, 0, 1}}, 1, 0},
		{"y-k1", H_PLAIN, {{3, 1, 0, 0}}, 1, 0},
		{"std-inf", H_STD_INF, {{3, 0, 0, 0}}, 1, 0},
		{"mean-long", H_MEAN_LONG, {{3, 0, 0, 0}}, 1, 0},
	};
	static const struct {
		const char *name;
		int args;
	} filters[] = {
		{"set-meta", 2}, {"set-rec", 3}, {"set-param", 2},
		{"dup-param", 1}, {"scalar-shape1", 0},
	};
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: mkstream CASE [ARGS] (see tests/mkstream.c)\n");
		return 2;
	}
	if (!strcmp(argv[1], "counts-array"))
		return counts_array();
	if (!strcmp(argv[1], "big-record") && (argc == 3 || argc == 4))
		return big_record(argv, argv[2], argc == 4 ? argv[3] : NULL);
	if (!strcmp(argv[1], "model") && argc == 8)
		return model(argv);
	if (!strcmp(argv[1], "idx-gz") && argc == 4)
		return idx_gz(argv[2], atoll(argv[3]));
	for (size_t i = 0; i < sizeof filters / sizeof *filters; i++)
		if (!strcmp(argv[1], filters[i].name)) {
			if (argc != 2 + filters[i].args &&
			    !(!strcmp(argv[1], "set-param") && argc == 5)) {
				fprintf(stderr, "mkstream: %s takes %d arguments\n",
					argv[1], filters[i].args);
				return 2;
			}
			return filter(argc, argv);
		}
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (strcmp(argv[1], cases[i].name))
			continue;
		struct dbv_writer *w = dbv_writer_new(1, "mkstream");
		if (!w)
			return 4;
		header(w, argv, cases[i].header);
		for (int b = 0; b < cases[i].nb; b++)
			batch(w, &cases[i].b[b]);
		if (cases[i].end == 0)
			dbv_writer_finish(w);
		else if (cases[i].end == 1)
			dbv_writer_fail(w, argc > 2 ? argv[2] : "something broke upstream");
		else
			dbv_writer_flush(w); /* no trailer */
		rc = dbv_writer_status(w) ? 4 : 0;
		dbv_writer_free(w);
		return rc;
	}
	fprintf(stderr, "mkstream: unknown case '%s'\n", argv[1]);
	return 2;
}
