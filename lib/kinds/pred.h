/*
 * lib/kinds/pred.h - the pred stream kind (dbv-stream(5), THE PRED STREAM):
 * one model's predictions over the grid points of planes, or over the
 * items of a data set.  Written by dbv-predict; read by dbv-compare and
 * dbv-render.
 *
 * Reading, one record at a time:
 *
 *   struct dbv_pred_header h;
 *   struct dbv_pred_record rec;
 *   rc = dbv_pred_header_read(r, &h);       -- kind "pred", meta checked
 *   while ((rc = dbv_pred_next(r, &h, &rec)) == DBV_OK) {
 *           switch (rec.type) { case DBV_PRED_PLANE: ... rec.plane ... }
 *           dbv_pred_record_release(&rec);
 *   }
 *   rc == DBV_END: the trailer was read and verified.
 *   dbv_pred_header_release(&h);
 *
 * or every label at once (dbv_pred_read_labels).  The reader checks each
 * record whole against the bounds below, once; every failure of the
 * content is "NAME: record N (byte B): ..." (dbv_reader_fail), record 0
 * being the header.
 */
#ifndef DBV_KINDS_PRED_H
#define DBV_KINDS_PRED_H

#include "base/base.h"
#include "stream/stream.h"
#include "draw/draw.h"
#include "study/study.h"
#include "kinds/dataset.h"
#include "kinds/planes.h"

/* The bounds of a pred stream: those of the data it was made from,
 * declared once (kinds/dataset.h, study/study.h). */
#define DBV_PRED_MAX_CLASSES DBV_DATASET_MAX_CLASSES /* "classes": 1 to */
#define DBV_PRED_MAX_RES DBV_PLANE_MAX_RES           /* points per axis */
#define DBV_PRED_MAX_CHANNELS DBV_DATASET_MAX_C      /* item shape [C,H,W] */
#define DBV_PRED_MAX_SIDE DBV_DATASET_MAX_HW         /* H and W */
#define DBV_PRED_U8_CLASSES 256        /* labels are u8 up to 256 classes */
/* A confidence is a softmax maximum: in [0, 1], with float rounding's
 * slack above. */
#define DBV_PRED_MAX_CONF 1.0001f

/* ------------------------------------------------------------------ */
/* The header                                                          */
/* ------------------------------------------------------------------ */

/* One entry of a "model" map, copied out of the stream. */
enum dbv_pred_kv_type {
	DBV_KV_NIL, DBV_KV_INT, DBV_KV_UINT, DBV_KV_FLOAT, DBV_KV_BOOL,
	DBV_KV_STR,
	DBV_KV_OTHER, /* an array, map, bin or ext: kept as nil */
};
struct dbv_pred_kv {
	char *key;
	enum dbv_pred_kv_type type;
	int64_t i;        /* DBV_KV_INT, and DBV_KV_BOOL (0 or 1) */
	uint64_t u;       /* DBV_KV_UINT: above INT64_MAX */
	double f;         /* DBV_KV_FLOAT */
	char *s;          /* DBV_KV_STR: len bytes and a NUL */
	size_t len;
};

/*
 * The header's "model" map: which model predicted (dbv-stream(5)).  Its
 * entries in stream order, and those dbv's tools use, decoded.  The
 * table kind carries the same map for each of its streams.
 */
struct dbv_pred_model {
	int present;              /* 0: the header has no model map */
	size_t n;
	struct dbv_pred_kv *kv;   /* n entries */
	const char *arch;         /* its string, or NULL (points into kv) */
	int has_width, has_seed;  /* integers that fit int64 */
	int64_t width, seed;
	double label_noise;       /* 0 when absent */
};

struct dbv_pred_header {
	int planes;               /* "input": 1 "planes", 0 "dataset" */
	int64_t classes;          /* K, 1 to DBV_PRED_MAX_CLASSES */
	char **class_names;       /* K strings, or NULL when not K of them */
	char *data;               /* the points' data set and split ("fashion-
				   * mnist test"), or NULL when unnamed */
	int c, h, w;              /* item shape; 0 when absent (data sets) */
	int res;                  /* over planes: the planes header's "res",
				   * that of every plane; 0 over a data set */
	struct dbv_pred_model model;
	double temp;              /* softmax temperature; NaN when absent */
	int logits;               /* the records hold logits */
};

/* Read the header of a pred stream (kind checked) and decode its meta. */
int dbv_pred_header_read(struct dbv_reader *r, struct dbv_pred_header *h);
/* Decode the meta of the header r has read already (its kind checked by
 * the caller, e.g. after dbv_reader_header(r, NULL, ...)). */
int dbv_pred_header_decode(struct dbv_reader *r, struct dbv_pred_header *h);
void dbv_pred_header_release(struct dbv_pred_header *h);

/* The entry of key, or NULL. */
const struct dbv_pred_kv *dbv_pred_model_get(const struct dbv_pred_model *m,
					     const char *key);
/* An entry's value as a number: integers and floats; DBV_EINPUT else. */
int dbv_pred_kv_number(const struct dbv_pred_kv *e, double *x);
/* "ARCH w=WIDTH seed=SEED" (" noise=P" after it when label_noise > 0;
 * "?" and -1 for what is missing), ARCH cut at 32 bytes: a stream's
 * "desc" in a table. */
void dbv_pred_model_desc(const struct dbv_pred_model *m, char *buf,
			 size_t cap);
/* The model map dbv-predict writes: the documented keys of the model
 * stream's meta that it has (arch, width, depth, seed, data_seed, epochs,
 * n_train, dataset, optim, lr, label_noise), then "file". */
int dbv_pred_model_from_meta(struct dbv_pred_model *m,
			     const dbv_val *model_meta, const char *file);
/* Decode a model map (nil: not present) into m; DBV_EINPUT when v is
 * neither.  Writing it back: the map, or nil when not present. */
int dbv_pred_model_decode(const dbv_val *v, struct dbv_pred_model *m);
int dbv_pred_model_write(struct dbv_writer *w, const struct dbv_pred_model *m);
void dbv_pred_model_release(struct dbv_pred_model *m);

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

/* A "pred" record over a plane: the plane record's keys and the grid. */
struct dbv_pred_plane {
	int64_t plane;            /* its number, from 0 */
	struct dbv_plane geom;    /* origin, u, v, coords, res, range */
	struct dbv_tensor anchors;/* u8 or f32 [3, C, H, W], pixel units */
	int32_t y[3], y_true[3];  /* the anchors' labels (-1: none) */
	int64_t idx[3];           /* their indices; -1 when not given */
	int32_t *labels;          /* [res, res]: row i, column j at i*res + j,
				   * row 0 the lowest y; each in [0, K) */
	float *conf;              /* [res, res], finite, 0 to 1 */
};

/* A "pred" record over k items of a data set. */
struct dbv_pred_items {
	size_t k;
	int32_t *labels;          /* k, each in [0, K) */
	float *conf;              /* k, finite, 0 to 1 */
	int32_t *y, *y_true;      /* k each */
	int64_t *idx;             /* k, or NULL when the record has none */
};

/* The "accuracy" record after the records over a data set. */
struct dbv_pred_accuracy {
	int64_t n, correct, correct_true;
	double acc, acc_true;
};

enum dbv_pred_type {
	DBV_PRED_PLANE = 1, DBV_PRED_ITEMS, DBV_PRED_ACCURACY,
	DBV_PRED_OTHER,           /* a record of another type */
};
struct dbv_pred_record {
	enum dbv_pred_type type;
	struct dbv_pred_plane plane;        /* DBV_PRED_PLANE */
	struct dbv_pred_items items;        /* DBV_PRED_ITEMS */
	struct dbv_pred_accuracy accuracy;  /* DBV_PRED_ACCURACY */
	const dbv_val *raw;       /* the record, until the next read */
};

/* The next record, decoded and checked: DBV_OK, DBV_END at the trailer,
 * or an error.  "pred" records are planes or items as the header says.
 * Logits are not read.  Release rec after each DBV_OK. */
int dbv_pred_next(struct dbv_reader *r, const struct dbv_pred_header *h,
		  struct dbv_pred_record *rec);
void dbv_pred_record_release(struct dbv_pred_record *rec);

/* Does plane b show the same plane as a?  One CRC-32C over what makes a
 * plane: dim, res, origin, u, v, range and coords. */

/* Every label of a stream, read to its trailer (other records checked
 * and skipped). */
struct dbv_pred_labels {
	int64_t n;                /* planes, or items */
	int res;                  /* planes: R of every plane */
	int32_t *labels;          /* planes: n*R*R, plane after plane; items: n */
	uint32_t *fingerprint;    /* planes: n, of each plane's geometry */
	int32_t *y, *y_true;      /* items: n each */
	int64_t *idx;             /* items: n; NULL when a record had none */
};
/* Every record to the trailer, then refuse another stream after it
 * (naming program, the reader). */
int dbv_pred_read_labels(struct dbv_reader *r, const struct dbv_pred_header *h,
			 struct dbv_pred_labels *l, const char *program);
void dbv_pred_labels_release(struct dbv_pred_labels *l);

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

/*
 * A field of a record for dbv_fields_write: a tensor when data is set
 * (an empty tensor needs a non-NULL pointer too), else an array of
 * strings when strs is set, else left out (an optional field).  The
 * kinds write their records from such arrays, so that a record's count
 * of pairs comes from the array that lists its keys.
 */
struct dbv_field {
	const char *key;
	enum dbv_dtype dtype;
	int ndim;
	int64_t shape[3];
	const void *data;
	char *const *strs;
	size_t nstrs;
};
/* The fields that are present, and writing them (key, value each). */
size_t dbv_fields_count(const struct dbv_field *f, size_t n);
int dbv_fields_write(struct dbv_writer *w, const struct dbv_field *f,
		     size_t n);

/* The header: every key of input_meta (the planes or dataset stream's)
 * but those set here, then "input" (h->planes), "model" (h->model, or nil
 * when not present), "temp" and "logits".  pipeline: the input's. */
int dbv_pred_write_header(struct dbv_writer *w, const dbv_val *input_meta,
			  const dbv_val *pipeline, int argc, char *const *argv,
			  const struct dbv_pred_header *h);
/* The predictions of one plane: every key of its plane record plane_rec
 * but "t" and "seq", then "labels" (u8 [res,res] when classes <=
 * DBV_PRED_U8_CLASSES, taken from labels8, else i32 from labels32),
 * "conf" [res,res] and, when logits is not NULL, "logits" [res,res,K]. */
int dbv_pred_write_plane(struct dbv_writer *w, const dbv_val *plane_rec,
			 int res, int classes, const uint8_t *labels8,
			 const int32_t *labels32, const float *conf,
			 const float *logits);
/* The predictions of items: labels, conf, logits [k,K] (when not NULL),
 * y, y_true, idx. */
int dbv_pred_write_items(struct dbv_writer *w, const struct dbv_pred_items *it,
			 int classes, const float *logits);
/* The accuracy record of a: n, correct, correct_true, and acc and
 * acc_true computed from them (0 when n is 0). */
int dbv_pred_write_accuracy(struct dbv_writer *w,
			    const struct dbv_pred_accuracy *a);

/* ------------------------------------------------------------------ */
/* Pictures of planes (dbv-render)                                     */
/* ------------------------------------------------------------------ */

/* What pictures say of a model m: "ARCH w=WIDTH" ("ARCH" without a
 * width, ARCH cut at 40 bytes; "" without an arch) into model, and
 * "seed SEED" ("" without) into seed. */
void dbv_pred_model_labels(const struct dbv_pred_model *m, char *model,
			   size_t mcap, char *seed, size_t scap);
/* The next plane record numbered plane (< 0: any) into rec (released
 * first: zero it before the first call), the records before it read,
 * checked and skipped; DBV_END after the last. */
int dbv_pred_next_plane(struct dbv_reader *r, const struct dbv_pred_header *h,
			int64_t plane, struct dbv_pred_record *rec);
/* A picture's refusal of stream NAME without the plane asked for:
 * DBV_EINPUT "NAME: no plane in the stream" (plane < 0), else DBV_EUSAGE
 * "NAME: no plane N in the stream". */
int dbv_pred_no_plane(const char *name, int64_t plane);
/* Plane `plane` (< 0: the stream's only plane) into rec (as
 * dbv_pred_next_plane), the rest of the stream read and checked to its
 * trailer: dbv_pred_no_plane without it; with plane < 0, DBV_EUSAGE
 * "NAME: the stream holds more than one plane: ..." at a second one.
 * NAME: the reader's ("standard input" for "-"). */
int dbv_pred_find_plane(struct dbv_reader *r, const struct dbv_pred_header *h,
			int64_t plane, struct dbv_pred_record *rec);
/* Does plane b (of a stream of header hb) show plane a (header ha), of
 * the same classes?  NULL when it does, else what differs: that of
 * dbv_plane_differs, or "classes" (their number, or their names). */
const char *dbv_pred_plane_differs(const struct dbv_pred_header *ha,
				   const struct dbv_pred_plane *a,
				   const struct dbv_pred_header *hb,
				   const struct dbv_pred_plane *b);
/* A montage's check that plane b of stream nb (header hb) is plane
 * number `plane` of stream na (ha, a): DBV_OK, else DBV_EINPUT "NB: its
 * classes differ from those of NA" or "NB: plane N is not the plane of
 * the same number in NA (its WHAT differ): ...". */
int dbv_pred_same_plane(const char *na, const struct dbv_pred_header *ha,
			const struct dbv_pred_plane *a, const char *nb,
			const struct dbv_pred_header *hb,
			const struct dbv_pred_plane *b, int64_t plane);
/* The plane of p as the plain arrays of lib/draw/planeplot.c (pointing
 * into p): shaded by its confidence when shade, with the anchors' images
 * when thumbs; model and seed as dbv_pred_model_labels gives them. */
void dbv_pred_plane_plot(const struct dbv_pred_plane *p, int shade,
			 int thumbs, const char *model, const char *seed,
			 struct dbv_planeplot *pl);

#endif /* DBV_KINDS_PRED_H */
