/*
 * lib/kinds/checkpoint.h - the checkpoint stream (dbv-stream(5), THE
 * CHECKPOINT STREAM): dbv-train's whole training state, a "state" record
 * then a "logs" record, under a header whose "config" fingerprints the
 * run.  Its key strings live in checkpoint.c alone.
 */
#ifndef DBV_KINDS_CHECKPOINT_H
#define DBV_KINDS_CHECKPOINT_H

#include "base/base.h"
#include "stream/stream.h"
#include "data/data.h"
#include "nn/nn.h"

/* Room for a run's fingerprint (dbv_checkpoint_config). */
#define DBV_CHECKPOINT_CONFIG_MAX 1024
/* Record size limit of a reader: what the state record needs (the model
 * three times, the epoch's order) and this much more. */
#define DBV_CHECKPOINT_SLACK ((size_t)1 << 20)

/*
 * A checkpoint: the run's fingerprint, the bounds its state is checked
 * against, and the state.  For reading, the caller sets config, epochs,
 * batch and the state's n, total and arrays (perm [n], p and m1 [total],
 * m2 [total] or NULL for SGD, logs [epochs]: dbv_trainer_state gives the
 * trainer's own); the reader fills the rest and the arrays.
 */
struct dbv_checkpoint {
	const char *config;   /* header "config"                        */
	int epochs, batch;    /* the run's epochs and batch size        */
	struct dbv_train_state st;
};

/* The fingerprint of a run (architecture arch as built, so with the item
 * shape and classes; configuration c; training set d, through the CRC-32C
 * of its pixels then labels) into buf (n bytes, DBV_CHECKPOINT_CONFIG_MAX
 * is enough), as dbv-stream(5) describes "config". */
void dbv_checkpoint_config(char *buf, size_t n, const struct dbv_arch *a,
			   const struct dbv_train_cfg *c,
			   const struct dbv_dataset *d);
/* The whole stream: header, "state" and "logs" records, trailer. */
int dbv_checkpoint_write(struct dbv_writer *w, const struct dbv_checkpoint *ck);
/*
 * Read a whole checkpoint stream into ck (see above), with its own record
 * size limit.  Refuses (DBV_EINPUT) a fingerprint other than ck->config
 * ("checkpoint 'NAME' belongs to another configuration or data set ..."),
 * then, with dbv_reader_fail's "NAME: record N (byte B): ...", any field
 * out of range: epoch in [0, epochs] (batch 0 at epochs), batch in [0,
 * batches of an epoch], step = epoch * batches + batch, elapsed finite
 * and >= 0, seen = the items of the epoch's first batch batches, correct
 * in [0, seen], loss_sum finite and >= 0, rng i64 [4] not all zero, perm
 * an i64 [n] permutation, p and m1 f32 [total] and finite, m2 f32 [total]
 * finite and >= 0 or nil as the run's optimizer has one or not, logs f64 [7 * epoch] in the ranges
 * of dbv_model_log_check with a test flag of 0 or 1; the records out of
 * order, twice or missing, and another stream after it.
 */
int dbv_checkpoint_read(struct dbv_reader *r, struct dbv_checkpoint *ck);
/* dbv_checkpoint_write onto descriptor fd, as program "dbv-train" (a
 * dbv_write_file_atomic callback; arg is the checkpoint). */
int dbv_checkpoint_write_fd(int fd, void *arg);
/* Restore the checkpoint file at path (fingerprint config) into trainer
 * t, reading into its own arrays; 1 when no file is there (the trainer
 * untouched), errors as dbv_checkpoint_read's (prefixed "resume: "). */
int dbv_checkpoint_resume(struct dbv_trainer *t, const char *path,
			  const char *config);

#endif /* DBV_KINDS_CHECKPOINT_H */
