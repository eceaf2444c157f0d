/*
 * tool.c - what every dbv program shares: its name in messages, exit
 * codes, --version, output files written atomically, input opening.
 * This is the one module that knows about the process (signals, files,
 * exit); it still never prints except through the dbv_tool_* calls that
 * exist to print.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <msgpack.h>
#include <png.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "tool.h"

static const char *tool_name = "dbv";
static char *out_path;  /* final -o path */
static char *out_tmp;   /* temporary name while writing */
static int out_fd = -1;
static int out_direct; /* -o names a device, FIFO or link: no rename */

const char *dbv_tool_name(void)
{
	return tool_name;
}

static void remove_partial(void)
{
	if (out_tmp) {
		unlink(out_tmp);
		free(out_tmp);
		out_tmp = NULL;
	}
}

static void on_fatal_signal(int sig)
{
	/* Only async-signal-safe calls here. */
	if (out_tmp)
		unlink(out_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

void dbv_tool_init(const char *name, char **argv)
{
	tool_name = name;
	/* A closed pipe downstream ends the program quietly (like cat), even
	 * when a parent left SIGPIPE ignored. */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, on_fatal_signal);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGHUP, on_fatal_signal);
	atexit(remove_partial);
	dbv_blas_fix_core(argv);
}

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	char buf[1200];
	vsnprintf(buf, sizeof buf, fmt, ap);
	/* One line: fold any newline a message may carry. */
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "%s: %s: %s\n", tool_name, kind, buf);
}

void dbv_tool_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
}

void dbv_tool_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning", fmt, ap);
	va_end(ap);
}

void dbv_tool_die(int code)
{
	const char *m = dbv_errmsg();
	dbv_tool_error("%s", *m ? m : "failed");
	dbv_output_abort();
	exit(code ? code : DBV_EIO);
}

void dbv_tool_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
	exit(DBV_EUSAGE);
}

void dbv_tool_bad_value(const char *opt)
{
	dbv_tool_usage("%s: %s", opt, dbv_errmsg());
}

void dbv_tool_check(int rc, const char *opt)
{
	if (rc)
		dbv_tool_bad_value(opt);
}

const char *dbv_tool_optname(char *const *argv, int optind_,
			     const char *optarg_)
{
	/* A value given as a separate word is argv[optind-1]; the option
	 * is the word before it. */
	if (optind_ >= 2 && optarg_ && argv[optind_ - 1] == optarg_)
		return argv[optind_ - 2];
	return optind_ >= 1 ? argv[optind_ - 1] : "?";
}

void dbv_tool_version(void)
{
	printf("%s (dbv) %s, stream format %d.%d\n", tool_name, DBV_VERSION,
	       DBV_STREAM_MAJOR, DBV_STREAM_MINOR);
	printf("BLAS: %s\n", dbv_blas_describe());
	printf("Convolution: %s\n", dbv_conv_describe());
	printf("msgpack-c %s, libpng %s, zlib %s\n", msgpack_version(),
	       png_get_libpng_ver(NULL), zlibVersion());
}

int dbv_input_open(const char *path, int *fd)
{
	if (!path || !strcmp(path, "-")) {
		*fd = 0;
		return DBV_OK;
	}
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return dbv_seterr(DBV_EIO, "cannot open '%s': %s", path,
				  strerror(errno));
	return DBV_OK;
}

int dbv_output_open(const char *path, int binary, int force, int *fd)
{
	if (!path || !strcmp(path, "-")) {
		if (binary && !force && isatty(1))
			return dbv_seterr(DBV_EUSAGE,
					  "refusing to write a binary stream to a terminal: redirect it, pipe it (e.g. into dbv-inspect) or use -o FILE");
		*fd = 1;
		out_fd = 1;
		return DBV_OK;
	}
	/* Not a regular file (/dev/null, a FIFO, a terminal) or a symbolic
	 * link: write to it directly.  Renaming over it would replace the
	 * device or the link itself. */
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* A link is written through (truncating its target). */
		*fd = open(path, O_WRONLY | O_CLOEXEC |
				 (S_ISLNK(st.st_mode) ? O_CREAT | O_TRUNC : 0), 0666);
		if (*fd < 0)
			return dbv_seterr(DBV_EIO, "cannot write '%s': %s", path,
					  strerror(errno));
		if (binary && !force && isatty(*fd)) {
			close(*fd);
			return dbv_seterr(DBV_EUSAGE,
					  "refusing to write a binary stream to a terminal ('%s')",
					  path);
		}
		out_fd = *fd;
		out_direct = 1;
		free(out_path);
		out_path = dbv_strdup(path);
		return out_path ? DBV_OK : DBV_EIO;
	}
	/* Write FILE.tmp.PID in the same directory, rename on success: a
	 * killed or failed run never leaves a half file under FILE. */
	size_t n = strlen(path) + 32;
	free(out_path);
	out_tmp = dbv_malloc(n);
	out_path = dbv_strdup(path);
	if (!out_tmp || !out_path)
		return DBV_EIO;
	snprintf(out_tmp, n, "%s.tmp.%ld", path, (long)getpid());
	*fd = open(out_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (*fd < 0) {
		int e = errno;
		free(out_tmp);
		out_tmp = NULL;
		return dbv_seterr(DBV_EIO, "cannot write '%s': %s", path,
				  strerror(e));
	}
	out_fd = *fd;
	return DBV_OK;
}

int dbv_output_commit(void)
{
	if (out_fd < 0)
		return DBV_OK;
	if (out_fd == 1) {
		/* Data written with write(2); stdio may hold text output. */
		if (fflush(stdout) || ferror(stdout))
			return dbv_seterr(DBV_EIO, "write error on standard output");
		out_fd = -1;
		return DBV_OK;
	}
	/* No fsync: the rename after close is what makes a killed run
	 * harmless; power loss is out of scope. */
	if (close(out_fd))
		return dbv_seterr(DBV_EIO, "cannot write '%s': %s", out_path,
				  strerror(errno));
	out_fd = -1;
	if (out_direct)
		return DBV_OK;
	if (rename(out_tmp, out_path))
		return dbv_seterr(DBV_EIO, "cannot rename to '%s': %s", out_path,
				  strerror(errno));
	free(out_tmp);
	out_tmp = NULL;
	return DBV_OK;
}

void dbv_output_abort(void)
{
	if (out_fd > 1)
		close(out_fd);
	out_fd = -1;
	remove_partial();
}
