/*
 * modelsize - the memory a dbv model needs to train, from its shapes (for
 * bench/train.sh, which sets it beside dbv-train's peak RSS).
 *
 *   modelsize ARCH WIDTH DEPTH C H W CLASSES BATCH [NAME=VALUE...]
 *
 * (NAME=VALUE: architecture options, as dbv-train's --NAME VALUE.)
 * prints one line of key=value pairs:
 *   params     elements of every parameter and buffer (dbv_model_count(m, 0))
 *   trainable  trainable elements (dbv_model_count(m, 1))
 *   pg_bytes   parameters and buffers + their gradients: 2 x total x 4
 *   act_bytes  activations + their gradients for BATCH items: the sum of
 *              slot_size over the model's slots (slot 0, the input, is the
 *              caller's and not counted; a view, which lies in its
 *              parent's buffer, neither) x BATCH x 2 x 4
 *   input_bytes    the normalised input batch: slot_size[0] x BATCH x 4
 *   scratch_bytes  the conv scratch (im2col) dbv_model_reserve allocates
 *   optim_bytes    SGD momentum: one float per element of p (dbv_optim)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbv.h"

static int num(const char *s, int lo, int hi, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == 0 || *end || v < lo || v > hi) {
		fprintf(stderr, "modelsize: bad %s '%s'\n", what, s);
		exit(2);
	}
	return (int)v;
}

int main(int argc, char **argv)
{
	struct dbv_arch a;
	struct dbv_model m;
	size_t act = 0;
	int batch;

	if (argc < 9) {
		fprintf(stderr, "usage: modelsize ARCH WIDTH DEPTH C H W CLASSES BATCH [NAME=VALUE...]\n");
		return 2;
	}
	dbv_arch_init(&a);
	if (strlen(argv[1]) >= sizeof a.name) {
		fprintf(stderr, "modelsize: bad arch '%s'\n", argv[1]);
		return 2;
	}
	strcpy(a.name, argv[1]);
	a.width = num(argv[2], 1, 65536, "width");
	a.depth = num(argv[3], 1, 64, "depth");
	a.c = num(argv[4], 1, 4, "channels");
	a.h = num(argv[5], 1, 4096, "height");
	a.w = num(argv[6], 1, 4096, "width");
	a.classes = num(argv[7], 2, 100000, "classes");
	batch = num(argv[8], 1, 65536, "batch");
	for (int i = 9; i < argc; i++) {
		char name[32], *eq = strchr(argv[i], '=');

		if (!eq || (size_t)(eq - argv[i]) >= sizeof name) {
			fprintf(stderr, "modelsize: '%s' is not NAME=VALUE\n", argv[i]);
			return 2;
		}
		memcpy(name, argv[i], (size_t)(eq - argv[i]));
		name[eq - argv[i]] = 0;
		if (dbv_arch_option(&a, name, eq + 1)) {
			fprintf(stderr, "modelsize: %s\n", dbv_errmsg());
			return 2;
		}
	}
	if (dbv_model_build(&m, &a) || dbv_model_reserve(&m, batch)) {
		fprintf(stderr, "modelsize: %s\n", dbv_errmsg());
		return 1;
	}
	for (int i = 1; i < m.nslots; i++)
		if (m.slot_parent[i] < 0) /* a view lies in its parent */
			act += m.slot_size[i];
	printf("params=%zu trainable=%zu pg_bytes=%zu act_bytes=%zu input_bytes=%zu "
	       "scratch_bytes=%zu optim_bytes=%zu\n",
	       dbv_model_count(&m, 0), dbv_model_count(&m, 1),
	       m.total * 2 * sizeof(float), act * (size_t)batch * 2 * sizeof(float),
	       m.slot_size[0] * (size_t)batch * sizeof(float),
	       m.scratch_size * sizeof(float), m.total * sizeof(float));
	dbv_model_release(&m);
	return 0;
}
