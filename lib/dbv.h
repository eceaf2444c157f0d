/*
 * dbv.h - the one public header of libdbv.
 *
 * dbv studies neural-network decision boundaries with small programs that
 * pass msgpack tensor streams through pipes.  This header is everything the
 * programs in tools/ may use.
 *
 * Conventions:
 *   - Functions that can fail return an int status: DBV_OK (0) or one of the
 *     DBV_E* codes below, which are also the tools' exit codes.  On failure a
 *     one-line message is left in a thread-local buffer, read with
 *     dbv_errmsg().  The library never prints and never exits.
 *   - Sizes are size_t; every size computed from input goes through the
 *     overflow-checked helpers dbv_mul_size()/dbv_add_size().
 *   - Randomness is an explicit struct dbv_rng passed by pointer.
 */
#ifndef DBV_H
#define DBV_H

/* Layers, lowest first: base -> stream, data, draw -> nn -> study -> kinds.
 * A layer includes only headers of its own or lower layers (make check
 * runs scripts/check-layers). */
#include "base/base.h"
#include "stream/stream.h"
#include "data/data.h"
#include "draw/draw.h"
#include "nn/nn.h"
#include "study/study.h"
#include "kinds/kinds.h"

#endif /* DBV_H */
