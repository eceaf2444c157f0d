/*
 * stream.c - dbv stream format version 1: writer and reader.
 *
 * A stream is msgpack maps back to back, no outer array:
 *
 *   +-----------------------------------------------------------------+
 *   | header  {"t":"dbv","v":[1,0],"kind":K,"tool":T,"pipeline":[..], |
 *   |          "meta":{...}}                                          |
 *   +-----------------------------------------------------------------+
 *   | record  {"t":"batch","seq":1, "x":TENSOR, "y":TENSOR, ...}      |
 *   | record  {"t":"batch","seq":2, ...}                              |
 *   |   ...                                                           |
 *   +-----------------------------------------------------------------+
 *   | trailer {"t":"end","records":N,"counts":{"batch":N},            |
 *   |          "crc":C,"status":"ok"}                                 |
 *   |   or    {"t":"error","tool":T,"msg":M}  (producer failed)       |
 *   +-----------------------------------------------------------------+
 *
 *   TENSOR = {"dtype":"f32","shape":[d0,d1,...],"data":<bin>}
 *            len(data) == prod(shape) * itemsize, little-endian, C order
 *
 * The header's first bytes are the magic: a map header (fixmap 0x8N or
 * map16 0xde xx xx) followed by a1 74 ("t") a3 64 62 76 ("dbv").
 * C is the CRC-32C of the payloads of all bin objects in the records
 * between header and trailer, in stream order.  "seq" counts records
 * from 1.  The full text is man/dbv-stream.5.
 *
 * Reading is done in two steps so that no input can make us allocate
 * without bound: a framing scan (frame_scan) finds where the next record
 * ends by walking msgpack headers, bounding every declared count and
 * length by the record limit; only a complete, bounded record is handed
 * to msgpack-c, which decodes it zero-copy (bin/str point into our
 * buffer).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream/stream.h"

struct dbv_val {
	msgpack_object o;
};

#define O(v) (&(v)->o)
#define V(o) ((const dbv_val *)(o))

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

enum dbv_vtype dbv_val_type(const dbv_val *v)
{
	if (!v)
		return DBV_V_NONE;
	switch (O(v)->type) {
	case MSGPACK_OBJECT_NIL: return DBV_V_NIL;
	case MSGPACK_OBJECT_BOOLEAN: return DBV_V_BOOL;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return DBV_V_INT;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: return DBV_V_FLOAT;
	case MSGPACK_OBJECT_STR: return DBV_V_STR;
	case MSGPACK_OBJECT_BIN: return DBV_V_BIN;
	case MSGPACK_OBJECT_ARRAY: return DBV_V_ARRAY;
	case MSGPACK_OBJECT_MAP: return DBV_V_MAP;
	default: return DBV_V_EXT;
	}
}

static int str_eq(const msgpack_object *o, const char *s)
{
	size_t n = strlen(s);
	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
	       !memcmp(o->via.str.ptr, s, n);
}

const dbv_val *dbv_map_get(const dbv_val *map, const char *key)
{
	if (!map || O(map)->type != MSGPACK_OBJECT_MAP)
		return NULL;
	const msgpack_object_map *m = &O(map)->via.map;
	for (uint32_t i = 0; i < m->size; i++)
		if (str_eq(&m->ptr[i].key, key))
			return V(&m->ptr[i].val);
	return NULL;
}

const dbv_val *dbv_map_key(const dbv_val *map, size_t i)
{
	if (!map || O(map)->type != MSGPACK_OBJECT_MAP || i >= O(map)->via.map.size)
		return NULL;
	return V(&O(map)->via.map.ptr[i].key);
}

const dbv_val *dbv_map_value(const dbv_val *map, size_t i)
{
	if (!map || O(map)->type != MSGPACK_OBJECT_MAP || i >= O(map)->via.map.size)
		return NULL;
	return V(&O(map)->via.map.ptr[i].val);
}

size_t dbv_val_len(const dbv_val *v)
{
	if (!v)
		return 0;
	switch (O(v)->type) {
	case MSGPACK_OBJECT_ARRAY: return O(v)->via.array.size;
	case MSGPACK_OBJECT_MAP: return O(v)->via.map.size;
	case MSGPACK_OBJECT_STR: return O(v)->via.str.size;
	case MSGPACK_OBJECT_BIN: return O(v)->via.bin.size;
	default: return 0;
	}
}

const dbv_val *dbv_array_at(const dbv_val *arr, size_t i)
{
	if (!arr || O(arr)->type != MSGPACK_OBJECT_ARRAY ||
	    i >= O(arr)->via.array.size)
		return NULL;
	return V(&O(arr)->via.array.ptr[i]);
}

int dbv_val_i64(const dbv_val *v, int64_t *out)
{
	if (v && O(v)->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*out = O(v)->via.i64;
		return DBV_OK;
	}
	if (v && O(v)->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    O(v)->via.u64 <= INT64_MAX) {
		*out = (int64_t)O(v)->via.u64;
		return DBV_OK;
	}
	return dbv_seterr(DBV_EINPUT, "expected an integer");
}

int dbv_val_u64(const dbv_val *v, uint64_t *out)
{
	if (v && O(v)->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		*out = O(v)->via.u64;
		return DBV_OK;
	}
	return dbv_seterr(DBV_EINPUT, "expected a non-negative integer");
}

int dbv_val_double(const dbv_val *v, double *out)
{
	int64_t i = 0;
	if (v && (O(v)->type == MSGPACK_OBJECT_FLOAT32 ||
		  O(v)->type == MSGPACK_OBJECT_FLOAT64)) {
		*out = O(v)->via.f64;
		return DBV_OK;
	}
	if (v && O(v)->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		*out = (double)O(v)->via.u64;
		return DBV_OK;
	}
	if (v && dbv_val_i64(v, &i) == DBV_OK) {
		*out = (double)i;
		return DBV_OK;
	}
	return dbv_seterr(DBV_EINPUT, "expected a number");
}

int dbv_val_bool(const dbv_val *v, int *out)
{
	if (!v || O(v)->type != MSGPACK_OBJECT_BOOLEAN)
		return dbv_seterr(DBV_EINPUT, "expected a boolean");
	*out = O(v)->via.boolean;
	return DBV_OK;
}

int dbv_val_str(const dbv_val *v, const char **s, size_t *len)
{
	if (!v || O(v)->type != MSGPACK_OBJECT_STR)
		return dbv_seterr(DBV_EINPUT, "expected a string");
	*s = O(v)->via.str.ptr;
	*len = O(v)->via.str.size;
	return DBV_OK;
}

int dbv_val_is(const dbv_val *v, const char *s)
{
	return v && str_eq(O(v), s);
}

int dbv_val_strdup(const dbv_val *v, char **out)
{
	const char *s = NULL;
	size_t n = 0;
	int rc = dbv_val_str(v, &s, &n);
	if (rc)
		return rc;
	*out = dbv_malloc(n + 1);
	if (!*out)
		return DBV_EIO;
	memcpy(*out, s, n);
	(*out)[n] = 0;
	return DBV_OK;
}

int dbv_val_bin(const dbv_val *v, const void **p, size_t *len)
{
	if (!v || O(v)->type != MSGPACK_OBJECT_BIN)
		return dbv_seterr(DBV_EINPUT, "expected binary data");
	*p = O(v)->via.bin.ptr;
	*len = O(v)->via.bin.size;
	return DBV_OK;
}

int dbv_val_is_tensor(const dbv_val *v)
{
	return v && O(v)->type == MSGPACK_OBJECT_MAP && dbv_map_get(v, "dtype") &&
	       dbv_map_get(v, "shape") && dbv_map_get(v, "data");
}

/* Check a tensor map; fill the header fields of *t (data not copied). */
static int tensor_check(const dbv_val *v, struct dbv_tensor *t,
			const void **payload)
{
	const dbv_val *dt = dbv_map_get(v, "dtype");
	const dbv_val *sh = dbv_map_get(v, "shape");
	const dbv_val *da = dbv_map_get(v, "data");
	const char *s = NULL;
	size_t n = 0, numel = 0, nbytes = 0, blen = 0;
	int code;

	memset(t, 0, sizeof *t);
	if (!dt || !sh || !da)
		return dbv_seterr(DBV_EINPUT,
				  "tensor lacks \"dtype\", \"shape\" or \"data\"");
	if (dbv_val_str(dt, &s, &n) || (code = dbv_dtype_from_name(s, n)) < 0)
		return dbv_seterr(DBV_EINPUT, "tensor has an unknown dtype");
	if (O(sh)->type != MSGPACK_OBJECT_ARRAY ||
	    O(sh)->via.array.size > DBV_MAX_DIMS)
		return dbv_seterr(DBV_EINPUT,
				  "tensor shape is not an array of at most %d integers",
				  DBV_MAX_DIMS);
	t->dtype = (enum dbv_dtype)code;
	t->ndim = (int)O(sh)->via.array.size;
	for (int i = 0; i < t->ndim; i++)
		if (dbv_val_i64(dbv_array_at(sh, (size_t)i), &t->shape[i]) ||
		    t->shape[i] < 0)
			return dbv_seterr(DBV_EINPUT,
					  "tensor shape holds a value that is not a non-negative integer");
	if (dbv_shape_numel(t->shape, t->ndim, &numel) ||
	    dbv_mul_size(numel, dbv_dtype_size(t->dtype), &nbytes))
		return dbv_seterr(DBV_EINPUT, "tensor shape overflows");
	if (dbv_val_bin(da, payload, &blen))
		return dbv_seterr(DBV_EINPUT, "tensor data is not binary");
	if (blen != nbytes) {
		char shp[160];
		size_t o = 0;
		for (int i = 0; i < t->ndim && o < sizeof shp - 24; i++)
			o += (size_t)snprintf(shp + o, sizeof shp - o, "%s%lld",
					      i ? "," : "", (long long)t->shape[i]);
		shp[o] = 0;
		return dbv_seterr(DBV_EINPUT,
				  "tensor data has %zu bytes but %s[%s] needs %zu",
				  blen, dbv_dtype_name(t->dtype), shp, nbytes);
	}
	t->nbytes = nbytes;
	return DBV_OK;
}

int dbv_val_tensor(const dbv_val *v, struct dbv_tensor *t)
{
	const void *payload;
	int rc = tensor_check(v, t, &payload);
	if (rc)
		return rc;
	/* bin payloads sit at arbitrary offsets: copy to aligned memory. */
	t->data = dbv_amalloc(t->nbytes);
	if (!t->data)
		return DBV_EIO;
	memcpy(t->data, payload, t->nbytes);
	t->owned = 1;
	return DBV_OK;
}

int dbv_get_tensor(const dbv_val *map, const char *key, struct dbv_tensor *t)
{
	const dbv_val *v = dbv_map_get(map, key);
	if (!v)
		return dbv_seterr(DBV_EINPUT, "missing tensor \"%s\"", key);
	int rc = dbv_val_tensor(v, t);
	return rc ? dbv_preerr(rc, "\"%s\"", key) : DBV_OK;
}

int dbv_get_i64(const dbv_val *map, const char *key, int64_t *out)
{
	const dbv_val *v = dbv_map_get(map, key);
	if (!v || dbv_val_i64(v, out))
		return dbv_seterr(DBV_EINPUT, "\"%s\" is missing or not an integer",
				  key);
	return DBV_OK;
}

int dbv_get_double(const dbv_val *map, const char *key, double *out)
{
	const dbv_val *v = dbv_map_get(map, key);
	if (!v || dbv_val_double(v, out))
		return dbv_seterr(DBV_EINPUT, "\"%s\" is missing or not a number",
				  key);
	return DBV_OK;
}

/* ------------------------------------------------------------------ */
/* Pipes                                                               */
/* ------------------------------------------------------------------ */

void dbv_pipe_grow(int fd)
{
#ifdef F_SETPIPE_SZ
	/* Moves 3-5x more between two CPUs than the default 64 KiB.  Best
	 * effort: the system limit may be lower, which is fine. */
	if (fcntl(fd, F_GETPIPE_SZ) > 0 && fcntl(fd, F_GETPIPE_SZ) < (1 << 20))
		(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
#else
	(void)fd;
#endif
}

/* ------------------------------------------------------------------ */
/* Record type counts (shared by writer and reader)                    */
/* ------------------------------------------------------------------ */

#define TYPE_LEN 32

/* Records of each type, in order of first appearance; any number of
 * types (a stream holds at most one new type per record). */
struct type_counts {
	size_t n, cap;
	char (*name)[TYPE_LEN];
	uint64_t *count;
	int oom; /* an allocation failed: the counts are incomplete */
};

static void counts_reset(struct type_counts *c)
{
	c->n = 0;
	c->oom = 0;
}

static void counts_free(struct type_counts *c)
{
	free(c->name);
	free(c->count);
	memset(c, 0, sizeof *c);
}

static void counts_add(struct type_counts *c, const char *s, size_t len)
{
	if (len >= TYPE_LEN)
		len = TYPE_LEN - 1;
	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->name[i]) == len && !memcmp(c->name[i], s, len)) {
			c->count[i]++;
			return;
		}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		char (*name)[TYPE_LEN] = realloc(c->name, cap * sizeof *name);
		if (name)
			c->name = name;
		uint64_t *count = name ? realloc(c->count, cap * sizeof *count) : NULL;
		if (!name || !count) {
			c->oom = 1;
			return;
		}
		c->count = count;
		c->cap = cap;
	}
	memcpy(c->name[c->n], s, len);
	c->name[c->n][len] = 0;
	c->count[c->n++] = 1;
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

#define WBUF (1u << 20)
#define DBV_MAX_RECORD_OBJECTS (1 << 20)

enum { W_NEW, W_HEADER, W_READY, W_RECORD, W_DONE };

struct dbv_writer {
	int fd;
	char *tool;
	int state;
	int status;
	unsigned char *buf;
	size_t len;
	msgpack_packer pk;
	uint32_t crc;        /* over tensor payloads (format 1.0) */
	uint32_t stream_crc; /* over every byte before the trailer (1.1) */
	uint64_t seq;
	struct type_counts counts;
};

static int w_flush(struct dbv_writer *w)
{
	if (!w->status && w->len) {
		if (w->state != W_DONE)
			w->stream_crc = dbv_crc32c(w->stream_crc, w->buf, w->len);
		w->status = dbv_write_all(w->fd, w->buf, w->len);
	}
	w->len = 0;
	return w->status;
}

static int w_write_direct(struct dbv_writer *w, const char *p, size_t n)
{
	if (!w->status && n) {
		w->stream_crc = dbv_crc32c(w->stream_crc, p, n);
		w->status = dbv_write_all(w->fd, p, n);
	}
	return w->status;
}

/* msgpack-c's packer callback: buffer small pieces, pass big ones on. */
static int w_cb(void *data, const char *p, size_t n)
{
	struct dbv_writer *w = data;
	if (w->status)
		return -1;
	if (n > WBUF - w->len) {
		if (w_flush(w))
			return -1;
		if (n >= WBUF / 2)
			return w_write_direct(w, p, n) ? -1 : 0;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

struct dbv_writer *dbv_writer_new(int fd, const char *tool)
{
	struct dbv_writer *w = dbv_calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->buf = dbv_malloc(WBUF);
	w->tool = dbv_strdup(tool);
	if (!w->buf || !w->tool) {
		free(w->buf);
		free(w->tool);
		free(w);
		return NULL;
	}
	w->fd = fd;
	dbv_pipe_grow(fd);
	msgpack_packer_init(&w->pk, w, w_cb);
	return w;
}

static int w_rc(struct dbv_writer *w, int r)
{
	if (r && !w->status)
		w->status = dbv_seterr(DBV_EIO, "write error");
	return w->status;
}

static int w_state(struct dbv_writer *w, int want, const char *what)
{
	if (w->status)
		return w->status;
	if (w->state != want)
		return w->status = dbv_seterr(DBV_EUSAGE,
					      "stream writer misuse: %s in state %d",
					      what, w->state);
	return DBV_OK;
}

int dbv_w_strn(struct dbv_writer *w, const char *s, size_t n)
{
	if (w->status)
		return w->status;
	if (n > UINT32_MAX)
		return w->status = dbv_seterr(DBV_EUSAGE, "string too long");
	return w_rc(w, msgpack_pack_str_with_body(&w->pk, s, n));
}

int dbv_w_str(struct dbv_writer *w, const char *s)
{
	return dbv_w_strn(w, s, strlen(s));
}

int dbv_w_key(struct dbv_writer *w, const char *key)
{
	return dbv_w_str(w, key);
}

int dbv_w_i64(struct dbv_writer *w, int64_t v)
{
	return w->status ? w->status : w_rc(w, msgpack_pack_int64(&w->pk, v));
}

int dbv_w_u64(struct dbv_writer *w, uint64_t v)
{
	return w->status ? w->status : w_rc(w, msgpack_pack_uint64(&w->pk, v));
}

int dbv_w_f64(struct dbv_writer *w, double v)
{
	return w->status ? w->status : w_rc(w, msgpack_pack_double(&w->pk, v));
}

int dbv_w_bool(struct dbv_writer *w, int v)
{
	if (w->status)
		return w->status;
	return w_rc(w, v ? msgpack_pack_true(&w->pk) : msgpack_pack_false(&w->pk));
}

int dbv_w_nil(struct dbv_writer *w)
{
	return w->status ? w->status : w_rc(w, msgpack_pack_nil(&w->pk));
}

int dbv_w_array(struct dbv_writer *w, size_t n)
{
	if (w->status)
		return w->status;
	if (n > UINT32_MAX)
		return w->status = dbv_seterr(DBV_EUSAGE, "array too long");
	return w_rc(w, msgpack_pack_array(&w->pk, n));
}

int dbv_w_map(struct dbv_writer *w, size_t n)
{
	if (w->status)
		return w->status;
	if (n > UINT32_MAX)
		return w->status = dbv_seterr(DBV_EUSAGE, "map too long");
	return w_rc(w, msgpack_pack_map(&w->pk, n));
}

int dbv_w_bin(struct dbv_writer *w, const void *p, size_t n)
{
	if (w->status)
		return w->status;
	/* msgpack_pack_bin would silently wrap lengths >= 4 GiB. */
	if (n > UINT32_MAX)
		return w->status = dbv_seterr(DBV_EUSAGE,
					      "binary payload of %zu bytes is over the format's 4 GiB limit",
					      n);
	if (w->state == W_RECORD)
		w->crc = dbv_crc32c(w->crc, p, n);
	if (msgpack_pack_bin(&w->pk, n) || (n && msgpack_pack_bin_body(&w->pk, p, n)))
		return w_rc(w, -1);
	return w->status;
}

int dbv_w_tensor_raw(struct dbv_writer *w, enum dbv_dtype dtype, int ndim,
		     const int64_t *shape, const void *data)
{
	size_t numel, nbytes;
	if (w->status)
		return w->status;
	if ((unsigned)dtype >= DBV_NDTYPES || dbv_shape_numel(shape, ndim, &numel) ||
	    dbv_mul_size(numel, dbv_dtype_size(dtype), &nbytes))
		return w->status = dbv_seterr(DBV_EUSAGE, "bad tensor to write");
	dbv_w_map(w, 3);
	dbv_w_str(w, "dtype");
	dbv_w_str(w, dbv_dtype_name(dtype));
	dbv_w_str(w, "shape");
	dbv_w_array(w, (size_t)ndim);
	for (int i = 0; i < ndim; i++)
		dbv_w_i64(w, shape[i]);
	dbv_w_str(w, "data");
	return dbv_w_bin(w, data, nbytes);
}

int dbv_w_tensor(struct dbv_writer *w, const struct dbv_tensor *t)
{
	return dbv_w_tensor_raw(w, t->dtype, t->ndim, t->shape, t->data);
}

int dbv_w_str_array(struct dbv_writer *w, char *const *s, size_t n)
{
	dbv_w_array(w, n);
	for (size_t i = 0; i < n; i++)
		dbv_w_str(w, s[i]);
	return w->status;
}

int dbv_w_f64_array(struct dbv_writer *w, const double *v, size_t n)
{
	dbv_w_array(w, n);
	for (size_t i = 0; i < n; i++)
		dbv_w_f64(w, v[i]);
	return w->status;
}

int dbv_w_i64_array(struct dbv_writer *w, const int64_t *v, size_t n)
{
	dbv_w_array(w, n);
	for (size_t i = 0; i < n; i++)
		dbv_w_i64(w, v[i]);
	return w->status;
}

int dbv_w_val(struct dbv_writer *w, const dbv_val *v)
{
	const msgpack_object *o = O(v);
	if (w->status)
		return w->status;
	switch (o->type) {
	case MSGPACK_OBJECT_BIN:
		return dbv_w_bin(w, o->via.bin.ptr, o->via.bin.size);
	case MSGPACK_OBJECT_ARRAY:
		dbv_w_array(w, o->via.array.size);
		for (uint32_t i = 0; i < o->via.array.size; i++)
			dbv_w_val(w, V(&o->via.array.ptr[i]));
		return w->status;
	case MSGPACK_OBJECT_MAP:
		dbv_w_map(w, o->via.map.size);
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			dbv_w_val(w, V(&o->via.map.ptr[i].key));
			dbv_w_val(w, V(&o->via.map.ptr[i].val));
		}
		return w->status;
	default:
		return w_rc(w, msgpack_pack_object(&w->pk, *o));
	}
}

int dbv_writer_header_begin(struct dbv_writer *w, const char *kind,
			    const dbv_val *pipeline, int argc,
			    char *const *argv, size_t nmeta)
{
	size_t np = pipeline ? dbv_val_len(pipeline) : 0;
	size_t cl = 1;
	char *cmd;
	if (w_state(w, W_NEW, "header"))
		return w->status;
	if (pipeline && O(pipeline)->type != MSGPACK_OBJECT_ARRAY)
		np = 0;
	/* This tool's command line, words joined by spaces. */
	for (int i = 0; i < argc; i++)
		cl += strlen(argv[i]) + 1;
	cmd = dbv_malloc(cl);
	if (!cmd)
		return w->status = DBV_EIO;
	cmd[0] = 0;
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(cmd, " ");
		strcat(cmd, argv[i]);
	}
	dbv_w_map(w, 6);
	dbv_w_str(w, "t");
	dbv_w_str(w, "dbv");
	dbv_w_str(w, "v");
	dbv_w_array(w, 2);
	dbv_w_i64(w, DBV_STREAM_MAJOR);
	dbv_w_i64(w, DBV_STREAM_MINOR);
	dbv_w_str(w, "kind");
	dbv_w_str(w, kind);
	dbv_w_str(w, "tool");
	dbv_w_str(w, w->tool);
	dbv_w_str(w, "pipeline");
	dbv_w_array(w, np + 1);
	for (size_t i = 0; i < np; i++)
		dbv_w_val(w, dbv_array_at(pipeline, i));
	dbv_w_str(w, cmd);
	free(cmd);
	dbv_w_str(w, "meta");
	dbv_w_map(w, nmeta);
	w->state = W_HEADER;
	return w->status;
}

int dbv_writer_header_end(struct dbv_writer *w)
{
	if (w_state(w, W_HEADER, "header end"))
		return w->status;
	w->state = W_READY;
	return w->status;
}

int dbv_writer_record_begin(struct dbv_writer *w, const char *type,
			    size_t npairs)
{
	if (w_state(w, W_READY, "record"))
		return w->status;
	w->seq++;
	counts_add(&w->counts, type, strlen(type));
	dbv_w_map(w, npairs + 2);
	dbv_w_str(w, "t");
	dbv_w_str(w, type);
	dbv_w_str(w, "seq");
	dbv_w_u64(w, w->seq);
	w->state = W_RECORD;
	return w->status;
}

int dbv_writer_record_end(struct dbv_writer *w)
{
	if (w_state(w, W_RECORD, "record end"))
		return w->status;
	w->state = W_READY;
	return w->status;
}

int dbv_writer_copy_record(struct dbv_writer *w, const dbv_val *rec)
{
	const msgpack_object *o = O(rec);
	size_t tl, n = 0;
	const char *t = dbv_record_type(rec, &tl);
	char type[TYPE_LEN];

	if (o->type != MSGPACK_OBJECT_MAP)
		return w->status = dbv_seterr(DBV_EUSAGE, "copy of a non-record");
	for (uint32_t i = 0; i < o->via.map.size; i++)
		if (!str_eq(&o->via.map.ptr[i].key, "t") &&
		    !str_eq(&o->via.map.ptr[i].key, "seq"))
			n++;
	if (tl >= TYPE_LEN)
		tl = TYPE_LEN - 1;
	memcpy(type, t, tl);
	type[tl] = 0;
	if (dbv_writer_record_begin(w, type, n))
		return w->status;
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		if (str_eq(&o->via.map.ptr[i].key, "t") ||
		    str_eq(&o->via.map.ptr[i].key, "seq"))
			continue;
		dbv_w_val(w, V(&o->via.map.ptr[i].key));
		dbv_w_val(w, V(&o->via.map.ptr[i].val));
	}
	return dbv_writer_record_end(w);
}

int dbv_writer_finish(struct dbv_writer *w)
{
	if (w_state(w, W_READY, "finish"))
		return w->status;
	if (w->counts.oom)
		return w->status = dbv_seterr(DBV_EIO, "out of memory counting record types");
	/* Every byte before the trailer goes through w_flush: flushing here
	 * completes stream_crc. */
	if (w_flush(w))
		return w->status;
	dbv_w_map(w, 6);
	dbv_w_str(w, "t");
	dbv_w_str(w, "end");
	dbv_w_str(w, "records");
	dbv_w_u64(w, w->seq);
	dbv_w_str(w, "counts");
	dbv_w_map(w, w->counts.n);
	for (size_t i = 0; i < w->counts.n; i++) {
		dbv_w_str(w, w->counts.name[i]);
		dbv_w_u64(w, w->counts.count[i]);
	}
	dbv_w_str(w, "crc");
	dbv_w_u64(w, w->crc);
	dbv_w_str(w, "stream_crc");
	dbv_w_u64(w, w->stream_crc);
	dbv_w_str(w, "status");
	dbv_w_str(w, "ok");
	w->state = W_DONE;
	return w_flush(w);
}

int dbv_writer_fail(struct dbv_writer *w, const char *msg)
{
	int keep = w->status;
	/* A half-written record cannot be closed; the reader reports the
	 * truncation, which is still a clear failure downstream. */
	if (w->state == W_NEW || w->state == W_DONE || w->state == W_RECORD ||
	    w->status) {
		w_flush(w);
		return keep ? keep : DBV_OK;
	}
	dbv_w_map(w, 3);
	dbv_w_str(w, "t");
	dbv_w_str(w, "error");
	dbv_w_str(w, "tool");
	dbv_w_str(w, w->tool);
	dbv_w_str(w, "msg");
	dbv_w_str(w, msg);
	w->state = W_DONE;
	return w_flush(w);
}

int dbv_writer_flush(struct dbv_writer *w)
{
	return w_flush(w);
}

int dbv_writer_status(const struct dbv_writer *w)
{
	return w->status;
}

uint64_t dbv_writer_records(const struct dbv_writer *w)
{
	return w->seq;
}

void dbv_writer_free(struct dbv_writer *w)
{
	if (!w)
		return;
	counts_free(&w->counts);
	free(w->buf);
	free(w->tool);
	free(w);
}

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

enum { R_START, R_BODY, R_ENDED };

struct dbv_reader {
	int fd;
	char *name;
	size_t limit;
	int eof;
	int state;
	/* Buffered input: bytes [start, end) of buf are unread; buf[0] is at
	 * stream offset base. */
	unsigned char *buf;
	size_t cap, start, end;
	uint64_t base;
	/* Resumable framing scan of the record at buf[start]. */
	size_t scan_pos, scan_need, scan_objs;
	int scan_active;
	/* The current record. */
	msgpack_unpacked rec;
	uint64_t recno, rec_off;
	/* The current stream's header, kept in its own buffer. */
	char *hbuf;
	msgpack_unpacked hdr;
	const dbv_val *meta, *pipeline;
	const dbv_val *trailer; /* the verified end record, after DBV_END */
	char kind[32];
	/* Trailer checks. */
	int64_t minor;       /* the stream's format minor version */
	uint32_t crc;        /* over tensor payloads */
	uint32_t stream_crc; /* over every byte of the stream so far */
	uint64_t nrec;
	struct type_counts counts;
};

struct dbv_reader *dbv_reader_new(int fd, const char *name)
{
	struct dbv_reader *r = dbv_calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->name = dbv_strdup(name ? name : "-");
	r->cap = 1 << 16; /* fill() grows it to what records need */
	r->buf = dbv_malloc(r->cap);
	if (!r->name || !r->buf) {
		free(r->name);
		free(r->buf);
		free(r);
		return NULL;
	}
	r->fd = fd;
	r->limit = DBV_DEFAULT_RECORD_LIMIT;
	msgpack_unpacked_init(&r->rec);
	msgpack_unpacked_init(&r->hdr);
	dbv_pipe_grow(fd);
	return r;
}

void dbv_reader_set_limit(struct dbv_reader *r, size_t max_record_bytes)
{
	r->limit = max_record_bytes < 64 ? 64 : max_record_bytes;
}

void dbv_reader_free(struct dbv_reader *r)
{
	if (!r)
		return;
	msgpack_unpacked_destroy(&r->rec);
	msgpack_unpacked_destroy(&r->hdr);
	counts_free(&r->counts);
	free(r->hbuf);
	free(r->buf);
	free(r->name);
	free(r);
}

static const char *reader_label(const struct dbv_reader *r)
{
	return strcmp(r->name, "-") ? r->name : "standard input";
}

static int vrerr(struct dbv_reader *r, int code, const char *fmt, va_list ap)
{
	char msg[600];

	vsnprintf(msg, sizeof msg, fmt, ap);
	return dbv_seterr(code, "%s: record %llu (byte %llu): %s",
			  reader_label(r), (unsigned long long)r->recno,
			  (unsigned long long)r->rec_off, msg);
}

/* Error with the stream name, record number and byte offset. */
__attribute__((format(printf, 3, 4))) static int
rerr(struct dbv_reader *r, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrerr(r, code, fmt, ap);
	va_end(ap);
	return rc;
}

int dbv_reader_fail(struct dbv_reader *r, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrerr(r, code, fmt, ap);
	va_end(ap);
	return rc;
}

/* Read more input so that at least `want` unread bytes are buffered (or
 * EOF).  Returns DBV_OK (check r->eof) or DBV_EIO. */
static int fill(struct dbv_reader *r, size_t want)
{
	if (r->start > 0 && r->end - r->start < want &&
	    (r->start >= r->cap / 2 || want > r->cap - r->start)) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->base += r->start;
		r->end -= r->start;
		r->start = 0;
	}
	while (r->end - r->start < want && !r->eof) {
		if (r->end == r->cap) {
			size_t nc = r->cap * 2;
			if (nc < r->end - r->start + want)
				nc = r->end + want;
			unsigned char *nb = dbv_realloc(r->buf, nc);
			if (!nb)
				return rerr(r, DBV_EIO, "out of memory reading a "
					    "record of %zu MiB", want >> 20);
			r->buf = nb;
			r->cap = nc;
		}
		ssize_t k = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return rerr(r, DBV_EIO, "read error: %s", strerror(errno));
		if (k == 0)
			r->eof = 1;
		r->end += (size_t)k;
	}
	return DBV_OK;
}

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Framing scan: walk msgpack object headers from buf[start + scan_pos]
 * until the object count scan_need reaches 0.  Returns 1 when the record
 * is complete (its length is scan_pos), 0 when more bytes are needed
 * (*more = how many at least), or an error.  Every declared length and
 * count is bounded by the record limit before we wait for (or allocate
 * room for) the bytes it promises: each msgpack object takes at least
 * one byte, so a record of L bytes holds at most L objects.
 */
static int frame_scan(struct dbv_reader *r, size_t *more)
{
	const unsigned char *p = r->buf + r->start;
	size_t avail = r->end - r->start;

	if (!r->scan_active) {
		r->scan_pos = 0;
		r->scan_need = 1;
		r->scan_objs = 0;
		r->scan_active = 1;
	}
	while (r->scan_need > 0) {
		size_t pos = r->scan_pos, hl = 1, body = 0, items = 0;
		unsigned b;
		if (pos >= avail) {
			*more = pos + 1 - avail;
			return 0;
		}
		b = p[pos];
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
			hl = 1;
		else if (b <= 0x8f)
			items = 2 * (size_t)(b & 0x0f);
		else if (b <= 0x9f)
			items = b & 0x0f;
		else if (b <= 0xbf)
			body = b & 0x1f;
		else {
			static const unsigned char extra[32] = {
				/* c0 */ 0, 0, 0, 0, 1, 2, 4, 1, 2, 4, 4, 8,
				/* cc */ 1, 2, 4, 8, 1, 2, 4, 8,
				/* d4 */ 2, 3, 5, 9, 17,
				/* d9 */ 1, 2, 4, 2, 4, 2, 4,
			};
			if (b == 0xc1)
				return rerr(r, DBV_EINPUT,
					    "invalid msgpack byte 0xc1 at byte %llu",
					    (unsigned long long)(r->base + r->start + pos));
			hl = 1 + extra[b - 0xc0];
			if (pos + hl > avail) {
				*more = pos + hl - avail;
				return 0;
			}
			uint64_t v = 0;
			switch (b) {
			case 0xc4: case 0xc5: case 0xc6:
			case 0xd9: case 0xda: case 0xdb:
				v = be(p + pos + 1, (int)(hl - 1));
				body = v;
				break;
			case 0xc7: case 0xc8: case 0xc9:
				hl = 1 + extra[b - 0xc0] + 1; /* + ext type byte */
				v = be(p + pos + 1, (int)(hl - 2));
				body = v;
				break;
			case 0xdc: case 0xdd:
				items = be(p + pos + 1, (int)(hl - 1));
				break;
			case 0xde: case 0xdf:
				items = 2 * be(p + pos + 1, (int)(hl - 1));
				break;
			default: /* numbers and fixext: fixed size */
				break;
			}
			if (v > r->limit)
				body = r->limit + 1;
		}
		if (body > r->limit || pos + hl + body > r->limit ||
		    items > r->limit || r->scan_need - 1 + items > r->limit - pos)
			return rerr(r, DBV_EINPUT,
				    "record is larger than the limit of %zu bytes (raise it with --max-record, or the input is corrupt)",
				    r->limit);
		if (pos + hl + body > avail) {
			*more = pos + hl + body - avail;
			return 0;
		}
		r->scan_pos = pos + hl + body;
		r->scan_need = r->scan_need - 1 + items;
		/* msgpack-c spends ~24 bytes per decoded object: bound the
		 * count so that a record of tiny objects cannot cost 24x the
		 * record limit in memory.  Real records hold few objects (data
		 * travels as tensors). */
		if (++r->scan_objs > DBV_MAX_RECORD_OBJECTS)
			return rerr(r, DBV_EINPUT,
				    "record holds more than %d msgpack objects (data belongs in tensors)",
				    DBV_MAX_RECORD_OBJECTS);
	}
	r->scan_active = 0;
	return 1;
}

/* Frame and decode the next msgpack object into *out (zone reset).
 * Returns DBV_OK, DBV_END on a clean EOF before any byte, or an error. */
static int next_object(struct dbv_reader *r, msgpack_unpacked *out,
		       size_t *len)
{
	size_t more = 1;
	int rc;

	r->rec_off = r->base + r->start;
	r->scan_active = 0;
	for (;;) {
		size_t want;
		rc = frame_scan(r, &more);
		if (rc == 1)
			break;
		if (rc)
			return rc;
		want = r->end - r->start + more;
		if ((rc = fill(r, want)))
			return rc;
		if (r->end - r->start < want) { /* EOF */
			if (r->end == r->start && r->scan_pos == 0)
				return DBV_END;
			return rerr(r, DBV_EINPUT,
				    "truncated: the input ends inside this record, after %zu of its bytes (was the upstream command killed?)",
				    r->end - r->start);
		}
	}
	*len = r->scan_pos;
	size_t off = 0;
	msgpack_unpacked_destroy(out);
	msgpack_unpacked_init(out);
	rc = msgpack_unpack_next(out, (const char *)r->buf + r->start, *len, &off);
	if (rc != MSGPACK_UNPACK_SUCCESS || off != *len)
		return rerr(r, DBV_EINPUT, "malformed msgpack (nested too deeply or invalid)");
	return DBV_OK;
}

const char *dbv_record_type(const dbv_val *rec, size_t *len)
{
	const msgpack_object *o = O(rec);
	if (o->type == MSGPACK_OBJECT_MAP && o->via.map.size > 0 &&
	    str_eq(&o->via.map.ptr[0].key, "t") &&
	    o->via.map.ptr[0].val.type == MSGPACK_OBJECT_STR) {
		if (len)
			*len = o->via.map.ptr[0].val.via.str.size;
		return o->via.map.ptr[0].val.via.str.ptr;
	}
	if (len)
		*len = 0;
	return "";
}

int dbv_record_is(const dbv_val *rec, const char *type)
{
	size_t n;
	const char *t = dbv_record_type(rec, &n);
	return strlen(type) == n && !memcmp(t, type, n);
}

/* The n bytes at s into out (room for 4 n + 1) with each control
 * character and DEL as \xNN: a string from a stream (an upstream error
 * message, a tool's name) printed on a terminal must not move its cursor,
 * recolour it or clear it. */
static void escape_ctl(const char *s, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f) {
			*out++ = (char)c;
			continue;
		}
		*out++ = '\\';
		*out++ = 'x';
		*out++ = hex[c >> 4];
		*out++ = hex[c & 15];
	}
	*out = 0;
}

/* Describe the first bytes of something that is not a dbv stream. */
static void sniff(const unsigned char *p, size_t n, char *out, size_t cap)
{
	size_t printable = 0;
	if (n >= 4 && !memcmp(p, "\x89PNG", 4)) {
		snprintf(out, cap, "it is a PNG image");
		return;
	}
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
		snprintf(out, cap, "it is gzip-compressed data");
		return;
	}
	if (n >= 4 && p[0] == 0 && p[1] == 0 && (p[2] == 8) && p[3] >= 1 && p[3] <= 4) {
		snprintf(out, cap, "it looks like an IDX file: read it with dbv-load");
		return;
	}
	for (size_t i = 0; i < n && i < 64; i++)
		printable += (p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\n' ||
			     p[i] == '\t' || p[i] == '\r';
	if (n && printable == (n < 64 ? n : 64)) {
		snprintf(out, cap, "it looks like text");
		return;
	}
	snprintf(out, cap, "it starts with bytes %02x %02x %02x %02x",
		 n > 0 ? p[0] : 0, n > 1 ? p[1] : 0, n > 2 ? p[2] : 0,
		 n > 3 ? p[3] : 0);
}

static int kind_ok(const char *kind, const char *list)
{
	size_t kl = strlen(kind);
	const char *p = list;
	while (*p) {
		const char *bar = strchr(p, '|');
		size_t l = bar ? (size_t)(bar - p) : strlen(p);
		if (l == kl && !memcmp(p, kind, l))
			return 1;
		if (!bar)
			break;
		p = bar + 1;
	}
	return 0;
}

int dbv_reader_header(struct dbv_reader *r, const char *kind,
		      const dbv_val **header)
{
	static const unsigned char magic[6] = {0xa1, 't', 0xa3, 'd', 'b', 'v'};
	const unsigned char *p;
	size_t n, off, len;
	int rc;

	if (r->state == R_BODY)
		return rerr(r, DBV_EUSAGE, "header read twice");
	r->recno = 0;
	r->trailer = NULL;
	r->rec_off = r->base + r->start;
	if ((rc = fill(r, 9)))
		return rc;
	p = r->buf + r->start;
	n = r->end - r->start;
	if (n == 0)
		return dbv_seterr(DBV_EINPUT,
				  "%s: empty input: no dbv stream (did the upstream command fail?)",
				  strcmp(r->name, "-") ? r->name : "standard input");
	off = (p[0] >= 0x80 && p[0] <= 0x8f) ? 1 : p[0] == 0xde ? 3 : 0;
	if (!off || n < off + 6 || memcmp(p + off, magic, 6)) {
		char what[96];
		sniff(p, n, what, sizeof what);
		return dbv_seterr(DBV_EINPUT, "%s: not a dbv stream (%s)",
				  strcmp(r->name, "-") ? r->name : "standard input",
				  what);
	}
	/* Keep the header for the stream's lifetime in its own buffer. */
	if ((rc = next_object(r, &r->rec, &len)) != DBV_OK)
		return rc == DBV_END ? rerr(r, DBV_EINPUT, "truncated header") : rc;
	free(r->hbuf);
	r->hbuf = dbv_malloc(len);
	if (!r->hbuf)
		return DBV_EIO;
	memcpy(r->hbuf, r->buf + r->start, len);
	r->stream_crc = dbv_crc32c(0, r->hbuf, len);
	r->start += len;
	msgpack_unpacked_destroy(&r->hdr);
	msgpack_unpacked_init(&r->hdr);
	off = 0;
	if (msgpack_unpack_next(&r->hdr, r->hbuf, len, &off) != MSGPACK_UNPACK_SUCCESS)
		return rerr(r, DBV_EINPUT, "malformed header");
	const dbv_val *h = V(&r->hdr.data);
	const dbv_val *v = dbv_map_get(h, "v");
	int64_t major = -1, minor = -1;
	if (dbv_val_i64(dbv_array_at(v, 0), &major) ||
	    dbv_val_i64(dbv_array_at(v, 1), &minor))
		return rerr(r, DBV_EINPUT, "header has no version \"v\":[major,minor]");
	if (major != DBV_STREAM_MAJOR)
		return rerr(r, DBV_EINPUT,
			    "stream format version %lld.%lld; this dbv (%s) reads version %d.x: use a matching dbv",
			    (long long)major, (long long)minor, DBV_VERSION,
			    DBV_STREAM_MAJOR);
	const char *ks = NULL;
	size_t kn = 0;
	if (dbv_val_str(dbv_map_get(h, "kind"), &ks, &kn) || kn == 0 ||
	    kn >= sizeof r->kind || memchr(ks, 0, kn))
		return rerr(r, DBV_EINPUT, "header has no valid \"kind\"");
	memcpy(r->kind, ks, kn);
	r->kind[kn] = 0;
	if (kind && !kind_ok(r->kind, kind)) {
		const char *s;
		char tool[4 * 64 + 1] = "?", ek[4 * sizeof r->kind];
		size_t tn = 0;
		if (!dbv_val_str(dbv_map_get(h, "tool"), &s, &tn) && tn)
			escape_ctl(s, tn > 64 ? 64 : tn, tool);
		escape_ctl(r->kind, strlen(r->kind), ek);
		return dbv_seterr(DBV_EINPUT,
				  "%s: expected a %s stream, got a %s stream (from %s)",
				  strcmp(r->name, "-") ? r->name : "standard input",
				  kind, ek, tool);
	}
	r->meta = dbv_map_get(h, "meta");
	if (!r->meta || dbv_val_type(r->meta) != DBV_V_MAP)
		return rerr(r, DBV_EINPUT, "header has no \"meta\" map");
	r->pipeline = dbv_map_get(h, "pipeline");
	r->state = R_BODY;
	r->minor = minor;
	r->crc = 0;
	r->nrec = 0;
	counts_reset(&r->counts);
	if (header)
		*header = h;
	return DBV_OK;
}

/* Walk a record: CRC over bin payloads, check every tensor map. */
static int walk(struct dbv_reader *r, const msgpack_object *o, int depth)
{
	int rc;
	switch (o->type) {
	case MSGPACK_OBJECT_BIN:
		r->crc = dbv_crc32c(r->crc, o->via.bin.ptr, o->via.bin.size);
		return DBV_OK;
	case MSGPACK_OBJECT_ARRAY:
		for (uint32_t i = 0; i < o->via.array.size; i++)
			if ((rc = walk(r, &o->via.array.ptr[i], depth + 1)))
				return rc;
		return DBV_OK;
	case MSGPACK_OBJECT_MAP:
		if (dbv_map_get(V(o), "dtype") && dbv_map_get(V(o), "data")) {
			struct dbv_tensor t;
			const void *payload;
			if ((rc = tensor_check(V(o), &t, &payload)))
				return rerr(r, rc, "%s", dbv_errmsg());
		}
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			if ((rc = walk(r, &o->via.map.ptr[i].key, depth + 1)) ||
			    (rc = walk(r, &o->via.map.ptr[i].val, depth + 1)))
				return rc;
		}
		return DBV_OK;
	default:
		return DBV_OK;
	}
}

/* The trailer against what was read: record count, counts by type,
 * the payload CRC and (format 1.1 on) the CRC of every byte before the
 * trailer, stream_crc being that of the bytes read. */
static int check_end(struct dbv_reader *r, const dbv_val *e,
		     uint32_t stream_crc)
{
	int64_t nrec = 0, crc = 0, scrc = 0;
	uint64_t listed = 0;
	int star = 0;
	const dbv_val *counts = dbv_map_get(e, "counts");
	const dbv_val *sc = dbv_map_get(e, "stream_crc");
	if (dbv_get_i64(e, "records", &nrec) || dbv_get_i64(e, "crc", &crc) ||
	    !dbv_val_is(dbv_map_get(e, "status"), "ok") || nrec < 0 ||
	    !counts || dbv_val_type(counts) != DBV_V_MAP)
		return rerr(r, DBV_EINPUT, "malformed end record");
	if (r->counts.oom)
		return rerr(r, DBV_EIO, "out of memory counting record types");
	if ((uint64_t)nrec != r->nrec)
		return rerr(r, DBV_EINPUT,
			    "end record counts %lld records but the stream held %llu (records lost)",
			    (long long)nrec, (unsigned long long)r->nrec);
	for (size_t i = 0; i < dbv_val_len(counts); i++) {
		const char *k = NULL;
		size_t kl = 0;
		int64_t want = 0;
		uint64_t have = 0;
		if (dbv_val_str(dbv_map_key(counts, i), &k, &kl) ||
		    dbv_val_i64(dbv_map_value(counts, i), &want) || want < 0)
			return rerr(r, DBV_EINPUT, "malformed end record counts");
		if (kl == 1 && k[0] == '*') {
			/* Format 1.0 writers lumped types beyond 32 here. */
			star = 1;
			continue;
		}
		for (size_t j = 0; j < r->counts.n; j++)
			if (strlen(r->counts.name[j]) == kl &&
			    !memcmp(r->counts.name[j], k, kl))
				have = r->counts.count[j];
		if ((uint64_t)want != have)
			return rerr(r, DBV_EINPUT,
				    "end record counts %lld \"%.*s\" records but the stream held %llu",
				    (long long)want, (int)(kl > 32 ? 32 : kl), k,
				    (unsigned long long)have);
		listed += have;
	}
	if (!star && listed != r->nrec)
		return rerr(r, DBV_EINPUT,
			    "end record counts records of %zu types but the stream held %zu types",
			    dbv_val_len(counts), r->counts.n);
	if ((uint64_t)crc != r->crc)
		return rerr(r, DBV_EINPUT,
			    "CRC mismatch: the data is corrupt (end record says %08llx, data gives %08x)",
			    (unsigned long long)crc, r->crc);
	if (sc || r->minor >= 1) {
		if (!sc || dbv_val_i64(sc, &scrc))
			return rerr(r, DBV_EINPUT,
				    "end record has no stream_crc (a format 1.%lld stream must)",
				    (long long)r->minor);
		if ((uint64_t)scrc != stream_crc)
			return rerr(r, DBV_EINPUT,
				    "stream CRC mismatch: a header or record byte is corrupt (end record says %08llx, the stream gives %08x)",
				    (unsigned long long)scrc, stream_crc);
	}
	return DBV_OK;
}

int dbv_reader_next(struct dbv_reader *r, const dbv_val **out)
{
	size_t len, tl;
	int rc;
	const char *t;

	if (r->state != R_BODY)
		return r->state == R_ENDED ? DBV_END
					   : rerr(r, DBV_EUSAGE, "header not read");
	r->recno = r->nrec + 1;
	rc = next_object(r, &r->rec, &len);
	if (rc == DBV_END)
		return rerr(r, DBV_EINPUT,
			    "the input ends without an end record after %llu records: the upstream command did not finish",
			    (unsigned long long)r->nrec);
	if (rc)
		return rc;
	/* The stream CRC before this record: what a trailer must carry. */
	uint32_t stream_crc = r->stream_crc;
	r->stream_crc = dbv_crc32c(r->stream_crc, r->buf + r->start, len);
	r->start += len;
	const dbv_val *rec = V(&r->rec.data);
	t = dbv_record_type(rec, &tl);
	if (tl == 0)
		return rerr(r, DBV_EINPUT,
			    "not a dbv record (a map whose first key is \"t\")");
	if (tl >= TYPE_LEN || memchr(t, 0, tl))
		return rerr(r, DBV_EINPUT,
			    "record type is longer than %d bytes or holds a NUL byte",
			    TYPE_LEN - 1);
	if (tl == 5 && !memcmp(t, "error", 5)) {
		const char *m = "", *tool = "upstream tool";
		size_t ml = 0, tn = strlen(tool);
		char em[4 * 400 + 1], et[4 * 64 + 1];
		dbv_val_str(dbv_map_get(rec, "msg"), &m, &ml);
		if (dbv_val_str(dbv_map_get(rec, "tool"), &tool, &tn))
			tool = "upstream tool", tn = strlen(tool);
		r->state = R_ENDED;
		escape_ctl(tool, tn > 64 ? 64 : tn, et);
		escape_ctl(m, ml > 400 ? 400 : ml, em);
		return dbv_seterr(DBV_EINPUT, "%s failed: %s", et, em);
	}
	if (tl == 3 && !memcmp(t, "end", 3)) {
		if ((rc = check_end(r, rec, stream_crc)))
			return rc;
		r->state = R_ENDED;
		r->trailer = rec;
		return DBV_END;
	}
	if (tl == 3 && !memcmp(t, "dbv", 3))
		return rerr(r, DBV_EINPUT, "a stream header inside a stream (missing end record)");
	int64_t seq;
	if (dbv_get_i64(rec, "seq", &seq))
		return rerr(r, DBV_EINPUT, "record has no \"seq\" number");
	if ((uint64_t)seq != r->nrec + 1)
		return rerr(r, DBV_EINPUT,
			    "sequence gap: expected record %llu, got %lld (records lost or reordered)",
			    (unsigned long long)(r->nrec + 1), (long long)seq);
	if ((rc = walk(r, &r->rec.data, 0)))
		return rc;
	r->nrec++;
	counts_add(&r->counts, t, tl);
	*out = rec;
	return DBV_OK;
}

int dbv_reader_at_eof(struct dbv_reader *r, int *eof)
{
	int rc = fill(r, 1);

	*eof = 0;
	if (rc)
		return rc;
	if (r->end > r->start) {
		r->state = R_START;
		return DBV_OK;
	}
	*eof = 1;
	return DBV_OK;
}

int dbv_reader_expect_end(struct dbv_reader *r, const char *what)
{
	int eof, rc = dbv_reader_at_eof(r, &eof);

	if (rc)
		return rc;
	if (!eof)
		return dbv_seterr(DBV_EINPUT,
				  "%s: another stream follows the %s stream (%s reads one)",
				  reader_label(r), r->kind[0] ? r->kind : "first",
				  what ? what : "this program");
	return DBV_OK;
}

const dbv_val *dbv_reader_trailer(const struct dbv_reader *r)
{
	return r->trailer;
}

const dbv_val *dbv_reader_meta(const struct dbv_reader *r)
{
	return r->meta;
}

const dbv_val *dbv_reader_pipeline(const struct dbv_reader *r)
{
	return r->pipeline;
}

const char *dbv_reader_tool(const struct dbv_reader *r, char *buf,
			    size_t size)
{
	const char *s = "?";
	size_t n = 1;
	char esc[4 * 64 + 1];

	if (r->meta)
		dbv_val_str(dbv_map_get(V(&r->hdr.data), "tool"), &s, &n);
	escape_ctl(s, n > 64 ? 64 : n, esc);
	snprintf(buf, size, "%s", esc);
	return buf;
}

const char *dbv_reader_kind(const struct dbv_reader *r)
{
	return r->kind;
}

uint64_t dbv_reader_record_no(const struct dbv_reader *r)
{
	return r->recno;
}

uint64_t dbv_reader_offset(const struct dbv_reader *r)
{
	return r->rec_off;
}

const char *dbv_reader_name(const struct dbv_reader *r)
{
	return r->name;
}
