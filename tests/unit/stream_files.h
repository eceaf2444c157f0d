/*
 * stream_files.h - streams as files in the unit tests' scratch directory,
 * for the tests of the stream kinds: writing one, reading one, and the
 * one message format of a record's failure.  Include after check.h; set
 * files_dir = check_tmpdir() first.
 */
#ifndef DBV_STREAM_FILES_H
#define DBV_STREAM_FILES_H
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const char *files_dir;

/* NAME in the scratch directory (the last 8 stay valid). */
static char *path_of(const char *name)
{
	static char buf[8][600];
	static int k;
	char *p = buf[k++ % 8];
	snprintf(p, 600, "%s/%s", files_dir, name);
	return p;
}

/* One file written at a time: wopen, dbv_w_*..., wclose. */
static int wfd = -1;

static struct dbv_writer *wopen(const char *name)
{
	wfd = open(path_of(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (wfd < 0)
		abort();
	return dbv_writer_new(wfd, "test");
}

static void wclose(struct dbv_writer *w)
{
	CHECK_OK(dbv_writer_finish(w));
	dbv_writer_free(w);
	close(wfd);
}

struct rd {
	int fd;
	struct dbv_reader *r;
};

/* A reader of NAME, named by its path in messages. */
static struct dbv_reader *ropen(struct rd *rd, const char *name)
{
	rd->fd = open(path_of(name), O_RDONLY);
	if (rd->fd < 0)
		abort();
	rd->r = dbv_reader_new(rd->fd, path_of(name));
	return rd->r;
}

static void rclose(struct rd *rd)
{
	dbv_reader_free(rd->r);
	close(rd->fd);
}

/* Is the message "PATH: record N (byte B): " and then body? */
static int msg_is(const char *name, int record, const char *body)
{
	char want[800];
	const char *m = dbv_errmsg(), *b;
	snprintf(want, sizeof want, "%s: record %d (byte ", path_of(name), record);
	if (strncmp(m, want, strlen(want)) || !(b = strstr(m, "): ")) ||
	    strncmp(b + 3, body, strlen(body))) {
		fprintf(stderr, "message: %s\nwanted:  %s...): %s\n", m, want, body);
		return 0;
	}
	return 1;
}
#endif
