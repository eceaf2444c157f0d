/*
 * fuzz_kinds.c - libFuzzer harness for the kinds' readers (lib/kinds):
 * the input is read as one stream of whatever kind its header names, by
 * that kind's reader (dataset, planes, pred, table, model), each of which
 * checks every record whole.  Any result is fine but a crash, a leak, an
 * out-of-bounds access or undefined behaviour (the fuzz rule builds with
 * ASan and UBSan); a stream a reader accepts must also have a header the
 * generic reader accepts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dbv.h"

#define RECORD_LIMIT ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_planes(struct dbv_reader *r)
{
	struct dbv_dataset d;
	struct dbv_planes_meta m;
	struct dbv_planes_plane p;
	const dbv_val *rec;

	if (dbv_planes_read_header(r, &d, &m, NULL) == DBV_OK) {
		while (dbv_reader_next(r, &rec) == DBV_OK)
			if (dbv_planes_is_plane(rec) &&
			    dbv_planes_read_plane(r, rec, &d, &p) == DBV_OK)
				dbv_planes_plane_release(&p);
		dbv_planes_meta_release(&m);
	}
	dbv_dataset_release(&d);
}

static void read_pred(struct dbv_reader *r)
{
	struct dbv_pred_header h;
	struct dbv_pred_labels l;

	if (dbv_pred_header_decode(r, &h) != DBV_OK)
		return;
	dbv_pred_read_labels(r, &h, &l, "fuzz");
	dbv_pred_labels_release(&l);
	dbv_pred_header_release(&h);
}

/* A reader of the input from its first byte. */
static struct dbv_reader *reader(int fd)
{
	struct dbv_reader *r;

	if (lseek(fd, 0, SEEK_SET) != 0 || !(r = dbv_reader_new(fd, "fuzz")))
		abort();
	dbv_reader_set_limit(r, RECORD_LIMIT);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct dbv_reader *r;
	char kind[32] = "";

	if (fd < 0 && (fd = memfd_create("kinds", MFD_CLOEXEC)) < 0) {
		perror("memfd_create");
		abort();
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	/* The kind, from a first look at the header. */
	r = reader(fd);
	if (dbv_reader_header(r, NULL, NULL) == DBV_OK)
		snprintf(kind, sizeof kind, "%s", dbv_reader_kind(r));
	dbv_reader_free(r);
	/* Then the kind's reader, from the start (the readers of dataset,
	 * planes and model streams read the header themselves). */
	r = reader(fd);
	if (!strcmp(kind, "dataset")) {
		struct dbv_dataset d;
		struct dbv_dataset_read_opts o = {.accept = DBV_DATASET_F32,
						  .program = "fuzz"};
		if (dbv_dataset_read(r, &d, &o) == DBV_OK)
			dbv_dataset_release(&d);
	} else if (!strcmp(kind, "planes")) {
		read_planes(r);
	} else if (!strcmp(kind, "model")) {
		struct dbv_model m;
		double mean[4], std[4];
		memset(&m, 0, sizeof m);
		dbv_model_read(r, &m, mean, std);
		dbv_model_release(&m);
	} else if (kind[0] && dbv_reader_header(r, NULL, NULL) == DBV_OK) {
		if (!strcmp(kind, "pred")) {
			read_pred(r);
		} else if (!strcmp(kind, "table")) {
			struct dbv_table t;
			dbv_table_read_body(r, &t);
			dbv_table_release(&t);
		}
	}
	dbv_reader_free(r);
	return 0;
}
