/*
 * fuzz_stream.c - libFuzzer harness for the stream reader (lib/stream/stream.c).
 *
 * The input is a file of zero or more dbv streams back to back.  It is read
 * the way dbv-inspect reads it: header, records up to the trailer, then
 * dbv_reader_at_eof to find a following stream.  Every value of every
 * header and record is visited through the public dbv_val_* accessors and
 * every tensor map is decoded with dbv_val_tensor, so that a value the
 * reader lets through but an accessor mishandles shows up under ASan.
 *
 * The record limit is 1 MiB: the reader must refuse, not allocate, when an
 * input declares more.  (-max_len is 64 KiB in `make fuzz`, so any larger
 * allocation would come from a declared, not an actual, size.)
 *
 * Round trip: when the whole input reads cleanly, every stream is copied
 * with the writer (header pipeline and meta passed on, records through
 * dbv_writer_copy_record, as a pass-through tool does) and the copy must
 * read cleanly too, with the same kinds and record counts.  A stream that
 * the reader accepts but the writer cannot reproduce is a bug in one of
 * them.
 *
 *   make fuzz                      (all harnesses, FUZZ_TIME seconds each)
 *   build/fuzz/fuzz_stream DIR tests/fuzz/seeds/fuzz_stream
 *   build/fuzz/fuzz_stream FILE...         (run these inputs once)
 *
 * libFuzzer adds what it finds to the first directory named: never name
 * the seed directory first, or it fills with generated inputs.
 */
#define _GNU_SOURCE /* memfd_create; the fuzz rule passes no -D_GNU_SOURCE */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dbv.h"

#define RECORD_LIMIT ((size_t)1 << 20)
#define MAX_STREAMS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What one read of a file found, to compare original and copy. */
struct seen {
	int clean;          /* every stream ended with a verified trailer */
	size_t nstreams;
	char kind[MAX_STREAMS][32];
	uint64_t nrec[MAX_STREAMS];
};

/* Memory files reused across runs: no file system, no leaks per run. */
static int memfile(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0) {
		perror("memfd_create");
		abort();
	}
	return fd;
}

static void memfile_set(int fd, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t off = 0;
	if (ftruncate(fd, 0) != 0)
		abort();
	while (off < n) {
		ssize_t k = pwrite(fd, b + off, n - off, (off_t)off);
		if (k <= 0)
			abort();
		off += (size_t)k;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
}

/* Sum the bytes of a decoded tensor, so that ASan checks every byte of
 * the copy that dbv_val_tensor made. */
static unsigned touch_tensor(const struct dbv_tensor *t)
{
	const unsigned char *p = t->data;
	unsigned s = 0;
	size_t numel = 0, nbytes = 0;
	if (dbv_shape_numel(t->shape, t->ndim, &numel) ||
	    dbv_mul_size(numel, dbv_dtype_size(t->dtype), &nbytes) ||
	    nbytes != t->nbytes || dbv_tensor_numel(t) != numel) {
		fprintf(stderr, "decoded tensor size disagrees with its shape\n");
		abort();
	}
	for (size_t i = 0; i < t->nbytes; i++)
		s += p[i];
	return s;
}

/* Visit v and everything below it with every accessor that fits. */
static unsigned touch(const dbv_val *v)
{
	unsigned s = 0;
	int64_t i;
	double d;
	int b;
	const char *str;
	const void *bin;
	size_t n;
	char *dup;
	struct dbv_tensor t;

	switch (dbv_val_type(v)) {
	case DBV_V_NIL:
		break;
	case DBV_V_BOOL:
		if (dbv_val_bool(v, &b) == DBV_OK)
			s += (unsigned)b;
		break;
	case DBV_V_INT:
		if (dbv_val_i64(v, &i) == DBV_OK)
			s += (unsigned)i;
		if (dbv_val_double(v, &d) != DBV_OK)
			abort(); /* every integer is a number */
		break;
	case DBV_V_FLOAT:
		if (dbv_val_double(v, &d) != DBV_OK)
			abort();
		s += d == d;
		break;
	case DBV_V_STR:
		if (dbv_val_str(v, &str, &n) != DBV_OK || n != dbv_val_len(v))
			abort();
		for (size_t k = 0; k < n; k++)
			s += (unsigned char)str[k];
		if (dbv_val_strdup(v, &dup) == DBV_OK) {
			if (memcmp(dup, str, n) || dup[n])
				abort();
			free(dup);
		}
		s += (unsigned)dbv_val_is(v, "x");
		break;
	case DBV_V_BIN:
		if (dbv_val_bin(v, &bin, &n) != DBV_OK || n != dbv_val_len(v))
			abort();
		for (size_t k = 0; k < n; k++)
			s += ((const unsigned char *)bin)[k];
		break;
	case DBV_V_ARRAY:
		for (size_t k = 0; k < dbv_val_len(v); k++)
			s += touch(dbv_array_at(v, k));
		if (dbv_array_at(v, dbv_val_len(v)))
			abort(); /* past the end must be NULL */
		break;
	case DBV_V_MAP:
		if (dbv_val_is_tensor(v) && dbv_val_tensor(v, &t) == DBV_OK) {
			s += touch_tensor(&t);
			dbv_tensor_release(&t);
		}
		for (size_t k = 0; k < dbv_val_len(v); k++) {
			s += touch(dbv_map_key(v, k));
			s += touch(dbv_map_value(v, k));
		}
		/* Lookups by name, hit or miss. */
		s += dbv_map_get(v, "t") != NULL;
		s += dbv_get_i64(v, "seq", &i) == DBV_OK;
		s += dbv_get_double(v, "mean", &d) == DBV_OK;
		if (dbv_get_tensor(v, "x", &t) == DBV_OK) {
			s += touch_tensor(&t);
			dbv_tensor_release(&t);
		}
		break;
	default: /* ext: nothing to read but its length */
		s += (unsigned)dbv_val_len(v);
		break;
	}
	return s;
}

/*
 * Read every stream of fd into *seen.  With wfd >= 0, also copy each
 * stream to wfd as a pass-through tool would (one writer per stream).
 */
static void read_all(int fd, int wfd, struct seen *seen)
{
	struct dbv_reader *r = dbv_reader_new(fd, "fuzz");
	struct dbv_writer *w = NULL;
	const dbv_val *h, *rec;
	volatile unsigned sink = 0;
	char *argv[] = {"fuzz_stream", NULL};
	int rc, eof = 0;

	memset(seen, 0, sizeof *seen);
	if (!r)
		abort();
	dbv_reader_set_limit(r, RECORD_LIMIT);
	do {
		if ((rc = dbv_reader_header(r, NULL, &h)) != DBV_OK)
			goto out;
		sink += touch(h);
		sink += touch(dbv_reader_meta(r));
		if (dbv_reader_pipeline(r))
			sink += touch(dbv_reader_pipeline(r));
		sink += (unsigned)strlen(dbv_reader_kind(r));
		sink += (unsigned)strlen(dbv_reader_name(r));
		if (wfd >= 0) {
			const dbv_val *meta = dbv_reader_meta(r);
			if (!(w = dbv_writer_new(wfd, "fuzz")))
				abort();
			dbv_writer_header_begin(w, dbv_reader_kind(r),
						dbv_reader_pipeline(r), 1, argv,
						dbv_val_len(meta));
			for (size_t k = 0; k < dbv_val_len(meta); k++) {
				dbv_w_val(w, dbv_map_key(meta, k));
				dbv_w_val(w, dbv_map_value(meta, k));
			}
			dbv_writer_header_end(w);
		}
		uint64_t nrec = 0;
		while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
			size_t tl = 0;
			nrec++;
			if (dbv_reader_record_no(r) != nrec)
				abort();
			sink += touch(rec);
			sink += (unsigned)dbv_reader_offset(r);
			/* The reader hands out typed records only. */
			dbv_record_type(rec, &tl);
			if (tl == 0)
				abort();
			sink += (unsigned)dbv_record_is(rec, "batch");
			if (w)
				dbv_writer_copy_record(w, rec);
		}
		if (rc != DBV_END)
			goto out;
		/* After the trailer, reading on stays at the end. */
		if (dbv_reader_next(r, &rec) != DBV_END)
			abort();
		if (seen->nstreams < MAX_STREAMS) {
			snprintf(seen->kind[seen->nstreams], sizeof seen->kind[0],
				 "%s", dbv_reader_kind(r));
			seen->nrec[seen->nstreams] = nrec;
		}
		seen->nstreams++;
		if (w) {
			if (dbv_writer_finish(w) != DBV_OK ||
			    dbv_writer_records(w) != nrec) {
				fprintf(stderr, "writer refused a copy: %s\n",
					dbv_errmsg());
				abort();
			}
			dbv_writer_free(w);
			w = NULL;
		}
	} while ((rc = dbv_reader_at_eof(r, &eof)) == DBV_OK && !eof);
	seen->clean = rc == DBV_OK && eof;
out:
	if (w)
		dbv_writer_free(w);
	dbv_reader_free(r);
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int in = -1, copy = -1;
	struct seen a, b;

	if (in < 0) {
		in = memfile("fuzz_stream_in");
		copy = memfile("fuzz_stream_copy");
	}
	memfile_set(in, data, size);
	read_all(in, -1, &a);
	if (!a.clean)
		return 0;

	/* Copy only what reads cleanly (few mutated inputs do): under ASan
	 * each reader's and writer's 1 MiB buffer is a fresh mmap, which
	 * costs more than reading a small input. */
	memfile_set(copy, "", 0);
	if (lseek(in, 0, SEEK_SET) != 0)
		abort();
	read_all(in, copy, &a);
	if (!a.clean)
		abort(); /* the same bytes read differently */

	/* The copy must read back cleanly, stream for stream. */
	if (lseek(copy, 0, SEEK_SET) != 0)
		abort();
	read_all(copy, -1, &b);
	if (!b.clean || b.nstreams != a.nstreams) {
		fprintf(stderr, "copy of a clean input does not read back: %s\n",
			dbv_errmsg());
		abort();
	}
	for (size_t k = 0; k < a.nstreams && k < MAX_STREAMS; k++)
		if (strcmp(a.kind[k], b.kind[k]) || a.nrec[k] != b.nrec[k]) {
			fprintf(stderr, "stream %zu: copy differs (%s/%llu vs %s/%llu)\n",
				k, a.kind[k], (unsigned long long)a.nrec[k],
				b.kind[k], (unsigned long long)b.nrec[k]);
			abort();
		}
	return 0;
}
