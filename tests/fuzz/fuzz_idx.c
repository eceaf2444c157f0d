/*
 * fuzz_idx.c - libFuzzer harness for the IDX loader (dbv_dataset_load_idx
 * in lib/data/data.c), plain and gzip files.
 *
 * The loader takes two paths, so the input is cut in two files:
 *
 *   +--------+--------+---------------------+----------------------+
 *   | N (u16, big-end.) | N bytes: images file | the rest: labels file |
 *   +--------+--------+---------------------+----------------------+
 *
 * (N larger than what follows: all of it is the images file.)  The files
 * go into a directory of this process's own (several fuzzing processes
 * may share /tmp) and are unlinked after each run.
 *
 * What must hold: no crash, no leak, a status of DBV_OK or DBV_EINPUT
 * (never DBV_EIO on a readable file), and on success a data set whose
 * sizes agree with each other and whose labels are in range.
 *
 * A gzip file's declared size cannot be checked up front: the loader
 * grows its buffer as data arrives, so a 64 KiB input inflates to at most
 * about 66 MB, well under `make fuzz`'s -rss_limit_mb.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], images[96], labels[96];

static void remove_dir(void)
{
	unlink(images);
	unlink(labels);
	rmdir(dir);
}

static void put_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f)) {
		perror(path);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dbv_dataset d;
	size_t split;
	int rc;

	if (!dir[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/fuzz_idx.XXXXXX",
			 t && *t && strlen(t) < 32 ? t : "/tmp");
		if (!mkdtemp(dir)) {
			perror(dir);
			abort();
		}
		snprintf(images, sizeof images, "%s/images", dir);
		snprintf(labels, sizeof labels, "%s/labels", dir);
		atexit(remove_dir);
	}
	if (size < 2)
		return 0;
	split = (size_t)data[0] << 8 | data[1];
	data += 2;
	size -= 2;
	if (split > size)
		split = size;
	put_file(images, data, split);
	put_file(labels, data + split, size - split);

	rc = dbv_dataset_load_idx(&d, images, labels);
	if (rc == DBV_OK) {
		size_t px = (size_t)(d.n * d.c * d.h * d.w);
		unsigned sum = 0;
		uint64_t sum_px = 0;
		if (d.n < 1 || d.c != 1 || d.h < 1 || d.w < 1 ||
		    d.nclasses != 10 || !d.class_names)
			abort();
		/* Touch every pixel and label: ASan checks the sizes. */
		for (size_t i = 0; i < px; i++)
			sum_px += d.x[i];
		for (int64_t i = 0; i < d.n; i++) {
			if (d.y[i] < 0 || d.y[i] >= d.nclasses ||
			    d.y_true[i] != d.y[i] || d.idx[i] != i)
				abort();
			sum += (unsigned)d.y[i];
		}
		for (int k = 0; k < d.nclasses; k++)
			sum += (unsigned)strlen(d.class_names[k]);
		/* The histogram statistics agree with a plain sum. */
		if (!(fabs(d.mean[0] - (double)sum_px / (double)px / 255.0) <= 1e-9 &&
		      d.std[0] >= 0 && d.std[0] <= 0.5))
			abort();
		(void)sum;
		dbv_dataset_release(&d);
	} else if (rc != DBV_EINPUT) {
		fprintf(stderr, "unexpected status %d: %s\n", rc, dbv_errmsg());
		abort();
	}
	unlink(images);
	unlink(labels);
	return 0;
}
