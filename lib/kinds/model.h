/*
 * lib/kinds/model.h - the model stream (dbv-stream(5), THE MODEL STREAM):
 * a header whose meta describes the architecture, the normalisation and
 * the training run, one "log" record per epoch, one "param" record per
 * tensor.  Its key strings live in model.c alone.
 */
#ifndef DBV_KINDS_MODEL_H
#define DBV_KINDS_MODEL_H

#include "base/base.h"
#include "stream/stream.h"
#include "nn/nn.h"
#include "data/data.h"

/* Bounds of the header a reader accepts: width, depth, classes and the
 * item shape [C, H, W] each in [0, DBV_MODEL_MAX_SIZE], C at most
 * DBV_MODEL_MAX_CHANNELS, and classes, H and W within the data sets'
 * bounds (kinds/dataset.h: what a model can have been trained on). */
#define DBV_MODEL_MAX_SIZE (1 << 20)
#define DBV_MODEL_MAX_CHANNELS 4

/* The model's own meta keys (arch ... bn_momentum, arch_options), which
 * dbv_model_write_meta writes: a header of a model trained elsewhere
 * holds these alone. */
#define DBV_MODEL_META_PAIRS 12

/* A trained model's header meta: the model's keys, then the run's. */
struct dbv_model_header {
	const struct dbv_model *model;
	char *const *class_names;   /* classes strings, or NULL           */
	const double *mean, *std;   /* C each: the inputs' normalisation  */
	/* The run (dbv-train): */
	const struct dbv_train_cfg *cfg;
	const char *dataset;        /* the training stream's "dataset"    */
	int64_t n_train;            /* its items                          */
	double label_noise;         /* its "label_noise" (0: none)        */
};

/* The whole header of a model stream: kind "model", the pipeline
 * (upstream's, then argc/argv), the model's meta and the run's. */
int dbv_model_write_header(struct dbv_writer *w, const dbv_val *pipeline,
			   int argc, char *const *argv,
			   const struct dbv_model_header *h);
/* The model's DBV_MODEL_META_PAIRS meta pairs alone, inside a header the
 * caller begins (for models made without dbv-train's run). */
int dbv_model_write_meta(struct dbv_writer *w, const struct dbv_model *m,
			 char *const *class_names, const double *mean,
			 const double *std);
/* One "log" record (test figures nil without a test set). */
int dbv_model_write_log(struct dbv_writer *w, const struct dbv_train_log *log);
/* One "param" record per parameter, in table order. */
int dbv_model_write_params(struct dbv_writer *w, const struct dbv_model *m);

/* Read a model stream: build the architecture from the header meta and
 * fill every parameter from the "param" records (all must be present,
 * with matching shapes).  Other record types are skipped.  mean/std get
 * the normalisation (4 entries each); class names are not returned.
 * Errors name the stream, record and byte (dbv_reader_fail). */
int dbv_model_read(struct dbv_reader *r, struct dbv_model *m, double *mean,
		   double *std);
/* A "log" record rec (dbv_record_is(rec, "log")) into *log, every figure
 * checked against dbv_model_log_check. */
int dbv_model_read_log(struct dbv_reader *r, const dbv_val *rec,
		       struct dbv_train_log *log);
/* NULL when log's figures are in range (epoch in [1, DBV_MAX_EPOCHS],
 * losses finite and >= 0, accuracies in [0, 1], test figures 0 without a
 * test set, lr and seconds finite and >= 0); otherwise the record key of
 * the first figure that is not. */
const char *dbv_model_log_check(const struct dbv_train_log *log);
/* DBV_EINPUT unless d's items (C x H x W), classes and normalisation
 * (each channel's mean and std within 1e-6 relative) are those of the
 * model of architecture a and normalisation mean, std; what names d in
 * the message ("dataset", "planes stream"). */
int dbv_model_check_data(const struct dbv_arch *a, const double *mean,
			 const double *std, const struct dbv_dataset *d,
			 const char *what);
/* Arch from header meta (used by dbv_model_read). */
int dbv_arch_from_meta(const dbv_val *meta, struct dbv_arch *a);
/* Fill one parameter from a "param" record's tensor. */
int dbv_model_set_param(struct dbv_model *m, const char *name, size_t nlen,
			const struct dbv_tensor *t);

#endif /* DBV_KINDS_MODEL_H */
