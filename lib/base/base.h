/*
 * lib/base/base.h - the base layer: status codes and messages, checked sizes and allocation,
 * strict parsing, CRC-32C, tensors, the PRNG and the thread count.  Includes nothing of dbv.
 */
#ifndef DBV_BASE_H
#define DBV_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DBV_VERSION "0.1.0"
#define DBV_STREAM_MAJOR 1
#define DBV_STREAM_MINOR 1

/* ------------------------------------------------------------------ */
/* Status codes = exit codes                                           */
/* ------------------------------------------------------------------ */
enum dbv_status {
	DBV_OK = 0,
	DBV_EUSAGE = 2,     /* bad command line or parameters           */
	DBV_EINPUT = 3,     /* bad, truncated or mismatched input       */
	DBV_EIO = 4,        /* I/O or system failure (incl. no memory)  */
	DBV_ENONFINITE = 5, /* non-finite numbers appeared              */
};

/* Message of the last failure in this thread ("" when none). */
const char *dbv_errmsg(void);
/* Set the message (printf format) and return code. */
int dbv_seterr(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prefix the current message with "prefix: " (keeps the code). */
int dbv_preerr(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Overflow-checked size arithmetic: return 0 and set *out, or return
 * DBV_EINPUT with a message when the result does not fit in size_t. */
int dbv_mul_size(size_t a, size_t b, size_t *out);
int dbv_add_size(size_t a, size_t b, size_t *out);

/* Write all n bytes to fd, retrying after EINTR and short writes: the
 * one write loop.  DBV_EIO "write error: REASON" on failure. */
int dbv_write_all(int fd, const void *buf, size_t n);
/* Allocation helpers: NULL with DBV_EIO message on failure. */
void *dbv_malloc(size_t n);
void *dbv_calloc(size_t n, size_t size);
void *dbv_realloc(void *p, size_t n);
/* 64-byte aligned; release with dbv_afree(). */
void *dbv_amalloc(size_t n);
void dbv_afree(void *p);
char *dbv_strdup(const char *s);

/* ------------------------------------------------------------------ */
/* Strict number parsing (whole string, range-checked)                 */
/* ------------------------------------------------------------------ */
int dbv_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
int dbv_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* Finite double in [min, max]. */
int dbv_parse_double(const char *s, double min, double max, double *out);
/* Comma-separated list of integers in [min,max]; *out is malloc'ed. */
int dbv_parse_i64_list(const char *s, int64_t min, int64_t max,
		       int64_t **out, size_t *n);

/* ------------------------------------------------------------------ */
/* CRC-32C (Castagnoli), as used by the stream trailer                 */
/* ------------------------------------------------------------------ */
/* crc = dbv_crc32c(0, buf, n) starts; pass the result to continue.  */
uint32_t dbv_crc32c(uint32_t crc, const void *buf, size_t n);

/* ------------------------------------------------------------------ */
/* Finite numbers                                                      */
/* ------------------------------------------------------------------ */
/* Whether x is finite (neither NaN nor an infinity), and whether it is
 * NaN, tested on the bits (an exponent of all ones): no compiler option
 * (-ffinite-math-only, part of -ffast-math) can fold these away as it
 * may fold isfinite() and isnan().  Every check of input uses them. */
static inline int dbv_finite(double x)
{
	union { double d; uint64_t u; } b = {x};
	return (b.u >> 52 & 0x7ff) != 0x7ff;
}
static inline int dbv_nan(double x)
{
	union { double d; uint64_t u; } b = {x};
	return (b.u >> 52 & 0x7ff) == 0x7ff && (b.u & (((uint64_t)1 << 52) - 1));
}
/* The index of the first of the n floats at v that is not finite (the
 * same test on a float's bits); n when every one is. */
size_t dbv_f32_nonfinite(const float *v, size_t n);

/* ------------------------------------------------------------------ */
/* Tensors                                                             */
/* ------------------------------------------------------------------ */
enum dbv_dtype {
	DBV_U8, DBV_I8, DBV_U16, DBV_I16, DBV_U32, DBV_I32, DBV_I64,
	DBV_F32, DBV_F64, DBV_NDTYPES
};
#define DBV_MAX_DIMS 8

/*
 * A dense little-endian C-order tensor.  `data` is 64-byte aligned when
 * the tensor owns it (dbv_tensor_alloc, reader copies); `owned` tells
 * dbv_tensor_release whether to free it.
 */
struct dbv_tensor {
	enum dbv_dtype dtype;
	int ndim;
	int64_t shape[DBV_MAX_DIMS];
	void *data;
	size_t nbytes;
	int owned;
};

const char *dbv_dtype_name(enum dbv_dtype t);
size_t dbv_dtype_size(enum dbv_dtype t);
/* Code by name ("f32"); -1 when unknown. */
int dbv_dtype_from_name(const char *name, size_t len);
/* Number of elements; checks overflow; shape entries must be >= 0. */
int dbv_shape_numel(const int64_t *shape, int ndim, size_t *numel);
/* Allocate zeroed storage for the given shape. */
int dbv_tensor_alloc(struct dbv_tensor *t, enum dbv_dtype dtype, int ndim,
		     const int64_t *shape);
/* Wrap caller memory (not owned). */
void dbv_tensor_wrap(struct dbv_tensor *t, enum dbv_dtype dtype, int ndim,
		     const int64_t *shape, const void *data);
size_t dbv_tensor_numel(const struct dbv_tensor *t);
void dbv_tensor_release(struct dbv_tensor *t);

/* ------------------------------------------------------------------ */
/* PRNG: xoshiro256** seeded through SplitMix64                        */
/* ------------------------------------------------------------------ */
struct dbv_rng {
	uint64_t s[4];
};
/* Same seed, same sequence on every machine.  Documented in dbv.7. */
void dbv_rng_seed(struct dbv_rng *r, uint64_t seed);
uint64_t dbv_rng_next(struct dbv_rng *r);
/* Uniform integer in [0, n), n >= 1, without modulo bias. */
uint64_t dbv_rng_below(struct dbv_rng *r, uint64_t n);
/* Uniform float in [0, 1) with 24 random bits; double with 53. */
float dbv_rng_float(struct dbv_rng *r);
double dbv_rng_double(struct dbv_rng *r);
/* Standard normal (Box-Muller, one value per call). */
double dbv_rng_normal(struct dbv_rng *r);
/* Fisher-Yates shuffle of n elements of an int64 array. */
void dbv_rng_shuffle_i64(struct dbv_rng *r, int64_t *a, size_t n);


/* ------------------------------------------------------------------ */
/* Threads (lib/base/par.c; the pool itself is in base/par.h)          */
/* ------------------------------------------------------------------ */
/* dbv computes with dbv_threads() threads of its own pool.  The default
 * is the number of CPUs the process may use; tools set it from
 * --threads.  The same count gives bit-identical results. */
#define DBV_THREADS_MAX 256
void dbv_threads_set(int n); /* clamped to [1, DBV_THREADS_MAX] */
int dbv_threads(void);

#endif /* DBV_BASE_H */
