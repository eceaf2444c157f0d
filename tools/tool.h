/*
 * tools/tool.h - process conventions shared by the tools (messages, exit, usage,
 * signals, atomic output files).  Library code never includes this.
 */
#ifndef DBV_TOOL_H
#define DBV_TOOL_H

#include <getopt.h>
#include <signal.h>

#include "dbv.h"
#include "base/json.h"

/* Tool conventions (tools/ use these)                                  */
/* ------------------------------------------------------------------ */
/* Set the program name used in messages, keep a copy of argv as typed,
 * hold descriptors 0-2 open (on /dev/null when the caller closed them),
 * remove temporary files at exit and on every catchable terminating
 * signal, fix the BLAS core.  Call first in main(). */
void dbv_tool_init(const char *name, char **argv);
const char *dbv_tool_name(void);
/* The command line as typed (getopt_long reorders argv): what output
 * headers record as this program's "pipeline" entry. */
int dbv_tool_argc(void);
char **dbv_tool_argv(void);
/* getopt_long with the tools' one set of usage errors (exit 2): a
 * missing value, an unknown option, an ambiguous prefix (naming the
 * candidates), a value given to a flag.  shortopts must start with ':'. */
int dbv_tool_getopt(int argc, char **argv, const char *shortopts,
		    const struct option *longopts);
/* Exit 0 after flushing standard output; exit 4 with a message when it
 * cannot be written (--help > /dev/full).  dbv_tool_help prints usage
 * first. */
__attribute__((noreturn)) void dbv_tool_exit_ok(void);
__attribute__((noreturn)) void dbv_tool_help(const char *usage);
/* Print "name: error: msg" to stderr. */
void dbv_tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void dbv_tool_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the failure message and exit with code. */
__attribute__((noreturn)) void dbv_tool_die(int code);
/* Command-line mistakes: print "name: error: msg" and exit DBV_EUSAGE
 * (2).  dbv_tool_bad_value: "OPT: " and the library's message (a value
 * that did not parse); dbv_tool_check: that, when rc is not 0. */
__attribute__((noreturn, format(printf, 1, 2)))
void dbv_tool_usage(const char *fmt, ...);
__attribute__((noreturn)) void dbv_tool_bad_value(const char *opt);
void dbv_tool_check(int rc, const char *opt);
/* The option being parsed as the user typed it ("--batch" or
 * "--batch=0"), for messages; call with getopt's optind and optarg. */
const char *dbv_tool_optname(char *const *argv, int optind_,
			     const char *optarg_);
/* Take SIGINT and SIGTERM over: from now on they store their number in
 * *flag (the first one only) instead of ending the program; the other
 * terminating signals still remove temporaries and kill. */
void dbv_tool_on_interrupt(volatile sig_atomic_t *flag);
/* Remove -o's and every other temporary, then die of signal sig (exit
 * status 128 + sig). */
__attribute__((noreturn)) void dbv_tool_exit_signal(int sig);
/* Print --version text to stdout. */
void dbv_tool_version(void);
/* --estimate: how long to measure, DBV_ESTIMATE_SECONDS (0.01 to 600;
 * default 2; a bad value is a usage error). */
double dbv_tool_estimate_seconds(void);
/* Print the estimate as one JSON line on stdout and exit 0. */
__attribute__((noreturn)) void dbv_tool_estimate_exit(const struct dbv_estimate *e);

/*
 * Output: -o FILE (written to a temporary name in the same directory and
 * renamed by dbv_output_commit) or stdout ("-" or NULL).  Refuses a binary
 * stream to a terminal unless force.  On exit without commit the temporary
 * file is removed.
 */
int dbv_output_open(const char *path, int binary, int force, int *fd);
/* The one atomic-file writer (used by -o, PNG directories, checkpoints):
 * open writes FILE.tmp.PID.N beside FILE (or FILE itself when it is not
 * a regular file: a device, FIFO or link), commit closes and renames it,
 * abort removes it; an uncommitted temporary is removed at exit and on
 * any catchable terminating signal. */
struct dbv_atomic {
	char *path, *tmp;
	int fd, direct, slot;
};
int dbv_atomic_open(struct dbv_atomic *a, const char *path, int *fd);
int dbv_atomic_commit(struct dbv_atomic *a);
void dbv_atomic_abort(struct dbv_atomic *a);
/* Open, fn(fd, arg), commit (abort when fn fails). */
int dbv_write_file_atomic(const char *path, int (*fn)(int fd, void *arg),
			  void *arg);
int dbv_output_commit(void);
void dbv_output_abort(void);
/* Open an input path ("-" or NULL = stdin). */
int dbv_input_open(const char *path, int *fd);

/* ---- hardening ---- */

/* Whether paths a and b name one file: the same device and inode, or,
 * for paths not there yet, the same name in the same directory.  "-" is
 * standard input (when it is a regular file); NULL names nothing. */
int dbv_tool_same_file(const char *a, const char *b);
/* At start-up, before any work: refuse (usage, exit 2) when the output
 * out, given as option opt ("-o"), names the same regular file as one of
 * n others, named[2 i] describing named[2 i + 1] ("the input", "-"; NULL
 * paths are skipped): writing out would replace it. */
void dbv_tool_apart(const char *opt, const char *out,
		    const char *const *named, size_t n);

#endif /* DBV_TOOL_H */

/* ---- helpers shared by dbv-render and dbv-chart ---- */
#include <sys/types.h>

/* Split "a,b,,c" at its commas into *n strings (empty ones kept), all in
 * one allocation: free the array alone.  old: the list it replaces (an
 * option given again), freed; or NULL.  Exits 4 without memory. */
char **dbv_tool_split_list(char **old, const char *s, size_t *n);
/* The value of the option being parsed (optarg): an integer lo..hi, else
 * a usage error "OPT: ..." (exit 2). */
int64_t dbv_tool_num(const char *opt, int64_t lo, int64_t hi);
/* The value of the option being parsed: the index of one of the n names,
 * else the usage error "OPT: 'VALUE' is not LIST" (exit 2). */
int dbv_tool_pick(const char *opt, const char *const *names, int n,
		  const char *list);
/* Does -o name a directory: "DIR/" or an existing one?  (NULL, "-": no.) */
int dbv_tool_out_is_dir(const char *out);
/* A PNG to standard output (out NULL or "-") when that is a terminal:
 * the usage error that refuses it (exit 2). */
void dbv_tool_png_tty(const char *out);
/* The format of a picture written to out (-o: a file, a directory of
 * plane-NNNN files, or NULL or "-" for standard output) with --format
 * fmt (NULL: none): fmt; else for a file its extension, .png or .svg in
 * any case; else PNG.  Usage errors (exit 2): fmt not png or svg, a
 * file named neither without --format, a .png or .svg file that fmt
 * contradicts. */
enum { DBV_PICTURE_PNG, DBV_PICTURE_SVG };
int dbv_tool_picture_format(const char *out, const char *fmt);
/* Write the picture drawn on cv (PNG, or SVG when cv->vector), with the
 * title (PNG tEXt Title, SVG <title>) when not NULL or "", atomically to
 * path, or when path is NULL to the -o output out (dbv_output_open,
 * dbv_output_commit; NULL or "-": standard output). */
int dbv_tool_write_picture(const struct dbv_canvas *cv, const char *path,
			   const char *out, const char *title);
/* The input *fd from where it starts, for a program run after this one
 * (dbv_tool_exec): *start its offset; for a pipe, which cannot be
 * rewound, a temporary copy of what is left of it replaces *fd (*start
 * 0, *copied 1; the copy stays open while the process lives). */
int dbv_tool_rewindable(int *fd, off_t *start, int *copied);
/* The input file (NULL or "-": standard input) and a reader of it, named
 * file (or "-"); with start not NULL, made rewindable first
 * (dbv_tool_rewindable).  Release: dbv_reader_free, then close *fd when
 * > 0. */
int dbv_tool_open_reader(const char *file, off_t *start, int *copied, int *fd,
			 struct dbv_reader **r);
/* Replace this process by the dbv program `name` (the one beside this
 * program's executable, else the one on PATH) with argv; with fd >= 0,
 * its standard input is fd rewound to start (input: fd's name in
 * messages).  Returns only on failure (DBV_EIO). */
int dbv_tool_exec(const char *name, char **argv, int fd, off_t start,
		  const char *input);
/* Read the header of dbv-render's and dbv-chart's input: a table stream,
 * or with pred also a pred stream, else DBV_EINPUT "NAME: expected a
 * table stream (dbv-compare), got a KIND stream (from TOOL)" (or "a pred
 * stream (dbv-predict) or a table stream"); with chart (a chart option
 * given), a pred stream is the usage error (DBV_EUSAGE) that says so. */
int dbv_tool_read_pred_table(struct dbv_reader *r, const char *name, int pred,
			     int chart);
