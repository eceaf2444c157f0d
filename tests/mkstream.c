/*
 * mkstream - write special dbv streams for the shell tests with libdbv's
 * writer: the cases no tool produces on purpose.
 *
 *   mkstream empty-dataset    a valid dataset stream with no items
 *   mkstream upstream-error   a dataset header, one batch, an error record
 *   mkstream no-end           a dataset header and one batch, no trailer
 */
#include <string.h>

#include "dbv.h"

static void header(struct dbv_writer *w, char **argv)
{
	int64_t shape[3] = {1, 2, 2};
	double mean[1] = {0.5}, std[1] = {0.25};
	char *names[2] = {"a", "b"};
	dbv_writer_header_begin(w, "dataset", NULL, 2, argv, 7);
	dbv_w_key(w, "dataset"); dbv_w_str(w, "mkstream");
	dbv_w_key(w, "n"); dbv_w_i64(w, 0);
	dbv_w_key(w, "shape"); dbv_w_i64_array(w, shape, 3);
	dbv_w_key(w, "classes"); dbv_w_i64(w, 2);
	dbv_w_key(w, "class_names"); dbv_w_str_array(w, names, 2);
	dbv_w_key(w, "mean"); dbv_w_f64_array(w, mean, 1);
	dbv_w_key(w, "std"); dbv_w_f64_array(w, std, 1);
	dbv_writer_header_end(w);
}

static void batch(struct dbv_writer *w)
{
	uint8_t x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	int32_t y[2] = {0, 1};
	int64_t sx[4] = {2, 1, 2, 2}, sy[1] = {2};
	dbv_writer_record_begin(w, "batch", 2);
	dbv_w_key(w, "x"); dbv_w_tensor_raw(w, DBV_U8, 4, sx, x);
	dbv_w_key(w, "y"); dbv_w_tensor_raw(w, DBV_I32, 1, sy, y);
	dbv_writer_record_end(w);
}

int main(int argc, char **argv)
{
	struct dbv_writer *w = dbv_writer_new(1, "mkstream");
	int rc;
	if (argc != 2 || !w) {
		fprintf(stderr, "usage: mkstream empty-dataset|upstream-error|no-end\n");
		return 2;
	}
	header(w, argv);
	if (!strcmp(argv[1], "empty-dataset")) {
		dbv_writer_finish(w);
	} else if (!strcmp(argv[1], "upstream-error")) {
		batch(w);
		dbv_writer_fail(w, "something broke upstream");
	} else if (!strcmp(argv[1], "no-end")) {
		batch(w);
		dbv_writer_flush(w); /* no trailer */
	} else {
		fprintf(stderr, "mkstream: unknown case '%s'\n", argv[1]);
		dbv_writer_free(w);
		return 2;
	}
	rc = dbv_writer_status(w) ? 4 : 0;
	dbv_writer_free(w);
	return rc;
}
