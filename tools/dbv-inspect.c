/*
 * dbv-inspect - print any dbv stream as JSON lines and validate it.
 *
 *   dbv-inspect [--summary] [--head N] [--max-record BYTES] [FILE|-]
 *
 * Default: the header, then one line per record (tensors summarised as
 * dtype, shape, min, max, mean), then the trailer.  --summary: one line per
 * stream with counts and stacked tensor shapes.  The whole input is read
 * and checked in every mode; exit 0 only when it is a valid stream.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const char usage[] =
	"usage: dbv-inspect [options] [FILE|-]\n"
	"Print a dbv stream as JSON lines and check it end to end.\n"
	"\n"
	"  -s, --summary          one line per stream: counts, tensor shapes, items\n"
	"  -n, --head N           print only the first N records (still checks all)\n"
	"      --max-record B     refuse records over B bytes (default 268435456)\n"
	"  -h, --help             this text\n"
	"      --version          versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 valid stream, 2 usage, 3 bad or truncated input, 4 I/O error.\n";

struct options {
	int summary;
	int64_t head;
	uint64_t max_record;
	const char *input;
};

/* Per tensor key, for --summary: stacked along dim 0. */
struct stack {
	char key[64];
	enum dbv_dtype dtype;
	int ndim;
	int64_t shape[DBV_MAX_DIMS];
	int consistent;
	double min, max, sum;
	size_t count;
};

struct summary {
	struct stack s[32];
	size_t n;
};

static void json_str(const char *s, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_num(double v)
{
	if (isfinite(v))
		printf("%.9g", v);
	else
		printf("\"%s\"", isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
}

/* min, max, mean of a tensor's elements (0 elements: nulls). */
static void tensor_stats(const struct dbv_tensor *t, double *mn, double *mx,
			 double *sum, size_t *cnt)
{
	size_t n = dbv_tensor_numel(t);
	double lo = INFINITY, hi = -INFINITY, s = 0;
	for (size_t i = 0; i < n; i++) {
		double v;
		switch (t->dtype) {
		case DBV_U8: v = ((const uint8_t *)t->data)[i]; break;
		case DBV_I8: v = ((const int8_t *)t->data)[i]; break;
		case DBV_U16: v = ((const uint16_t *)t->data)[i]; break;
		case DBV_I16: v = ((const int16_t *)t->data)[i]; break;
		case DBV_U32: v = ((const uint32_t *)t->data)[i]; break;
		case DBV_I32: v = ((const int32_t *)t->data)[i]; break;
		case DBV_I64: v = (double)((const int64_t *)t->data)[i]; break;
		case DBV_F32: v = ((const float *)t->data)[i]; break;
		default: v = ((const double *)t->data)[i]; break;
		}
		/* NaN propagates into min/max/sum so it shows. */
		if (v < lo || isnan(v))
			lo = v;
		if (v > hi || isnan(v))
			hi = v;
		s += v;
	}
	*mn = lo;
	*mx = hi;
	*sum = s;
	*cnt = n;
}

static void json_shape(const int64_t *shape, int ndim)
{
	putchar('[');
	for (int i = 0; i < ndim; i++)
		printf("%s%lld", i ? "," : "", (long long)shape[i]);
	putchar(']');
}

static int print_val(const dbv_val *v);

static int print_tensor(const dbv_val *v)
{
	struct dbv_tensor t;
	double mn, mx, sum;
	size_t cnt;
	int rc = dbv_val_tensor(v, &t);
	if (rc)
		return rc;
	tensor_stats(&t, &mn, &mx, &sum, &cnt);
	printf("{\"dtype\":\"%s\",\"shape\":", dbv_dtype_name(t.dtype));
	json_shape(t.shape, t.ndim);
	if (cnt) {
		fputs(",\"min\":", stdout);
		json_num(mn);
		fputs(",\"max\":", stdout);
		json_num(mx);
		fputs(",\"mean\":", stdout);
		json_num(sum / (double)cnt);
	}
	/* Equal CRCs: (almost surely) equal bytes, e.g. two models. */
	printf(",\"crc32c\":\"%08x\"}", dbv_crc32c(0, t.data, t.nbytes));
	dbv_tensor_release(&t);
	return DBV_OK;
}

static int print_val(const dbv_val *v)
{
	const char *s;
	size_t n;
	int64_t i;
	double d;
	int b;

	switch (dbv_val_type(v)) {
	case DBV_V_NIL: fputs("null", stdout); break;
	case DBV_V_BOOL: dbv_val_bool(v, &b); fputs(b ? "true" : "false", stdout); break;
	case DBV_V_INT:
		if (dbv_val_i64(v, &i) == DBV_OK) {
			printf("%lld", (long long)i);
		} else {
			uint64_t u = 0;
			dbv_val_u64(v, &u);
			printf("%llu", (unsigned long long)u);
		}
		break;
	case DBV_V_FLOAT: dbv_val_double(v, &d); json_num(d); break;
	case DBV_V_STR: dbv_val_str(v, &s, &n); json_str(s, n); break;
	case DBV_V_BIN: printf("{\"bin\":%zu}", dbv_val_len(v)); break;
	case DBV_V_ARRAY:
		putchar('[');
		for (size_t k = 0; k < dbv_val_len(v); k++) {
			if (k)
				putchar(',');
			print_val(dbv_array_at(v, k));
		}
		putchar(']');
		break;
	case DBV_V_MAP:
		if (dbv_val_is_tensor(v))
			return print_tensor(v);
		putchar('{');
		for (size_t k = 0; k < dbv_val_len(v); k++) {
			const dbv_val *key = dbv_map_key(v, k);
			if (k)
				putchar(',');
			if (dbv_val_type(key) == DBV_V_STR)
				print_val(key);
			else {
				/* JSON keys are strings: quote other keys. */
				putchar('"');
				if (dbv_val_i64(key, &i) == DBV_OK)
					printf("%lld", (long long)i);
				else
					putchar('?');
				putchar('"');
			}
			putchar(':');
			print_val(dbv_map_value(v, k));
		}
		putchar('}');
		break;
	default: fputs("{\"ext\":true}", stdout); break;
	}
	return DBV_OK;
}

static void summary_add(struct summary *sm, const dbv_val *rec)
{
	for (size_t k = 0; k < dbv_val_len(rec); k++) {
		const dbv_val *v = dbv_map_value(rec, k);
		const char *key;
		size_t kl;
		struct dbv_tensor t;
		struct stack *st = NULL;
		double mn, mx, sum;
		size_t cnt;

		if (!dbv_val_is_tensor(v) ||
		    dbv_val_str(dbv_map_key(rec, k), &key, &kl) || kl >= 64)
			continue;
		if (dbv_val_tensor(v, &t))
			continue; /* the reader has checked it already */
		for (size_t j = 0; j < sm->n; j++)
			if (strlen(sm->s[j].key) == kl && !memcmp(sm->s[j].key, key, kl))
				st = &sm->s[j];
		if (!st && sm->n < 32) {
			st = &sm->s[sm->n++];
			memset(st, 0, sizeof *st);
			memcpy(st->key, key, kl);
			st->dtype = t.dtype;
			st->ndim = t.ndim;
			memcpy(st->shape, t.shape, sizeof t.shape);
			st->shape[0] = 0;
			st->consistent = t.ndim > 0;
			st->min = INFINITY;
			st->max = -INFINITY;
		}
		if (st) {
			if (st->dtype != t.dtype || st->ndim != t.ndim ||
			    (t.ndim > 1 && memcmp(st->shape + 1, t.shape + 1,
						  sizeof(int64_t) * (size_t)(t.ndim - 1))))
				st->consistent = 0;
			else if (t.ndim > 0)
				st->shape[0] += t.shape[0];
			tensor_stats(&t, &mn, &mx, &sum, &cnt);
			if (mn < st->min || isnan(mn))
				st->min = mn;
			if (mx > st->max || isnan(mx))
				st->max = mx;
			st->sum += sum;
			st->count += cnt;
		}
		dbv_tensor_release(&t);
	}
}

static void summary_print(const struct summary *sm, struct dbv_reader *r,
			  uint64_t nrec)
{
	const dbv_val *meta = dbv_reader_meta(r);
	int64_t classes;
	printf("{\"kind\":");
	json_str(dbv_reader_kind(r), strlen(dbv_reader_kind(r)));
	printf(",\"records\":%llu", (unsigned long long)nrec);
	for (size_t j = 0; j < sm->n; j++)
		if (!strcmp(sm->s[j].key, "x") && sm->s[j].consistent) {
			printf(",\"items\":%lld,\"item_shape\":",
			       (long long)sm->s[j].shape[0]);
			json_shape(sm->s[j].shape + 1, sm->s[j].ndim - 1);
		}
	if (dbv_get_i64(meta, "classes", &classes) == DBV_OK)
		printf(",\"classes\":%lld", (long long)classes);
	printf(",\"tensors\":{");
	for (size_t j = 0; j < sm->n; j++) {
		const struct stack *st = &sm->s[j];
		if (j)
			putchar(',');
		json_str(st->key, strlen(st->key));
		printf(":{\"dtype\":\"%s\"", dbv_dtype_name(st->dtype));
		if (st->consistent) {
			printf(",\"shape\":");
			json_shape(st->shape, st->ndim);
		}
		if (st->count) {
			fputs(",\"min\":", stdout);
			json_num(st->min);
			fputs(",\"max\":", stdout);
			json_num(st->max);
			fputs(",\"mean\":", stdout);
			json_num(st->sum / (double)st->count);
		}
		putchar('}');
	}
	printf("},\"meta\":");
	print_val(meta);
	printf("}\n");
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"summary", no_argument, NULL, 's'},
		{"head", required_argument, NULL, 'n'},
		{"max-record", required_argument, NULL, 'M'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;
	memset(o, 0, sizeof *o);
	o->head = -1;
	o->max_record = DBV_DEFAULT_RECORD_LIMIT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":sn:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->summary = 1; break;
		case 'n':
			if (dbv_parse_i64(optarg, 0, INT64_MAX, &o->head))
				goto bad_value;
			break;
		case 'M':
			if (dbv_parse_u64(optarg, SIZE_MAX, &o->max_record))
				goto bad_value;
			break;
		case 'h': fputs(usage, stdout); exit(0);
		case 'V': dbv_tool_version(); exit(0);
		case ':':
			dbv_tool_error("option '%s' needs a value (see --help)",
				       argv[optind - 1]);
			exit(DBV_EUSAGE);
		default:
			dbv_tool_error("unknown option '%s' (see --help)",
				       argv[optind - 1]);
			exit(DBV_EUSAGE);
		}
		continue;
bad_value:
		dbv_tool_error("%s: %s", c == 'n' ? "--head" : "--max-record",
			       dbv_errmsg());
		exit(DBV_EUSAGE);
	}
	if (optind < argc)
		o->input = argv[optind++];
	if (optind < argc) {
		dbv_tool_error("too many arguments (one input at most)");
		exit(DBV_EUSAGE);
	}
}

int main(int argc, char **argv)
{
	struct options o;
	struct dbv_reader *r;
	const dbv_val *h, *rec;
	int fd, rc, eof;

	dbv_tool_init("dbv-inspect", argv);
	parse_options(argc, argv, &o);
	if ((rc = dbv_input_open(o.input, &fd)))
		dbv_tool_die(rc);
	r = dbv_reader_new(fd, o.input ? o.input : "-");
	if (!r)
		dbv_tool_die(DBV_EIO);
	dbv_reader_set_limit(r, (size_t)o.max_record);
	do {
		struct summary sm = {.n = 0};
		uint64_t nrec = 0;
		if ((rc = dbv_reader_header(r, NULL, &h)))
			goto fail;
		if (!o.summary) {
			fputs("{\"record\":0,", stdout);
			for (size_t k = 0; k < dbv_val_len(h); k++) {
				if (k)
					putchar(',');
				print_val(dbv_map_key(h, k));
				putchar(':');
				print_val(dbv_map_value(h, k));
			}
			fputs("}\n", stdout);
		}
		while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
			nrec++;
			if (o.summary) {
				summary_add(&sm, rec);
				continue;
			}
			if (o.head >= 0 && nrec > (uint64_t)o.head)
				continue;
			printf("{\"record\":%llu,", (unsigned long long)nrec);
			for (size_t k = 0; k < dbv_val_len(rec); k++) {
				if (k)
					putchar(',');
				print_val(dbv_map_key(rec, k));
				putchar(':');
				print_val(dbv_map_value(rec, k));
			}
			fputs("}\n", stdout);
		}
		if (rc != DBV_END)
			goto fail;
		if (o.summary)
			summary_print(&sm, r, nrec);
		else {
			const dbv_val *e = dbv_reader_trailer(r);
			putchar('{');
			for (size_t k = 0; k < dbv_val_len(e); k++) {
				if (k)
					putchar(',');
				print_val(dbv_map_key(e, k));
				putchar(':');
				print_val(dbv_map_value(e, k));
			}
			fputs("}\n", stdout);
		}
		if ((rc = dbv_reader_at_eof(r, &eof)))
			goto fail;
	} while (!eof);
	dbv_reader_free(r);
	if (fflush(stdout) || ferror(stdout) || fclose(stdout)) {
		dbv_tool_error("write error on standard output");
		return DBV_EIO;
	}
	return 0;
fail:
	/* What was printed so far stays: it shows where the stream broke. */
	fflush(stdout);
	dbv_tool_die(rc);
}
