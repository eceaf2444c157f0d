/*
 * dbv.h - the one public header of libdbv.
 *
 * dbv studies neural-network decision boundaries with small programs that
 * pass msgpack tensor streams through pipes.  This header is everything the
 * programs in tools/ may use.
 *
 * Conventions:
 *   - Functions that can fail return an int status: DBV_OK (0) or one of the
 *     DBV_E* codes below, which are also the tools' exit codes.  On failure a
 *     one-line message is left in a thread-local buffer, read with
 *     dbv_errmsg().  The library never prints and never exits.
 *   - Sizes are size_t; every size computed from input goes through the
 *     overflow-checked helpers dbv_mul_size()/dbv_add_size().
 *   - Randomness is an explicit struct dbv_rng passed by pointer.
 */
#ifndef DBV_H
#define DBV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DBV_VERSION "0.1.0"
#define DBV_STREAM_MAJOR 1
#define DBV_STREAM_MINOR 0

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
/* Bitwise reference implementation (slow; for tests). */
uint32_t dbv_crc32c_ref(uint32_t crc, const void *buf, size_t n);

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
/* Decoded values (a read-only view of one msgpack object)             */
/* ------------------------------------------------------------------ */
typedef struct dbv_val dbv_val; /* opaque; valid until the next read */

enum dbv_vtype {
	DBV_V_NIL, DBV_V_BOOL, DBV_V_INT, DBV_V_FLOAT, DBV_V_STR, DBV_V_BIN,
	DBV_V_ARRAY, DBV_V_MAP, DBV_V_EXT
};
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
/* After DBV_END: 1 when the input is at EOF, 0 when another stream
 * follows (then dbv_reader_header may be called again). Negative
 * status on read errors. */
int dbv_reader_at_eof(struct dbv_reader *r);
/* The header of the current stream and its parts. */
const dbv_val *dbv_reader_meta(const struct dbv_reader *r);
const dbv_val *dbv_reader_pipeline(const struct dbv_reader *r);
/* After DBV_END: the verified "end" record (valid until the next read). */
const dbv_val *dbv_reader_trailer(const struct dbv_reader *r);
const char *dbv_reader_kind(const struct dbv_reader *r);
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
/* BLAS                                                                */
/* ------------------------------------------------------------------ */
/*
 * Threads.  dbv's layers, models, optimizers, batch making and dbv_sgemm
 * compute with dbv_threads() threads (a pool of dbv's own, lib/par.c) and
 * run OpenBLAS single-threaded inside them (OpenBLAS's own workers would
 * spin while dbv's loops run).  Work is split statically: the same thread
 * count gives bit-identical results; another count may round differently.
 * The default is the number of CPUs the process may use; the tools set
 * it from --threads.  dbv_blas_set_threads is the same call as
 * dbv_threads_set (kept for its callers).  The library's functions may
 * be called from several threads; their parallel parts then take turns.
 */
#define DBV_THREADS_MAX 256
void dbv_threads_set(int n); /* clamped to [1, DBV_THREADS_MAX] */
int dbv_threads(void);
void dbv_blas_set_threads(int n);
/* Row-major C = alpha*op(A)*op(B) + beta*C, op = transpose when tX;
 * large products are split across dbv_threads() threads. */
void dbv_sgemm(int ta, int tb, int m, int n, int k, float alpha,
	       const float *a, int lda, const float *b, int ldb, float beta,
	       float *c, int ldc);
/* Naive reference (double accumulation). */
void dbv_sgemm_ref(int ta, int tb, int m, int n, int k, float alpha,
		   const float *a, int lda, const float *b, int ldb,
		   float beta, float *c, int ldc);
/*
 * OpenBLAS core type.  Debian's OpenBLAS may misdetect a new CPU and run
 * its slowest kernels.  dbv_blas_fix_core(argv) re-executes the program
 * once with OPENBLAS_CORETYPE set to the best core the CPU supports, when
 * the user has not set it and the library runs a generic core.  Call it
 * first thing in main(); it returns only when no re-exec happened.
 */
void dbv_blas_fix_core(char **argv);
/* One line: "OpenBLAS 0.3.21, core SkylakeX (set by dbv; ...)". */
const char *dbv_blas_describe(void);
const char *dbv_blas_corename(void);
/* The OPENBLAS_CORETYPE value dbv_blas_fix_core would choose on this CPU
 * when OpenBLAS runs the core `corename` ("SKYLAKEX", "HASWELL",
 * "SANDYBRIDGE"), or NULL when that core is as good as the CPU allows or
 * is one dbv leaves alone.  Pure; for tests and diagnostics. */
const char *dbv_blas_better_core(const char *corename);

/* ------------------------------------------------------------------ */
/* Data sets                                                           */
/* ------------------------------------------------------------------ */
/*
 * An in-memory labelled image set: n items of c*h*w u8 pixels (NCHW),
 * labels in [0, nclasses).
 */
struct dbv_dataset {
	char *name;       /* "fashion-mnist", "cifar10", ...          */
	char *split;      /* "train" / "test" / "files"               */
	int64_t n, c, h, w;
	int nclasses;
	char **class_names; /* nclasses strings                       */
	uint8_t *x;       /* n*c*h*w                                  */
	int32_t *y;       /* noisy (= true unless noise applied)      */
	int32_t *y_true;  /* true labels                              */
	int64_t *idx;     /* index in the original split              */
	double mean[4], std[4]; /* per channel, pixel/255 units        */
};

/* Known data-set names: "fashion-mnist", "mnist", "cifar10", "cifar100". */
int dbv_dataset_known(const char *name);
/* Default directory of a data set (e.g. /usr/share/datasets/fashion-mnist). */
const char *dbv_dataset_default_dir(const char *name);
/* The files dbv_dataset_load reads for a named split from dir (NULL =
 * default dir), in order: IDX images then labels (".gz" preferred over
 * plain), or the CIFAR batch files.  Checks that they exist.  *files is
 * one allocation: free(*files) releases the array and its strings. */
int dbv_dataset_files(const char *name, const char *dir, const char *split,
		      char ***files, size_t *nfiles);
/* Load a named data set's split ("train"/"test") from dir. */
int dbv_dataset_load(struct dbv_dataset *d, const char *name,
		     const char *dir, const char *split);
/* Load IDX image + label files (plain or .gz). */
int dbv_dataset_load_idx(struct dbv_dataset *d, const char *images,
			 const char *labels);
/* Load CIFAR binary files (label_bytes 1 = CIFAR-10, 2 = CIFAR-100 fine). */
int dbv_dataset_load_cifar(struct dbv_dataset *d, char *const *files,
			   size_t nfiles, int label_bytes);
/* Per-channel mean and std of d's pixels (in [0,1] units) into d. */
void dbv_dataset_stats(struct dbv_dataset *d);
/* Keep only the items whose index in the current order is listed in
 * keep[0..nkeep) (in that order). */
int dbv_dataset_select(struct dbv_dataset *d, const int64_t *keep,
		       size_t nkeep);
/* Keep items of the listed classes, relabelled 0..n-1 in list order. */
int dbv_dataset_filter_classes(struct dbv_dataset *d, const int64_t *cls,
			       size_t ncls);
/* Label noise: exactly round(p*n_c) items of each class c get a label
 * drawn uniformly from the other classes.  y_true keeps the originals. */
int dbv_dataset_label_noise(struct dbv_dataset *d, double p, uint64_t seed);
void dbv_dataset_release(struct dbv_dataset *d);

/* ------------------------------------------------------------------ */
/* Layers: forward/backward pairs                                      */
/* ------------------------------------------------------------------ */
/*
 * Activation layouts (float32):
 *   spatial: [C, N, H, W] ("CNHW": each channel's values for the whole
 *            batch are contiguous, so a convolution over the batch is one
 *            gemm per chunk and batch norm reduces over contiguous rows);
 *   flat:    [N, F] row-major.
 * Parameters use PyTorch's layouts: conv weight [Cout, Cin, k, k], linear
 * weight [Out, In], so they can be exchanged with state_dict tensors.
 * Backward functions ADD into every gradient they produce (dx and
 * parameter gradients alike); callers zero them.  A NULL gradient pointer
 * means "not needed".
 */
struct dbv_conv {
	int cin, cout, k, stride, pad;
	int h, w;   /* input spatial size  */
	int oh, ow; /* output spatial size */
};
/* Fills oh/ow; DBV_EUSAGE when the output would be empty. */
int dbv_conv_init(struct dbv_conv *c, int cin, int cout, int k, int stride,
		  int pad, int h, int w);
/* Floats of scratch the conv functions need for a batch of n. */
size_t dbv_conv_scratch(const struct dbv_conv *c, int n);
/* x [cin,n,h,w], wt [cout,cin*k*k], b [cout] or NULL -> y [cout,n,oh,ow]. */
void dbv_conv_forward(const struct dbv_conv *c, int n, const float *x,
		      const float *wt, const float *b, float *y, float *scratch);
void dbv_conv_backward(const struct dbv_conv *c, int n, const float *x,
		       const float *wt, const float *dy, float *dx, float *dwt,
		       float *db, float *scratch);
/* The same, dx overwritten instead of added into (see the _set forms
 * below). */
void dbv_conv_backward_set(const struct dbv_conv *c, int n, const float *x,
			   const float *wt, const float *dy, float *dx,
			   float *dwt, float *db, float *scratch);
/* Floats of scratch dbv_conv_forward alone needs (no more than
 * dbv_conv_scratch; evaluation reserves only this). */
size_t dbv_conv_scratch_fwd(const struct dbv_conv *c, int n);
/*
 * The direct kernels (lib/conv3.c): 3x3, stride 1, padding 1, AVX-512, no
 * im2col, for the forward pass, dx (the convolution of dy with the
 * kernels transposed and turned) and dwt (+=).  dbv_conv_forward and the
 * backward functions use them by themselves when dbv_conv_is_direct3(c):
 * the shape fits, the CPU has AVX-512F and DBV_CONV=gemm is not in the
 * environment (read once).  dbv_conv_direct_force(0 or 1)
 * overrides the environment (tests, benches; -1 restores it); 1 still
 * needs the CPU.  dbv_conv_scratch and _fwd cover both paths wherever
 * the CPU could run the direct kernels, so the setting may change between
 * sizing the scratch and using it.  dbv_conv_describe says which kernels
 * run (--version).
 * dbv_conv3_forward needs dbv_conv3_scratch(c, 0) floats of scratch,
 * dbv_conv3_backward_dx dbv_conv3_scratch(c, 1); the latter adds into dx,
 * or overwrites it when set.
 */
int dbv_conv_direct_cpu(void);
int dbv_conv_is_direct3(const struct dbv_conv *c);
void dbv_conv_direct_force(int mode);
const char *dbv_conv_describe(void);
size_t dbv_conv3_scratch(const struct dbv_conv *c, int dx);
void dbv_conv3_forward(const struct dbv_conv *c, int n, const float *x,
		       const float *wt, const float *b, float *y,
		       float *scratch);
void dbv_conv3_backward_dx(const struct dbv_conv *c, int n, const float *dy,
			   const float *wt, float *dx, float *scratch,
			   int set);
void dbv_conv3_backward_dw(const struct dbv_conv *c, int n, const float *x,
			   const float *dy, float *dwt);
/* Direct (naive) references for the tests. */
void dbv_conv_forward_ref(const struct dbv_conv *c, int n, const float *x,
			  const float *wt, const float *b, float *y);
void dbv_conv_backward_ref(const struct dbv_conv *c, int n, const float *x,
			   const float *wt, const float *dy, float *dx,
			   float *dwt, float *db);

/* x [n,in], wt [out,in], b [out] or NULL -> y [n,out]. */
void dbv_linear_forward(int n, int in, int out, const float *x,
			const float *wt, const float *b, float *y);
void dbv_linear_backward(int n, int in, int out, const float *x,
			 const float *wt, const float *dy, float *dx,
			 float *dwt, float *db);

/*
 * Batch norm over [C, M] (M = n*h*w per channel, contiguous).  Training:
 * normalise with the batch mean and biased variance, save mean and
 * 1/sqrt(var+eps) per channel for backward, and update running averages
 * as PyTorch does: r = (1-momentum)*r + momentum*stat, with the unbiased
 * variance M/(M-1)*var for running_var.  Eval: use the running averages.
 */
void dbv_bn_forward_train(int c, size_t m, const float *x, const float *gamma,
			  const float *beta, float *y, float *save_mean,
			  float *save_invstd, float *run_mean, float *run_var,
			  float momentum, float eps);
void dbv_bn_forward_eval(int c, size_t m, const float *x, const float *gamma,
			 const float *beta, float *y, const float *run_mean,
			 const float *run_var, float eps);
void dbv_bn_backward(int c, size_t m, const float *x, const float *gamma,
		     const float *save_mean, const float *save_invstd,
		     const float *dy, float *dx, float *dgamma, float *dbeta);
/*
 * Batch norm with a ReLU fused after it, for a BN output read by the ReLU
 * alone: one pass, the ReLU's output y written, the BN's never made.
 * The forward forms give the values of the BN forward followed by
 * dbv_relu_forward; the backward takes the ReLU's y and dy and gives what
 * dbv_relu_backward_set followed by the BN backward would (set: dx
 * overwritten, as the _set forms below), bit for bit.
 */
void dbv_bn_relu_forward_train(int c, size_t m, const float *x,
			       const float *gamma, const float *beta, float *y,
			       float *save_mean, float *save_invstd,
			       float *run_mean, float *run_var, float momentum,
			       float eps);
void dbv_bn_relu_forward_eval(int c, size_t m, const float *x,
			      const float *gamma, const float *beta, float *y,
			      const float *run_mean, const float *run_var,
			      float eps);
/* Evaluation BN, ReLU and 2x2 max pool in one pass ([c, n, h, w] ->
 * [c, n, h/2, w/2]): the values of the three ops. */
void dbv_bn_relu_maxpool2_forward_eval(int c, int n, int h, int w,
				       const float *x, const float *gamma,
				       const float *beta, float *y,
				       const float *run_mean,
				       const float *run_var, float eps);
void dbv_bn_relu_backward(int c, size_t m, const float *x,
			  const float *gamma, const float *save_mean,
			  const float *save_invstd, const float *y,
			  const float *dy, float *dx, float *dgamma,
			  float *dbeta, int set);
/*
 * The _set forms of the backward functions overwrite dx instead of adding
 * into it (every element written, zeros included): for an activation
 * gradient with one producer, which then needs no zeroing first.
 */
void dbv_bn_backward_set(int c, size_t m, const float *x, const float *gamma,
			 const float *save_mean, const float *save_invstd,
			 const float *dy, float *dx, float *dgamma,
			 float *dbeta);

/* y = max(x, 0); backward uses y (dx += dy where y > 0). */
void dbv_relu_forward(size_t n, const float *x, float *y);
void dbv_relu_backward(size_t n, const float *y, const float *dy, float *dx);
void dbv_relu_backward_set(size_t n, const float *y, const float *dy,
			   float *dx);
/* 2x2 max pool, stride 2, floor: [c*n, h, w] -> [c*n, h/2, w/2].  Ties go
 * to the first maximum in row-major window order (as PyTorch). */
void dbv_maxpool2_forward(size_t planes, int h, int w, const float *x,
			  float *y);
void dbv_maxpool2_backward(size_t planes, int h, int w, const float *x,
			   const float *dy, float *dx);
void dbv_maxpool2_backward_set(size_t planes, int h, int w, const float *x,
			       const float *dy, float *dx);
/* Global pools: [c, n, h, w] -> flat [n, c]. */
void dbv_gap_forward(int c, int n, int hw, const float *x, float *y);
void dbv_gap_backward(int c, int n, int hw, const float *dy, float *dx);
void dbv_gmp_forward(int c, int n, int hw, const float *x, float *y);
void dbv_gmp_backward(int c, int n, int hw, const float *x, const float *dy,
		      float *dx);
/* Layout changes: [n, c, hw] <-> [c, n, hw]. */
void dbv_nchw_to_cnhw(int n, int c, int hw, const float *x, float *y);
void dbv_cnhw_to_nchw(int c, int n, int hw, const float *x, float *y);
/*
 * Softmax cross-entropy, mean over the batch: logits [n, k], labels in
 * [0,k).  Returns the loss (double accumulation); writes the gradient of
 * the mean loss into dlogits (overwrites) when non-NULL; counts correct
 * argmax predictions into *correct when non-NULL.
 */
double dbv_softmax_xent(int n, int k, const float *logits,
			const int32_t *labels, float *dlogits, int *correct);

/* ------------------------------------------------------------------ */
/* Models                                                              */
/* ------------------------------------------------------------------ */
/*
 * Architectures by name with a width dial (see dbv-train(1)):
 *   mlp      input -> depth x [Linear(width) ReLU] -> Linear(classes)
 *   fcnet    input -> 1024 -> 512 -> 256 -> 64 -> classes, ReLU between
 *   cnn5     conv3x3(K)+BN+ReLU; conv(2K)+BN+ReLU+pool; conv(4K)+BN+ReLU+
 *            pool; conv(8K)+BN+ReLU+pool; global max pool; linear
 *   resnet18 pre-activation ResNet-18, widths K,2K,4K,8K
 *   vgg11    VGG-11 scaled by K/64, global average pool, linear
 * Parameters are named like PyTorch state_dict keys of the module
 * structure documented in dbv-train(1) and laid out as PyTorch does.
 */
struct dbv_arch {
	char name[16];
	int width, depth; /* depth: mlp only */
	int c, h, w;      /* input item shape */
	int classes;
};

enum dbv_param_kind {
	DBV_P_WEIGHT,    /* conv/linear weight: trained, decayed   */
	DBV_P_BIAS,      /* conv/linear bias                        */
	DBV_P_BN_WEIGHT, /* BN gamma                                */
	DBV_P_BN_BIAS,   /* BN beta                                 */
	DBV_P_BUFFER,    /* running mean/var: not trained           */
	DBV_P_COUNTER,   /* num_batches_tracked (stored as a float
			    count, written as an i64 scalar)        */
};

struct dbv_param {
	char name[64];
	enum dbv_param_kind kind;
	int ndim;
	int64_t shape[4];
	size_t offset; /* into dbv_model.p and .g */
	size_t numel;
	int fan_in;    /* for initialisation */
};

struct dbv_op; /* private: one node of the model's graph */

struct dbv_model {
	struct dbv_arch arch;
	size_t nparams;
	struct dbv_param *params;
	size_t total;  /* floats in p and g */
	float *p;      /* all parameters and buffers, one allocation */
	float *g;      /* all gradients, same offsets, one allocation */
	int nops;
	struct dbv_op *ops;
	int nslots;
	size_t *slot_size; /* floats per item of each activation slot */
	int *slot_flat;    /* 1: [n,F] layout, 0: [C,n,H,W]            */
	int *slot_uses;    /* ops reading each slot (in or in2)        */
	int *slot_last;    /* the last op reading each slot, or -1     */
	int batch;     /* activations are allocated for this batch    */
	int eval_only; /* reserved by dbv_model_reserve_eval           */
	int no_fuse;   /* 1: BN and ReLU run apart (tests compare)      */
	float **act, **dact;
	float *arena;  /* eval_only: the shared activation buffers     */
	float *scratch;
	size_t scratch_size;
	float *bn_save; /* per-BN saved mean/invstd for backward */
};

/* Build the graph and the parameter table; allocate p and g (zeroed). */
int dbv_model_build(struct dbv_model *m, const struct dbv_arch *a);
/* PyTorch's default initialisation with dbv's PRNG: conv and linear
 * weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (what
 * kaiming_uniform_(a=sqrt(5)) gives), BN weight 1, bias 0, running mean 0,
 * var 1.  Parameters are filled in table order. */
void dbv_model_init(struct dbv_model *m, uint64_t seed);
/* Find a parameter by name (NULL when absent). */
struct dbv_param *dbv_model_param(struct dbv_model *m, const char *name);
/* Allocate activations for batches of up to n items. */
int dbv_model_reserve(struct dbv_model *m, int n);
/* The same for forward passes with train = 0 only (prediction): slots
 * whose lives do not overlap share memory, and no gradients are made.
 * cnn5 K=16 at 256 items: 77 MB instead of 182 MB.  A later
 * dbv_model_reserve replaces it. */
int dbv_model_reserve_eval(struct dbv_model *m, int n);
/* Forward pass on n normalised items x [n, c, h, w] (NCHW).  train: BN
 * uses batch statistics and updates running averages.  Returns the logits
 * [n, classes] (inside the model; valid until the next call); NULL for
 * train = 1 after dbv_model_reserve_eval. */
const float *dbv_model_forward(struct dbv_model *m, const float *x, int n,
			       int train);
/* Backward from dlogits [n, classes]; ADDS into m->g (zero it first with
 * dbv_model_zero_grad).  Needs the preceding forward with train = 1. */
void dbv_model_backward(struct dbv_model *m, const float *dlogits, int n);
void dbv_model_zero_grad(struct dbv_model *m);
size_t dbv_model_count(const struct dbv_model *m, int trainable_only);
void dbv_model_release(struct dbv_model *m);

/* ------------------------------------------------------------------ */
/* Training                                                            */
/* ------------------------------------------------------------------ */
#define DBV_MAX_MILESTONES 16

struct dbv_train_cfg {
	char optim[8];      /* "sgd", "adam", "adamw"                  */
	double lr, momentum, weight_decay;
	int nesterov;
	double beta1, beta2, adam_eps;
	char schedule[8];   /* "constant", "step", "cosine"            */
	int nmilestones;
	int64_t milestones[DBV_MAX_MILESTONES]; /* epochs */
	double gamma;       /* step factor                             */
	double warmup;      /* epochs of linear warm-up (0: none)      */
	int epochs, batch;
	int crop_pad;       /* random crop with this zero padding (0: off) */
	int flip;           /* random horizontal flip                  */
	uint64_t seed, data_seed;
	int threads;
};

/* Defaults: SGD lr 0.1 momentum 0.9, no decay, constant, 10 epochs,
 * batch 128, no augmentation, seeds 0, 2 threads. */
void dbv_train_cfg_default(struct dbv_train_cfg *c);
/* Checks ranges and combinations; DBV_EUSAGE with a message. */
int dbv_train_cfg_check(const struct dbv_train_cfg *c);
/* Learning rate of the update after batch b of epoch e (both from 0),
 * nb batches per epoch (see lib/train.c for the formulas). */
double dbv_train_lr(const struct dbv_train_cfg *c, int64_t e, int64_t b,
		    int64_t nb);

/* Optimizer state: one or two moment buffers over all of m->p. */
struct dbv_optim {
	float *m1, *m2;
	int64_t step;
};
int dbv_optim_init(struct dbv_optim *o, const struct dbv_model *m,
		   const struct dbv_train_cfg *c);
/* One update of every trainable parameter from m->g, as PyTorch's SGD
 * (momentum, dampening 0, nesterov, L2 weight decay), Adam (L2 decay added
 * to the gradient) or AdamW (decoupled decay) with learning rate lr. */
void dbv_optim_step(struct dbv_optim *o, struct dbv_model *m,
		    const struct dbv_train_cfg *c, double lr);
void dbv_optim_release(struct dbv_optim *o);

/*
 * Make a float batch from u8 images: gather items idx[0..n) of src
 * ([N, c, h, w]), apply the augmentation (when rng is non-NULL: for each
 * item in order, crop offsets dy = below(2p+1), dx = below(2p+1), then
 * flip = below(2)), scale to [0,1] and normalise per channel:
 * (v/255 - mean[ch]) / std[ch].  Out: [n, c, h, w].
 */
void dbv_make_batch(const uint8_t *src, int c, int h, int w,
		    const int64_t *idx, int n, const double *mean,
		    const double *std, int crop_pad, int flip,
		    struct dbv_rng *rng, float *out);

/* ---- model streams (kind "model") ---- */
/* Header meta for a model stream: the architecture, classes and
 * normalisation; `extra` pairs are written by the caller after it. */
int dbv_model_write_meta(struct dbv_writer *w, const struct dbv_model *m,
			 char *const *class_names, const double *mean,
			 const double *std);
#define DBV_MODEL_META_PAIRS 11
/* Batch norm constants (PyTorch's defaults), recorded in model meta. */
#define DBV_BN_EPS 1e-5
#define DBV_BN_MOMENTUM 0.1
/* One "param" record per parameter, in table order. */
int dbv_model_write_params(struct dbv_writer *w, const struct dbv_model *m);
/* Read a model stream: build the architecture from the header meta and
 * fill every parameter from the "param" records (all must be present,
 * with matching shapes).  Other record types are skipped.  mean/std get
 * the normalisation (4 entries each); class names are not returned. */
int dbv_model_read(struct dbv_reader *r, struct dbv_model *m, double *mean,
		   double *std);
/* Arch from header meta (used by dbv_model_read). */
int dbv_arch_from_meta(const dbv_val *meta, struct dbv_arch *a);
/* Fill one parameter from a "param" record's tensor. */
int dbv_model_set_param(struct dbv_model *m, const char *name, size_t nlen,
			const struct dbv_tensor *t);

/* ------------------------------------------------------------------ */
/* Planes (see doc/planes.md)                                          */
/* ------------------------------------------------------------------ */
struct dbv_plane {
	size_t dim;            /* C*H*W                                  */
	float *origin, *u, *v; /* dim each, normalised space, owned      */
	double coords[3][2];   /* anchor coordinates (x, y)              */
	int res;               /* points per axis                        */
	double range[4];       /* xmin, xmax, ymin, ymax                 */
};
/* Build the plane through normalised anchors a, b, c (dim floats each):
 * u = (b-a)/|b-a|, v = Gram-Schmidt of c-a, coordinates, grid widened by
 * range_l/range_r times each axis's extent.  DBV_EINPUT for duplicate or
 * collinear anchors, DBV_EUSAGE for res < 2. */
int dbv_plane_make(struct dbv_plane *p, const float *a, const float *b,
		   const float *c, size_t dim, double range_l, double range_r,
		   int res);
/* Grid coordinate of column j / row i (linspace over the range). */
double dbv_plane_x(const struct dbv_plane *p, int j);
double dbv_plane_y(const struct dbv_plane *p, int i);
/* n grid points from flat index k = i*res + j on: out [n, dim] =
 * origin + x_j*u + y_i*v (normalised space). */
void dbv_plane_points(const struct dbv_plane *p, size_t k, size_t n,
		      float *out);
void dbv_plane_release(struct dbv_plane *p);
/* Read a "plane" (or "pred") record's geometry; shapes must be c*h*w. */
int dbv_plane_from_record(struct dbv_plane *p, const dbv_val *rec, int c,
			  int h, int w);
/* out = (x/255 - mean[ch])/std[ch] for n items of c channels of hw
 * values; x is u8 or f32 in pixel units. */
void dbv_normalise(const void *x, enum dbv_dtype dt, size_t n, int c,
		   size_t hw, const double *mean, const double *std,
		   float *out);

/* ------------------------------------------------------------------ */
/* Metrics                                                             */
/* ------------------------------------------------------------------ */
/* Fraction of the n labels where a and b agree (the paper's
 * reproducibility score of one plane). */
double dbv_agreement(const int32_t *a, const int32_t *b, size_t n);
/* Per-class intersection over union of the regions of a and b, averaged
 * over the classes present in a or b (k classes; labels in [0,k)). */
double dbv_class_iou(const int32_t *a, const int32_t *b, size_t n, int k);
/* Fragmentation: the number of 8-connected regions of equal label on a
 * rows x cols grid (summed over classes).  scratch: rows*cols int32. */
int64_t dbv_fragments(const int32_t *labels, int rows, int cols,
		      int32_t *scratch);
/* Mean and (n-1) standard deviation of v[0..n). */
void dbv_mean_std(const double *v, size_t n, double *mean, double *std);
/* Percentile bootstrap 95% interval of the mean of v[0..n): reps
 * resamples with replacement drawn by dbv_rng(seed); interval = the
 * 2.5th and 97.5th percentiles (nearest rank) of the resampled means;
 * NaN when n == 0 or reps < 1. */
int dbv_bootstrap_ci(const double *v, size_t n, int reps, uint64_t seed,
		     double *lo, double *hi);

/* ------------------------------------------------------------------ */
/* Images (lib/image.c): an RGB8 canvas, drawing, text, PNG            */
/* ------------------------------------------------------------------ */
/*
 * Pixel (x, y) of a canvas is rgb[3*(y*w + x)] .. +2 (red, green, blue),
 * row 0 at the TOP as in PNG.  Drawing calls clip to the canvas, so shapes
 * may hang over its edges.  Coordinates of shapes are in pixels; the
 * centre of pixel (x, y) is (x + 0.5, y + 0.5).
 */
struct dbv_rgb {
	uint8_t r, g, b;
};
#define DBV_RGB(hex) ((struct dbv_rgb){(uint8_t)((hex) >> 16 & 255), \
				       (uint8_t)((hex) >> 8 & 255),  \
				       (uint8_t)((hex) & 255)})
#define DBV_WHITE DBV_RGB(0xffffff)
#define DBV_BLACK DBV_RGB(0x000000)

struct dbv_image {
	int w, h;
	uint8_t *rgb; /* h rows of w pixels, 3 bytes each; owned */
};
#define DBV_IMAGE_MAX_SIDE 32767

/* Allocate a w x h canvas filled with bg; DBV_EUSAGE for a side outside
 * 1..DBV_IMAGE_MAX_SIDE, DBV_EIO without memory. */
int dbv_image_init(struct dbv_image *im, int w, int h, struct dbv_rgb bg);
void dbv_image_release(struct dbv_image *im);
/* Pixel access; get wants (x, y) inside, set ignores pixels outside. */
struct dbv_rgb dbv_image_get(const struct dbv_image *im, int x, int y);
void dbv_image_set(struct dbv_image *im, int x, int y, struct dbv_rgb c);
/* a + (b - a)*t per channel, rounded to nearest; t in [0, 1]. */
struct dbv_rgb dbv_rgb_mix(struct dbv_rgb a, struct dbv_rgb b, double t);

/* The w x h rectangle with top-left pixel (x, y). */
void dbv_image_fill_rect(struct dbv_image *im, int x, int y, int w, int h,
			 struct dbv_rgb c);
/* Its border, t pixels thick, drawn inside the rectangle. */
void dbv_image_frame(struct dbv_image *im, int x, int y, int w, int h,
		     int t, struct dbv_rgb c);
/* A line between pixel centres (Bresenham), t pixels thick (square pen). */
void dbv_image_line(struct dbv_image *im, int x0, int y0, int x1, int y1,
		    int t, struct dbv_rgb c);
/* Copy src scaled to w x h with top-left at (x, y), nearest neighbour:
 * pixel (x+i, y+j) gets src pixel (floor(i*src->w/w), floor(j*src->h/h)). */
void dbv_image_blit(struct dbv_image *dst, int x, int y, int w, int h,
		    const struct dbv_image *src);

/*
 * Markers centred on (cx, cy), anti-aliased (4x4 samples a pixel):
 * filled with `fill` inside a border of `edge` `ow` pixels wide.  r is the
 * size: the circle's radius, the triangle's circumradius (it points up,
 * centred on its centroid), the cross's half diagonal (an "x" of two bars
 * r*0.55 wide), the square's and diamond's half side / half diagonal.
 */
enum dbv_marker {
	DBV_MARKER_CIRCLE, DBV_MARKER_TRIANGLE, DBV_MARKER_CROSS,
	DBV_MARKER_SQUARE, DBV_MARKER_DIAMOND
};
void dbv_image_marker(struct dbv_image *im, enum dbv_marker m, double cx,
		      double cy, double r, double ow, struct dbv_rgb fill,
		      struct dbv_rgb edge);

/*
 * The class palette: DBV_PALETTE_SIZE qualitative colours, none near white
 * or black, ordered so that every prefix is as well separated as the list
 * allows (the first 20: CIELAB distance >= 26).  Class k is entry
 * k mod DBV_PALETTE_SIZE (k >= 0).
 */
#define DBV_PALETTE_SIZE 24
struct dbv_rgb dbv_palette(int64_t k);

/*
 * Text: an embedded 5x7 bitmap font (2 more rows for descenders) for
 * ASCII 32..126, scaled by an integer factor.  A glyph's cell is
 * DBV_FONT_ADVANCE x DBV_FONT_LINE pixels at scale 1; (x, y) in
 * dbv_image_text is the top-left of the first cell; capitals occupy rows
 * 0..6 of the cell, descenders rows 7..8.  Other bytes draw as '?' (a
 * UTF-8 sequence as one '?').
 */
#define DBV_FONT_WIDTH 5
#define DBV_FONT_ROWS 9
#define DBV_FONT_ASCENT 7
#define DBV_FONT_ADVANCE 6
#define DBV_FONT_LINE 11
/* The 9 rows of a glyph, bit 4 = leftmost column; '?' for others. */
const uint8_t *dbv_font_glyph(int ch);
/* Width in pixels of s at scale (advance x characters, less the last
 * column of spacing); 0 for "". */
int dbv_text_width(const char *s, int scale);
/* Shorten s in place, ending it with "..", until it fits w pixels at
 * scale (or is 2 bytes long). */
void dbv_text_fit(char *s, int w, int scale);
void dbv_image_text(struct dbv_image *im, int x, int y, const char *s,
		    int scale, struct dbv_rgb c);
/* The same text turned 90 degrees counter-clockwise (reading upward, the
 * tops of the glyphs to the left): it fills [x, x + DBV_FONT_ROWS*scale)
 * x [y - dbv_text_width(s, scale), y), its first character at the bottom. */
void dbv_image_text_up(struct dbv_image *im, int x, int y, const char *s,
		       int scale, struct dbv_rgb c);

/* An anti-aliased segment from (x0, y0) to (x1, y1) (continuous pixel
 * coordinates), w pixels wide with round ends: each pixel is mixed toward
 * c by the share of its 4x4 samples within w/2 of the segment. */
void dbv_image_stroke(struct dbv_image *im, double x0, double y0, double x1,
		      double y1, double w, struct dbv_rgb c);

/*
 * The sequential colour scale of charts: matplotlib's viridis, 256
 * colours from dark purple (#440154, t = 0) through teal to yellow
 * (#FDE725, t = 1), its lightness (CAM02-UCS) rising monotonically;
 * t is clamped to [0, 1] (NaN to 0) and entry round(255 t) returned.
 */
struct dbv_rgb dbv_viridis(double t);
/* Relative luminance (WCAG 2.x, 0 black .. 1 white) of an sRGB colour. */
double dbv_rgb_luminance(struct dbv_rgb c);
/* Black or white, whichever has the higher WCAG contrast ratio on bg
 * (black when the luminance of bg is at least about 0.179). */
struct dbv_rgb dbv_text_colour_on(struct dbv_rgb bg);

/*
 * PNG: 8-bit RGB, with tEXt "Software" (dbv and its version) and "Title"
 * when title is non-NULL.  No time stamps: the same image gives the same
 * bytes with the same libpng and zlib.  _path writes path.tmp.PID and
 * renames it over path (a failed write leaves no file).
 */
int dbv_image_write_png(const struct dbv_image *im, FILE *f,
			const char *title);
int dbv_image_write_png_path(const struct dbv_image *im, const char *path,
			     const char *title);
/* Read any PNG (palette, grey, 16-bit, alpha: converted to RGB8, alpha
 * dropped).  DBV_EINPUT for a bad file, DBV_EIO when it cannot be read. */
int dbv_image_read_png(struct dbv_image *im, const char *path);

/* ------------------------------------------------------------------ */
/* Charts (lib/chart.c): a heat map and a line chart on a canvas        */
/* ------------------------------------------------------------------ */
/*
 * Ticks at nice numbers: the multiples inside [lo, hi] of the smallest
 * step of 1, 2 or 5 times a power of ten that is at least
 * (hi - lo)/target (so at most target + 1 of them); up to max into t,
 * ascending.  Returns the count (0 for an empty or non-finite range).
 */
int dbv_ticks(double lo, double hi, int target, double *t, int max,
	      double *step);
/* Ticks of a log axis over [lo, hi] (0 < lo < hi): the powers of ten
 * times 1 (level 0), 1, 2, 5 (level 1) or 1 to 9 (level 2) inside it. */
int dbv_log_ticks(double lo, double hi, int level, double *t, int max);
/* A tick's label: as many decimals as the step needs ("0.2", "5",
 * "0.05"); step 0 (log ticks), huge or tiny: %g. */
void dbv_tick_label(double v, double step, char *buf, size_t cap);

/* A square matrix as coloured cells (dbv_viridis over [lo, hi]), each
 * with its value ("0.93", black or white for contrast), labels left of
 * the rows and below the columns, a colour bar with ticks on the right. */
struct dbv_heatmap {
	int n;                  /* rows = columns, >= 1                    */
	char *const *labels;    /* n: rows top to bottom = columns left to right */
	const double *v;        /* n*n, row-major; NaN: "n/a" on grey      */
	int blank_diagonal;     /* leave the diagonal's cells white        */
	double lo, hi;          /* the colour scale's ends, lo < hi        */
	const char *title, *note, *bar_label; /* NULL or "": none         */
	int cell;               /* cell pitch in pixels; 0: the default    */
	int colour_bar;
	int ts;                 /* text scale >= 1                         */
};
int dbv_chart_heatmap(struct dbv_image *im, const struct dbv_heatmap *h);

/* One line of a line chart: n points in drawing order (a non-finite x or
 * y leaves the point out and breaks the line); err NULL or n half-lengths
 * of vertical error bars (0 or NaN: none). */
struct dbv_series {
	const char *label;      /* legend text; NULL or "": not listed     */
	int n;
	const double *x, *y, *err;
};
/* Series k is drawn in dbv_palette(k) with marker k mod 5 (circle,
 * square, triangle, diamond, cross); axes with ticks at nice numbers,
 * light grid lines, a legend to the right. */
struct dbv_linechart {
	int nseries;
	const struct dbv_series *s;
	const char *title, *note, *xlabel, *ylabel;
	int logx;               /* x on a log10 scale (every x > 0)        */
	int w, h;               /* the plot area in pixels                 */
	int legend;
	int ts;                 /* text scale >= 1                         */
};
int dbv_chart_lines(struct dbv_image *im, const struct dbv_linechart *c);

/* ------------------------------------------------------------------ */
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

#endif /* DBV_H */
