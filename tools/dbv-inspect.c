/*
 * dbv-inspect - print any dbv stream as JSON lines and validate it.
 *
 *   dbv-inspect [--summary | --values KEY[A:B]] [--head N]
 *               [--max-record BYTES] [FILE|-]
 *
 * Default: the header, then one line per record (tensors summarised as
 * dtype, shape, min, max, mean), then the trailer.  --summary: one line per
 * stream with counts and stacked tensor shapes.  --values: the records
 * holding the rows asked for, with that tensor's values (lib/stream/
 * values.c).  The whole input is read and checked in every mode; exit 0
 * only when it is a valid stream.
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
	"      --values KEY[A:B]  the values of the tensors at KEY, rows A to B-1\n"
	"                         of their stack over the records ([I], [A:], [:B]\n"
	"                         or KEY alone: all); printed after the check\n"
	"      --max-record B     refuse records over B bytes (default 268435456)\n"
	"  -h, --help             this text\n"
	"      --version          versions of dbv and its libraries\n"
	"\n"
	"Exit: 0 valid stream, 2 usage, 3 bad or truncated input, 4 I/O error.\n";

struct options {
	int summary;
	const char *values;
	int64_t head;
	uint64_t max_record;
	const char *input;
};

static struct dbv_json J; /* stdout */

/* One output line: {"record":N, the map's entries} (no "record" for
 * the trailer, no < 0). */
static void print_line(int64_t no, const dbv_val *map)
{
	dbv_json_obj(&J);
	if (no >= 0) {
		dbv_json_key(&J, "record");
		dbv_json_i64(&J, no);
	}
	dbv_json_members(&J, map);
	dbv_json_obj_end(&J);
	putchar('\n');
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"summary", no_argument, NULL, 's'},
		{"head", required_argument, NULL, 'n'},
		{"values", required_argument, NULL, 'v'},
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
		case 'v': o->values = optarg; break;
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
	if (o->values && (o->summary || o->head >= 0))
		dbv_tool_usage("--values goes without --summary and --head");
}

/* --values: each stream's lines are held in memory (vf) until its
 * trailer is checked and the rows asked for are known to be there, so
 * that nothing is printed of a broken stream or a bad selection. */
static struct dbv_values sel;
static char *vbuf;
static size_t vlen;
static FILE *vf;

static int values_begin(struct dbv_json *vj)
{
	dbv_values_start(&sel);
	if (!(vf = open_memstream(&vbuf, &vlen)))
		return dbv_seterr(DBV_EIO, "out of memory");
	dbv_json_init(vj, vf);
	return DBV_OK;
}

static int values_end(void)
{
	int rc = dbv_values_end(&sel);
	if (!rc && (ferror(vf) || fflush(vf)))
		rc = dbv_seterr(DBV_EIO, "out of memory");
	fclose(vf);
	vf = NULL;
	if (!rc)
		fwrite(vbuf, 1, vlen, stdout);
	free(vbuf);
	vbuf = NULL;
	return rc;
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
	if (o.values && (rc = dbv_values_parse(o.values, &sel)))
		dbv_tool_die(rc);
	if ((rc = dbv_input_open(o.input, &fd)))
		dbv_tool_die(rc);
	r = dbv_reader_new(fd, o.input ? o.input : "-");
	if (!r)
		dbv_tool_die(DBV_EIO);
	dbv_reader_set_limit(r, (size_t)o.max_record);
	do {
		struct dbv_summary sm = {.n = 0};
		struct dbv_json vj;
		uint64_t nrec = 0;
		if ((rc = dbv_reader_header(r, NULL, &h)))
			goto fail;
		if (o.values && (rc = values_begin(&vj)))
			goto fail;
		if (!o.summary && !o.values) {
			print_line(0, h);
		}
		while ((rc = dbv_reader_next(r, &rec)) == DBV_OK) {
			nrec++;
			if (o.values) {
				if ((rc = dbv_values_record(&vj, &sel, (int64_t)nrec, rec)))
					goto fail;
				continue;
			}
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
		if (o.values) {
			if ((rc = values_end()))
				goto fail;
		} else if (o.summary)
			dbv_summary_write_json(&J, &sm, r, nrec);
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
