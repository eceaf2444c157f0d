/*
 * util.c - errors, checked sizes, allocation, strict number parsing,
 * CRC-32C.  Low level: depends on nothing else in lib/.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>

#include "base/base_internal.h"

static _Thread_local char errbuf[1024];

const char *dbv_errmsg(void)
{
	return errbuf;
}

int dbv_seterr(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	return code;
}

int dbv_preerr(int code, const char *fmt, ...)
{
	char pre[512];
	size_t pl, ol = strlen(errbuf);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre - 2, fmt, ap);
	va_end(ap);
	strcat(pre, ": ");
	pl = strlen(pre);
	if (pl + ol >= sizeof errbuf)
		ol = sizeof errbuf - pl - 1;
	memmove(errbuf + pl, errbuf, ol);
	memcpy(errbuf, pre, pl);
	errbuf[pl + ol] = 0;
	return code;
}

int dbv_mul_size(size_t a, size_t b, size_t *out)
{
	if (b && a > SIZE_MAX / b)
		return dbv_seterr(DBV_EINPUT, "size overflow (%zu x %zu)", a, b);
	*out = a * b;
	return DBV_OK;
}

int dbv_add_size(size_t a, size_t b, size_t *out)
{
	if (a > SIZE_MAX - b)
		return dbv_seterr(DBV_EINPUT, "size overflow (%zu + %zu)", a, b);
	*out = a + b;
	return DBV_OK;
}

void *dbv_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		dbv_seterr(DBV_EIO, "out of memory (%zu bytes)", n);
	return p;
}

void *dbv_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		dbv_seterr(DBV_EIO, "out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *dbv_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		dbv_seterr(DBV_EIO, "out of memory (%zu bytes)", n);
	return q;
}

/*
 * Blocks of 4 MiB and more (activations, im2col scratch) are aligned to 2
 * MiB and offered to transparent huge pages (MADV_HUGEPAGE; kernels set
 * to "madvise", Debian's default, use them only when asked): 512 times
 * fewer page faults when a batch first touches them, and fewer TLB
 * misses on every pass over them.  Where the kernel says no, nothing
 * changes.
 */
#define HUGE_MIN ((size_t)4 << 20)
#define HUGE_ALIGN ((size_t)2 << 20)

void *dbv_amalloc(size_t n)
{
	void *p = NULL;
	/* Round up so that vector loads past the end of a row stay inside. */
	size_t r = (n + 63) & ~(size_t)63;
	size_t align = r >= HUGE_MIN ? HUGE_ALIGN : 64;
	if (r < n || posix_memalign(&p, align, r ? r : 64) != 0) {
		dbv_seterr(DBV_EIO, "out of memory (%zu bytes)", n);
		return NULL;
	}
#ifdef MADV_HUGEPAGE
	if (r >= HUGE_MIN)
		(void)madvise(p, r & ~(HUGE_ALIGN - 1), MADV_HUGEPAGE);
#endif
	return p;
}

void dbv_afree(void *p)
{
	free(p);
}

char *dbv_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = dbv_malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

/* ---- strict number parsing ---- */

int dbv_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;
	if (!s || !*s || s[0] == ' ' || s[0] == '\t' || s[0] == '+')
		return dbv_seterr(DBV_EUSAGE, "'%s' is not an integer", s ? s : "");
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end)
		return dbv_seterr(DBV_EUSAGE, "'%s' is not an integer", s);
	if (errno == ERANGE || v < min || v > max)
		return dbv_seterr(DBV_EUSAGE, "'%s' is out of range [%lld, %lld]",
				  s, (long long)min, (long long)max);
	*out = v;
	return DBV_OK;
}

int dbv_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;
	if (!s || !*s || !(s[0] >= '0' && s[0] <= '9'))
		return dbv_seterr(DBV_EUSAGE, "'%s' is not a non-negative integer",
				  s ? s : "");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return dbv_seterr(DBV_EUSAGE, "'%s' is not a non-negative integer", s);
	if (errno == ERANGE || v > max)
		return dbv_seterr(DBV_EUSAGE, "'%s' is out of range [0, %llu]", s,
				  (unsigned long long)max);
	*out = v;
	return DBV_OK;
}

size_t dbv_f32_nonfinite(const float *v, size_t n)
{
	const unsigned char *p = (const unsigned char *)v;

	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, p + i * sizeof u, sizeof u);
		if ((u & 0x7f800000u) == 0x7f800000u)
			return i;
	}
	return n;
}

int dbv_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;
	if (!s || !*s || s[0] == ' ' || s[0] == '\t')
		return dbv_seterr(DBV_EUSAGE, "'%s' is not a number", s ? s : "");
	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s)
		return dbv_seterr(DBV_EUSAGE, "'%s' is not a number", s);
	if (!dbv_finite(v))
		return dbv_seterr(DBV_EUSAGE, "'%s' is not a finite number", s);
	/* Underflow: strtod gives 0 or a denormal with ERANGE, and
	 * 1e-400 would be taken as 0. */
	if (errno == ERANGE)
		return dbv_seterr(DBV_EUSAGE, "'%s' is too close to 0 to be "
				  "represented (use 0 for zero)", s);
	if (v < min || v > max)
		return dbv_seterr(DBV_EUSAGE, "'%s' is out of range [%g, %g]", s,
				  min, max);
	*out = v;
	return DBV_OK;
}

int dbv_parse_i64_list(const char *s, int64_t min, int64_t max,
		       int64_t **out, size_t *n)
{
	size_t cap = 1, cnt = 0, len = strlen(s);
	const char *p;
	int64_t *v;
	char item[32];
	int rc;

	for (p = s; *p; p++)
		cap += *p == ',';
	v = dbv_calloc(cap, sizeof *v);
	if (!v)
		return DBV_EIO;
	p = s;
	while (1) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : (size_t)(s + len - p);
		if (l == 0 || l >= sizeof item) {
			free(v);
			return dbv_seterr(DBV_EUSAGE,
					  "'%s' is not a comma-separated list of integers", s);
		}
		memcpy(item, p, l);
		item[l] = 0;
		rc = dbv_parse_i64(item, min, max, &v[cnt]);
		if (rc) {
			free(v);
			return rc;
		}
		cnt++;
		if (!c)
			break;
		p = c + 1;
	}
	*out = v;
	*n = cnt;
	return DBV_OK;
}

/* ---- CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) ----
 * Standard parameters: init ~0, final xor ~0; crc32c("123456789") =
 * 0xE3069283.  The chaining argument is the previous result (0 to start).
 * The fast path uses the SSE4.2 crc32 instruction, three independent
 * lanes per 24-byte step... kept simple here: 8 bytes per instruction,
 * which runs at several GB/s, well above what a pipe carries. */

uint32_t dbv_crc32c_ref(uint32_t crc, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
	}
	return ~crc;
}

static uint32_t crc_table[8][256];
static int crc_table_ready;

static void crc_init_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^
					  crc_table[0][crc_table[t - 1][i] & 0xff];
	__atomic_store_n(&crc_table_ready, 1, __ATOMIC_RELEASE);
}

static uint32_t crc32c_sw(uint32_t crc, const unsigned char *p, size_t n)
{
	if (!__atomic_load_n(&crc_table_ready, __ATOMIC_ACQUIRE))
		crc_init_table();
	crc = ~crc;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		w ^= crc;
		crc = crc_table[7][w & 0xff] ^ crc_table[6][(w >> 8) & 0xff] ^
		      crc_table[5][(w >> 16) & 0xff] ^ crc_table[4][(w >> 24) & 0xff] ^
		      crc_table[3][(w >> 32) & 0xff] ^ crc_table[2][(w >> 40) & 0xff] ^
		      crc_table[1][(w >> 48) & 0xff] ^ crc_table[0][w >> 56];
		p += 8;
		n -= 8;
	}
	while (n--)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>
__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw(uint32_t crc, const unsigned char *p, size_t n)
{
	uint64_t c = ~crc & 0xffffffffu;
	while (n && ((uintptr_t)p & 7)) {
		c = _mm_crc32_u8((uint32_t)c, *p++);
		n--;
	}
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
		p += 8;
		n -= 8;
	}
	while (n--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return ~(uint32_t)c;
}
#endif

uint32_t dbv_crc32c(uint32_t crc, const void *buf, size_t n)
{
#if defined(__x86_64__)
	static int hw = -1;
	if (hw < 0)
		hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	if (hw)
		return crc32c_hw(crc, buf, n);
#endif
	return crc32c_sw(crc, buf, n);
}

/* ---- tensors ---- */

static const struct {
	const char *name;
	size_t size;
} dtypes[DBV_NDTYPES] = {
	[DBV_U8] = {"u8", 1},   [DBV_I8] = {"i8", 1},   [DBV_U16] = {"u16", 2},
	[DBV_I16] = {"i16", 2}, [DBV_U32] = {"u32", 4}, [DBV_I32] = {"i32", 4},
	[DBV_I64] = {"i64", 8}, [DBV_F32] = {"f32", 4}, [DBV_F64] = {"f64", 8},
};

const char *dbv_dtype_name(enum dbv_dtype t)
{
	return (unsigned)t < DBV_NDTYPES ? dtypes[t].name : "?";
}

size_t dbv_dtype_size(enum dbv_dtype t)
{
	return (unsigned)t < DBV_NDTYPES ? dtypes[t].size : 0;
}

int dbv_dtype_from_name(const char *name, size_t len)
{
	for (int i = 0; i < DBV_NDTYPES; i++)
		if (strlen(dtypes[i].name) == len && !memcmp(dtypes[i].name, name, len))
			return i;
	return -1;
}

int dbv_shape_numel(const int64_t *shape, int ndim, size_t *numel)
{
	size_t n = 1;
	if (ndim < 0 || ndim > DBV_MAX_DIMS)
		return dbv_seterr(DBV_EINPUT, "tensor has %d dimensions (at most %d)",
				  ndim, DBV_MAX_DIMS);
	for (int i = 0; i < ndim; i++) {
		if (shape[i] < 0)
			return dbv_seterr(DBV_EINPUT, "negative tensor dimension %lld",
					  (long long)shape[i]);
		if ((uint64_t)shape[i] > SIZE_MAX ||
		    dbv_mul_size(n, (size_t)shape[i], &n))
			return dbv_seterr(DBV_EINPUT, "tensor shape overflows");
	}
	*numel = n;
	return DBV_OK;
}

int dbv_tensor_alloc(struct dbv_tensor *t, enum dbv_dtype dtype, int ndim,
		     const int64_t *shape)
{
	size_t numel = 0, nbytes = 0;
	int rc;
	memset(t, 0, sizeof *t);
	if ((unsigned)dtype >= DBV_NDTYPES)
		return dbv_seterr(DBV_EUSAGE, "bad dtype %d", (int)dtype);
	if ((rc = dbv_shape_numel(shape, ndim, &numel)) ||
	    (rc = dbv_mul_size(numel, dtypes[dtype].size, &nbytes)))
		return rc;
	t->data = dbv_amalloc(nbytes);
	if (!t->data)
		return DBV_EIO;
	memset(t->data, 0, nbytes);
	t->dtype = dtype;
	t->ndim = ndim;
	for (int i = 0; i < ndim; i++)
		t->shape[i] = shape[i];
	t->nbytes = nbytes;
	t->owned = 1;
	return DBV_OK;
}

void dbv_tensor_wrap(struct dbv_tensor *t, enum dbv_dtype dtype, int ndim,
		     const int64_t *shape, const void *data)
{
	size_t numel = 1;
	memset(t, 0, sizeof *t);
	t->dtype = dtype;
	t->ndim = ndim;
	for (int i = 0; i < ndim; i++) {
		t->shape[i] = shape[i];
		numel *= (size_t)shape[i];
	}
	t->data = (void *)data;
	t->nbytes = numel * dbv_dtype_size(dtype);
	t->owned = 0;
}

size_t dbv_tensor_numel(const struct dbv_tensor *t)
{
	size_t s = dbv_dtype_size(t->dtype);
	return s ? t->nbytes / s : 0;
}

void dbv_tensor_release(struct dbv_tensor *t)
{
	if (t->owned)
		dbv_afree(t->data);
	memset(t, 0, sizeof *t);
}

int dbv_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return dbv_seterr(DBV_EIO, "write error: %s",
					  strerror(k < 0 ? errno : EIO));
		p += k;
		n -= (size_t)k;
	}
	return DBV_OK;
}
