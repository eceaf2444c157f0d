/*
 * test_estimate.c - the cost arithmetic of --estimate (lib/nn/estimate.c):
 * seconds from rates, worked by hand; the bytes a trainer and a
 * prediction model count, against the heap growth that glibc's
 * mallinfo2 measures while they allocate; and dbv_trainer_measure's
 * figures agreeing with that arithmetic.
 */
#include <malloc.h>
#include <string.h>

#include "check.h"

/* What the counts may miss: 3% and the padding of one allocation of 4
 * MiB or more, which dbv_amalloc aligns to 2 MiB (lib/base/util.c) -
 * address space that the process does not touch. */
#define SLACK (2.0 * (1 << 20))

/* Bytes the heap holds now: small chunks and mmapped ones. */
static double heap(void)
{
	struct mallinfo2 mi = mallinfo2();
	return (double)mi.uordblks + (double)mi.hblkhd;
}

/* Whether mallinfo2 sees this process's allocations: not under
 * AddressSanitizer, whose allocator is its own (then the byte counts
 * cannot be held against the heap, and those checks are skipped, saying
 * so). */
static int heap_measurable(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return 0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return 0;
#endif
#endif
	return 1;
}

static void make_set(struct dbv_dataset *d, int n, int side)
{
	struct dbv_rng r;

	memset(d, 0, sizeof *d);
	dbv_rng_seed(&r, 7);
	d->n = n;
	d->c = 1;
	d->h = d->w = side;
	d->nclasses = 10;
	d->x = malloc((size_t)n * side * side);
	d->y = malloc((size_t)n * sizeof *d->y);
	for (int i = 0; i < n; i++) {
		d->y[i] = i % 10;
		for (int k = 0; k < side * side; k++)
			d->x[(size_t)i * side * side + k] = (uint8_t)dbv_rng_below(&r, 256);
	}
	d->mean[0] = 0.5;
	d->std[0] = 0.3;
}

static void test_seconds(void)
{
	/* 3 epochs of 1000 images at 500/s: 2 s each. */
	CHECK_NEAR(dbv_estimate_seconds(3, 1000, 500, 0, 0), 6.0, 1e-12);
	/* plus 200 test images at 400/s after each: 0.5 s more an epoch. */
	CHECK_NEAR(dbv_estimate_seconds(3, 1000, 500, 200, 400), 7.5, 1e-12);
	/* a prediction: 8000 points at 16000/s */
	CHECK_NEAR(dbv_estimate_seconds(1, 8000, 16000, 0, 0), 0.5, 1e-12);
}

/* What the trainer counts against what the heap grew by while it was
 * made (its own data sets were allocated before: not in the growth). */
static void test_trainer_bytes(const char *arch, int width, const char *optim,
			       int batch)
{
	struct dbv_dataset d;
	struct dbv_arch a = {.width = width, .depth = 1};
	struct dbv_train_cfg c;
	struct dbv_trainer t;

	make_set(&d, 500, 28);
	snprintf(a.name, sizeof a.name, "%s", arch);
	dbv_train_cfg_default(&c);
	snprintf(c.optim, sizeof c.optim, "%s", optim);
	c.lr = 0.001;
	c.batch = batch;
	double h0 = heap();
	CHECK_OK(dbv_trainer_init(&t, &a, &c, &d, NULL));
	double grown = heap() - h0;
	double counted = (double)(dbv_trainer_bytes(&t) - dbv_dataset_bytes(&d));
	if (!(counted <= grown && counted >= 0.97 * grown - SLACK))
		fprintf(stderr, "%s w=%d %s batch %d: counted %.0f, heap grew %.0f\n",
			arch, width, optim, batch, counted, grown);
	CHECK(counted <= grown);
	CHECK(counted >= 0.97 * grown - SLACK);
	/* The data set: 500 items of 784 bytes, their labels, nothing else
	 * allocated (y_true and idx NULL are counted as if they were: the
	 * loaders make them). */
	CHECK_EQ_INT(dbv_dataset_bytes(&d), 500 * 784 + 500 * (4 + 4 + 8));
	dbv_trainer_release(&t);
	free(d.x);
	free(d.y);
}

/* A prediction model: built and reserved for evaluation, against the
 * heap's growth. */
static void test_model_bytes(void)
{
	struct dbv_arch a = {.name = "cnn5", .width = 8, .c = 1, .h = 28, .w = 28,
			     .classes = 10};
	struct dbv_model m;
	double h0 = heap();

	CHECK_OK(dbv_model_build(&m, &a));
	CHECK_OK(dbv_model_reserve_eval(&m, 256));
	double grown = heap() - h0, counted = (double)dbv_model_bytes(&m);
	if (!(counted <= grown && counted >= 0.97 * grown - SLACK))
		fprintf(stderr, "cnn5 eval: counted %.0f, heap grew %.0f\n", counted, grown);
	CHECK(counted <= grown);
	CHECK(counted >= 0.97 * grown - SLACK);
	dbv_model_release(&m);
}

/* dbv_trainer_measure: positive rates, and seconds, items and memory as
 * the arithmetic above gives them from its rates. */
static void test_measure(void)
{
	struct dbv_dataset d, te;
	struct dbv_arch a = {.name = "mlp", .width = 16, .depth = 1};
	struct dbv_train_cfg c;
	struct dbv_trainer t;
	struct dbv_estimate e;

	make_set(&d, 300, 8);
	make_set(&te, 100, 8);
	dbv_train_cfg_default(&c);
	c.epochs = 7;
	c.batch = 32;
	c.threads = 1;
	CHECK_OK(dbv_trainer_init(&t, &a, &c, &d, &te));
	CHECK_OK(dbv_trainer_measure(&t, 0.05, &e));
	CHECK(e.train == 1);
	CHECK(e.rate > 0 && e.eval_rate > 0);
	CHECK_EQ_INT(e.items, 300);
	CHECK_EQ_INT(e.epochs, 7);
	CHECK_EQ_INT(e.eval_items, 100);
	CHECK_EQ_INT(e.threads, 1);
	CHECK_NEAR(e.seconds, 7 * (300 / e.rate + 100 / e.eval_rate), 1e-9 * e.seconds);
	CHECK(e.cpu_seconds > 0);
	CHECK_EQ_INT(e.memory, dbv_trainer_bytes(&t));
	dbv_trainer_release(&t);
	free(d.x), free(d.y), free(te.x), free(te.y);
}

int main(void)
{
	dbv_blas_set_threads(1);
	test_seconds();
	if (heap_measurable()) {
		test_trainer_bytes("mlp", 64, "sgd", 32);
		test_trainer_bytes("cnn5", 8, "adam", 64);
		test_trainer_bytes("resnet18", 4, "sgd", 16);
		test_model_bytes();
	} else {
		printf("skip: test_estimate: the byte counts against the heap "
		       "(mallinfo2 does not see this allocator: a sanitizer build)\n");
	}
	test_measure();
	return check_done();
}
