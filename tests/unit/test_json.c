/*
 * test_json.c - the one JSON emitter (lib/base/json.c): separators in
 * nested objects and arrays, top-level values standing alone, string
 * escapes, exact integers, %.17g doubles and %.9g floats, and NaN and
 * the infinities as strings (dbv(7), JSON).
 */
#include <math.h>
#include <string.h>

#include "check.h"
#include "base/json.h"

/* What fn writes, as a NUL-terminated string in buf. */
static const char *emit(void (*fn)(struct dbv_json *), char *buf, size_t n)
{
	FILE *f = fmemopen(buf, n, "w");
	struct dbv_json j;

	dbv_json_init(&j, f);
	fn(&j);
	fclose(f);
	return buf;
}

static void nested(struct dbv_json *j)
{
	dbv_json_obj(j);
	dbv_json_key(j, "a");
	dbv_json_arr(j);
	dbv_json_i64(j, -3);
	dbv_json_u64(j, UINT64_MAX);
	dbv_json_obj(j);
	dbv_json_obj_end(j);
	dbv_json_arr(j);
	dbv_json_arr_end(j);
	dbv_json_null(j);
	dbv_json_bool(j, 1);
	dbv_json_arr_end(j);
	dbv_json_key(j, "b");
	dbv_json_str(j, NULL);
	dbv_json_keyn(j, "c\0d", 3);
	dbv_json_strn(j, "q\"\\\n\t\x01\x7f\xc3\xa9", 9);
	dbv_json_obj_end(j);
	/* A second top-level value: no comma before it. */
	dbv_json_i64(j, 7);
}

static void numbers(struct dbv_json *j)
{
	const double v[] = {0.1, 1e300, -0.0, NAN, INFINITY, -INFINITY};

	dbv_json_arr(j);
	dbv_json_doubles(j, v, 6);
	dbv_json_float(j, 0.1f);
	dbv_json_float(j, NAN);
	dbv_json_raw(j, "{\"x\":1}");
	dbv_json_arr_end(j);
}

/* Exact string equality, showing both on failure. */
#define CHECK_STR(got, want)                                              \
	do {                                                              \
		const char *g_ = (got), *w_ = (want);                     \
		check_count_++;                                           \
		if (strcmp(g_, w_)) {                                     \
			check_fails_++;                                   \
			fprintf(stderr, "%s:%d: got  %s\n%*swant %s\n",    \
				__FILE__, __LINE__, g_,                   \
				(int)strlen(__FILE__) + 6, "", w_);       \
		}                                                         \
	} while (0)

int main(void)
{
	char buf[512];

	CHECK_STR(emit(nested, buf, sizeof buf),
		  "{\"a\":[-3,18446744073709551615,{},[],null,true],\"b\":null,"
		  "\"c\\u0000d\":\"q\\\"\\\\\\n\\t\\u0001\\u007f\xc3\xa9\"}7");
	CHECK_STR(emit(numbers, buf, sizeof buf),
		  "[[0.10000000000000001,1.0000000000000001e+300,-0,\"NaN\","
		  "\"Infinity\",\"-Infinity\"],0.100000001,\"NaN\",{\"x\":1}]");
	return check_done();
}
