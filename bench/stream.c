/*
 * bench/stream.c - the stream library's throughput, for bench/stream.sh.
 *
 *   stream write N_MB   write a dataset-like stream of about N_MB MiB to
 *                       stdout: records of 1337 items of 1x28x28 u8 pixels
 *                       (1 MiB, dbv-load's default batch for Fashion-MNIST)
 *                       plus i32 labels, through the dbv writer
 *   stream read         read a stream from stdin with the dbv reader (all
 *                       checks: framing, msgpack, sequence, tensor sizes,
 *                       CRC-32C of every payload, the trailer) and print
 *                       "BYTES SECONDS GB/s" on stdout
 *   stream sink         read stdin and drop it, with the reader's pipe size
 *                       and buffer size: what reading alone costs
 *
 * The pixel data is made once and reused, so `write` measures the writer,
 * not a generator.  No dbv_tool_init: it may re-exec the program to fix
 * the BLAS core, which would add an exec to every timing.
 *
 * Exit: 0 ok, 2 usage, 3 bad input, 4 I/O error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define ITEMS 1337
#define ITEM_BYTES (28 * 28)
#define BUF_BYTES ((size_t)1 << 20)

static const char usage[] =
	"usage: stream write N_MB | stream read | stream sink\n";

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(int code)
{
	fprintf(stderr, "stream: error: %s\n", dbv_errmsg());
	return code;
}

static int do_write(uint64_t mb)
{
	static char *argv[] = {"stream", "write", NULL};
	const int64_t sx[4] = {ITEMS, 1, 28, 28}, sy[1] = {ITEMS};
	const uint64_t want = mb << 20, per = ITEMS * (ITEM_BYTES + 4);
	uint64_t nrec = (want + per - 1) / per;
	uint8_t *x = dbv_malloc((size_t)ITEMS * ITEM_BYTES);
	int32_t *y = dbv_malloc(ITEMS * sizeof *y);
	struct dbv_writer *w;
	uint32_t s = 12345;

	if (isatty(1)) {
		fprintf(stderr, "stream: error: refusing to write a binary stream to a terminal\n");
		return DBV_EUSAGE;
	}
	if (!x || !y || !(w = dbv_writer_new(1, "stream")))
		return fail(DBV_EIO);
	/* Pixels that do not compress to a pattern (an LCG), labels 0..9. */
	for (size_t i = 0; i < (size_t)ITEMS * ITEM_BYTES; i++) {
		s = s * 1103515245u + 12345u;
		x[i] = (uint8_t)(s >> 24);
	}
	for (int i = 0; i < ITEMS; i++)
		y[i] = i % 10;
	dbv_writer_header_begin(w, "dataset", NULL, 2, argv, 1);
	dbv_w_key(w, "classes");
	dbv_w_i64(w, 10);
	dbv_writer_header_end(w);
	for (uint64_t r = 0; r < nrec; r++) {
		/* Records differ, so a CRC slip cannot cancel out. */
		memcpy(x, &r, sizeof r);
		dbv_writer_record_begin(w, "batch", 2);
		dbv_w_key(w, "x");
		dbv_w_tensor_raw(w, DBV_U8, 4, sx, x);
		dbv_w_key(w, "y");
		if (dbv_w_tensor_raw(w, DBV_I32, 1, sy, y) ||
		    dbv_writer_record_end(w))
			break;
	}
	int rc = dbv_writer_status(w) ? dbv_writer_status(w)
				      : dbv_writer_finish(w);
	dbv_writer_free(w);
	free(x);
	free(y);
	return rc ? fail(rc) : 0;
}

static int do_read(void)
{
	struct dbv_reader *r = dbv_reader_new(0, "-");
	const dbv_val *rec;
	double t0 = now();
	uint64_t bytes;
	int rc;

	if (!r)
		return fail(DBV_EIO);
	if ((rc = dbv_reader_header(r, "dataset", NULL)))
		goto out;
	while ((rc = dbv_reader_next(r, &rec)) == DBV_OK)
		;
	if (rc != DBV_END)
		goto out;
	/* Bytes up to the trailer (a few dozen bytes short of all). */
	bytes = dbv_reader_offset(r);
	double dt = now() - t0;
	printf("%llu %.6f %.3f\n", (unsigned long long)bytes, dt,
	       (double)bytes / dt / 1e9);
	rc = DBV_OK;
out:
	dbv_reader_free(r);
	if (rc)
		return fail(rc);
	return fflush(stdout) ? DBV_EIO : 0;
}

static int do_sink(void)
{
	char *buf = dbv_malloc(BUF_BYTES);
	ssize_t k;
	if (!buf)
		return fail(DBV_EIO);
	dbv_pipe_grow(0);
	while ((k = read(0, buf, BUF_BYTES)) > 0)
		;
	free(buf);
	if (k < 0) {
		perror("stream: error: read");
		return DBV_EIO;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t mb;
	if (argc == 3 && !strcmp(argv[1], "write")) {
		if (dbv_parse_u64(argv[2], (uint64_t)1 << 20, &mb) || mb == 0) {
			fprintf(stderr, "stream: error: N_MB: expected 1..1048576\n");
			return DBV_EUSAGE;
		}
		return do_write(mb);
	}
	if (argc == 2 && !strcmp(argv[1], "read"))
		return do_read();
	if (argc == 2 && !strcmp(argv[1], "sink"))
		return do_sink();
	fputs(usage, stderr);
	return DBV_EUSAGE;
}
