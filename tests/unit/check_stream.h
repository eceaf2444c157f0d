/*
 * check_stream.h - stream files for the unit tests of the stream kinds:
 * write one into the test's scratch directory, read it back, check a
 * reader's "NAME: record N (byte B): ..." message.  Include after
 * check.h; set check_stream_dir first (check_tmpdir()).
 */
#ifndef DBV_CHECK_STREAM_H
#define DBV_CHECK_STREAM_H
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const char *check_stream_dir;
static char check_stream_path[700]; /* the file last opened */

/* A writer on DIR/name (truncated). */
static inline struct dbv_writer *wopen(const char *name, int *fd)
{
	snprintf(check_stream_path, sizeof check_stream_path, "%s/%s",
		 check_stream_dir, name);
	*fd = open(check_stream_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(*fd >= 0);
	return dbv_writer_new(*fd, "test");
}

/* Finish the stream, free the writer, close the file. */
static inline void wclose(struct dbv_writer *w, int fd)
{
	CHECK_OK(dbv_writer_finish(w));
	dbv_writer_free(w);
	close(fd);
}

/* A reader on DIR/name, named by its path. */
static inline struct dbv_reader *ropen(const char *name, int *fd)
{
	snprintf(check_stream_path, sizeof check_stream_path, "%s/%s",
		 check_stream_dir, name);
	*fd = open(check_stream_path, O_RDONLY);
	CHECK(*fd >= 0);
	return dbv_reader_new(*fd, check_stream_path);
}

/* The last error is "PATH: record REC (byte B): ...WANT..." for the file
 * last opened (B = 0 at the header of its first stream, > 0 after). */
static inline void check_msg(unsigned long long rec, const char *want)
{
	char pre[800];
	unsigned long long n = 0, b = 0;
	const char *m = dbv_errmsg();
	int k = snprintf(pre, sizeof pre, "%s: record ", check_stream_path);

	CHECK(strncmp(m, pre, (size_t)k) == 0);
	CHECK(sscanf(m + k, "%llu (byte %llu): ", &n, &b) == 2);
	CHECK_EQ_INT(n, rec);
	CHECK(rec == 0 ? b == 0 : b > 0);
	CHECK(strstr(m, want) != NULL);
	if (strncmp(m, pre, (size_t)k) || !strstr(m, want))
		fprintf(stderr, "  message: %s\n  wanted: %s\n", m, want);
}

#endif /* DBV_CHECK_STREAM_H */
