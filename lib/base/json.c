/*
 * json.c - the tools' JSON emitter (see json.h for the conventions).
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "base/base.h"
#include "base/json.h"

void dbv_json_init(struct dbv_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = 1;
	j->key = 0;
}

/* Before any value: the comma that separates it from the previous one
 * (unless it follows its key). */
static void sep(struct dbv_json *j)
{
	if (j->key) {
		j->key = 0;
		return;
	}
	if (j->depth == 0)
		return; /* top-level values stand alone (one per line) */
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = 0;
}

static void open_(struct dbv_json *j, int c)
{
	sep(j);
	fputc(c, j->f);
	if (j->depth + 1 < DBV_JSON_DEPTH)
		j->depth++;
	j->first[j->depth] = 1;
}

static void close_(struct dbv_json *j, int c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void dbv_json_obj(struct dbv_json *j) { open_(j, '{'); }
void dbv_json_obj_end(struct dbv_json *j) { close_(j, '}'); }
void dbv_json_arr(struct dbv_json *j) { open_(j, '['); }
void dbv_json_arr_end(struct dbv_json *j) { close_(j, ']'); }

static void put_str(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void dbv_json_key(struct dbv_json *j, const char *k)
{
	dbv_json_keyn(j, k, strlen(k));
}

void dbv_json_keyn(struct dbv_json *j, const char *k, size_t n)
{
	sep(j);
	put_str(j->f, k, n);
	fputc(':', j->f);
	j->key = 1;
}

void dbv_json_strn(struct dbv_json *j, const char *s, size_t n)
{
	sep(j);
	put_str(j->f, s, n);
}

void dbv_json_str(struct dbv_json *j, const char *s)
{
	if (!s)
		dbv_json_null(j);
	else
		dbv_json_strn(j, s, strlen(s));
}

void dbv_json_null(struct dbv_json *j)
{
	sep(j);
	fputs("null", j->f);
}

void dbv_json_bool(struct dbv_json *j, int v)
{
	sep(j);
	fputs(v ? "true" : "false", j->f);
}

void dbv_json_i64(struct dbv_json *j, int64_t v)
{
	sep(j);
	fprintf(j->f, "%" PRId64, v);
}

void dbv_json_u64(struct dbv_json *j, uint64_t v)
{
	sep(j);
	fprintf(j->f, "%" PRIu64, v);
}

static int nonfinite(struct dbv_json *j, double v)
{
	if (dbv_finite(v))
		return 0;
	fputs(dbv_nan(v) ? "\"NaN\"" : v > 0 ? "\"Infinity\"" : "\"-Infinity\"",
	      j->f);
	return 1;
}

void dbv_json_double(struct dbv_json *j, double v)
{
	sep(j);
	if (!nonfinite(j, v))
		fprintf(j->f, "%.17g", v);
}

void dbv_json_float(struct dbv_json *j, double v)
{
	sep(j);
	if (!nonfinite(j, v))
		fprintf(j->f, "%.9g", v);
}

void dbv_json_doubles(struct dbv_json *j, const double *v, size_t n)
{
	dbv_json_arr(j);
	for (size_t i = 0; i < n; i++)
		dbv_json_double(j, v[i]);
	dbv_json_arr_end(j);
}

void dbv_json_raw(struct dbv_json *j, const char *text)
{
	sep(j);
	fputs(text, j->f);
}
