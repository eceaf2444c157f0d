/*
 * lib/kinds/planes.h - the planes stream (dbv-stream(5), THE PLANES
 * STREAM): a header whose meta is the data set's plus the keys below,
 * then one plane record per plane; and the one "same plane" fingerprint.
 *
 * Writer: dbv-plane.  Readers: dbv_planes_read_header, then per "plane"
 * record dbv_planes_read_geometry (what dbv-predict needs) or
 * dbv_planes_read_plane (everything).  Refusals are "NAME: record N
 * (byte B): ..." (dbv_reader_fail), exit status 3.
 */
#ifndef DBV_KINDS_PLANES_H
#define DBV_KINDS_PLANES_H

#include "base/base.h"
#include "stream/stream.h"
#include "data/data.h"
#include "study/study.h"
#include "kinds/dataset.h"

/* How the triplets were chosen (the header's "mode"). */
enum dbv_planes_mode { DBV_PLANES_IDS, DBV_PLANES_RANDOM,
		       DBV_PLANES_SAME_CLASS };

/* The keys a planes header adds to its data set's meta. */
struct dbv_planes_meta {
	int res;                 /* R, 2 to DBV_PLANE_MAX_RES              */
	double range_l, range_r; /* >= 0                                   */
	enum dbv_planes_mode mode;
	uint64_t triplet_seed;   /* nil in the stream for mode ids         */
	enum dbv_anchor_noise noise;
	uint64_t noise_seed;     /* nil in the stream without noise        */
	int mislabeled;          /* K, 0 to 3; -1: nil                     */
	int64_t *classes;        /* triplet_classes; NULL: nil (owned when
				  * read: dbv_planes_meta_release)         */
	size_t nclasses;
	uint64_t planes;         /* the number of plane records            */
};

/*
 * The header of the planes cut from the data set read by in: kind
 * "planes", pipeline in's and this command line (argc, argv), meta every
 * key of in's meta but those of m (which come after it, in the order of
 * dbv-stream(5)).  expanded: the header of the grid points as a data set
 * instead (kind "dataset", also n = planes*R*R and expanded_from).
 */
int dbv_planes_write_header(struct dbv_writer *w,
			    const struct dbv_reader *in,
			    const struct dbv_planes_meta *m, int expanded,
			    int argc, char *const *argv);
/* Plane record number plane: the geometry pl, the anchors a (px, idx, y,
 * y_true) of items of d's shape. */
int dbv_planes_write_plane(struct dbv_writer *w, uint64_t plane,
			   const struct dbv_plane *pl,
			   const struct dbv_anchors *a,
			   const struct dbv_dataset *d);

/*
 * The grid points as a data set (dbv-plane --expand; dbv-stream(5),
 * "Grid points as a data set"): pts gets buffers for batches of pts->n
 * points (about DBV_DATASET_BATCH_BYTES of f32 pixels) of d's shape,
 * unlabelled; dbv_dataset_release(pts) frees them.
 */
int dbv_planes_points_init(struct dbv_dataset *pts,
			   const struct dbv_dataset *d);
/* Plane number plane's R*R points pl, in the pixel units of d (see
 * dbv_denormalise), as batch records of at most pts->n points; idx =
 * plane*R*R + i*R + j for the point of row i and column j. */
int dbv_planes_write_points(struct dbv_writer *w, const struct dbv_plane *pl,
			    const struct dbv_dataset *d, uint64_t plane,
			    struct dbv_dataset *pts);

/* The header's "res" (every plane's points per axis), 2 to
 * DBV_PLANE_MAX_RES, of the header just read by r (a planes stream, or a
 * stream made from one such as pred). */
int dbv_planes_header_res(struct dbv_reader *r, int *res);
/* DBV_EINPUT (through r) unless a plane record's res is the header's. */
int dbv_planes_check_res(struct dbv_reader *r, int res, int header_res);
/* The planes keys of the header just read by r (a planes stream, or a
 * stream made from one such as pred) into m. */
int dbv_planes_read_meta(struct dbv_reader *r, struct dbv_planes_meta *m);
void dbv_planes_meta_release(struct dbv_planes_meta *m);
/* dbv_reader_header(r, "planes"), the data set's keys into d
 * (dbv_dataset_read_meta, opt may be NULL) and the planes keys into m. */
int dbv_planes_read_header(struct dbv_reader *r, struct dbv_dataset *d,
			   struct dbv_planes_meta *m,
			   const struct dbv_dataset_read_opts *opt);
/* Whether rec is a "plane" record. */
int dbv_planes_is_plane(const dbv_val *rec);
/* The geometry of rec, a "plane" record (or a pred record over planes)
 * just read from r, for items of d's shape: res (the header's,
 * dbv_planes_header_res), origin, u, v (f32 [C,H,W], finite), coords (f64
 * [3,2], finite) and range (f64 [4], xmin < xmax, ymin < ymax). */
int dbv_planes_read_geometry(struct dbv_reader *r, const dbv_val *rec,
			     const struct dbv_dataset *d,
			     struct dbv_plane *p);
/* dbv_planes_read_geometry without a reader: messages without the
 * stream's name, record and byte. */
int dbv_plane_from_record(struct dbv_plane *p, const dbv_val *rec, int c,
			  int h, int w);

/* A whole plane record. */
struct dbv_planes_plane {
	uint64_t plane;            /* its number                        */
	struct dbv_plane geom;
	struct dbv_anchors anchors; /* dtype, px, idx, y, y_true (no norm) */
};
/* Read all of rec, a "plane" record just read from r: the geometry as
 * dbv_planes_read_geometry, plane (an integer >= 0), anchors (u8 or f32
 * [3,C,H,W]), idx (i64 [3]), y and y_true (i32 [3]). */
int dbv_planes_read_plane(struct dbv_reader *r, const dbv_val *rec,
			  const struct dbv_dataset *d,
			  struct dbv_planes_plane *p);
void dbv_planes_plane_release(struct dbv_planes_plane *p);

/*
 * Whether two records show the same plane, the one fingerprint of every
 * tool: one CRC-32C over dim (u64), res (i64), the bytes of origin, u and
 * v (dim f32 each), range (4 f64) and coords (6 f64), in this order
 * (dbv-compare(1) documents it).  Not covered: the anchors' pixels, idx
 * and labels.
 */
uint32_t dbv_plane_fingerprint(const struct dbv_plane *p);

/* The header's names of anchor noise ("none", "uniform", "shuffle") and
 * of modes ("ids", "random", "same-class"); from_name: -1 when unknown. */
const char *dbv_anchor_noise_name(enum dbv_anchor_noise n);
int dbv_anchor_noise_from_name(const char *s);
const char *dbv_planes_mode_name(enum dbv_planes_mode m);

/* What differs between two planes' geometry, in the order checked: NULL
 * when nothing does, else "res", "range", "anchor coordinates" or (by
 * their fingerprints) "origin or basis vectors". */
const char *dbv_plane_differs(const struct dbv_plane *a,
			      const struct dbv_plane *b);

#endif /* DBV_KINDS_PLANES_H */
