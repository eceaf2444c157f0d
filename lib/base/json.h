/*
 * lib/base/json.h - the one JSON emitter (dbv-inspect, dbv-compare --json).
 *
 * Output is compact (no spaces) and valid JSON.  Numbers: integers exactly,
 * doubles with %.17g (they read back to the same double), floats with %.9g;
 * NaN and infinities, which JSON cannot express as numbers, are written as
 * the strings "NaN", "Infinity" and "-Infinity" everywhere (dbv(7),
 * "JSON OUTPUT").  Strings are escaped for quote, backslash and control
 * characters (\n, \t, else \u00XX) and otherwise copied byte for byte.
 * Commas between members and elements are placed by the emitter.
 */
#ifndef DBV_JSON_H
#define DBV_JSON_H

#include <stdint.h>
#include <stdio.h>

#define DBV_JSON_DEPTH 32

struct dbv_json {
	FILE *f;
	int depth;
	unsigned char first[DBV_JSON_DEPTH]; /* no member written yet */
	unsigned char key;                   /* a key was just written */
};

void dbv_json_init(struct dbv_json *j, FILE *f);
void dbv_json_obj(struct dbv_json *j);    /* { */
void dbv_json_obj_end(struct dbv_json *j);
void dbv_json_arr(struct dbv_json *j);    /* [ */
void dbv_json_arr_end(struct dbv_json *j);
void dbv_json_key(struct dbv_json *j, const char *k);
void dbv_json_keyn(struct dbv_json *j, const char *k, size_t n);
void dbv_json_strn(struct dbv_json *j, const char *s, size_t n);
void dbv_json_str(struct dbv_json *j, const char *s); /* NULL: null */
void dbv_json_null(struct dbv_json *j);
void dbv_json_bool(struct dbv_json *j, int v);
void dbv_json_i64(struct dbv_json *j, int64_t v);
void dbv_json_u64(struct dbv_json *j, uint64_t v);
void dbv_json_double(struct dbv_json *j, double v); /* %.17g */
void dbv_json_float(struct dbv_json *j, double v);  /* %.9g */
/* An array of n doubles. */
void dbv_json_doubles(struct dbv_json *j, const double *v, size_t n);
/* Raw text as one value (already valid JSON). */
void dbv_json_raw(struct dbv_json *j, const char *text);

#endif /* DBV_JSON_H */
