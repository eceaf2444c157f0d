/*
 * lib/stream/stream.h - the stream layer: decoded values, the stream writer and reader.
 */
#ifndef DBV_STREAM_H
#define DBV_STREAM_H

#include "base/base.h"

/* ------------------------------------------------------------------ */
/* Decoded values (a read-only view of one msgpack object)             */
/* ------------------------------------------------------------------ */
typedef struct dbv_val dbv_val; /* opaque; valid until the next read */

enum dbv_vtype {
	DBV_V_NIL, DBV_V_BOOL, DBV_V_INT, DBV_V_FLOAT, DBV_V_STR, DBV_V_BIN,
	DBV_V_ARRAY, DBV_V_MAP, DBV_V_EXT,
	DBV_V_NONE /* no value: v is NULL (a key dbv_map_get did not find) */
};
/* Every function below accepts NULL (an absent value) as v or map. */
enum dbv_vtype dbv_val_type(const dbv_val *v);
/* Map lookup by string key; NULL when v is not a map or key is absent. */
const dbv_val *dbv_map_get(const dbv_val *map, const char *key);
/* Map entries by position (i < dbv_val_len). */
const dbv_val *dbv_map_key(const dbv_val *map, size_t i);
const dbv_val *dbv_map_value(const dbv_val *map, size_t i);
/* Length of array/map/str/bin; 0 otherwise. */
size_t dbv_val_len(const dbv_val *v);
const dbv_val *dbv_array_at(const dbv_val *arr, size_t i);
/* Typed reads; return DBV_EINPUT when the type does not fit. */
int dbv_val_i64(const dbv_val *v, int64_t *out);
int dbv_val_u64(const dbv_val *v, uint64_t *out);
int dbv_val_double(const dbv_val *v, double *out); /* int or float */
int dbv_val_bool(const dbv_val *v, int *out);
/* String view (not NUL-terminated). */
int dbv_val_str(const dbv_val *v, const char **s, size_t *len);
/* 1 when v is a string equal to s. */
int dbv_val_is(const dbv_val *v, const char *s);
/* Copy a string value into a new NUL-terminated string. */
int dbv_val_strdup(const dbv_val *v, char **out);
/* Bin view. */
int dbv_val_bin(const dbv_val *v, const void **p, size_t *len);
/* 1 when v is a tensor map (has "dtype", "shape" and "data"). */
int dbv_val_is_tensor(const dbv_val *v);
/* Decode a tensor map into *t, copying data to aligned owned memory. */
int dbv_val_tensor(const dbv_val *v, struct dbv_tensor *t);
/* Convenience: get a key of a map and decode it. */
int dbv_get_tensor(const dbv_val *map, const char *key, struct dbv_tensor *t);
int dbv_get_i64(const dbv_val *map, const char *key, int64_t *out);
int dbv_get_double(const dbv_val *map, const char *key, double *out);

/* ------------------------------------------------------------------ */
/* Stream writer                                                       */
/* ------------------------------------------------------------------ */
/*
 * A stream is msgpack maps back to back: a header, records, a trailer.
 * See man/dbv-stream.5.
 *
 *   w = dbv_writer_new(fd, "dbv-load");
 *   dbv_writer_header_begin(w, "dataset", upstream_pipeline, argc, argv, 3);
 *     ...write 3 meta key/value pairs with dbv_w_*...
 *   dbv_writer_header_end(w);
 *   dbv_writer_record_begin(w, "batch", 4);
 *     ...write 4 key/value pairs...
 *   dbv_writer_record_end(w);
 *   dbv_writer_finish(w);           -- writes the "end" trailer, flushes
 *   dbv_writer_free(w);
 *
 * On failure mid-stream call dbv_writer_fail(w, msg) instead of finish.
 * The writer checks that each record holds exactly the promised number of
 * pairs.  Write errors are sticky: dbv_writer_status() reports them.
 */
struct dbv_writer;

struct dbv_writer *dbv_writer_new(int fd, const char *tool);
/* pipeline: the upstream header's "pipeline" array (or NULL); this tool's
 * own command line (argc/argv) is appended. nmeta: pairs in "meta". */
int dbv_writer_header_begin(struct dbv_writer *w, const char *kind,
			    const dbv_val *pipeline, int argc,
			    char *const *argv, size_t nmeta);
int dbv_writer_header_end(struct dbv_writer *w);
/* Begins a record {"t":type,"seq":n, ...npairs more pairs}. */
int dbv_writer_record_begin(struct dbv_writer *w, const char *type,
			    size_t npairs);
int dbv_writer_record_end(struct dbv_writer *w);
/* Copy a whole decoded record (a pass-through of an unknown type),
 * renumbering its "seq". */
int dbv_writer_copy_record(struct dbv_writer *w, const dbv_val *rec);
int dbv_writer_finish(struct dbv_writer *w);
int dbv_writer_fail(struct dbv_writer *w, const char *msg);
/* Push buffered bytes to the fd (e.g. after a progress record). */
int dbv_writer_flush(struct dbv_writer *w);
int dbv_writer_status(const struct dbv_writer *w);
uint64_t dbv_writer_records(const struct dbv_writer *w);
void dbv_writer_free(struct dbv_writer *w);

/* Value writers (inside header meta or a record). */
int dbv_w_key(struct dbv_writer *w, const char *key); /* = dbv_w_str */
int dbv_w_str(struct dbv_writer *w, const char *s);
int dbv_w_strn(struct dbv_writer *w, const char *s, size_t n);
int dbv_w_i64(struct dbv_writer *w, int64_t v);
int dbv_w_u64(struct dbv_writer *w, uint64_t v);
int dbv_w_f64(struct dbv_writer *w, double v);
int dbv_w_bool(struct dbv_writer *w, int v);
int dbv_w_nil(struct dbv_writer *w);
int dbv_w_array(struct dbv_writer *w, size_t n);
int dbv_w_map(struct dbv_writer *w, size_t n);
int dbv_w_bin(struct dbv_writer *w, const void *p, size_t n);
/* A tensor map {"dtype","shape","data"}. */
int dbv_w_tensor(struct dbv_writer *w, const struct dbv_tensor *t);
int dbv_w_tensor_raw(struct dbv_writer *w, enum dbv_dtype dtype, int ndim,
		     const int64_t *shape, const void *data);
/* Arrays of strings / numbers as msgpack arrays (for short lists only). */
int dbv_w_str_array(struct dbv_writer *w, char *const *s, size_t n);
int dbv_w_f64_array(struct dbv_writer *w, const double *v, size_t n);
int dbv_w_i64_array(struct dbv_writer *w, const int64_t *v, size_t n);
/* Any decoded value (e.g. to pass upstream meta on). */
int dbv_w_val(struct dbv_writer *w, const dbv_val *v);

/* ------------------------------------------------------------------ */
/* Stream reader                                                       */
/* ------------------------------------------------------------------ */
/*
 * r = dbv_reader_new(fd, "-");          -- name used in messages
 * dbv_reader_header(r, "dataset") -> header (kind checked; NULL = any)
 * while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) { ... }
 *   rc == DBV_END: the trailer was read and verified.
 *   otherwise: an error code, message in dbv_errmsg().
 * Values returned stay valid until the next dbv_reader_next call (the
 * header stays valid for the reader's lifetime).
 */
#define DBV_END (-1)
#define DBV_DEFAULT_RECORD_LIMIT ((size_t)256 << 20)

struct dbv_reader;

struct dbv_reader *dbv_reader_new(int fd, const char *name);
void dbv_reader_set_limit(struct dbv_reader *r, size_t max_record_bytes);
/* Reads and checks the header.  kind may be NULL (any kind) or a
 * "|"-separated list of accepted kinds. */
int dbv_reader_header(struct dbv_reader *r, const char *kind,
		      const dbv_val **header);
int dbv_reader_next(struct dbv_reader *r, const dbv_val **rec);
/* After DBV_END: *eof = 1 when the input is at EOF, 0 when another
 * stream follows (then dbv_reader_header may be called again).  Returns
 * DBV_OK, or the read error's status (message in dbv_errmsg). */
int dbv_reader_at_eof(struct dbv_reader *r, int *eof);
/* After DBV_END, for readers of one stream: DBV_OK at EOF; DBV_EINPUT
 * "NAME: another stream follows the KIND stream (TOOL reads one)" when
 * more input follows (what means documented in dbv-stream(5)); the read
 * error's status otherwise.  what: the reading program, for the message. */
int dbv_reader_expect_end(struct dbv_reader *r, const char *what);
/* Fail with code and "NAME: record N (byte B): msg", NAME being the
 * reader's name ("standard input" for "-"), N and B the last record read:
 * the one message format of every check on a stream's content. */
__attribute__((format(printf, 3, 4)))
int dbv_reader_fail(struct dbv_reader *r, int code, const char *fmt, ...);
/* The header of the current stream and its parts. */
const dbv_val *dbv_reader_meta(const struct dbv_reader *r);
const dbv_val *dbv_reader_pipeline(const struct dbv_reader *r);
/* After DBV_END: the verified "end" record (valid until the next read). */
const dbv_val *dbv_reader_trailer(const struct dbv_reader *r);
const char *dbv_reader_kind(const struct dbv_reader *r);
/* The header's "tool" ("?" when none), its first 64 bytes with control
 * characters as \xNN (safe on a terminal), into buf of size bytes. */
const char *dbv_reader_tool(const struct dbv_reader *r, char *buf,
			    size_t size);
/* Record type of rec ("batch", ...); "" when missing. */
const char *dbv_record_type(const dbv_val *rec, size_t *len);
int dbv_record_is(const dbv_val *rec, const char *type);
/* Number of the last record read (header = 0) and its byte offset. */
uint64_t dbv_reader_record_no(const struct dbv_reader *r);
uint64_t dbv_reader_offset(const struct dbv_reader *r);
const char *dbv_reader_name(const struct dbv_reader *r);
void dbv_reader_free(struct dbv_reader *r);

/* Raise the kernel pipe buffer of fd to 1 MiB when fd is a pipe. */
void dbv_pipe_grow(int fd);


/* ------------------------------------------------------------------ */
/* Summaries (lib/stream/summary.c)                                    */
/* ------------------------------------------------------------------ */
/* Min, max and sum of t's elements (as doubles) and their number; a NaN
 * element makes min, max and sum NaN; no elements: min +Inf, max -Inf. */
void dbv_tensor_stats(const struct dbv_tensor *t, double *min, double *max,
		      double *sum, size_t *count);
/* The tensors of one key over a stream's records, stacked along dim 0:
 * shape[0] sums the records' first dimensions while dtype and the other
 * dimensions agree (consistent), and the statistics cover every element. */
#define DBV_SUMMARY_KEYS 32
struct dbv_summary_key {
	char key[64];
	enum dbv_dtype dtype;
	int ndim;
	int64_t shape[DBV_MAX_DIMS];
	int consistent;
	double min, max, sum;
	size_t count;
};
/* Up to DBV_SUMMARY_KEYS keys (later ones are not summarised), in order
 * of first appearance; start from {.n = 0}. */
struct dbv_summary {
	struct dbv_summary_key s[DBV_SUMMARY_KEYS];
	size_t n;
};
/* Add the tensors of rec (its top-level tensor values) to sm. */
void dbv_summary_add(struct dbv_summary *sm, const dbv_val *rec);
/* JSON (dbv-inspect(1) documents the format): any value v, a tensor map
 * summarised as {"dtype","shape","min","max","mean","crc32c"} (no
 * statistics for no elements), a bin as {"bin":bytes}, other keys than
 * strings quoted; the members of map v into the open object; a shape as
 * an array; sm's keys as the members of a "tensors" object. */
struct dbv_json;
void dbv_json_val(struct dbv_json *j, const dbv_val *v);
void dbv_json_members(struct dbv_json *j, const dbv_val *v);
/* A map key as a JSON key (one that is not a string quoted: an integer
 * as its digits, anything else as "?"). */
void dbv_json_mapkey(struct dbv_json *j, const dbv_val *key);
void dbv_json_shape(struct dbv_json *j, const int64_t *shape, int ndim);
void dbv_summary_keys_json(struct dbv_json *j, const struct dbv_summary *sm);

/* ------------------------------------------------------------------ */
/* Tensor values as JSON (lib/stream/values.c, dbv-inspect --values)   */
/* ------------------------------------------------------------------ */
/* The tensors at one top-level key of a stream's records, stacked along
 * their first dimension in record order (row i: item i of a data set),
 * and the rows [a, b) of that stack selected (b < 0: to the end). */
struct dbv_values {
	char spec[96];          /* as given, for messages                  */
	char key[64];
	int64_t a, b;
	int sliced;             /* rows given ([I], [A:B], [A:], [:B])      */
	int64_t rows, records;  /* the stream's so far: rows, records with key */
};
/* Parse "KEY", "KEY[I]", "KEY[A:B]", "KEY[A:]", "KEY[:B]" (decimal rows
 * from 0, B > A); DBV_EUSAGE with a message. */
int dbv_values_parse(const char *spec, struct dbv_values *v);
/* Before each stream: no rows seen yet. */
void dbv_values_start(struct dbv_values *v);
/* When rec (record number no) holds selected rows: one line to j, the
 * record's members with the tensor at the key as {"dtype","shape",
 * "rows":[A,B],"values":[...]} (the rows printed: their shape, their
 * numbers A..B-1 in the stack, values nested as the shape; a scalar: no
 * rows, its value).  DBV_EUSAGE when
 * the key holds no tensor, or a scalar and rows were given. */
int dbv_values_record(struct dbv_json *j, struct dbv_values *v, int64_t no,
		      const dbv_val *rec);
/* After the stream's trailer: DBV_EUSAGE when no record held the key or
 * the rows given are not all there. */
int dbv_values_end(const struct dbv_values *v);

#endif /* DBV_STREAM_H */
