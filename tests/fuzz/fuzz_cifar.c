/*
 * fuzz_cifar.c - libFuzzer harness for the CIFAR loader
 * (dbv_dataset_load_cifar in lib/data/data.c), CIFAR-10 and CIFAR-100.
 *
 * The loader takes a list of files, so the input is cut in two:
 *
 *   +--------+--------+------------------+-------------------+
 *   | N (u16, big-end.) | N bytes: file A  | the rest: file B  |
 *   +--------+--------+------------------+-------------------+
 *
 * and loaded four ways: [A] and [A, B], each with 1 label byte (CIFAR-10)
 * and 2 (CIFAR-100).  A record is 3073 or 3074 bytes, so `make fuzz`'s
 * 64 KiB inputs hold about 20 records.  The files go into a directory of
 * this process's own and are unlinked after each run.
 *
 * What must hold: no crash, no leak, DBV_OK or DBV_EINPUT only, and on
 * success n = (size of the files) / record size, 3x32x32 items, labels in
 * range, pixels equal to the bytes of the files.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbv.h"

#define PIXELS (3 * 32 * 32)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], path_a[96], path_b[96];

static void remove_dir(void)
{
	unlink(path_a);
	unlink(path_b);
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

/* Load files[0..nfiles) (contents parts[], sizes lens[]) and check. */
static void load(char *const *files, const uint8_t *const *parts,
		 const size_t *lens, size_t nfiles, int label_bytes)
{
	const size_t rec = (size_t)label_bytes + PIXELS;
	struct dbv_dataset d;
	int rc = dbv_dataset_load_cifar(&d, files, nfiles, label_bytes);

	if (rc != DBV_OK) {
		if (rc != DBV_EINPUT) {
			fprintf(stderr, "unexpected status %d: %s\n", rc,
				dbv_errmsg());
			abort();
		}
		return;
	}
	size_t n = 0;
	for (size_t f = 0; f < nfiles; f++) {
		if (lens[f] == 0 || lens[f] % rec)
			abort(); /* accepted a file of the wrong size */
		n += lens[f] / rec;
	}
	if ((size_t)d.n != n || d.c != 3 || d.h != 32 || d.w != 32 ||
	    d.nclasses != (label_bytes == 1 ? 10 : 100))
		abort();
	/* Item i is record j of file f: pixels and fine label as stored. */
	size_t i = 0;
	uint64_t sum_r = 0;
	for (size_t f = 0; f < nfiles; f++)
		for (size_t j = 0; j < lens[f] / rec; j++, i++) {
			const uint8_t *r = parts[f] + j * rec;
			if (memcmp(d.x + i * PIXELS, r + label_bytes, PIXELS) ||
			    d.y[i] != r[label_bytes - 1] || d.y_true[i] != d.y[i] ||
			    d.y[i] >= d.nclasses || d.idx[i] != (int64_t)i)
				abort();
			if (label_bytes == 2 && r[0] >= 20)
				abort(); /* coarse label out of range */
			for (size_t k = 0; k < 1024; k++)
				sum_r += r[label_bytes + k];
		}
	for (int k = 0; k < d.nclasses; k++)
		if (!d.class_names[k] || !d.class_names[k][0])
			abort();
	/* Channel 0's mean from the histogram agrees with a plain sum. */
	if (!(fabs(d.mean[0] - (double)sum_r / (double)(n * 1024) / 255.0) <= 1e-9))
		abort();
	dbv_dataset_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *files[2] = {path_a, path_b};
	const uint8_t *parts[2];
	size_t lens[2], split;

	if (!dir[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/fuzz_cifar.XXXXXX",
			 t && *t && strlen(t) < 32 ? t : "/tmp");
		if (!mkdtemp(dir)) {
			perror(dir);
			abort();
		}
		snprintf(path_a, sizeof path_a, "%s/a.bin", dir);
		snprintf(path_b, sizeof path_b, "%s/b.bin", dir);
		atexit(remove_dir);
	}
	if (size < 2)
		return 0;
	split = (size_t)data[0] << 8 | data[1];
	data += 2;
	size -= 2;
	if (split > size)
		split = size;
	parts[0] = data;
	lens[0] = split;
	parts[1] = data + split;
	lens[1] = size - split;
	put_file(path_a, parts[0], lens[0]);
	put_file(path_b, parts[1], lens[1]);

	for (int lb = 1; lb <= 2; lb++) {
		load(files, parts, lens, 1, lb);
		load(files, parts, lens, 2, lb);
	}
	unlink(path_a);
	unlink(path_b);
	return 0;
}
