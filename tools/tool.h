/*
 * tools/tool.h - process conventions shared by the tools (messages, exit, usage,
 * signals, atomic output files).  Library code never includes this.
 */
#ifndef DBV_TOOL_H
#define DBV_TOOL_H

#include <getopt.h>

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
/* Print --version text to stdout. */
void dbv_tool_version(void);

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
