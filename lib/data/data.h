/*
 * lib/data/data.h - the data layer: labelled image sets from IDX and CIFAR files.
 */
#ifndef DBV_DATA_H
#define DBV_DATA_H

#include "base/base.h"

/* ------------------------------------------------------------------ */
/* Data sets                                                           */
/* ------------------------------------------------------------------ */
/*
 * An in-memory labelled image set: n items of c*h*w pixels (NCHW),
 * labels in [0, nclasses) (-1, no label, in grid points read back from
 * a stream; see lib/kinds/dataset.h).  The one in-memory data set of
 * dbv: the loaders below fill it, the dataset stream kind reads and
 * writes it.
 */
struct dbv_dataset {
	char *name;       /* "fashion-mnist", "cifar10", ... (NULL: none) */
	char *split;      /* "train" / "test" / "files" (NULL: none)  */
	int64_t n, c, h, w;
	int nclasses;
	char **class_names; /* nclasses strings (NULL: none)          */
	enum dbv_dtype dtype; /* of x: DBV_U8 (0, what the loaders make),
			   * or DBV_F32 (pixel units, dbv-plane --expand) */
	uint8_t *x;       /* n*c*h*w elements of dtype                */
	int32_t *y;       /* noisy (= true unless noise applied)      */
	int32_t *y_true;  /* true labels                              */
	int64_t *idx;     /* index in the original split              */
	double mean[4], std[4]; /* per channel, pixel/255 units        */
	double label_noise; /* fraction of labels moved (0: none)      */
};

/* Known data-set names: "fashion-mnist", "mnist", "cifar10", "cifar100". */
int dbv_dataset_known(const char *name);
/* Default directory of a data set (e.g. /usr/share/datasets/fashion-mnist). */
const char *dbv_dataset_default_dir(const char *name);
/* The files dbv_dataset_load reads for a named split from dir (NULL =
 * default dir), in order: IDX images then labels (".gz" preferred over
 * plain), or the CIFAR batch files.  Checks that they exist.  *files is
 * one allocation: free(*files) releases the array and its strings. */
int dbv_dataset_files(const char *name, const char *dir, const char *split,
		      char ***files, size_t *nfiles);
/* Load a named data set's split ("train"/"test") from dir. */
int dbv_dataset_load(struct dbv_dataset *d, const char *name,
		     const char *dir, const char *split);
/* Load IDX image + label files (plain or .gz). */
int dbv_dataset_load_idx(struct dbv_dataset *d, const char *images,
			 const char *labels);
/* Load CIFAR binary files (label_bytes 1 = CIFAR-10, 2 = CIFAR-100 fine). */
int dbv_dataset_load_cifar(struct dbv_dataset *d, char *const *files,
			   size_t nfiles, int label_bytes);
/* Per-channel mean and std of d's pixels (in [0,1] units) into d. */
void dbv_dataset_stats(struct dbv_dataset *d);
/* Keep only the items whose index in the current order is listed in
 * keep[0..nkeep) (in that order); u8 or f32 items. */
int dbv_dataset_select(struct dbv_dataset *d, const int64_t *keep,
		       size_t nkeep);
/* Keep items of the listed classes, relabelled 0..n-1 in list order. */
int dbv_dataset_filter_classes(struct dbv_dataset *d, const int64_t *cls,
			       size_t ncls);
/* Label noise: exactly round(p*n_c) items of each class c get a label
 * drawn uniformly from the other classes.  y_true keeps the originals;
 * d->label_noise records p. */
int dbv_dataset_label_noise(struct dbv_dataset *d, double p, uint64_t seed);
void dbv_dataset_release(struct dbv_dataset *d);


#endif /* DBV_DATA_H */
