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

static struct dbv_json J; /* stdout */

static void json_shape(const int64_t *shape, int ndim)
{
	dbv_json_arr(&J);
	for (int i = 0; i < ndim; i++)
		dbv_json_i64(&J, shape[i]);
	dbv_json_arr_end(&J);
}

/* "min", "max", "mean" of cnt elements (none when cnt is 0). */
static void json_stats(double mn, double mx, double sum, size_t cnt)
{
	if (!cnt)
		return;
	dbv_json_key(&J, "min");
	dbv_json_float(&J, mn);
	dbv_json_key(&J, "max");
	dbv_json_float(&J, mx);
	dbv_json_key(&J, "mean");
	dbv_json_float(&J, sum / (double)cnt);
}

static int print_val(const dbv_val *v);
static void print_members(const dbv_val *v);

static int print_tensor(const dbv_val *v)
{
	struct dbv_tensor t;
	double mn, mx, sum;
	size_t cnt;
	int rc = dbv_val_tensor(v, &t);
	if (rc)
		return rc;
	dbv_tensor_stats(&t, &mn, &mx, &sum, &cnt);
	dbv_json_obj(&J);
	dbv_json_key(&J, "dtype");
	dbv_json_str(&J, dbv_dtype_name(t.dtype));
	dbv_json_key(&J, "shape");
	json_shape(t.shape, t.ndim);
	json_stats(mn, mx, sum, cnt);
	/* Equal CRCs: (almost surely) equal bytes, e.g. two models. */
	char crc[16];
	snprintf(crc, sizeof crc, "%08x", dbv_crc32c(0, t.data, t.nbytes));
	dbv_json_key(&J, "crc32c");
	dbv_json_str(&J, crc);
	dbv_json_obj_end(&J);
	dbv_tensor_release(&t);
	return DBV_OK;
}

/* The entries of map v as members of the open JSON object. */
static void print_members(const dbv_val *v)
{
	const char *s;
	size_t n;
	int64_t i;

	for (size_t k = 0; k < dbv_val_len(v); k++) {
		const dbv_val *key = dbv_map_key(v, k);
		char num[32];
		/* JSON keys are strings: quote other keys. */
		if (dbv_val_type(key) == DBV_V_STR) {
			dbv_val_str(key, &s, &n);
			dbv_json_keyn(&J, s, n);
		} else {
			if (dbv_val_i64(key, &i) == DBV_OK)
				snprintf(num, sizeof num, "%lld", (long long)i);
			else
				strcpy(num, "?");
			dbv_json_key(&J, num);
		}
		print_val(dbv_map_value(v, k));
	}
}

static int print_val(const dbv_val *v)
{
	const char *s;
	size_t n;
	int64_t i;
	double d;
	int b;

	switch (dbv_val_type(v)) {
	case DBV_V_NIL: dbv_json_null(&J); break;
	case DBV_V_BOOL: dbv_val_bool(v, &b); dbv_json_bool(&J, b); break;
	case DBV_V_INT:
		if (dbv_val_i64(v, &i) == DBV_OK) {
			dbv_json_i64(&J, i);
		} else {
			uint64_t u = 0;
			dbv_val_u64(v, &u);
			dbv_json_u64(&J, u);
		}
		break;
	case DBV_V_FLOAT: dbv_val_double(v, &d); dbv_json_float(&J, d); break;
	case DBV_V_STR: dbv_val_str(v, &s, &n); dbv_json_strn(&J, s, n); break;
	case DBV_V_BIN:
		dbv_json_obj(&J);
		dbv_json_key(&J, "bin");
		dbv_json_u64(&J, dbv_val_len(v));
		dbv_json_obj_end(&J);
		break;
	case DBV_V_ARRAY:
		dbv_json_arr(&J);
		for (size_t k = 0; k < dbv_val_len(v); k++)
			print_val(dbv_array_at(v, k));
		dbv_json_arr_end(&J);
		break;
	case DBV_V_MAP:
		if (dbv_val_is_tensor(v))
			return print_tensor(v);
		dbv_json_obj(&J);
		print_members(v);
		dbv_json_obj_end(&J);
		break;
	default:
		dbv_json_obj(&J);
		dbv_json_key(&J, "ext");
		dbv_json_bool(&J, 1);
		dbv_json_obj_end(&J);
		break;
	}
	return DBV_OK;
}

static void summary_print(const struct dbv_summary *sm, struct dbv_reader *r,
			  uint64_t nrec)
{
	const dbv_val *meta = dbv_reader_meta(r);
	int64_t classes;
	dbv_json_obj(&J);
	dbv_json_key(&J, "kind");
	dbv_json_str(&J, dbv_reader_kind(r));
	dbv_json_key(&J, "records");
	dbv_json_u64(&J, nrec);
	for (size_t j = 0; j < sm->n; j++)
		if (!strcmp(sm->s[j].key, dbv_dataset_items_key()) &&
		    sm->s[j].consistent) {
			dbv_json_key(&J, "items");
			dbv_json_i64(&J, sm->s[j].shape[0]);
			dbv_json_key(&J, "item_shape");
			json_shape(sm->s[j].shape + 1, sm->s[j].ndim - 1);
		}
	if (dbv_kind_classes(r, &classes) == DBV_OK) {
		dbv_json_key(&J, "classes");
		dbv_json_i64(&J, classes);
	}
	dbv_json_key(&J, "tensors");
	dbv_json_obj(&J);
	for (size_t j = 0; j < sm->n; j++) {
		const struct dbv_summary_key *st = &sm->s[j];
		dbv_json_key(&J, st->key);
		dbv_json_obj(&J);
		dbv_json_key(&J, "dtype");
		dbv_json_str(&J, dbv_dtype_name(st->dtype));
		if (st->consistent) {
			dbv_json_key(&J, "shape");
			json_shape(st->shape, st->ndim);
		}
		json_stats(st->min, st->max, st->sum, st->count);
		dbv_json_obj_end(&J);
	}
	dbv_json_obj_end(&J);
	dbv_json_key(&J, "meta");
	print_val(meta);
	dbv_json_obj_end(&J);
	putchar('\n');
}

/* One output line: {"record":N, the map's entries} (no "record" for
 * the trailer, no < 0). */
static void print_line(int64_t no, const dbv_val *map)
{
	dbv_json_obj(&J);
	if (no >= 0) {
		dbv_json_key(&J, "record");
		dbv_json_i64(&J, no);
	}
	print_members(map);
	dbv_json_obj_end(&J);
	putchar('\n');
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
	while ((c = dbv_tool_getopt(argc, argv, ":sn:h", longopts)) != -1) {
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
		case 'h': dbv_tool_help(usage);
		case 'V': dbv_tool_version(); dbv_tool_exit_ok();
		}
		continue;
bad_value:
		dbv_tool_bad_value(c == 'n' ? "--head" : "--max-record");
	}
	if (optind < argc)
		o->input = argv[optind++];
	if (optind < argc)
		dbv_tool_usage("too many arguments (one input at most)");
}

int main(int argc, char **argv)
{
	struct options o;
	/* Static: what a failed run holds when it exits stays reachable
	 * (LeakSanitizer), whatever the compiler keeps of main's frame. */
	static struct dbv_reader *r;
	const dbv_val *h, *rec;
	int fd, rc, eof;

	dbv_tool_init("dbv-inspect", argv);
	dbv_json_init(&J, stdout);
	parse_options(argc, argv, &o);
	if ((rc = dbv_input_open(o.input, &fd)))
		dbv_tool_die(rc);
	r = dbv_reader_new(fd, o.input ? o.input : "-");
	if (!r)
		dbv_tool_die(DBV_EIO);
	dbv_reader_set_limit(r, (size_t)o.max_record);
	do {
		struct dbv_summary sm = {.n = 0};
		uint64_t nrec = 0;
		if ((rc = dbv_reader_header(r, NULL, &h)))
			goto fail;
		if (!o.summary) {
			print_line(0, h);
		}
		while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
			nrec++;
			if (o.summary) {
				dbv_summary_add(&sm, rec);
				continue;
			}
			if (o.head >= 0 && nrec > (uint64_t)o.head)
				continue;
			print_line(nrec, rec);
		}
		if (rc != DBV_END)
			goto fail;
		if (o.summary)
			summary_print(&sm, r, nrec);
		else {
			print_line(-1, dbv_reader_trailer(r));
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
