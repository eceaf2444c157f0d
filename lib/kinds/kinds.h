/*
 * lib/kinds/kinds.h - the kinds layer: one struct, reader and writer per
 * stream kind of dbv-stream(5).
 */
#ifndef DBV_KINDS_H
#define DBV_KINDS_H

#include "base/base.h"
#include "stream/stream.h"
#include "data/data.h"
#include "nn/nn.h"
#include "study/study.h"
#include "kinds/model.h"
#include "kinds/checkpoint.h"
#include "kinds/dataset.h"
#include "kinds/planes.h"
#include "kinds/pred.h"
#include "kinds/table.h"

/* The number of classes K of the current stream (read by
 * dbv_reader_header), from its kind's header: a model's architecture, a
 * table's meta, or the data set keys that dataset, planes and pred
 * streams carry.  Fails (status and message) where the header has none. */
int dbv_kind_classes(struct dbv_reader *r, int64_t *classes);

/* One dbv-inspect --summary line of the stream r has just read to its
 * trailer (nrec records, their tensors in sm): kind, records, items and
 * item_shape (of a dataset kind's items), classes (dbv_kind_classes),
 * tensors, meta. */
void dbv_summary_write_json(struct dbv_json *j, const struct dbv_summary *sm,
			    struct dbv_reader *r, uint64_t nrec);

#endif /* DBV_KINDS_H */
