/*
 * tool.c - what every dbv program shares: its name in messages, exit
 * codes, --version, output files written atomically, input opening.
 * This is the one module that knows about the process (signals, files,
 * exit); it still never prints except through the dbv_tool_* calls that
 * exist to print.
 */
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <libgen.h>
#include <msgpack.h>
#include <png.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "tool.h"

static const char *tool_name = "dbv";
static char **tool_argv; /* the command line as typed (before getopt) */
static int tool_argc;

/*
 * Temporary files being written (FILE.tmp.PID.N): every one is removed
 * when the program exits or dies of a catchable signal before committing
 * it.  The signal handler reads this table, so entries are published with
 * atomic stores and never freed while listed.
 */
#define MAX_TEMPS 64
static char *temps[MAX_TEMPS];
static unsigned temp_seq;

static struct dbv_atomic main_out = {.fd = -1, .slot = -1};

const char *dbv_tool_name(void)
{
	return tool_name;
}

int dbv_tool_argc(void)
{
	return tool_argc;
}

char **dbv_tool_argv(void)
{
	return tool_argv;
}

static void remove_temps(void)
{
	for (int i = 0; i < MAX_TEMPS; i++) {
		char *t = __atomic_exchange_n(&temps[i], NULL, __ATOMIC_SEQ_CST);
		if (t) {
			unlink(t);
			free(t);
		}
	}
}

static const int fatal_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM,
	SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPIPE,
};

static void on_fatal_signal(int sig)
{
	/* Only async-signal-safe calls here: unlink, signal, raise. */
	for (int i = 0; i < MAX_TEMPS; i++) {
		char *t = __atomic_load_n(&temps[i], __ATOMIC_SEQ_CST);
		if (t)
			unlink(t);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* SIGINT and SIGTERM once dbv_tool_on_interrupt took them over: the
 * first one's number goes to the flag, later ones are ignored (a second
 * Ctrl-C does not cut the checkpoint being written). */
static volatile sig_atomic_t *interrupt_flag;

static void on_interrupt(int sig)
{
	if (!*interrupt_flag)
		*interrupt_flag = sig;
}

void dbv_tool_on_interrupt(volatile sig_atomic_t *flag)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	interrupt_flag = flag;
	sa.sa_handler = on_interrupt;
	sa.sa_flags = SA_RESTART; /* reads and writes go on */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void dbv_tool_exit_signal(int sig)
{
	dbv_output_abort();
	remove_temps();
	/* Die of the signal (exit status 128 + sig), so that a shell
	 * running this stops too. */
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* Descriptors 0-2 closed by the caller (`<&-`) would be taken by the
 * first files opened, which would then be read as standard input or
 * written as standard output: hold them open on /dev/null. */
static void guard_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int k = open("/dev/null", fd ? O_WRONLY : O_RDONLY);
			if (k >= 0 && k != fd)
				close(k);
		}
}

void dbv_tool_init(const char *name, char **argv)
{
	struct sigaction sa;

	tool_name = name;
	guard_std_fds();
	/* getopt_long permutes argv: keep the command as typed for the
	 * "pipeline" of output headers. */
	while (argv && argv[tool_argc])
		tool_argc++;
	tool_argv = calloc((size_t)tool_argc + 1, sizeof *tool_argv);
	if (tool_argv && tool_argc)
		memcpy(tool_argv, argv, (size_t)tool_argc * sizeof *argv);
	else if (!tool_argv)
		tool_argc = 0;
	/* A closed pipe downstream ends the program quietly (like cat),
	 * even when a parent left SIGPIPE ignored; temporaries go first. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
		sigaction(fatal_signals[i], &sa, NULL);
	atexit(remove_temps);
	dbv_blas_fix_core(argv);
}

static int temp_register(const char *tmp)
{
	char *copy = strdup(tmp);

	if (!copy)
		return -1;
	for (int i = 0; i < MAX_TEMPS; i++) {
		char *none = NULL;
		if (__atomic_compare_exchange_n(&temps[i], &none, copy, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return i;
	}
	free(copy);
	return -1;
}

static void temp_forget(int slot, int remove)
{
	char *t;

	if (slot < 0)
		return;
	t = __atomic_exchange_n(&temps[slot], NULL, __ATOMIC_SEQ_CST);
	if (t && remove)
		unlink(t);
	free(t);
}

int dbv_atomic_open(struct dbv_atomic *a, const char *path, int *fd)
{
	struct stat st;
	size_t n;

	memset(a, 0, sizeof *a);
	a->fd = -1;
	a->slot = -1;
	if (!(a->path = dbv_strdup(path)))
		return DBV_EIO;
	/* Not a regular file (/dev/null, a FIFO, a terminal) or a symbolic
	 * link: write to it directly.  Renaming over it would replace the
	 * device or the link itself; a link is written through (truncating
	 * its target). */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		a->fd = open(path, O_WRONLY | O_CLOEXEC |
				   (S_ISLNK(st.st_mode) ? O_CREAT | O_TRUNC : 0), 0666);
		if (a->fd < 0) {
			int e = errno;
			dbv_atomic_abort(a);
			return dbv_seterr(DBV_EIO, "cannot write '%s': %s", path,
					  strerror(e));
		}
		a->direct = 1;
		*fd = a->fd;
		return DBV_OK;
	}
	/* FILE.tmp.PID.N in the same directory, renamed on commit: a killed
	 * or failed run never leaves a half file under FILE, and two outputs
	 * of one process never share a temporary name. */
	n = strlen(path) + 48;
	if (!(a->tmp = dbv_malloc(n))) {
		dbv_atomic_abort(a);
		return DBV_EIO;
	}
	snprintf(a->tmp, n, "%s.tmp.%ld.%u", path, (long)getpid(),
		 __atomic_fetch_add(&temp_seq, 1, __ATOMIC_RELAXED));
	/* Listed before it exists, so a signal in between cannot leave it. */
	if ((a->slot = temp_register(a->tmp)) < 0) {
		dbv_atomic_abort(a);
		return dbv_seterr(DBV_EIO, "cannot write '%s': too many open outputs",
				  path);
	}
	a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (a->fd < 0) {
		int e = errno;
		dbv_atomic_abort(a);
		return dbv_seterr(DBV_EIO, "cannot write '%s': %s", path,
				  strerror(e));
	}
	*fd = a->fd;
	return DBV_OK;
}

int dbv_atomic_commit(struct dbv_atomic *a)
{
	int rc = DBV_OK;

	/* No fsync: the rename after close is what makes a killed run
	 * harmless; power loss is out of scope. */
	if (a->fd >= 0 && close(a->fd))
		rc = dbv_seterr(DBV_EIO, "cannot write '%s': %s", a->path,
				strerror(errno));
	a->fd = -1;
	if (!rc && !a->direct && a->tmp && rename(a->tmp, a->path))
		rc = dbv_seterr(DBV_EIO, "cannot rename to '%s': %s", a->path,
				strerror(errno));
	temp_forget(a->slot, rc != DBV_OK);
	a->slot = -1;
	free(a->tmp);
	free(a->path);
	a->tmp = a->path = NULL;
	return rc;
}

void dbv_atomic_abort(struct dbv_atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	temp_forget(a->slot, 1);
	a->slot = -1;
	free(a->tmp);
	free(a->path);
	a->tmp = a->path = NULL;
}

int dbv_write_file_atomic(const char *path, int (*fn)(int fd, void *arg),
			  void *arg)
{
	struct dbv_atomic a;
	int fd, rc;

	if ((rc = dbv_atomic_open(&a, path, &fd)))
		return rc;
	if ((rc = fn(fd, arg))) {
		dbv_atomic_abort(&a);
		return rc;
	}
	return dbv_atomic_commit(&a);
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

int dbv_tool_getopt(int argc, char **argv, const char *shortopts,
		    const struct option *longopts)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c == ':')
		dbv_tool_usage("option '%s' needs a value (see --help)",
			       argv[optind - 1]);
	if (c != '?')
		return c;
	const char *word = optind >= 1 && optind <= argc ? argv[optind - 1] : "?";
	if (!strncmp(word, "--", 2) && word[2]) {
		size_t n = strcspn(word + 2, "=");
		char list[600] = "";
		size_t used = 0;
		int k = 0;
		for (const struct option *o = longopts; o && o->name; o++)
			if (!strncmp(o->name, word + 2, n)) {
				int w = snprintf(list + used, sizeof list - used,
						 "%s--%s", k ? ", " : "", o->name);
				if (w > 0 && (size_t)w < sizeof list - used)
					used += (size_t)w;
				k++;
			}
		if (k > 1)
			dbv_tool_usage("option '%.*s' is ambiguous: %s (see --help)",
				       (int)(n + 2), word, list);
		for (const struct option *o = longopts; o && o->name; o++)
			if (!strncmp(o->name, word + 2, n) &&
			    o->has_arg == no_argument && word[2 + n] == '=')
				dbv_tool_usage("option '--%s' takes no value (see --help)",
					       o->name);
	}
	dbv_tool_usage("unknown option '%s' (see --help)", word);
}

void dbv_tool_exit_ok(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		dbv_tool_error("write error on standard output: %s",
			       strerror(errno ? errno : EIO));
		exit(DBV_EIO);
	}
	exit(0);
}

double dbv_tool_estimate_seconds(void)
{
	const char *v = getenv("DBV_ESTIMATE_SECONDS");
	double s = 2;

	if (v && *v && dbv_parse_double(v, 0.01, 600, &s))
		dbv_tool_usage("DBV_ESTIMATE_SECONDS: %s", dbv_errmsg());
	return s;
}

void dbv_tool_estimate_exit(const struct dbv_estimate *e)
{
	dbv_estimate_json(stdout, e);
	dbv_tool_exit_ok();
}

void dbv_tool_help(const char *usage)
{
	fputs(usage, stdout);
	dbv_tool_exit_ok();
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
	int rc;

	if (!path || !strcmp(path, "-")) {
		if (binary && !force && isatty(1))
			return dbv_seterr(DBV_EUSAGE,
					  "refusing to write a binary stream to a terminal: redirect it, pipe it (e.g. into dbv-inspect) or use -o FILE");
		*fd = 1;
		main_out.fd = 1;
		main_out.direct = 1;
		return DBV_OK;
	}
	if ((rc = dbv_atomic_open(&main_out, path, fd)))
		return rc;
	if (binary && !force && isatty(*fd)) {
		dbv_atomic_abort(&main_out);
		return dbv_seterr(DBV_EUSAGE,
				  "refusing to write a binary stream to a terminal ('%s')",
				  path);
	}
	return DBV_OK;
}

int dbv_output_commit(void)
{
	if (main_out.fd < 0)
		return DBV_OK;
	if (main_out.fd == 1) {
		/* Data written with write(2); stdio may hold text output. */
		if (fflush(stdout) || ferror(stdout))
			return dbv_seterr(DBV_EIO, "write error on standard output");
		main_out.fd = -1;
		return DBV_OK;
	}
	return dbv_atomic_commit(&main_out);
}

void dbv_output_abort(void)
{
	if (main_out.fd == 1) {
		main_out.fd = -1;
		return;
	}
	dbv_atomic_abort(&main_out);
}

/* ---- helpers shared by dbv-render and dbv-chart ---- */

char **dbv_tool_split_list(char **old, const char *s, size_t *n)
{
	size_t k = 1, len = strlen(s);
	free(old);
	for (const char *p = s; *p; p++)
		k += *p == ',';
	char **v = dbv_malloc(k * sizeof *v + len + 1);
	if (!v)
		dbv_tool_die(DBV_EIO);
	char *buf = memcpy(v + k, s, len + 1);
	for (size_t i = 0; i < k; i++, buf += strlen(buf) + 1) {
		v[i] = buf;
		buf[strcspn(buf, ",")] = 0;
	}
	*n = k;
	return v;
}

int64_t dbv_tool_num(const char *opt, int64_t lo, int64_t hi)
{
	int64_t v;
	dbv_tool_check(dbv_parse_i64(optarg, lo, hi, &v), opt);
	return v;
}

int dbv_tool_pick(const char *opt, const char *const *names, int n,
		  const char *list)
{
	for (int k = 0; k < n; k++)
		if (!strcmp(optarg, names[k]))
			return k;
	dbv_tool_usage("%s: '%s' is not %s", opt, optarg, list);
}

int dbv_tool_out_is_dir(const char *out)
{
	struct stat st;
	size_t n = out ? strlen(out) : 0;
	if (!out || !strcmp(out, "-"))
		return 0;
	return (n && out[n - 1] == '/') || (stat(out, &st) == 0 && S_ISDIR(st.st_mode));
}

void dbv_tool_png_tty(const char *out)
{
	if ((!out || !strcmp(out, "-")) && isatty(1))
		dbv_tool_usage("refusing to write PNG to a terminal: use -o "
			       "FILE.png or redirect standard output");
}

int dbv_tool_picture_format(const char *out, const char *fmt)
{
	static const char *const names[] = {"png", "svg"};
	const char *dot = out ? strrchr(out, '.') : NULL;
	int ext = -1, f = -1;

	for (int k = 0; k < 2; k++) {
		if (fmt && !strcmp(fmt, names[k]))
			f = k;
		if (dot && !strchr(dot, '/') && !strcasecmp(dot + 1, names[k]))
			ext = k;
	}
	if (fmt && f < 0)
		dbv_tool_usage("--format: '%s' is not png or svg", fmt);
	/* Standard output and directories of plane-NNNN files: --format
	 * or PNG. */
	if (!out || !strcmp(out, "-") || dbv_tool_out_is_dir(out))
		return f < 0 ? DBV_PICTURE_PNG : f;
	if (f >= 0 && ext >= 0 && f != ext)
		dbv_tool_usage("-o: '%s' names a %s file, --format asks for %s",
			       out, names[ext], names[f]);
	if (f < 0 && ext < 0)
		dbv_tool_usage("-o: '%s': the picture formats are PNG and SVG: "
			       "name it .png or .svg, or give --format", out);
	return f >= 0 ? f : ext;
}

int dbv_tool_write_picture(const struct dbv_canvas *cv, const char *path,
			   const char *out, const char *title)
{
	struct dbv_atomic a;
	int fd, rc = path ? dbv_atomic_open(&a, path, &fd)
			  : dbv_output_open(out, !cv->vector, 0, &fd);
	if (rc)
		return rc;
	rc = dbv_canvas_write_fd(cv, fd, path ? path : out ? out : "standard output",
				 title && title[0] ? title : NULL);
	if (rc && path)
		dbv_atomic_abort(&a);
	else if (!rc)
		rc = path ? dbv_atomic_commit(&a) : dbv_output_commit();
	return rc;
}

int dbv_tool_rewindable(int *fd, off_t *start, int *copied)
{
	char buf[1 << 16];
	ssize_t k = 1;
	FILE *t;

	if ((*start = lseek(*fd, 0, SEEK_CUR)) >= 0)
		return DBV_OK;
	if ((t = tmpfile()))
		while ((k = read(*fd, buf, sizeof buf)) > 0 || (k < 0 && errno == EINTR))
			if (k > 0 && fwrite(buf, 1, (size_t)k, t) != (size_t)k)
				break;
	if (!t || k || fflush(t) || lseek(fileno(t), 0, SEEK_SET) < 0)
		return dbv_seterr(DBV_EIO, "cannot copy the input to a temporary "
				  "file: %s", strerror(errno));
	if (*fd > 0)
		close(*fd);
	*fd = fileno(t); /* t stays open while the process lives */
	*start = 0;
	*copied = 1;
	return DBV_OK;
}

int dbv_tool_open_reader(const char *file, off_t *start, int *copied, int *fd,
			 struct dbv_reader **r)
{
	int rc = dbv_input_open(file, fd);
	*r = NULL;
	if (!rc && start)
		rc = dbv_tool_rewindable(fd, start, copied);
	if (!rc && !(*r = dbv_reader_new(*fd, file ? file : "-")))
		rc = DBV_EIO;
	return rc;
}

int dbv_tool_exec(const char *name, char **argv, int fd, off_t start,
		  const char *input)
{
	char exe[4096];
	ssize_t n;
	if (fd >= 0 && (lseek(fd, start, SEEK_SET) < 0 || (fd != 0 && dup2(fd, 0) < 0)))
		return dbv_seterr(DBV_EIO, "cannot rewind %s: %s", input,
				  strerror(errno));
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 32)) > 0) {
		exe[n] = 0;
		snprintf(strrchr(exe, '/') + 1, 32, "%s", name);
		execv(exe, argv);
	}
	execvp(name, argv);
	return dbv_seterr(DBV_EIO, "cannot run %s: %s", name, strerror(errno));
}

int dbv_tool_read_pred_table(struct dbv_reader *r, const char *name, int pred,
			     int chart)
{
	const char *kind;
	char tool[4 * 64 + 1];
	int rc = dbv_reader_header(r, NULL, NULL);
	if (rc)
		return rc;
	kind = dbv_reader_kind(r);
	if (pred && chart && !strcmp(kind, "pred"))
		return dbv_seterr(DBV_EUSAGE, "%s is a pred stream: --chart, --x, "
				  "--y, --by, --logx, --value and --scale draw table "
				  "streams (dbv-compare)", name);
	if (!strcmp(kind, "table") || (pred && !strcmp(kind, "pred")))
		return DBV_OK;
	return dbv_seterr(DBV_EINPUT, "%s: expected %sa table stream (dbv-compare), "
			  "got a %s stream (from %s)", name,
			  pred ? "a pred stream (dbv-predict) or " : "", kind,
			  dbv_reader_tool(r, tool, sizeof tool));
}

/* ---- hardening ---- */

/* What a path names: an existing file's device and inode; for a path
 * not there yet, its directory's and its last component (so that two
 * outputs of one name are one file before either exists).  "-" is
 * standard input, named when it is a regular file.  0: nothing to
 * compare (NULL, a device, a FIFO, a directory that cannot be read). */
struct file_id {
	dev_t dev;
	ino_t ino;
	const char *base; /* NULL: an existing file */
};

static int file_id(const char *path, struct file_id *id)
{
	struct stat st;
	char *dir, *slash;
	int ok;

	memset(id, 0, sizeof *id);
	if (!path)
		return 0;
	if (!strcmp(path, "-")) {
		if (fstat(0, &st) || !S_ISREG(st.st_mode))
			return 0;
	} else if (stat(path, &st) == 0) {
		/* Only a regular file is replaced: a device or FIFO is
		 * written as it is (dbv_atomic_open). */
		if (!S_ISREG(st.st_mode))
			return 0;
	} else {
		if (!(dir = strdup(path)))
			return 0;
		slash = strrchr(dir, '/');
		id->base = slash ? path + (slash - dir) + 1 : path;
		if (slash)
			slash[1] = 0;
		ok = stat(slash ? dir : ".", &st) == 0;
		free(dir);
		if (!ok)
			return 0;
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return 1;
}

int dbv_tool_same_file(const char *a, const char *b)
{
	struct file_id x, y;

	if (!file_id(a, &x) || !file_id(b, &y) || x.dev != y.dev ||
	    x.ino != y.ino || !x.base != !y.base)
		return 0;
	return !x.base || !strcmp(x.base, y.base);
}

void dbv_tool_apart(const char *opt, const char *out,
		    const char *const *named, size_t n)
{
	/* Standard output is not renamed over anything. */
	if (!out || !strcmp(out, "-"))
		return;
	for (size_t i = 0; i < n; i++) {
		const char *what = named[2 * i], *path = named[2 * i + 1];
		if (!dbv_tool_same_file(out, path))
			continue;
		if (!strcmp(path, "-"))
			dbv_tool_usage("%s '%s' is the same file as %s (standard input): it would be overwritten",
				       opt, out, what);
		dbv_tool_usage("%s '%s' is the same file as %s '%s': it would be overwritten",
			       opt, out, what, path);
	}
}
