/*
 * lib/study/triplets.h - the triplets of images planes are cut through,
 * and their anchors (dbv-plane(1), TRIPLETS and --noise).  Included by
 * study/study.h.
 */
#ifndef DBV_TRIPLETS_H
#define DBV_TRIPLETS_H

#include "base/base.h"
#include "data/data.h"

/* Random triplets of one run at most; degenerate triplets drawn in a row
 * before giving up. */
#define DBV_TRIPLETS_MAX 1000000
#define DBV_TRIPLETS_MAX_REDRAWS 1000

/* What random triplets are drawn from (dbv-plane's options). */
struct dbv_triplet_opts {
	int64_t count;          /* triplets to draw                        */
	uint64_t seed;          /* of the generator (dbv_rng)              */
	int same_class;         /* three images of one class, else three
				 * of three distinct classes               */
	const int64_t *classes; /* draw only items whose y is listed (in
				 * 0..nclasses-1, distinct); NULL: all     */
	size_t nclasses;
	int mislabeled;         /* K: the first K anchors have y != y_true,
				 * the others y == y_true; -1: no such rule */
};

/* Called with every drawn triplet; *bad = 1 drops it, and another is
 * drawn in its place from the same generator. */
typedef int (*dbv_triplet_reject)(void *ctx, const int64_t pos[3], int *bad);

/*
 * Draw o->count triplets of positions into out[3 * count] from the labels
 * y and y_true (each -1, no label, to nclasses-1) of n items, by the
 * rules of dbv-plane(1), TRIPLETS: items with y >= 0 only; without
 * same_class three distinct classes (by y), anchor by anchor, each drawn
 * again while its class is taken or would leave too few classes for the
 * anchors to come; with same_class the class first (from the eligible
 * classes, ascending), then its items.  The same labels, options and seed
 * give the same triplets.  reject may be NULL.  DBV_EUSAGE when the
 * labels cannot give what o asks (the message names the option),
 * DBV_EINPUT after DBV_TRIPLETS_MAX_REDRAWS rejected triplets in a row.
 */
int dbv_triplets_draw(const int32_t *y, const int32_t *y_true, int64_t n,
		      int64_t nclasses, const struct dbv_triplet_opts *o,
		      dbv_triplet_reject reject, void *ctx, int64_t *out);
/*
 * The same-class triplets of every class (o->same_class set): for each
 * eligible class in ascending order, o->count triplets of its images
 * (anchor by anchor as dbv_triplets_draw draws them once the class is
 * chosen), one generator through all; *nout = count x eligible classes
 * (out needs room for 3 x count x nclasses).  The paper's 100 triplets a
 * class of correctly labelled training images: mislabeled 0.
 */
int dbv_triplets_per_class(const int32_t *y, const int32_t *y_true, int64_t n,
			   int64_t nclasses, const struct dbv_triplet_opts *o,
			   dbv_triplet_reject reject, void *ctx, int64_t *out,
			   int64_t *nout);
/* A dbv_triplet_reject for ctx a struct dbv_dataset: whether its images
 * at pos are duplicates or collinear once normalised, as dbv_plane_make
 * decides. */
int dbv_triplet_degenerate(void *ctx, const int64_t pos[3], int *bad);
/* Parse "A,B,C", three distinct non-negative integers, into out;
 * DBV_EUSAGE otherwise. */
int dbv_triplet_parse(const char *s, int64_t out[3]);
/* DBV_EUSAGE "triplet T: id I is out of range ..." when one of the 3*n
 * ids is not a position 0..nitems-1. */
int dbv_triplets_check_ids(const int64_t *ids, size_t n, int64_t nitems);

/* What the anchors of a plane are: the images, uniform noise, or the
 * images with their pixels shuffled. */
enum dbv_anchor_noise { DBV_ANCHOR_IMAGES, DBV_ANCHOR_UNIFORM,
			DBV_ANCHOR_SHUFFLE };

/* The three anchors of one plane. */
struct dbv_anchors {
	enum dbv_dtype dtype; /* of px: the data's; f32 for noise anchors */
	void *px;             /* [3, C, H, W] in pixel units              */
	float *norm;          /* [3, C, H, W] normalised (NULL when read
			       * from a plane record)                     */
	int64_t idx[3];       /* index in the original split; -1: noise   */
	int32_t y[3], y_true[3]; /* labels; -1 for noise anchors          */
	int64_t *perm;        /* scratch for shuffle noise                */
};

/* Buffers for anchors of d's items with the given noise. */
int dbv_anchors_init(struct dbv_anchors *a, const struct dbv_dataset *d,
		     enum dbv_anchor_noise noise);
/*
 * The anchors of the items of d at pos, in pixel units and normalised.
 * Noise anchors draw from rng, anchor by anchor: uniform: the item's
 * values 255*float() in C order; shuffle: one permutation of the h*w
 * pixel positions (shuffle() of 0..h*w-1), the same for every channel,
 * value (ch, q) = image (ch, perm[q]).
 */
void dbv_anchors_make(struct dbv_anchors *a, const struct dbv_dataset *d,
		      enum dbv_anchor_noise noise, const int64_t pos[3],
		      struct dbv_rng *rng);
void dbv_anchors_release(struct dbv_anchors *a);

#endif /* DBV_TRIPLETS_H */
