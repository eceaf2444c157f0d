/*
 * lib/kinds/dataset.h - the dataset stream (dbv-stream(5), THE DATASET
 * STREAM): header meta and batch records, read into and written from the
 * in-memory struct dbv_dataset (data/data.h).
 *
 * Readers: dbv_dataset_read takes a whole stream into memory (dbv-plane,
 * dbv-train); a streaming consumer (dbv-predict) calls
 * dbv_dataset_read_meta after dbv_reader_header, then
 * dbv_dataset_read_batch on each "batch" record.  Every refusal is
 * "NAME: record N (byte B): ..." (dbv_reader_fail), exit status 3.
 */
#ifndef DBV_KINDS_DATASET_H
#define DBV_KINDS_DATASET_H

#include "base/base.h"
#include "stream/stream.h"
#include "data/data.h"

/* The header's bounds, the same for every reader. */
#define DBV_DATASET_MAX_C 4             /* channels C of [C, H, W]      */
#define DBV_DATASET_MAX_HW 4096         /* H and W each                 */
#define DBV_DATASET_MAX_CLASSES 100000  /* classes K                    */

/* Writers: items per batch record by default (about this many pixel
 * bytes, at least one item), and pixel bytes a record at most. */
#define DBV_DATASET_BATCH_BYTES ((size_t)1 << 20)
#define DBV_DATASET_MAX_RECORD_PIXELS ((size_t)128 << 20)

/* What a reader accepts beyond u8 images labelled 0 to K-1. */
enum {
	DBV_DATASET_F32 = 1 << 0,        /* f32 images in pixel units
					  * (dbv-plane --expand's points);
					  * finite; one dtype throughout   */
	DBV_DATASET_UNLABELLED = 1 << 1, /* label -1 (no label)            */
	DBV_DATASET_ANY_LABEL = 1 << 2,  /* labels not checked at all      */
};

struct dbv_dataset_read_opts {
	unsigned accept;     /* DBV_DATASET_* flags                     */
	int min_classes;     /* least K accepted: 1 (also when 0), or 2
			      * for training                            */
	const char *program; /* names the reader when another stream
			      * follows (dbv_reader_expect_end)         */
};

/*
 * Parse the dataset keys of the current header's meta (read by
 * dbv_reader_header; any kind that carries them: dataset, planes, pred)
 * into d's header fields, n = 0 and no items: shape [C, H, W] (C 1 to
 * DBV_DATASET_MAX_C, H and W 1 to DBV_DATASET_MAX_HW), classes (min to
 * DBV_DATASET_MAX_CLASSES), mean and std (C finite numbers each, std >
 * 0) are required; dataset and split (strings), class_names (K strings)
 * and label_noise (0 to 1) are taken when present (else NULL, NULL,
 * NULL, 0).  opt may be NULL (accept what any reader accepts).
 */
int dbv_dataset_read_meta(struct dbv_reader *r, struct dbv_dataset *d,
			  const struct dbv_dataset_read_opts *opt);
/* dbv_reader_header(r, "dataset") and dbv_dataset_read_meta. */
int dbv_dataset_read_header(struct dbv_reader *r, struct dbv_dataset *d,
			    const struct dbv_dataset_read_opts *opt);

/* The key of a batch record's items (their first dimension counts
 * them), for generic summaries (dbv-inspect --summary). */
const char *dbv_dataset_items_key(void);
/* Whether rec is a "batch" record. */
int dbv_dataset_is_batch(const dbv_val *rec);
/* One batch record, decoded and checked. */
struct dbv_dataset_batch {
	int64_t n;           /* items k                                 */
	struct dbv_tensor x; /* u8 (or f32) [k, C, H, W]                */
	struct dbv_tensor y, y_true; /* i32 [k]; y_true = y when absent */
	struct dbv_tensor idx;       /* i64 [k]; stream positions first,
				      * first+1, ... when absent        */
};
/*
 * Decode rec, a "batch" record just read from r, against the header d:
 * x u8 [k,C,H,W] (or f32, finite, with DBV_DATASET_F32), y i32 [k],
 * optional y_true i32 [k] and idx i64 [k]; labels 0 to K-1 (-1 too with
 * DBV_DATASET_UNLABELLED; unchecked with DBV_DATASET_ANY_LABEL).  first:
 * the items of the stream before this record.  On failure b is empty.
 */
int dbv_dataset_read_batch(struct dbv_reader *r, const dbv_val *rec,
			   const struct dbv_dataset *d,
			   const struct dbv_dataset_read_opts *opt,
			   int64_t first, struct dbv_dataset_batch *b);
void dbv_dataset_batch_release(struct dbv_dataset_batch *b);

/*
 * Read a whole dataset stream from r into d: the header, every batch
 * (records of other types skipped), the trailer; then refuse another
 * stream after it (naming opt->program) and an empty data set.  On
 * failure d is released (empty).
 */
int dbv_dataset_read(struct dbv_reader *r, struct dbv_dataset *d,
		     const struct dbv_dataset_read_opts *opt);

/* What a dataset header records besides the data set itself. */
struct dbv_dataset_origin {
	const uint64_t *noise_seed;   /* label noise seed; NULL: nil       */
	const uint64_t *shuffle_seed; /* NULL: nil (file order)            */
	char *const *source;          /* the files read                    */
	size_t nsource;
};
/*
 * The header of a dataset stream: kind "dataset", pipeline the upstream
 * one (or NULL) and this command line (argc, argv), meta from d (its n
 * items, shape, classes, names, statistics, label_noise) and o.
 */
int dbv_dataset_write_header(struct dbv_writer *w,
			     const struct dbv_dataset *d,
			     const struct dbv_dataset_origin *o,
			     const dbv_val *pipeline, int argc,
			     char *const *argv);
/* Items first .. first+k-1 of d as one batch record (x of d->dtype). */
int dbv_dataset_write_batch(struct dbv_writer *w, const struct dbv_dataset *d,
			    size_t first, size_t k);
/* Items per batch record: batch (0: DBV_DATASET_BATCH_BYTES of pixels,
 * at least 1) and at most d->n; DBV_EUSAGE when a record would hold
 * over DBV_DATASET_MAX_RECORD_PIXELS bytes of pixels. */
int dbv_dataset_batch_items(const struct dbv_dataset *d, size_t batch,
			    size_t *items);
/* The header (no upstream pipeline), then d's items in records of
 * items each (from dbv_dataset_batch_items); the caller finishes the
 * stream. */
int dbv_dataset_write(struct dbv_writer *w, const struct dbv_dataset *d,
		      const struct dbv_dataset_origin *o, size_t items,
		      int argc, char *const *argv);

#endif /* DBV_KINDS_DATASET_H */
