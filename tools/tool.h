/*
 * tools/tool.h - process conventions shared by the tools (messages, exit, usage,
 * signals, atomic output files).  Library code never includes this.
 */
#ifndef DBV_TOOL_H
#define DBV_TOOL_H

#include "dbv.h"

/* Tool conventions (tools/ use these)                                  */
/* ------------------------------------------------------------------ */
/* Set the program name used in messages, fix the BLAS core, install
 * exit handlers.  Call first in main(). */
void dbv_tool_init(const char *name, char **argv);
const char *dbv_tool_name(void);
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
int dbv_output_commit(void);
void dbv_output_abort(void);
/* Open an input path ("-" or NULL = stdin). */
int dbv_input_open(const char *path, int *fd);

#endif /* DBV_TOOL_H */
