/*
 * test_triplets.c - random triplets and anchors (lib/study/triplets.c)
 * against the rules of dbv-plane(1), TRIPLETS: the draws of the one-pool
 * cases against a plain re-implementation of the documented procedure,
 * the class and label rules, reproducible seeds, the refusals; the
 * anchors of images and of noise.
 */
#include <string.h>

#include "check.h"

#define N 60

static int32_t y[N], yt[N];

/* Labels i % 10; every 7th item unlabelled (-1). */
static void labels_plain(void)
{
	for (int i = 0; i < N; i++)
		y[i] = yt[i] = i % 7 == 3 ? -1 : i % 10;
}

/* The documented procedure without --mislabeled, written out plainly:
 * the pool is the labelled items (of want) in stream order; anchor k =
 * pool[below(size)], drawn again while its class is an earlier anchor's.
 * Same class: the eligible classes (3 items or more) ascending, the
 * class, then its items by below(count), drawn again while an earlier
 * anchor. */
static void reference(int same, const uint8_t *want, uint64_t seed,
		      int64_t count, int64_t *out)
{
	int64_t pool[N], np = 0, elig[10], ne = 0, items[N];
	struct dbv_rng r;

	for (int i = 0; i < N; i++)
		if (y[i] >= 0 && (!want || want[y[i]]))
			pool[np++] = i;
	for (int c = 0; c < 10; c++) {
		int64_t k = 0;
		for (int64_t j = 0; j < np; j++)
			k += y[pool[j]] == c;
		if (k >= 3)
			elig[ne++] = c;
	}
	dbv_rng_seed(&r, seed);
	for (int64_t t = 0; t < count; t++) {
		int64_t *o = out + 3 * t;
		if (!same) {
			for (int k = 0; k < 3; k++) {
				int64_t i;
				do
					i = pool[dbv_rng_below(&r, (uint64_t)np)];
				while ((k > 0 && y[i] == y[o[0]]) ||
				       (k > 1 && y[i] == y[o[1]]));
				o[k] = i;
			}
			continue;
		}
		const int64_t c = elig[dbv_rng_below(&r, (uint64_t)ne)];
		int64_t ni = 0;
		for (int64_t j = 0; j < np; j++)
			if (y[pool[j]] == c)
				items[ni++] = pool[j];
		for (int k = 0; k < 3; k++) {
			int64_t i;
			do
				i = items[dbv_rng_below(&r, (uint64_t)ni)];
			while ((k > 0 && i == o[0]) || (k > 1 && i == o[1]));
			o[k] = i;
		}
	}
}

static struct dbv_triplet_opts opts(int64_t count, uint64_t seed)
{
	struct dbv_triplet_opts o = {.count = count, .seed = seed,
				     .mislabeled = -1};
	return o;
}

static void test_reference(void)
{
	static int64_t got[3 * 300], want[3 * 300];
	const int64_t cls[4] = {8, 2, 5, 3};
	uint8_t w[10] = {0};
	struct dbv_triplet_opts o;

	labels_plain();
	for (uint64_t seed = 0; seed < 4; seed++) {
		o = opts(300, seed);
		CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, got));
		reference(0, NULL, seed, 300, want);
		CHECK(memcmp(got, want, sizeof got) == 0);
		o.same_class = 1;
		CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, got));
		reference(1, NULL, seed, 300, want);
		CHECK(memcmp(got, want, sizeof got) == 0);
	}
	/* --classes: the pool keeps stream order whatever the list's order. */
	for (int k = 0; k < 4; k++)
		w[cls[k]] = 1;
	o = opts(300, 9);
	o.classes = cls;
	o.nclasses = 4;
	CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, got));
	reference(0, w, 9, 300, want);
	CHECK(memcmp(got, want, sizeof got) == 0);
	o.same_class = 1;
	CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, got));
	reference(1, w, 9, 300, want);
	CHECK(memcmp(got, want, sizeof got) == 0);
}

/* Three distinct classes, labelled items only, all over the data; the
 * same seed the same triplets, a prefix for fewer; another seed others. */
static void test_rules(void)
{
	static int64_t a[3 * 200], b[3 * 200];
	int seen[N] = {0}, used = 0, cls[10] = {0};
	struct dbv_triplet_opts o = opts(200, 1);

	labels_plain();
	CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, a));
	for (int t = 0; t < 200; t++) {
		const int64_t *p = a + 3 * t;
		for (int k = 0; k < 3; k++) {
			CHECK(p[k] >= 0 && p[k] < N && y[p[k]] >= 0);
			used += !seen[p[k]]++;
			cls[y[p[k]]] = 1;
		}
		CHECK(y[p[0]] != y[p[1]] && y[p[0]] != y[p[2]] && y[p[1]] != y[p[2]]);
	}
	CHECK(used >= 45);
	for (int c = 0; c < 10; c++)
		CHECK(cls[c]);
	CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, b));
	CHECK(memcmp(a, b, sizeof a) == 0);
	o.count = 10;
	CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, b));
	CHECK(memcmp(a, b, 30 * sizeof *a) == 0);
	o = opts(200, 2);
	CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, b));
	CHECK(memcmp(a, b, sizeof a) != 0);

	/* One class, three distinct items of it. */
	o.same_class = 1;
	CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, a));
	for (int t = 0; t < 200; t++) {
		const int64_t *p = a + 3 * t;
		CHECK(y[p[0]] >= 0 && y[p[0]] == y[p[1]] && y[p[0]] == y[p[2]]);
		CHECK(p[0] != p[1] && p[0] != p[2] && p[1] != p[2]);
	}
}

static void test_classes(void)
{
	int64_t t[3 * 50];
	const int64_t three[3] = {1, 4, 7}, two[2] = {1, 4}, out[3] = {1, 4, 10},
		      one[1] = {3};
	struct dbv_triplet_opts o = opts(50, 1);

	labels_plain();
	o.classes = three;
	o.nclasses = 3;
	CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, t));
	for (int i = 0; i < 150; i++)
		CHECK(y[t[i]] == 1 || y[t[i]] == 4 || y[t[i]] == 7);
	o.classes = two;
	o.nclasses = 2;
	CHECK_RC(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, t), DBV_EUSAGE);
	CHECK(!strcmp(dbv_errmsg(), "fewer than three classes to draw "
		      "distinct-class triplets from (2)"));
	o.classes = out;
	o.nclasses = 3;
	CHECK_RC(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, t), DBV_EUSAGE);
	CHECK(strstr(dbv_errmsg(), "--classes: class 10 is out of range (the "
		     "stream has 10 classes)") != NULL);
	o.classes = one;
	o.nclasses = 1;
	o.same_class = 1;
	CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, t));
	for (int i = 0; i < 150; i++)
		CHECK_EQ_INT(y[t[i]], 3);

	/* Unlabelled items are never drawn: none labelled, no triplets. */
	for (int i = 0; i < N; i++)
		y[i] = yt[i] = -1;
	o = opts(1, 0);
	CHECK_RC(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, t), DBV_EUSAGE);
	CHECK(strstr(dbv_errmsg(), "distinct-class triplets from (0)") != NULL);
	o.same_class = 1;
	CHECK_RC(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, t), DBV_EUSAGE);
	CHECK(!strcmp(dbv_errmsg(), "--same-class: no class has three items to "
		      "draw from"));
}

/* --mislabeled K: the first K anchors have y != y_true, the rest not. */
static void test_mislabeled(void)
{
	int64_t t[3 * 100];
	struct dbv_triplet_opts o;

	/* Every third item moved to the next class. */
	for (int i = 0; i < N; i++) {
		yt[i] = i % 10;
		y[i] = i % 3 == 0 ? (yt[i] + 1) % 10 : yt[i];
	}
	for (int k = 0; k <= 3; k++) {
		o = opts(100, 5);
		o.mislabeled = k;
		CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, t));
		for (int i = 0; i < 100; i++) {
			const int64_t *p = t + 3 * i;
			for (int j = 0; j < 3; j++)
				CHECK((y[p[j]] != yt[p[j]]) == (j < k));
			CHECK(y[p[0]] != y[p[1]] && y[p[0]] != y[p[2]] &&
			      y[p[1]] != y[p[2]]);
		}
	}
	o = opts(100, 5);
	o.mislabeled = 1;
	o.same_class = 1;
	CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, t));
	for (int i = 0; i < 100; i++) {
		const int64_t *p = t + 3 * i;
		CHECK(y[p[0]] == y[p[1]] && y[p[0]] == y[p[2]]);
		CHECK(y[p[0]] != yt[p[0]] && y[p[1]] == yt[p[1]] && y[p[2]] == yt[p[2]]);
	}
	/* Mislabeled items in classes 1, 4 and 7 only: two mislabeled
	 * anchors of distinct classes and one correct of a third work;
	 * correctly labelled items of the first two classes cannot be the
	 * third anchor. */
	for (int i = 0; i < N; i++) {
		yt[i] = i % 10;
		y[i] = i == 0 ? 1 : i == 2 ? 4 : yt[i];
	}
	o = opts(100, 7);
	o.mislabeled = 2;
	CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, t));
	for (int i = 0; i < 100; i++) {
		const int64_t *p = t + 3 * i;
		CHECK((p[0] == 0 && p[1] == 2) || (p[0] == 2 && p[1] == 0));
		CHECK(y[p[2]] == yt[p[2]] && y[p[2]] != 1 && y[p[2]] != 4);
	}
	o.mislabeled = 3;
	CHECK_RC(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, t), DBV_EUSAGE);
	CHECK(!strcmp(dbv_errmsg(), "--mislabeled 3: too few items for 3 "
		      "mislabeled and 0 correctly labelled anchors of distinct "
		      "classes (2 mislabeled items in 2 classes, 58 correctly "
		      "labelled in 10)"));
	/* One class: the mislabeled items have labels 1 and 4, one each. */
	o.same_class = 1;
	o.mislabeled = 1;
	CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, t));
	for (int i = 0; i < 100; i++)
		CHECK(t[3 * i] == 0 || t[3 * i] == 2);
	o.mislabeled = 2;
	CHECK_RC(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, t), DBV_EUSAGE);
	CHECK(!strcmp(dbv_errmsg(), "--same-class --mislabeled 2: no class has "
		      "2 mislabeled and 1 correctly labelled items"));
	/* Without label noise nothing is mislabeled. */
	labels_plain();
	o = opts(3, 0);
	o.mislabeled = 1;
	CHECK_RC(dbv_triplets_draw(y, yt, N, 10, &o, NULL, NULL, t), DBV_EUSAGE);
	CHECK(strstr(dbv_errmsg(), "too few items") != NULL);
}

/* Rejected triplets are drawn again from the same generator. */
static int reject_pos(void *ctx, const int64_t pos[3], int *bad)
{
	const int64_t *p = ctx;
	*bad = pos[0] == *p || pos[1] == *p || pos[2] == *p;
	return DBV_OK;
}

static int reject_all(void *ctx, const int64_t pos[3], int *bad)
{
	(*(int *)ctx)++;
	*bad = 1;
	return DBV_OK;
}

static void test_reject(void)
{
	int64_t t[3 * 100], drop = 11;
	struct dbv_triplet_opts o = opts(100, 3);
	int calls = 0;

	labels_plain();
	CHECK_OK(dbv_triplets_draw(y, yt, N, 10, &o, reject_pos, &drop, t));
	for (int i = 0; i < 300; i++)
		CHECK(t[i] != 11);
	CHECK_RC(dbv_triplets_draw(y, yt, N, 10, &o, reject_all, &calls, t),
		 DBV_EINPUT);
	CHECK_EQ_INT(calls, DBV_TRIPLETS_MAX_REDRAWS);
	CHECK(!strcmp(dbv_errmsg(), "triplet 0: 1000 triplets in a row were "
		      "duplicates or collinear images"));
}

static void test_parse(void)
{
	int64_t v[3], ids[6] = {0, 1, 2, 3, 4, 60};

	CHECK_OK(dbv_triplet_parse("3,17,42", v));
	CHECK(v[0] == 3 && v[1] == 17 && v[2] == 42);
	CHECK_RC(dbv_triplet_parse("1,2", v), DBV_EUSAGE);
	CHECK(!strcmp(dbv_errmsg(), "'1,2' is not a triplet A,B,C"));
	CHECK_RC(dbv_triplet_parse("1,2,3,4", v), DBV_EUSAGE);
	CHECK_RC(dbv_triplet_parse("3,5,3", v), DBV_EUSAGE);
	CHECK(!strcmp(dbv_errmsg(), "'3,5,3' names item 3 twice"));
	CHECK(dbv_triplet_parse("1,x,3", v) != DBV_OK);
	CHECK(dbv_triplet_parse("-1,2,3", v) != DBV_OK);
	CHECK_OK(dbv_triplets_check_ids(ids, 2, 61));
	CHECK_RC(dbv_triplets_check_ids(ids, 2, 60), DBV_EUSAGE);
	CHECK(!strcmp(dbv_errmsg(), "triplet 1: id 60 is out of range (ids are "
		      "stream positions 0 to 59)"));
}

/* A data set of 4 items of 2x2x3 pixels: 1 = 0 + 10, 2 = 0 + 20
 * (collinear), 3 = a copy of 0. */
static void make_images(struct dbv_dataset *d)
{
	static uint8_t x[4 * 12];
	static int32_t ly[4] = {0, 1, 2, 0}, lyt[4] = {0, 1, 1, 0};
	static int64_t idx[4] = {7, 8, 9, 10};

	for (int q = 0; q < 12; q++) {
		x[q] = x[36 + q] = (uint8_t)(5 * q + (q % 3) * 40);
		x[12 + q] = (uint8_t)(x[q] + 10 + (q == 4) * 50);
		x[24 + q] = (uint8_t)(x[q] + 20);
	}
	memset(d, 0, sizeof *d);
	d->n = 4;
	d->c = 2;
	d->h = 2;
	d->w = 3;
	d->nclasses = 3;
	d->x = x;
	d->y = ly;
	d->y_true = lyt;
	d->idx = idx;
	d->mean[0] = 0.3;
	d->mean[1] = 0.5;
	d->std[0] = 0.2;
	d->std[1] = 0.4;
}

static void test_degenerate(void)
{
	struct dbv_dataset d;
	const int64_t dup[3] = {0, 3, 1}, ok[3] = {0, 1, 2};
	int64_t line[3] = {0, 1, 2};
	int bad = -1;

	make_images(&d);
	CHECK_OK(dbv_triplet_degenerate(&d, dup, &bad));
	CHECK_EQ_INT(bad, 1);
	CHECK_OK(dbv_triplet_degenerate(&d, ok, &bad));
	CHECK_EQ_INT(bad, 0);
	/* Without the bump at pixel 4, items 0, 1, 2 lie on a line. */
	d.x[12 + 4] = (uint8_t)(d.x[4] + 10);
	CHECK_OK(dbv_triplet_degenerate(&d, line, &bad));
	CHECK_EQ_INT(bad, 1);
	d.x[12 + 4] = (uint8_t)(d.x[4] + 60);
}

static void test_anchors(void)
{
	struct dbv_dataset d;
	struct dbv_anchors a, b;
	struct dbv_rng r;
	const int64_t pos[3] = {2, 0, 1};
	float norm[3 * 12];

	make_images(&d);
	CHECK_OK(dbv_anchors_init(&a, &d, DBV_ANCHOR_IMAGES));
	CHECK_EQ_INT(a.dtype, DBV_U8);
	dbv_rng_seed(&r, 1);
	dbv_anchors_make(&a, &d, DBV_ANCHOR_IMAGES, pos, &r);
	for (int k = 0; k < 3; k++) {
		CHECK(memcmp((uint8_t *)a.px + 12 * k, d.x + 12 * pos[k], 12) == 0);
		CHECK_EQ_INT(a.idx[k], d.idx[pos[k]]);
		CHECK_EQ_INT(a.y[k], d.y[pos[k]]);
		CHECK_EQ_INT(a.y_true[k], d.y_true[pos[k]]);
	}
	dbv_normalise(a.px, DBV_U8, 3, 2, 6, d.mean, d.std, norm);
	CHECK(memcmp(norm, a.norm, sizeof norm) == 0);
	dbv_anchors_release(&a);

	/* Uniform noise: 255*float() in C order, anchor by anchor. */
	CHECK_OK(dbv_anchors_init(&a, &d, DBV_ANCHOR_UNIFORM));
	CHECK_EQ_INT(a.dtype, DBV_F32);
	dbv_rng_seed(&r, 4);
	dbv_anchors_make(&a, &d, DBV_ANCHOR_UNIFORM, pos, &r);
	dbv_rng_seed(&r, 4);
	for (int q = 0; q < 36; q++)
		CHECK(((float *)a.px)[q] == dbv_rng_float(&r) * 255.0f);
	for (int k = 0; k < 3; k++)
		CHECK(a.idx[k] == -1 && a.y[k] == -1 && a.y_true[k] == -1);
	dbv_normalise(a.px, DBV_F32, 3, 2, 6, d.mean, d.std, norm);
	CHECK(memcmp(norm, a.norm, sizeof norm) == 0);
	dbv_anchors_release(&a);

	/* Shuffle: one permutation of the 6 positions for both channels. */
	CHECK_OK(dbv_anchors_init(&a, &d, DBV_ANCHOR_SHUFFLE));
	CHECK_OK(dbv_anchors_init(&b, &d, DBV_ANCHOR_SHUFFLE));
	dbv_rng_seed(&r, 8);
	dbv_anchors_make(&a, &d, DBV_ANCHOR_SHUFFLE, pos, &r);
	dbv_rng_seed(&r, 8);
	for (int k = 0; k < 3; k++) {
		int64_t perm[6] = {0, 1, 2, 3, 4, 5};
		const float *f = (const float *)a.px + 12 * k;
		dbv_rng_shuffle_i64(&r, perm, 6);
		for (int ch = 0; ch < 2; ch++)
			for (int q = 0; q < 6; q++)
				CHECK(f[6 * ch + q] ==
				      d.x[12 * pos[k] + 6 * ch + perm[q]]);
		CHECK(a.idx[k] == -1 && a.y[k] == -1);
	}
	/* The same seed, the same anchors. */
	dbv_rng_seed(&r, 8);
	dbv_anchors_make(&b, &d, DBV_ANCHOR_SHUFFLE, pos, &r);
	CHECK(memcmp(a.px, b.px, 36 * sizeof(float)) == 0);
	dbv_anchors_release(&a);
	dbv_anchors_release(&b);
	CHECK(a.px == NULL && a.norm == NULL && a.perm == NULL);
}

/* Per class, correctly labelled (the paper's same-class triplets):
 * count triplets of each class with 3 correctly labelled items, classes
 * ascending, against the procedure written out plainly. */
static void test_per_class(void)
{
	static int64_t got[3 * 7 * 10], want[3 * 7 * 10];
	int64_t n, items[N];
	struct dbv_triplet_opts o = opts(7, 12);
	struct dbv_rng r;
	int t = 0;

	/* Every third item moved to the next class; class 9 keeps two
	 * correct items only (29 and 59 moved too). */
	for (int i = 0; i < N; i++) {
		yt[i] = i % 10;
		y[i] = i % 3 == 0 || i == 29 || i == 59 ? (yt[i] + 1) % 10 : yt[i];
	}
	o.same_class = 1;
	o.mislabeled = 0;
	CHECK_OK(dbv_triplets_per_class(y, yt, N, 10, &o, NULL, NULL, got, &n));
	dbv_rng_seed(&r, 12);
	for (int c = 0; c < 10; c++) {
		int64_t ni = 0;
		for (int i = 0; i < N; i++)
			if (y[i] == c && yt[i] == c)
				items[ni++] = i;
		for (int k = 0; ni >= 3 && k < 7; k++, t++) {
			int64_t *w = want + 3 * t;
			for (int a = 0; a < 3; a++) {
				int64_t i;
				do
					i = items[dbv_rng_below(&r, (uint64_t)ni)];
				while ((a > 0 && i == w[0]) || (a > 1 && i == w[1]));
				w[a] = i;
			}
		}
	}
	CHECK_EQ_INT(n, 9 * 7);
	CHECK_EQ_INT(t, 9 * 7);
	CHECK(memcmp(got, want, (size_t)t * 3 * sizeof *got) == 0);
	for (int64_t i = 0; i < n; i++)
		for (int a = 0; a < 3; a++)
			CHECK(y[got[3 * i + a]] == yt[got[3 * i + a]] &&
			      y[got[3 * i + a]] == y[got[3 * i]]);
	o.same_class = 0;
	CHECK_RC(dbv_triplets_per_class(y, yt, N, 10, &o, NULL, NULL, got, &n),
		 DBV_EUSAGE);
}

int main(void)
{
	test_per_class();
	test_reference();
	test_rules();
	test_classes();
	test_mislabeled();
	test_reject();
	test_parse();
	test_degenerate();
	test_anchors();
	return check_done();
}
