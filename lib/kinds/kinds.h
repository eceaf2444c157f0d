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

#endif /* DBV_KINDS_H */
